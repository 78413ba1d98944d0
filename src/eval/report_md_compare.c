/* An A/B comparison as Markdown: both models side by side, the accuracy
 * difference with its interval and McNemar's test, per-action F1 changes
 * and the examples where the two disagree. */
#include <math.h>
#include <stdio.h>

#include "md.h"

#define DISAGREEMENTS_SHOWN 20
#define CONTEXT_COLS 50

static const char *side_name(const cJSON *side)
{
    const char *run = md_jstr(side, "run");
    return run ? run : "?";
}

static void sides(md_buf *b, const cJSON *a, const cJSON *bb)
{
    md_table t;
    md_table_init(&t, "lrr", "", "A", "B");
    md_cell(&t, "run");
    md_cell(&t, side_name(a));
    md_cell(&t, side_name(bb));
    md_cell(&t, "checkpoint");
    md_cell(&t, md_jstr(a, "checkpoint"));
    md_cell(&t, md_jstr(bb, "checkpoint"));
    md_cell(&t, "accuracy");
    md_cell(&t, md_pct(md_jnum(a, "accuracy")).s);
    md_cell(&t, md_pct(md_jnum(bb, "accuracy")).s);
    md_cell(&t, "macro-F1");
    md_cell(&t, md_fix(md_jnum(a, "macro_f1"), 4).s);
    md_cell(&t, md_fix(md_jnum(bb, "macro_f1"), 4).s);
    md_table_emit(&t, b);
}

static md_num signed_points(double v)
{
    md_num n;
    if (isfinite(v))
        snprintf(n.s, sizeof n.s, "%+.2f", 100.0 * v);
    else
        n = md_fix(v, 0);
    return n;
}

/* "= 0.1800", or "< 0.0001" rather than a misleading "= 0.0000". */
static md_num p_text(double p)
{
    md_num out;
    if (!isfinite(p))
        out = md_fix(p, 4); /* the dash that says there is none */
    else if (p < 0.00005)
        snprintf(out.s, sizeof out.s, "< 0.0001");
    else
        snprintf(out.s, sizeof out.s, "= %.4f", p);
    return out;
}

static void tests(md_buf *b, const cJSON *c)
{
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(c, "ci95");
    md_printf(b, "- Accuracy difference (A - B): %s points",
              signed_points(md_jnum(c, "accuracy_diff")).s);
    if (cJSON_GetArraySize(ci) == 2) {
        const cJSON *lo = cJSON_GetArrayItem(ci, 0), *hi = cJSON_GetArrayItem(ci, 1);
        md_printf(b, ", 95%% interval [%s, %s] (bootstrap, 1000 resamples)",
                  signed_points(cJSON_IsNumber(lo) ? lo->valuedouble : NAN).s,
                  signed_points(cJSON_IsNumber(hi) ? hi->valuedouble : NAN).s);
    }
    md_puts(b, "\n");
    const cJSON *mc = md_jsection(c, "mcnemar");
    if (mc)
        md_printf(b, "- McNemar's test: only A right on %s, only B right on %s; p %s\n",
                  md_count(md_jnum(mc, "a_only")).s, md_count(md_jnum(mc, "b_only")).s,
                  p_text(md_jnum(mc, "p")).s);
    md_puts(b, "\n");
}

static void deltas(md_buf *b, const cJSON *c)
{
    const cJSON *it;
    md_table t;
    md_table_init(&t, "lrrr", "action", "F1 A", "F1 B", "change");
    cJSON_ArrayForEach(it, md_jlist(c, "per_action")) {
        md_cell(&t, md_jstr(it, "action"));
        md_cell(&t, md_fix(md_jnum(it, "f1_a"), 4).s);
        md_cell(&t, md_fix(md_jnum(it, "f1_b"), 4).s);
        double d = md_jnum(it, "delta");
        if (isfinite(d))
            md_cellf(&t, "%+.4f", d);
        else
            md_cell(&t, NULL);
    }
    if (md_jlist(c, "per_action"))
        md_puts(b, "## Per-action F1 (largest change first)\n\n");
    md_table_emit(&t, b);
}

static void disagreements(md_buf *b, const cJSON *c)
{
    const cJSON *list = md_jlist(c, "disagreements"), *it;
    if (!list)
        return;
    md_table t;
    md_table_init(&t, "rlllll", "line", "gold", "A", "B", "confidence A / B", "context");
    size_t shown = 0;
    cJSON_ArrayForEach(it, list) {
        if (shown++ == DISAGREEMENTS_SHOWN)
            break;
        md_cell(&t, md_fix(md_jnum(it, "line"), 0).s);
        md_cell(&t, md_jstr(it, "gold"));
        md_cell(&t, md_jstr(it, "a"));
        md_cell(&t, md_jstr(it, "b"));
        md_cellf(&t, "%s / %s", md_fix(md_jnum(it, "confidence_a"), 3).s,
                 md_fix(md_jnum(it, "confidence_b"), 3).s);
        md_cell_clip(&t, md_jstr(it, "context"), CONTEXT_COLS);
    }
    double total = md_jnum(c, "disagreements_total");
    if (!isfinite(total))
        total = cJSON_GetArraySize(list);
    md_printf(b, "## Disagreements (%zu of %s)\n\n",
              shown < DISAGREEMENTS_SHOWN ? shown : (size_t)DISAGREEMENTS_SHOWN,
              md_count(total).s);
    md_table_emit(&t, b);
}

static md_num ratio(double v)
{
    md_num n;
    if (isfinite(v))
        snprintf(n.s, sizeof n.s, "%.2fx", v);
    else
        n = md_fix(v, 0);
    return n;
}

/* Both models' batch-1 latency and throughput, when they were timed. */
static void timing(md_buf *b, const cJSON *c)
{
    const cJSON *e = md_jsection(c, "efficiency");
    if (!e)
        return;
    md_table t;
    md_table_init(&t, "lrrrrrl", "", "mean (ART), ms", "p50", "p95", "p99", "examples/s at 32",
                  "weights");
    static const char *const sides[] = {"a", "b"}, *const names[] = {"A", "B"};
    static const char *const keys[] = {"mean", "p50", "p95", "p99"};
    for (int s = 0; s < 2; s++) {
        const cJSON *side = md_jsection(e, sides[s]), *lat = md_jsection(side, "latency_ms");
        md_cell(&t, names[s]);
        for (size_t i = 0; i < 4; i++) {
            double ms = md_jnum(lat, keys[i]);
            md_cell(&t, md_fix(ms, ms < 1 ? 3 : 2).s);
        }
        md_cell(&t, md_count(md_jnum(side, "qps_batch32")).s);
        if (md_jstr(side, "int8_kernel"))
            md_cellf(&t, "int8 (%s)", md_jstr(side, "int8_kernel"));
        else
            md_cell(&t, md_jstr(side, "weights"));
    }
    md_puts(b, "## Latency (batch 1, end to end) and throughput\n\n");
    md_table_emit(&t, b);
    md_printf(b, "B against A: latency %s (mean), %s (p50); throughput %s. Timed one after "
                 "the other on this machine.\n\n",
              ratio(md_jnum(e, "latency_mean_ratio")).s, ratio(md_jnum(e, "latency_p50_ratio")).s,
              ratio(md_jnum(e, "qps_batch32_ratio")).s);
}

void md_compare(md_buf *b, const cJSON *c)
{
    const cJSON *a = md_jsection(c, "a"), *bb = md_jsection(c, "b");
    md_printf(b, "# A/B comparison: %s vs %s\n\n", side_name(a), side_name(bb));
    const char *src = md_jstr(c, "source");
    md_printf(b, "- Data: %s: %s examples\n\n", src ? src : "?",
              md_count(md_jnum(c, "examples")).s);
    sides(b, a, bb);
    tests(b, c);
    timing(b, c);
    deltas(b, c);
    disagreements(b, c);
}
