/* Unit tests of the translator coprocess: the stand-in, and fakes that crash,
 * hang, print garbage or close pipes (clear errors, no hang, no zombies). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agentft/augment.h"
#include "testutil.h"

static const char *srcdir(void)
{
    const char *s = getenv("SRCDIR");
    return s && *s ? s : ".";
}

/* The stand-in is built beside agentft ($AGENTFT is set by make check). */
static void standin_path(char *buf, size_t size)
{
    const char *a = getenv("AGENTFT");
    const char *slash = a ? strrchr(a, '/') : NULL;
    int n = slash ? snprintf(buf, size, "%.*s/examples/translator/translator", (int)(slash - a), a)
                  : snprintf(buf, size, "./examples/translator/translator");
    assert_true(n > 0 && (size_t)n < size);
}

static aft_translator *start_standin(int timeout_ms, size_t inflight)
{
    char path[PATH_MAX];
    standin_path(path, sizeof path);
    char *argv[] = {path, NULL};
    aft_translator_opts o = {timeout_ms, inflight};
    aft_error err = {0};
    aft_translator *t = aft_translator_start(argv, &o, &err);
    if (!t)
        fail_msg("%s", err.msg);
    return t;
}

static aft_translator *start_fake(const char *name, int timeout_ms, size_t inflight)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/tests/fakes/%s.sh", srcdir(), name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    char *argv[] = {"/bin/sh", path, NULL};
    aft_translator_opts o = {timeout_ms, inflight};
    aft_error err = {0};
    aft_translator *t = aft_translator_start(argv, &o, &err);
    if (!t)
        fail_msg("%s", err.msg);
    return t;
}

/* Reaped: waitpid finds no such child any more. */
static void assert_reaped(pid_t pid)
{
    errno = 0;
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void assert_contains(const char *msg, const char *want)
{
    if (!strstr(msg, want))
        fail_msg("expected '%s' in: %s", want, msg);
}

/* One request to a fake that misbehaves: an error naming what went wrong,
 * the same error again on the next call, and no zombie. */
static void expect_failure(const char *fake, int timeout_ms, const char *want, const char *want2)
{
    aft_translator *t = start_fake(fake, timeout_ms, 4);
    pid_t pid = aft_translator_pid(t);
    const char *texts[] = {"book a flight"};
    char *out[1];
    aft_error err = {0};
    assert_int_equal(aft_translator_translate(t, texts, 1, "fr", out, &err), -1);
    assert_null(out[0]);
    assert_contains(err.msg, want);
    if (want2)
        assert_contains(err.msg, want2);
    assert_reaped(pid);
    aft_error again = {0};
    assert_int_equal(aft_translator_translate(t, texts, 1, "fr", out, &again), -1);
    assert_string_equal(again.msg, err.msg);
    assert_int_equal(aft_translator_finish(t, &again), -1);
    aft_translator_free(t);
}

static void test_argv_split(void **state)
{
    (void)state;
    char **argv;
    aft_error err = {0};
    assert_int_equal(aft_argv_split("  mt --from en  'a b' \"c \\\" d\" e\\ f $HOME *", &argv, &err), 0);
    const char *want[] = {"mt", "--from", "en", "a b", "c \" d", "e f", "$HOME", "*", NULL};
    for (size_t i = 0; want[i]; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[8]);
    aft_argv_free(argv);
    assert_int_equal(aft_argv_split("''", &argv, &err), 0);
    assert_string_equal(argv[0], "");
    assert_null(argv[1]);
    aft_argv_free(argv);
    assert_int_equal(aft_argv_split("   ", &argv, &err), -1);
    assert_contains(err.msg, "empty");
    assert_int_equal(aft_argv_split("mt 'oops", &argv, &err), -1);
    assert_contains(err.msg, "unterminated ' quote");
}

static void test_standin_round_trip(void **state)
{
    (void)state;
    aft_translator *t = start_standin(10000, 3);
    pid_t pid = aft_translator_pid(t);
    const char *texts[] = {"Please book a cheap flight.", "Hello", "", "订往返：厦门到广州"};
    char *fr[4], *en[4];
    aft_error err = {0};
    assert_int_equal(aft_translator_translate(t, texts, 4, "fr", fr, &err), 0);
    assert_string_equal(fr[0], "Réserver un vol économique svp.");
    assert_string_equal(fr[1], "Bonjour");
    assert_string_equal(fr[2], "");
    assert_string_equal(fr[3], "订往返：厦门到广州");
    assert_int_equal(aft_translator_translate(t, (const char *const *)fr, 4, "en", en, &err), 0);
    assert_string_equal(en[0], "Reserve an inexpensive flight please.");
    assert_string_equal(en[1], "Hi");
    assert_string_equal(en[3], texts[3]);
    for (int i = 0; i < 4; i++)
        free(fr[i]), free(en[i]);

    /* many requests, a few in flight at a time */
    enum { N = 300 };
    const char *many[N];
    char *outs[N];
    for (int i = 0; i < N; i++)
        many[i] = i % 2 ? "my new card" : "the lost bag";
    assert_int_equal(aft_translator_translate(t, many, N, "fr", outs, &err), 0);
    for (int i = 0; i < N; i++) {
        assert_string_equal(outs[i], i % 2 ? "mon nouveau carte" : "le bagage perdu");
        free(outs[i]);
    }
    assert_int_equal(aft_translator_finish(t, &err), 0);
    assert_reaped(pid);
    aft_translator_free(t);
}

/* A reply {"id":..,"error":..} is an error that quotes the translator. */
static void test_reported_error(void **state)
{
    (void)state;
    aft_translator *t = start_standin(10000, 2);
    const char *texts[] = {"hello"};
    char *out[1];
    aft_error err = {0};
    assert_int_equal(aft_translator_translate(t, texts, 1, "de", out, &err), -1);
    assert_contains(err.msg, "reported an error for request 1: this stand-in translates only");
    assert_reaped(aft_translator_pid(t));
    aft_translator_free(t);
}

/* Answers may come in any order; the in-flight limit is respected: the fake
 * answers only after two requests, so a limit of 1 times out. */
static void test_out_of_order_and_inflight(void **state)
{
    (void)state;
    aft_translator *t = start_fake("translator-pairs", 10000, 2);
    const char *texts[] = {"a", "b", "c", "d"};
    char *out[4];
    aft_error err = {0};
    assert_int_equal(aft_translator_translate(t, texts, 4, "fr", out, &err), 0);
    assert_string_equal(out[0], "pair 1");
    assert_string_equal(out[3], "pair 4");
    for (int i = 0; i < 4; i++)
        free(out[i]);
    assert_int_equal(aft_translator_finish(t, &err), 0);
    aft_translator_free(t);

    t = start_fake("translator-pairs", 200, 1);
    pid_t pid = aft_translator_pid(t);
    assert_int_equal(aft_translator_translate(t, texts, 4, "fr", out, &err), -1);
    assert_contains(err.msg, "did not answer request 1 within 200 ms");
    assert_reaped(pid);
    aft_translator_free(t);
}

static void test_crash(void **state)
{
    (void)state;
    expect_failure("translator-crash", 5000, "killed by signal 11", "fake: crashing now");
}

static void test_hang(void **state)
{
    (void)state;
    expect_failure("translator-hang", 200, "did not answer request 1 within 200 ms", NULL);
}

static void test_garbage(void **state)
{
    (void)state;
    expect_failure("translator-garbage", 5000,
                   "answered garbage on line 1 of its output (not a JSON object): 'this is not JSON'",
                   NULL);
}

static void test_closes_output(void **state)
{
    (void)state;
    expect_failure("translator-closes", 5000, "closed its output with 1 requests unanswered",
                   "exited with status 0");
}

static void test_unknown_id(void **state)
{
    (void)state;
    expect_failure("translator-unknown-id", 5000, "answered id 999 on line 1 of its output, which no "
                   "request is waiting for", NULL);
}

static void test_exit_status(void **state)
{
    (void)state;
    expect_failure("translator-exit", 5000, "exited with status 3", "fake: giving up");
}

/* Writing to a translator that is gone raises SIGPIPE, which must not end
 * the caller (left at its default action here, which would kill us). */
static void test_sigpipe(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_DFL);
    size_t big = (size_t)4 << 20;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'a', big);
    text[big] = '\0';
    aft_translator *t = start_fake("translator-quits", 5000, 1);
    pid_t pid = aft_translator_pid(t);
    const char *texts[] = {text};
    char *out[1];
    aft_error err = {0};
    assert_int_equal(aft_translator_translate(t, texts, 1, "fr", out, &err), -1);
    assert_true(strstr(err.msg, "stopped reading its input") || strstr(err.msg, "closed its output"));
    assert_contains(err.msg, "exited with status 0");
    assert_reaped(pid);
    aft_translator_free(t);
    free(text);
}

static void test_missing_program_and_bad_exit_at_end(void **state)
{
    (void)state;
    char *argv[] = {"/nonexistent/translator", NULL};
    aft_translator_opts o = {1000, 1};
    aft_error err = {0};
    assert_null(aft_translator_start(argv, &o, &err));
    assert_contains(err.msg, "cannot run translator '/nonexistent/translator': No such file");

    aft_translator *t = start_fake("translator-fails-at-end", 5000, 8);
    pid_t pid = aft_translator_pid(t);
    const char *texts[] = {"x", "y"};
    char *out[2];
    assert_int_equal(aft_translator_translate(t, texts, 2, "fr", out, &err), 0);
    assert_string_equal(out[1], "ok 2");
    free(out[0]);
    free(out[1]);
    assert_int_equal(aft_translator_finish(t, &err), -1);
    assert_contains(err.msg, "exited with status 4");
    assert_contains(err.msg, "fake: failing at the end");
    assert_reaped(pid);
    aft_translator_free(t);

    /* freed while running: killed and reaped */
    t = start_fake("translator-hang", 5000, 1);
    pid = aft_translator_pid(t);
    aft_translator_free(t);
    assert_reaped(pid);
}

/* Back-translation through the dataset pass, with the stand-in both ways:
 * a variant that equals a test record is dropped, valid/test records are
 * never sources. */
static void test_backtranslate_dataset(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 32];
    assert_int_equal(aft_test_mkdtemp(dir, sizeof dir, "translate"), 0);
    snprintf(path, sizeof path, "%s/data.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\":\"a\",\"context\":\"Please book a cheap flight.\",\"agent_action\":\"book\",\"split\":\"train\"}\n"
          "{\"id\":\"b\",\"context\":\"Hello there\",\"agent_action\":\"greet\",\"split\":\"train\"}\n"
          "{\"id\":\"c\",\"context\":\"reserve an inexpensive flight, please\",\"agent_action\":\"book\",\"split\":\"test\"}\n"
          "{\"id\":\"d\",\"context\":\"my new card\",\"agent_action\":\"card\",\"split\":\"valid\"}\n", f);
    fclose(f);
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(path, NULL, &diags, &err);
    assert_non_null(ds);
    aft_translator *t = start_standin(10000, 4);
    aft_augment_opts o = {.methods = AFT_AUG_BACKTRANSLATE, .per_record = 1, .seed = 1,
                          .there = t, .pivot = "fr", .language = "en"};
    aft_augment_source src = {ds, AFT_SPLIT_NONE};
    aft_augment_result res;
    if (aft_augment(&src, 1, &o, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(res.sources, 2);
    assert_int_equal(res.not_train, 2);
    assert_int_equal(res.dup_existing[AFT_VM_BACKTRANSLATE], 1);
    assert_int_equal(res.count, 1);
    assert_string_equal(res.items[0].text, "Hi there");
    assert_non_null(strstr(res.items[0].json, "\"id\":\"b-aug1\""));
    assert_non_null(strstr(res.items[0].json, "\"augmented\":{\"method\":\"backtranslate\",\"source_id\":\"b\"}"));
    aft_augment_result_free(&res);
    assert_int_equal(aft_translator_finish(t, &err), 0);
    aft_translator_free(t);
    aft_dataset_free(ds);
    aft_diag_list_free(&diags);
    aft_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_split),
        cmocka_unit_test(test_standin_round_trip),
        cmocka_unit_test(test_reported_error),
        cmocka_unit_test(test_out_of_order_and_inflight),
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_closes_output),
        cmocka_unit_test(test_unknown_id),
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_sigpipe),
        cmocka_unit_test(test_missing_program_and_bad_exit_at_end),
        cmocka_unit_test(test_backtranslate_dataset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
