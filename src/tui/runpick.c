/* The second-run chooser (see runpick.h). */
#include "runpick.h"

#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "keys.h"

int runpick_open(runpick *rp, const char *runs_dir)
{
    runpick_close(rp);
    if (runlist_scan(&rp->runs, runs_dir) < 0)
        return -1;
    memset(&rp->lv, 0, sizeof rp->lv);
    lv_set_count(&rp->lv, rp->runs.n);
    rp->open = rp->runs.n > 0;
    return (int)rp->runs.n;
}

void runpick_close(runpick *rp)
{
    runlist_free(&rp->runs);
    rp->open = 0;
}

typedef struct row_ctx {
    const runpick *rp;
    const char *current;
    int name_w;
} row_ctx;

static void draw_row(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                     unsigned long attr, int is_cur)
{
    const row_ctx *rc = ctx;
    const run_entry *e = &rc->rp->runs.e[row];
    char best[96];
    runlist_describe(e, best, sizeof best);
    int col = draw_text(w, y, x + 1, e->name, rc->name_w, attr) + 1;
    col = col < rc->name_w + 2 ? rc->name_w + 2 : col;
    col += draw_text(w, y, x + col, best, width - col,
                     is_cur ? attr : theme_attr(e->metric[0] ? ROLE_NORMAL : ROLE_DIM));
    if (rc->current && !strcmp(rc->current, e->dir) && col + 12 < width)
        draw_text(w, y, x + col, "  (shown)", width - col, is_cur ? attr : theme_attr(ROLE_DIM));
}

void runpick_draw(runpick *rp, WINDOW *w, int y, int x, int h, int width, const char *current_dir)
{
    if (!rp->open || h < 3 || width < 10)
        return;
    for (int r = 0; r < h; r++)
        draw_fill(w, y + r, x, width, theme_attr(ROLE_OVERLAY));
    draw_text(w, y, x + 1, "Overlay which run?  Enter picks, Esc cancels", width - 2,
              theme_attr(ROLE_HEADER));
    row_ctx rc = {rp, current_dir, 12};
    for (size_t i = 0; i < rp->runs.n; i++) {
        int l = (int)strlen(rp->runs.e[i].name);
        if (l > rc.name_w)
            rc.name_w = l;
    }
    if (rc.name_w > width / 2)
        rc.name_w = width / 2;
    lv_draw(&rp->lv, w, y + 1, x, h - 1, width, 1, draw_row, &rc);
}

rp_result runpick_key(runpick *rp, int code)
{
    if (!rp->open)
        return RP_IGNORED;
    if (code == '\r')
        return RP_PICKED;
    if (code == 0x1b) {
        runpick_close(rp);
        return RP_CANCELLED;
    }
    return lv_action(&rp->lv, keys_action(KS_LIST, code)) ? RP_MOVED : RP_IGNORED;
}

const run_entry *runpick_chosen(const runpick *rp)
{
    return rp->open && rp->lv.cur < rp->runs.n ? &rp->runs.e[rp->lv.cur] : NULL;
}
