/* The workbench's shared state: the workspace, the dataset, the selected
 * record, the run being shown, the message line and the log. Panes read it
 * and change it through the app_ functions, which mark the panes that must
 * be redrawn. Only the UI thread touches it. */
#ifndef TUI_APP_H
#define TUI_APP_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/config.h"
#include "agentft/dataset.h"
#include "layout.h"
#include "pane.h"
#include "theme.h"

struct runsrc;
struct aft_trainer;

#define APP_LOG_LINES 2000

typedef struct app_log_line {
    tui_role role;
    char text[240];
} app_log_line;

typedef void (*app_confirm_fn)(struct tui_app *app, void *ctx);

typedef struct tui_app {
    aft_config *cfg;
    const char *ws_path;
    aft_dataset *ds;
    size_t sel;                  /* the selected record, SIZE_MAX when none */
    unsigned long ds_gen;        /* bumped by every edit of the dataset */
    pane *panes[P_COUNT];
    pane_id focus;
    int zoom;
    unsigned front;              /* panes in front of the places they share (layout_front) */
    layout lay;
    struct runsrc *run;
    struct aft_trainer *trainer; /* a run started from the workbench, or NULL */
    int wake_fd;                 /* write end of the loop's self-pipe (the trainer's notify fd) */
    int mouse;
    /* the message line under the panes */
    char msg[512];
    tui_role msg_role;
    /* the log: a ring of lines */
    app_log_line *log;
    size_t log_n, log_head;      /* count, index of the oldest */
    unsigned long log_gen;
    /* a yes/no question waiting on the message line */
    char confirm[256];
    app_confirm_fn confirm_fn;
    void *confirm_ctx;
    int quit_asked;              /* q pressed once with unsaved edits */
    char farewell[4400];         /* printed after the terminal is restored */
    int quit;
    int stop_run;                /* at exit: stop this process's run (else let it finish) */
    int relayout;                /* the windows must be laid out again */
    unsigned long add_serial;    /* for the ids of added records */
    int chrome_dirty;            /* the message line changed */
} tui_app;

void app_message(tui_app *app, tui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void app_log(tui_app *app, tui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log line i (0 = oldest). */
const app_log_line *app_log_at(const tui_app *app, size_t i);

void app_mark(tui_app *app, pane_id id);
void app_mark_all(tui_app *app);
/* Makes rec the selected record (the editor follows it). */
void app_select(tui_app *app, size_t rec);
/* After an edit of the dataset: filters, counts and the editor refresh. */
void app_dataset_edited(tui_app *app);
/* Saves the dataset, saying so on the message line; returns 0 on success. */
int app_save(tui_app *app);
/* Asks a yes/no question on the message line; fn runs on 'y'. */
void app_ask(tui_app *app, app_confirm_fn fn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Moves the focus (and the tab shown) to pane id. */
void app_focus(tui_app *app, pane_id id);

#endif
