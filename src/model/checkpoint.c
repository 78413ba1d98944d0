/* Saving a model folder: model.safetensors and config.json in Hugging Face
 * GPT-2 form (plus tokenizer.json), so agentft and Hugging Face read it back. */
#include "model_internal.h"
#include "checkpoint_internal.h"

#include "agentft/numeric.h"
#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- config.json ---- */

static int add_labels(cJSON *root, const char *const *actions, size_t n)
{
    cJSON *id2label = cJSON_AddObjectToObject(root, "id2label");
    cJSON *label2id = cJSON_AddObjectToObject(root, "label2id");
    if (!id2label || !label2id)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%zu", i);
        if (!cJSON_AddStringToObject(id2label, key, actions[i]) ||
            !cJSON_AddNumberToObject(label2id, actions[i], (double)i))
            return -1;
    }
    return 0;
}

static int add_agentft(cJSON *root, const aft_model_config *c, const char *const *actions, size_t n)
{
    cJSON *a = cJSON_AddObjectToObject(root, "agentft");
    if (!a || !cJSON_AddNumberToObject(a, "format_version", AFT_CKPT_FORMAT_VERSION) ||
        !cJSON_AddNumberToObject(a, "n_actions", (double)n))
        return -1;
    cJSON *list = cJSON_AddArrayToObject(a, "actions");
    for (size_t i = 0; list && i < n; i++)
        if (!cJSON_AddItemToArray(list, cJSON_CreateString(actions[i])))
            return -1;
    if (!list || !cJSON_AddNumberToObject(a, "lora_rank", c->lora_rank) ||
        !cJSON_AddNumberToObject(a, "lora_alpha", aft_float_to_decimal(c->lora_alpha)) ||
        !cJSON_AddNumberToObject(a, "freeze_layers", c->freeze_layers))
        return -1;
    if (c->value_head && !cJSON_AddTrueToObject(a, "value_head"))
        return -1;
    return 0;
}

/* GPT2Config's fields, so transformers' AutoConfig reads the folder. */
static char *config_text(const aft_model_config *c, const char *const *actions, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON *arch = cJSON_AddArrayToObject(root, "architectures");
    int ok = arch && cJSON_AddItemToArray(arch, cJSON_CreateString("GPT2ForSequenceClassification"));
    struct { const char *key; double value; } nums[] = {
        {"n_layer", c->n_layer}, {"n_head", c->n_head}, {"n_embd", c->d_model},
        {"n_positions", c->max_seq}, {"n_ctx", c->max_seq}, {"vocab_size", c->vocab_size},
        {"layer_norm_epsilon", 1e-5}, {"initializer_range", 0.02},
        {"resid_pdrop", aft_float_to_decimal(c->dropout)}, {"embd_pdrop", aft_float_to_decimal(c->dropout)},
        {"attn_pdrop", aft_float_to_decimal(c->attn_dropout)}, {"num_labels", (double)n}};
    ok = ok && cJSON_AddStringToObject(root, "model_type", "gpt2") &&
         cJSON_AddStringToObject(root, "activation_function", "gelu_new") &&
         cJSON_AddTrueToObject(root, "tie_word_embeddings") &&
         cJSON_AddStringToObject(root, "torch_dtype", "float32");
    for (size_t i = 0; ok && i < sizeof nums / sizeof nums[0]; i++)
        ok = cJSON_AddNumberToObject(root, nums[i].key, nums[i].value) != NULL;
    ok = ok && add_labels(root, actions, n) == 0 && add_agentft(root, c, actions, n) == 0;
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_actions(const char *const *actions, size_t n, int want, aft_error *err)
{
    if (n != (size_t)want)
        return aft_error_set(err, "%zu action names given but the model's head has %d classes",
                             n, want);
    if (n && !actions)
        return aft_error_set(err, "the %zu action names are missing", n);
    for (size_t i = 0; i < n; i++)
        if (!actions[i] || !actions[i][0])
            return aft_error_set(err, "action %zu has no name", i);
    /* label2id needs unique names; sorted, duplicates sit side by side. */
    const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return aft_error_set(err, "out of memory");
    memcpy(sorted, actions, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            rc = aft_error_set(err, "action \"%s\" is listed twice", sorted[i]);
    free(sorted);
    return rc;
}

/* ---- saving a model ---- */

static int save_tensors(const char *path, const aft_model *m, aft_error *err)
{
    aft_st_tensor *t = calloc(m->n_params ? m->n_params : 1, sizeof *t);
    if (!t)
        return aft_error_set(err, "%s: out of memory", path);
    for (size_t i = 0; i < m->n_params; i++) {
        const aft_param *p = &m->params[i];
        t[i].name = (char *)p->name;
        t[i].dtype = AFT_DT_F32;
        t[i].ndim = p->ndim;
        t[i].shape[0] = p->shape[0];
        t[i].shape[1] = p->shape[1];
        t[i].nbytes = p->numel * sizeof(float);
        t[i].data = m->param_mem + p->offset;
    }
    /* transformers refuses safetensors files without format = pt. */
    static const char *const meta[] = {"format", "pt"};
    int rc = aft_st_write(path, t, m->n_params, meta, 1, err);
    free(t);
    return rc;
}

int aft_checkpoint_save_model(const char *dir, const aft_model *m, const aft_tokenizer *tok,
                              const char *const *actions, size_t n_actions, aft_error *err)
{
    char path[AFT_CKPT_PATH_SIZE];
    if (check_actions(actions, n_actions, m->cfg.n_actions, err) < 0) {
        aft_error_prefix(err, "%s", dir);
        return -1;
    }
    if (aft_ckpt_join(path, dir, "model.safetensors", err) < 0 || save_tensors(path, m, err) < 0)
        return -1;
    char *text = config_text(&m->cfg, actions, n_actions);
    if (!text)
        return aft_error_set(err, "%s/config.json: out of memory", dir);
    int rc = aft_ckpt_join(path, dir, "config.json", err);
    if (rc == 0)
        rc = aft_write_file_atomic(path, text, strlen(text), err);
    cJSON_free(text);
    if (rc == 0 && tok) {
        rc = aft_ckpt_join(path, dir, "tokenizer.json", err);
        if (rc == 0)
            rc = aft_tokenizer_save(tok, path, err);
    }
    return rc;
}
