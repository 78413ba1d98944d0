/* Unit tests of the WordNet reader: the tiny database in tests/data/wordnet,
 * broken copies of it, and Debian's wordnet-base when it is installed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentft/wordnet.h"
#include "testutil.h"

static const char *srcdir(void)
{
    const char *s = getenv("SRCDIR");
    return s && *s ? s : ".";
}

static void fake_dir(char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/tests/data/wordnet", srcdir());
    assert_true(n > 0 && (size_t)n < size);
}

static aft_wordnet *open_fake(void)
{
    char dir[PATH_MAX];
    fake_dir(dir, sizeof dir);
    aft_error err = {0};
    aft_wordnet *wn = aft_wordnet_open(dir, &err);
    if (!wn)
        fail_msg("open %s: %s", dir, err.msg);
    return wn;
}

/* The synonyms of word, joined with '|', for exact comparisons. */
static void syns(const aft_wordnet *wn, const char *word, aft_pos pos, char *buf, size_t size)
{
    aft_wordlist l = {0};
    aft_error err = {0};
    if (aft_wordnet_synonyms(wn, word, pos, &l, &err) != 0)
        fail_msg("synonyms of %s: %s", word, err.msg);
    buf[0] = '\0';
    for (size_t i = 0; i < l.count; i++) {
        strncat(buf, i ? "|" : "", size - strlen(buf) - 1);
        strncat(buf, l.items[i], size - strlen(buf) - 1);
    }
    aft_wordlist_free(&l);
}

static void test_fake_counts(void **state)
{
    (void)state;
    aft_wordnet *wn = open_fake();
    assert_int_equal(aft_wordnet_lemma_count(wn, AFT_POS_NOUN), 5);
    assert_int_equal(aft_wordnet_lemma_count(wn, AFT_POS_VERB), 5);
    assert_int_equal(aft_wordnet_lemma_count(wn, AFT_POS_ADJ), 4);
    assert_int_equal(aft_wordnet_lemma_count(wn, AFT_POS_ADV), 2);
    assert_int_equal(aft_wordnet_lemma_count(wn, AFT_POS_ANY), 16);
    aft_wordnet_free(wn);
}

static void test_fake_synonyms_in_sense_order(void **state)
{
    (void)state;
    aft_wordnet *wn = open_fake();
    char buf[512];
    syns(wn, "car", AFT_POS_NOUN, buf, sizeof buf);
    assert_string_equal(buf, "auto|automobile|motorcar|railcar|railway car");
    syns(wn, "Car", AFT_POS_ANY, buf, sizeof buf); /* case folded, only nouns know it */
    assert_string_equal(buf, "auto|automobile|motorcar|railcar|railway car");
    syns(wn, "car", AFT_POS_VERB, buf, sizeof buf);
    assert_string_equal(buf, "");
    syns(wn, "inexpensive", AFT_POS_ADJ, buf, sizeof buf); /* "cheap(a)" loses its marker */
    assert_string_equal(buf, "cheap");
    syns(wn, "quickly", AFT_POS_ADV, buf, sizeof buf);
    assert_string_equal(buf, "rapidly|speedily");
    syns(wn, "zebra", AFT_POS_ANY, buf, sizeof buf);
    assert_string_equal(buf, "");
    syns(wn, "", AFT_POS_ANY, buf, sizeof buf);
    assert_string_equal(buf, "");
    aft_wordnet_free(wn);
}

static void test_fake_morphology(void **state)
{
    (void)state;
    aft_wordnet *wn = open_fake();
    char buf[512];
    syns(wn, "flights", AFT_POS_NOUN, buf, sizeof buf);          /* -s rule */
    assert_string_equal(buf, "flying|flight of stairs|staircase");
    syns(wn, "booked", AFT_POS_VERB, buf, sizeof buf);           /* -ed rule */
    assert_string_equal(buf, "reserve|hold");
    syns(wn, "booking", AFT_POS_ANY, buf, sizeof buf);           /* -ing rule */
    assert_string_equal(buf, "reserve|hold");
    syns(wn, "went", AFT_POS_VERB, buf, sizeof buf);             /* verb.exc */
    assert_string_equal(buf, "travel|move");
    syns(wn, "children", AFT_POS_NOUN, buf, sizeof buf);         /* noun.exc */
    assert_string_equal(buf, "kid");
    syns(wn, "bigger", AFT_POS_ADJ, buf, sizeof buf);            /* adj.exc */
    assert_string_equal(buf, "large");
    syns(wn, "cheaper", AFT_POS_ADJ, buf, sizeof buf);           /* -er rule */
    assert_string_equal(buf, "inexpensive");

    aft_wordlist bases = {0};
    aft_error err = {0};
    assert_int_equal(aft_wordnet_base_forms(wn, "kids", AFT_POS_ANY, &bases, &err), 0);
    assert_int_equal(bases.count, 1);
    assert_string_equal(bases.items[0], "kid");
    aft_wordlist_free(&bases);
    aft_wordnet_free(wn);
}

/* Copies the fake database into a scratch folder, replacing one file. */
static void broken_copy(char *dir, size_t size, const char *file, const char *text)
{
    static const char *const names[] = {"index.noun", "index.verb", "index.adj", "index.adv",
                                        "data.noun", "data.verb", "data.adj", "data.adv",
                                        "noun.exc", "verb.exc", "adj.exc"};
    char src[PATH_MAX];
    fake_dir(src, sizeof src);
    assert_int_equal(aft_test_mkdtemp(dir, size, "wordnet"), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char from[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(from, sizeof from, "%s/%s", src, names[i]);
        snprintf(to, sizeof to, "%s/%s", dir, names[i]);
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        assert_non_null(in);
        assert_non_null(out);
        if (strcmp(names[i], file) == 0) {
            fputs(text, out);
        } else {
            char chunk[4096];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
                fwrite(chunk, 1, n, out);
        }
        fclose(in);
        fclose(out);
    }
}

static void expect_open_error(const char *file, const char *text, const char *want)
{
    char dir[PATH_MAX];
    broken_copy(dir, sizeof dir, file, text);
    aft_error err = {0};
    aft_wordnet *wn = aft_wordnet_open(dir, &err);
    assert_null(wn);
    if (!strstr(err.msg, want))
        fail_msg("expected '%s' in: %s", want, err.msg);
    aft_test_rmtree(dir);
}

static void test_malformed_files(void **state)
{
    (void)state;
    /* a header line is skipped; line 2 has too few offsets */
    expect_open_error("index.noun", "  1 header  \ncar n 2 1 @ 2 0 00000154  \n",
                      "index.noun:2: malformed index line");
    expect_open_error("index.noun", "car x 1 0 1 0 00000154  \n", "index.noun:1: malformed");
    expect_open_error("index.noun", "car n 1 0 1 0 00999999  \n", "index.noun:1:");
    expect_open_error("index.noun", "car n 1 0 1 0 154  \n", "index.noun:1:");
    expect_open_error("index.verb", "book v 1 3 @ 1 0 00000154  \n", "index.verb:1:");
    expect_open_error("index.adj", "big a 1 0 1 0 00000154 00000154  \n",
                      "more fields than synset_cnt says");
    expect_open_error("verb.exc", "went go\nran\n", "verb.exc:2: malformed exception line");

    /* missing files name the file */
    char dir[PATH_MAX];
    broken_copy(dir, sizeof dir, "index.adv", "");
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/data.adv", dir);
    assert_int_equal(unlink(path), 0);
    aft_error err = {0};
    assert_null(aft_wordnet_open(dir, &err));
    assert_non_null(strstr(err.msg, "data.adv"));
    aft_test_rmtree(dir);
    assert_null(aft_wordnet_open("/nonexistent/wordnet", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/wordnet/"));
}

/* An index offset that lands inside a line, or on a broken synset line, is an
 * error at lookup time that names the data file and line, not a crash. */
static void test_malformed_data_at_lookup(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    broken_copy(dir, sizeof dir, "index.adv", "quickly r 1 0 1 0 00000160  \n");
    aft_error err = {0};
    aft_wordnet *wn = aft_wordnet_open(dir, &err);
    assert_non_null(wn);
    aft_wordlist l = {0};
    assert_int_equal(aft_wordnet_synonyms(wn, "quickly", AFT_POS_ADV, &l, &err), -1);
    assert_non_null(strstr(err.msg, "data.adv: synset offset 160"));
    aft_wordlist_free(&l);
    aft_wordnet_free(wn);
    aft_test_rmtree(dir);

    broken_copy(dir, sizeof dir, "data.adv",
                "  1 header  \n00000013 02 r 05 quickly 0 rapidly 0 000 | cut short  \n");
    FILE *f;
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/index.adv", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("quickly r 1 0 1 0 00000013  \n", f);
    fclose(f);
    wn = aft_wordnet_open(dir, &err);
    assert_non_null(wn);
    assert_int_equal(aft_wordnet_synonyms(wn, "quickly", AFT_POS_ANY, &l, &err), -1);
    assert_non_null(strstr(err.msg, "data.adv:2: malformed synset line"));
    aft_wordlist_free(&l);
    aft_wordnet_free(wn);
    aft_test_rmtree(dir);
}

/* With SemCor tag counts in an index, a synonym that was never tagged in
 * that part of speech (or has no index line) is too rare to offer; a part
 * of speech without counts keeps every synonym. */
static void test_rare_synonyms_left_out(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    broken_copy(dir, sizeof dir, "index.noun",
                "auto n 1 1 @ 1 1 00000154  \ncar n 2 1 @ 2 2 00000154 00000232  \n"
                "motorcar n 1 1 @ 1 0 00000154  \n");
    aft_error err = {0};
    aft_wordnet *wn = aft_wordnet_open(dir, &err);
    assert_non_null(wn);
    char buf[512];
    syns(wn, "car", AFT_POS_NOUN, buf, sizeof buf);
    assert_string_equal(buf, "auto");
    syns(wn, "quickly", AFT_POS_ADV, buf, sizeof buf);
    assert_string_equal(buf, "rapidly|speedily");
    aft_wordnet_free(wn);
    aft_test_rmtree(dir);
}

/* Debian's wordnet-base, when installed (CI installs it). */
static void test_debian_wordnet(void **state)
{
    (void)state;
    if (access(AFT_WORDNET_DIR "/index.noun", R_OK) != 0) {
        print_message("skipped: %s is absent (apt-get install wordnet-base)\n", AFT_WORDNET_DIR);
        skip();
    }
    aft_error err = {0};
    aft_wordnet *wn = aft_wordnet_open(NULL, &err);
    if (!wn)
        fail_msg("%s", err.msg);
    assert_true(aft_wordnet_lemma_count(wn, AFT_POS_NOUN) > 100000);
    assert_true(aft_wordnet_lemma_count(wn, AFT_POS_VERB) > 10000);
    char buf[8192];
    syns(wn, "car", AFT_POS_NOUN, buf, sizeof buf);
    assert_true(strncmp(buf, "auto|automobile|machine|motorcar", 32) == 0);
    syns(wn, "booked", AFT_POS_VERB, buf, sizeof buf);
    assert_string_equal(buf, "reserve|hold");
    syns(wn, "cheap", AFT_POS_ADJ, buf, sizeof buf);
    assert_true(strncmp(buf, "inexpensive|", 12) == 0);
    syns(wn, "quickly", AFT_POS_ADV, buf, sizeof buf);
    assert_true(strncmp(buf, "rapidly|speedily", 16) == 0);
    syns(wn, "went", AFT_POS_VERB, buf, sizeof buf);
    assert_true(strncmp(buf, "travel|", 7) == 0);
    syns(wn, "children", AFT_POS_NOUN, buf, sizeof buf);
    assert_true(strncmp(buf, "kid|", 4) == 0);
    /* rare words are not offered: week's "hebdomad", location's "emplacement" */
    syns(wn, "week", AFT_POS_NOUN, buf, sizeof buf);
    assert_null(strstr(buf, "hebdomad"));
    assert_non_null(strstr(buf, "workweek"));
    syns(wn, "location", AFT_POS_NOUN, buf, sizeof buf);
    assert_null(strstr(buf, "emplacement"));
    assert_non_null(strstr(buf, "position"));
    /* every adjective synset can be read (markers stripped, no error) */
    syns(wn, "big", AFT_POS_ADJ, buf, sizeof buf);
    assert_null(strchr(buf, '('));
    aft_wordnet_free(wn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_counts),
        cmocka_unit_test(test_fake_synonyms_in_sense_order),
        cmocka_unit_test(test_fake_morphology),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_malformed_data_at_lookup),
        cmocka_unit_test(test_rare_synonyms_left_out),
        cmocka_unit_test(test_debian_wordnet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
