/* The charts pane: train loss (raw and smoothed), validation loss,
 * validation accuracy and macro-F1, learning rate, gradient norm and
 * tokens/s of the run being shown (and a PPO run's mean reward of each
 * rollout and of the evaluations, and its KL to the reference), with markers where a hyperparameter
 * changed (set) and where the best checkpoint is; a second run from the
 * runs folder can be overlaid (c chooses it, C removes it). Fed from the
 * run sources; the charts keep their own copies of the series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "chart.h"
#include "draw.h"
#include "runpick.h"
#include "runsrc.h"
#include "agentft/clock.h"

enum { C_LOSS, C_VAL, C_LR, C_GRAD, C_TOK, C_RL, C_COUNT };

#define SMOOTH 0.9  /* weight of the past in the smoothed train loss */
#define POLL_MS 250

/* The charts of one run and how far they have read its source. */
typedef struct chart_set {
    chart c[C_COUNT];
    size_t used[AFT_SERIES_COUNT];   /* points of each run series already in the charts */
    size_t used_events;
    unsigned long resets, gen;
    double ema, ema_w;         /* smoothed loss and its debias weight */
    const runsrc *src;         /* the source the charts hold (a new one starts them over) */
} chart_set;

typedef struct chart_pane {
    pane base;
    chart_set run;             /* the run shown */
    chart_set cmp;             /* the second run, overlaid while other is set */
    runsrc *other;
    runpick pick;
    chart_view view;
    int sel;                   /* the chosen chart */
    int maxed;                 /* only the chosen chart */
    double last_poll;
} chart_pane;

/* Which chart and series each run series goes to (-1: not shown), and
 * where the smoothed train loss goes. The second run shows no raw train
 * loss: two noisy curves would hide each other. */
typedef struct feed_map {
    aft_series_kind kind;
    int chart, series;
} feed_map;

static const feed_map run_feeds[] = {
    {AFT_SERIES_TRAIN_LOSS, C_LOSS, 0}, {AFT_SERIES_VAL_LOSS, C_LOSS, 2},
    {AFT_SERIES_VAL_ACCURACY, C_VAL, 0}, {AFT_SERIES_VAL_MACRO_F1, C_VAL, 1},
    {AFT_SERIES_LR, C_LR, 0}, {AFT_SERIES_GRAD_NORM, C_GRAD, 0},
    {AFT_SERIES_TOKENS_PER_S, C_TOK, 0},
    {AFT_SERIES_REWARD, C_RL, 0}, {AFT_SERIES_VAL_REWARD, C_RL, 1}, {AFT_SERIES_KL, C_RL, 2},
};
static const feed_map cmp_feeds[] = {
    {AFT_SERIES_TRAIN_LOSS, C_LOSS, -1}, {AFT_SERIES_VAL_LOSS, C_LOSS, 1},
    {AFT_SERIES_VAL_ACCURACY, C_VAL, 0}, {AFT_SERIES_VAL_MACRO_F1, C_VAL, 1},
    {AFT_SERIES_LR, C_LR, 0}, {AFT_SERIES_GRAD_NORM, C_GRAD, 0},
    {AFT_SERIES_TOKENS_PER_S, C_TOK, 0},
    {AFT_SERIES_REWARD, C_RL, -1}, {AFT_SERIES_VAL_REWARD, C_RL, 0}, {AFT_SERIES_KL, C_RL, 1},
};
#define N_FEEDS (sizeof run_feeds / sizeof run_feeds[0])

static void reset_charts(chart_set *cs)
{
    for (int i = 0; i < C_COUNT; i++)
        chart_clear(&cs->c[i]);
    memset(cs->used, 0, sizeof cs->used);
    cs->used_events = 0;
    cs->ema = 0;
    cs->ema_w = 0;
}

static void feed_series(chart_set *cs, const runsrc *rs, const feed_map *map, int smooth_to)
{
    for (size_t f = 0; f < N_FEEDS; f++) {
        const rs_series *s = &rs->series[map[f].kind];
        chart *c = &cs->c[map[f].chart];
        for (size_t i = cs->used[map[f].kind]; i < s->n; i++) {
            if (map[f].series >= 0)
                chart_push(c, map[f].series, (double)s->p[i].step, s->p[i].value);
            if (map[f].kind == AFT_SERIES_TRAIN_LOSS && isfinite(s->p[i].value)) {
                /* Exponential smoothing, debiased so it starts at the data. */
                cs->ema = SMOOTH * cs->ema + (1 - SMOOTH) * s->p[i].value;
                cs->ema_w = SMOOTH * cs->ema_w + (1 - SMOOTH);
                chart_push(c, smooth_to, (double)s->p[i].step, cs->ema / cs->ema_w);
            }
        }
        cs->used[map[f].kind] = s->n;
    }
}

static void feed(chart_pane *cp, const runsrc *rs)
{
    chart_set *cs = &cp->run;
    feed_series(cs, rs, run_feeds, 1);
    for (size_t i = cs->used_events; i < rs->n_events; i++) {
        const aft_event *e = &rs->events[i];
        int set = !strcmp(e->kind, "set"), best = !strcmp(e->kind, "best");
        if (set || best)
            for (int k = 0; k < C_COUNT; k++)
                chart_add_marker(&cs->c[k], (double)e->step,
                                 set ? ROLE_MARKER_SET : ROLE_MARKER_BEST);
        app_log(cp->base.app, set || best ? ROLE_WARNING : ROLE_NORMAL, "step %llu: %s",
                (unsigned long long)e->step, e->text);
    }
    cs->used_events = rs->n_events;
    if (rs->patience_left >= 0)
        snprintf(cs->c[C_VAL].note, sizeof cs->c[C_VAL].note, "patience %d", rs->patience_left);
    if (rs->best_step)
        snprintf(cs->c[C_LOSS].note, sizeof cs->c[C_LOSS].note, "best @%llu",
                 (unsigned long long)rs->best_step);
}

/* The steps any chart of either run covers; 0 when there are none. */
static int steps_range(const chart_pane *cp, double *lo, double *hi)
{
    double a, b;
    int any = 0;
    for (int i = 0; i < 2 * C_COUNT; i++) {
        const chart *c = i < C_COUNT ? &cp->run.c[i] : &cp->cmp.c[i - C_COUNT];
        if ((i < C_COUNT || cp->other) && chart_x_range(c, &a, &b)) {
            *lo = any ? fmin(*lo, a) : a;
            *hi = any ? fmax(*hi, b) : b;
            any = 1;
        }
    }
    return any;
}

static void fit(chart_pane *cp)
{
    double lo = 0, hi = 0;
    int any = steps_range(cp, &lo, &hi);
    if (cp->view.follow || !any)
        chart_view_fit(&cp->view, lo, hi);
    else if (cp->view.x1 >= hi)
        cp->view.follow = 1;
}

/* Reads what is new in rs into cs; returns 1 when the charts changed. */
static int follow(chart_pane *cp, chart_set *cs, runsrc *rs)
{
    runsrc_poll(rs);
    if (rs != cs->src || rs->resets != cs->resets) {
        cs->src = rs;
        cs->gen = 0;
        reset_charts(cs);
        cs->resets = rs->resets;
    }
    if (rs->gen == cs->gen)
        return 0;
    cs->gen = rs->gen;
    if (cs == &cp->run)
        feed(cp, rs);
    else
        feed_series(cs, rs, cmp_feeds, 0);
    return 1;
}

static int tick(pane *p)
{
    chart_pane *cp = (chart_pane *)p;
    runsrc *rs = p->app->run;
    double t = aft_monotonic_ms();
    if (!rs || t - cp->last_poll < POLL_MS)
        return 0;
    cp->last_poll = t;
    int changed = follow(cp, &cp->run, rs);
    if (changed)
        p->app->chrome_dirty = 1; /* the status line shows the run's step */
    if (cp->other)
        changed |= follow(cp, &cp->cmp, cp->other);
    if (!changed)
        return 0;
    if (cp->view.follow)
        fit(cp);
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

static void draw_chart(chart_pane *cp, int i, WINDOW *w, int y, int x, int h, int width, int sel)
{
    chart_mode mode = draw_utf8() ? CHART_BRAILLE : CHART_ASCII;
    chart_draw_over(&cp->run.c[i], cp->other ? &cp->cmp.c[i] : NULL,
                    cp->other ? cp->other->name : NULL, w, y, x, h, width, &cp->view, mode, sel);
}

static void draw(pane *p)
{
    chart_pane *cp = (chart_pane *)p;
    runsrc *rs = p->app->run;
    WINDOW *w = p->win;
    if (cp->pick.open) {
        runpick_draw(&cp->pick, w, 1, 0, p->h - 1, p->w, rs ? rs->dir : NULL);
        return;
    }
    if (!rs || !rs->dir[0]) {
        const char *runs = aft_config_string(p->app->cfg, AFT_K_RUNS_DIR);
        draw_printf(w, 2, 2, p->w - 4, theme_attr(ROLE_DIM), "No run yet in %s.", runs);
        draw_text(w, 3, 2, "Start one with: agentft train WS   (or open WS --run NAME)", p->w - 4,
                  theme_attr(ROLE_DIM));
        return;
    }
    int area = p->h - 2; /* the last row lists the markers */
    int cols = p->w >= 110 ? 2 : 1;
    int rows = (C_COUNT + cols - 1) / cols;
    int ch = area / rows;
    if (cp->maxed || ch < 6) {
        /* Too short for all of them: the chosen one, and its siblings' names. */
        int col = 0;
        for (int i = 0; i < C_COUNT; i++) {
            char t[64];
            snprintf(t, sizeof t, " %s ", cp->run.c[i].title);
            col += draw_text(w, 1, col, t, p->w - col,
                             theme_attr(i == cp->sel ? ROLE_TAB_ACTIVE : ROLE_DIM));
        }
        draw_chart(cp, cp->sel, w, 2, 0, area - 1, p->w, 1);
    } else {
        int cw = p->w / cols;
        for (int i = 0; i < C_COUNT; i++) {
            int r = i / cols, c = i % cols;
            draw_chart(cp, i, w, 1 + r * ch, c * cw, ch, cw - (c + 1 < cols),
                       i == cp->sel && p->focused);
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
    snprintf(buf, size, "%s  step %llu  %s%s%s%s", rs->name, (unsigned long long)rs->step,
             runsrc_live(rs) ? "live" : "ended", cp->other ? "  vs " : "",
             cp->other ? cp->other->name : "", cp->view.follow ? "" : "  (zoomed)");
}

/* ---- keys ------------------------------------------------------------------- */

static void drop_other(chart_pane *cp)
{
    runsrc_free(cp->other);
    cp->other = NULL;
    reset_charts(&cp->cmp);
    cp->cmp.src = NULL;
}

static void choose_other(chart_pane *cp)
{
    tui_app *app = cp->base.app;
    const char *runs = aft_config_string(app->cfg, AFT_K_RUNS_DIR);
    int n = runpick_open(&cp->pick, runs);
    if (n <= 0)
        app_message(app, ROLE_WARNING, n < 0 ? "out of memory" : "no run in %s to overlay", runs);
}

static void picked(chart_pane *cp)
{
    tui_app *app = cp->base.app;
    const run_entry *e = runpick_chosen(&cp->pick);
    if (!e)
        return;
    if (app->run && !strcmp(app->run->dir, e->dir)) {
        app_message(app, ROLE_WARNING, "%s is the run shown: pick another one", e->name);
        return;
    }
    runsrc *rs = runsrc_open(e->dir);
    if (!rs) {
        app_message(app, ROLE_ERROR, "out of memory");
        return;
    }
    drop_other(cp);
    cp->other = rs;
    cp->last_poll = 0; /* read it at once */
    cp->view.follow = 1;
    app_message(app, ROLE_OK, "overlaid run %s (C removes it)", e->name);
    runpick_close(&cp->pick);
}

static unsigned pick_key(chart_pane *cp, int code)
{
    switch (runpick_key(&cp->pick, code)) {
    case RP_IGNORED: return 0;
    case RP_PICKED: picked(cp); break;
    default: break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static unsigned key(pane *p, int code)
{
    chart_pane *cp = (chart_pane *)p;
    if (cp->pick.open)
        return pick_key(cp, code);
    double lo = 0, hi = 0;
    steps_range(cp, &lo, &hi);
    switch (keys_action(KS_CHART, code)) {
    case ACT_C_LEFT: chart_view_scroll(&cp->view, -0.25, lo, hi); break;
    case ACT_C_RIGHT: chart_view_scroll(&cp->view, 0.25, lo, hi); break;
    case ACT_C_ZOOM_IN: chart_view_zoom(&cp->view, 0.5, lo, hi); break;
    case ACT_C_ZOOM_OUT: chart_view_zoom(&cp->view, 2.0, lo, hi); break;
    case ACT_C_FIT: chart_view_fit(&cp->view, lo, hi); break;
    case ACT_C_NEXT: cp->sel = (cp->sel + 1) % C_COUNT; break;
    case ACT_C_PREV: cp->sel = (cp->sel + C_COUNT - 1) % C_COUNT; break;
    case ACT_C_MAXIMISE: cp->maxed = !cp->maxed; break;
    case ACT_C_COMPARE: choose_other(cp); break;
    case ACT_C_UNCOMPARE:
        if (cp->other)
            app_message(p->app, ROLE_NORMAL, "run %s no longer overlaid", cp->other->name);
        drop_other(cp);
        break;
    case ACT_C_RELOAD:
        if (p->app->run) {
            runsrc *old = p->app->run;
            runsrc *fresh = runsrc_open(old->dir);
            if (fresh) {
                runsrc_free(old);
                p->app->run = fresh;
                cp->run.resets = (unsigned long)-1;
                cp->run.gen = 0;
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
    return ((const chart_pane *)p)->pick.open ? KS_LIST : KS_CHART;
}

static void pfree(pane *p)
{
    chart_pane *cp = (chart_pane *)p;
    for (int i = 0; i < C_COUNT; i++) {
        chart_free(&cp->run.c[i]);
        chart_free(&cp->cmp.c[i]);
    }
    runsrc_free(cp->other);
    runpick_close(&cp->pick);
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
    chart *c = cp->run.c, *o = cp->cmp.c;
    chart_init(&c[C_LOSS], "loss");
    chart_add_series(&c[C_LOSS], "train", ROLE_LOSS_TRAIN);
    chart_add_series(&c[C_LOSS], "smooth", ROLE_LOSS_SMOOTH);
    chart_add_series(&c[C_LOSS], "val", ROLE_LOSS_VAL);
    chart_init(&c[C_VAL], "validation");
    chart_add_series(&c[C_VAL], "acc", ROLE_ACCURACY);
    chart_add_series(&c[C_VAL], "macro-F1", ROLE_MACRO_F1);
    chart_init(&c[C_LR], "lr");
    chart_add_series(&c[C_LR], "lr", ROLE_LR);
    chart_init(&c[C_GRAD], "grad norm");
    chart_add_series(&c[C_GRAD], "norm", ROLE_GRAD_NORM);
    chart_init(&c[C_TOK], "tokens/s");
    chart_add_series(&c[C_TOK], "tok/s", ROLE_THROUGHPUT);
    chart_init(&c[C_RL], "reward / KL (PPO)");
    chart_add_series(&c[C_RL], "reward", ROLE_ACCURACY);
    chart_add_series(&c[C_RL], "val", ROLE_MACRO_F1);
    chart_add_series(&c[C_RL], "KL", ROLE_GRAD_NORM);
    /* The second run: the same charts in the compare colours. */
    chart_init(&o[C_LOSS], "loss");
    chart_add_series(&o[C_LOSS], "smooth", ROLE_COMPARE);
    chart_add_series(&o[C_LOSS], "val", ROLE_COMPARE_ALT);
    chart_init(&o[C_VAL], "validation");
    chart_add_series(&o[C_VAL], "acc", ROLE_COMPARE);
    chart_add_series(&o[C_VAL], "macro-F1", ROLE_COMPARE_ALT);
    chart_init(&o[C_LR], "lr");
    chart_add_series(&o[C_LR], "lr", ROLE_COMPARE);
    chart_init(&o[C_GRAD], "grad norm");
    chart_add_series(&o[C_GRAD], "norm", ROLE_COMPARE);
    chart_init(&o[C_TOK], "tokens/s");
    chart_add_series(&o[C_TOK], "tok/s", ROLE_COMPARE);
    chart_init(&o[C_RL], "reward / KL (PPO)");
    chart_add_series(&o[C_RL], "val", ROLE_COMPARE);
    chart_add_series(&o[C_RL], "KL", ROLE_COMPARE_ALT);
    cp->view.follow = 1;
    cp->run.resets = (unsigned long)-1;
    cp->cmp.resets = (unsigned long)-1;
    return &cp->base;
}
