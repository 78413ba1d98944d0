/* A line chart widget that keeps its own series (steps and values) apart
 * from its drawing, and draws them with braille dots (2x4 per cell) when the
 * terminal shows UTF-8 and with ASCII (1x3 per cell) otherwise, with value
 * and step axes, the latest values as text, and vertical event markers. */
#ifndef TUI_CHART_H
#define TUI_CHART_H

#include <stddef.h>

#include "tcurses.h"
#include "theme.h"

#define CHART_MAX_SERIES 4

typedef struct chart_series {
    char name[24];
    tui_role role;
    double *x, *y;     /* steps and values, x non-decreasing */
    size_t n, cap;
} chart_series;

typedef struct chart_marker {
    double x;
    tui_role role;
} chart_marker;

typedef struct chart {
    char title[48];
    chart_series s[CHART_MAX_SERIES];
    int ns;
    chart_marker *m;
    size_t nm, capm;
    char note[64];     /* extra text for the title line ("patience 2") */
} chart;

/* The steps shown: [x0, x1]; follow = fit all the data and track new steps. */
typedef struct chart_view {
    double x0, x1;
    int follow;
} chart_view;

typedef enum { CHART_BRAILLE, CHART_ASCII } chart_mode;

void chart_init(chart *c, const char *title);
void chart_free(chart *c);
/* Adds a series; returns its index, or -1 when the chart is full. */
int chart_add_series(chart *c, const char *name, tui_role role);
/* Appends a point (NaN and infinite values are skipped); -1 if out of memory. */
int chart_push(chart *c, int series, double x, double y);
int chart_add_marker(chart *c, double x, tui_role role);
/* Empties the series and markers (keeps the series' names). */
void chart_clear(chart *c);
/* The smallest and largest step over every series; 0 when there is none. */
int chart_x_range(const chart *c, double *lo, double *hi);

/* View arithmetic, shared by every chart of a pane (pure). */
void chart_view_fit(chart_view *v, double lo, double hi);
void chart_view_zoom(chart_view *v, double factor, double lo, double hi);
void chart_view_scroll(chart_view *v, double fraction, double lo, double hi);

/* A value for an axis label or the legend, in at most 7 characters. */
void chart_format(double v, char *buf, size_t size);

/* Draws the chart in the rectangle (at least 4 rows and 20 columns, else
 * only the title line). */
void chart_draw(const chart *c, WINDOW *w, int y, int x, int h, int width, const chart_view *v,
                chart_mode mode, int selected);
/* The same with a second run's chart drawn on the same axes under the
 * first (its series in their own roles), its latest values after
 * `over_name` on the title line; over may be NULL. */
void chart_draw_over(const chart *c, const chart *over, const char *over_name, WINDOW *w, int y,
                     int x, int h, int width, const chart_view *v, chart_mode mode, int selected);
/* The value range of the series of c (and over, when not NULL) between
 * steps lo and hi, padded for drawing; 0 when there is no point there. */
int chart_y_range(const chart *c, const chart *over, double lo, double hi, double *ymin,
                  double *ymax);

#endif
