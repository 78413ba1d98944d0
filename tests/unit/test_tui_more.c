/* Unit tests of the workbench's dialogue-turn edits, the runs chooser's
 * list, the charts' overlay range, list hit-testing, tab hit-testing and
 * theme switching (on a curses screen written to /dev/null). */
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
#include <time.h>
#include <utime.h>

#include "testutil.h"
#include "../../src/tui/chart.h"
#include "../../src/tui/chrome.h"
#include "../../src/tui/listview.h"
#include "../../src/tui/runlist.h"
#include "../../src/tui/theme.h"
#include "../../src/tui/theme_pick.h"
#include "../../src/tui/turns.h"

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "tui-more");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- dialogue turns --------------------------------------------------------- */

static const char dialogue[] =
    "[{\"role\":\"user\",\"content\":\"去东京的航班\"},"
    "{\"role\":\"assistant\",\"content\":\"Which day?\",\"name\":\"bot\"},"
    "{\"role\":\"user\",\"content\":\"Friday\"}]";

static void test_turns_edit(void **state)
{
    (void)state;
    aft_error err = {0};
    turns *t = turns_parse(dialogue, &err);
    assert_non_null(t);
    assert_int_equal(turns_count(t), 3);
    assert_string_equal(turns_content(t, 0), "去东京的航班");
    assert_string_equal(turns_role(t, 1), "assistant");
    assert_string_equal(turns_role(t, 9), "");
    /* a role changes in place: "name" stays, and so does the key order */
    assert_int_equal(turns_set_role(t, 1, "system", &err), 0);
    assert_int_equal(turns_set_content(t, 1, "Which day?\nAny time", &err), 0);
    char *json = turns_json(t);
    assert_non_null(strstr(json, "{\"role\":\"system\",\"content\":\"Which day?\\nAny time\","
                                 "\"name\":\"bot\"}"));
    assert_non_null(strstr(json, "去东京的航班")); /* UTF-8 is not escaped */
    free(json);
    /* insert at the front, in the middle and at the end */
    assert_int_equal(turns_insert(t, 0, "system", "be brief", &err), 0);
    assert_int_equal(turns_insert(t, 2, "tool", "{}", &err), 0);
    assert_int_equal(turns_insert(t, turns_count(t), "assistant", "", &err), 0);
    assert_int_equal(turns_insert(t, 99, "user", "x", &err), -1);
    assert_int_equal(turns_count(t), 6);
    const char *roles[] = {"system", "user", "tool", "system", "user", "assistant"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(turns_role(t, i), roles[i]);
    assert_int_equal(turns_remove(t, 2, &err), 0);
    assert_string_equal(turns_role(t, 2), "system");
    assert_int_equal(turns_set_role(t, 0, "", &err), -1);
    while (turns_count(t) > 1)
        assert_int_equal(turns_remove(t, 0, &err), 0);
    assert_int_equal(turns_remove(t, 0, &err), -1); /* the last turn stays */
    assert_non_null(strstr(err.msg, "at least one turn"));
    json = turns_json(t);
    assert_string_equal(json, "[{\"role\":\"assistant\",\"content\":\"\"}]");
    free(json);
    turns_free(t);

    assert_null(turns_parse("\"plain text\"", &err));
    assert_null(turns_parse("[]", &err));
    assert_null(turns_parse("[{\"role\":\"user\"}]", &err));
    assert_string_equal(turns_next_role("user"), "assistant");
    assert_string_equal(turns_next_role("tool"), "user");
    assert_string_equal(turns_next_role("narrator"), "user");
    assert_string_equal(turns_reply_role("user"), "assistant");
    assert_string_equal(turns_reply_role("assistant"), "user");
}

/* ---- the runs chooser -------------------------------------------------------- */

static void make_run(const char *name, const char *metrics, time_t mtime)
{
    char dir[700], path[800];
    snprintf(dir, sizeof dir, "%s/runs/%s", tmpdir, name);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    write_file(path, metrics);
    struct utimbuf ut = {mtime, mtime};
    assert_int_equal(utime(path, &ut), 0);
}

static void test_runlist(void **state)
{
    (void)state;
    time_t now = time(NULL);
    make_run("a-old",
             "{\"step\":1,\"kind\":\"train\",\"loss\":2}\n"
             "{\"step\":50,\"kind\":\"val\",\"loss\":1.2,\"accuracy\":0.5}\n"
             "{\"step\":50,\"kind\":\"event\",\"event\":\"best\",\"metric\":\"val_loss\",\"value\":1.2}\n"
             "{\"step\":100,\"kind\":\"val\",\"loss\":0.9,\"accuracy\":0.7}\n"
             "{\"step\":100,\"kind\":\"event\",\"event\":\"best\",\"metric\":\"val_loss\",\"value\":0.9}\n",
             now - 100);
    make_run("b-new",
             "{\"step\":10,\"kind\":\"val\",\"val_accuracy\":0.4}\n"
             "{\"step\":20,\"kind\":\"val\",\"val_accuracy\":0.6}\n"
             "{\"step\":30,\"kind\":\"val\",\"val_accuracy\":0.55}\n",
             now - 10);
    make_run("c-mid", "{\"step\":1,\"kind\":\"train\",\"loss\":2}\n", now - 50);
    char junk[700];
    snprintf(junk, sizeof junk, "%s/runs/not-a-run", tmpdir);
    assert_int_equal(mkdir(junk, 0755), 0);

    runlist l;
    char runs[600];
    snprintf(runs, sizeof runs, "%s/runs", tmpdir);
    assert_int_equal(runlist_scan(&l, runs), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.e[0].name, "b-new"); /* newest first */
    assert_string_equal(l.e[1].name, "c-mid");
    assert_string_equal(l.e[2].name, "a-old");
    assert_string_equal(l.e[2].metric, "val_loss"); /* the last best event */
    assert_true(l.e[2].best == 0.9);
    assert_string_equal(l.e[0].metric, "val_accuracy"); /* no event: the top accuracy */
    assert_true(l.e[0].best == 0.6);
    assert_string_equal(l.e[1].metric, "");
    char text[96];
    runlist_describe(&l.e[2], text, sizeof text);
    assert_string_equal(text, "best val_loss 0.9");
    runlist_describe(&l.e[1], text, sizeof text);
    assert_string_equal(text, "no validation yet");
    runlist_free(&l);

    snprintf(runs, sizeof runs, "%s/no-such-folder", tmpdir);
    assert_int_equal(runlist_scan(&l, runs), 0);
    assert_int_equal(l.n, 0);
    runlist_free(&l);
}

/* ---- the charts' overlay ----------------------------------------------------- */

static void test_chart_overlay_range(void **state)
{
    (void)state;
    chart a, b;
    chart_init(&a, "loss");
    chart_init(&b, "loss");
    int sa = chart_add_series(&a, "train", ROLE_LOSS_TRAIN);
    int sb = chart_add_series(&b, "smooth", ROLE_COMPARE);
    for (int k = 0; k <= 10; k++) {
        chart_push(&a, sa, k * 10, 2.0 - k * 0.1);  /* 2.0 .. 1.0 */
        chart_push(&b, sb, k * 20, 3.0 - k * 0.25); /* 3.0 .. 0.5 */
    }
    double lo, hi;
    assert_true(chart_y_range(&a, NULL, 0, 100, &lo, &hi));
    assert_true(lo < 1.0 && lo > 0.9 && hi > 2.0 && hi < 2.1);
    assert_true(chart_y_range(&a, &b, 0, 100, &lo, &hi));
    assert_true(lo < 1.75 && hi > 3.0); /* the second run widens the range */
    assert_true(chart_y_range(&a, &b, 150, 200, &lo, &hi)); /* only the second run there */
    assert_true(lo < 0.5 && hi > 1.0 && hi < 1.1);
    assert_false(chart_y_range(&a, NULL, 150, 200, &lo, &hi));
    chart_free(&a);
    chart_free(&b);
}

/* ---- hit-testing for the mouse ------------------------------------------------ */

static void test_list_and_tab_hits(void **state)
{
    (void)state;
    listview lv = {0};
    lv_set_rows(&lv, 10);
    lv_set_count(&lv, 1000);
    lv_goto(&lv, 500); /* scrolled: rows 491..500 are shown */
    assert_int_equal(lv_row_at(&lv, 0), 491);
    assert_int_equal(lv_row_at(&lv, 9), 500);
    assert_int_equal(lv_row_at(&lv, 10), (size_t)-1);
    assert_int_equal(lv_row_at(&lv, -1), (size_t)-1);
    lv_set_count(&lv, 3);
    assert_int_equal(lv_row_at(&lv, 2), 2);
    assert_int_equal(lv_row_at(&lv, 3), (size_t)-1); /* below the last row */
    /* tabs: " 1 Dataset " then " 2 Editor "... (or the short names) */
    assert_int_equal(chrome_tab_at(200, 0), 0);
    assert_int_equal(chrome_tab_at(200, 11), 0);
    assert_int_equal(chrome_tab_at(200, 12), 1);
    assert_int_equal(chrome_tab_at(200, 199), -1);
    assert_int_equal(chrome_tab_at(60, 8), 0); /* " 1 Data " */
    assert_int_equal(chrome_tab_at(60, 9), 1);
}

/* ---- themes while open --------------------------------------------------------- */

static void test_theme_names(void **state)
{
    (void)state;
    char extra[600], path[700];
    snprintf(extra, sizeof extra, "%s/themes", tmpdir);
    assert_int_equal(mkdir(extra, 0755), 0);
    snprintf(path, sizeof path, "%s/dark.yaml", extra); /* the same name twice counts once */
    write_file(path, "name: dark\n");
    snprintf(path, sizeof path, "%s/amber.yaml", extra);
    write_file(path, "name: amber\n");
    snprintf(path, sizeof path, "%s/notes.txt", extra);
    write_file(path, "not a theme\n");
    const char *dirs[] = {THEMES_DIR, extra, "/no/such/folder"};
    char **names;
    size_t n = theme_pick_names(dirs, 3, &names);
    assert_int_equal(n, 5);
    const char *want[] = {"amber", "dark", "high-contrast", "light", "mono"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], want[i]);
    assert_string_equal(theme_pick_next(names, n, "dark"), "high-contrast");
    assert_string_equal(theme_pick_next(names, n, "mono"), "amber");
    assert_string_equal(theme_pick_next(names, n, "my/own.yaml"), "amber");
    assert_null(theme_pick_next(names, 0, "dark"));
    theme_pick_free_names(names, n);
}

/* Applies a theme on a screen of terminal type term; returns its depth. */
static theme_depth apply_on(const char *term, const char *name)
{
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    assert_non_null(out);
    assert_non_null(in);
    SCREEN *s = newterm(term, out, in);
    assert_non_null(s);
    set_term(s);
    theme t;
    const char *dirs[] = {THEMES_DIR};
    char err[256];
    assert_int_equal(theme_load(&t, "dark", dirs, 1, err, sizeof err), 0);
    theme_apply(&t);
    assert_int_equal(theme_load(&t, name, dirs, 1, err, sizeof err), 0);
    /* the switch: applied again on the same screen */
    theme_depth d = theme_apply(&t);
    assert_string_equal(theme_current_name(), name);
    endwin();
    delscreen(s);
    fclose(out);
    fclose(in);
    return d;
}

static void test_theme_switch(void **state)
{
    (void)state;
    unsetenv("NO_COLOR");
    assert_int_equal(apply_on("xterm-256color", "light"), THEME_256);
    assert_true(theme_attr(ROLE_TITLE_FOCUS) & A_COLOR);
    assert_int_equal(apply_on("xterm-256color", "mono"), THEME_MONO);
    assert_false(theme_attr(ROLE_TITLE_FOCUS) & A_COLOR);
    assert_true(theme_attr(ROLE_TITLE_FOCUS) & A_REVERSE); /* its mono form */
    assert_int_equal(apply_on("xterm", "high-contrast"), THEME_8);
    assert_true(theme_attr(ROLE_COMPARE) & A_COLOR);
    assert_int_equal(apply_on("vt100", "light"), THEME_MONO); /* no colour at all */
    setenv("NO_COLOR", "1", 1);
    assert_int_equal(apply_on("xterm-256color", "light"), THEME_MONO);
    assert_false(theme_attr(ROLE_COMPARE) & A_COLOR);
    unsetenv("NO_COLOR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turns_edit),          cmocka_unit_test(test_runlist),
        cmocka_unit_test(test_chart_overlay_range), cmocka_unit_test(test_list_and_tab_hits),
        cmocka_unit_test(test_theme_names),         cmocka_unit_test(test_theme_switch),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
