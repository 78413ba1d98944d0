/* The one key table: every binding with its scope, action, function-key bar
 * label and help text. The help overlay, the function-key bar and the man
 * page's KEYS list are generated from it, so they cannot drift. */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <stddef.h>

/* A key as the workbench sees it: a Unicode character, or a curses key
 * code moved above Unicode, optionally with Alt (sent as ESC + key). */
#define TK_FN(k) (0x110000 + (k))
#define TK_ALT 0x400000
#define TK_CTRL(c) ((c) & 0x1f)
#define TK_IS_FN(code) (((code) & ~TK_ALT) >= 0x110000)
/* Keys the workbench makes itself. */
#define TK_PASTE_START TK_FN(0x3f0)
#define TK_PASTE_END TK_FN(0x3f1)

typedef enum {
    KS_GLOBAL,   /* anywhere, unless a text field takes the key */
    KS_LIST,     /* every list (dataset, form, log, help) */
    KS_DATA,     /* the dataset pane */
    KS_EDIT,     /* the annotation editor, choosing a field */
    KS_TEXT,     /* editing text (fields, search, prompts) */
    KS_FORM,     /* the hyperparameter form */
    KS_CHART,    /* the charts */
    KS_REPORT,   /* the evaluation report */
    KS_AUGMENT,  /* the augmentation review */
    KS_TURNS,    /* the turns of a dialogue context, in the editor */
    KS_TRY,      /* the Try pane */
    KS_COUNT
} key_scope;

#define TUI_ACTIONS(A)                                                                   \
    A(NONE) A(HELP) A(QUIT) A(SAVE) A(NEXT_PANE) A(PREV_PANE) A(PANE_1) A(PANE_2)         \
    A(PANE_3) A(PANE_4) A(PANE_5) A(PANE_6) A(PANE_7) A(PANE_8) A(ZOOM) A(REDRAW) A(MOUSE) A(RUN_START)       \
    A(RUN_PAUSE) A(RUN_STOP) A(RUN_CHECKPOINT) A(RUN_EVAL) A(DETACH)                     \
    A(UP) A(DOWN) A(PAGE_UP) A(PAGE_DOWN) A(TOP) A(BOTTOM)                               \
    A(SEARCH) A(FILTER_ACTION) A(FILTER_CX) A(FILTER_SPLIT) A(SORT) A(SORT_REVERSE)       \
    A(CLEAR_FILTERS) A(OPEN) A(ADD) A(DELETE) A(DUPLICATE) A(AUGMENT) A(AUGMENT_ALL)       \
    A(EDIT_FIELD) A(FIELD_UP) A(FIELD_DOWN) A(PREV_RECORD) A(NEXT_RECORD) A(CX_UP)        \
    A(CX_DOWN)                                                                           \
    A(T_LEFT) A(T_RIGHT) A(T_WORD_LEFT) A(T_WORD_RIGHT) A(T_HOME) A(T_END) A(T_UP)        \
    A(T_DOWN) A(T_BACKSPACE) A(T_DELETE) A(T_KILL_END) A(T_KILL_START) A(T_KILL_WORD)     \
    A(T_UNDO) A(T_REDO) A(T_NEWLINE) A(T_COMMIT) A(T_CANCEL) A(T_COMPLETE)                \
    A(F_EDIT) A(F_NEXT_CHOICE) A(F_PREV_CHOICE) A(F_DEFAULT) A(F_WRITE)                   \
    A(C_LEFT) A(C_RIGHT) A(C_ZOOM_IN) A(C_ZOOM_OUT) A(C_FIT) A(C_NEXT) A(C_PREV)           \
    A(C_MAXIMISE) A(C_RELOAD)                                                             \
    A(R_NEXT) A(R_PREV) A(R_SORT) A(R_REVERSE) A(R_OPEN) A(R_EVALUATE) A(R_FILE)          \
    A(A_ACCEPT) A(A_REJECT) A(A_EDIT) A(A_ACCEPT_ALL) A(A_REJECT_ALL) A(A_WRITE) A(A_CLOSE)  \
    A(U_PREV) A(U_NEXT) A(U_EDIT) A(U_ROLE) A(U_ROLE_TEXT) A(U_ADD) A(U_DELETE) A(U_BACK)   \
    A(C_COMPARE) A(C_UNCOMPARE) A(THEME)                                                  \
    A(FILTER_WRONG) A(TRY_EDIT) A(TRY_AGAIN) A(TRY_RECORD)

typedef enum {
#define TUI_ACTION_ENUM(a) ACT_##a,
    TUI_ACTIONS(TUI_ACTION_ENUM)
#undef TUI_ACTION_ENUM
    ACT_COUNT
} key_action;

typedef struct key_binding {
    int code;              /* a TK_ code */
    key_scope scope;
    key_action action;
    const char *bar;       /* label on the function-key bar, or NULL */
    const char *help;      /* one line for the help overlay; NULL = same as the
                              previous binding of this action (listed together) */
} key_binding;

const key_binding *keys_table(size_t *count);
/* The action bound to code in scope, or ACT_NONE. */
key_action keys_action(key_scope scope, int code);
/* A key's name for people: "F1", "^S", "M-b", "Enter", "PgDn", "?". */
void keys_name(int code, char *buf, size_t size);
const char *keys_scope_title(key_scope s);
/* Called once curses is up: learns the codes terminals use for Ctrl-arrows. */
void keys_init_terminal(void);

#endif
