/* Encoding text to ids (added tokens first, then pre-tokenize and BPE each
 * piece) and decoding ids back to text. */
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"
#include "tokenizer_internal.h"

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
