/* Theme colours on the terminal: the built-in table, colour and attribute
 * words, down-conversion of #rrggbb to the 256-colour cube, and one colour
 * pair per role. Never calls init_color(): palettes belong to the user. */
#include "theme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tcurses.h"

static unsigned long role_attr[ROLE_COUNT];
static theme_depth depth = THEME_MONO;
static char current_name[64] = "dark";

static const theme_spec builtin[ROLE_COUNT] = {
#define TUI_ROLE_SPEC(id, name, fg, bg, attrs, mono) {fg, bg, "", "", attrs, mono},
    TUI_ROLES(TUI_ROLE_SPEC)
#undef TUI_ROLE_SPEC
};

static const char *const role_names[ROLE_COUNT] = {
#define TUI_ROLE_NAME(id, name, fg, bg, attrs, mono) name,
    TUI_ROLES(TUI_ROLE_NAME)
#undef TUI_ROLE_NAME
};

const char *theme_role_name(tui_role r)
{
    return (unsigned)r < ROLE_COUNT ? role_names[r] : NULL;
}

void theme_builtin(theme *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "dark");
    snprintf(t->source, sizeof t->source, "built-in");
    memcpy(t->spec, builtin, sizeof builtin);
}

/* The six levels of each axis of xterm's 6x6x6 colour cube (16..231). */
static const int cube[6] = {0, 95, 135, 175, 215, 255};

static int nearest_level(int v)
{
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(cube[i] - v) < abs(cube[best] - v))
            best = i;
    return best;
}

static int dist2(int r1, int g1, int b1, int r2, int g2, int b2)
{
    return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}

int theme_rgb_to_256(int r, int g, int b)
{
    /* Either the nearest cube entry or the nearest of the 24 greys
     * (232..255: 8, 18, ..., 238), whichever is closer. */
    int qr = nearest_level(r), qg = nearest_level(g), qb = nearest_level(b);
    int cube_idx = 16 + 36 * qr + 6 * qg + qb;
    int cube_d = dist2(r, g, b, cube[qr], cube[qg], cube[qb]);
    int avg = (r + g + b) / 3;
    int gi = avg <= 8 ? 0 : avg >= 238 ? 23 : (avg - 8 + 5) / 10;
    int grey = 8 + 10 * gi;
    int grey_d = dist2(r, g, b, grey, grey, grey);
    return grey_d < cube_d ? 232 + gi : cube_idx;
}

static const char *const colour_words[8] = {"black", "red",     "green", "yellow",
                                            "blue",  "magenta", "cyan",  "white"};

int theme_parse_colour(const char *s, int allow_256)
{
    if (!s || !*s || strcasecmp(s, "default") == 0 || strcasecmp(s, "none") == 0)
        return -1;
    for (int i = 0; i < 8; i++)
        if (strcasecmp(s, colour_words[i]) == 0)
            return i;
    if (s[0] == '#' && strlen(s) == 7) {
        char *end;
        long v = strtol(s + 1, &end, 16);
        if (*end)
            return -2;
        int r = (int)(v >> 16) & 255, g = (int)(v >> 8) & 255, b = (int)v & 255;
        if (allow_256)
            return theme_rgb_to_256(r, g, b);
        /* 8 colours: the primary whose bits match the channels above half. */
        return (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0);
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 0 || v > 255)
        return -2;
    if (!allow_256 && v >= 8)
        return v < 16 ? (int)v - 8 : -2;
    return (int)v;
}

int theme_parse_attrs(const char *s, unsigned long *attrs)
{
    static const struct {
        const char *word;
        unsigned long attr;
    } words[] = {{"bold", A_BOLD},   {"dim", A_DIM},           {"underline", A_UNDERLINE},
                 {"reverse", A_REVERSE}, {"standout", A_STANDOUT}, {"italic", A_ITALIC},
                 {"normal", A_NORMAL}};
    *attrs = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    char *save = NULL;
    for (char *w = strtok_r(buf, " ,|", &save); w; w = strtok_r(NULL, " ,|", &save)) {
        size_t i;
        for (i = 0; i < sizeof words / sizeof words[0]; i++)
            if (strcasecmp(w, words[i].word) == 0)
                break;
        if (i == sizeof words / sizeof words[0])
            return -1;
        *attrs |= words[i].attr;
    }
    return 0;
}

static unsigned long attrs_of(const char *s)
{
    unsigned long a = 0;
    return theme_parse_attrs(s, &a) == 0 ? a : 0;
}

static int no_color_env(void)
{
    /* no-color.org: present and not empty means no colour. */
    const char *nc = getenv("NO_COLOR");
    return nc && nc[0];
}

theme_depth theme_apply(const theme *t)
{
    snprintf(current_name, sizeof current_name, "%s", t->name);
    depth = THEME_MONO;
    if (!t->force_mono && !no_color_env() && has_colors() && start_color() == OK)
        depth = COLORS >= 256 ? THEME_256 : THEME_8;
    int defaults = depth != THEME_MONO && use_default_colors() == OK;
    for (int r = 0; r < ROLE_COUNT; r++) {
        const theme_spec *s = &t->spec[r];
        if (depth == THEME_MONO || r + 1 >= COLOR_PAIRS) {
            role_attr[r] = attrs_of(s->mono);
            continue;
        }
        int big = depth == THEME_256;
        int fg = theme_parse_colour(big && s->fg256[0] ? s->fg256 : s->fg, big);
        int bg = theme_parse_colour(big && s->bg256[0] ? s->bg256 : s->bg, big);
        if (fg == -2 || fg >= COLORS)
            fg = -1;
        if (bg == -2 || bg >= COLORS)
            bg = -1;
        if (!defaults) {
            /* Without default colours, "default" is white on black. */
            fg = fg < 0 ? COLOR_WHITE : fg;
            bg = bg < 0 ? COLOR_BLACK : bg;
        }
        if (init_pair((short)(r + 1), (short)fg, (short)bg) == ERR) {
            role_attr[r] = attrs_of(s->mono);
            continue;
        }
        role_attr[r] = COLOR_PAIR(r + 1) | attrs_of(s->attrs);
    }
    return depth;
}

unsigned long theme_attr(tui_role r)
{
    return (unsigned)r < ROLE_COUNT ? role_attr[r] : 0;
}

theme_depth theme_current_depth(void)
{
    return depth;
}

const char *theme_current_name(void)
{
    return current_name;
}
