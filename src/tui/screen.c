/* The terminal's set-up and tear-down (see screen.h). The signal state is
 * file-level because a signal handler can reach nothing else; the handler
 * only records the signal and writes to the self-pipe, and the loop acts. */
#include "screen.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "tcurses.h"

static SCREEN *scr;
static int paste_on;
static volatile sig_atomic_t caught;
static int wake_write = -1;

static void on_signal(int sig)
{
    int saved = errno;
    if (!caught)
        caught = sig;
    if (wake_write >= 0) {
        char b = 's';
        ssize_t r = write(wake_write, &b, 1);
        (void)r; /* a full pipe already wakes the loop */
    }
    errno = saved;
}

int screen_catch_signals(int wake_fd)
{
    wake_write = wake_fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
        sigaction(SIGINT, &sa, NULL) < 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int screen_take_signal(void)
{
    int s = caught;
    caught = 0;
    return s;
}

static void setup_modes(void)
{
    /* raw: ^S, ^Z and ^C reach the workbench as keys (save, undo, quit)
     * instead of stopping the terminal or killing the program. */
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    meta(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    keys_init_terminal();
}

int screen_start(char *hint, size_t size)
{
    hint[0] = '\0';
    const char *term = getenv("TERM");
    scr = term && *term ? newterm(NULL, stdout, stdin) : NULL;
    if (!scr) {
        static const char *const fallbacks[] = {"xterm-256color", "xterm", "vt100", "ansi"};
        for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0] && !scr; i++) {
            scr = newterm(fallbacks[i], stdout, stdin);
            if (scr)
                snprintf(hint, size,
                         "TERM=%s has no terminfo entry here; showing as %s. Install the entry "
                         "(infocmp -x | ssh HOST -- tic -x -) or set TERM=%s",
                         term && *term ? term : "(unset)", fallbacks[i], fallbacks[i]);
        }
        if (!scr) {
            snprintf(hint, size, "no usable terminal type (TERM=%s); try TERM=xterm",
                     term ? term : "(unset)");
            return -1;
        }
    }
    set_term(scr);
    setup_modes();
    return 0;
}

int screen_active(void)
{
    return scr != NULL;
}

void screen_paste_mode(int on)
{
    const char *term = getenv("TERM");
    int known = term && (strstr(term, "xterm") || strstr(term, "tmux") || strstr(term, "screen") ||
                         strstr(term, "rxvt") || strstr(term, "kitty") || strstr(term, "foot") ||
                         strstr(term, "alacritty"));
    if (!scr || !known || paste_on == on)
        return;
    /* Written straight to the terminal: curses has no call for it. */
    fputs(on ? "\033[?2004h" : "\033[?2004l", stdout);
    fflush(stdout);
    paste_on = on;
}

void screen_stop(int touch_terminal)
{
    if (!scr)
        return;
    if (touch_terminal) {
        screen_paste_mode(0);
        endwin();
    }
    delscreen(scr);
    scr = NULL;
}

int screen_read_key(int *code)
{
    wint_t ch;
    int r = wget_wch(stdscr, &ch);
    if (r == ERR)
        return 0;
    if (r == KEY_CODE_YES) {
        *code = ch == KEY_ENTER ? '\r' : TK_FN((int)ch);
        return 1;
    }
    if (ch == 0x1b) {
        /* Alt+letter arrives as ESC and the letter together. Anything else
         * after an ESC (a digit, a second key sent in the same burst) is
         * its own key, so Esc followed quickly by "3" still means both. */
        wint_t next;
        int r2 = wget_wch(stdscr, &next);
        if (r2 == OK && next < 0x80 && ((next | 0x20) >= 'a' && (next | 0x20) <= 'z')) {
            *code = TK_ALT | (int)next;
            return 1;
        }
        if (r2 == OK)
            unget_wch((wchar_t)next);
        else if (r2 == KEY_CODE_YES)
            ungetch((int)next);
        *code = 0x1b;
        return 1;
    }
    *code = (int)ch;
    return 1;
}

void screen_fatal(const char *fmt, ...)
{
    screen_stop(1);
    va_list ap;
    va_start(ap, fmt);
    fputs("agentft: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}
