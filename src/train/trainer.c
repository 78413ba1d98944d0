/* The trainer object: its thread, the command queue, and the status and
 * metrics snapshots other threads read under the mutex. */
#include "trainer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentft/clock.h"

double tr_now(void)
{
    return aft_monotonic_s();
}

double tr_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void aft_trainer_opts_init(aft_trainer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->notify_fd = -1;
}

const char *aft_trainer_phase_name(aft_trainer_phase p)
{
    static const char *const names[] = {"preparing", "running", "paused",
                                        "stopping",  "finished", "failed"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "unknown";
}

/* One byte says "something changed"; the reader drains the pipe and reads
 * the snapshot, so a byte lost to a full pipe loses nothing. */
void tr_notify(aft_trainer *t)
{
    if (t->opts.notify_fd < 0)
        return;
    char b = 1;
    ssize_t r = write(t->opts.notify_fd, &b, 1);
    (void)r;
}

aft_trainer *tr_alloc(const aft_config *cfg, const aft_trainer_opts *opts, aft_error *err)
{
    aft_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    if (opts)
        t->opts = *opts;
    else
        aft_trainer_opts_init(&t->opts);
    t->opts.run_name = NULL; /* the caller's string need not outlive new() */
    t->log_fd = t->metrics_fd = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_mutex_init(&t->wmu, NULL);
    pthread_cond_init(&t->cv, NULL);
    atomic_init(&t->abort_req, 0);
    atomic_init(&t->abort_local, 0);
    t->accepting = 1;
    t->status.phase = AFT_PHASE_PREPARING;
    t->status.train_loss = t->status.val_loss = NAN;
    t->status.val_accuracy = t->status.val_macro_f1 = NAN;
    t->status.best_metric = t->status.tokens_per_s = t->status.eta_s = NAN;
    t->status.patience_left = -1;
    t->st.best_metric = NAN;
    t->st.reject_threshold = NAN;
    if (t->opts.notify_fd >= 0) {
        int fl = fcntl(t->opts.notify_fd, F_GETFL);
        if (fl >= 0)
            fcntl(t->opts.notify_fd, F_SETFL, fl | O_NONBLOCK);
    }
    if (!(t->cfg = aft_config_clone(cfg)) || !(t->applied = cJSON_CreateArray())) {
        aft_error_set(err, "out of memory");
        aft_trainer_free(t);
        return NULL;
    }
    if (tr_dist_check(t, err) < 0) {
        aft_trainer_free(t);
        return NULL;
    }
    return t;
}

aft_trainer *aft_trainer_new(const aft_config *cfg, const aft_trainer_opts *opts, aft_error *err)
{
    if (!cfg) {
        aft_error_set(err, "no configuration");
        return NULL;
    }
    if (aft_config_validate(cfg, err) < 0)
        return NULL;
    aft_trainer *t = tr_alloc(cfg, opts, err);
    if (!t)
        return NULL;
    if (opts && opts->run_name) {
        if (strlen(opts->run_name) >= sizeof t->run_name) {
            aft_error_set(err, "run name '%s' is too long", opts->run_name);
            aft_trainer_free(t);
            return NULL;
        }
        snprintf(t->run_name, sizeof t->run_name, "%s", opts->run_name);
    }
    if (!t->opts.defer_prepare && tr_prepare_new(t, err) < 0) {
        aft_trainer_free(t);
        return NULL;
    }
    return t;
}

aft_trainer *aft_trainer_resume(const char *run_dir, const char *const *sets, size_t n_sets,
                                const aft_trainer_opts *opts, aft_error *err)
{
    return tr_resume(run_dir, sets, n_sets, opts, err);
}

void aft_trainer_free(aft_trainer *t)
{
    if (!t)
        return;
    if (t->thread_started) {
        aft_trainer_abort(t);
        aft_trainer_join(t, NULL);
    }
    if (t->ctl)
        aft_control_stop(t->ctl);
    aft_batch_buf_free(&t->train_buf);
    aft_batch_buf_free(&t->eval_buf);
    tr_ppo_free(t);
    aft_optim_free(t->optim);
    aft_model_free(t->model);
    tr_data_free(&t->data);
    aft_trainer_state_free(&t->st);
    cJSON_Delete(t->applied);
    aft_config_free(t->cfg);
    if (t->log_fd >= 0)
        close(t->log_fd);
    if (t->metrics_fd >= 0)
        close(t->metrics_fd);
    for (int k = 0; k < AFT_SERIES_COUNT; k++)
        free(t->series[k].pts);
    free(t->events);
    free(t->notes);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->wmu);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

int aft_trainer_run(aft_trainer *t, aft_error *err)
{
    aft_error local = {0};
    int rc = tr_loop(t, &local);
    pthread_mutex_lock(&t->mu);
    t->accepting = 0;
    if (rc < 0) {
        t->status.phase = AFT_PHASE_FAILED;
        snprintf(t->status.error, sizeof t->status.error, "%s", local.msg);
    } else {
        t->status.phase = AFT_PHASE_FINISHED;
    }
    pthread_mutex_unlock(&t->mu);
    if (rc < 0) {
        tr_log(t, "error: %s", local.msg);
        if (err)
            *err = local;
    }
    tr_notify(t);
    return rc;
}

static void *thread_main(void *arg)
{
    aft_trainer *t = arg;
    t->thread_rc = aft_trainer_run(t, &t->thread_err);
    return NULL;
}

int aft_trainer_start(aft_trainer *t, aft_error *err)
{
    if (t->thread_started)
        return aft_error_set(err, "the trainer is already running");
    /* The new thread inherits the mask: block everything there, so signals
     * go to the program's own threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t->thread, NULL, thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return aft_error_errno(err, rc, "cannot start the trainer thread");
    t->thread_started = 1;
    return 0;
}

int aft_trainer_join(aft_trainer *t, aft_error *err)
{
    if (!t->thread_started)
        return aft_error_set(err, "the trainer thread was not started");
    pthread_join(t->thread, NULL);
    t->thread_started = 0;
    if (t->thread_rc < 0 && err)
        *err = t->thread_err;
    return t->thread_rc;
}

void aft_trainer_abort(aft_trainer *t)
{
    /* Several ranks stop together: rank 0 hands the abort on at the next
     * step boundary (tr_dist_drain). */
    atomic_store(tr_dist_size(t) > 1 ? &t->abort_local : &t->abort_req, 1);
    pthread_mutex_lock(&t->mu);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int aft_trainer_command(aft_trainer *t, const aft_cmd *cmd, aft_error *err)
{
    if (cmd->kind == AFT_CMD_STATUS)
        return 0;
    if (cmd->kind == AFT_CMD_SET && tr_check_set(cmd->key, cmd->value, err) < 0)
        return -1;
    pthread_mutex_lock(&t->mu);
    int rc = 0;
    if (!t->accepting)
        rc = aft_error_set(err, "the run has ended; commands are no longer taken");
    else if (t->q_len == TR_QUEUE_CAP)
        rc = aft_error_set(err, "too many commands waiting for the trainer; try again");
    else {
        t->queue[(t->q_head + t->q_len) % TR_QUEUE_CAP] = *cmd;
        t->q_len++;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static size_t add_field(char *buf, size_t size, size_t used, const char *fmt, ...)
    AFT_PRINTF(4, 5);

static size_t add_field(char *buf, size_t size, size_t used, const char *fmt, ...)
{
    if (used >= size)
        return used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
    return n < 0 ? used : used + (size_t)n;
}

/* JSON has no NaN: unknown figures are null. */
static size_t add_num(char *buf, size_t size, size_t used, const char *key, double v)
{
    if (!isfinite(v))
        return add_field(buf, size, used, ",\"%s\":null", key);
    return add_field(buf, size, used, ",\"%s\":%.9g", key, v);
}

int aft_trainer_control_handler(void *ctx, const aft_cmd *cmd, char *fields, size_t size,
                                aft_error *err)
{
    aft_trainer *t = ctx;
    if (cmd->kind != AFT_CMD_STATUS)
        return aft_trainer_command(t, cmd, err);
    aft_trainer_status s;
    aft_trainer_status_get(t, &s);
    if (!fields || size == 0)
        return 0;
    fields[0] = '\0';
    size_t u = add_field(fields, size, 0, "\"state\":\"%s\",\"step\":%llu,\"total_steps\":%llu,"
                         "\"epoch\":%llu,\"epochs\":%llu",
                         aft_trainer_phase_name(s.phase), (unsigned long long)s.step,
                         (unsigned long long)s.total_steps, (unsigned long long)s.epoch,
                         (unsigned long long)s.epochs);
    u = add_num(fields, size, u, "loss", s.train_loss);
    u = add_num(fields, size, u, "val_loss", s.val_loss);
    u = add_num(fields, size, u, "val_accuracy", s.val_accuracy);
    u = add_num(fields, size, u, "val_macro_f1", s.val_macro_f1);
    u = add_num(fields, size, u, "best_metric", s.best_metric);
    u = add_field(fields, size, u, ",\"best_step\":%llu,\"patience_left\":%d",
                  (unsigned long long)s.best_step, s.patience_left);
    u = add_num(fields, size, u, "tokens_per_s", s.tokens_per_s);
    u = add_num(fields, size, u, "eta_s", s.eta_s);
    if (u >= size)
        fields[0] = '\0'; /* a cut-off object is worse than none */
    return 0;
}

void aft_trainer_status_get(aft_trainer *t, aft_trainer_status *out)
{
    pthread_mutex_lock(&t->mu);
    *out = t->status;
    pthread_mutex_unlock(&t->mu);
}

void tr_set_phase(aft_trainer *t, aft_trainer_phase phase)
{
    pthread_mutex_lock(&t->mu);
    t->status.phase = phase;
    pthread_mutex_unlock(&t->mu);
    tr_notify(t);
}

void tr_push_point(aft_trainer *t, aft_series_kind kind, uint64_t step, double value)
{
    pthread_mutex_lock(&t->mu);
    tr_series *s = &t->series[kind];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        aft_point *p = realloc(s->pts, cap * sizeof *p);
        if (p) {
            s->pts = p;
            s->cap = cap;
        }
    }
    /* Out of memory drops a chart point; the file keeps it. */
    if (s->n < s->cap)
        s->pts[s->n++] = (aft_point){step, value};
    pthread_mutex_unlock(&t->mu);
}

void tr_push_event(aft_trainer *t, uint64_t step, const char *kind, const char *text)
{
    pthread_mutex_lock(&t->mu);
    if (t->n_events == t->cap_events) {
        size_t cap = t->cap_events ? 2 * t->cap_events : 64;
        aft_event *e = realloc(t->events, cap * sizeof *e);
        if (e) {
            t->events = e;
            t->cap_events = cap;
        }
    }
    if (t->n_events < t->cap_events) {
        aft_event *e = &t->events[t->n_events++];
        e->step = step;
        snprintf(e->kind, sizeof e->kind, "%s", kind);
        snprintf(e->text, sizeof e->text, "%s", text);
    }
    pthread_mutex_unlock(&t->mu);
}

size_t aft_trainer_series_len(aft_trainer *t, aft_series_kind kind)
{
    if ((unsigned)kind >= AFT_SERIES_COUNT)
        return 0;
    pthread_mutex_lock(&t->mu);
    size_t n = t->series[kind].n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t aft_trainer_series(aft_trainer *t, aft_series_kind kind, size_t from, aft_point *out,
                          size_t cap)
{
    if ((unsigned)kind >= AFT_SERIES_COUNT)
        return 0;
    pthread_mutex_lock(&t->mu);
    const tr_series *s = &t->series[kind];
    size_t n = from < s->n ? s->n - from : 0;
    if (n > cap)
        n = cap;
    if (n)
        memcpy(out, s->pts + from, n * sizeof *out);
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t aft_trainer_events_len(aft_trainer *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->n_events;
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t aft_trainer_events(aft_trainer *t, size_t from, aft_event *out, size_t cap)
{
    pthread_mutex_lock(&t->mu);
    size_t n = from < t->n_events ? t->n_events - from : 0;
    if (n > cap)
        n = cap;
    if (n)
        memcpy(out, t->events + from, n * sizeof *out);
    pthread_mutex_unlock(&t->mu);
    return n;
}

const char *aft_trainer_run_dir(const aft_trainer *t)
{
    return t->log_fd >= 0 || t->metrics_fd >= 0 ? t->run_dir : "";
}

const char *aft_trainer_notes(const aft_trainer *t)
{
    return t->notes ? t->notes : "";
}

void tr_note(aft_trainer *t, const char *fmt, ...)
{
    char line[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t old = t->notes ? strlen(t->notes) : 0;
    char *n = realloc(t->notes, old + strlen(line) + 2);
    if (!n)
        return;
    memcpy(n + old, line, strlen(line));
    n[old + strlen(line)] = '\n';
    n[old + strlen(line) + 1] = '\0';
    t->notes = n;
}

void tr_publish(aft_trainer *t, double train_loss, double tokens_per_s)
{
    pthread_mutex_lock(&t->mu);
    aft_trainer_status *s = &t->status;
    s->step = t->st.step;
    s->total_steps = t->total_steps;
    s->epoch = t->st.epoch;
    s->epochs = (uint64_t)aft_config_int(t->cfg, AFT_K_EPOCHS);
    s->ppo = tr_is_ppo(t);
    if (isfinite(train_loss))
        s->train_loss = train_loss;
    if (isfinite(tokens_per_s))
        s->tokens_per_s = tokens_per_s;
    s->early_stop_metric = tr_metric_name(t->cfg);
    s->best_metric = t->st.best_metric;
    s->best_step = t->st.best_step;
    int64_t patience = aft_config_int(t->cfg, AFT_K_PATIENCE);
    s->patience_left = patience > 0 ? (int)(patience - (int64_t)t->st.evals_since_best) : -1;
    s->stopped_early = t->early_stopped;
    s->stopped = t->stop_req;
    s->elapsed_s = t->t_train;
    s->eta_s = t->steps_here && t->total_steps >= t->st.step
                   ? t->t_train / (double)t->steps_here * (double)(t->total_steps - t->st.step)
                   : NAN;
    s->train_examples = t->data.sets[TR_TRAIN].count;
    s->valid_examples = t->data.sets[TR_VALID].count;
    snprintf(s->run_dir, sizeof s->run_dir, "%s", aft_trainer_run_dir(t));
    pthread_mutex_unlock(&t->mu);
    tr_notify(t);
}
