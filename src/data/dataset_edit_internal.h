/* What dataset_edit.c (journal lines, record checks, commits) shares with the
 * edits built on it, dataset_edit_fields.c and dataset_edit_records.c. */
#ifndef AGENTFT_DATASET_EDIT_INTERNAL_H
#define AGENTFT_DATASET_EDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dataset_internal.h"

/* --- dataset_edit.c: journal lines -------------------------------------- */

/* A growing line; after a failed allocation it stays failed and takes nothing. */
typedef struct aft_sbuf {
    char *p;
    size_t len, cap;
    int failed;
} aft_sbuf;

void aft_sb_put(aft_sbuf *b, const char *s, size_t n);
void aft_sb_str(aft_sbuf *b, const char *s);
/* s as a JSON string; s is valid UTF-8, which passes through unescaped. */
void aft_sb_json(aft_sbuf *b, const char *s);
/* Starts an op's line: {"op":op,"i":i */
void aft_sb_index(aft_sbuf *b, const char *op, size_t i);
/* Journals b's line unless replaying; frees b. */
int aft_edit_journal(aft_dataset *ds, aft_sbuf *b, int replaying, aft_error *err);

/* --- dataset_edit.c: building a checked record --------------------------- */

typedef struct aft_edit_prep {
    aft_rec rec;         /* rec.text is the new line */
    int has_id;
    uint64_t id_hash;
} aft_edit_prep;

/* 1 and *h when tree has a string id, else 0. */
int aft_edit_id_hash_of(const cJSON *tree, uint64_t *h);
/* Checks tree as record recno and builds its line and facts in p. */
int aft_edit_prepare(aft_dataset *ds, const cJSON *tree, size_t recno, aft_edit_prep *p,
                     aft_error *err);
int aft_edit_check_key(const char *key, aft_error *err);
int aft_edit_check_index(const aft_dataset *ds, size_t i, aft_error *err);
/* Room for one more record, made before journaling so the commit can't fail. */
int aft_edit_reserve_one(aft_dataset *ds, aft_error *err);

/* --- dataset_edit.c: commits (cannot fail) ------------------------------- */

void aft_edit_commit_replace(aft_dataset *ds, size_t i, aft_edit_prep *p, int old_has,
                             uint64_t old_h);
/* Inserts at `at`; kept lines from record `shift_from` on move down with it. */
void aft_edit_commit_insert(aft_dataset *ds, size_t at, size_t shift_from, aft_edit_prep *p);
void aft_edit_commit_delete(aft_dataset *ds, size_t i, int old_has, uint64_t old_h);

/* --- dataset_edit_fields.c: the field edits, for replay ------------------ */

/* Sets key to v (owned) in record i. */
int aft_edit_set_value(aft_dataset *ds, size_t i, const char *key, cJSON *v, int replaying,
                       aft_error *err);
int aft_edit_unset_key(aft_dataset *ds, size_t i, const char *key, int replaying,
                       aft_error *err);
int aft_edit_set_strings(aft_dataset *ds, const char *key, const char *const *values,
                         int replaying, aft_error *err);

#endif
