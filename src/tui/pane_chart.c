/* The charts pane: train loss (raw and smoothed), validation loss,
 * validation accuracy and macro-F1, learning rate, gradient norm and
 * tokens/s of the run being shown, with markers where a hyperparameter
 * changed (set) and where the best checkpoint is. Fed from the run source;
 * the charts keep their own copies of the series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "chart.h"
#include "draw.h"
#include "runsrc.h"

enum { C_LOSS, C_VAL, C_LR, C_GRAD, C_TOK, C_COUNT };

#define SMOOTH 0.9  /* weight of the past in the smoothed train loss */
#define POLL_MS 250

typedef struct chart_pane {
    pane base;
    chart c[C_COUNT];
    chart_view view;
    int sel;                   /* the chosen chart */
    int maxed;                 /* only the chosen chart */
    size_t used[AFT_SERIES_COUNT];   /* points of each run series already in the charts */
    size_t used_events;
    unsigned long resets, gen;
    double ema, ema_w;         /* smoothed loss and its debias weight */
    double last_poll;
    const runsrc *src;         /* the source the charts hold (a new one starts them over) */
} chart_pane;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Which chart and series each run series goes to. */
static const struct {
    aft_series_kind kind;
    int chart, series;
} feeds[] = {
    {AFT_SERIES_TRAIN_LOSS, C_LOSS, 0}, {AFT_SERIES_VAL_LOSS, C_LOSS, 2},
    {AFT_SERIES_VAL_ACCURACY, C_VAL, 0}, {AFT_SERIES_VAL_MACRO_F1, C_VAL, 1},
    {AFT_SERIES_LR, C_LR, 0}, {AFT_SERIES_GRAD_NORM, C_GRAD, 0},
    {AFT_SERIES_TOKENS_PER_S, C_TOK, 0},
};

static void reset_charts(chart_pane *cp)
{
    for (int i = 0; i < C_COUNT; i++)
        chart_clear(&cp->c[i]);
    memset(cp->used, 0, sizeof cp->used);
    cp->used_events = 0;
    cp->ema = 0;
    cp->ema_w = 0;
}

static void feed(chart_pane *cp, const runsrc *rs)
{
    for (size_t f = 0; f < sizeof feeds / sizeof feeds[0]; f++) {
        const rs_series *s = &rs->series[feeds[f].kind];
        chart *c = &cp->c[feeds[f].chart];
        for (size_t i = cp->used[feeds[f].kind]; i < s->n; i++) {
            chart_push(c, feeds[f].series, (double)s->p[i].step, s->p[i].value);
            if (feeds[f].kind == AFT_SERIES_TRAIN_LOSS && isfinite(s->p[i].value)) {
                /* Exponential smoothing, debiased so it starts at the data. */
                cp->ema = SMOOTH * cp->ema + (1 - SMOOTH) * s->p[i].value;
                cp->ema_w = SMOOTH * cp->ema_w + (1 - SMOOTH);
                chart_push(c, 1, (double)s->p[i].step, cp->ema / cp->ema_w);
            }
        }
        cp->used[feeds[f].kind] = s->n;
    }
    for (size_t i = cp->used_events; i < rs->n_events; i++) {
        const aft_event *e = &rs->events[i];
        int set = !strcmp(e->kind, "set"), best = !strcmp(e->kind, "best");
        if (set || best)
            for (int k = 0; k < C_COUNT; k++)
                chart_add_marker(&cp->c[k], (double)e->step,
                                 set ? ROLE_MARKER_SET : ROLE_MARKER_BEST);
        app_log(cp->base.app, set || best ? ROLE_WARNING : ROLE_NORMAL, "step %llu: %s",
                (unsigned long long)e->step, e->text);
    }
    cp->used_events = rs->n_events;
    if (rs->patience_left >= 0)
        snprintf(cp->c[C_VAL].note, sizeof cp->c[C_VAL].note, "patience %d", rs->patience_left);
    if (rs->best_step)
        snprintf(cp->c[C_LOSS].note, sizeof cp->c[C_LOSS].note, "best @%llu",
                 (unsigned long long)rs->best_step);
}

static void fit(chart_pane *cp)
{
    double lo = 0, hi = 0, a, b;
    int any = 0;
    for (int i = 0; i < C_COUNT; i++)
        if (chart_x_range(&cp->c[i], &a, &b)) {
            lo = any ? fmin(lo, a) : a;
            hi = any ? fmax(hi, b) : b;
            any = 1;
        }
    if (cp->view.follow || !any)
        chart_view_fit(&cp->view, lo, hi);
    else if (cp->view.x1 >= hi)
        cp->view.follow = 1;
}

static int tick(pane *p)
{
    chart_pane *cp = (chart_pane *)p;
    runsrc *rs = p->app->run;
    double t = now_ms();
    if (!rs || t - cp->last_poll < POLL_MS)
        return 0;
    cp->last_poll = t;
    runsrc_poll(rs);
    if (rs != cp->src || rs->resets != cp->resets) {
        cp->src = rs;
        cp->gen = 0;
        reset_charts(cp);
        cp->resets = rs->resets;
    }
    if (rs->gen == cp->gen)
        return 0;
    cp->gen = rs->gen;
    feed(cp, rs);
    if (cp->view.follow) {
        cp->view.follow = 1;
        fit(cp);
    }
    p->app->chrome_dirty = 1; /* the status line shows the run's step */
    return 1;
}

/* ---- drawing ---------------------------------------------------------------- */

static void draw_events(chart_pane *cp, WINDOW *w, int y)
{
    const runsrc *rs = cp->base.app->run;
    char line[512] = "";
    size_t n = 0;
    for (size_t i = rs->n_events; i-- > 0 && n < sizeof line;) {
        const aft_event *e = &rs->events[i];
        if (strcmp(e->kind, "set") && strcmp(e->kind, "best"))
            continue;
        n += (size_t)snprintf(line + n, sizeof line - n, "%s@%llu %s   ",
                              e->kind[0] == 's' ? "| " : "* ", (unsigned long long)e->step, e->text);
    }
    if (line[0])
        draw_text(w, y, 0, line, cp->base.w, theme_attr(ROLE_DIM));
}

static void draw(pane *p)
{
    chart_pane *cp = (chart_pane *)p;
    runsrc *rs = p->app->run;
    WINDOW *w = p->win;
    if (!rs || !rs->dir[0]) {
        const char *runs = aft_config_string(p->app->cfg, AFT_K_RUNS_DIR);
        draw_printf(w, 2, 2, p->w - 4, theme_attr(ROLE_DIM), "No run yet in %s.", runs);
        draw_text(w, 3, 2, "Start one with: agentft train WS   (or open WS --run NAME)", p->w - 4,
                  theme_attr(ROLE_DIM));
        return;
    }
    chart_mode mode = draw_utf8() ? CHART_BRAILLE : CHART_ASCII;
    int area = p->h - 2; /* the last row lists the markers */
    int cols = p->w >= 110 ? 2 : 1;
    int rows = (C_COUNT + cols - 1) / cols;
    int ch = area / rows;
    if (cp->maxed || ch < 6) {
        /* Too short for all of them: the chosen one, and its siblings' names. */
        int col = 0;
        for (int i = 0; i < C_COUNT; i++) {
            char t[64];
            snprintf(t, sizeof t, " %s ", cp->c[i].title);
            col += draw_text(w, 1, col, t, p->w - col,
                             theme_attr(i == cp->sel ? ROLE_TAB_ACTIVE : ROLE_DIM));
        }
        chart_draw(&cp->c[cp->sel], w, 2, 0, area - 1, p->w, &cp->view, mode, 1);
    } else {
        int cw = p->w / cols;
        for (int i = 0; i < C_COUNT; i++) {
            int r = i / cols, c = i % cols;
            chart_draw(&cp->c[i], w, 1 + r * ch, c * cw, ch, cw - (c + 1 < cols),
                       &cp->view, mode, i == cp->sel && p->focused);
        }
    }
    draw_events(cp, w, p->h - 1);
}

static void info(const pane *p, char *buf, size_t size)
{
    const chart_pane *cp = (const chart_pane *)p;
    const runsrc *rs = p->app->run;
    if (!rs || !rs->dir[0]) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, size, "%s  step %llu  %s%s", rs->name, (unsigned long long)rs->step,
             runsrc_live(rs) ? "live" : "ended", cp->view.follow ? "" : "  (zoomed)");
}

/* ---- keys ------------------------------------------------------------------- */

static unsigned key(pane *p, int code)
{
    chart_pane *cp = (chart_pane *)p;
    double lo = 0, hi = 0, a, b;
    int any = 0;
    for (int i = 0; i < C_COUNT; i++)
        if (chart_x_range(&cp->c[i], &a, &b)) {
            lo = any ? fmin(lo, a) : a;
            hi = any ? fmax(hi, b) : b;
            any = 1;
        }
    switch (keys_action(KS_CHART, code)) {
    case ACT_C_LEFT: chart_view_scroll(&cp->view, -0.25, lo, hi); break;
    case ACT_C_RIGHT: chart_view_scroll(&cp->view, 0.25, lo, hi); break;
    case ACT_C_ZOOM_IN: chart_view_zoom(&cp->view, 0.5, lo, hi); break;
    case ACT_C_ZOOM_OUT: chart_view_zoom(&cp->view, 2.0, lo, hi); break;
    case ACT_C_FIT: chart_view_fit(&cp->view, lo, hi); break;
    case ACT_C_NEXT: cp->sel = (cp->sel + 1) % C_COUNT; break;
    case ACT_C_PREV: cp->sel = (cp->sel + C_COUNT - 1) % C_COUNT; break;
    case ACT_C_MAXIMISE: cp->maxed = !cp->maxed; break;
    case ACT_C_RELOAD:
        if (p->app->run) {
            runsrc *old = p->app->run;
            runsrc *fresh = runsrc_open(old->dir);
            if (fresh) {
                runsrc_free(old);
                p->app->run = fresh;
                cp->resets = (unsigned long)-1;
                cp->gen = 0;
                cp->last_poll = 0;
                cp->view.follow = 1;
            }
        }
        break;
    default: return 0;
    }
    return PK_HANDLED | PK_REDRAW;
}

static key_scope scope(const pane *p)
{
    (void)p;
    return KS_CHART;
}

static void pfree(pane *p)
{
    chart_pane *cp = (chart_pane *)p;
    for (int i = 0; i < C_COUNT; i++)
        chart_free(&cp->c[i]);
    free(cp);
}

static const pane_ops ops = {
    .title = "Charts", .draw = draw, .key = key, .tick = tick, .scope = scope, .info = info,
    .free = pfree,
};

pane *pane_chart_new(tui_app *app)
{
    chart_pane *cp = calloc(1, sizeof *cp);
    if (!cp)
        return NULL;
    cp->base.ops = &ops;
    cp->base.app = app;
    cp->base.id = P_CHART;
    chart_init(&cp->c[C_LOSS], "loss");
    chart_add_series(&cp->c[C_LOSS], "train", ROLE_LOSS_TRAIN);
    chart_add_series(&cp->c[C_LOSS], "smooth", ROLE_LOSS_SMOOTH);
    chart_add_series(&cp->c[C_LOSS], "val", ROLE_LOSS_VAL);
    chart_init(&cp->c[C_VAL], "validation");
    chart_add_series(&cp->c[C_VAL], "acc", ROLE_ACCURACY);
    chart_add_series(&cp->c[C_VAL], "macro-F1", ROLE_MACRO_F1);
    chart_init(&cp->c[C_LR], "lr");
    chart_add_series(&cp->c[C_LR], "lr", ROLE_LR);
    chart_init(&cp->c[C_GRAD], "grad norm");
    chart_add_series(&cp->c[C_GRAD], "norm", ROLE_GRAD_NORM);
    chart_init(&cp->c[C_TOK], "tokens/s");
    chart_add_series(&cp->c[C_TOK], "tok/s", ROLE_THROUGHPUT);
    cp->view.follow = 1;
    cp->resets = (unsigned long)-1;
    return &cp->base;
}
