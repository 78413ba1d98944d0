/* Writing an INT8 export folder: a float model without adapters, quantized,
 * saved as int8 matrices with their scales and float vectors, config.json
 * marked as INT8, tokenizer.json and the run's config, built in a folder
 * beside the target and renamed into place. */
#include "int8_internal.h"
#include "model_internal.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#define EXPORT_PATH_MAX 4096

/* A copy of m without LoRA: the adapters merged into the base weights. */
static aft_model *plain_copy(const aft_model *m, aft_error *err)
{
    aft_model_config c = m->cfg;
    aft_model *merged = NULL, *plain = NULL;
    if (!(merged = aft_model_new(&c, err)))
        return NULL;
    memcpy(merged->param_mem, m->param_mem, m->num_floats * sizeof(float));
    aft_model_merge_lora(merged);
    c.lora_rank = 0;
    c.lora_alpha = 0;
    c.freeze_layers = 0;
    if (!(plain = aft_model_new(&c, err)))
        goto done;
    for (size_t i = 0; i < plain->n_params; i++) {
        const aft_param *p = &plain->params[i];
        const aft_param *src = aft_model_find_param(merged, p->name);
        memcpy(plain->param_mem + p->offset, merged->param_mem + src->offset,
               p->numel * sizeof(float));
    }
done:
    aft_model_free(merged);
    return plain;
}

/* ---- model.safetensors ---- */

static char *tensor_name(const char *name, const char *suffix)
{
    size_t len = strlen(name) + strlen(suffix) + 1;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s%s", name, suffix);
    return s;
}

/* The tensors to write into t (room for two per parameter), *n of them;
 * each name is allocated (the caller frees them). */
static int int8_tensors(const aft_model *m, aft_st_tensor *t, size_t *n, aft_error *err)
{
    const aft_q8_weights *w = m->q8;
    *n = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        const aft_param *p = &m->params[i];
        const aft_q8_matrix *mx = &w->by_param[i];
        if (!mx->q) {
            t[(*n)++] = (aft_st_tensor){tensor_name(p->name, ""), AFT_DT_F32, p->ndim,
                                        {p->shape[0], p->shape[1]}, p->numel * sizeof(float),
                                        m->param_mem + p->offset};
        } else {
            t[(*n)++] = (aft_st_tensor){tensor_name(p->name, "_int8"), AFT_DT_I8, 2,
                                        {mx->out, mx->in}, mx->out * mx->in, mx->q};
            t[(*n)++] = (aft_st_tensor){tensor_name(p->name, "_scale"), AFT_DT_F32, 1,
                                        {mx->out}, mx->out * sizeof(float), mx->scale};
        }
        if (!t[*n - 1].name || !t[*n - (mx->q ? 2 : 1)].name)
            return aft_error_set(err, "out of memory");
    }
    return 0;
}

static int write_model(const char *path, const aft_model *m, aft_int8_export_info *info,
                       aft_error *err)
{
    size_t n = 0;
    aft_st_tensor *t = calloc(2 * m->n_params + 1, sizeof *t);
    if (!t)
        return aft_error_set(err, "%s: out of memory", path);
    static const char *const meta[] = {
        "format", "agentft-int8",
        "quantization", "int8 symmetric: NAME_int8 (out, in) output channels as rows, "
                        "NAME_scale (out); weight = scale * int8"};
    int rc = int8_tensors(m, t, &n, err);
    if (rc == 0)
        rc = aft_st_write(path, t, n, meta, 2, err);
    for (size_t i = 0; i < n; i++) {
        info->matrices += t[i].dtype == AFT_DT_I8;
        info->int8_params += t[i].dtype == AFT_DT_I8 ? t[i].nbytes : 0;
        info->float_params += t[i].dtype == AFT_DT_F32 && !strstr(t[i].name, "_scale")
                                  ? t[i].nbytes / sizeof(float)
                                  : 0;
        free(t[i].name);
    }
    free(t);
    struct stat st;
    info->float_bytes = m->num_floats * sizeof(float);
    info->file_bytes = rc == 0 && stat(path, &st) == 0 ? (size_t)st.st_size : 0;
    return rc;
}

/* ---- config.json and config.yaml ---- */

static int mark_config(const char *path, aft_error *err)
{
    char *text;
    size_t len;
    if (aft_read_file(path, &text, &len, err) < 0)
        return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "agentft");
    cJSON *q = cJSON_CreateObject();
    int ok = cJSON_IsObject(a) && q && cJSON_AddStringToObject(a, "quantization", "int8") &&
             cJSON_AddStringToObject(q, "quant_method", "agentft_int8") &&
             cJSON_AddNumberToObject(q, "bits", 8) &&
             cJSON_AddStringToObject(q, "weights", "symmetric, one scale per output channel "
                                     "(per row of the embeddings)") &&
             cJSON_AddStringToObject(q, "activations", "symmetric, one scale per row, at run time") &&
             cJSON_AddStringToObject(q, "layout", "NAME_int8 (out, in), NAME_scale (out)");
    if (ok)
        ok = cJSON_AddItemToObject(root, "quantization_config", q);
    else
        cJSON_Delete(q);
    char *out = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!out)
        return aft_error_set(err, "%s: cannot mark it as INT8 (out of memory or not agentft's)",
                             path);
    int rc = aft_write_file_atomic(path, out, strlen(out), err);
    cJSON_free(out);
    return rc;
}

static int write_run_config(const char *dir, const aft_config *cfg, aft_error *err)
{
    char path[EXPORT_PATH_MAX];
    if (!cfg)
        return 0;
    char *yaml = aft_config_render(cfg);
    if (!yaml)
        return aft_error_set(err, "out of memory rendering the run's config");
    int rc = aft_path_join(path, sizeof path, dir, "config.yaml", err);
    if (rc == 0)
        rc = aft_write_file_atomic(path, yaml, strlen(yaml), err);
    free(yaml);
    return rc;
}

/* The exported checkpoint's trainer_state.json, byte for byte. */
static int copy_state(const char *dir, const char *checkpoint_dir, aft_error *err)
{
    char src[EXPORT_PATH_MAX], dst[EXPORT_PATH_MAX];
    struct stat st;
    if (!checkpoint_dir ||
        aft_path_join(src, sizeof src, checkpoint_dir, "trainer_state.json", err) < 0)
        return checkpoint_dir ? -1 : 0;
    if (stat(src, &st) < 0)
        return 0;
    char *text;
    size_t len;
    if (aft_read_file(src, &text, &len, err) < 0)
        return -1;
    int rc = aft_path_join(dst, sizeof dst, dir, "trainer_state.json", err);
    if (rc == 0)
        rc = aft_write_file_atomic(dst, text, len, err);
    free(text);
    return rc;
}

/* ---- the folder ---- */

/* Removes a folder of plain files (an export, or our own temp folder). */
static int remove_folder(const char *dir, aft_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return aft_error_errno(err, errno, "cannot open %s", dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        char path[EXPORT_PATH_MAX];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rc = aft_path_join(path, sizeof path, dir, e->d_name, err);
        if (rc == 0 && unlink(path) < 0)
            rc = aft_error_errno(err, errno, "cannot remove %s", path);
    }
    closedir(d);
    if (rc == 0 && rmdir(dir) < 0)
        rc = aft_error_errno(err, errno, "cannot remove %s", dir);
    return rc;
}

/* Renames the finished folder tmp to out; an INT8 export already at out is
 * moved aside first and removed once the new one is in place. */
static int put_in_place(const char *tmp, const char *out, aft_error *err)
{
    struct stat st;
    if (stat(out, &st) < 0) {
        if (errno != ENOENT)
            return aft_error_errno(err, errno, "cannot use %s", out);
        if (rename(tmp, out) < 0)
            return aft_error_errno(err, errno, "cannot rename %s to %s", tmp, out);
        return aft_fsync_parent_dir(out, err);
    }
    if (!S_ISDIR(st.st_mode) || !aft_int8_is_export(out))
        return aft_error_set(err, "%s exists and is not an INT8 export; name another folder "
                             "with --out or remove it", out);
    char old[EXPORT_PATH_MAX];
    if (snprintf(old, sizeof old, "%s.old.XXXXXX", out) >= (int)sizeof old || !mkdtemp(old))
        return aft_error_errno(err, errno, "cannot make a folder beside %s", out);
    if (rename(out, old) < 0) {
        int e = errno;
        rmdir(old);
        return aft_error_errno(err, e, "cannot move the old export %s aside", out);
    }
    if (rename(tmp, out) < 0) {
        int e = errno;
        rename(old, out);
        return aft_error_errno(err, e, "cannot rename %s to %s", tmp, out);
    }
    if (aft_fsync_parent_dir(out, err) < 0)
        return -1;
    return remove_folder(old, err);
}

static int write_folder(const char *dir, const aft_model *q, const aft_tokenizer *tok,
                        const char *const *actions, size_t n_actions, const aft_config *run_cfg,
                        const char *checkpoint_dir, aft_int8_export_info *info, aft_error *err)
{
    char path[EXPORT_PATH_MAX];
    /* config.json and tokenizer.json as a checkpoint has them; the float
     * model.safetensors it writes is then replaced by the INT8 one. */
    if (aft_checkpoint_save_model(dir, q, tok, actions, n_actions, err) < 0 ||
        aft_path_join(path, sizeof path, dir, "model.safetensors", err) < 0 ||
        write_model(path, q, info, err) < 0 ||
        aft_path_join(path, sizeof path, dir, "config.json", err) < 0 ||
        mark_config(path, err) < 0 || write_run_config(dir, run_cfg, err) < 0 ||
        copy_state(dir, checkpoint_dir, err) < 0)
        return -1;
    return 0;
}

int aft_int8_export(const char *out_dir, const aft_model *m, const aft_tokenizer *tok,
                    const char *const *actions, size_t n_actions, const aft_config *run_cfg,
                    const char *checkpoint_dir, aft_int8_export_info *info, aft_error *err)
{
    aft_int8_export_info unused;
    if (!info)
        info = &unused;
    memset(info, 0, sizeof *info);
    if (m->q8)
        return aft_error_set(err, "the model is INT8 already; export the float checkpoint");
    char tmp[EXPORT_PATH_MAX];
    size_t len = strlen(out_dir);
    while (len > 1 && out_dir[len - 1] == '/')
        len--;
    if (snprintf(tmp, sizeof tmp, "%.*s.tmp.XXXXXX", (int)len, out_dir) >= (int)sizeof tmp)
        return aft_error_set(err, "%s: path too long", out_dir);
    aft_model *q = plain_copy(m, err);
    if (!q || aft_model_quantize_int8(q, err) < 0) {
        aft_model_free(q);
        return -1;
    }
    int rc = -1;
    if (!mkdtemp(tmp)) {
        aft_error_errno(err, errno, "cannot create a folder beside %.*s", (int)len, out_dir);
    } else if (chmod(tmp, 0755) < 0) {
        aft_error_errno(err, errno, "cannot set the mode of %s", tmp);
        remove_folder(tmp, NULL);
    } else if (write_folder(tmp, q, tok, actions, n_actions, run_cfg, checkpoint_dir, info, err) < 0 ||
               put_in_place(tmp, out_dir, err) < 0) {
        remove_folder(tmp, NULL);
    } else {
        rc = 0;
    }
    aft_model_free(q);
    return rc;
}
