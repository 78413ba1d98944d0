/* Unit tests of the OpenBLAS set-up: the core decision as a pure function,
 * the sgemm self-test, and the restart with a switched core (run on this
 * binary itself, with the pretend-core test hook). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentft/blas.h"

char *openblas_get_config(void);

static const aft_cpu_features cpu_sse = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1};
static const aft_cpu_features cpu_avx = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1, .os_avx = 1};
static const aft_cpu_features cpu_avx2 = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1,
                                          .avx2 = 1, .fma = 1, .os_avx = 1};
static const aft_cpu_features cpu_avx512 = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1,
                                            .avx2 = 1, .fma = 1, .avx512f = 1, .avx512dq = 1,
                                            .avx512bw = 1, .avx512vl = 1, .os_avx = 1,
                                            .os_avx512 = 1};

/* decide() with the chosen core returned through *core. */
static int decide(const char *detected, const aft_cpu_features *cpu, const char *agentft_core,
                  const char *coretype, char *core)
{
    aft_error err = {0};
    int rc = aft_blas_decide(detected, cpu, agentft_core, coretype, core, 32, &err);
    if (rc < 0)
        snprintf(core, 32, "error");
    return rc;
}

static void test_best_core(void **state)
{
    (void)state;
    assert_null(aft_blas_best_core(&cpu_sse));
    assert_string_equal(aft_blas_best_core(&cpu_avx), "Sandybridge");
    assert_string_equal(aft_blas_best_core(&cpu_avx2), "Haswell");
    assert_string_equal(aft_blas_best_core(&cpu_avx512), "SkylakeX");
    /* AVX-512 in the CPU but the OS does not save ZMM state: AVX2 kernels. */
    aft_cpu_features f = cpu_avx512;
    f.os_avx512 = 0;
    assert_string_equal(aft_blas_best_core(&f), "Haswell");
    f.os_avx = 0;
    assert_null(aft_blas_best_core(&f));
    /* AVX2 without FMA (some VMs hide it) is not enough for Haswell kernels. */
    f = cpu_avx2;
    f.fma = 0;
    assert_string_equal(aft_blas_best_core(&f), "Sandybridge");
}

static void test_decide_auto(void **state)
{
    (void)state;
    char core[32];
    assert_int_equal(decide("Prescott", &cpu_avx512, NULL, NULL, core), AFT_BLAS_AUTO);
    assert_string_equal(core, "SkylakeX");
    assert_int_equal(decide("Core2", &cpu_avx2, "auto", NULL, core), AFT_BLAS_AUTO);
    assert_string_equal(core, "Haswell");
    assert_int_equal(decide("katmai", &cpu_avx, "", NULL, core), AFT_BLAS_AUTO);
    assert_string_equal(core, "Sandybridge");
    assert_int_equal(decide("Sandybridge", &cpu_avx512, NULL, NULL, core), AFT_BLAS_AUTO);
    assert_string_equal(core, "SkylakeX");
    /* Nothing better to switch to, or already an AVX2-class choice. */
    assert_int_equal(decide("Prescott", &cpu_sse, NULL, NULL, core), AFT_BLAS_KEEP);
    assert_string_equal(core, "");
    assert_int_equal(decide("Sandybridge", &cpu_avx, NULL, NULL, core), AFT_BLAS_KEEP);
    assert_int_equal(decide("SkylakeX", &cpu_avx512, NULL, NULL, core), AFT_BLAS_KEEP);
    assert_int_equal(decide("Haswell", &cpu_avx512, NULL, NULL, core), AFT_BLAS_KEEP);
    assert_int_equal(decide("Zen", &cpu_avx512, NULL, NULL, core), AFT_BLAS_KEEP);
    /* Cores we do not know (other architectures) are left alone. */
    assert_int_equal(decide("NEOVERSEN1", &cpu_avx512, NULL, NULL, core), AFT_BLAS_KEEP);
    assert_int_equal(decide(NULL, &cpu_avx512, NULL, NULL, core), AFT_BLAS_KEEP);
}

static void test_decide_user(void **state)
{
    (void)state;
    char core[32];
    /* The user's OPENBLAS_CORETYPE stands unless AGENTFT_BLAS_CORE names a core. */
    assert_int_equal(decide("Prescott", &cpu_avx512, NULL, "Prescott", core), AFT_BLAS_KEEP);
    assert_int_equal(decide("Prescott", &cpu_avx512, "auto", "Prescott", core), AFT_BLAS_KEEP);
    assert_int_equal(decide("Prescott", &cpu_avx512, "off", NULL, core), AFT_BLAS_KEEP);
    assert_int_equal(decide("Prescott", &cpu_avx512, "OFF", NULL, core), AFT_BLAS_KEEP);
    assert_int_equal(decide("SkylakeX", &cpu_avx512, "haswell", NULL, core), AFT_BLAS_USER);
    assert_string_equal(core, "Haswell");
    assert_int_equal(decide("SkylakeX", &cpu_avx512, "prescott", "SkylakeX", core), AFT_BLAS_USER);
    assert_string_equal(core, "Prescott");
    assert_int_equal(decide("SkylakeX", &cpu_avx512, "skylakex", NULL, core), AFT_BLAS_KEEP);
}

static void test_decide_errors(void **state)
{
    (void)state;
    char core[32];
    aft_error err = {0};
    assert_int_equal(aft_blas_decide("Prescott", &cpu_avx2, "SkylakeX", NULL, core, sizeof core, &err), -1);
    assert_non_null(strstr(err.msg, "AGENTFT_BLAS_CORE=SkylakeX needs instructions"));
    assert_int_equal(aft_blas_decide("Prescott", &cpu_avx2, "Pentium9", NULL, core, sizeof core, &err), -1);
    assert_non_null(strstr(err.msg, "AGENTFT_BLAS_CORE=Pentium9 is not an OpenBLAS core"));
    assert_string_equal(core, "");
}

static void test_selftest_and_threads(void **state)
{
    (void)state;
    aft_error err = {0};
    assert_int_equal(aft_blas_selftest(&err), 0);
    assert_int_equal(aft_blas_set_threads(1), 1);
    assert_int_equal(aft_blas_get_threads(), 1);
    assert_true(aft_blas_set_threads(0) >= 1);
    char buf[512];
    const char *d = aft_blas_describe(buf, sizeof buf);
    assert_ptr_equal(d, buf);
    assert_non_null(strstr(buf, "OpenBLAS"));
    assert_non_null(strstr(buf, ", core "));
    assert_non_null(strstr(buf, "thread"));
}

/* Runs this binary as "--prepare-child" with a clean BLAS environment plus
 * the given variables; returns what it printed (its describe line). */
static void run_child(const char *pretend, const char *fail_selftest, char *out, size_t n)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        const char *clear[] = {"OPENBLAS_CORETYPE", "AGENTFT_BLAS_CORE", "AGENTFT_BLAS_REEXEC",
                               "AGENTFT_BLAS_DETECTED", "AGENTFT_BLAS_REASON",
                               "AGENTFT_BLAS_NOTE", "AGENTFT_BLAS_TEST_FAIL_SELFTEST"};
        for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++)
            unsetenv(clear[i]);
        setenv("AGENTFT_BLAS_TEST_PRETEND_CORE", pretend, 1);
        if (fail_selftest)
            setenv("AGENTFT_BLAS_TEST_FAIL_SELFTEST", fail_selftest, 1);
        /* Survives exec: a restart loop is killed instead of hanging the suite. */
        alarm(60);
        char *args[] = {(char *)"test_blas", (char *)"--prepare-child", NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t r;
    while (len + 1 < n && (r = read(fd[0], out + len, n - 1 - len)) > 0)
        len += (size_t)r;
    out[len] = '\0';
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static int child_main(int argc, char **argv)
{
    aft_error err = {0};
    int rc = aft_blas_prepare(argc, argv, &err);
    char buf[512];
    printf("%s\nprepare %d %s\n", aft_blas_describe(buf, sizeof buf), rc, err.msg);
    return 0;
}

static void test_restart(void **state)
{
    (void)state;
    aft_cpu_features cpu;
    aft_cpu_detect(&cpu);
    const char *best = aft_blas_best_core(&cpu);
    int dynamic = strstr(openblas_get_config(), "DYNAMIC_ARCH") != NULL;
    char out[2048], want[128];
    run_child("Prescott", NULL, out, sizeof out);
    if (!best) {
        assert_non_null(strstr(out, "(detected by OpenBLAS)"));
        return;
    }
    assert_non_null(strstr(out, "(auto-selected; OpenBLAS detected Prescott)"));
    assert_non_null(strstr(out, "prepare 0"));
    snprintf(want, sizeof want, "core %s (", best);
    if (dynamic)
        assert_non_null(strstr(out, want));

    /* A switched core that fails the self-test goes back to OpenBLAS's choice. */
    run_child("Prescott", "1", out, sizeof out);
    assert_non_null(strstr(out, "OpenBLAS's own choice; self-test failed with core"));
    assert_non_null(strstr(out, "prepare 0"));
    if (dynamic)
        assert_non_null(strstr(out, "core Prescott ("));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--prepare-child") == 0)
        return child_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_core),
        cmocka_unit_test(test_decide_auto),
        cmocka_unit_test(test_decide_user),
        cmocka_unit_test(test_decide_errors),
        cmocka_unit_test(test_selftest_and_threads),
        cmocka_unit_test(test_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
