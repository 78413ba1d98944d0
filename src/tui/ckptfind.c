/* Finding a run's checkpoint and stamping it (see ckptfind.h). */
#include "ckptfind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "agentft/fileio.h"
#include "agentft/predictor.h"

static int model_stat(const char *run_dir, const char *name, struct stat *st)
{
    char path[4400];
    return snprintf(path, sizeof path, "%s/checkpoints/%s/model.safetensors", run_dir, name) <
               (int)sizeof path && stat(path, st) == 0 ? 0 : -1;
}

/* The step in the checkpoint's trainer_state.json, or 0. */
static uint64_t state_step(const char *run_dir, const char *name)
{
    char path[4400], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/checkpoints/%s/trainer_state.json", run_dir, name);
    if (aft_read_file(path, &text, &len, NULL) < 0)
        return 0;
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "step");
    uint64_t step = cJSON_IsNumber(s) && s->valuedouble >= 0 ? (uint64_t)s->valuedouble : 0;
    cJSON_Delete(o);
    free(text);
    return step;
}

int ckpt_find(const char *run_dir, ckpt_stamp *out)
{
    memset(out, 0, sizeof *out);
    if (!run_dir || !run_dir[0])
        return -1;
    struct stat st;
    if (aft_run_default_checkpoint(run_dir, out->name, sizeof out->name) < 0 ||
        model_stat(run_dir, out->name, &st) < 0) {
        out->name[0] = '\0';
        return -1;
    }
    out->step = strcmp(out->name, "best") == 0 ? state_step(run_dir, "best")
                                               : strtoull(out->name + 5, NULL, 10);
    out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    out->size = (int64_t)st.st_size;
    out->ino = (uint64_t)st.st_ino;
    return 0;
}

int ckpt_same(const ckpt_stamp *a, const ckpt_stamp *b)
{
    return strcmp(a->name, b->name) == 0 && a->mtime_ns == b->mtime_ns && a->size == b->size &&
           a->ino == b->ino;
}
