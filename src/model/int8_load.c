/* Reading an INT8 export folder: config.json (marked INT8), then every
 * parameter from model.safetensors, int8 matrices with their scales and
 * float vectors, each checked before the model uses it. */
#include "int8_internal.h"
#include "model_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#define LOAD_PATH_MAX 4096

int aft_int8_is_export(const char *dir)
{
    char path[LOAD_PATH_MAX], *text;
    size_t len;
    if (aft_path_join(path, sizeof path, dir, "config.json", NULL) < 0 ||
        aft_read_file(path, &text, &len, NULL) < 0)
        return 0;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "agentft");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(a, "quantization");
    int yes = cJSON_IsString(q) && strcmp(q->valuestring, "int8") == 0;
    cJSON_Delete(root);
    return yes;
}

typedef struct q8_loader {
    const char *path;            /* model.safetensors, for messages */
    const aft_st_file *f;
    unsigned char *used;         /* per tensor of f */
    aft_model *m;
    aft_q8_weights *w;
} q8_loader;

/* Tensor NAME+suffix of the file with this dtype and shape, or an error. */
static const aft_st_tensor *take(q8_loader *L, const char *name, const char *suffix,
                                 aft_dtype dtype, int ndim, size_t d0, size_t d1, aft_error *err)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", name, suffix);
    const aft_st_tensor *t = aft_st_find(L->f, full);
    if (!t) {
        aft_error_set(err, "%s: has no tensor \"%s\"", L->path, full);
        return NULL;
    }
    static const char *const dt[] = {"F32", "F16", "BF16", "I8", "I32", "I64"};
    if (t->dtype != dtype) {
        aft_error_set(err, "%s: tensor \"%s\" is %s but an INT8 export stores it as %s",
                      L->path, full, dt[t->dtype], dt[dtype]);
        return NULL;
    }
    if (t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1)) {
        if (ndim == 2)
            aft_error_set(err, "%s: tensor \"%s\" must have shape [%zu, %zu]", L->path, full, d0, d1);
        else
            aft_error_set(err, "%s: tensor \"%s\" must have shape [%zu]", L->path, full, d0);
        return NULL;
    }
    L->used[t - L->f->tensors] = 1;
    return t;
}

/* A quantized parameter: NAME_int8 (out, in) and NAME_scale (out). */
static int load_matrix(q8_loader *L, size_t i, int conv1d, aft_error *err)
{
    const aft_param *p = &L->m->params[i];
    aft_q8_matrix *mx = &L->w->by_param[i];
    size_t out = conv1d ? p->shape[1] : p->shape[0], in = conv1d ? p->shape[0] : p->shape[1];
    const aft_st_tensor *q = take(L, p->name, "_int8", AFT_DT_I8, 2, out, in, err);
    const aft_st_tensor *s = q ? take(L, p->name, "_scale", AFT_DT_F32, 1, out, 0, err) : NULL;
    if (!s)
        return -1;
    if (aft_q8_matrix_alloc(mx, out, in) < 0)
        return aft_error_set(err, "%s: out of memory for \"%s\"", L->path, p->name);
    memcpy(mx->q, q->data, out * in);
    memcpy(mx->scale, s->data, out * sizeof(float));
    for (size_t k = 0; k < out * in; k++)
        if (mx->q[k] < -AFT_Q8_MAX)
            return aft_error_set(err, "%s: tensor \"%s_int8\" holds -128 at index %zu (INT8 "
                                 "exports use -127..127)", L->path, p->name, k);
    for (size_t o = 0; o < out; o++)
        if (!isfinite(mx->scale[o]) || mx->scale[o] < 0)
            return aft_error_set(err, "%s: tensor \"%s_scale\" has %g at index %zu (scales are "
                                 "finite and >= 0)", L->path, p->name, (double)mx->scale[o], o);
    /* The float view of the model: its dequantized weights. */
    float *data = L->m->param_mem + p->offset;
    for (size_t o = 0; o < out; o++)
        for (size_t k = 0; k < in; k++)
            data[conv1d ? k * out + o : o * in + k] = mx->scale[o] * (float)mx->q[o * in + k];
    return 0;
}

static int load_vector(q8_loader *L, size_t i, aft_error *err)
{
    const aft_param *p = &L->m->params[i];
    const aft_st_tensor *t = take(L, p->name, "", AFT_DT_F32, p->ndim, p->shape[0], p->shape[1], err);
    if (!t)
        return -1;
    float *data = L->m->param_mem + p->offset;
    memcpy(data, t->data, p->numel * sizeof(float));
    for (size_t k = 0; k < p->numel; k++)
        if (!isfinite(data[k]))
            return aft_error_set(err, "%s: tensor \"%s\" has a non-finite value at index %zu",
                                 L->path, p->name, k);
    return 0;
}

static int load_all(q8_loader *L, aft_error *err)
{
    for (size_t i = 0; i < L->m->n_params; i++) {
        int conv1d;
        int rc = aft_q8_param_quantized(L->m, &L->m->params[i], &conv1d)
                     ? load_matrix(L, i, conv1d, err)
                     : load_vector(L, i, err);
        if (rc < 0)
            return -1;
    }
    for (size_t t = 0; t < L->f->count; t++)
        if (!L->used[t])
            return aft_error_set(err, "%s: unexpected tensor \"%s\" (an INT8 export of this "
                                 "config has no such tensor)", L->path, L->f->tensors[t].name);
    return 0;
}

/* The file must hold at least a byte a weight before the model is
 * allocated: a bad config.json must not ask for terabytes. */
static int check_size(const char *path, const aft_model_config *c, size_t size, aft_error *err)
{
    double C = c->d_model, weights = (double)c->vocab_size * C + (double)c->max_seq * C +
                                     (double)c->n_layer * 12.0 * C * C;
    if (weights > (double)size)
        return aft_error_set(err, "%s: config.json describes %.0f weights but the file has only "
                             "%zu bytes", path, weights, size);
    return 0;
}

aft_model *aft_int8_load(const char *dir, int n_actions, aft_error *err)
{
    char path[LOAD_PATH_MAX];
    aft_model_config c;
    if (!aft_int8_is_export(dir)) {
        aft_error_set(err, "%s: not an INT8 export (config.json lacks agentft.quantization = "
                      "\"int8\")", dir);
        return NULL;
    }
    if (aft_checkpoint_read_config(dir, NULL, n_actions, &c, err) < 0 ||
        aft_path_join(path, sizeof path, dir, "model.safetensors", err) < 0)
        return NULL;
    if (c.lora_rank) {
        aft_error_set(err, "%s/config.json: an INT8 export has no LoRA adapters (lora_rank = %d)",
                      dir, c.lora_rank);
        return NULL;
    }
    q8_loader L = {path, NULL, NULL, NULL, NULL};
    aft_st_file *f = aft_st_read(path, err);
    L.f = f;
    if (!f || check_size(path, &c, f->size, err) < 0 || !(L.m = aft_model_new(&c, err)))
        goto fail;
    L.used = calloc(f->count ? f->count : 1, 1);
    L.w = aft_q8_weights_new(L.m);
    if (!L.used || !L.w) {
        aft_error_set(err, "%s: out of memory", path);
        goto fail;
    }
    if (load_all(&L, err) < 0)
        goto fail;
    if (aft_q8_weights_finish(L.w, L.m) < 0) {
        aft_error_set(err, "%s: out of memory for the INT8 scratch and packed weights", path);
        goto fail;
    }
    L.m->q8 = L.w;
    free(L.used);
    aft_st_free(f);
    return L.m;
fail:
    aft_q8_weights_free(L.w);
    aft_model_free(L.m);
    free(L.used);
    aft_st_free(f);
    return NULL;
}
