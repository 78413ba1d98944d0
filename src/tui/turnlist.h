/* The editor's list of a dialogue context's turns: one "role: content" row
 * per turn, the chosen one's content (or role) edited in a text field, turns
 * added, removed and given another role. Every change is written back to
 * the record as a JSON array through the dataset's journal at once. */
#ifndef TUI_TURNLIST_H
#define TUI_TURNLIST_H

#include <stddef.h>

#include "app.h"
#include "tfview.h"
#include "turns.h"

typedef enum { TL_LIST, TL_CONTENT, TL_ROLE } turnlist_mode;

typedef struct turnlist {
    turns *t;             /* the record's turns while the list is open, else NULL */
    size_t rec;           /* the record they belong to */
    size_t cur, top;      /* the chosen turn, the first one shown */
    turnlist_mode mode;
    tfview tv;            /* the text being edited (TL_CONTENT, TL_ROLE) */
    int added;            /* the turn being typed was just added (Esc removes it) */
} turnlist;

/* Opens the list on record rec's context; returns -1 with a message on the
 * message line when it is not a list of turns. */
int turnlist_open(turnlist *l, tui_app *app, size_t rec);
void turnlist_close(turnlist *l);
int turnlist_is_open(const turnlist *l);
/* Rows the list would like at this width. */
int turnlist_rows(const turnlist *l, int width);
void turnlist_draw(turnlist *l, WINDOW *w, int y, int x, int h, int width, int focused);
/* A key while the list is open: PK_ flags (0 = not used). Esc in the list
 * closes it. */
unsigned turnlist_key(turnlist *l, tui_app *app, int code, int width);
/* The one-line help for the editor's hint row. */
const char *turnlist_hint(const turnlist *l);
/* Where the cursor is while text is edited; 0 when none. */
int turnlist_cursor(const turnlist *l, int *y, int *x);

#endif
