/* Display widths by wcwidth() under the user's locale (so CJK counts two
 * cells exactly when the terminal's locale says so), with control and
 * format characters turned into visible escapes. */
#include "width.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "agentft/utf8.h"

/* Characters that could reorder or hide text on the terminal (bidi
 * overrides and isolates, zero-width spaces, the BOM): shown escaped, so
 * what the user sees is what the data holds. */
static int is_format(uint32_t cp)
{
    return (cp >= 0x200b && cp <= 0x200c) || (cp >= 0x200e && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
           cp == 0x061c;
}

static void escape(uint32_t cp, tw_unit *u)
{
    switch (cp) {
    case '\n': snprintf(u->esc, sizeof u->esc, "\\n"); break;
    case '\t': snprintf(u->esc, sizeof u->esc, "\\t"); break;
    case '\r': snprintf(u->esc, sizeof u->esc, "\\r"); break;
    case 0x1b: snprintf(u->esc, sizeof u->esc, "\\e"); break;
    default:
        if (cp < 0x100)
            snprintf(u->esc, sizeof u->esc, "\\x%02x", (unsigned)cp);
        else
            snprintf(u->esc, sizeof u->esc, "\\u%04x", (unsigned)cp);
    }
    u->width = (int)strlen(u->esc);
}

int tw_cp_joins(uint32_t cp, int utf8)
{
    if (!utf8 || cp < 0x300 || is_format(cp))
        return 0;
    if (cp == 0x200d)
        return 1; /* zero-width joiner: part of an emoji sequence */
    return wcwidth((wchar_t)cp) == 0;
}

static void classify(uint32_t cp, int utf8, int at_start, tw_unit *u)
{
    u->cp = cp;
    u->esc[0] = '\0';
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || is_format(cp)) {
        escape(cp, u);
        return;
    }
    if (cp < 0x7f) {
        u->width = 1;
        return;
    }
    if (!utf8) {
        u->cp = '?';
        u->width = 1;
        return;
    }
    int w = wcwidth((wchar_t)cp);
    if (w < 0 || (w == 0 && at_start))
        escape(cp, u);
    else
        u->width = w;
}

size_t tw_next(const char *s, size_t len, int utf8, int at_start, tw_unit *u)
{
    uint32_t cp;
    size_t n = aft_utf8_decode(s, len, &cp);
    if (n == 0) {
        u->cp = 0;
        snprintf(u->esc, sizeof u->esc, "\\x%02x", (unsigned char)s[0]);
        u->width = 4;
        u->bytes = 1;
        return 1;
    }
    classify(cp, utf8, at_start, u);
    u->bytes = n;
    return n;
}

int tw_cp_width(uint32_t cp, int utf8, int at_start)
{
    tw_unit u;
    classify(cp, utf8, at_start, &u);
    return u.width;
}

int tw_width(const char *s, size_t len, int utf8)
{
    int w = 0;
    tw_unit u;
    for (size_t i = 0; i < len;) {
        i += tw_next(s + i, len - i, utf8, w == 0, &u);
        w += u.width;
    }
    return w;
}

size_t tw_fit(const char *s, size_t len, int maxw, int utf8, int *width, int *cut)
{
    int w = 0, w_at_room = 0;
    size_t i = 0, at_room = 0; /* the longest prefix that leaves a cell for "…" */
    tw_unit u;
    *cut = 0;
    if (maxw <= 0) {
        *width = 0;
        *cut = len > 0;
        return 0;
    }
    while (i < len) {
        size_t n = tw_next(s + i, len - i, utf8, w == 0, &u);
        if (w + u.width > maxw) {
            *cut = 1;
            *width = w_at_room;
            return at_room;
        }
        w += u.width;
        i += n;
        /* A combining mark after the cut-off point belongs to its base. */
        if (w <= maxw - 1) {
            size_t j = i;
            tw_unit m;
            while (j < len && tw_next(s + j, len - j, utf8, 0, &m) && m.width == 0 && !m.esc[0])
                j += m.bytes;
            if (j == i) {
                at_room = i;
                w_at_room = w;
            }
        }
    }
    *width = w;
    return len;
}
