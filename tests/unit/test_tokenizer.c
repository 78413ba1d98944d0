/* Unit tests of the byte-level BPE: pre-tokenizer splits, byte mapping,
 * round trips, training, tokenizer.json / GPT-2 files, load errors, specials. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "agentft/fileio.h"
#include "agentft/rng.h"
#include "agentft/tokenizer.h"
#include "agentft/utf8.h"
#include "../../src/data/tokenizer_internal.h"

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "tokenizer");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* The pieces of s joined with '|'. */
static void split(const char *s, char *out, size_t size)
{
    size_t len = strlen(s), o = 0;
    for (size_t pos = 0; pos < len;) {
        size_t end = aft_pretok_next(s, len, pos);
        assert_true(end > pos && end <= len);
        if (pos > 0)
            out[o++] = '|';
        assert_true(o + (end - pos) + 2 < size);
        memcpy(out + o, s + pos, end - pos);
        o += end - pos;
        pos = end;
    }
    out[o] = '\0';
}

static void test_pretokenize(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Hello world", "Hello| world"},
        {"I'm here", "I|'m| here"},
        {"don't stop", "don|'t| stop"},
        {"they're we'll you've he'd it's", "they|'re| we|'ll| you|'ve| he|'d| it|'s"},
        {"DON'T", "DON|'|T"},             /* contractions are lower-case only */
        {"'sup 're", "'s|up| '|re"},
        {"rock'n'roll", "rock|'|n|'|roll"},
        {"a b", "a| b"},
        {"a  b", "a| | b"},                /* \s+(?!\S) leaves the last space to " b" */
        {"a   b", "a|  | b"},
        {"a\n\nb", "a|\n|\n|b"},           /* a newline cannot lead a word */
        {"a \n b", "a| \n| b"},
        {"\t\tfoo", "\t|\t|foo"},
        {"  foo", " | foo"},
        {"end  ", "end|  "},               /* trailing white space stays one piece */
        {"x \t", "x| \t"},
        {"123456 78", "123456| 78"},       /* digits are not split */
        {"abc123def", "abc|123|def"},
        {"3.14", "3|.|14"},
        {"hello!!! world?!", "hello|!!!| world|?!"},
        {" (see)", " (|see|)"},
        {"你好世界", "你好世界"},
        {"你好，世界。", "你好|，|世界|。"},
        {"東京 タワー", "東京| タワー"},
        {"🙂🙂 ok", "🙂🙂| ok"},           /* emoji are symbols, not letters */
        {"ok 🙂", "ok| 🙂"},
        {"cafe\xcc\x81 bar", "cafe|\xcc\x81| bar"},  /* a combining mark is not a letter */
        {"x\xc2\xa0y", "x|\xc2\xa0|y"},    /* NBSP is \s, but only ' ' may lead a word */
        {"\xe3\x80\x80\xe3\x80\x80z", "\xe3\x80\x80|\xe3\x80\x80|z"},  /* ideographic spaces */
        {"\xd9\xa3\xd9\xa4 \xc2\xbd", "\xd9\xa3\xd9\xa4| \xc2\xbd"},  /* Arabic digits, 1/2 */
        {"a\xff" "b", "a|\xff|b"},          /* an invalid byte is one "other" character */
        {"a\xff\xfe!", "a|\xff\xfe!"},
        {"\xe4\xbd", "\xe4\xbd"},           /* a cut-off sequence */
    };
    char buf[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        split(cases[i][0], buf, sizeof buf);
        if (strcmp(buf, cases[i][1]) != 0)
            fail_msg("case %zu: '%s' split as '%s', expected '%s'", i, cases[i][0], buf,
                     cases[i][1]);
    }
}

static void test_byte_map(void **state)
{
    (void)state;
    int seen_id[256] = {0};
    for (int b = 0; b < 256; b++) {
        uint32_t cp = aft_byte_to_cp((unsigned char)b);
        assert_int_equal(aft_cp_to_byte(cp), b);
        int32_t id = aft_gpt2_byte_id((unsigned char)b);
        assert_true(id >= 0 && id < 256);
        assert_int_equal(seen_id[id]++, 0);
    }
    assert_int_equal(aft_byte_to_cp(' '), 0x120);   /* 'Ġ' */
    assert_int_equal(aft_byte_to_cp('\n'), 0x10A);  /* 'Ċ' */
    assert_int_equal(aft_byte_to_cp('A'), 'A');
    assert_int_equal(aft_gpt2_byte_id('!'), 0);
    assert_int_equal(aft_gpt2_byte_id(0), 188);
    assert_int_equal(aft_cp_to_byte(' '), -1);
    assert_int_equal(aft_cp_to_byte(0x200), -1);
    char *bl = aft_bytes_to_bl(" a\n", 3);
    assert_string_equal(bl, "\xc4\xa0" "a" "\xc4\x8a");
    char raw[8];
    size_t n;
    assert_int_equal(aft_bl_to_bytes(bl, strlen(bl), raw, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(raw, " a\n", 3);
    free(bl);
    assert_int_equal(aft_bl_to_bytes("\xe2\x96\x81x", 4, raw, &n), -1);  /* '▁' */
}

static const char *const corpus_words[] = {
    "the", "flight", "booking", "refund", "passenger", "supercalifragilistic", "航班", "北京",
    "don't", "I'm", "42", "3.14", "!!", "🙂", "  ", "\n", "café", "Tokyo",
};

/* Deterministic training texts: sentences of the words above and of
 * made-up words (syllables), so that there are pairs enough for ~1000 tokens. */
static char **make_corpus(size_t n, uint64_t seed)
{
    static const char *const syll[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "en", "ul",
                                       "da", "ve", "zo", "ch", "ir", "ba"};
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    char **texts = malloc(n * sizeof *texts);
    assert_non_null(texts);
    size_t nw = sizeof corpus_words / sizeof corpus_words[0];
    for (size_t i = 0; i < n; i++) {
        char buf[512] = "";
        size_t o = 0;
        for (int k = 0; k < 12; k++) {
            if (k)
                buf[o++] = ' ';
            if (aft_rng_below(&rng, 2)) {
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%s",
                                      corpus_words[aft_rng_below(&rng, nw)]);
                continue;
            }
            for (int j = 2 + (int)aft_rng_below(&rng, 3); j > 0; j--)
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", syll[aft_rng_below(&rng, 16)]);
        }
        texts[i] = strdup(buf);
    }
    return texts;
}

static void free_corpus(char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
}

static const char *const specials[] = {"<|endoftext|>", "<|pad|>", "<|sep|>"};

static aft_tokenizer *train_small(size_t vocab)
{
    char **texts = make_corpus(2000, 1);
    aft_error err = {0};
    aft_tokenizer *t = aft_tokenizer_train((const char *const *)texts, 2000, vocab, specials, 3, &err);
    if (!t)
        fail_msg("train: %s", err.msg);
    free_corpus(texts, 2000);
    return t;
}

static void encode_ok(const aft_tokenizer *t, const char *s, size_t len, int allow, aft_tokens *ids)
{
    aft_error err = {0};
    ids->n = 0;
    if (aft_tokenizer_encode(t, s, len, allow, ids, &err) < 0)
        fail_msg("encode: %s", err.msg);
}

static void assert_round_trip(const aft_tokenizer *t, const char *s, size_t len)
{
    aft_tokens ids = {0};
    aft_error err = {0};
    encode_ok(t, s, len, 0, &ids);
    size_t dlen = 0;
    char *back = aft_tokenizer_decode(t, ids.ids, ids.n, &dlen, &err);
    assert_non_null(back);
    assert_int_equal(dlen, len);
    assert_memory_equal(back, s, len);
    free(back);
    aft_tokens_free(&ids);
}

/* Random text from pieces that stress the pre-tokenizer and UTF-8. */
static size_t random_text(aft_rng *rng, char *buf, size_t size, int invalid)
{
    static const char *const parts[] = {
        "a", "Z", "the", " ", "  ", "\t", "\n", "\r\n", "'s", "'", "42", "!", "...", "中", "文字",
        "こ", "한", "🙂", "👨\xe2\x80\x8d👩\xe2\x80\x8d👧", "🇩🇪", "e\xcc\x81", "\xcc\x88",
        "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\x8b", "\xef\xbb\xbf", "\xd9\xa3", "½", "Ω", "ß",
        "\x01", "\x7f", "<|", "|>", "endoftext",
    };
    size_t o = 0, n = 1 + aft_rng_below(rng, 40);
    for (size_t k = 0; k < n; k++) {
        const char *p;
        char one[2] = {0};
        if (invalid && aft_rng_below(rng, 6) == 0) {
            one[0] = (char)(0x80 + aft_rng_below(rng, 128));  /* a stray byte */
            p = one;
        } else {
            p = parts[aft_rng_below(rng, sizeof parts / sizeof parts[0])];
        }
        size_t len = one[0] ? 1 : strlen(p);
        if (o + len >= size)
            break;
        memcpy(buf + o, p, len);
        o += len;
    }
    return o;
}

static void test_round_trip_random(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(600);
    aft_rng rng;
    aft_rng_seed(&rng, 7);
    char buf[1024];
    for (int i = 0; i < 3000; i++) {
        size_t n = random_text(&rng, buf, sizeof buf, i % 2);
        assert_round_trip(t, buf, n);
    }
    /* Every byte value, and long runs that take the heap path. */
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        assert_round_trip(t, &c, 1);
    }
    memset(buf, 'a', 500);
    assert_round_trip(t, buf, 500);
    for (int i = 0; i < 200; i++)
        memcpy(buf + 3 * i, "中", 3);
    assert_round_trip(t, buf, 600);
    assert_round_trip(t, "", 0);
    aft_tokenizer_free(t);
}

/* The linear and the heap merge loops must agree on every piece. */
static void test_heap_matches_list(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(800);
    aft_rng rng;
    aft_rng_seed(&rng, 11);
    char buf[1024];
    int32_t a[1024], b[1024];
    void *scratch = malloc(aft_bpe_scratch_size(sizeof buf));
    assert_non_null(scratch);
    for (int i = 0; i < 2000; i++) {
        size_t n = random_text(&rng, buf, sizeof buf, 0);
        while (i % 8 == 0 && n < 700)   /* some long ones too */
            n += random_text(&rng, buf + n, sizeof buf - n, 0);
        /* Whole texts as one piece: longer and more varied than real pieces. */
        for (size_t k = 0; k < n; k++)
            a[k] = b[k] = t->byte_id[(unsigned char)buf[k]];
        size_t na = aft_bpe_word(t, a, n, scratch, AFT_BPE_LIST);
        size_t nb = aft_bpe_word(t, b, n, scratch, AFT_BPE_HEAP);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof *a);
    }
    free(scratch);
    aft_tokenizer_free(t);
}

static void test_train_deterministic(void **state)
{
    (void)state;
    aft_tokenizer *x = train_small(700), *y = train_small(700);
    assert_int_equal(aft_tokenizer_vocab_size(x), 700);
    assert_int_equal(aft_tokenizer_vocab_size(y), 700);
    for (int32_t id = 0; id < 700; id++) {
        size_t nx, ny;
        const char *bx = aft_tokenizer_token_bytes(x, id, &nx);
        const char *by = aft_tokenizer_token_bytes(y, id, &ny);
        assert_non_null(bx);
        assert_int_equal(nx, ny);
        assert_memory_equal(bx, by, nx);
    }
    assert_int_equal(x->n_merges, y->n_merges);
    assert_memory_equal(x->merges, y->merges, 3 * x->n_merges * sizeof *x->merges);
    /* Byte tokens have GPT-2's ids; specials come last. */
    size_t n;
    assert_memory_equal(aft_tokenizer_token_bytes(x, 0, &n), "!", 1);
    assert_int_equal(aft_tokenizer_special(x, "<|endoftext|>"), 697);
    assert_int_equal(aft_tokenizer_special(x, "<|sep|>"), 699);
    aft_tokenizer_free(x);
    aft_tokenizer_free(y);
}

static void test_train_frequent_words(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(1000);
    aft_tokens ids = {0};
    const char *words[] = {" supercalifragilistic", " passenger", " booking", "航班", " Tokyo"};
    for (size_t i = 0; i < 5; i++) {
        encode_ok(t, words[i], strlen(words[i]), 0, &ids);
        if (ids.n != 1)
            fail_msg("'%s' is %zu tokens, expected 1", words[i], ids.n);
    }
    /* A word never seen stays in pieces. */
    encode_ok(t, " xylophone", 10, 0, &ids);
    assert_true(ids.n > 3);
    aft_tokens_free(&ids);
    aft_tokenizer_free(t);
}

static void test_train_small_text(void **state)
{
    (void)state;
    /* Too little text for the size asked: the vocabulary stops early. */
    const char *texts[] = {"abab abab", "xyz"};
    aft_error err = {0};
    aft_tokenizer *t = aft_tokenizer_train(texts, 2, 5000, NULL, 0, &err);
    assert_non_null(t);
    assert_true(aft_tokenizer_vocab_size(t) > 256 && aft_tokenizer_vocab_size(t) < 270);
    assert_round_trip(t, "abab xyz ab", 11);
    aft_tokenizer_free(t);
    t = aft_tokenizer_train(NULL, 0, 300, specials, 3, &err);
    assert_non_null(t);
    assert_int_equal(aft_tokenizer_vocab_size(t), 259);
    aft_tokenizer_free(t);
}

static void test_train_errors(void **state)
{
    (void)state;
    const char *texts[] = {"hello"};
    aft_error err = {0};
    assert_null(aft_tokenizer_train(texts, 1, 257, specials, 3, &err));
    assert_non_null(strstr(err.msg, "vocabulary size 257"));
    const char *dup[] = {"<|a|>", "<|a|>"};
    assert_null(aft_tokenizer_train(texts, 1, 300, dup, 2, &err));
    assert_non_null(strstr(err.msg, "given twice"));
    const char *empty[] = {""};
    assert_null(aft_tokenizer_train(texts, 1, 300, empty, 1, &err));
    assert_non_null(strstr(err.msg, "empty"));
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void write_text(const char *path, const char *text)
{
    aft_error err = {0};
    if (aft_write_file_atomic(path, text, strlen(text), &err) < 0)
        fail_msg("%s", err.msg);
}

static void assert_same_ids(const aft_tokenizer *x, const aft_tokenizer *y, int allow)
{
    aft_rng rng;
    aft_rng_seed(&rng, 3);
    char buf[1024];
    aft_tokens a = {0}, b = {0};
    for (int i = 0; i < 500; i++) {
        size_t n = random_text(&rng, buf, sizeof buf, i % 3 == 0);
        encode_ok(x, buf, n, allow, &a);
        encode_ok(y, buf, n, allow, &b);
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.ids, b.ids, a.n * sizeof *a.ids);
    }
    aft_tokens_free(&a);
    aft_tokens_free(&b);
}

static void test_save_load(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(900);
    char path[600], again[600];
    path_in(path, sizeof path, "tokenizer.json");
    path_in(again, sizeof again, "again.json");
    aft_error err = {0};
    assert_int_equal(aft_tokenizer_save(t, path, &err), 0);
    aft_tokenizer *u = aft_tokenizer_load(path, &err);
    if (!u)
        fail_msg("load: %s", err.msg);
    assert_int_equal(aft_tokenizer_vocab_size(u), 900);
    assert_int_equal(aft_tokenizer_special(u, "<|pad|>"), aft_tokenizer_special(t, "<|pad|>"));
    assert_same_ids(t, u, 0);
    assert_same_ids(t, u, 1);
    /* Saving what was loaded gives the same file; a folder loads its tokenizer.json. */
    assert_int_equal(aft_tokenizer_save(u, again, &err), 0);
    char *a, *b;
    size_t na, nb;
    assert_int_equal(aft_read_file(path, &a, &na, &err), 0);
    assert_int_equal(aft_read_file(again, &b, &nb, &err), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    assert_non_null(strstr(a, "\"type\":\t\"BPE\""));
    assert_non_null(strstr(a, "\"special\":\ttrue"));
    free(a);
    free(b);
    aft_tokenizer *v = aft_tokenizer_load(tmpdir, &err);
    assert_non_null(v);
    assert_same_ids(t, v, 1);
    aft_tokenizer_free(t);
    aft_tokenizer_free(u);
    aft_tokenizer_free(v);
}

/* A tiny tokenizer.json: bytes a b c and space, merges as strings or pairs. */
static const char *tiny_json(const char *merges, const char *extra_vocab)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"added_tokens\":[{\"id\":7,\"content\":\"<|eot|>\",\"special\":true}],\n"
             " \"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"\xc4\xa0\":3,"
             "\"ab\":4,\"abc\":5,\"\xc4\xa0" "a\":6%s},\n \"merges\":%s}}\n",
             extra_vocab, merges);
    return buf;
}

static void test_load_tiny(void **state)
{
    (void)state;
    char path[600];
    path_in(path, sizeof path, "tiny.json");
    const char *forms[] = {"[\"a b\",\"ab c\",\"\xc4\xa0 a\"]",
                           "[[\"a\",\"b\"],[\"ab\",\"c\"],[\"\xc4\xa0\",\"a\"]]"};
    for (size_t f = 0; f < 2; f++) {
        write_text(path, tiny_json(forms[f], ""));
        aft_error err = {0};
        aft_tokenizer *t = aft_tokenizer_load(path, &err);
        if (!t)
            fail_msg("%s", err.msg);
        assert_int_equal(aft_tokenizer_vocab_size(t), 8);
        aft_tokens ids = {0};
        encode_ok(t, "abc ab a<|eot|>", 15, 1, &ids);
        int32_t want[] = {5, 3, 4, 6, 7};
        assert_int_equal(ids.n, 5);
        assert_memory_equal(ids.ids, want, sizeof want);
        /* A byte with no token cannot be encoded: an error, not a crash. */
        assert_int_equal(aft_tokenizer_encode(t, "d", 1, 0, &ids, &err), -1);
        assert_non_null(strstr(err.msg, "0x64"));
        aft_tokens_free(&ids);
        aft_tokenizer_free(t);
    }
}

/* A merge list where a pair made mid-way ranks before the pair being merged:
 * GPT-2 merges every occurrence of the current pair first ("a bc a bc" ->
 * "abc abc"), and a one-at-a-time merge would give "abca bc". */
static void test_merge_order(void **state)
{
    (void)state;
    char path[600];
    path_in(path, sizeof path, "order.json");
    write_text(path, "{\"model\":{\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"bc\":3,\"abc\":4,"
                     "\"abca\":5},\"merges\":[\"b c\",\"abc a\",\"a bc\"]}}");
    aft_error err = {0};
    aft_tokenizer *t = aft_tokenizer_load(path, &err);
    if (!t)
        fail_msg("%s", err.msg);
    void *scratch = malloc(aft_bpe_scratch_size(6));
    for (int loop = AFT_BPE_LIST; loop <= AFT_BPE_HEAP; loop++) {
        int32_t ids[6] = {0, 1, 2, 0, 1, 2};
        size_t n = aft_bpe_word(t, ids, 6, scratch, loop);
        assert_int_equal(n, 2);
        assert_int_equal(ids[0], 4);
        assert_int_equal(ids[1], 4);
    }
    free(scratch);
    aft_tokenizer_free(t);
}

/* Loads `text` as a tokenizer.json and checks that the error names the file
 * and says `what`. */
static void expect_load_error(const char *text, const char *what)
{
    char path[600];
    path_in(path, sizeof path, "bad.json");
    write_text(path, text);
    aft_error err = {0};
    aft_tokenizer *t = aft_tokenizer_load(path, &err);
    if (t)
        fail_msg("loaded, expected an error saying '%s'", what);
    if (!strstr(err.msg, path) || !strstr(err.msg, what))
        fail_msg("error '%s' does not name the file and say '%s'", err.msg, what);
}

static void test_load_errors(void **state)
{
    (void)state;
    expect_load_error("{\"model\":\n  {\"vocab\": {\"a\" 0}}}", "bad.json:2:18: invalid JSON");
    expect_load_error("", "invalid JSON");
    expect_load_error("[1, 2]", "top level is not an object");
    expect_load_error("{\"version\":\"1.0\"}", "no \"model\" object");
    expect_load_error("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", "'WordPiece'; only BPE");
    expect_load_error("{\"model\":{\"type\":\"BPE\",\"merges\":[]}}", "model.vocab is missing");
    expect_load_error("{\"model\":{\"vocab\":{},\"merges\":[]}}", "vocabulary is empty");
    expect_load_error(tiny_json("[\"a b\",\"ab x\"]", ""), "merge 2: 'x' is not in the vocabulary");
    expect_load_error(tiny_json("[\"a c\"]", ""), "merge 1 ('a c') makes 'ac', which is not");
    expect_load_error(tiny_json("[\"ab\"]", ""), "merge 1 is neither");
    expect_load_error(tiny_json("[\"a b c\"]", ""), "merge 1 is neither");
    expect_load_error(tiny_json("[[\"a\"]]", ""), "merge 1 is neither");
    expect_load_error(tiny_json("{}", ""), "model.merges is missing or not an array");
    expect_load_error(tiny_json("[]", ",\"d\":-1"), "token 'd' has id -1, which is out of range");
    expect_load_error(tiny_json("[]", ",\"d\":1e12"), "out of range");
    expect_load_error(tiny_json("[]", ",\"d\":1.5"), "out of range");
    expect_load_error(tiny_json("[]", ",\"d\":\"9\""), "the id of token 'd' is not a number");
    expect_load_error(tiny_json("[]", ",\"d\":2"), "tokens 'c' and 'd' both have id 2");
    expect_load_error(tiny_json("[]", ",\"a\":9"), "ids 0 and 9 are the same token");
    expect_load_error(tiny_json("[]", ",\"\xe2\x96\x81the\":9"), "not in the byte-level alphabet");
    expect_load_error("{\"added_tokens\":[{\"id\":99999999999,\"content\":\"x\"}],"
                      "\"model\":{\"vocab\":{\"a\":0},\"merges\":[]}}", "added token 1 ('x') has no id");
    expect_load_error("{\"added_tokens\":[{\"id\":1,\"content\":\"x\"},{\"id\":1,\"content\":\"y\"}],"
                      "\"model\":{\"vocab\":{\"a\":0},\"merges\":[]}}", "'x' and 'y' both have id 1");
    expect_load_error("{\"added_tokens\":[{\"id\":1}],\"model\":{\"vocab\":{\"a\":0},\"merges\":[]}}",
                      "added token 1 has no content");
    expect_load_error("{\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"model\":{\"vocab\":{\"a\":0}}}",
                      "pre_tokenizer Whitespace is not supported");
    expect_load_error("{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true},"
                      "\"model\":{\"vocab\":{\"a\":0}}}", "add_prefix_space true");
    expect_load_error("{\"normalizer\":{\"type\":\"NFC\"},\"model\":{\"vocab\":{\"a\":0}}}",
                      "normalizer NFC is not supported; only none or Lowercase");
    expect_load_error("{\"model\":{\"end_of_word_suffix\":\"</w>\",\"vocab\":{\"a\":0}}}",
                      "end_of_word_suffix '</w>'");

    aft_error err = {0};
    char path[600];
    path_in(path, sizeof path, "missing.json");
    assert_null(aft_tokenizer_load(path, &err));
    assert_non_null(strstr(err.msg, "missing.json"));
    path_in(path, sizeof path, "empty-dir");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_null(aft_tokenizer_load(path, &err));
    assert_non_null(strstr(err.msg, "neither tokenizer.json nor encoder.json"));
}

static void test_decode_errors(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(600);
    aft_error err = {0};
    int32_t bad[] = {5, 600};
    assert_null(aft_tokenizer_decode(t, bad, 2, NULL, &err));
    assert_non_null(strstr(err.msg, "token id 600 at position 1"));
    int32_t neg[] = {-1};
    assert_null(aft_tokenizer_decode(t, neg, 1, NULL, &err));
    size_t n;
    assert_null(aft_tokenizer_token_bytes(t, 600, &n));
    assert_null(aft_tokenizer_token_bytes(t, -5, &n));
    size_t len = 99;
    char *s = aft_tokenizer_decode(t, NULL, 0, &len, &err);
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    free(s);
    aft_tokenizer_free(t);
}

static int contains(const aft_tokens *ids, int32_t id)
{
    for (size_t i = 0; i < ids->n; i++)
        if (ids->ids[i] == id)
            return 1;
    return 0;
}

static void test_specials(void **state)
{
    (void)state;
    const char *sp[] = {"<|a|>", "<|a|>b", "<|endoftext|>"};
    char **texts = make_corpus(500, 5);
    aft_error err = {0};
    aft_tokenizer *t = aft_tokenizer_train((const char *const *)texts, 500, 400, sp, 3, &err);
    free_corpus(texts, 500);
    assert_non_null(t);
    int32_t a = aft_tokenizer_special(t, "<|a|>"), ab = aft_tokenizer_special(t, "<|a|>b");
    int32_t eot = aft_tokenizer_special(t, "<|endoftext|>");
    assert_int_equal(a, 397);
    assert_int_equal(ab, 398);
    assert_int_equal(eot, 399);
    assert_int_equal(aft_tokenizer_special(t, "<|nope|>"), -1);
    assert_int_equal(aft_tokenizer_special(t, "the"), -1);

    const char *text = "x<|endoftext|>y <|a|>b<|a|>";
    aft_tokens ids = {0};
    encode_ok(t, text, strlen(text), 1, &ids);
    assert_true(contains(&ids, eot));
    assert_true(contains(&ids, ab));   /* the longest special wins */
    assert_int_equal(ids.ids[ids.n - 1], a);
    char *back = aft_tokenizer_decode(t, ids.ids, ids.n, NULL, &err);
    assert_string_equal(back, text);
    free(back);
    /* Not allowed: the same text is plain text, and can't forge a special. */
    encode_ok(t, text, strlen(text), 0, &ids);
    assert_false(contains(&ids, eot) || contains(&ids, a) || contains(&ids, ab));
    assert_round_trip(t, text, strlen(text));
    /* Specials at the very start and end, back to back, and cut short. */
    encode_ok(t, "<|endoftext|><|endoftext|>", 26, 1, &ids);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.ids[0], eot);
    encode_ok(t, "<|endoftext|", 12, 1, &ids);
    assert_false(contains(&ids, eot));
    aft_tokens_free(&ids);
    aft_tokenizer_free(t);
}

/* Unicode's lowercase of the capitals aft_utf8_lower maps (as Python's
 * str.lower gives them, letter by letter); the rest stays. */
static void test_lowercase_text(void **state)
{
    (void)state;
    char s[] = "Hello WORLD \xc3\x80\xc3\x89\xc3\x97\xc3\x9e \xce\x91\xce\xa9 "
               "\xd0\x81\xd0\x96\xd0\xaf \xc4\x80\xc4\x9e\xc5\x81\xc5\xbd \xc4\xb0 \xff" "9";
    aft_utf8_lower(s, strlen(s));
    assert_string_equal(s, "hello world \xc3\xa0\xc3\xa9\xc3\x97\xc3\xbe \xce\xb1\xcf\x89 "
                           "\xd1\x91\xd0\xb6\xd1\x8f \xc4\x81\xc4\x9f\xc5\x82\xc5\xbe \xc4\xb0 \xff" "9");
    assert_int_equal(aft_cp_lower('Q'), 'q');
    assert_int_equal(aft_cp_lower('q'), 'q');
    assert_int_equal(aft_cp_lower(0x3A2), 0x3A2); /* unassigned between Greek capitals */
    assert_int_equal(aft_cp_lower(0x4E2D), 0x4E2D);
}

/* An uncased tokenizer: case does not change the ids, the specials still
 * match, and tokenizer.json keeps it as a Lowercase normalizer. */
static void test_lowercase_tokenizer(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(600);
    assert_false(aft_tokenizer_lowercase(t));
    aft_tokens a = {0}, b = {0};
    encode_ok(t, "Book A Flight", 13, 0, &a);
    encode_ok(t, "book a flight", 13, 0, &b);
    assert_false(a.n == b.n && memcmp(a.ids, b.ids, a.n * sizeof *a.ids) == 0);
    aft_tokenizer_set_lowercase(t, 1);
    encode_ok(t, "Book A Flight", 13, 0, &a);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ids, b.ids, a.n * sizeof *a.ids);
    char long_text[700];
    memset(long_text, 'X', sizeof long_text - 1); /* past the on-stack copy */
    long_text[sizeof long_text - 1] = '\0';
    encode_ok(t, long_text, strlen(long_text), 0, &a);
    char *back = aft_tokenizer_decode(t, a.ids, a.n, NULL, NULL);
    assert_non_null(back);
    assert_true(back[0] == 'x' && back[698] == 'x' && strlen(back) == 699);
    free(back);
    encode_ok(t, "<|pad|>AB", 9, 1, &a);
    assert_int_equal(a.ids[0], aft_tokenizer_special(t, "<|pad|>"));

    char path[600];
    path_in(path, sizeof path, "uncased.json");
    aft_error err = {0};
    assert_int_equal(aft_tokenizer_save(t, path, &err), 0);
    char *text;
    size_t len;
    assert_int_equal(aft_read_file(path, &text, &len, &err), 0);
    assert_non_null(strstr(text, "\"normalizer\":\t{\n\t\t\"type\":\t\"Lowercase\""));
    free(text);
    aft_tokenizer *u = aft_tokenizer_load(path, &err);
    assert_non_null(u);
    assert_true(aft_tokenizer_lowercase(u));
    encode_ok(u, "Book A Flight", 13, 0, &a);
    assert_memory_equal(a.ids, b.ids, b.n * sizeof *b.ids);
    aft_tokens_free(&a);
    aft_tokens_free(&b);
    aft_tokenizer_free(t);
    aft_tokenizer_free(u);
}

/* GPT-2's file pair: encoder.json (byte-level keys) and vocab.bpe. */
static void test_gpt2_files(void **state)
{
    (void)state;
    char dir[600], enc[700], bpe[700];
    path_in(dir, sizeof dir, "gpt2");
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(enc, sizeof enc, "%s/encoder.json", dir);
    snprintf(bpe, sizeof bpe, "%s/vocab.bpe", dir);
    /* All 256 bytes (GPT-2's order), two merges, and <|endoftext|>. */
    char *json = malloc(8192);
    size_t o = (size_t)sprintf(json, "{");
    for (int b = 0; b < 256; b++) {
        char c = (char)b, *bl = aft_bytes_to_bl(&c, 1);
        o += (size_t)sprintf(json + o, "%s\"%s\": %d", b ? ", " : "",
                             c == '"' ? "\\\"" : c == '\\' ? "\\\\" : bl, aft_gpt2_byte_id((unsigned char)b));
        free(bl);
    }
    sprintf(json + o, ", \"\xc4\xa0t\": 256, \"\xc4\xa0the\": 257, \"he\": 258, \"<|endoftext|>\": 259}");
    write_text(enc, json);
    free(json);
    write_text(bpe, "#version: 0.2\n\xc4\xa0 t\nh e\n\xc4\xa0t he\n");
    aft_error err = {0};
    aft_tokenizer *t = aft_tokenizer_load(dir, &err);
    if (!t)
        fail_msg("%s", err.msg);
    assert_int_equal(aft_tokenizer_vocab_size(t), 260);
    assert_int_equal(aft_tokenizer_special(t, "<|endoftext|>"), 259);
    aft_tokens ids = {0};
    encode_ok(t, " the<|endoftext|>", 17, 1, &ids);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.ids[0], 257);
    assert_int_equal(ids.ids[1], 259);
    aft_tokens_free(&ids);
    aft_tokenizer_free(t);

    write_text(bpe, "#version: 0.2\n\xc4\xa0 t\nh e z\n");
    assert_null(aft_tokenizer_load(dir, &err));
    assert_non_null(strstr(err.msg, "vocab.bpe:3: expected a merge"));
    write_text(bpe, "#version: 0.2\n\xc4\xa0 t\nh q\n");
    assert_null(aft_tokenizer_load(dir, &err));
    assert_non_null(strstr(err.msg, "vocab.bpe:3: merge 2 ('h q') makes 'hq'"));
    write_text(enc, "{\"a\": 0,}");
    assert_null(aft_tokenizer_load(dir, &err));
    assert_non_null(strstr(err.msg, "encoder.json:1:9: invalid JSON"));
}

/* Several threads encoding with one tokenizer get what one thread gets:
 * encode keeps its scratch per call. */
typedef struct job {
    const aft_tokenizer *t;
    uint64_t seed;
    size_t tokens;
    int failed;
} job;

static void *encode_job(void *arg)
{
    job *j = arg;
    aft_rng rng;
    aft_rng_seed(&rng, j->seed);
    char buf[1024];
    aft_tokens ids = {0};
    for (int i = 0; i < 400; i++) {
        size_t n = random_text(&rng, buf, sizeof buf, 1);
        ids.n = 0;
        if (aft_tokenizer_encode(j->t, buf, n, 1, &ids, NULL) < 0)
            j->failed = 1;
        j->tokens += ids.n;
    }
    aft_tokens_free(&ids);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(800);
    job alone = {t, 99, 0, 0};
    encode_job(&alone);
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){t, 99, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, encode_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_false(jobs[i].failed);
        assert_int_equal(jobs[i].tokens, alone.tokens);
    }
    aft_tokenizer_free(t);
}

/* Damaged files (bytes changed, cut short) load or fail with a message,
 * never crash; run under ASan this checks every path through the loader. */
static void test_load_damaged(void **state)
{
    (void)state;
    aft_tokenizer *t = train_small(400);
    char path[600], bad[600];
    path_in(path, sizeof path, "good.json");
    path_in(bad, sizeof bad, "damaged.json");
    aft_error err = {0};
    assert_int_equal(aft_tokenizer_save(t, path, &err), 0);
    aft_tokenizer_free(t);
    char *data;
    size_t len;
    assert_int_equal(aft_read_file(path, &data, &len, &err), 0);
    static const char junk[] = "\"{}[],:0 9-\\\xff";
    aft_rng rng;
    aft_rng_seed(&rng, 5);
    for (int i = 0; i < 150; i++) {
        char *copy = malloc(len);
        memcpy(copy, data, len);
        size_t n = len;
        if (i % 3 == 0)
            n = aft_rng_below(&rng, len);
        for (int k = 0; k < 1 + i % 4; k++)
            copy[aft_rng_below(&rng, n ? n : 1)] = junk[aft_rng_below(&rng, sizeof junk - 1)];
        assert_int_equal(aft_write_file_atomic(bad, copy, n, &err), 0);
        free(copy);
        aft_error e = {0};
        aft_tokenizer *u = aft_tokenizer_load(bad, &e);
        if (u)
            assert_round_trip(u, "some text 你好", 17);
        else
            assert_non_null(strstr(e.msg, "damaged.json"));
        aft_tokenizer_free(u);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretokenize),
        cmocka_unit_test(test_byte_map),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_heap_matches_list),
        cmocka_unit_test(test_train_deterministic),
        cmocka_unit_test(test_train_frequent_words),
        cmocka_unit_test(test_train_small_text),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_tiny),
        cmocka_unit_test(test_merge_order),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_lowercase_text),
        cmocka_unit_test(test_lowercase_tokenizer),
        cmocka_unit_test(test_gpt2_files),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_load_damaged),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
