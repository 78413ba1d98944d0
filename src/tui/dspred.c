/* The dataset's predictions (see dspred.h): a worker thread holding the
 * opened checkpoint, fed chunks of contexts by the UI thread. */
#include "dspred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/clock.h"
#include "agentft/blas.h"
#include "agentft/predictor.h"
#include "ckptfind.h"
#include "worker.h"

#define CHUNK 128          /* records a task: a quick cancel, little memory */
#define IN_FLIGHT 2        /* tasks handed out at once: the thread never waits */
#define POLL_MS 1000.0     /* looking for a new checkpoint */
#define REMAP_MS 8.0       /* carrying over, per loop turn */
#define CLASSIFY_BATCH 32

enum { PT_OPEN, PT_CLASSIFY };
enum { DS_NONE, DS_OPENING, DS_READY, DS_FAILED };

typedef struct pred_task {
    int kind;
    unsigned long epoch;       /* the model it is for */
    int failed;
    char msg[AFT_ERROR_MAX];
    /* PT_OPEN: in */
    char run_dir[4096], name[64];
    /* PT_OPEN: out */
    char **names;
    size_t n_names;
    /* PT_CLASSIFY */
    size_t n;
    size_t *recs;
    uint64_t *hashes;
    char **contexts;
    int32_t *pred;
    float *conf;
} pred_task;

struct dspred {
    predstore s;
    worker *w;
    int state;
    unsigned long epoch;
    ckpt_stamp stamp;
    char run_dir[4096];
    char msg[AFT_ERROR_MAX];
    double last_poll;
    unsigned long seen_gen;
    int gen_known;
    size_t scan;               /* where to look for records to predict */
    size_t inflight;           /* classify tasks of this epoch handed out */
    int passing;               /* work was handed out since the last pass ended */
    int held;
};

/* ---- the thread ------------------------------------------------------------------- */

static void task_free(void *arg)
{
    pred_task *t = arg;
    for (size_t i = 0; i < t->n_names; i++)
        free(t->names[i]);
    free(t->names);
    for (size_t i = 0; i < t->n && t->contexts; i++)
        free(t->contexts[i]);
    free(t->contexts);
    free(t->recs);
    free(t->hashes);
    free(t->pred);
    free(t->conf);
    free(t);
}

static void state_free(void *state)
{
    aft_predictor **pp = state;
    aft_predictor_free(*pp);
    free(pp);
}

static void run_open(aft_predictor **pp, pred_task *t)
{
    aft_error err = {0};
    aft_predictor_free(*pp);
    /* The thread count stays what the process uses (a run may be going). */
    *pp = aft_predictor_open(t->run_dir, t->name, aft_blas_get_threads(), &err);
    const aft_action_set *a = *pp ? aft_predictor_actions(*pp) : NULL;
    t->names = a ? calloc(a->count ? a->count : 1, sizeof *t->names) : NULL;
    for (size_t i = 0; t->names && i < a->count; i++)
        if ((t->names[i] = strdup(a->names[i])))
            t->n_names++;
    if (!t->names || t->n_names != a->count) {
        t->failed = 1;
        snprintf(t->msg, sizeof t->msg, "%s", *pp ? "out of memory" : err.msg);
    }
}

static void run(void *state, void *arg, const atomic_int *cancel)
{
    aft_predictor **pp = state;
    pred_task *t = arg;
    if (t->kind == PT_OPEN) {
        run_open(pp, t);
        return;
    }
    aft_error err = {0};
    for (size_t i = 0; i < t->n; i += CLASSIFY_BATCH) {
        if (atomic_load(cancel) || !*pp) {
            t->failed = 1;
            snprintf(t->msg, sizeof t->msg, "cancelled");
            return;
        }
        size_t m = t->n - i < CLASSIFY_BATCH ? t->n - i : CLASSIFY_BATCH;
        if (aft_predictor_classify_text(*pp, (const char *const *)t->contexts + i, m,
                                        CLASSIFY_BATCH, t->pred + i, t->conf + i, NULL, NULL,
                                        &err) < 0) {
            t->failed = 1;
            snprintf(t->msg, sizeof t->msg, "%s", err.msg);
            return;
        }
    }
}

static const worker_ops ops = {.run = run, .free_task = task_free, .free_state = state_free};

/* ---- the UI thread ---------------------------------------------------------------- */

dspred *dspred_new(void)
{
    dspred *p = calloc(1, sizeof *p);
    if (p)
        ps_init(&p->s);
    return p;
}

void dspred_free(dspred *p)
{
    if (!p)
        return;
    worker_free(p->w);
    ps_free(&p->s);
    free(p);
}

const predstore *dspred_store(const dspred *p)
{
    return &p->s;
}

int dspred_ready(const dspred *p)
{
    return p->state == DS_READY;
}

static int start_worker(dspred *p, int wake_fd)
{
    if (p->w)
        return 0;
    aft_predictor **pp = calloc(1, sizeof *pp);
    aft_error err = {0};
    p->w = pp ? worker_start(&ops, pp, wake_fd, &err) : NULL;
    if (!p->w) {
        p->state = DS_FAILED;
        snprintf(p->msg, sizeof p->msg, "%s", pp ? err.msg : "out of memory");
        return -1;
    }
    return 0;
}

/* A new checkpoint, or another run: forget everything, open it. */
static void switch_model(dspred *p, const char *run_dir, const ckpt_stamp *now, int have)
{
    worker_cancel(p->w);
    p->epoch++;
    p->inflight = 0;
    p->passing = 0;
    p->scan = 0;
    ps_reset(&p->s, NULL, 0, 0);
    p->stamp = *now;
    snprintf(p->run_dir, sizeof p->run_dir, "%s", run_dir);
    p->msg[0] = '\0';
    p->state = have ? DS_OPENING : DS_NONE;
    if (!have)
        return;
    pred_task *t = calloc(1, sizeof *t);
    if (!t) {
        p->state = DS_FAILED;
        snprintf(p->msg, sizeof p->msg, "out of memory");
        return;
    }
    t->kind = PT_OPEN;
    t->epoch = p->epoch;
    snprintf(t->run_dir, sizeof t->run_dir, "%s", run_dir);
    snprintf(t->name, sizeof t->name, "%s", now->name);
    worker_push(p->w, t);
}

static int poll_checkpoint(dspred *p, const char *run_dir)
{
    int moved = strcmp(run_dir, p->run_dir) != 0;
    double now = aft_monotonic_ms();
    if (!moved && now - p->last_poll < POLL_MS)
        return 0;
    p->last_poll = now;
    ckpt_stamp st;
    int have = ckpt_find(run_dir, &st) == 0;
    if (!moved && (have ? ckpt_same(&st, &p->stamp) : !p->stamp.name[0]))
        return 0;
    switch_model(p, run_dir, &st, have);
    return DP_CHANGED;
}

static int take_one(dspred *p, const aft_dataset *ds, pred_task *t)
{
    if (t->epoch != p->epoch)
        return 0;
    if (t->kind == PT_CLASSIFY)
        p->inflight--;
    if (t->failed) {
        p->state = DS_FAILED;
        snprintf(p->msg, sizeof p->msg, "%s", t->msg);
        return DP_CHANGED;
    }
    if (t->kind == PT_OPEN) {
        if (ps_reset(&p->s, (const char *const *)t->names, t->n_names,
                     aft_dataset_count(ds)) < 0) {
            p->state = DS_FAILED;
            snprintf(p->msg, sizeof p->msg, "out of memory for %zu predictions",
                     aft_dataset_count(ds));
        } else {
            p->state = DS_READY;
        }
        p->scan = 0;
        return DP_CHANGED;
    }
    for (size_t k = 0; k < t->n; k++)
        ps_put(&p->s, t->recs[k], t->hashes[k], t->pred[k], t->conf[k]);
    return DP_CHANGED;
}

static int take_results(dspred *p, const aft_dataset *ds)
{
    int r = 0;
    for (pred_task *t; (t = worker_take(p->w));) {
        r |= take_one(p, ds, t);
        task_free(t);
    }
    return r;
}

static pred_task *new_chunk(void)
{
    pred_task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->kind = PT_CLASSIFY;
    t->recs = malloc(CHUNK * sizeof *t->recs);
    t->hashes = malloc(CHUNK * sizeof *t->hashes);
    t->contexts = calloc(CHUNK, sizeof *t->contexts);
    t->pred = malloc(CHUNK * sizeof *t->pred);
    t->conf = malloc(CHUNK * sizeof *t->conf);
    if (!t->recs || !t->hashes || !t->contexts || !t->pred || !t->conf) {
        task_free(t);
        return NULL;
    }
    return t;
}

/* Hands out chunks of records still to predict. */
static void feed(dspred *p, const aft_dataset *ds)
{
    while (p->inflight < IN_FLIGHT) {
        size_t rec = ps_next_todo(&p->s, &p->scan);
        if (rec == SIZE_MAX)
            return;
        pred_task *t = new_chunk();
        if (!t)
            return;
        t->epoch = p->epoch;
        for (; rec != SIZE_MAX && t->n < CHUNK; rec = ps_next_todo(&p->s, &p->scan)) {
            char *ctx = aft_dataset_get_string(ds, rec, "context");
            t->contexts[t->n] = ctx ? ctx : strdup("");
            t->recs[t->n] = rec;
            t->hashes[t->n] = ps_line_hash(ds, rec);
            ps_pending(&p->s, rec, t->hashes[t->n]);
            t->n++;
        }
        worker_push(p->w, t);
        p->inflight++;
        p->passing = 1;
    }
}

/* After an edit: predictions follow their records, a slice per turn. */
static int remap(dspred *p, const aft_dataset *ds)
{
    double t0 = aft_monotonic_ms();
    while (!ps_remap_step(&p->s, ds, 4096))
        if (aft_monotonic_ms() - t0 > REMAP_MS)
            return DP_BUSY;
    p->scan = 0;
    /* Views computed while the predictions were moving see them again. */
    return DP_CHANGED | DP_DONE;
}

int dspred_tick(dspred *p, const aft_dataset *ds, unsigned long ds_gen, const char *run_dir,
                int hold, int wake_fd)
{
    if (!ds || start_worker(p, wake_fd) < 0)
        return 0;
    int r = 0;
    if (!p->s.remap)
        r |= take_results(p, ds);
    if (p->gen_known && ds_gen != p->seen_gen && p->state == DS_READY &&
        ps_remap_begin(&p->s, ds) < 0) {
        p->state = DS_FAILED;
        snprintf(p->msg, sizeof p->msg, "out of memory carrying predictions over an edit");
    }
    p->seen_gen = ds_gen;
    p->gen_known = 1;
    if (p->s.remap) {
        r |= remap(p, ds);
        if (r & DP_BUSY)
            return r;
    }
    r |= hold != p->held ? DP_CHANGED : 0;
    p->held = hold;
    run_dir = run_dir ? run_dir : "";
    /* While held, only another run shown is noticed (its predictions would
     * be mislabelled): a new best every few steps must not cost a pass. */
    if (!hold || strcmp(run_dir, p->run_dir) != 0)
        r |= poll_checkpoint(p, run_dir);
    if (hold || p->state != DS_READY)
        return r;
    feed(p, ds);
    size_t from = p->scan;
    if (p->passing && p->inflight == 0 && ps_next_todo(&p->s, &from) == SIZE_MAX) {
        p->passing = 0;
        r |= DP_DONE | DP_CHANGED;
    }
    return r;
}

void dspred_info(const dspred *p, char *buf, size_t size, char *model, size_t msize)
{
    buf[0] = model[0] = '\0';
    if (p->stamp.name[0] && p->state != DS_NONE) {
        if (strcmp(p->stamp.name, "best") == 0 && p->stamp.step)
            snprintf(model, msize, "best, step %llu", (unsigned long long)p->stamp.step);
        else
            snprintf(model, msize, "%s", p->stamp.name);
    }
    switch (p->state) {
    case DS_OPENING: snprintf(buf, size, "opening %s", p->stamp.name); break;
    case DS_FAILED: snprintf(buf, size, "no predictions: %s", p->msg); break;
    case DS_READY:
        if (p->held && (p->passing || p->s.known < p->s.n))
            snprintf(buf, size, "predictions wait while the run trains");
        else if (p->passing || p->s.remap)
            snprintf(buf, size, "predicting %zu%%",
                     p->s.n ? (p->s.known * 100) / p->s.n : 100);
        break;
    default: break;
    }
}
