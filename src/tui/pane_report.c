/* The Report pane: the evaluation report of the run being shown
 * (RUN/report.json, read again whenever the file changes) or one of its
 * comparisons (RUN/compare-*.json), in sections; Enter on a listed example
 * opens its record in the editor; E evaluates the run in the background. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "draw.h"
#include "listview.h"
#include "report_heat.h"
#include "report_job.h"
#include "report_view.h"
#include "runsrc.h"
#include "agentft/clock.h"

#define POLL_MS 500
#define REPORT_FILE "report.json"

typedef struct report_pane {
    pane base;
    report_view v;
    int state;                 /* of the file shown: 0 read, 1 missing, -1 bad */
    char run_dir[4096];        /* the run whose files are shown ("" = none) */
    char file[256];            /* report.json or compare-NAME.json */
    struct stat seen;          /* the file as it was read (st_ino 0: not read) */
    double last_poll;
    rv_section secs[RS_COUNT];
    size_t n_secs, cur;        /* the sections of this kind, the one shown */
    listview lv[RS_COUNT];
    report_job *job;
} report_pane;

static rv_section current(const report_pane *rp)
{
    return rp->n_secs ? rp->secs[rp->cur] : RS_SUMMARY;
}

/* ---- the file ------------------------------------------------------------------ */

static void file_path(const report_pane *rp, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", rp->run_dir, rp->file);
}

static void reload(report_pane *rp)
{
    char path[4400];
    file_path(rp, path, sizeof path);
    rv_kind was = rp->v.kind;
    rp->state = rv_load_file(&rp->v, path, rp->file);
    if (stat(path, &rp->seen) < 0)
        memset(&rp->seen, 0, sizeof rp->seen);
    size_t n = rv_sections(rp->v.kind, rp->secs);
    if (rp->v.kind != was || n != rp->n_secs) {
        rp->cur = 0;
        memset(rp->lv, 0, sizeof rp->lv);
    }
    rp->n_secs = n;
    for (int s = 0; s < RS_COUNT; s++)
        lv_set_count(&rp->lv[s], rp->v.sec[s].n - rp->v.sec[s].fixed);
}

static int changed_on_disk(const report_pane *rp)
{
    char path[4400];
    struct stat st;
    file_path(rp, path, sizeof path);
    if (stat(path, &st) < 0)
        return rp->seen.st_ino != 0 || rp->state != 1;
    return st.st_ino != rp->seen.st_ino || st.st_dev != rp->seen.st_dev ||
           st.st_size != rp->seen.st_size || st.st_mtim.tv_sec != rp->seen.st_mtim.tv_sec ||
           st.st_mtim.tv_nsec != rp->seen.st_mtim.tv_nsec;
}

/* The run shown changed (or there was none): its report.json. */
static int follow_run(report_pane *rp)
{
    const runsrc *rs = rp->base.app->run;
    const char *dir = rs ? rs->dir : "";
    if (!strcmp(dir, rp->run_dir))
        return 0;
    snprintf(rp->run_dir, sizeof rp->run_dir, "%s", dir);
    snprintf(rp->file, sizeof rp->file, "%s", REPORT_FILE);
    rv_free(&rp->v);
    rp->state = 1;
    memset(&rp->seen, 0, sizeof rp->seen);
    if (dir[0])
        reload(rp);
    return 1;
}

/* The report files of the run, report.json first, then its comparisons. */
static void next_file(report_pane *rp)
{
    tui_app *app = rp->base.app;
    DIR *d = rp->run_dir[0] ? opendir(rp->run_dir) : NULL;
    if (!d) {
        app_message(app, ROLE_WARNING, "no run to read reports from");
        return;
    }
    char first[256] = "", next[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        if (strncmp(n, "compare-", 8) || len < 6 || strcmp(n + len - 5, ".json") || len >= 256)
            continue;
        if (!first[0] || strcmp(n, first) < 0)
            memcpy(first, n, len + 1);
        if (strcmp(n, rp->file) > 0 && (!next[0] || strcmp(n, next) < 0))
            memcpy(next, n, len + 1);
    }
    closedir(d);
    const char *pick = !strcmp(rp->file, REPORT_FILE) ? first : next[0] ? next : REPORT_FILE;
    if (!pick[0]) {
        app_message(app, ROLE_NORMAL,
                    "no comparison in %s yet (agentft eval --compare A B writes A/compare-B.json)",
                    rp->run_dir);
        return;
    }
    snprintf(rp->file, sizeof rp->file, "%s", pick);
    reload(rp);
    app_message(app, ROLE_NORMAL, "showing %s", rp->file);
}

/* ---- evaluation in the background ----------------------------------------------- */

static void evaluate(report_pane *rp)
{
    tui_app *app = rp->base.app;
    if (rp->job) {
        app_message(app, ROLE_WARNING, "an evaluation is already running");
        return;
    }
    if (!rp->run_dir[0]) {
        app_message(app, ROLE_WARNING, "no run to evaluate: F5 starts one");
        return;
    }
    aft_error err = {0};
    rp->job = report_job_start(rp->run_dir, app->wake_fd, &err);
    if (!rp->job) {
        app_message(app, ROLE_ERROR, "evaluation: %s", err.msg);
        return;
    }
    snprintf(rp->file, sizeof rp->file, "%s", REPORT_FILE);
    app_message(app, ROLE_NORMAL, "evaluating %s in the background...", rp->run_dir);
}

static int job_tick(report_pane *rp)
{
    char msg[AFT_ERROR_MAX];
    rj_state s = report_job_state(rp->job, msg, sizeof msg);
    if (s == RJ_RUNNING)
        return 0;
    report_job_free(rp->job);
    rp->job = NULL;
    if (s == RJ_DONE)
        app_message(rp->base.app, ROLE_OK, "report written: %s/%s", rp->run_dir, REPORT_FILE);
    else
        app_message(rp->base.app, ROLE_ERROR, "evaluation failed: %s", msg);
    reload(rp);
    return 1;
}

static int tick(pane *p)
{
    report_pane *rp = (report_pane *)p;
    int changed = follow_run(rp);
    if (rp->job)
        changed |= job_tick(rp);
    double t = aft_monotonic_ms();
    if (rp->run_dir[0] && t - rp->last_poll >= POLL_MS) {
        rp->last_poll = t;
        if (changed_on_disk(rp)) {
            reload(rp);
            changed = 1;
        }
    }
    return changed;
}

/* ---- opening a listed example ----------------------------------------------------- */

static void open_example(report_pane *rp, const cJSON *ex)
{
    tui_app *app = rp->base.app;
    if (!app->ds) {
        app_message(app, ROLE_WARNING, "the workbench has no dataset to open the record in");
        return;
    }
    const char *data = rv_data_file(&rp->v), *mine = aft_dataset_path(app->ds);
    int same = rv_same_file(data, mine);
    if (same == 0) {
        app_message(app, ROLE_WARNING,
                    "this example is from %s, not from the workbench's dataset %s", data, mine);
        return;
    }
    size_t rec = rv_find_record(app->ds, ex, same == 1);
    double line = rv_num(ex, "line");
    if (rec == SIZE_MAX) {
        app_message(app, ROLE_WARNING,
                    "the example of line %.0f is not in %s (any more: edited since the "
                    "evaluation?)", line, mine);
        return;
    }
    app_select(app, rec);
    app_focus(app, P_EDIT);
    const char *g = rv_str(ex, "gold");
    app_message(app, ROLE_OK, "record %zu opened in the editor (gold %s)", rec + 1, g ? g : "?");
}

/* Enter on a pair of confused actions: its first listed mistake. */
static void show_pair(report_pane *rp, const cJSON *pair)
{
    const char *g = rv_str(pair, "gold"), *pr = rv_str(pair, "predicted");
    const rv_lines *l = &rp->v.sec[RS_EXAMPLES];
    for (size_t i = l->fixed; i < l->n && g && pr; i++) {
        const char *eg = rv_str(l->v[i].ref, "gold"), *ep = rv_str(l->v[i].ref, "predicted");
        if (l->v[i].kind == RL_EXAMPLE && eg && ep && !strcmp(eg, g) && !strcmp(ep, pr)) {
            for (size_t s = 0; s < rp->n_secs; s++)
                if (rp->secs[s] == RS_EXAMPLES)
                    rp->cur = s;
            lv_goto(&rp->lv[RS_EXAMPLES], i - l->fixed);
            return;
        }
    }
    app_message(rp->base.app, ROLE_NORMAL,
                "no listed mistake is %s -> %s (the report lists the most confident ones)",
                g ? g : "?", pr ? pr : "?");
}

static void enter(report_pane *rp)
{
    rv_section s = current(rp);
    const rv_lines *l = &rp->v.sec[s];
    size_t i = rp->lv[s].cur + l->fixed;
    if (i < l->n && l->v[i].kind == RL_EXAMPLE)
        open_example(rp, l->v[i].ref);
    else if (i < l->n && l->v[i].kind == RL_PAIR)
        show_pair(rp, l->v[i].ref);
    else
        app_message(rp->base.app, ROLE_NORMAL,
                    "Enter opens a listed example (Mistakes, Disagreements, Robustness)");
}

/* ---- drawing ----------------------------------------------------------------------- */

static void draw_tabs(report_pane *rp, WINDOW *w, int y)
{
    int width = rp->base.w, total = 0;
    for (size_t i = 0; i < rp->n_secs; i++)
        total += (int)strlen(rv_section_name(rp->v.kind, rp->secs[i])) + 2;
    /* When they do not all fit, start where the current one still shows. */
    size_t start = 0;
    while (total > width && start < rp->cur) {
        total -= (int)strlen(rv_section_name(rp->v.kind, rp->secs[start])) + 2;
        start++;
    }
    int col = 0;
    if (start > 0)
        col += draw_text(w, y, col, "<", 1, theme_attr(ROLE_DIM));
    for (size_t i = start; i < rp->n_secs && col < width; i++) {
        char t[40];
        snprintf(t, sizeof t, " %s ", rv_section_name(rp->v.kind, rp->secs[i]));
        col += draw_text(w, y, col, t, width - col,
                         theme_attr(i == rp->cur ? ROLE_TAB_ACTIVE : ROLE_DIM));
    }
}

static void draw_line(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                      unsigned long attr, int is_cur)
{
    const rv_lines *l = ctx;
    const rv_line *ln = &l->v[row + l->fixed];
    draw_text(w, y, x, ln->text, width, is_cur ? attr : theme_attr(ln->role));
}

static void draw_lines(report_pane *rp, rv_section s, WINDOW *w, int y, int x, int h, int width)
{
    const rv_lines *l = &rp->v.sec[s];
    int f = (int)l->fixed;
    for (int i = 0; i < f && i < h; i++)
        draw_text(w, y + i, x, l->v[i].text, width, theme_attr(l->v[i].role));
    lv_draw(&rp->lv[s], w, y + f, x, h - f, width, rp->base.focused, draw_line, (void *)l);
}

/* Text cut into lines of the pane's width at spaces. */
static int draw_wrapped(WINDOW *w, int y, int h, int width, const char *s, unsigned long attr)
{
    int rows = 0;
    while (*s && rows < h) {
        size_t n = strlen(s), cut = n;
        if ((int)n > width) {
            cut = (size_t)width;
            while (cut > 0 && s[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = (size_t)width;
        }
        draw_textn(w, y + rows++, 1, s, cut, width, attr);
        s += cut;
        while (*s == ' ')
            s++;
    }
    return rows;
}

static void draw(pane *p)
{
    report_pane *rp = (report_pane *)p;
    WINDOW *w = p->win;
    unsigned long dim = theme_attr(ROLE_DIM);
    if (!rp->run_dir[0]) {
        draw_text(w, 2, 1, "no run to report on yet: F5 starts one (or open WS --run NAME)",
                  p->w - 2, dim);
        return;
    }
    if (rp->state == 1 || (rp->state < 0 && rp->job)) {
        draw_text(w, 2, 1,
                  rp->job ? "evaluating... (the report shows here once it is written)"
                          : "no report yet: press E to evaluate",
                  p->w - 2, theme_attr(rp->job ? ROLE_WARNING : ROLE_NORMAL));
        return;
    }
    if (rp->state < 0) {
        int n = draw_wrapped(w, 2, p->h - 4, p->w - 2, rp->v.error, theme_attr(ROLE_ERROR));
        draw_text(w, 3 + n, 1, "E evaluates the run again (c shows its other report files)",
                  p->w - 2, dim);
        return;
    }
    draw_tabs(rp, w, 1);
    rv_section s = current(rp);
    if (s == RS_CONFUSION && rp->v.k)
        heat_draw(&rp->v, &rp->lv[s], w, 2, p->h - 2, p->w, p->focused, draw_line);
    else
        draw_lines(rp, s, w, 2, 0, p->h - 2, p->w);
}

static void info(const pane *p, char *buf, size_t size)
{
    const report_pane *rp = (const report_pane *)p;
    if (rp->job)
        snprintf(buf, size, "evaluating...");
    else if (rp->run_dir[0] && rp->state == 0)
        snprintf(buf, size, "%s  order: %s%s", rp->file, rv_sort_name(rp->v.kind, rp->v.sort),
                 rp->v.reverse ? " (reversed)" : "");
    else
        buf[0] = '\0';
}

/* ---- keys -------------------------------------------------------------------------- */

static unsigned key(pane *p, int code)
{
    report_pane *rp = (report_pane *)p;
    switch (keys_action(KS_REPORT, code)) {
    case ACT_R_NEXT: if (rp->n_secs) rp->cur = (rp->cur + 1) % rp->n_secs; break;
    case ACT_R_PREV: if (rp->n_secs) rp->cur = (rp->cur + rp->n_secs - 1) % rp->n_secs; break;
    case ACT_R_SORT:
    case ACT_R_REVERSE:
        if (keys_action(KS_REPORT, code) == ACT_R_SORT)
            rv_set_sort(&rp->v, (rv_sort)((rp->v.sort + 1) % RV_SORT_COUNT), rp->v.reverse);
        else
            rv_set_sort(&rp->v, rp->v.sort, !rp->v.reverse);
        for (size_t i = 0; i < rp->n_secs; i++)
            if (rp->secs[i] == RS_ACTIONS)
                rp->cur = i;
        break;
    case ACT_R_OPEN: enter(rp); break;
    case ACT_R_EVALUATE: evaluate(rp); break;
    case ACT_R_FILE: next_file(rp); break;
    default:
        if (!lv_action(&rp->lv[current(rp)], keys_action(KS_LIST, code)))
            return 0;
        break;
    }
    return PK_HANDLED | PK_REDRAW;
}

static key_scope scope(const pane *p)
{
    (void)p;
    return KS_REPORT;
}

static void pfree(pane *p)
{
    report_pane *rp = (report_pane *)p;
    report_job_free(rp->job);
    rv_free(&rp->v);
    free(rp);
}

static const pane_ops ops = {
    .title = "Report", .draw = draw, .key = key, .tick = tick, .scope = scope, .info = info,
    .free = pfree,
};

pane *pane_report_new(tui_app *app)
{
    report_pane *rp = calloc(1, sizeof *rp);
    if (!rp)
        return NULL;
    rp->base.ops = &ops;
    rp->base.app = app;
    rp->base.id = P_REPORT;
    rv_init(&rp->v);
    rp->state = 1;
    return &rp->base;
}
