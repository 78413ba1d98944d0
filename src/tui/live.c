/* The workbench's own training run (see live.h). */
#include "live.h"

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentft/trainer.h"
#include "runsrc.h"

int live_running(const tui_app *app)
{
    if (!app->trainer)
        return 0;
    aft_trainer_status st;
    aft_trainer_status_get(app->trainer, &st);
    return st.phase != AFT_PHASE_FINISHED && st.phase != AFT_PHASE_FAILED;
}

int live_start(tui_app *app)
{
    if (live_running(app)) {
        app_message(app, ROLE_WARNING, "a run is already going (F7 stops it)");
        return -1;
    }
    if (app->ds && aft_dataset_dirty(app->ds) && app_save(app) < 0)
        return -1;
    if (app->trainer) {
        /* The finished run's charts stay readable in its run directory. */
        pane_try_release(app->panes[P_TRY]);
        aft_trainer_free(app->trainer);
        app->trainer = NULL;
    }
    aft_trainer_opts o;
    aft_trainer_opts_init(&o);
    o.notify_fd = app->wake_fd;
    o.serve_control = 1;
    o.ui_open = 1;
    o.defer_prepare = 1; /* loading data and model happens in the trainer's thread */
    aft_error err = {0};
    aft_trainer *t = aft_trainer_new(app->cfg, &o, &err);
    if (!t || aft_trainer_start(t, &err) < 0) {
        aft_trainer_free(t);
        app_message(app, ROLE_ERROR, "the run did not start: %s", err.msg);
        return -1;
    }
    runsrc *rs = runsrc_open_trainer(t);
    if (!rs) {
        aft_trainer_free(t);
        return -1;
    }
    runsrc_free(app->run);
    app->run = rs;
    app->trainer = t;
    app_mark_all(app);
    app_message(app, ROLE_OK, "run started (F6 pauses, F7 stops, F8 checkpoints, F9 evaluates)");
    return 0;
}

/* A run of another process (headless, or watched) that has a control
 * socket: the last pause/resume event says whether it is paused. */
static int other_live(const tui_app *app)
{
    return !live_running(app) && app->run && !app->run->trainer && runsrc_live(app->run);
}

/* Sends a request to the other process's run; 0 when it accepted it. */
static int other_request(tui_app *app, cJSON *req)
{
    char *line = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    char reply[1024];
    aft_error err = {0};
    if (!line) {
        app_message(app, ROLE_ERROR, "out of memory");
        return -1;
    }
    /* The server answers from its own thread, at once: a short wait keeps keys responsive. */
    int rc = runsrc_request(app->run, line, reply, sizeof reply, 500, &err);
    free(line);
    if (rc < 0) {
        app_message(app, ROLE_ERROR, "%s", err.msg);
        return -1;
    }
    cJSON *r = cJSON_Parse(reply);
    int ok = r && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
    if (!ok) {
        const cJSON *e = r ? cJSON_GetObjectItemCaseSensitive(r, "error") : NULL;
        app_message(app, ROLE_ERROR, "the run refused: %s",
                    cJSON_IsString(e) ? e->valuestring : reply);
    }
    cJSON_Delete(r);
    return ok ? 0 : -1;
}

static const char *const cmd_done[] = {"pausing", "resuming", "stopping (with a checkpoint)",
                                       "checkpoint requested", "evaluation requested"};

static void other_command(tui_app *app, aft_cmd_kind kind)
{
    static const char *const names[] = {"pause", "resume", "stop", "checkpoint", "eval"};
    if (kind == AFT_CMD_PAUSE && runsrc_paused(app->run))
        kind = AFT_CMD_RESUME;
    if ((unsigned)kind >= sizeof names / sizeof names[0])
        return;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", names[kind]);
    if (other_request(app, req) == 0)
        app_message(app, ROLE_OK, "%s (run %s)", cmd_done[kind], app->run->name);
}

void live_command(tui_app *app, aft_cmd_kind kind)
{
    if (other_live(app)) {
        other_command(app, kind);
        return;
    }
    if (!live_running(app)) {
        app_message(app, ROLE_WARNING, "no run of this workbench is going (F5 starts one)");
        return;
    }
    aft_trainer_status st;
    aft_trainer_status_get(app->trainer, &st);
    if (kind == AFT_CMD_PAUSE && st.phase == AFT_PHASE_PAUSED)
        kind = AFT_CMD_RESUME;
    aft_cmd cmd = {.kind = kind};
    aft_error err = {0};
    if (aft_trainer_command(app->trainer, &cmd, &err) < 0)
        app_message(app, ROLE_ERROR, "%s", err.msg);
    else if ((unsigned)kind < sizeof cmd_done / sizeof cmd_done[0])
        app_message(app, ROLE_OK, "%s", cmd_done[kind]);
}

int live_set(tui_app *app, const aft_key_info *k, const char *value)
{
    if (other_live(app)) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "cmd", "set");
        cJSON_AddStringToObject(req, "key", k->name);
        cJSON_AddStringToObject(req, "value", value);
        if (other_request(app, req) < 0)
            return -1;
        app_message(app, ROLE_OK, "%s = %s: sent to run %s", k->name, value, app->run->name);
        return 1;
    }
    if (!live_running(app))
        return 0;
    aft_cmd cmd = {.kind = AFT_CMD_SET};
    snprintf(cmd.key, sizeof cmd.key, "%s", k->name);
    snprintf(cmd.value, sizeof cmd.value, "%s", value);
    aft_error err = {0};
    if (aft_trainer_command(app->trainer, &cmd, &err) < 0) {
        app_message(app, ROLE_ERROR, "%s = %s kept here; the run refused it: %s", k->name, value,
                    err.msg);
        return -1;
    }
    app_message(app, ROLE_OK, "%s = %s: applied to the run at its next step", k->name, value);
    return 1;
}

static void fmt_eta(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

void live_status(const tui_app *app, char *buf, size_t size)
{
    aft_trainer_status st;
    aft_trainer_status_get(app->trainer, &st);
    char eta[32];
    fmt_eta(st.eta_s, eta, sizeof eta);
    uint64_t epoch = st.epoch + 1 < st.epochs ? st.epoch + 1 : st.epochs; /* 1-based, capped */
    size_t n = st.ppo ? (size_t)snprintf(buf, size, "%s  update %llu/%llu",
                                         aft_trainer_phase_name(st.phase),
                                         (unsigned long long)st.step,
                                         (unsigned long long)st.total_steps)
                      : (size_t)snprintf(buf, size, "%s  step %llu/%llu  epoch %llu/%llu",
                                         aft_trainer_phase_name(st.phase),
                                         (unsigned long long)st.step,
                                         (unsigned long long)st.total_steps,
                                         (unsigned long long)epoch, (unsigned long long)st.epochs);
    if (st.phase == AFT_PHASE_RUNNING && n < size)
        n += (size_t)snprintf(buf + n, size - n, "  ETA %s", eta);
    if (st.val_step && n < size)
        n += (size_t)snprintf(buf + n, size - n, "  val_loss %.4g acc %.3f", st.val_loss,
                              st.val_accuracy);
    if (st.patience_left >= 0 && n < size)
        n += (size_t)snprintf(buf + n, size - n, "  patience %d", st.patience_left);
    if (st.phase == AFT_PHASE_FAILED && n < size)
        snprintf(buf + n, size - n, "  %s", st.error);
}

/* Starts `agentft resume DIR --quiet` in a session of its own, its output in
 * DIR/detach.log. Only async-signal-safe calls between fork and exec: the
 * workbench has threads. Returns the child's pid, or -1. */
static pid_t spawn_resume(const char *dir)
{
    char log[4200];
    snprintf(log, sizeof log, "%s/detach.log", dir);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char *argv[] = {"agentft", "resume", (char *)dir, "--quiet", NULL};
    pid_t pid = out >= 0 && in >= 0 ? fork() : -1;
    if (pid == 0) {
        setsid();
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    return pid;
}

int live_detach(tui_app *app)
{
    if (!live_running(app)) {
        app_message(app, ROLE_WARNING, "no run of this workbench is going: nothing to detach "
                                       "(q quits)");
        return 0;
    }
    if (app->ds && aft_dataset_dirty(app->ds) && app_save(app) < 0)
        return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", aft_trainer_run_dir(app->trainer));
    /* The run stops at its next step boundary with a checkpoint, and the
     * new process resumes from it exactly (resume is deterministic). */
    aft_cmd cmd = {.kind = AFT_CMD_STOP};
    aft_error err = {0};
    if (aft_trainer_command(app->trainer, &cmd, &err) < 0 ||
        aft_trainer_join(app->trainer, &err) < 0) {
        app_message(app, ROLE_ERROR, "detach: %s", err.msg);
        return 0;
    }
    pid_t pid = spawn_resume(dir);
    if (pid < 0) {
        snprintf(app->farewell, sizeof app->farewell,
                 "detach: could not start 'agentft resume %s'; the run stopped with a "
                 "checkpoint, resume it by hand", dir);
    } else {
        snprintf(app->farewell, sizeof app->farewell,
                 "detached: the run trains on in process %ld; 'agentft watch %s' shows it",
                 (long)pid, dir);
    }
    app->quit = 1;
    return 1;
}

void live_finish(tui_app *app, int stop)
{
    if (!app->trainer)
        return;
    if (stop && live_running(app)) {
        aft_cmd cmd = {.kind = AFT_CMD_STOP};
        aft_trainer_command(app->trainer, &cmd, NULL);
    }
    aft_error err = {0};
    aft_trainer_join(app->trainer, &err);
    if (app->run && app->run->trainer == app->trainer)
        app->run->trainer = NULL;
    pane_try_release(app->panes[P_TRY]);
    aft_trainer_free(app->trainer);
    app->trainer = NULL;
}
