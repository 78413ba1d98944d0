/* The dataset store: JSON Lines records loaded losslessly, edited through a
 * journal that survives crashes, and saved atomically. See man agentft-formats(5).
 *
 * Threads: an aft_dataset is not locked; one thread edits it at a time. */
#ifndef AGENTFT_DATASET_H
#define AGENTFT_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

/* One problem found in a file: `path:line:column: message`. Warnings (a BOM,
 * a blank line, a duplicate id) do not stop a load, even a strict one. */
typedef enum { AFT_DIAG_ERROR, AFT_DIAG_WARNING } aft_diag_level;

typedef struct aft_diag {
    aft_diag_level level;
    size_t line;    /* 1-based */
    size_t column;  /* 1-based, in characters (code points) */
    char *message;
} aft_diag;

typedef struct aft_diag_list {
    char *path;     /* the file these diagnostics are about */
    aft_diag *items;
    size_t count, cap;
    size_t errors, warnings;
} aft_diag_list;

void aft_diag_list_init(aft_diag_list *d);
void aft_diag_list_free(aft_diag_list *d);
/* Formats item i as "path:line:column: [warning: ]message" into buf. */
void aft_diag_format(const aft_diag_list *d, size_t i, char *buf, size_t size);

typedef enum {
    AFT_SPLIT_NONE = 0,
    AFT_SPLIT_TRAIN,
    AFT_SPLIT_VALID,
    AFT_SPLIT_TEST,
} aft_split;

const char *aft_split_name(aft_split s); /* "train", "valid", "test" or "" */

/* Longest line accepted (longer lines are reported and kept untouched). */
#define AFT_MAX_LINE_BYTES ((size_t)16 << 20)
/* Complexity levels run 1..AFT_MAX_COMPLEXITY. */
#define AFT_MAX_COMPLEXITY 10

typedef struct aft_dataset aft_dataset;

typedef struct aft_load_opts {
    int strict;     /* fail on the first bad line instead of listing them all */
} aft_load_opts;

/* Opens a JSONL dataset: reads it, checks every line, and replays a leftover
 * journal (PATH.journal) if there is one. Bad lines are listed in `diags`
 * (which the caller initialised and frees) and kept in the file, never
 * dropped. Returns NULL with err set when the file can't be read, when strict
 * and a line is bad, or when a journal can't be replayed. The caller frees
 * the dataset with aft_dataset_free. */
aft_dataset *aft_dataset_open(const char *path, const aft_load_opts *opts,
                              aft_diag_list *diags, aft_error *err);
void aft_dataset_free(aft_dataset *ds);

const char *aft_dataset_path(const aft_dataset *ds);
size_t aft_dataset_count(const aft_dataset *ds);      /* good records */
size_t aft_dataset_bad_lines(const aft_dataset *ds);  /* lines kept as they are */
size_t aft_dataset_replayed(const aft_dataset *ds);   /* edits replayed from a journal at open */
int aft_dataset_dirty(const aft_dataset *ds);         /* edits not yet saved */

/* Per-record facts extracted at load, valid until the next edit of record i.
 * Records are numbered 0..count-1 in file order, bad lines skipped. */
const char *aft_dataset_action(const aft_dataset *ds, size_t i);
/* The record's `complexity`, or 0 when it has none (see aft_dataset_complexity). */
int aft_dataset_complexity_field(const aft_dataset *ds, size_t i);
/* The record's complexity, computed from its context when it has none:
 * words <= 12 -> 1, <= 40 -> 2, else 3; a context of 3 or more turns is at least 2. */
int aft_dataset_complexity(const aft_dataset *ds, size_t i);
aft_split aft_dataset_split(const aft_dataset *ds, size_t i);
size_t aft_dataset_context_chars(const aft_dataset *ds, size_t i);  /* code points, all turns */
size_t aft_dataset_context_words(const aft_dataset *ds, size_t i);
size_t aft_dataset_context_turns(const aft_dataset *ds, size_t i);  /* 1 for a string context */

/* The record's line as it will be saved (no line end). Valid until the next edit. */
const char *aft_dataset_line(const aft_dataset *ds, size_t i, size_t *len);
/* The record's 1-based line in the file as it will be saved: bad and blank
 * lines count, so right after a load it is the line in the file as read
 * (what an editor shows). 0 for an index past the end. */
size_t aft_dataset_line_number(const aft_dataset *ds, size_t i);
/* A field's value as compact JSON text, or NULL if the record has no such
 * field. The caller frees it. */
char *aft_dataset_get_json(const aft_dataset *ds, size_t i, const char *key);
/* A string field's value, or NULL if absent or not a string. Caller frees.
 * For `context` given as turns, the turns are joined as "role: content" lines. */
char *aft_dataset_get_string(const aft_dataset *ds, size_t i, const char *key);

/* Edits. Each one is checked (the record must stay valid), written to the
 * journal and fsync'd before it returns 0; on error nothing changed.
 * Other fields and their order are kept; a new field goes last. */
int aft_dataset_set_json(aft_dataset *ds, size_t i, const char *key,
                         const char *json_value, aft_error *err);
int aft_dataset_set_string(aft_dataset *ds, size_t i, const char *key,
                           const char *value, aft_error *err);
int aft_dataset_unset(aft_dataset *ds, size_t i, const char *key, aft_error *err);
/* Sets `key` to the string values[i] on every record i whose value is not NULL,
 * as one journal entry (for bulk changes such as a split). */
int aft_dataset_set_strings(aft_dataset *ds, const char *key,
                            const char *const *values, aft_error *err);
/* Appends a record given as a JSON object; returns its index via *index. */
int aft_dataset_add(aft_dataset *ds, const char *json_object, size_t *index, aft_error *err);
int aft_dataset_delete(aft_dataset *ds, size_t i, aft_error *err);
/* Inserts a copy of record i right after it; a string `id` gets a "-copy"
 * suffix (then "-copy2", ...) so ids stay unique. */
int aft_dataset_duplicate(aft_dataset *ds, size_t i, size_t *index, aft_error *err);

/* Rewrites the file atomically with every edit, then removes the journal.
 * Untouched lines (bad ones included) are written back byte for byte. */
int aft_dataset_save(aft_dataset *ds, aft_error *err);

/* The journal's path for a dataset path (PATH.journal). Caller frees. */
char *aft_dataset_journal_path(const char *path);

#endif
