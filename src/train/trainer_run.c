/* The run directory RUNS/NAME: making it (never over another run),
 * config.yaml, the metrics.jsonl lines and the train.log lines, and reading
 * metrics lines back into the in-memory log. */
#include "trainer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentft/fileio.h"

static int mkdir_p(const char *path, aft_error *err)
{
    char buf[TR_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return aft_error_set(err, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return aft_error_errno(err, errno, "cannot create %s", buf);
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return aft_error_errno(err, errno, "cannot create %s", buf);
    return 0;
}

static int valid_name(const char *name)
{
    return name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/');
}

/* mkdir is the claim: two runs started in the same second get -2, -3. */
static int claim_dir(aft_trainer *t, const char *runs, aft_error *err)
{
    if (t->run_name[0]) {
        if (!valid_name(t->run_name))
            return aft_error_set(err, "run name '%s' must be a plain folder name", t->run_name);
        if (snprintf(t->run_dir, sizeof t->run_dir, "%s/%s", runs, t->run_name) >=
            (int)sizeof t->run_dir)
            return aft_error_set(err, "%s/%s: path too long", runs, t->run_name);
        if (mkdir(t->run_dir, 0755) == 0)
            return 0;
        if (errno == EEXIST)
            return aft_error_set(err, "%s exists: a run never replaces another; choose another "
                                 "--run name, or continue it with 'agentft resume %s'",
                                 t->run_dir, t->run_dir);
        return aft_error_errno(err, errno, "cannot create %s", t->run_dir);
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(t->run_dir, sizeof t->run_dir, "%s/%s", runs, stamp);
        else
            snprintf(t->run_dir, sizeof t->run_dir, "%s/%s-%d", runs, stamp, k);
        if (mkdir(t->run_dir, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return aft_error_errno(err, errno, "cannot create %s", t->run_dir);
    }
    return aft_error_set(err, "%s: too many runs named %s", runs, stamp);
}

static int open_append(const char *dir, const char *name, int *fd, aft_error *err)
{
    char path[TR_PATH_MAX];
    if (aft_path_join(path, sizeof path, dir, name, err) < 0)
        return -1;
    *fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return *fd < 0 ? aft_error_errno(err, errno, "cannot open %s", path) : 0;
}

int tr_run_open_files(aft_trainer *t, aft_error *err)
{
    if (!tr_dist_leader(t))
        return 0; /* the run directory is rank 0's */
    if (open_append(t->run_dir, "metrics.jsonl", &t->metrics_fd, err) < 0 ||
        open_append(t->run_dir, "train.log", &t->log_fd, err) < 0)
        return -1;
    return 0;
}

static int write_run_files(aft_trainer *t, aft_error *err)
{
    char path[TR_PATH_MAX];
    if (aft_path_join(path, sizeof path, t->run_dir, "checkpoints", err) < 0)
        return -1;
    if (mkdir(path, 0755) < 0)
        return aft_error_errno(err, errno, "cannot create %s", path);
    char *yaml = aft_config_render(t->cfg);
    if (!yaml)
        return aft_error_set(err, "out of memory rendering the config");
    int rc = aft_path_join(path, sizeof path, t->run_dir, "config.yaml", err);
    if (rc == 0)
        rc = aft_write_file_atomic(path, yaml, strlen(yaml), err);
    free(yaml);
    if (rc == 0)
        rc = aft_path_join(path, sizeof path, t->run_dir, "tokenizer.json", err);
    if (rc == 0)
        rc = aft_tokenizer_save(t->data.tok, path, err);
    return rc < 0 ? -1 : tr_run_open_files(t, err);
}

static void log_start(aft_trainer *t)
{
    const aft_model_config *mc = aft_model_get_config(t->model);
    tr_log(t, "run %s", t->run_dir);
    for (size_t i = 0; i < t->data.n_files; i++)
        tr_log(t, "data: %s", t->data.paths[i]);
    tr_log(t, "examples: %zu train, %zu valid, %zu test; %zu actions; %zu contexts cut to %d tokens",
           t->data.sets[TR_TRAIN].count, t->data.sets[TR_VALID].count,
           t->data.sets[TR_TEST].count, t->data.actions.count,
           t->data.sets[TR_TRAIN].context_cut, t->data.max_seq);
    if (t->data.bad_lines)
        tr_log(t, "data: %zu bad lines skipped (see 'agentft data check')", t->data.bad_lines);
    tr_log(t, "model: %d layers, %d heads, width %d, vocabulary %d, %zu trainable parameters",
           mc->n_layer, mc->n_head, mc->d_model, mc->vocab_size,
           aft_model_num_trainable(t->model));
    tr_log(t, "steps: %llu", (unsigned long long)t->total_steps);
}

int tr_run_create(aft_trainer *t, aft_error *err)
{
    if (!tr_dist_leader(t))
        return 0; /* the run directory is rank 0's */
    const char *runs = aft_config_string(t->cfg, AFT_K_RUNS_DIR);
    if (mkdir_p(runs, err) < 0 || claim_dir(t, runs, err) < 0)
        return -1;
    if (write_run_files(t, err) < 0) {
        /* Leave nothing behind of a run that never started. */
        char path[TR_PATH_MAX];
        const char *names[] = {"config.yaml", "tokenizer.json", "metrics.jsonl", "train.log"};
        for (size_t i = 0; i < 4; i++)
            if (aft_path_join(path, sizeof path, t->run_dir, names[i], NULL) == 0)
                unlink(path);
        if (aft_path_join(path, sizeof path, t->run_dir, "checkpoints", NULL) == 0)
            rmdir(path);
        rmdir(t->run_dir);
        return -1;
    }
    log_start(t);
    return 0;
}

void tr_log(aft_trainer *t, const char *fmt, ...)
{
    if (t->log_fd < 0)
        return;
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S ", &tm);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + (size_t)m < sizeof line - 1 ? n + (size_t)m : sizeof line - 2;
    line[n++] = '\n';
    /* A failed log line is not worth failing the run for. */
    (void)aft_write_all(t->log_fd, line, n);
}

int tr_emit(aft_trainer *t, cJSON *obj, aft_error *err)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    if (!text) {
        cJSON_Delete(obj);
        return aft_error_set(err, "out of memory writing metrics.jsonl");
    }
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        cJSON_Delete(obj);
        return aft_error_set(err, "out of memory writing metrics.jsonl");
    }
    line[len] = '\n';
    int rc = 0;
    if (t->metrics_fd >= 0 && aft_write_all(t->metrics_fd, line, len + 1) < 0)
        rc = aft_error_errno(err, errno, "%s/metrics.jsonl: cannot write", t->run_dir);
    free(line);
    if (rc == 0) {
        t->metrics_lines++;
        tr_ingest_line(t, obj);
    }
    cJSON_Delete(obj);
    tr_notify(t);
    return rc;
}

int tr_emit_event(aft_trainer *t, const char *name, cJSON *fields, aft_error *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(fields);
        return aft_error_set(err, "out of memory");
    }
    cJSON_AddNumberToObject(o, "step", (double)t->st.step);
    cJSON_AddStringToObject(o, "kind", "event");
    cJSON_AddStringToObject(o, "event", name);
    while (fields && fields->child) {
        cJSON *c = cJSON_DetachItemViaPointer(fields, fields->child);
        cJSON_AddItemToObject(o, c->string, c);
    }
    cJSON_Delete(fields);
    cJSON_AddNumberToObject(o, "time", floor(tr_wall() * 1000) / 1000);
    char text[224];
    tr_event_text(o, text, sizeof text);
    tr_log(t, "step %llu: %s", (unsigned long long)t->st.step, text);
    return tr_emit(t, o, err);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? s : "";
}

static double num_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void tr_event_text(const cJSON *ev, char *buf, size_t size)
{
    const char *e = str_of(ev, "event");
    if (strcmp(e, "set") == 0)
        snprintf(buf, size, "set %s %s -> %s", str_of(ev, "key"), str_of(ev, "old"),
                 str_of(ev, "new"));
    else if (strcmp(e, "epoch") == 0)
        snprintf(buf, size, "epoch %.0f: %.0f examples", num_of(ev, "epoch") + 1,
                 num_of(ev, "examples"));
    else if (strcmp(e, "checkpoint") == 0)
        snprintf(buf, size, "checkpoint %s", str_of(ev, "path"));
    else if (strcmp(e, "best") == 0)
        snprintf(buf, size, "best %s %.4f", str_of(ev, "metric"), num_of(ev, "value"));
    else if (strcmp(e, "early_stop") == 0)
        snprintf(buf, size, "early stop: %s has not improved in %.0f validations (best at step %.0f)",
                 str_of(ev, "metric"), num_of(ev, "patience"), num_of(ev, "best_step"));
    else if (strcmp(e, "pause") == 0 || strcmp(e, "resume") == 0)
        snprintf(buf, size, "%s", e[0] == 'p' ? "paused" : "resumed");
    else if (strcmp(e, "data") == 0)
        snprintf(buf, size, "data changed: %.0f added, %.0f removed, %.0f changed; %.0f train, "
                 "%.0f valid", num_of(ev, "added"), num_of(ev, "removed"), num_of(ev, "changed"),
                 num_of(ev, "train"), num_of(ev, "valid"));
    else if (strcmp(e, "set_refused") == 0)
        snprintf(buf, size, "set %s %s refused: %s", str_of(ev, "key"), str_of(ev, "value"),
                 str_of(ev, "reason"));
    else if (strcmp(e, "restore_best") == 0)
        snprintf(buf, size, "restored the best weights (step %.0f)", num_of(ev, "best_step"));
    else
        snprintf(buf, size, "%s", e);
}

static void ingest_val(aft_trainer *t, uint64_t step, const cJSON *obj)
{
    double loss = num_of(obj, "loss"), acc = num_of(obj, "accuracy");
    double f1 = num_of(obj, "macro_f1"), pat = num_of(obj, "patience_left");
    tr_push_point(t, AFT_SERIES_VAL_LOSS, step, loss);
    tr_push_point(t, AFT_SERIES_VAL_ACCURACY, step, acc);
    tr_push_point(t, AFT_SERIES_VAL_MACRO_F1, step, f1);
    double reward = num_of(obj, "reward");
    if (isfinite(reward))
        tr_push_point(t, AFT_SERIES_VAL_REWARD, step, reward);
    if (isfinite(pat))
        tr_push_point(t, AFT_SERIES_PATIENCE_LEFT, step, pat);
    pthread_mutex_lock(&t->mu);
    t->status.val_loss = loss;
    t->status.val_accuracy = acc;
    t->status.val_macro_f1 = f1;
    t->status.val_step = step;
    pthread_mutex_unlock(&t->mu);
}

void tr_ingest_line(aft_trainer *t, const cJSON *obj)
{
    const char *kind = str_of(obj, "kind");
    double s = num_of(obj, "step");
    uint64_t step = isfinite(s) && s >= 0 ? (uint64_t)s : 0;
    if (strcmp(kind, "train") == 0) {
        static const struct {
            const char *key;
            aft_series_kind kind;
        } fields[] = {{"loss", AFT_SERIES_TRAIN_LOSS},         {"lr", AFT_SERIES_LR},
                      {"grad_norm", AFT_SERIES_GRAD_NORM},     {"step_ms", AFT_SERIES_STEP_MS},
                      {"tokens_per_s", AFT_SERIES_TOKENS_PER_S}};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            tr_push_point(t, fields[i].kind, step, num_of(obj, fields[i].key));
    } else if (strcmp(kind, "ppo") == 0) {
        tr_ppo_ingest(t, step, obj);
    } else if (strcmp(kind, "val") == 0) {
        ingest_val(t, step, obj);
    } else if (strcmp(kind, "event") == 0) {
        char text[224];
        tr_event_text(obj, text, sizeof text);
        tr_push_event(t, step, str_of(obj, "event"), text);
    }
}
