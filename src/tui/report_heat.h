/* The Report pane's confusion section: the matrix as a heat map (colour
 * by count, the most confused actions when they do not all fit) beside
 * the list of the largest confusions. */
#ifndef TUI_REPORT_HEAT_H
#define TUI_REPORT_HEAT_H

#include "listview.h"
#include "report_view.h"
#include "tcurses.h"

/* Draws into rows y..y+h of w; lv scrolls the confusion list, whose rows
 * row_fn draws (with v->sec[RS_CONFUSION] as its context). */
void heat_draw(report_view *v, listview *lv, WINDOW *w, int y, int h, int width, int focused,
               lv_row_fn row_fn);

#endif
