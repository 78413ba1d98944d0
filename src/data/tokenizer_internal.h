/* Private layout of aft_tokenizer and the helpers that tokenizer.c,
 * bpe_merge.c, tokenizer_encode.c, pretokenize.c, bpe_train.c and
 * tokenizer_json.c share. Not public API. */
#ifndef AGENTFT_TOKENIZER_INTERNAL_H
#define AGENTFT_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/tokenizer.h"

/* Ids go up to this (exclusive): far beyond any real vocabulary, and small
 * enough that every size computed from an id fits comfortably. */
#define AFT_TOK_MAX_IDS ((size_t)1 << 24)

/* Unicode classes of the pre-tokenizer (unicode_tables.c, generated). */
enum { AFT_UC_OTHER = 0, AFT_UC_LETTER, AFT_UC_NUMBER, AFT_UC_SPACE };
int aft_uc_class(uint32_t cp);
extern const uint8_t aft_uc_ascii[128];   /* the same for ASCII, to inline */

/* GPT-2's pre-tokenizer: the end of the piece that starts at s[pos] (pos <
 * len), as the regex 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
 * ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ would match it. An invalid UTF-8 byte
 * counts as one character of the "other" class. */
size_t aft_pretok_next(const char *s, size_t len, size_t pos);

/* GPT-2's bytes_to_unicode: the printable stand-in for each byte that
 * tokenizer.json and vocab.bpe use, and back (-1 if cp stands for no byte). */
uint32_t aft_byte_to_cp(unsigned char b);
int aft_cp_to_byte(uint32_t cp);
/* The byte-level form of raw bytes (UTF-8, malloc'd, NUL-terminated). */
char *aft_bytes_to_bl(const char *bytes, size_t len);
/* Raw bytes of a byte-level string; -1 if a character stands for no byte.
 * out must hold strlen(s) bytes (the raw form is never longer). */
int aft_bl_to_bytes(const char *s, size_t slen, char *out, size_t *outlen);

/* Ids trained vocabularies give the 256 byte tokens: GPT-2's order, so
 * byte tokens have the same ids as in GPT-2's encoder.json. */
int32_t aft_gpt2_byte_id(unsigned char b);

/* Kinds of ids. */
enum { AFT_TOK_HOLE = 0, AFT_TOK_NORMAL = 1, AFT_TOK_SPECIAL = 2 };

/* A map from byte strings to indices into a table the caller keeps (the
 * keys are read back through `key`, so the map stores none). */
typedef struct aft_strmap {
    uint64_t *slots;   /* (hash >> 32) << 32 | (index + 1); 0 = empty */
    size_t mask, count;
} aft_strmap;
typedef const char *(*aft_strmap_key)(const void *ctx, uint32_t index, size_t *len);
/* The index stored for s[0..len), or -1. */
int64_t aft_strmap_find(const aft_strmap *m, const char *s, size_t len, aft_strmap_key key,
                        const void *ctx);
/* Adds index for s (not already present). -1 when out of memory. */
int aft_strmap_put(aft_strmap *m, uint32_t index, const char *s, size_t len, aft_strmap_key key,
                   const void *ctx);
void aft_strmap_free(aft_strmap *m);

/* A merge: the pair (a, b) becomes `id`; merges are applied in rank order. */
typedef struct aft_merge_slot {
    uint64_t key;     /* a << 32 | b; AFT_NO_PAIR = empty */
    int32_t rank;
    int32_t id;
} aft_merge_slot;
#define AFT_NO_PAIR UINT64_MAX

struct aft_tokenizer {
    size_t n_ids;             /* vocab size: highest id + 1 */
    uint32_t *off, *len;      /* where each id's bytes are in `bytes` */
    char *bytes;
    size_t bytes_used, bytes_cap;
    uint8_t *kind;            /* AFT_TOK_* per id */
    aft_strmap index;         /* bytes -> id, normal tokens only */
    int32_t byte_id[256];     /* id of each single byte, -1 when missing */
    int32_t *merges;          /* 3 * n_merges ids (a, b, merged), by rank */
    size_t n_merges;
    aft_merge_slot *slots;    /* pair -> (rank, id), open addressing */
    size_t slot_mask;
    int32_t *specials;        /* ids of added tokens, longest first */
    size_t n_specials;
    uint8_t special_first[32]; /* bitmap of the specials' first bytes */
    int lowercase;            /* uncased: text is lowercased before it is split */
};

/* Building a tokenizer (load and train): aft_tok_new, then every token with
 * aft_tok_set, then aft_tok_index (which finds the byte tokens and rejects
 * duplicates), then the merges (aft_tok_find helps name them), then
 * aft_tok_set_merges. Errors name the token or merge, not the file. */
aft_tokenizer *aft_tok_new(size_t n_ids, aft_error *err);
int aft_tok_set(aft_tokenizer *t, int32_t id, const char *bytes, size_t len, int kind,
                aft_error *err);
int aft_tok_index(aft_tokenizer *t, aft_error *err);
/* The id of a normal token with these bytes, or -1. */
int32_t aft_tok_find(const aft_tokenizer *t, const char *bytes, size_t len);
/* Sets the merges, by rank. triples holds 3 * n ids: a, b, merged; a later
 * duplicate of a pair wins, as in GPT-2's and Hugging Face's loaders. */
int aft_tok_set_merges(aft_tokenizer *t, const int32_t *triples, size_t n, aft_error *err);

/* BPE on one piece given as byte ids: merges ids[0..n) in place and returns
 * the new count. scratch holds aft_bpe_scratch_size(n) bytes. `path` picks
 * the merge loop (the tests check that both give the same ids). */
enum { AFT_BPE_AUTO, AFT_BPE_LIST, AFT_BPE_HEAP };
size_t aft_bpe_scratch_size(size_t n);
size_t aft_bpe_word(const aft_tokenizer *t, int32_t *ids, size_t n, void *scratch, int path);

#endif
