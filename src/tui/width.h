/* Display width of UTF-8 text in terminal cells, and the escapes that stand
 * for characters that must never reach the terminal (controls, bidi
 * overrides). Pure functions; no curses. */
#ifndef TUI_WIDTH_H
#define TUI_WIDTH_H

#include <stddef.h>
#include <stdint.h>

/* One thing shown on screen: a character of `width` cells (0 for a combining
 * mark that joins the previous one), or an escape such as "\n" or "\u202e". */
typedef struct tw_unit {
    uint32_t cp;        /* the character to draw (when esc is empty) */
    int width;          /* cells */
    char esc[12];       /* the escape to draw instead, or "" */
    size_t bytes;       /* bytes of input it stands for */
} tw_unit;

/* Decodes the unit at s (len > 0 bytes left). utf8 = 0 means the terminal
 * shows ASCII only: other characters become '?'. Invalid bytes are shown as
 * "\xHH". `at_start`: nothing precedes it on the line, so a combining mark
 * there is escaped (it has nothing to join). Returns the bytes used (>= 1). */
size_t tw_next(const char *s, size_t len, int utf8, int at_start, tw_unit *u);

/* Width of one code point as drawn (escapes included); used by the text field. */
int tw_cp_width(uint32_t cp, int utf8, int at_start);
/* True for a character that joins the one before it (combining marks, ZWJ,
 * variation selectors): the cursor never stops before it. */
int tw_cp_joins(uint32_t cp, int utf8);

/* Display width of s[0..len). */
int tw_width(const char *s, size_t len, int utf8);

/* The longest prefix of s that fits in maxw cells. When all of s fits,
 * *cut = 0 and the whole length is returned; otherwise *cut = 1 and the
 * prefix leaves one cell for an ellipsis. *width gets the prefix's width.
 * A double-width character never straddles the limit. */
size_t tw_fit(const char *s, size_t len, int maxw, int utf8, int *width, int *cut);

#endif
