/* The annotation editor: the selected record's fields, each edited in a
 * real text field; every change goes through the dataset's journal
 * (aft_dataset_set_string and friends) the moment it is kept. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "dsview.h"
#include "records.h"
#include "tfview.h"
#include "turnlist.h"

enum { F_ID, F_CONTEXT, F_ACTION, F_RESPONSE, F_REASONING, F_COMPLEXITY, F_SPLIT, F_TAGS, F_COUNT };

static const struct field {
    const char *key, *label;
    int multiline, editable;
} fields[F_COUNT] = {
    {"id", "id", 0, 1},
    {"context", "context", 1, 1},
    {"agent_action", "action", 0, 1},
    {"expected_response", "response", 1, 1},
    {"reasoning", "reasoning", 1, 1},
    {"complexity", "complexity", 0, 1},
    {"split", "split", 0, 1},
    {"tags", "tags", 0, 0},
};

#define LABEL_W 11

typedef struct edit_pane {
    pane base;
    int field;
    int editing;
    tfview tv;
    char *orig;               /* the value when editing began */
    size_t rec;               /* the record shown (SIZE_MAX: none) */
    unsigned long gen;        /* app->ds_gen of the values */
    char *val[F_COUNT];
    int turns;                /* the context is a list of turns */
    turnlist tl;              /* those turns, while they are being edited */
    char **actions;           /* existing actions, while the action is edited */
    size_t n_actions;
    char hint[400];
} edit_pane;

static void clear_values(edit_pane *e)
{
    for (int i = 0; i < F_COUNT; i++) {
        free(e->val[i]);
        e->val[i] = NULL;
    }
}

static char *or_empty(char *s)
{
    return s ? s : strdup("");
}

static void stop_editing(edit_pane *e)
{
    e->editing = 0;
    tfv_free(&e->tv);
    free(e->orig);
    e->orig = NULL;
    dsv_free_names(e->actions, e->n_actions);
    e->actions = NULL;
    e->n_actions = 0;
    e->hint[0] = '\0';
}

static void load(edit_pane *e)
{
    tui_app *app = e->base.app;
    if (e->rec == app->sel && e->gen == app->ds_gen)
        return;
    if (e->editing && e->rec != app->sel)
        stop_editing(e);
    if (turnlist_is_open(&e->tl) && e->tl.rec != app->sel)
        turnlist_close(&e->tl);
    clear_values(e);
    e->rec = app->sel;
    e->gen = app->ds_gen;
    if (!app->ds || e->rec == SIZE_MAX || e->rec >= aft_dataset_count(app->ds)) {
        e->rec = SIZE_MAX;
        return;
    }
    const aft_dataset *ds = app->ds;
    for (int i = 0; i < F_COUNT; i++) {
        if (i == F_COMPLEXITY || i == F_TAGS)
            e->val[i] = or_empty(aft_dataset_get_json(ds, e->rec, fields[i].key));
        else
            e->val[i] = or_empty(aft_dataset_get_string(ds, e->rec, fields[i].key));
    }
    char *ctx = aft_dataset_get_json(ds, e->rec, "context");
    e->turns = ctx && ctx[0] == '[';
    free(ctx);
}

/* ---- drawing ---------------------------------------------------------------- */

static int value_width(const edit_pane *e)
{
    return e->base.w - LABEL_W - 1 > 4 ? e->base.w - LABEL_W - 1 : 4;
}

static size_t natural_rows(const edit_pane *e, int i, int width)
{
    if (e->editing && i == e->field)
        return tfv_rows(&e->tv, width);
    if (i == F_CONTEXT && turnlist_is_open(&e->tl))
        return (size_t)turnlist_rows(&e->tl, width);
    return tfv_text_rows(e->val[i], width);
}

static void draw_value(const edit_pane *e, WINDOW *w, int i, int y, int h, int width)
{
    tfv_draw_text(w, y, LABEL_W + 1, h, width, e->val[i], theme_attr(ROLE_NORMAL));
}

static void field_note(const edit_pane *e, int i, char *buf, size_t size)
{
    tui_app *app = e->base.app;
    buf[0] = '\0';
    if (i == F_COMPLEXITY && !e->val[i][0])
        snprintf(buf, size, "%d (from the length; +/- sets it)",
                 aft_dataset_complexity(app->ds, e->rec));
    else if (i == F_CONTEXT && e->turns && !(e->editing && e->field == i))
        snprintf(buf, size, "(%zu turns; Enter lists them)",
                 aft_dataset_context_turns(app->ds, e->rec));
    else if (!e->val[i][0] && !(e->editing && e->field == i))
        snprintf(buf, size, "-");
}

static void draw_hint(edit_pane *e, WINDOW *w, int y)
{
    const char *h;
    if (turnlist_is_open(&e->tl))
        h = turnlist_hint(&e->tl);
    else if (e->editing)
        h = e->hint[0] ? e->hint
            : fields[e->field].multiline
                ? "Enter keeps  Esc restores  ^J new line  ^Z undo  ^Y redo"
                : "Enter keeps  Esc restores  ^Z undo  ^Y redo";
    else
        h = "Enter edits  +/- complexity  [ ] records  a add  d delete  C duplicate";
    draw_text(w, y, 0, h, e->base.w, theme_attr(ROLE_DIM));
}

static void draw(pane *p)
{
    edit_pane *e = (edit_pane *)p;
    load(e);
    WINDOW *w = p->win;
    if (e->rec == SIZE_MAX) {
        draw_text(w, 2, 2, "no record selected (choose one in the dataset pane)", p->w - 4,
                  theme_attr(ROLE_DIM));
        return;
    }
    int vw = value_width(e), avail = p->h - 2;
    int h[F_COUNT], total = 0;
    for (int i = 0; i < F_COUNT; i++) {
        int n = (int)natural_rows(e, i, vw);
        h[i] = n < 1 ? 1 : n > 3 && i != e->field ? 3 : n;
        total += h[i];
    }
    /* The current field shrinks first when the pane is short; then the
     * list scrolls so the current field stays in view. */
    if (total > avail) {
        int others = total - h[e->field];
        h[e->field] = avail - others > 1 ? avail - others : 1;
    }
    int first = 0, sum = 0;
    for (int i = 0; i <= e->field; i++)
        sum += h[i];
    while (sum > avail && first < e->field)
        sum -= h[first++];
    int y = 1;
    for (int i = first; i < F_COUNT && y < p->h - 1; i++) {
        int rows = h[i] < p->h - 1 - y ? h[i] : p->h - 1 - y;
        int cur = i == e->field;
        unsigned long la = theme_attr(cur ? (p->focused ? ROLE_SELECTED : ROLE_SELECTED_DIM)
                                          : ROLE_LABEL);
        draw_fill(w, y, 0, LABEL_W, la);
        draw_text(w, y, 0, fields[i].label, LABEL_W, la);
        char note[96];
        field_note(e, i, note, sizeof note);
        if (e->editing && cur)
            tfv_draw(&e->tv, w, y, LABEL_W + 1, rows, vw, theme_attr(ROLE_FIELD_EDIT));
        else if (i == F_CONTEXT && turnlist_is_open(&e->tl))
            turnlist_draw(&e->tl, w, y, LABEL_W + 1, rows, vw, p->focused);
        else if (note[0] && !(i == F_CONTEXT && e->turns))
            draw_text(w, y, LABEL_W + 1, note, vw, theme_attr(ROLE_DIM));
        else
            draw_value(e, w, i, y, rows, vw);
        if (i == F_CONTEXT && e->turns && !turnlist_is_open(&e->tl) && rows > 1)
            draw_text(w, y + 1, 0, "turns", LABEL_W, theme_attr(ROLE_DIM));
        y += rows;
    }
    draw_hint(e, w, p->h - 1);
}

static void info(const pane *p, char *buf, size_t size)
{
    const edit_pane *e = (const edit_pane *)p;
    if (e->rec == SIZE_MAX || !e->val[F_ID])
        buf[0] = '\0';
    else
        snprintf(buf, size, "record %zu%s%s", e->rec + 1, e->val[F_ID][0] ? "  " : "",
                 e->val[F_ID]);
}

/* ---- editing ---------------------------------------------------------------- */

static void start_editing(edit_pane *e)
{
    tui_app *app = e->base.app;
    const struct field *f = &fields[e->field];
    if (!f->editable) {
        app_message(app, ROLE_WARNING, "%s is shown, not edited, here", f->label);
        return;
    }
    if (e->field == F_CONTEXT && e->turns) {
        /* A dialogue is edited turn by turn, so it stays a list of turns. */
        turnlist_open(&e->tl, app, e->rec);
        return;
    }
    tfv_init(&e->tv, f->multiline, draw_utf8(), e->val[e->field]);
    e->orig = strdup(e->val[e->field]);
    e->editing = 1;
    e->hint[0] = '\0';
    if (e->field == F_ACTION)
        e->n_actions = dsv_all_actions(app->ds, &e->actions);
}

static int known_action(const edit_pane *e, const char *a)
{
    for (size_t i = 0; i < e->n_actions; i++)
        if (!strcmp(e->actions[i], a))
            return 1;
    return 0;
}

/* Applies text to the record; returns 0, or -1 with err set. */
static int apply(edit_pane *e, const char *text, aft_error *err)
{
    aft_dataset *ds = e->base.app->ds;
    const char *key = fields[e->field].key;
    int optional = e->field == F_RESPONSE || e->field == F_REASONING ||
                   e->field == F_COMPLEXITY || e->field == F_SPLIT;
    if (!text[0] && optional)
        return e->orig[0] ? aft_dataset_unset(ds, e->rec, key, err) : 0;
    if (e->field == F_COMPLEXITY) {
        char *end;
        long c = strtol(text, &end, 10);
        if (*end || c < 1 || c > AFT_MAX_COMPLEXITY)
            return aft_error_set(err, "complexity is a whole number from 1 to %d",
                                 AFT_MAX_COMPLEXITY);
        char num[16];
        snprintf(num, sizeof num, "%ld", c);
        return aft_dataset_set_json(ds, e->rec, key, num, err);
    }
    return aft_dataset_set_string(ds, e->rec, key, text, err);
}

static void commit(edit_pane *e)
{
    tui_app *app = e->base.app;
    char *text = tf_text(&e->tv.tf);
    if (!text)
        return;
    if (!strcmp(text, e->orig)) {
        free(text);
        stop_editing(e);
        return;
    }
    aft_error err = {0};
    if (apply(e, text, &err) < 0) {
        app_message(app, ROLE_ERROR, "%s not changed: %s", fields[e->field].label, err.msg);
        free(text);
        return; /* stay in the field so the text is not lost */
    }
    int fresh = e->field == F_ACTION && !known_action(e, text);
    app_message(app, ROLE_OK, fresh ? "record %zu: new action '%s' (journalled)"
                                    : "record %zu: %s kept (journalled)",
                e->rec + 1, fresh ? text : fields[e->field].label);
    free(text);
    stop_editing(e);
    app_dataset_edited(app);
}

/* The actions that start with the typed text, for the hint line; on Tab the
 * text grows to their longest common prefix. */
static void complete(edit_pane *e, int extend)
{
    char *typed = tf_text(&e->tv.tf);
    if (!typed)
        return;
    size_t tl = strlen(typed), common = 0, hits = 0, n = 0;
    const char *first = NULL;
    n = (size_t)snprintf(e->hint, sizeof e->hint, "Tab: ");
    for (size_t i = 0; i < e->n_actions; i++) {
        const char *a = e->actions[i];
        if (strncmp(a, typed, tl) != 0)
            continue;
        if (!first) {
            first = a;
            common = strlen(a);
        } else {
            size_t k = 0;
            while (k < common && a[k] == first[k])
                k++;
            common = k;
        }
        hits++;
        if (n < sizeof e->hint)
            n += (size_t)snprintf(e->hint + n, sizeof e->hint - n, "%s ", a);
    }
    if (!hits)
        snprintf(e->hint, sizeof e->hint, "'%s' is a new action (Enter adds it)", typed);
    if (extend && first && common > tl) {
        char *pre = strndup(first, common);
        if (pre)
            tf_insert_text(&e->tv.tf, pre + tl);
        free(pre);
    }
    free(typed);
}

static unsigned edit_key(edit_pane *e, int code)
{
    switch (tfv_key(&e->tv, code, value_width(e))) {
    case TFV_COMMIT: commit(e); break;
    case TFV_CANCEL:
        stop_editing(e);
        app_message(e->base.app, ROLE_NORMAL, "%s restored", fields[e->field].label);
        break;
    case TFV_COMPLETE:
        if (e->field == F_ACTION)
            complete(e, 1);
        break;
    case TFV_CHANGED:
        if (e->field == F_ACTION)
            complete(e, 0);
        break;
    case TFV_IGNORED: return 0;
    default: break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static void bump_complexity(edit_pane *e, int d)
{
    tui_app *app = e->base.app;
    int c = aft_dataset_complexity(app->ds, e->rec) + d;
    if (c < 1 || c > AFT_MAX_COMPLEXITY)
        return;
    char num[16];
    snprintf(num, sizeof num, "%d", c);
    aft_error err = {0};
    if (aft_dataset_set_json(app->ds, e->rec, "complexity", num, &err) < 0) {
        app_message(app, ROLE_ERROR, "complexity not changed: %s", err.msg);
        return;
    }
    app_message(app, ROLE_OK, "record %zu: complexity %d (journalled)", e->rec + 1, c);
    app_dataset_edited(app);
}

static void step_record(edit_pane *e, long d)
{
    size_t rec = pane_data_step(e->base.app->panes[P_DATA], d);
    if (rec != SIZE_MAX)
        app_select(e->base.app, rec);
}

static unsigned key(pane *p, int code)
{
    edit_pane *e = (edit_pane *)p;
    load(e);
    if (e->rec == SIZE_MAX) {
        if (keys_action(KS_EDIT, code) != ACT_ADD || !p->app->ds)
            return 0;
        if (records_add(p->app) == 0)
            pane_edit_begin(p);
        return PK_HANDLED | PK_REDRAW;
    }
    if (e->editing)
        return edit_key(e, code);
    if (turnlist_is_open(&e->tl))
        return turnlist_key(&e->tl, p->app, code, value_width(e));
    switch (keys_action(KS_EDIT, code)) {
    case ACT_FIELD_UP: e->field = e->field > 0 ? e->field - 1 : 0; break;
    case ACT_FIELD_DOWN: e->field = e->field + 1 < F_COUNT ? e->field + 1 : e->field; break;
    case ACT_EDIT_FIELD: start_editing(e); break;
    case ACT_PREV_RECORD: step_record(e, -1); break;
    case ACT_NEXT_RECORD: step_record(e, 1); break;
    case ACT_CX_UP: bump_complexity(e, 1); break;
    case ACT_CX_DOWN: bump_complexity(e, -1); break;
    case ACT_ADD:
        if (records_add(p->app) == 0)
            pane_edit_begin(p);
        break;
    case ACT_DELETE: records_delete(p->app); break;
    case ACT_DUPLICATE: records_duplicate(p->app); break;
    default: return 0;
    }
    return PK_HANDLED | PK_REDRAW;
}

static int tick(pane *p)
{
    edit_pane *e = (edit_pane *)p;
    int changed = e->rec != p->app->sel || e->gen != p->app->ds_gen;
    load(e);
    return changed;
}

static key_scope scope(const pane *p)
{
    const edit_pane *e = (const edit_pane *)p;
    if (turnlist_is_open(&e->tl))
        return e->tl.mode == TL_LIST ? KS_TURNS : KS_TEXT;
    return e->editing ? KS_TEXT : KS_EDIT;
}

static int cursor(const pane *p, int *y, int *x)
{
    const edit_pane *e = (const edit_pane *)p;
    if (turnlist_is_open(&e->tl))
        return turnlist_cursor(&e->tl, y, x);
    if (!e->editing)
        return 0;
    *y = e->tv.cy;
    *x = e->tv.cx;
    return 1;
}

static void pfree(pane *p)
{
    edit_pane *e = (edit_pane *)p;
    stop_editing(e);
    turnlist_close(&e->tl);
    clear_values(e);
    free(e);
}

static const pane_ops ops = {
    .title = "Editor", .draw = draw, .key = key, .tick = tick, .scope = scope, .info = info,
    .cursor = cursor, .free = pfree,
};

pane *pane_edit_new(tui_app *app)
{
    edit_pane *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->base.ops = &ops;
    e->base.app = app;
    e->base.id = P_EDIT;
    e->rec = SIZE_MAX;
    e->gen = (unsigned long)-1;
    e->field = F_CONTEXT;
    return &e->base;
}

void pane_edit_begin(pane *p)
{
    edit_pane *e = (edit_pane *)p;
    load(e);
    if (e->rec == SIZE_MAX)
        return;
    if (e->editing)
        stop_editing(e);
    e->field = F_CONTEXT;
    start_editing(e);
    p->dirty = 1;
}
