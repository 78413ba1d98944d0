/* Following a run's metrics.jsonl (see runsrc.h). The file is the stable
 * interface between a trainer and any viewer, so the workbench reads it the
 * same way whether the run is its own, another process's, or finished. */
#include "runsrc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentft/control.h"
#include "agentft/fileio.h"

#define POLL_BYTES ((size_t)4 << 20)

static int has_metrics(const char *dir, struct stat *st)
{
    char path[4200];
    if (aft_path_join(path, sizeof path, dir, "metrics.jsonl", NULL) < 0)
        return 0;
    return stat(path, st) == 0 && S_ISREG(st->st_mode);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int newest_run(const char *runs, char *dir, size_t size)
{
    DIR *d = opendir(runs);
    if (!d)
        return 1;
    struct dirent *e;
    struct timespec best = {0, 0};
    int found = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4200];
        struct stat st;
        if (aft_path_join(path, sizeof path, runs, e->d_name, NULL) < 0 || !has_metrics(path, &st))
            continue;
        if (!found || st.st_mtim.tv_sec > best.tv_sec ||
            (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec)) {
            best = st.st_mtim;
            snprintf(dir, size, "%s", path);
            found = 1;
        }
    }
    closedir(d);
    return found ? 0 : 1;
}

int runsrc_locate(const aft_config *cfg, const char *want, char *dir, size_t size, aft_error *err)
{
    const char *runs = cfg ? aft_config_string(cfg, AFT_K_RUNS_DIR) : "";
    if (!want)
        return runs[0] ? newest_run(runs, dir, size) : 1;
    char path[4200];
    if (!strchr(want, '/') && runs[0]) {
        if (aft_path_join(path, sizeof path, runs, want, NULL) == 0 && is_dir(path)) {
            snprintf(dir, size, "%s", path);
            return 0;
        }
    }
    if (is_dir(want)) {
        snprintf(dir, size, "%s", want);
        return 0;
    }
    aft_error_set(err, "no run '%s' (looked in %s and as a path)", want, runs[0] ? runs : "-");
    return -1;
}

runsrc *runsrc_open(const char *dir)
{
    runsrc *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->fd = -1;
    rs->patience_left = -1;
    snprintf(rs->dir, sizeof rs->dir, "%s", dir ? dir : "");
    const char *slash = strrchr(rs->dir, '/');
    snprintf(rs->name, sizeof rs->name, "%.*s", (int)sizeof rs->name - 1, slash ? slash + 1 : rs->dir);
    return rs;
}

static void reset(runsrc *rs)
{
    for (int k = 0; k < AFT_SERIES_COUNT; k++)
        rs->series[k].n = 0;
    rs->n_events = 0;
    rs->part_len = 0;
    rs->off = 0;
    rs->step = rs->val_step = rs->best_step = 0;
    rs->patience_left = -1;
    rs->bad_lines = 0;
    rs->resets++;
    rs->gen++;
}

void runsrc_free(runsrc *rs)
{
    if (!rs)
        return;
    if (rs->fd >= 0)
        close(rs->fd);
    for (int k = 0; k < AFT_SERIES_COUNT; k++)
        free(rs->series[k].p);
    free(rs->events);
    free(rs->part);
    free(rs);
}

static int grow_series(rs_series *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t nc = s->cap ? s->cap : 256;
    while (nc < need)
        nc *= 2;
    aft_point *np = realloc(s->p, nc * sizeof *np);
    if (!np)
        return -1;
    s->p = np;
    s->cap = nc;
    return 0;
}

static void push(runsrc *rs, aft_series_kind k, uint64_t step, const cJSON *v)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return;
    rs_series *s = &rs->series[k];
    if (grow_series(s, s->n + 1) < 0)
        return;
    s->p[s->n++] = (aft_point){step, v->valuedouble};
}

/* The first of two spellings ("loss" in val lines, "val_loss" elsewhere). */
static const cJSON *field(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    return v || !b ? v : cJSON_GetObjectItemCaseSensitive(o, b);
}

static const char *text_of(const cJSON *o, const char *key, char *buf, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, size, "%g", v->valuedouble);
        return buf;
    }
    return "";
}

static void event_text(const cJSON *o, const char *name, char *buf, size_t size)
{
    char a[64], b[64], c[64];
    if (!strcmp(name, "set"))
        snprintf(buf, size, "set %s %s -> %s", text_of(o, "key", a, sizeof a),
                 text_of(o, "old", b, sizeof b), text_of(o, "new", c, sizeof c));
    else if (!strcmp(name, "best"))
        snprintf(buf, size, "best %s %s", text_of(o, "metric", a, sizeof a),
                 text_of(o, "value", b, sizeof b));
    else if (!strcmp(name, "checkpoint"))
        snprintf(buf, size, "checkpoint %s", text_of(o, "path", a, sizeof a));
    else if (!strcmp(name, "epoch"))
        snprintf(buf, size, "epoch %s", text_of(o, "epoch", a, sizeof a));
    else if (!strcmp(name, "early_stop"))
        snprintf(buf, size, "early stop: %s stopped improving", text_of(o, "metric", a, sizeof a));
    else
        snprintf(buf, size, "%s", name);
}

static int grow_events(runsrc *rs, size_t need)
{
    if (need <= rs->cap_events)
        return 0;
    size_t nc = rs->cap_events ? rs->cap_events : 64;
    while (nc < need)
        nc *= 2;
    aft_event *ne = realloc(rs->events, nc * sizeof *ne);
    if (!ne)
        return -1;
    rs->events = ne;
    rs->cap_events = nc;
    return 0;
}

static void push_event(runsrc *rs, uint64_t step, const cJSON *o)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    const char *name = cJSON_IsString(ev) ? ev->valuestring : "event";
    if (grow_events(rs, rs->n_events + 1) < 0)
        return;
    aft_event *e = &rs->events[rs->n_events++];
    e->step = step;
    snprintf(e->kind, sizeof e->kind, "%s", name);
    event_text(o, name, e->text, sizeof e->text);
    if (!strcmp(name, "best"))
        rs->best_step = step;
}

/* A PPO update: its own figures, and the loss, lr and gradient norm into
 * the charts a supervised run fills. */
static void ingest_ppo(runsrc *rs, uint64_t step, const cJSON *o)
{
    size_t n;
    const aft_series_field *f = aft_ppo_series_fields(&n);
    for (size_t i = 0; i < n; i++)
        push(rs, f[i].kind, step, field(o, f[i].key, NULL));
    if (step > rs->step)
        rs->step = step;
}

int runsrc_ingest(runsrc *rs, const char *line, size_t len)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        rs->bad_lines++;
        return 0;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "step");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    uint64_t step = cJSON_IsNumber(st) && st->valuedouble >= 0 ? (uint64_t)st->valuedouble : 0;
    const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
    int added = 1;
    if (!strcmp(k, "train")) {
        push(rs, AFT_SERIES_TRAIN_LOSS, step, field(o, "loss", "train_loss"));
        push(rs, AFT_SERIES_LR, step, field(o, "lr", NULL));
        push(rs, AFT_SERIES_GRAD_NORM, step, field(o, "grad_norm", NULL));
        push(rs, AFT_SERIES_TOKENS_PER_S, step, field(o, "tokens_per_s", NULL));
        push(rs, AFT_SERIES_STEP_MS, step, field(o, "step_ms", NULL));
        if (step > rs->step)
            rs->step = step;
    } else if (!strcmp(k, "val")) {
        push(rs, AFT_SERIES_VAL_LOSS, step, field(o, "val_loss", "loss"));
        push(rs, AFT_SERIES_VAL_ACCURACY, step, field(o, "val_accuracy", "accuracy"));
        push(rs, AFT_SERIES_VAL_MACRO_F1, step, field(o, "val_macro_f1", "macro_f1"));
        push(rs, AFT_SERIES_VAL_REWARD, step, field(o, "reward", NULL));
        const cJSON *pat = field(o, "patience_left", NULL);
        push(rs, AFT_SERIES_PATIENCE_LEFT, step, pat);
        if (cJSON_IsNumber(pat))
            rs->patience_left = (int)pat->valuedouble;
        rs->val_step = step;
    } else if (!strcmp(k, "ppo")) {
        ingest_ppo(rs, step, o);
    } else if (!strcmp(k, "event")) {
        push_event(rs, step, o);
    } else {
        added = 0;
    }
    cJSON_Delete(o);
    if (added)
        rs->gen++;
    return added;
}

static int open_file(runsrc *rs)
{
    char path[4200];
    if (aft_path_join(path, sizeof path, rs->dir, "metrics.jsonl", NULL) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -1;
    }
    if (rs->fd >= 0)
        close(rs->fd);
    rs->fd = fd;
    rs->dev = st.st_dev;
    rs->ino = st.st_ino;
    return 0;
}

static void take_lines(runsrc *rs, const char *buf, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n')
            continue;
        if (rs->part_len) {
            size_t need = rs->part_len + (i - start);
            char *joined = malloc(need + 1);
            if (joined) {
                memcpy(joined, rs->part, rs->part_len);
                memcpy(joined + rs->part_len, buf + start, i - start);
                runsrc_ingest(rs, joined, need);
                free(joined);
            }
            rs->part_len = 0;
        } else if (i > start) {
            runsrc_ingest(rs, buf + start, i - start);
        }
        start = i + 1;
    }
    size_t rest = n - start;
    if (rest == 0)
        return;
    if (rs->part_len + rest > rs->part_cap) {
        size_t nc = (rs->part_len + rest) * 2;
        char *np = realloc(rs->part, nc);
        if (!np)
            return;
        rs->part = np;
        rs->part_cap = nc;
    }
    memcpy(rs->part + rs->part_len, buf + start, rest);
    rs->part_len += rest;
}

runsrc *runsrc_open_trainer(aft_trainer *t)
{
    runsrc *rs = runsrc_open("");
    if (rs)
        rs->trainer = t;
    return rs;
}

/* Copies what the trainer published since the last call. */
static int poll_trainer(runsrc *rs)
{
    unsigned long gen0 = rs->gen;
    aft_trainer_status st;
    aft_trainer_status_get(rs->trainer, &st);
    if (!rs->dir[0] && st.run_dir[0]) {
        snprintf(rs->dir, sizeof rs->dir, "%s", st.run_dir);
        const char *slash = strrchr(rs->dir, '/');
        snprintf(rs->name, sizeof rs->name, "%.*s", (int)sizeof rs->name - 1,
                 slash ? slash + 1 : rs->dir);
    }
    for (int k = 0; k < AFT_SERIES_COUNT; k++) {
        rs_series *s = &rs->series[k];
        size_t n = aft_trainer_series_len(rs->trainer, (aft_series_kind)k);
        if (n <= s->n || grow_series(s, n) < 0)
            continue;
        s->n += aft_trainer_series(rs->trainer, (aft_series_kind)k, s->n, s->p + s->n, n - s->n);
        rs->gen++;
    }
    size_t ne = aft_trainer_events_len(rs->trainer);
    if (ne > rs->n_events && grow_events(rs, ne) == 0) {
        rs->n_events += aft_trainer_events(rs->trainer, rs->n_events, rs->events + rs->n_events,
                                           ne - rs->n_events);
        rs->gen++;
    }
    if (st.step != rs->step || st.val_step != rs->val_step) {
        rs->step = st.step;
        rs->val_step = st.val_step;
        rs->gen++;
    }
    rs->best_step = st.best_step;
    rs->patience_left = st.patience_left;
    return rs->gen != gen0;
}

int runsrc_poll(runsrc *rs)
{
    if (rs && rs->trainer)
        return poll_trainer(rs);
    if (!rs || !rs->dir[0])
        return 0;
    unsigned long gen0 = rs->gen;
    char path[4200];
    struct stat st;
    if (aft_path_join(path, sizeof path, rs->dir, "metrics.jsonl", NULL) < 0)
        return 0;
    if (stat(path, &st) < 0)
        return 0;
    /* Replaced (a new inode) or cut back (a resumed run): start over. */
    if (rs->fd < 0 || st.st_ino != rs->ino || st.st_dev != rs->dev || st.st_size < rs->off) {
        if (open_file(rs) < 0)
            return 0;
        reset(rs);
    }
    char buf[16384];
    size_t budget = POLL_BYTES;
    while (budget > 0) {
        ssize_t got = pread(rs->fd, buf, sizeof buf, rs->off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        take_lines(rs, buf, (size_t)got);
        rs->off += got;
        budget = (size_t)got < budget ? budget - (size_t)got : 0;
    }
    return rs->gen != gen0;
}

int runsrc_paused(const runsrc *rs)
{
    for (size_t i = rs->n_events; i-- > 0;) {
        if (strcmp(rs->events[i].kind, "pause") == 0)
            return 1;
        if (strcmp(rs->events[i].kind, "resume") == 0)
            return 0;
    }
    return 0;
}

int runsrc_live(const runsrc *rs)
{
    if (rs && rs->trainer) {
        aft_trainer_status st;
        aft_trainer_status_get(rs->trainer, &st);
        return st.phase != AFT_PHASE_FINISHED && st.phase != AFT_PHASE_FAILED;
    }
    if (!rs || !rs->dir[0])
        return 0;
    char path[4200];
    struct stat st;
    if (aft_path_join(path, sizeof path, rs->dir, "control.sock", NULL) < 0)
        return 0;
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int runsrc_request(const runsrc *rs, const char *json, char *reply, size_t size, int timeout_ms,
                   aft_error *err)
{
    char path[4200];
    if (aft_path_join(path, sizeof path, rs->dir, "control.sock", err) < 0)
        return -1;
    return aft_control_request(path, json, reply, size, timeout_ms, err);
}
