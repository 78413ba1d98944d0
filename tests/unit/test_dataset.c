/* Unit tests for the dataset store: lossless round trips, diagnostics with
 * exact positions, edits, the journal (replay, stale, saved marks). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "agentft/dataset.h"
#include "agentft/fileio.h"

/* ---- helpers ----------------------------------------------------------------- */

static char tmpdir[4096];

static int setup_dir(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "aft-dataset");
}

static int teardown_dir(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* A fresh path in the test directory; the caller frees it. */
static char *tpath(const char *name)
{
    static int seq;
    char *p = malloc(4200);
    assert_non_null(p);
    snprintf(p, 4200, "%s/%d-%s", tmpdir, seq++, name);
    return p;
}

static void put_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *write_tmp(const char *name, const char *text)
{
    char *p = tpath(name);
    put_file(p, text, strlen(text));
    return p;
}

static char *slurp(const char *path, size_t *len)
{
    char *data;
    size_t n;
    aft_error err = {0};
    assert_int_equal(aft_read_file(path, &data, &n, &err), 0);
    if (len)
        *len = n;
    return data;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static aft_dataset *open_ds(const char *path, int strict, aft_diag_list *d)
{
    aft_load_opts o = {.strict = strict};
    aft_error err = {0};
    aft_diag_list_init(d);
    aft_dataset *ds = aft_dataset_open(path, &o, d, &err);
    if (!ds && !strict)
        fail_msg("open %s: %s", path, err.msg);
    return ds;
}

/* Diagnostic i formatted, without the leading "path:". */
static const char *diag_at(const aft_diag_list *d, size_t i)
{
    static char buf[2048];
    aft_diag_format(d, i, buf, sizeof buf);
    size_t n = strlen(d->path);
    assert_memory_equal(buf, d->path, n);
    return buf + n + 1;
}

static void assert_line(const aft_dataset *ds, size_t i, const char *want)
{
    size_t len;
    const char *line = aft_dataset_line(ds, i, &len);
    assert_non_null(line);
    if (len != strlen(want) || memcmp(line, want, len))
        fail_msg("record %zu:\n got  %.*s\n want %s", i, (int)len, line, want);
}

static void assert_file(const char *path, const char *want)
{
    size_t len;
    char *got = slurp(path, &len);
    if (len != strlen(want) || memcmp(got, want, len))
        fail_msg("%s:\n got  [%s]\n want [%s]", path, got, want);
    free(got);
}

static char *jpath(const char *path)
{
    char *j = aft_dataset_journal_path(path);
    assert_non_null(j);
    return j;
}

/* ---- round trips ------------------------------------------------------------- */

static void round_trip(const char *text, size_t len, size_t records, size_t bad)
{
    char *p = tpath("rt.jsonl");
    put_file(p, text, len);
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_count(ds), records);
    assert_int_equal(aft_dataset_bad_lines(ds), bad);
    aft_error err = {0};
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    size_t n;
    char *back = slurp(p, &n);
    assert_int_equal(n, len);
    assert_memory_equal(back, text, len);
    char *j = jpath(p);
    assert_false(exists(j));
    free(j);
    free(back);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

#define RT(text, records, bad) round_trip(text, sizeof(text) - 1, records, bad)

static void test_round_trip(void **state)
{
    (void)state;
    RT("{\"context\":\"a\",\"agent_action\":\"x\"}\n{\"context\":\"b\",\"agent_action\":\"y\"}\n", 2, 0);
    RT("{\"context\":\"a\",\"agent_action\":\"x\"}\r\n{\"context\":\"b\",\"agent_action\":\"y\"}\r\n", 2, 0);
    RT("{\"context\":\"a\",\"agent_action\":\"x\"}\r\n{\"context\":\"b\",\"agent_action\":\"y\"}\n"
       "{\"context\":\"c\",\"agent_action\":\"y\"}\r\n", 3, 0);
    RT("{\"context\":\"a\",\"agent_action\":\"x\"}\n{\"context\":\"b\",\"agent_action\":\"y\"}", 2, 0);
    RT("\xEF\xBB\xBF{\"context\":\"a\",\"agent_action\":\"x\"}\n", 1, 0);
    RT("{\"id\":\"flt-0042\",\"context\":\"用户查询航班信息：下周三北京到上海，预算800元\","
       "\"agent_action\":\"call_flight_api\",\"expected_response\":\"返回符合预算的航班列表\","
       "\"reasoning\":\"根据用户预算和出发时间筛选结果\",\"complexity\":2}\n", 1, 0);
    RT("{ \"z\" : 1.50, \"context\" : \"x\",  \"agent_action\":\"a\", \"extra\": {\"n\": [1, 2e3, "
       "null, true]}, \"\\u00e9\": \"\\u4e2d\" }\n", 1, 0);
    RT("{\"context\":\"a\",\"agent_action\":\"x\"}\nnot json\n\n{\"context\":\"b\"}\n"
       "{\"context\":\"c\",\"agent_action\":\"y\"}\n  \n[1]", 2, 3);
}

/* An edited line is re-serialized; its neighbours, bad lines included, are not. */
static void test_edit_keeps_other_lines(void **state)
{
    (void)state;
    char *p = write_tmp("keep.jsonl",
                        "{ \"context\": \"a\", \"agent_action\": \"x\" }\r\n"
                        "oops\n"
                        "{\"z\":1,\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"r\",\"w\":[1, 2]}\r\n"
                        "{ \"context\": \"c\", \"agent_action\": \"z\" }");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    assert_int_equal(aft_dataset_set_string(ds, 1, "reasoning", "new \"why\"", &err), 0);
    assert_line(ds, 1, "{\"z\":1,\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"new \\\"why\\\"\",\"w\":[1,2]}");
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_file(p, "{ \"context\": \"a\", \"agent_action\": \"x\" }\r\n"
                   "oops\n"
                   "{\"z\":1,\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"new \\\"why\\\"\",\"w\":[1,2]}\r\n"
                   "{ \"context\": \"c\", \"agent_action\": \"z\" }");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

/* ---- diagnostics --------------------------------------------------------------- */

typedef struct bad_case {
    const char *line;
    const char *want;     /* "2:COL: message" */
} bad_case;

static const bad_case bad_cases[] = {
    {"{\"context\": \"a\", \"agent_action\": }",
     "2:34: invalid JSON at '}': expected one complete JSON object on the line"},
    {"{\"context\":\"broken\", \"agent_action\":",
     "2:36: invalid JSON: the line ends before the object is complete (each record must be one "
     "whole object on one line)"},
    {"{\"context\":\"日本\xff\",\"agent_action\":\"x\"}",
     "2:15: invalid UTF-8 (byte 0xFF): the file must be UTF-8 text"},
    {"[1,2]",
     "2:1: not a JSON object: each line must be one object like {\"context\": ..., \"agent_action\": ...}"},
    {"{\"context\":\"a\",\"agent_action\":\x7f\"b\"}",
     "2:31: invalid JSON at control character U+007F: expected one complete JSON object on the line"},
    {"{\"context\":\"a\",\"agent_action\":\"b\"} x",
     "2:36: unexpected text after the JSON object: put one object on each line"},
    {"{\"agent_action\":\"b\"}",
     "2:1: missing \"context\": every record needs \"context\" and \"agent_action\""},
    {"  {\"context\":\"b\"}",
     "2:3: missing \"agent_action\": every record needs \"context\" and \"agent_action\""},
    {"{\"context\":5,\"agent_action\":\"b\"}",
     "2:12: \"context\" must be a string or a non-empty array of {\"role\",\"content\"} turns, got 5"},
    {"{\"context\": [ ],\"agent_action\":\"b\"}",
     "2:13: \"context\" is an empty array: give at least one {\"role\",\"content\"} turn"},
    {"{\"context\":[{\"role\":\"user\",\"content\":\"hi\"}, {\"content\":\"x\"}],\"agent_action\":\"b\"}",
     "2:45: \"context\"[1] is missing \"role\" (a string)"},
    {"{\"context\":[{\"role\":\"user\",\"content\":5}],\"agent_action\":\"b\"}",
     "2:38: \"context\"[0].content must be a string, got 5"},
    {"{\"context\":[\"hi\"],\"agent_action\":\"b\"}",
     "2:13: \"context\"[0] must be an object with string \"role\" and \"content\", got \"hi\""},
    {"{\"context\":\"a\",\"agent_action\":\"\"}",
     "2:31: \"agent_action\" must be a non-empty string, got \"\""},
    {"{\"context\":\"你好\",\"agent_action\":5}",
     "2:32: \"agent_action\" must be a non-empty string, got 5"},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"expected_response\":[1]}",
     "2:55: \"expected_response\" must be a string, got an array"},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"reasoning\":{}}",
     "2:47: \"reasoning\" must be a string, got an object"},
    {"{\"id\":42,\"context\":\"a\",\"agent_action\":\"b\"}",
     "2:7: \"id\" must be a string, got 42"},
    {"{\"complexity\":\"hard\",\"context\":\"a\",\"agent_action\":\"b\"}",
     "2:15: \"complexity\" must be an integer 1..10, got \"hard\""},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"complexity\":11}",
     "2:48: \"complexity\" must be an integer 1..10, got 11"},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"complexity\":2.5}",
     "2:48: \"complexity\" must be an integer 1..10, got 2.5"},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"split\":\"dev\"}",
     "2:43: \"split\" must be \"train\", \"valid\" or \"test\", got \"dev\""},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"tags\":\"x\"}",
     "2:42: \"tags\" must be an array of strings, got \"x\""},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"tags\":[\"ok\", true]}",
     "2:49: \"tags\"[1] must be a string, got true"},
    {"{\"context\":\"a\",\"agent_action\":\"b\",\"context\":\"c\"}",
     "2:35: duplicate key \"context\": each key may appear once in a record"},
};

static void test_bad_lines(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof bad_cases / sizeof *bad_cases; c++) {
        char text[512];
        snprintf(text, sizeof text, "{\"context\":\"ok\",\"agent_action\":\"x\"}\n%s\n",
                 bad_cases[c].line);
        char *p = write_tmp("bad.jsonl", text);
        aft_diag_list d;
        aft_dataset *ds = open_ds(p, 0, &d);
        assert_int_equal(aft_dataset_count(ds), 1);
        assert_int_equal(aft_dataset_bad_lines(ds), 1);
        assert_int_equal(d.errors, 1);
        assert_int_equal(d.warnings, 0);
        assert_int_equal(d.items[0].level, AFT_DIAG_ERROR);
        assert_string_equal(diag_at(&d, 0), bad_cases[c].want);
        aft_dataset_free(ds);
        aft_diag_list_free(&d);
        free(p);
    }
}

static void test_warnings(void **state)
{
    (void)state;
    char *p = write_tmp("warn.jsonl",
                        "\xEF\xBB\xBF{\"id\":\"a\",\"context\":\"x\",\"agent_action\":\"x\"}\r\n"
                        "\n"
                        "{\"id\":\"b\",\"context\":\"y\",\"agent_action\":\"x\"}\r\n"
                        "{\"context\":\"y\",\"agent_action\":\"x\",\"id\":\"a\"}\n");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 1, &d); /* warnings never fail, even strict */
    assert_non_null(ds);
    assert_int_equal(aft_dataset_count(ds), 3);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 3);
    assert_string_equal(diag_at(&d, 0), "1:1: warning: UTF-8 byte order mark at the start (kept on "
                                        "save; many JSON Lines readers expect none)");
    assert_string_equal(diag_at(&d, 1), "2:1: warning: blank line (kept on save)");
    assert_string_equal(diag_at(&d, 2), "4:40: warning: duplicate id \"a\" (also on line 1); "
                                        "ids should be unique");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

/* Duplicate ids are found after the last line; their warnings still come
 * in line order among the other problems. */
static void test_duplicate_id_order(void **state)
{
    (void)state;
    char *p = write_tmp("order.jsonl",
                        "{\"id\":\"a\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                        "{\"id\":\"b\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                        "{\"id\":\"a\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                        "{\"id\":\"c\"}\n"
                        "{\"id\":\"a\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                        "\n"
                        "{\"context\":\"x\",\"agent_action\":\"x\",   \"id\":\"b\"}\n");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(d.count, 5);
    assert_int_equal(d.errors, 1);
    assert_int_equal(d.warnings, 4);
    assert_string_equal(diag_at(&d, 0), "3:7: warning: duplicate id \"a\" (also on line 1); ids should be unique");
    assert_string_equal(diag_at(&d, 1), "4:1: missing \"context\": every record needs \"context\" and \"agent_action\"");
    assert_string_equal(diag_at(&d, 2), "5:7: warning: duplicate id \"a\" (also on line 1); ids should be unique");
    assert_string_equal(diag_at(&d, 3), "6:1: warning: blank line (kept on save)");
    assert_string_equal(diag_at(&d, 4), "7:43: warning: duplicate id \"b\" (also on line 2); ids should be unique");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);

    /* The only problems, in a file that is otherwise fine. */
    p = write_tmp("only.jsonl", "{\"id\":\"q\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                                "{\"id\":\"q\",\"context\":\"x\",\"agent_action\":\"x\"}\n");
    ds = open_ds(p, 1, &d);
    assert_non_null(ds);
    assert_int_equal(d.count, 1);
    assert_string_equal(diag_at(&d, 0), "2:7: warning: duplicate id \"q\" (also on line 1); ids should be unique");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

static void test_empty_and_long(void **state)
{
    (void)state;
    char *p = write_tmp("empty.jsonl", "");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_count(ds), 0);
    assert_int_equal(d.errors, 1);
    assert_string_equal(diag_at(&d, 0), "1:1: empty file: no records");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);

    aft_error err = {0};
    aft_load_opts strict = {1};
    aft_diag_list_init(&d);
    assert_null(aft_dataset_open(p, &strict, &d, &err));
    assert_non_null(strstr(err.msg, ":1:1: empty file: no records"));
    aft_diag_list_free(&d);
    free(p);

    /* A line over the limit is reported, not parsed, and saved untouched. */
    size_t big = AFT_MAX_LINE_BYTES + 10;
    const char *head = "{\"context\":\"a\",\"agent_action\":\"x\"}\n";
    size_t hl = strlen(head), total = hl + big + 1;
    char *text = malloc(total);
    assert_non_null(text);
    memcpy(text, head, hl);
    memset(text + hl, 'a', big);
    text[hl] = '"';
    text[total - 1] = '\n';
    p = tpath("long.jsonl");
    put_file(p, text, total);
    ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_count(ds), 1);
    assert_int_equal(aft_dataset_bad_lines(ds), 1);
    char want[128];
    snprintf(want, sizeof want, "2:1: line is %zu bytes, over the 16 MiB limit; it is kept as it is",
             big);
    assert_string_equal(diag_at(&d, 0), want);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    size_t n;
    char *back = slurp(p, &n);
    assert_int_equal(n, total);
    assert_memory_equal(back, text, total);
    free(back);
    free(text);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

static void test_strict(void **state)
{
    (void)state;
    char *p = write_tmp("strict.jsonl", "{\"context\":\"a\",\"agent_action\":\"x\"}\n"
                                        "{\"context\":\"b\"}\n"
                                        "{\"context\":\"c\",\"agent_action\":\"x\"}\n"
                                        "{\"context\":\"d\",\"agent_action\":7}\n");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_count(ds), 2);
    assert_int_equal(aft_dataset_bad_lines(ds), 2);
    assert_int_equal(d.errors, 2);
    assert_string_equal(aft_dataset_action(ds, 1), "x");
    assert_line(ds, 1, "{\"context\":\"c\",\"agent_action\":\"x\"}");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);

    aft_error err = {0};
    aft_load_opts o = {.strict = 1};
    aft_diag_list_init(&d);
    assert_null(aft_dataset_open(p, &o, &d, &err));
    assert_int_equal(d.errors, 1);
    char first[2048];
    aft_diag_format(&d, 0, first, sizeof first);
    assert_string_equal(err.msg, first);
    assert_non_null(strstr(err.msg, ":2:1: missing \"agent_action\""));
    aft_diag_list_free(&d);

    /* A NULL diag list is allowed. */
    assert_null(aft_dataset_open(p, &o, NULL, &err));
    ds = aft_dataset_open(p, NULL, NULL, &err);
    assert_non_null(ds);
    aft_dataset_free(ds);
    free(p);
}

/* ---- facts and getters --------------------------------------------------------- */

static void test_facts_and_complexity(void **state)
{
    (void)state;
    char *p = write_tmp("cx.jsonl",
        "{\"context\":\"one two three four five six seven eight nine ten eleven twelve\",\"agent_action\":\"a\"}\n"
        "{\"context\":\"one two three four five six seven eight nine ten eleven twelve thirteen\",\"agent_action\":\"a\"}\n"
        "{\"context\":\"用户查询航班信息下周三北京\",\"agent_action\":\"b\"}\n"
        "{\"context\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yes?\"},"
        "{\"role\":\"user\",\"content\":\"book it\"}],\"agent_action\":\"a\",\"split\":\"valid\"}\n"
        "{\"context\":\"short\",\"agent_action\":\"b\",\"complexity\":7,\"split\":\"test\"}\n");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_count(ds), 5);
    assert_int_equal(aft_dataset_context_words(ds, 0), 12);
    assert_int_equal(aft_dataset_complexity(ds, 0), 1);
    assert_int_equal(aft_dataset_complexity(ds, 1), 2);
    assert_int_equal(aft_dataset_context_words(ds, 2), 13);   /* each CJK character a word */
    assert_int_equal(aft_dataset_context_chars(ds, 2), 13);
    assert_int_equal(aft_dataset_complexity(ds, 2), 2);
    assert_int_equal(aft_dataset_context_turns(ds, 3), 3);
    assert_int_equal(aft_dataset_context_words(ds, 3), 4);
    assert_int_equal(aft_dataset_context_chars(ds, 3), 13);
    assert_int_equal(aft_dataset_complexity(ds, 3), 2);       /* 3 turns: at least 2 */
    assert_int_equal(aft_dataset_complexity_field(ds, 3), 0);
    assert_int_equal(aft_dataset_complexity(ds, 4), 7);
    assert_int_equal(aft_dataset_complexity_field(ds, 4), 7);
    assert_int_equal(aft_dataset_split(ds, 0), AFT_SPLIT_NONE);
    assert_int_equal(aft_dataset_split(ds, 3), AFT_SPLIT_VALID);
    assert_int_equal(aft_dataset_split(ds, 4), AFT_SPLIT_TEST);
    assert_string_equal(aft_split_name(AFT_SPLIT_TEST), "test");
    assert_string_equal(aft_split_name(AFT_SPLIT_NONE), "");
    /* Interned: the same action string is the same pointer. */
    assert_ptr_equal(aft_dataset_action(ds, 0), aft_dataset_action(ds, 3));
    assert_null(aft_dataset_action(ds, 5));
    assert_int_equal(aft_dataset_complexity(ds, 99), 0);

    char *s = aft_dataset_get_string(ds, 3, "context");
    assert_string_equal(s, "user: hi\nassistant: yes?\nuser: book it");
    free(s);
    s = aft_dataset_get_string(ds, 4, "agent_action");
    assert_string_equal(s, "b");
    free(s);
    assert_null(aft_dataset_get_string(ds, 4, "complexity"));
    assert_null(aft_dataset_get_string(ds, 4, "nope"));
    s = aft_dataset_get_json(ds, 4, "complexity");
    assert_string_equal(s, "7");
    free(s);
    s = aft_dataset_get_json(ds, 3, "context");
    assert_non_null(strstr(s, "[{\"role\":\"user\",\"content\":\"hi\"},"));
    free(s);
    assert_null(aft_dataset_get_json(ds, 0, "split"));

    /* Longer text crosses into level 3. */
    char text[1024] = "{\"context\":\"";
    for (int w = 0; w < 41; w++)
        strcat(text, w ? " w" : "w");
    strcat(text, "\",\"agent_action\":\"a\"}");
    aft_error err = {0};
    size_t idx;
    assert_int_equal(aft_dataset_add(ds, text, &idx, &err), 0);
    assert_int_equal(aft_dataset_complexity(ds, idx), 3);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

/* ---- edits -------------------------------------------------------------------------- */

static const char *const base3 =
    "{\"id\":\"r0\",\"context\":\"a\",\"agent_action\":\"x\",\"u\":{\"k\":[1,2]}}\n"
    "{\"id\":\"r1\",\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"because\",\"zz\":true}\n"
    "{\"context\":\"c\",\"agent_action\":\"z\"}\n";

static void test_edits(void **state)
{
    (void)state;
    char *p = write_tmp("edit.jsonl", base3);
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    assert_false(aft_dataset_dirty(ds));

    assert_int_equal(aft_dataset_set_json(ds, 1, "reasoning", "\"new\"", &err), 0);
    assert_line(ds, 1, "{\"id\":\"r1\",\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"new\",\"zz\":true}");
    assert_true(aft_dataset_dirty(ds));
    assert_int_equal(aft_dataset_set_json(ds, 0, "complexity", "4", &err), 0);
    assert_line(ds, 0, "{\"id\":\"r0\",\"context\":\"a\",\"agent_action\":\"x\",\"u\":{\"k\":[1,2]},\"complexity\":4}");
    assert_int_equal(aft_dataset_complexity(ds, 0), 4);
    assert_int_equal(aft_dataset_set_string(ds, 0, "agent_action", "xx", &err), 0);
    assert_string_equal(aft_dataset_action(ds, 0), "xx");
    assert_int_equal(aft_dataset_set_json(ds, 2, "context",
                                          "[{\"role\":\"user\",\"content\":\"one two\"}]", &err), 0);
    assert_int_equal(aft_dataset_context_words(ds, 2), 2);
    assert_int_equal(aft_dataset_unset(ds, 1, "zz", &err), 0);
    assert_line(ds, 1, "{\"id\":\"r1\",\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"new\"}");
    assert_int_equal(aft_dataset_unset(ds, 1, "not_there", &err), 0);
    assert_int_equal(aft_dataset_unset(ds, 0, "complexity", &err), 0);
    assert_int_equal(aft_dataset_complexity_field(ds, 0), 0);

    size_t idx = 0;
    assert_int_equal(aft_dataset_add(ds, "{\"context\":\"d\",\"agent_action\":\"w\",\"n\": 1}", &idx, &err), 0);
    assert_int_equal(idx, 3);
    assert_line(ds, 3, "{\"context\":\"d\",\"agent_action\":\"w\",\"n\":1}");
    assert_int_equal(aft_dataset_delete(ds, 2, &err), 0);
    assert_int_equal(aft_dataset_count(ds), 3);
    assert_line(ds, 2, "{\"context\":\"d\",\"agent_action\":\"w\",\"n\":1}");
    assert_int_equal(aft_dataset_duplicate(ds, 0, &idx, &err), 0);
    assert_int_equal(idx, 1);
    assert_line(ds, 1, "{\"id\":\"r0-copy\",\"context\":\"a\",\"agent_action\":\"xx\",\"u\":{\"k\":[1,2]}}");

    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_false(aft_dataset_dirty(ds));
    assert_file(p, "{\"id\":\"r0\",\"context\":\"a\",\"agent_action\":\"xx\",\"u\":{\"k\":[1,2]}}\n"
                   "{\"id\":\"r0-copy\",\"context\":\"a\",\"agent_action\":\"xx\",\"u\":{\"k\":[1,2]}}\n"
                   "{\"id\":\"r1\",\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"new\"}\n"
                   "{\"context\":\"d\",\"agent_action\":\"w\",\"n\":1}\n");
    /* Edits after a save start a new journal against the new file. */
    assert_int_equal(aft_dataset_set_string(ds, 3, "split", "train", &err), 0);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_int_equal(aft_dataset_split(ds, 3), AFT_SPLIT_TRAIN);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    ds = open_ds(p, 1, &d);
    assert_int_equal(aft_dataset_count(ds), 4);
    assert_int_equal(aft_dataset_split(ds, 3), AFT_SPLIT_TRAIN);
    assert_int_equal(aft_dataset_replayed(ds), 0);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

static void expect_refused(int rc, const aft_error *err, const char *part)
{
    assert_int_equal(rc, -1);
    if (!strstr(err->msg, part))
        fail_msg("error \"%s\" lacks \"%s\"", err->msg, part);
}

static void test_refused_edits(void **state)
{
    (void)state;
    char *p = write_tmp("refuse.jsonl", base3);
    char *j = jpath(p);
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    expect_refused(aft_dataset_set_json(ds, 0, "agent_action", "5", &err), &err,
                   "record 0: \"agent_action\" must be a non-empty string, got 5");
    expect_refused(aft_dataset_unset(ds, 0, "context", &err), &err,
                   "\"context\" is required and can't be removed");
    expect_refused(aft_dataset_set_json(ds, 0, "complexity", "11", &err), &err,
                   "\"complexity\" must be an integer 1..10, got 11");
    expect_refused(aft_dataset_set_string(ds, 0, "split", "dev", &err), &err,
                   "\"split\" must be \"train\", \"valid\" or \"test\", got \"dev\"");
    expect_refused(aft_dataset_set_json(ds, 0, "note", "{bad", &err), &err, "not valid JSON");
    expect_refused(aft_dataset_set_json(ds, 0, "context", "[]", &err), &err, "empty array");
    expect_refused(aft_dataset_set_string(ds, 7, "note", "x", &err), &err,
                   "record 7 does not exist");
    expect_refused(aft_dataset_set_string(ds, 0, "", "x", &err), &err, "can't be empty");
    expect_refused(aft_dataset_set_string(ds, 0, "note", "bad \xff", &err), &err, "UTF-8");
    expect_refused(aft_dataset_add(ds, "[1]", NULL, &err), &err, "must be a JSON object");
    expect_refused(aft_dataset_add(ds, "{\"context\":\"q\"}", NULL, &err), &err,
                   "missing \"agent_action\"");
    expect_refused(aft_dataset_add(ds, "{\"context\":\"q\",\"agent_action\":\"a\",\"context\":\"r\"}",
                                   NULL, &err), &err, "duplicate key \"context\"");
    expect_refused(aft_dataset_delete(ds, 3, &err), &err, "does not exist");
    expect_refused(aft_dataset_duplicate(ds, 3, NULL, &err), &err, "does not exist");
    const char *vals[3] = {"train", "dev", "test"};
    expect_refused(aft_dataset_set_strings(ds, "split", vals, &err), &err,
                   "record 1: \"split\" must be");

    assert_false(aft_dataset_dirty(ds));
    assert_false(exists(j));
    assert_int_equal(aft_dataset_count(ds), 3);
    assert_int_equal(aft_dataset_split(ds, 0), AFT_SPLIT_NONE);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_file(p, base3);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(j);
    free(p);
}

static void test_duplicate_ids(void **state)
{
    (void)state;
    char *p = write_tmp("dup.jsonl", "{\"id\":\"a\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                                     "bad line\n"
                                     "{\"id\":\"a-copy\",\"context\":\"y\",\"agent_action\":\"x\"}\n"
                                     "{\"id\":null,\"context\":\"z\",  \"agent_action\":\"x\"}\n");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    size_t idx;
    assert_int_equal(aft_dataset_duplicate(ds, 0, &idx, &err), 0);
    assert_int_equal(idx, 1);
    assert_line(ds, 1, "{\"id\":\"a-copy2\",\"context\":\"x\",\"agent_action\":\"x\"}");
    assert_int_equal(aft_dataset_duplicate(ds, 0, &idx, &err), 0);
    assert_line(ds, 1, "{\"id\":\"a-copy3\",\"context\":\"x\",\"agent_action\":\"x\"}");
    assert_int_equal(aft_dataset_duplicate(ds, 3, &idx, &err), 0);
    assert_int_equal(idx, 4);
    assert_line(ds, 4, "{\"id\":\"a-copy-copy\",\"context\":\"y\",\"agent_action\":\"x\"}");
    /* No string id: a byte-for-byte copy. */
    assert_int_equal(aft_dataset_duplicate(ds, 5, &idx, &err), 0);
    assert_line(ds, 6, "{\"id\":null,\"context\":\"z\",  \"agent_action\":\"x\"}");
    /* A freed id can be reused; the id set follows edits. */
    assert_int_equal(aft_dataset_set_string(ds, 1, "id", "other", &err), 0);
    assert_int_equal(aft_dataset_duplicate(ds, 0, &idx, &err), 0);
    assert_line(ds, 1, "{\"id\":\"a-copy3\",\"context\":\"x\",\"agent_action\":\"x\"}");
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    /* The copies sit right after their source, before the bad line. */
    assert_file(p, "{\"id\":\"a\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                   "{\"id\":\"a-copy3\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                   "{\"id\":\"other\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                   "{\"id\":\"a-copy2\",\"context\":\"x\",\"agent_action\":\"x\"}\n"
                   "bad line\n"
                   "{\"id\":\"a-copy\",\"context\":\"y\",\"agent_action\":\"x\"}\n"
                   "{\"id\":\"a-copy-copy\",\"context\":\"y\",\"agent_action\":\"x\"}\n"
                   "{\"id\":null,\"context\":\"z\",  \"agent_action\":\"x\"}\n"
                   "{\"id\":null,\"context\":\"z\",  \"agent_action\":\"x\"}\n");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

/* Adding after a file without a final newline, and deleting around bad lines. */
static void test_add_delete_layout(void **state)
{
    (void)state;
    char *p = write_tmp("layout.jsonl", "{\"context\":\"a\",\"agent_action\":\"x\"}\r\n"
                                        "junk\r\n"
                                        "{\"context\":\"b\",\"agent_action\":\"x\"}\r\n"
                                        "tail junk");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    assert_int_equal(aft_dataset_add(ds, "{\"context\":\"c\",\"agent_action\":\"x\"}", NULL, &err), 0);
    assert_int_equal(aft_dataset_delete(ds, 0, &err), 0);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_file(p, "junk\r\n"
                   "{\"context\":\"b\",\"agent_action\":\"x\"}\r\n"
                   "tail junk\r\n"
                   "{\"context\":\"c\",\"agent_action\":\"x\"}\r\n");
    assert_int_equal(aft_dataset_delete(ds, 1, &err), 0);
    assert_int_equal(aft_dataset_delete(ds, 0, &err), 0);
    assert_int_equal(aft_dataset_count(ds), 0);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_file(p, "junk\r\ntail junk\r\n");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

/* Line numbers count bad and blank lines, and follow edits as a save would lay them out. */
static void test_line_numbers(void **state)
{
    (void)state;
    char *p = write_tmp("lines.jsonl", "\xEF\xBB\xBF{\"context\":\"a\",\"agent_action\":\"x\"}\r\n"
                                       "\n"
                                       "junk\n"
                                       "{\"context\":\"b\",\"agent_action\":\"x\"}\n"
                                       "{\"context\":\"c\",\"agent_action\":\"x\"}\n"
                                       "tail junk\n");
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_count(ds), 3);
    assert_int_equal(aft_dataset_line_number(ds, 0), 1);
    assert_int_equal(aft_dataset_line_number(ds, 1), 4);
    assert_int_equal(aft_dataset_line_number(ds, 2), 5);
    assert_int_equal(aft_dataset_line_number(ds, 3), 0);
    aft_error err = {0};
    assert_int_equal(aft_dataset_delete(ds, 1, &err), 0);
    size_t added;
    assert_int_equal(aft_dataset_add(ds, "{\"context\":\"d\",\"agent_action\":\"x\"}", &added, &err), 0);
    assert_int_equal(added, 2);
    assert_int_equal(aft_dataset_line_number(ds, 1), 4);
    assert_int_equal(aft_dataset_line_number(ds, 2), 6); /* after "tail junk", as saved */
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_file(p, "\xEF\xBB\xBF{\"context\":\"a\",\"agent_action\":\"x\"}\r\n"
                   "\n"
                   "junk\n"
                   "{\"context\":\"c\",\"agent_action\":\"x\"}\n"
                   "tail junk\n"
                   "{\"context\":\"d\",\"agent_action\":\"x\"}\r\n");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(p);
}

static void test_set_strings(void **state)
{
    (void)state;
    char *p = write_tmp("split.jsonl", base3);
    char *j = jpath(p);
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    const char *vals[3] = {"valid", NULL, "test"};
    assert_int_equal(aft_dataset_set_strings(ds, "split", vals, &err), 0);
    assert_int_equal(aft_dataset_split(ds, 0), AFT_SPLIT_VALID);
    assert_int_equal(aft_dataset_split(ds, 1), AFT_SPLIT_NONE);
    assert_int_equal(aft_dataset_split(ds, 2), AFT_SPLIT_TEST);
    assert_line(ds, 2, "{\"context\":\"c\",\"agent_action\":\"z\",\"split\":\"test\"}");
    /* One journal line (after the header) for the whole change. */
    char *jt = slurp(j, NULL);
    size_t lines = 0;
    for (char *c = jt; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(jt, "\"values\":[\"valid\",null,\"test\"]"));
    free(jt);
    aft_dataset_free(ds); /* without saving */
    aft_diag_list_free(&d);
    ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_replayed(ds), 1);
    assert_int_equal(aft_dataset_split(ds, 2), AFT_SPLIT_TEST);
    assert_line(ds, 2, "{\"context\":\"c\",\"agent_action\":\"z\",\"split\":\"test\"}");

    /* Bulk-set ids: the id set follows, so copies still get unique ids. */
    const char *ids[3] = {"n0", NULL, "r1-copy"};
    assert_int_equal(aft_dataset_set_strings(ds, "id", ids, &err), 0);
    assert_line(ds, 2, "{\"context\":\"c\",\"agent_action\":\"z\",\"split\":\"test\",\"id\":\"r1-copy\"}");
    assert_int_equal(aft_dataset_duplicate(ds, 1, NULL, &err), 0);
    assert_line(ds, 2, "{\"id\":\"r1-copy2\",\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"because\",\"zz\":true}");
    assert_int_equal(aft_dataset_duplicate(ds, 0, NULL, &err), 0);
    assert_line(ds, 1, "{\"id\":\"n0-copy\",\"context\":\"a\",\"agent_action\":\"x\",\"u\":{\"k\":[1,2]},\"split\":\"valid\"}");
    const char *same[5] = {NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(aft_dataset_set_strings(ds, "split", same, &err), 0);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_replayed(ds), 5);
    assert_line(ds, 1, "{\"id\":\"n0-copy\",\"context\":\"a\",\"agent_action\":\"x\",\"u\":{\"k\":[1,2]},\"split\":\"valid\"}");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(j);
    free(p);
}

/* ---- the journal ------------------------------------------------------------------ */

static void test_crash_replay(void **state)
{
    (void)state;
    char *p = write_tmp("crash.jsonl", base3);
    char *j = jpath(p);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        aft_error err = {0};
        aft_dataset *ds = aft_dataset_open(p, NULL, NULL, &err);
        int bad = !ds;
        bad |= aft_dataset_set_string(ds, 0, "reasoning", "kept", &err);
        bad |= aft_dataset_add(ds, "{\"context\":\"n\",\"agent_action\":\"q\"}", NULL, &err);
        bad |= aft_dataset_duplicate(ds, 1, NULL, &err);
        bad |= aft_dataset_delete(ds, 3, &err);
        bad |= aft_dataset_unset(ds, 1, "reasoning", &err);
        _exit(bad ? 1 : 0); /* a crash: no save, no free */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(exists(j));
    assert_file(p, base3);

    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 1, &d);
    assert_non_null(ds);
    assert_int_equal(d.count, 0);
    assert_int_equal(aft_dataset_replayed(ds), 5);
    assert_true(aft_dataset_dirty(ds));
    assert_int_equal(aft_dataset_count(ds), 4);
    assert_line(ds, 0, "{\"id\":\"r0\",\"context\":\"a\",\"agent_action\":\"x\",\"u\":{\"k\":[1,2]},\"reasoning\":\"kept\"}");
    assert_line(ds, 1, "{\"id\":\"r1\",\"context\":\"b\",\"agent_action\":\"y\",\"zz\":true}");
    assert_line(ds, 2, "{\"id\":\"r1-copy\",\"context\":\"b\",\"agent_action\":\"y\",\"reasoning\":\"because\",\"zz\":true}");
    assert_line(ds, 3, "{\"context\":\"n\",\"agent_action\":\"q\"}");
    /* More edits go to the same journal; a second crash still replays all. */
    aft_error err = {0};
    assert_int_equal(aft_dataset_set_string(ds, 3, "split", "train", &err), 0);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_replayed(ds), 6);
    assert_int_equal(aft_dataset_split(ds, 3), AFT_SPLIT_TRAIN);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    assert_false(exists(j));
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    ds = open_ds(p, 0, &d);
    assert_int_equal(aft_dataset_replayed(ds), 0);
    assert_false(aft_dataset_dirty(ds));
    assert_line(ds, 3, "{\"context\":\"n\",\"agent_action\":\"q\",\"split\":\"train\"}");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(j);
    free(p);
}

static void append_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Leaves one unsaved edit (set reasoning on record 0) in the journal. */
static void leave_one_edit(const char *p)
{
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 0, &d);
    aft_error err = {0};
    assert_int_equal(aft_dataset_set_string(ds, 0, "reasoning", "unsaved", &err), 0);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
}

static void test_stale_journal(void **state)
{
    (void)state;
    char *p = write_tmp("stale.jsonl", base3);
    char *j = jpath(p);
    leave_one_edit(p);
    append_text(p, "{\"context\":\"e\",\"agent_action\":\"x\"}\n"); /* changed behind our back */
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 1, &d);
    assert_non_null(ds);
    assert_int_equal(aft_dataset_replayed(ds), 0);
    assert_false(aft_dataset_dirty(ds));
    assert_int_equal(aft_dataset_count(ds), 4);
    assert_null(aft_dataset_get_string(ds, 0, "reasoning"));
    assert_false(exists(j));
    assert_int_equal(d.warnings, 1);
    const char *w = diag_at(&d, 0);
    assert_non_null(strstr(w, "1:1: warning: the file changed since its journal"));
    const char *moved = strstr(w, "moved to ");
    assert_non_null(moved);
    moved += strlen("moved to ");
    assert_true(exists(moved));
    assert_int_equal(strncmp(moved, j, strlen(j)), 0);
    assert_non_null(strstr(moved, ".stale-"));
    char *kept = slurp(moved, NULL);
    assert_non_null(strstr(kept, "\"unsaved\""));
    free(kept);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(j);
    free(p);
}

static char *cat2(const char *a, const char *b)
{
    char *s = malloc(strlen(a) + strlen(b) + 1);
    assert_non_null(s);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

/* Leaves p as a save wrote it and its journal as if the process had died
 * between the rename and the unlink (a second link keeps the journal as the
 * save left it, saved mark included). Returns that journal's text. */
static char *save_then_restore_journal(const char *p, const char *j)
{
    char *keep = cat2(j, ".keep");
    aft_diag_list d;
    aft_error err = {0};
    leave_one_edit(p);
    aft_dataset *ds = open_ds(p, 0, &d);
    assert_int_equal(link(j, keep), 0);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    assert_false(exists(j));
    char *journal = slurp(keep, NULL);
    assert_non_null(strstr(journal, "\n{\"op\":\"saved\",\"size\":"));
    assert_int_equal(rename(keep, j), 0);
    free(keep);
    return journal;
}

static void test_saved_mark_after_rename(void **state)
{
    (void)state;
    char *p = write_tmp("saved.jsonl", base3);
    char *j = jpath(p);
    char *journal = save_then_restore_journal(p, j);
    char *saved_file = slurp(p, NULL);
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 1, &d);
    assert_non_null(ds);
    assert_int_equal(d.count, 0);
    assert_int_equal(aft_dataset_replayed(ds), 0);
    assert_false(aft_dataset_dirty(ds));
    assert_false(exists(j)); /* the save had finished: dropped silently */
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    assert_file(p, saved_file);

    /* Edits made after such a mark apply to the saved file. */
    char *more = cat2(journal, "{\"op\":\"set\",\"i\":1,\"key\":\"split\",\"value\":\"test\"}\n");
    put_file(j, more, strlen(more));
    ds = open_ds(p, 1, &d);
    assert_non_null(ds);
    assert_int_equal(aft_dataset_replayed(ds), 1);
    assert_int_equal(aft_dataset_split(ds, 1), AFT_SPLIT_TEST);
    assert_non_null(strstr(aft_dataset_line(ds, 0, NULL), "\"unsaved\""));
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(more);
    free(saved_file);
    free(journal);
    free(j);
    free(p);
}

static void test_saved_mark_before_rename(void **state)
{
    (void)state;
    char *p = write_tmp("unsaved.jsonl", base3);
    char *j = jpath(p);
    char *journal = save_then_restore_journal(p, j);
    /* The mark names a file that never landed: the header still matches and
     * the edits replay. A torn op is ignored and cut off. */
    put_file(p, base3, strlen(base3));
    char *torn = cat2(journal, "{\"op\":\"delete\",\"i\":0");
    put_file(j, torn, strlen(torn));
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 1, &d);
    assert_non_null(ds);
    assert_int_equal(aft_dataset_replayed(ds), 1);
    assert_int_equal(aft_dataset_count(ds), 3);
    assert_true(aft_dataset_dirty(ds));
    char *s = aft_dataset_get_string(ds, 0, "reasoning");
    assert_string_equal(s, "unsaved");
    free(s);
    size_t jl;
    free(slurp(j, &jl));
    assert_int_equal(jl, strlen(journal));
    aft_dataset_free(ds);
    aft_diag_list_free(&d);

    /* A journal whose complete op can't be replayed stops the open. */
    char *broken = cat2(journal, "{\"op\":\"delete\",\"i\":99}\n");
    put_file(j, broken, strlen(broken));
    aft_error err = {0};
    aft_diag_list_init(&d);
    assert_null(aft_dataset_open(p, NULL, &d, &err));
    assert_non_null(strstr(err.msg, ".journal:4: cannot replay this edit"));
    assert_non_null(strstr(err.msg, "record 99 does not exist"));
    aft_diag_list_free(&d);
    assert_file(p, base3);
    assert_file(j, broken);
    free(broken);
    free(torn);
    free(journal);
    free(j);
    free(p);
}

/* Two sessions on one file: the journal's lock keeps the second one from
 * replaying or overwriting the first one's live journal. */
static void test_two_sessions(void **state)
{
    (void)state;
    char *p = write_tmp("two.jsonl", base3);
    char *j = jpath(p);
    aft_diag_list d1, d2;
    aft_error err = {0};
    aft_dataset *a = open_ds(p, 1, &d1);
    aft_dataset *b = open_ds(p, 1, &d2);
    assert_int_equal(aft_dataset_set_string(a, 0, "reasoning", "from a", &err), 0);
    /* b opened before a's journal existed: a holds it now. */
    expect_refused(aft_dataset_set_string(b, 1, "reasoning", "from b", &err), &err,
                   "is being edited in another agentft session");
    aft_dataset_free(b);
    aft_diag_list_free(&d2);

    /* Opened while a edits: the file as saved, a warning, no edits. */
    b = open_ds(p, 1, &d2);
    assert_non_null(b);
    assert_int_equal(aft_dataset_replayed(b), 0);
    assert_int_equal(d2.warnings, 1);
    assert_non_null(strstr(diag_at(&d2, 0), "1:1: warning: another agentft session is editing "
                                            "this file"));
    assert_null(aft_dataset_get_string(b, 0, "reasoning"));
    expect_refused(aft_dataset_delete(b, 0, &err), &err, "another agentft session");
    expect_refused(aft_dataset_save(b, &err), &err, "another agentft session");
    aft_dataset_free(b);
    aft_diag_list_free(&d2);

    /* a ends without saving: its journal stays. A session that opened
     * before that journal appeared must not write over it. */
    aft_dataset_free(a);
    aft_diag_list_free(&d1);
    char *before = slurp(j, NULL);
    char *aside = cat2(j, ".aside");
    assert_int_equal(rename(j, aside), 0);
    b = open_ds(p, 1, &d2);
    assert_int_equal(rename(aside, j), 0);
    expect_refused(aft_dataset_set_string(b, 2, "split", "test", &err), &err, "appeared after");
    aft_dataset_free(b);
    aft_diag_list_free(&d2);
    char *after = slurp(j, NULL);
    assert_string_equal(after, before);
    a = open_ds(p, 1, &d1);
    assert_int_equal(aft_dataset_replayed(a), 1);
    aft_dataset_free(a);
    aft_diag_list_free(&d1);
    free(aside);
    free(before);
    free(after);
    free(j);
    free(p);
}

/* Files over one fingerprint block: the hash a save writes in its mark must
 * match the one an open computes, and a journal must replay. */
static void test_big_file_journal(void **state)
{
    (void)state;
    char *p = tpath("big.jsonl");
    char *j = jpath(p);
    char *keep = malloc(strlen(j) + 8);
    assert_non_null(keep);
    sprintf(keep, "%s.keep", j);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    for (int k = 0; k < 40000; k++)
        fprintf(f, "{\"id\":\"r%d\",\"context\":\"some words for record %d\",\"agent_action\":\"a%d\"}\n",
                k, k, k % 13);
    assert_int_equal(fclose(f), 0);
    leave_one_edit(p);
    aft_diag_list d;
    aft_dataset *ds = open_ds(p, 1, &d);
    assert_int_equal(aft_dataset_replayed(ds), 1);
    aft_error err = {0};
    assert_int_equal(aft_dataset_duplicate(ds, 30000, NULL, &err), 0);
    assert_int_equal(link(j, keep), 0);
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    assert_int_equal(rename(keep, j), 0);
    ds = open_ds(p, 1, &d);
    assert_int_equal(d.count, 0);
    assert_int_equal(aft_dataset_replayed(ds), 0);
    assert_false(exists(j));
    assert_int_equal(aft_dataset_count(ds), 40001);
    assert_line(ds, 30001, "{\"id\":\"r30000-copy\",\"context\":\"some words for record 30000\",\"agent_action\":\"a9\"}");
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    free(keep);
    free(j);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_edit_keeps_other_lines),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_duplicate_id_order),
        cmocka_unit_test(test_empty_and_long),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_facts_and_complexity),
        cmocka_unit_test(test_edits),
        cmocka_unit_test(test_refused_edits),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_add_delete_layout),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_set_strings),
        cmocka_unit_test(test_crash_replay),
        cmocka_unit_test(test_stale_journal),
        cmocka_unit_test(test_saved_mark_after_rename),
        cmocka_unit_test(test_saved_mark_before_rename),
        cmocka_unit_test(test_two_sessions),
        cmocka_unit_test(test_big_file_journal),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
