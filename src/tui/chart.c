/* The chart widget (see chart.h): series storage, view arithmetic, and the
 * braille/ASCII rasteriser. A draw costs O(points in view + cells). */
#include "chart.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

void chart_init(chart *c, const char *title)
{
    memset(c, 0, sizeof *c);
    snprintf(c->title, sizeof c->title, "%s", title);
}

void chart_free(chart *c)
{
    for (int i = 0; i < c->ns; i++) {
        free(c->s[i].x);
        free(c->s[i].y);
    }
    free(c->m);
    memset(c, 0, sizeof *c);
}

int chart_add_series(chart *c, const char *name, tui_role role)
{
    if (c->ns == CHART_MAX_SERIES)
        return -1;
    chart_series *s = &c->s[c->ns];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->role = role;
    return c->ns++;
}

int chart_push(chart *c, int series, double x, double y)
{
    if (series < 0 || series >= c->ns || !isfinite(x) || !isfinite(y))
        return 0;
    chart_series *s = &c->s[series];
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        double *nx = realloc(s->x, nc * sizeof *nx);
        if (!nx)
            return -1;
        s->x = nx;
        double *ny = realloc(s->y, nc * sizeof *ny);
        if (!ny)
            return -1;
        s->y = ny;
        s->cap = nc;
    }
    /* Steps only go forward; a point from the past (a resumed run cut
     * back) is kept in order by replacing the tail. */
    while (s->n > 0 && s->x[s->n - 1] > x)
        s->n--;
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->n++;
    return 0;
}

int chart_add_marker(chart *c, double x, tui_role role)
{
    if (c->nm == c->capm) {
        size_t nc = c->capm ? c->capm * 2 : 16;
        chart_marker *nm = realloc(c->m, nc * sizeof *nm);
        if (!nm)
            return -1;
        c->m = nm;
        c->capm = nc;
    }
    c->m[c->nm++] = (chart_marker){x, role};
    return 0;
}

void chart_clear(chart *c)
{
    for (int i = 0; i < c->ns; i++)
        c->s[i].n = 0;
    c->nm = 0;
    c->note[0] = '\0';
}

int chart_x_range(const chart *c, double *lo, double *hi)
{
    int any = 0;
    for (int i = 0; i < c->ns; i++) {
        const chart_series *s = &c->s[i];
        if (!s->n)
            continue;
        if (!any || s->x[0] < *lo)
            *lo = s->x[0];
        if (!any || s->x[s->n - 1] > *hi)
            *hi = s->x[s->n - 1];
        any = 1;
    }
    return any;
}

void chart_view_fit(chart_view *v, double lo, double hi)
{
    v->x0 = lo;
    v->x1 = hi > lo ? hi : lo + 1;
    v->follow = 1;
}

static void clamp_view(chart_view *v, double lo, double hi)
{
    double span = v->x1 - v->x0;
    if (hi <= lo)
        hi = lo + 1;
    if (span >= hi - lo) {
        chart_view_fit(v, lo, hi);
        return;
    }
    if (v->x0 < lo) {
        v->x0 = lo;
        v->x1 = lo + span;
    }
    if (v->x1 >= hi) {
        v->x1 = hi;
        v->x0 = hi - span;
        v->follow = 1; /* at the newest step: keep following it */
    }
}

void chart_view_zoom(chart_view *v, double factor, double lo, double hi)
{
    double span = (v->x1 - v->x0) * factor;
    if (span < 4)
        span = 4;
    if (v->follow) {
        v->x1 = hi;
        v->x0 = hi - span;
    } else {
        double mid = (v->x0 + v->x1) / 2;
        v->x0 = mid - span / 2;
        v->x1 = mid + span / 2;
    }
    v->follow = 0;
    clamp_view(v, lo, hi);
}

void chart_view_scroll(chart_view *v, double fraction, double lo, double hi)
{
    double d = (v->x1 - v->x0) * fraction;
    v->x0 += d;
    v->x1 += d;
    v->follow = 0;
    clamp_view(v, lo, hi);
}

void chart_format(double v, char *buf, size_t size)
{
    double a = fabs(v);
    /* At most 7 characters, so axis labels line up. */
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (a >= 1e6 || (a != 0 && a < 1e-3))
        snprintf(buf, size, "%.1e", v);
    else if (a >= 1000)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.4g", v);
}

/* ---- rasterising ------------------------------------------------------------ */

typedef struct raster {
    int cw, ch;          /* cells */
    int sx, sy;          /* dots per cell */
    uint8_t *bits;       /* per cell */
    int8_t *who;         /* series index per cell, -1 = none */
    chart_mode mode;
} raster;

/* Braille dot bits by (row in cell, column in cell). */
static const uint8_t braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static void dot(raster *r, long dx, long dy, int series)
{
    if (dx < 0 || dy < 0 || dx >= (long)r->cw * r->sx || dy >= (long)r->ch * r->sy)
        return;
    int cx = (int)(dx / r->sx), cy = (int)(dy / r->sy);
    size_t at = (size_t)cy * (size_t)r->cw + (size_t)cx;
    if (r->mode == CHART_BRAILLE)
        r->bits[at] |= braille_bit[dy % 4][dx % 2];
    else
        r->bits[at] |= (uint8_t)(4 >> (dy % 3)); /* 4 top, 2 middle, 1 bottom */
    r->who[at] = (int8_t)series;
}

static void line(raster *r, double x0, double y0, double x1, double y1, int series)
{
    double W = (double)r->cw * r->sx, H = (double)r->ch * r->sy;
    /* Clip to the plot's columns, and keep rows within a bound, so a point
     * far outside the view costs no more than one crossing of the plot. */
    if (x1 < x0) {
        double t = x0; x0 = x1; x1 = t;
        t = y0; y0 = y1; y1 = t;
    }
    if (x1 < 0 || x0 > W - 1)
        return;
    if (x0 < 0 && x1 > x0) {
        y0 += (y1 - y0) * (0 - x0) / (x1 - x0);
        x0 = 0;
    }
    if (x1 > W - 1 && x1 > x0) {
        y1 = y0 + (y1 - y0) * (W - 1 - x0) / (x1 - x0);
        x1 = W - 1;
    }
    y0 = fmax(-H, fmin(2 * H, y0));
    y1 = fmax(-H, fmin(2 * H, y1));
    long ax = lround(x0), ay = lround(y0), bx = lround(x1), by = lround(y1);
    long dx = labs(bx - ax), dy = -labs(by - ay);
    long stx = ax < bx ? 1 : -1, sty = ay < by ? 1 : -1, e = dx + dy;
    for (;;) {
        dot(r, ax, ay, series);
        if (ax == bx && ay == by)
            break;
        long e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            ax += stx;
        }
        if (e2 <= dx) {
            e += dx;
            ay += sty;
        }
    }
}

/* First index with x >= lo (binary search). */
static size_t first_at(const chart_series *s, double lo)
{
    size_t a = 0, b = s->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (s->x[m] < lo)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static int span_of(const chart *c, double lo, double hi, double *ymin, double *ymax, int any)
{
    for (int i = 0; c && i < c->ns; i++) {
        const chart_series *s = &c->s[i];
        for (size_t k = first_at(s, lo); k < s->n && s->x[k] <= hi; k++) {
            if (!any || s->y[k] < *ymin)
                *ymin = s->y[k];
            if (!any || s->y[k] > *ymax)
                *ymax = s->y[k];
            any = 1;
        }
    }
    return any;
}

int chart_y_range(const chart *c, const chart *over, double lo, double hi, double *ymin,
                  double *ymax)
{
    if (!span_of(over, lo, hi, ymin, ymax, span_of(c, lo, hi, ymin, ymax, 0)))
        return 0;
    double span = *ymax - *ymin;
    if (span <= 0)
        span = fabs(*ymax) > 0 ? fabs(*ymax) * 0.1 : 1;
    /* Padding, but never below zero for a series that is never negative
     * (a loss, a rate): "-1e-05" on the axis would only puzzle. */
    int nonneg = *ymin >= 0;
    *ymin -= span * 0.05;
    *ymax += span * 0.05;
    if (nonneg && *ymin < 0)
        *ymin = 0;
    return 1;
}

/* Series si of c is recorded in the raster as base + si. */
static void raster_series(raster *r, const chart *c, int base, double lo, double hi, double ymin,
                          double ymax)
{
    double W = (double)r->cw * r->sx - 1, H = (double)r->ch * r->sy - 1;
    for (int si = 0; si < c->ns; si++) {
        const chart_series *s = &c->s[si];
        size_t k = first_at(s, lo);
        if (k > 0)
            k--; /* the point before the view, for the line into it */
        int have = 0;
        double px = 0, py = 0;
        for (; k < s->n; k++) {
            double dx = (s->x[k] - lo) / (hi - lo) * W;
            double dy = (ymax - s->y[k]) / (ymax - ymin) * H;
            if (have)
                line(r, px, py, dx, dy, base + si);
            else if (s->n == 1)
                dot(r, lround(dx), lround(dy), base + si);
            px = dx;
            py = dy;
            have = 1;
            if (s->x[k] > hi)
                break;
        }
    }
}

static void put_cell(WINDOW *w, int y, int x, wchar_t ch, unsigned long attr)
{
    wattrset(w, (int)attr);
    mvwaddnwstr(w, y, x, &ch, 1);
}

static wchar_t cell_char(const raster *r, uint8_t bits)
{
    if (r->mode == CHART_BRAILLE)
        return (wchar_t)(0x2800 + bits);
    switch (bits) {
    case 1: return '.';
    case 2: return '-';
    case 4: return '\'';
    case 5: return ':';
    default: return '|';
    }
}

static void draw_axes(WINDOW *w, int y, int x, int ph, int lw, int pw, double lo, double hi,
                      double ymin, double ymax)
{
    unsigned long ax = theme_attr(ROLE_AXIS);
    char buf[32];
    double marks[3] = {ymax, (ymin + ymax) / 2, ymin};
    int rows[3] = {0, ph / 2, ph - 1};
    for (int i = 0; i < 3; i++) {
        if (i == 1 && ph < 5)
            continue;
        chart_format(marks[i], buf, sizeof buf);
        int len = (int)strlen(buf);
        draw_text(w, y + rows[i], x + (lw - 1 - len > 0 ? lw - 1 - len : 0), buf, lw - 1, ax);
    }
    draw_vline(w, y, x + lw - 1, ph, ax);
    int by = y + ph;
    draw_hline(w, by, x + lw - 1, pw + 1, ax);
    draw_glyph(w, by, x + lw - 1, 0x2514, '+', ax);
    snprintf(buf, sizeof buf, "%.0f", lo);
    draw_text(w, by, x + lw, buf, pw, ax);
    snprintf(buf, sizeof buf, "%.0f", hi);
    int len = (int)strlen(buf);
    if (pw > len + 8)
        draw_text(w, by, x + lw + pw - len, buf, len, ax);
    if (pw > 40) {
        snprintf(buf, sizeof buf, "%.0f", (lo + hi) / 2);
        len = (int)strlen(buf);
        draw_text(w, by, x + lw + pw / 2 - len / 2, buf, len, ax);
    }
}

/* The latest value of each series of c, in the series' roles. */
static int draw_values(const chart *c, WINDOW *w, int y, int x, int col, int width)
{
    char val[32], item[64];
    for (int i = 0; i < c->ns && col < width; i++) {
        const chart_series *s = &c->s[i];
        if (!s->n)
            continue;
        chart_format(s->y[s->n - 1], val, sizeof val);
        snprintf(item, sizeof item, "  %s %s", s->name, val);
        col += draw_text(w, y, x + col, item, width - col, theme_attr(s->role));
    }
    return col;
}

static void draw_title(const chart *c, const chart *over, const char *over_name, WINDOW *w, int y,
                       int x, int width, int selected)
{
    int col = draw_text(w, y, x, c->title, width, theme_attr(selected ? ROLE_HEADER : ROLE_LABEL));
    col = draw_values(c, w, y, x, col, width);
    if (over && col + 4 < width) {
        col += draw_printf(w, y, x + col, width - col,
                           theme_attr(over->ns ? over->s[0].role : ROLE_DIM), "   vs %s:",
                           over_name ? over_name : "");
        col = draw_values(over, w, y, x, col, width);
    }
    if (c->note[0] && col + 2 < width)
        draw_printf(w, y, x + col, width - col, theme_attr(ROLE_DIM), "  %s", c->note);
}

static tui_role role_of(const chart *c, const chart *over, int who)
{
    return who < c->ns ? c->s[who].role : over->s[who - c->ns].role;
}

void chart_draw(const chart *c, WINDOW *w, int y, int x, int h, int width, const chart_view *v,
                chart_mode mode, int selected)
{
    chart_draw_over(c, NULL, NULL, w, y, x, h, width, v, mode, selected);
}

void chart_draw_over(const chart *c, const chart *over, const char *over_name, WINDOW *w, int y,
                     int x, int h, int width, const chart_view *v, chart_mode mode, int selected)
{
    if (h <= 0 || width <= 0)
        return;
    draw_title(c, over, over_name, w, y, x, width, selected);
    int lw = 9, ph = h - 2, pw = width - lw;
    if (ph < 2 || pw < 10)
        return;
    double lo = v->x0, hi = v->x1 > v->x0 ? v->x1 : v->x0 + 1;
    double ymin = 0, ymax = 0;
    if (!chart_y_range(c, over, lo, hi, &ymin, &ymax)) {
        draw_text(w, y + 1 + ph / 2, x + lw + pw / 2 - 6, "no data yet", pw, theme_attr(ROLE_DIM));
        return;
    }
    raster r = {.cw = pw, .ch = ph, .mode = mode};
    r.sx = mode == CHART_BRAILLE ? 2 : 1;
    r.sy = mode == CHART_BRAILLE ? 4 : 3;
    size_t cells = (size_t)pw * (size_t)ph;
    r.bits = calloc(cells, 1);
    r.who = malloc(cells);
    if (!r.bits || !r.who) {
        free(r.bits);
        free(r.who);
        return;
    }
    memset(r.who, -1, cells);
    /* The second run first: where both pass, the first run's colour wins. */
    if (over)
        raster_series(&r, over, c->ns, lo, hi, ymin, ymax);
    raster_series(&r, c, 0, lo, hi, ymin, ymax);
    int py = y + 1, px = x + lw;
    /* Markers first: data drawn over them stays readable. */
    for (size_t i = 0; i < c->nm; i++) {
        if (c->m[i].x < lo || c->m[i].x > hi)
            continue;
        int col = (int)((c->m[i].x - lo) / (hi - lo) * (pw * r.sx - 1)) / r.sx;
        for (int row = 0; row < ph; row++)
            if (!r.bits[(size_t)row * (size_t)pw + (size_t)col])
                put_cell(w, py + row, px + col, draw_utf8() ? 0x2502 : ':',
                         theme_attr(c->m[i].role));
    }
    for (int row = 0; row < ph; row++)
        for (int col = 0; col < pw; col++) {
            size_t at = (size_t)row * (size_t)pw + (size_t)col;
            if (r.bits[at])
                put_cell(w, py + row, px + col, cell_char(&r, r.bits[at]),
                         theme_attr(role_of(c, over, r.who[at])));
        }
    free(r.bits);
    free(r.who);
    draw_axes(w, py, x, ph, lw, pw, lo, hi, ymin, ymax);
}
