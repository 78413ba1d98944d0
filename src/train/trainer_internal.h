/* Private to the trainer (src/train/trainer*.c): the layout of an
 * aft_trainer and the helpers its files share. */
#ifndef AGENTFT_TRAINER_INTERNAL_H
#define AGENTFT_TRAINER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "agentft/examples.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/reject.h"
#include "agentft/tokenizer.h"
#include "agentft/trainer.h"
#include "agentft/trainer_state.h"

#define TR_QUEUE_CAP 64
#define TR_PATH_MAX 4096
/* Example sets by split: train, valid, test. */
enum { TR_TRAIN, TR_VALID, TR_TEST, TR_NSETS };

typedef struct tr_series {
    aft_point *pts;
    size_t n, cap;
} tr_series;

/* What a dataset file looked like when it was loaded (to notice edits). */
typedef struct tr_file_stamp {
    int64_t size, mtime_ns;
    uint64_t ino;
} tr_file_stamp;

/* One record, for counting what an edit added, removed or changed: records
 * with an id match by id, others by their whole line. */
typedef struct tr_print {
    uint64_t key, line;
    uint8_t has_id;
} tr_print;

typedef struct tr_data {
    size_t n_files;
    char *paths[3];
    aft_split implied[3];
    tr_file_stamp stamps[3];
    tr_print *prints;
    size_t n_prints;
    aft_tokenizer *tok;
    aft_action_set actions;
    aft_example_set sets[TR_NSETS];
    int max_seq, with_target;
    int32_t pad;
    size_t unsplit;              /* records of a single file without a split */
    size_t bad_lines;            /* lines the dataset store skipped */
    /* the current epoch's order (indices into sets[TR_TRAIN]) */
    size_t *order;
    size_t n_order;
    uint64_t order_epoch;
    int have_order;
} tr_data;

struct aft_trainer {
    /* Set up by new/resume, then owned by whichever thread runs the loop. */
    aft_config *cfg;
    aft_trainer_opts opts;
    int prepared, resumed;
    char run_name[256];          /* asked for by opts ("" = a timestamp) */
    char run_dir[TR_PATH_MAX];
    int log_fd, metrics_fd;
    uint64_t metrics_lines;
    tr_data data;
    aft_model *model;
    aft_optim *optim;
    aft_batch_buf train_buf, eval_buf;
    aft_trainer_state st;
    cJSON *applied;              /* live changes applied so far: [{step,key,old,new}] */
    uint64_t total_steps;
    uint64_t last_eval_step;     /* step of the last validation, 0 = none */
    uint64_t last_ckpt_step;     /* step of the last step-N checkpoint, 0 = none */
    int paused, stop_req, early_stopped, finished;
    double t_start, t_train;     /* monotonic seconds: loop start, time in steps + evals */
    uint64_t steps_here;         /* steps done by this process */
    double tok_ema;              /* tokens per second, smoothed */
    char *notes;
    aft_control_server *ctl;
    struct tr_ppo *ppo;          /* train.objective: ppo; made when the run starts */
    double steps_s;              /* time in training steps, this process */
    double comm_s, comm_total_s; /* of which summing gradients over MPI ranks: last step, all */
    double wait_s, wait_total_s; /* and waiting for the slowest rank before that */

    /* Shared with other threads: under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    aft_cmd queue[TR_QUEUE_CAP];
    size_t q_head, q_len;
    int accepting;               /* the run has not ended: commands are taken */
    aft_trainer_status status;
    tr_series series[AFT_SERIES_COUNT];
    aft_event *events;
    size_t n_events, cap_events;
    atomic_int abort_req;
    atomic_int abort_local;      /* several ranks: rank 0's abort, handed to all at a boundary */

    /* The weights as others may copy them: the trainer thread holds wmu
     * while it changes them (an optimizer update, restoring the best), so a
     * copy is always of a step boundary. */
    pthread_mutex_t wmu;
    int weights_ready;           /* under wmu: the model is prepared */

    pthread_t thread;
    int thread_started, thread_rc;
    aft_error thread_err;
};

/* trainer.c: shared state */
void tr_notify(aft_trainer *t);
void tr_push_point(aft_trainer *t, aft_series_kind kind, uint64_t step, double value);
void tr_push_event(aft_trainer *t, uint64_t step, const char *kind, const char *text);
void tr_set_phase(aft_trainer *t, aft_trainer_phase phase);
void tr_note(aft_trainer *t, const char *fmt, ...) AFT_PRINTF(2, 3);
/* Copies the loop's figures into the status snapshot. */
void tr_publish(aft_trainer *t, double train_loss, double tokens_per_s);
double tr_now(void);        /* monotonic seconds */
double tr_wall(void);       /* Unix time in seconds */

/* trainer_prep.c: turning a config into a model, an optimizer and threads */
const char *tr_metric_name(const aft_config *cfg); /* a static string */
void tr_optim_config(const aft_config *cfg, aft_optim_config *oc);
int tr_model_config(const aft_config *cfg, int vocab, int n_actions, aft_model_config *mc,
                    aft_error *err);
int tr_apply_threads(aft_trainer *t);
int tr_make_optim(aft_trainer *t, aft_error *err);
int tr_make_buffers(aft_trainer *t, aft_error *err);
int tr_prepare_new(aft_trainer *t, aft_error *err);
/* Sets the model's dropout (a live key). */
void tr_set_dropout(aft_model *m, float dropout, float attn_dropout);
aft_trainer *tr_alloc(const aft_config *cfg, const aft_trainer_opts *opts, aft_error *err);

/* trainer_data.c: datasets, tokenizer, actions, examples, edits */
int tr_data_files(tr_data *d, const aft_config *cfg, aft_error *err);
/* Opens the files (ds[i] for d->paths[i]), noting their stamps and record
 * prints; with require_split a single file's records must all carry a split. */
int tr_data_open(tr_data *d, const aft_config *cfg, aft_dataset *ds[3], int require_split,
                 aft_error *err);
void tr_data_close(aft_dataset *ds[3]);
/* Opens the run's files again for a look at their records (ds[i] for
 * d->paths[i]), leaving d alone: its stamps and prints stay those of the
 * last load, so edits since still count at the next epoch. */
int tr_data_probe(const tr_data *d, const aft_config *cfg, aft_dataset *ds[3], aft_error *err);
int tr_data_train_tokenizer(tr_data *d, aft_dataset *const ds[3], const aft_config *cfg,
                            aft_error *err);
/* Builds the action set from every record, unless it is already set. */
int tr_data_actions(tr_data *d, aft_dataset *const ds[3], aft_error *err);
int tr_data_build_examples(tr_data *d, aft_dataset *const ds[3], aft_error *err);
void tr_data_free(tr_data *d);
/* At an epoch boundary: reloads the files when one changed since it was
 * loaded. *changed is 1 and `event` gets the "data" event's fields (counts
 * added, removed, changed, per split) when the records differ. On error the
 * old data stays. */
int tr_data_reload(tr_data *d, const aft_config *cfg, int *changed, cJSON *event,
                   aft_error *err);
/* A hash of the training examples (tokens and labels), to tell on resume
 * whether the data is the one the checkpoint was trained on. */
uint64_t tr_data_fingerprint(const tr_data *d);

/* trainer_order.c: the data order of an epoch */
int tr_order_build(aft_trainer *t, uint64_t epoch, aft_error *err);
size_t tr_epoch_examples(const aft_trainer *t, uint64_t epoch);
uint64_t tr_total_steps(const aft_trainer *t);
int tr_levels_in_play(const aft_trainer *t, uint64_t epoch, int *levels, int *n_levels);

/* trainer_loop.c */
int tr_loop(aft_trainer *t, aft_error *err);
/* Validation and checkpoints due after a step. */
int tr_after_step(aft_trainer *t, aft_error *err);
/* The learning rate of the current step, by the schedule. */
double tr_scheduled_lr(const aft_trainer *t);
/* The reject rule of the config over the run's actions, with the run's
 * calibrated threshold; an error when the data has no such action. */
int tr_reject_rule(const aft_trainer *t, aft_reject_rule *rule, aft_error *err);
/* eval.reject_keep's threshold saved with checkpoints/best (NAN: none). */
int tr_best_reject_threshold(const aft_trainer *t, double *thr, aft_error *err);
int tr_eval_set(aft_trainer *t, const aft_example_set *set, aft_eval_result *out,
                aft_error *err);

/* trainer_cmd.c: commands at step boundaries and live changes */
/* Drains the queue; while paused, waits for commands. Returns 0, or -1
 * with err when applying one failed. */
int tr_drain_commands(aft_trainer *t, aft_error *err);
/* The next queued command (1), or 0 when there is none; while paused, waits
 * for one (or a stop or an abort). */
int tr_next_command(aft_trainer *t, aft_cmd *c);
int tr_apply_cmd(aft_trainer *t, const aft_cmd *c, aft_error *err);
int tr_apply_set(aft_trainer *t, const char *key, const char *value, int log_event,
                 aft_error *err);
int tr_check_set(const char *key, const char *value, aft_error *err);
int tr_eval_now(aft_trainer *t, int scheduled, aft_error *err);
/* Writes checkpoints/step-N for the current step and logs the event. */
int tr_checkpoint_now(aft_trainer *t, aft_error *err);
/* The event line that follows a checkpoint (also written again on resume when
 * a kill came between the checkpoint and its line). */
int tr_emit_checkpoint_event(aft_trainer *t, const char *name, aft_error *err);
int tr_emit_best_event(aft_trainer *t, aft_error *err);
/* Pushes the config's live values into the optimizer, the model and the step count. */
int tr_apply_live(aft_trainer *t, aft_error *err);

/* trainer_run.c: the run directory, metrics.jsonl, train.log */
int tr_run_create(aft_trainer *t, aft_error *err);
int tr_run_open_files(aft_trainer *t, aft_error *err);
void tr_log(aft_trainer *t, const char *fmt, ...) AFT_PRINTF(2, 3);
/* Writes obj (freed here) as one line of metrics.jsonl and updates the log. */
int tr_emit(aft_trainer *t, cJSON *obj, aft_error *err);
/* Writes an event line: {"step","kind":"event","event":name, fields..., "time"}.
 * fields (may be NULL) is consumed. */
int tr_emit_event(aft_trainer *t, const char *name, cJSON *fields, aft_error *err);
/* The one-line summary of an event object (for the UI's log). */
void tr_event_text(const cJSON *ev, char *buf, size_t size);
/* Takes a metrics.jsonl line into the in-memory log (for resume). */
void tr_ingest_line(aft_trainer *t, const cJSON *obj);

/* trainer_ckpt.c: checkpoints */
int tr_checkpoint(aft_trainer *t, const char *name, aft_error *err);
char *tr_extra_json(aft_trainer *t);
int tr_rmtree_flat(const char *dir);
/* RUN/checkpoints/NAME into buf. */
int tr_ckpt_path(const aft_trainer *t, const char *name, char *buf, size_t size, aft_error *err);
void tr_checkpoints_tidy(const char *ckpt_dir);

/* trainer_weights.c: copies of the weights for other threads */
/* Says the model is prepared, so copies may be taken (after prepare or resume). */
void tr_weights_ready(aft_trainer *t);

/* trainer_dist.c: data-parallel runs over t->opts.dist (one process: no-ops) */
int tr_dist_size(const aft_trainer *t);
/* Rank 0, which alone writes the run directory (and a process of its own). */
int tr_dist_leader(const aft_trainer *t);
/* Whether the config can run on the job's ranks (before anything is made). */
int tr_dist_check(const aft_trainer *t, aft_error *err);
/* This rank's part [*lo, *lo + *m) of a global batch of n examples. */
void tr_dist_slice(const aft_trainer *t, size_t n, size_t *lo, size_t *m);
/* Before the first step: the same data and step everywhere, rank 0's
 * weights and optimizer state sent to all. */
int tr_dist_begin(aft_trainer *t, aft_error *err);
/* Sums the step's gradients and sums[0..n) over the ranks. */
int tr_dist_reduce_step(aft_trainer *t, double *sums, size_t n, aft_error *err);
int tr_dist_sum_counts(aft_trainer *t, size_t *counts, size_t n, aft_error *err);
/* tr_drain_commands with several ranks: rank 0's commands, applied by all. */
int tr_dist_drain(aft_trainer *t, aft_error *err);
int tr_dist_same_data(aft_trainer *t, aft_error *err);
/* Rank 0's weights into every rank's model. */
int tr_dist_bcast_weights(aft_trainer *t, aft_error *err);
/* After the run: checks the weights are the same on every rank; logs the
 * time spent summing gradients. */
int tr_dist_end(aft_trainer *t, aft_error *err);

/* trainer_ppo.c: reinforcement fine-tuning (train.objective: ppo); a step
 * is one PPO update */
int tr_is_ppo(const aft_trainer *t);
/* At the start of the run (new or resumed): rewards, reference policy,
 * and on a new run the evaluation of the starting policy. */
int tr_ppo_begin(aft_trainer *t, aft_error *err);
/* One rollout and update; 1 when aborted part way. */
int tr_ppo_step(aft_trainer *t, aft_error *err);
int tr_ppo_done(const aft_trainer *t);
/* Greedy evaluation episodes: their mean return (NaN when there are none). */
int tr_ppo_evaluate(aft_trainer *t, double *mean_return, size_t *episodes, aft_error *err);
double tr_ppo_val_reward(const aft_trainer *t);
int tr_ppo_apply_live(aft_trainer *t, aft_error *err);
/* Adds PPO's part of the checkpoint state ("ppo": {...}) to o. */
void tr_ppo_extra(const aft_trainer *t, cJSON *o);
/* The "ppo" lines of metrics.jsonl into the series. */
void tr_ppo_ingest(aft_trainer *t, uint64_t step, const cJSON *obj);
void tr_ppo_free(aft_trainer *t);

/* trainer_resume.c */
aft_trainer *tr_resume(const char *run_dir, const char *const *sets, size_t n_sets,
                       const aft_trainer_opts *opts, aft_error *err);

#endif
