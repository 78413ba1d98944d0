/* Unit tests of data stats and the stratified split. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "agentft/stats.h"

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "stats");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* Writes n records over `actions` actions: action a gets a share growing with a,
 * complexity cycles 1..3, contexts of i % 20 + 1 words. */
static void write_dataset(const char *path, size_t n, int actions, int with_complexity)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        int a = (int)(i % (size_t)(actions * (actions + 1) / 2));
        int act = 0;
        while (a > act) {
            a -= act + 1;
            act++;
        }
        fprintf(f, "{\"id\":\"r%zu\",\"context\":\"", i);
        for (size_t w = 0; w <= i % 20; w++)
            fprintf(f, "%sw%zu", w ? " " : "", w);
        fprintf(f, "\",\"agent_action\":\"act%d\"", act);
        if (with_complexity)
            fprintf(f, ",\"complexity\":%zu", i % 3 + 1);
        fprintf(f, "}\n");
    }
    fclose(f);
}

static aft_dataset *open_ok(const char *path)
{
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_error err = {0};
    aft_load_opts opts = {0};
    aft_dataset *ds = aft_dataset_open(path, &opts, &diags, &err);
    assert_non_null(ds);
    assert_int_equal(diags.errors, 0);
    aft_diag_list_free(&diags);
    return ds;
}

static void test_stats_counts(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/s.jsonl", tmpdir);
    write_dataset(path, 600, 3, 1);
    aft_dataset *ds = open_ok(path);
    aft_data_stats st;
    aft_data_stats_init(&st);
    aft_error err = {0};
    assert_int_equal(aft_data_stats_add(&st, ds, AFT_SPLIT_TRAIN, &err), 0);
    aft_data_stats_finish(&st);
    assert_int_equal(st.records, 600);
    assert_int_equal(st.n_actions, 3);
    /* Shares 1:2:3 of 600, most frequent first. */
    assert_string_equal(st.actions[0].action, "act2");
    assert_int_equal(st.actions[0].count, 300);
    assert_int_equal(st.actions[1].count, 200);
    assert_int_equal(st.actions[2].count, 100);
    assert_int_equal(st.by_split[AFT_SPLIT_TRAIN], 600);
    assert_int_equal(st.by_complexity[1], 200);
    assert_int_equal(st.by_complexity[2], 200);
    assert_int_equal(st.by_complexity[3], 200);
    assert_int_equal(st.complexity_computed, 0);
    assert_int_equal(st.words_min, 1);
    assert_int_equal(st.words_max, 20);
    assert_int_equal(st.words_p50, 10);
    assert_int_equal(st.words_p95, 19);
    assert_true(st.words_mean > 10.49 && st.words_mean < 10.51);
    /* Buckets 1-4, 5-8, 9-16, 17-32: 30 records of each word count 1..20. */
    assert_int_equal(st.len_hist[0], 120);
    assert_int_equal(st.len_hist[1], 120);
    assert_int_equal(st.len_hist[2], 240);
    assert_int_equal(st.len_hist[3], 120);
    assert_int_equal(aft_len_bucket_min(3), 17);
    aft_data_stats_free(&st);
    aft_dataset_free(ds);
}

static void test_stats_computed_complexity(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/c.jsonl", tmpdir);
    write_dataset(path, 60, 2, 0);
    aft_dataset *ds = open_ok(path);
    aft_data_stats st;
    aft_data_stats_init(&st);
    aft_error err = {0};
    assert_int_equal(aft_data_stats_add(&st, ds, AFT_SPLIT_NONE, &err), 0);
    aft_data_stats_finish(&st);
    assert_int_equal(st.complexity_computed, 60);
    /* Contexts of 1..20 words: <= 12 words is level 1, the rest level 2. */
    assert_int_equal(st.by_complexity[1], 36);
    assert_int_equal(st.by_complexity[2], 24);
    assert_int_equal(st.by_split[AFT_SPLIT_NONE], 60);
    aft_data_stats_free(&st);
    aft_dataset_free(ds);
}

static void count_splits(const aft_dataset *ds, size_t counts[4])
{
    memset(counts, 0, 4 * sizeof counts[0]);
    for (size_t i = 0; i < aft_dataset_count(ds); i++)
        counts[aft_dataset_split(ds, i)]++;
}

static void test_split_stratified(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/split.jsonl", tmpdir);
    write_dataset(path, 1200, 4, 1);
    aft_dataset *ds = open_ok(path);
    aft_split_opts o = {.valid = 0.1, .test = 0.2, .seed = 7};
    aft_split_result res;
    aft_error err = {0};
    assert_int_equal(aft_dataset_assign_split(ds, &o, &res, &err), 0);
    assert_int_equal(res.train + res.valid + res.test, 1200);
    assert_int_equal(res.test, 240);
    assert_int_equal(res.valid, 120);
    assert_int_equal(res.strata, 12);
    size_t counts[4];
    count_splits(ds, counts);
    assert_int_equal(counts[AFT_SPLIT_NONE], 0);
    assert_int_equal(counts[AFT_SPLIT_TEST], 240);

    /* Every (action, complexity) stratum is cut in the same proportions, +-1. */
    for (int a = 0; a < 4; a++) {
        for (int c = 1; c <= 3; c++) {
            size_t n = 0, t = 0;
            char name[16];
            snprintf(name, sizeof name, "act%d", a);
            for (size_t i = 0; i < aft_dataset_count(ds); i++) {
                if (strcmp(aft_dataset_action(ds, i), name) || aft_dataset_complexity(ds, i) != c)
                    continue;
                n++;
                t += aft_dataset_split(ds, i) == AFT_SPLIT_TEST;
            }
            double want = 0.2 * (double)n;
            assert_true((double)t >= want - 1.0 && (double)t <= want + 1.0);
        }
    }

    /* Same seed, same assignment; another seed, another one. (Copies of the
     * file: a second handle on `path` would replay ds's journal.) */
    char path2[600], path3[600];
    snprintf(path2, sizeof path2, "%s/split2.jsonl", tmpdir);
    snprintf(path3, sizeof path3, "%s/split3.jsonl", tmpdir);
    write_dataset(path2, 1200, 4, 1);
    write_dataset(path3, 1200, 4, 1);
    aft_dataset *ds2 = open_ok(path2);
    aft_dataset *ds3 = open_ok(path3);
    assert_int_equal(aft_dataset_assign_split(ds2, &o, &res, &err), 0);
    aft_split_opts o8 = o;
    o8.seed = 8;
    assert_int_equal(aft_dataset_assign_split(ds3, &o8, &res, &err), 0);
    size_t same = 0, differ = 0;
    for (size_t i = 0; i < 1200; i++) {
        same += aft_dataset_split(ds, i) == aft_dataset_split(ds2, i);
        differ += aft_dataset_split(ds, i) != aft_dataset_split(ds3, i);
    }
    assert_int_equal(same, 1200);
    assert_true(differ > 100);
    aft_dataset_free(ds2);
    aft_dataset_free(ds3);

    /* Saved and reopened: the split is in the file; a second split is refused. */
    assert_int_equal(aft_dataset_save(ds, &err), 0);
    aft_dataset_free(ds);
    ds = open_ok(path);
    count_splits(ds, counts);
    assert_int_equal(counts[AFT_SPLIT_VALID], 120);
    assert_int_equal(aft_dataset_assign_split(ds, &o, &res, &err), -1);
    assert_non_null(strstr(err.msg, "1200 of 1200 records already have a split"));
    assert_non_null(strstr(err.msg, "id \"r0\""));
    assert_int_equal(aft_dataset_dirty(ds), 0);
    o.force = 1;
    assert_int_equal(aft_dataset_assign_split(ds, &o, &res, &err), 0);
    assert_int_equal(res.replaced, 1200);
    aft_dataset_free(ds);
}

static void test_split_bad_options(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/opts.jsonl", tmpdir);
    write_dataset(path, 30, 2, 1);
    aft_dataset *ds = open_ok(path);
    aft_split_result res;
    aft_error err = {0};
    aft_split_opts o = {.valid = 0.6, .test = 0.4, .seed = 1};
    assert_int_equal(aft_dataset_assign_split(ds, &o, &res, &err), -1);
    assert_non_null(strstr(err.msg, "leaves no training records"));
    o.valid = -0.1;
    assert_int_equal(aft_dataset_assign_split(ds, &o, &res, &err), -1);
    assert_non_null(strstr(err.msg, "--valid -0.1 is out of range"));
    /* Nothing was changed by the refused calls. */
    assert_int_equal(aft_dataset_dirty(ds), 0);
    /* Tiny strata still give the overall proportions. */
    o.valid = 0.5;
    o.test = 0.0;
    assert_int_equal(aft_dataset_assign_split(ds, &o, &res, &err), 0);
    assert_int_equal(res.valid, 15);
    assert_int_equal(res.test, 0);
    aft_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_counts),
        cmocka_unit_test(test_stats_computed_complexity),
        cmocka_unit_test(test_split_stratified),
        cmocka_unit_test(test_split_bad_options),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
