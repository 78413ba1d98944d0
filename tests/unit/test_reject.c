/* Unit tests for the reject rule: scores, the fallback, the calibrated
 * threshold, and the rule and its cross-key checks from a config. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "agentft/config.h"
#include "agentft/reject.h"

/* logits (0, ln 3) give probabilities 0.25 and 0.75 and energy ln 4. */
static const float two[2] = {0.0f, 1.0986123f};

static void test_scores(void **state)
{
    (void)state;
    assert_float_equal(aft_reject_score_of(two, 2, AFT_REJECT_PROBABILITY), 0.75, 1e-6);
    assert_float_equal(aft_reject_score_of(two, 2, AFT_REJECT_ENERGY), log(4.0), 1e-6);
    /* large logits: log-sum-exp without overflow */
    const float big[3] = {1000.0f, 1000.0f, 1000.0f};
    assert_float_equal(aft_reject_score_of(big, 3, AFT_REJECT_ENERGY), 1000 + log(3.0), 1e-3);
    assert_string_equal(aft_reject_score_name(AFT_REJECT_ENERGY), "energy");
    assert_string_equal(aft_reject_score_name(AFT_REJECT_PROBABILITY), "probability");
}

static void test_predict(void **state)
{
    (void)state;
    float p = 0;
    double s = 0;
    aft_reject_rule never = {.action = -1, .below = 0.9};
    assert_int_equal(aft_reject_predict(&never, two, 2, &p, NULL), 1);
    assert_float_equal(p, 0.75, 1e-5);
    aft_reject_rule r = {.action = 0, .below = 0.8};
    assert_int_equal(aft_reject_predict(&r, two, 2, &p, &s), 0);
    assert_float_equal(p, 0.75, 1e-5); /* the top probability, not the fallback's */
    assert_float_equal(s, 0.75, 1e-5);
    r.below = 0.7;
    assert_int_equal(aft_reject_predict(&r, two, 2, NULL, NULL), 1);
    r.below = 0.75f; /* not under: kept */
    assert_int_equal(aft_reject_predict(&r, two, 2, NULL, NULL), 1);
    /* energy ln 4 = 1.386 */
    aft_reject_rule e = {.action = 0, .score = AFT_REJECT_ENERGY, .below = 1.5, .keep = 0.9,
                         .calibrated = 1};
    assert_int_equal(aft_reject_predict(&e, two, 2, NULL, &s), 0);
    assert_float_equal(s, log(4.0), 1e-6);
    e.below = 1.3;
    assert_int_equal(aft_reject_predict(&e, two, 2, NULL, NULL), 1);
    /* a rule waiting for its calibration never falls back */
    e.below = 1.5;
    e.calibrated = 0;
    assert_false(aft_reject_active(&e));
    assert_int_equal(aft_reject_predict(&e, two, 2, NULL, NULL), 1);
}

static void test_calibrate(void **state)
{
    (void)state;
    /* 20 scores 1..20 shuffled: keep 0.9 falls back on the lowest 2, so the
     * threshold is the third lowest, 3 */
    double s[20];
    for (int i = 0; i < 20; i++)
        s[i] = (double)((i * 7) % 20 + 1);
    assert_float_equal(aft_reject_calibrate(s, 20, 0.9), 3.0, 0);
    double t[20];
    for (int i = 0; i < 20; i++)
        t[i] = (double)(20 - i);
    assert_float_equal(aft_reject_calibrate(t, 20, 0.95), 2.0, 0); /* 20 * 0.05 = 1 dropped */
    for (int i = 0; i < 20; i++)
        t[i] = (double)(20 - i);
    assert_float_equal(aft_reject_calibrate(t, 20, 1.0), 1.0, 0);  /* none under it */
    for (int i = 0; i < 20; i++)
        t[i] = (double)(20 - i);
    assert_float_equal(aft_reject_calibrate(t, 20, 0.96), 1.0, 0); /* 0.8 rounds down */
    double one[1] = {5.0};
    assert_float_equal(aft_reject_calibrate(one, 1, 0.01), 5.0, 0); /* never all */
    assert_true(isnan(aft_reject_calibrate(one, 0, 0.9)));
}

static aft_config *config_with(const char *const *sets, size_t n)
{
    aft_config *cfg = aft_config_new();
    aft_error err = {0};
    assert_int_equal(aft_config_set_arg(cfg, "dataset.train=t.jsonl", &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(aft_config_set_arg(cfg, sets[i], &err), 0);
    return cfg;
}

static void test_from_config(void **state)
{
    (void)state;
    char *names[3] = {"alpha", "out_of_scope", "zeta"};
    aft_action_set actions = {names, 3};
    aft_error err = {0};
    aft_reject_rule r;

    aft_config *cfg = config_with(NULL, 0);
    assert_int_equal(aft_reject_rule_from_config(cfg, &actions, NAN, &r, &err), 0);
    assert_int_equal(r.action, -1);
    assert_false(aft_reject_active(&r));
    aft_config_free(cfg);

    const char *fixed[] = {"eval.reject_action=out_of_scope", "eval.reject_below=0.4"};
    cfg = config_with(fixed, 2);
    assert_int_equal(aft_config_validate(cfg, &err), 0);
    assert_int_equal(aft_reject_rule_from_config(cfg, &actions, 7.0, &r, &err), 0);
    assert_int_equal(r.action, 1);
    assert_int_equal(r.score, AFT_REJECT_PROBABILITY);
    assert_float_equal(r.below, 0.4, 1e-9); /* the saved threshold is not for this rule */
    assert_true(aft_reject_active(&r));
    aft_config_free(cfg);

    const char *calib[] = {"eval.reject_action=out_of_scope", "eval.reject_score=energy",
                           "eval.reject_keep=0.95"};
    cfg = config_with(calib, 3);
    assert_int_equal(aft_config_validate(cfg, &err), 0);
    assert_int_equal(aft_reject_rule_from_config(cfg, &actions, 7.5, &r, &err), 0);
    assert_int_equal(r.score, AFT_REJECT_ENERGY);
    assert_float_equal(r.keep, 0.95, 1e-9);
    assert_float_equal(r.below, 7.5, 0);
    assert_true(r.calibrated);
    assert_int_equal(aft_reject_rule_from_config(cfg, &actions, NAN, &r, &err), 0);
    assert_false(r.calibrated);
    assert_false(aft_reject_active(&r));
    aft_config_free(cfg);

    const char *unknown[] = {"eval.reject_action=nope"};
    cfg = config_with(unknown, 1);
    assert_int_equal(aft_reject_rule_from_config(cfg, &actions, NAN, &r, &err), -1);
    assert_string_equal(err.msg, "eval.reject_action = nope: the model has no such action");
    aft_config_free(cfg);
}

static void expect_invalid(const char *const *sets, size_t n, const char *want)
{
    aft_config *cfg = config_with(sets, n);
    aft_error err = {0};
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    aft_config_free(cfg);
}

static void test_cross_checks(void **state)
{
    (void)state;
    const char *energy[] = {"eval.reject_action=out_of_scope", "eval.reject_score=energy"};
    expect_invalid(energy, 2, "reject_score = energy (--set) needs eval.reject_keep");
    const char *both[] = {"eval.reject_action=x", "eval.reject_keep=0.9",
                          "eval.reject_below=0.5"};
    expect_invalid(both, 3, "reject_keep = 0.9 (--set) and reject_below = 0.5 (--set) are both "
                            "set");
    const char *no_action[] = {"eval.reject_keep=0.9"};
    expect_invalid(no_action, 1, "reject_keep = 0.9 (--set) has no effect without "
                                 "eval.reject_action");
    const char *range[] = {"eval.reject_keep=1.5"};
    aft_config *cfg = aft_config_new();
    aft_error err = {0};
    assert_int_equal(aft_config_set_arg(cfg, range[0], &err), -1);
    assert_non_null(strstr(err.msg, "reject_keep"));
    aft_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_predict),
        cmocka_unit_test(test_calibrate),
        cmocka_unit_test(test_from_config),
        cmocka_unit_test(test_cross_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
