/* Unit tests of src/core: errors, atomic files, the RNG and UTF-8 helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "agentft/error.h"
#include "agentft/fileio.h"
#include "agentft/rng.h"
#include "agentft/utf8.h"

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "core");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

static void test_error_messages(void **state)
{
    (void)state;
    aft_error err = {0};
    assert_int_equal(aft_error_set(&err, "bad %s at %d", "key", 7), -1);
    assert_string_equal(err.msg, "bad key at 7");
    aft_error_prefix(&err, "file.yaml:%d", 3);
    assert_string_equal(err.msg, "file.yaml:3: bad key at 7");
    aft_error_errno(&err, 2, "open %s", "x");
    assert_string_equal(err.msg, "open x: No such file or directory");
    aft_error_clear(&err);
    assert_int_equal(err.set, 0);
    assert_int_equal(aft_error_set(NULL, "ignored"), -1);
    /* A long message is cut, not overflowed. */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    aft_error_set(&err, "%s", big);
    assert_int_equal(strlen(err.msg), AFT_ERROR_MAX - 1);
}

static void test_atomic_write_and_read(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/f.txt", tmpdir);
    aft_error err = {0};
    assert_int_equal(aft_write_file_atomic(path, "hello\n", 6, &err), 0);
    chmod(path, 0600);
    assert_int_equal(aft_write_file_atomic(path, "world!\n", 7, &err), 0);
    char *data;
    size_t len;
    assert_int_equal(aft_read_file(path, &data, &len, &err), 0);
    assert_int_equal(len, 7);
    assert_string_equal(data, "world!\n");
    free(data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* mode kept across rewrites */

    /* An aborted write leaves the old file and no temp file. */
    aft_atomic_file *f = aft_atomic_open(path, &err);
    assert_non_null(f);
    assert_int_equal(aft_atomic_write(f, "partial", 7, &err), 0);
    aft_atomic_abort(f);
    assert_int_equal(aft_read_file(path, &data, &len, &err), 0);
    assert_string_equal(data, "world!\n");
    free(data);
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);

    assert_int_equal(aft_read_file(tmpdir, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "is a directory"));
    snprintf(path, sizeof path, "%s/nope/f.txt", tmpdir);
    assert_int_equal(aft_read_file(path, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_null(aft_atomic_open(path, &err));
    assert_non_null(strstr(err.msg, "cannot create"));
}

static void test_hash(void **state)
{
    (void)state;
    const char *a = "the quick brown fox jumps over the lazy dog";
    assert_true(aft_hash64(a, strlen(a)) == aft_hash64(a, strlen(a)));
    assert_true(aft_hash64(a, strlen(a)) != aft_hash64(a, strlen(a) - 1));
    assert_true(aft_hash64("ab", 2) != aft_hash64("ba", 2));
}

static void test_rng(void **state)
{
    (void)state;
    aft_rng a, b;
    aft_rng_seed(&a, 7);
    aft_rng_seed(&b, 7);
    for (int i = 0; i < 100; i++)
        assert_true(aft_rng_u64(&a) == aft_rng_u64(&b));
    aft_rng_seed(&b, 8);
    assert_true(aft_rng_u64(&a) != aft_rng_u64(&b));

    /* below(n) stays in range and hits every value; uniform in [0,1). */
    int seen[10] = {0};
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = aft_rng_below(&a, 10);
        assert_true(v < 10);
        seen[v]++;
        double u = aft_rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 800 && seen[i] < 1200);
    assert_true(sum / 10000 > 0.48 && sum / 10000 < 0.52);

    int items[50];
    for (int i = 0; i < 50; i++)
        items[i] = i;
    aft_rng_shuffle(&a, items, 50, sizeof items[0]);
    int total = 0, moved = 0;
    for (int i = 0; i < 50; i++) {
        total += items[i];
        moved += items[i] != i;
    }
    assert_int_equal(total, 49 * 50 / 2);
    assert_true(moved > 30);
}

static void test_utf8(void **state)
{
    (void)state;
    size_t bad = 0;
    const char *zh = "用户查询航班信息：下周三北京到上海";
    assert_true(aft_utf8_valid(zh, strlen(zh), &bad));
    assert_int_equal(aft_utf8_count(zh, strlen(zh)), 17);
    assert_false(aft_utf8_valid("ab\xff", 3, &bad));
    assert_int_equal(bad, 2);
    assert_false(aft_utf8_valid("\xc0\xaf", 2, &bad));      /* overlong '/' */
    assert_false(aft_utf8_valid("\xed\xa0\x80", 3, &bad));  /* surrogate */
    assert_false(aft_utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* past U+10FFFF */
    assert_false(aft_utf8_valid("abcdefgh\xe4\xb8", 10, &bad)); /* cut short */
    assert_int_equal(bad, 8);
    assert_true(aft_utf8_valid("😀 emoji", strlen("😀 emoji"), NULL));

    assert_int_equal(aft_utf8_word_count("book a  flight\tto Paris", 23), 5);
    assert_int_equal(aft_utf8_word_count(zh, strlen(zh)), 17 - 1 + 1); /* the full-width colon is a word */
    assert_int_equal(aft_utf8_word_count("   ", 3), 0);
    assert_int_equal(aft_utf8_word_count("to 上海 now", strlen("to 上海 now")), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_atomic_write_and_read),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
