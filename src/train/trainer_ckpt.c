/* Checkpoints of a run: RUN/checkpoints/step-N and best, each a folder
 * written as NAME.tmp and renamed into place (an old folder of the same name
 * goes aside as NAME.old and is removed only once the new one is in place),
 * and loading one back whole or not at all. */
#include "trainer_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

int tr_ckpt_path(const aft_trainer *t, const char *name, char *buf, size_t size, aft_error *err)
{
    int n = snprintf(buf, size, "%s/checkpoints/%s", t->run_dir, name);
    return n < 0 || (size_t)n >= size ? aft_error_set(err, "%s: path too long", t->run_dir) : 0;
}

int tr_rmtree_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    char path[TR_PATH_MAX];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (aft_path_join(path, sizeof path, dir, e->d_name, NULL) == 0)
            unlink(path);
    }
    closedir(d);
    return rmdir(dir);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n > m && strcmp(s + n - m, tail) == 0;
}

/* What an interrupted checkpoint write leaves: NAME.tmp (never complete:
 * removed) and NAME.old (the previous folder, set aside just before the new
 * one took its name: removed, or put back when the new one never arrived). */
void tr_checkpoints_tidy(const char *ckpt_dir)
{
    DIR *d = opendir(ckpt_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[TR_PATH_MAX], base[TR_PATH_MAX];
    while ((e = readdir(d))) {
        int tmp = ends_with(e->d_name, ".tmp"), old = ends_with(e->d_name, ".old");
        if ((!tmp && !old) || aft_path_join(path, sizeof path, ckpt_dir, e->d_name, NULL) < 0)
            continue;
        snprintf(base, sizeof base, "%.*s", (int)(strlen(path) - 4), path);
        if (tmp || is_dir(base))
            tr_rmtree_flat(path);
        else
            rename(path, base);
    }
    closedir(d);
}

char *tr_extra_json(aft_trainer *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *events = cJSON_Duplicate(t->applied, 1);
    cJSON *data = cJSON_CreateObject();
    char fp[17];
    snprintf(fp, sizeof fp, "%016" PRIx64, tr_data_fingerprint(&t->data));
    if (!o || !events || !data) {
        cJSON_Delete(o);
        cJSON_Delete(events);
        cJSON_Delete(data);
        return NULL;
    }
    /* The line this checkpoint's own event will be is kept on resume. */
    cJSON_AddNumberToObject(o, "metrics_lines", (double)(t->metrics_lines + 1));
    cJSON_AddItemToObject(o, "events", events);
    cJSON_AddStringToObject(data, "sampling", aft_config_text(t->cfg, AFT_K_SAMPLING));
    cJSON_AddNumberToObject(data, "train", (double)t->data.sets[TR_TRAIN].count);
    cJSON_AddNumberToObject(data, "valid", (double)t->data.sets[TR_VALID].count);
    cJSON_AddNumberToObject(data, "order_length", (double)t->data.n_order);
    cJSON_AddStringToObject(data, "fingerprint", fp);
    cJSON_AddItemToObject(o, "data", data);
    cJSON_AddNumberToObject(o, "last_eval_step", (double)t->last_eval_step);
    cJSON_AddNumberToObject(o, "last_checkpoint_step", (double)t->last_ckpt_step);
    cJSON_AddBoolToObject(o, "early_stopped", t->early_stopped);
    cJSON_AddBoolToObject(o, "finished", t->finished);
    tr_ppo_extra(t, o);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int write_folder(aft_trainer *t, const char *dir, aft_error *err)
{
    if (mkdir(dir, 0755) < 0)
        return aft_error_errno(err, errno, "cannot create %s", dir);
    t->st.model_rng = *aft_model_rng(t->model);
    free(t->st.extra_json);
    if (!(t->st.extra_json = tr_extra_json(t)))
        return aft_error_set(err, "out of memory");
    if (aft_checkpoint_save_model(dir, t->model, t->data.tok,
                                  (const char *const *)t->data.actions.names,
                                  t->data.actions.count, err) < 0 ||
        aft_checkpoint_save_optim(dir, t->model, t->optim, err) < 0 ||
        aft_trainer_state_save(dir, &t->st, err) < 0)
        return -1;
    return 0;
}

static int join3(char *buf, size_t size, const char *dir, const char *name, const char *suffix,
                 aft_error *err)
{
    int n = snprintf(buf, size, "%s/%s%s", dir, name, suffix);
    return n < 0 || (size_t)n >= size ? aft_error_set(err, "%s: path too long", dir) : 0;
}

int tr_checkpoint(aft_trainer *t, const char *name, aft_error *err)
{
    char ck[TR_PATH_MAX], tmp[TR_PATH_MAX], fin[TR_PATH_MAX], old[TR_PATH_MAX];
    if (!tr_dist_leader(t))
        return 0; /* the run directory is rank 0's */
    if (aft_path_join(ck, sizeof ck, t->run_dir, "checkpoints", err) < 0)
        return -1;
    if (join3(tmp, sizeof tmp, ck, name, ".tmp", err) < 0 ||
        join3(fin, sizeof fin, ck, name, "", err) < 0 ||
        join3(old, sizeof old, ck, name, ".old", err) < 0)
        return -1;
    /* The lines the checkpoint counts must be on disk before it is. */
    if (t->metrics_fd >= 0)
        fsync(t->metrics_fd);
    tr_rmtree_flat(tmp);
    if (write_folder(t, tmp, err) < 0) {
        aft_error_prefix(err, "checkpoint %s", name);
        tr_rmtree_flat(tmp);
        return -1;
    }
    int had = is_dir(fin);
    if (had && rename(fin, old) < 0)
        return aft_error_errno(err, errno, "cannot move %s aside", fin);
    if (rename(tmp, fin) < 0)
        return aft_error_errno(err, errno, "cannot rename %s", tmp);
    if (aft_fsync_parent_dir(fin, err) < 0)
        return -1;
    if (had)
        tr_rmtree_flat(old);
    return 0;
}
