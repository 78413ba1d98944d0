/* The text lines of each section of a report or a comparison, built once
 * when the file is read (and the per-action table again when its order
 * changes): the pane only scrolls them. Undefined numbers read "n/a". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_view.h"

double rv_num(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

const char *rv_str(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static const cJSON *obj(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsObject(j) || cJSON_IsArray(j) ? j : NULL;
}

/* The first element of the array o[key], or NULL. */
static const cJSON *first(const cJSON *o, const char *key)
{
    const cJSON *a = obj(o, key);
    return a ? a->child : NULL;
}

void rv_lines_free(rv_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int rv_add(rv_lines *l, tui_role role, rl_kind kind, const cJSON *ref, const char *fmt, ...)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 32;
        rv_line *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One screen line each: contexts with several lines or turns are joined. */
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
    char *text = strdup(buf);
    if (!text)
        return -1;
    l->v[l->n++] = (rv_line){role, kind, ref, text};
    return 0;
}

/* Numbers in fixed formats, "n/a" when undefined; each call has its buffer. */
typedef struct nbuf {
    char s[32];
} nbuf;

static const char *fx(nbuf *b, const char *fmt, double x)
{
    if (isnan(x))
        snprintf(b->s, sizeof b->s, "n/a");
    else
        snprintf(b->s, sizeof b->s, fmt, x);
    return b->s;
}

static const char *pct(nbuf *b, double x)
{
    return fx(b, "%.2f%%", isnan(x) ? x : 100 * x);
}

/* The longest string of key in an array's objects, capped. */
static int name_width(const cJSON *arr, const char *key, int lo, int cap)
{
    int w = lo;
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next) {
        const char *s = rv_str(e, key);
        int n = s ? (int)strlen(s) : 0;
        if (n > w)
            w = n;
    }
    return w < cap ? w : cap;
}

/* A context as one line: a string, or turns given as objects. */
static void context_text(const cJSON *ex, char *buf, size_t size)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(ex, "context");
    buf[0] = '\0';
    if (cJSON_IsString(c)) {
        snprintf(buf, size, "%s", c->valuestring);
        return;
    }
    size_t n = 0;
    for (const cJSON *t = cJSON_IsArray(c) ? c->child : NULL; t && n < size; t = t->next) {
        const char *role = rv_str(t, "role"), *content = rv_str(t, "content");
        n += (size_t)snprintf(buf + n, size - n, "%s%s%s%s", n ? " | " : "", role ? role : "",
                              role ? ": " : "", content ? content : "");
    }
}

/* ---- a report ------------------------------------------------------------------ */

static void summary(report_view *v)
{
    rv_lines *l = &v->sec[RS_SUMMARY];
    const cJSON *r = v->root, *t = obj(r, "task"), *m = obj(r, "model"), *mc = obj(r, "machine");
    nbuf a, b, c;
    const char *run = rv_str(r, "run"), *ck = rv_str(r, "checkpoint");
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "run          %s   checkpoint %s", run ? run : "?",
           ck ? ck : "?");
    const char *src = rv_str(r, "source");
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "source       %s", src ? src : "?");
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "examples     %s   misclassified %s",
           fx(&a, "%.0f", rv_num(r, "examples")), fx(&b, "%.0f", rv_num(t, "misclassified_total")));
    if (!t) {
        rv_add(l, ROLE_WARNING, RL_TEXT, NULL, "this report has no task metrics");
        return;
    }
    rv_add(l, ROLE_ACCURACY, RL_TEXT, NULL, "accuracy     %s", pct(&a, rv_num(t, "accuracy")));
    rv_add(l, ROLE_MACRO_F1, RL_TEXT, NULL, "macro-F1     %s",
           fx(&a, "%.4f", rv_num(t, "macro_f1")));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "weighted-F1  %s",
           fx(&a, "%.4f", rv_num(t, "weighted_f1")));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "macro P / R  %s / %s",
           fx(&a, "%.4f", rv_num(t, "macro_precision")), fx(&b, "%.4f", rv_num(t, "macro_recall")));
    const cJSON *u = obj(t, "unknown_actions");
    double nu = rv_num(u, "count");
    if (nu > 0) {
        char names[400] = "";
        size_t n = 0;
        for (const cJSON *s = first(u, "actions"); s && n < sizeof names; s = s->next)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "",
                                  cJSON_IsString(s) ? s->valuestring : "?");
        rv_add(l, ROLE_WARNING, RL_TEXT, NULL,
               "unknown      %.0f examples with actions the model never saw (not scored): %s", nu,
               names);
    }
    if (m)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL,
               "model        %s parameters, %s layers, %s heads, d_model %.0f, max_seq %.0f, "
               "vocab %.0f, %.0f actions",
               fx(&a, "%.0f", rv_num(m, "parameters")), fx(&b, "%.0f", rv_num(m, "n_layer")),
               fx(&c, "%.0f", rv_num(m, "n_head")), rv_num(m, "d_model"), rv_num(m, "max_seq"),
               rv_num(m, "vocab_size"), rv_num(m, "actions"));
    const cJSON *rj = obj(r, "reject");
    const char *fallback = rv_str(rj, "action"), *score = rv_str(rj, "score");
    int applied = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rj, "applied"));
    if (fallback && applied)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "fallback     %s when the %s is under %s%s%s%s",
               fallback, score ? score : "?", fx(&a, "%.4f", rv_num(rj, "below")),
               rv_num(rj, "keep") > 0 ? " (calibrated to keep " : "",
               rv_num(rj, "keep") > 0 ? pct(&b, rv_num(rj, "keep")) : "",
               rv_num(rj, "keep") > 0 ? " of the valid split's other actions)" : "");
    else if (fallback)
        rv_add(l, ROLE_WARNING, RL_TEXT, NULL,
               "fallback     %s not applied: the checkpoint has no calibrated threshold",
               fallback);
    const cJSON *fb = obj(t, "fallback");
    const char *fb_action = rv_str(fb, "action");
    if (fb)
        rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "             other actions %s right, %s %s caught",
               pct(&a, rv_num(fb, "other_accuracy")), fb_action ? fb_action : "?",
               pct(&b, rv_num(fb, "recall")));
    if (mc)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "machine      %s cores, %s threads",
               fx(&a, "%.0f", rv_num(mc, "cores")), fx(&b, "%.0f", rv_num(mc, "threads")));
    const char *created = rv_str(r, "created");
    if (created)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "created      %s", created);
    const cJSON *cal = obj(r, "calibration"), *lat = obj(obj(r, "efficiency"), "latency_ms");
    if (cal || lat)
        rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "at a glance  ECE %s   latency p50 %s ms   p95 %s ms",
               fx(&a, "%.4f", rv_num(cal, "ece")), fx(&b, "%.2f", rv_num(lat, "p50")),
               fx(&c, "%.2f", rv_num(lat, "p95")));
}

static void examples(report_view *v)
{
    rv_lines *l = &v->sec[RS_EXAMPLES];
    const cJSON *t = obj(v->root, "task"), *mis = obj(t, "misclassified");
    int w = name_width(mis, "gold", 4, 22), pw = name_width(mis, "predicted", 9, 22);
    rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-*s   %-*s  conf  line   context", w, "gold", pw,
           "predicted");
    l->fixed = 1;
    char ctx[600];
    nbuf a, b;
    size_t n = 0;
    for (const cJSON *e = mis ? mis->child : NULL; e; e = e->next, n++) {
        const char *g = rv_str(e, "gold"), *p = rv_str(e, "predicted");
        context_text(e, ctx, sizeof ctx);
        rv_add(l, ROLE_NORMAL, RL_EXAMPLE, e, "%-*.*s → %-*.*s  %s  %-6s %s", w, w,
               g ? g : "?", pw, pw, p ? p : "?", fx(&a, "%.2f", rv_num(e, "confidence")),
               fx(&b, "%.0f", rv_num(e, "line")), ctx);
    }
    double total = rv_num(t, "misclassified_total");
    if (!mis)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "this report lists no misclassified examples");
    else if (n == 0)
        rv_add(l, ROLE_OK, RL_TEXT, NULL, "no example was misclassified");
    else
        rv_add(l, ROLE_DIM, RL_TEXT, NULL,
               "%zu of %s misclassified, the most confident first; Enter opens one in the editor",
               n, fx(&a, "%.0f", isnan(total) ? (double)n : total));
}

static void confusions(report_view *v)
{
    rv_lines *l = &v->sec[RS_CONFUSION];
    const cJSON *top = obj(obj(v->root, "task"), "top_confusions");
    rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "largest confusions: gold → predicted");
    l->fixed = 1;
    for (const cJSON *e = top ? top->child : NULL; e; e = e->next) {
        const char *g = rv_str(e, "gold"), *p = rv_str(e, "predicted");
        rv_add(l, ROLE_NORMAL, RL_PAIR, e, "%5.0f  %s → %s", rv_num(e, "count"), g ? g : "?",
               p ? p : "?");
    }
    if (!top && v->k)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "(the report lists none)");
}

static void slice_rows(rv_lines *l, const cJSON *arr, const char *title)
{
    if (!arr)
        return;
    rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-22s %8s  %9s  %8s  %s", title, "examples", "accuracy",
           "macro-F1", "");
    for (const cJSON *e = arr->child; e; e = e->next) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        char nm[64];
        if (cJSON_IsNumber(name))
            snprintf(nm, sizeof nm, "%g", name->valuedouble);
        else
            snprintf(nm, sizeof nm, "%s", cJSON_IsString(name) ? name->valuestring : "?");
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(e, "truncated");
        double cut = cJSON_IsBool(tr) ? cJSON_IsTrue(tr) : rv_num(e, "truncated");
        char note[64] = "";
        if (cut > 0 && cJSON_IsBool(tr))
            snprintf(note, sizeof note, "cut from the left");
        else if (cut > 0)
            snprintf(note, sizeof note, "%.0f cut from the left", cut);
        nbuf a, b, c;
        rv_add(l, cut > 0 ? ROLE_WARNING : ROLE_NORMAL, RL_TEXT, NULL, "  %-20s %8s  %9s  %8s  %s",
               nm, fx(&a, "%.0f", rv_num(e, "examples")), pct(&b, rv_num(e, "accuracy")),
               fx(&c, "%.4f", rv_num(e, "macro_f1")), note);
    }
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "%s", "");
}

static void slices(report_view *v)
{
    rv_lines *l = &v->sec[RS_SLICES];
    const cJSON *s = obj(v->root, "slices");
    slice_rows(l, obj(s, "complexity"), "by complexity");
    slice_rows(l, obj(s, "length"), "by context tokens");
    slice_rows(l, obj(s, "split"), "by split");
    const cJSON *tr = obj(s, "truncation");
    const char *note = rv_str(tr, "note");
    if (tr) {
        nbuf a, b;
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "max_seq %s tokens: %s examples cut%s%s",
               fx(&a, "%.0f", rv_num(tr, "max_seq")), fx(&b, "%.0f", rv_num(tr, "cut")),
               note ? "; " : "", note ? note : "");
    }
}

static void calibration(report_view *v)
{
    rv_lines *l = &v->sec[RS_CALIBRATION];
    const cJSON *c = obj(v->root, "calibration"), *bins = obj(c, "bins");
    nbuf a, b, d, e;
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL,
           "expected calibration error (ECE) %s   (0 = confidence matches accuracy)",
           fx(&a, "%.4f", rv_num(c, "ece")));
    rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-11s %7s  %10s  %9s  %7s", "confidence", "count",
           "mean conf", "accuracy", "gap");
    for (const cJSON *x = bins ? bins->child : NULL; x; x = x->next) {
        double conf = rv_num(x, "confidence"), acc = rv_num(x, "accuracy");
        rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "%4.2f-%-4.2f  %7s  %10s  %9s  %7s",
               rv_num(x, "lo"), rv_num(x, "hi"), fx(&a, "%.0f", rv_num(x, "count")),
               fx(&b, "%.3f", conf), fx(&d, "%.3f", acc), fx(&e, "%+.3f", acc - conf));
    }
}

static void efficiency(report_view *v)
{
    rv_lines *l = &v->sec[RS_EFFICIENCY];
    const cJSON *f = obj(v->root, "efficiency"), *lat = obj(f, "latency_ms");
    nbuf a, b, c, d;
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "machine      %s cores, %s threads, %s parameters",
           fx(&a, "%.0f", rv_num(f, "cores")), fx(&b, "%.0f", rv_num(f, "threads")),
           fx(&c, "%.0f", rv_num(f, "parameters")));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "latency      batch 1, %s samples",
           fx(&a, "%.0f", rv_num(lat, "samples")));
    rv_add(l, ROLE_ACCURACY, RL_TEXT, NULL, "  ART (mean) %s ms",
           fx(&a, "%.3f", rv_num(lat, "mean")));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "  p50 %s ms   p95 %s ms   p99 %s ms",
           fx(&a, "%.3f", rv_num(lat, "p50")), fx(&b, "%.3f", rv_num(lat, "p95")),
           fx(&c, "%.3f", rv_num(lat, "p99")));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "throughput   %s examples/s at batch 32",
           fx(&a, "%.1f", rv_num(f, "qps_batch32")));
    const cJSON *best = obj(f, "best_batch");
    rv_add(l, ROLE_OK, RL_TEXT, NULL, "best batch   %s: %s examples/s",
           fx(&a, "%.0f", rv_num(best, "batch")), fx(&d, "%.1f", rv_num(best, "qps")));
    const cJSON *bs = obj(f, "batches");
    if (bs)
        rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%8s  %12s", "batch", "examples/s");
    for (const cJSON *x = bs ? bs->child : NULL; x; x = x->next)
        rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "%8s  %12s", fx(&a, "%.0f", rv_num(x, "batch")),
               fx(&b, "%.1f", rv_num(x, "qps")));
}

static void robustness(report_view *v)
{
    rv_lines *l = &v->sec[RS_ROBUSTNESS];
    const cJSON *r = obj(v->root, "robustness"), *clean = obj(r, "clean");
    nbuf a, b, c, d, e;
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "clean        accuracy %s   macro-F1 %s",
           pct(&a, rv_num(clean, "accuracy")), fx(&b, "%.4f", rv_num(clean, "macro_f1")));
    rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-12s %5s  %9s  %8s  %8s  %8s", "perturbation", "rate",
           "accuracy", "change", "macro-F1", "change");
    for (const cJSON *x = first(r, "perturbations"); x; x = x->next) {
        const char *k = rv_str(x, "kind");
        double drop = rv_num(x, "accuracy_drop");
        rv_add(l, drop > 0.05 ? ROLE_WARNING : ROLE_NORMAL, RL_TEXT, NULL,
               "%-12s %5s  %9s  %8s  %8s  %8s", k ? k : "?", fx(&a, "%.2f", rv_num(x, "rate")),
               pct(&b, rv_num(x, "accuracy")), fx(&c, "%+.2f", isnan(drop) ? drop : -100 * drop),
               fx(&d, "%.4f", rv_num(x, "macro_f1")), fx(&e, "%+.4f", -rv_num(x, "macro_f1_drop")));
    }
    const cJSON *adv = obj(r, "adversarial");
    if (!adv)
        return;
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL,
           "adversarial  %s of %s predictions flipped by word edits (mean %s, at most %s edits)",
           fx(&a, "%.0f", rv_num(adv, "found")), fx(&b, "%.0f", rv_num(adv, "tried")),
           fx(&c, "%.1f", rv_num(adv, "mean_edits")), fx(&d, "%.0f", rv_num(adv, "max_edits")));
    for (const cJSON *x = first(adv, "examples"); x; x = x->next) {
        const char *o = rv_str(x, "original"), *ad = rv_str(x, "adversarial");
        const char *bf = rv_str(x, "before"), *af = rv_str(x, "after");
        double edits = rv_num(x, "edits");
        rv_add(l, ROLE_NORMAL, RL_EXAMPLE, x, "  %s → %s (%s edit%s): \"%s\" → \"%s\"",
               bf ? bf : "?", af ? af : "?", fx(&a, "%.0f", edits), edits == 1 ? "" : "s",
               o ? o : "", ad ? ad : "");
    }
}

static void generation(report_view *v)
{
    rv_lines *l = &v->sec[RS_GENERATION];
    const cJSON *g = obj(v->root, "generation");
    const char *note = rv_str(g, "note");
    const cJSON *lm = cJSON_GetObjectItemCaseSensitive(g, "lm_trained");
    if (cJSON_IsFalse(lm)) {
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "the language-model head was not trained%s%s",
               note ? ": " : "", note ? note : "");
        return;
    }
    nbuf a, b, c;
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "examples              %s",
           fx(&a, "%.0f", rv_num(g, "examples")));
    rv_add(l, ROLE_ACCURACY, RL_TEXT, NULL, "action exact match    %s",
           pct(&a, rv_num(g, "action_exact_match")));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "response token acc.   %s   perplexity %s",
           pct(&b, rv_num(g, "response_token_accuracy")),
           fx(&c, "%.3f", rv_num(g, "response_perplexity")));
    if (note)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "%s", note);
    for (const cJSON *x = first(g, "samples"); x; x = x->next) {
        const char *ctx = rv_str(x, "context"), *ga = rv_str(x, "gold_action");
        const char *act = rv_str(x, "generated_action"), *resp = rv_str(x, "generated_response");
        rv_add(l, ROLE_LABEL, RL_TEXT, NULL, "context: %s", ctx ? ctx : "");
        rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "  gold %s, generated %s: %s", ga ? ga : "?",
               act ? act : "?", resp ? resp : "");
    }
}

void rv_build_report(report_view *v)
{
    summary(v);
    rv_build_actions(v);
    confusions(v);
    examples(v);
    slices(v);
    calibration(v);
    efficiency(v);
    robustness(v);
    generation(v);
    /* A section the report leaves out says so instead of a table of n/a. */
    static const char *const key[RS_COUNT] = {
        [RS_SLICES] = "slices", [RS_CALIBRATION] = "calibration",
        [RS_EFFICIENCY] = "efficiency", [RS_ROBUSTNESS] = "robustness",
        [RS_GENERATION] = "generation"};
    for (int s = 0; s < RS_COUNT; s++) {
        int absent = key[s] ? !obj(v->root, key[s]) : s == RS_CONFUSION && v->k == 0;
        if (absent) {
            rv_lines_free(&v->sec[s]);
            rv_add(&v->sec[s], ROLE_DIM, RL_TEXT, NULL, "not in this report (no %s section)",
                   key[s] ? key[s] : "task.confusion");
        }
    }
}
