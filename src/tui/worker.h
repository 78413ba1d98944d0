/* A background thread for the workbench: tasks queued by the UI thread run
 * one at a time in it, finished ones go back to the UI thread, and a byte
 * on the loop's self-pipe says one is ready. The Try pane and the dataset's
 * predictions use one each. No curses here. */
#ifndef TUI_WORKER_H
#define TUI_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include "agentft/error.h"

typedef struct worker worker;

typedef struct worker_ops {
    /* Runs a task in the worker's thread; *cancel becomes non-zero when the
     * owner no longer wants the result (it may then return early). */
    void (*run)(void *state, void *task, const atomic_int *cancel);
    void (*free_task)(void *task);
    /* Frees the state once the thread is done with it (may be NULL). */
    void (*free_state)(void *state);
} worker_ops;

/* Starts the thread (signals blocked in it) over `state`, which is the
 * thread's from now on. wake_fd (or -1) gets a byte as each task ends.
 * NULL with err when no thread could be started (the state is freed). */
worker *worker_start(const worker_ops *ops, void *state, int wake_fd, aft_error *err);
/* Queues a task (taken over). */
void worker_push(worker *w, void *task);
/* A finished task, oldest first (the caller frees it), or NULL. */
void *worker_take(worker *w);
/* Tasks queued or running (finished ones not counted). */
size_t worker_busy(worker *w);
/* Drops the queued tasks and tells the running one to stop. */
void worker_cancel(worker *w);
/* Cancels, waits for the task under way to return (tasks check *cancel
 * often, so that this is quick), and frees everything. NULL is fine. */
void worker_free(worker *w);

#endif
