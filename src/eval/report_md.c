/* The report as Markdown (RUN/report.md, and what `agentft eval` prints):
 * a header, then one part per section of the JSON; a section that is
 * missing or empty is left out. Tables are padded so that they also read
 * well as plain text in a terminal. */
#include "agentft/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "md.h"

#define MISCLASSIFIED_SHOWN 20
#define CONTEXT_COLS 60

/* "- Fallback: out_of_scope when energy < 7.41 (calibrated to keep 95% ...)" */
static void reject_line(md_buf *b, const cJSON *rj)
{
    if (!rj || !md_jstr(rj, "action"))
        return;
    const char *score = md_jstr(rj, "score") ? md_jstr(rj, "score") : "probability";
    double keep = md_jnum(rj, "keep");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rj, "applied"))) {
        md_printf(b, "- Fallback: %s, not applied: the checkpoint has no calibrated %s "
                     "threshold (eval.reject_keep %s)\n",
                  md_jstr(rj, "action"), score, md_fix(keep, 2).s);
        return;
    }
    md_printf(b, "- Fallback: %s when the %s is under %s", md_jstr(rj, "action"), score,
              md_fix(md_jnum(rj, "below"), 4).s);
    if (isfinite(keep) && md_jstr(rj, "calibrated_on"))
        md_printf(b, " (calibrated for this report on the %s to keep %s of other actions' "
                     "examples)", md_jstr(rj, "calibrated_on"), md_pct(keep).s);
    else if (isfinite(keep))
        md_printf(b, " (calibrated on the validation split to keep %s of other actions' "
                     "examples)", md_pct(keep).s);
    md_puts(b, "\n");
}

static void header(md_buf *b, const cJSON *r)
{
    md_printf(b, "# Evaluation report: %s\n\n", md_jstr(r, "run") ? md_jstr(r, "run") : "?");
    const char *ck = md_jstr(r, "checkpoint"), *dir = md_jstr(r, "checkpoint_dir");
    if (ck)
        md_printf(b, "- Checkpoint: %s%s%s%s\n", ck, dir ? " (`" : "", dir ? dir : "",
                  dir ? "`)" : "");
    double n = md_jnum(r, "examples"), scored = md_jnum(r, "scored");
    double bad = md_jnum(r, "bad_lines_skipped");
    md_printf(b, "- Data: %s: %s examples", md_jstr(r, "source") ? md_jstr(r, "source") : "?",
              md_count(n).s);
    if (isfinite(scored) && scored < n)
        md_printf(b, ", %s scored (%s with actions the model does not know)",
                  md_count(scored).s, md_count(n - scored).s);
    if (bad > 0)
        md_printf(b, "; %s bad lines in the file skipped", md_count(bad).s);
    md_puts(b, "\n");
    const cJSON *m = md_jsection(r, "model");
    if (m)
        md_printf(b, "- Model: %s parameters; n_layer %s, n_head %s, d_model %s, max_seq %s, "
                     "vocab_size %s; %s actions%s\n",
                  md_count(md_jnum(m, "parameters")).s, md_fix(md_jnum(m, "n_layer"), 0).s,
                  md_fix(md_jnum(m, "n_head"), 0).s, md_fix(md_jnum(m, "d_model"), 0).s,
                  md_fix(md_jnum(m, "max_seq"), 0).s, md_count(md_jnum(m, "vocab_size")).s,
                  md_fix(md_jnum(m, "actions"), 0).s,
                  md_jstr(m, "weights") && strcmp(md_jstr(m, "weights"), "int8") == 0
                      ? "; INT8 weights"
                      : "");
    reject_line(b, md_jsection(r, "reject"));
    const cJSON *mach = md_jsection(r, "machine");
    if (mach)
        md_printf(b, "- Machine: %s cores; %s threads used\n", md_fix(md_jnum(mach, "cores"), 0).s,
                  md_fix(md_jnum(mach, "threads"), 0).s);
    if (md_jstr(r, "created"))
        md_printf(b, "- Created: %s\n", md_jstr(r, "created"));
    md_puts(b, "\n");
}

static void summary(md_buf *b, const cJSON *r)
{
    const cJSON *task = md_jsection(r, "task"), *cal = md_jsection(r, "calibration");
    const cJSON *eff = md_jsection(r, "efficiency");
    md_table t;
    md_table_init(&t, "lr", "metric", "value");
    if (task) {
        md_cell(&t, "accuracy");
        md_cell(&t, md_pct(md_jnum(task, "accuracy")).s);
        static const char *const keys[][2] = {{"macro_f1", "macro-F1"},
                                              {"weighted_f1", "weighted-F1"},
                                              {"macro_precision", "macro precision"},
                                              {"macro_recall", "macro recall"}};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            md_cell(&t, keys[i][1]);
            md_cell(&t, md_fix(md_jnum(task, keys[i][0]), 4).s);
        }
        const cJSON *fb = md_jsection(task, "fallback");
        if (fb && md_jstr(fb, "action")) {
            md_cellf(&t, "accuracy on actions other than %s", md_jstr(fb, "action"));
            md_cell(&t, md_pct(md_jnum(fb, "other_accuracy")).s);
            md_cellf(&t, "%s caught (recall)", md_jstr(fb, "action"));
            md_cell(&t, md_pct(md_jnum(fb, "recall")).s);
        }
    }
    if (cal) {
        md_cell(&t, "expected calibration error");
        md_cell(&t, md_fix(md_jnum(cal, "ece"), 4).s);
    }
    const cJSON *lat = eff ? md_jsection(eff, "latency_ms") : NULL;
    if (lat) {
        md_cell(&t, "average response time (batch 1)");
        double ms = md_jnum(lat, "mean");
        md_cellf(&t, "%s ms", md_fix(ms, ms < 1 ? 3 : 2).s);
    }
    if (eff && isfinite(md_jnum(eff, "qps_batch32"))) {
        md_cell(&t, "throughput (batch 32)");
        md_cellf(&t, "%s examples/s", md_count(md_jnum(eff, "qps_batch32")).s);
    }
    md_puts(b, "## Summary\n\n");
    md_table_emit(&t, b);
}

static void per_action(md_buf *b, const cJSON *task)
{
    const cJSON *list = md_jlist(task, "per_action"), *it;
    if (!list)
        return;
    md_table t;
    md_table_init(&t, "lrrrrr", "action", "precision", "recall", "F1", "support", "predicted");
    cJSON_ArrayForEach(it, list) {
        md_cell(&t, md_jstr(it, "action"));
        md_cell(&t, md_fix(md_jnum(it, "precision"), 4).s);
        md_cell(&t, md_fix(md_jnum(it, "recall"), 4).s);
        md_cell(&t, md_fix(md_jnum(it, "f1"), 4).s);
        md_cell(&t, md_count(md_jnum(it, "support")).s);
        md_cell(&t, md_count(md_jnum(it, "predicted")).s);
    }
    md_puts(b, "## Per action\n\n");
    md_table_emit(&t, b);
}

static void confusions(md_buf *b, const cJSON *task)
{
    const cJSON *list = md_jlist(task, "top_confusions"), *it;
    if (!list)
        return;
    md_table t;
    md_table_init(&t, "llr", "gold", "predicted as", "count");
    cJSON_ArrayForEach(it, list) {
        md_cell(&t, md_jstr(it, "gold"));
        md_cell(&t, md_jstr(it, "predicted"));
        md_cell(&t, md_count(md_jnum(it, "count")).s);
    }
    md_puts(b, "## Top confusions\n\n");
    md_table_emit(&t, b);
}

static void mistakes(md_buf *b, const cJSON *task)
{
    const cJSON *list = md_jlist(task, "misclassified"), *it;
    if (!list)
        return;
    md_table t;
    md_table_init(&t, "rllrl", "line", "gold", "predicted", "confidence", "context");
    size_t shown = 0;
    cJSON_ArrayForEach(it, list) {
        if (shown++ == MISCLASSIFIED_SHOWN)
            break;
        md_cell(&t, md_fix(md_jnum(it, "line"), 0).s);
        md_cell(&t, md_jstr(it, "gold"));
        md_cell(&t, md_jstr(it, "predicted"));
        md_cell(&t, md_fix(md_jnum(it, "confidence"), 3).s);
        md_cell_clip(&t, md_jstr(it, "context"), CONTEXT_COLS);
    }
    double total = md_jnum(task, "misclassified_total");
    md_printf(b, "## Misclassified (%zu of %s, most confident first)\n\n",
              shown < MISCLASSIFIED_SHOWN ? shown : (size_t)MISCLASSIFIED_SHOWN,
              md_count(total).s);
    md_table_emit(&t, b);
}

static void unknown(md_buf *b, const cJSON *task)
{
    const cJSON *u = md_jsection(task, "unknown_actions");
    const cJSON *list = u ? md_jlist(u, "actions") : NULL, *it;
    if (!list)
        return;
    md_printf(b, "## Actions the model does not know\n\n%s examples carry an action the model "
                 "was not trained on; they are not scored:",
              md_count(md_jnum(u, "count")).s);
    const char *sep = " ";
    cJSON_ArrayForEach(it, list) {
        if (cJSON_IsString(it))
            md_printf(b, "%s`%s`", sep, it->valuestring);
        sep = ", ";
    }
    md_puts(b, ".\n\n");
}

static void task(md_buf *b, const cJSON *r)
{
    const cJSON *t = md_jsection(r, "task");
    if (!t)
        return;
    per_action(b, t);
    confusions(b, t);
    mistakes(b, t);
    unknown(b, t);
}

static void slice_table(md_buf *b, const cJSON *list, const char *title, const char *first,
                        int with_cut)
{
    const cJSON *it;
    if (!list)
        return;
    md_table t;
    if (with_cut)
        md_table_init(&t, "lrrrr", first, "examples", "accuracy", "macro-F1", "cut");
    else
        md_table_init(&t, "lrrr", first, "examples", "accuracy", "macro-F1");
    cJSON_ArrayForEach(it, list) {
        md_cell(&t, md_jstr(it, "name"));
        md_cell(&t, md_count(md_jnum(it, "examples")).s);
        md_cell(&t, md_pct(md_jnum(it, "accuracy")).s);
        md_cell(&t, md_fix(md_jnum(it, "macro_f1"), 4).s);
        if (with_cut)
            md_cell(&t, md_count(md_jnum(it, "truncated")).s);
    }
    md_printf(b, "### %s\n\n", title);
    md_table_emit(&t, b);
}

static void slices(md_buf *b, const cJSON *r)
{
    const cJSON *s = md_jsection(r, "slices");
    if (!s)
        return;
    md_puts(b, "## Slices\n\n");
    slice_table(b, md_jlist(s, "complexity"), "By complexity", "complexity", 0);
    slice_table(b, md_jlist(s, "length"), "By context length (tokens)", "tokens", 1);
    const cJSON *tr = md_jsection(s, "truncation");
    if (tr && md_jstr(tr, "note"))
        md_printf(b, "%s Here %s of %s contexts were cut.\n\n", md_jstr(tr, "note"),
                  md_count(md_jnum(tr, "cut")).s, md_count(md_jnum(r, "examples")).s);
    slice_table(b, md_jlist(s, "split"), "By split", "split", 0);
}

static void calibration(md_buf *b, const cJSON *r)
{
    const cJSON *c = md_jsection(r, "calibration"), *it;
    if (!c)
        return;
    md_printf(b, "## Calibration\n\nExpected calibration error %s over %s examples.\n\n",
              md_fix(md_jnum(c, "ece"), 4).s, md_count(md_jnum(c, "examples")).s);
    md_table t;
    md_table_init(&t, "lrrr", "confidence", "examples", "mean confidence", "accuracy");
    cJSON_ArrayForEach(it, md_jlist(c, "bins")) {
        md_cellf(&t, "%s-%s", md_fix(md_jnum(it, "lo"), 1).s, md_fix(md_jnum(it, "hi"), 1).s);
        md_cell(&t, md_count(md_jnum(it, "count")).s);
        md_cell(&t, md_fix(md_jnum(it, "confidence"), 3).s);
        md_cell(&t, md_pct(md_jnum(it, "accuracy")).s);
    }
    md_table_emit(&t, b);
}

static void efficiency(md_buf *b, const cJSON *r)
{
    const cJSON *e = md_jsection(r, "efficiency"), *it;
    if (!e)
        return;
    md_printf(b, "## Efficiency\n\n%s cores; %s threads used; %s parameters",
              md_fix(md_jnum(e, "cores"), 0).s, md_fix(md_jnum(e, "threads"), 0).s,
              md_count(md_jnum(e, "parameters")).s);
    if (md_jstr(e, "int8_kernel"))
        md_printf(b, "; INT8 products (%s kernel)", md_jstr(e, "int8_kernel"));
    md_puts(b, ".\n\n");
    const cJSON *lat = md_jsection(e, "latency_ms");
    if (lat) {
        md_table t;
        md_table_init(&t, "lrrrrr", "batch 1", "mean (ART)", "p50", "p95", "p99", "samples");
        md_cell(&t, "latency, ms");
        static const char *const keys[] = {"mean", "p50", "p95", "p99"};
        for (size_t i = 0; i < 4; i++) {
            double ms = md_jnum(lat, keys[i]);
            md_cell(&t, md_fix(ms, ms < 1 ? 3 : 2).s); /* small models answer in microseconds */
        }
        md_cell(&t, md_count(md_jnum(lat, "samples")).s);
        md_table_emit(&t, b);
    }
    const cJSON *best = md_jsection(e, "best_batch");
    md_printf(b, "Throughput: %s examples/s at batch 32", md_count(md_jnum(e, "qps_batch32")).s);
    if (best)
        md_printf(b, "; best %s examples/s at batch %s", md_count(md_jnum(best, "qps")).s,
                  md_fix(md_jnum(best, "batch"), 0).s);
    md_puts(b, ".\n\n");
    md_table t;
    md_table_init(&t, "rr", "batch", "examples/s");
    cJSON_ArrayForEach(it, md_jlist(e, "batches")) {
        md_cell(&t, md_fix(md_jnum(it, "batch"), 0).s);
        md_cell(&t, md_count(md_jnum(it, "qps")).s);
    }
    md_table_emit(&t, b);
}

static const char *points(double drop, char *buf, size_t size)
{
    if (!isfinite(drop))
        return NULL;
    snprintf(buf, size, "%.2f pts", 100.0 * drop);
    return buf;
}

/* A JSON list of strings as "a; b; c" (empty when there is none). */
static void join_strings(const cJSON *list, char *buf, size_t size)
{
    const cJSON *it;
    size_t used = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(it, list) {
        if (!cJSON_IsString(it) || used >= size)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? "; " : "", it->valuestring);
        used += n > 0 ? (size_t)n : 0;
    }
}

static void adversarial(md_buf *b, const cJSON *adv)
{
    const cJSON *it;
    md_printf(b, "Adversarial word edits: the prediction flipped on %s of %s examples tried, "
                 "with at most %s edits (mean %s).\n\n",
              md_count(md_jnum(adv, "found")).s, md_count(md_jnum(adv, "tried")).s,
              md_fix(md_jnum(adv, "max_edits"), 0).s, md_fix(md_jnum(adv, "mean_edits"), 2).s);
    md_table t;
    md_table_init(&t, "rllrll", "line", "before", "after", "edits", "changes", "edited context");
    size_t shown = 0;
    cJSON_ArrayForEach(it, md_jlist(adv, "examples")) {
        if (shown++ == MISCLASSIFIED_SHOWN)
            break;
        char changes[512];
        join_strings(md_jlist(it, "changes"), changes, sizeof changes);
        md_cell(&t, md_fix(md_jnum(it, "line"), 0).s);
        md_cell(&t, md_jstr(it, "before"));
        md_cell(&t, md_jstr(it, "after"));
        md_cell(&t, md_fix(md_jnum(it, "edits"), 0).s);
        md_cell_clip(&t, changes, CONTEXT_COLS);
        md_cell_clip(&t, md_jstr(it, "adversarial"), CONTEXT_COLS);
    }
    md_table_emit(&t, b);
}

/* Perturbations left out, each with the reason, under the table. */
static void skipped(md_buf *b, const cJSON *list)
{
    const cJSON *it;
    int said = 0;
    cJSON_ArrayForEach(it, list) {
        const char *why = md_jstr(it, "skipped"), *warning = md_jstr(it, "warning");
        if (why || warning)
            md_printf(b, "- %s%s %s\n", md_jstr(it, "kind"), why ? " skipped:" : ":",
                      why ? why : warning);
        said |= why || warning;
    }
    if (said)
        md_puts(b, "\n");
}

static void robustness(md_buf *b, const cJSON *r)
{
    const cJSON *s = md_jsection(r, "robustness"), *it;
    if (!s)
        return;
    md_puts(b, "## Robustness\n\n");
    const cJSON *clean = md_jsection(s, "clean");
    if (clean)
        md_printf(b, "Clean: accuracy %s, macro-F1 %s.\n\n", md_pct(md_jnum(clean, "accuracy")).s,
                  md_fix(md_jnum(clean, "macro_f1"), 4).s);
    md_table t;
    md_table_init(&t, "lrrrrr", "perturbation", "rate", "accuracy", "drop", "macro-F1", "drop");
    cJSON_ArrayForEach(it, md_jlist(s, "perturbations")) {
        char drop[32];
        md_cell(&t, md_jstr(it, "kind"));
        md_cell(&t, md_fix(md_jnum(it, "rate"), 2).s);
        md_cell(&t, md_pct(md_jnum(it, "accuracy")).s);
        md_cell(&t, points(md_jnum(it, "accuracy_drop"), drop, sizeof drop));
        md_cell(&t, md_fix(md_jnum(it, "macro_f1"), 4).s);
        md_cell(&t, md_fix(md_jnum(it, "macro_f1_drop"), 4).s);
    }
    md_table_emit(&t, b);
    skipped(b, md_jlist(s, "perturbations"));
    const cJSON *adv = md_jsection(s, "adversarial");
    if (adv)
        adversarial(b, adv);
}

static void generation(md_buf *b, const cJSON *r)
{
    const cJSON *g = md_jsection(r, "generation"), *it;
    if (!g)
        return;
    md_puts(b, "## Generation\n\n");
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(g, "lm_trained"))) {
        const char *note = md_jstr(g, "note");
        md_printf(b, "%s\n\n", note ? note : "The language-model head was not trained.");
        return;
    }
    md_printf(b, "- Action exact match: %s\n- Response token accuracy: %s\n"
                 "- Response perplexity: %s\n- Examples: %s\n\n",
              md_pct(md_jnum(g, "action_exact_match")).s,
              md_pct(md_jnum(g, "response_token_accuracy")).s,
              md_fix(md_jnum(g, "response_perplexity"), 2).s, md_count(md_jnum(g, "examples")).s);
    md_table t;
    md_table_init(&t, "llll", "context", "gold action", "generated action", "generated response");
    cJSON_ArrayForEach(it, md_jlist(g, "samples")) {
        md_cell_clip(&t, md_jstr(it, "context"), 40);
        md_cell(&t, md_jstr(it, "gold_action"));
        md_cell(&t, md_jstr(it, "generated_action"));
        md_cell_clip(&t, md_jstr(it, "generated_response"), 50);
    }
    md_table_emit(&t, b);
}

char *aft_report_markdown(const cJSON *report)
{
    md_buf b = {0};
    const char *kind = md_jstr(report, "kind");
    if (kind && strcmp(kind, "compare") == 0) {
        md_compare(&b, report);
    } else {
        header(&b, report);
        summary(&b, report);
        task(&b, report);
        slices(&b, report);
        calibration(&b, report);
        efficiency(&b, report);
        robustness(&b, report);
        generation(&b, report);
    }
    /* One line end at the end, not a blank line. */
    while (b.len > 1 && b.s[b.len - 1] == '\n' && b.s[b.len - 2] == '\n')
        b.s[--b.len] = '\0';
    return md_take(&b);
}
