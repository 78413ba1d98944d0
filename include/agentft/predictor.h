/* A trained model opened from a run directory for inference: the run's
 * resolved config, one checkpoint's model, tokenizer and actions, and
 * classification of encoded examples or of plain context text. Used by the
 * evaluation report, A/B comparison and the workbench's Try pane.
 *
 * Threads: a predictor is used by one thread at a time. */
#ifndef AGENTFT_PREDICTOR_H
#define AGENTFT_PREDICTOR_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/config.h"
#include "agentft/dataset.h"
#include "agentft/error.h"
#include "agentft/examples.h"
#include "agentft/model.h"
#include "agentft/reject.h"
#include "agentft/tokenizer.h"

typedef struct aft_predictor aft_predictor;

/* Opens RUN_DIR's checkpoint `which`: "best", "step-N", or NULL/"" for best
 * when the run has one, else its newest step. RUN_DIR may also be a
 * checkpoint folder itself (with config.json); then the config is its
 * config.yaml when it has one (an INT8 export keeps its run's), else the
 * defaults. An INT8 export (see agentft/int8.h) loads as an INT8 model.
 * threads > 0 sets OpenBLAS's threads; 0 keeps the run's `threads`.
 * Caller frees. */
aft_predictor *aft_predictor_open(const char *run_dir, const char *which, int threads,
                                  aft_error *err);
void aft_predictor_free(aft_predictor *p);
/* A predictor over a model given in parts (the workbench's copy of a live
 * run's weights): it takes cfg (the run's config, or NULL), tok, model and
 * the action names moved out of *actions, also when it fails. name labels
 * it (aft_predictor_checkpoint_name; the checkpoint folder is ""). threads
 * as for aft_predictor_open. */
aft_predictor *aft_predictor_new(aft_config *cfg, aft_tokenizer *tok, aft_action_set *actions,
                                 aft_model *model, const char *name, int threads,
                                 aft_error *err);

/* The checkpoint a run's models are read from when none is named: "best"
 * when RUN_DIR/checkpoints/best holds a model, else the newest step-N that
 * does. Returns 0 with its name, -1 when the run has none yet. */
int aft_run_default_checkpoint(const char *run_dir, char *name, size_t size);

const aft_config *aft_predictor_config(const aft_predictor *p);   /* NULL for a bare checkpoint */
const aft_tokenizer *aft_predictor_tokenizer(const aft_predictor *p);
const aft_action_set *aft_predictor_actions(const aft_predictor *p);
aft_model *aft_predictor_model(aft_predictor *p);
/* The checkpoint folder read ("RUN/checkpoints/best"), its name ("best"). */
const char *aft_predictor_checkpoint_dir(const aft_predictor *p);
const char *aft_predictor_checkpoint_name(const aft_predictor *p);
int aft_predictor_threads(const aft_predictor *p);   /* OpenBLAS threads in use */
int32_t aft_predictor_pad(const aft_predictor *p);

/* The fallback for unsure predictions: eval.reject_* of the run's config,
 * with the threshold eval.reject_keep calibrated as saved in the
 * checkpoint's trainer_state.json (not calibrated, so never applied, where
 * the checkpoint has none). */
const aft_reject_rule *aft_predictor_reject(const aft_predictor *p);
/* Sets the calibrated threshold (a live run's, for aft_predictor_new);
 * ignored where the config has no eval.reject_keep. */
void aft_predictor_set_reject_threshold(aft_predictor *p, double threshold);

/* Calibrates the fallback's threshold here and now: the one that keeps
 * `keep` (0..1] of set's examples labelled with another action (with the
 * run's eval.reject_score), as eval.reject_keep does at each validation.
 * An error when the run has no eval.reject_action. */
int aft_predictor_calibrate_reject(aft_predictor *p, const aft_example_set *set, double keep,
                                   aft_error *err);

/* Example options for this model: its max_seq, with_target as asked. */
aft_example_opts aft_predictor_example_opts(const aft_predictor *p, int with_target,
                                            int split_filter, aft_split implied);

/* Classifies examples idx[0..n) of set (all of them when idx is NULL, n then
 * being set->count) in batches of batch_size. Per example: pred[i] (action
 * id), conf[i] (its softmax probability), and when probs is not NULL all
 * n_actions probabilities at probs[i * n_actions]. Any output may be NULL.
 * The run's reject rule (aft_predictor_reject) replaces unsure predictions
 * with eval.reject_action (conf stays the top probability). */
int aft_predictor_classify(aft_predictor *p, const aft_example_set *set, const size_t *idx,
                           size_t n, int batch_size, int32_t *pred, float *conf, float *probs,
                           aft_error *err);

/* Classifies contexts given as text, one at a time in batches of
 * batch_size; cut[i] (may be NULL) says the context was cut from the left. */
int aft_predictor_classify_text(aft_predictor *p, const char *const *contexts, size_t n,
                                int batch_size, int32_t *pred, float *conf, float *probs,
                                uint8_t *cut, aft_error *err);

#endif
