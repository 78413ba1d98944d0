/* Unit tests of PPO's parts: the value head and the heads' backward pass
 * against finite differences, GAE on hand-made episodes, the reward rules,
 * and a contextual bandit on which PPO from a uniform policy learns the
 * best action of every context. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/examples.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/ppo.h"
#include "agentft/reward.h"

static aft_model *tiny_model(int n_actions, uint64_t seed)
{
    aft_model_config c = {.n_layer = 1, .n_head = 2, .d_model = 16, .max_seq = 4,
                          .vocab_size = 16, .n_actions = n_actions, .value_head = 1};
    aft_error err = {0};
    aft_model *m = aft_model_new(&c, &err);
    if (!m)
        fail_msg("%s", err.msg);
    aft_model_init_random(m, seed);
    return m;
}

/* ---- the heads' gradients ---- */

typedef struct probe {
    int32_t tokens[8], lengths[2];
    aft_batch b;
    float dl[6], dv[2];
} probe;

/* f = sum dl * logits + sum dv * values, whose gradient backward_heads gives. */
static double probe_value(aft_model *m, probe *p)
{
    aft_forward_opts fo = {0};
    aft_error err = {0};
    assert_int_equal(aft_model_forward(m, &p->b, &fo, NULL, &err), 0);
    const float *z = aft_model_action_logits(m), *v = aft_model_values(m);
    double f = 0;
    for (int i = 0; i < 6; i++)
        f += (double)p->dl[i] * z[i];
    return f + (double)p->dv[0] * v[0] + (double)p->dv[1] * v[1];
}

static void test_heads_backward(void **state)
{
    (void)state;
    aft_model *m = tiny_model(3, 5);
    const aft_param *vw = aft_model_find_param(m, "value.weight");
    const aft_param *vb = aft_model_find_param(m, "value.bias");
    assert_non_null(vw);
    assert_non_null(vb);
    float *w = aft_model_params(m);
    for (size_t i = 0; i < vw->numel; i++) /* the value head starts at 0: give it a shape */
        w[vw->offset + i] = 0.3f * sinf((float)i);
    w[vb->offset] = 0.1f;
    probe p = {.tokens = {1, 5, 7, 2, 3, 9, 4, 4}, .lengths = {4, 3},
               .dl = {0.5f, -1.0f, 0.25f, -0.3f, 0.7f, 0.1f}, .dv = {1.5f, -0.8f}};
    p.b = (aft_batch){.B = 2, .T = 4, .tokens = p.tokens, .lengths = p.lengths};
    aft_forward_opts fo = {.training = 1};
    aft_error err = {0};
    aft_model_zero_grad(m);
    assert_int_equal(aft_model_forward(m, &p.b, &fo, NULL, &err), 0);
    assert_int_equal(aft_model_backward_heads(m, p.dl, p.dv, &err), 0);
    const float *g = aft_model_grads(m);
    size_t np, checked = 0;
    const aft_param *t = aft_model_param_list(m, &np);
    for (size_t k = 0; k < np; k++)
        for (size_t e = 0; e < t[k].numel; e += 1 + t[k].numel / 5) {
            size_t i = t[k].offset + e;
            float keep = w[i], h = 1e-2f;
            w[i] = keep + h;
            double up = probe_value(m, &p);
            w[i] = keep - h;
            double down = probe_value(m, &p);
            w[i] = keep;
            double num = (up - down) / (2.0 * h);
            if (!(fabs(num - g[i]) <= 2e-2 * (fabs(num) + fabs(g[i])) + 2e-4))
                fail_msg("%s[%zu]: numeric %g, backward %g", t[k].name, e, num, (double)g[i]);
            checked++;
        }
    assert_true(checked > 50);
    /* Without a value head there is no value gradient to give. */
    aft_model_config c = *aft_model_get_config(m);
    c.value_head = 0;
    aft_model *plain = aft_model_new(&c, &err);
    assert_non_null(plain);
    assert_null(aft_model_find_param(plain, "value.weight"));
    assert_int_equal(aft_model_forward(plain, &p.b, &fo, NULL, &err), 0);
    assert_null(aft_model_values(plain));
    assert_int_equal(aft_model_backward_heads(plain, p.dl, p.dv, &err), -1);
    assert_non_null(strstr(err.msg, "no value head"));
    aft_model_free(plain);
    aft_model_free(m);
}

/* ---- GAE ---- */

static void push(aft_rollout *r, float value, float reward, int64_t next)
{
    aft_error err = {0};
    float ref[2] = {logf(0.5f), logf(0.5f)};
    aft_example_set *o = &r->obs;
    if (o->count == o->cap) { /* a one-token observation per decision */
        o->cap = o->cap ? 2 * o->cap : 8;
        o->items = realloc(o->items, o->cap * sizeof *o->items);
        o->tokens = realloc(o->tokens, o->cap * sizeof *o->tokens);
        o->cap_tokens = o->cap;
    }
    o->items[o->count] = (aft_example){.offset = o->count, .length = 1, .label = -1};
    o->tokens[o->count++] = 1;
    aft_ppo_step s = {.value = value, .reward = reward, .next = next};
    assert_true(aft_rollout_push(r, &s, ref, &err) >= 0);
}

static void test_gae(void **state)
{
    (void)state;
    aft_rollout r;
    aft_rollout_init(&r, 2);
    /* Episode A: decisions 0 -> 2; episode B: decision 1 alone. */
    push(&r, 0.5f, 0.0f, 2);
    push(&r, 0.2f, 1.0f, -1);
    push(&r, 0.4f, 2.0f, -1);
    aft_error err = {0};
    assert_int_equal(aft_ppo_advantages(&r, 0.9f, 0.8f, &err), 0);
    double d2 = 2.0 - 0.4, d1 = 1.0 - 0.2, d0 = 0.0 + 0.9 * 0.4 - 0.5;
    assert_true(fabs(r.steps[2].advantage - d2) < 1e-6);
    assert_true(fabs(r.steps[1].advantage - d1) < 1e-6);
    assert_true(fabs(r.steps[0].advantage - (d0 + 0.9 * 0.8 * d2)) < 1e-6);
    assert_true(fabs(r.steps[0].ret - (r.steps[0].advantage + 0.5)) < 1e-6);
    /* A link backwards is refused. */
    r.steps[2].next = 0;
    assert_int_equal(aft_ppo_advantages(&r, 0.9f, 0.8f, &err), -1);
    assert_non_null(strstr(err.msg, "not to a later one"));
    aft_rollout_free(&r);
}

/* ---- reward rules ---- */

static void test_reward_rules(void **state)
{
    (void)state;
    const char *names[] = {"escalate", "noop", "restart"};
    aft_action_set set;
    aft_error err = {0};
    assert_int_equal(aft_action_set_from_names(&set, names, 3, &err), 0);
    int32_t esc = aft_action_set_find(&set, "escalate"), noop = aft_action_set_find(&set, "noop");
    int32_t rst = aft_action_set_find(&set, "restart");
    aft_reward_rules r;
    assert_int_equal(aft_reward_rules_init(&r, 1, -1, " escalate=-0.2 , noop = -0.5,", 0.4, 0.3,
                                           &set, &err), 0);
    assert_true(aft_reward_rules_score(&r, rst, rst) == 1.0);
    assert_true(aft_reward_rules_score(&r, esc, esc) == 1.0);
    assert_true(aft_reward_rules_score(&r, rst, esc) == -0.2);
    assert_true(aft_reward_rules_score(&r, rst, noop) == -0.5);
    assert_true(aft_reward_rules_score(&r, esc, rst) == -1.0);
    assert_true(aft_reward_rules_score(&r, -1, rst) == -1.0);
    assert_true(aft_reward_confidence_penalty(&r, 0.39) == 0.3);
    assert_true(aft_reward_confidence_penalty(&r, 0.4) == 0.0);
    aft_reward_rules_free(&r);
    static const struct {
        const char *text, *says;
    } bad[] = {{"reboot=1", "no action 'reboot'"}, {"noop=lots", "not a finite number"},
               {"noop=1,noop=2", "listed twice"}, {"noop", "not ACTION=REWARD"},
               {"noop=inf", "not a finite number"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aft_reward_rules_init(&r, 1, -1, bad[i].text, 0, 0, &set, &err), -1);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("'%s': %s", bad[i].text, err.msg);
        /* Without the actions, only the unknown action passes the check. */
        assert_int_equal(aft_reward_rules_check(bad[i].text, &err), i == 0 ? 0 : -1);
    }
    assert_int_equal(aft_reward_rules_check(" escalate=-0.2 , noop = -0.5,", &err), 0);
    aft_action_set_free(&set);
}

/* ---- a contextual bandit ---- */

enum { CONTEXTS = 4, ACTIONS = 4, EPISODES = 64 };
static const int32_t best[CONTEXTS] = {2, 0, 3, 1};

/* The model (whose zero head gives every context the uniform policy), its
 * optimizer, the contexts, and the buffers of the updates. */
typedef struct bandit {
    aft_model *m;
    aft_optim *o;
    aft_example_set ctx;
    aft_batch_buf buf, mb;
    aft_rollout r;
    aft_rng rng;
} bandit;

/* Context c is the tokens (c + 1, 10), the head reading the last one. */
static void bandit_contexts(aft_example_set *s)
{
    aft_example_set_init(s);
    s->items = calloc(CONTEXTS, sizeof *s->items);
    s->tokens = calloc(2 * CONTEXTS, sizeof *s->tokens);
    assert_non_null(s->items);
    assert_non_null(s->tokens);
    for (int c = 0; c < CONTEXTS; c++) {
        s->items[c] = (aft_example){.offset = 2 * (size_t)c, .length = 2, .cls_pos = 1,
                                    .label = best[c]};
        s->tokens[2 * c] = c + 1;
        s->tokens[2 * c + 1] = 10;
    }
    s->count = s->cap = CONTEXTS;
    s->n_tokens = s->cap_tokens = 2 * CONTEXTS;
}

static void bandit_open(bandit *b, uint64_t seed)
{
    memset(b, 0, sizeof *b);
    b->m = tiny_model(ACTIONS, 17);
    const aft_param *sw = aft_model_find_param(b->m, "score.weight");
    const aft_param *sb = aft_model_find_param(b->m, "score.bias");
    memset(aft_model_params(b->m) + sw->offset, 0, sw->numel * sizeof(float));
    memset(aft_model_params(b->m) + sb->offset, 0, sb->numel * sizeof(float));
    size_t np;
    const aft_param *params = aft_model_param_list(b->m, &np);
    aft_optim_config oc = {.kind = AFT_OPT_ADAMW, .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.999f,
                           .eps = 1e-8f, .layer_lr_decay = 1};
    aft_error err = {0};
    b->o = aft_optim_new(params, np, aft_model_num_floats(b->m), 1, &oc, &err);
    assert_non_null(b->o);
    bandit_contexts(&b->ctx);
    assert_int_equal(aft_batch_buf_init(&b->buf, CONTEXTS, 4, &err), 0);
    aft_rollout_init(&b->r, ACTIONS);
    aft_rng_seed(&b->rng, seed);
}

static void bandit_close(bandit *b)
{
    aft_rollout_free(&b->r);
    aft_batch_buf_free(&b->mb);
    aft_batch_buf_free(&b->buf);
    aft_example_set_free(&b->ctx);
    aft_optim_free(b->o);
    aft_model_free(b->m);
}

/* The policy's logits for every context, (CONTEXTS, ACTIONS). */
static void policy(bandit *b, float *logits)
{
    size_t idx[CONTEXTS] = {0, 1, 2, 3};
    const aft_batch *bt = aft_batch_fill(&b->buf, &b->ctx, idx, CONTEXTS, 0, 0, 1);
    aft_forward_opts fo = {0};
    aft_error err = {0};
    assert_int_equal(aft_model_forward(b->m, bt, &fo, NULL, &err), 0);
    memcpy(logits, aft_model_action_logits(b->m), sizeof(float) * CONTEXTS * ACTIONS);
}

/* Rewards of the bandit: 1 for the context's best action (0 otherwise), or
 * with by_context a value of the context alone, whatever the action. */
static float bandit_reward(size_t c, int32_t action, int by_context)
{
    static const float worth[CONTEXTS] = {-1.0f, 0.0f, 0.5f, 1.0f};
    return by_context ? worth[c] : action == best[c] ? 1.0f : 0.0f;
}

/* One rollout of one-step episodes, then one update; the rollout's mean
 * reward in *mean. */
static aft_ppo_stats bandit_update(bandit *b, int by_context, double *mean)
{
    static const aft_ppo_config pc = {
        .clip_ratio = 0.2f, .gamma = 1, .gae_lambda = 1, .kl_coef = 0.01f,
        .entropy_coef = 0.001f, .value_coef = 0.5f, .value_clip = 0.2f, .grad_clip = 1,
        .lr = 1e-2f, .epochs = 4, .minibatch_size = 16, .normalize_advantages = 1};
    float logits[CONTEXTS * ACTIONS], ref[ACTIONS], values[CONTEXTS];
    policy(b, logits);
    memcpy(values, aft_model_values(b->m), sizeof values);
    for (int a = 0; a < ACTIONS; a++)
        ref[a] = logf(1.0f / ACTIONS); /* the uniform start is the reference */
    aft_rollout_clear(&b->r);
    double total = 0;
    aft_error err = {0};
    for (int e = 0; e < EPISODES; e++) {
        size_t c = (size_t)aft_rng_below(&b->rng, CONTEXTS);
        aft_ppo_step s = {.value = values[c], .next = -1};
        s.action = aft_ppo_choose(logits + c * ACTIONS, ACTIONS, 0, &b->rng, &s.logp);
        s.reward = bandit_reward(c, s.action, by_context);
        total += s.reward;
        assert_int_equal(aft_examples_copy(&b->r.obs, &b->ctx, c, &err), 0);
        assert_true(aft_rollout_push(&b->r, &s, ref, &err) >= 0);
    }
    *mean = total / EPISODES;
    aft_ppo_stats st;
    if (aft_ppo_update(b->m, b->o, &b->r, &pc, &b->mb, 0, &b->rng, &st, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(st.optimizer_steps == 16 && isfinite(st.loss) && st.kl_ref >= 0);
    return st;
}

static void test_bandit_reaches_optimum(void **state)
{
    (void)state;
    bandit b;
    bandit_open(&b, 3);
    float logits[CONTEXTS * ACTIONS];
    policy(&b, logits);
    for (int i = 0; i < CONTEXTS * ACTIONS; i++)
        assert_true(logits[i] == 0.0f);
    double first = 0, last = 0;
    for (int u = 0; u < 40; u++) {
        bandit_update(&b, 0, &last);
        if (u == 0)
            first = last;
    }
    print_message("bandit: mean reward %.3f at the start, %.3f after 40 updates\n", first, last);
    assert_true(first < 0.5);
    assert_true(last > 0.9);
    policy(&b, logits);
    for (int c = 0; c < CONTEXTS; c++) {
        float lp;
        assert_int_equal(aft_ppo_choose(logits + c * ACTIONS, ACTIONS, 1, NULL, &lp), best[c]);
        assert_true(expf(lp) > 0.9f);
    }
    bandit_close(&b);
}

/* Rewards that depend on the context alone: the value head learns them,
 * so the values at collection come to explain the returns. */
static void test_value_head_learns(void **state)
{
    (void)state;
    bandit b;
    bandit_open(&b, 9);
    double mean, ev_first = NAN;
    aft_ppo_stats st;
    for (int u = 0; u < 30; u++) {
        st = bandit_update(&b, 1, &mean);
        if (u == 0)
            ev_first = st.explained_variance;
    }
    print_message("value head: explained variance %.3f at the start, %.3f after 30 updates\n",
                  ev_first, st.explained_variance);
    assert_true(ev_first < 0.1);
    assert_true(st.explained_variance > 0.9);
    bandit_close(&b);
}

static void test_adaptive_kl(void **state)
{
    (void)state;
    assert_true(aft_ppo_adapt_kl(0.1, 0.5, 0.1) == 0.2);
    assert_true(aft_ppo_adapt_kl(0.1, 0.01, 0.1) == 0.05);
    assert_true(aft_ppo_adapt_kl(0.1, 0.1, 0.1) == 0.1);
    assert_true(aft_ppo_adapt_kl(0.1, 5.0, 0) == 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heads_backward),  cmocka_unit_test(test_gae),
        cmocka_unit_test(test_reward_rules),    cmocka_unit_test(test_adaptive_kl),
        cmocka_unit_test(test_bandit_reaches_optimum), cmocka_unit_test(test_value_head_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
