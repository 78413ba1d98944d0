/* Text field keys and drawing (see tfview.h). The layout is one cell
 * narrower than the field so the cursor always has a cell after the text. */
#include "tfview.h"

#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "keys.h"

void tfv_init(tfview *v, int multiline, int utf8, const char *text)
{
    memset(v, 0, sizeof *v);
    tf_init(&v->tf, multiline, utf8);
    tf_set(&v->tf, text ? text : "");
}

void tfv_free(tfview *v)
{
    tf_free(&v->tf);
    free(v->paste);
    memset(v, 0, sizeof *v);
}

static void paste_add(tfview *v, int code)
{
    char buf[4];
    size_t n;
    uint32_t c = (uint32_t)code;
    if (c < 0x80) {
        buf[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        buf[0] = (char)(0xc0 | (c >> 6));
        buf[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        buf[0] = (char)(0xe0 | (c >> 12));
        buf[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        buf[0] = (char)(0xf0 | (c >> 18));
        buf[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        buf[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    if (v->paste_len + n + 1 > v->paste_cap) {
        size_t nc = v->paste_cap ? v->paste_cap * 2 : 256;
        while (nc < v->paste_len + n + 1)
            nc *= 2;
        char *np = realloc(v->paste, nc);
        if (!np)
            return;
        v->paste = np;
        v->paste_cap = nc;
    }
    memcpy(v->paste + v->paste_len, buf, n);
    v->paste_len += n;
    v->paste[v->paste_len] = '\0';
}

static tfv_result paste_key(tfview *v, int code)
{
    if (code == TK_PASTE_END) {
        v->pasting = 0;
        int rc = v->paste_len ? tf_insert_text(&v->tf, v->paste) : 0;
        v->paste_len = 0;
        return rc > 0 ? TFV_CHANGED : TFV_MOVED;
    }
    /* Inside a paste every character is text, Enter and Tab included. */
    if (!TK_IS_FN(code) && !(code & TK_ALT))
        paste_add(v, code == '\r' ? '\n' : code);
    return TFV_MOVED;
}

static tfv_result edited(int rc)
{
    return rc > 0 ? TFV_CHANGED : TFV_MOVED;
}

tfv_result tfv_key(tfview *v, int code, int width)
{
    textfield *tf = &v->tf;
    int lw = width > 1 ? width - 1 : 1;
    if (v->pasting)
        return paste_key(v, code);
    if (code == TK_PASTE_START) {
        v->pasting = 1;
        v->paste_len = 0;
        return TFV_MOVED;
    }
    switch (keys_action(KS_TEXT, code)) {
    case ACT_T_COMMIT: return TFV_COMMIT;
    case ACT_T_CANCEL: return TFV_CANCEL;
    case ACT_T_COMPLETE: return TFV_COMPLETE;
    case ACT_T_NEWLINE: return tf->multiline ? edited(tf_insert(tf, '\n')) : TFV_MOVED;
    case ACT_T_LEFT: tf_left(tf); return TFV_MOVED;
    case ACT_T_RIGHT: tf_right(tf); return TFV_MOVED;
    case ACT_T_WORD_LEFT: tf_word_left(tf); return TFV_MOVED;
    case ACT_T_WORD_RIGHT: tf_word_right(tf); return TFV_MOVED;
    case ACT_T_HOME: tf_home(tf); return TFV_MOVED;
    case ACT_T_END: tf_end(tf); return TFV_MOVED;
    case ACT_T_UP: tf_up(tf, lw); return TFV_MOVED;
    case ACT_T_DOWN: tf_down(tf, lw); return TFV_MOVED;
    case ACT_T_BACKSPACE: return edited(tf_backspace(tf));
    case ACT_T_DELETE: return edited(tf_delete(tf));
    case ACT_T_KILL_END: return edited(tf_kill_end(tf));
    case ACT_T_KILL_START: return edited(tf_kill_start(tf));
    case ACT_T_KILL_WORD: return edited(tf_kill_word(tf));
    case ACT_T_UNDO: return edited(tf_undo(tf));
    case ACT_T_REDO: return edited(tf_redo(tf));
    default: break;
    }
    if (code >= 0x20 && code != 0x7f && !TK_IS_FN(code) && !(code & TK_ALT))
        return edited(tf_insert(tf, (uint32_t)code));
    return TFV_IGNORED;
}

size_t tfv_rows(const tfview *v, int width)
{
    return tf_layout(&v->tf, width > 1 ? width - 1 : 1, NULL, 0);
}

int tfv_draw(tfview *v, WINDOW *w, int y, int x, int h, int width, unsigned long attr)
{
    if (h <= 0 || width <= 0)
        return 0;
    int lw = width > 1 ? width - 1 : 1;
    size_t n = tf_layout(&v->tf, lw, NULL, 0);
    tf_row *rows = malloc(n * sizeof *rows);
    if (!rows)
        return 0;
    tf_layout(&v->tf, lw, rows, n);
    size_t crow;
    int ccol;
    tf_cursor_rc(&v->tf, lw, &crow, &ccol);
    if (crow < v->top)
        v->top = crow;
    if (crow >= v->top + (size_t)h)
        v->top = crow - (size_t)h + 1;
    int used = 0;
    for (int i = 0; i < h; i++) {
        size_t r = v->top + (size_t)i;
        draw_fill(w, y + i, x, width, attr);
        if (r >= n)
            continue;
        char *text = tf_text_range(&v->tf, rows[r].start, rows[r].end);
        if (text) {
            draw_text(w, y + i, x, text, width, attr);
            free(text);
        }
        used = i + 1;
    }
    v->cy = y + (int)(crow - v->top);
    v->cx = x + (ccol < width ? ccol : width - 1);
    free(rows);
    return used;
}

size_t tfv_text_rows(const char *text, int width)
{
    textfield tf;
    tf_init(&tf, 1, draw_utf8());
    tf_set(&tf, text);
    size_t n = tf_layout(&tf, width > 1 ? width - 1 : 1, NULL, 0);
    tf_free(&tf);
    return n;
}

void tfv_draw_text(WINDOW *w, int y, int x, int h, int width, const char *text,
                   unsigned long attr)
{
    if (h <= 0 || width <= 1)
        return;
    textfield tf;
    tf_init(&tf, 1, draw_utf8());
    tf_set(&tf, text);
    size_t n = tf_layout(&tf, width - 1, NULL, 0);
    tf_row *rows = malloc(n * sizeof *rows);
    if (rows) {
        tf_layout(&tf, width - 1, rows, n);
        for (int r = 0; r < h && (size_t)r < n; r++) {
            char *t = tf_text_range(&tf, rows[r].start, rows[r].end);
            int last_shown = r == h - 1 && (size_t)h < n;
            /* A cut-off text ends in an ellipsis on its last visible row. */
            if (t)
                draw_text(w, y + r, x, t, last_shown ? width - 1 : width, attr);
            if (last_shown)
                draw_text(w, y + r, x + width - 1, draw_utf8() ? "\u2026" : "~", 1,
                          theme_attr(ROLE_DIM));
            free(t);
        }
        free(rows);
    }
    tf_free(&tf);
}
