/* Small drawing helpers every pane uses: text cut to a width in cells with
 * escapes for control characters, fills, and the UTF-8/ASCII choice. */
#ifndef TUI_DRAW_H
#define TUI_DRAW_H

#include <stddef.h>

#include "tcurses.h"
#include "theme.h"

/* Whether the terminal shows UTF-8 (decided from the locale at start). */
void draw_set_utf8(int on);
int draw_utf8(void);

/* Draws s[0..len) at (y, x) in at most maxw cells with attribute attr; text
 * that does not fit ends in an ellipsis. Control characters are drawn as
 * escapes (\n, \x01) in ROLE_ESCAPE. Returns the cells used. */
int draw_textn(WINDOW *w, int y, int x, const char *s, size_t len, int maxw, unsigned long attr);
int draw_text(WINDOW *w, int y, int x, const char *s, int maxw, unsigned long attr);
int draw_printf(WINDOW *w, int y, int x, int maxw, unsigned long attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Fills n cells from (y, x) with spaces in attr. */
void draw_fill(WINDOW *w, int y, int x, int n, unsigned long attr);
/* One line-drawing character: `wide` in UTF-8, `ascii` otherwise. */
void draw_glyph(WINDOW *w, int y, int x, wchar_t wide, char ascii, unsigned long attr);
/* A horizontal rule of n cells and a vertical one of n rows. */
void draw_hline(WINDOW *w, int y, int x, int n, unsigned long attr);
void draw_vline(WINDOW *w, int y, int x, int n, unsigned long attr);

#endif
