/* The fallback for unsure predictions: scores, the rule from the config,
 * and the calibrated threshold (see agentft/reject.h). */
#include "agentft/reject.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/metrics.h"

const char *aft_reject_score_name(aft_reject_score kind)
{
    return kind == AFT_REJECT_ENERGY ? "energy" : "probability";
}

static double log_sum_exp(const float *logits, size_t n)
{
    float top = logits[0];
    for (size_t i = 1; i < n; i++)
        top = logits[i] > top ? logits[i] : top;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += exp((double)logits[i] - (double)top);
    return (double)top + log(sum);
}

double aft_reject_score_of(const float *logits, size_t n, aft_reject_score kind)
{
    if (kind == AFT_REJECT_ENERGY)
        return log_sum_exp(logits, n);
    float p;
    aft_argmax_prob(logits, n, &p);
    return p;
}

int aft_reject_active(const aft_reject_rule *r)
{
    return r && r->action >= 0 && (r->keep <= 0 || r->calibrated) && isfinite(r->below);
}

int32_t aft_reject_predict(const aft_reject_rule *r, const float *logits, size_t n,
                           float *prob, double *score)
{
    int32_t best = aft_argmax_prob(logits, n, prob);
    if (!aft_reject_active(r)) {
        if (score)
            *score = r ? aft_reject_score_of(logits, n, r->score) : NAN;
        return best;
    }
    double s = aft_reject_score_of(logits, n, r->score);
    if (score)
        *score = s;
    return s < r->below ? r->action : best;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double aft_reject_calibrate(double *scores, size_t n, double keep)
{
    if (n == 0)
        return NAN;
    if (keep > 1)
        keep = 1;
    qsort(scores, n, sizeof *scores, by_value);
    /* The small epsilon keeps 0.95 * 100 from flooring to 4 by rounding. */
    size_t drop = (size_t)floor((double)n * (1.0 - keep) + 1e-9);
    if (drop >= n)
        drop = n - 1;
    return scores[drop];
}

int aft_reject_rule_from_config(const aft_config *cfg, const aft_action_set *actions,
                                double calibrated, aft_reject_rule *r, aft_error *err)
{
    memset(r, 0, sizeof *r);
    r->action = -1;
    r->below = NAN;
    if (!cfg)
        return 0;
    const char *name = aft_config_string(cfg, AFT_K_REJECT_ACTION);
    r->score = strcmp(aft_config_text(cfg, AFT_K_REJECT_SCORE), "energy") == 0
                   ? AFT_REJECT_ENERGY : AFT_REJECT_PROBABILITY;
    r->keep = aft_config_float(cfg, AFT_K_REJECT_KEEP);
    if (r->keep > 0) {
        r->calibrated = isfinite(calibrated);
        r->below = calibrated;
    } else {
        r->below = aft_config_float(cfg, AFT_K_REJECT_BELOW);
    }
    if (!name[0])
        return 0;
    r->action = aft_action_set_find(actions, name);
    if (r->action < 0)
        return aft_error_set(err, "eval.reject_action = %s: the model has no such action", name);
    return 0;
}
