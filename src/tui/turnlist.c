/* The turn list of a dialogue context (see turnlist.h). Changes are made on
 * the parsed turns and written back whole with aft_dataset_set_json, so the
 * journal holds the record's real structure, never the "role: content" text
 * the list shows. */
#include "turnlist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

#define ROLE_W 10   /* cells for the role column */

int turnlist_is_open(const turnlist *l)
{
    return l->t != NULL;
}

static void stop_text(turnlist *l)
{
    if (l->mode != TL_LIST)
        tfv_free(&l->tv);
    l->mode = TL_LIST;
    l->added = 0;
}

void turnlist_close(turnlist *l)
{
    stop_text(l);
    turns_free(l->t);
    l->t = NULL;
}

/* (Re)reads the record's turns; keeps the chosen turn where it can. */
static int load(turnlist *l, tui_app *app, size_t rec)
{
    aft_error err = {0};
    char *json = aft_dataset_get_json(app->ds, rec, "context");
    turns *t = turns_parse(json, &err);
    free(json);
    if (!t) {
        app_message(app, ROLE_WARNING, "record %zu: %s", rec + 1, err.msg);
        return -1;
    }
    turns_free(l->t);
    l->t = t;
    l->rec = rec;
    size_t n = turns_count(t);
    if (l->cur >= n)
        l->cur = n - 1;
    return 0;
}

int turnlist_open(turnlist *l, tui_app *app, size_t rec)
{
    turnlist_close(l);
    l->cur = l->top = 0;
    return load(l, app, rec);
}

/* Writes the turns back to the record; on failure the list is read again
 * from the record, so it never shows what the file does not hold. */
static void write_back(turnlist *l, tui_app *app, const char *what)
{
    aft_error err = {0};
    char *json = turns_json(l->t);
    int rc = json ? aft_dataset_set_json(app->ds, l->rec, "context", json, &err)
                  : aft_error_set(&err, "out of memory");
    free(json);
    if (rc < 0) {
        app_message(app, ROLE_ERROR, "record %zu: the turns were not changed: %s", l->rec + 1,
                    err.msg);
        load(l, app, l->rec);
        return;
    }
    app_message(app, ROLE_OK, "record %zu: %s (journalled)", l->rec + 1, what);
    app_dataset_edited(app);
}

/* ---- drawing ---------------------------------------------------------------- */

static int role_width(int width)
{
    return width >= 40 ? ROLE_W : width / 4;
}

static int row_height(const turnlist *l, size_t i, int width)
{
    if (i != l->cur || l->mode != TL_CONTENT)
        return 1;
    int rows = (int)tfv_rows(&l->tv, width - role_width(width) - 2);
    return rows < 1 ? 1 : rows;
}

int turnlist_rows(const turnlist *l, int width)
{
    int rows = 0;
    for (size_t i = 0; i < turns_count(l->t); i++)
        rows += row_height(l, i, width);
    return rows;
}

/* Scrolls so the chosen turn (and its text field) is in the h rows. */
static void scroll_to_cur(turnlist *l, int h, int width)
{
    if (l->cur < l->top)
        l->top = l->cur;
    for (;;) {
        int used = 0;
        for (size_t i = l->top; i <= l->cur; i++)
            used += row_height(l, i, width);
        if (used <= h || l->top == l->cur)
            return;
        l->top++;
    }
}

void turnlist_draw(turnlist *l, WINDOW *w, int y, int x, int h, int width, int focused)
{
    if (!l->t || h <= 0 || width <= 4)
        return;
    scroll_to_cur(l, h, width);
    int rw = role_width(width), cx = x + rw + 2, cw = width - rw - 2;
    unsigned long sel = theme_attr(focused ? ROLE_SELECTED : ROLE_SELECTED_DIM);
    int row = 0;
    for (size_t i = l->top; i < turns_count(l->t) && row < h; i++) {
        int cur = i == l->cur, rh = row_height(l, i, width);
        if (rh > h - row)
            rh = h - row;
        unsigned long attr = cur && l->mode == TL_LIST ? sel : theme_attr(ROLE_NORMAL);
        if (cur && l->mode == TL_LIST)
            draw_fill(w, y + row, x, width, attr);
        if (cur && l->mode == TL_ROLE)
            tfv_draw(&l->tv, w, y + row, x, 1, rw + 1, theme_attr(ROLE_FIELD_EDIT));
        else
            draw_printf(w, y + row, x, rw + 2, cur ? attr : theme_attr(ROLE_LABEL), "%s:",
                        turns_role(l->t, i));
        if (cur && l->mode == TL_CONTENT)
            tfv_draw(&l->tv, w, y + row, cx, rh, cw, theme_attr(ROLE_FIELD_EDIT));
        else
            draw_text(w, y + row, cx, turns_content(l->t, i), cw, attr);
        row += rh;
    }
    if (l->top > 0)
        draw_text(w, y, x + width - 1, draw_utf8() ? "\u2191" : "^", 1, theme_attr(ROLE_DIM));
}

const char *turnlist_hint(const turnlist *l)
{
    if (l->mode == TL_CONTENT)
        return "Enter keeps the turn  Esc restores  ^J new line  ^Z undo";
    if (l->mode == TL_ROLE)
        return "Enter keeps the role  Esc restores";
    return "Enter edits  r role  R types one  a adds  d removes  Esc back";
}

int turnlist_cursor(const turnlist *l, int *y, int *x)
{
    if (!l->t || l->mode == TL_LIST)
        return 0;
    *y = l->tv.cy;
    *x = l->tv.cx;
    return 1;
}

/* ---- keys ------------------------------------------------------------------- */

static void begin_text(turnlist *l, turnlist_mode mode)
{
    int content = mode == TL_CONTENT;
    tfv_init(&l->tv, content, draw_utf8(),
             content ? turns_content(l->t, l->cur) : turns_role(l->t, l->cur));
    l->mode = mode;
}

static void keep_text(turnlist *l, tui_app *app)
{
    char *text = tf_text(&l->tv.tf);
    if (!text)
        return;
    aft_error err = {0};
    int content = l->mode == TL_CONTENT;
    int same = !l->added && !strcmp(text, content ? turns_content(l->t, l->cur)
                                                  : turns_role(l->t, l->cur));
    int rc = same ? 0 : content ? turns_set_content(l->t, l->cur, text, &err)
                                : turns_set_role(l->t, l->cur, text, &err);
    free(text);
    if (rc < 0) {
        app_message(app, ROLE_ERROR, "%s", err.msg);
        return; /* stay in the field so the text is not lost */
    }
    char what[64];
    snprintf(what, sizeof what, "%s turn %zu", l->added ? "added" : "changed", l->cur + 1);
    stop_text(l);
    if (!same)
        write_back(l, app, what);
}

static void cancel_text(turnlist *l, tui_app *app)
{
    if (l->added) {
        /* The added turn was never written: it just goes. */
        turns_remove(l->t, l->cur, NULL);
        if (l->cur > 0)
            l->cur--;
        app_message(app, ROLE_NORMAL, "no turn added");
    } else {
        app_message(app, ROLE_NORMAL, "turn %zu restored", l->cur + 1);
    }
    stop_text(l);
}

static unsigned text_key(turnlist *l, tui_app *app, int code, int width)
{
    int fw = l->mode == TL_CONTENT ? width - role_width(width) - 2 : role_width(width) + 1;
    switch (tfv_key(&l->tv, code, fw)) {
    case TFV_IGNORED: return 0;
    case TFV_COMMIT: keep_text(l, app); break;
    case TFV_CANCEL: cancel_text(l, app); break;
    default: break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static void do_remove(tui_app *app, void *ctx)
{
    turnlist *l = ctx;
    if (!l->t)
        return;
    aft_error err = {0};
    if (turns_remove(l->t, l->cur, &err) < 0) {
        app_message(app, ROLE_ERROR, "%s", err.msg);
        return;
    }
    char what[64];
    snprintf(what, sizeof what, "removed turn %zu", l->cur + 1);
    if (l->cur >= turns_count(l->t))
        l->cur = turns_count(l->t) - 1;
    write_back(l, app, what);
    app_mark(app, P_EDIT);
}

static void add_turn(turnlist *l, tui_app *app)
{
    aft_error err = {0};
    const char *role = turns_reply_role(turns_role(l->t, l->cur));
    if (turns_insert(l->t, l->cur + 1, role, "", &err) < 0) {
        app_message(app, ROLE_ERROR, "%s", err.msg);
        return;
    }
    l->cur++;
    begin_text(l, TL_CONTENT);
    l->added = 1;
}

unsigned turnlist_key(turnlist *l, tui_app *app, int code, int width)
{
    if (!l->t)
        return 0;
    if (l->mode != TL_LIST)
        return text_key(l, app, code, width);
    size_t n = turns_count(l->t);
    switch (keys_action(KS_TURNS, code)) {
    case ACT_U_PREV: if (l->cur > 0) l->cur--; break;
    case ACT_U_NEXT: if (l->cur + 1 < n) l->cur++; break;
    case ACT_U_EDIT: begin_text(l, TL_CONTENT); break;
    case ACT_U_ROLE_TEXT: begin_text(l, TL_ROLE); break;
    case ACT_U_ROLE: {
        char what[96];
        const char *next = turns_next_role(turns_role(l->t, l->cur));
        snprintf(what, sizeof what, "turn %zu is now %s", l->cur + 1, next);
        if (turns_set_role(l->t, l->cur, next, NULL) == 0)
            write_back(l, app, what);
        break;
    }
    case ACT_U_ADD: add_turn(l, app); break;
    case ACT_U_DELETE:
        if (n == 1)
            app_message(app, ROLE_WARNING, "a dialogue keeps at least one turn");
        else
            app_ask(app, do_remove, l, "remove turn %zu (%s)? (y/n)", l->cur + 1,
                    turns_role(l->t, l->cur));
        break;
    case ACT_U_BACK: turnlist_close(l); break;
    default: return 0;
    }
    return PK_HANDLED | PK_REDRAW;
}
