/* The byte-level BPE tokenizer's tables: the byte-string map, building a
 * vocabulary (tokens, added tokens, the byte tokens), freeing it, reading it. */
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"
#include "tokenizer_internal.h"

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

void aft_tokenizer_set_lowercase(aft_tokenizer *tok, int on)
{
    tok->lowercase = on != 0;
}

int aft_tokenizer_lowercase(const aft_tokenizer *tok)
{
    return tok->lowercase;
}
