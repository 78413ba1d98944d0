/* One virtual list widget for every list (dataset, form, log, help): it
 * knows only a row count, a cursor and the first visible row, and asks a
 * callback to draw the visible rows, so a frame costs O(visible rows) no
 * matter how many rows there are. */
#ifndef TUI_LISTVIEW_H
#define TUI_LISTVIEW_H

#include <stddef.h>

#include "keys.h"
#include "tcurses.h"

typedef struct listview {
    size_t count;   /* rows */
    size_t cur;     /* the cursor's row (0 when count is 0) */
    size_t top;     /* first visible row */
    int rows;       /* visible rows, from the last draw or lv_set_rows */
} listview;

/* Draws row `row` at (y, x) in `width` cells; attr is the row's base
 * attribute (the cursor row's colour, or normal). */
typedef void (*lv_row_fn)(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                          unsigned long attr, int is_cursor);

void lv_set_count(listview *lv, size_t count);
void lv_set_rows(listview *lv, int rows);
/* Moves the cursor to row (clamped) and scrolls to show it. */
void lv_goto(listview *lv, size_t row);
/* The row shown on the list's visible line `line` (0 = its first line),
 * or (size_t)-1 when no row is there. */
size_t lv_row_at(const listview *lv, int line);
/* Applies a KS_LIST action; returns 1 when the list handled it. */
int lv_action(listview *lv, key_action a);
/* Draws the visible rows in the rectangle, with a scroll mark in the last
 * column when the list is longer than the rectangle. */
void lv_draw(listview *lv, WINDOW *w, int y, int x, int h, int width, int focused, lv_row_fn fn,
             void *ctx);

#endif
