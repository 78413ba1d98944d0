/* Unit tests of the report's task, slice and calibration sections against
 * hand-computed cases, of loading the data to evaluate, and of the
 * Markdown. A tiny checkpoint with a byte-level tokenizer (one token per
 * byte) makes context lengths countable by hand; predictions and
 * confidences are filled in by hand where a section does not need the
 * model's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"
#include "agentft/report.h"
#include "testutil.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)
#define MAX_SEQ 16 /* the context gets 15 tokens */

static char tmpdir[4096];
static aft_predictor *pred;
static int file_seq;

/* Actions sorted as the model keeps them: ids 0, 1, 2. */
static const char *const actions[] = {"book", "cancel", "status"};

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(tmpdir, sizeof tmpdir, "report") < 0)
        return -1;
    static const char *const texts[] = {"book a flight", "cancel it", "status?"};
    static const char *const specials[] = {AFT_TOK_EOT, AFT_TOK_PAD, AFT_TOK_ACTION,
                                           AFT_TOK_RESPONSE};
    aft_error err = {0};
    aft_tokenizer *tok = aft_tokenizer_train(texts, 3, 260, specials, 4, &err);
    aft_model_config mc = {.n_layer = 1, .n_head = 1, .d_model = 8, .max_seq = MAX_SEQ,
                           .n_actions = 3};
    if (!tok)
        return -1;
    mc.vocab_size = (int)aft_tokenizer_vocab_size(tok);
    aft_model *m = aft_model_new(&mc, &err);
    if (!m)
        return -1;
    aft_model_init_random(m, 3);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/ckpt", tmpdir);
    int rc = mkdir(dir, 0755) == 0 ? aft_checkpoint_save_model(dir, m, tok, actions, 3, &err) : -1;
    aft_model_free(m);
    aft_tokenizer_free(tok);
    if (rc == 0)
        pred = aft_predictor_open(dir, NULL, 1, &err);
    if (!pred)
        fprintf(stderr, "setup: %s\n", err.msg);
    return pred ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    aft_predictor_free(pred);
    aft_test_rmtree(tmpdir);
    return 0;
}

static char *write_data(const char *text)
{
    char *p = malloc(4300);
    assert_non_null(p);
    snprintf(p, 4300, "%s/data-%d.jsonl", tmpdir, file_seq++);
    aft_error err = {0};
    assert_int_equal(aft_write_file_atomic(p, text, strlen(text), &err), 0);
    return p;
}

/* An input over the records of `jsonl` (all of them), with the given
 * predictions and confidences instead of the model's. */
static void make_input(aft_eval_input *in, const char *jsonl, const int32_t *predicted,
                       const float *confidence)
{
    memset(in, 0, sizeof *in);
    in->pred = pred;
    char *path = write_data(jsonl);
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_load_opts lo = {0};
    aft_error err = {0};
    in->ds = aft_dataset_open(path, &lo, &d, &err);
    aft_diag_list_free(&d);
    free(path);
    assert_non_null(in->ds);
    aft_example_set_init(&in->examples);
    aft_example_opts eo = aft_predictor_example_opts(pred, 0, -1, AFT_SPLIT_NONE);
    assert_int_equal(aft_examples_add(&in->examples, in->ds, aft_predictor_tokenizer(pred),
                                      aft_predictor_actions(pred), &eo, &err), 0);
    size_t n = in->examples.count;
    in->predicted = malloc((n + 1) * sizeof *in->predicted);
    in->confidence = malloc((n + 1) * sizeof *in->confidence);
    assert_true(in->predicted && in->confidence);
    if (n) {
        memcpy(in->predicted, predicted, n * sizeof *predicted);
        memcpy(in->confidence, confidence, n * sizeof *confidence);
    }
}

static const cJSON *get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("no \"%s\"", key);
    return v;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

static void assert_json_null(const cJSON *o, const char *key)
{
    if (!cJSON_IsNull(get(o, key)))
        fail_msg("\"%s\" is not null", key);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!cJSON_IsString(v))
        fail_msg("\"%s\" is not a string", key);
    return v->valuestring;
}

static const cJSON *at(const cJSON *o, const char *key, int i)
{
    const cJSON *v = cJSON_GetArrayItem(get(o, key), i);
    if (!v)
        fail_msg("\"%s\" has no item %d", key, i);
    return v;
}

static const cJSON *action_row(const cJSON *task, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, get(task, "per_action"))
        if (strcmp(str(it, "action"), name) == 0)
            return it;
    fail_msg("no per_action row for %s", name);
    return NULL;
}

static cJSON *task_of(const aft_eval_input *in, size_t max)
{
    aft_report_opts o = {.misclassified_max = max};
    aft_error err = {0};
    cJSON *t = aft_report_task(in, &o, &err);
    if (!t)
        fail_msg("task: %s", err.msg);
    return t;
}

#define R(ctx, act) "{\"context\":\"" ctx "\",\"agent_action\":\"" act "\"}\n"

/* gold: book book book cancel cancel status; predicted: book book cancel
 * cancel status status (as in test_metrics). A blank line 3 counts in `line`. */
static void test_task_hand_computed(void **state)
{
    (void)state;
    const char *data = "{\"id\":\"r0\",\"context\":\"x\",\"agent_action\":\"book\"}\n"
                       "{\"id\":\"r1\",\"context\":\"x\",\"agent_action\":\"book\"}\n"
                       "\n"
                       "{\"id\":\"r2\",\"context\":\"x|y\",\"agent_action\":\"book\"}\n"
                       "{\"id\":\"r3\",\"context\":\"x\",\"agent_action\":\"cancel\"}\n"
                       "{\"context\":\"x\",\"agent_action\":\"cancel\"}\n"
                       "{\"id\":\"r5\",\"context\":\"x\",\"agent_action\":\"status\"}\n";
    int32_t p[] = {0, 0, 1, 1, 2, 2};
    float c[] = {0.9f, 0.8f, 0.7f, 0.6f, 0.95f, 0.55f};
    aft_eval_input in;
    make_input(&in, data, p, c);
    cJSON *t = task_of(&in, 0);
    NEAR(num(t, "examples"), 6);
    NEAR(num(t, "accuracy"), 4.0 / 6.0);
    /* book P 2/2 R 2/3 F1 0.8; cancel P 1/2 R 1/2 F1 0.5; status P 1/2 R 1 F1 2/3 */
    NEAR(num(t, "macro_f1"), (0.8 + 0.5 + 2.0 / 3.0) / 3);
    NEAR(num(t, "weighted_f1"), (0.8 * 3 + 0.5 * 2 + 2.0 / 3.0) / 6);
    NEAR(num(t, "macro_precision"), (1.0 + 0.5 + 0.5) / 3);
    NEAR(num(t, "macro_recall"), (2.0 / 3.0 + 0.5 + 1.0) / 3);
    const cJSON *book = action_row(t, "book");
    NEAR(num(book, "precision"), 1.0);
    NEAR(num(book, "recall"), 2.0 / 3.0);
    NEAR(num(book, "support"), 3);
    NEAR(num(book, "predicted"), 2);
    /* Rows gold, columns predicted. */
    const cJSON *m = get(get(t, "confusion"), "matrix");
    NEAR(cJSON_GetArrayItem(cJSON_GetArrayItem(m, 0), 1)->valuedouble, 1);
    NEAR(cJSON_GetArrayItem(cJSON_GetArrayItem(m, 1), 2)->valuedouble, 1);
    NEAR(cJSON_GetArrayItem(cJSON_GetArrayItem(m, 2), 2)->valuedouble, 1);
    /* Two confusions of one each: by gold name then. */
    assert_int_equal(cJSON_GetArraySize(get(t, "top_confusions")), 2);
    assert_string_equal(str(at(t, "top_confusions", 0), "gold"), "book");
    assert_string_equal(str(at(t, "top_confusions", 0), "predicted"), "cancel");
    NEAR(num(at(t, "top_confusions", 0), "count"), 1);
    /* Mistakes, most confident first: record 4 (0.95) on line 6, then record 2 on line 4. */
    NEAR(num(t, "misclassified_total"), 2);
    const cJSON *m0 = at(t, "misclassified", 0), *m1 = at(t, "misclassified", 1);
    NEAR(num(m0, "record"), 4);
    NEAR(num(m0, "line"), 6);
    assert_json_null(m0, "id");
    assert_string_equal(str(m0, "gold"), "cancel");
    assert_string_equal(str(m0, "predicted"), "status");
    NEAR(num(m0, "confidence"), 0.95);
    NEAR(num(m1, "line"), 4);
    assert_string_equal(str(m1, "id"), "r2");
    assert_string_equal(str(m1, "context"), "x|y");
    NEAR(num(get(t, "unknown_actions"), "count"), 0);
    assert_int_equal(cJSON_GetArraySize(get(get(t, "unknown_actions"), "actions")), 0);
    assert_null(cJSON_GetObjectItem(t, "fallback")); /* the model has no reject action */
    cJSON_Delete(t);
    /* The list is cut to misclassified_max; the total stays. */
    t = task_of(&in, 1);
    assert_int_equal(cJSON_GetArraySize(get(t, "misclassified")), 1);
    NEAR(num(t, "misclassified_total"), 2);
    cJSON_Delete(t);
    aft_eval_input_free(&in);
}

/* A model whose run falls back to status: accuracy on the other actions'
 * examples, and the fallback's recall and precision. */
static void test_fallback_figures(void **state)
{
    (void)state;
    char cfg[4300];
    snprintf(cfg, sizeof cfg, "%s/ckpt/config.yaml", tmpdir);
    const char *yaml = "dataset:\n  train: d.jsonl\neval:\n  reject_action: status\n"
                       "  reject_below: 0.5\n";
    aft_error err = {0};
    assert_int_equal(aft_write_file_atomic(cfg, yaml, strlen(yaml), &err), 0);
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/ckpt", tmpdir);
    aft_predictor *with = aft_predictor_open(dir, NULL, 1, &err);
    unlink(cfg);
    if (!with)
        fail_msg("%s", err.msg);
    const char *data = R("a", "book") R("b", "status") R("c", "cancel") R("d", "status")
        R("e", "book");
    int32_t p[] = {0, 2, 2, 1, 0};
    float c[] = {0.9f, 0.4f, 0.3f, 0.8f, 0.9f};
    aft_eval_input in;
    make_input(&in, data, p, c);
    in.pred = with;
    cJSON *t = task_of(&in, 0);
    const cJSON *fb = get(t, "fallback");
    assert_string_equal(str(fb, "action"), "status");
    NEAR(num(fb, "other_examples"), 3);
    NEAR(num(fb, "other_accuracy"), 2.0 / 3.0); /* the cancel became status */
    NEAR(num(fb, "examples"), 2);
    NEAR(num(fb, "recall"), 0.5);
    NEAR(num(fb, "predicted"), 2);
    NEAR(num(fb, "precision"), 0.5);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", "report");
    cJSON_AddItemToObject(r, "task", t);
    char *md = aft_report_markdown(r);
    assert_non_null(strstr(md, "| accuracy on actions other than status |"));
    assert_non_null(strstr(md, "| status caught (recall)"));
    free(md);
    cJSON_Delete(r);
    in.pred = pred;
    aft_eval_input_free(&in);
    aft_predictor_free(with);
}

/* cancel is never predicted; status has neither gold examples nor predictions. */
static void test_never_predicted_and_empty_class(void **state)
{
    (void)state;
    int32_t p[] = {0, 0, 0, 0};
    float c[] = {0.5f, 0.5f, 0.5f, 0.5f};
    aft_eval_input in;
    make_input(&in, R("a", "book") R("b", "book") R("c", "cancel") R("d", "cancel"), p, c);
    cJSON *t = task_of(&in, 0);
    NEAR(num(t, "accuracy"), 0.5);
    const cJSON *book = action_row(t, "book"), *cancel = action_row(t, "cancel");
    const cJSON *status = action_row(t, "status");
    NEAR(num(book, "precision"), 0.5);
    NEAR(num(book, "recall"), 1.0);
    NEAR(num(book, "f1"), 2.0 / 3.0);
    assert_json_null(cancel, "precision");
    NEAR(num(cancel, "recall"), 0.0);
    NEAR(num(cancel, "f1"), 0.0);
    NEAR(num(cancel, "predicted"), 0);
    assert_json_null(status, "precision");
    assert_json_null(status, "recall");
    assert_json_null(status, "f1");
    NEAR(num(status, "support"), 0);
    /* Averages over book and cancel only, an undefined precision counting 0. */
    NEAR(num(t, "macro_f1"), (2.0 / 3.0 + 0.0) / 2);
    NEAR(num(t, "macro_precision"), 0.25);
    NEAR(num(t, "macro_recall"), 0.5);
    NEAR(num(t, "weighted_f1"), (2.0 / 3.0 * 2 + 0.0 * 2) / 4);
    cJSON_Delete(t);
    aft_eval_input_free(&in);
}

static void test_single_class(void **state)
{
    (void)state;
    int32_t p[] = {2, 2, 2};
    float c[] = {0.9f, 0.9f, 0.9f};
    aft_eval_input in;
    make_input(&in, R("a", "status") R("b", "status") R("c", "status"), p, c);
    cJSON *t = task_of(&in, 0);
    NEAR(num(t, "accuracy"), 1.0);
    NEAR(num(t, "macro_f1"), 1.0);
    NEAR(num(t, "weighted_f1"), 1.0);
    assert_json_null(action_row(t, "book"), "f1");
    assert_int_equal(cJSON_GetArraySize(get(t, "top_confusions")), 0);
    assert_int_equal(cJSON_GetArraySize(get(t, "misclassified")), 0);
    NEAR(num(t, "misclassified_total"), 0);
    cJSON_Delete(t);
    aft_eval_input_free(&in);
}

/* Actions the model never saw are listed once each, sorted, and not scored
 * anywhere: task, slices and calibration count the known ones only. */
static void test_unknown_actions(void **state)
{
    (void)state;
    int32_t p[] = {0, 1, 2, 1, 0};
    float c[] = {0.9f, 0.9f, 0.9f, 0.9f, 0.9f};
    aft_eval_input in;
    make_input(&in, R("a", "book") R("b", "zz_new") R("c", "yy_new") R("d", "zz_new")
                        R("e", "cancel"),
               p, c);
    assert_int_equal(in.examples.unknown_label, 3);
    aft_error err = {0};
    cJSON *t = task_of(&in, 0);
    NEAR(num(t, "examples"), 2);
    NEAR(num(t, "accuracy"), 0.5);
    NEAR(num(t, "misclassified_total"), 1);
    const cJSON *u = get(t, "unknown_actions");
    NEAR(num(u, "count"), 3);
    assert_int_equal(cJSON_GetArraySize(get(u, "actions")), 2);
    assert_string_equal(cJSON_GetArrayItem(get(u, "actions"), 0)->valuestring, "yy_new");
    assert_string_equal(cJSON_GetArrayItem(get(u, "actions"), 1)->valuestring, "zz_new");
    cJSON_Delete(t);
    cJSON *s = aft_report_slices(&in, &err), *cal = aft_report_calibration(&in, &err);
    assert_non_null(s);
    assert_non_null(cal);
    NEAR(num(at(s, "complexity", 0), "examples"), 2);
    NEAR(num(cal, "examples"), 2);
    cJSON_Delete(s);
    cJSON_Delete(cal);
    aft_eval_input_free(&in);
}

/* One token a byte; the window is 15 tokens: buckets 0-4, 5-8, 9-12,
 * 13-15, 16-30 and 31+, the last two cut from the left. */
static void test_length_buckets(void **state)
{
    (void)state;
    int32_t p[] = {0, 0, 1, 2, 2};
    float c[] = {0.9f, 0.9f, 0.9f, 0.9f, 0.9f};
    aft_eval_input in;
    make_input(&in, R("abc", "book") R("abcdefghijklmno", "book") R("abcdefghijklmnop", "book")
                        R("abcdefghijklmnopqrstuvwxyz0123456789ABCD", "status")
                        R("abcdefghijklmnopqrstuvwxyz0123456789ABCDE", "cancel"),
               p, c);
    aft_error err = {0};
    cJSON *s = aft_report_slices(&in, &err);
    assert_non_null(s);
    const cJSON *len = get(s, "length");
    assert_int_equal(cJSON_GetArraySize(len), 6);
    static const char *const names[] = {"0-4", "5-8", "9-12", "13-15", "16-30", "31+"};
    static const double examples[] = {1, 0, 0, 1, 1, 2}, cut[] = {0, 0, 0, 0, 1, 2};
    for (int b = 0; b < 6; b++) {
        const cJSON *it = cJSON_GetArrayItem(len, b);
        assert_string_equal(str(it, "name"), names[b]);
        NEAR(num(it, "examples"), examples[b]);
        NEAR(num(it, "truncated"), cut[b]);
    }
    NEAR(num(at(s, "length", 3), "lo"), 13);
    NEAR(num(at(s, "length", 3), "hi"), 15);
    NEAR(num(at(s, "length", 4), "lo"), 16);
    assert_json_null(at(s, "length", 5), "hi");
    assert_json_null(at(s, "length", 1), "accuracy");
    NEAR(num(at(s, "length", 0), "accuracy"), 1.0);
    NEAR(num(at(s, "length", 4), "accuracy"), 0.0);
    NEAR(num(at(s, "length", 5), "accuracy"), 0.5);
    const cJSON *tr = get(s, "truncation");
    NEAR(num(tr, "max_seq"), MAX_SEQ);
    NEAR(num(tr, "cut"), 3);
    assert_non_null(strstr(str(tr, "note"), "cut from the left"));
    /* No record carries a split: no split slices. */
    assert_int_equal(cJSON_GetArraySize(get(s, "split")), 0);
    cJSON_Delete(s);
    aft_eval_input_free(&in);
}

static void test_complexity_and_split_slices(void **state)
{
    (void)state;
    const char *data =
        "{\"context\":\"a\",\"agent_action\":\"book\",\"complexity\":1,\"split\":\"test\"}\n"
        "{\"context\":\"b\",\"agent_action\":\"book\",\"complexity\":3,\"split\":\"test\"}\n"
        "{\"context\":\"c\",\"agent_action\":\"cancel\",\"complexity\":3,\"split\":\"train\"}\n"
        "{\"context\":\"d\",\"agent_action\":\"cancel\",\"complexity\":3}\n";
    int32_t p[] = {0, 1, 1, 0};
    float c[] = {0.9f, 0.9f, 0.9f, 0.9f};
    aft_eval_input in;
    make_input(&in, data, p, c);
    aft_error err = {0};
    cJSON *s = aft_report_slices(&in, &err);
    assert_non_null(s);
    assert_int_equal(cJSON_GetArraySize(get(s, "complexity")), 2);
    assert_string_equal(str(at(s, "complexity", 0), "name"), "1");
    NEAR(num(at(s, "complexity", 0), "accuracy"), 1.0);
    assert_string_equal(str(at(s, "complexity", 1), "name"), "3");
    NEAR(num(at(s, "complexity", 1), "examples"), 3);
    NEAR(num(at(s, "complexity", 1), "accuracy"), 1.0 / 3.0);
    /* complexity 3: gold book cancel cancel, predicted cancel cancel book:
     * book P 0 R 0 F1 0; cancel P 1/2 R 1/2 F1 1/2. */
    NEAR(num(at(s, "complexity", 1), "macro_f1"), 0.25);
    const cJSON *split = get(s, "split");
    assert_int_equal(cJSON_GetArraySize(split), 3);
    assert_string_equal(str(at(s, "split", 0), "name"), "train");
    assert_string_equal(str(at(s, "split", 1), "name"), "test");
    NEAR(num(at(s, "split", 1), "examples"), 2);
    NEAR(num(at(s, "split", 1), "accuracy"), 0.5);
    assert_string_equal(str(at(s, "split", 2), "name"), "none");
    cJSON_Delete(s);
    aft_eval_input_free(&in);
}

/* Bins [0.1,0.2): 0.15 right, 0.12 wrong: confidence 0.135, accuracy 0.5;
 * [0.8,0.9): 0.85 wrong; [0.9,1]: 0.95 right and 1.0 right.
 * ECE = 2/5 * 0.365 + 1/5 * 0.85 + 2/5 * |1 - 0.975| = 0.326. */
static void test_ece_by_hand(void **state)
{
    (void)state;
    int32_t p[] = {0, 1, 0, 1, 0};
    float c[] = {0.15f, 0.12f, 0.85f, 0.95f, 1.0f};
    aft_eval_input in;
    make_input(&in, R("a", "book") R("b", "book") R("c", "cancel") R("d", "cancel") R("e", "book"),
               p, c);
    aft_error err = {0};
    cJSON *cal = aft_report_calibration(&in, &err);
    assert_non_null(cal);
    NEAR(num(cal, "ece"), 0.4 * 0.365 + 0.2 * 0.85 + 0.4 * 0.025);
    const cJSON *bins = get(cal, "bins");
    assert_int_equal(cJSON_GetArraySize(bins), 10);
    const cJSON *b1 = cJSON_GetArrayItem(bins, 1), *b9 = cJSON_GetArrayItem(bins, 9);
    assert_true(num(b1, "lo") == 0.1 && num(b1, "hi") == 0.2); /* no 0.30000000000000004 */
    NEAR(num(b1, "count"), 2);
    NEAR(num(b1, "confidence"), 0.135);
    NEAR(num(b1, "accuracy"), 0.5);
    NEAR(num(b9, "count"), 2);
    NEAR(num(b9, "accuracy"), 1.0);
    assert_json_null(cJSON_GetArrayItem(bins, 0), "confidence");
    NEAR(num(cJSON_GetArrayItem(bins, 0), "count"), 0);
    cJSON_Delete(cal);
    aft_eval_input_free(&in);
}

/* No scored example at all: every figure is null, nothing crashes. */
static void test_nothing_scored(void **state)
{
    (void)state;
    int32_t p[] = {0};
    float c[] = {0.5f};
    aft_eval_input in;
    make_input(&in, R("a", "unheard_of"), p, c);
    aft_error err = {0};
    cJSON *t = task_of(&in, 0), *s = aft_report_slices(&in, &err);
    cJSON *cal = aft_report_calibration(&in, &err);
    assert_true(t && s && cal);
    assert_json_null(t, "accuracy");
    assert_json_null(t, "macro_f1");
    NEAR(num(get(t, "unknown_actions"), "count"), 1);
    assert_json_null(at(s, "length", 0), "accuracy");
    assert_json_null(cal, "ece");
    cJSON_Delete(t);
    cJSON_Delete(s);
    cJSON_Delete(cal);
    aft_eval_input_free(&in);
}

/* aft_eval_input_load on given data: every record, classified by the model
 * (confidences are probabilities), unknown actions kept; bad lines refused. */
static void test_input_load(void **state)
{
    (void)state;
    char *path = write_data(R("book me", "book") R("what now", "never_seen")
                                "{\"context\":\"x\",\"agent_action\":\"status\",\"split\":\"train\"}\n");
    aft_report_opts o = {.data_path = path};
    aft_eval_input in;
    aft_error err = {0};
    assert_int_equal(aft_eval_input_load(&in, pred, &o, &err), 0);
    assert_int_equal(in.examples.count, 3);
    assert_int_equal(in.examples.unknown_label, 1);
    assert_string_equal(in.source, path);
    for (size_t k = 0; k < 3; k++) {
        assert_true(in.predicted[k] >= 0 && in.predicted[k] < 3);
        assert_true(in.confidence[k] >= 1.0f / 3.0f - 1e-6f && in.confidence[k] <= 1.0f);
    }
    aft_eval_input_free(&in);
    free(path);

    path = write_data(R("ok", "book") "{\"context\": \n" R("ok", "book"));
    o.data_path = path;
    assert_int_equal(aft_eval_input_load(&in, pred, &o, &err), -1);
    assert_non_null(strstr(err.msg, ":2:"));
    assert_non_null(strstr(err.msg, "1 bad line"));
    free(path);

    path = write_data("");
    o.data_path = path;
    assert_int_equal(aft_eval_input_load(&in, pred, &o, &err), -1);
    assert_non_null(strstr(err.msg, "no records"));
    free(path);

    /* A bare checkpoint has no test split of its own. */
    o.data_path = NULL;
    assert_int_equal(aft_eval_input_load(&in, pred, &o, &err), -1);
    assert_non_null(strstr(err.msg, "--data"));
}

static char *markdown_of(const char *json)
{
    cJSON *r = cJSON_Parse(json);
    assert_non_null(r);
    char *md = aft_report_markdown(r);
    cJSON_Delete(r);
    assert_non_null(md);
    return md;
}

static void test_markdown_report(void **state)
{
    (void)state;
    int32_t p[] = {0, 1, 2};
    float c[] = {0.9f, 0.8f, 0.7f};
    aft_eval_input in;
    make_input(&in, R("plain", "book") R("a|b 你好", "book") R("c", "cancel"), p, c);
    aft_error err = {0};
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", "report");
    cJSON_AddStringToObject(r, "run", "runs/x");
    cJSON_AddItemToObject(r, "task", task_of(&in, 0));
    cJSON_AddItemToObject(r, "slices", aft_report_slices(&in, &err));
    cJSON_AddItemToObject(r, "calibration", aft_report_calibration(&in, &err));
    cJSON_AddItemToObject(r, "efficiency", cJSON_CreateObject()); /* empty: left out */
    char *md = aft_report_markdown(r);
    assert_non_null(md);
    assert_non_null(strstr(md, "# Evaluation report: runs/x"));
    assert_non_null(strstr(md, "| accuracy "));
    assert_non_null(strstr(md, "33.33%"));
    assert_non_null(strstr(md, "## Per action"));
    assert_non_null(strstr(md, "## Misclassified (2 of 2, most confident first)"));
    assert_non_null(strstr(md, "a\\|b 你好")); /* the pipe escaped */
    assert_non_null(strstr(md, "### By context length (tokens)"));
    assert_non_null(strstr(md, "## Calibration"));
    assert_null(strstr(md, "## Efficiency"));
    assert_null(strstr(md, "## Robustness"));
    /* Every table row of a table is as wide as its header (CJK counts 2). */
    const char *row = strstr(md, "| line ");
    assert_non_null(row);
    size_t w0 = 0;
    for (const char *line = row; *line == '|'; line = strchr(line, '\n') + 1) {
        char buf[512];
        size_t n = (size_t)(strchr(line, '\n') - line);
        assert_true(n < sizeof buf);
        memcpy(buf, line, n);
        buf[n] = '\0';
        size_t cols = 0;
        for (const unsigned char *q = (const unsigned char *)buf; *q; q++)
            if ((*q & 0xC0) != 0x80)
                cols += *q >= 0xE4 && *q <= 0xE9 ? 2 : 1; /* CJK ideographs: 3-byte, wide */
        if (!w0)
            w0 = cols;
        assert_int_equal(cols, w0);
    }
    assert_int_equal(md[strlen(md) - 1], '\n');
    assert_true(strlen(md) < 2 || md[strlen(md) - 2] != '\n');
    free(md);
    cJSON_Delete(r);
    aft_eval_input_free(&in);
}

static void test_markdown_sections(void **state)
{
    (void)state;
    char *md = markdown_of(
        "{\"kind\":\"report\",\"run\":\"r\","
        "\"efficiency\":{\"cores\":4,\"threads\":2,\"parameters\":1234567,"
        "\"latency_ms\":{\"mean\":1.5,\"p50\":1.4,\"p95\":2,\"p99\":2.5,\"samples\":200},"
        "\"qps_batch32\":900.4,\"batches\":[{\"batch\":1,\"qps\":700},{\"batch\":32,\"qps\":900.4}],"
        "\"best_batch\":{\"batch\":32,\"qps\":900.4}},"
        "\"robustness\":{\"clean\":{\"accuracy\":0.9,\"macro_f1\":0.8},\"perturbations\":"
        "[{\"kind\":\"typo\",\"rate\":0.05,\"accuracy\":0.85,\"macro_f1\":0.75,"
        "\"accuracy_drop\":0.05,\"macro_f1_drop\":0.05},"
        "{\"kind\":\"synonym\",\"rate\":0.1,\"skipped\":\"no synonym source (x)\"}],"
        "\"adversarial\":{}},"
        "\"generation\":{\"lm_trained\":false,\"note\":\"no LM head trained\"}}");
    assert_non_null(strstr(md, "## Efficiency"));
    assert_non_null(strstr(md, "1,234,567 parameters"));
    assert_non_null(strstr(md, "| average response time (batch 1) |"));
    assert_non_null(strstr(md, " 1.50 ms |"));
    assert_non_null(strstr(md, "best 900 examples/s at batch 32"));
    assert_non_null(strstr(md, "| typo "));
    assert_non_null(strstr(md, "5.00 pts"));
    assert_non_null(strstr(md, "\n- synonym skipped: no synonym source (x)\n\n"));
    assert_null(strstr(md, "Adversarial")); /* empty object: left out */
    assert_non_null(strstr(md, "## Generation\n\nno LM head trained"));
    free(md);

    md = markdown_of(
        "{\"kind\":\"report\",\"run\":\"r\",\"robustness\":{\"perturbations\":[],"
        "\"adversarial\":{\"tried\":2,\"found\":1,\"max_edits\":3,\"mean_edits\":2,"
        "\"examples\":[{\"line\":7,\"before\":\"book\",\"after\":\"cancel\",\"edits\":2,"
        "\"changes\":[\"delete 'my'\",\"typo 'flight' -> 'flihgt'\"],"
        "\"adversarial\":\"book flihgt\"}]}}}");
    assert_non_null(strstr(md, "delete 'my'; typo 'flight' -> 'flihgt'"));
    free(md);
}

static void test_markdown_compare(void **state)
{
    (void)state;
    char *md = markdown_of(
        "{\"kind\":\"compare\",\"a\":{\"run\":\"runs/a\",\"checkpoint\":\"best\",\"accuracy\":0.9,"
        "\"macro_f1\":0.8},\"b\":{\"run\":\"runs/b\",\"checkpoint\":\"step-10\",\"accuracy\":0.85,"
        "\"macro_f1\":0.7},\"source\":\"d.jsonl\",\"examples\":100,\"accuracy_diff\":0.05,"
        "\"ci95\":[0.01,0.09],\"mcnemar\":{\"a_only\":7,\"b_only\":2,\"p\":0.18},"
        "\"per_action\":[{\"action\":\"book\",\"f1_a\":0.9,\"f1_b\":0.8,\"delta\":0.1}],"
        "\"disagreements\":[{\"record\":3,\"line\":4,\"context\":\"hi\",\"gold\":\"book\","
        "\"a\":\"book\",\"confidence_a\":0.9,\"b\":\"cancel\",\"confidence_b\":0.6}]}");
    assert_non_null(strstr(md, "# A/B comparison: runs/a vs runs/b"));
    assert_non_null(strstr(md, "+5.00 points, 95% interval [+1.00, +9.00]"));
    assert_non_null(strstr(md, "only A right on 7, only B right on 2; p = 0.1800"));
    assert_non_null(strstr(md, "+0.1000"));
    assert_non_null(strstr(md, "## Disagreements (1 of 1)"));
    assert_null(strstr(md, "# Evaluation report"));
    free(md);
    md = markdown_of("{\"kind\":\"compare\",\"a\":{\"run\":\"a\"},\"b\":{\"run\":\"b\"},"
                     "\"mcnemar\":{\"a_only\":90,\"b_only\":2,\"p\":1e-20}}");
    assert_non_null(strstr(md, "only B right on 2; p < 0.0001"));
    free(md);
}

static void test_write(void **state)
{
    (void)state;
    cJSON *r = cJSON_Parse("{\"kind\":\"report\",\"run\":\"r\",\"examples\":3}");
    aft_error err = {0};
    assert_int_equal(aft_report_write(r, tmpdir, "report", &err), 0);
    char path[4300], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/report.json", tmpdir);
    assert_int_equal(aft_read_file(path, &text, &len, &err), 0);
    cJSON *back = cJSON_Parse(text);
    assert_non_null(back);
    NEAR(num(back, "examples"), 3);
    assert_int_equal(text[len - 1], '\n');
    free(text);
    cJSON_Delete(back);
    snprintf(path, sizeof path, "%s/report.md", tmpdir);
    assert_int_equal(aft_read_file(path, &text, &len, &err), 0);
    assert_non_null(strstr(text, "# Evaluation report: r"));
    free(text);
    assert_int_equal(aft_report_write(r, "/nonexistent/dir", "report", &err), -1);
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_hand_computed),
        cmocka_unit_test(test_never_predicted_and_empty_class),
        cmocka_unit_test(test_fallback_figures),
        cmocka_unit_test(test_single_class),
        cmocka_unit_test(test_unknown_actions),
        cmocka_unit_test(test_length_buckets),
        cmocka_unit_test(test_complexity_and_split_slices),
        cmocka_unit_test(test_ece_by_hand),
        cmocka_unit_test(test_nothing_scored),
        cmocka_unit_test(test_input_load),
        cmocka_unit_test(test_markdown_report),
        cmocka_unit_test(test_markdown_sections),
        cmocka_unit_test(test_markdown_compare),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
