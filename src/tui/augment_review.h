/* The augmentation candidates under review: each with its source's text,
 * its method and a decision (to review, accepted, rejected, written); edits
 * of a candidate's text; and the write that appends the accepted ones to
 * the dataset through its journal. Until that write nothing is stored.
 * Pure logic over the dataset store; no curses. */
#ifndef TUI_AUGMENT_REVIEW_H
#define TUI_AUGMENT_REVIEW_H

#include <stddef.h>

#include "agentft/augment.h"

typedef enum { AC_PENDING, AC_ACCEPTED, AC_REJECTED, AC_WRITTEN, AC_COUNT } ac_state;

typedef struct aug_cand {
    ac_state state;
    int edited;
    aft_variant_method method;
    char *json;          /* the record that a write adds */
    char *text;          /* its augmented text (a context, or its last user turn) */
    char *source_text;   /* that text in the source record */
    char *source_id;     /* the source's id, or its record number as "#N" */
    char *action;
    size_t turns;        /* turns in the context; 0 for a text */
} aug_cand;

typedef struct aug_review {
    aug_cand *c;
    size_t n;
    size_t count[AC_COUNT];
} aug_review;

/* Replaces the candidates with the variants of res, all to review; res is
 * emptied (its counts stay). Returns -1 when out of memory. */
int review_take(aug_review *r, aft_augment_result *res);
void review_free(aug_review *r);
/* Sets candidate i's decision; a written one stays written. */
void review_set(aug_review *r, size_t i, ac_state s);
/* Every candidate in state from goes to state to; returns how many. */
size_t review_set_all(aug_review *r, ac_state from, ac_state to);
/* Candidate i's text becomes text (and it counts as accepted). Refused
 * with err set when empty, the same as its source's, or already written. */
int review_edit(aug_review *r, size_t i, const char *text, aft_error *err);
/* Adds the accepted candidates to ds (each journalled as it goes) and marks
 * them written; *added counts them. On an error the ones before stay added. */
int review_write(aug_review *r, aft_dataset *ds, size_t *added, aft_error *err);
/* Candidates that a write has not stored and no one rejected. */
size_t review_unwritten(const aug_review *r);

/* What a candidate changed, word by word (words are runs between spaces):
 * "-old +new" for the words outside a longest common subsequence, in text
 * order, cut with "..." to fit size; "" when only spacing differs. Texts
 * over REVIEW_DIFF_WORDS words get "(too long to compare)". */
#define REVIEW_DIFF_WORDS 400
void review_changes(const char *from, const char *to, char *buf, size_t size);

#endif
