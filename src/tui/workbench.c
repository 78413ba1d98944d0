/* The screen manager: one loop that sleeps in poll() on the keyboard and
 * the self-pipe, hands keys to the focused pane (then to the global keys),
 * lets panes pick up new data, and redraws only dirty panes with one
 * doupdate() a frame, at most ten frames a second. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"
#include "live.h"
#include "screen.h"
#include "theme_pick.h"
#include "wb.h"
#include "agentft/clock.h"

#define FRAME_MS 100.0
#define IDLE_MS 100

/* ---- layout ----------------------------------------------------------------- */

static WINDOW *remake(WINDOW *old, rect r)
{
    if (old)
        delwin(old);
    if (r.h <= 0 || r.w <= 0)
        return NULL;
    WINDOW *w = newwin(r.h, r.w, r.y, r.x);
    if (!w) /* curses is out of memory: nothing sensible can be drawn */
        screen_fatal("cannot create a %dx%d window (out of memory)", r.w, r.h);
    return w;
}

void wb_relayout(wb *b)
{
    tui_app *app = &b->app;
    layout_compute(COLS, LINES, app->focus, app->zoom, app->front, &app->lay);
    for (int i = 0; i < P_COUNT; i++) {
        pane *p = app->panes[i];
        rect r = app->lay.pane[i];
        p->win = remake(p->win, r);
        p->h = p->win ? r.h : 0;
        p->w = p->win ? r.w : 0;
        if (p->win && p->ops->resize)
            p->ops->resize(p);
        p->dirty = 1;
    }
    b->top = remake(b->top, app->lay.top);
    b->status = remake(b->status, app->lay.status);
    b->keys = remake(b->keys, app->lay.keys);
    if (b->overlay) {
        delwin(b->overlay);
        b->overlay = NULL;
    }
    b->full = 1;
    app->relayout = 0;
}

void wb_close_windows(wb *b)
{
    for (int i = 0; i < P_COUNT; i++) {
        pane *p = b->app.panes[i];
        p->win = remake(p->win, (rect){0, 0, 0, 0});
    }
    b->top = remake(b->top, (rect){0, 0, 0, 0});
    b->status = remake(b->status, (rect){0, 0, 0, 0});
    b->keys = remake(b->keys, (rect){0, 0, 0, 0});
    b->overlay = remake(b->overlay, (rect){0, 0, 0, 0});
}

/* ---- drawing ---------------------------------------------------------------- */

static void draw_title(pane *p)
{
    unsigned long a = theme_attr(p->focused ? ROLE_TITLE_FOCUS : ROLE_TITLE);
    draw_fill(p->win, 0, 0, p->w, a);
    char t[64], info[256] = "";
    snprintf(t, sizeof t, " %d %s ", (int)p->id + 1, p->ops->title);
    int used = draw_text(p->win, 0, 0, t, p->w, a);
    if (p->ops->info)
        p->ops->info(p, info, sizeof info);
    int iw = (int)strlen(info) + 1;
    if (info[0] && used + 2 < p->w)
        draw_text(p->win, 0, iw < p->w - used ? p->w - iw : used, info, p->w - used, a);
}

static void draw_overlay(wb *b)
{
    int rows = LINES - 2, cols = COLS - 4 < 90 ? COLS - 4 : 90;
    if (!b->overlay)
        b->overlay = newwin(rows, cols, 1, (COLS - cols) / 2);
    if (!b->overlay)
        return;
    werase(b->overlay);
    help_draw(&b->help, b->overlay, rows, cols);
    wnoutrefresh(b->overlay);
}

static void place_cursor(wb *b)
{
    pane *p = b->app.panes[b->app.focus];
    int y, x;
    if (!b->help.open && p->win && p->ops->cursor && p->ops->cursor(p, &y, &x)) {
        curs_set(1);
        wmove(p->win, y, x);
        wnoutrefresh(p->win);
    } else {
        curs_set(0);
    }
}

void wb_frame(wb *b)
{
    tui_app *app = &b->app;
    if (app->lay.mode == LAYOUT_TOO_SMALL) {
        werase(stdscr);
        chrome_too_small(stdscr, LINES, COLS);
        wnoutrefresh(stdscr);
        curs_set(0);
        doupdate();
        return;
    }
    if (b->full) {
        werase(stdscr);
        if (app->lay.sep_x >= 0)
            draw_vline(stdscr, app->lay.sep_y, app->lay.sep_x, app->lay.sep_h,
                       theme_attr(ROLE_BORDER));
        wnoutrefresh(stdscr);
        for (int i = 0; i < P_COUNT; i++)
            app->panes[i]->dirty = 1;
        b->full = 0;
    }
    for (int i = 0; i < P_COUNT; i++) {
        pane *p = app->panes[i];
        if (!p->win || !p->dirty)
            continue;
        werase(p->win);
        draw_title(p);
        p->ops->draw(p);
        wnoutrefresh(p->win);
        p->dirty = 0;
    }
    pane *f = app->panes[app->focus];
    werase(b->top);
    chrome_top(app, b->top, COLS);
    wnoutrefresh(b->top);
    werase(b->status);
    chrome_status(app, b->status, COLS);
    wnoutrefresh(b->status);
    werase(b->keys);
    chrome_keys(app, b->keys, COLS, f->ops->scope(f));
    wnoutrefresh(b->keys);
    if (b->help.open)
        draw_overlay(b);
    place_cursor(b);
    doupdate();
}

/* ---- keys ------------------------------------------------------------------- */

static void next_pane(tui_app *app, int dir)
{
    int i = ((int)app->focus + dir + P_COUNT) % P_COUNT;
    app_focus(app, (pane_id)i);
}

static void stop_and_quit(tui_app *app, void *ctx)
{
    (void)ctx;
    app->stop_run = 1;
    app->quit = 1;
}

static void quit(wb *b)
{
    tui_app *app = &b->app;
    if (live_running(app)) {
        app_ask(app, stop_and_quit, NULL,
                "a run is going: stop it (with a checkpoint) and quit? (y/n)");
        return;
    }
    if (pane_augment_hold_quit(app->panes[P_AUGMENT]))
        return;
    if (app->ds && aft_dataset_dirty(app->ds) && !app->quit_asked) {
        app->quit_asked = 1;
        app_message(app, ROLE_WARNING,
                    "unsaved edits are safe in the journal; q again quits, s saves first");
        return;
    }
    app->quit = 1;
}

static void toggle_mouse(wb *b)
{
    b->mouse_on = !b->mouse_on;
    mousemask(b->mouse_on ? BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED : 0, NULL);
    app_message(&b->app, ROLE_NORMAL, "mouse %s", b->mouse_on ? "on (Shift selects text)" : "off");
}

static void global_key(wb *b, int code)
{
    tui_app *app = &b->app;
    key_action a = keys_action(KS_GLOBAL, code);
    if (a != ACT_QUIT)
        app->quit_asked = 0;
    switch (a) {
    case ACT_HELP:
        help_open(&b->help, app->panes[app->focus]->ops->scope(app->panes[app->focus]));
        break;
    case ACT_QUIT: quit(b); break;
    case ACT_SAVE: app_save(app); break;
    case ACT_NEXT_PANE: next_pane(app, 1); break;
    case ACT_PREV_PANE: next_pane(app, -1); break;
    case ACT_PANE_1: case ACT_PANE_2: case ACT_PANE_3: case ACT_PANE_4: case ACT_PANE_5:
    case ACT_PANE_6: case ACT_PANE_7: case ACT_PANE_8:
        app_focus(app, (pane_id)(a - ACT_PANE_1));
        break;
    case ACT_ZOOM:
        app->zoom = !app->zoom;
        app->relayout = 1;
        break;
    case ACT_REDRAW:
        clearok(curscr, TRUE);
        b->full = 1;
        break;
    case ACT_MOUSE: toggle_mouse(b); break;
    case ACT_THEME: theme_pick_cycle(app); break;
    case ACT_RUN_START: live_start(app); break;
    case ACT_RUN_PAUSE: live_command(app, AFT_CMD_PAUSE); break;
    case ACT_RUN_STOP: live_command(app, AFT_CMD_STOP); break;
    case ACT_DETACH: live_detach(app); break;
    case ACT_RUN_CHECKPOINT: live_command(app, AFT_CMD_CHECKPOINT); break;
    case ACT_RUN_EVAL: live_command(app, AFT_CMD_EVAL); break;
    default: break;
    }
}

/* A click focuses the pane under it (or picks a tab); the wheel scrolls it
 * with the same keys as the arrows. */
static void mouse_key(wb *b)
{
    MEVENT ev;
    tui_app *app = &b->app;
    if (getmouse(&ev) != OK)
        return;
    if (ev.y == 0 && app->lay.mode == LAYOUT_TABS) {
        int tab = chrome_tab_at(COLS, ev.x);
        if (tab >= 0)
            app_focus(app, (pane_id)tab);
        return;
    }
    for (int i = 0; i < P_COUNT; i++) {
        rect r = app->lay.pane[i];
        if (r.h && ev.y >= r.y && ev.y < r.y + r.h && ev.x >= r.x && ev.x < r.x + r.w) {
            app_focus(app, (pane_id)i);
            pane *p = app->panes[i];
            int arrow = ev.bstate & BUTTON4_PRESSED ? KEY_UP
                        : ev.bstate & BUTTON5_PRESSED ? KEY_DOWN : 0;
            for (int k = 0; arrow && k < 3; k++)
                p->ops->key(p, TK_FN(arrow));
            if ((ev.bstate & BUTTON1_PRESSED) && p->ops->click &&
                (p->ops->click(p, ev.y - r.y, ev.x - r.x) & PK_RELAYOUT))
                app->relayout = 1;
            p->dirty = 1;
        }
    }
}

/* Keys that something other than the focused pane takes first: a paste
 * where no text is edited, the help overlay, a yes/no question. Returns 1
 * when the key was used. */
static int modal_key(wb *b, int code)
{
    tui_app *app = &b->app;
    /* Pasted text is text: where no field takes it, it must not turn into
     * commands (a pasted "d" then "y" would delete a record). */
    if (b->swallow_paste) {
        b->swallow_paste = code != TK_PASTE_END;
        return 1;
    }
    pane *p = app->panes[app->focus];
    if (code == TK_PASTE_START && (b->help.open || app->confirm[0] ||
                                   app->lay.mode == LAYOUT_TOO_SMALL ||
                                   p->ops->scope(p) != KS_TEXT)) {
        b->swallow_paste = 1;
        app_message(app, ROLE_WARNING, "paste ignored: open a text field first (Enter)");
        return 1;
    }
    if (b->help.open) {
        if (!help_key(&b->help, code))
            b->full = 1;
        return 1;
    }
    if (app->confirm[0]) {
        int yes = code == 'y' || code == 'Y';
        app->confirm[0] = '\0';
        app->chrome_dirty = 1;
        if (yes && app->confirm_fn)
            app->confirm_fn(app, app->confirm_ctx);
        else
            app_message(app, ROLE_NORMAL, "cancelled");
        app->confirm_fn = NULL;
        return 1;
    }
    return 0;
}

static void dispatch(wb *b, int code)
{
    tui_app *app = &b->app;
    if (code == TK_FN(KEY_RESIZE)) {
        app->relayout = 1;
        return;
    }
    if (code == TK_FN(KEY_MOUSE)) {
        mouse_key(b);
        return;
    }
    if (modal_key(b, code))
        return;
    if (app->lay.mode == LAYOUT_TOO_SMALL) {
        if (keys_action(KS_GLOBAL, code) == ACT_QUIT)
            quit(b);
        return;
    }
    pane *p = app->panes[app->focus];
    int text = p->ops->scope(p) == KS_TEXT;
    unsigned r = p->ops->key(p, code);
    if (r & PK_REDRAW)
        p->dirty = 1;
    if (r & PK_RELAYOUT)
        app->relayout = 1;
    if (r & PK_QUIT)
        quit(b);
    if (r & PK_FOCUS_NEXT)
        next_pane(app, 1);
    if (r & PK_HANDLED)
        return;
    /* While text is edited only keys that cannot be text reach the rest. */
    if (text && !TK_IS_FN(code) && code >= 0x20)
        return;
    global_key(b, code);
}

/* ---- the loop --------------------------------------------------------------- */

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

static void on_signal(wb *b, int sig)
{
    tui_app *app = &b->app;
    /* Every acknowledged edit is already in the journal; saving as well
     * leaves the dataset file itself up to date. */
    if (app->ds && aft_dataset_dirty(app->ds)) {
        aft_error err = {0};
        aft_dataset_save(app->ds, &err);
    }
    b->detached = sig == SIGHUP;
    /* A hang-up leaves a run training to its end; a kill stops it cleanly. */
    app->stop_run = sig != SIGHUP;
    b->exit_code = 128 + sig;
    app->quit = 1;
}

int wb_tick(wb *b)
{
    int busy = 0;
    for (int i = 0; i < P_COUNT; i++) {
        pane *p = b->app.panes[i];
        int r = p->ops->tick ? p->ops->tick(p) : 0;
        if (r & 1)
            p->dirty = 1;
        if (r & 2)
            busy = 1;
    }
    return busy;
}

static int any_dirty(const wb *b)
{
    if (b->app.chrome_dirty)
        return 1;
    for (int i = 0; i < P_COUNT; i++)
        if (b->app.panes[i]->dirty && b->app.panes[i]->win)
            return 1;
    return b->full;
}

void wb_loop(wb *b)
{
    tui_app *app = &b->app;
    int busy = 0, input = 1;
    b->last_frame = -FRAME_MS;
    while (!app->quit) {
        double now = aft_monotonic_ms();
        int timeout = busy ? 0 : IDLE_MS;
        if (input || any_dirty(b)) {
            /* Something to show: wake when the next frame is due. */
            double due = b->last_frame + FRAME_MS - now;
            timeout = due <= 0 ? 0 : due < timeout ? (int)due + 1 : timeout;
        }
        struct pollfd fds[2] = {{0, POLLIN, 0}, {b->wake[0], POLLIN, 0}};
        int n = poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && (fds[1].revents & POLLIN))
            drain(b->wake[0]);
        int sig = screen_take_signal();
        if (sig) {
            on_signal(b, sig);
            break;
        }
        int code, keys = 0;
        while (keys < 512 && screen_read_key(&code)) {
            dispatch(b, code);
            keys++;
        }
        input = input || keys > 0;
        busy = wb_tick(b);
        if (app->relayout)
            wb_relayout(b);
        now = aft_monotonic_ms();
        if (now - b->last_frame >= FRAME_MS && (input || any_dirty(b))) {
            wb_frame(b);
            b->last_frame = now;
            input = 0;
            app->chrome_dirty = 0;
        }
    }
}
