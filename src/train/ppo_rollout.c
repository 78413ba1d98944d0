/* Playing PPO's episodes: the policy acts on a batch of observations at a
 * time, each decision is scored by the environment program or the reward
 * rules, and an episode the environment continues gets its next
 * observation encoded for the next round. */
#include "trainer_ppo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct episode {
    int64_t last;       /* its latest decision in the rollout, -1 before the first */
    size_t obs;         /* index of its current observation in roll->obs */
    int step;
    int active;
    double ret;
    char *text;         /* the observation an environment sent (NULL at step 0) */
    uint64_t number;
} episode;

typedef struct play {
    aft_trainer *t;
    tr_ppo *p;
    int which, greedy;
    const size_t *starts;
    aft_rollout *roll;
    tr_episodes *out;
    episode *eps;
    size_t n;
    float *logits, *ref_lp, *values; /* (chunk, A), (chunk, A), (chunk) */
} play;

static int aborted(aft_trainer *t)
{
    return atomic_load(&t->abort_req) != 0;
}

/* The environment's verdict on one decision: its reward, whether the
 * episode ends, and its next observation in e->text. */
static int ask_env(play *pl, size_t i, int32_t action, double *reward, int *done, aft_error *err)
{
    aft_trainer *t = pl->t;
    tr_ppo *p = pl->p;
    episode *e = &pl->eps[i];
    const tr_source *src = &p->src[pl->which];
    aft_env_request rq = {src->ids[pl->starts[i]], e->number, e->step,
                          e->text ? e->text : src->contexts[pl->starts[i]],
                          t->data.actions.names[action], ""};
    aft_env_reply rep;
    aft_error why = {0};
    aft_env_status st = aft_env_step(p->env, &rq, &rep, &why);
    if (st == AFT_ENV_OK) {
        p->failures_in_row = 0;
        *reward = rep.reward;
        *done = rep.done;
        free(e->text);
        e->text = rep.observation; /* taken over */
        return 0;
    }
    *reward = aft_config_float(t->cfg, AFT_K_REWARD_TIMEOUT);
    *done = 1;
    if (st == AFT_ENV_TIMEOUT) {
        pl->out->timeouts++;
        tr_log(t, "reward environment: no answer for %s (episode %llu, step %d) within %lld ms; "
               "timeout reward", rq.id, (unsigned long long)e->number, e->step,
               (long long)aft_config_int(t->cfg, AFT_K_REWARD_TIMEOUT_MS));
        return 0;
    }
    pl->out->failures++;
    tr_log(t, "%s; timeout reward", why.msg);
    int64_t max = aft_config_int(t->cfg, AFT_K_REWARD_MAX_FAILURES);
    if (++p->failures_in_row >= (uint64_t)max)
        return aft_error_set(err, "%s (%u failures in a row; reward.env_max_failures is %lld)",
                             why.msg, p->failures_in_row, (long long)max);
    return 0;
}

/* Decision k of a chunk: choose, score, record. */
static int decide(play *pl, size_t i, size_t k, aft_error *err)
{
    aft_trainer *t = pl->t;
    tr_ppo *p = pl->p;
    episode *e = &pl->eps[i];
    int A = pl->roll->n_actions;
    const float *z = pl->logits + k * (size_t)A;
    aft_ppo_step s = {.value = pl->values[k], .next = -1};
    s.action = aft_ppo_choose(z, A, pl->greedy, &t->st.data_rng, &s.logp);
    double reward;
    int done = 1;
    if (p->env) {
        if (ask_env(pl, i, s.action, &reward, &done, err) < 0)
            return -1;
    } else {
        reward = aft_reward_rules_score(&p->rules, pl->roll->obs.items[e->obs].label, s.action);
    }
    reward -= aft_reward_confidence_penalty(&p->rules, exp((double)s.logp));
    s.reward = (float)reward;
    int64_t at = aft_rollout_push(pl->roll, &s, pl->ref_lp + k * (size_t)A, err);
    if (at < 0)
        return -1;
    if (e->last >= 0)
        pl->roll->steps[e->last].next = at;
    e->last = at;
    e->ret += reward;
    e->step++;
    pl->out->decisions++;
    int64_t max_steps = aft_config_int(t->cfg, AFT_K_PPO_EPISODE_STEPS);
    if (done || e->step >= max_steps || !p->env) {
        e->active = 0;
        pl->out->return_sum += e->ret;
        pl->out->return_sq += e->ret * e->ret;
    }
    return 0;
}

/* The policy's logits and values (and the reference's log-probabilities)
 * for the observations idx[0..k). */
static int forward_chunk(play *pl, const size_t *idx, size_t k, aft_error *err)
{
    aft_trainer *t = pl->t;
    tr_ppo *p = pl->p;
    size_t A = (size_t)pl->roll->n_actions;
    const aft_batch *b = aft_batch_fill(&p->act_buf, &pl->roll->obs, idx, k, t->data.pad, 0, 1);
    aft_forward_opts fo = {0};
    if (aft_model_forward(t->model, b, &fo, NULL, err) < 0)
        return -1;
    memcpy(pl->logits, aft_model_action_logits(t->model), k * A * sizeof(float));
    memcpy(pl->values, aft_model_values(t->model), k * sizeof(float));
    if (pl->greedy) {
        memset(pl->ref_lp, 0, k * A * sizeof(float));
        return 0;
    }
    if (aft_model_forward(p->ref, b, &fo, NULL, err) < 0)
        return -1;
    const float *rz = aft_model_action_logits(p->ref);
    for (size_t j = 0; j < k; j++)
        aft_log_softmax(rz + j * A, (int)A, pl->ref_lp + j * A);
    return 0;
}

/* One round: every active episode takes one decision, a chunk of them
 * through the model at a time. */
static int round_of(play *pl, aft_error *err)
{
    size_t cap = (size_t)pl->p->act_buf.cap_B, idx[256], who[256];
    if (cap > 256)
        cap = 256;
    size_t i = 0;
    while (i < pl->n) {
        size_t k = 0;
        for (; i < pl->n && k < cap; i++)
            if (pl->eps[i].active) {
                idx[k] = pl->eps[i].obs;
                who[k++] = i;
            }
        if (k == 0)
            break;
        if (aborted(pl->t))
            return 1;
        if (forward_chunk(pl, idx, k, err) < 0)
            return -1;
        for (size_t j = 0; j < k; j++)
            if (decide(pl, who[j], j, err) < 0)
                return -1;
    }
    return 0;
}

/* The next observations of the episodes that go on, in episode order (the
 * order their decisions will be pushed in). */
static int next_observations(play *pl, int *any, aft_error *err)
{
    aft_trainer *t = pl->t;
    aft_example_opts eo = {.max_seq = t->data.max_seq, .split_filter = -1,
                           .implied = AFT_SPLIT_TRAIN};
    *any = 0;
    for (size_t i = 0; i < pl->n; i++) {
        episode *e = &pl->eps[i];
        if (!e->active)
            continue;
        if (aft_examples_add_text(&pl->roll->obs, e->text, NULL, NULL, t->data.tok,
                                  &t->data.actions, &eo, err) < 0)
            return -1;
        e->obs = pl->roll->obs.count - 1;
        *any = 1;
    }
    return 0;
}

static int play_all(play *pl, aft_error *err)
{
    const aft_example_set *set = &pl->t->data.sets[pl->which];
    for (size_t i = 0; i < pl->n; i++) {
        episode *e = &pl->eps[i];
        e->last = -1;
        e->active = 1;
        e->number = pl->p->episodes++;
        if (aft_examples_copy(&pl->roll->obs, set, pl->starts[i], err) < 0)
            return -1;
        e->obs = pl->roll->obs.count - 1;
    }
    for (int any = 1; any;) {
        int rc = round_of(pl, err);
        if (rc == 0)
            rc = next_observations(pl, &any, err);
        if (rc != 0)
            return rc;
    }
    pl->out->episodes = pl->n;
    return 0;
}

int tr_ppo_play(aft_trainer *t, int which, const size_t *starts, size_t n, int greedy,
                aft_rollout *roll, tr_episodes *out, aft_error *err)
{
    memset(out, 0, sizeof *out);
    aft_rollout_clear(roll);
    if (n == 0)
        return 0;
    size_t A = (size_t)roll->n_actions, cap = (size_t)t->ppo->act_buf.cap_B;
    play pl = {.t = t, .p = t->ppo, .which = which, .greedy = greedy, .starts = starts,
               .roll = roll, .out = out, .n = n};
    pl.eps = calloc(n, sizeof *pl.eps);
    pl.logits = malloc(cap * A * sizeof(float));
    pl.ref_lp = malloc(cap * A * sizeof(float));
    pl.values = malloc(cap * sizeof(float));
    int rc = pl.eps && pl.logits && pl.ref_lp && pl.values
                 ? play_all(&pl, err) : aft_error_set(err, "out of memory for %zu episodes", n);
    for (size_t i = 0; pl.eps && i < n; i++)
        free(pl.eps[i].text);
    free(pl.eps);
    free(pl.logits);
    free(pl.ref_lp);
    free(pl.values);
    return rc;
}
