/* Unit tests of the workbench's augmentation review without a terminal:
 * the job that makes candidates (read on this thread, made on its own, a
 * subset of records, the valid/test guard, cancel) and the review model
 * (decisions, edits and their refusals, the write through the store, the
 * word changes shown beside a candidate). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "testutil.h"
#include "../../src/tui/augment_job.h"
#include "../../src/tui/augment_review.h"

static char tmpdir[512];
static char data_path[600];

static const char records[] =
    "{\"id\":\"r1\",\"context\":\"book a car now\",\"agent_action\":\"book\",\"split\":\"train\"}\n"
    "{\"id\":\"r2\",\"context\":\"cancel the car\",\"agent_action\":\"cancel\",\"split\":\"valid\"}\n"
    "{\"id\":\"r3\",\"context\":\"wash my car today\",\"agent_action\":\"wash\",\"split\":\"train\"}\n"
    "{\"id\":\"r4\",\"context\":\"rent a car\",\"agent_action\":\"rent\",\"split\":\"test\"}\n";

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(tmpdir, sizeof tmpdir, "tui-augment") < 0)
        return -1;
    char syn[600];
    snprintf(syn, sizeof syn, "%s/syn.tsv", tmpdir);
    FILE *f = fopen(syn, "w");
    if (!f)
        return -1;
    fputs("car\tauto\tvehicle\tmotorcar\n", f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

static aft_dataset *fresh_dataset(void)
{
    snprintf(data_path, sizeof data_path, "%s/data.jsonl", tmpdir);
    FILE *f = fopen(data_path, "w");
    assert_non_null(f);
    fputs(records, f);
    fclose(f);
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(data_path, NULL, &diags, &err);
    aft_diag_list_free(&diags);
    if (!ds)
        fail_msg("%s", err.msg);
    return ds;
}

/* A workspace with one dataset file, synonyms from the user's file only. */
static aft_config *workspace(const char *methods)
{
    const char *src = getenv("SRCDIR");
    char syn[600], wn[1024];
    snprintf(syn, sizeof syn, "%s/syn.tsv", tmpdir);
    snprintf(wn, sizeof wn, "%s/tests/data/wordnet", src && *src ? src : ".");
    aft_config *cfg = aft_config_new();
    aft_error err = {0};
    const struct { aft_key k; const char *v; } set[] = {
        {AFT_K_DATASET, data_path}, {AFT_K_AUG_METHODS, methods}, {AFT_K_AUG_PER_RECORD, "3"},
        {AFT_K_AUG_SYNONYMS, syn}, {AFT_K_AUG_WORDNET, wn}, {AFT_K_AUG_SYNONYM_RATE, "0.1"},
        {AFT_K_AUG_TRANSLATOR, "sleep 600"}};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (aft_config_set(cfg, set[i].k, set[i].v, AFT_ORIGIN_SET, &err) < 0)
            fail_msg("%s", err.msg);
    return cfg;
}

/* Runs a job to its end; the thread's byte on the pipe says when (no sleep). */
static aj_state run_job(augment_job *j, aft_augment_result *res)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    aj_state s;
    while ((s = augment_job_read(j, 1.0, fds[1])) == AJ_READING)
        ;
    if (s == AJ_MAKING) {
        char c;
        assert_int_equal(read(fds[0], &c, 1), 1);
        s = augment_job_state(j, NULL, NULL, NULL, 0);
    }
    augment_job_take(j, res);
    close(fds[0]);
    close(fds[1]);
    return s;
}

static void test_job(void **state)
{
    (void)state;
    aft_dataset *ds = fresh_dataset();
    aft_config *cfg = workspace("synonym");
    char warning[256];
    aft_error err = {0};
    const size_t picked[] = {0, 1, 3}; /* r1, and the valid and test records */
    augment_job *j = augment_job_new(cfg, ds, picked, 3, warning, sizeof warning, &err);
    if (!j)
        fail_msg("%s", err.msg);
    assert_string_equal(warning, "");
    aft_augment_result res;
    assert_int_equal(run_job(j, &res), AJ_DONE);
    size_t done, total;
    augment_job_state(j, &done, &total, NULL, 0);
    assert_int_equal(done, 1);
    assert_int_equal(total, 1);
    augment_job_free(j);
    assert_int_equal(res.sources, 1);
    assert_int_equal(res.not_train, 2);
    assert_true(res.count >= 2);
    for (size_t i = 0; i < res.count; i++) {
        assert_int_equal(res.items[i].record, 0);
        assert_string_equal(res.items[i].source_text, "book a car now");
    }
    aft_augment_result_free(&res);

    /* only valid and test records: no thread, nothing made */
    const size_t guarded[] = {1, 3};
    j = augment_job_new(cfg, ds, guarded, 2, NULL, 0, &err);
    assert_non_null(j);
    assert_int_equal(run_job(j, &res), AJ_DONE);
    assert_int_equal(res.count, 0);
    assert_int_equal(res.not_train, 2);
    augment_job_free(j);
    aft_augment_result_free(&res);

    /* a cancel while reading ends it at once */
    j = augment_job_new(cfg, ds, picked, 3, NULL, 0, &err);
    augment_job_cancel(j);
    assert_int_equal(augment_job_state(j, NULL, NULL, NULL, 0), AJ_CANCELLED);
    augment_job_free(j);

    /* a translator that never answers is killed by a cancel */
    aft_config_free(cfg);
    cfg = workspace("backtranslate");
    j = augment_job_new(cfg, ds, picked, 3, NULL, 0, &err);
    if (!j)
        fail_msg("%s", err.msg);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    while (augment_job_read(j, 1.0, fds[1]) == AJ_READING)
        ;
    augment_job_cancel(j);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    assert_int_equal(augment_job_state(j, NULL, NULL, NULL, 0), AJ_CANCELLED);
    augment_job_free(j);
    close(fds[0]);
    close(fds[1]);

    /* bad settings are said with their key */
    aft_config_set(cfg, AFT_K_AUG_METHODS, "magic", AFT_ORIGIN_SET, &err);
    assert_null(augment_job_new(cfg, ds, picked, 3, NULL, 0, &err));
    assert_non_null(strstr(err.msg, "augment.methods: unknown augmentation method 'magic'"));
    aft_config_free(cfg);
    aft_dataset_free(ds);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : "(none)";
}

static void test_review(void **state)
{
    (void)state;
    aft_dataset *ds = fresh_dataset();
    aft_config *cfg = workspace("synonym");
    aft_error err = {0};
    const size_t all[] = {0, 1, 2, 3};
    augment_job *j = augment_job_new(cfg, ds, all, 4, NULL, 0, &err);
    aft_augment_result res;
    assert_int_equal(run_job(j, &res), AJ_DONE);
    augment_job_free(j);
    aug_review rv = {0};
    assert_int_equal(review_take(&rv, &res), 0);
    assert_int_equal(res.count, 0);
    aft_augment_result_free(&res);
    assert_int_equal(rv.n, 4); /* two of r1, two of r3: a third of each was a duplicate */
    assert_int_equal(rv.count[AC_PENDING], rv.n);
    assert_int_equal(review_unwritten(&rv), rv.n);
    assert_string_equal(rv.c[0].source_id, "r1");
    assert_string_equal(rv.c[0].action, "book");
    assert_string_equal(rv.c[2].source_id, "r3");
    assert_string_equal(rv.c[2].source_text, "wash my car today");

    review_set(&rv, 0, AC_REJECTED);
    review_set(&rv, 1, AC_ACCEPTED);
    assert_int_equal(review_edit(&rv, 2, "", &err), -1);
    assert_int_equal(review_edit(&rv, 2, rv.c[2].source_text, &err), -1);
    assert_non_null(strstr(err.msg, "source's text again"));
    assert_int_equal(review_edit(&rv, 2, "Wash my car, today!", &err), -1); /* same, normalised */
    assert_int_equal(review_edit(&rv, 2, "rinse my car today", &err), 0);
    assert_int_equal(rv.c[2].state, AC_ACCEPTED);
    assert_true(rv.c[2].edited);
    assert_int_equal(rv.count[AC_ACCEPTED], 2);
    size_t rest = rv.count[AC_PENDING];
    assert_int_equal(review_set_all(&rv, AC_PENDING, AC_REJECTED), rest);
    assert_int_equal(review_unwritten(&rv), 2);

    size_t added;
    assert_int_equal(review_write(&rv, ds, &added, &err), 0);
    assert_int_equal(added, 2);
    assert_int_equal(rv.count[AC_WRITTEN], 2);
    assert_int_equal(review_unwritten(&rv), 0);
    review_set(&rv, 1, AC_REJECTED); /* written stays written */
    assert_int_equal(rv.c[1].state, AC_WRITTEN);
    assert_int_equal(review_edit(&rv, 1, "something else", &err), -1);
    assert_int_equal(aft_dataset_count(ds), 6);
    size_t len;
    const char *line = aft_dataset_line(ds, 5, &len);
    cJSON *rec = cJSON_ParseWithLength(line, len);
    assert_string_equal(str_of(rec, "context"), "rinse my car today");
    assert_string_equal(str_of(rec, "split"), "train");
    const cJSON *aug = cJSON_GetObjectItem(rec, "augmented");
    assert_string_equal(str_of(aug, "method"), "synonym");
    assert_string_equal(str_of(aug, "source_id"), "r3");
    assert_string_equal(str_of(rec, "id"), "r3-aug1");
    cJSON_Delete(rec);
    /* journalled: a reopen without a save still has them */
    aft_dataset_free(ds);
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    ds = aft_dataset_open(data_path, NULL, &diags, &err);
    aft_diag_list_free(&diags);
    assert_non_null(ds);
    assert_int_equal(aft_dataset_count(ds), 6);
    review_free(&rv);
    aft_config_free(cfg);
    aft_dataset_free(ds);
}

static void test_changes(void **state)
{
    (void)state;
    char buf[64];
    review_changes("book a car now", "book a  vehicle now", buf, sizeof buf);
    assert_string_equal(buf, "-car +vehicle");
    review_changes("book a car now", "book  a car now", buf, sizeof buf);
    assert_string_equal(buf, "");
    review_changes("What can I take", "take can I What", buf, sizeof buf);
    assert_string_equal(buf, "-What +take -take +What");
    review_changes("a b c", "a c", buf, sizeof buf);
    assert_string_equal(buf, "-b");
    review_changes("x", "x and a great many words inserted here", buf, 20);
    assert_string_equal(buf, "+and +a +great...");
    char *many = malloc(REVIEW_DIFF_WORDS * 2 + 4);
    for (int i = 0; i <= REVIEW_DIFF_WORDS; i++)
        memcpy(many + 2 * i, "w ", 3);
    review_changes(many, "w", buf, sizeof buf);
    assert_string_equal(buf, "(too long to compare)");
    free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job),
        cmocka_unit_test(test_review),
        cmocka_unit_test(test_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
