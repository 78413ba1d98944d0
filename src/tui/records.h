/* Adding, deleting and duplicating records, shared by the dataset pane and
 * the editor; every change goes through the dataset's journal. */
#ifndef TUI_RECORDS_H
#define TUI_RECORDS_H

#include "app.h"

/* Appends a new record (same action as the selected one) and selects it. */
int records_add(tui_app *app);
/* Asks, then deletes the selected record. */
void records_delete(tui_app *app);
/* Inserts a copy of the selected record after it and selects the copy. */
int records_duplicate(tui_app *app);
/* A short name of record i for messages: its id, or "#N". */
void records_name(const tui_app *app, size_t i, char *buf, size_t size);

#endif
