/* The frame around the panes: the title or tab bar, the status line, the
 * function-key bar and the help overlay, the last two generated from the
 * key table. */
#ifndef TUI_CHROME_H
#define TUI_CHROME_H

#include "app.h"
#include "listview.h"

void chrome_top(tui_app *app, WINDOW *w, int width);
/* The pane whose tab is at column x of the tab bar, or -1. */
int chrome_tab_at(int width, int x);
void chrome_status(tui_app *app, WINDOW *w, int width);
void chrome_keys(tui_app *app, WINDOW *w, int width, key_scope scope);
/* The message for a terminal below the minimum size. */
void chrome_too_small(WINDOW *w, int rows, int cols);

/* The help overlay: every binding of the key table, by scope. */
typedef struct help_view {
    int open;
    listview lv;
    struct help_line *lines;
    size_t n;
} help_view;

int help_open(help_view *h, key_scope first);
void help_close(help_view *h);
/* Draws the overlay filling w (rows x cols, a window of its own). */
void help_draw(help_view *h, WINDOW *w, int rows, int cols);
/* A key while the overlay is open: scrolls, or closes it (returns 0). */
int help_key(help_view *h, int code);

#endif
