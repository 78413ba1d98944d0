/* The Try pane: type a context and see what the model makes of it, the
 * run's checkpoint beside the live weights of the workbench's own run (also
 * while it is paused): the top actions with their probabilities as bars and,
 * where the LM head was trained, the answer it writes. The work runs in
 * try_job's thread; a request goes out on Enter or after a pause in typing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "runsrc.h"
#include "tfview.h"
#include "try_job.h"
#include "agentft/clock.h"

#define LABEL_W 9          /* "context: " */
#define FIELD_ROWS 3
#define IDLE_MS 600.0      /* typing paused this long: try what is there */
#define REFRESH_MS 2000.0  /* while the run trains: try again with newer weights */
#define SIDE_MIN_W 34      /* narrower than two of these: one side above the other */

typedef struct try_pane {
    pane base;
    try_job *job;
    aft_trainer *trainer;      /* the run the job was last told about */
    tfview tv;
    int editing;
    char *before;              /* the text when editing began (Esc restores it) */
    char *tried;               /* the context of the last request */
    unsigned long serial;
    int dirty_text;            /* typed since the last request */
    double typed_at, asked_at;
    try_result *res;
} try_pane;

/* ---- requests -------------------------------------------------------------------- */

static void ask(try_pane *t, const char *context)
{
    tui_app *app = t->base.app;
    if (!t->job) {
        aft_error err = {0};
        if (!(t->job = try_job_new(app->wake_fd, &err))) {
            app_message(app, ROLE_ERROR, "the Try pane cannot work: %s", err.msg);
            return;
        }
        t->trainer = NULL;
    }
    if (t->trainer != app->trainer) {
        try_job_set_trainer(t->job, app->trainer);
        t->trainer = app->trainer;
    }
    free(t->tried);
    t->tried = strdup(context);
    try_job_request(t->job, context, app->run ? app->run->dir : "", ++t->serial);
    t->asked_at = aft_monotonic_ms();
    t->dirty_text = 0;
}

static void ask_text(try_pane *t)
{
    char *text = tf_text(&t->tv.tf);
    if (!text)
        return;
    if (text[strspn(text, " \t\n")])
        ask(t, text);
    free(text);
}

/* ---- drawing ---------------------------------------------------------------------- */

/* A bar of value 0..1 over width cells, in eighths where UTF-8 shows them. */
static void draw_bar(WINDOW *w, int y, int x, int width, float value, unsigned long attr)
{
    static const wchar_t eighths[8] = {0, 0x258F, 0x258E, 0x258D, 0x258C, 0x258B, 0x258A, 0x2589};
    int units = (int)(value * (float)width * 8.0f + 0.5f);
    for (int i = 0; i < width; i++, units -= 8) {
        if (units >= 8)
            draw_glyph(w, y, x + i, 0x2588, '#', attr);
        else if (units > 0 && draw_utf8())
            draw_glyph(w, y, x + i, eighths[units], '#', attr);
        else if (units >= 4)
            draw_glyph(w, y, x + i, 0x2588, '#', attr);
    }
}

/* One model's answer in the rectangle; returns the rows used. */
static int draw_side(WINDOW *w, int y, int x, int h, int width, const try_side *s,
                     const char *title)
{
    if (h <= 0)
        return 0;
    int row = 0;
    draw_text(w, y + row++, x, s->what[0] ? s->what : title, width, theme_attr(ROLE_HEADER));
    if (!s->ok) {
        if (row < h)
            tfv_draw_text(w, y + row, x, h - row, width, s->note[0] ? s->note : "-",
                          theme_attr(ROLE_DIM));
        return h;
    }
    int name_w = width / 2 > 24 ? 24 : width / 2, pct_w = 7;
    int bar_w = width - name_w - pct_w - 2;
    for (int k = 0; k < s->n_top && row < h; k++, row++) {
        unsigned long a = theme_attr(k == 0 ? ROLE_OK : ROLE_NORMAL);
        draw_text(w, y + row, x, s->top_name[k], name_w, a);
        if (bar_w > 0)
            draw_bar(w, y + row, x + name_w + 1, bar_w, s->top_p[k],
                     theme_attr(k == 0 ? ROLE_ACCURACY : ROLE_LABEL));
        draw_printf(w, y + row, x + width - pct_w, pct_w, a, "%6.1f%%", 100.0 * s->top_p[k]);
    }
    if (s->cut && row < h)
        draw_text(w, y + row++, x, "(the context was cut from the left to fit)", width,
                  theme_attr(ROLE_DIM));
    if (s->gen_action && row < h) {
        int c = draw_text(w, y + row, x, "writes: ", width, theme_attr(ROLE_LABEL));
        draw_text(w, y + row++, x + c, s->gen_action[0] ? s->gen_action : "(nothing)",
                  width - c, theme_attr(ROLE_NORMAL));
        if (row < h && s->gen_response && s->gen_response[0]) {
            int r = (int)tfv_text_rows(s->gen_response, width - 2);
            r = r < h - row ? r : h - row;
            draw_text(w, y + row, x, draw_utf8() ? "\xE2\x86\x92" : ">", 2, theme_attr(ROLE_LABEL));
            tfv_draw_text(w, y + row, x + 2, r, width - 2, s->gen_response,
                          theme_attr(ROLE_NORMAL));
            row += r;
        }
    }
    if (s->note[0] && row < h)
        draw_text(w, y + row++, x, s->note, width, theme_attr(ROLE_WARNING));
    return row;
}

static void draw(pane *p)
{
    try_pane *t = (try_pane *)p;
    WINDOW *w = p->win;
    int fw = p->w - LABEL_W;
    draw_text(w, 1, 0, "context:", LABEL_W, theme_attr(ROLE_LABEL));
    int rows;
    if (t->editing) {
        rows = (int)tfv_rows(&t->tv, fw);
        rows = rows < 1 ? 1 : rows > FIELD_ROWS ? FIELD_ROWS : rows;
        tfv_draw(&t->tv, w, 1, LABEL_W, rows, fw, theme_attr(ROLE_FIELD_EDIT));
    } else {
        char *text = tf_text(&t->tv.tf);
        rows = text && text[0] ? (int)tfv_text_rows(text, fw) : 1;
        rows = rows > FIELD_ROWS ? FIELD_ROWS : rows;
        tfv_draw_text(w, 1, LABEL_W, rows, fw, text && text[0] ? text
                      : "(Enter and type a request; i takes the selected record's)",
                      theme_attr(text && text[0] ? ROLE_NORMAL : ROLE_DIM));
        free(text);
    }
    int y = 1 + rows;
    draw_hline(w, y++, 0, p->w, theme_attr(ROLE_BORDER));
    if (!t->res) {
        draw_text(w, y, 1, t->serial ? "trying..." : "the top actions of the run's checkpoint "
                  "and of the live weights show here", p->w - 2, theme_attr(ROLE_DIM));
        return;
    }
    int h = p->h - y;
    if (p->w >= 2 * SIDE_MIN_W + 1) {
        int lw = (p->w - 1) / 2;
        draw_side(w, y, 0, h, lw, &t->res->side[TRY_CKPT], "checkpoint");
        draw_vline(w, y, lw, h, theme_attr(ROLE_BORDER));
        draw_side(w, y, lw + 1, h, p->w - lw - 1, &t->res->side[TRY_LIVE], "live weights");
    } else {
        int used = draw_side(w, y, 0, h / 2, p->w, &t->res->side[TRY_CKPT], "checkpoint");
        draw_side(w, y + used, 0, h - used, p->w, &t->res->side[TRY_LIVE], "live weights");
    }
}

static void info(const pane *p, char *buf, size_t size)
{
    const try_pane *t = (const try_pane *)p;
    if (t->job && try_job_busy(t->job))
        snprintf(buf, size, "trying...");
    else if (t->res)
        snprintf(buf, size, "%.0f ms", t->res->ms);
    else
        buf[0] = '\0';
}

/* ---- keys ------------------------------------------------------------------------- */

static void start_editing(try_pane *t)
{
    free(t->before);
    t->before = tf_text(&t->tv.tf);
    t->editing = 1;
}

static void take_record(try_pane *t)
{
    tui_app *app = t->base.app;
    if (!app->ds || app->sel == SIZE_MAX) {
        app_message(app, ROLE_WARNING, "no record is selected in the dataset");
        return;
    }
    char *ctx = aft_dataset_get_string(app->ds, app->sel, "context");
    tf_set(&t->tv.tf, ctx ? ctx : "");
    free(ctx);
    ask_text(t);
}

static unsigned edit_key(try_pane *t, int code)
{
    switch (tfv_key(&t->tv, code, t->base.w - LABEL_W)) {
    case TFV_COMMIT:
        t->editing = 0;
        ask_text(t);
        break;
    case TFV_CANCEL:
        tf_set(&t->tv.tf, t->before ? t->before : "");
        t->editing = 0;
        t->dirty_text = 0;
        break;
    case TFV_CHANGED:
        t->dirty_text = 1;
        t->typed_at = aft_monotonic_ms();
        break;
    case TFV_IGNORED:
    case TFV_COMPLETE:
        return 0;
    default:
        break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static unsigned key(pane *p, int code)
{
    try_pane *t = (try_pane *)p;
    if (t->editing)
        return edit_key(t, code);
    switch (keys_action(KS_TRY, code)) {
    case ACT_TRY_EDIT: start_editing(t); break;
    case ACT_TRY_AGAIN: ask_text(t); break;
    case ACT_TRY_RECORD: take_record(t); break;
    default: return 0;
    }
    return PK_HANDLED | PK_REDRAW;
}

static int running(const tui_app *app)
{
    if (!app->trainer)
        return 0;
    aft_trainer_status s;
    aft_trainer_status_get(app->trainer, &s);
    return s.phase == AFT_PHASE_RUNNING;
}

static int tick(pane *p)
{
    try_pane *t = (try_pane *)p;
    int changed = 0;
    if (t->job) {
        try_result *r = try_job_take(t->job);
        if (r) {
            try_result_free(t->res);
            t->res = r;
            changed = 1;
        }
    }
    double now = aft_monotonic_ms();
    if (t->editing && t->dirty_text && now - t->typed_at >= IDLE_MS)
        ask_text(t), changed = 1;
    /* The live column follows the training while it is in sight. */
    if (t->job && t->tried && p->win && !t->editing && running(p->app) && !try_job_busy(t->job) &&
        now - t->asked_at >= REFRESH_MS)
        ask(t, t->tried);
    return changed;
}

static void focus(pane *p, int on)
{
    try_pane *t = (try_pane *)p;
    /* An empty pane is there to be typed in. */
    if (on && !t->editing && t->tv.tf.len == 0)
        start_editing(t);
}

static key_scope scope(const pane *p)
{
    return ((const try_pane *)p)->editing ? KS_TEXT : KS_TRY;
}

static int cursor(const pane *p, int *y, int *x)
{
    const try_pane *t = (const try_pane *)p;
    if (!t->editing)
        return 0;
    *y = t->tv.cy;
    *x = t->tv.cx;
    return 1;
}

static void pfree(pane *p)
{
    try_pane *t = (try_pane *)p;
    try_job_free(t->job);
    try_result_free(t->res);
    tfv_free(&t->tv);
    free(t->before);
    free(t->tried);
    free(t);
}

static const pane_ops ops = {
    .title = "Try", .draw = draw, .key = key, .tick = tick, .focus = focus, .scope = scope,
    .info = info, .cursor = cursor, .free = pfree,
};

pane *pane_try_new(tui_app *app)
{
    try_pane *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.ops = &ops;
    t->base.app = app;
    t->base.id = P_TRY;
    tfv_init(&t->tv, 1, draw_utf8(), "");
    return &t->base;
}

void pane_try_release(pane *p)
{
    try_pane *t = (try_pane *)p;
    if (t && t->job)
        try_job_set_trainer(t->job, NULL);
    if (t)
        t->trainer = NULL;
}
