/* The screen manager's private interface between start-up (start.c) and the
 * frame loop (workbench.c). */
#ifndef TUI_WB_H
#define TUI_WB_H

#include "app.h"
#include "chrome.h"

typedef struct wb {
    tui_app app;
    WINDOW *top, *status, *keys, *overlay;
    help_view help;
    int wake[2];        /* self-pipe: signals (and the trainer) write, poll() wakes */
    int full;           /* repaint everything: after a resize or an overlay closed */
    int detached;       /* SIGHUP: the terminal is gone */
    int exit_code;
    int mouse_on;
    int swallow_paste;  /* a paste arrived where no text is edited: drop it */
    double last_frame;  /* ms, monotonic */
} wb;

/* Runs the frame loop until the user quits or a signal ends it. */
void wb_loop(wb *b);
/* Lays every window out for the current terminal size. */
void wb_relayout(wb *b);
/* Deletes every window (before curses is stopped). */
void wb_close_windows(wb *b);
/* One frame: the dirty panes (every pane after b->full), the bars, one
 * doupdate(). The loop's, exposed for tests/bench/bench_tui.c. */
void wb_frame(wb *b);
/* Lets every pane pick up new data (marking it dirty); returns 1 when one
 * has more work to do at once. */
int wb_tick(wb *b);
/* Builds every pane (start.c); the focus starts on the dataset. */
int wb_make_panes(tui_app *app);

#endif
