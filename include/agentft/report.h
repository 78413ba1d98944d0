/* The evaluation report: a run's checkpoint measured on a data set (task
 * metrics, slices, calibration, efficiency, robustness, generation), kept as
 * one JSON document (RUN/report.json) and rendered as Markdown
 * (RUN/report.md); and the A/B comparison of two models on the same data.
 * The workbench's Report pane reads the same JSON.
 *
 * Each section is built by its own function over an aft_eval_input, so
 * sections can be computed, tested and rendered on their own. Numbers that
 * are undefined (no examples) are JSON null. */
#ifndef AGENTFT_REPORT_H
#define AGENTFT_REPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "agentft/dataset.h"
#include "agentft/error.h"
#include "agentft/examples.h"
#include "agentft/predictor.h"

#define AFT_REPORT_VERSION 1

typedef struct aft_report_opts {
    const char *data_path;     /* --data FILE (all its records), or NULL: the run's test data */
    const char *checkpoint;    /* best, step-N, or NULL (see aft_predictor_open) */
    uint64_t seed;             /* perturbations, adversarial search, bootstrap (default 1) */
    int quick;                 /* fewer latency samples and robustness examples (tests) */
    int skip_efficiency;       /* leave the timing section out (deterministic output) */
    size_t misclassified_max;  /* list length in the report (0 = 200) */
    double reject_keep;        /* > 0: calibrate the fallback on the run's valid split to
                                * keep this share of its other actions' examples, instead
                                * of the checkpoint's threshold (--reject-keep) */
    /* When not NULL and it becomes non-zero (another thread), the build
     * stops at the next section or example and fails with "cancelled". */
    const atomic_int *cancel;
} aft_report_opts;

/* 1 with err set ("cancelled") when opts asks the build to stop. */
int aft_report_cancelled(const aft_report_opts *opts, aft_error *err);

/* The evaluated examples and the model's answers on them, shared by the
 * section builders. Records are those of `ds` listed in examples.items[k].record. */
typedef struct aft_eval_input {
    aft_predictor *pred;
    aft_dataset *ds;              /* the data file the examples come from */
    aft_example_set examples;     /* context + <|action|>, no target */
    int32_t *predicted;           /* per example: action id */
    float *confidence;            /* per example: its probability */
    const char *source;           /* what was evaluated, for the report ("test split of X") */
    char *calibrated_on;          /* with opts->reject_keep: "valid split of X (N examples)" */
} aft_eval_input;

/* Loads the data (opts->data_path or the run's test split: the test file, or
 * the records marked "split": "test" in its train file), encodes and
 * classifies it, the fallback first calibrated on the run's valid split
 * where opts->reject_keep asks. Examples whose action the model never saw are kept (label -1)
 * and reported, not scored. Free with aft_eval_input_free. */
int aft_eval_input_load(aft_eval_input *in, aft_predictor *p, const aft_report_opts *opts,
                        aft_error *err);
void aft_eval_input_free(aft_eval_input *in);

/* ---- sections (each returns a new cJSON object, or NULL with err) ---- */

/* "task": accuracy, macro/weighted F1, macro precision/recall, per_action
 * [{action, precision, recall, f1, support, predicted}], with a fallback
 * action fallback {action, other_examples, other_accuracy (on the examples
 * of the other actions), examples, recall, predicted, precision}, confusion {actions,
 * matrix (gold rows, predicted columns)}, top_confusions [{gold, predicted,
 * count}], misclassified [{record, line, id, context, gold, predicted,
 * confidence}] (the most confident mistakes first), misclassified_total,
 * unknown_actions {count, actions[]}. `line` is the 1-based line of
 * the record in its file. */
cJSON *aft_report_task(const aft_eval_input *in, const aft_report_opts *opts, aft_error *err);

/* "slices": complexity [{name, examples, accuracy, macro_f1}], length
 * [{name, lo, hi, examples, accuracy, macro_f1, truncated}] by context tokens
 * (buckets up to and beyond the model's max_seq), split [...] for data with
 * split fields, and truncation {max_seq, cut, note}. */
cJSON *aft_report_slices(const aft_eval_input *in, aft_error *err);

/* "calibration": ece and bins [{lo, hi, count, confidence, accuracy}] (10 bins). */
cJSON *aft_report_calibration(const aft_eval_input *in, aft_error *err);

/* "efficiency": cores, threads, parameters, latency_ms {mean (the average
 * response time), p50, p95, p99, samples} at batch 1, qps_batch32, batches
 * [{batch, qps}], best_batch {batch, qps}. Timed on the predictor's engine
 * and thread count. */
cJSON *aft_report_efficiency(aft_eval_input *in, const aft_report_opts *opts, aft_error *err);

/* "robustness": clean {accuracy, macro_f1}, perturbations [{kind, rate,
 * accuracy, macro_f1, accuracy_drop, macro_f1_drop}] (typo, word_drop,
 * word_swap, synonym, case, punct), adversarial {tried, found, max_edits,
 * mean_edits, examples [{record, line, original, adversarial, edits, gold,
 * before, after}]}. Seeded by opts->seed. */
cJSON *aft_report_robustness(aft_eval_input *in, const aft_report_opts *opts, aft_error *err);

/* "generation": lm_trained (bool), action_exact_match, response_token_accuracy,
 * response_perplexity, examples, samples [{context, gold_action,
 * generated_action, generated_response}]; only lm_trained false and a note
 * when the run's lm_loss_weight is 0. */
cJSON *aft_report_generation(aft_eval_input *in, const aft_report_opts *opts, aft_error *err);

/* ---- the whole report ---- */

/* Everything above plus the header: version, run, checkpoint, source,
 * examples, model {parameters, n_layer, n_head, d_model, max_seq,
 * vocab_size, actions}, reject {action, score, below, keep, applied} (the
 * fallback for unsure predictions, when the run has eval.reject_action),
 * machine {cores, threads}, created (ISO time). */
cJSON *aft_report_build(aft_predictor *p, const char *run_dir, const aft_report_opts *opts,
                        aft_error *err);

/* Markdown for a report (or a comparison: it looks at the "kind" field,
 * "report" or "compare"). Caller frees. */
char *aft_report_markdown(const cJSON *report);

/* Writes DIR/NAME.json and DIR/NAME.md atomically. */
int aft_report_write(const cJSON *report, const char *dir, const char *name, aft_error *err);

/* ---- A/B ---- */

/* "kind": "compare": a and b {run, checkpoint, accuracy, macro_f1}, source,
 * examples, accuracy_diff (a - b), ci95 [lo, hi] (bootstrap, 1000 resamples),
 * mcnemar {a_only, b_only, p}, per_action [{action, f1_a, f1_b, delta}]
 * (largest |delta| first), disagreements [{record, line, context, gold, a,
 * confidence_a, b, confidence_b}]. Both models must share the data; actions
 * are matched by name. */
cJSON *aft_report_compare(aft_eval_input *a, aft_eval_input *b, const aft_report_opts *opts,
                          aft_error *err);

/* Adds "efficiency" to a comparison: a and b (each aft_report_efficiency's
 * section, timed one after the other) and the ratios of B to A:
 * latency_mean_ratio, latency_p50_ratio, qps_batch32_ratio (null where a
 * side has no figure). */
int aft_report_compare_timing(cJSON *compare, aft_eval_input *a, aft_eval_input *b,
                              const aft_report_opts *opts, aft_error *err);

#endif
