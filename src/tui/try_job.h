/* The Try pane's model work, in a thread of its own: one context classified
 * (top actions with their probabilities) and, where the LM head was
 * trained, answered by greedy decoding, with the shown run's checkpoint
 * (best, else newest; opened again when its file changes) and with the
 * live weights of the workbench's own run (copied from the trainer at a
 * step boundary, so also while it is paused). No curses here. */
#ifndef TUI_TRY_JOB_H
#define TUI_TRY_JOB_H

#include <stddef.h>

#include "agentft/trainer.h"

#define TRY_TOP 5
#define TRY_NEW_TOKENS 64

enum { TRY_CKPT, TRY_LIVE, TRY_SIDES };

typedef struct try_side {
    int ok;                      /* the figures below are there */
    char what[160];              /* "best checkpoint, step 40", "live weights, step 57" */
    char note[AFT_ERROR_MAX + 16]; /* why there is nothing, or the error */
    int n_top;
    char top_name[TRY_TOP][128];
    float top_p[TRY_TOP];
    int cut;                     /* the context was cut from the left to fit */
    char *gen_action;            /* greedy decoding; NULL where the LM head was not trained */
    char *gen_response;
} try_side;

typedef struct try_result {
    unsigned long serial;        /* of the request */
    double ms;                   /* time it took */
    try_side side[TRY_SIDES];
} try_result;

typedef struct try_job try_job;

/* Starts the thread; wake_fd (or -1) gets a byte when a result is ready. */
try_job *try_job_new(int wake_fd, aft_error *err);
/* Stops the thread: a request under way stops at its next model step. */
void try_job_free(try_job *j);
/* The run whose live weights are tried (NULL: none). Once it returns, the
 * thread no longer touches the previous trainer, which may then be freed. */
void try_job_set_trainer(try_job *j, aft_trainer *t);
/* Asks for context to be tried on run_dir's checkpoint and the live
 * weights; a request still queued is replaced. */
void try_job_request(try_job *j, const char *context, const char *run_dir, unsigned long serial);
/* The newest finished result (the caller frees it with try_result_free),
 * or NULL. */
try_result *try_job_take(try_job *j);
/* A request is queued or under way. */
int try_job_busy(try_job *j);
void try_result_free(try_result *r);

#endif
