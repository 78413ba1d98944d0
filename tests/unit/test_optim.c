/* Unit tests of src/train/optim.c and schedule.c: single AdamW and SGD steps
 * against hand-worked numbers, frozen and non-decay tensors, layer-wise rates,
 * clipping, the schedules at their key steps and live config changes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agentft/model.h"
#include "agentft/optim.h"

/* Three tensors: a decay matrix (2x2), a non-decay bias (2) and a frozen one (2). */
static void small_table(aft_param t[3])
{
    memset(t, 0, 3 * sizeof *t);
    const char *names[] = {"w", "b", "frozen"};
    size_t numel[] = {4, 2, 2}, off = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(t[i].name, sizeof t[i].name, "%s", names[i]);
        t[i].offset = off;
        t[i].numel = numel[i];
        t[i].ndim = 1;
        t[i].shape[0] = numel[i];
        t[i].layer = 0;
        t[i].decay = i == 0;
        t[i].trainable = i != 2;
        off += numel[i];
    }
}

static aft_optim_config adamw(float lr, float wd, float l2)
{
    return (aft_optim_config){.kind = AFT_OPT_ADAMW, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f,
                              .eps = 1e-8f, .weight_decay = wd, .l2 = l2, .layer_lr_decay = 1};
}

static aft_optim_config sgd(float lr, float momentum, float wd, float l2)
{
    return (aft_optim_config){.kind = AFT_OPT_SGD, .lr = lr, .momentum = momentum,
                              .weight_decay = wd, .l2 = l2, .layer_lr_decay = 1};
}

/* torch.optim.AdamW written out in double, one element at a time. */
typedef struct ref_adam { double p, m, v; } ref_adam;

static void ref_adamw_step(ref_adam *r, double g, int t, double lr, double wd, double l2)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    g += l2 * r->p;
    r->p *= 1 - lr * wd;
    r->m = b1 * r->m + (1 - b1) * g;
    r->v = b2 * r->v + (1 - b2) * g * g;
    double mhat = r->m / (1 - pow(b1, t)), vhat = r->v / (1 - pow(b2, t));
    r->p -= lr * mhat / (sqrt(vhat) + eps);
}

static void test_adamw_steps_no_decay(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    aft_optim_config c = adamw(0.01f, 0, 0);
    aft_optim *o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    assert_non_null(o);
    float p[8] = {1, -2, 0.5f, 3, 1, 1, 7, 7};
    float g1[8] = {0.1f, -0.2f, 0.3f, 0, 0.5f, -0.5f, 9, 9};
    float g2[8] = {0.3f, 0.1f, -0.3f, 1, 0.5f, 0.25f, 9, 9};
    ref_adam r[6];
    for (int k = 0; k < 6; k++)
        r[k] = (ref_adam){p[k], 0, 0};
    aft_optim_step(o, p, g1, 0.01f);
    /* Step 1: m_hat = g and v_hat = g^2 exactly, so each weight moves by lr
     * against the sign of its gradient; a zero gradient leaves it alone. */
    assert_float_equal(p[0], 1 - 0.01f, 1e-6);
    assert_float_equal(p[1], -2 + 0.01f, 1e-6);
    assert_float_equal(p[3], 3, 1e-7);
    /* Step 2 with the bias corrections 1 - 0.9^2 and 1 - 0.999^2. */
    aft_optim_step(o, p, g2, 0.01f);
    for (int k = 0; k < 6; k++) {
        ref_adamw_step(&r[k], g1[k], 1, 0.01, 0, 0);
        ref_adamw_step(&r[k], g2[k], 2, 0.01, 0, 0);
        assert_float_equal(p[k], r[k].p, 1e-6);
    }
    /* m = 0.09 g1 + 0.1 g2 at element 0: 0.009 + 0.03. */
    size_t n;
    float *st = aft_optim_state(o, &n);
    assert_int_equal(n, 12);
    assert_float_equal(st[0], 0.039f, 1e-7);
    assert_float_equal(st[6], 0.999 * 0.001 * 0.01 + 0.001 * 0.09, 1e-9);
    assert_float_equal(p[6], 7, 0);
    assert_float_equal(p[7], 7, 0);
    assert_int_equal(aft_optim_steps(o), 2);
    aft_optim_free(o);
}

static void test_adamw_decay_only_on_decay_tensors(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    aft_optim_config c = adamw(0.01f, 0.1f, 0);
    aft_optim *o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    float p[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    float g[8] = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
    aft_optim_step(o, p, g, 0.01f);
    /* Decoupled: p (1 - lr wd) - lr = 0.999 - 0.01 on the matrix only. */
    assert_float_equal(p[0], 0.989f, 1e-6);
    assert_float_equal(p[4], 0.99f, 1e-6);
    assert_float_equal(p[6], 1.0f, 0);
    aft_optim_step(o, p, g, 0.01f);
    ref_adam r = {1, 0, 0};
    ref_adamw_step(&r, 0.1, 1, 0.01, 0.1, 0);
    ref_adamw_step(&r, 0.1, 2, 0.01, 0.1, 0);
    assert_float_equal(p[0], r.p, 1e-6);
    aft_optim_free(o);
}

static void test_l2_goes_into_the_gradient(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    /* AdamW with l2 and a zero gradient: the moments see l2 * p, so step 1
     * moves by lr (not by lr * wd * p as decay would). */
    aft_optim_config c = adamw(0.01f, 0, 0.5f);
    aft_optim *o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    float p[8] = {2, 2, 2, 2, 2, 2, 2, 2}, g[8] = {0};
    assert_float_equal(aft_optim_l2_penalty(o, p), 0.5 * 0.5 * 4 * 4, 1e-6);
    aft_optim_step(o, p, g, 0.01f);
    assert_float_equal(p[0], 1.99f, 1e-6);
    assert_float_equal(p[4], 2.0f, 0);
    aft_optim_free(o);
    /* SGD without momentum: p -= lr * l2 * p. */
    c = sgd(0.1f, 0, 0, 0.5f);
    o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    aft_optim_step(o, p, g, 0.1f);
    assert_float_equal(p[0], 1.99f * 0.95f, 1e-6);
    assert_float_equal(p[4], 2.0f, 0);
    c.l2 = 0;
    aft_optim_set_config(o, &c);
    assert_float_equal(aft_optim_l2_penalty(o, p), 0, 0);
    aft_optim_free(o);
}

static void test_sgd_momentum(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    aft_optim_config c = sgd(0.1f, 0.9f, 0, 0);
    aft_optim *o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    float p[8] = {1, 1, 1, 1, 1, 1, 1, 1}, g[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    aft_optim_step(o, p, g, 0.1f);
    assert_float_equal(p[0], 0.95f, 1e-7);        /* buf = g */
    aft_optim_step(o, p, g, 0.1f);
    assert_float_equal(p[0], 0.855f, 1e-6);       /* buf = 0.9 * 0.5 + 0.5 */
    size_t n;
    float *st = aft_optim_state(o, &n);
    assert_int_equal(n, 6);
    assert_float_equal(st[0], 0.95f, 1e-7);
    assert_float_equal(p[6], 1.0f, 0);
    aft_optim_free(o);
    /* Decoupled decay on SGD: p (1 - lr wd) - lr g. */
    c = sgd(0.1f, 0, 0.5f, 0);
    o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    float q[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    aft_optim_step(o, q, g, 0.1f);
    assert_float_equal(q[0], 0.95f - 0.05f, 1e-6);
    assert_float_equal(q[4], 0.95f, 1e-6);
    aft_optim_free(o);
}

static void test_frozen_tensors_untouched(void **state)
{
    (void)state;
    aft_model_config mc = {.n_layer = 2, .n_head = 2, .d_model = 8, .max_seq = 8,
                           .vocab_size = 16, .n_actions = 3, .freeze_layers = 1};
    aft_model *m = aft_model_new(&mc, NULL);
    assert_non_null(m);
    aft_model_init_random(m, 3);
    size_t np, nf = aft_model_num_floats(m);
    const aft_param *t = aft_model_param_list(m, &np);
    float *p = aft_model_params(m), *g = aft_model_grads(m);
    for (size_t k = 0; k < nf; k++)
        g[k] = 0.01f * (float)((k % 7) + 1);
    float before[4096];
    assert_true(nf <= 4096);
    memcpy(before, p, nf * sizeof *p);
    aft_optim_config c = adamw(0.1f, 0.1f, 0.1f);
    aft_optim *o = aft_optim_new(t, np, nf, mc.n_layer, &c, NULL);
    size_t ns;
    aft_optim_state(o, &ns);
    assert_int_equal(ns, 2 * aft_model_num_trainable(m));
    aft_optim_step(o, p, g, 0.1f);
    for (size_t i = 0; i < np; i++) {
        int same = memcmp(p + t[i].offset, before + t[i].offset, t[i].numel * sizeof *p) == 0;
        assert_int_equal(same, !t[i].trainable);
    }
    aft_optim_free(o);
    aft_model_free(m);
}

static void test_layer_wise_multipliers(void **state)
{
    (void)state;
    aft_model_config mc = {.n_layer = 3, .n_head = 2, .d_model = 4, .max_seq = 4,
                           .vocab_size = 8, .n_actions = 2};
    aft_model *m = aft_model_new(&mc, NULL);
    size_t np, nf = aft_model_num_floats(m);
    const aft_param *t = aft_model_param_list(m, &np);
    aft_optim_config c = sgd(1, 0, 0, 0);
    c.layer_lr_decay = 0.5f;
    aft_optim *o = aft_optim_new(t, np, nf, mc.n_layer, &c, NULL);
    size_t wte = (size_t)(aft_model_find_param(m, "transformer.wte.weight") - t);
    size_t h0 = (size_t)(aft_model_find_param(m, "transformer.h.0.mlp.c_fc.weight") - t);
    size_t h2 = (size_t)(aft_model_find_param(m, "transformer.h.2.ln_1.bias") - t);
    size_t lnf = (size_t)(aft_model_find_param(m, "transformer.ln_f.weight") - t);
    size_t score = (size_t)(aft_model_find_param(m, "score.weight") - t);
    assert_float_equal(aft_optim_lr_multiplier(o, wte), 0.0625f, 0);  /* 0.5^(3+1) */
    assert_float_equal(aft_optim_lr_multiplier(o, h0), 0.125f, 0);    /* 0.5^3 */
    assert_float_equal(aft_optim_lr_multiplier(o, h2), 0.5f, 0);
    assert_float_equal(aft_optim_lr_multiplier(o, lnf), 1.0f, 0);
    assert_float_equal(aft_optim_lr_multiplier(o, score), 1.0f, 0);
    aft_optim_set_group_lr(o, h0, 2.0f);
    assert_float_equal(aft_optim_lr_multiplier(o, h0), 2.0f, 0);
    /* The step uses them: with g = 1 and lr = 1, each weight moves by its multiplier. */
    float *p = aft_model_params(m), *g = aft_model_grads(m);
    for (size_t k = 0; k < nf; k++)
        g[k] = 1;
    aft_optim_step(o, p, g, 1.0f);
    assert_float_equal(p[t[wte].offset], -0.0625f, 0);
    assert_float_equal(p[t[h0].offset], -2.0f, 0);
    assert_float_equal(p[t[score].offset], -1.0f, 0);
    aft_optim_set_group_lr(o, h0, -1);
    assert_float_equal(aft_optim_lr_multiplier(o, h0), 0.125f, 0);
    c.layer_lr_decay = 1;
    aft_optim_set_config(o, &c);
    assert_float_equal(aft_optim_lr_multiplier(o, wte), 1.0f, 0);
    aft_optim_free(o);
    aft_model_free(m);
}

static void test_clip_grad_norm(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    float g[8] = {3, 0, 0, 0, 4, 0, 100, 100};  /* the frozen 100s do not count */
    assert_float_equal(aft_clip_grad_norm(t, 3, g, 10), 5, 1e-6);
    assert_float_equal(g[0], 3, 0);
    assert_float_equal(aft_clip_grad_norm(t, 3, g, 0), 5, 1e-6);
    assert_float_equal(g[0], 3, 0);
    assert_float_equal(aft_clip_grad_norm(t, 3, g, 1), 5, 1e-6);
    assert_float_equal(g[0], 0.6f, 1e-6);
    assert_float_equal(g[4], 0.8f, 1e-6);
    assert_float_equal(g[6], 100, 0);
    assert_float_equal(aft_clip_grad_norm(t, 3, g, 1), 1, 1e-5);
    g[1] = NAN;
    assert_true(isnan(aft_clip_grad_norm(t, 3, g, 1)));
    assert_float_equal(g[0], 0.6f, 1e-6);  /* left alone for the caller to skip */
}

static void test_schedules(void **state)
{
    (void)state;
    const uint64_t W = 10, T = 110;
    const aft_schedule_kind kinds[] = {AFT_SCHED_CONSTANT, AFT_SCHED_LINEAR, AFT_SCHED_COSINE};
    for (int k = 0; k < 3; k++) {
        assert_float_equal(aft_lr_at(kinds[k], 0, W, T, 2, 0.1f), 0.2f, 1e-6);
        assert_float_equal(aft_lr_at(kinds[k], 4, W, T, 2, 0.1f), 1.0f, 1e-6);
        assert_float_equal(aft_lr_at(kinds[k], W - 1, W, T, 2, 0.1f), 2, 1e-6);
        assert_float_equal(aft_lr_at(kinds[k], W, W, T, 2, 0.1f), 2, 1e-6);
    }
    assert_float_equal(aft_lr_at(AFT_SCHED_CONSTANT, 60, W, T, 2, 0.1f), 2, 0);
    assert_float_equal(aft_lr_at(AFT_SCHED_CONSTANT, 500, W, T, 2, 0.1f), 2, 0);
    /* Linear: 2 (1 - 0.9 p); cosine: 2 (0.1 + 0.45 (1 + cos(pi p))). */
    assert_float_equal(aft_lr_at(AFT_SCHED_LINEAR, 35, W, T, 2, 0.1f), 1.55f, 1e-6);
    assert_float_equal(aft_lr_at(AFT_SCHED_LINEAR, 60, W, T, 2, 0.1f), 1.1f, 1e-6);
    assert_float_equal(aft_lr_at(AFT_SCHED_COSINE, 35, W, T, 2, 0.1f),
                       2 * (0.1 + 0.45 * (1 + cos(M_PI / 4))), 1e-6);
    assert_float_equal(aft_lr_at(AFT_SCHED_COSINE, 60, W, T, 2, 0.1f), 1.1f, 1e-6);
    for (int k = 1; k < 3; k++) {
        assert_float_equal(aft_lr_at(kinds[k], T - 1, W, T, 2, 0.1f), 0.2f, 0.02);
        assert_float_equal(aft_lr_at(kinds[k], T, W, T, 2, 0.1f), 0.2f, 1e-6);
        assert_float_equal(aft_lr_at(kinds[k], T + 1000, W, T, 2, 0.1f), 0.2f, 1e-6);
        /* No warm-up: step 0 is at the peak. Total inside warm-up: the floor after it. */
        assert_float_equal(aft_lr_at(kinds[k], 0, 0, T, 2, 0.1f), 2, 1e-6);
        assert_float_equal(aft_lr_at(kinds[k], 5, 5, 3, 2, 0.1f), 0.2f, 1e-6);
    }
}

static void test_set_config_keeps_state(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    aft_optim_config c = adamw(0.01f, 0, 0);
    aft_optim *o = aft_optim_new(t, 3, 8, 1, &c, NULL);
    float p[8] = {1, 1, 1, 1, 1, 1, 1, 1}, g[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0, 0};
    aft_optim_step(o, p, g, 0.01f);
    size_t n;
    float saved[12];
    memcpy(saved, aft_optim_state(o, &n), sizeof saved);
    aft_optim_config c2 = adamw(0.05f, 0.2f, 0);
    c2.kind = AFT_OPT_SGD;  /* ignored: the state is AdamW's */
    aft_optim_set_config(o, &c2);
    assert_int_equal(aft_optim_get_config(o)->kind, AFT_OPT_ADAMW);
    assert_float_equal(aft_optim_get_config(o)->weight_decay, 0.2f, 0);
    assert_memory_equal(aft_optim_state(o, &n), saved, sizeof saved);
    assert_int_equal(aft_optim_steps(o), 1);
    aft_optim_step(o, p, g, 0.05f);
    ref_adam r = {1, 0, 0};
    ref_adamw_step(&r, 0.1, 1, 0.01, 0, 0);
    ref_adamw_step(&r, 0.1, 2, 0.05, 0.2, 0);
    assert_float_equal(p[0], r.p, 1e-6);
    aft_optim_free(o);
}

/* The update split over threads (a model big enough to use them) gives the
 * same bits as one thread, and the zeroing form leaves trainable grads at 0. */
static void test_threads_and_zeroing_match(void **state)
{
    (void)state;
    aft_model_config mc = {.n_layer = 3, .n_head = 4, .d_model = 256, .max_seq = 64,
                           .vocab_size = 2000, .n_actions = 5, .freeze_layers = 1};
    aft_model *a = aft_model_new(&mc, NULL), *b = aft_model_new(&mc, NULL);
    assert_non_null(a);
    assert_non_null(b);
    aft_model_init_random(a, 5);
    aft_model_init_random(b, 5);
    size_t np, nf = aft_model_num_floats(a);
    const aft_param *t = aft_model_param_list(a, &np);
    assert_true(aft_model_num_trainable(a) > ((size_t)1 << 20));
    aft_optim_config c = adamw(0.01f, 0.1f, 0.01f);
    aft_optim *oa = aft_optim_new(t, np, nf, mc.n_layer, &c, NULL);
    aft_optim *ob = aft_optim_new(t, np, nf, mc.n_layer, &c, NULL);
    aft_optim_set_threads(oa, 1);
    aft_optim_set_threads(ob, 3);
    for (int step = 0; step < 3; step++) {
        float *ga = aft_model_grads(a), *gb = aft_model_grads(b);
        for (size_t k = 0; k < nf; k++)
            ga[k] = gb[k] = 0.001f * (float)((int)((k * 7 + (size_t)step) % 13) - 6);
        aft_optim_step(oa, aft_model_params(a), ga, 0.01f);
        aft_optim_step_zero_grads(ob, aft_model_params(b), gb, 0.01f);
        for (size_t i = 0; i < np; i++) {
            if (!t[i].trainable)
                continue;
            for (size_t k = 0; k < t[i].numel; k++)
                assert_true(gb[t[i].offset + k] == 0.0f);
        }
    }
    assert_memory_equal(aft_model_params(a), aft_model_params(b), nf * sizeof(float));
    aft_optim_free(oa);
    aft_optim_free(ob);
    aft_model_free(a);
    aft_model_free(b);
}

static void test_bad_configs(void **state)
{
    (void)state;
    aft_param t[3];
    small_table(t);
    aft_error err = {0};
    aft_optim_config c = adamw(0.01f, 0, 0);
    c.beta2 = 1.0f;
    assert_null(aft_optim_new(t, 3, 8, 1, &c, &err));
    assert_non_null(strstr(err.msg, "beta2"));
    c = adamw(-1, 0, 0);
    assert_null(aft_optim_new(t, 3, 8, 1, &c, &err));
    assert_non_null(strstr(err.msg, "lr"));
    c = adamw(0.01f, 0, 0);
    assert_null(aft_optim_new(t, 3, 7, 1, &c, &err));
    assert_non_null(strstr(err.msg, "frozen"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_steps_no_decay),
        cmocka_unit_test(test_adamw_decay_only_on_decay_tensors),
        cmocka_unit_test(test_l2_goes_into_the_gradient),
        cmocka_unit_test(test_sgd_momentum),
        cmocka_unit_test(test_frozen_tensors_untouched),
        cmocka_unit_test(test_layer_wise_multipliers),
        cmocka_unit_test(test_clip_grad_norm),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_set_config_keeps_state),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_threads_and_zeroing_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
