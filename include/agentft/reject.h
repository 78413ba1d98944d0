/* The fallback for unsure predictions (eval.reject_*): the action that
 * stands in, the score that measures how sure the model is, the threshold
 * under which the fallback applies, and calibrating that threshold so that
 * a chosen fraction of validation examples keeps its prediction. */
#ifndef AGENTFT_REJECT_H
#define AGENTFT_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/config.h"
#include "agentft/error.h"
#include "agentft/examples.h"

typedef enum aft_reject_score {
    AFT_REJECT_PROBABILITY, /* the top softmax probability, 0..1 */
    AFT_REJECT_ENERGY       /* log-sum-exp of the logits: unbounded, higher = surer */
} aft_reject_score;

typedef struct aft_reject_rule {
    int32_t action;         /* the fallback's action id; -1 = never fall back */
    aft_reject_score score;
    double below;           /* fall back when the score is under this */
    double keep;            /* > 0: `below` is calibrated (eval.reject_keep) */
    int calibrated;         /* keep > 0 and `below` holds a calibrated threshold */
} aft_reject_rule;

const char *aft_reject_score_name(aft_reject_score kind);

/* The score of one row of n logits. */
double aft_reject_score_of(const float *logits, size_t n, aft_reject_score kind);

/* Whether the rule can replace a prediction: an action, and a threshold
 * (a calibrated one where keep > 0). */
int aft_reject_active(const aft_reject_rule *r);

/* The argmax of n logits, or the fallback when the rule is active and the
 * score is under its threshold. *prob (may be NULL) gets the argmax's
 * probability either way; *score (may be NULL) the rule's score. */
int32_t aft_reject_predict(const aft_reject_rule *r, const float *logits, size_t n,
                           float *prob, double *score);

/* The threshold that keeps at least `keep` (0..1] of the n scores (those
 * not under it) and falls back on the lowest floor(n * (1 - keep)): the
 * smallest score not among those. scores is sorted in place. NAN when n is 0. */
double aft_reject_calibrate(double *scores, size_t n, double keep);

/* The rule the config asks for over the model's actions. calibrated is the
 * threshold saved with the checkpoint (NAN: none), used where
 * eval.reject_keep > 0. An unknown eval.reject_action is an error. */
int aft_reject_rule_from_config(const aft_config *cfg, const aft_action_set *actions,
                                double calibrated, aft_reject_rule *r, aft_error *err);

#endif
