/* The Try pane's thread (see try_job.h). */
#include "try_job.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/clock.h"
#include "agentft/blas.h"
#include "agentft/generate.h"
#include "agentft/predictor.h"
#include "ckptfind.h"
#include "worker.h"

typedef struct try_state {
    pthread_mutex_t tlock;
    aft_trainer *trainer;        /* under tlock */
    unsigned long trainer_gen;   /* under tlock: bumped by every set */
    /* the thread's own */
    aft_predictor *ckpt;
    char ckpt_run[4096];
    ckpt_stamp stamp;
    aft_predictor *live;
    unsigned long live_gen;
} try_state;

typedef struct try_task {
    char *context;
    char run_dir[4096];
    try_result *res;
    int cancelled;               /* a newer request came: the result is not wanted */
} try_task;

struct try_job {
    worker *w;
    try_state *st;
};

void try_result_free(try_result *r)
{
    if (!r)
        return;
    for (int s = 0; s < TRY_SIDES; s++) {
        free(r->side[s].gen_action);
        free(r->side[s].gen_response);
    }
    free(r);
}

static void task_free(void *arg)
{
    try_task *t = arg;
    free(t->context);
    try_result_free(t->res);
    free(t);
}

static void state_free(void *arg)
{
    try_state *st = arg;
    aft_predictor_free(st->ckpt);
    aft_predictor_free(st->live);
    pthread_mutex_destroy(&st->tlock);
    free(st);
}

/* ---- trying one model ----------------------------------------------------------- */

/* The top actions, their probabilities and the generated answer. */
static void try_model(aft_predictor *p, const char *context, try_side *side,
                      const atomic_int *cancel)
{
    const aft_action_set *a = aft_predictor_actions(p);
    float *probs = malloc((a->count ? a->count : 1) * sizeof *probs);
    int32_t pred;
    float conf;
    uint8_t cut = 0;
    aft_error err = {0};
    if (!probs || aft_predictor_classify_text(p, &context, 1, 1, &pred, &conf, probs, &cut,
                                              &err) < 0) {
        snprintf(side->note, sizeof side->note, "%s", probs ? err.msg : "out of memory");
        free(probs);
        return;
    }
    side->cut = cut;
    for (int k = 0; k < TRY_TOP && (size_t)k < a->count; k++) {
        size_t best = 0;
        for (size_t i = 1; i < a->count; i++)
            if (probs[i] > probs[best])
                best = i;
        snprintf(side->top_name[k], sizeof side->top_name[k], "%s", a->names[best]);
        side->top_p[k] = probs[best];
        probs[best] = -1.0f;
        side->n_top = k + 1;
    }
    free(probs);
    side->ok = 1;
    if (aft_generate_trained(p) && !atomic_load(cancel) &&
        aft_generate_greedy(p, context, TRY_NEW_TOKENS, cancel, &side->gen_action,
                            &side->gen_response, &err) < 0)
        snprintf(side->note, sizeof side->note, "generation: %s", err.msg);
}

/* The run's checkpoint, opened again when its file changed. */
static aft_predictor *checkpoint(try_state *st, const char *run_dir, try_side *side)
{
    ckpt_stamp now;
    if (!run_dir[0] || ckpt_find(run_dir, &now) < 0) {
        snprintf(side->note, sizeof side->note, "%s", run_dir[0]
                 ? "the run has no checkpoint yet" : "no run to try (F5 starts one)");
        return NULL;
    }
    if (!st->ckpt || strcmp(st->ckpt_run, run_dir) != 0 || !ckpt_same(&now, &st->stamp)) {
        aft_predictor_free(st->ckpt);
        aft_error err = {0};
        st->ckpt = aft_predictor_open(run_dir, now.name, aft_blas_get_threads(), &err);
        if (!st->ckpt) {
            snprintf(side->note, sizeof side->note, "%s", err.msg);
            return NULL;
        }
        snprintf(st->ckpt_run, sizeof st->ckpt_run, "%s", run_dir);
        st->stamp = now;
    }
    if (strcmp(now.name, "best") == 0)
        snprintf(side->what, sizeof side->what, "best checkpoint, step %llu",
                 (unsigned long long)now.step);
    else
        snprintf(side->what, sizeof side->what, "checkpoint %s", now.name);
    return st->ckpt;
}

/* A predictor over a copy of the run's weights, with its own tokenizer,
 * actions and config read from the run directory. */
static aft_predictor *live_predictor(aft_trainer *t, const char *run_dir, uint64_t *step,
                                     aft_error *err)
{
    char path[4200];
    aft_action_set acts = {0};
    aft_model *m = aft_trainer_copy_model(t, step, err);
    if (!m || aft_trainer_copy_actions(t, &acts, err) < 0) {
        aft_model_free(m);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    aft_config *cfg = aft_workspace_load(path, err);
    snprintf(path, sizeof path, "%s/tokenizer.json", run_dir);
    aft_tokenizer *tok = cfg ? aft_tokenizer_load(path, err) : NULL;
    if (!tok) {
        aft_config_free(cfg);
        aft_action_set_free(&acts);
        aft_model_free(m);
        return NULL;
    }
    double thr = aft_trainer_reject_threshold(t);
    aft_predictor *p = aft_predictor_new(cfg, tok, &acts, m, "live", aft_blas_get_threads(), err);
    if (p)
        aft_predictor_set_reject_threshold(p, thr);
    return p;
}

/* The live weights, copied now; NULL with the reason in side->note. */
static aft_predictor *live(try_state *st, try_side *side)
{
    pthread_mutex_lock(&st->tlock);
    aft_trainer *t = st->trainer;
    aft_error err = {0};
    aft_trainer_status s;
    uint64_t step = 0;
    int ok = 0;
    if (t) {
        aft_trainer_status_get(t, &s);
        if (st->live && st->live_gen == st->trainer_gen) {
            ok = aft_trainer_copy_weights(t, aft_predictor_model(st->live), &step, &err) == 0;
        } else {
            aft_predictor_free(st->live);
            st->live = live_predictor(t, s.run_dir, &step, &err);
            st->live_gen = st->trainer_gen;
            ok = st->live != NULL;
        }
    }
    pthread_mutex_unlock(&st->tlock);
    if (!t) {
        snprintf(side->note, sizeof side->note, "no run is going in this workbench (F5 starts one)");
        return NULL;
    }
    if (!ok) {
        snprintf(side->note, sizeof side->note, "%s", err.msg);
        return NULL;
    }
    snprintf(side->what, sizeof side->what, "live weights, step %llu%s",
             (unsigned long long)step, s.phase == AFT_PHASE_PAUSED ? " (paused)"
             : s.phase == AFT_PHASE_FINISHED ? " (finished)" : "");
    return st->live;
}

static void run(void *state, void *arg, const atomic_int *cancel)
{
    try_state *st = state;
    try_task *t = arg;
    double t0 = aft_monotonic_ms();
    aft_predictor *p = checkpoint(st, t->run_dir, &t->res->side[TRY_CKPT]);
    if (p)
        try_model(p, t->context, &t->res->side[TRY_CKPT], cancel);
    if ((t->cancelled = atomic_load(cancel)))
        return;
    p = live(st, &t->res->side[TRY_LIVE]);
    if (p)
        try_model(p, t->context, &t->res->side[TRY_LIVE], cancel);
    t->cancelled = atomic_load(cancel);
    t->res->ms = aft_monotonic_ms() - t0;
}

static const worker_ops ops = {.run = run, .free_task = task_free, .free_state = state_free};

/* ---- the UI thread ---------------------------------------------------------------- */

try_job *try_job_new(int wake_fd, aft_error *err)
{
    try_job *j = calloc(1, sizeof *j);
    try_state *st = calloc(1, sizeof *st);
    if (!j || !st) {
        free(j);
        free(st);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&st->tlock, NULL);
    j->st = st;
    if (!(j->w = worker_start(&ops, st, wake_fd, err))) {
        free(j);
        return NULL;
    }
    return j;
}

void try_job_free(try_job *j)
{
    if (!j)
        return;
    try_job_set_trainer(j, NULL);
    worker_free(j->w); /* the thread frees the state */
    free(j);
}

void try_job_set_trainer(try_job *j, aft_trainer *t)
{
    pthread_mutex_lock(&j->st->tlock);
    if (j->st->trainer != t) {
        j->st->trainer = t;
        j->st->trainer_gen++;
    }
    pthread_mutex_unlock(&j->st->tlock);
}

void try_job_request(try_job *j, const char *context, const char *run_dir, unsigned long serial)
{
    try_task *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->context = strdup(context ? context : "");
    t->res = calloc(1, sizeof *t->res);
    if (!t->context || !t->res) {
        task_free(t);
        return;
    }
    t->res->serial = serial;
    snprintf(t->run_dir, sizeof t->run_dir, "%s", run_dir ? run_dir : "");
    worker_cancel(j->w);
    worker_push(j->w, t);
}

try_result *try_job_take(try_job *j)
{
    try_result *newest = NULL;
    for (try_task *t; (t = worker_take(j->w));) {
        if (!t->cancelled && (!newest || t->res->serial >= newest->serial)) {
            try_result_free(newest);
            newest = t->res;
            t->res = NULL;
        }
        task_free(t);
    }
    return newest;
}

int try_job_busy(try_job *j)
{
    return worker_busy(j->w) > 0;
}
