/* Proximal policy optimisation over the action head: the policy is the
 * softmax of the action logits, the critic the model's value head (same
 * trunk). A rollout holds the decisions of some episodes (observation,
 * action, the log-probability and value at collection, the reward, the link
 * to the episode's next decision, and the frozen reference policy's
 * log-probabilities); an update estimates advantages with GAE and runs
 * several epochs of minibatch steps on the clipped objective with an exact
 * KL penalty to the reference, an entropy bonus, a (clipped) value loss and
 * gradient clipping. No environment and no trainer here: see trainer_ppo.c. */
#ifndef AGENTFT_PPO_H
#define AGENTFT_PPO_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/examples.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/rng.h"

typedef struct aft_ppo_config {
    float clip_ratio;       /* epsilon: the ratio pi/pi_old is clipped to 1 +- epsilon */
    float gamma;            /* discount between the steps of an episode */
    float gae_lambda;       /* GAE's bias/variance trade-off */
    float kl_coef;          /* weight of KL(pi || reference) in the loss */
    float entropy_coef;     /* weight of the entropy bonus */
    float value_coef;       /* weight of the value loss */
    float value_clip;       /* the new value stays within this of the old in the loss; 0 = off */
    float grad_clip;        /* global gradient norm; 0 = off */
    float lr;
    int epochs;             /* passes over the rollout per update */
    int minibatch_size;
    int normalize_advantages;
} aft_ppo_config;

/* One decision of an episode. */
typedef struct aft_ppo_step {
    int32_t action;
    float logp;             /* log pi_old(action) when it was taken */
    float value;            /* V_old(observation) */
    float reward;
    int64_t next;           /* index of the episode's next decision (> this one), -1 at its end */
    float advantage, ret;   /* set by aft_ppo_update */
} aft_ppo_step;

/* Decision i observed obs.items[i]. */
typedef struct aft_rollout {
    aft_example_set obs;
    aft_ppo_step *steps;
    float *ref_logp;        /* (count, n_actions) the reference policy's log-probabilities */
    size_t count, cap;
    int n_actions;
} aft_rollout;

void aft_rollout_init(aft_rollout *r, int n_actions);
/* Empties it, keeping its memory. */
void aft_rollout_clear(aft_rollout *r);
void aft_rollout_free(aft_rollout *r);
/* Appends a decision whose observation is already obs.items[r->count]
 * (observations may be appended ahead of their decisions);
 * ref_logp has n_actions entries. Returns its index, or -1 with err. */
int64_t aft_rollout_push(aft_rollout *r, const aft_ppo_step *s, const float *ref_logp,
                         aft_error *err);

/* log softmax of z (n entries) into out (may be z). */
void aft_log_softmax(const float *z, int n, float *out);
/* An action from softmax(logits): sampled with rng, or the most likely one
 * when greedy (rng unused). *logp gets its log-probability. */
int32_t aft_ppo_choose(const float *logits, int n, int greedy, aft_rng *rng, float *logp);

typedef struct aft_ppo_stats {
    double policy_loss;     /* -clipped surrogate, mean over every minibatch */
    double value_loss;      /* 0.5 (V - return)^2 (clipped form), mean */
    double entropy;         /* of the policy, mean over the last epoch */
    double kl_ref;          /* KL(pi || reference), mean over the last epoch */
    double approx_kl;       /* mean log pi_old - log pi (how far the update moved) */
    double clip_fraction;   /* share of decisions whose ratio left 1 +- epsilon */
    double explained_variance; /* 1 - Var(return - V_old) / Var(return); NaN if Var(return) = 0 */
    double grad_norm;       /* before clipping, mean over the steps */
    double loss;            /* the whole objective, mean */
    size_t optimizer_steps;
} aft_ppo_stats;

/* Fills advantage and ret of every decision: GAE over each episode's chain
 * of `next` links, a decision without a next one ending its episode (no
 * bootstrap). Fails on a link that does not point forward. */
int aft_ppo_advantages(aft_rollout *r, float gamma, float gae_lambda, aft_error *err);

/* One PPO update of the model (which needs an action head and a value head)
 * on the rollout: advantages, then c->epochs passes in minibatches shuffled
 * with rng, one optimizer step each. buf is (re)sized to the minibatch;
 * pad is the padding token. Forwards run without dropout whatever the
 * model's rates say (the ratio must compare one function), which are left
 * as they were. */
int aft_ppo_update(aft_model *m, aft_optim *o, aft_rollout *r, const aft_ppo_config *c,
                   aft_batch_buf *buf, int32_t pad, aft_rng *rng, aft_ppo_stats *stats,
                   aft_error *err);

/* The adaptive KL coefficient of the PPO paper: doubled when the measured
 * KL is above 1.5 x target, halved below target / 1.5, kept in between and
 * within [1e-6, 1e3]. target <= 0 keeps coef. */
double aft_ppo_adapt_kl(double coef, double kl, double target);

#endif
