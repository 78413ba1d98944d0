/* The trainer: one training run over a workspace, in the calling thread
 * (headless) or in its own pthread (the workbench), with a command queue
 * drained at step boundaries, a mutex-guarded metrics log for the UI, the
 * run directory (RUNS/NAME: config.yaml, metrics.jsonl, train.log,
 * checkpoints/, control.sock) and resume from the newest good checkpoint.
 *
 * Threads. The *owner* (the thread that called aft_trainer_new or
 * aft_trainer_resume) calls new/resume, run, start, join, evaluate and free.
 * Any thread may call aft_trainer_command, aft_trainer_abort,
 * aft_trainer_status, aft_trainer_series_len, aft_trainer_series and
 * aft_trainer_events: they copy under the trainer's mutex and never block on
 * a training step; and aft_trainer_copy_weights, aft_trainer_copy_model and
 * aft_trainer_copy_actions, which wait at most for one optimizer update (or
 * one PPO update). The model, optimizer and data belong to the trainer
 * thread while a run is going; aft_trainer_evaluate is for before start or
 * after join. Signals are blocked in the trainer's own thread, so a
 * program's signal handlers run in its main thread.
 *
 * The engine never prints: errors come back in aft_error, the human log goes
 * to RUN/train.log, and notes for the user (a skipped checkpoint on resume)
 * to aft_trainer_notes.
 *
 * Data-parallel runs (opts.dist with several ranks, under mpirun): every
 * rank makes the trainer from the same workspace (rank 0 first, then the
 * others, for resume), and every rank runs it. Each global batch is split
 * across the ranks (the data order is the same on all), gradients are
 * summed over them, and rank 0's initial weights are sent to all, so the
 * weights stay identical. Rank 0 alone writes the run directory and serves
 * commands, which it hands to the others at step boundaries; validation is
 * split across ranks. aft_trainer_abort is then rank 0's alone (the others
 * follow at the next step boundary), and a failure on any rank must end the
 * job (aft_dist_abort), since the others wait for it. */
#ifndef AGENTFT_TRAINER_H
#define AGENTFT_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/config.h"
#include "agentft/control.h"
#include "agentft/dataset.h"
#include "agentft/dist.h"
#include "agentft/error.h"
#include "agentft/examples.h"
#include "agentft/model.h"

typedef struct aft_trainer aft_trainer;

typedef struct aft_trainer_opts {
    const char *run_name;  /* RUNS/NAME; NULL = a timestamp (YYYYmmdd-HHMMSS, -2, -3 if taken) */
    int notify_fd;         /* write end of a pipe the trainer writes one byte to when there is
                              news (made non-blocking; a full pipe just skips the byte); -1 = none */
    int serve_control;     /* serve RUN/control.sock while the run is going */
    int ui_open;           /* threads = 0 then leaves one core to the UI */
    int defer_prepare;     /* new() only checks the config; loading the data, the tokenizer and
                              the model happens at the start of the run (phase PREPARING) */
    aft_dist *dist;        /* the MPI job this run is one rank of (borrowed; NULL = a process
                              of its own). Rank 0 alone writes the run directory and takes
                              commands; see "Data-parallel runs" below */
} aft_trainer_opts;

/* Defaults: no notify fd, no control socket, everything prepared in new(). */
void aft_trainer_opts_init(aft_trainer_opts *o);

/* Prepares a run of the workspace config (copied; the caller keeps cfg):
 * loads the datasets (one file whose records all carry a split, or the
 * train/valid/test files), the tokenizer (model.tokenizer, the model.init
 * folder's, or one trained on the training text and saved in the run), the
 * actions of every split, the examples, the model (from scratch, or from the
 * model.init checkpoint folder) and the optimizer, and creates the run
 * directory. Returns NULL with err set on any problem (no run directory is
 * left behind then). Caller frees with aft_trainer_free. */
aft_trainer *aft_trainer_new(const aft_config *cfg, const aft_trainer_opts *opts, aft_error *err);

/* Prepares to continue the run in run_dir from its newest complete
 * checkpoint (step-N or best, newest by step; a corrupt one is skipped and
 * reported in the notes). Restores the model, optimizer, trainer state
 * (random generators, data order position, early stopping), re-applies the
 * live changes the checkpoint recorded, then `sets` ("key=value"; live keys,
 * threads and start_paused only), and cuts metrics.jsonl back to the lines
 * written up to the checkpoint, so the file matches an uninterrupted run.
 * Fails when there is no complete checkpoint. opts->run_name is ignored. */
aft_trainer *aft_trainer_resume(const char *run_dir, const char *const *sets, size_t n_sets,
                                const aft_trainer_opts *opts, aft_error *err);

/* Frees the trainer; joins its thread first if it is still running (after
 * asking it to abort). */
void aft_trainer_free(aft_trainer *t);

/* Runs to the end in the calling thread: returns 0 when the run finished,
 * stopped early or was stopped by a command, -1 with err on failure (the
 * status then says FAILED and carries the same text). */
int aft_trainer_run(aft_trainer *t, aft_error *err);
/* Runs in a new thread (signals blocked in it). */
int aft_trainer_start(aft_trainer *t, aft_error *err);
/* Waits for that thread; returns what aft_trainer_run returned. */
int aft_trainer_join(aft_trainer *t, aft_error *err);

/* Queues a command for the next step boundary (any thread). SET is checked
 * here, at once: an unknown key, a key that is not live ("KEY cannot change
 * during a run (takes effect at the next start)") or a value out of range is
 * refused with the reason in err. Commands after the run ended are refused.
 * STATUS is answered by aft_trainer_status and queues nothing. */
int aft_trainer_command(aft_trainer *t, const aft_cmd *cmd, aft_error *err);
/* Asks the run to end as soon as possible without a checkpoint (a second
 * Ctrl-C): the current micro-batch finishes, nothing half-written is left. */
void aft_trainer_abort(aft_trainer *t);

/* The control-socket handler: STATUS fills `fields`, the rest go to
 * aft_trainer_command. ctx is the trainer. */
int aft_trainer_control_handler(void *ctx, const aft_cmd *cmd, char *fields, size_t size,
                                aft_error *err);

typedef enum {
    AFT_PHASE_PREPARING,
    AFT_PHASE_RUNNING,
    AFT_PHASE_PAUSED,
    AFT_PHASE_STOPPING,
    AFT_PHASE_FINISHED,
    AFT_PHASE_FAILED,
} aft_trainer_phase;

const char *aft_trainer_phase_name(aft_trainer_phase p); /* "running", ... */

/* A snapshot of where the run stands. Values not known yet are NaN (doubles)
 * or 0 (counts). */
typedef struct aft_trainer_status {
    aft_trainer_phase phase;
    uint64_t step, total_steps;
    uint64_t epoch, epochs;          /* epoch is 0-based */
    int ppo;                         /* a PPO run: a step is an update; epochs do not apply */
    double train_loss;
    double val_loss, val_accuracy, val_macro_f1;
    uint64_t val_step;               /* step of the last validation (0 = none yet) */
    const char *early_stop_metric;   /* "val_loss", ... (a static string) */
    double best_metric;              /* NaN = no best checkpoint yet */
    uint64_t best_step;
    int patience_left;               /* -1 when early stopping is off */
    int stopped_early;
    int stopped;                     /* ended by a stop command (resumable), not finished */
    double tokens_per_s;             /* over the last steps */
    double eta_s;
    double elapsed_s;                /* training time of this process */
    size_t train_examples, valid_examples;
    char run_dir[4096];
    char error[AFT_ERROR_MAX];       /* the failure, when phase is FAILED */
    char warning[512];               /* e.g. the control socket could not be served */
} aft_trainer_status;

void aft_trainer_status_get(aft_trainer *t, aft_trainer_status *out);

/* The metrics log, for charts: per kind, points in step order. */
typedef enum {
    AFT_SERIES_TRAIN_LOSS,
    AFT_SERIES_LR,
    AFT_SERIES_GRAD_NORM,
    AFT_SERIES_TOKENS_PER_S,
    AFT_SERIES_STEP_MS,
    AFT_SERIES_VAL_LOSS,
    AFT_SERIES_VAL_ACCURACY,
    AFT_SERIES_VAL_MACRO_F1,
    AFT_SERIES_PATIENCE_LEFT,
    /* PPO runs ("ppo" lines: one point per update; val_reward from "val") */
    AFT_SERIES_REWARD,          /* mean episode return of the rollout */
    AFT_SERIES_REWARD_STD,
    AFT_SERIES_KL,              /* KL(policy || reference) */
    AFT_SERIES_ENTROPY,
    AFT_SERIES_CLIP_FRACTION,
    AFT_SERIES_VALUE_LOSS,
    AFT_SERIES_EXPLAINED_VAR,
    AFT_SERIES_TIMEOUTS,
    AFT_SERIES_VAL_REWARD,      /* mean return of the greedy evaluation episodes */
    AFT_SERIES_COUNT
} aft_series_kind;

typedef struct aft_point {
    uint64_t step;
    double value;
} aft_point;

typedef struct aft_event {
    uint64_t step;
    char kind[16];    /* "epoch", "set", "checkpoint", "best", "early_stop", "pause",
                         "resume", "data", "restore_best" */
    char text[224];   /* one line for a log pane, e.g. "set lr 0.0003 -> 0.0001" */
} aft_event;

/* The fields of a "ppo" line of metrics.jsonl and the series each feeds
 * (also the supervised charts' loss, lr, gradient norm and step time), for
 * anyone reading the file. */
typedef struct aft_series_field {
    const char *key;
    aft_series_kind kind;
} aft_series_field;
const aft_series_field *aft_ppo_series_fields(size_t *count);

size_t aft_trainer_series_len(aft_trainer *t, aft_series_kind kind);
/* Copies points from index `from` on (at most cap); returns how many. */
size_t aft_trainer_series(aft_trainer *t, aft_series_kind kind, size_t from, aft_point *out,
                          size_t cap);
size_t aft_trainer_events_len(aft_trainer *t);
size_t aft_trainer_events(aft_trainer *t, size_t from, aft_event *out, size_t cap);

/* The run directory (owner thread; valid until free; "" before it exists). */
const char *aft_trainer_run_dir(const aft_trainer *t);
/* Notes for the user from preparation (one per line, "" if none). */
const char *aft_trainer_notes(const aft_trainer *t);

/* The run's current weights for another thread (to try the model while it
 * trains, or while it is paused): always those of a step boundary, with
 * that step in *step (may be NULL). copy_weights copies into dst, a model of
 * the run's shape (made by copy_model); copy_model makes a new one (caller
 * frees). copy_actions fills out (caller frees) with the run's actions, the
 * model's action ids. Each fails with err while the run is still preparing
 * its model (or its preparation failed); after the run ended they copy its
 * final weights. Any thread. */
int aft_trainer_copy_weights(aft_trainer *t, aft_model *dst, uint64_t *step, aft_error *err);
aft_model *aft_trainer_copy_model(aft_trainer *t, uint64_t *step, aft_error *err);
int aft_trainer_copy_actions(aft_trainer *t, aft_action_set *out, aft_error *err);
/* eval.reject_keep's threshold from the latest validation (after
 * restore_best, the best checkpoint's); NAN while there is none. */
double aft_trainer_reject_threshold(aft_trainer *t);

typedef struct aft_eval_result {
    size_t examples;     /* examples with a known action */
    double loss;         /* mean action cross-entropy */
    double accuracy, macro_f1;
} aft_eval_result;

/* Evaluates the model on a split (AFT_SPLIT_VALID or AFT_SPLIT_TEST): the
 * current weights, or with use_best the run's checkpoints/best. Owner thread,
 * not while the trainer thread runs. A split without examples is an error. */
int aft_trainer_evaluate(aft_trainer *t, aft_split split, int use_best, aft_eval_result *out,
                         aft_error *err);

/* Loads every checkpoint of a run (model, optimizer, trainer state) and
 * writes one line per checkpoint ("checkpoints/step-40: ok, step 40" or
 * "...: corrupt: reason") into a malloc'd *report. Returns the number of
 * corrupt checkpoints, or -1 with err when the run cannot be read. */
int aft_run_check_checkpoints(const char *run_dir, char **report, aft_error *err);

#endif
