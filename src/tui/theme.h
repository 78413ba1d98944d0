/* Colours by role: drawing code asks for a role (ROLE_TITLE_FOCUS,
 * ROLE_LOSS_TRAIN...), never for a colour; a theme maps roles to colours. */
#ifndef TUI_THEME_H
#define TUI_THEME_H

#include <stddef.h>

/* ROLE(id, yaml name, 8-colour fg, bg, attributes, mono attributes)
 * The colour columns are the built-in dark theme; the mono column is what a
 * terminal without colour (or NO_COLOR) shows, so every role stays legible. */
#define TUI_ROLES(ROLE)                                                                   \
    ROLE(NORMAL, "normal", "default", "default", "", "")                                   \
    ROLE(DIM, "dim", "white", "default", "dim", "dim")                                     \
    ROLE(TITLE, "title", "white", "blue", "", "reverse")                                   \
    ROLE(TITLE_FOCUS, "title_focus", "black", "cyan", "bold", "reverse bold")              \
    ROLE(BORDER, "border", "blue", "default", "", "")                                      \
    ROLE(TOPBAR, "topbar", "white", "blue", "bold", "reverse")                             \
    ROLE(TAB, "tab", "white", "blue", "", "reverse")                                       \
    ROLE(TAB_ACTIVE, "tab_active", "black", "cyan", "bold", "bold underline")              \
    ROLE(STATUS, "status", "black", "white", "", "reverse")                                \
    ROLE(KEY, "key", "white", "default", "bold", "bold")                                   \
    ROLE(KEY_LABEL, "key_label", "black", "cyan", "", "reverse")                           \
    ROLE(HEADER, "header", "yellow", "default", "bold", "bold underline")                  \
    ROLE(SELECTED, "selected", "black", "cyan", "", "reverse")                             \
    ROLE(SELECTED_DIM, "selected_unfocused", "black", "white", "", "underline")            \
    ROLE(MATCH, "match", "black", "yellow", "", "bold underline")                          \
    ROLE(ESCAPE, "escape", "magenta", "default", "bold", "underline")                      \
    ROLE(LABEL, "label", "cyan", "default", "", "bold")                                    \
    ROLE(FIELD_EDIT, "field_edit", "white", "black", "", "underline")                      \
    ROLE(CHANGED, "changed", "yellow", "default", "bold", "bold")                          \
    ROLE(LIVE, "live", "green", "default", "", "")                                         \
    ROLE(ERROR, "error", "white", "red", "bold", "reverse bold")                           \
    ROLE(WARNING, "warning", "yellow", "default", "bold", "bold")                          \
    ROLE(OK, "ok", "green", "default", "bold", "bold")                                     \
    ROLE(OVERLAY, "overlay", "white", "black", "", "")                                     \
    ROLE(AXIS, "axis", "white", "default", "dim", "")                                      \
    ROLE(LOSS_TRAIN, "loss_train", "blue", "default", "", "dim")                           \
    ROLE(LOSS_SMOOTH, "loss_smooth", "cyan", "default", "bold", "bold")                    \
    ROLE(LOSS_VAL, "loss_val", "magenta", "default", "bold", "bold underline")             \
    ROLE(ACCURACY, "accuracy", "green", "default", "bold", "bold")                         \
    ROLE(MACRO_F1, "macro_f1", "yellow", "default", "", "underline")                       \
    ROLE(LR, "lr", "cyan", "default", "", "")                                              \
    ROLE(GRAD_NORM, "grad_norm", "red", "default", "", "")                                 \
    ROLE(THROUGHPUT, "throughput", "green", "default", "", "")                             \
    ROLE(MARKER_SET, "marker_set", "yellow", "default", "", "dim")                         \
    ROLE(MARKER_BEST, "marker_best", "green", "default", "bold", "bold")                   \
    ROLE(HEAT_LOW, "heat_low", "white", "blue", "", "underline")                           \
    ROLE(HEAT_MID, "heat_mid", "white", "magenta", "", "reverse")                          \
    ROLE(HEAT_HIGH, "heat_high", "white", "red", "bold", "reverse bold")                   \
    ROLE(COMPARE, "compare", "white", "default", "bold", "reverse")                        \
    ROLE(COMPARE_ALT, "compare_alt", "white", "default", "", "reverse dim")

typedef enum {
#define TUI_ROLE_ENUM(id, name, fg, bg, attrs, mono) ROLE_##id,
    TUI_ROLES(TUI_ROLE_ENUM)
#undef TUI_ROLE_ENUM
    ROLE_COUNT
} tui_role;

/* How colours are shown: decided once from NO_COLOR, has_colors() and COLORS. */
typedef enum { THEME_MONO, THEME_8, THEME_256 } theme_depth;

/* One role as the theme file gives it: colours as text ("cyan", "default",
 * "#5fafd7", "208") and attributes as words ("bold underline"). */
typedef struct theme_spec {
    char fg[16], bg[16], fg256[16], bg256[16];
    char attrs[48], mono[48];
} theme_spec;

typedef struct theme {
    char name[64];
    char source[512];          /* the file it came from, or "built-in" */
    theme_spec spec[ROLE_COUNT];
    int force_mono;            /* the theme asks for no colour (the mono theme) */
} theme;

/* The role's name in theme files ("loss_train"), or NULL. */
const char *theme_role_name(tui_role r);
/* Fills t with the built-in dark theme. */
void theme_builtin(theme *t);
/* Loads a theme by name (looked up in dirs[0..ndirs), as NAME.yaml) or by
 * path (a name with a '/' or ending in .yaml/.yml), over the built-in one.
 * Returns 0, or -1 with a message in err (t then holds the built-in theme). */
int theme_load(theme *t, const char *name_or_path, const char *const *dirs, size_t ndirs,
               char *err, size_t errsize);

/* The xterm 256-colour index nearest to an RGB colour. */
int theme_rgb_to_256(int r, int g, int b);
/* Parses a colour word for the given depth: -1 = terminal default, 0..255,
 * or -2 when it is not a colour. */
int theme_parse_colour(const char *s, int allow_256);
/* Parses attribute words into curses attributes; -1 on an unknown word. */
int theme_parse_attrs(const char *s, unsigned long *attrs);

/* Starts colour (unless mono), makes one pair per role, and remembers the
 * attribute of each role. Call after the screen is set up; calling it again
 * with another theme changes the pairs in place. */
theme_depth theme_apply(const theme *t);
/* The curses attribute (pair and attributes) of a role. */
unsigned long theme_attr(tui_role r);
theme_depth theme_current_depth(void);
/* The name of the theme applied last ("dark" before any). */
const char *theme_current_name(void);

#endif
