/* The hyperparameter form, generated from the schema: one typed, range-
 * checked row per key with its help line; live keys go to the running run
 * at once, the others take effect at the next start; w writes the
 * workspace file (keeping its comments). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "draw.h"
#include "live.h"
#include "listview.h"
#include "runsrc.h"
#include "tfview.h"
#include "theme_pick.h"

typedef struct form_pane {
    pane base;
    listview lv;
    const aft_key_info *keys;
    size_t n;
    int editing;
    tfview tv;
    unsigned char unsaved[AFT_K_COUNT];
    int name_w, value_x;
} form_pane;

static int is_default(const aft_config *cfg, const aft_key_info *k)
{
    const char *now = aft_config_text(cfg, k->id);
    if (k->type == AFT_T_INT || k->type == AFT_T_FLOAT) {
        /* "3e-4" and "0.0003" are the same value. */
        char *e1, *e2;
        double a = strtod(now, &e1), b = strtod(k->def, &e2);
        if (!*e1 && !*e2)
            return a == b || fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
    }
    return strcmp(now, k->def) == 0;
}

static void full_name(const aft_key_info *k, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", k->section, k->section[0] ? "." : "", k->name);
}

static size_t unsaved_count(const form_pane *f)
{
    size_t n = 0;
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        n += f->unsaved[i];
    return n;
}

/* ---- drawing ---------------------------------------------------------------- */

static void draw_row(void *ctx, WINDOW *w, size_t row, int y, int x, int width,
                     unsigned long attr, int is_cur)
{
    form_pane *f = ctx;
    const aft_key_info *k = &f->keys[row];
    const aft_config *cfg = f->base.app->cfg;
    int changed = !is_default(cfg, k);
    wattrset(w, (int)(is_cur ? attr : theme_attr(ROLE_CHANGED)));
    mvwaddch(w, y, x, changed ? '*' : ' ');
    char name[96];
    full_name(k, name, sizeof name);
    draw_text(w, y, x + 2, name, f->name_w, is_cur ? attr : theme_attr(ROLE_LABEL));
    int vx = x + 2 + f->name_w + 1;
    int flags_w = 12, vw = width - (vx - x) - flags_w;
    if (vw < 6)
        vw = 6;
    if (f->editing && is_cur)
        tfv_draw(&f->tv, w, y, vx, 1, vw, theme_attr(ROLE_FIELD_EDIT));
    else
        draw_text(w, y, vx, aft_config_text(cfg, k->id), vw,
                  is_cur ? attr : changed ? theme_attr(ROLE_CHANGED) : theme_attr(ROLE_NORMAL));
    const char *flag = f->unsaved[k->id] ? "unsaved" : k->live ? "live" : "";
    draw_text(w, y, vx + vw + 1, flag, flags_w - 1,
              is_cur ? attr : theme_attr(f->unsaved[k->id] ? ROLE_WARNING : ROLE_LIVE));
}

static void draw_help(form_pane *f, WINDOW *w, int y)
{
    if (f->lv.cur >= f->n)
        return;
    const aft_key_info *k = &f->keys[f->lv.cur];
    char range[128], line[512];
    aft_schema_describe_range(k, range, sizeof range);
    draw_fill(w, y, 0, f->base.w, theme_attr(ROLE_NORMAL));
    snprintf(line, sizeof line, "%s: %s", k->name, k->help);
    draw_text(w, y, 0, line, f->base.w, theme_attr(ROLE_NORMAL));
    snprintf(line, sizeof line, "%s%sdefault %s  %s", range, range[0] ? "  " : "",
             k->def[0] ? k->def : "\"\"",
             k->live ? "live: applies to a running run at once" : "takes effect at the next start");
    draw_text(w, y + 1, 0, line, f->base.w, theme_attr(ROLE_DIM));
}

static void draw(pane *p)
{
    form_pane *f = (form_pane *)p;
    f->name_w = p->w >= 60 ? 26 : 18;
    int list_h = p->h - 1 - 2;
    lv_set_count(&f->lv, f->n);
    lv_draw(&f->lv, p->win, 1, 0, list_h, p->w, p->focused, draw_row, f);
    draw_help(f, p->win, p->h - 2);
}

static void info(const pane *p, char *buf, size_t size)
{
    size_t n = unsaved_count((const form_pane *)p);
    if (n)
        snprintf(buf, size, "%zu unsaved (w writes)", n);
    else
        snprintf(buf, size, "%s", aft_config_path(p->app->cfg) ? aft_config_path(p->app->cfg) : "");
}

/* ---- changing values -------------------------------------------------------- */

static void send_live(form_pane *f, const aft_key_info *k)
{
    tui_app *app = f->base.app;
    const char *text = aft_config_text(app->cfg, k->id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "cmd", "set");
    cJSON_AddStringToObject(o, "key", k->name);
    if (k->type == AFT_T_INT || k->type == AFT_T_FLOAT)
        cJSON_AddNumberToObject(o, "value", strtod(text, NULL));
    else if (k->type == AFT_T_BOOL)
        cJSON_AddBoolToObject(o, "value", !strcmp(text, "true"));
    else
        cJSON_AddStringToObject(o, "value", text);
    char *req = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!req)
        return;
    char reply[512];
    aft_error err = {0};
    /* The run answers at once (it queues the change for its next step). */
    int rc = runsrc_request(app->run, req, reply, sizeof reply, 500, &err);
    free(req);
    cJSON *r = rc == 0 ? cJSON_Parse(reply) : NULL;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(r, "error");
    if (cJSON_IsTrue(ok))
        app_message(app, ROLE_OK, "%s = %s: sent to run %s (it applies at its next step)",
                    k->name, text, app->run->name);
    else
        app_message(app, ROLE_ERROR, "%s = %s kept here, but run %s refused it: %s", k->name,
                    text, app->run->name,
                    rc < 0 ? err.msg : cJSON_IsString(why) ? why->valuestring : reply);
    cJSON_Delete(r);
}

static int set_value(form_pane *f, const aft_key_info *k, const char *text)
{
    tui_app *app = f->base.app;
    aft_error err = {0};
    /* The theme is the workbench's own: it changes here, at once, and a
     * theme that does not load is refused like a value out of range. */
    if (k->id == AFT_K_THEME && theme_pick_use(app, text) < 0)
        return -1;
    if (aft_config_set(app->cfg, k->id, text, AFT_ORIGIN_SET, &err) < 0) {
        char range[128];
        aft_schema_describe_range(k, range, sizeof range);
        /* The range is shown once: the engine's message may already say it. */
        int say = range[0] && !strstr(err.msg, range);
        app_message(app, ROLE_ERROR, "%s: %s%s%s%s", k->name, err.msg, say ? " (allowed: " : "",
                    say ? range : "", say ? ")" : "");
        return -1;
    }
    f->unsaved[k->id] = 1;
    if (k->id == AFT_K_THEME)
        return 0; /* applied above; the row says it is unsaved */
    /* This workbench's own run first, else a live run of another process. */
    if (k->live && live_set(app, k, aft_config_text(app->cfg, k->id)) != 0)
        return 0;
    if (k->live && runsrc_live(app->run))
        send_live(f, k);
    else if (k->live)
        app_message(app, ROLE_OK, "%s = %s (no live run: the next run starts with it; w writes)",
                    k->name, aft_config_text(app->cfg, k->id));
    else
        app_message(app, ROLE_OK, "%s = %s: takes effect at the next start (w writes)", k->name,
                    aft_config_text(app->cfg, k->id));
    return 0;
}

/* Space and the arrows step through a bool's or an enum's values. */
static void cycle(form_pane *f, const aft_key_info *k, int dir)
{
    char choices[256];
    if (k->type == AFT_T_BOOL)
        snprintf(choices, sizeof choices, "false|true");
    else if (k->type == AFT_T_ENUM)
        snprintf(choices, sizeof choices, "%s", k->choices);
    else
        return;
    const char *now = aft_config_text(f->base.app->cfg, k->id);
    char *words[32];
    int n = 0, at = -1;
    char *save = NULL;
    for (char *w = strtok_r(choices, "|", &save); w && n < 32; w = strtok_r(NULL, "|", &save)) {
        if (!strcmp(w, now))
            at = n;
        words[n++] = w;
    }
    if (n)
        set_value(f, k, words[((at < 0 ? 0 : at) + dir + n) % n]);
}

static void write_workspace(form_pane *f)
{
    tui_app *app = f->base.app;
    aft_error err = {0};
    if (aft_workspace_save(app->cfg, &err) < 0) {
        app_message(app, ROLE_ERROR, "workspace not written: %s", err.msg);
        return;
    }
    memset(f->unsaved, 0, sizeof f->unsaved);
    app_message(app, ROLE_OK, "wrote %s (comments and layout kept)", aft_config_path(app->cfg));
}

static unsigned edit_key(form_pane *f, int code)
{
    const aft_key_info *k = &f->keys[f->lv.cur];
    tfv_result r = tfv_key(&f->tv, code, 20);
    if (r == TFV_IGNORED)
        return 0;
    if (r == TFV_COMMIT) {
        char *text = tf_text(&f->tv.tf);
        /* An unchanged value is not a change; a bad one keeps the field open. */
        if (text && strcmp(text, aft_config_text(f->base.app->cfg, k->id)) != 0 &&
            set_value(f, k, text) < 0) {
            free(text);
            return PK_HANDLED | PK_REDRAW;
        }
        free(text);
        f->editing = 0;
    } else if (r == TFV_CANCEL) {
        f->editing = 0;
        app_message(f->base.app, ROLE_NORMAL, "%s restored to %s", k->name,
                    aft_config_text(f->base.app->cfg, k->id));
    }
    return PK_HANDLED | PK_REDRAW;
}

static unsigned key(pane *p, int code)
{
    form_pane *f = (form_pane *)p;
    if (f->editing)
        return edit_key(f, code);
    const aft_key_info *k = f->lv.cur < f->n ? &f->keys[f->lv.cur] : NULL;
    switch (keys_action(KS_FORM, code)) {
    case ACT_F_EDIT:
        if (k) {
            tfv_free(&f->tv);
            tfv_init(&f->tv, 0, draw_utf8(), aft_config_text(p->app->cfg, k->id));
            f->editing = 1;
        }
        break;
    case ACT_F_NEXT_CHOICE: if (k) cycle(f, k, 1); break;
    case ACT_F_PREV_CHOICE: if (k) cycle(f, k, -1); break;
    case ACT_F_DEFAULT: if (k) set_value(f, k, k->def); break;
    case ACT_F_WRITE: write_workspace(f); break;
    default:
        if (!lv_action(&f->lv, keys_action(KS_LIST, code)))
            return 0;
    }
    return PK_HANDLED | PK_REDRAW;
}

static key_scope scope(const pane *p)
{
    return ((const form_pane *)p)->editing ? KS_TEXT : KS_FORM;
}

/* A click on a row chooses that key (its help shows below the list). */
static unsigned click(pane *p, int y, int x)
{
    form_pane *f = (form_pane *)p;
    (void)x;
    size_t row = f->editing ? (size_t)-1 : lv_row_at(&f->lv, y - 1);
    if (row == (size_t)-1)
        return 0;
    lv_goto(&f->lv, row);
    return PK_HANDLED | PK_REDRAW;
}

static int cursor(const pane *p, int *y, int *x)
{
    const form_pane *f = (const form_pane *)p;
    if (!f->editing)
        return 0;
    *y = f->tv.cy;
    *x = f->tv.cx;
    return 1;
}

static void pfree(pane *p)
{
    form_pane *f = (form_pane *)p;
    tfv_free(&f->tv);
    free(f);
}

static const pane_ops ops = {
    .title = "Hyperparameters", .draw = draw, .key = key, .scope = scope, .info = info,
    .cursor = cursor, .click = click, .free = pfree,
};

pane *pane_form_new(tui_app *app)
{
    form_pane *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->base.ops = &ops;
    f->base.app = app;
    f->base.id = P_FORM;
    f->keys = aft_schema(&f->n);
    tfv_init(&f->tv, 0, 0, "");
    return &f->base;
}
