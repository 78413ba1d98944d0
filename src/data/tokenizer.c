/* The byte-level BPE tokenizer: its tables, how they are built, and encode
 * (pre-tokenize, then merge by rank exactly as GPT-2 does) and decode. */
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"
#include "agentft/utf8.h"
#include "tokenizer_internal.h"

#define NO_RANK INT32_MAX

/* ---- byte-string map ---------------------------------------------------- */

static size_t strmap_probe(const aft_strmap *m, uint64_t h, const char *s, size_t len,
                           aft_strmap_key key, const void *ctx)
{
    uint64_t tag = h >> 32;
    for (size_t i = (size_t)tag & m->mask;; i = (i + 1) & m->mask) {
        uint64_t v = m->slots[i];
        if (v == 0)
            return i;
        if (v >> 32 == tag) {
            size_t klen;
            const char *k = key(ctx, (uint32_t)(v & 0xFFFFFFFFu) - 1, &klen);
            if (klen == len && memcmp(k, s, len) == 0)
                return i;
        }
    }
}

int64_t aft_strmap_find(const aft_strmap *m, const char *s, size_t len, aft_strmap_key key,
                        const void *ctx)
{
    if (!m->slots)
        return -1;
    uint64_t v = m->slots[strmap_probe(m, aft_hash64(s, len), s, len, key, ctx)];
    return v ? (int64_t)(v & 0xFFFFFFFFu) - 1 : -1;
}

static int strmap_grow(aft_strmap *m)
{
    size_t n = m->slots ? (m->mask + 1) * 2 : 64;
    if (n > ((size_t)1 << 33))
        return -1;
    uint64_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; m->slots && i <= m->mask; i++) {
        uint64_t v = m->slots[i];
        if (!v)
            continue;
        size_t j = (size_t)(v >> 32) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = v;
    }
    free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return 0;
}

int aft_strmap_put(aft_strmap *m, uint32_t index, const char *s, size_t len, aft_strmap_key key,
                   const void *ctx)
{
    /* Kept at most half full so probes stay short. */
    if ((!m->slots || 2 * (m->count + 1) > m->mask + 1) && strmap_grow(m) < 0)
        return -1;
    uint64_t h = aft_hash64(s, len);
    size_t i = strmap_probe(m, h, s, len, key, ctx);
    m->slots[i] = (h >> 32) << 32 | ((uint64_t)index + 1);
    m->count++;
    return 0;
}

void aft_strmap_free(aft_strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = m->count = 0;
}

/* ---- building ------------------------------------------------------------ */

aft_tokenizer *aft_tok_new(size_t n_ids, aft_error *err)
{
    if (n_ids == 0 || n_ids > AFT_TOK_MAX_IDS) {
        aft_error_set(err, "a vocabulary of %zu ids is out of range (1..%zu)", n_ids,
                      AFT_TOK_MAX_IDS);
        return NULL;
    }
    aft_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->n_ids = n_ids;
    t->off = calloc(n_ids, sizeof *t->off);
    t->len = calloc(n_ids, sizeof *t->len);
    t->kind = calloc(n_ids, 1);
    if (!t->off || !t->len || !t->kind)
        goto oom;
    for (int b = 0; b < 256; b++)
        t->byte_id[b] = -1;
    return t;
oom:
    aft_tokenizer_free(t);
    aft_error_set(err, "out of memory for a vocabulary of %zu ids", n_ids);
    return NULL;
}

int aft_tok_set(aft_tokenizer *t, int32_t id, const char *bytes, size_t len, int kind,
                aft_error *err)
{
    if (id < 0 || (size_t)id >= t->n_ids)
        return aft_error_set(err, "id %ld is out of range (0..%zu)", (long)id, t->n_ids - 1);
    if (t->kind[id] != AFT_TOK_HOLE)
        return aft_error_set(err, "id %ld is given twice", (long)id);
    if (len == 0)
        return aft_error_set(err, "id %ld is an empty token", (long)id);
    if (len > UINT32_MAX - t->bytes_used)
        return aft_error_set(err, "the vocabulary's tokens are too long (over 4 GiB)");
    if (t->bytes_used + len > t->bytes_cap) {
        size_t cap = t->bytes_cap ? t->bytes_cap : 4096;
        while (cap < t->bytes_used + len)
            cap *= 2;
        char *p = realloc(t->bytes, cap);
        if (!p)
            return aft_error_set(err, "out of memory for the vocabulary");
        t->bytes = p;
        t->bytes_cap = cap;
    }
    memcpy(t->bytes + t->bytes_used, bytes, len);
    t->off[id] = (uint32_t)t->bytes_used;
    t->len[id] = (uint32_t)len;
    t->kind[id] = (uint8_t)kind;
    t->bytes_used += len;
    return 0;
}

static const char *token_key(const void *ctx, uint32_t id, size_t *len)
{
    const aft_tokenizer *t = ctx;
    *len = t->len[id];
    return t->bytes + t->off[id];
}

int32_t aft_tok_find(const aft_tokenizer *t, const char *bytes, size_t len)
{
    return (int32_t)aft_strmap_find(&t->index, bytes, len, token_key, t);
}

/* Longest first, so that "<|a|>b" wins over "<|a|>" where both match. */
static int special_before(const aft_tokenizer *t, int32_t a, int32_t b)
{
    return t->len[a] != t->len[b] ? t->len[a] > t->len[b] : a < b;
}

static void sort_specials(aft_tokenizer *t)
{
    /* Insertion sort: there are a handful. */
    for (size_t i = 1; i < t->n_specials; i++) {
        int32_t v = t->specials[i];
        size_t j = i;
        while (j > 0 && special_before(t, v, t->specials[j - 1])) {
            t->specials[j] = t->specials[j - 1];
            j--;
        }
        t->specials[j] = v;
    }
}

int aft_tok_index(aft_tokenizer *t, aft_error *err)
{
    size_t n_specials = 0;
    for (size_t id = 0; id < t->n_ids; id++)
        n_specials += t->kind[id] == AFT_TOK_SPECIAL;
    t->specials = malloc((n_specials ? n_specials : 1) * sizeof *t->specials);
    if (!t->specials)
        return aft_error_set(err, "out of memory");
    for (size_t id = 0; id < t->n_ids; id++) {
        const char *b = t->bytes + t->off[id];
        unsigned char first = (unsigned char)b[0];
        if (t->kind[id] == AFT_TOK_SPECIAL) {
            t->specials[t->n_specials++] = (int32_t)id;
            t->special_first[first >> 3] |= (uint8_t)(1u << (first & 7));
            continue;
        }
        if (t->kind[id] != AFT_TOK_NORMAL)
            continue;
        int32_t other = aft_tok_find(t, b, t->len[id]);
        if (other >= 0)
            return aft_error_set(err, "ids %ld and %zu are the same token", (long)other, id);
        if (aft_strmap_put(&t->index, (uint32_t)id, b, t->len[id], token_key, t) < 0)
            return aft_error_set(err, "out of memory");
        if (t->len[id] == 1)
            t->byte_id[first] = (int32_t)id;
    }
    sort_specials(t);
    return 0;
}

static size_t pair_slot(const aft_tokenizer *t, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->slot_mask;
    while (t->slots[i].key != key && t->slots[i].key != AFT_NO_PAIR)
        i = (i + 1) & t->slot_mask;
    return i;
}

static uint64_t pair_key(int32_t a, int32_t b)
{
    return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

int aft_tok_set_merges(aft_tokenizer *t, const int32_t *triples, size_t n, aft_error *err)
{
    if (n >= AFT_TOK_MAX_IDS * 4)
        return aft_error_set(err, "too many merges (%zu)", n);
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    t->slots = malloc(cap * sizeof *t->slots);
    t->merges = malloc((n ? 3 * n : 1) * sizeof *t->merges);
    if (!t->slots || !t->merges)
        return aft_error_set(err, "out of memory for %zu merges", n);
    for (size_t i = 0; i < cap; i++)
        t->slots[i].key = AFT_NO_PAIR;
    t->slot_mask = cap - 1;
    for (size_t r = 0; r < n; r++) {
        for (size_t k = 0; k < 3; k++) {
            int32_t id = triples[3 * r + k];
            if (id < 0 || (size_t)id >= t->n_ids || t->kind[id] != AFT_TOK_NORMAL)
                return aft_error_set(err, "merge %zu refers to id %ld, which is not a token", r + 1,
                                     (long)id);
        }
        uint64_t key = pair_key(triples[3 * r], triples[3 * r + 1]);
        aft_merge_slot *s = &t->slots[pair_slot(t, key)];
        s->key = key;
        s->rank = (int32_t)r;
        s->id = triples[3 * r + 2];
    }
    if (n)
        memcpy(t->merges, triples, 3 * n * sizeof *triples);
    t->n_merges = n;
    return 0;
}

void aft_tokenizer_free(aft_tokenizer *t)
{
    if (!t)
        return;
    free(t->off);
    free(t->len);
    free(t->bytes);
    free(t->kind);
    aft_strmap_free(&t->index);
    free(t->merges);
    free(t->slots);
    free(t->specials);
    free(t);
}

void aft_tokens_free(aft_tokens *t)
{
    if (!t)
        return;
    free(t->ids);
    t->ids = NULL;
    t->n = t->cap = 0;
}

/* ---- accessors ----------------------------------------------------------- */

size_t aft_tokenizer_vocab_size(const aft_tokenizer *tok)
{
    return tok->n_ids;
}

int32_t aft_tokenizer_special(const aft_tokenizer *tok, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < tok->n_specials; i++) {
        int32_t id = tok->specials[i];
        if (tok->len[id] == n && memcmp(tok->bytes + tok->off[id], text, n) == 0)
            return id;
    }
    return -1;
}

const char *aft_tokenizer_token_bytes(const aft_tokenizer *tok, int32_t id, size_t *len)
{
    if (id < 0 || (size_t)id >= tok->n_ids || tok->kind[id] == AFT_TOK_HOLE)
        return NULL;
    *len = tok->len[id];
    return tok->bytes + tok->off[id];
}

/* The rank and result of merging (a, b), or -1 when they do not merge.
 * Inlined into the merge loops, where most encoding time goes. */
static inline int32_t merge_rank(const aft_tokenizer *t, int32_t a, int32_t b, int32_t *id)
{
    const aft_merge_slot *s = &t->slots[pair_slot(t, pair_key(a, b))];
    if (s->key == AFT_NO_PAIR)
        return -1;
    *id = s->id;
    return s->rank;
}

/* ---- BPE on one piece ---------------------------------------------------- */

/* GPT-2's rule: find the lowest-ranked adjacent pair, merge every occurrence
 * of it from left to right, repeat. Symbols form a linked list over ids[];
 * rank[i] and mid[i] describe the pair (i, next[i]). The first symbol never
 * goes away (a merge keeps the left one), so the list always starts at 0. */
typedef struct bpe_state {
    int32_t *ids, *next, *prev, *rank, *mid;
} bpe_state;

static void pair_at(const aft_tokenizer *t, bpe_state *s, int32_t i)
{
    int32_t j = s->next[i];
    s->rank[i] = NO_RANK;
    if (j < 0)
        return;
    int32_t r = merge_rank(t, s->ids[i], s->ids[j], &s->mid[i]);
    if (r >= 0)
        s->rank[i] = r;
}

/* Merges symbol i with the one after it; returns the symbol after the pair. */
static int32_t merge_at(const aft_tokenizer *t, bpe_state *s, int32_t i)
{
    int32_t j = s->next[i];
    s->ids[i] = s->mid[i];
    s->next[i] = s->next[j];
    if (s->next[j] >= 0)
        s->prev[s->next[j]] = i;
    s->rank[j] = NO_RANK;   /* j is gone; a stale heap entry for it is skipped */
    if (s->prev[i] >= 0)
        pair_at(t, s, s->prev[i]);
    pair_at(t, s, i);
    return s->next[i];
}

size_t aft_bpe_scratch_size(size_t n)
{
    /* next, prev, rank, mid, batch, padding (int32 each); a heap of up to
     * 3n entries. Positions are int32, so a piece stays under 512 MiB. */
    if (n > ((size_t)1 << 29))
        return 0;
    return n * (6 * sizeof(int32_t) + 3 * sizeof(uint64_t));
}

static void bpe_list(const aft_tokenizer *t, bpe_state *s)
{
    for (;;) {
        int32_t best = NO_RANK, at = -1;
        for (int32_t i = 0; i >= 0; i = s->next[i]) {
            if (s->rank[i] < best) {
                best = s->rank[i];
                at = i;
            }
        }
        if (at < 0)
            return;
        /* Every occurrence of this pair lies at or after the first one. */
        int32_t a = s->ids[at], b = s->ids[s->next[at]];
        for (int32_t i = at; i >= 0 && s->next[i] >= 0;) {
            if (s->ids[i] == a && s->ids[s->next[i]] == b)
                i = merge_at(t, s, i);
            else
                i = s->next[i];
        }
    }
}

static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= v)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
    return top;
}

static void push_pair(const bpe_state *s, uint64_t *heap, size_t *hn, int32_t i)
{
    if (i >= 0 && s->rank[i] != NO_RANK)
        heap_push(heap, hn, (uint64_t)s->rank[i] << 32 | (uint32_t)i);
}

/* The same rule in O(n log n) for long pieces: a heap ordered by (rank,
 * position). All occurrences of the lowest rank are taken out first and
 * merged left to right before any pair they create is considered, which is
 * exactly GPT-2's "merge every occurrence, then look again". */
static void bpe_heap(const aft_tokenizer *t, bpe_state *s, int32_t n, uint64_t *heap,
                     int32_t *batch)
{
    size_t hn = 0;
    for (int32_t i = 0; i < n; i++)
        push_pair(s, heap, &hn, i);
    while (hn > 0) {
        uint64_t top = heap_pop(heap, &hn);
        int32_t r = (int32_t)(top >> 32), nb = 0;
        if (s->rank[(uint32_t)top] != r)
            continue;  /* stale: that pair changed since it was pushed */
        batch[nb++] = (int32_t)(uint32_t)top;
        while (hn > 0 && (int32_t)(heap[0] >> 32) == r) {
            int32_t i = (int32_t)(uint32_t)heap_pop(heap, &hn);
            if (s->rank[i] == r)
                batch[nb++] = i;
        }
        for (int32_t k = 0; k < nb; k++) {
            int32_t i = batch[k];
            if (s->rank[i] != r)
                continue;  /* swallowed by the merge just before it */
            merge_at(t, s, i);
            push_pair(s, heap, &hn, s->prev[i]);
            push_pair(s, heap, &hn, i);
        }
    }
}

size_t aft_bpe_word(const aft_tokenizer *t, int32_t *ids, size_t n, void *scratch, int path)
{
    if (n < 2)
        return n;
    int32_t *p = scratch;
    bpe_state s = {ids, p, p + n, p + 2 * n, p + 3 * n};
    for (size_t i = 0; i < n; i++) {
        s.next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
        s.prev[i] = (int32_t)i - 1;
    }
    for (size_t i = 0; i < n; i++)
        pair_at(t, &s, (int32_t)i);
    /* Short pieces (nearly all of them) do better with a plain scan; the
     * cut-over was measured on long runs of Chinese. */
    if (path == AFT_BPE_HEAP || (path == AFT_BPE_AUTO && n > 96))
        bpe_heap(t, &s, (int32_t)n, (uint64_t *)(void *)(p + 6 * n), p + 4 * n);
    else
        bpe_list(t, &s);
    size_t m = 0;
    for (int32_t i = 0; i >= 0; i = s.next[i])
        ids[m++] = ids[i];
    return m;
}

/* ---- encode and decode --------------------------------------------------- */

/* Per-call scratch, so that threads can share a tokenizer: pieces up to
 * SMALL bytes (nearly all) use the buffers here, longer ones the heap.
 * There is deliberately no cache of piece -> ids: a shared one would need
 * locking, a per-call one helps only long texts, and without one encoding
 * already runs at 45-60 MB/s on English (tests/bench/bench_tokenizer). */
#define SMALL 64
typedef struct enc_buf {
    int32_t *ids;
    void *scratch;
    size_t cap;
    int32_t small_ids[SMALL];
    uint64_t small_scratch[SMALL * 6];
} enc_buf;

static int enc_reserve(enc_buf *b, size_t n, aft_error *err)
{
    if (n <= b->cap)
        return 0;
    size_t size = aft_bpe_scratch_size(n);
    if (size == 0)
        return aft_error_set(err, "a run of %zu bytes without a break is too long to encode", n);
    int32_t *ids = malloc(n * sizeof *ids);
    void *scratch = ids ? malloc(size) : NULL;
    if (!scratch) {
        free(ids);
        return aft_error_set(err, "out of memory for a piece of %zu bytes", n);
    }
    if (b->ids != b->small_ids) {
        free(b->ids);
        free(b->scratch);
    }
    b->ids = ids;
    b->scratch = scratch;
    b->cap = n;
    return 0;
}

static int tokens_reserve(aft_tokens *out, size_t extra, aft_error *err)
{
    if (extra <= out->cap - out->n)
        return 0;
    if (out->n > SIZE_MAX / 8 || extra > SIZE_MAX / 8 - out->n)
        return aft_error_set(err, "too many tokens");
    size_t cap = out->cap ? out->cap : 64;
    while (cap < out->n + extra)
        cap *= 2;
    int32_t *ids = realloc(out->ids, cap * sizeof *ids);
    if (!ids)
        return aft_error_set(err, "out of memory for %zu tokens", cap);
    out->ids = ids;
    out->cap = cap;
    return 0;
}

static int encode_piece(const aft_tokenizer *t, const char *s, size_t n, enc_buf *b,
                        aft_tokens *out, aft_error *err)
{
    if (enc_reserve(b, n, err) < 0 || tokens_reserve(out, n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int32_t id = t->byte_id[(unsigned char)s[i]];
        if (id < 0)
            return aft_error_set(err, "byte 0x%02X has no token in this vocabulary",
                                 (unsigned char)s[i]);
        b->ids[i] = id;
    }
    size_t m = aft_bpe_word(t, b->ids, n, b->scratch, AFT_BPE_AUTO);
    memcpy(out->ids + out->n, b->ids, m * sizeof *b->ids);
    out->n += m;
    return 0;
}

static int encode_plain(const aft_tokenizer *t, const char *s, size_t len, enc_buf *b,
                        aft_tokens *out, aft_error *err)
{
    /* An uncased tokenizer lowercases before splitting, as a Hugging Face
     * normalizer runs before its pre-tokenizer. */
    char small[256], *lower = NULL;
    if (t->lowercase && len) {
        lower = len <= sizeof small ? small : malloc(len);
        if (!lower)
            return aft_error_set(err, "out of memory");
        memcpy(lower, s, len);
        aft_utf8_lower(lower, len);
        s = lower;
    }
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        size_t end = aft_pretok_next(s, len, pos);
        rc = encode_piece(t, s + pos, end - pos, b, out, err);
        pos = end;
    }
    if (lower != small)
        free(lower);
    return rc;
}

/* The first special token at or after pos (the longest where several start
 * at the same byte): its offset, or len when there is none. */
static size_t find_special(const aft_tokenizer *t, const char *s, size_t len, size_t pos,
                           int32_t *id)
{
    for (size_t i = pos; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(t->special_first[c >> 3] & (1u << (c & 7))))
            continue;
        for (size_t k = 0; k < t->n_specials; k++) {
            int32_t sid = t->specials[k];
            size_t n = t->len[sid];
            if (n <= len - i && memcmp(s + i, t->bytes + t->off[sid], n) == 0) {
                *id = sid;
                return i;
            }
        }
    }
    return len;
}

int aft_tokenizer_encode(const aft_tokenizer *tok, const char *text, size_t len,
                         int allow_specials, aft_tokens *out, aft_error *err)
{
    if (!text && len)
        return aft_error_set(err, "no text to encode");
    enc_buf b;
    b.ids = b.small_ids;
    b.scratch = b.small_scratch;
    b.cap = SMALL;
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        int32_t id = -1;
        size_t at = allow_specials && tok->n_specials ? find_special(tok, text, len, pos, &id) : len;
        rc = encode_plain(tok, text + pos, at - pos, &b, out, err);
        if (rc == 0 && id >= 0) {
            rc = tokens_reserve(out, 1, err);
            if (rc == 0)
                out->ids[out->n++] = id;
            at += tok->len[id];
        }
        pos = at;
    }
    if (b.ids != b.small_ids) {
        free(b.ids);
        free(b.scratch);
    }
    return rc;
}

char *aft_tokenizer_decode(const aft_tokenizer *tok, const int32_t *ids, size_t n, size_t *len,
                           aft_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= tok->n_ids || tok->kind[ids[i]] == AFT_TOK_HOLE) {
            aft_error_set(err, "token id %ld at position %zu is not in the vocabulary (%zu ids)",
                          (long)ids[i], i, tok->n_ids);
            return NULL;
        }
        if (tok->len[ids[i]] > SIZE_MAX - 1 - total) {
            aft_error_set(err, "decoded text too long");
            return NULL;
        }
        total += tok->len[ids[i]];
    }
    char *s = malloc(total + 1);
    if (!s) {
        aft_error_set(err, "out of memory for %zu bytes of text", total);
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(s + o, tok->bytes + tok->off[ids[i]], tok->len[ids[i]]);
        o += tok->len[ids[i]];
    }
    s[o] = '\0';
    if (len)
        *len = o;
    return s;
}

void aft_tokenizer_set_lowercase(aft_tokenizer *tok, int on)
{
    tok->lowercase = on != 0;
}

int aft_tokenizer_lowercase(const aft_tokenizer *tok)
{
    return tok->lowercase;
}
