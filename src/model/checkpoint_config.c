/* Reading a model folder's config.json, from agentft or Hugging Face: the
 * model config it describes and the action names of its head. */
#include "checkpoint_internal.h"
#include "int8_internal.h"

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading config.json ---- */

static cJSON *read_json(const char *path, aft_error *err)
{
    char *text;
    size_t len;
    if (aft_read_file(path, &text, &len, err) < 0)
        return NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        aft_error_set(err, "%s: not a JSON object", path);
        return NULL;
    }
    return root;
}

/* An integer field in lo..hi; absent (or null) leaves *out alone unless required. */
static int get_int(const char *path, const cJSON *obj, const char *key, int lo, int hi,
                   int required, int *out, aft_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!j || cJSON_IsNull(j))
        return required ? aft_error_set(err, "%s: \"%s\" is missing", path, key) : 0;
    double d = cJSON_IsNumber(j) ? j->valuedouble : NAN;
    if (!(d >= lo && d <= hi) || d != floor(d))
        return aft_error_set(err, "%s: \"%s\" must be an integer in %d..%d", path, key, lo, hi);
    *out = (int)d;
    return 0;
}

static int get_float(const char *path, const cJSON *obj, const char *key, double lo, double hi,
                     float *out, aft_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!j || cJSON_IsNull(j))
        return 0;
    double d = cJSON_IsNumber(j) ? j->valuedouble : NAN;
    if (!(d >= lo && d <= hi))
        return aft_error_set(err, "%s: \"%s\" must be a number in %g..%g", path, key, lo, hi);
    *out = (float)d;
    return 0;
}

/* Settings that would make our forward compute another function than the
 * checkpoint's: refuse them rather than load a model that silently differs. */
static int check_variant(const char *path, const cJSON *root, int d_model, aft_error *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "gpt2") != 0))
        return aft_error_set(err, "%s: model_type must be \"gpt2\" (agentft runs GPT-2 models)", path);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "activation_function");
    if (act && (!cJSON_IsString(act) || (strcmp(act->valuestring, "gelu_new") != 0 &&
                                         strcmp(act->valuestring, "gelu_pytorch_tanh") != 0)))
        return aft_error_set(err, "%s: activation_function must be \"gelu_new\" (tanh GELU)", path);
    float eps = 1e-5f;
    int inner = 4 * d_model;
    if (get_float(path, root, "layer_norm_epsilon", 0, 1, &eps, err) < 0 ||
        get_int(path, root, "n_inner", 1, INT_MAX, 0, &inner, err) < 0)
        return -1;
    if (fabsf(eps - 1e-5f) > 1e-9f)
        return aft_error_set(err, "%s: layer_norm_epsilon must be 1e-05", path);
    if (inner != 4 * d_model)
        return aft_error_set(err, "%s: n_inner must be 4 * n_embd = %d", path, 4 * d_model);
    return 0;
}

static int read_agentft(const char *path, const cJSON *a, aft_model_config *c, aft_error *err)
{
    if (!a)
        return 0;
    if (!cJSON_IsObject(a))
        return aft_error_set(err, "%s: \"agentft\" is not an object", path);
    int version = AFT_CKPT_FORMAT_VERSION;
    if (get_int(path, a, "format_version", 1, INT_MAX, 0, &version, err) < 0)
        return -1;
    if (version > AFT_CKPT_FORMAT_VERSION)
        return aft_error_set(err, "%s: written by a newer agentft (format %d; this one reads %d)",
                             path, version, AFT_CKPT_FORMAT_VERSION);
    if (get_int(path, a, "lora_rank", 0, 65536, 0, &c->lora_rank, err) < 0 ||
        get_float(path, a, "lora_alpha", 0, 1e6, &c->lora_alpha, err) < 0 ||
        get_int(path, a, "freeze_layers", 0, 256, 0, &c->freeze_layers, err) < 0)
        return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "value_head");
    if (v && !cJSON_IsBool(v))
        return aft_error_set(err, "%s: agentft.value_head must be true or false", path);
    c->value_head = cJSON_IsTrue(v);
    return 0;
}

/* The architecture comes from the folder; LoRA, freezing and dropout from the
 * overrides when given (they are choices of the run, not of the weights). A
 * value head comes from either: a run may add one (PPO from a supervised
 * checkpoint), and a folder's own is kept so that its tensors load. */
static int read_config(const char *dir, const aft_model_config *ov, int n_actions,
                       aft_model_config *c, aft_error *err)
{
    char path[AFT_CKPT_PATH_SIZE];
    if (aft_ckpt_join(path, dir, "config.json", err) < 0)
        return -1;
    cJSON *root = read_json(path, err);
    if (!root)
        return -1;
    memset(c, 0, sizeof *c);
    c->dropout = c->attn_dropout = 0.1f; /* GPT2Config's defaults */
    c->max_seq = -1;
    int rc = get_int(path, root, "n_layer", 1, 256, 1, &c->n_layer, err);
    if (rc == 0) rc = get_int(path, root, "n_head", 1, 65536, 1, &c->n_head, err);
    if (rc == 0) rc = get_int(path, root, "n_embd", 1, 65536, 1, &c->d_model, err);
    if (rc == 0) rc = get_int(path, root, "vocab_size", 1, 1 << 22, 1, &c->vocab_size, err);
    if (rc == 0) rc = get_int(path, root, "n_ctx", 1, 65536, 0, &c->max_seq, err);
    if (rc == 0) rc = get_int(path, root, "n_positions", 1, 65536, c->max_seq < 0, &c->max_seq, err);
    if (rc == 0) rc = get_float(path, root, "resid_pdrop", 0, 0.999, &c->dropout, err);
    if (rc == 0) rc = get_float(path, root, "attn_pdrop", 0, 0.999, &c->attn_dropout, err);
    if (rc == 0 && c->d_model % c->n_head != 0)
        rc = aft_error_set(err, "%s: n_embd = %d is not a multiple of n_head = %d", path,
                           c->d_model, c->n_head);
    if (rc == 0) rc = check_variant(path, root, c->d_model, err);
    if (rc == 0) rc = read_agentft(path, cJSON_GetObjectItemCaseSensitive(root, "agentft"), c, err);
    cJSON_Delete(root);
    if (rc < 0)
        return -1;
    if (ov) {
        c->lora_rank = ov->lora_rank;
        c->lora_alpha = ov->lora_alpha;
        c->freeze_layers = ov->freeze_layers;
        c->dropout = ov->dropout;
        c->attn_dropout = ov->attn_dropout;
        c->value_head = c->value_head || ov->value_head;
    }
    c->n_actions = n_actions;
    if (aft_model_config_check(c, err) < 0) {
        aft_error_prefix(err, "%s", path);
        return -1;
    }
    return 0;
}

int aft_checkpoint_read_config(const char *dir, const aft_model_config *ov, int n_actions,
                               aft_model_config *c, aft_error *err)
{
    return read_config(dir, ov, n_actions, c, err);
}

/* ---- action names ---- */

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* The names from agentft's "actions" list, or else from HF's id2label
 * ("0": name, ...), in id order. */
static int collect_names(const char *path, const cJSON *root, char **out, size_t n,
                         const cJSON *list, aft_error *err)
{
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(root, "id2label");
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%zu", i);
        const cJSON *s = list ? cJSON_GetArrayItem(list, (int)i)
                              : cJSON_GetObjectItemCaseSensitive(id2label, key);
        if (!cJSON_IsString(s))
            return aft_error_set(err, "%s: action %zu has no name (a string) in %s", path, i,
                                 list ? "agentft.actions" : "id2label");
        out[i] = strdup(s->valuestring);
        if (!out[i])
            return aft_error_set(err, "%s: out of memory", path);
    }
    return 0;
}

int aft_checkpoint_actions(const char *dir, char ***actions, size_t *n_actions, aft_error *err)
{
    char path[AFT_CKPT_PATH_SIZE];
    *actions = NULL;
    *n_actions = 0;
    if (aft_ckpt_join(path, dir, "config.json", err) < 0)
        return -1;
    cJSON *root = read_json(path, err);
    if (!root)
        return -1;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "agentft");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(a, "actions");
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(root, "id2label");
    int rc = 0;
    size_t n = 0;
    if (list && !cJSON_IsArray(list))
        rc = aft_error_set(err, "%s: agentft.actions is not a list", path);
    else if (list)
        n = (size_t)cJSON_GetArraySize(list);
    else if (cJSON_IsObject(id2label))
        n = (size_t)cJSON_GetArraySize(id2label);
    char **names = n ? calloc(n, sizeof *names) : NULL;
    if (rc == 0 && n && !names)
        rc = aft_error_set(err, "%s: out of memory", path);
    if (rc == 0 && n)
        rc = collect_names(path, root, names, n, list, err);
    cJSON_Delete(root);
    if (rc < 0) {
        free_names(names, n);
        return -1;
    }
    *actions = names;
    *n_actions = n;
    return 0;
}
