/* The terminal: starting curses with a fallback when TERM has no terminfo
 * entry, keys, signals through a self-pipe, and restoring the terminal
 * (also before a fatal message). */
#ifndef TUI_SCREEN_H
#define TUI_SCREEN_H

#include <stddef.h>

/* Starts curses on stdin/stdout. When TERM has no terminfo entry, tries
 * xterm-256color, xterm, vt100 and ansi, and writes a hint for the user into
 * hint (else hint is ""). Returns -1 with a message in hint when no terminal
 * type works. */
int screen_start(char *hint, size_t size);
/* Restores the terminal (endwin) and frees curses; `touch_terminal` = 0 after
 * SIGHUP, when the terminal is gone and nothing may be written to it. */
void screen_stop(int touch_terminal);
int screen_active(void);

/* Reads one key without waiting; returns 1 with a TK_ code (keys.h), or 0
 * when none is waiting. ESC followed at once by a key is Alt+key. */
int screen_read_key(int *code);

/* Catches SIGHUP, SIGTERM and SIGINT (and SIGPIPE is ignored): each writes
 * a byte to wake_fd so poll() returns. */
int screen_catch_signals(int wake_fd);
/* The signal caught since the last call (the first one wins), or 0. */
int screen_take_signal(void);

/* Restores the terminal, prints the message on stderr and exits with 1:
 * for errors the workbench cannot go on after. */
void screen_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Bracketed paste (xterm and friends): on when the terminal is known to
 * understand it. */
void screen_paste_mode(int on);

#endif
