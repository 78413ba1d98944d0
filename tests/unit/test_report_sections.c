/* The report's efficiency and robustness sections on a tiny untrained model
 * saved as a run's checkpoint: JSON shape, seeded determinism, rate 0 giving
 * no drop, adversarial texts that really flip the answer, and sane timings
 * (only their order is checked, never a time). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "../../src/eval/robustness.h" /* one perturbation at a chosen rate */
#include "agentft/checkpoint.h"
#include "agentft/report.h"

static const char *const contexts[] = {
    "book a flight to paris tomorrow morning", "I need a cheap flight to berlin",
    "please book the hotel near the station", "find me a flight home on friday",
    "cancel my hotel reservation please", "I want to cancel the flight I booked",
    "cancel the trip to rome", "please cancel my order for the bag",
    "what is the status of my order", "where is my bag, it did not arrive",
    "status of flight 42 to madrid", "has my order shipped yet",
    "book two seats on the evening flight", "reserve a table and a hotel room",
    "cancel everything for next week", "check the status of the refund",
    "is my flight on time today", "I lost my bag at the airport",
    "book a hotel in lisbon for three nights", "cancel the hotel and the car",
    "when will my order arrive", "change my flight to a later one",
    "book me on the first flight out", "did the hotel get my booking",
    "用户查询航班信息：下周三北京到上海", /* a word a character */
    "取消我的酒店预订",
};
#define N_CONTEXTS (sizeof contexts / sizeof contexts[0])

static const char *const action_names[] = {"book", "cancel", "status"};

static const char synonyms_tsv[] =
    "flight\ttrip\tjourney\nbook\treserve\torder\nhotel\tinn\tlodge\nstatus\tstate\n"
    "cancel\tcall off\tdrop\nbag\tluggage\tsuitcase\norder\tpurchase\n";

typedef struct fixture {
    char dir[512];
    char run[600], run_nosyn[600];
    aft_predictor *pred;
    aft_dataset *ds;
    aft_eval_input in;
} fixture;

static fixture fx;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* RUN/config.yaml with the given augment keys and RUN/checkpoints/best. */
static void make_run(const char *run, const char *config, const aft_model *m,
                     const aft_tokenizer *tok)
{
    char path[1024];
    aft_error err = {0};
    mkdir(run, 0755);
    snprintf(path, sizeof path, "%s/config.yaml", run);
    write_file(path, config);
    snprintf(path, sizeof path, "%s/checkpoints", run);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/checkpoints/best", run);
    mkdir(path, 0755);
    if (aft_checkpoint_save_model(path, m, tok, action_names, 3, &err) < 0)
        fail_msg("%s", err.msg);
}

static void save_untrained_runs(void)
{
    const char *specials[] = {AFT_TOK_EOT, AFT_TOK_PAD, AFT_TOK_ACTION, AFT_TOK_RESPONSE};
    aft_error err = {0};
    aft_tokenizer *tok = aft_tokenizer_train(contexts, N_CONTEXTS, 400, specials, 4, &err);
    assert_non_null(tok);
    aft_model_config mc = {.n_layer = 1, .n_head = 2, .d_model = 32, .max_seq = 32,
                           .vocab_size = (int)aft_tokenizer_vocab_size(tok), .n_actions = 3};
    aft_model *m = aft_model_new(&mc, &err);
    assert_non_null(m);
    aft_model_init_random(m, 3);
    char path[1024];
    snprintf(path, sizeof path, "%s/syn.tsv", fx.run);
    snprintf(fx.run_nosyn, sizeof fx.run_nosyn, "%s/run-nosyn", fx.dir);
    make_run(fx.run, "augment:\n  wordnet: no-wordnet-here\n  synonyms: syn.tsv\n", m, tok);
    write_file(path, synonyms_tsv);
    make_run(fx.run_nosyn, "augment:\n  wordnet: no-wordnet-here\n", m, tok);
    aft_model_free(m);
    aft_tokenizer_free(tok);
}

/* A dialogue, and the text it is tokenized as. */
static const char dialogue_json[] = "[{\"role\":\"user\",\"content\":\"my bag is lost\"},"
    "{\"role\":\"agent\",\"content\":\"sorry to hear that\"},"
    "{\"role\":\"user\",\"content\":\"where is it now\"}]";
static const char dialogue_text[] = "user: my bag is lost\nagent: sorry to hear that\n"
                                    "user: where is it now";

/* data.jsonl: each context labelled with the untrained model's own answer,
 * except every fourth (a mistake); a dialogue; one action it never saw. */
static void write_data(const char *path)
{
    const char *texts[N_CONTEXTS + 1];
    int32_t pred[N_CONTEXTS + 1];
    memcpy(texts, contexts, sizeof contexts);
    texts[N_CONTEXTS] = dialogue_text;
    aft_error err = {0};
    assert_int_equal(aft_predictor_classify_text(fx.pred, texts, N_CONTEXTS + 1, 32, pred, NULL,
                                                 NULL, NULL, &err), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < N_CONTEXTS; i++) {
        int32_t a = i % 4 == 3 ? (pred[i] + 1) % 3 : pred[i];
        fprintf(f, "{\"id\":\"r%zu\",\"context\":\"%s\",\"agent_action\":\"%s\"}\n", i,
                contexts[i], action_names[a]);
    }
    fprintf(f, "{\"id\":\"r%zu\",\"context\":%s,\"agent_action\":\"%s\"}\n", N_CONTEXTS,
            dialogue_json, action_names[pred[N_CONTEXTS]]);
    fprintf(f, "{\"context\":\"talk to a human\",\"agent_action\":\"handoff\"}\n");
    fclose(f);
}

static void fill_input(void)
{
    aft_error err = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/data.jsonl", fx.dir);
    write_data(path);
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_load_opts lo = {0};
    fx.ds = aft_dataset_open(path, &lo, &d, &err);
    aft_diag_list_free(&d);
    assert_non_null(fx.ds);
    aft_eval_input *in = &fx.in;
    in->pred = fx.pred;
    in->ds = fx.ds;
    in->source = "data.jsonl";
    aft_example_set_init(&in->examples);
    aft_example_opts eo = aft_predictor_example_opts(fx.pred, 0, -1, AFT_SPLIT_TEST);
    assert_int_equal(aft_examples_add(&in->examples, fx.ds, aft_predictor_tokenizer(fx.pred),
                                      aft_predictor_actions(fx.pred), &eo, &err), 0);
    size_t n = in->examples.count;
    assert_int_equal(n, N_CONTEXTS + 2);
    in->predicted = malloc(n * sizeof *in->predicted);
    in->confidence = malloc(n * sizeof *in->confidence);
    assert_int_equal(aft_predictor_classify(fx.pred, &in->examples, NULL, 0, 32, in->predicted,
                                            in->confidence, NULL, &err), 0);
}

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(fx.dir, sizeof fx.dir, "report_sections") < 0)
        return -1;
    snprintf(fx.run, sizeof fx.run, "%s/run", fx.dir);
    save_untrained_runs();
    aft_error err = {0};
    if (!(fx.pred = aft_predictor_open(fx.run, NULL, 1, &err))) {
        print_error("%s\n", err.msg);
        return -1;
    }
    fill_input();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aft_example_set_free(&fx.in.examples);
    free(fx.in.predicted);
    free(fx.in.confidence);
    aft_dataset_free(fx.ds);
    aft_predictor_free(fx.pred);
    return aft_test_rmtree(fx.dir);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

static const cJSON *item(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("no \"%s\"", key);
    return v;
}

static cJSON *robustness(aft_eval_input *in, uint64_t seed)
{
    aft_report_opts opts = {.seed = seed, .quick = 1};
    aft_error err = {0};
    cJSON *r = aft_report_robustness(in, &opts, &err);
    if (!r)
        fail_msg("%s", err.msg);
    return r;
}

/* ---- robustness ---- */

static void test_robustness_shape(void **state)
{
    (void)state;
    cJSON *r = robustness(&fx.in, 1);
    const cJSON *clean = item(r, "clean");
    assert_int_equal((int)num(clean, "examples"), N_CONTEXTS + 1); /* "handoff" is not scored */
    double acc = num(clean, "accuracy");
    assert_true(acc > 0.5 && acc < 1.0);
    static const char *const kinds[] = {"typo", "word_drop", "word_swap", "synonym", "case",
                                        "punct"};
    const cJSON *list = item(r, "perturbations");
    assert_int_equal(cJSON_GetArraySize(list), 6);
    for (int k = 0; k < 6; k++) {
        const cJSON *e = cJSON_GetArrayItem(list, k);
        assert_string_equal(cJSON_GetStringValue(item(e, "kind")), kinds[k]);
        assert_true(num(e, "rate") > 0);
        double a = num(e, "accuracy");
        assert_true(a >= 0 && a <= 1);
        assert_true(num(e, "accuracy_drop") == acc - a);
        num(e, "macro_f1");
        num(e, "macro_f1_drop");
        assert_true(num(e, "changed") > 0);
    }
    const cJSON *syn = cJSON_GetArrayItem(list, 3);
    assert_non_null(strstr(cJSON_GetStringValue(item(syn, "source")), "syn.tsv"));
    assert_non_null(strstr(cJSON_GetStringValue(item(syn, "warning")), "no-wordnet-here"));
    const cJSON *adv = item(r, "adversarial");
    assert_true(num(adv, "tried") > 0 && num(adv, "tried") <= 20);
    assert_int_equal((int)num(adv, "max_edits"), 3);
    assert_int_equal(cJSON_GetArraySize(item(adv, "examples")), (int)num(adv, "found"));
    cJSON_Delete(r);
}

static void test_robustness_is_seeded(void **state)
{
    (void)state;
    cJSON *a = robustness(&fx.in, 7), *b = robustness(&fx.in, 7);
    char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_rate_zero_changes_nothing(void **state)
{
    (void)state;
    aft_error err = {0};
    aft_robust_set s;
    assert_int_equal(aft_robust_set_init(&s, &fx.in, &err), 0);
    aft_synonyms *syn = aft_synonyms_parse("syn.tsv", synonyms_tsv, strlen(synonyms_tsv), 0, &err);
    assert_non_null(syn);
    aft_lexicon lex = {.user = syn};
    double clean_acc, clean_f1;
    assert_int_equal(aft_robust_score(&s, s.clean, &clean_acc, &clean_f1, &err), 0);
    for (int kind = 0; kind <= AFT_ROBUST_SYNONYM; kind++) {
        double acc, f1;
        size_t changed = 99;
        assert_int_equal(
            aft_robust_perturbed(&s, kind, 0.0, &lex, 5, &acc, &f1, &changed, &err), 0);
        assert_int_equal(changed, 0);
        assert_true(acc == clean_acc && f1 == clean_f1);
    }
    aft_synonyms_free(syn);
    aft_robust_set_free(&s);
}

static void test_synonym_skipped_without_source(void **state)
{
    (void)state;
    aft_error err = {0};
    aft_predictor *p = aft_predictor_open(fx.run_nosyn, NULL, 1, &err);
    assert_non_null(p);
    aft_eval_input in = fx.in;
    in.pred = p;
    cJSON *r = robustness(&in, 1);
    const cJSON *syn = cJSON_GetArrayItem(item(r, "perturbations"), 3);
    assert_string_equal(cJSON_GetStringValue(item(syn, "kind")), "synonym");
    assert_non_null(strstr(cJSON_GetStringValue(item(syn, "skipped")), "no-wordnet-here"));
    assert_null(cJSON_GetObjectItem(syn, "accuracy"));
    assert_non_null(strstr(cJSON_GetStringValue(item(item(r, "adversarial"), "edit_kinds")),
                           "no synonym source"));
    cJSON_Delete(r);
    aft_predictor_free(p);
}

static void test_role_labels(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        size_t label;
    } cases[] = {{"user: hi", 6}, {"assistant: ", 11}, {": hi", 2}, {"no label here", 0},
                 {"Note:x", 0}, {"user:", 0}, {"two words: no", 0}, {"", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (aft_robust_role_label(cases[i].line, strlen(cases[i].line)) != cases[i].label)
            fail_msg("\"%s\": expected a label of %zu bytes", cases[i].line, cases[i].label);
}

static int action_id(const char *name)
{
    for (int a = 0; a < 3; a++)
        if (strcmp(action_names[a], name) == 0)
            return a;
    fail_msg("unknown action %s", name);
    return -1;
}

static void test_adversarial_examples_flip(void **state)
{
    (void)state;
    cJSON *r = robustness(&fx.in, 1);
    const cJSON *adv = item(r, "adversarial"), *list = item(adv, "examples");
    assert_true(num(adv, "found") >= 1);
    double edits = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const char *text = cJSON_GetStringValue(item(e, "adversarial"));
        int gold = action_id(cJSON_GetStringValue(item(e, "gold")));
        assert_string_equal(cJSON_GetStringValue(item(e, "before")), action_names[gold]);
        assert_string_not_equal(text, cJSON_GetStringValue(item(e, "original")));
        size_t rec = (size_t)num(e, "record");
        assert_int_equal((size_t)num(e, "line"), rec + 1); /* no bad lines in data.jsonl */
        char id[16];
        snprintf(id, sizeof id, "r%zu", rec);
        assert_string_equal(cJSON_GetStringValue(item(e, "id")), id);
        int n = (int)num(e, "edits");
        assert_true(n >= 1 && n <= 3);
        assert_int_equal(cJSON_GetArraySize(item(e, "changes")), n);
        edits += n;
        int32_t pred;
        aft_error err = {0};
        assert_int_equal(aft_predictor_classify_text(fx.pred, &text, 1, 1, &pred, NULL, NULL,
                                                     NULL, &err), 0);
        assert_int_not_equal(pred, gold);
        assert_string_equal(action_names[pred], cJSON_GetStringValue(item(e, "after")));
    }
    assert_true(num(adv, "mean_edits") == edits / num(adv, "found"));
    cJSON_Delete(r);
}

/* ---- efficiency ---- */

static void test_efficiency_figures(void **state)
{
    (void)state;
    aft_report_opts opts = {.seed = 1, .quick = 1};
    aft_error err = {0};
    cJSON *r = aft_report_efficiency(&fx.in, &opts, &err);
    if (!r)
        fail_msg("%s", err.msg);
    assert_true(num(r, "cores") >= 1);
    assert_int_equal((int)num(r, "threads"), 1);
    assert_true(num(r, "parameters") == (double)aft_model_num_floats(aft_predictor_model(fx.pred)));
    const cJSON *lat = item(r, "latency_ms");
    assert_int_equal((int)num(lat, "samples"), 50);
    double p50 = num(lat, "p50"), p95 = num(lat, "p95"), p99 = num(lat, "p99");
    assert_true(num(lat, "mean") > 0 && p50 > 0);
    assert_true(p50 <= p95 && p95 <= p99);
    assert_true(num(r, "qps_batch32") > 0);
    const cJSON *batches = item(r, "batches"), *b;
    assert_int_equal(cJSON_GetArraySize(batches), 8);
    double best = num(item(r, "best_batch"), "qps");
    int size = 1;
    cJSON_ArrayForEach(b, batches) {
        assert_int_equal((int)num(b, "batch"), size);
        assert_true(num(b, "qps") > 0 && num(b, "qps") <= best);
        size *= 2;
    }
    cJSON_Delete(r);
}

/* A raised cancel flag stops the long sections with "cancelled" (the
 * workbench's evaluation thread is joined at quit this way). */
static void test_cancelled(void **state)
{
    (void)state;
    atomic_int cancel;
    atomic_init(&cancel, 1);
    aft_report_opts opts = {.seed = 1, .quick = 1, .cancel = &cancel};
    aft_error err = {0};
    assert_null(aft_report_robustness(&fx.in, &opts, &err));
    assert_string_equal(err.msg, "cancelled");
    err.msg[0] = '\0';
    assert_null(aft_report_efficiency(&fx.in, &opts, &err));
    assert_string_equal(err.msg, "cancelled");
    atomic_store(&cancel, 0);
    assert_int_equal(aft_report_cancelled(&opts, &err), 0);
    assert_int_equal(aft_report_cancelled(NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robustness_shape),
        cmocka_unit_test(test_robustness_is_seeded),
        cmocka_unit_test(test_rate_zero_changes_nothing),
        cmocka_unit_test(test_synonym_skipped_without_source),
        cmocka_unit_test(test_role_labels),
        cmocka_unit_test(test_adversarial_examples_flip),
        cmocka_unit_test(test_efficiency_figures),
        cmocka_unit_test(test_cancelled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
