/* Byte-level BPE (GPT-2's scheme): train a vocabulary from text, encode,
 * decode, and read/write Hugging Face tokenizer.json (or GPT-2's
 * encoder.json + vocab.bpe). decode(encode(s)) == s for all valid UTF-8.
 *
 * Threads: encode and decode only read the tokenizer, so several threads may
 * share one. */
#ifndef AGENTFT_TOKENIZER_H
#define AGENTFT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

typedef struct aft_tokenizer aft_tokenizer;

/* A growable list of token ids. */
typedef struct aft_tokens {
    int32_t *ids;
    size_t n, cap;
} aft_tokens;

void aft_tokens_free(aft_tokens *t);

/* Trains a vocabulary of vocab_size entries (256 byte tokens + merges +
 * special tokens) from the given texts, pre-split the way GPT-2 splits text.
 * Byte tokens get GPT-2's ids (0..255), merged tokens the next ones, and
 * `specials` (may be NULL; added tokens such as "<|endoftext|>", matched
 * whole in encode) the last ones, in the order given. The vocabulary comes
 * out smaller when no pair of tokens occurring twice is left to merge.
 * Deterministic for the same input. Caller frees. */
aft_tokenizer *aft_tokenizer_train(const char *const *texts, size_t n_texts, size_t vocab_size,
                                   const char *const *specials, size_t n_specials,
                                   aft_error *err);

/* Loads tokenizer.json (a file), or a folder holding tokenizer.json or
 * encoder.json + vocab.bpe. Errors say what is wrong and where. Every added
 * token of a tokenizer.json is a special token; in GPT-2's files,
 * "<|endoftext|>" is. Only what agentft encodes exactly is accepted: a BPE
 * model over the byte-level alphabet, no normalizer or a Lowercase one, a
 * ByteLevel (or no) pre-tokenizer without add_prefix_space. */
aft_tokenizer *aft_tokenizer_load(const char *path, aft_error *err);
/* Writes a Hugging Face tokenizer.json (ByteLevel pre-tokenizer and decoder,
 * BPE model with vocab and merges, added tokens), atomically. */
int aft_tokenizer_save(const aft_tokenizer *tok, const char *path, aft_error *err);
void aft_tokenizer_free(aft_tokenizer *tok);

/* An uncased tokenizer lowercases plain text (aft_utf8_lower, not the
 * special tokens) before encoding it, so "Cancel" and "CANCEL" encode
 * alike; tokenizer.json records it as a Lowercase normalizer. Train an
 * uncased vocabulary on lowercased texts. */
void aft_tokenizer_set_lowercase(aft_tokenizer *tok, int on);
int aft_tokenizer_lowercase(const aft_tokenizer *tok);

size_t aft_tokenizer_vocab_size(const aft_tokenizer *tok);
/* The id of a special (added) token, or -1. */
int32_t aft_tokenizer_special(const aft_tokenizer *tok, const char *text);

/* Appends the ids of text[0..len) to out. Special tokens in the text are
 * recognised only if allow_specials is set (user text must not be able to
 * inject them). Invalid UTF-8 is encoded byte by byte, never rejected. */
int aft_tokenizer_encode(const aft_tokenizer *tok, const char *text, size_t len,
                         int allow_specials, aft_tokens *out, aft_error *err);
/* The text of ids (malloc'd, NUL-terminated, *len bytes). Unknown ids are an error. */
char *aft_tokenizer_decode(const aft_tokenizer *tok, const int32_t *ids, size_t n, size_t *len,
                           aft_error *err);
/* The bytes of one token (not NUL-terminated); NULL for an unknown id. */
const char *aft_tokenizer_token_bytes(const aft_tokenizer *tok, int32_t id, size_t *len);

#endif
