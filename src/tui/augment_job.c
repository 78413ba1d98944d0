/* The workbench's candidate generation (see augment_job.h). */
#include "augment_job.h"

#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/clock.h"
#include "agentft/augment_config.h"
#include "agentft/fileio.h"

/* Records made per step of the thread: small enough for progress and a
 * quick cancel, large enough to keep a translator's requests in flight. */
#define MAKE_CHUNK 16
#define READ_CHUNK 1024

struct augment_job {
    pthread_mutex_t lock;
    pthread_t thread;
    int started;
    /* under lock while the thread runs */
    aj_state state;
    int cancel, abandoned;
    int closing;                 /* the thread is reaping the translators: hands off */
    pid_t pids[2];               /* the translators' process groups, 0 when none */
    size_t done, total;
    char note[512];
    /* the UI thread's alone while reading, the thread's while making */
    size_t read, all;
    int wake_fd;
    aft_augment_opts o;
    aft_augment_kit kit;
    size_t *records;
    aft_dataset *extra[2];
    aft_augment_source src[3];
    size_t nsrc;
    aft_augment_pass *pass;
    aft_augment_result res;
    aft_error err;
};

/* The other split files go once reading is done: the pass keeps what it needs. */
static void close_extra(augment_job *j)
{
    for (int i = 0; i < 2; i++) {
        aft_dataset_free(j->extra[i]);
        j->extra[i] = NULL;
    }
}

static void job_destroy(augment_job *j)
{
    aft_augment_pass_free(j->pass);
    aft_augment_result_free(&j->res);
    aft_augment_kit_close(&j->kit);
    close_extra(j);
    free(j->records);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* The dataset shown, plus the workspace's valid and test files when it
 * names split files rather than one dataset. */
static int add_sources(augment_job *j, const aft_config *cfg, const aft_dataset *ds, aft_error *err)
{
    int single = aft_config_string(cfg, AFT_K_DATASET)[0] != '\0';
    j->src[0] = (aft_augment_source){ds, single ? AFT_SPLIT_NONE : AFT_SPLIT_TRAIN};
    j->nsrc = 1;
    j->all = aft_dataset_count(ds);
    static const struct { aft_key key; aft_split split; } parts[2] = {
        {AFT_K_VALID_FILE, AFT_SPLIT_VALID}, {AFT_K_TEST_FILE, AFT_SPLIT_TEST}};
    for (int i = 0; i < 2 && !single; i++) {
        const char *path = aft_config_string(cfg, parts[i].key);
        if (!path[0])
            continue;
        aft_diag_list diags;
        aft_diag_list_init(&diags);
        aft_load_opts lo = {.strict = 0};
        j->extra[i] = aft_dataset_open(path, &lo, &diags, err);
        aft_diag_list_free(&diags);
        if (!j->extra[i])
            return -1;
        j->src[j->nsrc++] = (aft_augment_source){j->extra[i], parts[i].split};
        j->all += aft_dataset_count(j->extra[i]);
    }
    return 0;
}

augment_job *augment_job_new(const aft_config *cfg, const aft_dataset *ds, const size_t *records,
                             size_t n, char *warning, size_t wsize, aft_error *err)
{
    augment_job *j = calloc(1, sizeof *j);
    if (!j) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    j->wake_fd = -1;
    aft_error why = {0};
    if (aft_augment_parse_methods(aft_config_string(cfg, AFT_K_AUG_METHODS), &j->o.methods,
                                  &why) < 0) {
        aft_error_set(err, "augment.methods: %s", why.msg);
        goto fail;
    }
    aft_augment_opts_from_config(cfg, &j->o);
    if (!(j->records = malloc((n ? n : 1) * sizeof *j->records))) {
        aft_error_set(err, "out of memory");
        goto fail;
    }
    memcpy(j->records, records, n * sizeof *records);
    j->o.records = j->records;
    j->o.n_records = n;
    if (add_sources(j, cfg, ds, err) < 0 ||
        aft_augment_kit_open(cfg, &j->o, &j->kit, warning, wsize, err) < 0)
        goto fail;
    if (!(j->pass = aft_augment_pass_new(j->src, j->nsrc, &j->o, &j->res, err)))
        goto fail;
    j->state = AJ_READING;
    return j;
fail:
    job_destroy(j);
    return NULL;
}

/* Ends the job on the thread that has it: the translators are let go (and
 * their complaints kept as a note), the state set and the loop woken. A
 * failure after a cancel (a translator killed by it) counts as cancelled.
 * Returns 1 when the job was abandoned and must be freed by the caller. */
static int finish(augment_job *j, int rc)
{
    aft_error why = {0};
    char note[sizeof j->note] = "";
    pthread_mutex_lock(&j->lock);
    j->closing = 1;
    pthread_mutex_unlock(&j->lock);
    if (rc == 1 && aft_augment_kit_finish(&j->kit, &why) < 0)
        snprintf(note, sizeof note, "%.500s", why.msg);
    aft_augment_kit_close(&j->kit);
    pthread_mutex_lock(&j->lock);
    j->state = rc < 0 && !j->cancel ? AJ_FAILED : rc == 1 ? AJ_DONE : AJ_CANCELLED;
    memcpy(j->note, note, sizeof note);
    int abandoned = j->abandoned;
    if (!abandoned && j->wake_fd >= 0)
        aft_write_all(j->wake_fd, "a", 1);
    pthread_mutex_unlock(&j->lock);
    return abandoned;
}

static void *job_main(void *arg)
{
    augment_job *j = arg;
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int stop = j->cancel;
        pthread_mutex_unlock(&j->lock);
        if (stop)
            break;
        rc = aft_augment_pass_make(j->pass, MAKE_CHUNK, &j->res, &j->err);
        pthread_mutex_lock(&j->lock);
        j->done = aft_augment_pass_done(j->pass);
        pthread_mutex_unlock(&j->lock);
        if (rc != 0)
            break;
    }
    if (finish(j, rc))
        job_destroy(j);
    return NULL;
}

static aj_state start_making(augment_job *j, int wake_fd)
{
    close_extra(j);
    j->read = j->all;
    j->total = aft_augment_pass_total(j->pass);
    j->wake_fd = wake_fd;
    if (j->total == 0) {
        finish(j, 1);
        return j->state;
    }
    j->state = AJ_MAKING;
    j->pids[0] = j->kit.there ? aft_translator_pid(j->kit.there) : 0;
    j->pids[1] = j->kit.back ? aft_translator_pid(j->kit.back) : 0;
    /* Signals stay with the UI thread, which owns the terminal. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&j->thread, NULL, job_main, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        aft_error_set(&j->err, "cannot start a thread for the variants: %s", strerror(rc));
        finish(j, -1);
        return j->state;
    }
    j->started = 1;
    return AJ_MAKING;
}

aj_state augment_job_read(augment_job *j, double ms, int wake_fd)
{
    aj_state s = augment_job_state(j, NULL, NULL, NULL, 0);
    if (s != AJ_READING)
        return s;
    double t0 = aft_monotonic_ms();
    int rc;
    while ((rc = aft_augment_pass_read(j->pass, READ_CHUNK, &j->res, &j->err)) == 0) {
        j->read += READ_CHUNK;
        if (aft_monotonic_ms() - t0 >= ms)
            return AJ_READING;
    }
    if (rc < 0) {
        close_extra(j);
        j->wake_fd = -1;
        finish(j, -1);
        return AJ_FAILED;
    }
    return start_making(j, wake_fd);
}

aj_state augment_job_state(augment_job *j, size_t *done, size_t *total, char *msg, size_t size)
{
    pthread_mutex_lock(&j->lock);
    aj_state s = j->state;
    if (done)
        *done = s == AJ_READING ? (j->read < j->all ? j->read : j->all) : j->done;
    if (total)
        *total = s == AJ_READING ? j->all : j->total;
    if (msg && size)
        snprintf(msg, size, "%s", s == AJ_FAILED ? j->err.msg : j->note);
    pthread_mutex_unlock(&j->lock);
    return s;
}

/* Asks the thread to stop. A translator may take its whole timeout to
 * answer: killing it ends the request under way at once (the thread then
 * reaps it), and leaves no stray process when the workbench exits. */
static void stop_locked(augment_job *j)
{
    j->cancel = 1;
    for (int i = 0; i < 2 && j->state == AJ_MAKING && !j->closing; i++)
        if (j->pids[i] > 0)
            kill(-j->pids[i], SIGKILL);
}

void augment_job_cancel(augment_job *j)
{
    /* Only the UI thread leaves READING, so this state cannot change under us. */
    if (augment_job_state(j, NULL, NULL, NULL, 0) == AJ_READING) {
        close_extra(j);
        finish(j, 0);
        return;
    }
    pthread_mutex_lock(&j->lock);
    stop_locked(j);
    pthread_mutex_unlock(&j->lock);
}

void augment_job_take(augment_job *j, aft_augment_result *res)
{
    *res = j->res;
    memset(&j->res, 0, sizeof j->res);
}

void augment_job_free(augment_job *j)
{
    if (!j)
        return;
    if (j->started) {
        pthread_mutex_lock(&j->lock);
        int running = j->state == AJ_MAKING;
        j->abandoned = running;
        stop_locked(j);
        pthread_mutex_unlock(&j->lock);
        if (running) {
            pthread_detach(j->thread);
            return;
        }
        pthread_join(j->thread, NULL);
    }
    job_destroy(j);
}
