/* The confusion heat map (see report_heat.h). Rows are gold actions and
 * columns predicted ones, numbered alike; a cell off the diagonal takes one
 * of three theme colours by its share of the largest confusion. */
#include "report_heat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

#define NAME_MAX_W 18
#define LIST_MIN_W 40

/* Cell and label widths of a map of the whole matrix. */
typedef struct geom {
    int cw;       /* a cell, with its leading space */
    int num_w;    /* a row's number */
    int name_w;   /* a row's action name */
    int lw;       /* number and name */
} geom;

static int digits(long x)
{
    int d = 1;
    while (x >= 10) {
        x /= 10;
        d++;
    }
    return d;
}

static tui_role heat_role(long count, long max)
{
    if (max <= 0 || count * 3 <= max)
        return ROLE_HEAT_LOW;
    return count * 3 <= 2 * max ? ROLE_HEAT_MID : ROLE_HEAT_HIGH;
}

/* The cell of the pair under the list's cursor, to mark it in the map. */
static void cursor_pair(const report_view *v, const listview *lv, size_t *g, size_t *p)
{
    const rv_lines *l = &v->sec[RS_CONFUSION];
    size_t i = lv->cur + l->fixed;
    *g = *p = SIZE_MAX;
    if (i >= l->n || l->v[i].kind != RL_PAIR)
        return;
    const char *gold = rv_str(l->v[i].ref, "gold"), *pred = rv_str(l->v[i].ref, "predicted");
    for (size_t k = 0; k < v->k; k++) {
        if (gold && !strcmp(v->names[k], gold))
            *g = k;
        if (pred && !strcmp(v->names[k], pred))
            *p = k;
    }
}

static void legend(const report_view *v, WINDOW *w, int y, int width)
{
    char t[96];
    int col = draw_text(w, y, 0, "gold rows, predicted columns  ", width, theme_attr(ROLE_DIM));
    static const tui_role roles[3] = {ROLE_HEAT_LOW, ROLE_HEAT_MID, ROLE_HEAT_HIGH};
    static const char *const words[3] = {" few ", " more ", " most "};
    for (int i = 0; i < 3 && col < width; i++)
        col += draw_text(w, y, col, words[i], width - col, theme_attr(roles[i]));
    snprintf(t, sizeof t, "  (largest %ld)", v->cm_max_off);
    draw_text(w, y, col, t, width - col, theme_attr(ROLE_DIM));
}

static geom measure(const report_view *v)
{
    long max = 0;
    for (size_t i = 0; i < v->k * v->k; i++)
        if (v->cm[i] > max)
            max = v->cm[i];
    geom g = {.cw = digits(max) + 1 < 3 ? 3 : digits(max) + 1, .name_w = 4};
    for (size_t i = 0; i < v->k; i++) {
        int n = (int)strlen(v->names[i]);
        g.name_w = n > g.name_w ? n : g.name_w;
    }
    g.name_w = g.name_w < NAME_MAX_W ? g.name_w : NAME_MAX_W;
    g.num_w = digits((long)v->k) + 1;
    g.lw = g.num_w + g.name_w + 1;
    return g;
}

/* The map in the rectangle; returns 0 when not even two actions fit. */
static int draw_map(report_view *v, const listview *lv, WINDOW *w, int y, int h, int width)
{
    geom g = measure(v);
    int cw = g.cw, name_w = g.name_w, num_w = g.num_w, lw = g.lw;
    int fit_w = (width - lw) / cw, fit_h = h - 3;
    size_t n = v->k;
    if ((size_t)fit_w < n)
        n = (size_t)(fit_w > 0 ? fit_w : 0);
    if ((size_t)fit_h < n)
        n = (size_t)(fit_h > 0 ? fit_h : 0);
    if (n < 2)
        return 0;
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        return 0;
    if (n == v->k)
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
    else
        n = rv_top_confused(v, n, idx);
    unsigned long dim = theme_attr(ROLE_DIM), hd = theme_attr(ROLE_HEADER);
    if (n < v->k)
        draw_printf(w, y, 0, width, hd, "top %zu of %zu actions by confusions", n, v->k);
    else
        draw_printf(w, y, 0, width, hd, "%zu actions", n);
    for (size_t c = 0; c < n; c++)
        draw_printf(w, y + 1, lw + (int)c * cw, cw, dim, "%*zu", cw, c + 1);
    size_t sel_g, sel_p;
    cursor_pair(v, lv, &sel_g, &sel_p);
    for (size_t r = 0; r < n; r++) {
        int ry = y + 2 + (int)r;
        draw_printf(w, ry, 0, num_w, dim, "%*zu", num_w - 1, r + 1);
        draw_text(w, ry, num_w, v->names[idx[r]], name_w, theme_attr(ROLE_LABEL));
        for (size_t c = 0; c < n; c++) {
            long x = rv_cell(v, idx[r], idx[c]);
            int cx = lw + (int)c * cw;
            unsigned long a = r == c ? theme_attr(ROLE_OK)
                              : x == 0 ? dim : theme_attr(heat_role(x, v->cm_max_off));
            if (idx[r] == sel_g && idx[c] == sel_p)
                a = theme_attr(ROLE_SELECTED);
            if (x == 0 && r != c) {
                draw_fill(w, ry, cx, cw - 1, a);
                draw_glyph(w, ry, cx + cw - 1, 0x00b7, '.', a);
            } else
                draw_printf(w, ry, cx, cw, a, "%*ld", cw, x);
        }
    }
    legend(v, w, y + 2 + (int)n, width);
    free(idx);
    return 1;
}

void heat_draw(report_view *v, listview *lv, WINDOW *w, int y, int h, int width, int focused,
               lv_row_fn row_fn)
{
    rv_lines *l = &v->sec[RS_CONFUSION];
    /* The list goes beside the whole map when both fit, under it otherwise. */
    geom g = measure(v);
    int need = g.lw + (int)v->k * g.cw;
    int beside = width - need - 2 >= LIST_MIN_W;
    int list_w = beside ? width - need - 2 : width;
    int map_w = beside ? need : width;
    int list_h = beside ? h : (h >= 14 ? h / 3 : 0);
    int map_h = beside ? h : h - list_h;
    if (!draw_map(v, lv, w, y, map_h, map_w)) {
        draw_text(w, y, 1, "too small for the heat map: z zooms the pane", width - 2,
                  theme_attr(ROLE_DIM));
        if (!list_h) {
            list_h = h - 1;
            y++;
        }
    }
    if (list_h <= 1)
        return;
    int lx = beside ? map_w + 2 : 0, ly = beside ? y : y + map_h;
    int f = (int)l->fixed;
    for (int i = 0; i < f; i++)
        draw_text(w, ly + i, lx, l->v[i].text, list_w, theme_attr(l->v[i].role));
    lv_draw(lv, w, ly + f, lx, list_h - f, list_w, focused, row_fn, l);
}
