/* The workbench's entry point for the command line (src/cli/cmd_open.c).
 * This header does not include ncurses, so the CLI needs no curses flags. */
#ifndef TUI_TUI_H
#define TUI_TUI_H

#include <stddef.h>
#include <stdio.h>

#include "agentft/config.h"

typedef struct tui_opts {
    const char *ws_path;   /* the workspace file (for messages) */
    aft_config *cfg;       /* the loaded workspace; the caller keeps and frees it */
    const char *run;       /* --run: a run name under the runs folder or a path; NULL = newest */
    const char *theme;     /* --theme: a name or a YAML file; NULL = the workspace's */
    int mouse;             /* --mouse: start with the mouse on */
} tui_opts;

/* Opens the dataset and the run, takes over the terminal, runs until the user
 * quits (or SIGHUP/SIGTERM), restores the terminal. Problems found before the
 * screen starts are printed on stderr. Returns an exit code (0 ok, 1 failure). */
int tui_run(const tui_opts *opts);

/* Writes the key table as man-page source (the KEYS list of agentft(1)). */
void tui_keys_man(FILE *out);

#endif
