/* Loading a model from a folder's model.safetensors (agentft's or Hugging
 * Face's, F32, F16 or BF16) into a model built from its config.json. */
#include "model_internal.h"
#include "int8_internal.h"
#include "checkpoint_internal.h"

#include "agentft/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this reader copies it as is"
#endif

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
    char path[AFT_CKPT_PATH_SIZE];
    if (aft_int8_is_export(dir)) {
        aft_error_set(err, "%s: an INT8 export, for inference only (agentft eval reads it); "
                      "training and float use need the float checkpoint", dir);
        return NULL;
    }
    if (aft_checkpoint_read_config(dir, overrides, n_actions, &c, err) < 0 ||
        aft_ckpt_join(path, dir, "model.safetensors", err) < 0)
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
