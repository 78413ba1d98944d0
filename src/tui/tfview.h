/* A text field on screen: the model (textfield.h) plus its scroll position
 * and a bracketed-paste buffer; maps KS_TEXT keys to edits and draws the
 * visible rows. */
#ifndef TUI_TFVIEW_H
#define TUI_TFVIEW_H

#include <stddef.h>

#include "tcurses.h"
#include "textfield.h"

typedef struct tfview {
    textfield tf;
    size_t top;          /* first visual row shown */
    int pasting;         /* between the paste start and end markers */
    char *paste;
    size_t paste_len, paste_cap;
    int cy, cx;          /* where the cursor was drawn (window coordinates) */
} tfview;

typedef enum {
    TFV_IGNORED,   /* not a text key */
    TFV_MOVED,     /* cursor moved or nothing changed: redraw */
    TFV_CHANGED,   /* the text changed */
    TFV_COMMIT,    /* Enter */
    TFV_CANCEL,    /* Esc */
    TFV_COMPLETE,  /* Tab: the owner may complete */
} tfv_result;

void tfv_init(tfview *v, int multiline, int utf8, const char *text);
void tfv_free(tfview *v);
/* Handles a key for a field drawn `width` cells wide. */
tfv_result tfv_key(tfview *v, int code, int width);
/* Draws the field in the rectangle with attr, scrolled to show the cursor;
 * remembers the cursor's place in cy/cx. Returns the rows used. */
int tfv_draw(tfview *v, WINDOW *w, int y, int x, int h, int width, unsigned long attr);
/* Rows the text needs at this width. */
size_t tfv_rows(const tfview *v, int width);

/* Text that is shown, not edited, wrapped as a field of that width would
 * wrap it: the rows it needs, and drawn in at most h rows at (y, x) with a
 * cut-off text ending in an ellipsis. */
size_t tfv_text_rows(const char *text, int width);
void tfv_draw_text(WINDOW *w, int y, int x, int h, int width, const char *text,
                   unsigned long attr);

#endif
