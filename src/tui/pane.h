/* A pane is a small object with a table of functions; the screen manager
 * (workbench.c) owns the windows, the layout, the focus and the frame loop
 * and talks to every pane through this table only. */
#ifndef TUI_PANE_H
#define TUI_PANE_H

#include "keys.h"
#include "layout.h"
#include "tcurses.h"

/* What a key handler tells the screen manager. */
enum {
    PK_HANDLED = 1,      /* the key was used (else the global keys get it) */
    PK_REDRAW = 2,       /* redraw this pane */
    PK_RELAYOUT = 4,     /* sizes changed: lay every pane out again */
    PK_QUIT = 8,         /* leave the workbench */
    PK_FOCUS_NEXT = 16,  /* move the focus to the next pane */
};

struct tui_app;
typedef struct pane pane;

typedef struct pane_ops {
    const char *title;
    /* Draws rows 1..h-1 of p->win (row 0 is the title bar, drawn by the
     * manager); the window has been erased. */
    void (*draw)(pane *p);
    /* A key (a TK_ code); returns PK_ flags. */
    unsigned (*key)(pane *p, int code);
    /* The window got a new size (p->h, p->w). May be NULL. */
    void (*resize)(pane *p);
    /* Focus gained (on = 1) or lost. May be NULL. */
    void (*focus)(pane *p, int on);
    /* Called once per loop turn: returns 1 when the pane's data changed and
     * it needs a redraw, plus 2 when it has more work (a scan under way), so
     * the loop calls again without sleeping. May be NULL. */
    int (*tick)(pane *p);
    /* The key scope in use now (KS_TEXT while text is being edited, so the
     * pane gets printable keys before the global ones). */
    key_scope (*scope)(const pane *p);
    /* Short text for the right of the title bar ("412 of 3,600"). May be NULL. */
    void (*info)(const pane *p, char *buf, size_t size);
    /* Where the terminal cursor should be (window coordinates) while text
     * is edited; returns 0 when the cursor should be hidden. May be NULL. */
    int (*cursor)(const pane *p, int *y, int *x);
    /* A click of the first mouse button at (y, x), window coordinates
     * (the pane already has the focus); returns PK_ flags. May be NULL. */
    unsigned (*click)(pane *p, int y, int x);
    void (*free)(pane *p);
} pane_ops;

struct pane {
    const pane_ops *ops;
    struct tui_app *app;
    pane_id id;
    WINDOW *win;     /* NULL while the pane is not shown */
    int h, w;
    int dirty;
    int focused;
};

/* The panes (each in its own pane_*.c). */
pane *pane_data_new(struct tui_app *app);
pane *pane_edit_new(struct tui_app *app);
pane *pane_form_new(struct tui_app *app);
pane *pane_chart_new(struct tui_app *app);
pane *pane_log_new(struct tui_app *app);
pane *pane_report_new(struct tui_app *app);
pane *pane_augment_new(struct tui_app *app);
pane *pane_try_new(struct tui_app *app);

/* Opens the editor's context field for editing (after adding a record). */
void pane_edit_begin(pane *edit);

/* The dataset pane's order, for the editor's previous/next record: the
 * record `delta` rows from the selected one, or SIZE_MAX. */
size_t pane_data_step(pane *data, long delta);

/* Makes augmentation candidates of records[0..n) of the dataset (`what`
 * names them in messages) and shows them for review in the Augment pane;
 * asks first when earlier candidates are not written yet. */
void pane_augment_generate(pane *aug, const size_t *records, size_t n, const char *what);
/* Asked before the workbench quits: when candidates are not written yet
 * (or are being made) it asks whether to quit anyway and returns 1. */
int pane_augment_hold_quit(pane *aug);

/* Before the workbench's trainer is freed: the Try pane stops copying its
 * weights (waits for a copy under way). */
void pane_try_release(pane *try_pane);

#endif
