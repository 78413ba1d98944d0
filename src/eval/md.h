/* Markdown text for the reports: a growing buffer, table cells made safe
 * (pipes escaped, line breaks flattened, long text clipped) and tables whose
 * columns line up in a terminal, CJK text included. Private to src/eval. */
#ifndef AGENTFT_EVAL_MD_H
#define AGENTFT_EVAL_MD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "agentft/error.h"

typedef struct md_buf {
    char *s;
    size_t len, cap;
    int oom;            /* an allocation failed: the text is incomplete */
} md_buf;

void md_printf(md_buf *b, const char *fmt, ...) AFT_PRINTF(2, 3);
void md_puts(md_buf *b, const char *s);
/* Hands the text over (NULL after an allocation failure) and empties b. */
char *md_take(md_buf *b);

/* Terminal columns of UTF-8 text (East Asian wide characters count 2). */
size_t md_width(const char *s);

#define MD_MAX_COLS 8

/* A table: a header row, then rows of cells; align is one letter per column,
 * 'l' or 'r' (numbers). */
typedef struct md_table {
    size_t ncols;
    char align[MD_MAX_COLS + 1];
    char **cells;       /* row by row, the header first */
    size_t n, cap;
    int oom;
} md_table;

/* ncols header cells follow align. */
void md_table_init(md_table *t, const char *align, ...);
/* The next cell, row after row: text copied and made safe, clipped to
 * max_width columns when max_width > 0. NULL prints as "–". */
void md_cell(md_table *t, const char *text);
void md_cell_clip(md_table *t, const char *text, size_t max_width);
void md_cellf(md_table *t, const char *fmt, ...) AFT_PRINTF(2, 3);
/* Writes the table (nothing when it has no rows) and frees it. */
void md_table_emit(md_table *t, md_buf *b);

/* A number as text: a share as a percentage, a figure with the given
 * decimals, a count with thousands separators; NAN gives "–". Returned by
 * value, so md_pct(x).s lives until the end of the statement. */
typedef struct md_num {
    char s[48];
} md_num;

md_num md_pct(double v);
md_num md_fix(double v, int decimals);
md_num md_count(double v);

/* ---- reading the report's JSON ---- */

/* A member's number (NAN when missing or null), string (NULL when missing). */
double md_jnum(const cJSON *o, const char *key);
const char *md_jstr(const cJSON *o, const char *key);
/* A member that is a non-empty object, or NULL: sections left out. */
const cJSON *md_jsection(const cJSON *o, const char *key);
/* A member that is a non-empty array, or NULL. */
const cJSON *md_jlist(const cJSON *o, const char *key);

/* The Markdown of a comparison (report_md_compare.c). */
void md_compare(md_buf *b, const cJSON *c);

#endif
