/* The log pane: the workbench's messages, engine errors, dataset warnings
 * and the run's events, newest at the bottom; follows new lines unless the
 * user has scrolled up. */
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "draw.h"
#include "listview.h"

typedef struct log_pane {
    pane base;
    listview lv;
    unsigned long seen;
} log_pane;

static void draw_row(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                     unsigned long attr, int is_cur)
{
    log_pane *l = ctx;
    const app_log_line *line = app_log_at(l->base.app, row);
    if (!line)
        return;
    unsigned long a = is_cur ? attr : theme_attr(line->role);
    draw_text(w, y, x, line->text, width, a);
}

static void draw(pane *p)
{
    log_pane *l = (log_pane *)p;
    lv_draw(&l->lv, p->win, 1, 0, p->h - 1, p->w, p->focused, draw_row, l);
}

static int tick(pane *p)
{
    log_pane *l = (log_pane *)p;
    if (p->app->log_gen == l->seen)
        return 0;
    l->seen = p->app->log_gen;
    int at_end = l->lv.count == 0 || l->lv.cur + 1 >= l->lv.count;
    lv_set_count(&l->lv, p->app->log_n);
    if (at_end && l->lv.count)
        lv_goto(&l->lv, l->lv.count - 1);
    return 1;
}

static unsigned key(pane *p, int code)
{
    log_pane *l = (log_pane *)p;
    return lv_action(&l->lv, keys_action(KS_LIST, code)) ? PK_HANDLED | PK_REDRAW : 0;
}

static key_scope scope(const pane *p)
{
    (void)p;
    return KS_LIST;
}

static void info(const pane *p, char *buf, size_t size)
{
    snprintf(buf, size, "%zu lines", p->app->log_n);
}

static void pfree(pane *p)
{
    free(p);
}

static const pane_ops ops = {
    .title = "Log", .draw = draw, .key = key, .tick = tick, .scope = scope, .info = info,
    .free = pfree,
};

pane *pane_log_new(tui_app *app)
{
    log_pane *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->base.ops = &ops;
    l->base.app = app;
    l->base.id = P_LOG;
    return &l->base;
}
