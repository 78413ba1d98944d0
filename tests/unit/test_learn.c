/* The engine end to end on the bundled example: a tokenizer trained on the
 * text, examples with the action position, the model and AdamW. A tiny model
 * must learn: the loss falls and held-out accuracy beats the majority class. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/dataset.h"
#include "agentft/examples.h"
#include "agentft/metrics.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/rng.h"
#include "agentft/tokenizer.h"

static aft_dataset *open_example(void)
{
    const char *src = getenv("SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/flight-agent/data.jsonl", src ? src : ".");
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_error err = {0};
    aft_load_opts lo = {0};
    aft_dataset *ds = aft_dataset_open(path, &lo, &d, &err);
    aft_diag_list_free(&d);
    return ds;
}

static aft_tokenizer *train_tokenizer(const aft_dataset *ds)
{
    size_t n = aft_dataset_count(ds);
    char **texts = calloc(n, sizeof *texts);
    assert_non_null(texts);
    for (size_t i = 0; i < n; i++)
        texts[i] = aft_dataset_get_string(ds, i, "context");
    const char *specials[] = {AFT_TOK_EOT, AFT_TOK_PAD, AFT_TOK_ACTION, AFT_TOK_RESPONSE};
    aft_error err = {0};
    aft_tokenizer *tok = aft_tokenizer_train((const char *const *)texts, n, 1024, specials, 4, &err);
    assert_non_null(tok);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    return tok;
}

/* Accuracy of the action head on examples [from, to). */
static double accuracy(aft_model *m, const aft_example_set *ex, size_t from, size_t to,
                       aft_batch_buf *buf, int32_t pad)
{
    aft_forward_opts fo = {.cls_weight = 1.0f};
    size_t correct = 0, idx[32];
    aft_error err = {0};
    for (size_t i = from; i < to; i += 32) {
        size_t n = to - i < 32 ? to - i : 32;
        for (size_t k = 0; k < n; k++)
            idx[k] = i + k;
        const aft_batch *b = aft_batch_fill(buf, ex, idx, n, pad, 0, 1);
        aft_forward_result r;
        assert_int_equal(aft_model_forward(m, b, &fo, &r, &err), 0);
        const float *logits = aft_model_action_logits(m);
        int A = aft_model_get_config(m)->n_actions;
        for (size_t k = 0; k < n; k++)
            correct += aft_argmax_prob(logits + k * (size_t)A, (size_t)A, NULL) == b->labels[k];
    }
    return (double)correct / (double)(to - from);
}

static void test_tiny_model_learns(void **state)
{
    (void)state;
    aft_dataset *ds = open_example();
    if (!ds) {
        print_message("skipped: examples/flight-agent/data.jsonl not found\n");
        skip();
    }
    aft_error err = {0};
    aft_tokenizer *tok = train_tokenizer(ds);
    aft_action_set actions;
    const aft_dataset *sets[] = {ds};
    assert_int_equal(aft_action_set_build(&actions, sets, 1, &err), 0);
    aft_example_set ex;
    aft_example_set_init(&ex);
    aft_example_opts eo = {.max_seq = 48, .with_target = 1, .split_filter = -1};
    assert_int_equal(aft_examples_add(&ex, ds, tok, &actions, &eo, &err), 0);
    assert_int_equal(ex.count, aft_dataset_count(ds));
    assert_int_equal(ex.unknown_label, 0);

    /* Shuffle once; the last 400 are held out. */
    size_t n = ex.count, held = 400;
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    aft_rng rng;
    aft_rng_seed(&rng, 7);
    aft_rng_shuffle(&rng, order, n, sizeof *order);
    aft_example_set shuffled;
    aft_example_set_init(&shuffled);
    shuffled.items = malloc(n * sizeof *shuffled.items);
    for (size_t i = 0; i < n; i++)
        shuffled.items[i] = ex.items[order[i]];
    shuffled.count = n;
    shuffled.tokens = ex.tokens;

    aft_model_config mc = {.n_layer = 2, .n_head = 4, .d_model = 64, .max_seq = 48,
                           .vocab_size = (int)aft_tokenizer_vocab_size(tok),
                           .n_actions = (int)actions.count};
    aft_model *m = aft_model_new(&mc, &err);
    assert_non_null(m);
    aft_model_init_random(m, 1);
    size_t np;
    const aft_param *params = aft_model_param_list(m, &np);
    aft_optim_config oc = {.kind = AFT_OPT_ADAMW, .lr = 3e-3f, .beta1 = 0.9f, .beta2 = 0.999f,
                           .eps = 1e-8f, .weight_decay = 0.01f, .layer_lr_decay = 1.0f};
    aft_optim *o = aft_optim_new(params, np, aft_model_num_floats(m), mc.n_layer, &oc, &err);
    assert_non_null(o);
    aft_batch_buf buf;
    assert_int_equal(aft_batch_buf_init(&buf, 32, 48, &err), 0);
    int32_t pad = aft_tokenizer_special(tok, AFT_TOK_PAD);

    aft_forward_opts fo = {.training = 1, .cls_weight = 1.0f, .lm_weight = 0.5f};
    double first = 0, last = 0;
    size_t train_n = n - held, idx[32];
    int steps = 300;
    for (int s = 0; s < steps; s++) {
        for (size_t k = 0; k < 32; k++)
            idx[k] = ((size_t)s * 32 + k) % train_n;
        const aft_batch *b = aft_batch_fill(&buf, &shuffled, idx, 32, pad, 1, 1);
        aft_forward_result r;
        assert_int_equal(aft_model_forward(m, b, &fo, &r, &err), 0);
        assert_int_equal(aft_model_backward(m, &err), 0);
        aft_clip_grad_norm(params, np, aft_model_grads(m), 1.0f);
        aft_optim_step_zero_grads(o, aft_model_params(m), aft_model_grads(m), 3e-3f);
        if (s < 10)
            first += r.cls_loss / 10;
        if (s >= steps - 10)
            last += r.cls_loss / 10;
    }
    /* The majority class of the held-out part. */
    size_t *counts = calloc(actions.count, sizeof *counts), major = 0;
    for (size_t i = train_n; i < n; i++)
        counts[shuffled.items[i].label]++;
    for (size_t a = 0; a < actions.count; a++)
        if (counts[a] > major)
            major = counts[a];
    double acc = accuracy(m, &shuffled, train_n, n, &buf, pad);
    print_message("action loss %.3f -> %.3f; held-out accuracy %.3f (majority %.3f)\n", first,
                  last, acc, (double)major / (double)held);
    assert_true(last < first * 0.6);
    assert_true(acc > (double)major / (double)held + 0.2);

    free(counts);
    aft_batch_buf_free(&buf);
    aft_optim_free(o);
    aft_model_free(m);
    free(shuffled.items);
    free(order);
    aft_example_set_free(&ex);
    aft_action_set_free(&actions);
    aft_tokenizer_free(tok);
    aft_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_model_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
