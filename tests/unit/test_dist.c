/* Unit tests of the MPI job wrapper (src/train/dist.c) outside mpirun: a job
 * of one whose collectives leave the data as it was, and, in a build without
 * MPI, a clear refusal when a launcher starts several ranks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agentft/dist.h"

static void no_launcher(void)
{
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
    unsetenv("PMIX_RANK");
}

static void check_job_of_one(aft_dist *d)
{
    aft_error err = {0};
    assert_int_equal(aft_dist_rank(d), 0);
    assert_int_equal(aft_dist_size(d), 1);
    float f[3] = {1.5f, -2.0f, 3.25f};
    double g[2] = {0.5, 7.0};
    uint64_t u[2] = {3, 9}, all[1] = {0};
    char msg[8] = "abcdefg";
    assert_int_equal(aft_dist_sum_f32(d, f, 3, &err), 0);
    assert_int_equal(aft_dist_sum_f64(d, g, 2, &err), 0);
    assert_int_equal(aft_dist_sum_u64(d, u, 2, &err), 0);
    assert_int_equal(aft_dist_gather_u64(d, 42, all, &err), 0);
    assert_int_equal(aft_dist_bcast(d, msg, sizeof msg, &err), 0);
    assert_int_equal(aft_dist_bcast_idle(d, msg, sizeof msg, &err), 0);
    assert_true(f[0] == 1.5f && f[1] == -2.0f && f[2] == 3.25f);
    assert_true(g[0] == 0.5 && g[1] == 7.0);
    assert_true(u[0] == 3 && u[1] == 9);
    assert_true(all[0] == 42);
    assert_string_equal(msg, "abcdefg");
    assert_true(aft_dist_sum_seconds(d) == 0.0);
    aft_dist_abort(d, 1); /* returns in a job of one */
}

static void test_null_is_one_process(void **state)
{
    (void)state;
    check_job_of_one(NULL);
    aft_dist_close(NULL);
}

static void test_open_without_launcher(void **state)
{
    (void)state;
    no_launcher();
    aft_error err = {0};
    aft_dist *d = aft_dist_open(&err);
    assert_non_null(d);
    check_job_of_one(d);
    aft_dist_close(d);
}

/* Only a build without MPI: with MPI these variables would start it. */
static void test_launcher_without_mpi(void **state)
{
    (void)state;
    if (aft_dist_built_with_mpi())
        skip();
    aft_error err = {0};
    no_launcher();
    setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
    aft_dist *d = aft_dist_open(&err);
    assert_non_null(d);
    assert_int_equal(aft_dist_size(d), 1);
    aft_dist_close(d);
    setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
    assert_null(aft_dist_open(&err));
    assert_non_null(strstr(err.msg, "built without MPI"));
    assert_non_null(strstr(err.msg, "--with-mpi"));
    no_launcher();
    setenv("PMIX_RANK", "1", 1);
    assert_null(aft_dist_open(&err));
    no_launcher();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_is_one_process),
        cmocka_unit_test(test_open_without_launcher),
        cmocka_unit_test(test_launcher_without_mpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
