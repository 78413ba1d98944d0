/* Unit tests of trainer_state.json: exact round trip, every damaged form an error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"
#include "agentft/trainer_state.h"
#include "testutil.h"

static char tmpdir[4096];

static int setup(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "trainer_state");
}

static int teardown(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

static aft_trainer_state sample(void)
{
    aft_trainer_state s = {.step = 123456789012ull, .epoch = 3, .epoch_pos = 77,
                           .best_metric = 0.8125, .best_step = 1200, .evals_since_best = 2};
    aft_rng_seed(&s.model_rng, 1);
    aft_rng_seed(&s.data_rng, 2);
    aft_rng_u64(&s.data_rng);
    return s;
}

static void test_round_trip(void **state)
{
    (void)state;
    aft_trainer_state s = sample();
    s.extra_json = strdup("{\"events\":[{\"step\":5,\"key\":\"lr\"}]}");
    aft_error err = {0};
    assert_int_equal(aft_trainer_state_save(tmpdir, &s, &err), 0);
    aft_trainer_state r;
    assert_int_equal(aft_trainer_state_load(tmpdir, &r, &err), 0);
    assert_true(r.step == s.step && r.epoch == 3 && r.epoch_pos == 77);
    assert_memory_equal(&r.model_rng, &s.model_rng, sizeof s.model_rng);
    assert_memory_equal(&r.data_rng, &s.data_rng, sizeof s.data_rng);
    assert_true(r.best_metric == 0.8125 && r.best_step == 1200 && r.evals_since_best == 2);
    assert_string_equal(r.extra_json, "{\"events\":[{\"step\":5,\"key\":\"lr\"}]}");
    aft_trainer_state_free(&r);
    aft_trainer_state_free(&s);

    /* No best value yet survives as NaN; no extra stays NULL. */
    s = sample();
    s.best_metric = NAN;
    assert_int_equal(aft_trainer_state_save(tmpdir, &s, &err), 0);
    assert_int_equal(aft_trainer_state_load(tmpdir, &r, &err), 0);
    assert_true(isnan(r.best_metric));
    assert_null(r.extra_json);
}

/* Writes the saved file with `from` replaced by `to`, then expects an error mentioning `needle`. */
static void damaged(const char *from, const char *to, const char *needle)
{
    aft_trainer_state s = sample();
    aft_error err = {0};
    assert_int_equal(aft_trainer_state_save(tmpdir, &s, &err), 0);
    char path[4200], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/trainer_state.json", tmpdir);
    assert_int_equal(aft_read_file(path, &text, &len, &err), 0);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t head = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
    char *out = malloc(len - fl + tl + 1);
    memcpy(out, text, head);
    memcpy(out + head, to, tl);
    memcpy(out + head + tl, at + fl, len - head - fl + 1);
    assert_int_equal(aft_write_file_atomic(path, out, strlen(out), &err), 0);
    aft_trainer_state r;
    assert_int_equal(aft_trainer_state_load(tmpdir, &r, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("expected '%s' in: %s", needle, err.msg);
    free(text);
    free(out);
}

static void test_damaged_files(void **state)
{
    (void)state;
    damaged("\"step\":", "\"stop\":", "\"step\" must be a whole number");
    damaged("\"epoch\":\t3", "\"epoch\":\t-3", "\"epoch\" must be a whole number");
    damaged("\"epoch_pos\":\t77", "\"epoch_pos\":\t7.5", "\"epoch_pos\"");
    damaged("\"version\":\t1", "\"version\":\t9", "version 9");
    damaged("\"model_rng\":\t[\"", "\"model_rng\":\t[\"zz", "\"model_rng\"[0] must be 16 hex digits");
    damaged("{", "[", "not");
    damaged("}", "", "not valid JSON");
    aft_trainer_state r;
    aft_error err = {0};
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nowhere", tmpdir);
    assert_int_equal(aft_trainer_state_load(missing, &r, &err), -1);
    assert_non_null(strstr(err.msg, "No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
