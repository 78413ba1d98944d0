/* Model folders: model.safetensors and config.json in Hugging Face GPT-2 form
 * (plus tokenizer.json), read back from agentft or Hugging Face, and the
 * optimizer's moment buffers in optimizer.safetensors. */
#include "model_internal.h"
#include "int8_internal.h"

#include "agentft/numeric.h"
#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this reader copies it as is"
#endif

#define FORMAT_VERSION 1
#define PATH_SIZE 4096

static int join(char *buf, const char *dir, const char *name, aft_error *err)
{
    return aft_path_join(buf, PATH_SIZE, dir, name, err);
}

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
    if (!a || !cJSON_AddNumberToObject(a, "format_version", FORMAT_VERSION) ||
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
    char path[PATH_SIZE];
    if (check_actions(actions, n_actions, m->cfg.n_actions, err) < 0) {
        aft_error_prefix(err, "%s", dir);
        return -1;
    }
    if (join(path, dir, "model.safetensors", err) < 0 || save_tensors(path, m, err) < 0)
        return -1;
    char *text = config_text(&m->cfg, actions, n_actions);
    if (!text)
        return aft_error_set(err, "%s/config.json: out of memory", dir);
    int rc = join(path, dir, "config.json", err);
    if (rc == 0)
        rc = aft_write_file_atomic(path, text, strlen(text), err);
    cJSON_free(text);
    if (rc == 0 && tok) {
        rc = join(path, dir, "tokenizer.json", err);
        if (rc == 0)
            rc = aft_tokenizer_save(tok, path, err);
    }
    return rc;
}

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
    int version = FORMAT_VERSION;
    if (get_int(path, a, "format_version", 1, INT_MAX, 0, &version, err) < 0)
        return -1;
    if (version > FORMAT_VERSION)
        return aft_error_set(err, "%s: written by a newer agentft (format %d; this one reads %d)",
                             path, version, FORMAT_VERSION);
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
    char path[PATH_SIZE];
    if (join(path, dir, "config.json", err) < 0)
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

/* ---- reading model.safetensors ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* GPT2Model saves names without "transformer."; GPT2LMHeadModel and
 * GPT2ForSequenceClassification with it. Our table uses the prefixed form
 * (the heads, score.* and PPO's value.*, sit outside the transformer). */
static int canonical(const char *name, char *buf, size_t size)
{
    int n = strncmp(name, "transformer.", 12) == 0 || strncmp(name, "score.", 6) == 0 ||
                    strncmp(name, "lm_head.", 8) == 0 || strncmp(name, "value.", 6) == 0
                ? snprintf(buf, size, "%s", name)
                : snprintf(buf, size, "transformer.%s", name);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* lm_head.weight is GPT-2's tied copy of wte, so it carries nothing new;
 * h.N.attn.bias (the causal mask) and masked_bias are buffers, not weights. */
static int is_skipped(const char *canon)
{
    if (strcmp(canon, "lm_head.weight") == 0)
        return 1;
    return strncmp(canon, "transformer.h.", 14) == 0 &&
           (ends_with(canon, ".attn.bias") || ends_with(canon, ".attn.masked_bias"));
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0 && mant != 0) {
        float f = ldexpf((float)mant, -24); /* subnormal: exact in float */
        return sign ? -f : f;
    }
    if (exp == 0x1f)
        bits = sign | 0x7f800000u | mant << 13;
    else if (exp == 0)
        bits = sign;
    else
        bits = sign | (exp + 112) << 23 | mant << 13;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Converts to float32. The source may be unaligned (the header length need
 * not be a multiple of 8 in files from elsewhere), so it is read bytewise. */
static int copy_tensor(float *dst, const aft_st_tensor *t, size_t n)
{
    const unsigned char *b = t->data;
    switch (t->dtype) {
    case AFT_DT_F32:
        memcpy(dst, b, n * sizeof *dst);
        return 0;
    case AFT_DT_F16:
        for (size_t k = 0; k < n; k++)
            dst[k] = half_to_float((uint16_t)(b[2 * k] | b[2 * k + 1] << 8));
        return 0;
    case AFT_DT_BF16:
        for (size_t k = 0; k < n; k++) {
            uint32_t bits = (uint32_t)(b[2 * k] | b[2 * k + 1] << 8) << 16;
            memcpy(&dst[k], &bits, sizeof bits);
        }
        return 0;
    default:
        return -1;
    }
}

static void shape_str(char *buf, size_t size, int ndim, const size_t *shape)
{
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, d ? ", %zu" : "%zu", shape[d]);
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

typedef struct loader {
    const char *path;          /* model.safetensors, for messages */
    aft_model *m;
    unsigned char *loaded;     /* per parameter */
    int head_mismatch;         /* the file's head has another number of actions */
} loader;

static int unknown_tensor(const loader *L, const char *name, aft_error *err)
{
    if (strstr(name, "lora_A") || strstr(name, "lora_B"))
        return aft_error_set(err, "%s: has LoRA adapter \"%s\" but the model is built without "
                             "LoRA (set lora_rank to the checkpoint's, or merge the adapters)",
                             L->path, name);
    return aft_error_set(err, "%s: unexpected tensor \"%s\" (a GPT-2 model of this config has "
                         "no such parameter)", L->path, name);
}

static int load_one(loader *L, const aft_st_tensor *t, aft_error *err)
{
    char canon[128];
    int named = canonical(t->name, canon, sizeof canon) == 0;
    if (named && is_skipped(canon))
        return 0;
    const aft_param *p = named ? aft_model_find_param(L->m, canon) : NULL;
    if (!p) {
        if (named && strncmp(canon, "score.", 6) == 0 && L->m->cfg.n_actions == 0)
            return 0; /* a head we were asked not to have */
        if (named && strncmp(canon, "value.", 6) == 0 && !L->m->cfg.value_head)
            return 0;
        return unknown_tensor(L, t->name, err);
    }
    size_t i = (size_t)(p - L->m->params);
    if (L->loaded[i])
        return aft_error_set(err, "%s: tensor \"%s\" appears twice (with and without the "
                             "\"transformer.\" prefix)", L->path, p->name);
    if (t->ndim != p->ndim || t->shape[0] != p->shape[0] || (p->ndim == 2 && t->shape[1] != p->shape[1])) {
        if (p->kind == AFT_PARAM_HEAD) {
            L->head_mismatch = 1;
            return 0;
        }
        char have[160], want[64];
        shape_str(have, sizeof have, t->ndim, t->shape);
        shape_str(want, sizeof want, p->ndim, p->shape);
        return aft_error_set(err, "%s: tensor \"%s\" has shape %s but the model needs %s",
                             L->path, t->name, have, want);
    }
    if (copy_tensor(L->m->param_mem + p->offset, t, p->numel) < 0)
        return aft_error_set(err, "%s: tensor \"%s\" is not floating point (F32, F16 or BF16)",
                             L->path, t->name);
    L->loaded[i] = 1;
    return 0;
}

/* Fresh adapters as model.c makes them: A ~ N(0, 1/fan_in), B = 0, so the
 * loaded model computes exactly what the checkpoint did. */
static void init_lora(aft_model *m, uint64_t seed)
{
    aft_rng rng;
    aft_rng_seed(&rng, seed ^ 0x10a410a4ull);
    for (size_t i = 0; i < m->n_params; i++) {
        const aft_param *p = &m->params[i];
        float *x = m->param_mem + p->offset;
        if (p->kind != AFT_PARAM_LORA)
            continue;
        float std = 1.0f / sqrtf((float)p->shape[1]);
        for (size_t k = 0; k < p->numel; k++)
            x[k] = strstr(p->name, "lora_B") ? 0.0f : (float)(aft_rng_normal(&rng) * std);
    }
}

/* Every base tensor must have come from the file; adapters all or none. */
static int check_complete(const loader *L, aft_error *err)
{
    const aft_model *m = L->m;
    int lora_any = 0;
    for (size_t i = 0; i < m->n_params; i++)
        lora_any |= L->loaded[i] && m->params[i].kind == AFT_PARAM_LORA;
    size_t missing = 0;
    const char *first = NULL;
    for (size_t i = 0; i < m->n_params; i++) {
        aft_param_kind k = m->params[i].kind;
        if (!L->loaded[i] && (k == AFT_PARAM_BASE || (k == AFT_PARAM_LORA && lora_any)) && !missing++)
            first = m->params[i].name;
    }
    if (missing > 1)
        return aft_error_set(err, "%s: has no tensor \"%s\" (and %zu more are missing)", L->path,
                             first, missing - 1);
    if (missing)
        return aft_error_set(err, "%s: has no tensor \"%s\"", L->path, first);
    return lora_any;
}

/* The head: loaded when the file's score.weight fits; HF's classification
 * head has no bias, which is the same as a zero one. */
static int finish_head(const loader *L, uint64_t seed)
{
    aft_model *m = L->m;
    const aft_param *w = aft_model_find_param(m, "score.weight");
    const aft_param *b = aft_model_find_param(m, "score.bias");
    if (!w || !b)
        return 1;
    if (L->loaded[w - m->params] && !L->head_mismatch) {
        if (!L->loaded[b - m->params])
            memset(m->param_mem + b->offset, 0, b->numel * sizeof(float));
        return 1;
    }
    aft_model_init_head(m, seed);
    return 0;
}

/* Refuses a config whose model could not fit in the file even at 2 bytes a
 * weight, before allocating it: a bad config.json must not ask for terabytes. */
static int check_size(const char *path, const aft_model_config *c, size_t file_size, aft_error *err)
{
    double C = c->d_model, base = (double)c->vocab_size * C + (double)c->max_seq * C +
                                  (double)c->n_layer * (12.0 * C * C + 13.0 * C) + 2.0 * C;
    if (base * 2.0 > (double)file_size)
        return aft_error_set(err, "%s: config.json describes %.0f weights but the file has only "
                             "%zu bytes", path, base, file_size);
    return 0;
}

static int load_tensors(loader *L, const aft_st_file *f, uint64_t seed, int *head_loaded,
                        aft_error *err)
{
    for (size_t i = 0; i < f->count; i++)
        if (load_one(L, &f->tensors[i], err) < 0)
            return -1;
    int lora_loaded = check_complete(L, err);
    if (lora_loaded < 0)
        return -1;
    if (!lora_loaded)
        init_lora(L->m, seed);
    int h = finish_head(L, seed);
    if (head_loaded)
        *head_loaded = h;
    /* The dropout stream, seeded as aft_model_init_random seeds it. */
    aft_rng_seed(&L->m->rng, seed ^ 0x5eed5eed5eedull);
    return 0;
}

aft_model *aft_checkpoint_load_model(const char *dir, int n_actions,
                                     const aft_model_config *overrides, uint64_t seed,
                                     int *head_loaded, aft_error *err)
{
    aft_model_config c;
    char path[PATH_SIZE];
    if (aft_int8_is_export(dir)) {
        aft_error_set(err, "%s: an INT8 export, for inference only (agentft eval reads it); "
                      "training and float use need the float checkpoint", dir);
        return NULL;
    }
    if (read_config(dir, overrides, n_actions, &c, err) < 0 ||
        join(path, dir, "model.safetensors", err) < 0)
        return NULL;
    aft_st_file *f = aft_st_read(path, err);
    if (!f || check_size(path, &c, f->size, err) < 0) {
        aft_st_free(f);
        return NULL;
    }
    loader L = {path, aft_model_new(&c, err), NULL, 0};
    if (L.m) {
        L.loaded = calloc(L.m->n_params, 1);
        if (!L.loaded)
            aft_error_set(err, "%s: out of memory", path);
    }
    if (!L.loaded || load_tensors(&L, f, seed, head_loaded, err) < 0) {
        aft_model_free(L.m);
        L.m = NULL;
    }
    free(L.loaded);
    aft_st_free(f);
    return L.m;
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
    char path[PATH_SIZE];
    *actions = NULL;
    *n_actions = 0;
    if (join(path, dir, "config.json", err) < 0)
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
