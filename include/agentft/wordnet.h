/* A reader for the WordNet 3.0 database files (index.POS, data.POS, POS.exc,
 * as Debian's wordnet-base installs them): synonyms by part of speech. */
#ifndef AGENTFT_WORDNET_H
#define AGENTFT_WORDNET_H

#include <stddef.h>

#include "agentft/error.h"

/* Where Debian's wordnet-base puts the database. */
#define AFT_WORDNET_DIR "/usr/share/wordnet"

typedef enum {
    AFT_POS_NOUN = 0,
    AFT_POS_VERB,
    AFT_POS_ADJ,
    AFT_POS_ADV,
    AFT_POS_ANY,      /* every part of speech, in the order above */
} aft_pos;

const char *aft_pos_name(aft_pos pos);   /* "noun", "verb", "adj", "adv", "any" */

/* A growable list of malloc'd strings. */
typedef struct aft_wordlist {
    char **items;
    size_t count, cap;
} aft_wordlist;

/* Appends a copy of s[0..len). */
int aft_wordlist_push(aft_wordlist *l, const char *s, size_t len);
/* True if the list holds s, compared without regard to ASCII case. */
int aft_wordlist_has(const aft_wordlist *l, const char *s);
void aft_wordlist_free(aft_wordlist *l);   /* frees the items; the list is empty after */

typedef struct aft_wordnet aft_wordnet;

/* Reads the database in dir (NULL: AFT_WORDNET_DIR): index.{noun,verb,adj,adv}
 * and data.* are required, the exception lists *.exc are used when present.
 * Every index line is checked; a malformed one is an error naming FILE:LINE. */
aft_wordnet *aft_wordnet_open(const char *dir, aft_error *err);
void aft_wordnet_free(aft_wordnet *wn);

/* Lemmas in one part of speech's index (for tests and diagnostics). */
size_t aft_wordnet_lemma_count(const aft_wordnet *wn, aft_pos pos);

/* The base forms of word that WordNet lists in pos (AFT_POS_ANY: in any):
 * the word itself if listed, forms from the exception lists, then forms from
 * the suffix rules of morphy(7) ("flights" -> "flight", "booked" -> "book").
 * Case and spaces are folded as the index does ("New York" -> "new_york"),
 * but the forms come back with spaces. Appended to out, without duplicates. */
int aft_wordnet_base_forms(const aft_wordnet *wn, const char *word, aft_pos pos,
                           aft_wordlist *out, aft_error *err);

/* The irregular forms that pos's exception list gives for a base form
 * ("child" -> "children", "hold" -> "held"), appended to out; pos must be
 * one part of speech. */
int aft_wordnet_irregular(const aft_wordnet *wn, const char *base, aft_pos pos,
                          aft_wordlist *out, aft_error *err);

/* Synonyms of word in pos: the other words of the synsets of each base form,
 * senses in the order the index gives them (most frequent first), parts of
 * speech in the order of aft_pos for AFT_POS_ANY. Underscores become spaces,
 * adjective markers such as "(a)" are dropped; the word itself, its base
 * forms and duplicates are left out, and, where the index carries SemCor's
 * tag counts (the real database does), words it never tagged in that part
 * of speech: too rare to stand in ("hebdomad" for week). Appended to out.
 * Returns 0 (an unknown
 * word has no synonyms), or -1 when a data line is malformed (FILE:LINE). */
int aft_wordnet_synonyms(const aft_wordnet *wn, const char *word, aft_pos pos,
                         aft_wordlist *out, aft_error *err);

#endif
