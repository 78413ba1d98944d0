/* optimizer.safetensors: the optimizer's moment buffers under PyTorch's
 * state names, and the step count, so a resumed run continues exactly. */
#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_SIZE 4096

static int join(char *buf, const char *dir, const char *name, aft_error *err)
{
    return aft_path_join(buf, PATH_SIZE, dir, name, err);
}

/* One name a state buffer tensor: "exp_avg." and "exp_avg_sq." (AdamW) or
 * "momentum_buffer." (SGD) before the parameter's name, as in PyTorch's
 * optimizer state_dict. */
typedef struct state_tensor {
    char name[96];
    const aft_param *param;
    size_t offset;             /* into the optimizer's state buffer */
} state_tensor;

/* The state tensors in the layout optim.h documents: trainable tensors in
 * table order, each moment buffer after the other. Checks the optimizer was
 * made for this model's table. */
static state_tensor *state_layout(const aft_model *m, aft_optim *o, size_t *count, float **state,
                                  aft_error *err)
{
    int adam = aft_optim_get_config(o)->kind == AFT_OPT_ADAMW;
    size_t np;
    const aft_param *params = aft_model_param_list(m, &np);
    size_t nf, ntr = aft_model_num_trainable(m), nbuf = adam ? 2 : 1, n = 0;
    *state = aft_optim_state(o, &nf);
    if (nf != nbuf * ntr) {
        aft_error_set(err, "the optimizer holds %zu floats of state but the model has %zu "
                      "trainable weights (made for another model?)", nf, ntr);
        return NULL;
    }
    state_tensor *s = calloc(nbuf * np + 1, sizeof *s);
    if (!s) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    static const char *const prefix[2][2] = {{"momentum_buffer", ""}, {"exp_avg", "exp_avg_sq"}};
    for (size_t b = 0; b < nbuf; b++) {
        size_t off = b * ntr;
        for (size_t i = 0; i < np; i++) {
            if (!params[i].trainable)
                continue;
            snprintf(s[n].name, sizeof s[n].name, "%s.%s", prefix[adam][b], params[i].name);
            s[n].param = &params[i];
            s[n++].offset = off;
            off += params[i].numel;
        }
    }
    *count = n;
    return s;
}

int aft_checkpoint_save_optim(const char *dir, const aft_model *m, aft_optim *o, aft_error *err)
{
    char path[PATH_SIZE], step[32];
    size_t n;
    float *state;
    if (join(path, dir, "optimizer.safetensors", err) < 0)
        return -1;
    state_tensor *s = state_layout(m, o, &n, &state, err);
    aft_st_tensor *t = s ? calloc(n + 1, sizeof *t) : NULL;
    if (!t) {
        free(s);
        return s ? aft_error_set(err, "%s: out of memory", path) : -1;
    }
    for (size_t i = 0; i < n; i++) {
        t[i] = (aft_st_tensor){.name = s[i].name, .dtype = AFT_DT_F32, .ndim = s[i].param->ndim,
                               .shape = {s[i].param->shape[0], s[i].param->shape[1]},
                               .nbytes = s[i].param->numel * sizeof(float),
                               .data = state + s[i].offset};
    }
    snprintf(step, sizeof step, "%llu", (unsigned long long)aft_optim_steps(o));
    const char *meta[] = {"step", step, "optimizer",
                          aft_optim_get_config(o)->kind == AFT_OPT_ADAMW ? "adamw" : "sgd"};
    int rc = aft_st_write(path, t, n, meta, 2, err);
    free(t);
    free(s);
    return rc;
}

/* The "optimizer" and "step" metadata, checked against this optimizer. */
static int read_meta(const char *path, const aft_st_file *f, aft_optim *o, uint64_t *step,
                     aft_error *err)
{
    const char *want = aft_optim_get_config(o)->kind == AFT_OPT_ADAMW ? "adamw" : "sgd";
    cJSON *meta = f->metadata_json ? cJSON_Parse(f->metadata_json) : NULL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(meta, "optimizer");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(meta, "step");
    int rc = 0;
    if (!cJSON_IsString(kind) || !cJSON_IsString(st))
        rc = aft_error_set(err, "%s: metadata lacks \"optimizer\" and \"step\"", path);
    else if (strcmp(kind->valuestring, want) != 0)
        rc = aft_error_set(err, "%s: holds %.16s state but the optimizer is %s", path,
                           kind->valuestring, want);
    if (rc == 0) {
        char *end;
        const char *s = st->valuestring;
        unsigned long long v = strtoull(s, &end, 10);
        if (s[0] < '0' || s[0] > '9' || *end || v == ULLONG_MAX)
            rc = aft_error_set(err, "%s: metadata step \"%.32s\" is not a count", path, s);
        *step = v;
    }
    cJSON_Delete(meta);
    return rc;
}

static int check_state_tensor(const char *path, const state_tensor *s, const aft_st_tensor *t,
                              aft_error *err)
{
    if (!t)
        return aft_error_set(err, "%s: has no tensor \"%s\"", path, s->name);
    const aft_param *p = s->param;
    if (t->dtype != AFT_DT_F32 || t->ndim != p->ndim || t->shape[0] != p->shape[0] ||
        (p->ndim == 2 && t->shape[1] != p->shape[1]))
        return aft_error_set(err, "%s: tensor \"%s\" is not F32 of the parameter's shape", path,
                             s->name);
    return 0;
}

/* Validates everything before touching the optimizer, so a bad file leaves
 * its state as it was. */
int aft_checkpoint_load_optim(const char *dir, const aft_model *m, aft_optim *o, aft_error *err)
{
    char path[PATH_SIZE];
    size_t n;
    float *state;
    uint64_t step = 0;
    if (join(path, dir, "optimizer.safetensors", err) < 0)
        return -1;
    state_tensor *s = state_layout(m, o, &n, &state, err);
    aft_st_file *f = s ? aft_st_read(path, err) : NULL;
    int rc = f ? read_meta(path, f, o, &step, err) : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = check_state_tensor(path, &s[i], aft_st_find(f, s[i].name), err);
    for (size_t i = 0; rc == 0 && f->count != n && i < f->count; i++) {
        size_t j = 0;
        while (j < n && strcmp(s[j].name, f->tensors[i].name) != 0)
            j++;
        if (j == n)
            rc = aft_error_set(err, "%s: tensor \"%s\" matches no trainable parameter of the "
                               "model", path, f->tensors[i].name);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        memcpy(state + s[i].offset, aft_st_find(f, s[i].name)->data, s[i].param->numel * sizeof(float));
    if (rc == 0)
        aft_optim_set_steps(o, step);
    aft_st_free(f);
    free(s);
    return rc;
}
