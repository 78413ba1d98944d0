/* Text output for the panes: everything that reaches the terminal from the
 * data goes through draw_textn, so controls are always escaped and widths
 * always counted in cells. */
#include "draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "width.h"

static int utf8_on;

void draw_set_utf8(int on)
{
    utf8_on = on;
}

int draw_utf8(void)
{
    return utf8_on;
}

typedef struct run {
    wchar_t buf[256];
    int n;
} run;

static void flush(WINDOW *w, run *r)
{
    if (r->n > 0)
        waddnwstr(w, r->buf, r->n);
    r->n = 0;
}

int draw_textn(WINDOW *w, int y, int x, const char *s, size_t len, int maxw, unsigned long attr)
{
    if (maxw <= 0)
        return 0;
    int width, cut;
    size_t fit = tw_fit(s, len, maxw, utf8_on, &width, &cut);
    wmove(w, y, x);
    wattrset(w, (int)attr);
    run r = {.n = 0};
    int col = 0;
    tw_unit u;
    for (size_t i = 0; i < fit;) {
        i += tw_next(s + i, fit - i, utf8_on, col == 0, &u);
        if (u.esc[0]) {
            flush(w, &r);
            wattrset(w, (int)theme_attr(ROLE_ESCAPE));
            waddstr(w, u.esc);
            wattrset(w, (int)attr);
        } else {
            if (r.n == (int)(sizeof r.buf / sizeof r.buf[0]) && u.width > 0)
                flush(w, &r);
            if (r.n < (int)(sizeof r.buf / sizeof r.buf[0]))
                r.buf[r.n++] = (wchar_t)u.cp;
        }
        col += u.width;
    }
    flush(w, &r);
    if (cut) {
        /* A double-width character that did not fit leaves a gap to fill. */
        while (col < maxw - 1) {
            waddch(w, ' ');
            col++;
        }
        if (utf8_on)
            waddwstr(w, L"\u2026");
        else
            waddch(w, '~');
        col++;
    }
    return col;
}

int draw_text(WINDOW *w, int y, int x, const char *s, int maxw, unsigned long attr)
{
    return draw_textn(w, y, x, s ? s : "", s ? strlen(s) : 0, maxw, attr);
}

int draw_printf(WINDOW *w, int y, int x, int maxw, unsigned long attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return draw_text(w, y, x, buf, maxw, attr);
}

void draw_fill(WINDOW *w, int y, int x, int n, unsigned long attr)
{
    if (n <= 0)
        return;
    wattrset(w, (int)attr);
    mvwhline(w, y, x, ' ', n);
}

/* Lines are drawn as characters (box drawing in UTF-8, ASCII otherwise),
 * not with the alternate character set: terminfo entries for ACS are often
 * wrong for the terminal really at the other end of an SSH connection. */
void draw_glyph(WINDOW *w, int y, int x, wchar_t wide, char ascii, unsigned long attr)
{
    wattrset(w, (int)attr);
    if (utf8_on)
        mvwaddnwstr(w, y, x, &wide, 1);
    else
        mvwaddch(w, y, x, (chtype)(unsigned char)ascii);
}

void draw_hline(WINDOW *w, int y, int x, int n, unsigned long attr)
{
    for (int i = 0; i < n; i++)
        draw_glyph(w, y, x + i, 0x2500, '-', attr);
}

void draw_vline(WINDOW *w, int y, int x, int n, unsigned long attr)
{
    for (int i = 0; i < n; i++)
        draw_glyph(w, y + i, x, 0x2502, '|', attr);
}
