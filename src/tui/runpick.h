/* The chooser of a second run for the charts: the runs folder's runs with
 * their best validation figure, newest first, in a list drawn over the
 * charts. */
#ifndef TUI_RUNPICK_H
#define TUI_RUNPICK_H

#include "listview.h"
#include "runlist.h"

typedef struct runpick {
    int open;
    runlist runs;
    listview lv;
} runpick;

typedef enum { RP_IGNORED, RP_MOVED, RP_PICKED, RP_CANCELLED } rp_result;

/* Lists runs_dir's runs and opens the chooser; returns how many there are
 * (0: nothing to choose, the chooser stays closed), -1 out of memory. */
int runpick_open(runpick *rp, const char *runs_dir);
void runpick_close(runpick *rp);
/* Draws the chooser in the rectangle; the run in current_dir is marked. */
void runpick_draw(runpick *rp, WINDOW *w, int y, int x, int h, int width, const char *current_dir);
rp_result runpick_key(runpick *rp, int code);
/* The run under the cursor (after RP_PICKED). */
const run_entry *runpick_chosen(const runpick *rp);

#endif
