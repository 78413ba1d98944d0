/* Byte-level BPE training: count the pre-tokenized words, then merge the most
 * frequent adjacent pair again and again, updating the pair counts only in
 * the words that hold the pair being merged. */
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"
#include "tokenizer_internal.h"

/* Pairs seen fewer times than this are not worth a vocabulary entry. */
#define MIN_PAIR_COUNT 2

/* Byte strings (words, then tokens) by index, with a map back to the index. */
typedef struct strtab {
    char *bytes;
    size_t used, cap;
    size_t *off;
    uint32_t *len;
    size_t n, ncap;
    aft_strmap map;
} strtab;

typedef struct pair {
    int32_t a, b;
    int64_t count;      /* weighted by word counts; may drop to 0 */
    uint32_t *where;    /* words that hold (or held) the pair; may repeat */
    uint32_t nwhere, cwhere;
    int done;           /* merged already: never chosen again */
} pair;

/* Max-heap entry; stale entries (count no longer current) are skipped. */
typedef struct heap_ent {
    int64_t count;
    int32_t a, b;
    uint32_t pair;
} heap_ent;

typedef struct trainer {
    strtab words, tokens;
    uint64_t *word_count;
    int32_t *sym;           /* each word's symbols, from sym_off[w], sym_len[w] long */
    size_t *sym_off;
    uint32_t *sym_len;
    pair *pairs;
    size_t n_pairs, c_pairs;
    uint32_t *pair_slots;   /* pair index + 1; 0 = empty */
    size_t pair_mask;
    heap_ent *heap;
    size_t n_heap, c_heap;
    int32_t *merges;        /* a, b, merged */
    size_t n_merges, c_merges;
    int oom;
} trainer;

/* Grows the array whose pointer is at pp (of *cap items of `size`) to hold
 * `need`; 0 or -1. The pointer is copied with memcpy, which is valid for
 * any object pointer type (a cast to void ** would not be). */
static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return -1;
        c *= 2;
    }
    void *p;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, c * size);
    if (!q)
        return -1;
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return 0;
}

static const char *strtab_key(const void *ctx, uint32_t i, size_t *len)
{
    const strtab *t = ctx;
    *len = t->len[i];
    return t->bytes + t->off[i];
}

/* The index of s in the table, added if new; -1 when out of memory. */
static int64_t strtab_intern(strtab *t, const char *s, size_t len, int *added)
{
    int64_t i = aft_strmap_find(&t->map, s, len, strtab_key, t);
    *added = i < 0;
    if (i >= 0)
        return i;
    if (t->n >= UINT32_MAX - 1 || len > UINT32_MAX)
        return -1;
    size_t oc = t->ncap;
    if (grow(&t->bytes, &t->cap, t->used + len, 1) < 0 ||
        grow(&t->off, &oc, t->n + 1, sizeof *t->off) < 0 ||
        grow(&t->len, &t->ncap, t->n + 1, sizeof *t->len) < 0)
        return -1;
    memcpy(t->bytes + t->used, s, len);
    t->off[t->n] = t->used;
    t->len[t->n] = (uint32_t)len;
    t->used += len;
    if (aft_strmap_put(&t->map, (uint32_t)t->n, s, len, strtab_key, t) < 0)
        return -1;
    return (int64_t)t->n++;
}

static void strtab_free(strtab *t)
{
    free(t->bytes);
    free(t->off);
    free(t->len);
    aft_strmap_free(&t->map);
}

static int count_words(trainer *tr, const char *const *texts, size_t n_texts)
{
    size_t cap = 0;
    for (size_t i = 0; i < n_texts; i++) {
        size_t len = strlen(texts[i]);
        for (size_t pos = 0; pos < len;) {
            size_t end = aft_pretok_next(texts[i], len, pos);
            int added;
            int64_t w = strtab_intern(&tr->words, texts[i] + pos, end - pos, &added);
            if (w < 0 || grow(&tr->word_count, &cap, (size_t)w + 1, sizeof *tr->word_count) < 0)
                return -1;
            if (added)
                tr->word_count[w] = 0;
            tr->word_count[w]++;
            pos = end;
        }
    }
    return 0;
}

static size_t pair_slot(const trainer *tr, int32_t a, int32_t b)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & tr->pair_mask;
    for (;; i = (i + 1) & tr->pair_mask) {
        uint32_t v = tr->pair_slots[i];
        if (v == 0 || (tr->pairs[v - 1].a == a && tr->pairs[v - 1].b == b))
            return i;
    }
}

static int rehash_pairs(trainer *tr)
{
    size_t n = tr->pair_slots ? 2 * (tr->pair_mask + 1) : 1024;
    free(tr->pair_slots);
    tr->pair_slots = calloc(n, sizeof *tr->pair_slots);
    if (!tr->pair_slots)
        return -1;
    tr->pair_mask = n - 1;
    for (size_t p = 0; p < tr->n_pairs; p++)
        tr->pair_slots[pair_slot(tr, tr->pairs[p].a, tr->pairs[p].b)] = (uint32_t)p + 1;
    return 0;
}

/* The pair (a, b), created with count 0 if new; NULL when out of memory. */
static pair *get_pair(trainer *tr, int32_t a, int32_t b)
{
    size_t s = pair_slot(tr, a, b);
    if (tr->pair_slots[s])
        return &tr->pairs[tr->pair_slots[s] - 1];
    if (tr->n_pairs >= UINT32_MAX - 1 ||
        grow(&tr->pairs, &tr->c_pairs, tr->n_pairs + 1, sizeof *tr->pairs) < 0)
        return NULL;
    pair *p = &tr->pairs[tr->n_pairs++];
    memset(p, 0, sizeof *p);
    p->a = a;
    p->b = b;
    tr->pair_slots[s] = (uint32_t)tr->n_pairs;
    if (2 * tr->n_pairs > tr->pair_mask + 1 && rehash_pairs(tr) < 0)
        return NULL;
    return p;
}

/* Highest count first; ties go to the smallest (a, b), so training is
 * deterministic. */
static int heap_before(const heap_ent *x, const heap_ent *y)
{
    if (x->count != y->count)
        return x->count > y->count;
    if (x->a != y->a)
        return x->a < y->a;
    return x->b < y->b;
}

static int heap_push(trainer *tr, const pair *p)
{
    if (grow(&tr->heap, &tr->c_heap, tr->n_heap + 1, sizeof *tr->heap) < 0)
        return -1;
    heap_ent e = {p->count, p->a, p->b, (uint32_t)(p - tr->pairs)};
    size_t i = tr->n_heap++;
    while (i > 0 && heap_before(&e, &tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = e;
    return 0;
}

static heap_ent heap_pop(trainer *tr)
{
    heap_ent top = tr->heap[0], v = tr->heap[--tr->n_heap];
    size_t i = 0, n = tr->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_before(&tr->heap[c + 1], &tr->heap[c]))
            c++;
        if (!heap_before(&tr->heap[c], &v))
            break;
        tr->heap[i] = tr->heap[c];
        i = c;
    }
    tr->heap[i] = v;
    return top;
}

/* Adds `by` occurrences of (a, b) in word w. */
static int pair_add(trainer *tr, int32_t a, int32_t b, int64_t by, uint32_t w)
{
    pair *p = get_pair(tr, a, b);
    if (!p)
        return -1;
    p->count += by;
    if (p->nwhere == 0 || p->where[p->nwhere - 1] != w) {
        size_t c = p->cwhere;
        if (grow(&p->where, &c, (size_t)p->nwhere + 1, sizeof *p->where) < 0 || c > UINT32_MAX)
            return -1;
        p->cwhere = (uint32_t)c;
        p->where[p->nwhere++] = w;
    }
    /* A count that grew needs a fresh heap entry; one that shrank is put
     * right when its stale entry comes up. */
    return p->done ? 0 : heap_push(tr, p);
}

static void pair_sub(trainer *tr, int32_t a, int32_t b, int64_t by)
{
    size_t s = pair_slot(tr, a, b);
    if (tr->pair_slots[s])
        tr->pairs[tr->pair_slots[s] - 1].count -= by;
}

static int init_pairs(trainer *tr)
{
    size_t total = 0;
    for (size_t w = 0; w < tr->words.n; w++)
        total += tr->words.len[w];
    tr->sym = malloc((total ? total : 1) * sizeof *tr->sym);
    tr->sym_off = malloc((tr->words.n ? tr->words.n : 1) * sizeof *tr->sym_off);
    tr->sym_len = malloc((tr->words.n ? tr->words.n : 1) * sizeof *tr->sym_len);
    if (!tr->sym || !tr->sym_off || !tr->sym_len || rehash_pairs(tr) < 0)
        return -1;
    size_t o = 0;
    for (size_t w = 0; w < tr->words.n; w++) {
        const unsigned char *s = (const unsigned char *)tr->words.bytes + tr->words.off[w];
        tr->sym_off[w] = o;
        tr->sym_len[w] = tr->words.len[w];
        for (uint32_t i = 0; i < tr->words.len[w]; i++) {
            tr->sym[o + i] = aft_gpt2_byte_id(s[i]);
            if (i > 0 && pair_add(tr, tr->sym[o + i - 1], tr->sym[o + i],
                                  (int64_t)tr->word_count[w], (uint32_t)w) < 0)
                return -1;
        }
        o += tr->words.len[w];
    }
    return 0;
}

/* Replaces each (a, b) in word w by c, left to right, moving the counts of
 * the neighbouring pairs as it goes (so "a b a b" ends with one (c, c)). */
static int merge_word(trainer *tr, uint32_t w, int32_t a, int32_t b, int32_t c)
{
    int32_t *s = tr->sym + tr->sym_off[w];
    uint32_t n = tr->sym_len[w], out = 0;
    int64_t f = (int64_t)tr->word_count[w];
    for (uint32_t i = 0; i < n;) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b) {
            pair_sub(tr, a, b, f);
            if (out > 0) {
                pair_sub(tr, s[out - 1], a, f);
                if (pair_add(tr, s[out - 1], c, f, w) < 0)
                    return -1;
            }
            if (i + 2 < n) {
                pair_sub(tr, b, s[i + 2], f);
                if (pair_add(tr, c, s[i + 2], f, w) < 0)
                    return -1;
            }
            s[out++] = c;
            i += 2;
        } else {
            s[out++] = s[i++];
        }
    }
    tr->sym_len[w] = out;
    return 0;
}

/* The next pair to merge, or NULL when none is frequent enough. */
static pair *best_pair(trainer *tr)
{
    while (tr->n_heap > 0) {
        heap_ent e = heap_pop(tr);
        pair *p = &tr->pairs[e.pair];
        if (p->done || p->count < MIN_PAIR_COUNT || p->count > e.count)
            continue;   /* merged, too rare, or a fresher entry is queued */
        if (p->count < e.count) {
            if (heap_push(tr, p) < 0) {
                tr->oom = 1;
                return NULL;
            }
            continue;
        }
        return p;
    }
    return NULL;
}

/* Merges the pair in every word that holds it; the merged token is new, or
 * an existing one when another merge made the same bytes before. */
static int apply_merge(trainer *tr, pair *p)
{
    int32_t a = p->a, b = p->b;
    size_t pi = (size_t)(p - tr->pairs);
    const strtab *tk = &tr->tokens;
    size_t la = tk->len[a], lb = tk->len[b];
    char *joined = malloc(la + lb);
    if (!joined)
        return -1;
    memcpy(joined, tk->bytes + tk->off[a], la);
    memcpy(joined + la, tk->bytes + tk->off[b], lb);
    int added;
    int64_t c = strtab_intern(&tr->tokens, joined, la + lb, &added);
    free(joined);
    if (c < 0 || grow(&tr->merges, &tr->c_merges, 3 * (tr->n_merges + 1), sizeof *tr->merges) < 0)
        return -1;
    int32_t *m = tr->merges + 3 * tr->n_merges++;
    m[0] = a;
    m[1] = b;
    m[2] = (int32_t)c;
    p->done = 1;
    /* merge_word adds pairs (so tr->pairs may move), never to this one's list. */
    uint32_t *where = p->where, nwhere = p->nwhere;
    for (uint32_t k = 0; k < nwhere; k++)
        if (merge_word(tr, where[k], a, b, (int32_t)c) < 0)
            return -1;
    p = &tr->pairs[pi];
    free(p->where);
    p->where = NULL;
    p->nwhere = p->cwhere = 0;
    return 0;
}

static aft_tokenizer *build(const trainer *tr, const char *const *specials, size_t n_specials,
                            aft_error *err)
{
    const strtab *tk = &tr->tokens;
    aft_tokenizer *t = aft_tok_new(tk->n + n_specials, err);
    if (!t)
        return NULL;
    for (size_t i = 0; i < tk->n; i++)
        if (aft_tok_set(t, (int32_t)i, tk->bytes + tk->off[i], tk->len[i], AFT_TOK_NORMAL, err) < 0)
            goto fail;
    for (size_t i = 0; i < n_specials; i++)
        if (aft_tok_set(t, (int32_t)(tk->n + i), specials[i], strlen(specials[i]), AFT_TOK_SPECIAL,
                        err) < 0)
            goto fail;
    if (aft_tok_index(t, err) < 0 || aft_tok_set_merges(t, tr->merges, tr->n_merges, err) < 0)
        goto fail;
    return t;
fail:
    aft_tokenizer_free(t);
    return NULL;
}

static int check_specials(const char *const *specials, size_t n, aft_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!specials[i] || !specials[i][0])
            return aft_error_set(err, "special token %zu is empty", i + 1);
        if (!aft_utf8_valid(specials[i], strlen(specials[i]), NULL))
            return aft_error_set(err, "special token %zu is not valid UTF-8", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(specials[i], specials[j]) == 0)
                return aft_error_set(err, "special token '%s' is given twice", specials[i]);
    }
    return 0;
}

static void trainer_free(trainer *tr)
{
    strtab_free(&tr->words);
    strtab_free(&tr->tokens);
    free(tr->word_count);
    free(tr->sym);
    free(tr->sym_off);
    free(tr->sym_len);
    for (size_t i = 0; i < tr->n_pairs; i++)
        free(tr->pairs[i].where);
    free(tr->pairs);
    free(tr->pair_slots);
    free(tr->heap);
    free(tr->merges);
}

static int train(trainer *tr, const char *const *texts, size_t n_texts, size_t n_tokens)
{
    /* Byte tokens first, in GPT-2's order, so they get GPT-2's ids. */
    char bytes[256];
    for (int b = 0; b < 256; b++)
        bytes[aft_gpt2_byte_id((unsigned char)b)] = (char)b;
    for (int i = 0; i < 256; i++) {
        int added;
        if (strtab_intern(&tr->tokens, &bytes[i], 1, &added) < 0)
            return -1;
    }
    if (count_words(tr, texts, n_texts) < 0 || init_pairs(tr) < 0)
        return -1;
    while (tr->tokens.n < n_tokens) {
        pair *p = best_pair(tr);
        if (!p)
            return tr->oom ? -1 : 0;
        if (apply_merge(tr, p) < 0)
            return -1;
    }
    return 0;
}

aft_tokenizer *aft_tokenizer_train(const char *const *texts, size_t n_texts, size_t vocab_size,
                                   const char *const *specials, size_t n_specials,
                                   aft_error *err)
{
    if (check_specials(specials, n_specials, err) < 0)
        return NULL;
    if (n_specials > AFT_TOK_MAX_IDS || vocab_size < 256 + n_specials ||
        vocab_size > AFT_TOK_MAX_IDS) {
        aft_error_set(err, "vocabulary size %zu is out of range: it must hold the 256 byte tokens "
                      "and %zu special tokens, and at most %zu ids", vocab_size, n_specials,
                      AFT_TOK_MAX_IDS);
        return NULL;
    }
    for (size_t i = 0; i < n_texts; i++) {
        if (!texts[i]) {
            aft_error_set(err, "text %zu is missing (NULL)", i + 1);
            return NULL;
        }
    }
    trainer tr;
    memset(&tr, 0, sizeof tr);
    aft_tokenizer *t = NULL;
    if (train(&tr, texts, n_texts, vocab_size - n_specials) < 0)
        aft_error_set(err, "out of memory while training the tokenizer");
    else
        t = build(&tr, specials, n_specials, err);
    trainer_free(&tr);
    return t;
}
