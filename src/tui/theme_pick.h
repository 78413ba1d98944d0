/* Choosing a theme while the workbench is open: the folders themes are
 * looked up in, the names found there, and switching to one at once (the
 * colour pairs made again and every pane repainted). */
#ifndef TUI_THEME_PICK_H
#define TUI_THEME_PICK_H

#include <stddef.h>

#include "app.h"

#define THEME_DIRS 4
typedef char theme_dir[4200];

/* Where themes are looked for, in order: the installed folder, beside the
 * binary (a build tree), one folder up from it, and beside the workspace. */
void theme_pick_dirs(const char *ws_path, theme_dir dirs[THEME_DIRS]);
/* The names (NAME of NAME.yaml) in those folders, sorted and unique, as a
 * malloc'd array of owned strings; returns the count. */
size_t theme_pick_names(const char *const *dirs, size_t ndirs, char ***names);
void theme_pick_free_names(char **names, size_t n);
/* The name after `current` in names (the first when current is not there). */
const char *theme_pick_next(char *const *names, size_t n, const char *current);

/* Loads theme `name` (a name or a path) and applies it at once; on error the
 * theme in use stays and the message line says why (-1). */
int theme_pick_use(tui_app *app, const char *name);
/* Switches to the next theme found in the folders and sets the workspace's
 * theme key to it (w in the hyperparameters writes it). */
void theme_pick_cycle(tui_app *app);

#endif
