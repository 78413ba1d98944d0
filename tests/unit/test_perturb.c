/* Unit tests of the robustness perturbations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agentft/perturb.h"
#include "agentft/utf8.h"

static const char *const texts[] = {
    "Please book me a flight from Boston to Denver next Friday, window seat!",
    "用户查询航班信息：下周三北京到上海，预算800元",
    "mixed 中文 and English, with émojis 😀 too",
    "one",
    "",
};

static void test_rate_zero_is_identity(void **state)
{
    (void)state;
    aft_rng rng;
    aft_rng_seed(&rng, 1);
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (int k = 0; k < AFT_PERTURB_COUNT; k++) {
            char *out = aft_perturb(texts[t], (aft_perturb_kind)k, 0.0, &rng);
            assert_string_equal(out, texts[t]);
            free(out);
        }
    }
}

static void test_valid_utf8_and_deterministic(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (int k = 0; k < AFT_PERTURB_COUNT; k++) {
            for (int rep = 0; rep < 50; rep++) {
                aft_rng a, b;
                aft_rng_seed(&a, (uint64_t)rep);
                aft_rng_seed(&b, (uint64_t)rep);
                char *x = aft_perturb(texts[t], (aft_perturb_kind)k, 0.3, &a);
                char *y = aft_perturb(texts[t], (aft_perturb_kind)k, 0.3, &b);
                assert_string_equal(x, y);
                assert_true(aft_utf8_valid(x, strlen(x), NULL));
                free(x);
                free(y);
            }
        }
    }
}

static size_t words(const char *s)
{
    return aft_utf8_word_count(s, strlen(s));
}

static void test_each_kind_changes_what_it_says(void **state)
{
    (void)state;
    aft_rng rng;
    aft_rng_seed(&rng, 9);
    const char *t = texts[0];
    char *drop = aft_perturb(t, AFT_PERTURB_WORD_DROP, 0.5, &rng);
    assert_true(words(drop) < words(t) && words(drop) >= 1);
    char *all = aft_perturb(t, AFT_PERTURB_WORD_DROP, 1.0, &rng);
    assert_int_equal(words(all), 1); /* at least one word is kept */
    char *swap = aft_perturb(t, AFT_PERTURB_WORD_SWAP, 1.0, &rng);
    assert_int_equal(words(swap), words(t));
    assert_string_not_equal(swap, t);
    assert_int_equal(strlen(swap), strlen(t));
    char *cased = aft_perturb(t, AFT_PERTURB_CASE, 1.0, &rng);
    assert_int_equal(strcasecmp(cased, t), 0);
    assert_string_not_equal(cased, t);
    char *typo = aft_perturb(t, AFT_PERTURB_TYPO, 0.2, &rng);
    assert_string_not_equal(typo, t);
    char *zh = aft_perturb(texts[1], AFT_PERTURB_WORD_DROP, 0.5, &rng);
    assert_true(words(zh) < words(texts[1]));
    const char *names[] = {"typo", "word_drop", "word_swap", "case", "punct"};
    for (int k = 0; k < AFT_PERTURB_COUNT; k++)
        assert_string_equal(aft_perturb_name((aft_perturb_kind)k), names[k]);
    free(drop);
    free(all);
    free(swap);
    free(cased);
    free(typo);
    free(zh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_zero_is_identity),
        cmocka_unit_test(test_valid_utf8_and_deterministic),
        cmocka_unit_test(test_each_kind_changes_what_it_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
