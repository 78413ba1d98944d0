/* Unit tests of the Report pane's model (src/tui/report_view.c and the
 * section builders): the hand-written fixtures of tests/data, damaged and
 * wrongly shaped reports, the orders of the per-action table, the most
 * confused actions, and the way from a listed example back to a record. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"
#include "testutil.h"
#include "../../src/tui/report_view.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "tui-report");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* Whether some line of the section contains text. */
static int has_line(const report_view *v, rv_section s, const char *text)
{
    for (size_t i = 0; i < v->sec[s].n; i++)
        if (strstr(v->sec[s].v[i].text, text))
            return 1;
    return 0;
}

static size_t find_action(const report_view *v, const char *name)
{
    for (size_t i = 0; i < v->k; i++)
        if (!strcmp(v->names[i], name))
            return i;
    return SIZE_MAX;
}

static void test_fixture(void **state)
{
    (void)state;
    report_view v;
    rv_init(&v);
    assert_int_equal(rv_load_file(&v, TEST_DATA_DIR "/report-fixture.json", "report.json"), 0);
    assert_int_equal(v.kind, RV_REPORT);
    assert_string_equal(v.error, "");
    assert_true(has_line(&v, RS_SUMMARY, "accuracy     89.72%"));
    assert_true(has_line(&v, RS_SUMMARY, "macro-F1     0.9010"));
    assert_true(has_line(&v, RS_SUMMARY, "weighted-F1  0.8981"));
    assert_true(has_line(&v, RS_SLICES, "cut from the left"));
    assert_true(has_line(&v, RS_CALIBRATION, "(ECE) 0.0412"));
    assert_true(has_line(&v, RS_EFFICIENCY, "ART (mean) 3.420 ms"));
    assert_true(has_line(&v, RS_ROBUSTNESS, "typo"));
    assert_true(has_line(&v, RS_GENERATION, "perplexity 4.870"));
    /* the mistakes: a head line, five examples, a note */
    const rv_lines *m = &v.sec[RS_EXAMPLES];
    assert_int_equal(m->fixed, 1);
    assert_int_equal(m->n, 7);
    assert_int_equal(m->v[1].kind, RL_EXAMPLE);
    assert_true(strstr(m->v[1].text, "book_flight") && strstr(m->v[1].text, "search_flights"));
    assert_true(has_line(&v, RS_EXAMPLES, "5 of 37 misclassified"));
    /* the matrix and the most confused actions */
    assert_int_equal(v.k, 14);
    assert_int_equal(v.cm_max_off, 7);
    size_t bf = find_action(&v, "book_flight"), sf = find_action(&v, "search_flights");
    assert_int_equal(rv_cell(&v, bf, sf), 7);
    size_t idx[3];
    assert_int_equal(rv_top_confused(&v, 3, idx), 3);
    assert_int_equal(idx[0], bf);
    assert_int_equal(idx[1], sf);
    size_t all[20];
    assert_int_equal(rv_top_confused(&v, 20, all), 14);
    assert_int_equal(v.sec[RS_CONFUSION].v[1].kind, RL_PAIR);
    assert_true(strstr(v.sec[RS_CONFUSION].v[1].text, "7  book_flight → search_flights"));
    assert_string_equal(rv_data_file(&v), "@DATA@");
    rv_free(&v);
}

static void test_sort(void **state)
{
    (void)state;
    report_view v;
    rv_init(&v);
    assert_int_equal(rv_load_file(&v, TEST_DATA_DIR "/report-fixture.json", "r"), 0);
    const rv_lines *a = &v.sec[RS_ACTIONS];
    assert_int_equal(a->n, 15);
    /* by F1, weakest first */
    assert_true(!strncmp(a->v[1].text, "special_assistance ", 19));
    assert_true(!strncmp(a->v[2].text, "book_flight ", 12));
    rv_set_sort(&v, RV_SORT_SUPPORT, 0);
    assert_true(!strncmp(a->v[1].text, "search_flights ", 15));
    rv_set_sort(&v, RV_SORT_NAME, 0);
    assert_true(!strncmp(a->v[1].text, "baggage_info ", 13));
    rv_set_sort(&v, RV_SORT_NAME, 1);
    assert_true(!strncmp(a->v[1].text, "visa_info ", 10));
    /* the order survives a reload */
    assert_int_equal(rv_load_file(&v, TEST_DATA_DIR "/report-fixture.json", "r"), 0);
    assert_true(!strncmp(a->v[1].text, "visa_info ", 10));
    rv_free(&v);
}

static void test_compare(void **state)
{
    (void)state;
    report_view v;
    rv_init(&v);
    assert_int_equal(rv_load_file(&v, TEST_DATA_DIR "/compare-fixture.json", "c.json"), 0);
    assert_int_equal(v.kind, RV_COMPARE);
    rv_section s[RS_COUNT];
    assert_int_equal(rv_sections(v.kind, s), 3);
    assert_string_equal(rv_section_name(v.kind, s[2]), "Disagreements");
    assert_true(has_line(&v, RS_SUMMARY, "accuracy A - B  +2.50 points   95% CI [+1.39, +5.83]"));
    assert_true(has_line(&v, RS_SUMMARY, "p = 0.0241"));
    assert_int_equal(v.sec[RS_EXAMPLES].v[1].kind, RL_EXAMPLE);
    assert_true(has_line(&v, RS_EXAMPLES, "3 examples where A and B disagree"));
    rv_free(&v);
}

/* Loads text and expects an error containing msg. */
static void expect_error(const char *text, const char *msg)
{
    report_view v;
    rv_init(&v);
    assert_int_equal(rv_load_text(&v, text, strlen(text), "report.json"), -1);
    if (!strstr(v.error, msg))
        fail_msg("error \"%s\" lacks \"%s\"", v.error, msg);
    assert_int_equal(v.kind, RV_NONE);
    assert_null(v.root);
    rv_free(&v);
}

static void test_bad_reports(void **state)
{
    (void)state;
    expect_error("", "report.json is empty");
    expect_error("{\"version\": 1,\n \"task\": {\"accuracy\": 0.5,", "not valid JSON at line 2");
    expect_error("[1, 2]", "the report is an array, expected an object");
    expect_error("{\"task\": {\"per_action\": [{\"action\": \"a\", \"f1\": \"high\"}]}}",
                 "task.per_action[0].f1 is a string, expected a number");
    expect_error("{\"task\": {\"misclassified\": [{}, {\"gold\": 3}]}}",
                 "task.misclassified[1].gold is a number, expected a string");
    expect_error("{\"task\": {\"confusion\": {\"actions\": [\"a\", \"b\"], \"matrix\": [[1, 0]]}}}",
                 "task.confusion.matrix has 1 rows for 2 actions");
    expect_error("{\"task\": {\"confusion\": {\"actions\": [\"a\"], \"matrix\": [[-1]]}}}",
                 "task.confusion.matrix[0][0] is -1, expected a count");
    expect_error("{\"version\": 99}", "version 99 is newer");
    expect_error("{\"kind\": \"other\"}", "unknown kind \"other\"");
    expect_error("{\"kind\": \"compare\", \"ci95\": [0.1, \"x\"]}", "ci95[1] is a string");

    /* missing sections and null numbers are fine */
    report_view v;
    rv_init(&v);
    const char *partial = "{\"task\": {\"accuracy\": null, \"macro_f1\": 0.5}}";
    assert_int_equal(rv_load_text(&v, partial, strlen(partial), "r"), 0);
    assert_true(has_line(&v, RS_SUMMARY, "accuracy     n/a"));
    assert_true(has_line(&v, RS_CONFUSION, "not in this report"));
    assert_true(has_line(&v, RS_GENERATION, "not in this report"));
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.json", tmpdir);
    assert_int_equal(rv_load_file(&v, missing, "none.json"), 1);
    assert_int_equal(v.kind, RV_NONE);
    assert_string_equal(v.error, "");
    rv_free(&v);
}

static aft_dataset *small_dataset(char *path, size_t size)
{
    snprintf(path, size, "%s/d.jsonl", tmpdir);
    const char *text =
        "{\"id\":\"a1\",\"context\":\"book a flight\",\"agent_action\":\"book\"}\n"
        "{\"id\":\"a2\",\"context\":\"cancel it\",\"agent_action\":\"cancel\"}\n"
        "{\"context\":\"where is my bag\",\"agent_action\":\"baggage\"}\n";
    assert_int_equal(aft_write_file_atomic(path, text, strlen(text), NULL), 0);
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(path, NULL, &d, &err);
    aft_diag_list_free(&d);
    assert_non_null(ds);
    return ds;
}

static size_t find(const aft_dataset *ds, const char *json, int trust)
{
    cJSON *ex = cJSON_Parse(json);
    assert_non_null(ex);
    size_t r = rv_find_record(ds, ex, trust);
    cJSON_Delete(ex);
    return r;
}

static void test_find_record(void **state)
{
    (void)state;
    char path[600];
    aft_dataset *ds = small_dataset(path, sizeof path);
    assert_int_equal(find(ds, "{\"record\":1,\"id\":\"a2\"}", 0), 1);
    /* a stale index: the id decides */
    assert_int_equal(find(ds, "{\"record\":0,\"id\":\"a2\"}", 0), 1);
    assert_int_equal(find(ds, "{\"record\":9,\"id\":\"a1\"}", 0), 0);
    assert_int_equal(find(ds, "{\"record\":0,\"id\":\"zz\"}", 1), SIZE_MAX);
    /* no id: the context decides */
    assert_int_equal(find(ds, "{\"record\":2,\"context\":\"where is my bag\"}", 0), 2);
    assert_int_equal(find(ds, "{\"record\":0,\"original\":\"cancel it\"}", 0), 1);
    /* nothing to check: the index only when the file is known to be the same */
    assert_int_equal(find(ds, "{\"record\":2}", 1), 2);
    assert_int_equal(find(ds, "{\"record\":2}", 0), SIZE_MAX);
    assert_int_equal(find(ds, "{\"record\":2.5e9}", 1), SIZE_MAX);
    assert_int_equal(rv_same_file(path, aft_dataset_path(ds)), 1);
    assert_int_equal(rv_same_file(path, TEST_DATA_DIR "/report-fixture.json"), 0);
    assert_int_equal(rv_same_file(NULL, path), -1);
    assert_int_equal(rv_same_file("/no/such/file", path), -1);
    aft_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture),     cmocka_unit_test(test_sort),
        cmocka_unit_test(test_compare),     cmocka_unit_test(test_bad_reports),
        cmocka_unit_test(test_find_record),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
