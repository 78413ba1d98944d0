/* aft_config: one typed value per schema key with its origin, parsing and
 * range checks, --set overrides, cross-key validation and path resolution. */
#include "config_internal.h"

#include "agentft/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_s(const char *s)
{
    return dup_n(s, strlen(s));
}

static void value_clear(aft_value *v)
{
    free(v->text);
    free(v->resolved);
    memset(v, 0, sizeof *v);
}

/* Values in messages are cut short so one long value cannot crowd out the
 * other problems sharing the error buffer. */
#define SHOW "%.80s"

static int parse_int(const aft_key_info *k, const char *s, aft_value *out, aft_error *err)
{
    char range[128];
    aft_schema_describe_range(k, range, sizeof range);
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return aft_error_set(err, "%s = " SHOW " is not a whole number (allowed %s)", k->name, s,
                             range);
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return aft_error_set(err, "%s = " SHOW " is not a whole number (allowed %s)", k->name,
                                 s, range);
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || (double)v < k->min || (double)v > k->max)
        return aft_error_set(err, "%s = " SHOW " is out of range (allowed %s)", k->name, s, range);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    out->text = dup_s(buf);
    out->i = v;
    out->f = (double)v;
    return 0;
}

static int parse_float(const aft_key_info *k, const char *s, aft_value *out, aft_error *err)
{
    char range[128];
    aft_schema_describe_range(k, range, sizeof range);
    /* Only decimal notation: strtod alone would also take nan, inf and hex. */
    int digits = 0, other = 0;
    for (const char *q = s; *q; q++) {
        if (isdigit((unsigned char)*q))
            digits = 1;
        else if (!strchr("+-.eE", *q))
            other = 1;
    }
    char *end = NULL;
    double v = digits && !other ? strtod(s, &end) : 0.0;
    if (!digits || other || !end || *end != '\0')
        return aft_error_set(err, "%s = " SHOW " is not a number (allowed %s)", k->name, s, range);
    if (!isfinite(v) || v < k->min || v > k->max)
        return aft_error_set(err, "%s = " SHOW " is out of range (allowed %s)", k->name, s, range);
    out->text = dup_s(s);
    out->f = v;
    return 0;
}

static int parse_bool(const aft_key_info *k, const char *s, aft_value *out, aft_error *err)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            out->b = strcasecmp(s, yes[i]) == 0;
            out->text = dup_s(out->b ? "true" : "false");
            return 0;
        }
    }
    return aft_error_set(err, "%s = " SHOW " is not true or false (yes/no and on/off also work)",
                         k->name, s);
}

static int parse_enum(const aft_key_info *k, const char *s, aft_value *out, aft_error *err)
{
    const char *c = k->choices ? k->choices : "";
    size_t n = strlen(s);
    while (*c) {
        size_t len = strcspn(c, "|");
        if (len == n && n > 0 && strncasecmp(c, s, n) == 0) {
            out->text = dup_n(c, len); /* the table's spelling */
            return 0;
        }
        c += len + (c[len] == '|');
    }
    char range[256];
    aft_schema_describe_range(k, range, sizeof range);
    return aft_error_set(err, "%s = " SHOW " is not allowed (%s)", k->name, s, range);
}

/* Non-text values may come with stray spaces from --set or a form field. */
static char *trimmed(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return dup_n(s, n);
}

static int parse_value(const aft_key_info *k, const char *text, aft_value *out, aft_error *err)
{
    memset(out, 0, sizeof *out);
    if (k->type == AFT_T_STRING || k->type == AFT_T_PATH) {
        /* The value has to fit in a YAML file, which is UTF-8. */
        if (!aft_utf8_valid(text, strlen(text), NULL))
            return aft_error_set(err, "%s is not valid UTF-8 text", k->name);
        out->text = dup_s(text);
        return out->text ? 0 : aft_error_set(err, "out of memory");
    }
    char *s = trimmed(text);
    if (!s)
        return aft_error_set(err, "out of memory");
    int rc;
    if (!s[0]) {
        char range[256];
        aft_schema_describe_range(k, range, sizeof range);
        rc = aft_error_set(err, "%s has no value (allowed %s)", k->name, range);
    } else if (k->type == AFT_T_INT) {
        rc = parse_int(k, s, out, err);
    } else if (k->type == AFT_T_FLOAT) {
        rc = parse_float(k, s, out, err);
    } else if (k->type == AFT_T_BOOL) {
        rc = parse_bool(k, s, out, err);
    } else {
        rc = parse_enum(k, s, out, err);
    }
    free(s);
    if (rc == 0 && !out->text)
        rc = aft_error_set(err, "out of memory");
    if (rc != 0)
        value_clear(out);
    return rc;
}

/* Leaves resolved NULL when the text needs no joining (empty, absolute, or
 * no workspace), so the getter falls back to the text. */
static int resolve_path(const aft_config *cfg, aft_value *v)
{
    free(v->resolved);
    v->resolved = NULL;
    if (!cfg->dir || !v->text[0] || v->text[0] == '/')
        return 0;
    size_t n = strlen(cfg->dir) + strlen(v->text) + 2;
    v->resolved = malloc(n);
    if (!v->resolved)
        return -1;
    size_t dlen = strlen(cfg->dir);
    snprintf(v->resolved, n, "%s%s%s", cfg->dir, dlen && cfg->dir[dlen - 1] == '/' ? "" : "/",
             v->text);
    return 0;
}

int aft_cfg_set_at(aft_config *cfg, aft_key id, const char *text, aft_origin origin,
                   size_t line, aft_error *err)
{
    const aft_key_info *k = aft_schema_key(id);
    if (!cfg || !k)
        return aft_error_set(err, "no such configuration key (%d)", (int)id);
    if (!text)
        text = "";
    aft_value v;
    if (parse_value(k, text, &v, err) < 0)
        return -1;
    if (k->type == AFT_T_PATH && resolve_path(cfg, &v) < 0) {
        value_clear(&v);
        return aft_error_set(err, "out of memory");
    }
    v.origin = origin;
    v.line = origin == AFT_ORIGIN_FILE ? line : 0;
    value_clear(&cfg->v[id]);
    cfg->v[id] = v;
    return 0;
}

int aft_config_set(aft_config *cfg, aft_key id, const char *value, aft_origin origin,
                   aft_error *err)
{
    return aft_cfg_set_at(cfg, id, value, origin, 0, err);
}

aft_config *aft_config_new(void)
{
    aft_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    size_t n;
    const aft_key_info *keys = aft_schema(&n);
    for (size_t i = 0; i < n; i++) {
        /* A default that fails its own range is a bug in the table, caught
         * by the unit tests; here it only leaves the config unusable. */
        if (aft_cfg_set_at(cfg, keys[i].id, keys[i].def, AFT_ORIGIN_DEFAULT, 0, NULL) < 0) {
            aft_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

void aft_config_free(aft_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        value_clear(&cfg->v[i]);
    free(cfg->path);
    free(cfg->dir);
    free(cfg);
}

aft_config *aft_config_clone(const aft_config *cfg)
{
    if (!cfg)
        return NULL;
    aft_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    int ok = 1;
    if (cfg->path && !(c->path = dup_s(cfg->path)))
        ok = 0;
    if (cfg->dir && !(c->dir = dup_s(cfg->dir)))
        ok = 0;
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        c->v[i] = cfg->v[i];
        c->v[i].text = cfg->v[i].text ? dup_s(cfg->v[i].text) : NULL;
        c->v[i].resolved = cfg->v[i].resolved ? dup_s(cfg->v[i].resolved) : NULL;
        if ((cfg->v[i].text && !c->v[i].text) || (cfg->v[i].resolved && !c->v[i].resolved))
            ok = 0;
    }
    if (!ok) {
        aft_config_free(c);
        return NULL;
    }
    return c;
}

/* The workspace folder is made absolute so that resolved paths stay right
 * when a rendered config is read from elsewhere (e.g. runs/NAME/config.yaml). */
static char *absolute_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    if (slash && dlen == 0)
        return dup_s("/");
    if (path[0] == '/')
        return dup_n(path, dlen);
    size_t cap = 256;
    char *cwd = NULL;
    int ok = 0;
    while (!ok) {
        char *bigger = realloc(cwd, cap);
        if (!bigger)
            break;
        cwd = bigger;
        ok = getcwd(cwd, cap) != NULL;
        if (!ok && errno != ERANGE)
            break;
        cap *= 2;
    }
    if (!ok) {
        free(cwd); /* no current folder: resolve relative to wherever we are */
        return slash ? dup_n(path, dlen) : dup_s(".");
    }
    size_t n = strlen(cwd) + dlen + 2;
    char *dir = malloc(n);
    if (dir) {
        if (slash)
            snprintf(dir, n, "%s/%.*s", strcmp(cwd, "/") == 0 ? "" : cwd, (int)dlen, path);
        else
            snprintf(dir, n, "%s", cwd);
    }
    free(cwd);
    return dir;
}

int aft_cfg_set_path(aft_config *cfg, const char *path, aft_error *err)
{
    char *p = dup_s(path);
    char *d = absolute_dir(path);
    if (!p || !d) {
        free(p);
        free(d);
        return aft_error_set(err, "out of memory");
    }
    free(cfg->path);
    free(cfg->dir);
    cfg->path = p;
    cfg->dir = d;
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        if (aft_schema_key((aft_key)i)->type == AFT_T_PATH && resolve_path(cfg, &cfg->v[i]) < 0)
            return aft_error_set(err, "out of memory");
    return 0;
}

const char *aft_config_path(const aft_config *cfg)
{
    return cfg ? cfg->path : NULL;
}

int64_t aft_config_int(const aft_config *cfg, aft_key id)
{
    return cfg && aft_schema_key(id) ? cfg->v[id].i : 0;
}

double aft_config_float(const aft_config *cfg, aft_key id)
{
    return cfg && aft_schema_key(id) ? cfg->v[id].f : 0.0;
}

int aft_config_bool(const aft_config *cfg, aft_key id)
{
    return cfg && aft_schema_key(id) ? cfg->v[id].b : 0;
}

const char *aft_config_string(const aft_config *cfg, aft_key id)
{
    if (!cfg || !aft_schema_key(id) || !cfg->v[id].text)
        return "";
    return cfg->v[id].resolved ? cfg->v[id].resolved : cfg->v[id].text;
}

const char *aft_config_text(const aft_config *cfg, aft_key id)
{
    if (!cfg || !aft_schema_key(id) || !cfg->v[id].text)
        return "";
    return cfg->v[id].text;
}

aft_origin aft_config_origin(const aft_config *cfg, aft_key id)
{
    return cfg && aft_schema_key(id) ? cfg->v[id].origin : AFT_ORIGIN_DEFAULT;
}

size_t aft_config_line(const aft_config *cfg, aft_key id)
{
    return cfg && aft_schema_key(id) ? cfg->v[id].line : 0;
}

static int values_equal(aft_key_type type, const aft_value *x, const aft_value *y)
{
    switch (type) {
    case AFT_T_INT:
        return x->i == y->i;
    case AFT_T_FLOAT:
        return x->f == y->f;
    case AFT_T_BOOL:
        return x->b == y->b;
    default:
        return strcmp(x->text ? x->text : "", y->text ? y->text : "") == 0;
    }
}

int aft_cfg_same_value(const aft_config *a, const aft_config *b, aft_key id)
{
    return values_equal(aft_schema_key(id)->type, &a->v[id], &b->v[id]);
}

int aft_cfg_differs_from_default(const aft_config *cfg, aft_key id)
{
    const aft_key_info *k = aft_schema_key(id);
    aft_value def;
    if (parse_value(k, k->def, &def, NULL) < 0)
        return 1;
    int same = values_equal(k->type, &cfg->v[id], &def);
    value_clear(&def);
    return !same;
}

static int unknown_set_key(const char *name, const char *assignment, aft_error *err)
{
    const char *dot = strchr(name, '.');
    const aft_key_info *elsewhere = dot ? aft_schema_find(dot + 1) : NULL;
    const char *hint = aft_schema_suggest(name);
    if (!name[0])
        return aft_error_set(err, "--set " SHOW ": the key is missing before '='", assignment);
    if (elsewhere)
        return aft_error_set(err, "--set: key \"%s\" is in section \"%s\" (use %s or %s)",
                             elsewhere->name,
                             elsewhere->section[0] ? elsewhere->section : "(top level)",
                             aft_cfg_full_name(elsewhere), elsewhere->name);
    if (hint)
        return aft_error_set(err, "--set: unknown key \"" SHOW "\" (did you mean \"%s\"?)", name,
                             hint);
    return aft_error_set(err, "--set: unknown key \"" SHOW "\"", name);
}

/* --set KEY=VALUE or SECTION.KEY=VALUE; "dataset=FILE" is accepted like
 * `dataset: FILE` in YAML. A relative PATH is taken relative to the
 * workspace folder, as it would be if written in the file. */
int aft_config_set_arg(aft_config *cfg, const char *assignment, aft_error *err)
{
    if (!cfg || !assignment)
        return aft_error_set(err, "--set: nothing to set");
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return aft_error_set(err,
                             "--set " SHOW ": expected KEY=VALUE or SECTION.KEY=VALUE, "
                             "e.g. --set lr=1e-4 or --set optimizer.lr=1e-4",
                             assignment);
    char *key = dup_n(assignment, (size_t)(eq - assignment));
    char *name = key ? trimmed(key) : NULL;
    free(key);
    if (!name)
        return aft_error_set(err, "out of memory");
    const aft_key_info *k = aft_schema_find(name);
    if (!k && aft_cfg_is_section(name))
        k = aft_cfg_section_shorthand(name);
    if (!k) {
        int rc = unknown_set_key(name, assignment, err);
        free(name);
        return rc;
    }
    free(name);
    const char *value = eq + 1;
    char *v = k->type == AFT_T_STRING || k->type == AFT_T_PATH ? trimmed(value) : dup_s(value);
    if (!v)
        return aft_error_set(err, "out of memory");
    int rc = aft_cfg_set_at(cfg, k->id, v, AFT_ORIGIN_SET, 0, err);
    if (rc < 0)
        aft_error_prefix(err, "--set");
    free(v);
    return rc;
}

/* Collects every cross-key problem, one per line, like the loader does. */
typedef struct {
    aft_error *err;
    size_t n;
} problems;

static void problem(problems *p, const char *fmt, ...) AFT_PRINTF(2, 3);

static void problem(problems *p, const char *fmt, ...)
{
    p->n++;
    if (!p->err)
        return;
    char line[AFT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t used = p->n > 1 ? strlen(p->err->msg) : 0;
    if (p->n > 1 && used + 1 < sizeof p->err->msg)
        p->err->msg[used++] = '\n';
    if (used < sizeof p->err->msg)
        snprintf(p->err->msg + used, sizeof p->err->msg - used, "%s", line);
    p->err->set = 1;
}

/* "d_model = 100 (workspace.yaml:5)" */
static void show(const aft_config *cfg, aft_key id, char *buf, size_t size)
{
    char where[256];
    aft_cfg_origin_label(cfg, id, where, sizeof where);
    snprintf(buf, size, "%s = %s (%s)", aft_schema_key(id)->name, aft_config_text(cfg, id),
             where);
}

/* eval.reject_*: an energy has no fixed scale, so its threshold must be
 * calibrated; a fixed and a calibrated threshold together would leave the
 * user guessing which one applies. */
static void check_reject(const aft_config *cfg, problems *p)
{
    char a[512], b[512];
    int energy = strcmp(aft_config_text(cfg, AFT_K_REJECT_SCORE), "energy") == 0;
    double keep = aft_config_float(cfg, AFT_K_REJECT_KEEP);
    double below = aft_config_float(cfg, AFT_K_REJECT_BELOW);
    if (energy && keep <= 0) {
        show(cfg, AFT_K_REJECT_SCORE, a, sizeof a);
        problem(p, "%s needs eval.reject_keep (the fraction of validation examples that keeps "
                   "its prediction, e.g. 0.95): an energy threshold has no fixed scale", a);
    }
    if (keep > 0 && below > 0) {
        show(cfg, AFT_K_REJECT_KEEP, a, sizeof a);
        show(cfg, AFT_K_REJECT_BELOW, b, sizeof b);
        problem(p, "%s and %s are both set: reject_keep calibrates the threshold that "
                   "reject_below fixes; use one of them", a, b);
    }
    if ((keep > 0 || below > 0) && !aft_config_string(cfg, AFT_K_REJECT_ACTION)[0]) {
        show(cfg, keep > 0 ? AFT_K_REJECT_KEEP : AFT_K_REJECT_BELOW, a, sizeof a);
        problem(p, "%s has no effect without eval.reject_action (the action predicted "
                   "instead)", a);
    }
}

int aft_config_validate(const aft_config *cfg, aft_error *err)
{
    if (!cfg)
        return aft_error_set(err, "no configuration");
    problems p = {err, 0};
    char a[512], b[512];
    if (aft_config_int(cfg, AFT_K_D_MODEL) % aft_config_int(cfg, AFT_K_N_HEAD) != 0) {
        show(cfg, AFT_K_D_MODEL, a, sizeof a);
        show(cfg, AFT_K_N_HEAD, b, sizeof b);
        problem(&p, "%s must be divisible by %s", a, b);
    }
    int has_path = aft_config_text(cfg, AFT_K_DATASET)[0] != '\0';
    int has_train = aft_config_text(cfg, AFT_K_TRAIN_FILE)[0] != '\0';
    if (!has_path && !has_train)
        problem(&p, "no dataset: give dataset.path (one JSONL file with a split field) "
                    "or dataset.train");
    if (has_path && has_train)
        problem(&p, "dataset.path and dataset.train are both given; use one of them");
    double fv = aft_config_float(cfg, AFT_K_SPLIT_VALID);
    double ft = aft_config_float(cfg, AFT_K_SPLIT_TEST);
    if (fv + ft >= 1.0) {
        show(cfg, AFT_K_SPLIT_VALID, a, sizeof a);
        show(cfg, AFT_K_SPLIT_TEST, b, sizeof b);
        problem(&p, "%s plus %s leaves nothing to train on (their sum must be below 1)", a, b);
    }
    int ppo = strcmp(aft_config_text(cfg, AFT_K_OBJECTIVE), "ppo") == 0;
    if (!ppo && strcmp(aft_config_text(cfg, AFT_K_EARLY_STOP_METRIC), "val_reward") == 0) {
        show(cfg, AFT_K_EARLY_STOP_METRIC, a, sizeof a);
        show(cfg, AFT_K_OBJECTIVE, b, sizeof b);
        problem(&p, "%s needs PPO's rewards, but %s", a, b);
    }
    check_reject(cfg, &p);
    if (aft_config_int(cfg, AFT_K_FREEZE_LAYERS) > aft_config_int(cfg, AFT_K_N_LAYER)) {
        show(cfg, AFT_K_FREEZE_LAYERS, a, sizeof a);
        show(cfg, AFT_K_N_LAYER, b, sizeof b);
        problem(&p, "%s is more than %s", a, b);
    }
    return p.n ? -1 : 0;
}
