/* The text field's visual layout: rows wrapped by display width (a wide
 * character or a character with its marks never splits), the cursor's row
 * and column, and moving up and down by rows keeping the column. */
#include <stdlib.h>

#include "textfield.h"
#include "width.h"

static int cluster_width(const textfield *tf, size_t i, size_t e, int at_start)
{
    int w = tw_cp_width(tf->cp[i], tf->utf8, at_start);
    for (size_t k = i + 1; k < e; k++)
        w += tw_cp_width(tf->cp[k], tf->utf8, 0);
    return w;
}

int tf_span_width(const textfield *tf, size_t from, size_t to)
{
    int w = 0;
    for (size_t i = from; i < to;) {
        size_t e = tf_next_char(tf, i);
        w += cluster_width(tf, i, e, i == from);
        i = e;
    }
    return w;
}

size_t tf_layout(const textfield *tf, int width, tf_row *rows, size_t cap)
{
    if (width < 1)
        width = 1;
    size_t n = 0;
    size_t i = 0;
    for (;;) {
        size_t start = i;
        int col = 0;
        int done_line = 0;
        while (i < tf->len && tf->cp[i] != '\n') {
            size_t e = tf_next_char(tf, i);
            int w = cluster_width(tf, i, e, col == 0);
            if (col > 0 && col + w > width)
                break;
            col += w;
            i = e;
        }
        if (i >= tf->len || tf->cp[i] == '\n')
            done_line = 1;
        if (n < cap)
            rows[n] = (tf_row){start, i, done_line};
        n++;
        if (i >= tf->len)
            break;
        if (tf->cp[i] == '\n')
            i++;
    }
    return n;
}

static tf_row *layout_alloc(const textfield *tf, int width, size_t *n)
{
    size_t count = tf_layout(tf, width, NULL, 0);
    tf_row *rows = malloc(count * sizeof *rows);
    if (rows)
        tf_layout(tf, width, rows, count);
    *n = rows ? count : 0;
    return rows;
}

static size_t row_of(const tf_row *rows, size_t n, size_t cur)
{
    for (size_t r = 0; r < n; r++)
        if (cur >= rows[r].start && (cur < rows[r].end || (cur == rows[r].end && rows[r].last)))
            return r;
    return n ? n - 1 : 0;
}

void tf_cursor_rc(const textfield *tf, int width, size_t *row, int *col)
{
    size_t n;
    tf_row *rows = layout_alloc(tf, width, &n);
    if (!rows) {
        *row = 0;
        *col = 0;
        return;
    }
    size_t r = row_of(rows, n, tf->cur);
    *row = r;
    *col = tf_span_width(tf, rows[r].start, tf->cur);
    free(rows);
}

/* The position in row r whose column is the last one not past `goal`. */
static size_t pos_at_col(const textfield *tf, const tf_row *row, int goal)
{
    size_t i = row->start;
    int col = 0;
    while (i < row->end) {
        size_t e = tf_next_char(tf, i);
        int w = cluster_width(tf, i, e, i == row->start);
        if (col + w > goal)
            break;
        col += w;
        i = e;
    }
    /* The end of a wrapped row is the start of the next: stay on this one. */
    if (i == row->end && !row->last && i > row->start)
        i = tf_prev_char(tf, i);
    return i;
}

static int vertical(textfield *tf, int width, int dir)
{
    size_t n;
    tf_row *rows = layout_alloc(tf, width, &n);
    if (!rows)
        return 0;
    size_t r = row_of(rows, n, tf->cur);
    int ok = dir < 0 ? r > 0 : r + 1 < n;
    if (ok) {
        int goal = tf->goal_col >= 0 ? tf->goal_col : tf_span_width(tf, rows[r].start, tf->cur);
        tf_move_to(tf, pos_at_col(tf, &rows[dir < 0 ? r - 1 : r + 1], goal), goal);
    }
    free(rows);
    return ok;
}

int tf_up(textfield *tf, int width)
{
    return vertical(tf, width, -1);
}

int tf_down(textfield *tf, int width)
{
    return vertical(tf, width, 1);
}
