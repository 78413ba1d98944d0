/* The dataset pane's model, apart from its drawing: which records pass the
 * filters (action, complexity, split, text, the model got it wrong), in
 * which order, and the label
 * counts of those records. Scans incrementally, so a million records never
 * hold up a frame. Pure logic over the dataset store; no curses. */
#ifndef TUI_DSVIEW_H
#define TUI_DSVIEW_H

#include <stddef.h>

#include "agentft/dataset.h"
#include "predstore.h"

typedef enum {
    DSV_SORT_FILE,
    DSV_SORT_ACTION,
    DSV_SORT_COMPLEXITY,
    DSV_SORT_LENGTH,
    DSV_SORT_UNCERTAIN,  /* the model's least certain predictions first */
    DSV_SORT_COUNT
} dsv_sort;

typedef struct dsv_label {
    char *name;      /* owned */
    unsigned long hash;
    size_t count;    /* records among the rows */
    size_t rank;     /* position in name order, for sorting by action */
} dsv_label;

typedef struct dsview {
    const aft_dataset *ds;
    /* the filters */
    char *action;        /* NULL = every action */
    int complexity;      /* 0 = any, else 1..AFT_MAX_COMPLEXITY */
    int split;           /* -1 = any, else an aft_split (AFT_SPLIT_NONE: records without one) */
    char *text;          /* NULL or "" = no text filter; ASCII letters match either case */
    int wrong;           /* only records whose predicted action is not theirs */
    const predstore *pred; /* the model's predictions (for wrong and DSV_SORT_UNCERTAIN), or NULL */
    dsv_sort sort;
    int reverse;
    /* the result */
    size_t *rows;        /* record indices, in display order once done */
    size_t n, cap;
    size_t scanned;      /* records looked at; the scan is done at aft_dataset_count */
    int done;
    int failed;          /* out of memory: rows holds what fitted */
    dsv_label *labels;   /* every action among the rows, most frequent first once done */
    size_t n_labels, cap_labels;
    size_t *slots;       /* hash index into labels */
    size_t n_slots;
} dsview;

void dsv_init(dsview *v, const aft_dataset *ds);
void dsv_free(dsview *v);
/* Starts over (after a filter changed or the dataset was edited). */
void dsv_restart(dsview *v);
/* Looks at up to `budget` more records; when the last one has been seen,
 * sorts and returns 1 (and keeps returning 1). */
int dsv_step(dsview *v, size_t budget);
/* Runs the whole scan at once. */
void dsv_finish(dsview *v);
/* The row showing record rec, or (size_t)-1. */
size_t dsv_row_of(const dsview *v, size_t rec);
/* Whether record rec passes the filters. */
int dsv_match(const dsview *v, size_t rec);
/* Setters that own a copy of the text (NULL or "" clears). */
void dsv_set_action(dsview *v, const char *action);
void dsv_set_text(dsview *v, const char *text);
const char *dsv_sort_name(dsv_sort s);
/* Every action in the dataset, sorted and unique, as a malloc'd array of
 * owned strings (free with dsv_free_names). Returns the count, 0 when empty
 * or out of memory. One pass over the records. */
size_t dsv_all_actions(const aft_dataset *ds, char ***out);
void dsv_free_names(char **names, size_t n);
/* Case-insensitive (ASCII) search of needle in hay[0..n); pure helper. */
int dsv_contains(const char *hay, size_t n, const char *needle);

#endif
