/* The shared state's operations (see app.h): messages, the log, the
 * selection, saving, and the questions asked on the message line. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void log_push(tui_app *app, tui_role role, const char *text)
{
    if (!app->log)
        return;
    size_t at;
    if (app->log_n < APP_LOG_LINES) {
        at = (app->log_head + app->log_n++) % APP_LOG_LINES;
    } else {
        at = app->log_head;
        app->log_head = (app->log_head + 1) % APP_LOG_LINES;
    }
    app->log[at].role = role;
    snprintf(app->log[at].text, sizeof app->log[at].text, "%.*s",
             (int)sizeof app->log[at].text - 1, text);
    app->log_gen++;
    app_mark(app, P_LOG);
}

void app_log(tui_app *app, tui_role role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One log line per line of the message (engine errors can list several). */
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        log_push(app, role, line);
}

void app_message(tui_app *app, tui_role role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    snprintf(app->msg, sizeof app->msg, "%.*s", (int)sizeof app->msg - 1, buf);
    char *nl = strchr(app->msg, '\n');
    if (nl)
        *nl = '\0';
    app->msg_role = role;
    app->chrome_dirty = 1;
    app_log(app, role, "%s", buf);
}

const app_log_line *app_log_at(const tui_app *app, size_t i)
{
    if (i >= app->log_n)
        return NULL;
    return &app->log[(app->log_head + i) % APP_LOG_LINES];
}

void app_mark(tui_app *app, pane_id id)
{
    if ((unsigned)id < P_COUNT && app->panes[id])
        app->panes[id]->dirty = 1;
}

void app_mark_all(tui_app *app)
{
    for (int i = 0; i < P_COUNT; i++)
        app_mark(app, (pane_id)i);
}

void app_select(tui_app *app, size_t rec)
{
    if (app->sel == rec)
        return;
    app->sel = rec;
    app_mark(app, P_DATA);
    app_mark(app, P_EDIT);
}

void app_dataset_edited(tui_app *app)
{
    app->ds_gen++;
    app_mark(app, P_DATA);
    app_mark(app, P_EDIT);
}

int app_save(tui_app *app)
{
    if (!app->ds)
        return 0;
    if (!aft_dataset_dirty(app->ds)) {
        app_message(app, ROLE_OK, "nothing to save: %s is up to date", aft_dataset_path(app->ds));
        return 0;
    }
    aft_error err = {0};
    if (aft_dataset_save(app->ds, &err) < 0) {
        app_message(app, ROLE_ERROR, "save failed (edits stay in the journal): %s", err.msg);
        return -1;
    }
    app_message(app, ROLE_OK, "saved %s (%zu records)", aft_dataset_path(app->ds),
                aft_dataset_count(app->ds));
    app_mark_all(app);
    return 0;
}

void app_ask(tui_app *app, app_confirm_fn fn, void *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->confirm, sizeof app->confirm, fmt, ap);
    va_end(ap);
    app->confirm_fn = fn;
    app->confirm_ctx = ctx;
    app->chrome_dirty = 1;
}

void app_focus(tui_app *app, pane_id id)
{
    if ((unsigned)id >= P_COUNT || !app->panes[id])
        return;
    if (app->focus != id) {
        pane *old = app->panes[app->focus];
        old->focused = 0;
        if (old->ops->focus)
            old->ops->focus(old, 0);
        old->dirty = 1;
        app->focus = id;
    }
    pane *p = app->panes[id];
    p->focused = 1;
    if (p->ops->focus)
        p->ops->focus(p, 1);
    p->dirty = 1;
    /* In tab mode (or zoomed) another pane now fills the screen; in split
     * mode it may come to the front of a place it shares. */
    unsigned front = layout_front(app->front, id);
    if (app->lay.mode == LAYOUT_TABS || app->zoom || front != app->front)
        app->relayout = 1;
    app->front = front;
}
