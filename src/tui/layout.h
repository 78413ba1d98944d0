/* Where each pane goes for a terminal size: side by side when wide enough,
 * one at a time with a tab bar when narrow, a message when too small.
 * Pure arithmetic, so it can be tested without a terminal. */
#ifndef TUI_LAYOUT_H
#define TUI_LAYOUT_H

/* The panes, in tab order. */
typedef enum {
    P_DATA, P_EDIT, P_FORM, P_CHART, P_LOG, P_REPORT, P_AUGMENT, P_TRY, P_COUNT
} pane_id;

#define LAYOUT_MIN_COLS 60
#define LAYOUT_MIN_ROWS 16
/* From this size on, panes go side by side. */
#define LAYOUT_WIDE_COLS 100
#define LAYOUT_WIDE_ROWS 24

typedef enum { LAYOUT_TOO_SMALL, LAYOUT_TABS, LAYOUT_SPLIT } layout_mode;

typedef struct rect {
    int y, x, h, w;  /* h = 0: not shown */
} rect;

typedef struct layout {
    layout_mode mode;
    rect pane[P_COUNT];
    rect top;        /* title or tab bar (row 0) */
    rect status;     /* status line */
    rect keys;       /* function-key bar (last row) */
    int sep_x;       /* column of the vertical separator in split mode, or -1 */
    int sep_y, sep_h;
} layout;

/* Computes the layout for cols x rows. `shown` is the pane shown in tab mode
 * and, when `zoom` is set, the pane that fills the whole area. In split
 * mode some panes share a place (the report and the Try pane the charts',
 * the augmentation review the editor's); `front` (bits
 * 1u << id, kept by layout_front) says which of them is shown there. */
void layout_compute(int cols, int rows, pane_id shown, int zoom, unsigned front, layout *out);
/* The front set once pane id has the focus: it comes to the front of its place. */
unsigned layout_front(unsigned front, pane_id id);

#endif
