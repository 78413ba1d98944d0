/* Seeded text perturbations for robustness evaluation: character typos, word
 * dropout, word swaps, casing and punctuation noise. UTF-8 aware: they never
 * split a character, and each CJK character counts as a word. */
#ifndef AGENTFT_PERTURB_H
#define AGENTFT_PERTURB_H

#include <stddef.h>

#include "agentft/rng.h"

typedef enum {
    AFT_PERTURB_TYPO,        /* per character: swap with the next, drop, double or replace by a keyboard neighbour */
    AFT_PERTURB_WORD_DROP,   /* per word: remove it (at least one word is kept) */
    AFT_PERTURB_WORD_SWAP,   /* per word: swap it with the next */
    AFT_PERTURB_CASE,        /* per ASCII letter: flip its case */
    AFT_PERTURB_PUNCT,       /* per word gap: insert or remove punctuation */
    AFT_PERTURB_COUNT
} aft_perturb_kind;

/* The kind's name as reports show it ("typo", "word_drop", ...). */
const char *aft_perturb_name(aft_perturb_kind kind);

/* A perturbed copy of text (malloc'd; NULL only when out of memory): each
 * unit is changed with probability `rate` (0..1), drawing from rng. Rate 0
 * returns an exact copy. Valid UTF-8 in gives valid UTF-8 out. */
char *aft_perturb(const char *text, aft_perturb_kind kind, double rate, aft_rng *rng);

#endif
