/* Unit tests of augmentation: the text operations, user synonym files, the
 * normal form, and the dataset pass (split-leak guard, duplicates, ids). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentft/augment.h"
#include "testutil.h"

static const char *srcdir(void)
{
    const char *s = getenv("SRCDIR");
    return s && *s ? s : ".";
}

/* The tiny WordNet of tests/data/wordnet, shared by the tests below. */
static aft_wordnet *fake_wordnet(void)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/tests/data/wordnet", srcdir());
    aft_error err = {0};
    aft_wordnet *wn = aft_wordnet_open(dir, &err);
    if (!wn)
        fail_msg("%s", err.msg);
    return wn;
}

static aft_synonyms *tsv(const char *text)
{
    aft_error err = {0};
    aft_synonyms *s = aft_synonyms_parse("test.tsv", text, strlen(text), 0, &err);
    if (!s)
        fail_msg("%s", err.msg);
    return s;
}

static char *apply(const aft_lexicon *lex, aft_aug_op op, const char *text, double rate,
                   uint64_t seed)
{
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    aft_error err = {0};
    char *out = aft_augment_text(lex, op, text, rate, &rng, &err);
    if (!out)
        fail_msg("%s: %s", aft_aug_op_name(op), err.msg);
    return out;
}

static size_t count_words(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, " ");
        if (*p)
            n++;
        p += strcspn(p, " ");
    }
    return n;
}

static const char *const texts[] = {
    "Please book me a cheap car to Boston, quickly!",
    "用户查询航班信息：下周三北京到上海，预算800元",
    "mixed 中文 and English, with émojis 😀 too",
    "one",
    "",
    "  spaced   out  ",
};

static void test_rate_zero_is_identity(void **state)
{
    (void)state;
    aft_wordnet *wn = fake_wordnet();
    aft_synonyms *us = tsv("航班\t班机\n");
    aft_lexicon lex = {wn, us};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (int op = 0; op < AFT_OP_COUNT; op++) {
            char *out = apply(&lex, (aft_aug_op)op, texts[t], 0.0, 7);
            assert_string_equal(out, texts[t]);
            free(out);
        }
    }
    aft_synonyms_free(us);
    aft_wordnet_free(wn);
}

static void test_seeded_and_reproducible(void **state)
{
    (void)state;
    aft_wordnet *wn = fake_wordnet();
    aft_lexicon lex = {wn, NULL};
    const char *text = "go book a car and a flight for the child quickly, then go again with a big car";
    for (int op = 0; op < AFT_OP_COUNT; op++) {
        int differs = 0;
        for (uint64_t seed = 0; seed < 20; seed++) {
            char *a = apply(&lex, (aft_aug_op)op, text, 0.3, seed);
            char *b = apply(&lex, (aft_aug_op)op, text, 0.3, seed);
            assert_string_equal(a, b);
            differs |= strcmp(a, text) != 0;
            free(a);
            free(b);
        }
        assert_true(differs);
    }
    /* one pinned output guards the whole chain (rng use, candidates, inflection) */
    char *out = apply(&lex, AFT_OP_SYNONYM, "Kids booked big cars quickly.", 1.0, 1);
    assert_string_equal(out, "Children reserved large automobiles speedily.");
    free(out);
    aft_wordnet_free(wn);
}

/* With rate 1 every place that has synonyms changes; stop words never do. */
static void test_synonym_replacement(void **state)
{
    (void)state;
    aft_wordnet *wn = fake_wordnet();
    aft_lexicon lex = {wn, NULL};
    for (uint64_t seed = 0; seed < 10; seed++) {
        char *out = apply(&lex, AFT_OP_SYNONYM, "Book a cheap car for the kids quickly.", 1.0, seed);
        assert_true(strncmp(out, "Reserve a ", 10) == 0 || strncmp(out, "Hold a ", 7) == 0);
        assert_non_null(strstr(out, " inexpensive "));
        assert_null(strstr(out, " car "));
        assert_non_null(strstr(out, " for the children "));  /* plural kept */
        assert_true(strstr(out, " rapidly.") || strstr(out, " speedily."));
        free(out);
    }
    /* stop words, names, acronyms and words with digits stay */
    char *out = apply(&lex, AFT_OP_SYNONYM, "I will go to Car and the CAR car2 with it", 1.0, 3);
    assert_true(strcmp(out, "I will travel to Car and the CAR car2 with it") == 0 ||
                strcmp(out, "I will move to Car and the CAR car2 with it") == 0);
    free(out);
    assert_true(aft_is_stop_word("The", 3));
    assert_true(aft_is_stop_word("don't", 5));
    assert_false(aft_is_stop_word("car", 3));
    aft_wordnet_free(wn);
}

/* User entries: whole words for spaced scripts, found inside CJK text, case kept. */
static void test_user_synonyms(void **state)
{
    (void)state;
    aft_synonyms *us = tsv("# domain terms\nrefund\treimbursement\n航班\t班机\ncar\tautomobile\n"
                           "cash back\tmoney back\n");
    assert_int_equal(aft_synonyms_count(us), 4);
    aft_lexicon lex = {NULL, us};
    char *out = apply(&lex, AFT_OP_SYNONYM, "REFUND my cash back, Refund!", 1.0, 1);
    assert_string_equal(out, "REIMBURSEMENT my money back, Reimbursement!");
    free(out);
    out = apply(&lex, AFT_OP_SYNONYM, "查询航班信息", 1.0, 1);
    assert_string_equal(out, "查询班机信息");
    free(out);
    out = apply(&lex, AFT_OP_SYNONYM, "scary cart car", 1.0, 1);
    assert_string_equal(out, "scary cart automobile");
    free(out);
    assert_non_null(aft_synonyms_get(us, "Refund"));
    assert_null(aft_synonyms_get(us, "reimbursement")); /* one way */
    aft_synonyms_free(us);
}

static void test_synonym_files(void **state)
{
    (void)state;
    aft_error err = {0};
    const char *yaml = "refund: [reimbursement, repayment, refund]\n航班: 班机\nrefund: [money back]\n";
    aft_synonyms *s = aft_synonyms_parse("s.yaml", yaml, strlen(yaml), 1, &err);
    assert_non_null(s);
    const aft_wordlist *l = aft_synonyms_get(s, "refund");
    assert_non_null(l);
    assert_int_equal(l->count, 3); /* merged, the word itself left out */
    assert_string_equal(l->items[2], "money back");
    assert_string_equal(aft_synonyms_get(s, "航班")->items[0], "班机");
    aft_synonyms_free(s);

    const char *bad_yaml = "refund:\n  - ok\n  - {a: b}\n";
    assert_null(aft_synonyms_parse("s.yaml", bad_yaml, strlen(bad_yaml), 1, &err));
    assert_non_null(strstr(err.msg, "s.yaml:3:5: a synonym must be a word"));
    assert_null(aft_synonyms_parse("s.yaml", "- a\n- b\n", 8, 1, &err));
    assert_non_null(strstr(err.msg, "s.yaml:1:1: expected a mapping"));
    assert_null(aft_synonyms_parse("s.tsv", "a\tb\nno tab here\n", 16, 0, &err));
    assert_non_null(strstr(err.msg, "s.tsv:2: expected word<TAB>synonym"));
    assert_null(aft_synonyms_parse("s.tsv", "a\t\xff\n", 4, 0, &err));
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    assert_null(aft_synonyms_load("/nonexistent/syn.tsv", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/syn.tsv"));
}

static void test_swap_delete_insert(void **state)
{
    (void)state;
    aft_wordnet *wn = fake_wordnet();
    aft_lexicon lex = {wn, NULL};
    const char *text = "alpha beta gamma delta car epsilon zeta eta theta iota";
    for (uint64_t seed = 0; seed < 30; seed++) {
        /* swap: the same words, one swap per ten words at rate 0.1 */
        char *out = apply(&lex, AFT_OP_SWAP, text, 0.1, seed);
        assert_int_equal(count_words(out), 10);
        assert_int_equal(strlen(out), strlen(text));
        free(out);
        /* delete at rate 1: one word survives */
        out = apply(&lex, AFT_OP_DELETE, text, 1.0, seed);
        assert_int_equal(count_words(out), 1);
        assert_non_null(strstr(text, out));
        free(out);
        /* delete at 0.5: a subsequence of the words, at least one */
        out = apply(&lex, AFT_OP_DELETE, text, 0.5, seed);
        assert_true(count_words(out) >= 1 && count_words(out) <= 10);
        free(out);
        /* insert at 0.2: two synonyms of "car" */
        out = apply(&lex, AFT_OP_INSERT, text, 0.2, seed);
        size_t two_words = 0;
        for (const char *p = out; (p = strstr(p, "railway car")) != NULL; p++)
            two_words++;
        assert_int_equal(count_words(out) - two_words, 12);
        free(out);
    }
    /* nothing with synonyms: insert changes nothing */
    char *out = apply(&lex, AFT_OP_INSERT, "alpha beta", 1.0, 1);
    assert_string_equal(out, "alpha beta");
    free(out);
    /* Chinese: a clause is one word, punctuation stays with it */
    out = apply(&lex, AFT_OP_SWAP, "北京到上海，预算800元", 1.0, 4);
    assert_true(strlen(out) == strlen("北京到上海，预算800元"));
    free(out);
    aft_wordnet_free(wn);
}

static void test_normalize(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Hello,  World!!", "hello world"},
        {"  ÉCOLE -- Ça va? ", "école ça va"},
        {"用户查询：航班，预算800元。", "用户查询 航班 预算800元"},
        {"...", ""},
        {"Book a car", "book a car"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *n = aft_augment_normalize(cases[i][0]);
        assert_string_equal(n, cases[i][1]);
        free(n);
    }
}

/* ---- the dataset pass ------------------------------------------------------ */

static char tmpdir[PATH_MAX];

static aft_dataset *write_and_open(const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_error err = {0};
    aft_dataset *ds = aft_dataset_open(path, NULL, &diags, &err);
    if (!ds)
        fail_msg("%s", err.msg);
    assert_int_equal(diags.errors, 0);
    aft_diag_list_free(&diags);
    return ds;
}

static const char train_jsonl[] =
    "{\"id\":\"t1\",\"context\":\"book a car\",\"agent_action\":\"book\",\"tags\":[\"x\"],\"custom\":5}\n"
    "{\"id\":\"t2\",\"context\":\"Book a car!\",\"agent_action\":\"book\"}\n"
    "{\"id\":\"t3\",\"context\":[{\"role\":\"user\",\"content\":\"rent a car\"},"
    "{\"role\":\"assistant\",\"content\":\"which car?\"},{\"role\":\"user\",\"content\":\"a red car\"}],"
    "\"agent_action\":\"rent\"}\n"
    "{\"id\":\"t4\",\"context\":\"cancel my car\",\"agent_action\":\"cancel\",\"split\":\"valid\"}\n"
    "{\"id\":\"t5\",\"context\":\"sell the car\",\"agent_action\":\"sell\"}\n"
    "{\"id\":\"t5-aug1\",\"context\":\"something else\",\"agent_action\":\"sell\"}\n"
    "{\"context\":\"drive my car\",\"agent_action\":\"drive\"}\n"
    "{\"id\":\"old\",\"context\":\"wash the car\",\"agent_action\":\"wash\","
    "\"augmented\":{\"method\":\"synonym\",\"source_id\":\"x\"}}\n"
    "{\"id\":\"t9\",\"context\":\"ride a car\",\"agent_action\":\"ride\"}\n";
static const char test_jsonl[] =
    "{\"id\":\"s1\",\"context\":\"Ride a bus.\",\"agent_action\":\"ride\"}\n"
    "{\"id\":\"s2\",\"context\":\"wash a car\",\"agent_action\":\"wash\"}\n";

static int setup_dir(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "augment");
}

static int remove_dir(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

static void run_pass(aft_dataset *train, aft_dataset *test, const aft_synonyms *us,
                     const char *const *only, size_t n_only, aft_augment_result *res)
{
    aft_augment_source src[2] = {{train, AFT_SPLIT_TRAIN}, {test, AFT_SPLIT_TEST}};
    aft_augment_opts o = {.methods = AFT_AUG_SYNONYM, .per_record = 1, .rate = {1.0, 0, 0, 0},
                          .seed = 5, .only = only, .n_only = n_only, .lex = {NULL, us}};
    aft_error err = {0};
    if (aft_augment(src, 2, &o, res, &err) != 0)
        fail_msg("%s", err.msg);
}

static cJSON *variant_json(const aft_augment_result *res, const char *source_id)
{
    for (size_t i = 0; i < res->count; i++) {
        cJSON *j = cJSON_Parse(res->items[i].json);
        const cJSON *aug = cJSON_GetObjectItem(j, "augmented");
        const cJSON *sid = cJSON_GetObjectItem(aug, "source_id");
        char num[32];
        snprintf(num, sizeof num, "%g", cJSON_IsNumber(sid) ? sid->valuedouble : -1.0);
        if ((cJSON_IsString(sid) && strcmp(sid->valuestring, source_id) == 0) ||
            strcmp(num, source_id) == 0)
            return j;
        cJSON_Delete(j);
    }
    fail_msg("no variant of %s", source_id);
    return NULL;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : "(none)";
}

/* Only training records are sources; a variant equal to a test record, or
 * to another variant, is dropped; fields, ids and dialogues come out right. */
static void test_dataset_pass(void **state)
{
    (void)state;
    aft_dataset *train = write_and_open("train.jsonl", train_jsonl);
    aft_dataset *test = write_and_open("test.jsonl", test_jsonl);
    aft_synonyms *us = tsv("car\tbus\n");
    aft_augment_result res;
    run_pass(train, test, us, NULL, 0, &res);
    assert_int_equal(res.sources, 7);
    assert_int_equal(res.not_train, 3);
    assert_int_equal(res.already_augmented, 1);
    assert_int_equal(res.made[AFT_VM_SYNONYM], 4);
    assert_int_equal(res.dup_variant[AFT_VM_SYNONYM], 1);   /* t2 = t1 normalised */
    assert_int_equal(res.dup_existing[AFT_VM_SYNONYM], 1);  /* t9's = test s1 */
    assert_int_equal(res.unchanged[AFT_VM_SYNONYM], 1);     /* no car in t5-aug1 */
    assert_int_equal(res.count, 4);
    for (size_t i = 0; i < res.count; i++) {
        assert_int_equal(res.items[i].source, 0);           /* never from the test file */
        assert_int_equal(aft_dataset_split(train, res.items[i].record), AFT_SPLIT_NONE);
    }

    cJSON *j = variant_json(&res, "t1");
    assert_string_equal(str_of(j, "id"), "t1-aug1");
    assert_string_equal(str_of(j, "context"), "book a bus");
    assert_string_equal(str_of(j, "agent_action"), "book");
    assert_string_equal(str_of(j, "split"), "train");
    assert_string_equal(str_of(cJSON_GetObjectItem(j, "augmented"), "method"), "synonym");
    assert_int_equal(cJSON_GetObjectItem(j, "custom")->valueint, 5);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0)->valuestring, "x");
    cJSON_Delete(j);
    j = variant_json(&res, "t3"); /* only the last user turn changes */
    const cJSON *ctx = cJSON_GetObjectItem(j, "context");
    assert_string_equal(str_of(cJSON_GetArrayItem(ctx, 0), "content"), "rent a car");
    assert_string_equal(str_of(cJSON_GetArrayItem(ctx, 1), "content"), "which car?");
    assert_string_equal(str_of(cJSON_GetArrayItem(ctx, 2), "content"), "a red bus");
    cJSON_Delete(j);
    j = variant_json(&res, "t5"); /* t5-aug1 is taken */
    assert_string_equal(str_of(j, "id"), "t5-aug2");
    cJSON_Delete(j);
    j = variant_json(&res, "7"); /* no id: the record number, and no id added */
    assert_null(cJSON_GetObjectItem(j, "id"));
    assert_string_equal(str_of(j, "context"), "drive my bus");
    cJSON_Delete(j);

    /* the same inputs give the same records */
    aft_augment_result again;
    run_pass(train, test, us, NULL, 0, &again);
    assert_int_equal(again.count, res.count);
    for (size_t i = 0; i < res.count; i++)
        assert_string_equal(again.items[i].json, res.items[i].json);
    aft_augment_result_free(&again);

    /* the store takes every variant as a valid record */
    aft_error err = {0};
    for (size_t i = 0; i < res.count; i++)
        if (aft_dataset_add(train, res.items[i].json, NULL, &err) != 0)
            fail_msg("%s", err.msg);
    assert_int_equal(aft_dataset_save(train, &err), 0);
    assert_int_equal(aft_dataset_count(train), 13);
    aft_augment_result_free(&res);
    aft_synonyms_free(us);
    aft_dataset_free(train);
    aft_dataset_free(test);
}

static void test_dataset_only_and_no_split(void **state)
{
    (void)state;
    aft_dataset *train = write_and_open("train2.jsonl", train_jsonl);
    aft_dataset *test = write_and_open("test2.jsonl", test_jsonl);
    aft_synonyms *us = tsv("car\tbus\n");
    const char *only[] = {"rent", "ride"};
    aft_augment_result res;
    run_pass(train, test, us, only, 2, &res);
    assert_int_equal(res.sources, 2);
    assert_int_equal(res.other_action, 6);
    assert_int_equal(res.count, 1);
    aft_augment_result_free(&res);

    const char *unknown[] = {"fly"};
    aft_augment_source src[1] = {{train, AFT_SPLIT_TRAIN}};
    aft_augment_opts o = {.methods = AFT_AUG_SYNONYM, .per_record = 1, .rate = {1.0, 0, 0, 0},
                          .only = unknown, .n_only = 1, .lex = {NULL, us}};
    aft_error err = {0};
    assert_int_equal(aft_augment(src, 1, &o, &res, &err), -1);
    assert_non_null(strstr(err.msg, "no training record has the action 'fly'"));

    /* one file whose records carry no split: nothing is augmented */
    src[0].implied = AFT_SPLIT_NONE;
    o.only = NULL, o.n_only = 0;
    assert_int_equal(aft_augment(src, 1, &o, &res, &err), 0);
    assert_int_equal(res.sources, 0);
    assert_int_equal(res.no_split, 8);
    assert_int_equal(res.not_train, 1);
    aft_augment_result_free(&res);

    /* bad options */
    o.methods = AFT_AUG_BACKTRANSLATE;
    assert_int_equal(aft_augment(src, 1, &o, &res, &err), -1);
    assert_non_null(strstr(err.msg, "back-translation needs a translator"));
    unsigned m;
    assert_int_equal(aft_augment_parse_methods("synonym, eda", &m, &err), 0);
    assert_int_equal(m, AFT_AUG_SYNONYM | AFT_AUG_EDA);
    assert_int_equal(aft_augment_parse_methods("synonym,magic", &m, &err), -1);
    assert_non_null(strstr(err.msg, "unknown augmentation method 'magic'"));
    assert_non_null(strstr(err.msg, "typo)"));
    assert_int_equal(aft_augment_parse_methods("typo", &m, &err), 0);
    assert_int_equal(m, AFT_AUG_TYPO);
    o.methods = AFT_AUG_TYPO;
    src[0].implied = AFT_SPLIT_TRAIN;
    assert_int_equal(aft_augment(src, 1, &o, &res, &err), -1);
    assert_string_equal(err.msg, "the typo method needs a typo rate above 0");
    aft_synonyms_free(us);
    aft_dataset_free(train);
    aft_dataset_free(test);
}

/* typo: variants mistyped character by character (no lexicon needed),
 * labelled "typo", reproducible, alternating with another method. */
static void test_dataset_typo(void **state)
{
    (void)state;
    aft_dataset *train = write_and_open("train3.jsonl", train_jsonl);
    aft_augment_source src[1] = {{train, AFT_SPLIT_TRAIN}};
    aft_augment_opts o = {.methods = AFT_AUG_TYPO, .per_record = 2, .seed = 3};
    o.rate[AFT_OP_TYPO] = 0.3;
    aft_augment_result res, again;
    aft_error err = {0};
    assert_int_equal(aft_augment(src, 1, &o, &res, &err), 0);
    assert_true(res.made[AFT_VM_TYPO] >= 8 && res.count == res.made[AFT_VM_TYPO]);
    for (size_t i = 0; i < res.count; i++) {
        cJSON *j = cJSON_Parse(res.items[i].json);
        assert_string_equal(str_of(cJSON_GetObjectItem(j, "augmented"), "method"), "typo");
        assert_string_not_equal(res.items[i].text, res.items[i].source_text);
        cJSON_Delete(j);
    }
    assert_string_equal(aft_variant_method_name(AFT_VM_TYPO), "typo");
    assert_int_equal(aft_augment(src, 1, &o, &again, &err), 0);
    assert_int_equal(again.count, res.count);
    for (size_t i = 0; i < res.count; i++)
        assert_string_equal(again.items[i].json, res.items[i].json);
    aft_augment_result_free(&again);
    aft_augment_result_free(&res);
    /* with EDA's delete: the two take turns over each record's variants */
    o.methods = AFT_AUG_TYPO | AFT_AUG_EDA;
    o.rate[AFT_OP_DELETE] = 0.5;
    assert_int_equal(aft_augment(src, 1, &o, &res, &err), 0);
    assert_true(res.made[AFT_VM_TYPO] > 0 && res.made[AFT_VM_DELETE] + res.unchanged[AFT_VM_DELETE] +
                                                 res.dup_existing[AFT_VM_DELETE] +
                                                 res.dup_variant[AFT_VM_DELETE] > 0);
    aft_augment_result_free(&res);
    aft_dataset_free(train);
}

/* The pass in steps gives what aft_augment gives; once read, the sources
 * may go; a subset of records limits the sources, not the duplicate check;
 * an edited variant keeps everything but its text. */
static void test_pass_in_steps(void **state)
{
    (void)state;
    aft_dataset *train = write_and_open("train3.jsonl", train_jsonl);
    aft_dataset *test = write_and_open("test3.jsonl", test_jsonl);
    aft_synonyms *us = tsv("car\tbus\n");
    aft_augment_result whole;
    run_pass(train, test, us, NULL, 0, &whole);

    aft_augment_source src[2] = {{train, AFT_SPLIT_TRAIN}, {test, AFT_SPLIT_TEST}};
    aft_augment_opts o = {.methods = AFT_AUG_SYNONYM, .per_record = 1, .rate = {1.0, 0, 0, 0},
                          .seed = 5, .lex = {NULL, us}};
    aft_augment_result res;
    aft_error err = {0};
    aft_augment_pass *p = aft_augment_pass_new(src, 2, &o, &res, &err);
    assert_non_null(p);
    int rc, reads = 0;
    while ((rc = aft_augment_pass_read(p, 2, &res, &err)) == 0)
        reads++;
    assert_int_equal(rc, 1);
    assert_int_equal(reads, 5); /* 11 records, 2 at a time */
    aft_dataset_free(test);     /* not read again */
    assert_int_equal(aft_augment_pass_total(p), whole.sources);
    while ((rc = aft_augment_pass_make(p, 1, &res, &err)) == 0)
        ;
    assert_int_equal(rc, 1);
    assert_int_equal(aft_augment_pass_done(p), whole.sources);
    aft_augment_pass_free(p);
    assert_int_equal(res.count, whole.count);
    for (size_t i = 0; i < res.count; i++)
        assert_string_equal(res.items[i].json, whole.items[i].json);
    assert_string_equal(res.items[0].source_text, "book a car");
    aft_augment_result_free(&res);

    /* only t3 (a dialogue), t4 (valid) and t9, whose variant equals test s1 */
    const size_t picked[] = {2, 3, 8};
    o.records = picked, o.n_records = 3;
    test = write_and_open("test3.jsonl", test_jsonl);
    src[1].ds = test;
    assert_int_equal(aft_augment(src, 2, &o, &res, &err), 0);
    assert_int_equal(res.sources, 2);
    assert_int_equal(res.not_train, 1);
    assert_int_equal(res.dup_existing[AFT_VM_SYNONYM], 1);
    assert_int_equal(res.count, 1);
    assert_string_equal(res.items[0].source_text, "a red car");
    assert_string_equal(res.items[0].text, "a red bus");

    char *edited = aft_variant_with_text(res.items[0].json, "a red coach", &err);
    assert_non_null(edited);
    cJSON *j = cJSON_Parse(edited);
    const cJSON *ctx = cJSON_GetObjectItem(j, "context");
    assert_string_equal(str_of(cJSON_GetArrayItem(ctx, 2), "content"), "a red coach");
    assert_string_equal(str_of(cJSON_GetArrayItem(ctx, 0), "content"), "rent a car");
    assert_string_equal(str_of(j, "id"), "t3-aug1");
    assert_string_equal(str_of(cJSON_GetObjectItem(j, "augmented"), "source_id"), "t3");
    cJSON_Delete(j);
    free(edited);
    assert_null(aft_variant_with_text(res.items[0].json, "", &err));
    assert_non_null(strstr(err.msg, "empty"));
    aft_augment_result_free(&res);

    const size_t past[] = {99};
    o.records = past, o.n_records = 1;
    assert_int_equal(aft_augment(src, 2, &o, &res, &err), -1);
    assert_non_null(strstr(err.msg, "record 100 is past the end"));
    aft_augment_result_free(&whole);
    aft_synonyms_free(us);
    aft_dataset_free(train);
    aft_dataset_free(test);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_zero_is_identity),
        cmocka_unit_test(test_seeded_and_reproducible),
        cmocka_unit_test(test_synonym_replacement),
        cmocka_unit_test(test_user_synonyms),
        cmocka_unit_test(test_synonym_files),
        cmocka_unit_test(test_swap_delete_insert),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_dataset_pass),
        cmocka_unit_test(test_dataset_only_and_no_split),
        cmocka_unit_test(test_dataset_typo),
        cmocka_unit_test(test_pass_in_steps),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
