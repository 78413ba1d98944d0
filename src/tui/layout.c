/* The workbench's layout rules (see layout.h). Split mode: the dataset over
 * the editor on the left (where annotation happens), the charts over the
 * hyperparameters and the log on the right; the report or the Try pane
 * takes the charts' place while it is in front, the augmentation review
 * the editor's. */
#include "layout.h"

#include <string.h>

static rect mk(int y, int x, int h, int w)
{
    rect r = {y, x, h, w};
    return r;
}

/* Splits height h into parts proportional to weights, each at least min. */
static void split_rows(int y, int h, const int *weights, int n, int min, int *ys, int *hs)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    int used = 0;
    for (int i = 0; i < n; i++) {
        int part = i == n - 1 ? h - used : h * weights[i] / total;
        if (part < min)
            part = min;
        if (used + part > h)
            part = h - used;
        ys[i] = y + used;
        hs[i] = part < 0 ? 0 : part;
        used += hs[i];
    }
}

/* Panes sharing one place in split mode; the first is there by default,
 * P_COUNT ends a shorter group. */
#define SHARE_MAX 3
static const pane_id shared[][SHARE_MAX] = {{P_CHART, P_REPORT, P_TRY},
                                            {P_EDIT, P_AUGMENT, P_COUNT}};
#define N_SHARED (sizeof shared / sizeof shared[0])

static unsigned group_bits(size_t g)
{
    unsigned bits = 0;
    for (int k = 0; k < SHARE_MAX && shared[g][k] != P_COUNT; k++)
        bits |= 1u << shared[g][k];
    return bits;
}

unsigned layout_front(unsigned front, pane_id id)
{
    for (size_t g = 0; g < N_SHARED; g++)
        if (group_bits(g) & 1u << id)
            return (front & ~group_bits(g)) | 1u << id;
    return front;
}

static void share_places(unsigned front, layout *out)
{
    for (size_t g = 0; g < N_SHARED; g++)
        for (int k = 1; k < SHARE_MAX && shared[g][k] != P_COUNT; k++)
            if (front & 1u << shared[g][k]) {
                out->pane[shared[g][k]] = out->pane[shared[g][0]];
                out->pane[shared[g][0]] = mk(0, 0, 0, 0);
            }
}

void layout_compute(int cols, int rows, pane_id shown, int zoom, unsigned front, layout *out)
{
    memset(out, 0, sizeof *out);
    out->sep_x = -1;
    if (cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS) {
        out->mode = LAYOUT_TOO_SMALL;
        return;
    }
    out->top = mk(0, 0, 1, cols);
    out->status = mk(rows - 2, 0, 1, cols);
    out->keys = mk(rows - 1, 0, 1, cols);
    int area_y = 1, area_h = rows - 3;
    if ((unsigned)shown >= P_COUNT)
        shown = P_DATA;
    int wide = cols >= LAYOUT_WIDE_COLS && rows >= LAYOUT_WIDE_ROWS;
    if (!wide || zoom) {
        out->mode = wide ? LAYOUT_SPLIT : LAYOUT_TABS;
        out->pane[shown] = mk(area_y, 0, area_h, cols);
        return;
    }
    out->mode = LAYOUT_SPLIT;
    int left_w = cols * 11 / 20;
    int right_x = left_w + 1, right_w = cols - right_x;
    out->sep_x = left_w;
    out->sep_y = area_y;
    out->sep_h = area_h;
    int ys[3], hs[3];
    static const int left_weights[2] = {3, 2};
    split_rows(area_y, area_h, left_weights, 2, 5, ys, hs);
    out->pane[P_DATA] = mk(ys[0], 0, hs[0], left_w);
    out->pane[P_EDIT] = mk(ys[1], 0, hs[1], left_w);
    static const int right_weights[3] = {10, 6, 4};
    split_rows(area_y, area_h, right_weights, 3, 4, ys, hs);
    out->pane[P_CHART] = mk(ys[0], right_x, hs[0], right_w);
    out->pane[P_FORM] = mk(ys[1], right_x, hs[1], right_w);
    out->pane[P_LOG] = mk(ys[2], right_x, hs[2], right_w);
    share_places(front, out);
}
