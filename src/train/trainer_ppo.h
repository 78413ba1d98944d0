/* A PPO run inside the trainer: the state that trainer_ppo.c (preparing,
 * updating, evaluating) and ppo_rollout.c (playing episodes) share.
 * Private to src/train. */
#ifndef AGENTFT_TRAINER_PPO_H
#define AGENTFT_TRAINER_PPO_H

#include "trainer_internal.h"

#include "agentft/env.h"
#include "agentft/ppo.h"
#include "agentft/reward.h"

/* The records episodes start from, example by example of a set: what an
 * environment is told about them. */
typedef struct tr_source {
    char **ids;             /* the record's "id", or "FILE:LINE" without one */
    char **contexts;        /* the context as text (turns joined as "role: content" lines) */
    size_t count;
} tr_source;

typedef struct tr_ppo {
    aft_model *ref;                 /* the frozen reference policy (the run's start) */
    aft_env *env;                   /* NULL: rewards from the rules */
    char *env_dir;                  /* where it runs: the workspace's folder at the start */
    aft_reward_rules rules;
    tr_source src[TR_NSETS];        /* with an environment only */
    int eval_set;                   /* TR_VALID, or TR_TRAIN without a valid split */
    aft_rollout roll, eval_roll;
    aft_batch_buf act_buf, upd_buf;
    double kl_coef;                 /* in use (adapted when ppo.kl_target is set) */
    double kl_coef_cfg;             /* ppo.kl_coef when last seen: a live change restarts from it */
    double val_reward;              /* the last evaluation's mean return; NaN before one */
    uint64_t episodes;              /* episodes numbered so far (sent to the environment) */
    unsigned failures_in_row;       /* environment failures since its last good answer */
} tr_ppo;

/* What a batch of episodes came to. */
typedef struct tr_episodes {
    size_t episodes, decisions, timeouts, failures;
    double return_sum, return_sq;   /* of each episode's summed rewards */
} tr_episodes;

/* Plays n episodes starting from examples starts[] of set `which`: the
 * policy samples (or, greedy, takes its most likely action), the rewards
 * come from the environment or the rules, every decision goes into roll
 * (cleared first) with the reference policy's log-probabilities (not
 * computed when greedy: evaluation needs none). Returns 1 when the run was
 * aborted part way, -1 with err when the environment failed
 * reward.env_max_failures times in a row. */
int tr_ppo_play(aft_trainer *t, int which, const size_t *starts, size_t n, int greedy,
                aft_rollout *roll, tr_episodes *out, aft_error *err);

#endif
