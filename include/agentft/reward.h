/* Reward rules: a reward for each decision computed from the record's
 * annotated action, without an environment program. The annotated action
 * earns `correct`; any other earns `wrong`, or its own reward when the
 * workspace lists one ("escalate=-0.2,noop=-0.5": a cheaper mistake, a
 * worse one); and a choice the policy made with a probability under
 * `confidence_below` loses `confidence_penalty` (this last rule also
 * applies to rewards from an environment). */
#ifndef AGENTFT_REWARD_H
#define AGENTFT_REWARD_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/examples.h"

typedef struct aft_reward_rules {
    double correct, wrong;
    double confidence_below, confidence_penalty;
    double *per_action;      /* (n_actions) reward for choosing it wrongly; NaN = `wrong` */
    size_t n_actions;
} aft_reward_rules;

/* Parses the per-action list ("name=value" pairs separated by commas,
 * blanks allowed) against the actions; an unknown action, a value that is
 * not a finite number or an action listed twice is an error naming it. */
int aft_reward_rules_init(aft_reward_rules *r, double correct, double wrong,
                          const char *per_action, double confidence_below,
                          double confidence_penalty, const aft_action_set *actions,
                          aft_error *err);
void aft_reward_rules_free(aft_reward_rules *r);
/* Checks the per-action list's form (ACTION=REWARD pairs, finite rewards,
 * no action twice) without knowing the actions. */
int aft_reward_rules_check(const char *per_action, aft_error *err);

/* The rules' reward for choosing `chosen` where the record says
 * `annotated` (-1: an action the model does not know, so never correct). */
double aft_reward_rules_score(const aft_reward_rules *r, int32_t annotated, int32_t chosen);
/* The confidence penalty for a choice made with probability p (0 or more). */
double aft_reward_confidence_penalty(const aft_reward_rules *r, double p);

#endif
