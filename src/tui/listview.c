/* The virtual list (see listview.h). */
#include "listview.h"

#include "draw.h"
#include "theme.h"

static void clamp(listview *lv)
{
    if (lv->count == 0) {
        lv->cur = lv->top = 0;
        return;
    }
    if (lv->cur >= lv->count)
        lv->cur = lv->count - 1;
    size_t rows = lv->rows > 0 ? (size_t)lv->rows : 1;
    if (lv->cur < lv->top)
        lv->top = lv->cur;
    if (lv->cur >= lv->top + rows)
        lv->top = lv->cur - rows + 1;
    /* No empty space below the last row while there are rows above. */
    if (lv->top + rows > lv->count)
        lv->top = lv->count > rows ? lv->count - rows : 0;
}

void lv_set_count(listview *lv, size_t count)
{
    lv->count = count;
    clamp(lv);
}

void lv_set_rows(listview *lv, int rows)
{
    lv->rows = rows;
    clamp(lv);
}

void lv_goto(listview *lv, size_t row)
{
    lv->cur = row;
    clamp(lv);
}

size_t lv_row_at(const listview *lv, int line)
{
    if (line < 0 || line >= lv->rows)
        return (size_t)-1;
    size_t row = lv->top + (size_t)line;
    return row < lv->count ? row : (size_t)-1;
}

int lv_action(listview *lv, key_action a)
{
    size_t page = lv->rows > 1 ? (size_t)lv->rows - 1 : 1;
    switch (a) {
    case ACT_UP:
        if (lv->cur > 0)
            lv->cur--;
        break;
    case ACT_DOWN:
        if (lv->cur + 1 < lv->count)
            lv->cur++;
        break;
    case ACT_PAGE_UP:
        lv->cur = lv->cur > page ? lv->cur - page : 0;
        lv->top = lv->top > page ? lv->top - page : 0;
        break;
    case ACT_PAGE_DOWN:
        lv->cur += page;
        lv->top += page;
        break;
    case ACT_TOP:
        lv->cur = 0;
        break;
    case ACT_BOTTOM:
        lv->cur = lv->count ? lv->count - 1 : 0;
        break;
    default:
        return 0;
    }
    clamp(lv);
    return 1;
}

void lv_draw(listview *lv, WINDOW *w, int y, int x, int h, int width, int focused, lv_row_fn fn,
             void *ctx)
{
    if (h <= 0 || width <= 0)
        return;
    lv_set_rows(lv, h);
    int bar = lv->count > (size_t)h && width > 2;
    int rw = bar ? width - 1 : width;
    unsigned long normal = theme_attr(ROLE_NORMAL);
    unsigned long sel = theme_attr(focused ? ROLE_SELECTED : ROLE_SELECTED_DIM);
    for (int i = 0; i < h; i++) {
        size_t row = lv->top + (size_t)i;
        if (row >= lv->count)
            break;
        int is_cur = row == lv->cur;
        unsigned long attr = is_cur ? sel : normal;
        if (is_cur)
            draw_fill(w, y + i, x, rw, attr);
        fn(ctx, w, row, y + i, x, rw, attr, is_cur);
    }
    if (bar) {
        /* A thumb whose position says where the visible rows are. */
        size_t span = lv->count - (size_t)h;
        int thumb = (int)((double)lv->top / (double)span * (h - 1) + 0.5);
        draw_vline(w, y, x + width - 1, h, theme_attr(ROLE_BORDER));
        wattrset(w, (int)theme_attr(ROLE_TITLE_FOCUS));
        mvwaddch(w, y + thumb, x + width - 1, ' ');
    }
}
