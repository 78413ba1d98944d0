/* Unit tests of the report's generation section (report_generation.c) and
 * the A/B comparison (report_compare.c), on tiny models saved as runs: one
 * whose LM head learnt the data, random ones, and one with another action set. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "agentft/checkpoint.h"
#include "agentft/generate.h"
#include "agentft/metrics.h"
#include "agentft/optim.h"
#include "agentft/report.h"

static char root[4096];
static aft_tokenizer *tok;

static const char *const actions3[] = {"book_flight", "cancel_order", "weather"};
static const char *const actions4[] = {"book_flight", "cancel_order", "status", "weather"};

/* 12 records over three actions, then one "status" record that only the
 * four-action model knows. The file starts with a blank line, so record i
 * is on line i + 2. */
static const char *const contexts[] = {
    "book a flight to paris", "I need a flight to rome", "flight to berlin please",
    "get me a flight to oslo", "cancel my order 12", "please cancel the order",
    "cancel order 7 now", "I want to cancel my order", "what is the weather in paris",
    "weather for rome tomorrow", "is the weather nice in oslo", "weather report berlin",
    "where is my parcel",
};
#define N_RECORDS 13

static const char *gold_of(size_t i)
{
    return i < 4 ? "book_flight" : i < 8 ? "cancel_order" : i < 12 ? "weather" : "status";
}

static const char *response_of(size_t i)
{
    return i < 4 ? "Booking your flight." : i < 8 ? "Your order is cancelled."
         : i < 12 ? "Here is the forecast." : "It is on its way.";
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", root, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The data file, with record `changed` given the action "weather" (-1: none). */
static void write_data(const char *name, int changed)
{
    char path[4200];
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("\n", f);
    for (size_t i = 0; i < N_RECORDS; i++)
        fprintf(f, "{\"id\":\"r%zu\",\"context\":\"%s\",\"agent_action\":\"%s\","
                   "\"expected_response\":\"%s\"}\n",
                i, contexts[i], (int)i == changed ? "weather" : gold_of(i), response_of(i));
    fclose(f);
}

static aft_dataset *open_data(const char *name)
{
    char path[4200];
    path_in(path, sizeof path, name);
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_error err = {0};
    aft_load_opts lo = {0};
    aft_dataset *ds = aft_dataset_open(path, &lo, &d, &err);
    aft_diag_list_free(&d);
    if (!ds)
        fail_msg("%s", err.msg);
    return ds;
}

static void train_tokenizer(void)
{
    const char *texts[3 * N_RECORDS];
    for (size_t i = 0; i < N_RECORDS; i++) {
        texts[3 * i] = contexts[i];
        texts[3 * i + 1] = gold_of(i);
        texts[3 * i + 2] = response_of(i);
    }
    const char *specials[] = {AFT_TOK_EOT, AFT_TOK_PAD, AFT_TOK_ACTION, AFT_TOK_RESPONSE};
    aft_error err = {0};
    tok = aft_tokenizer_train(texts, 3 * N_RECORDS, 400, specials, 4, &err);
    if (!tok)
        fail_msg("%s", err.msg);
}

/* A few hundred steps of LM (and action) training on every record, enough
 * for a tiny model to learn them by heart. */
static void train_lm(aft_model *m, const char *const *names, size_t n_names)
{
    aft_error err = {0};
    aft_action_set actions;
    assert_int_equal(aft_action_set_from_names(&actions, names, n_names, &err), 0);
    aft_dataset *ds = open_data("data.jsonl");
    aft_example_set ex;
    aft_example_set_init(&ex);
    aft_example_opts eo = {.max_seq = aft_model_get_config(m)->max_seq, .with_target = 1,
                           .split_filter = -1};
    assert_int_equal(aft_examples_add(&ex, ds, tok, &actions, &eo, &err), 0);
    size_t np, idx[N_RECORDS];
    const aft_param *params = aft_model_param_list(m, &np);
    aft_optim_config oc = {.kind = AFT_OPT_ADAMW, .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.999f,
                           .eps = 1e-8f, .layer_lr_decay = 1.0f};
    aft_optim *o = aft_optim_new(params, np, aft_model_num_floats(m),
                                 aft_model_get_config(m)->n_layer, &oc, &err);
    assert_non_null(o);
    aft_batch_buf buf;
    assert_int_equal(aft_batch_buf_init(&buf, N_RECORDS, eo.max_seq, &err), 0);
    for (size_t i = 0; i < ex.count; i++)
        idx[i] = i;
    aft_forward_opts fo = {.training = 1, .cls_weight = 0.5f, .lm_weight = 1.0f};
    aft_forward_result r = {0};
    for (int s = 0; s < 300; s++) {
        const aft_batch *b = aft_batch_fill(&buf, &ex, idx, ex.count, aft_tokenizer_special(tok, AFT_TOK_PAD), 1, 1);
        assert_int_equal(aft_model_forward(m, b, &fo, &r, &err), 0);
        assert_int_equal(aft_model_backward(m, &err), 0);
        aft_optim_step_zero_grads(o, aft_model_params(m), aft_model_grads(m), 1e-2f);
    }
    print_message("LM training: final LM loss %.4f\n", r.lm_loss);
    aft_batch_buf_free(&buf);
    aft_optim_free(o);
    aft_example_set_free(&ex);
    aft_dataset_free(ds);
    aft_action_set_free(&actions);
}

/* root/NAME as a run: config.yaml with lm_loss_weight and checkpoints/best. */
static void make_run(const char *name, const char *lm_weight, uint64_t seed,
                     const char *const *names, size_t n_names, int learn)
{
    char dir[4200], path[4300];
    path_in(dir, sizeof dir, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    char yaml[200];
    snprintf(yaml, sizeof yaml, "train:\n  lm_loss_weight: %s\n", lm_weight);
    write_text(path, yaml);
    snprintf(path, sizeof path, "%s/checkpoints", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/checkpoints/best", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    aft_model_config c = {.n_layer = 2, .n_head = 2, .d_model = 32, .max_seq = 40,
                          .vocab_size = (int)aft_tokenizer_vocab_size(tok),
                          .n_actions = (int)n_names};
    aft_error err = {0};
    aft_model *m = aft_model_new(&c, &err);
    assert_non_null(m);
    aft_model_init_random(m, seed);
    if (learn)
        train_lm(m, names, n_names);
    if (aft_checkpoint_save_model(path, m, tok, names, n_names, &err) != 0)
        fail_msg("%s", err.msg);
    aft_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(root, sizeof root, "report_gen") < 0)
        return -1;
    write_data("data.jsonl", -1);
    write_data("data2.jsonl", 0);
    train_tokenizer();
    make_run("lm", "0.5", 3, actions3, 3, 1);
    make_run("rand", "0.5", 1, actions3, 3, 0);
    make_run("nolm", "0", 1, actions3, 3, 0);
    make_run("wide", "0", 2, actions4, 4, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aft_tokenizer_free(tok);
    return aft_test_rmtree(root);
}

static aft_predictor *open_run(const char *name)
{
    char dir[4200];
    path_in(dir, sizeof dir, name);
    aft_error err = {0};
    aft_predictor *p = aft_predictor_open(dir, NULL, 1, &err);
    if (!p)
        fail_msg("%s", err.msg);
    return p;
}

/* The evaluation input as aft_eval_input_load would make it, by hand; the
 * dataset stays the caller's. */
static void fill_input(aft_eval_input *in, aft_predictor *p, aft_dataset *ds)
{
    memset(in, 0, sizeof *in);
    in->pred = p;
    in->ds = ds;
    in->source = "test data";
    aft_example_set_init(&in->examples);
    aft_example_opts o = aft_predictor_example_opts(p, 0, -1, AFT_SPLIT_TEST);
    aft_error err = {0};
    assert_int_equal(aft_examples_add(&in->examples, ds, aft_predictor_tokenizer(p),
                                      aft_predictor_actions(p), &o, &err), 0);
    size_t n = in->examples.count;
    in->predicted = calloc(n, sizeof *in->predicted);
    in->confidence = calloc(n, sizeof *in->confidence);
    assert_int_equal(aft_predictor_classify(p, &in->examples, NULL, n, 8, in->predicted,
                                            in->confidence, NULL, &err), 0);
}

static void free_input(aft_eval_input *in)
{
    aft_example_set_free(&in->examples);
    free(in->predicted);
    free(in->confidence);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", key);
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("%s is not a string", key);
    return v->valuestring;
}

/* ---- generation ---- */

static cJSON *generation_of(const char *run, int bare)
{
    char dir[4200];
    path_in(dir, sizeof dir, run);
    if (bare)
        strcat(dir, "/checkpoints/best");
    aft_error err = {0};
    aft_predictor *p = aft_predictor_open(dir, NULL, 1, &err);
    if (!p)
        fail_msg("%s", err.msg);
    aft_dataset *ds = open_data("data.jsonl");
    aft_eval_input in;
    fill_input(&in, p, ds);
    aft_report_opts opts = {.seed = 1, .quick = 1};
    cJSON *out = aft_report_generation(&in, &opts, &err);
    if (!out)
        fail_msg("%s", err.msg);
    free_input(&in);
    aft_dataset_free(ds);
    aft_predictor_free(p);
    return out;
}

static void test_generation_not_trained(void **state)
{
    (void)state;
    for (int bare = 0; bare < 2; bare++) {
        /* lm_loss_weight 0, and a bare checkpoint that has no run config */
        cJSON *out = generation_of(bare ? "rand" : "nolm", bare);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(out, "lm_trained")));
        assert_non_null(strstr(str(out, "note"), bare ? "bare checkpoint" : "lm_loss_weight 0"));
        assert_null(cJSON_GetObjectItemCaseSensitive(out, "action_exact_match"));
        assert_null(cJSON_GetObjectItemCaseSensitive(out, "samples"));
        cJSON_Delete(out);
    }
}

typedef struct reference {
    size_t tokens, correct;
    double cross_entropy;
} reference;

/* Teacher-forced figures computed apart from the report: each example alone
 * (batch 1) through the training path (aft_examples_add with targets), its
 * LM loss restricted to the response tokens. */
static reference reference_figures(const char *run)
{
    aft_predictor *p = open_run(run);
    aft_dataset *ds = open_data("data.jsonl");
    aft_model *m = aft_predictor_model(p);
    aft_error err = {0};
    aft_example_set ex;
    aft_example_set_init(&ex);
    aft_example_opts o = aft_predictor_example_opts(p, 1, -1, AFT_SPLIT_TEST);
    assert_int_equal(aft_examples_add(&ex, ds, tok, aft_predictor_actions(p), &o, &err), 0);
    aft_batch_buf buf;
    assert_int_equal(aft_batch_buf_init(&buf, 1, o.max_seq, &err), 0);
    int32_t resp = aft_tokenizer_special(tok, AFT_TOK_RESPONSE);
    int V = aft_model_get_config(m)->vocab_size;
    reference ref = {0};
    for (size_t i = 0; i < ex.count; i++) {
        const aft_batch *b = aft_batch_fill(&buf, &ex, &i, 1, aft_predictor_pad(p), 1, 0);
        int t = 0;
        while (t < b->T && b->tokens[t] != resp)
            t++;
        for (int k = 0; k < t; k++)
            buf.lm_targets[k] = -1; /* the response's first token is predicted at <|response|> */
        aft_forward_opts fo = {.lm_weight = 1.0f, .want_lm_logits = 1};
        aft_forward_result r;
        assert_int_equal(aft_model_forward(m, b, &fo, &r, &err), 0);
        ref.cross_entropy += (double)r.lm_loss * (double)r.lm_count;
        ref.tokens += r.lm_count;
        const float *logits = aft_model_lm_logits(m);
        for (int k = t; k < b->T; k++)
            if (b->lm_targets[k] >= 0)
                ref.correct += aft_argmax_prob(logits + (size_t)k * V, (size_t)V, NULL) ==
                               b->lm_targets[k];
    }
    aft_batch_buf_free(&buf);
    aft_example_set_free(&ex);
    aft_dataset_free(ds);
    aft_predictor_free(p);
    return ref;
}

static void print_figures(const char *what, const cJSON *out)
{
    print_message("%s: exact match %.3f, response token accuracy %.3f, perplexity %.4f\n",
                  what, num(out, "action_exact_match"), num(out, "response_token_accuracy"),
                  num(out, "response_perplexity"));
}

static void check_samples(const cJSON *out, int learnt)
{
    const cJSON *samples = cJSON_GetObjectItemCaseSensitive(out, "samples");
    assert_int_equal(cJSON_GetArraySize(samples), 5);
    const cJSON *s;
    cJSON_ArrayForEach(s, samples) {
        size_t rec = (size_t)num(s, "record");
        assert_true(rec < N_RECORDS);
        assert_string_equal(str(s, "context"), contexts[rec]);
        assert_string_equal(str(s, "gold_action"), gold_of(rec));
        str(s, "generated_response");
        if (learnt) {
            assert_string_equal(str(s, "generated_action"), gold_of(rec));
            assert_string_equal(str(s, "generated_response"), response_of(rec));
        }
    }
}

static void test_generation_figures(void **state)
{
    (void)state;
    reference ref = reference_figures("rand");
    assert_true(ref.tokens > N_RECORDS);
    cJSON *out = generation_of("rand", 0);
    char *text = cJSON_PrintUnformatted(out);
    print_figures("random model", out);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "lm_trained")));
    assert_int_equal(num(out, "examples"), N_RECORDS);
    assert_int_equal(num(out, "exact_match_examples"), N_RECORDS);
    double em = num(out, "action_exact_match");
    assert_true(em >= 0 && em <= 1);
    assert_int_equal(num(out, "response_tokens"), ref.tokens);
    assert_int_equal(num(out, "response_examples"), N_RECORDS);
    double want = exp(ref.cross_entropy / (double)ref.tokens);
    assert_true(fabs(num(out, "response_perplexity") - want) <= 1e-4 * want);
    /* A different batch shape may flip a near tie, so allow one token. */
    assert_true(fabs(num(out, "response_token_accuracy") - (double)ref.correct / (double)ref.tokens) <=
                1.0 / (double)ref.tokens + 1e-12);
    check_samples(out, 0);

    cJSON *again = generation_of("rand", 0); /* deterministic */
    char *text2 = cJSON_PrintUnformatted(again);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    cJSON_Delete(again);
    cJSON_Delete(out);
}

static void test_generation_learnt(void **state)
{
    (void)state;
    reference ref = reference_figures("lm");
    cJSON *out = generation_of("lm", 0);
    print_figures("learnt model", out);
    assert_true(num(out, "action_exact_match") == 1.0);
    assert_true(num(out, "response_token_accuracy") == 1.0);
    assert_int_equal(ref.correct, ref.tokens);
    double ppl = num(out, "response_perplexity");
    assert_true(ppl >= 1.0 && ppl < 1.5);
    assert_true(fabs(ppl - exp(ref.cross_entropy / (double)ref.tokens)) <= 1e-4 * ppl);
    check_samples(out, 1);
    cJSON_Delete(out);
}

/* aft_generate_greedy on the model that learnt its data writes each record's
 * action and response; a context far longer than max_seq is cut and still
 * leaves room to answer; only runs that trained the LM head count. */
static void test_generate_greedy(void **state)
{
    (void)state;
    aft_predictor *p = open_run("lm");
    assert_true(aft_generate_trained(p));
    aft_error err = {0};
    for (size_t i = 0; i < 12; i += 3) {
        char *action, *response;
        if (aft_generate_greedy(p, contexts[i], 64, NULL, &action, &response, &err) < 0)
            fail_msg("%s", err.msg);
        assert_string_equal(action, gold_of(i));
        assert_string_equal(response, response_of(i));
        free(action);
        free(response);
    }
    char longer[2000] = "";
    for (int k = 0; k < 60; k++)
        strcat(longer, "please please ");
    strcat(longer, contexts[4]);
    char *action, *response;
    assert_int_equal(aft_generate_greedy(p, longer, 64, NULL, &action, &response, &err), 0);
    assert_true(strlen(action) > 0);
    free(action);
    free(response);
    /* at most max_new tokens: one token of "book_flight" is not all of it */
    assert_int_equal(aft_generate_greedy(p, contexts[0], 1, NULL, &action, &response, &err), 0);
    assert_true(strlen(action) < strlen("book_flight"));
    assert_string_equal(response, "");
    free(action);
    free(response);
    atomic_int stop;
    atomic_init(&stop, 1);
    assert_int_equal(aft_generate_greedy(p, contexts[0], 64, &stop, &action, &response, &err),
                     -1);
    assert_null(action);
    assert_string_equal(err.msg, "generation cancelled");
    aft_predictor_free(p);
    p = open_run("nolm");
    assert_false(aft_generate_trained(p));
    aft_predictor_free(p);
}

/* A predictor made from parts (as the workbench makes one over a live run's
 * weights) classifies like the one opened from the same checkpoint. */
static void test_predictor_from_parts(void **state)
{
    (void)state;
    aft_predictor *opened = open_run("lm");
    char dir[4200], path[4300];
    path_in(dir, sizeof dir, "lm/checkpoints/best");
    aft_error err = {0};
    aft_action_set acts;
    assert_int_equal(aft_action_set_from_names(&acts, actions3, 3, &err), 0);
    aft_model *m = aft_checkpoint_load_model(dir, 3, NULL, 0, NULL, &err);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    aft_tokenizer *t = aft_tokenizer_load(path, &err);
    assert_non_null(m);
    assert_non_null(t);
    aft_predictor *made = aft_predictor_new(NULL, t, &acts, m, "live", 1, &err);
    if (!made)
        fail_msg("%s", err.msg);
    assert_null(acts.names);
    assert_string_equal(aft_predictor_checkpoint_name(made), "live");
    int32_t pa[N_RECORDS], pb[N_RECORDS];
    float ca[N_RECORDS], cb[N_RECORDS];
    assert_int_equal(aft_predictor_classify_text(opened, contexts, N_RECORDS, 4, pa, ca, NULL,
                                                 NULL, &err), 0);
    assert_int_equal(aft_predictor_classify_text(made, contexts, N_RECORDS, 4, pb, cb, NULL,
                                                 NULL, &err), 0);
    for (size_t i = 0; i < N_RECORDS; i++) {
        assert_int_equal(pa[i], pb[i]);
        assert_true(ca[i] == cb[i]);
    }
    aft_predictor_free(made);
    aft_predictor_free(opened);

    /* A model whose head does not match the names is refused (and freed). */
    assert_int_equal(aft_action_set_from_names(&acts, actions4, 4, &err), 0);
    m = aft_checkpoint_load_model(dir, 3, NULL, 0, NULL, &err);
    t = aft_tokenizer_load(path, &err);
    assert_null(aft_predictor_new(NULL, t, &acts, m, "live", 1, &err));
    assert_non_null(strstr(err.msg, "3 actions but 4 are named"));
}

/* ---- A/B ---- */

/* Two runs evaluated on data.jsonl. */
typedef struct pair {
    aft_predictor *pa, *pb;
    aft_dataset *ds;
    aft_eval_input a, b;
} pair;

static void pair_open(pair *p, const char *run_a, const char *run_b)
{
    p->pa = open_run(run_a);
    p->pb = open_run(run_b);
    p->ds = open_data("data.jsonl");
    fill_input(&p->a, p->pa, p->ds);
    fill_input(&p->b, p->pb, p->ds);
}

static void pair_close(pair *p)
{
    free_input(&p->a);
    free_input(&p->b);
    aft_dataset_free(p->ds);
    aft_predictor_free(p->pa);
    aft_predictor_free(p->pb);
}

static cJSON *compare(pair *p, uint64_t seed)
{
    aft_report_opts opts = {.seed = seed};
    aft_error err = {0};
    cJSON *out = aft_report_compare(&p->a, &p->b, &opts, &err);
    if (!out)
        fail_msg("%s", err.msg);
    return out;
}

static void test_compare_identical(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "rand", "rand");
    cJSON *out = compare(&p, 1);
    assert_string_equal(str(out, "kind"), "compare");
    assert_int_equal(num(out, "examples"), N_RECORDS);
    assert_int_equal(num(out, "scored"), N_RECORDS - 1); /* "status" is unknown to both */
    assert_true(num(out, "accuracy_diff") == 0.0);
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(out, "ci95");
    assert_int_equal(cJSON_GetArraySize(ci), 2);
    assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble == 0.0);
    assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble == 0.0);
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(out, "mcnemar");
    assert_true(num(mc, "p") == 1.0);
    assert_int_equal(num(mc, "a_only"), 0);
    assert_int_equal(num(mc, "b_only"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "disagreements")), 0);
    assert_int_equal(num(out, "disagreements_total"), 0);
    const cJSON *per = cJSON_GetObjectItemCaseSensitive(out, "per_action"), *e;
    assert_int_equal(cJSON_GetArraySize(per), 3);
    cJSON_ArrayForEach(e, per)
        assert_true(num(e, "delta") == 0.0);
    char run[4200];
    path_in(run, sizeof run, "rand");
    for (int m = 0; m < 2; m++) {
        const cJSON *side = cJSON_GetObjectItemCaseSensitive(out, m ? "b" : "a");
        assert_string_equal(str(side, "run"), run);
        assert_string_equal(str(side, "checkpoint"), "best");
        double acc = num(side, "accuracy");
        assert_true(acc >= 0 && acc <= 1);
    }
    cJSON_Delete(out);
    pair_close(&p);
}

/* Sets example k's prediction by action name. */
static void predict(aft_eval_input *in, size_t k, const char *name, float conf)
{
    int32_t id = aft_action_set_find(aft_predictor_actions(in->pred), name);
    assert_true(id >= 0);
    in->predicted[k] = id;
    in->confidence[k] = conf;
}

/* A (three actions) and B (four, so other ids) with predictions set by hand:
 * both right on records 0-4, only A on 5-7, only B on 8, both wrong on 9-11
 * (alike on 9), and on the unscored "status" record 12 they differ. */
static void set_by_hand(aft_eval_input *a, aft_eval_input *b)
{
    static const char *const pa[] = {"book_flight", "book_flight", "book_flight", "book_flight",
                                     "cancel_order", "cancel_order", "cancel_order",
                                     "cancel_order", "book_flight", "book_flight",
                                     "book_flight", "cancel_order", "weather"};
    static const char *const pb[] = {"book_flight", "book_flight", "book_flight", "book_flight",
                                     "cancel_order", "status", "weather", "book_flight",
                                     "weather", "book_flight", "cancel_order", "book_flight",
                                     "status"};
    for (size_t k = 0; k < N_RECORDS; k++) {
        predict(a, k, pa[k], 0.5f + 0.01f * (float)k);
        predict(b, k, pb[k], k == 10 ? 0.99f : 0.4f);
    }
}

static const cJSON *find_action(const cJSON *per, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, per)
        if (strcmp(str(e, "action"), name) == 0)
            return e;
    fail_msg("no per_action entry for %s", name);
    return NULL;
}

static void test_compare_by_hand(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "rand", "wide");
    set_by_hand(&p.a, &p.b);
    cJSON *out = compare(&p, 7);
    assert_int_equal(num(out, "scored"), 12);
    assert_true(fabs(num(cJSON_GetObjectItemCaseSensitive(out, "a"), "accuracy") - 8.0 / 12) < 1e-12);
    assert_true(fabs(num(cJSON_GetObjectItemCaseSensitive(out, "b"), "accuracy") - 6.0 / 12) < 1e-12);
    double diff = num(out, "accuracy_diff");
    assert_true(fabs(diff - 2.0 / 12) < 1e-12);
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(out, "ci95");
    assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= diff);
    assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble >= diff);
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(out, "mcnemar");
    assert_int_equal(num(mc, "a_only"), 3);
    assert_int_equal(num(mc, "b_only"), 1);
    assert_true(num(mc, "p") == aft_mcnemar_p(3, 1));

    /* F1 by hand: A book 8/11, cancel 8/9, weather 0; B book 8/11, cancel 1/3, weather 1/3. */
    const cJSON *per = cJSON_GetObjectItemCaseSensitive(out, "per_action");
    assert_int_equal(cJSON_GetArraySize(per), 3);
    assert_string_equal(str(cJSON_GetArrayItem(per, 0), "action"), "cancel_order");
    assert_string_equal(str(cJSON_GetArrayItem(per, 1), "action"), "weather");
    assert_string_equal(str(cJSON_GetArrayItem(per, 2), "action"), "book_flight");
    const cJSON *c = find_action(per, "cancel_order"), *w = find_action(per, "weather");
    assert_true(fabs(num(c, "f1_a") - 8.0 / 9) < 1e-12 && fabs(num(c, "f1_b") - 1.0 / 3) < 1e-12);
    assert_true(fabs(num(c, "delta") - 5.0 / 9) < 1e-12);
    assert_true(fabs(num(w, "delta") + 1.0 / 3) < 1e-12);
    assert_true(fabs(num(find_action(per, "book_flight"), "f1_a") - 8.0 / 11) < 1e-12);

    /* Disagreements: 5, 6, 7, 8, 10, 11 and 12; record 10 has B at 0.99,
     * the rest follow A's confidence. Record i is on line i + 2. */
    assert_int_equal(num(out, "disagreements_total"), 7);
    const cJSON *dis = cJSON_GetObjectItemCaseSensitive(out, "disagreements");
    static const size_t order[] = {10, 12, 11, 8, 7, 6, 5};
    assert_int_equal(cJSON_GetArraySize(dis), 7);
    for (int i = 0; i < 7; i++) {
        const cJSON *d = cJSON_GetArrayItem(dis, i);
        assert_int_equal(num(d, "record"), order[i]);
        assert_int_equal(num(d, "line"), order[i] + 2);
        assert_string_equal(str(d, "context"), contexts[order[i]]);
        assert_string_equal(str(d, "gold"), gold_of(order[i]));
        assert_true(fabs(num(d, "confidence_a") - (0.5 + 0.01 * (double)order[i])) < 1e-6);
    }
    assert_string_equal(str(cJSON_GetArrayItem(dis, 1), "a"), "weather");
    assert_string_equal(str(cJSON_GetArrayItem(dis, 1), "b"), "status");
    cJSON_Delete(out);
    pair_close(&p);
}

static void expect_compare_error(aft_eval_input *a, aft_eval_input *b, const char *want)
{
    aft_report_opts opts = {.seed = 1};
    aft_error err = {0};
    cJSON *out = aft_report_compare(a, b, &opts, &err);
    if (out || !strstr(err.msg, want))
        fail_msg("expected an error with \"%s\", got %s", want, out ? "a comparison" : err.msg);
}

static void test_compare_mismatch(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "rand", "wide");
    aft_eval_input *a = &p.a, *b = &p.b, c;
    aft_dataset *ds2 = open_data("data2.jsonl");
    fill_input(&c, p.pb, ds2);

    b->examples.count--;
    expect_compare_error(a, b, "different data: 13 examples");
    b->examples.count++;

    size_t r0 = b->examples.items[0].record;
    b->examples.items[0].record = b->examples.items[1].record;
    b->examples.items[1].record = r0;
    expect_compare_error(a, b, "example 1 is record 1 for A and 2 for B");
    b->examples.items[1].record = b->examples.items[0].record;
    b->examples.items[0].record = r0;

    expect_compare_error(a, &c, "data2.jsonl:2 has \"weather\"");
    b->predicted[3] = 4; /* outside the four actions */
    expect_compare_error(a, b, "model B predicted action id 4 for example 4");

    free_input(&c);
    aft_dataset_free(ds2);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generation_not_trained),
        cmocka_unit_test(test_generation_figures),
        cmocka_unit_test(test_generation_learnt),
        cmocka_unit_test(test_generate_greedy),
        cmocka_unit_test(test_predictor_from_parts),
        cmocka_unit_test(test_compare_identical),
        cmocka_unit_test(test_compare_by_hand),
        cmocka_unit_test(test_compare_mismatch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
