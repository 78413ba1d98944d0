/* Speed of the workbench, printed (no time is asserted): the frame time at
 * 200x60 with a 1,000,000-record dataset and a live run of this process,
 * drawn on a pseudo-terminal the way a remote session is; and how much a
 * training run slows while the workbench is open, against the same run
 * headless. Built by make check; run tests/bench/bench_tui by hand. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, ptsname */
#endif
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agentft/config.h"
#include "agentft/dataset.h"
#include "agentft/rng.h"
#include "agentft/trainer.h"
#include "../../src/tui/draw.h"
#include "../../src/tui/runsrc.h"
#include "../../src/tui/screen.h"
#include "../../src/tui/wb.h"

#define RECORDS 1000000
#define TRAIN_RECORDS 4000
#define RUN_STEPS 150

static FILE *out;          /* the real stdout: the pseudo-terminal has fd 1 */
static char tmp[512];

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* ---- data --------------------------------------------------------------------- */

static const char *const actions[12] = {
    "search_flights", "book_flight", "cancel_booking", "check_status", "refund_request",
    "change_seat", "add_baggage", "hotel_search", "weather_lookup", "send_email",
    "escalate_human", "faq_answer",
};
static const char *const words[24] = {
    "please", "find", "me", "a", "flight", "to", "Tokyo", "next", "Friday", "under",
    "budget", "check", "my", "booking", "seat", "hotel", "北京", "上海", "航班", "预算",
    "退款", "行李", "天气", "明天",
};

/* A context whose words lean towards its action, so the run learns. */
static void context(aft_rng *rng, int action, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%s", actions[action]);
    int len = 6 + (int)aft_rng_below(rng, 14);
    for (int k = 0; k < len && n + 16 < size; k++)
        n += (size_t)snprintf(buf + n, size - n, " %s", words[aft_rng_below(rng, 24)]);
}

static int write_records(const char *path, long count, int with_split)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    aft_rng rng;
    aft_rng_seed(&rng, 42);
    char ctx[400];
    for (long k = 0; k < count; k++) {
        int a = (int)aft_rng_below(&rng, 12);
        context(&rng, a, ctx, sizeof ctx);
        fprintf(f, "{\"id\":\"r-%07ld\",\"context\":\"%s\",\"agent_action\":\"%s\"", k, ctx,
                actions[a]);
        if (with_split)
            fprintf(f, ",\"split\":\"%s\"", k % 10 == 0 ? "valid" : "train");
        else
            fprintf(f, ",\"expected_response\":\"ok\",\"complexity\":%d", 1 + (int)(k % 3));
        fputs("}\n", f);
    }
    return fclose(f);
}

static aft_config *workspace(int threads)
{
    char path[700];
    snprintf(path, sizeof path, "%s/workspace.yaml", tmp);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "name: bench\nthreads: %d\ndataset:\n  path: train.jsonl\n"
               "model:\n  n_layer: 2\n  n_head: 4\n  d_model: 128\n  max_seq: 64\n"
               "  vocab_size: 1024\noptimizer:\n  lr: 1e-3\n"
               "train:\n  batch_size: 32\n  epochs: 1000\n  max_steps: %d\n"
               "eval:\n  eval_every: %d\n  checkpoint_every: 0\n  patience: 0\nseed: 7\n",
            threads, RUN_STEPS, RUN_STEPS / 2);
    fclose(f);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg)
        fprintf(out, "bench_tui: %s\n", err.msg);
    return cfg;
}

/* ---- the pseudo-terminal ----------------------------------------------------- */

typedef struct pty {
    int master;
    pthread_t drain;
    size_t bytes;      /* what the workbench wrote to its terminal */
    pthread_mutex_t mu;
} pty;

/* The other end of the terminal: reads (and counts) what is drawn, as a
 * terminal emulator would. */
static void *drain_main(void *arg)
{
    pty *p = arg;
    char buf[65536];
    ssize_t n;
    while ((n = read(p->master, buf, sizeof buf)) > 0) {
        pthread_mutex_lock(&p->mu);
        p->bytes += (size_t)n;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static size_t pty_bytes(pty *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->bytes;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* Opens a 200x60 pseudo-terminal and makes it this process's stdin and
 * stdout, as a terminal session would be. */
static int pty_open(pty *p, int cols, int rows)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0)
        return -1;
    int slave = open(ptsname(p->master), O_RDWR | O_NOCTTY);
    if (slave < 0)
        return -1;
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(slave, TIOCSWINSZ, &ws);
    if (dup2(slave, STDIN_FILENO) < 0 || dup2(slave, STDOUT_FILENO) < 0)
        return -1;
    close(slave);
    return pthread_create(&p->drain, NULL, drain_main, p) == 0 ? 0 : -1;
}

/* ---- the workbench ----------------------------------------------------------- */

static int wb_open(wb *b, aft_config *cfg, aft_dataset *ds)
{
    memset(b, 0, sizeof *b);
    tui_app *app = &b->app;
    app->cfg = cfg;
    app->ws_path = aft_config_path(cfg);
    app->sel = SIZE_MAX;
    app->ds = ds;
    app->log = calloc(APP_LOG_LINES, sizeof *app->log);
    app->run = runsrc_open("");
    if (!app->log || !app->run || pipe(b->wake) < 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(b->wake[i], F_SETFL, fcntl(b->wake[i], F_GETFL) | O_NONBLOCK);
    app->wake_fd = b->wake[1];
    return wb_make_panes(app);
}

static void wb_free(wb *b)
{
    tui_app *app = &b->app;
    for (int i = 0; i < P_COUNT; i++)
        if (app->panes[i])
            app->panes[i]->ops->free(app->panes[i]);
    runsrc_free(app->run);
    free(app->log);
    close(b->wake[0]);
    close(b->wake[1]);
}

/* Starts a run in its own thread, shown by the workbench as F5 does. */
static aft_trainer *start_run(wb *b, const aft_config *cfg, const char *name, int ui_open)
{
    aft_trainer_opts o;
    aft_trainer_opts_init(&o);
    o.run_name = name;
    o.notify_fd = b ? b->wake[1] : -1;
    o.ui_open = ui_open;
    aft_error err = {0};
    aft_trainer *t = aft_trainer_new(cfg, &o, &err);
    if (!t || aft_trainer_start(t, &err) < 0) {
        fprintf(out, "bench_tui: the run did not start: %s\n", err.msg);
        aft_trainer_free(t);
        return NULL;
    }
    if (b) {
        runsrc_free(b->app.run);
        b->app.run = runsrc_open_trainer(t);
        b->app.trainer = t;
    }
    return t;
}

/* Ends the run (abort: at once, else once it has finished) and frees it. */
static void end_run(wb *b, aft_trainer *t, int abort)
{
    if (b) {
        runsrc_free(b->app.run);
        b->app.run = runsrc_open("");
        b->app.trainer = NULL;
    }
    if (abort)
        aft_trainer_abort(t);
    aft_trainer_join(t, NULL);
    aft_trainer_free(t);
}

/* ---- figures ------------------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_times(const char *what, double *ms, size_t n, size_t bytes)
{
    if (n == 0) {
        fprintf(out, "  %-34s no frame\n", what);
        return;
    }
    qsort(ms, n, sizeof *ms, by_value);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ms[i];
    fprintf(out, "  %-34s %4zu frames  mean %6.2f ms  median %6.2f  p95 %6.2f  max %6.2f"
                 "  %6.1f KB/frame\n",
            what, n, sum / (double)n, ms[n / 2], ms[n * 95 / 100], ms[n - 1],
            (double)bytes / (double)n / 1024.0);
}

/* ---- frame times ---------------------------------------------------------------- */

static void bench_frames(wb *b, pty *p, const aft_config *cfg)
{
    tui_app *app = &b->app;
    double t0 = now_ms();
    while (wb_tick(b))
        ; /* the dataset pane reads the million records a slice per turn */
    fprintf(out, "  the list's first scan of %d records: %.0f ms in slices of ~15 ms\n", RECORDS,
            now_ms() - t0);
    aft_trainer *t = start_run(b, cfg, "frames", 0);
    if (!t)
        return;
    aft_trainer_status st;
    do {
        sleep_ms(50);
        aft_trainer_status_get(t, &st);
    } while (st.step < 5 && st.phase != AFT_PHASE_FINISHED && st.phase != AFT_PHASE_FAILED);
    static double ms[1000];
    size_t n = 0, bytes;

    /* Every pane drawn again (curses then sends only what differs). */
    bytes = pty_bytes(p);
    for (n = 0; n < 60; n++) {
        double a = now_ms();
        b->full = 1;
        wb_frame(b);
        ms[n] = now_ms() - a;
    }
    sleep_ms(100);
    print_times("every pane redrawn", ms, n, pty_bytes(p) - bytes);
    /* The whole terminal painted again, as after ^L or a theme change. */
    bytes = pty_bytes(p);
    for (n = 0; n < 60; n++) {
        double a = now_ms();
        b->full = 1;
        clearok(curscr, TRUE);
        wb_frame(b);
        ms[n] = now_ms() - a;
    }
    sleep_ms(100);
    print_times("whole terminal repainted", ms, n, pty_bytes(p) - bytes);

    /* The loop as it runs during training: woken by the trainer, at most
     * ten frames a second, only what changed drawn. */
    bytes = pty_bytes(p);
    n = 0;
    double end = now_ms() + 4000;
    while (now_ms() < end && n < 1000) {
        struct pollfd fd = {b->wake[0], POLLIN, 0};
        poll(&fd, 1, 100);
        char buf[256];
        while (read(b->wake[0], buf, sizeof buf) > 0)
            ;
        double a = now_ms();
        wb_tick(b);
        wb_frame(b);
        ms[n++] = now_ms() - a;
    }
    print_times("live run (tick + frame)", ms, n, pty_bytes(p) - bytes);

    /* A key: a page down in the million-record list, then the frame. */
    bytes = pty_bytes(p);
    pane *data = app->panes[P_DATA];
    for (n = 0; n < 200; n++) {
        double a = now_ms();
        data->ops->key(data, TK_FN(KEY_NPAGE));
        data->dirty = 1;
        wb_tick(b);
        wb_frame(b);
        ms[n] = now_ms() - a;
    }
    print_times("key (PgDn in the list) to screen", ms, n, pty_bytes(p) - bytes);
    aft_trainer_status_get(t, &st);
    fprintf(out, "  (the run was at step %llu, %s)\n", (unsigned long long)st.step,
            aft_trainer_phase_name(st.phase));
    end_run(b, t, 1);
}

/* ---- a run with the workbench open and headless -------------------------------- */

/* One run, with the workbench's own loop drawing it for a window of time,
 * then nobody drawing it (as headless) for as long, in turn; each drawn
 * window's steps are compared with the next window's. Alternating within
 * one run keeps a neighbour's load on the machine, and the run's own
 * phases, alike for both kinds; the median of the pairs and their spread
 * are printed, with the CPU time the loop itself took, which bounds its
 * cost whatever the noise. */
#define WINDOW_MS 1000
#define WINDOWS 40

static double thread_cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Ends a window of the workbench's loop: its signal path (the handler
 * writes to the self-pipe, the loop leaves), as a SIGINT would. */
static void *window_timer(void *arg)
{
    (void)arg;
    sleep_ms(WINDOW_MS);
    kill(getpid(), SIGINT);
    return NULL;
}

static uint64_t run_step(aft_trainer *t)
{
    aft_trainer_status st;
    aft_trainer_status_get(t, &st);
    return st.step;
}

typedef struct window {
    uint64_t from, to;   /* steps (from, to] finished in the window */
    int drawn;
} window;

/* Mean step time of the steps finished in window w; adds them to *count. */
static double mean_step(const aft_point *pts, size_t n, const window *w, size_t *count)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i].step > w->from && pts[i].step <= w->to) {
            sum += pts[i].value;
            k++;
        }
    *count += k;
    return k ? sum / (double)k : NAN;
}

static int by_value(const void *a, const void *b);

/* Prints the step times of the drawn windows against the windows after them. */
static void print_pairs(const aft_point *pts, size_t n, const window *w, int cores)
{
    double ratio[WINDOWS / 2], drawn = 0, bare = 0;
    size_t nd = 0, nb = 0, np = 0;
    for (int k = 0; k + 1 < WINDOWS; k += 2) {
        double a = mean_step(pts, n, &w[k], &nd), b = mean_step(pts, n, &w[k + 1], &nb);
        if (isnan(a) || isnan(b))
            continue;
        drawn += a;
        bare += b;
        ratio[np++] = a / b;
    }
    if (np == 0) {
        fprintf(out, "  no step finished in the windows\n");
        return;
    }
    qsort(ratio, np, sizeof *ratio, by_value);
    fprintf(out, "  %d threads, %zu pairs of %d ms windows: drawn %.2f ms/step (%zu steps), not "
                 "drawn %.2f ms/step (%zu steps)\n",
            cores, np, WINDOW_MS, drawn / (double)np, nd, bare / (double)np, nb);
    fprintf(out, "  slowdown while drawn, median of the pairs %+.1f%% (quartiles %+.1f%% .. "
                 "%+.1f%%)\n",
            (ratio[np / 2] - 1) * 100, (ratio[np / 4] - 1) * 100, (ratio[np * 3 / 4] - 1) * 100);
}

static void bench_slowdown(wb *b, int cores)
{
    aft_config *cfg = workspace(cores);
    if (!cfg)
        return;
    aft_config_set(cfg, AFT_K_MAX_STEPS, "1000000", AFT_ORIGIN_SET, NULL);
    aft_config_set(cfg, AFT_K_EVAL_EVERY, "1000000", AFT_ORIGIN_SET, NULL);
    aft_trainer *t = start_run(b, cfg, "slowdown", 0);
    if (!t)
        goto done;
    screen_catch_signals(b->wake[1]);
    while (run_step(t) < 10)
        sleep_ms(50);
    window w[WINDOWS];
    double ui_cpu = 0, ui_wall = 0;
    for (int k = 0; k < WINDOWS; k++) {
        w[k].drawn = k % 2 == 0;
        w[k].from = run_step(t);
        if (w[k].drawn) {
            pthread_t th;
            pthread_create(&th, NULL, window_timer, NULL);
            double c0 = thread_cpu_ms(), t0 = now_ms();
            b->app.quit = 0;
            b->full = 1;
            wb_loop(b);
            ui_cpu += thread_cpu_ms() - c0;
            ui_wall += now_ms() - t0;
            pthread_join(th, NULL);
        } else {
            sleep_ms(WINDOW_MS);
        }
        w[k].to = run_step(t);
    }
    size_t n = aft_trainer_series_len(t, AFT_SERIES_STEP_MS);
    aft_point *pts = malloc((n ? n : 1) * sizeof *pts);
    if (pts) {
        n = aft_trainer_series(t, AFT_SERIES_STEP_MS, 0, pts, n);
        print_pairs(pts, n, w, cores);
        free(pts);
    }
    fprintf(out, "  the workbench's loop used %.1f ms of CPU a second while drawing the run "
                 "(%.2f%% of one core)\n",
            ui_cpu / (ui_wall / 1e3), ui_cpu / ui_wall * 100);
    end_run(b, t, 1);
done:
    aft_config_free(cfg);
}

/* ---- main ------------------------------------------------------------------------- */

static int make_tmp(void)
{
    const char *base = getenv("AFT_TEST_TMP");
    snprintf(tmp, sizeof tmp, "%s/bench-tui.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmp) ? 0 : -1;
}

int main(void)
{
    out = fdopen(dup(STDOUT_FILENO), "w");
    if (!out || make_tmp() < 0)
        return 1;
    setvbuf(out, NULL, _IOLBF, 0);
    int utf8 = setlocale(LC_ALL, "C.UTF-8") != NULL;
    setlocale(LC_NUMERIC, "C");
    draw_set_utf8(utf8);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char big[600], train[600];
    snprintf(big, sizeof big, "%s/big.jsonl", tmp);
    snprintf(train, sizeof train, "%s/train.jsonl", tmp);
    double t0 = now_ms();
    if (write_records(big, RECORDS, 0) < 0 || write_records(train, TRAIN_RECORDS, 1) < 0) {
        fprintf(out, "bench_tui: cannot write the datasets in %s\n", tmp);
        return 1;
    }
    aft_error err = {0};
    aft_load_opts lo = {0};
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_dataset *ds = aft_dataset_open(big, &lo, &diags, &err);
    aft_diag_list_free(&diags);
    aft_config *cfg = workspace((int)cores);
    if (!ds || !cfg) {
        fprintf(out, "bench_tui: %s\n", err.msg);
        return 1;
    }
    fprintf(out, "bench_tui: %d records generated and loaded in %.1f s; %ld cores, %s\n",
            RECORDS, (now_ms() - t0) / 1e3, cores, utf8 ? "UTF-8 (braille charts)" : "ASCII");

    pty p;
    wb b;
    char hint[512];
    setenv("TERM", "xterm-256color", 1);
    if (pty_open(&p, 200, 60) < 0 || wb_open(&b, cfg, ds) < 0 || screen_start(hint, sizeof hint) < 0) {
        fprintf(out, "bench_tui: no pseudo-terminal or workbench: %s\n", hint);
        return 1;
    }
    theme th;
    const char *dirs[] = {THEMES_DIR};
    char terr[256];
    theme_load(&th, "dark", dirs, 1, terr, sizeof terr);
    theme_apply(&th);
    wb_relayout(&b);
    fprintf(out, "frame time at %dx%d (%s), %d-record dataset, a live run of this process:\n",
            COLS, LINES, theme_current_depth() == THEME_256 ? "256 colours" : "colours", RECORDS);
    bench_frames(&b, &p, cfg);
    fprintf(out, "a training run (d_model 128, 2 layers, batch 32) with the workbench drawing "
                 "it, and not:\n");
    bench_slowdown(&b, (int)cores);

    wb_close_windows(&b);
    screen_stop(1);
    wb_free(&b);
    aft_dataset_free(ds);
    aft_config_free(cfg);
    /* With the terminal's last descriptors closed, the drain reads EOF. */
    close(STDOUT_FILENO);
    close(STDIN_FILENO);
    pthread_join(p.drain, NULL);
    close(p.master);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(out, "bench_tui: could not remove %s\n", tmp);
    return 0;
}
