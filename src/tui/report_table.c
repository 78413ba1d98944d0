/* The per-action table of a report or a comparison in the order the user
 * picks, a comparison's other sections, and the section names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_view.h"

static const rv_section report_sections[] = {RS_SUMMARY, RS_ACTIONS, RS_CONFUSION,
                                             RS_EXAMPLES, RS_SLICES, RS_CALIBRATION,
                                             RS_EFFICIENCY, RS_ROBUSTNESS, RS_GENERATION};
static const rv_section compare_sections[] = {RS_SUMMARY, RS_ACTIONS, RS_EXAMPLES};

size_t rv_sections(rv_kind kind, rv_section out[RS_COUNT])
{
    const rv_section *s = kind == RV_COMPARE ? compare_sections : report_sections;
    size_t n = kind == RV_COMPARE ? sizeof compare_sections / sizeof compare_sections[0]
                                  : sizeof report_sections / sizeof report_sections[0];
    memcpy(out, s, n * sizeof *s);
    return n;
}

const char *rv_section_name(rv_kind kind, rv_section s)
{
    static const char *const names[RS_COUNT] = {
        "Summary", "Actions", "Confusion", "Mistakes", "Slices",
        "Calibration", "Efficiency", "Robustness", "Generation"};
    if (kind == RV_COMPARE && s == RS_EXAMPLES)
        return "Disagreements";
    if (kind == RV_COMPARE && s == RS_ACTIONS)
        return "F1 deltas";
    return (unsigned)s < RS_COUNT ? names[s] : "";
}

const char *rv_sort_name(rv_kind kind, rv_sort s)
{
    static const char *const names[RV_SORT_COUNT] = {"F1", "support", "name"};
    static const char *const compare[RV_SORT_COUNT] = {"F1 change", "F1 of A", "name"};
    if ((unsigned)s >= RV_SORT_COUNT)
        return "";
    return kind == RV_COMPARE ? compare[s] : names[s];
}

/* ---- the per-action table ----------------------------------------------------- */

typedef struct row {
    const cJSON *e;
    const char *name;
    double key;
} row;

static int by_key(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    /* Undefined values go last; ties in name order. */
    int na = isnan(a->key), nb = isnan(b->key);
    if (na != nb)
        return na - nb;
    if (!na && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* The key a row is ordered by: F1 weakest first (what to fix), support
 * largest first; for a comparison, F1 is the change, largest first. */
static double sort_key(const report_view *v, const cJSON *e)
{
    if (v->sort == RV_SORT_NAME)
        return 0;
    if (v->kind == RV_COMPARE)
        return v->sort == RV_SORT_F1 ? -fabs(rv_num(e, "delta")) : -rv_num(e, "f1_a");
    return v->sort == RV_SORT_F1 ? rv_num(e, "f1") : -rv_num(e, "support");
}

static void action_row(report_view *v, const cJSON *e, int w)
{
    rv_lines *l = &v->sec[RS_ACTIONS];
    const char *name = rv_str(e, "action");
    char a[32], b[32], c[32];
    if (v->kind == RV_COMPARE) {
        double d = rv_num(e, "delta");
        snprintf(a, sizeof a, "%.4f", rv_num(e, "f1_a"));
        snprintf(b, sizeof b, "%.4f", rv_num(e, "f1_b"));
        snprintf(c, sizeof c, "%+.4f", d);
        rv_add(l, d > 0 ? ROLE_OK : d < 0 ? ROLE_WARNING : ROLE_NORMAL, RL_TEXT, NULL,
               "%-*.*s  %8s  %8s  %8s", w, w, name ? name : "?",
               isnan(rv_num(e, "f1_a")) ? "n/a" : a, isnan(rv_num(e, "f1_b")) ? "n/a" : b,
               isnan(d) ? "n/a" : c);
        return;
    }
    double pred = rv_num(e, "predicted");
    char nums[96];
    snprintf(nums, sizeof nums, "%7.4f  %7.4f  %7.4f", rv_num(e, "precision"), rv_num(e, "recall"),
             rv_num(e, "f1"));
    /* printf writes nan as "nan"; the pane says n/a */
    for (char *p = strstr(nums, "nan"); p; p = strstr(p, "nan"))
        memcpy(p, "n/a", 3);
    rv_add(l, pred == 0 ? ROLE_WARNING : ROLE_NORMAL, RL_TEXT, NULL, "%-*.*s  %s  %7.0f  %9.0f%s",
           w, w, name ? name : "?", nums, rv_num(e, "support"), pred,
           pred == 0 ? "  never predicted" : "");
}

void rv_build_actions(report_view *v)
{
    rv_lines *l = &v->sec[RS_ACTIONS];
    rv_lines_free(l);
    const cJSON *arr = v->kind == RV_COMPARE
                           ? cJSON_GetObjectItemCaseSensitive(v->root, "per_action")
                           : cJSON_GetObjectItemCaseSensitive(
                                 cJSON_GetObjectItemCaseSensitive(v->root, "task"), "per_action");
    if (!cJSON_IsArray(arr)) {
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "not in this report (no per_action table)");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return;
    int w = 6;
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        const char *name = rv_str(e, "action");
        rows[i] = (row){e, name ? name : "", sort_key(v, e)};
        if (name && (int)strlen(name) > w)
            w = (int)strlen(name);
    }
    if (w > 28)
        w = 28;
    qsort(rows, n, sizeof *rows, by_key);
    if (v->kind == RV_COMPARE)
        rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-*s  %8s  %8s  %8s", w, "action", "F1 A", "F1 B",
               "A - B");
    else
        rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-*s  %7s  %7s  %7s  %7s  %9s", w, "action",
               "prec.", "recall", "F1", "support", "predicted");
    l->fixed = 1;
    for (size_t k = 0; k < n; k++)
        action_row(v, rows[v->reverse ? n - 1 - k : k].e, w);
    free(rows);
}

void rv_set_sort(report_view *v, rv_sort sort, int reverse)
{
    v->sort = (unsigned)sort < RV_SORT_COUNT ? sort : RV_SORT_F1;
    v->reverse = reverse;
    if (v->kind != RV_NONE)
        rv_build_actions(v);
}

/* ---- a comparison --------------------------------------------------------------- */

static void side(rv_lines *l, const cJSON *s, const char *label)
{
    const char *run = rv_str(s, "run"), *ck = rv_str(s, "checkpoint");
    char acc[32] = "n/a", f1[32] = "n/a";
    if (!isnan(rv_num(s, "accuracy")))
        snprintf(acc, sizeof acc, "%.2f%%", 100 * rv_num(s, "accuracy"));
    if (!isnan(rv_num(s, "macro_f1")))
        snprintf(f1, sizeof f1, "%.4f", rv_num(s, "macro_f1"));
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "%s  %-28s  accuracy %8s   macro-F1 %s", label,
           run ? run : "?", acc, f1);
    rv_add(l, ROLE_DIM, RL_TEXT, NULL, "   checkpoint %s", ck ? ck : "?");
}

static void compare_summary(report_view *v)
{
    rv_lines *l = &v->sec[RS_SUMMARY];
    const cJSON *r = v->root;
    side(l, cJSON_GetObjectItemCaseSensitive(r, "a"), "A");
    side(l, cJSON_GetObjectItemCaseSensitive(r, "b"), "B");
    const char *src = rv_str(r, "source");
    rv_add(l, ROLE_NORMAL, RL_TEXT, NULL, "source       %s, %.0f examples", src ? src : "?",
           rv_num(r, "examples"));
    double d = rv_num(r, "accuracy_diff");
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(r, "ci95");
    double lo = NAN, hi = NAN;
    if (cJSON_GetArraySize(ci) == 2) {
        const cJSON *x = cJSON_GetArrayItem(ci, 0), *y = cJSON_GetArrayItem(ci, 1);
        lo = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        hi = cJSON_IsNumber(y) ? y->valuedouble : NAN;
    }
    int sure = !isnan(lo) && !isnan(hi) && (lo > 0 || hi < 0);
    rv_add(l, sure ? ROLE_OK : ROLE_NORMAL, RL_TEXT, NULL,
           "accuracy A - B  %+.2f points   95%% CI [%+.2f, %+.2f]%s", 100 * d, 100 * lo, 100 * hi,
           isnan(lo) ? "" : sure ? "   (the interval excludes 0)" : "   (the interval includes 0)");
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(r, "mcnemar");
    double p = rv_num(mc, "p");
    rv_add(l, !isnan(p) && p < 0.05 ? ROLE_OK : ROLE_NORMAL, RL_TEXT, NULL,
           "McNemar        p = %.4g   (A right only %.0f, B right only %.0f)%s", p,
           rv_num(mc, "a_only"), rv_num(mc, "b_only"),
           isnan(p) ? "" : p < 0.05 ? "   significant at 5%" : "   not significant at 5%");
    /* printf gives "nan" for undefined values; the pane says n/a */
    for (size_t i = 0; i < l->n; i++)
        for (char *q = strstr(l->v[i].text, "nan"); q; q = strstr(q, "nan"))
            memcpy(q, "n/a", 3);
}

static void disagreements(report_view *v)
{
    rv_lines *l = &v->sec[RS_EXAMPLES];
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(v->root, "disagreements");
    rv_add(l, ROLE_HEADER, RL_TEXT, NULL, "%-18s  %-24s  %-24s  line   context", "gold",
           "A (confidence)", "B (confidence)");
    l->fixed = 1;
    size_t n = 0;
    for (const cJSON *e = cJSON_IsArray(d) ? d->child : NULL; e; e = e->next, n++) {
        const char *g = rv_str(e, "gold"), *a = rv_str(e, "a"), *b = rv_str(e, "b");
        const char *ctx = rv_str(e, "context");
        char sa[64], sb[64];
        snprintf(sa, sizeof sa, "%.16s (%.2f)", a ? a : "?", rv_num(e, "confidence_a"));
        snprintf(sb, sizeof sb, "%.16s (%.2f)", b ? b : "?", rv_num(e, "confidence_b"));
        rv_add(l, ROLE_NORMAL, RL_EXAMPLE, e, "%-18.18s  %-24s  %-24s  %-6.0f %s", g ? g : "?", sa,
               sb, rv_num(e, "line"), ctx ? ctx : "");
    }
    if (n)
        rv_add(l, ROLE_DIM, RL_TEXT, NULL,
               "%zu examples where A and B disagree; Enter opens one in the editor", n);
    else
        rv_add(l, ROLE_DIM, RL_TEXT, NULL, "A and B agree on every example");
}

void rv_build_compare(report_view *v)
{
    compare_summary(v);
    rv_build_actions(v);
    disagreements(v);
}
