/* Private helpers shared by the augment_*.c files: character classes and
 * the user-synonym matcher. Not part of the public API. */
#ifndef AGENTFT_AUGMENT_INTERNAL_H
#define AGENTFT_AUGMENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/augment.h"

/* Decodes one character; an invalid byte counts as one character U+FFFD,
 * so the result is always >= 1 when left > 0. */
size_t aft_aug_decode(const char *s, size_t left, uint32_t *cp);
int aft_aug_is_space(uint32_t cp);
/* ASCII punctuation and the common Unicode punctuation blocks (general,
 * CJK symbols, full-width forms). */
int aft_aug_is_punct(uint32_t cp);
/* Letters and digits of space-separated scripts: what a whole-word match
 * must not have on either side. */
int aft_aug_is_word_char(uint32_t cp);

/* The longest user entry that matches text at byte `at` (ASCII case folded),
 * standing as a whole word where its ends are word characters. Returns the
 * match length in bytes and sets *syns, or returns 0. */
size_t aft_synonyms_match(const aft_synonyms *s, const char *text, size_t len, size_t at,
                          const aft_wordlist **syns);

/* The character before byte `at` (0 at the start). */
uint32_t aft_aug_prev_char(const char *text, size_t at);

/* A byte range of a text. */
typedef struct aft_aug_span {
    size_t at, len;
} aft_aug_span;

/* Words: runs between spaces, also cut after CJK punctuation and where CJK
 * meets other letters, so a Chinese clause is one word. */
typedef struct aft_aug_words {
    aft_aug_span *w;
    size_t n;
} aft_aug_words;

int aft_aug_split_words(const char *text, size_t len, aft_aug_words *out);

/* A place in a text that has synonyms: a user entry or a WordNet word. */
typedef struct aft_aug_cand {
    aft_aug_span span;
    aft_wordlist syns;    /* ready to paste: case and inflection applied */
} aft_aug_cand;

typedef struct aft_aug_cands {
    aft_aug_cand *c;
    size_t n, cap;
} aft_aug_cands;

/* At most this many synonyms are kept per place: later WordNet senses are
 * rarer and more often wrong for the context. */
#define AFT_AUG_MAX_SYNS 5

/* Finds the places in text with synonyms, left to right, not overlapping.
 * Stop words, words with digits, acronyms and capitalised words after the
 * first of a sentence are skipped. */
int aft_aug_find_candidates(const aft_lexicon *lex, const char *text, aft_aug_cands *out,
                            aft_error *err);
void aft_aug_cands_free(aft_aug_cands *c);

/* A set of strings (augment_strset.c); zero-initialised is empty. */
typedef struct aft_strset {
    char **keys;
    uint64_t *hashes;
    size_t cap, n;
} aft_strset;

void aft_strset_free(aft_strset *s);
int aft_strset_has(const aft_strset *s, const char *key);
/* Adds key (taking it over): 1 added, 0 already there (key freed), -1 no
 * memory (key freed; NULL counts as no memory). */
int aft_strset_add(aft_strset *s, char *key);

#endif
