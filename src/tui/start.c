/* tui_run: everything before and after the frame loop. Loads the dataset,
 * the run and the theme while the terminal is still a terminal (so errors
 * print normally), then starts curses, builds the panes, runs the loop and
 * restores the terminal. */
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"
#include "live.h"
#include "runsrc.h"
#include "screen.h"
#include "theme_pick.h"
#include "tui.h"
#include "wb.h"

typedef pane *(*pane_ctor)(tui_app *app);

static const pane_ctor ctors[P_COUNT] = {pane_data_new, pane_edit_new, pane_form_new,
                                         pane_chart_new, pane_log_new, pane_report_new,
                                         pane_augment_new, pane_try_new};

/* The dataset the workbench edits: dataset.path, else dataset.train. */
static const char *dataset_path(const aft_config *cfg)
{
    const char *p = aft_config_string(cfg, AFT_K_DATASET);
    return p[0] ? p : aft_config_string(cfg, AFT_K_TRAIN_FILE);
}

static int open_dataset(tui_app *app, aft_diag_list *diags)
{
    const char *path = dataset_path(app->cfg);
    if (!path[0])
        return 0;
    if (!aft_config_string(app->cfg, AFT_K_DATASET)[0])
        app_log(app, ROLE_WARNING, "the workspace names separate split files: showing %s "
                                   "(dataset.train); valid and test are not shown", path);
    aft_error err = {0};
    aft_load_opts lo = {.strict = 0};
    app->ds = aft_dataset_open(path, &lo, diags, &err);
    if (!app->ds) {
        fprintf(stderr, "agentft open: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static void log_diags(tui_app *app, const aft_diag_list *d)
{
    char line[1024];
    for (size_t i = 0; i < d->count; i++) {
        aft_diag_format(d, i, line, sizeof line);
        app_log(app, d->items[i].level == AFT_DIAG_ERROR ? ROLE_ERROR : ROLE_WARNING, "%s", line);
    }
    if (d->errors)
        app_message(app, ROLE_WARNING, "%zu bad lines in %s are kept as they are (see the log, 5)",
                    d->errors, d->path ? d->path : "the dataset");
}

/* Themes are looked for where `make install` puts them, then beside the
 * binary (a build in the source tree), then beside the workspace. */
static void load_theme(const tui_opts *o, theme *t, tui_app *app)
{
    theme_dir d[THEME_DIRS];
    theme_pick_dirs(o->ws_path, d);
    const char *dirs[THEME_DIRS] = {d[0], d[1], d[2], d[3]};
    const char *name = o->theme ? o->theme : aft_config_string(app->cfg, AFT_K_THEME);
    char err[1024];
    if (theme_load(t, name, dirs, THEME_DIRS, err, sizeof err) < 0)
        app_message(app, ROLE_WARNING, "%s; using the built-in theme", err);
}

static int open_run(const tui_opts *o, tui_app *app)
{
    char dir[4096] = "";
    aft_error err = {0};
    int rc = runsrc_locate(app->cfg, o->run, dir, sizeof dir, &err);
    if (rc < 0) {
        fprintf(stderr, "agentft open: %s\n", err.msg);
        return -1;
    }
    app->run = runsrc_open(rc == 0 ? dir : "");
    return app->run ? 0 : -1;
}

int wb_make_panes(tui_app *app)
{
    for (int i = 0; i < P_COUNT; i++) {
        app->panes[i] = ctors[i](app);
        if (!app->panes[i])
            return -1;
    }
    app->focus = P_DATA;
    app->panes[P_DATA]->focused = 1;
    return 0;
}

static void free_all(wb *b)
{
    tui_app *app = &b->app;
    for (int i = 0; i < P_COUNT; i++)
        if (app->panes[i])
            app->panes[i]->ops->free(app->panes[i]);
    help_close(&b->help);
    runsrc_free(app->run);
    aft_dataset_free(app->ds);
    free(app->log);
    if (b->wake[0] >= 0) {
        close(b->wake[0]);
        close(b->wake[1]);
    }
}

static int self_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static void welcome(tui_app *app)
{
    if (app->ds)
        app_message(app, ROLE_NORMAL, "%s: %zu record%s%s. ? or F1 lists the keys",
                    aft_dataset_path(app->ds), aft_dataset_count(app->ds),
                    aft_dataset_count(app->ds) == 1 ? "" : "s",
                    aft_dataset_replayed(app->ds) ? " (unsaved edits replayed from the journal)"
                                                  : "");
    else
        app_message(app, ROLE_WARNING, "the workspace names no dataset (dataset.path)");
}

/* Everything that may fail before the screen starts, reported on stderr:
 * the dataset, the run, the theme, the self-pipe and the panes. */
static int prepare(const tui_opts *o, wb *b, theme *th)
{
    tui_app *app = &b->app;
    app->cfg = o->cfg;
    app->ws_path = o->ws_path;
    app->sel = SIZE_MAX;
    app->log = calloc(APP_LOG_LINES, sizeof *app->log);
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    int rc = app->log && open_dataset(app, &diags) == 0 && open_run(o, app) == 0 ? 0 : -1;
    if (rc == 0) {
        welcome(app);
        log_diags(app, &diags);
        load_theme(o, th, app);
        rc = self_pipe(b->wake) == 0 && wb_make_panes(app) == 0 ? 0 : -1;
    }
    aft_diag_list_free(&diags);
    return rc;
}

int tui_run(const tui_opts *o)
{
    /* The locale decides UTF-8 (LANG/LC_* are often not forwarded over SSH,
     * so nothing else is trusted); numbers stay in the C locale so that
     * "0.01" parses the same everywhere. */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    draw_set_utf8(strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "agentft open: the workbench needs a terminal (stdin and stdout)\n");
        return 1;
    }
    wb b;
    memset(&b, 0, sizeof b);
    b.wake[0] = b.wake[1] = -1;
    tui_app *app = &b.app;
    theme th;
    char hint[512] = "";
    int rc = prepare(o, &b, &th) == 0 ? 0 : 1;
    if (rc == 0 && screen_start(hint, sizeof hint) < 0) {
        fprintf(stderr, "agentft open: %s\n", hint);
        rc = 1;
    }
    if (rc == 0) {
        screen_catch_signals(b.wake[1]);
        app->wake_fd = b.wake[1];
        theme_apply(&th);
        screen_paste_mode(1);
        if (hint[0])
            app_message(app, ROLE_WARNING, "%s", hint);
        if (o->mouse)
            mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        b.mouse_on = o->mouse;
        wb_relayout(&b);
        wb_loop(&b);
        wb_close_windows(&b);
        screen_stop(!b.detached);
        if (hint[0])
            fprintf(stderr, "agentft: %s\n", hint);
        if (app->farewell[0])
            fprintf(stderr, "agentft: %s\n", app->farewell);
        if (live_running(app) && !b.detached)
            fprintf(stderr, "agentft: stopping the run (it saves a checkpoint)...\n");
        live_finish(app, app->stop_run);
        rc = b.exit_code;
    }
    free_all(&b);
    return rc;
}
