/* The one way TUI files include ncurses: the wide-character API (cchar_t,
 * wget_wch, waddnwstr) is only declared when NCURSES_WIDECHAR is set. */
#ifndef TUI_TCURSES_H
#define TUI_TCURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <ncurses.h>
#include <wchar.h>

#endif
