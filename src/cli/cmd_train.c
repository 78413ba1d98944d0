/* `agentft train WS` and `agentft resume RUN`: a run in the trainer's thread
 * while this thread shows progress (one line redrawn in place on a terminal,
 * plain lines otherwise) and turns Ctrl-C into "checkpoint and stop", a
 * second one into "stop at once". Under mpirun every rank trains and rank 0
 * alone talks to the user; a rank that fails ends the whole job. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "agentft/clock.h"
#include "agentft/dist.h"
#include "agentft/trainer.h"
#include "cli.h"

/* The signal flags (the CLI's only global state): Ctrl-C or SIGTERM count. */
static volatile sig_atomic_t interrupts;

static void on_interrupt(int sig)
{
    (void)sig;
    if (interrupts < 2)
        interrupts++;
}

typedef struct view {
    aft_dist *dist;          /* the MPI job (one process without mpirun) */
    int tty, quiet, width;
    size_t train_seen, val_seen, events_seen, pat_seen, reward_seen;
    uint64_t every;          /* plain lines: a train line every this many steps */
    int line_shown;          /* a progress line is on screen (tty) */
    int pending;             /* a redraw was put off (at most 10 a second over SSH) */
    double t0, last_draw;
} view;

static void fmt_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

static void fmt_rate(double r, char *buf, size_t size)
{
    if (!isfinite(r))
        snprintf(buf, size, "?");
    else if (r >= 1e4)
        snprintf(buf, size, "%.1fk", r / 1e3);
    else
        snprintf(buf, size, "%.0f", r);
}

/* A PPO run's figures of the update at `step` (its rollout's mean reward
 * and KL to the reference) as "  reward 0.8125  KL 0.42", or "". */
static void ppo_text(aft_trainer *t, uint64_t step, char *buf, size_t size)
{
    aft_point r, kl;
    size_t n = aft_trainer_series_len(t, AFT_SERIES_REWARD);
    buf[0] = '\0';
    for (size_t i = n; i-- > 0;) {
        if (aft_trainer_series(t, AFT_SERIES_REWARD, i, &r, 1) != 1 || r.step < step)
            return;
        if (r.step == step && aft_trainer_series(t, AFT_SERIES_KL, i, &kl, 1) == 1) {
            snprintf(buf, size, "  reward %.4f  KL %.4f", r.value, kl.value);
            return;
        }
    }
}

static void progress_text(aft_trainer *t, const aft_trainer_status *s, char *buf, size_t size)
{
    char eta[32], rate[32], val[48] = "", pat[32] = "", ppo[64];
    fmt_duration(s->eta_s, eta, sizeof eta);
    fmt_rate(s->tokens_per_s, rate, sizeof rate);
    if (isfinite(s->val_accuracy))
        snprintf(val, sizeof val, "  val acc %.1f%%", 100 * s->val_accuracy);
    if (s->patience_left >= 0)
        snprintf(pat, sizeof pat, "  patience %d", s->patience_left);
    ppo_text(t, s->step, ppo, sizeof ppo);
    char where[96];
    if (s->ppo)
        snprintf(where, sizeof where, "update %llu/%llu", (unsigned long long)s->step,
                 (unsigned long long)s->total_steps);
    else
        snprintf(where, sizeof where, "step %llu/%llu  epoch %llu/%llu",
                 (unsigned long long)s->step, (unsigned long long)s->total_steps,
                 (unsigned long long)(s->epoch < s->epochs ? s->epoch + 1 : s->epochs),
                 (unsigned long long)s->epochs);
    snprintf(buf, size, "%s  loss %.4f%s%s  %s tok/s  ETA %s%s%s", where, s->train_loss, ppo,
             val, rate, eta, pat, s->phase == AFT_PHASE_PAUSED ? "  [paused]" : "");
}

/* A line of its own; on a terminal the progress line is redrawn after it. */
static void say(view *v, const char *line)
{
    if (v->tty && v->line_shown)
        fputs("\r\033[K", stdout);
    v->line_shown = 0;
    printf("%s\n", line);
}

static void show_events(view *v, aft_trainer *t)
{
    aft_event ev[32];
    size_t n;
    while ((n = aft_trainer_events(t, v->events_seen, ev, 32)) > 0) {
        for (size_t i = 0; i < n; i++) {
            char line[300];
            snprintf(line, sizeof line, "step %llu: %s", (unsigned long long)ev[i].step, ev[i].text);
            say(v, line);
        }
        v->events_seen += n;
    }
}

static void show_vals(view *v, aft_trainer *t)
{
    aft_point loss, acc, f1;
    while (aft_trainer_series(t, AFT_SERIES_VAL_LOSS, v->val_seen, &loss, 1) == 1 &&
           aft_trainer_series(t, AFT_SERIES_VAL_ACCURACY, v->val_seen, &acc, 1) == 1 &&
           aft_trainer_series(t, AFT_SERIES_VAL_MACRO_F1, v->val_seen, &f1, 1) == 1) {
        char line[200], pat[32] = "";
        /* The patience left after this validation, from its own series. */
        aft_point pp;
        while (aft_trainer_series(t, AFT_SERIES_PATIENCE_LEFT, v->pat_seen, &pp, 1) == 1 &&
               pp.step < loss.step)
            v->pat_seen++;
        if (aft_trainer_series(t, AFT_SERIES_PATIENCE_LEFT, v->pat_seen, &pp, 1) == 1 &&
            pp.step == loss.step)
            snprintf(pat, sizeof pat, "  patience left %.0f", pp.value);
        /* A PPO run's evaluation episodes, from theirs. */
        char reward[48] = "";
        aft_point rp;
        while (aft_trainer_series(t, AFT_SERIES_VAL_REWARD, v->reward_seen, &rp, 1) == 1 &&
               rp.step < loss.step)
            v->reward_seen++;
        if (aft_trainer_series(t, AFT_SERIES_VAL_REWARD, v->reward_seen, &rp, 1) == 1 &&
            rp.step == loss.step)
            snprintf(reward, sizeof reward, "  reward %.4f", rp.value);
        snprintf(line, sizeof line, "step %llu: val loss %.4f  accuracy %.1f%%  macro-F1 %.4f%s%s",
                 (unsigned long long)loss.step, loss.value, 100 * acc.value, f1.value, reward, pat);
        say(v, line);
        v->val_seen++;
    }
}

/* Plain output: a train line every `every` steps. */
static void show_train(view *v, aft_trainer *t, const aft_trainer_status *s)
{
    aft_point p[64];
    size_t n;
    if (!v->every)
        return; /* the step count is not known yet */
    while ((n = aft_trainer_series(t, AFT_SERIES_TRAIN_LOSS, v->train_seen, p, 64)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (p[i].step % v->every != 0 && p[i].step != s->total_steps)
                continue;
            char line[300], eta[32], rate[32], ppo[64];
            fmt_duration(s->eta_s, eta, sizeof eta);
            fmt_rate(s->tokens_per_s, rate, sizeof rate);
            ppo_text(t, p[i].step, ppo, sizeof ppo);
            snprintf(line, sizeof line, "%s %llu/%llu: loss %.4f%s  %s tok/s  ETA %s",
                     s->ppo ? "update" : "step", (unsigned long long)p[i].step, (unsigned long long)s->total_steps,
                     p[i].value, ppo, rate, eta);
            say(v, line);
        }
        v->train_seen += n;
    }
}

static void show(view *v, aft_trainer *t)
{
    if (v->quiet)
        return;
    aft_trainer_status s;
    aft_trainer_status_get(t, &s);
    if (!v->every && s.total_steps > 0)
        v->every = s.total_steps >= 40 ? s.total_steps / 20 : 1;
    size_t said = v->events_seen + v->val_seen;
    show_events(v, t);
    show_vals(v, t);
    int fresh = v->events_seen + v->val_seen != said || s.phase == AFT_PHASE_PAUSED ||
                s.phase >= AFT_PHASE_FINISHED;
    v->pending = 0;
    if (!v->tty) {
        show_train(v, t, &s);
    } else if (!fresh && aft_monotonic_s() - v->last_draw < 0.1) {
        v->pending = 1;
    } else if (s.step > 0 || s.phase == AFT_PHASE_PAUSED) {
        v->last_draw = aft_monotonic_s();
        char line[400];
        progress_text(t, &s, line, sizeof line);
        if (v->width > 1 && strlen(line) >= (size_t)v->width)
            line[v->width - 1] = '\0';
        printf("\r%s\033[K", line);
        v->line_shown = 1;
    }
    fflush(stdout);
}

/* Under mpirun a signal mostly means the launcher is ending the job: a rank
 * died or failed, or mpirun itself was interrupted. Rank 0 stops the run
 * (the others follow it at the next step boundary); a second signal ends
 * this rank at once, and mpirun then ends the others. */
static void interrupt_rank(aft_trainer *t, view *v, int handled)
{
    int rank = aft_dist_rank(v->dist);
    if (handled > 1) {
        fprintf(stderr, "agentft: rank %d: stopping at once\n", rank);
        _exit(130);
    }
    fprintf(stderr, "agentft: rank %d: asked to stop (mpirun does so when a rank has ended or "
            "when it is interrupted); %s\n", rank,
            rank == 0 ? "stopping with a checkpoint if every rank is still there"
                      : "stopping with rank 0");
    aft_cmd stop = {.kind = AFT_CMD_STOP};
    if (rank == 0)
        aft_trainer_command(t, &stop, NULL);
}

static void handle_interrupts(aft_trainer *t, view *v, int *handled)
{
    while (*handled < interrupts) {
        (*handled)++;
        if (aft_dist_size(v->dist) > 1) {
            interrupt_rank(t, v, *handled);
        } else if (*handled == 1) {
            aft_cmd stop = {.kind = AFT_CMD_STOP};
            aft_error err = {0};
            if (aft_trainer_command(t, &stop, &err) == 0)
                say(v, "stopping: saving a checkpoint first (Ctrl-C again to stop at once)");
        } else {
            say(v, "stopping at once");
            aft_trainer_abort(t);
        }
    }
}

/* Runs the trainer's thread and shows it until it ends. Ctrl-C and SIGTERM
 * are blocked except while waiting, so none slips in unnoticed. */
static int drive(aft_trainer *t, int news, view *v)
{
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGHUP, SIG_IGN); /* a closed terminal must not end a headless run */
    signal(SIGPIPE, SIG_IGN);
    aft_error err = {0};
    if (aft_trainer_start(t, &err) < 0) {
        fprintf(stderr, "agentft: %s\n", err.msg);
        return -1;
    }
    int handled = 0;
    for (;;) {
        handle_interrupts(t, v, &handled);
        show(v, t);
        aft_trainer_status s;
        aft_trainer_status_get(t, &s);
        if (s.phase == AFT_PHASE_FINISHED || s.phase == AFT_PHASE_FAILED)
            break;
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(news, &rd);
        struct timespec tick = {0, 100000000};
        if (pselect(news + 1, &rd, NULL, NULL, v->pending ? &tick : NULL, &waitmask) > 0) {
            char buf[256];
            while (read(news, buf, sizeof buf) > 0) {
            }
        }
    }
    int rc = aft_trainer_join(t, &err);
    if (v->tty && v->line_shown)
        fputs("\n", stdout);
    if (rc < 0 && aft_dist_size(v->dist) > 1) {
        /* The other ranks may be waiting for this one: end them all. */
        fprintf(stderr, "agentft: rank %d: the run failed: %s; ending every rank\n",
                aft_dist_rank(v->dist), err.msg);
        fflush(NULL);
        aft_dist_abort(v->dist, CLI_FAIL);
    }
    if (rc < 0)
        fprintf(stderr, "agentft: the run failed: %s\n", err.msg);
    return rc;
}

static void summary(aft_trainer *t, const view *v, int test)
{
    aft_trainer_status s;
    aft_trainer_status_get(t, &s);
    char took[32];
    fmt_duration(aft_monotonic_s() - v->t0, took, sizeof took);
    const char *how = s.stopped || interrupts ? "stopped" : s.stopped_early ? "stopped early" : "finished";
    printf("%s at step %llu of %llu in %s\n", how, (unsigned long long)s.step,
           (unsigned long long)s.total_steps, took);
    if (isfinite(s.best_metric))
        printf("best %s %.4f at step %llu (checkpoints/best)\n", s.early_stop_metric,
               s.best_metric, (unsigned long long)s.best_step);
    if (isfinite(s.val_accuracy))
        printf("last validation (step %llu): loss %.4f, accuracy %.2f%%, macro-F1 %.4f\n",
               (unsigned long long)s.val_step, s.val_loss, 100 * s.val_accuracy, s.val_macro_f1);
    if (test && isfinite(s.best_metric)) {
        aft_eval_result r;
        aft_error err = {0};
        if (aft_trainer_evaluate(t, AFT_SPLIT_TEST, 1, &r, &err) == 0)
            printf("test (best checkpoint): accuracy %.2f%%, macro-F1 %.4f, %zu examples\n",
                   100 * r.accuracy, r.macro_f1, r.examples);
        else
            fprintf(stderr, "agentft: test: %s\n", err.msg);
    }
    printf("run: %s\n", aft_trainer_run_dir(t));
}

static void print_notes(aft_trainer *t)
{
    const char *notes = aft_trainer_notes(t);
    if (notes[0])
        fputs(notes, stderr);
}

/* Everything after the trainer exists, for train and resume alike. */
static int go(aft_trainer *t, int news[2], aft_dist *dist, int quiet, int test)
{
    int leader = aft_dist_rank(dist) == 0;
    view v = {.dist = dist, .quiet = quiet || !leader, .tty = isatty(STDOUT_FILENO),
              .t0 = aft_monotonic_s()};
    struct winsize ws;
    v.width = v.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
    if (leader) {
        print_notes(t);
        printf("run: %s\n", aft_trainer_run_dir(t));
        if (aft_dist_size(dist) > 1)
            printf("ranks: %d (MPI)\n", aft_dist_size(dist));
        fflush(stdout);
    }
    int rc = drive(t, news[0], &v);
    if (rc == 0 && leader)
        summary(t, &v, test);
    aft_trainer_free(t);
    close(news[0]);
    close(news[1]);
    if (rc < 0)
        return CLI_FAIL;
    return interrupts ? 130 : CLI_OK;
}

/* Makes this rank's trainer (o->dist set) with make(arg, o, err). */
typedef aft_trainer *(*make_fn)(void *arg, const aft_trainer_opts *o, aft_error *err);

/* Every rank makes its trainer, and they agree before any trains: when some
 * failed, each of those says why (rank 0 alone when all failed: the same
 * reason) and every rank gives up. With leader_first rank 0 goes first and
 * the others only if it succeeded (resume: rank 0 tidies the run directory
 * that the others then read). */
static aft_trainer *make_on_ranks(aft_dist *d, int leader_first, make_fn make, void *arg,
                                  const aft_trainer_opts *o)
{
    int rank = aft_dist_rank(d), size = aft_dist_size(d);
    aft_error err = {0};
    aft_trainer *t = NULL;
    uint64_t first_ok = 1;
    if (!leader_first || rank == 0)
        t = make(arg, o, &err);
    if (leader_first) {
        first_ok = t != NULL;
        if (aft_dist_bcast(d, &first_ok, sizeof first_ok, &err) < 0)
            first_ok = 0;
        if (rank > 0 && first_ok)
            t = make(arg, o, &err);
    }
    uint64_t *ok = calloc((size_t)size, sizeof *ok);
    size_t failed = 0;
    if (!ok || aft_dist_gather_u64(d, t != NULL, ok, &err) < 0) {
        aft_trainer_free(t);
        t = NULL;
        failed = (size_t)size;
    }
    for (int r = 0; ok && r < size; r++)
        failed += !ok[r];
    free(ok);
    if (failed == 0)
        return t;
    const char *msg = err.msg[0] ? err.msg : "out of memory";
    if (!t && failed < (size_t)size && first_ok)
        fprintf(stderr, "rank %d: %s\n", rank, msg);
    else if (!t && rank == 0)
        fprintf(stderr, "%s\n", msg);
    aft_trainer_free(t);
    return NULL;
}

static int open_news(int p[2], aft_trainer_opts *o)
{
    if (pipe(p) < 0) {
        fprintf(stderr, "agentft: cannot make a pipe: %s\n", strerror(errno));
        return -1;
    }
    aft_trainer_opts_init(o);
    o->notify_fd = p[1];
    o->serve_control = 1;
    /* The read end is drained until empty, so it must not block. */
    int fl = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    return 0;
}

/* Joins the MPI job (a job of one without mpirun), makes the trainer on
 * every rank and runs it. */
static int run_ranks(const char *cmd, int leader_first, make_fn make, void *arg, int quiet,
                     int test)
{
    aft_error err = {0};
    aft_dist *d = aft_dist_open(&err);
    if (!d) {
        fprintf(stderr, "agentft %s: %s\n", cmd, err.msg);
        return CLI_FAIL;
    }
    int news[2], rc = CLI_FAIL;
    aft_trainer_opts o;
    if (open_news(news, &o) == 0) {
        o.dist = d;
        o.serve_control = aft_dist_rank(d) == 0;
        aft_trainer *t = make_on_ranks(d, leader_first, make, arg, &o);
        if (t) {
            rc = go(t, news, d, quiet, test);
        } else {
            close(news[0]);
            close(news[1]);
        }
    }
    aft_dist_close(d);
    return rc;
}

typedef struct train_args {
    const char *ws, *run_name;
    const cli_args *args;
} train_args;

static aft_trainer *make_train(void *arg, const aft_trainer_opts *o, aft_error *err)
{
    const train_args *a = arg;
    aft_config *cfg = aft_workspace_load(a->ws, err);
    if (!cfg)
        return NULL;
    for (size_t i = 0; i < a->args->n_sets; i++) {
        if (aft_config_set_arg(cfg, a->args->sets[i], err) < 0) {
            aft_error_prefix(err, "--set %s", a->args->sets[i]);
            aft_config_free(cfg);
            return NULL;
        }
    }
    aft_trainer_opts named = *o;
    named.run_name = a->run_name;
    aft_trainer *t = aft_trainer_new(cfg, &named, err);
    aft_config_free(cfg);
    if (!t)
        aft_error_prefix(err, "agentft train");
    return t;
}

int cmd_train(int argc, char **argv)
{
    const char *run_name = NULL;
    int quiet = 0, test = 0, status;
    cli_opt opts[] = {{"--run", 1, &run_name, NULL},
                      {"--quiet", 0, NULL, &quiet},
                      {"--test", 0, NULL, &test},
                      {NULL, 0, NULL, NULL}};
    cli_args args;
    if (!cli_begin("train", argc, argv, opts, 1, "one WS", &args, &status))
        return status;
    const char *ws = args.positional[0];
    if (!cli_is_workspace(ws)) {
        fprintf(stderr, "agentft train: '%s' is not a workspace (a .yaml file)\n", ws);
        cli_usage("train", 1);
        return CLI_USAGE;
    }
    train_args a = {.ws = ws, .run_name = run_name, .args = &args};
    return run_ranks("train", 0, make_train, &a, quiet, test);
}

static int check_run(const char *run)
{
    char *report = NULL;
    aft_error err = {0};
    int bad = aft_run_check_checkpoints(run, &report, &err);
    if (bad < 0) {
        fprintf(stderr, "agentft resume: %s\n", err.msg);
        return CLI_FAIL;
    }
    fputs(report, stdout);
    free(report);
    return bad ? CLI_FAIL : CLI_OK;
}

typedef struct resume_args {
    const char *run;
    const cli_args *args;
} resume_args;

static aft_trainer *make_resume(void *arg, const aft_trainer_opts *o, aft_error *err)
{
    const resume_args *a = arg;
    aft_trainer *t = aft_trainer_resume(a->run, a->args->sets, a->args->n_sets, o, err);
    if (!t)
        aft_error_prefix(err, "agentft resume");
    return t;
}

int cmd_resume(int argc, char **argv)
{
    int quiet = 0, test = 0, check = 0, status;
    cli_opt opts[] = {{"--quiet", 0, NULL, &quiet},
                      {"--test", 0, NULL, &test},
                      {"--check", 0, NULL, &check},
                      {NULL, 0, NULL, NULL}};
    cli_args args;
    if (!cli_begin("resume", argc, argv, opts, 1, "one RUN (a run directory)", &args, &status))
        return status;
    const char *run = args.positional[0];
    if (check)
        return check_run(run);
    resume_args a = {.run = run, .args = &args};
    return run_ranks("resume", 1, make_resume, &a, quiet, test);
}
