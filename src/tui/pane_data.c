/* The dataset pane: the virtual list of records with filters (action,
 * complexity, split, text, the model got it wrong), orders, label counts in
 * its header, and the shown run's prediction of each record (dspred.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/clock.h"
#include "agentft/trainer.h"
#include "app.h"
#include "draw.h"
#include "dspred.h"
#include "dsview.h"
#include "listview.h"
#include "records.h"
#include "runsrc.h"
#include "tfview.h"

enum { PROMPT_NONE, PROMPT_SEARCH, PROMPT_ACTION };
#define LIST_Y 4   /* the list's first row: under the filters, the labels and the column heads */

typedef struct data_pane {
    pane base;
    dsview v;
    listview lv;
    unsigned long seen_gen;    /* app->ds_gen the rows were computed for */
    size_t keep;               /* record to put the cursor on once the scan is done */
    int prompt;
    tfview input;
    char *before;              /* the filter text before the prompt opened (Esc restores) */
    char **actions;            /* for completing the action filter */
    size_t n_actions;
    int num_w, act_w;          /* column widths */
    dspred *pred;              /* the model's predictions, or NULL */
} data_pane;

static void restart(data_pane *d)
{
    d->keep = d->base.app->sel;
    dsv_restart(&d->v);
    d->seen_gen = d->base.app->ds_gen;
    d->base.dirty = 1;
}

/* ---- drawing ---------------------------------------------------------------- */

static void filter_summary(const data_pane *d, char *buf, size_t size)
{
    const dsview *v = &d->v;
    size_t n = 0;
    buf[0] = '\0';
#define ADD(...) n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__)
    if (v->action)
        ADD("action=%s ", v->action);
    if (v->complexity)
        ADD("complexity=%d ", v->complexity);
    if (v->split >= 0)
        ADD("split=%s ", v->split == AFT_SPLIT_NONE ? "none" : aft_split_name((aft_split)v->split));
    if (v->text)
        ADD("text=\"%s\" ", v->text);
    if (v->wrong)
        ADD("model wrong ");
    if (n == 0)
        ADD("all records ");
    ADD("| order: %s%s", dsv_sort_name(v->sort), v->reverse ? " (reversed)" : "");
    char state[160], model[96];
    if (d->pred)
        dspred_info(d->pred, state, sizeof state, model, sizeof model);
    if (d->pred && model[0])
        ADD(" | model: %s", model);
#undef ADD
}

static void draw_labels(data_pane *d, WINDOW *w, int y, int width)
{
    int col = draw_text(w, y, 0, "labels: ", width, theme_attr(ROLE_DIM));
    char item[160];
    for (size_t i = 0; i < d->v.n_labels && col < width; i++) {
        if (!d->v.done)
            break;
        snprintf(item, sizeof item, "%s %zu  ", d->v.labels[i].name, d->v.labels[i].count);
        col += draw_text(w, y, col, item, width - col,
                         theme_attr(i % 2 ? ROLE_NORMAL : ROLE_LABEL));
    }
    if (!d->v.done) {
        size_t total = aft_dataset_count(d->v.ds);
        draw_printf(w, y, col, width - col, theme_attr(ROLE_DIM), "scanning %zu%%",
                    total ? d->v.scanned * 100 / total : 100);
    }
}

/* One line of context for the list: turns and newlines become " | ". */
static char *one_line(char *s)
{
    for (char *p = s; p && *p; p++)
        if (*p == '\n')
            *p = '|';
    return s;
}

/* The predicted action (wide rows) and its confidence: dim where the model
 * agrees with the annotation, a warning where it does not. */
static int draw_prediction(data_pane *d, WINDOW *w, int y, int col, size_t rec,
                           unsigned long attr, int is_cur, int wide)
{
    const predstore *s = dspred_store(d->pred);
    const char *pa;
    float c;
    if (!ps_get(s, rec, &pa, &c)) {
        draw_text(w, y, col + (wide ? d->act_w + 1 : 1), draw_utf8() ? "\xC2\xB7" : ".", 1,
                  attr | (is_cur ? 0 : theme_attr(ROLE_DIM)));
        return col + (wide ? d->act_w + 1 : 1) + 5;
    }
    int wrong = ps_wrong(s, d->v.ds, rec);
    unsigned long a = attr | (is_cur ? 0 : theme_attr(wrong ? ROLE_WARNING : ROLE_DIM));
    if (wide) {
        draw_text(w, y, col, pa, d->act_w, a);
        col += d->act_w + 1;
    } else {
        draw_text(w, y, col++, wrong ? "!" : " ", 1, a);
    }
    draw_printf(w, y, col, 4, a, "%4.2f", (double)c);
    return col + 5;
}

static void draw_row(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                     unsigned long attr, int is_cur)
{
    data_pane *d = ctx;
    const aft_dataset *ds = d->v.ds;
    size_t rec = d->v.rows[row];
    (void)is_cur;
    int col = x;
    col += draw_printf(w, y, col, d->num_w + 1, attr, "%*zu ", d->num_w, rec + 1);
    int wide = width >= 70;
    if (wide) {
        char *id = aft_dataset_get_string(ds, rec, "id");
        draw_text(w, y, col, id ? id : "", 12, attr);
        free(id);
        col += 13;
    }
    const char *act = aft_dataset_action(ds, rec);
    draw_text(w, y, col, act ? act : "", d->act_w, attr | (is_cur ? 0 : theme_attr(ROLE_LABEL)));
    col += d->act_w + 1;
    if (d->pred && dspred_ready(d->pred))
        col = draw_prediction(d, w, y, col, rec, attr, is_cur, wide);
    draw_printf(w, y, col, 2, attr, "%d", aft_dataset_complexity(ds, rec));
    col += 3;
    if (wide) {
        aft_split sp = aft_dataset_split(ds, rec);
        draw_text(w, y, col, sp == AFT_SPLIT_NONE ? "-" : aft_split_name(sp), 5, attr);
        col += 6;
    }
    char *ctxt = one_line(aft_dataset_get_string(ds, rec, "context"));
    if (x + width > col)
        draw_text(w, y, col, ctxt ? ctxt : "", x + width - col, attr);
    free(ctxt);
}

static void column_widths(data_pane *d, int width)
{
    size_t count = aft_dataset_count(d->v.ds);
    int digits = 1;
    for (size_t c = count; c >= 10; c /= 10)
        digits++;
    d->num_w = digits < 4 ? 4 : digits;
    int longest = 6;
    for (size_t i = 0; i < d->v.n_labels; i++) {
        int l = (int)strlen(d->v.labels[i].name);
        if (l > longest)
            longest = l;
    }
    int cap = width / 4 > 12 ? width / 4 : 12;
    d->act_w = longest < cap ? longest : cap;
}

static void draw(pane *p)
{
    data_pane *d = (data_pane *)p;
    WINDOW *w = p->win;
    if (!d->v.ds) {
        draw_text(w, 1, 1, "no dataset", p->w - 2, theme_attr(ROLE_DIM));
        return;
    }
    char sum[512];
    filter_summary(d, sum, sizeof sum);
    draw_text(w, 1, 0, sum, p->w, theme_attr(ROLE_NORMAL));
    draw_labels(d, w, 2, p->w);
    column_widths(d, p->w);
    unsigned long hd = theme_attr(ROLE_HEADER);
    draw_fill(w, 3, 0, p->w, hd);
    int wide = p->w >= 70;
    char pred_head[96] = "";
    if (d->pred && dspred_ready(d->pred))
        snprintf(pred_head, sizeof pred_head, wide ? "%-*s conf " : " conf ", d->act_w,
                 "predicted");
    draw_printf(w, 3, 0, p->w, hd, "%*s %s%-*s %s%-2s %s%s", d->num_w, "#",
                wide ? "id           " : "", d->act_w, "action", pred_head, "cx",
                wide ? "split " : "", "context");
    int list_h = p->h - LIST_Y - (d->prompt ? 1 : 0);
    lv_set_count(&d->lv, d->v.n);
    lv_draw(&d->lv, w, LIST_Y, 0, list_h, p->w, p->focused, draw_row, d);
    if (d->v.n == 0 && d->v.done)
        draw_text(w, 5, 2, "no record matches (X clears the filters)", p->w - 4,
                  theme_attr(ROLE_DIM));
    if (d->prompt) {
        int y = p->h - 1;
        const char *label = d->prompt == PROMPT_SEARCH ? "search: " : "action: ";
        int lw = draw_text(w, y, 0, label, p->w, theme_attr(ROLE_LABEL));
        tfv_draw(&d->input, w, y, lw, 1, p->w - lw, theme_attr(ROLE_FIELD_EDIT));
    }
}

static void info(const pane *p, char *buf, size_t size)
{
    const data_pane *d = (const data_pane *)p;
    if (!d->v.ds) {
        buf[0] = '\0';
        return;
    }
    size_t total = aft_dataset_count(d->v.ds);
    char state[160] = "", model[96];
    if (d->pred)
        dspred_info(d->pred, state, sizeof state, model, sizeof model);
    if (d->v.n == total && d->v.done)
        snprintf(buf, size, "%zu record%s%s%s%s", total, total == 1 ? "" : "s",
                 aft_dataset_dirty(d->v.ds) ? ", unsaved" : "", state[0] ? ", " : "", state);
    else
        snprintf(buf, size, "%zu of %zu%s%s%s", d->v.n, total,
                 aft_dataset_dirty(d->v.ds) ? ", unsaved" : "", state[0] ? ", " : "", state);
}

/* ---- the filter prompt ------------------------------------------------------ */

static void open_prompt(data_pane *d, int kind)
{
    d->prompt = kind;
    const char *now = kind == PROMPT_SEARCH ? d->v.text : d->v.action;
    free(d->before);
    d->before = now ? strdup(now) : NULL;
    tfv_free(&d->input);
    tfv_init(&d->input, 0, draw_utf8(), now);
    if (kind == PROMPT_ACTION) {
        dsv_free_names(d->actions, d->n_actions);
        d->n_actions = dsv_all_actions(d->v.ds, &d->actions);
    }
}

static void apply_prompt(data_pane *d, const char *text)
{
    if (d->prompt == PROMPT_SEARCH)
        dsv_set_text(&d->v, text);
    else
        dsv_set_action(&d->v, text);
    restart(d);
}

/* Tab in the action prompt: the longest common prefix of the matching
 * actions, and the matches on the message line. */
static void complete_action(data_pane *d)
{
    char *typed = tf_text(&d->input.tf);
    if (!typed)
        return;
    size_t tl = strlen(typed), first = SIZE_MAX, common = 0, hits = 0;
    char list[400] = "";
    size_t ln = 0;
    for (size_t i = 0; i < d->n_actions; i++) {
        const char *a = d->actions[i];
        if (strncmp(a, typed, tl) != 0)
            continue;
        if (first == SIZE_MAX) {
            first = i;
            common = strlen(a);
        } else {
            size_t k = 0;
            while (k < common && a[k] == d->actions[first][k])
                k++;
            common = k;
        }
        hits++;
        if (ln < sizeof list)
            ln += (size_t)snprintf(list + ln, sizeof list - ln, "%s ", a);
    }
    if (first != SIZE_MAX && common > tl) {
        char *pre = strndup(d->actions[first], common);
        if (pre) {
            tf_set(&d->input.tf, pre);
            free(pre);
        }
    }
    app_message(d->base.app, ROLE_NORMAL, hits ? "actions: %s" : "no action starts with '%s'",
                hits ? list : typed);
    free(typed);
}

static unsigned prompt_key(data_pane *d, int code)
{
    tfv_result r = tfv_key(&d->input, code, d->base.w - 8);
    char *text;
    switch (r) {
    case TFV_COMMIT:
    case TFV_CANCEL:
        text = r == TFV_COMMIT ? tf_text(&d->input.tf) : (d->before ? strdup(d->before) : NULL);
        apply_prompt(d, text);
        free(text);
        d->prompt = PROMPT_NONE;
        break;
    case TFV_CHANGED:
        /* The list follows the search as it is typed. */
        if (d->prompt == PROMPT_SEARCH) {
            text = tf_text(&d->input.tf);
            apply_prompt(d, text);
            free(text);
        }
        break;
    case TFV_COMPLETE:
        if (d->prompt == PROMPT_ACTION)
            complete_action(d);
        break;
    case TFV_IGNORED:
        return 0;
    default:
        break;
    }
    return PK_HANDLED | PK_REDRAW;
}

/* ---- keys ------------------------------------------------------------------- */

static void cycle_complexity(data_pane *d)
{
    int maxc = 0;
    size_t n = aft_dataset_count(d->v.ds);
    for (size_t i = 0; i < n && maxc < AFT_MAX_COMPLEXITY; i++) {
        int c = aft_dataset_complexity(d->v.ds, i);
        if (c > maxc)
            maxc = c;
    }
    d->v.complexity = d->v.complexity >= maxc ? 0 : d->v.complexity + 1;
}

static void cycle_split(data_pane *d)
{
    static const int order[] = {-1, AFT_SPLIT_TRAIN, AFT_SPLIT_VALID, AFT_SPLIT_TEST, AFT_SPLIT_NONE};
    size_t k = 0;
    while (k < 5 && order[k] != d->v.split)
        k++;
    d->v.split = order[(k + 1) % 5];
}

static void toggle_wrong(data_pane *d)
{
    d->v.wrong = !d->v.wrong;
    if (d->v.wrong && !(d->pred && dspred_ready(d->pred)))
        app_message(d->base.app, ROLE_WARNING, "no predictions yet: the run shown has no "
                    "checkpoint to predict with (or it is still being read)");
    restart(d);
}

static void follow_cursor(data_pane *d)
{
    if (d->lv.cur < d->v.n)
        app_select(d->base.app, d->v.rows[d->lv.cur]);
}

/* Augmentation candidates of the record under the cursor, or of every
 * record in the list (the engine leaves all but the training ones alone). */
static void augment(data_pane *d, int all)
{
    tui_app *app = d->base.app;
    if (!d->v.done || d->v.n == 0) {
        app_message(app, ROLE_WARNING, d->v.done ? "no record in the list"
                                                 : "the list is still being read: try again");
        return;
    }
    char what[64];
    if (all) {
        snprintf(what, sizeof what, "the %zu records shown", d->v.n);
        pane_augment_generate(app->panes[P_AUGMENT], d->v.rows, d->v.n, what);
    } else {
        records_name(app, d->v.rows[d->lv.cur], what, sizeof what);
        pane_augment_generate(app->panes[P_AUGMENT], &d->v.rows[d->lv.cur], 1, what);
    }
}

static unsigned key(pane *p, int code)
{
    data_pane *d = (data_pane *)p;
    if (!d->v.ds)
        return 0;
    if (d->prompt)
        return prompt_key(d, code);
    key_action a = keys_action(KS_DATA, code);
    switch (a) {
    case ACT_SEARCH: open_prompt(d, PROMPT_SEARCH); break;
    case ACT_FILTER_ACTION: open_prompt(d, PROMPT_ACTION); break;
    case ACT_FILTER_CX: cycle_complexity(d); restart(d); break;
    case ACT_FILTER_SPLIT: cycle_split(d); restart(d); break;
    case ACT_SORT:
        d->v.sort = (dsv_sort)((d->v.sort + 1) % DSV_SORT_COUNT);
        restart(d);
        /* This order is for going through its top, not for keeping a place. */
        if (d->v.sort == DSV_SORT_UNCERTAIN) {
            d->keep = SIZE_MAX;
            lv_goto(&d->lv, 0);
        }
        break;
    case ACT_SORT_REVERSE: d->v.reverse = !d->v.reverse; restart(d); break;
    case ACT_FILTER_WRONG: toggle_wrong(d); break;
    case ACT_CLEAR_FILTERS:
        dsv_set_action(&d->v, NULL);
        dsv_set_text(&d->v, NULL);
        d->v.complexity = 0;
        d->v.split = -1;
        d->v.wrong = 0;
        restart(d);
        break;
    case ACT_OPEN: app_focus(p->app, P_EDIT); break;
    case ACT_ADD:
        /* A new record is typed at once: straight into its context. */
        if (records_add(p->app) == 0) {
            app_focus(p->app, P_EDIT);
            pane_edit_begin(p->app->panes[P_EDIT]);
        }
        break;
    case ACT_DELETE: records_delete(p->app); break;
    case ACT_DUPLICATE: records_duplicate(p->app); break;
    case ACT_AUGMENT: augment(d, 0); break;
    case ACT_AUGMENT_ALL: augment(d, 1); break;
    default:
        if (!lv_action(&d->lv, keys_action(KS_LIST, code)))
            return 0;
        follow_cursor(d);
        break;
    }
    return PK_HANDLED | PK_REDRAW;
}

/* A click on a row selects its record (the editor follows). */
static unsigned click(pane *p, int y, int x)
{
    data_pane *d = (data_pane *)p;
    (void)x;
    size_t row = d->v.ds && !d->prompt ? lv_row_at(&d->lv, y - LIST_Y) : (size_t)-1;
    if (row == (size_t)-1 || row >= d->v.n)
        return 0;
    lv_goto(&d->lv, row);
    follow_cursor(d);
    return PK_HANDLED | PK_REDRAW;
}

/* The workbench's own run is training: predictions wait, the cores are its. */
static int run_training(const tui_app *app)
{
    if (!app->trainer)
        return 0;
    aft_trainer_status s;
    aft_trainer_status_get(app->trainer, &s);
    return s.phase == AFT_PHASE_PREPARING || s.phase == AFT_PHASE_RUNNING;
}

static int pred_tick(data_pane *d)
{
    tui_app *app = d->base.app;
    if (!d->pred)
        return 0;
    int r = dspred_tick(d->pred, d->v.ds, app->ds_gen, app->run ? app->run->dir : "",
                        run_training(app), app->wake_fd);
    if ((r & DP_DONE) && (d->v.wrong || d->v.sort == DSV_SORT_UNCERTAIN))
        restart(d);
    return (r & DP_CHANGED ? 1 : 0) | (r & DP_BUSY ? 2 : 0);
}

static int view_tick(pane *p);

static int tick(pane *p)
{
    data_pane *d = (data_pane *)p;
    if (!d->v.ds)
        return 0;
    int r = pred_tick(d);
    return r | view_tick(p);
}

static int view_tick(pane *p)
{
    data_pane *d = (data_pane *)p;
    if (p->app->ds_gen != d->seen_gen)
        restart(d);
    if (d->v.done) {
        /* Another pane selected a record (an added one, a duplicate): show it. */
        size_t sel = p->app->sel;
        if (sel == SIZE_MAX || (d->lv.cur < d->v.n && d->v.rows[d->lv.cur] == sel))
            return 0;
        size_t row = dsv_row_of(&d->v, sel);
        if (row == (size_t)-1)
            return 0;
        lv_goto(&d->lv, row);
        return 1;
    }
    /* At most ~15 ms of scanning a turn: the keys stay responsive. */
    double t0 = aft_monotonic_ms();
    while (!dsv_step(&d->v, 16384) && aft_monotonic_ms() - t0 < 15)
        ;
    lv_set_count(&d->lv, d->v.n);
    if (d->v.done) {
        size_t row = d->keep != SIZE_MAX ? dsv_row_of(&d->v, d->keep) : (size_t)-1;
        lv_goto(&d->lv, row != (size_t)-1 ? row : d->lv.cur);
        follow_cursor(d);
        if (d->v.n == 0)
            app_select(p->app, SIZE_MAX);
        return 1;
    }
    return 3; /* changed, and more to do: call again soon */
}

static key_scope scope(const pane *p)
{
    return ((const data_pane *)p)->prompt ? KS_TEXT : KS_DATA;
}

static int cursor(const pane *p, int *y, int *x)
{
    const data_pane *d = (const data_pane *)p;
    if (!d->prompt)
        return 0;
    *y = d->input.cy;
    *x = d->input.cx;
    return 1;
}

static void pfree(pane *p)
{
    data_pane *d = (data_pane *)p;
    dspred_free(d->pred);
    dsv_free(&d->v);
    tfv_free(&d->input);
    free(d->before);
    dsv_free_names(d->actions, d->n_actions);
    free(d);
}

static const pane_ops ops = {
    .title = "Dataset", .draw = draw, .key = key, .tick = tick, .scope = scope,
    .info = info, .cursor = cursor, .click = click, .free = pfree,
};

pane *pane_data_new(tui_app *app)
{
    data_pane *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->base.ops = &ops;
    d->base.app = app;
    d->base.id = P_DATA;
    dsv_init(&d->v, app->ds);
    if (app->ds && (d->pred = dspred_new()))
        d->v.pred = dspred_store(d->pred);
    tfv_init(&d->input, 0, draw_utf8(), "");
    d->keep = SIZE_MAX;
    d->seen_gen = app->ds_gen;
    return &d->base;
}

size_t pane_data_step(pane *p, long delta)
{
    data_pane *d = (data_pane *)p;
    if (!d || d->v.n == 0)
        return SIZE_MAX;
    long row = (long)d->lv.cur + delta;
    if (row < 0 || (size_t)row >= d->v.n)
        return SIZE_MAX;
    lv_goto(&d->lv, (size_t)row);
    p->dirty = 1;
    return d->v.rows[row];
}
