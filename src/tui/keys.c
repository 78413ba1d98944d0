/* The key table of the workbench (see keys.h) and key names. */
#include "keys.h"

#include <stdio.h>
#include <string.h>

#include "tcurses.h"
#include "tui.h"

/* Keys defined with define_key() at start, above curses' own codes. */
#define K_CTRL_LEFT TK_FN(0x2000)
#define K_CTRL_RIGHT TK_FN(0x2001)
#define K_ENTER '\r'
#define K_ESC 0x1b

static const key_binding table[] = {
    /* everywhere */
    {TK_FN(KEY_F(1)), KS_GLOBAL, ACT_HELP, "Help", "show this help"},
    {'?', KS_GLOBAL, ACT_HELP, NULL, NULL},
    {TK_FN(KEY_F(2)), KS_GLOBAL, ACT_SAVE, "Save", "save the dataset (edits are journalled at once)"},
    {'s', KS_GLOBAL, ACT_SAVE, NULL, NULL},
    {TK_CTRL('s'), KS_GLOBAL, ACT_SAVE, NULL, NULL},
    {'\t', KS_GLOBAL, ACT_NEXT_PANE, NULL, "next pane (tab)"},
    {TK_FN(KEY_BTAB), KS_GLOBAL, ACT_PREV_PANE, NULL, "previous pane (tab)"},
    {'1', KS_GLOBAL, ACT_PANE_1, NULL, "go to the dataset"},
    {'2', KS_GLOBAL, ACT_PANE_2, NULL, "go to the annotation editor"},
    {'3', KS_GLOBAL, ACT_PANE_3, NULL, "go to the hyperparameters"},
    {'4', KS_GLOBAL, ACT_PANE_4, NULL, "go to the charts"},
    {'5', KS_GLOBAL, ACT_PANE_5, NULL, "go to the log"},
    {'6', KS_GLOBAL, ACT_PANE_6, NULL, "go to the evaluation report (in the charts' place)"},
    {'7', KS_GLOBAL, ACT_PANE_7, NULL, "go to the augmentation review (in the editor's place)"},
    {'8', KS_GLOBAL, ACT_PANE_8, NULL, "go to the Try pane (in the charts' place)"},
    {'z', KS_GLOBAL, ACT_ZOOM, NULL, "zoom the pane to the whole screen, and back"},
    {TK_CTRL('l'), KS_GLOBAL, ACT_REDRAW, NULL, "redraw the screen"},
    {'m', KS_GLOBAL, ACT_MOUSE, NULL, "mouse on/off (off: the terminal selects text)"},
    {'T', KS_GLOBAL, ACT_THEME, NULL, "next colour theme (those in the themes folders)"},
    {TK_FN(KEY_F(5)), KS_GLOBAL, ACT_RUN_START, "Run", "start a training run of the workspace"},
    {TK_FN(KEY_F(6)), KS_GLOBAL, ACT_RUN_PAUSE, "Pause", "pause the run, or resume it"},
    {TK_FN(KEY_F(7)), KS_GLOBAL, ACT_RUN_STOP, "Stop", "stop the run (it saves a checkpoint)"},
    {TK_FN(KEY_F(8)), KS_GLOBAL, ACT_RUN_CHECKPOINT, "Ckpt", "save a checkpoint now"},
    {TK_FN(KEY_F(9)), KS_GLOBAL, ACT_RUN_EVAL, "Eval", "evaluate on the valid split now"},
    {'Q', KS_GLOBAL, ACT_DETACH, NULL,
     "detach: leave the workbench, the run trains on in the background (agentft watch RUN)"},
    {TK_FN(KEY_F(10)), KS_GLOBAL, ACT_QUIT, "Quit", "quit (asks first when edits are unsaved)"},
    {'q', KS_GLOBAL, ACT_QUIT, NULL, NULL},
    {TK_CTRL('c'), KS_GLOBAL, ACT_QUIT, NULL, NULL},

    /* every list */
    {TK_FN(KEY_UP), KS_LIST, ACT_UP, NULL, "previous row"},
    {'k', KS_LIST, ACT_UP, NULL, NULL},
    {TK_FN(KEY_DOWN), KS_LIST, ACT_DOWN, NULL, "next row"},
    {'j', KS_LIST, ACT_DOWN, NULL, NULL},
    {TK_FN(KEY_PPAGE), KS_LIST, ACT_PAGE_UP, NULL, "page up"},
    {TK_FN(KEY_NPAGE), KS_LIST, ACT_PAGE_DOWN, NULL, "page down"},
    {TK_FN(KEY_HOME), KS_LIST, ACT_TOP, NULL, "first row"},
    {'g', KS_LIST, ACT_TOP, NULL, NULL},
    {TK_FN(KEY_END), KS_LIST, ACT_BOTTOM, NULL, "last row"},
    {'G', KS_LIST, ACT_BOTTOM, NULL, NULL},

    /* the dataset */
    {TK_FN(KEY_F(3)), KS_DATA, ACT_SEARCH, "Search", "search the text of the records"},
    {'/', KS_DATA, ACT_SEARCH, NULL, NULL},
    {TK_FN(KEY_F(4)), KS_DATA, ACT_FILTER_ACTION, "Action", "show one action only (Tab completes)"},
    {'f', KS_DATA, ACT_FILTER_ACTION, NULL, NULL},
    {'c', KS_DATA, ACT_FILTER_CX, NULL, "cycle the complexity filter"},
    {'t', KS_DATA, ACT_FILTER_SPLIT, NULL, "cycle the split filter (train, valid, test, none)"},
    {'w', KS_DATA, ACT_FILTER_WRONG, NULL,
     "only the records the model got wrong (predicted action not the annotated one)"},
    {'o', KS_DATA, ACT_SORT, "Sort",
     "cycle the order: file, action, complexity, length, uncertain first (the model's least "
     "confident predictions)"},
    {'r', KS_DATA, ACT_SORT_REVERSE, NULL, "reverse the order"},
    {'X', KS_DATA, ACT_CLEAR_FILTERS, NULL, "clear every filter"},
    {K_ENTER, KS_DATA, ACT_OPEN, NULL, "edit the record"},
    {'e', KS_DATA, ACT_OPEN, NULL, NULL},
    {'a', KS_DATA, ACT_ADD, NULL, "add a record"},
    {TK_FN(KEY_IC), KS_DATA, ACT_ADD, NULL, NULL},
    {'d', KS_DATA, ACT_DELETE, NULL, "delete the record (asks first)"},
    {TK_FN(KEY_DC), KS_DATA, ACT_DELETE, NULL, NULL},
    {'C', KS_DATA, ACT_DUPLICATE, NULL, "duplicate the record"},
    {'v', KS_DATA, ACT_AUGMENT, NULL,
     "augmentation candidates of the record, for review (the workspace's augment settings)"},
    {'V', KS_DATA, ACT_AUGMENT_ALL, NULL, "candidates of every training record in the list"},

    /* the annotation editor */
    {TK_FN(KEY_UP), KS_EDIT, ACT_FIELD_UP, NULL, "previous field"},
    {'k', KS_EDIT, ACT_FIELD_UP, NULL, NULL},
    {TK_FN(KEY_DOWN), KS_EDIT, ACT_FIELD_DOWN, NULL, "next field"},
    {'j', KS_EDIT, ACT_FIELD_DOWN, NULL, NULL},
    {K_ENTER, KS_EDIT, ACT_EDIT_FIELD, NULL, "edit the field"},
    {'e', KS_EDIT, ACT_EDIT_FIELD, NULL, NULL},
    {TK_FN(KEY_PPAGE), KS_EDIT, ACT_PREV_RECORD, NULL, "previous record (in the dataset's order)"},
    {'[', KS_EDIT, ACT_PREV_RECORD, NULL, NULL},
    {TK_FN(KEY_NPAGE), KS_EDIT, ACT_NEXT_RECORD, NULL, "next record"},
    {']', KS_EDIT, ACT_NEXT_RECORD, NULL, NULL},
    {'+', KS_EDIT, ACT_CX_UP, NULL, "complexity up"},
    {'-', KS_EDIT, ACT_CX_DOWN, NULL, "complexity down"},
    {'a', KS_EDIT, ACT_ADD, NULL, "add a record"},
    {'d', KS_EDIT, ACT_DELETE, NULL, "delete the record (asks first)"},
    {'C', KS_EDIT, ACT_DUPLICATE, NULL, "duplicate the record"},

    /* editing text */
    {K_ENTER, KS_TEXT, ACT_T_COMMIT, NULL, "keep the text (the edit is journalled)"},
    {K_ESC, KS_TEXT, ACT_T_CANCEL, NULL, "cancel: restore the text"},
    {'\n', KS_TEXT, ACT_T_NEWLINE, NULL, "new line (multi-line fields); pasted text keeps its lines"},
    {TK_FN(KEY_LEFT), KS_TEXT, ACT_T_LEFT, NULL, "left one character"},
    {TK_CTRL('b'), KS_TEXT, ACT_T_LEFT, NULL, NULL},
    {TK_FN(KEY_RIGHT), KS_TEXT, ACT_T_RIGHT, NULL, "right one character"},
    {TK_CTRL('f'), KS_TEXT, ACT_T_RIGHT, NULL, NULL},
    {K_CTRL_LEFT, KS_TEXT, ACT_T_WORD_LEFT, NULL, "left one word"},
    {TK_ALT | 'b', KS_TEXT, ACT_T_WORD_LEFT, NULL, NULL},
    {K_CTRL_RIGHT, KS_TEXT, ACT_T_WORD_RIGHT, NULL, "right one word"},
    {TK_ALT | 'f', KS_TEXT, ACT_T_WORD_RIGHT, NULL, NULL},
    {TK_FN(KEY_HOME), KS_TEXT, ACT_T_HOME, NULL, "start of the line"},
    {TK_CTRL('a'), KS_TEXT, ACT_T_HOME, NULL, NULL},
    {TK_FN(KEY_END), KS_TEXT, ACT_T_END, NULL, "end of the line"},
    {TK_CTRL('e'), KS_TEXT, ACT_T_END, NULL, NULL},
    {TK_FN(KEY_UP), KS_TEXT, ACT_T_UP, NULL, "up a line"},
    {TK_FN(KEY_DOWN), KS_TEXT, ACT_T_DOWN, NULL, "down a line"},
    {TK_FN(KEY_BACKSPACE), KS_TEXT, ACT_T_BACKSPACE, NULL, "delete before the cursor"},
    {0x7f, KS_TEXT, ACT_T_BACKSPACE, NULL, NULL},
    {TK_CTRL('h'), KS_TEXT, ACT_T_BACKSPACE, NULL, NULL},
    {TK_FN(KEY_DC), KS_TEXT, ACT_T_DELETE, NULL, "delete under the cursor"},
    {TK_CTRL('d'), KS_TEXT, ACT_T_DELETE, NULL, NULL},
    {TK_CTRL('k'), KS_TEXT, ACT_T_KILL_END, NULL, "delete to the end of the line"},
    {TK_CTRL('u'), KS_TEXT, ACT_T_KILL_START, NULL, "delete to the start of the line"},
    {TK_CTRL('w'), KS_TEXT, ACT_T_KILL_WORD, NULL, "delete the word before the cursor"},
    {TK_CTRL('z'), KS_TEXT, ACT_T_UNDO, NULL, "undo"},
    {TK_CTRL('_'), KS_TEXT, ACT_T_UNDO, NULL, NULL},
    {TK_CTRL('y'), KS_TEXT, ACT_T_REDO, NULL, "redo"},
    {'\t', KS_TEXT, ACT_T_COMPLETE, NULL, "complete the action from the dataset's actions"},

    /* the hyperparameter form */
    {K_ENTER, KS_FORM, ACT_F_EDIT, NULL, "edit the value (checked against its range)"},
    {'e', KS_FORM, ACT_F_EDIT, NULL, NULL},
    {' ', KS_FORM, ACT_F_NEXT_CHOICE, NULL, "next choice (true/false and word lists)"},
    {TK_FN(KEY_RIGHT), KS_FORM, ACT_F_NEXT_CHOICE, NULL, NULL},
    {TK_FN(KEY_LEFT), KS_FORM, ACT_F_PREV_CHOICE, NULL, "previous choice"},
    {'D', KS_FORM, ACT_F_DEFAULT, NULL, "back to the default value"},
    {'w', KS_FORM, ACT_F_WRITE, "Write", "write the workspace file (comments are kept)"},

    /* the charts */
    {TK_FN(KEY_LEFT), KS_CHART, ACT_C_LEFT, NULL, "scroll back over the steps"},
    {'h', KS_CHART, ACT_C_LEFT, NULL, NULL},
    {TK_FN(KEY_RIGHT), KS_CHART, ACT_C_RIGHT, NULL, "scroll forward"},
    {'l', KS_CHART, ACT_C_RIGHT, NULL, NULL},
    {'+', KS_CHART, ACT_C_ZOOM_IN, NULL, "zoom in on the steps"},
    {'=', KS_CHART, ACT_C_ZOOM_IN, NULL, NULL},
    {'-', KS_CHART, ACT_C_ZOOM_OUT, NULL, "zoom out"},
    {'0', KS_CHART, ACT_C_FIT, NULL, "show every step and follow new ones"},
    {TK_FN(KEY_HOME), KS_CHART, ACT_C_FIT, NULL, NULL},
    {TK_FN(KEY_DOWN), KS_CHART, ACT_C_NEXT, NULL, "next chart"},
    {'j', KS_CHART, ACT_C_NEXT, NULL, NULL},
    {TK_FN(KEY_UP), KS_CHART, ACT_C_PREV, NULL, "previous chart"},
    {'k', KS_CHART, ACT_C_PREV, NULL, NULL},
    {K_ENTER, KS_CHART, ACT_C_MAXIMISE, NULL, "the chosen chart alone, and back"},
    {'R', KS_CHART, ACT_C_RELOAD, NULL, "read the run's metrics again"},
    {'c', KS_CHART, ACT_C_COMPARE, "Compare",
     "overlay a second run, chosen from the runs folder (Enter picks, Esc cancels)"},
    {'C', KS_CHART, ACT_C_UNCOMPARE, NULL, "remove the second run"},

    /* the evaluation report */
    {TK_FN(KEY_RIGHT), KS_REPORT, ACT_R_NEXT, NULL, "next section"},
    {'l', KS_REPORT, ACT_R_NEXT, NULL, NULL},
    {TK_FN(KEY_LEFT), KS_REPORT, ACT_R_PREV, NULL, "previous section"},
    {'h', KS_REPORT, ACT_R_PREV, NULL, NULL},
    {K_ENTER, KS_REPORT, ACT_R_OPEN, NULL,
     "open the example in the editor (on a confusion: its first example)"},
    {'o', KS_REPORT, ACT_R_SORT, "Sort", "order the actions by F1, support or name"},
    {'r', KS_REPORT, ACT_R_REVERSE, NULL, "reverse that order"},
    {'E', KS_REPORT, ACT_R_EVALUATE, "Evaluate",
     "evaluate the run in the background (writes RUN/report.json and report.md)"},
    {'c', KS_REPORT, ACT_R_FILE, NULL, "show the run's next report file (compare-*.json)"},

    /* the augmentation review */
    {'a', KS_AUGMENT, ACT_A_ACCEPT, "Accept", "accept the candidate (and go to the next)"},
    {'r', KS_AUGMENT, ACT_A_REJECT, "Reject", "reject the candidate (and go to the next)"},
    {'e', KS_AUGMENT, ACT_A_EDIT, "Edit", "edit the candidate's text (keeping it accepts it)"},
    {K_ENTER, KS_AUGMENT, ACT_A_EDIT, NULL, NULL},
    {'A', KS_AUGMENT, ACT_A_ACCEPT_ALL, NULL, "accept every candidate still to review"},
    {'R', KS_AUGMENT, ACT_A_REJECT_ALL, NULL, "reject every candidate still to review"},
    {'w', KS_AUGMENT, ACT_A_WRITE, "Write",
     "add the accepted candidates to the dataset (journalled, then saved)"},
    {K_ESC, KS_AUGMENT, ACT_A_CLOSE, NULL,
     "cancel the generation; else close the review (asks when some are not written)"},

    /* the turns of a dialogue context */
    {TK_FN(KEY_UP), KS_TURNS, ACT_U_PREV, NULL, "previous turn"},
    {'k', KS_TURNS, ACT_U_PREV, NULL, NULL},
    {TK_FN(KEY_DOWN), KS_TURNS, ACT_U_NEXT, NULL, "next turn"},
    {'j', KS_TURNS, ACT_U_NEXT, NULL, NULL},
    {K_ENTER, KS_TURNS, ACT_U_EDIT, NULL, "edit the turn's content (the record keeps its list of turns)"},
    {'e', KS_TURNS, ACT_U_EDIT, NULL, NULL},
    {'r', KS_TURNS, ACT_U_ROLE, NULL, "next role: user, assistant, system, tool"},
    {'R', KS_TURNS, ACT_U_ROLE_TEXT, NULL, "type the turn's role"},
    {'a', KS_TURNS, ACT_U_ADD, NULL, "add a turn after this one (the other speaker) and type it"},
    {TK_FN(KEY_IC), KS_TURNS, ACT_U_ADD, NULL, NULL},
    {'d', KS_TURNS, ACT_U_DELETE, NULL, "remove the turn (asks first)"},
    {TK_FN(KEY_DC), KS_TURNS, ACT_U_DELETE, NULL, NULL},
    {K_ESC, KS_TURNS, ACT_U_BACK, NULL, "back to the record's fields"},

    /* the Try pane */
    {K_ENTER, KS_TRY, ACT_TRY_EDIT, NULL,
     "type a context (Enter tries it, as does a pause in typing; ^J adds a line)"},
    {'e', KS_TRY, ACT_TRY_EDIT, NULL, NULL},
    {'r', KS_TRY, ACT_TRY_AGAIN, "Again", "try the context again (newer weights, a newer checkpoint)"},
    {'i', KS_TRY, ACT_TRY_RECORD, NULL, "try the context of the record selected in the dataset"},
};

const key_binding *keys_table(size_t *count)
{
    *count = sizeof table / sizeof table[0];
    return table;
}

key_action keys_action(key_scope scope, int code)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].scope == scope && table[i].code == code)
            return table[i].action;
    return ACT_NONE;
}

static const char *fn_name(int k)
{
    switch (k) {
    case KEY_UP: return "Up";
    case KEY_DOWN: return "Down";
    case KEY_LEFT: return "Left";
    case KEY_RIGHT: return "Right";
    case KEY_PPAGE: return "PgUp";
    case KEY_NPAGE: return "PgDn";
    case KEY_HOME: return "Home";
    case KEY_END: return "End";
    case KEY_IC: return "Ins";
    case KEY_DC: return "Del";
    case KEY_BACKSPACE: return "Backspace";
    case KEY_BTAB: return "S-Tab";
    case KEY_ENTER: return "Enter";
    case 0x2000: return "C-Left";
    case 0x2001: return "C-Right";
    default: return NULL;
    }
}

void keys_name(int code, char *buf, size_t size)
{
    const char *alt = code & TK_ALT ? "M-" : "";
    int c = code & ~TK_ALT;
    if (TK_IS_FN(c)) {
        int k = c - 0x110000;
        const char *n = fn_name(k);
        if (n)
            snprintf(buf, size, "%s%s", alt, n);
        else if (k >= KEY_F(1) && k <= KEY_F(12))
            snprintf(buf, size, "%sF%d", alt, k - KEY_F(0));
        else
            snprintf(buf, size, "%skey%d", alt, k);
        return;
    }
    switch (c) {
    case '\r': snprintf(buf, size, "%sEnter", alt); return;
    case '\n': snprintf(buf, size, "%s^J", alt); return;
    case '\t': snprintf(buf, size, "%sTab", alt); return;
    case 0x1b: snprintf(buf, size, "%sEsc", alt); return;
    case 0x7f: snprintf(buf, size, "%sBackspace", alt); return;
    case ' ': snprintf(buf, size, "%sSpace", alt); return;
    default: break;
    }
    if (c < 0x20)
        snprintf(buf, size, "%s^%c", alt, c == 0x1f ? '_' : c + '@');
    else if (c < 0x80)
        snprintf(buf, size, "%s%c", alt, c);
    else
        snprintf(buf, size, "%sU+%04X", alt, (unsigned)c);
}

const char *keys_scope_title(key_scope s)
{
    static const char *const titles[KS_COUNT] = {
        "Everywhere", "Lists", "Dataset", "Annotation editor", "Editing text",
        "Hyperparameters", "Charts", "Report", "Augmentation review",
        "Dialogue turns", "Try"};
    return (unsigned)s < KS_COUNT ? titles[s] : "";
}

void keys_init_terminal(void)
{
    /* Ctrl-arrows have no fixed curses code; give the usual xterm sequences
     * ours. Bracketed paste markers become keys too. */
    define_key("\033[1;5D", K_CTRL_LEFT - 0x110000);
    define_key("\033[1;5C", K_CTRL_RIGHT - 0x110000);
    define_key("\033[200~", TK_PASTE_START - 0x110000);
    define_key("\033[201~", TK_PASTE_END - 0x110000);
}

/* Key names and help in roff: a dash is \- and a backslash doubled. */
static void roff(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '-')
            fputs("\\-", out);
        else if (*s == '\\')
            fputs("\\e", out);
        else
            fputc(*s, out);
    }
}

void tui_keys_man(FILE *out)
{
    for (int s = 0; s < KS_COUNT; s++) {
        fprintf(out, ".SS %s\n", keys_scope_title((key_scope)s));
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
            if (table[i].scope != (key_scope)s || !table[i].help)
                continue;
            fputs(".TP\n.B ", out);
            for (size_t j = i; j < sizeof table / sizeof table[0] &&
                               (j == i || (!table[j].help && table[j].action == table[i].action));
                 j++) {
                char name[24];
                keys_name(table[j].code, name, sizeof name);
                if (j > i)
                    fputs(", ", out);
                roff(out, name);
            }
            fputs("\n", out);
            roff(out, table[i].help);
            fputs("\n", out);
        }
    }
}
