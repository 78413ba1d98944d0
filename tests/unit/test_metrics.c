/* Unit tests of the classification metrics against hand-computed cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "agentft/metrics.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void fill(aft_confusion *c, size_t n, const int32_t *gold, const int32_t *pred, size_t count)
{
    aft_error err = {0};
    assert_int_equal(aft_confusion_init(c, n, &err), 0);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(aft_confusion_add(c, gold[i], pred[i], &err), 0);
}

static void test_hand_computed(void **state)
{
    (void)state;
    /* gold: A A A B B C ; pred: A A B B C C */
    int32_t gold[] = {0, 0, 0, 1, 1, 2}, pred[] = {0, 0, 1, 1, 2, 2};
    aft_confusion c;
    fill(&c, 3, gold, pred, 6);
    aft_class_metrics m[3];
    aft_metrics_summary s;
    aft_metrics_compute(&c, m, &s);
    NEAR(s.accuracy, 4.0 / 6.0);
    /* A: P 2/2, R 2/3, F1 0.8; B: P 1/2, R 1/2, F1 0.5; C: P 1/2, R 1/1, F1 2/3 */
    NEAR(m[0].precision, 1.0);
    NEAR(m[0].recall, 2.0 / 3.0);
    NEAR(m[0].f1, 0.8);
    NEAR(m[1].f1, 0.5);
    NEAR(m[2].f1, 2.0 / 3.0);
    assert_int_equal(m[0].support, 3);
    assert_int_equal(m[2].predicted, 2);
    NEAR(s.macro_f1, (0.8 + 0.5 + 2.0 / 3.0) / 3.0);
    NEAR(s.weighted_f1, (0.8 * 3 + 0.5 * 2 + 2.0 / 3.0 * 1) / 6.0);
    assert_int_equal(aft_confusion_at(&c, 1, 2), 1);
    aft_confusion_free(&c);
}

static void test_empty_and_never_predicted(void **state)
{
    (void)state;
    /* Class 1 is never predicted; class 3 has no examples and no predictions. */
    int32_t gold[] = {0, 1, 1, 2}, pred[] = {0, 0, 2, 2};
    aft_confusion c;
    fill(&c, 4, gold, pred, 4);
    aft_class_metrics m[4];
    aft_metrics_summary s;
    aft_metrics_compute(&c, m, &s);
    NEAR(m[1].precision, 0.0);
    NEAR(m[1].recall, 0.0);
    NEAR(m[1].f1, 0.0);
    assert_int_equal(m[3].support, 0);
    assert_int_equal(s.classes_seen, 3);
    /* class 0: P 1/2 R 1 F1 2/3; class 2: P 1/2 R 1 F1 2/3 */
    NEAR(s.macro_f1, (2.0 / 3.0 + 0 + 2.0 / 3.0) / 3.0);
    NEAR(s.accuracy, 0.5);
    aft_confusion_free(&c);

    /* No examples at all: zeros, not NaN. */
    aft_error err = {0};
    assert_int_equal(aft_confusion_init(&c, 2, &err), 0);
    aft_metrics_compute(&c, m, &s);
    NEAR(s.accuracy, 0.0);
    NEAR(s.macro_f1, 0.0);
    aft_confusion_free(&c);
}

static void test_single_class(void **state)
{
    (void)state;
    int32_t gold[] = {0, 0, 0}, pred[] = {0, 0, 0};
    aft_confusion c;
    fill(&c, 1, gold, pred, 3);
    aft_class_metrics m[1];
    aft_metrics_summary s;
    aft_metrics_compute(&c, m, &s);
    NEAR(s.accuracy, 1.0);
    NEAR(s.macro_f1, 1.0);
    NEAR(s.weighted_f1, 1.0);
    aft_confusion_free(&c);
}

static void test_bad_ids(void **state)
{
    (void)state;
    aft_confusion c;
    aft_error err = {0};
    assert_int_equal(aft_confusion_init(&c, 3, &err), 0);
    assert_int_equal(aft_confusion_add(&c, 3, 0, &err), -1);
    assert_non_null(strstr(err.msg, "gold action id 3 is outside 0..2"));
    assert_int_equal(aft_confusion_add(&c, 0, -1, &err), -1);
    assert_non_null(strstr(err.msg, "predicted action id -1"));
    assert_int_equal(c.total, 0);
    aft_confusion_free(&c);
    assert_int_equal(aft_confusion_init(&c, 0, &err), -1);
}

static void test_argmax(void **state)
{
    (void)state;
    float logits[] = {0.0f, 2.0f, 2.0f, -1.0f};
    float p;
    assert_int_equal(aft_argmax_prob(logits, 4, &p), 1);
    double want = 1.0 / (exp(-2.0) + 1.0 + 1.0 + exp(-3.0));
    assert_true(fabs(p - want) < 1e-6);
}

static void test_calibration(void **state)
{
    (void)state;
    /* Two bins: [0, .5) holds 0.2 (wrong) and 0.4 (right); [.5, 1] holds
     * 0.9 (right) and 1.0 (right). ECE = 2/4*|0.5-0.3| + 2/4*|1-0.95|. */
    float conf[] = {0.2f, 0.4f, 0.9f, 1.0f};
    uint8_t ok[] = {0, 1, 1, 1};
    aft_reliability_bin bins[2];
    double ece = aft_calibration(conf, ok, 4, bins, 2);
    assert_true(fabs(ece - (0.5 * 0.2 + 0.5 * 0.05)) < 1e-6);
    assert_int_equal(bins[0].count, 2);
    assert_true(fabs(bins[0].confidence - 0.3) < 1e-6);
    assert_true(fabs(bins[1].accuracy - 1.0) < 1e-12);
    assert_true(aft_calibration(conf, ok, 0, bins, 2) == 0.0);
}

static void test_mcnemar(void **state)
{
    (void)state;
    NEAR(aft_mcnemar_p(0, 0), 1.0);
    /* b=1, c=9: 2 * P(X<=1), X~Bin(10,.5) = 2 * 11/1024 */
    assert_true(fabs(aft_mcnemar_p(1, 9) - 22.0 / 1024.0) < 1e-12);
    assert_true(fabs(aft_mcnemar_p(9, 1) - 22.0 / 1024.0) < 1e-12);
    NEAR(aft_mcnemar_p(5, 5), 1.0);
    double p = aft_mcnemar_p(400, 600);
    assert_true(p > 0 && p < 1e-9);
}

static void test_bootstrap(void **state)
{
    (void)state;
    enum { N = 400 };
    uint8_t a[N], b[N];
    for (int i = 0; i < N; i++) {
        a[i] = i % 10 < 8;  /* 80% */
        b[i] = i % 10 < 7;  /* 70%, and right only where A is right */
    }
    double lo, hi, lo2, hi2;
    aft_error err = {0};
    assert_int_equal(aft_bootstrap_diff(a, b, N, 2000, 3, 0.95, &lo, &hi, &err), 0);
    assert_true(lo > 0.06 && lo < 0.1);
    assert_true(hi > 0.1 && hi < 0.14);
    assert_int_equal(aft_bootstrap_diff(a, b, N, 2000, 3, 0.95, &lo2, &hi2, &err), 0);
    assert_true(lo == lo2 && hi == hi2);
    assert_int_equal(aft_bootstrap_diff(a, b, 0, 10, 3, 0.95, &lo, &hi, &err), -1);
    assert_int_equal(aft_bootstrap_diff(a, b, N, 10, 3, 1.5, &lo, &hi, &err), -1);
    assert_non_null(strstr(err.msg, "level"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_empty_and_never_predicted),
        cmocka_unit_test(test_single_class),
        cmocka_unit_test(test_bad_ids),
        cmocka_unit_test(test_argmax),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_mcnemar),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
