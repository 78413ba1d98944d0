/* The frame and the help overlay (see chrome.h). */
#include "chrome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "live.h"
#include "runsrc.h"

static const char *const tab_names[P_COUNT] = {"Dataset", "Editor", "Hyperparameters", "Charts",
                                                "Log", "Report", "Augment", "Try"};
static const char *const tab_short[P_COUNT] = {"Data", "Edit", "Params", "Charts", "Log",
                                                "Report", "Aug", "Try"};

/* The long tab names when they all fit, else the short ones. */
static const char *const *tab_labels(int width)
{
    int need = 0;
    for (int i = 0; i < P_COUNT; i++)
        need += (int)strlen(tab_names[i]) + 5;
    return need <= width ? tab_names : tab_short;
}

int chrome_tab_at(int width, int x)
{
    const char *const *names = tab_labels(width);
    int col = 0;
    for (int i = 0; i < P_COUNT; i++) {
        /* " N name " and the space after it, as chrome_top draws them. */
        col += (int)strlen(names[i]) + 5;
        if (x < col)
            return i;
    }
    return -1;
}

void chrome_top(tui_app *app, WINDOW *w, int width)
{
    unsigned long bar = theme_attr(ROLE_TOPBAR);
    draw_fill(w, 0, 0, width, bar);
    if (app->lay.mode == LAYOUT_TABS) {
        int col = 0;
        const char *const *names = tab_labels(width);
        for (int i = 0; i < P_COUNT && col < width; i++) {
            char t[40];
            snprintf(t, sizeof t, " %d %s ", i + 1, names[i]);
            col += draw_text(w, 0, col, t, width - col,
                             theme_attr(i == (int)app->focus ? ROLE_TAB_ACTIVE : ROLE_TAB));
            if (col < width)
                col += draw_text(w, 0, col, " ", 1, bar);
        }
        return;
    }
    const char *name = aft_config_string(app->cfg, AFT_K_NAME);
    char buf[512];
    snprintf(buf, sizeof buf, " agentft  %s  %s", name[0] ? name : app->ws_path,
             app->ds ? aft_dataset_path(app->ds) : "");
    draw_text(w, 0, 0, buf, width, bar);
    draw_text(w, 0, width > 16 ? width - 16 : 0, "  ? or F1: keys", 16, bar);
}

static void run_summary(tui_app *app, char *buf, size_t size)
{
    runsrc *rs = app->run;
    if (!rs || !rs->dir[0]) {
        snprintf(buf, size, "no run");
        return;
    }
    size_t n = (size_t)snprintf(buf, size, "run %s  step %llu", rs->name,
                                (unsigned long long)rs->step);
    const rs_series *vl = &rs->series[AFT_SERIES_VAL_LOSS];
    if (vl->n && n < size)
        n += (size_t)snprintf(buf + n, size - n, "  val_loss %.4g", vl->p[vl->n - 1].value);
    if (rs->patience_left >= 0 && n < size)
        n += (size_t)snprintf(buf + n, size - n, "  patience %d", rs->patience_left);
    if (n < size)
        snprintf(buf + n, size - n, "  %s",
                 !runsrc_live(rs) ? "ended" : runsrc_paused(rs) ? "live, paused" : "live");
}

void chrome_status(tui_app *app, WINDOW *w, int width)
{
    unsigned long st = theme_attr(ROLE_STATUS);
    draw_fill(w, 0, 0, width, st);
    char right[256];
    if (app->trainer)
        live_status(app, right, sizeof right);
    else
        run_summary(app, right, sizeof right);
    int rw = (int)strlen(right) + 1;
    if (rw > width / 2)
        rw = width / 2;
    int lw = width - rw - 1;
    if (app->confirm[0])
        draw_text(w, 0, 0, app->confirm, lw, theme_attr(ROLE_WARNING) | A_REVERSE);
    else if (app->msg[0])
        draw_text(w, 0, 0, app->msg,
                  lw, app->msg_role == ROLE_NORMAL ? st : theme_attr(app->msg_role));
    draw_text(w, 0, width - rw, right, rw, st);
}

/* F-keys first by number, then the other labelled keys in table order. */
static int bar_rank(const key_binding *b, size_t index)
{
    int k = b->code - 0x110000;
    if (TK_IS_FN(b->code) && k >= KEY_F(1) && k <= KEY_F(12))
        return k - KEY_F(0);
    return 100 + (int)index;
}

void chrome_keys(tui_app *app, WINDOW *w, int width, key_scope scope)
{
    (void)app;
    draw_fill(w, 0, 0, width, theme_attr(ROLE_NORMAL));
    size_t n;
    const key_binding *t = keys_table(&n);
    int col = 0, last = -1;
    for (;;) {
        /* The next labelled binding by rank (selection keeps it allocation-free). */
        size_t pick = n;
        int best = 1 << 30;
        for (size_t i = 0; i < n; i++) {
            if (!t[i].bar || (t[i].scope != KS_GLOBAL && t[i].scope != scope))
                continue;
            int r = bar_rank(&t[i], i);
            if (r > last && r < best) {
                best = r;
                pick = i;
            }
        }
        if (pick == n || col >= width)
            break;
        last = best;
        char name[24];
        keys_name(t[pick].code, name, sizeof name);
        col += draw_text(w, 0, col, name, width - col, theme_attr(ROLE_KEY));
        col += draw_text(w, 0, col, t[pick].bar, width - col, theme_attr(ROLE_KEY_LABEL));
        col += draw_text(w, 0, col, " ", width - col, theme_attr(ROLE_NORMAL));
    }
}

void chrome_too_small(WINDOW *w, int rows, int cols)
{
    char a[128], b[128];
    snprintf(a, sizeof a, "Terminal too small: %dx%d", cols, rows);
    snprintf(b, sizeof b, "agentft needs at least %dx%d", LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
    int y = rows / 2 - 1;
    if (y < 0)
        y = 0;
    int la = (int)strlen(a), lb = (int)strlen(b);
    draw_text(w, y, cols > la ? (cols - la) / 2 : 0, a, cols, theme_attr(ROLE_WARNING));
    if (y + 1 < rows)
        draw_text(w, y + 1, cols > lb ? (cols - lb) / 2 : 0, b, cols, theme_attr(ROLE_NORMAL));
    if (y + 2 < rows)
        draw_text(w, y + 2, cols > 10 ? (cols - 10) / 2 : 0, "q quits", cols, theme_attr(ROLE_DIM));
}

/* ---- help overlay ----------------------------------------------------------- */

typedef struct help_line {
    int header;            /* a scope's title */
    char keys[48];
    const char *text;
} help_line;

static int add_line(help_view *h, size_t *cap, help_line l)
{
    if (h->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        help_line *nl = realloc(h->lines, nc * sizeof *nl);
        if (!nl)
            return -1;
        h->lines = nl;
        *cap = nc;
    }
    h->lines[h->n++] = l;
    return 0;
}

static int add_scope(help_view *h, size_t *cap, key_scope s)
{
    size_t n;
    const key_binding *t = keys_table(&n);
    help_line head = {.header = 1, .text = keys_scope_title(s)};
    if (add_line(h, cap, head) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (t[i].scope != s || !t[i].help)
            continue;
        help_line l = {.text = t[i].help};
        /* This binding and the ones after it without help text: one line. */
        size_t used = 0;
        for (size_t j = i; j < n && (j == i || (!t[j].help && t[j].action == t[i].action)); j++) {
            char name[24];
            keys_name(t[j].code, name, sizeof name);
            used += (size_t)snprintf(l.keys + used, used < sizeof l.keys ? sizeof l.keys - used : 0,
                                     "%s%s", j == i ? "" : " ", name);
        }
        if (add_line(h, cap, l) < 0)
            return -1;
    }
    return 0;
}

int help_open(help_view *h, key_scope first)
{
    help_close(h);
    size_t cap = 0;
    int rc = add_scope(h, &cap, first);
    for (int s = 0; rc == 0 && s < KS_COUNT; s++)
        if ((key_scope)s != first)
            rc = add_scope(h, &cap, (key_scope)s);
    h->lv = (listview){0};
    lv_set_count(&h->lv, h->n);
    h->open = 1;
    return rc;
}

void help_close(help_view *h)
{
    free(h->lines);
    h->lines = NULL;
    h->n = 0;
    h->open = 0;
}

static void help_row(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                     unsigned long attr, int is_cur)
{
    help_view *h = ctx;
    const help_line *l = &h->lines[row];
    (void)is_cur;
    (void)attr;
    if (l->header) {
        draw_text(w, y, x, l->text, width, theme_attr(ROLE_HEADER));
        return;
    }
    draw_text(w, y, x + 1, l->keys, 22, theme_attr(ROLE_KEY));
    draw_text(w, y, x + 24, l->text, width - 24, theme_attr(ROLE_OVERLAY));
}

void help_draw(help_view *h, WINDOW *w, int rows, int cols)
{
    int hw = cols, hh = rows, y0 = 0, x0 = 0;
    unsigned long box = theme_attr(ROLE_OVERLAY);
    for (int i = 0; i < hh; i++)
        draw_fill(w, y0 + i, x0, hw, box);
    draw_hline(w, y0, x0, hw, theme_attr(ROLE_BORDER));
    draw_hline(w, y0 + hh - 1, x0, hw, theme_attr(ROLE_BORDER));
    draw_vline(w, y0, x0, hh, theme_attr(ROLE_BORDER));
    draw_vline(w, y0, x0 + hw - 1, hh, theme_attr(ROLE_BORDER));
    draw_text(w, y0, x0 + 2, " Keys (Esc or q closes; Up/Down scroll) ", hw - 4,
              theme_attr(ROLE_TITLE_FOCUS));
    /* The cursor is not shown: the list scrolls a page at a time. */
    h->lv.cur = h->lv.top;
    lv_draw(&h->lv, w, y0 + 1, x0 + 1, hh - 2, hw - 2, 0, help_row, h);
}

int help_key(help_view *h, int code)
{
    key_action a = keys_action(KS_LIST, code);
    size_t page = h->lv.rows > 1 ? (size_t)h->lv.rows : 1;
    size_t max_top = h->n > page ? h->n - page : 0;
    switch (a) {
    case ACT_UP: if (h->lv.top > 0) h->lv.top--; return 1;
    case ACT_DOWN: if (h->lv.top < max_top) h->lv.top++; return 1;
    case ACT_PAGE_UP: h->lv.top = h->lv.top > page ? h->lv.top - page : 0; return 1;
    case ACT_PAGE_DOWN: h->lv.top = h->lv.top + page < max_top ? h->lv.top + page : max_top; return 1;
    case ACT_TOP: h->lv.top = 0; return 1;
    case ACT_BOTTOM: h->lv.top = max_top; return 1;
    default: help_close(h); return 0;
    }
}
