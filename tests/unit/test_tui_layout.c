/* Unit tests of the workbench's logic that needs no terminal: the layout
 * rules, the key table, the dataset view's filters and orders, chart view
 * arithmetic, metrics.jsonl parsing and theme colour conversion. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../../src/tui/chart.h"
#include "../../src/tui/dsview.h"
#include "../../src/tui/keys.h"
#include "../../src/tui/layout.h"
#include "../../src/tui/runsrc.h"
#include "../../src/tui/theme.h"

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "tui");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* ---- layout ----------------------------------------------------------------- */

static int overlaps(rect a, rect b)
{
    return a.h && b.h && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void test_layout_modes(void **state)
{
    (void)state;
    layout l;
    layout_compute(59, 40, P_DATA, 0, 0, &l);
    assert_int_equal(l.mode, LAYOUT_TOO_SMALL);
    layout_compute(120, 15, P_DATA, 0, 0, &l);
    assert_int_equal(l.mode, LAYOUT_TOO_SMALL);
    layout_compute(60, 16, P_EDIT, 0, 0, &l);
    assert_int_equal(l.mode, LAYOUT_TABS);
    for (int i = 0; i < P_COUNT; i++)
        assert_int_equal(l.pane[i].h > 0, i == P_EDIT);
    assert_int_equal(l.pane[P_EDIT].h, 16 - 3);
    layout_compute(80, 24, P_CHART, 0, 0, &l);
    assert_int_equal(l.mode, LAYOUT_TABS);
    assert_int_equal(l.pane[P_CHART].w, 80);
}

static void test_layout_split(void **state)
{
    (void)state;
    static const int sizes[][2] = {{100, 24}, {120, 40}, {200, 60}, {333, 99}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int cols = sizes[s][0], rows = sizes[s][1];
        layout l;
        layout_compute(cols, rows, P_DATA, 0, 0, &l);
        assert_int_equal(l.mode, LAYOUT_SPLIT);
        int area = 0;
        for (int i = 0; i < P_COUNT; i++) {
            rect r = l.pane[i];
            /* the report and the Try pane wait behind the charts until one
             * comes to the front, the augmentation review behind the editor */
            int behind = i == P_REPORT || i == P_AUGMENT || i == P_TRY;
            assert_int_equal(r.h == 0, behind);
            if (behind)
                continue;
            assert_true(r.h >= 4);
            assert_true(r.x >= 0 && r.x + r.w <= cols);
            assert_true(r.y >= 1 && r.y + r.h <= rows - 2);
            area += r.h * r.w;
            for (int j = i + 1; j < P_COUNT; j++)
                assert_false(overlaps(r, l.pane[j]));
        }
        /* the panes and the separator fill the area between the bars */
        assert_int_equal(area + (rows - 3), cols * (rows - 3));
        assert_int_equal(l.keys.y, rows - 1);
        assert_int_equal(l.status.y, rows - 2);
    }
    layout l, front;
    unsigned f = layout_front(0, P_REPORT);
    layout_compute(120, 40, P_LOG, 0, f, &front);
    layout_compute(120, 40, P_LOG, 0, 0, &l);
    assert_int_equal(front.pane[P_CHART].h, 0);
    assert_memory_equal(&front.pane[P_REPORT], &l.pane[P_CHART], sizeof(rect));
    assert_int_equal(layout_front(f, P_FORM), f);
    unsigned both = layout_front(f, P_AUGMENT);
    layout_compute(120, 40, P_LOG, 0, both, &front);
    assert_int_equal(front.pane[P_EDIT].h, 0);
    assert_memory_equal(&front.pane[P_AUGMENT], &l.pane[P_EDIT], sizeof(rect));
    assert_memory_equal(&front.pane[P_REPORT], &l.pane[P_CHART], sizeof(rect));
    assert_int_equal(layout_front(both, P_EDIT) & 1u << P_AUGMENT, 0);
    assert_int_equal(layout_front(f, P_CHART), 1u << P_CHART);
    /* three share the charts' place: one in front at a time */
    unsigned t = layout_front(both, P_TRY);
    assert_int_equal(t, 1u << P_TRY | 1u << P_AUGMENT);
    layout_compute(120, 40, P_LOG, 0, t, &front);
    assert_int_equal(front.pane[P_CHART].h, 0);
    assert_int_equal(front.pane[P_REPORT].h, 0);
    assert_memory_equal(&front.pane[P_TRY], &l.pane[P_CHART], sizeof(rect));
    assert_int_equal(layout_front(t, P_REPORT), 1u << P_REPORT | 1u << P_AUGMENT);
    layout_compute(200, 60, P_CHART, 1, 0, &l); /* zoomed */
    assert_int_equal(l.pane[P_CHART].w, 200);
    assert_int_equal(l.pane[P_DATA].h, 0);
}

/* ---- keys ------------------------------------------------------------------- */

static void test_key_table(void **state)
{
    (void)state;
    size_t n;
    const key_binding *t = keys_table(&n);
    assert_true(n > 50);
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].action != ACT_NONE);
        for (size_t j = i + 1; j < n; j++)
            if (t[i].scope == t[j].scope && t[i].code == t[j].code)
                fail_msg("key bound twice in one scope: entries %zu and %zu", i, j);
        /* a pane's key may not hide a global one, except while text is
         * edited (where printable keys are text) */
        if (t[i].scope == KS_GLOBAL)
            for (size_t j = 0; j < n; j++)
                if (t[j].scope != KS_GLOBAL && t[j].scope != KS_TEXT && t[j].code == t[i].code)
                    fail_msg("global key of entry %zu shadowed by entry %zu", i, j);
        /* every binding is documented: its own help or the one before */
        if (!t[i].help)
            assert_true(i > 0 && t[i - 1].action == t[i].action);
    }
    assert_int_equal(keys_action(KS_GLOBAL, '?'), ACT_HELP);
    assert_int_equal(keys_action(KS_DATA, '/'), ACT_SEARCH);
    assert_int_equal(keys_action(KS_DATA, 'z'), ACT_NONE);
}

static void test_key_names(void **state)
{
    (void)state;
    char buf[32];
    keys_name(TK_CTRL('s'), buf, sizeof buf);
    assert_string_equal(buf, "^S");
    keys_name(TK_ALT | 'b', buf, sizeof buf);
    assert_string_equal(buf, "M-b");
    keys_name('\r', buf, sizeof buf);
    assert_string_equal(buf, "Enter");
    keys_name('?', buf, sizeof buf);
    assert_string_equal(buf, "?");
}

/* ---- the dataset view ------------------------------------------------------- */

static aft_dataset *sample(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/ds.jsonl", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\":\"a1\",\"context\":\"book a flight to Paris\",\"agent_action\":\"book\","
          "\"complexity\":1,\"split\":\"train\"}\n"
          "{\"id\":\"a2\",\"context\":\"用户查询航班信息：北京到上海\",\"agent_action\":\"search\","
          "\"complexity\":2,\"split\":\"valid\"}\n"
          "{\"id\":\"a3\",\"context\":[{\"role\":\"user\",\"content\":\"cancel it, PARIS trip\"}],"
          "\"agent_action\":\"cancel\",\"complexity\":3}\n"
          "{\"id\":\"a4\",\"context\":\"search flights\",\"agent_action\":\"search\","
          "\"complexity\":1,\"reasoning\":\"say \\\"quote\\\"\"}\n",
          f);
    fclose(f);
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(path, NULL, &d, &err);
    aft_diag_list_free(&d);
    assert_non_null(ds);
    return ds;
}

static void test_dsview_filters(void **state)
{
    (void)state;
    aft_dataset *ds = sample();
    dsview v;
    dsv_init(&v, ds);
    dsv_finish(&v);
    assert_int_equal(v.n, 4);
    assert_int_equal(v.n_labels, 3);
    assert_string_equal(v.labels[0].name, "search"); /* most frequent first */
    assert_int_equal(v.labels[0].count, 2);
    dsv_set_action(&v, "search");
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 2);
    dsv_set_action(&v, NULL);
    v.complexity = 1;
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 2);
    v.complexity = 0;
    v.split = AFT_SPLIT_NONE;
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 2);
    v.split = -1;
    dsv_set_text(&v, "paris"); /* any case, in a turn's content too */
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.rows[1], 2);
    dsv_set_text(&v, "北京");
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 1);
    dsv_set_text(&v, "agent_action"); /* keys are not text */
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 0);
    dsv_set_text(&v, "\"quote\""); /* escaped in the file, found in the text */
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.n, 1);
    dsv_free(&v);
    aft_dataset_free(ds);
}

static void test_dsview_sort_and_steps(void **state)
{
    (void)state;
    aft_dataset *ds = sample();
    dsview v;
    dsv_init(&v, ds);
    v.sort = DSV_SORT_ACTION;
    /* one record a step: the scan is spread over calls */
    int steps = 0;
    while (!dsv_step(&v, 1))
        steps++;
    assert_true(steps >= 3);
    assert_int_equal(v.n, 4);
    /* book, cancel, search, search (file order within an action) */
    assert_int_equal(v.rows[0], 0);
    assert_int_equal(v.rows[1], 2);
    assert_int_equal(v.rows[2], 1);
    assert_int_equal(v.rows[3], 3);
    assert_int_equal(dsv_row_of(&v, 3), 3);
    v.sort = DSV_SORT_COMPLEXITY;
    v.reverse = 1;
    dsv_restart(&v);
    dsv_finish(&v);
    assert_int_equal(v.rows[0], 2);
    char **names;
    size_t n = dsv_all_actions(ds, &names);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "book");
    assert_string_equal(names[2], "search");
    dsv_free_names(names, n);
    assert_true(dsv_contains("Hello World", 11, "world"));
    assert_false(dsv_contains("Hello", 5, "hello!"));
    dsv_free(&v);
    aft_dataset_free(ds);
}

/* ---- charts and runs -------------------------------------------------------- */

static void test_chart_view(void **state)
{
    (void)state;
    chart_view v;
    chart_view_fit(&v, 0, 1000);
    assert_true(v.follow);
    chart_view_zoom(&v, 0.5, 0, 1000); /* following: keeps the newest step */
    assert_true(v.x1 == 1000 && v.x0 == 500);
    chart_view_scroll(&v, -0.5, 0, 1000);
    assert_false(v.follow);
    assert_true(v.x0 == 250 && v.x1 == 750);
    chart_view_scroll(&v, -10, 0, 1000); /* clamped at the first step */
    assert_true(v.x0 == 0 && v.x1 == 500);
    chart_view_scroll(&v, 10, 0, 1000); /* back at the end: following again */
    assert_true(v.follow && v.x1 == 1000);
    chart_view_zoom(&v, 100, 0, 1000);
    assert_true(v.x0 == 0 && v.x1 == 1000);
    chart c;
    chart_init(&c, "loss");
    int s = chart_add_series(&c, "train", ROLE_LOSS_TRAIN);
    chart_push(&c, s, 1, 2.0);
    chart_push(&c, s, 2, NAN); /* skipped */
    chart_push(&c, s, 3, 1.0);
    chart_push(&c, s, 2, 1.5); /* a step from the past replaces the tail */
    assert_int_equal(c.s[s].n, 2);
    double lo, hi;
    assert_true(chart_x_range(&c, &lo, &hi));
    assert_true(lo == 1 && hi == 2);
    char buf[16];
    chart_format(0.00012, buf, sizeof buf);
    assert_string_equal(buf, "1.2e-04");
    chart_format(0.5321, buf, sizeof buf);
    assert_string_equal(buf, "0.5321");
    chart_format(20660.4, buf, sizeof buf);
    assert_string_equal(buf, "20660");
    chart_free(&c);
}

static void test_metrics_lines(void **state)
{
    (void)state;
    runsrc *rs = runsrc_open("");
    const char *lines[] = {
        "{\"step\":1,\"kind\":\"train\",\"loss\":2.5,\"lr\":1e-4,\"grad_norm\":3,\"tokens_per_s\":900}",
        "{\"step\":50,\"kind\":\"val\",\"loss\":2.0,\"accuracy\":0.4,\"macro_f1\":0.3,\"patience_left\":2}",
        "{\"step\":60,\"kind\":\"val\",\"val_loss\":1.5,\"val_accuracy\":0.5,\"val_macro_f1\":0.45}",
        "{\"step\":55,\"kind\":\"event\",\"event\":\"set\",\"key\":\"lr\",\"old\":\"1e-4\",\"new\":\"5e-5\"}",
        "not json",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        runsrc_ingest(rs, lines[i], strlen(lines[i]));
    assert_int_equal(rs->series[AFT_SERIES_TRAIN_LOSS].n, 1);
    assert_int_equal(rs->series[AFT_SERIES_VAL_LOSS].n, 2);
    assert_true(rs->series[AFT_SERIES_VAL_LOSS].p[1].value == 1.5);
    assert_true(rs->series[AFT_SERIES_VAL_MACRO_F1].p[0].value == 0.3);
    assert_int_equal(rs->n_events, 1);
    assert_string_equal(rs->events[0].text, "set lr 1e-4 -> 5e-5");
    assert_int_equal(rs->patience_left, 2);
    assert_int_equal(rs->bad_lines, 1);
    runsrc_free(rs);
}

static void test_metrics_follow(void **state)
{
    (void)state;
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/run", tmpdir);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    fputs("{\"step\":1,\"kind\":\"train\",\"loss\":2}\n{\"step\":2,\"kind\":\"tr", f);
    fclose(f);
    runsrc *rs = runsrc_open(dir);
    assert_int_equal(runsrc_poll(rs), 1);
    assert_int_equal(rs->series[AFT_SERIES_TRAIN_LOSS].n, 1); /* half a line waits */
    f = fopen(path, "a");
    fputs("ain\",\"loss\":1.5}\n", f);
    fclose(f);
    assert_int_equal(runsrc_poll(rs), 1);
    assert_int_equal(rs->series[AFT_SERIES_TRAIN_LOSS].n, 2);
    assert_int_equal(runsrc_poll(rs), 0);
    f = fopen(path, "w"); /* cut back, as a resumed run does */
    fputs("{\"step\":1,\"kind\":\"train\",\"loss\":2}\n", f);
    fclose(f);
    runsrc_poll(rs);
    assert_int_equal(rs->series[AFT_SERIES_TRAIN_LOSS].n, 1);
    assert_false(runsrc_live(rs));
    runsrc_free(rs);
}

/* ---- themes ----------------------------------------------------------------- */

static void test_theme_colours(void **state)
{
    (void)state;
    assert_int_equal(theme_parse_colour("default", 1), -1);
    assert_int_equal(theme_parse_colour("cyan", 0), 6);
    assert_int_equal(theme_parse_colour("#000000", 1), 16);
    assert_int_equal(theme_parse_colour("#ffffff", 1), 231);
    assert_int_equal(theme_parse_colour("#5fafd7", 1), 74);
    assert_int_equal(theme_parse_colour("#808080", 1), 244); /* a grey, not the cube */
    assert_int_equal(theme_parse_colour("#ff0000", 0), 1);   /* 8 colours: red */
    assert_int_equal(theme_parse_colour("208", 0), -2);
    assert_int_equal(theme_parse_colour("12", 0), 4);        /* bright blue folds to blue */
    assert_int_equal(theme_parse_colour("purple", 1), -2);
    unsigned long a;
    assert_int_equal(theme_parse_attrs("bold underline", &a), 0);
    assert_int_equal(theme_parse_attrs("blink", &a), -1);
    theme t;
    char err[256];
    char path[700];
    snprintf(path, sizeof path, "%s/bad.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("name: bad\nroles:\n  title: {fg: purple}\n", f);
    fclose(f);
    assert_int_equal(theme_load(&t, path, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3: 'purple' is not a colour"));
    assert_int_equal(theme_load(&t, "default", NULL, 0, err, sizeof err), 0);
    const char *dirs[] = {THEMES_DIR};
    const char *names[] = {"dark", "light", "high-contrast", "mono"};
    for (size_t i = 0; i < 4; i++) {
        if (theme_load(&t, names[i], dirs, 1, err, sizeof err) != 0)
            fail_msg("%s", err);
        assert_string_equal(t.name, names[i]);
    }
    assert_true(t.force_mono);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_modes),   cmocka_unit_test(test_layout_split),
        cmocka_unit_test(test_key_table),      cmocka_unit_test(test_key_names),
        cmocka_unit_test(test_dsview_filters), cmocka_unit_test(test_dsview_sort_and_steps),
        cmocka_unit_test(test_chart_view),     cmocka_unit_test(test_metrics_lines),
        cmocka_unit_test(test_metrics_follow), cmocka_unit_test(test_theme_colours),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
