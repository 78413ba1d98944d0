/* The Report pane's model: a run's report.json (or a compare JSON) read,
 * checked against the shapes agentft/report.h documents, and turned into
 * sections of text lines; plus what the pane picks from it (the most
 * confused actions, the dataset record a listed example stands for).
 * No curses here, so it is tested without a terminal. */
#ifndef TUI_REPORT_VIEW_H
#define TUI_REPORT_VIEW_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "agentft/dataset.h"
#include "theme.h"

typedef enum { RV_NONE, RV_REPORT, RV_COMPARE } rv_kind;

/* The sections; a compare shows summary, actions (F1 deltas) and examples
 * (the disagreements). */
typedef enum {
    RS_SUMMARY,
    RS_ACTIONS,
    RS_CONFUSION,
    RS_EXAMPLES,
    RS_SLICES,
    RS_CALIBRATION,
    RS_EFFICIENCY,
    RS_ROBUSTNESS,
    RS_GENERATION,
    RS_COUNT
} rv_section;

typedef enum { RV_SORT_F1, RV_SORT_SUPPORT, RV_SORT_NAME, RV_SORT_COUNT } rv_sort;

/* What a line points at: nothing, a listed example (Enter opens its record)
 * or a pair of confused actions (Enter lists its examples). */
typedef enum { RL_TEXT, RL_EXAMPLE, RL_PAIR } rl_kind;

typedef struct rv_line {
    tui_role role;
    rl_kind kind;
    const cJSON *ref;    /* the example or pair object, inside the view's root */
    char *text;
} rv_line;

typedef struct rv_lines {
    rv_line *v;
    size_t n, cap;
    size_t fixed;        /* the first `fixed` lines (column heads) stay put */
} rv_lines;

typedef struct report_view {
    rv_kind kind;
    cJSON *root;
    char error[512];         /* why the file cannot be shown, or "" */
    rv_lines sec[RS_COUNT];
    rv_sort sort;
    int reverse;
    /* the confusion matrix, gold rows and predicted columns */
    size_t k;
    char **names;            /* k action names (pointers into root) */
    long *cm;                /* k * k counts */
    long cm_max_off;         /* the largest count off the diagonal */
} report_view;

void rv_init(report_view *v);
void rv_free(report_view *v);
/* Reads and checks a report file (`name` is what messages call it). Returns
 * 0; 1 when the file does not exist (kind RV_NONE, no error); -1 with
 * v->error when it cannot be read, is not JSON or has the wrong shape. */
int rv_load_file(report_view *v, const char *path, const char *name);
/* The same from text in memory. */
int rv_load_text(report_view *v, const char *text, size_t len, const char *name);
/* Orders the per-action table again. */
void rv_set_sort(report_view *v, rv_sort sort, int reverse);
const char *rv_sort_name(rv_kind kind, rv_sort s);

/* The sections the view's kind has, in order; returns how many. */
size_t rv_sections(rv_kind kind, rv_section out[RS_COUNT]);
const char *rv_section_name(rv_kind kind, rv_section s);

/* The n actions most involved in confusions (row plus column counts off
 * the diagonal), most first, ties in name order; returns how many (at most
 * v->k). */
size_t rv_top_confused(const report_view *v, size_t n, size_t *idx);
long rv_cell(const report_view *v, size_t gold, size_t pred);

/* The data file the report was computed on, or NULL when it does not say. */
const char *rv_data_file(const report_view *v);
/* Whether two paths name the same file: 1, 0, or -1 when one is missing. */
int rv_same_file(const char *a, const char *b);
/* The record of ds a listed example stands for: its "record" index when
 * that record still has the example's id (or context), else the record
 * with its id; an unverifiable index only when trust_index is set (the
 * report names this very file). SIZE_MAX when none. */
size_t rv_find_record(const aft_dataset *ds, const cJSON *example, int trust_index);

/* Checks root against the shape of kind (RV_NONE: the fields both kinds
 * share); 0, or -1 with "NAME: where is what, expected what" in err. */
int rv_check_shape(const cJSON *root, rv_kind kind, const char *name, char *err, size_t size);
const char *rv_type_name(const cJSON *j);   /* "a string", "an array"... */

/* Section building (report_lines.c). */
void rv_lines_free(rv_lines *l);
int rv_add(rv_lines *l, tui_role role, rl_kind kind, const cJSON *ref, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rv_build_report(report_view *v);
void rv_build_compare(report_view *v);
void rv_build_actions(report_view *v);
/* Numbers as the pane shows them: "n/a" for null or missing. */
double rv_num(const cJSON *o, const char *key);
const char *rv_str(const cJSON *o, const char *key);

#endif
