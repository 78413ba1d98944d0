/* Unit tests of the reward environment client: good answers, multi-step
 * episodes, and fakes that crash, hang, write garbage or close their
 * output, each a clear failure or a timeout, never a process left behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agentft/env.h"

static const char *srcdir(void)
{
    const char *s = getenv("SRCDIR");
    return s && *s ? s : ".";
}

static aft_env *start_fake(const char *name, int timeout_ms)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/tests/fakes/%s.sh", srcdir(), name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    char *argv[] = {"/bin/sh", path, NULL};
    aft_error err = {0};
    aft_env *e = aft_env_start(argv, NULL, timeout_ms, &err);
    if (!e)
        fail_msg("%s", err.msg);
    return e;
}

static aft_env_status step(aft_env *e, const char *id, int stepno, const char *action,
                           aft_env_reply *out, aft_error *err)
{
    aft_env_request rq = {id, 7, stepno, "the disk is full", action, ""};
    return aft_env_step(e, &rq, out, err);
}

/* No child of ours is left: every one was reaped. */
static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_good_answers(void **state)
{
    (void)state;
    aft_env *e = start_fake("env-bandit", 10000);
    aft_env_reply r;
    aft_error err = {0};
    assert_int_equal(step(e, "a-1", 0, "good", &r, &err), AFT_ENV_OK);
    assert_true(r.reward == 1.0 && r.done && !r.observation);
    assert_int_equal(step(e, "a-2", 0, "bad", &r, &err), AFT_ENV_OK);
    assert_true(r.reward == 0.0 && r.done);
    assert_int_equal(aft_env_starts(e), 1);
    aft_env_free(e);
    assert_no_children();
}

static void test_multi_step(void **state)
{
    (void)state;
    aft_env *e = start_fake("env-steps", 10000);
    aft_env_reply r;
    aft_error err = {0};
    assert_int_equal(step(e, "m-1", 0, "x", &r, &err), AFT_ENV_OK);
    assert_true(r.reward == 0.5 && !r.done);
    assert_string_equal(r.observation, "second");
    aft_env_reply_free(&r);
    assert_int_equal(step(e, "m-1", 1, "x", &r, &err), AFT_ENV_OK);
    assert_true(r.reward == 1.0 && r.done && !r.observation);
    aft_env_free(e);
    assert_no_children();
}

/* Each failure names the program and what it did; the next request starts
 * it again (and fails again the same way). */
static void expect_failure(const char *fake, int timeout_ms, aft_env_status want,
                           const char *const *phrases)
{
    aft_env *e = start_fake(fake, timeout_ms);
    for (unsigned k = 1; k <= 2; k++) {
        aft_env_reply r;
        aft_error err = {0};
        assert_int_equal(step(e, "f-1", 0, "good", &r, &err), want);
        assert_null(r.observation);
        for (const char *const *p = phrases; p && *p; p++)
            if (!strstr(err.msg, *p))
                fail_msg("'%s' not in: %s", *p, err.msg);
        assert_int_equal(aft_env_starts(e), k);
    }
    aft_env_free(e);
    assert_no_children();
}

static void test_crash(void **state)
{
    (void)state;
    static const char *const p[] = {"reward environment '/bin/sh'", "closed its output",
                                    "exited with status 3", "fake env: giving up", NULL};
    expect_failure("env-crash", 10000, AFT_ENV_FAILED, p);
}

static void test_hang(void **state)
{
    (void)state;
    expect_failure("env-hang", 150, AFT_ENV_TIMEOUT, NULL);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const p[] = {"garbage", "reward: lots", NULL};
    expect_failure("env-garbage", 10000, AFT_ENV_FAILED, p);
}

static void test_closed_output(void **state)
{
    (void)state;
    static const char *const p[] = {"closed its output", NULL};
    expect_failure("env-closes", 10000, AFT_ENV_FAILED, p);
}

static void test_cannot_run(void **state)
{
    (void)state;
    char *argv[] = {"/nonexistent/agentft-env", NULL};
    aft_error err = {0};
    assert_null(aft_env_start(argv, NULL, 1000, &err));
    assert_non_null(strstr(err.msg, "cannot run reward environment '/nonexistent/agentft-env'"));
    /* A relative program runs from its folder; a folder that is not there is named. */
    char *sh[] = {"./sh", NULL};
    aft_env *e = aft_env_start(sh, "/bin", 1000, &err);
    assert_non_null(e);
    aft_env_free(e);
    assert_null(aft_env_start(sh, "/nonexistent-dir", 1000, &err));
    assert_non_null(strstr(err.msg, "in /nonexistent-dir"));
    assert_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_answers), cmocka_unit_test(test_multi_step),
        cmocka_unit_test(test_crash),        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_garbage),      cmocka_unit_test(test_closed_output),
        cmocka_unit_test(test_cannot_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
