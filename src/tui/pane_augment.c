/* The augmentation review: candidates made from dataset records with the
 * workspace's augment settings (in the background, with progress and
 * cancel), each shown beside its source, accepted, rejected or edited one
 * by one, and added to the dataset only when w writes the accepted ones. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "augment_job.h"
#include "augment_review.h"
#include "draw.h"
#include "listview.h"
#include "tfview.h"

/* Milliseconds of dataset reading per loop turn: the keys stay responsive. */
#define READ_MS 15.0
#define STATE_W 8
#define METHOD_W 13
#define SOURCE_W 12

typedef struct augment_pane {
    pane base;
    augment_job *job;
    unsigned long job_gen;       /* app->ds_gen when the job began reading */
    size_t shown_done;           /* the progress last drawn */
    aj_state shown_state;
    char what[96];               /* what the candidates are of: "flt-00042", "the 40 records shown" */
    int one_split;               /* the split of that record when it is one, else -1 */
    aug_review rv;
    char summary[640];           /* the last generation in a sentence, or why it made nothing */
    listview lv;
    int editing;
    tfview tv;
    size_t *asked;               /* records waiting for a yes to drop unwritten candidates */
    size_t n_asked;
    char asked_what[96];
} augment_pane;

static aug_cand *current(augment_pane *a)
{
    return a->lv.cur < a->rv.n ? &a->rv.c[a->lv.cur] : NULL;
}

/* ---- the summary of a generation ----------------------------------------------- */

static void summarise(augment_pane *a, const aft_augment_result *r, const char *ending)
{
    char *s = a->summary;
    size_t size = sizeof a->summary, n = 0;
#define ADD(...) n += (size_t)snprintf(s + n, n < size ? size - n : 0, __VA_ARGS__)
    if (a->rv.n)
        ADD("%zu candidate%s of %s", a->rv.n, a->rv.n == 1 ? "" : "s", a->what);
    else
        ADD("no candidates of %s", a->what);
    if (ending[0])
        ADD(" (%s)", ending);
    if (r->not_train && a->one_split >= 0)
        ADD(": it is in the %s split, and variants are made of training records only, so that "
            "no valid or test text leaks into training",
            aft_split_name((aft_split)a->one_split));
    else if (r->not_train)
        ADD("; %zu valid/test record%s left alone (a variant in training would leak it)",
            r->not_train, r->not_train == 1 ? "" : "s");
    if (r->no_split)
        ADD("; %zu without a split: run 'agentft data split' first", r->no_split);
    if (r->already_augmented)
        ADD("; %zu variant%s themselves", r->already_augmented,
            r->already_augmented == 1 ? " is a variant" : "s are");
    if (r->no_text)
        ADD("; %zu without a user text", r->no_text);
    size_t unchanged = 0, dups = 0;
    for (int m = 0; m < AFT_VM_COUNT; m++) {
        unchanged += r->unchanged[m];
        dups += r->dup_existing[m] + r->dup_variant[m];
    }
    if (unchanged)
        ADD("; %zu unchanged", unchanged);
    if (dups)
        ADD("; %zu duplicate%s dropped", dups, dups == 1 ? "" : "s");
#undef ADD
}

/* ---- generating ------------------------------------------------------------------ */

static void drop_candidates(augment_pane *a)
{
    review_free(&a->rv);
    lv_set_count(&a->lv, 0);
    a->summary[0] = '\0';
    if (a->editing) {
        a->editing = 0;
        tfv_free(&a->tv);
    }
}

static void start(augment_pane *a, const size_t *records, size_t n, const char *what)
{
    tui_app *app = a->base.app;
    drop_candidates(a);
    snprintf(a->what, sizeof a->what, "%s", what);
    a->one_split = n == 1 ? (int)aft_dataset_split(app->ds, records[0]) : -1;
    char warning[512];
    aft_error err = {0};
    a->job = augment_job_new(app->cfg, app->ds, records, n, warning, sizeof warning, &err);
    if (!a->job) {
        snprintf(a->summary, sizeof a->summary, "no candidates: %.600s", err.msg);
        app_message(app, ROLE_ERROR, "augment: %s", err.msg);
    } else if (warning[0]) {
        app_message(app, ROLE_WARNING, "augment: %s", warning);
    }
    a->job_gen = app->ds_gen;
    a->shown_done = 0;
    a->shown_state = AJ_READING;
    app_focus(app, P_AUGMENT);
    a->base.dirty = 1;
}

static void confirm_generate(tui_app *app, void *ctx)
{
    (void)app;
    augment_pane *a = ctx;
    start(a, a->asked, a->n_asked, a->asked_what);
}

void pane_augment_generate(pane *p, const size_t *records, size_t n, const char *what)
{
    augment_pane *a = (augment_pane *)p;
    tui_app *app = p->app;
    if (!app->ds) {
        app_message(app, ROLE_WARNING, "no dataset to augment");
        return;
    }
    if (a->job) {
        app_focus(app, P_AUGMENT);
        app_message(app, ROLE_WARNING, "candidates are being made: wait, or Esc cancels them");
        return;
    }
    size_t *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) {
        app_message(app, ROLE_ERROR, "augment: out of memory");
        return;
    }
    memcpy(copy, records, n * sizeof *records);
    free(a->asked);
    a->asked = copy;
    a->n_asked = n;
    snprintf(a->asked_what, sizeof a->asked_what, "%s", what);
    size_t left = review_unwritten(&a->rv);
    if (left)
        app_ask(app, confirm_generate, a,
                "%zu candidates are not written: drop them and make new ones? (y/n)", left);
    else
        start(a, copy, n, what);
}

/* The job has ended: its candidates go into the review. */
static void collect(augment_pane *a)
{
    tui_app *app = a->base.app;
    size_t done, total;
    char msg[512];
    aj_state s = augment_job_state(a->job, &done, &total, msg, sizeof msg);
    aft_augment_result res;
    augment_job_take(a->job, &res);
    augment_job_free(a->job);
    a->job = NULL;
    if (review_take(&a->rv, &res) < 0)
        app_message(app, ROLE_ERROR, "augment: out of memory");
    char ending[128] = "";
    if (s == AJ_CANCELLED)
        snprintf(ending, sizeof ending, "cancelled after %zu of %zu records", done, total);
    else if (s == AJ_DONE && res.sources)
        snprintf(ending, sizeof ending, "from %zu training record%s", res.sources,
                 res.sources == 1 ? "" : "s");
    summarise(a, &res, ending);
    aft_augment_result_free(&res);
    lv_set_count(&a->lv, a->rv.n);
    lv_goto(&a->lv, 0);
    if (s == AJ_FAILED) {
        snprintf(a->summary, sizeof a->summary, "no candidates: %s", msg);
        app_message(app, ROLE_ERROR, "augment: %s", msg);
        return;
    }
    if (msg[0])
        app_log(app, ROLE_WARNING, "augment: %s", msg);
    app_message(app, a->rv.n ? ROLE_OK : ROLE_WARNING, "%s", a->summary);
}

static int tick(pane *p)
{
    augment_pane *a = (augment_pane *)p;
    if (!a->job)
        return 0;
    size_t done;
    aj_state s = augment_job_state(a->job, &done, NULL, NULL, 0);
    if (s == AJ_READING && p->app->ds_gen != a->job_gen) {
        /* The records asked for may have moved: start again by hand. */
        augment_job_free(a->job);
        a->job = NULL;
        snprintf(a->summary, sizeof a->summary,
                 "no candidates: the dataset changed while it was read (v or V again)");
        app_message(p->app, ROLE_WARNING, "augment: %s", a->summary);
        return 1;
    }
    if (s == AJ_READING) {
        s = augment_job_read(a->job, READ_MS, p->app->wake_fd);
        augment_job_state(a->job, &done, NULL, NULL, 0);
        if (s == AJ_READING) {
            a->shown_done = done;
            return 3;
        }
    }
    if (s == AJ_MAKING) {
        int changed = done != a->shown_done || s != a->shown_state;
        a->shown_done = done;
        a->shown_state = s;
        return changed;
    }
    collect(a);
    return 1;
}

/* ---- drawing --------------------------------------------------------------------- */

static const char *state_word(const aug_cand *c)
{
    static const char *const words[AC_COUNT] = {"review", "accepted", "rejected", "written"};
    return c->state == AC_ACCEPTED && c->edited ? "edited" : words[c->state];
}

static tui_role state_role(ac_state s)
{
    return s == AC_ACCEPTED ? ROLE_OK : s == AC_PENDING ? ROLE_NORMAL : ROLE_DIM;
}

static void draw_row(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                     unsigned long attr, int is_cur)
{
    augment_pane *a = ctx;
    const aug_cand *c = &a->rv.c[row];
    int col = x;
    unsigned long sa = is_cur ? attr : attr | theme_attr(state_role(c->state));
    draw_text(w, y, col, state_word(c), STATE_W, sa);
    col += STATE_W + 1;
    draw_text(w, y, col, aft_variant_method_name(c->method), METHOD_W,
              is_cur ? attr : attr | theme_attr(ROLE_LABEL));
    col += METHOD_W + 1;
    if (width >= 60) {
        draw_text(w, y, col, c->source_id, SOURCE_W, attr);
        col += SOURCE_W + 1;
    }
    if (x + width > col)
        draw_text(w, y, col, c->text, x + width - col, attr);
}

static void draw_progress(augment_pane *a, WINDOW *w, int width)
{
    size_t done, total;
    aj_state s = augment_job_state(a->job, &done, &total, NULL, 0);
    unsigned long at = theme_attr(ROLE_WARNING);
    if (s == AJ_READING)
        draw_printf(w, 1, 0, width, at, "reading the dataset: %zu%% (Esc cancels)",
                    total ? done * 100 / total : 100);
    else
        draw_printf(w, 1, 0, width, at, "making candidates of %s: %zu of %zu records (Esc cancels)",
                    a->what, done, total);
}

/* The candidate under the cursor beside its source, both in full. */
static void draw_detail(augment_pane *a, WINDOW *w, int y, int h, int width)
{
    const aug_cand *c = current(a);
    if (!c || h < 4)
        return;
    draw_hline(w, y, 0, width, theme_attr(ROLE_BORDER));
    int text_h = h - 3, src_h = text_h / 2;
    size_t need = tfv_text_rows(c->source_text, width);
    if ((size_t)src_h > need)
        src_h = (int)need;
    int cand_h = text_h - src_h;
    unsigned long la = theme_attr(ROLE_LABEL);
    draw_printf(w, y + 1, 0, width, la, "source %s  %s%s", c->source_id, c->action,
                c->turns ? "  (its last user turn)" : "");
    tfv_draw_text(w, y + 2, 0, src_h, width, c->source_text, theme_attr(ROLE_DIM));
    int cy = y + 2 + src_h;
    int col = draw_printf(w, cy, 0, width, la, "candidate %zu of %zu  %s  %s  ", a->lv.cur + 1,
                          a->rv.n, aft_variant_method_name(c->method), state_word(c));
    char changes[512];
    review_changes(c->source_text, a->editing ? "" : c->text, changes, sizeof changes);
    if (!a->editing)
        draw_text(w, cy, col, changes, width - col, theme_attr(ROLE_CHANGED));
    if (a->editing)
        tfv_draw(&a->tv, w, cy + 1, 0, cand_h, width, theme_attr(ROLE_FIELD_EDIT));
    else
        tfv_draw_text(w, cy + 1, 0, cand_h, width, c->text, theme_attr(ROLE_NORMAL));
}

static void draw_empty(augment_pane *a, WINDOW *w, int y, int h, int width)
{
    const char *text = a->summary[0] ? a->summary
                       : "In the dataset (1), v makes candidates of the record under the cursor "
                         "and V of every training record in the list, with the workspace's "
                         "augment settings. Nothing is written until w.";
    tfv_draw_text(w, y, 1, h, width - 2, text, theme_attr(ROLE_DIM));
}

static void draw(pane *p)
{
    augment_pane *a = (augment_pane *)p;
    WINDOW *w = p->win;
    int width = p->w, middle = p->h - 4;
    if (a->job)
        draw_progress(a, w, width);
    else
        draw_text(w, 1, 0, a->summary, width, theme_attr(a->rv.n ? ROLE_NORMAL : ROLE_DIM));
    if (a->rv.n == 0) {
        if (!a->job)
            draw_empty(a, w, 3, middle, width);
        return;
    }
    unsigned long hd = theme_attr(ROLE_HEADER);
    draw_fill(w, 2, 0, width, hd);
    draw_printf(w, 2, 0, width, hd, "%-*s %-*s %s%s", STATE_W, "state", METHOD_W, "method",
                width >= 60 ? "source       " : "", "candidate");
    /* The list gets a third (at least 3 rows), the candidate and its source the rest. */
    int list_h = middle < 7 ? middle : (int)(a->rv.n < 3 ? 3 : a->rv.n);
    if (middle >= 7 && list_h > middle / 3)
        list_h = middle / 3 > 3 ? middle / 3 : 3;
    int detail_h = middle - list_h;
    lv_set_count(&a->lv, a->rv.n);
    lv_draw(&a->lv, w, 3, 0, list_h, width, p->focused, draw_row, a);
    draw_detail(a, w, 3 + list_h, detail_h, width);
    const char *hint = a->editing ? "Enter keeps (and accepts)  Esc restores  ^J new line"
                                  : "a accept  r reject  e edit  A/R all  w write  Esc close";
    draw_text(w, p->h - 1, 0, hint, width, theme_attr(ROLE_DIM));
}

static void info(const pane *p, char *buf, size_t size)
{
    const augment_pane *a = (const augment_pane *)p;
    const size_t *k = a->rv.count;
    if (a->job)
        snprintf(buf, size, "working");
    else if (a->rv.n)
        snprintf(buf, size, "%zu to review, %zu accepted, %zu rejected%s", k[AC_PENDING],
                 k[AC_ACCEPTED], k[AC_REJECTED], k[AC_WRITTEN] ? ", some written" : "");
    else
        buf[0] = '\0';
}

/* ---- keys ------------------------------------------------------------------------ */

static void decide(augment_pane *a, ac_state s)
{
    aug_cand *c = current(a);
    if (!c)
        return;
    if (c->state == AC_WRITTEN) {
        app_message(a->base.app, ROLE_WARNING, "that candidate is written already");
        return;
    }
    review_set(&a->rv, a->lv.cur, s);
    lv_action(&a->lv, ACT_DOWN);
}

static void decide_all(augment_pane *a, ac_state s)
{
    size_t n = review_set_all(&a->rv, AC_PENDING, s);
    app_message(a->base.app, ROLE_NORMAL, "%zu candidates %s", n,
                s == AC_ACCEPTED ? "accepted" : "rejected");
}

static void write_accepted(augment_pane *a)
{
    tui_app *app = a->base.app;
    if (!a->rv.count[AC_ACCEPTED]) {
        app_message(app, ROLE_WARNING, "no accepted candidate to write (a accepts, A accepts all)");
        return;
    }
    size_t added;
    aft_error err = {0};
    int rc = review_write(&a->rv, app->ds, &added, &err);
    if (added) {
        app_dataset_edited(app);
        app_mark(app, P_AUGMENT);
    }
    if (rc < 0) {
        app_message(app, ROLE_ERROR, "augment: %zu written, then: %s", added, err.msg);
        return;
    }
    if (app_save(app) == 0)
        app_message(app, ROLE_OK, "added %zu candidate%s to %s (saved); %zu still to review", added,
                    added == 1 ? "" : "s", aft_dataset_path(app->ds), a->rv.count[AC_PENDING]);
}

static void close_now(tui_app *app, void *ctx)
{
    augment_pane *a = ctx;
    drop_candidates(a);
    app_message(app, ROLE_NORMAL, "augmentation review closed");
    /* The editor takes its place again. */
    app_focus(app, P_EDIT);
    app_focus(app, P_DATA);
}

static void close_review(augment_pane *a)
{
    tui_app *app = a->base.app;
    if (a->job) {
        augment_job_cancel(a->job);
        app_message(app, ROLE_NORMAL, "cancelling: the candidates made so far stay for review");
        return;
    }
    size_t left = review_unwritten(&a->rv);
    if (left)
        app_ask(app, close_now, a, "%zu candidates are not written: drop them? (y/n)", left);
    else
        close_now(app, a);
}

static void begin_edit(augment_pane *a)
{
    aug_cand *c = current(a);
    if (!c)
        return;
    if (c->state == AC_WRITTEN) {
        app_message(a->base.app, ROLE_WARNING,
                    "that candidate is written already: edit the record in the editor");
        return;
    }
    tfv_init(&a->tv, 1, draw_utf8(), c->text);
    a->editing = 1;
}

static void stop_edit(augment_pane *a)
{
    a->editing = 0;
    tfv_free(&a->tv);
}

static void keep_edit(augment_pane *a)
{
    tui_app *app = a->base.app;
    char *text = tf_text(&a->tv.tf);
    if (!text)
        return;
    aft_error err = {0};
    if (strcmp(text, current(a)->text) == 0) {
        stop_edit(a);
    } else if (review_edit(&a->rv, a->lv.cur, text, &err) < 0) {
        app_message(app, ROLE_ERROR, "candidate not changed: %s", err.msg);
    } else {
        stop_edit(a);
        app_message(app, ROLE_OK, "candidate %zu edited and accepted (w writes it)", a->lv.cur + 1);
    }
    free(text);
}

static unsigned edit_key(augment_pane *a, int code)
{
    switch (tfv_key(&a->tv, code, a->base.w)) {
    case TFV_COMMIT: keep_edit(a); break;
    case TFV_CANCEL: stop_edit(a); break;
    case TFV_IGNORED: return 0;
    default: break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static unsigned key(pane *p, int code)
{
    augment_pane *a = (augment_pane *)p;
    if (a->editing)
        return edit_key(a, code);
    switch (keys_action(KS_AUGMENT, code)) {
    case ACT_A_ACCEPT: decide(a, AC_ACCEPTED); break;
    case ACT_A_REJECT: decide(a, AC_REJECTED); break;
    case ACT_A_EDIT: begin_edit(a); break;
    case ACT_A_ACCEPT_ALL: decide_all(a, AC_ACCEPTED); break;
    case ACT_A_REJECT_ALL: decide_all(a, AC_REJECTED); break;
    case ACT_A_WRITE: write_accepted(a); break;
    case ACT_A_CLOSE: close_review(a); break;
    default:
        if (!lv_action(&a->lv, keys_action(KS_LIST, code)))
            return 0;
        break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static void quit_anyway(tui_app *app, void *ctx)
{
    (void)ctx;
    app->quit = 1;
}

int pane_augment_hold_quit(pane *p)
{
    augment_pane *a = (augment_pane *)p;
    size_t left = review_unwritten(&a->rv);
    if (a->job)
        app_ask(p->app, quit_anyway, a, "candidates are being made: drop them and quit? (y/n)");
    else if (left)
        app_ask(p->app, quit_anyway, a,
                "%zu candidates are not written (w writes the accepted): quit anyway? (y/n)", left);
    return a->job || left;
}

static key_scope scope(const pane *p)
{
    return ((const augment_pane *)p)->editing ? KS_TEXT : KS_AUGMENT;
}

static int cursor(const pane *p, int *y, int *x)
{
    const augment_pane *a = (const augment_pane *)p;
    if (!a->editing)
        return 0;
    *y = a->tv.cy;
    *x = a->tv.cx;
    return 1;
}

static void pfree(pane *p)
{
    augment_pane *a = (augment_pane *)p;
    augment_job_free(a->job);
    drop_candidates(a);
    free(a->asked);
    free(a);
}

static const pane_ops ops = {
    .title = "Augment", .draw = draw, .key = key, .tick = tick, .scope = scope,
    .info = info, .cursor = cursor, .free = pfree,
};

pane *pane_augment_new(tui_app *app)
{
    augment_pane *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->base.ops = &ops;
    a->base.app = app;
    a->base.id = P_AUGMENT;
    a->one_split = -1;
    return &a->base;
}
