/* The Report pane's background evaluation (see report_job.h). */
#include "report_job.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentft/fileio.h"
#include "agentft/report.h"

struct report_job {
    pthread_t thread;
    pthread_mutex_t lock;
    rj_state state;
    atomic_int cancel;      /* the pane is going: stop at the next section or example */
    int wake_fd;
    char dir[4096];
    aft_error err;
};

static int evaluate(const char *dir, const atomic_int *cancel, aft_error *err)
{
    aft_report_opts opts = {.seed = 1, .cancel = cancel};
    aft_predictor *p = aft_predictor_open(dir, NULL, 0, err);
    if (!p)
        return -1;
    cJSON *report = aft_report_build(p, dir, &opts, err);
    int rc = report ? aft_report_write(report, dir, "report", err) : -1;
    cJSON_Delete(report);
    aft_predictor_free(p);
    return rc;
}

static void job_free(report_job *j)
{
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void *job_main(void *arg)
{
    report_job *j = arg;
    aft_error err = {0};
    int rc = evaluate(j->dir, &j->cancel, &err);
    pthread_mutex_lock(&j->lock);
    j->err = err;
    j->state = rc == 0 ? RJ_DONE : RJ_FAILED;
    if (!atomic_load(&j->cancel) && j->wake_fd >= 0)
        aft_write_all(j->wake_fd, "r", 1);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

report_job *report_job_start(const char *run_dir, int wake_fd, aft_error *err)
{
    report_job *j = calloc(1, sizeof *j);
    if (!j) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    if (strlen(run_dir) >= sizeof j->dir) {
        free(j);
        aft_error_set(err, "the run directory's path is too long: %.200s...", run_dir);
        return NULL;
    }
    memcpy(j->dir, run_dir, strlen(run_dir) + 1);
    j->wake_fd = wake_fd;
    j->state = RJ_RUNNING;
    atomic_init(&j->cancel, 0);
    pthread_mutex_init(&j->lock, NULL);
    /* Signals stay with the UI thread, which owns the terminal. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&j->thread, NULL, job_main, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        job_free(j);
        aft_error_set(err, "cannot start the evaluation thread: %s", strerror(rc));
        return NULL;
    }
    return j;
}

rj_state report_job_state(report_job *j, char *msg, size_t size)
{
    pthread_mutex_lock(&j->lock);
    rj_state s = j->state;
    if (s == RJ_FAILED && msg && size)
        snprintf(msg, size, "%s", j->err.msg[0] ? j->err.msg : "the evaluation failed");
    pthread_mutex_unlock(&j->lock);
    return s;
}

void report_job_free(report_job *j)
{
    if (!j)
        return;
    /* Joined, never left running: a process that exits while a thread is
     * inside OpenBLAS can hang in OpenBLAS's own shutdown. The build stops
     * at its next section or example, so the wait is short. */
    atomic_store(&j->cancel, 1);
    pthread_join(j->thread, NULL);
    job_free(j);
}
