/* Unit tests of the workbench's text handling: the text field (editing,
 * moving over CJK and combining characters, words, lines, undo/redo) and
 * display widths with truncation. No terminal needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tui/textfield.h"
#include "../../src/tui/width.h"

static void expect_text(const textfield *tf, const char *want)
{
    char *got = tf_text(tf);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void type(textfield *tf, const char *s)
{
    assert_true(tf_insert_text(tf, s) >= 0);
}

/* ---- widths ----------------------------------------------------------------- */

static void test_width_basic(void **state)
{
    (void)state;
    assert_int_equal(tw_width("abc", 3, 1), 3);
    assert_int_equal(tw_width("中文", strlen("中文"), 1), 4);
    /* e + combining acute accent: one cell */
    assert_int_equal(tw_width("e\xcc\x81", 3, 1), 1);
    /* controls are shown escaped: "\n" is two cells, 0x01 is "\x01" */
    assert_int_equal(tw_width("a\nb", 3, 1), 4);
    assert_int_equal(tw_width("\x01", 1, 1), 4);
    /* a bidi override is escaped, never sent to the terminal */
    assert_int_equal(tw_width("\xe2\x80\xae", 3, 1), 6);
    /* without UTF-8 every other character is one '?' */
    assert_int_equal(tw_width("中文", strlen("中文"), 0), 2);
}

static void test_width_escapes(void **state)
{
    (void)state;
    tw_unit u;
    tw_next("\t", 1, 1, 0, &u);
    assert_string_equal(u.esc, "\\t");
    tw_next("\x1b", 1, 1, 0, &u);
    assert_string_equal(u.esc, "\\e");
    tw_next("\xff", 1, 1, 0, &u); /* invalid UTF-8 */
    assert_string_equal(u.esc, "\\xff");
    assert_int_equal(u.bytes, 1);
    /* a combining mark with nothing before it cannot join anything */
    tw_next("\xcc\x81", 2, 1, 1, &u);
    assert_string_equal(u.esc, "\\u0301");
}

static void test_fit(void **state)
{
    (void)state;
    int w, cut;
    const char *s = "中文abc";
    size_t n = tw_fit(s, strlen(s), 7, 1, &w, &cut);
    assert_int_equal(n, strlen(s));
    assert_int_equal(cut, 0);
    assert_int_equal(w, 7);
    /* 6 cells: "中文a" + ellipsis */
    n = tw_fit(s, strlen(s), 6, 1, &w, &cut);
    assert_int_equal(cut, 1);
    assert_int_equal(n, strlen("中文a"));
    assert_int_equal(w, 5);
    /* 4 cells: "中" and the ellipsis; a wide character never straddles */
    n = tw_fit(s, strlen(s), 4, 1, &w, &cut);
    assert_int_equal(n, strlen("中"));
    assert_int_equal(w, 2);
    /* a combining mark stays with its base when cutting */
    const char *acc = "e\xcc\x81" "e\xcc\x81" "e\xcc\x81";
    n = tw_fit(acc, strlen(acc), 2, 1, &w, &cut);
    assert_int_equal(cut, 1);
    assert_int_equal(n, 3);
    assert_int_equal(w, 1);
    n = tw_fit("abc", 3, 0, 1, &w, &cut);
    assert_int_equal(n, 0);
    assert_int_equal(cut, 1);
}

/* ---- the text field --------------------------------------------------------- */

static void test_insert_delete_cjk(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 0, 1);
    tf_set(&tf, "北京");
    assert_int_equal(tf.cur, 2);
    tf_left(&tf);
    tf_insert(&tf, 0x5230); /* 到 */
    expect_text(&tf, "北到京");
    tf_backspace(&tf);
    expect_text(&tf, "北京");
    tf_home(&tf);
    tf_delete(&tf);
    expect_text(&tf, "京");
    tf_end(&tf);
    type(&tf, "abc");
    expect_text(&tf, "京abc");
    tf_free(&tf);
}

static void test_combining_moves(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 0, 1);
    tf_set(&tf, "e\xcc\x81x"); /* é (decomposed) x */
    tf_home(&tf);
    tf_right(&tf);
    assert_int_equal(tf.cur, 2); /* past the base and its mark */
    tf_left(&tf);
    assert_int_equal(tf.cur, 0);
    tf_right(&tf);
    tf_backspace(&tf); /* removes the base and the mark together */
    expect_text(&tf, "x");
    tf_set(&tf, "ae\xcc\x81");
    tf_home(&tf);
    tf_right(&tf);
    tf_delete(&tf);
    expect_text(&tf, "a");
    tf_free(&tf);
}

static void test_words(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 0, 1);
    tf_set(&tf, "book a flight 北京到上海");
    tf_home(&tf);
    tf_word_right(&tf);
    assert_int_equal(tf.cur, 5); /* start of "a" */
    tf_word_right(&tf);
    tf_word_right(&tf);
    assert_int_equal(tf.cur, 14); /* start of 北 */
    tf_word_right(&tf);
    assert_int_equal(tf.cur, 15); /* each CJK character is a word */
    tf_end(&tf);
    tf_word_left(&tf);
    assert_int_equal(tf.cur, 18);
    tf_kill_word(&tf);
    expect_text(&tf, "book a flight 北京到海");
    tf_set(&tf, "one two");
    tf_kill_word(&tf);
    expect_text(&tf, "one ");
    tf_free(&tf);
}

static void test_multiline(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 1, 1);
    tf_set(&tf, "first line\nsecond");
    tf_up(&tf, 40);
    assert_int_equal(tf.cur, 6); /* column 6 of the first line */
    tf_down(&tf, 40);
    assert_int_equal(tf.cur, 17);
    tf_home(&tf);
    assert_int_equal(tf.cur, 11);
    tf_insert(&tf, '\n');
    expect_text(&tf, "first line\n\nsecond");
    /* a single-line field turns a newline into a space */
    textfield one;
    tf_init(&one, 0, 1);
    type(&one, "a\r\nb");
    expect_text(&one, "a b");
    tf_free(&one);
    tf_free(&tf);
}

static void test_layout_wraps_by_width(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 1, 1);
    tf_set(&tf, "中文中文中"); /* 10 cells */
    tf_row rows[8];
    size_t n = tf_layout(&tf, 5, rows, 8);
    assert_int_equal(n, 3); /* 4 + 4 + 2 cells: a wide character never splits */
    assert_int_equal(rows[0].end, 2);
    assert_int_equal(rows[1].start, 2);
    size_t r;
    int c;
    tf_cursor_rc(&tf, 5, &r, &c);
    assert_int_equal(r, 2);
    assert_int_equal(c, 2);
    tf_up(&tf, 5);
    tf_cursor_rc(&tf, 5, &r, &c);
    assert_int_equal(r, 1);
    assert_int_equal(c, 2);
    tf_set(&tf, "");
    assert_int_equal(tf_layout(&tf, 5, rows, 8), 1);
    tf_free(&tf);
}

static void test_undo_redo(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 0, 1);
    tf_set(&tf, "");
    tf_insert(&tf, 'a');
    tf_insert(&tf, 'b');
    tf_insert(&tf, ' ');
    tf_insert(&tf, 'c');
    expect_text(&tf, "ab c");
    assert_int_equal(tf_undo(&tf), 1); /* the word "c" */
    expect_text(&tf, "ab ");
    assert_int_equal(tf_undo(&tf), 1); /* the space */
    expect_text(&tf, "ab");
    assert_int_equal(tf_undo(&tf), 1); /* typing merged into one step */
    expect_text(&tf, "");
    assert_int_equal(tf_undo(&tf), 0);
    assert_int_equal(tf_redo(&tf), 1);
    expect_text(&tf, "ab");
    tf_insert(&tf, 'x'); /* a new edit drops the redo history */
    assert_int_equal(tf_redo(&tf), 0);
    type(&tf, "粘贴");
    expect_text(&tf, "abx粘贴");
    tf_undo(&tf); /* a paste is one step */
    expect_text(&tf, "abx");
    tf_backspace(&tf);
    tf_backspace(&tf);
    expect_text(&tf, "a");
    tf_undo(&tf);
    expect_text(&tf, "abx");
    assert_int_equal(tf.cur, 3);
    tf_free(&tf);
}

static void test_kill_line(void **state)
{
    (void)state;
    textfield tf;
    tf_init(&tf, 1, 1);
    tf_set(&tf, "ab\ncd");
    tf_up(&tf, 20);
    tf_kill_start(&tf);
    expect_text(&tf, "\ncd");
    tf_kill_end(&tf); /* at the end of an empty line: joins the next */
    expect_text(&tf, "cd");
    tf_free(&tf);
}

int main(void)
{
    /* widths follow the locale, as in the workbench */
    if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8"))
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_basic),       cmocka_unit_test(test_width_escapes),
        cmocka_unit_test(test_fit),               cmocka_unit_test(test_insert_delete_cjk),
        cmocka_unit_test(test_combining_moves),   cmocka_unit_test(test_words),
        cmocka_unit_test(test_multiline),         cmocka_unit_test(test_layout_wraps_by_width),
        cmocka_unit_test(test_undo_redo),         cmocka_unit_test(test_kill_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
