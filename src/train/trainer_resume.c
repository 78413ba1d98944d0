/* Resuming a run from its newest complete checkpoint (and checking every
 * checkpoint of a run): the model, optimizer and trainer state come back,
 * the recorded live changes are re-applied, and metrics.jsonl is cut back to
 * the lines written up to the checkpoint. */
#include "trainer_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

typedef struct cand {
    char name[64];
    uint64_t step, lines;
} cand;

typedef struct loaded {
    aft_model *model;
    aft_optim *optim;
    aft_tokenizer *tok;
    aft_action_set actions;
    aft_trainer_state st;
} loaded;

static void loaded_free(loaded *l)
{
    aft_optim_free(l->optim);
    aft_model_free(l->model);
    aft_tokenizer_free(l->tok);
    aft_action_set_free(&l->actions);
    aft_trainer_state_free(&l->st);
    memset(l, 0, sizeof *l);
}

/* Everything of one checkpoint, or nothing. */
static int load_checkpoint(const char *dir, const aft_config *cfg, loaded *l, aft_error *err)
{
    memset(l, 0, sizeof *l);
    char tok[TR_PATH_MAX];
    aft_model_config ov = {
        .lora_rank = (int)aft_config_int(cfg, AFT_K_LORA_RANK),
        .lora_alpha = (float)aft_config_float(cfg, AFT_K_LORA_ALPHA),
        .freeze_layers = (int)aft_config_int(cfg, AFT_K_FREEZE_LAYERS),
        .dropout = (float)aft_config_float(cfg, AFT_K_DROPOUT),
        .attn_dropout = (float)aft_config_float(cfg, AFT_K_ATTN_DROPOUT)};
    int head = 0;
    aft_optim_config oc;
    tr_optim_config(cfg, &oc);
    int rc = aft_trainer_state_load(dir, &l->st, err);
    if (rc == 0)
        rc = aft_action_set_load(&l->actions, dir, err);
    if (rc == 0)
        rc = aft_path_join(tok, sizeof tok, dir, "tokenizer.json", err);
    if (rc == 0 && !(l->tok = aft_tokenizer_load(tok, err)))
        rc = -1;
    if (rc == 0 && !(l->model = aft_checkpoint_load_model(dir, (int)l->actions.count, &ov, 0,
                                                           &head, err)))
        rc = -1;
    if (rc == 0 && !head)
        rc = aft_error_set(err, "%s: the action head is missing", dir);
    if (rc == 0) {
        size_t np;
        const aft_param *p = aft_model_param_list(l->model, &np);
        l->optim = aft_optim_new(p, np, aft_model_num_floats(l->model),
                                 aft_model_get_config(l->model)->n_layer, &oc, err);
        rc = l->optim ? aft_checkpoint_load_optim(dir, l->model, l->optim, err) : -1;
    }
    if (rc < 0)
        loaded_free(l);
    return rc;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->step != y->step)
        return x->step > y->step ? -1 : 1;
    if (x->lines != y->lines)
        return x->lines > y->lines ? -1 : 1;
    return strcmp(x->name, y->name);
}

static uint64_t extra_u64(const char *extra, const char *key)
{
    cJSON *o = extra ? cJSON_Parse(extra) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    uint64_t r = cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
    cJSON_Delete(o);
    return r;
}

static int is_ckpt_name(const char *n)
{
    if (strcmp(n, "best") == 0)
        return 1;
    if (strncmp(n, "step-", 5) != 0 || !n[5])
        return 0;
    for (const char *p = n + 5; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* The checkpoints of a run, newest first (by step, then by how far the
 * metrics had got: best and step-N of one step are written in that order). */
static int list_cands(const char *ck, cand **out, size_t *n, aft_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(ck);
    if (!d)
        return aft_error_errno(err, errno, "cannot read %s", ck);
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_ckpt_name(e->d_name) || strlen(e->d_name) >= sizeof(*out)->name)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            cand *c = realloc(*out, cap * sizeof *c);
            if (!c)
                break;
            *out = c;
        }
        cand *c = &(*out)[(*n)++];
        /* The length was checked above; memcpy keeps -Wformat-truncation quiet. */
        memcpy(c->name, e->d_name, strlen(e->d_name) + 1);
        c->step = e->d_name[0] == 's' ? strtoull(e->d_name + 5, NULL, 10) : 0;
        c->lines = 0;
        aft_trainer_state st = {0};
        char dir[TR_PATH_MAX];
        if (aft_path_join(dir, sizeof dir, ck, e->d_name, NULL) == 0 &&
            aft_trainer_state_load(dir, &st, NULL) == 0) {
            c->step = st.step;
            c->lines = extra_u64(st.extra_json, "metrics_lines");
        }
        aft_trainer_state_free(&st);
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_cand);
    return 0;
}

static aft_config *load_run_config(const char *run_dir, aft_error *err)
{
    char path[TR_PATH_MAX];
    if (aft_path_join(path, sizeof path, run_dir, "config.yaml", err) < 0)
        return NULL;
    return aft_workspace_load(path, err);
}

int aft_run_check_checkpoints(const char *run_dir, char **report, aft_error *err)
{
    *report = NULL;
    aft_config *cfg = load_run_config(run_dir, err);
    char ck[TR_PATH_MAX];
    cand *c = NULL;
    size_t n = 0;
    if (!cfg || aft_path_join(ck, sizeof ck, run_dir, "checkpoints", err) < 0 ||
        list_cands(ck, &c, &n, err) < 0) {
        aft_config_free(cfg);
        return -1;
    }
    size_t cap = 256 + n * 1200, used = 0;
    char *r = malloc(cap);
    int bad = 0;
    for (size_t i = 0; r && i < n; i++) {
        char dir[TR_PATH_MAX];
        loaded l;
        aft_error e = {0};
        if (aft_path_join(dir, sizeof dir, ck, c[i].name, &e) == 0 &&
            load_checkpoint(dir, cfg, &l, &e) == 0) {
            used += (size_t)snprintf(r + used, cap - used, "checkpoints/%s: ok, step %" PRIu64 "\n",
                                     c[i].name, l.st.step);
            loaded_free(&l);
        } else {
            bad++;
            used += (size_t)snprintf(r + used, cap - used, "checkpoints/%s: corrupt: %.1000s\n",
                                     c[i].name, e.msg);
        }
    }
    if (r && n == 0)
        snprintf(r, cap, "no checkpoints\n");
    free(c);
    aft_config_free(cfg);
    if (!r)
        return aft_error_set(err, "out of memory");
    *report = r;
    return bad;
}

/* ---- resume ---- */

/* The first complete checkpoint, newest first; skipped ones go in the notes. */
static int find_checkpoint(aft_trainer *t, loaded *l, char *name, size_t size, aft_error *err)
{
    char ck[TR_PATH_MAX];
    if (aft_path_join(ck, sizeof ck, t->run_dir, "checkpoints", err) < 0)
        return -1;
    if (tr_dist_leader(t))
        tr_checkpoints_tidy(ck);
    cand *c;
    size_t n;
    if (list_cands(ck, &c, &n, err) < 0)
        return -1;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        char dir[TR_PATH_MAX];
        aft_error e = {0};
        if (aft_path_join(dir, sizeof dir, ck, c[i].name, &e) == 0 &&
            load_checkpoint(dir, t->cfg, l, &e) == 0) {
            snprintf(name, size, "%s", c[i].name);
            found = 1;
        } else {
            tr_note(t, "checkpoints/%s: skipped, it is corrupt: %s", c[i].name, e.msg);
        }
    }
    free(c);
    if (!found)
        return aft_error_set(err, "%s: no complete checkpoint to resume from%s", t->run_dir,
                             n ? " (every one is corrupt)" : "; start the run again with 'agentft train'");
    return 0;
}

static int replay_events(aft_trainer *t, const cJSON *events, aft_error *err)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "key"));
        const char *val = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "new"));
        const aft_key_info *k = key ? aft_schema_find(key) : NULL;
        if (!k || !val || aft_config_set(t->cfg, k->id, val, AFT_ORIGIN_LIVE, err) < 0)
            return aft_error_set(err, "trainer_state.json: a recorded change is not valid");
        cJSON *copy = cJSON_Duplicate(e, 1);
        if (!copy)
            return aft_error_set(err, "out of memory");
        cJSON_AddItemToArray(t->applied, copy);
    }
    return 0;
}

static int restore_extra(aft_trainer *t, uint64_t *lines, uint64_t *fingerprint, aft_error *err)
{
    cJSON *o = t->st.extra_json ? cJSON_Parse(t->st.extra_json) : NULL;
    if (!o)
        return aft_error_set(err, "trainer_state.json: the trainer's part is missing");
    *lines = extra_u64(t->st.extra_json, "metrics_lines");
    t->last_eval_step = extra_u64(t->st.extra_json, "last_eval_step");
    t->last_ckpt_step = extra_u64(t->st.extra_json, "last_checkpoint_step");
    t->early_stopped = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "early_stopped"));
    t->finished = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "finished"));
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
    const char *fp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "fingerprint"));
    *fingerprint = fp ? strtoull(fp, NULL, 16) : 0;
    int rc = replay_events(t, cJSON_GetObjectItemCaseSensitive(o, "events"), err);
    cJSON_Delete(o);
    return rc;
}

/* Keeps the first `keep` lines of metrics.jsonl (atomically) and takes them
 * into the in-memory log. */
static int cut_metrics(aft_trainer *t, uint64_t keep, aft_error *err)
{
    char path[TR_PATH_MAX];
    char *data = NULL;
    size_t len = 0;
    if (aft_path_join(path, sizeof path, t->run_dir, "metrics.jsonl", err) < 0)
        return -1;
    if (aft_read_file(path, &data, &len, err) < 0)
        return -1;
    size_t off = 0;
    uint64_t lines = 0;
    while (lines < keep && off < len) {
        char *nl = memchr(data + off, '\n', len - off);
        if (!nl)
            break; /* a line cut short by a kill */
        *nl = '\0';
        cJSON *o = cJSON_Parse(data + off);
        if (o)
            tr_ingest_line(t, o);
        cJSON_Delete(o);
        *nl = '\n';
        off = (size_t)(nl - data) + 1;
        lines++;
    }
    if (lines + 1 < keep)
        tr_note(t, "metrics.jsonl has %llu of the %llu lines the checkpoint counted",
                (unsigned long long)lines, (unsigned long long)keep);
    int rc = off < len && tr_dist_leader(t) ? aft_write_file_atomic(path, data, off, err) : 0;
    free(data);
    t->metrics_lines = lines;
    return rc;
}

/* Resuming takes live keys, and threads and start_paused (which change
 * nothing the checkpoints depend on). */
static int check_resume_set(const char *arg, char *key, size_t ksize, const char **value,
                            aft_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= ksize)
        return aft_error_set(err, "'%s' is not KEY=VALUE", arg);
    snprintf(key, ksize, "%.*s", (int)(eq - arg), arg);
    *value = eq + 1;
    const aft_key_info *k = aft_schema_find(key);
    if (k && !k->live && k->id != AFT_K_THREADS && k->id != AFT_K_START_PAUSED)
        return aft_error_set(err, "%s cannot change when a run is resumed (its checkpoints were "
                             "made with the old value); start a new run with 'agentft train'",
                             k->name);
    if (k && !k->live) {
        aft_config *scratch = aft_config_new();
        int rc = scratch ? aft_config_set(scratch, k->id, *value, AFT_ORIGIN_SET, err)
                         : aft_error_set(err, "out of memory");
        aft_config_free(scratch);
        return rc;
    }
    return tr_check_set(key, *value, err);
}

static int apply_resume_sets(aft_trainer *t, const char *const *sets, size_t n, aft_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char key[128];
        const char *value;
        if (check_resume_set(sets[i], key, sizeof key, &value, err) < 0)
            return -1;
        const aft_key_info *k = aft_schema_find(key);
        int rc = k->live ? tr_apply_set(t, key, value, 1, err)
                         : aft_config_set(t->cfg, k->id, value, AFT_ORIGIN_SET, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void adopt(aft_trainer *t, loaded *l)
{
    t->model = l->model;
    t->optim = l->optim;
    t->data.tok = l->tok;
    t->data.actions = l->actions;
    aft_trainer_state_free(&t->st);
    t->st = l->st;
    *aft_model_rng(t->model) = t->st.model_rng;
    memset(l, 0, sizeof *l);
}

static int load_data(aft_trainer *t, uint64_t fingerprint, aft_error *err)
{
    aft_dataset *ds[3] = {0};
    if (tr_data_files(&t->data, t->cfg, err) < 0 || tr_data_open(&t->data, t->cfg, ds, 1, err) < 0)
        return -1;
    int ms = (int)aft_config_int(t->cfg, AFT_K_MAX_SEQ);
    int mm = aft_model_get_config(t->model)->max_seq;
    t->data.max_seq = ms < mm ? ms : mm;
    t->data.with_target = aft_config_float(t->cfg, AFT_K_LM_WEIGHT) > 0;
    int rc = tr_data_build_examples(&t->data, ds, err);
    tr_data_close(ds);
    if (rc == 0 && t->data.sets[TR_TRAIN].count == 0)
        rc = aft_error_set(err, "no training examples: no record is in the train split");
    if (rc == 0 && fingerprint && fingerprint != tr_data_fingerprint(&t->data)) {
        tr_note(t, "the training data changed since the checkpoint; the run goes on with the "
                   "data as it is now");
        tr_log(t, "data: changed since the checkpoint");
    }
    return rc;
}

static int resume_body(aft_trainer *t, const char *const *sets, size_t n_sets, aft_error *err)
{
    for (size_t i = 0; i < n_sets; i++) {
        char key[128];
        const char *value;
        if (check_resume_set(sets[i], key, sizeof key, &value, err) < 0)
            return -1;
    }
    loaded l;
    char name[64];
    uint64_t lines = 0, fp = 0;
    if (find_checkpoint(t, &l, name, sizeof name, err) < 0)
        return -1;
    adopt(t, &l);
    /* A run started paused (for a test or a script) resumes running. */
    if (aft_config_set(t->cfg, AFT_K_START_PAUSED, "false", AFT_ORIGIN_SET, err) < 0 ||
        restore_extra(t, &lines, &fp, err) < 0 || load_data(t, fp, err) < 0 ||
        tr_apply_live(t, err) < 0 || tr_make_buffers(t, err) < 0)
        return -1;
    tr_apply_threads(t);
    if (cut_metrics(t, lines, err) < 0 || tr_run_open_files(t, err) < 0)
        return -1;
    /* Killed after the checkpoint was in place but before its event line:
     * write that line now, as the uninterrupted run did. */
    if (lines > 0 && t->metrics_lines + 1 == lines &&
        (strcmp(name, "best") == 0 ? tr_emit_best_event(t, err)
                                   : tr_emit_checkpoint_event(t, name, err)) < 0)
        return -1;
    tr_log(t, "resuming from checkpoints/%s (step %llu)", name, (unsigned long long)t->st.step);
    const char *notes = aft_trainer_notes(t);
    for (const char *p = notes; *p;) {
        const char *nl = strchr(p, '\n');
        tr_log(t, "%.*s", (int)(nl - p), p);
        p = nl + 1;
    }
    if (apply_resume_sets(t, sets, n_sets, err) < 0)
        return -1;
    tr_apply_threads(t);
    t->total_steps = tr_total_steps(t);
    if (t->finished)
        tr_note(t, "the run had finished at step %llu", (unsigned long long)t->st.step);
    tr_note(t, "resuming from checkpoints/%s at step %llu", name, (unsigned long long)t->st.step);
    t->prepared = 1;
    tr_weights_ready(t);
    tr_publish(t, NAN, NAN);
    return 0;
}

aft_trainer *tr_resume(const char *run_dir, const char *const *sets, size_t n_sets,
                       const aft_trainer_opts *opts, aft_error *err)
{
    aft_config *cfg = load_run_config(run_dir, err);
    if (!cfg)
        return NULL;
    aft_trainer *t = tr_alloc(cfg, opts, err);
    aft_config_free(cfg);
    if (!t)
        return NULL;
    t->resumed = 1;
    char real[PATH_MAX];
    snprintf(t->run_dir, sizeof t->run_dir, "%s", realpath(run_dir, real) ? real : run_dir);
    if (resume_body(t, sets, n_sets, err) < 0) {
        aft_trainer_free(t);
        return NULL;
    }
    return t;
}
