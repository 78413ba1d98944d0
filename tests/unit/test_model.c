/* Unit tests of the transformer passes: finite-difference gradients (all tensor types,
 * heads, LoRA, frozen layers, dropout), padding, accumulation, LoRA merge, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/model.h"
#include "agentft/rng.h"
#include "../../src/model/kernels.h"        /* the attention kernel on its own */
#include "../../src/model/model_internal.h" /* aft_model_free_acts */

#define TB 3
#define TT 5

static aft_model_config tiny_config(void)
{
    aft_model_config c = {.n_layer = 2, .n_head = 2, .d_model = 16, .max_seq = 8,
                          .vocab_size = 23, .n_actions = 4, .lora_alpha = 4.0f};
    return c;
}

/* A model with weights big enough that every path carries gradient: GPT-2
 * init plus noise, LayerNorm weights near 1, biases and LoRA B non-zero. */
static aft_model *make_model(const aft_model_config *c, uint64_t seed)
{
    aft_error err = {0};
    aft_model *m = aft_model_new(c, &err);
    assert_non_null(m);
    aft_model_init_random(m, seed);
    aft_rng rng;
    aft_rng_seed(&rng, seed + 1);
    size_t n;
    const aft_param *t = aft_model_param_list(m, &n);
    float *p = aft_model_params(m);
    for (size_t i = 0; i < n; i++) {
        int is_ln = strstr(t[i].name, "ln_") != NULL;
        float sd = t[i].kind == AFT_PARAM_LORA ? 0.2f : is_ln ? 0.1f : 0.25f;
        for (size_t k = 0; k < t[i].numel; k++)
            p[t[i].offset + k] += (float)(aft_rng_normal(&rng) * sd);
    }
    return m;
}

typedef struct test_batch {
    int32_t tokens[TB * TT], lengths[TB], labels[TB], targets[TB * TT];
    aft_batch b;
} test_batch;

/* Three sequences of lengths 5, 3 and 1; one unlabelled; LM targets -1 in
 * places and junk (not -1) beyond each length, which must be ignored. */
static void make_batch(test_batch *tb, int V, int A, uint64_t seed)
{
    static const int32_t lens[TB] = {5, 3, 1};
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    for (int i = 0; i < TB * TT; i++) {
        tb->tokens[i] = (int32_t)aft_rng_below(&rng, (uint64_t)V);
        tb->targets[i] = (int32_t)aft_rng_below(&rng, (uint64_t)V);
    }
    tb->targets[1] = -1;
    tb->targets[TT + 2] = -1;
    for (int b = 0; b < TB; b++) {
        tb->lengths[b] = lens[b];
        tb->labels[b] = (int32_t)((b * 3 + 1) % A);
    }
    tb->labels[1] = -1;
    tb->b = (aft_batch){.B = TB, .T = TT, .tokens = tb->tokens, .lengths = tb->lengths,
                        .labels = tb->labels, .lm_targets = tb->targets};
}

static double loss_of(aft_model *m, const aft_batch *b, const aft_forward_opts *o,
                      uint64_t drop_seed)
{
    aft_error err = {0};
    aft_forward_result r;
    if (drop_seed)
        aft_rng_seed(aft_model_rng(m), drop_seed);
    assert_int_equal(aft_model_forward(m, b, o, &r, &err), 0);
    return r.loss;
}

/* Zeroes the grads and runs one training forward and backward. */
static void grads_of(aft_model *m, const aft_batch *b, const aft_forward_opts *o,
                     uint64_t drop_seed)
{
    aft_error err = {0};
    aft_forward_opts t = *o;
    t.training = 1;
    aft_model_zero_grad(m);
    loss_of(m, b, &t, drop_seed);
    assert_int_equal(aft_model_backward(m, &err), 0);
}

/* Central difference of the loss in entry i of the parameter buffer. */
static double numeric_grad(aft_model *m, size_t i, const aft_batch *b,
                           const aft_forward_opts *o, uint64_t drop_seed)
{
    float *p = aft_model_params(m);
    float orig = p[i], eps = 1e-2f;
    p[i] = orig + eps;
    double hi = (double)p[i], lp = loss_of(m, b, o, drop_seed);
    p[i] = orig - eps;
    double lo = (double)p[i], lm = loss_of(m, b, o, drop_seed);
    p[i] = orig;
    return (lp - lm) / (hi - lo);
}

typedef struct check_stats {
    int checked, frozen;
    double worst;
} check_stats;

/* Compares analytic and numeric gradients on `per` entries of every
 * trainable tensor (and checks frozen ones got exactly nothing). */
static check_stats check_grads(aft_model *m, const aft_batch *b, const aft_forward_opts *o,
                               uint64_t drop_seed, int per)
{
    check_stats st = {0};
    size_t n;
    const aft_param *t = aft_model_param_list(m, &n);
    grads_of(m, b, o, drop_seed);
    size_t total = aft_model_num_floats(m);
    float *g = malloc(total * sizeof *g);
    assert_non_null(g);
    memcpy(g, aft_model_grads(m), total * sizeof *g);
    aft_forward_opts eval = *o;
    eval.training = drop_seed != 0; /* dropout needs the same masks, so a training forward */
    aft_rng rng;
    aft_rng_seed(&rng, 99);
    for (size_t k = 0; k < n; k++) {
        if (!t[k].trainable) {
            for (size_t e = 0; e < t[k].numel; e++)
                assert_true(g[t[k].offset + e] == 0.0f);
            st.frozen++;
            continue;
        }
        for (int s = 0; s < per; s++) {
            size_t i = t[k].offset + (size_t)aft_rng_below(&rng, t[k].numel);
            double num = numeric_grad(m, i, b, &eval, drop_seed), ana = g[i];
            double err = fabs(num - ana) / (fabs(num) + fabs(ana) + 2e-3);
            if (err > st.worst)
                st.worst = err;
            if (err > 2e-2)
                fail_msg("%s[%zu]: analytic %.6g numeric %.6g", t[k].name, i - t[k].offset,
                         ana, num);
            st.checked++;
        }
    }
    free(g);
    if (getenv("AFT_TEST_VERBOSE"))
        printf("checked %d entries, %d frozen tensors, worst relative error %.2e\n", st.checked,
               st.frozen, st.worst);
    return st;
}

static void grad_check(const aft_model_config *c, float cls_w, float lm_w, int labels, int lm)
{
    aft_model *m = make_model(c, 7);
    test_batch tb;
    make_batch(&tb, c->vocab_size, c->n_actions ? c->n_actions : 1, 11);
    if (!labels)
        tb.b.labels = NULL;
    if (!lm)
        tb.b.lm_targets = NULL;
    aft_forward_opts o = {.cls_weight = cls_w, .lm_weight = lm_w};
    check_stats st = check_grads(m, &tb.b, &o, 0, 4);
    assert_true(st.checked > 0);
    aft_model_free(m);
}

static void test_grad_action_head(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    grad_check(&c, 1.0f, 0.0f, 1, 0);
}

static void test_grad_lm_head(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    grad_check(&c, 0.0f, 1.0f, 0, 1);
    c.n_actions = 0;
    grad_check(&c, 0.0f, 1.0f, 0, 1);
}

static void test_grad_both_heads(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    grad_check(&c, 0.7f, 0.4f, 1, 1);
}

/* The action head's gradient never reaches score.* through the LM loss. */
static void test_lm_only_leaves_head(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    aft_model *m = make_model(&c, 3);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 5);
    aft_forward_opts o = {.lm_weight = 1.0f, .cls_weight = 0.0f};
    grads_of(m, &tb.b, &o, 0);
    const aft_param *p = aft_model_find_param(m, "score.weight");
    for (size_t i = 0; i < p->numel; i++)
        assert_true(aft_model_grads(m)[p->offset + i] == 0.0f);
    aft_model_free(m);
}

static void test_grad_lora(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    c.lora_rank = 2;
    aft_model *m = make_model(&c, 21);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 12);
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 0.5f};
    check_stats st = check_grads(m, &tb.b, &o, 0, 4);
    /* 2 embeddings + 12 per block + ln_f: all frozen */
    assert_int_equal(st.frozen, 2 + 12 * c.n_layer + 2);
    aft_model_free(m);
}

static void test_grad_freeze_layers(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    c.n_layer = 3;
    c.freeze_layers = 2;
    aft_model *m = make_model(&c, 31);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 13);
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 1.0f};
    check_stats st = check_grads(m, &tb.b, &o, 0, 3);
    assert_int_equal(st.frozen, 2 + 12 * 2);
    aft_model_free(m);
}

/* The embeddings (the input path): rows of tokens in the batch. */
static void test_grad_embeddings(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    aft_model *m = make_model(&c, 41);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 14);
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 0.0f};
    grads_of(m, &tb.b, &o, 0);
    const float *g = aft_model_grads(m);
    const aft_param *wte = aft_model_find_param(m, "transformer.wte.weight");
    const aft_param *wpe = aft_model_find_param(m, "transformer.wpe.weight");
    for (int k = 0; k < TB * TT; k += 2)
        for (int i = 0; i < c.d_model; i += 5) {
            size_t e = wte->offset + (size_t)tb.tokens[k] * c.d_model + i;
            double num = numeric_grad(m, e, &tb.b, &o, 0);
            assert_true(fabs(num - g[e]) <= 2e-2 * (fabs(num) + fabs(g[e])) + 1e-4);
        }
    for (int t = 0; t < TT; t++) {
        size_t e = wpe->offset + (size_t)t * c.d_model + 3;
        double num = numeric_grad(m, e, &tb.b, &o, 0);
        assert_true(fabs(num - g[e]) <= 2e-2 * (fabs(num) + fabs(g[e])) + 1e-4);
    }
    /* positions no sequence reaches get nothing */
    for (size_t i = (size_t)TT * c.d_model; i < wpe->numel; i++)
        assert_true(g[wpe->offset + i] == 0.0f);
    aft_model_free(m);
}

static void test_dropout_reproducible(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    c.dropout = 0.2f;
    c.attn_dropout = 0.3f;
    aft_model *m = make_model(&c, 51);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 15);
    aft_forward_opts train = {.training = 1, .cls_weight = 1.0f, .lm_weight = 1.0f};
    aft_forward_opts eval = train;
    eval.training = 0;
    double a = loss_of(m, &tb.b, &train, 1234), b = loss_of(m, &tb.b, &train, 1234);
    double other = loss_of(m, &tb.b, &train, 4321);
    assert_true(a == b);
    assert_true(a != other);
    double e1 = loss_of(m, &tb.b, &eval, 0), e2 = loss_of(m, &tb.b, &eval, 0);
    assert_true(e1 == e2);
    assert_true(e1 != a);
    aft_model_free(m);

    /* no dropout configured: training and evaluation agree exactly */
    c.dropout = c.attn_dropout = 0.0f;
    m = make_model(&c, 51);
    assert_true(loss_of(m, &tb.b, &train, 0) == loss_of(m, &tb.b, &eval, 0));
    aft_model_free(m);
}

/* With the rng re-seeded before each forward the masks repeat, so the loss
 * is a smooth function of the weights and finite differences apply. */
static void test_grad_dropout(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    c.dropout = 0.1f;
    c.attn_dropout = 0.2f;
    aft_model *m = make_model(&c, 61);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 16);
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 0.5f};
    check_stats st = check_grads(m, &tb.b, &o, 777, 3);
    assert_true(st.checked > 0);
    aft_model_free(m);
}

static void assert_close(const float *a, const float *b, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++)
        if (fabs((double)a[i] - b[i]) > tol * (1.0 + fabs((double)a[i])))
            fail_msg("entry %zu: %.8g vs %.8g", i, (double)a[i], (double)b[i]);
}


/* Runs seq (length len) as row `row` of a B x T batch whose other rows and
 * padding are junk; returns its action logits, LM logits of its real
 * positions and the loss; fills grads (when not NULL). */
static float run_in_batch(aft_model *m, const int32_t *seq, const int32_t *tgt, int len, int B,
                          int T, int row, float *act, float *lm, float *grads)
{
    const aft_model_config *c = aft_model_get_config(m);
    int32_t tok[4 * 8], lens[4], labels[4], targets[4 * 8];
    aft_rng rng;
    aft_rng_seed(&rng, (uint64_t)(B * 100 + T));
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int32_t)aft_rng_below(&rng, (uint64_t)c->vocab_size);
        targets[i] = (int32_t)aft_rng_below(&rng, (uint64_t)c->vocab_size);
    }
    for (int b = 0; b < B; b++) {
        lens[b] = b == row ? len : T;
        labels[b] = b == row ? 2 : -1;
        if (b != row)
            for (int t = 0; t < T; t++)
                targets[b * T + t] = -1;
    }
    memcpy(tok + row * T, seq, (size_t)len * sizeof *seq);
    memcpy(targets + row * T, tgt, (size_t)len * sizeof *tgt);
    aft_batch bt = {.B = B, .T = T, .tokens = tok, .lengths = lens, .labels = labels,
                    .lm_targets = targets};
    aft_forward_opts o = {.training = grads != NULL, .cls_weight = 1.0f, .lm_weight = 1.0f,
                          .want_lm_logits = 1};
    aft_forward_result r;
    aft_error err = {0};
    aft_model_zero_grad(m);
    assert_int_equal(aft_model_forward(m, &bt, &o, &r, &err), 0);
    memcpy(act, aft_model_action_logits(m) + row * c->n_actions,
           (size_t)c->n_actions * sizeof *act);
    memcpy(lm, aft_model_lm_logits(m) + (size_t)row * T * c->vocab_size,
           (size_t)len * c->vocab_size * sizeof *lm);
    if (grads) {
        assert_int_equal(aft_model_backward(m, &err), 0);
        memcpy(grads, aft_model_grads(m), aft_model_num_floats(m) * sizeof *grads);
    }
    return r.loss;
}

static void test_padding_invariance(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    aft_model *m = make_model(&c, 71);
    size_t nf = aft_model_num_floats(m);
    const int32_t seq[3] = {4, 17, 9}, tgt[3] = {17, 9, -1};
    float act0[4], act1[4], lm0[3 * 23], lm1[3 * 23];
    float *g0 = malloc(nf * sizeof *g0), *g1 = malloc(nf * sizeof *g1);
    float l0 = run_in_batch(m, seq, tgt, 3, 1, 3, 0, act0, lm0, g0);
    static const int shapes[][3] = {{1, 8, 0}, {2, 6, 1}, {4, 5, 2}, {3, 8, 0}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        float l1 = run_in_batch(m, seq, tgt, 3, shapes[s][0], shapes[s][1], shapes[s][2], act1,
                                lm1, g1);
        assert_true(fabs(l1 - l0) < 1e-5);
        assert_close(act0, act1, 4, 1e-5);
        assert_close(lm0, lm1, 3 * 23, 1e-5);
        assert_close(g0, g1, nf, 1e-5);
    }
    free(g0);
    free(g1);
    aft_model_free(m);
}

/* Convention: each forward's loss is the mean over its own batch and
 * backward adds, so with equal counts per micro-batch the trainer divides
 * the accumulated gradient by the number of micro-batches. */
/* The action head reads cls_pos: the same logits as the sequence cut just
 * after it (causal attention), and a gradient check through that position. */
static void test_cls_pos(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    aft_model *m = make_model(&c, 41);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 42);
    int32_t pos[TB] = {2, 0, 0};
    tb.b.cls_pos = pos;
    tb.b.lm_targets = NULL;
    aft_forward_opts o = {.cls_weight = 1.0f};
    aft_forward_result r;
    aft_error err = {0};
    assert_int_equal(aft_model_forward(m, &tb.b, &o, &r, &err), 0);
    float logits[TB * 4];
    memcpy(logits, aft_model_action_logits(m), sizeof logits);

    int32_t cut_len[TB] = {3, 1, 1};
    aft_batch cut = tb.b;
    cut.cls_pos = NULL;
    cut.lengths = cut_len;
    assert_int_equal(aft_model_forward(m, &cut, &o, &r, &err), 0);
    assert_close(logits, aft_model_action_logits(m), TB * 4, 1e-5);

    check_stats st = check_grads(m, &tb.b, &o, 0, 6);
    assert_true(st.worst < 1e-2);

    pos[0] = 5; /* past the length */
    assert_int_equal(aft_model_forward(m, &tb.b, &o, &r, &err), -1);
    assert_non_null(strstr(err.msg, "cls_pos[0] = 5 is out of range"));
    aft_model_free(m);
}

static void test_grad_accumulation(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    aft_model *m = make_model(&c, 81);
    size_t nf = aft_model_num_floats(m);
    int32_t tok[4 * 5], lens[4] = {5, 3, 4, 4}, labels[4] = {0, 3, 1, 2}, tgt[4 * 5];
    for (int i = 0; i < 20; i++) {
        tok[i] = (i * 7 + 3) % c.vocab_size;
        tgt[i] = (i * 5 + 1) % c.vocab_size;
    }
    aft_batch full = {.B = 4, .T = 5, .tokens = tok, .lengths = lens, .labels = labels,
                      .lm_targets = tgt};
    aft_batch h1 = full, h2 = full;
    h1.B = h2.B = 2;
    h2.tokens += 10;
    h2.lengths += 2;
    h2.labels += 2;
    h2.lm_targets += 10;
    aft_forward_opts o = {.training = 1, .cls_weight = 1.0f, .lm_weight = 0.5f};
    aft_error err = {0};
    float *gfull = malloc(nf * sizeof *gfull);
    grads_of(m, &full, &o, 0);
    memcpy(gfull, aft_model_grads(m), nf * sizeof *gfull);
    aft_model_zero_grad(m);
    aft_forward_result r1, r2, rf;
    assert_int_equal(aft_model_forward(m, &h1, &o, &r1, &err), 0);
    assert_int_equal(aft_model_backward(m, &err), 0);
    assert_int_equal(aft_model_forward(m, &h2, &o, &r2, &err), 0);
    assert_int_equal(aft_model_backward(m, &err), 0);
    assert_int_equal(r1.lm_count, r2.lm_count);
    float *g = aft_model_grads(m);
    for (size_t i = 0; i < nf; i++)
        g[i] *= 0.5f;
    assert_close(gfull, g, nf, 1e-5);
    assert_int_equal(aft_model_forward(m, &full, &o, &rf, &err), 0);
    assert_true(fabs(rf.loss - 0.5 * (r1.loss + r2.loss)) < 1e-5);
    free(gfull);
    aft_model_free(m);
}

static void test_lora_merge(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    c.lora_rank = 3;
    aft_model *m = make_model(&c, 91);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 17);
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 1.0f, .want_lm_logits = 1};
    aft_error err = {0};
    aft_forward_result r0, r1;
    size_t nlm = (size_t)TB * TT * c.vocab_size;
    float act[TB * 4], *lm = malloc(nlm * sizeof *lm);
    assert_int_equal(aft_model_forward(m, &tb.b, &o, &r0, &err), 0);
    memcpy(act, aft_model_action_logits(m), sizeof act);
    memcpy(lm, aft_model_lm_logits(m), nlm * sizeof *lm);
    aft_model_merge_lora(m);
    const aft_param *pb = aft_model_find_param(m, "transformer.h.1.mlp.c_fc.lora_B.weight");
    for (size_t i = 0; i < pb->numel; i++)
        assert_true(aft_model_params(m)[pb->offset + i] == 0.0f);
    assert_int_equal(aft_model_forward(m, &tb.b, &o, &r1, &err), 0);
    assert_close(act, aft_model_action_logits(m), TB * 4, 1e-5);
    assert_close(lm, aft_model_lm_logits(m), nlm, 1e-5);
    assert_true(fabs(r0.loss - r1.loss) < 1e-5);
    free(lm);
    aft_model_free(m);
}

static void expect_error(aft_model *m, const aft_batch *b, const char *needle)
{
    aft_error err = {0};
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 1.0f};
    aft_forward_result r;
    assert_int_not_equal(aft_model_forward(m, b, &o, &r, &err), 0);
    assert_true(err.set);
    if (!strstr(err.msg, needle))
        fail_msg("'%s' does not mention '%s'", err.msg, needle);
}

static void test_errors(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    aft_model *m = make_model(&c, 5);
    aft_error err = {0};
    assert_int_not_equal(aft_model_backward(m, &err), 0);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 18);
    tb.tokens[TT + 2] = 23;
    expect_error(m, &tb.b, "token id 23 at row 1, position 2");
    tb.tokens[TT + 2] = -4;
    expect_error(m, &tb.b, "-4");
    tb.tokens[TT + 2] = 0;
    tb.lengths[2] = 0;
    expect_error(m, &tb.b, "lengths[2] = 0");
    tb.lengths[2] = 6;
    expect_error(m, &tb.b, "lengths[2] = 6");
    tb.lengths[2] = 1;
    tb.labels[0] = 4;
    expect_error(m, &tb.b, "labels[0] = 4");
    tb.labels[0] = 0;
    tb.targets[3] = 99;
    expect_error(m, &tb.b, "lm_targets[0][3] = 99");
    tb.targets[3] = 0;
    int32_t big[9 * 1] = {0}, len1[1] = {9};
    aft_batch longb = {.B = 1, .T = 9, .tokens = big, .lengths = len1};
    expect_error(m, &longb, "max_seq = 8");
    aft_forward_opts o = {.cls_weight = 1.0f};
    assert_int_equal(aft_model_forward(m, &tb.b, &o, NULL, &err), 0);
    assert_int_not_equal(aft_model_backward(m, &err), 0); /* evaluation forward */
    aft_model_free(m);
}

/* More LM targets than one chunk of the LM head (AFT_LM_CHUNK = 256 rows):
 * evaluation, training, all-position logits and their gradients agree. */
static void test_lm_chunks(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    c.max_seq = 96;
    aft_model *m = make_model(&c, 101);
    enum { B = 4, T = 90 };
    static int32_t tok[B * T], tgt[B * T];
    int32_t lens[B] = {90, 77, 90, 85};
    for (int i = 0; i < B * T; i++) {
        tok[i] = (i * 7 + 1) % c.vocab_size;
        tgt[i] = i % 5 == 0 ? -1 : (i * 11 + 3) % c.vocab_size;
    }
    aft_batch bt = {.B = B, .T = T, .tokens = tok, .lengths = lens, .lm_targets = tgt};
    aft_forward_opts eval = {.lm_weight = 1.0f}, train = eval, all = eval;
    train.training = 1;
    all.training = 1;
    all.want_lm_logits = 1;
    double le = loss_of(m, &bt, &eval, 0), lt = loss_of(m, &bt, &train, 0);
    assert_true(le == lt);
    size_t nf = aft_model_num_floats(m);
    float *g = malloc(nf * sizeof *g);
    grads_of(m, &bt, &all, 0);
    assert_non_null(aft_model_lm_logits(m));
    memcpy(g, aft_model_grads(m), nf * sizeof *g);
    grads_of(m, &bt, &train, 0);
    assert_null(aft_model_lm_logits(m));
    assert_close(g, aft_model_grads(m), nf, 1e-5);
    assert_true(fabs(loss_of(m, &bt, &all, 0) - lt) < 1e-5);
    const aft_param *lnf = aft_model_find_param(m, "transformer.ln_f.bias");
    for (int i = 0; i < c.d_model; i += 3) {
        size_t e = lnf->offset + (size_t)i;
        double num = numeric_grad(m, e, &bt, &eval, 0);
        assert_true(fabs(num - g[e]) <= 2e-2 * (fabs(num) + fabs(g[e])) + 1e-4);
    }
    free(g);
    aft_model_free(m);
}

/* Plain causal attention in double over qkv (B, T, 3C), with the kernel's
 * dropout masks drawn from rng in the same (b, h) order; returns
 * sum(out * g). */
static double naive_attention(const float *qkv, const float *g, int B, int T, int C, int NH,
                              float p, uint64_t seed)
{
    int hs = C / NH;
    double total = 0;
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    unsigned char *mk = malloc((size_t)T * T);
    double *w = malloc((size_t)T * sizeof *w);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            if (p > 0)
                aft_k_dropout_mask(mk, (size_t)T * T, p, &rng);
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                double mx = -1e300, sum = 0;
                for (int j = 0; j <= t; j++) {
                    const float *k = qkv + ((size_t)b * T + j) * 3 * C + C + h * hs;
                    double d = 0;
                    for (int i = 0; i < hs; i++)
                        d += (double)q[i] * k[i];
                    w[j] = d / sqrt((double)hs);
                    mx = w[j] > mx ? w[j] : mx;
                }
                for (int j = 0; j <= t; j++)
                    sum += (w[j] = exp(w[j] - mx));
                for (int i = 0; i < hs; i++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) {
                        double keep = p > 0 ? mk[(size_t)t * T + j] / (1.0 - p) : 1.0;
                        o += w[j] / sum * keep * qkv[((size_t)b * T + j) * 3 * C + 2 * C + h * hs + i];
                    }
                    total += o * g[((size_t)b * T + t) * C + h * hs + i];
                }
            }
        }
    free(mk);
    free(w);
    return total;
}

/* The attention kernel on sequences longer than one block of query rows,
 * against the plain version: outputs, and gradients by finite differences. */
static void attention_case(float p)
{
    enum { B = 2, T = 300, C = 8, NH = 2 };
    size_t n3 = (size_t)B * T * 3 * C, n = (size_t)B * T * C;
    float *qkv = malloc(n3 * sizeof *qkv), *dqkv = malloc(n3 * sizeof *dqkv);
    float *out = malloc(n * sizeof *out), *g = malloc(n * sizeof *g);
    float *lse = malloc((size_t)B * NH * T * sizeof *lse);
    float *scratch = malloc(4 * (size_t)T * T * sizeof *scratch);
    aft_rng rng;
    aft_rng_seed(&rng, 5);
    for (size_t i = 0; i < n3; i++)
        qkv[i] = (float)aft_rng_normal(&rng);
    for (size_t i = 0; i < n; i++)
        g[i] = (float)aft_rng_normal(&rng);
    aft_rng_seed(&rng, 77);
    aft_k_attention_fwd(out, lse, qkv, p, &rng, scratch, B, T, C, NH);
    double dot = 0;
    for (size_t i = 0; i < n; i++)
        dot += (double)out[i] * g[i];
    double ref = naive_attention(qkv, g, B, T, C, NH, p, 77);
    assert_true(fabs(dot - ref) < 1e-4 * (1.0 + fabs(ref)));
    aft_rng_seed(&rng, 77);
    aft_k_attention_bwd(dqkv, g, qkv, lse, p, &rng, scratch, B, T, C, NH);
    for (int s = 0; s < 24; s++) {
        size_t i = (size_t)aft_rng_below(&rng, n3);
        float orig = qkv[i];
        qkv[i] = orig + 1e-2f;
        double hi = naive_attention(qkv, g, B, T, C, NH, p, 77);
        qkv[i] = orig - 1e-2f;
        double lo = naive_attention(qkv, g, B, T, C, NH, p, 77);
        qkv[i] = orig;
        double num = (hi - lo) / 2e-2;
        if (fabs(num - dqkv[i]) > 1e-2 * (fabs(num) + fabs(dqkv[i])) + 1e-4)
            fail_msg("dqkv[%zu]: analytic %.6g numeric %.6g", i, (double)dqkv[i], num);
    }
    free(qkv);
    free(dqkv);
    free(out);
    free(g);
    free(lse);
    free(scratch);
}

static void test_attention_long(void **state)
{
    (void)state;
    attention_case(0.0f);
    attention_case(0.25f);
}

static void test_activation_bytes(void **state)
{
    (void)state;
    aft_model_config c = tiny_config();
    size_t a = aft_model_activation_bytes(&c, 2, 5, 0);
    assert_true(a > 0);
    assert_true(aft_model_activation_bytes(&c, 4, 5, 0) > a);
    assert_true(aft_model_activation_bytes(&c, 2, 5, 1) > a);
    /* A smaller batch after a larger one reuses the buffer; outputs stay right. */
    aft_model *m = make_model(&c, 8);
    test_batch tb;
    make_batch(&tb, c.vocab_size, c.n_actions, 19);
    aft_forward_opts o = {.cls_weight = 1.0f, .lm_weight = 1.0f};
    double full = loss_of(m, &tb.b, &o, 0);
    aft_batch one = tb.b;
    one.B = 1;
    double first = loss_of(m, &one, &o, 0);
    aft_model_free_acts(m);
    assert_true(fabs(loss_of(m, &one, &o, 0) - first) < 1e-6);
    assert_true(fabs(loss_of(m, &tb.b, &o, 0) - full) < 1e-6);
    aft_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_action_head),
        cmocka_unit_test(test_grad_lm_head),
        cmocka_unit_test(test_grad_both_heads),
        cmocka_unit_test(test_lm_only_leaves_head),
        cmocka_unit_test(test_grad_lora),
        cmocka_unit_test(test_grad_freeze_layers),
        cmocka_unit_test(test_grad_embeddings),
        cmocka_unit_test(test_dropout_reproducible),
        cmocka_unit_test(test_grad_dropout),
        cmocka_unit_test(test_padding_invariance),
        cmocka_unit_test(test_grad_accumulation),
        cmocka_unit_test(test_cls_pos),
        cmocka_unit_test(test_lora_merge),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_lm_chunks),
        cmocka_unit_test(test_attention_long),
        cmocka_unit_test(test_activation_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
