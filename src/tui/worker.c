/* The workbench's background threads (see worker.h): a mutex-guarded queue
 * in, a list of finished tasks out. */
#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

typedef struct wnode {
    void *task;
    struct wnode *next;
} wnode;

typedef struct wqueue {
    wnode *head, *tail;
    size_t n;
} wqueue;

struct worker {
    worker_ops ops;
    void *state;
    int wake_fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    /* under lock */
    wqueue todo, done;
    int running, quit;
    atomic_int cancel;
};

static void q_push(wqueue *q, wnode *n)
{
    n->next = NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->n++;
}

static wnode *q_pop(wqueue *q)
{
    wnode *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    return n;
}

static void q_clear(worker *w, wqueue *q)
{
    for (wnode *n; (n = q_pop(q));) {
        w->ops.free_task(n->task);
        free(n);
    }
}

static void destroy(worker *w)
{
    q_clear(w, &w->todo);
    q_clear(w, &w->done);
    if (w->ops.free_state)
        w->ops.free_state(w->state);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static void *main_loop(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->quit && w->todo.n == 0)
            pthread_cond_wait(&w->cv, &w->lock);
        if (w->quit)
            break;
        wnode *n = q_pop(&w->todo);
        w->running = 1;
        atomic_store(&w->cancel, 0);
        pthread_mutex_unlock(&w->lock);
        w->ops.run(w->state, n->task, &w->cancel);
        pthread_mutex_lock(&w->lock);
        w->running = 0;
        q_push(&w->done, n);
        if (w->wake_fd >= 0)
            aft_write_all(w->wake_fd, "w", 1);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

worker *worker_start(const worker_ops *ops, void *state, int wake_fd, aft_error *err)
{
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        if (ops->free_state)
            ops->free_state(state);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    w->ops = *ops;
    w->state = state;
    w->wake_fd = wake_fd;
    atomic_init(&w->cancel, 0);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cv, NULL);
    /* Signals stay with the UI thread, which owns the terminal. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, main_loop, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        destroy(w);
        aft_error_set(err, "cannot start a background thread: %s", strerror(rc));
        return NULL;
    }
    return w;
}

void worker_push(worker *w, void *task)
{
    wnode *n = malloc(sizeof *n);
    if (!n) {
        w->ops.free_task(task);
        return;
    }
    n->task = task;
    pthread_mutex_lock(&w->lock);
    q_push(&w->todo, n);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->lock);
}

void *worker_take(worker *w)
{
    pthread_mutex_lock(&w->lock);
    wnode *n = q_pop(&w->done);
    pthread_mutex_unlock(&w->lock);
    void *task = n ? n->task : NULL;
    free(n);
    return task;
}

size_t worker_busy(worker *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->todo.n + (size_t)w->running;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void worker_cancel(worker *w)
{
    pthread_mutex_lock(&w->lock);
    q_clear(w, &w->todo);
    atomic_store(&w->cancel, 1);
    pthread_mutex_unlock(&w->lock);
}

void worker_free(worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    q_clear(w, &w->todo);
    w->quit = 1;
    atomic_store(&w->cancel, 1);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->lock);
    /* Waited for, not left running: a thread still inside OpenBLAS when the
     * process exits hangs OpenBLAS's own shutdown. */
    pthread_join(w->thread, NULL);
    destroy(w);
}
