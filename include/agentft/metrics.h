/* Classification metrics over action ids: accuracy, per-action precision,
 * recall, F1 and support, macro- and weighted-F1, and the confusion matrix.
 * Used by validation during training and by the evaluation report. */
#ifndef AGENTFT_METRICS_H
#define AGENTFT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

typedef struct aft_class_metrics {
    double precision;   /* 0 when the class was never predicted */
    double recall;      /* 0 when the class has no gold examples */
    double f1;
    size_t support;     /* gold examples */
    size_t predicted;   /* examples predicted as this class */
    size_t correct;
} aft_class_metrics;

typedef struct aft_confusion {
    size_t n_classes;
    size_t *counts;     /* (gold, predicted), n_classes x n_classes */
    size_t total;
} aft_confusion;

/* A confusion matrix for n classes, all zero. Caller frees with aft_confusion_free. */
int aft_confusion_init(aft_confusion *c, size_t n_classes, aft_error *err);
void aft_confusion_free(aft_confusion *c);
/* Counts one example; ids outside 0..n-1 are an error (never a crash). */
int aft_confusion_add(aft_confusion *c, int32_t gold, int32_t predicted, aft_error *err);
size_t aft_confusion_at(const aft_confusion *c, size_t gold, size_t predicted);

typedef struct aft_metrics_summary {
    double accuracy;
    double macro_f1;     /* mean F1 over classes with support > 0 or predictions > 0 */
    double weighted_f1;  /* F1 weighted by support */
    double macro_precision, macro_recall;
    size_t classes_seen; /* classes counted in the macro averages */
} aft_metrics_summary;

/* Per-class metrics (array of n_classes, filled by the caller's buffer) and
 * the summary. A class with neither gold examples nor predictions is left
 * out of the macro averages (it says nothing about the model). */
void aft_metrics_compute(const aft_confusion *c, aft_class_metrics *per_class,
                         aft_metrics_summary *summary);

/* Calibration: examples bucketed by confidence into n_bins equal-width bins;
 * per bin the count, mean confidence and accuracy (the reliability table),
 * and the expected calibration error: sum over bins of
 * count/total * |accuracy - confidence|. */
typedef struct aft_reliability_bin {
    double lo, hi;          /* confidence range [lo, hi) (the last bin includes 1) */
    size_t count;
    double confidence;      /* mean confidence in the bin (0 when empty) */
    double accuracy;        /* share correct in the bin (0 when empty) */
} aft_reliability_bin;

/* Fills bins[0..n_bins) and returns the ECE (0 for no examples). */
double aft_calibration(const float *confidence, const uint8_t *correct, size_t n,
                       aft_reliability_bin *bins, size_t n_bins);

/* A 95% (or other) bootstrap interval for accuracy(A) - accuracy(B) on the
 * same examples: resample examples with replacement `iters` times (seeded),
 * take the percentiles. Returns -1 with err set when n is 0 or memory runs out. */
int aft_bootstrap_diff(const uint8_t *correct_a, const uint8_t *correct_b, size_t n,
                       size_t iters, uint64_t seed, double level, double *lo, double *hi,
                       aft_error *err);

/* McNemar's exact test: b examples only A got right, c only B got right;
 * the two-sided p-value of the binomial(b + c, 1/2) test (1 when b + c = 0). */
double aft_mcnemar_p(size_t b, size_t c);

/* Index of the largest of n logits (first on ties) and its softmax probability. */
int32_t aft_argmax_prob(const float *logits, size_t n, float *prob);

#endif
