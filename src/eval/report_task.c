/* The task sections of the report: accuracy, per-action metrics, confusions
 * and mistakes ("task"), the same figures per complexity, context length and
 * split ("slices"), and the reliability of the confidences ("calibration").
 *
 * Only examples whose action the model knows are scored; the others are
 * listed under task.unknown_actions. Undefined figures are null: a precision
 * for an action never predicted, a recall for one with no gold examples, any
 * figure of an empty slice. The macro averages count such a precision or
 * recall as 0, as aft_metrics_compute does. */
#include "agentft/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/metrics.h"
#include "agentft/numeric.h"

#define TOP_CONFUSIONS 10
#define MISCLASSIFIED_DEFAULT 200
#define CAL_BINS 10

static int scored(const aft_eval_input *in, size_t k)
{
    return in->examples.items[k].label >= 0;
}

static int correct(const aft_eval_input *in, size_t k)
{
    return in->examples.items[k].label == in->predicted[k];
}

static void add_num(cJSON *o, const char *key, double v, int defined)
{
    if (defined)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* Metrics over the scored examples k with group[k] == g (all when group is NULL). */
static int metrics_of(const aft_eval_input *in, const int *group, int g, aft_confusion *conf,
                      aft_class_metrics *per, aft_metrics_summary *sum, aft_error *err)
{
    size_t A = aft_predictor_actions(in->pred)->count;
    if (aft_confusion_init(conf, A, err) < 0)
        return -1;
    for (size_t k = 0; k < in->examples.count; k++) {
        if (!scored(in, k) || (group && group[k] != g))
            continue;
        if (aft_confusion_add(conf, in->examples.items[k].label, in->predicted[k], err) < 0) {
            aft_confusion_free(conf);
            return -1;
        }
    }
    aft_metrics_compute(conf, per, sum);
    return 0;
}

static void add_summary(cJSON *o, const aft_metrics_summary *s, size_t n)
{
    cJSON_AddNumberToObject(o, "examples", (double)n);
    add_num(o, "accuracy", s->accuracy, n > 0);
    add_num(o, "macro_f1", s->macro_f1, n > 0);
}

static cJSON *per_action_json(const aft_action_set *acts, const aft_class_metrics *per)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t a = 0; a < acts->count; a++) {
        const aft_class_metrics *m = &per[a];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "action", acts->names[a]);
        add_num(o, "precision", m->precision, m->predicted > 0);
        add_num(o, "recall", m->recall, m->support > 0);
        add_num(o, "f1", m->f1, m->predicted > 0 || m->support > 0);
        cJSON_AddNumberToObject(o, "support", (double)m->support);
        cJSON_AddNumberToObject(o, "predicted", (double)m->predicted);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *confusion_json(const aft_action_set *acts, const aft_confusion *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "actions",
                          cJSON_CreateStringArray((const char *const *)acts->names,
                                                  (int)acts->count));
    cJSON *rows = cJSON_AddArrayToObject(o, "matrix");
    for (size_t g = 0; g < acts->count; g++) {
        cJSON *row = cJSON_CreateArray();
        for (size_t p = 0; p < acts->count; p++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)aft_confusion_at(c, g, p)));
        cJSON_AddItemToArray(rows, row);
    }
    return o;
}

typedef struct cell {
    size_t gold, pred, count;
} cell;

static int cmp_cell(const void *x, const void *y)
{
    const cell *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->gold != b->gold)
        return a->gold < b->gold ? -1 : 1;
    return (a->pred > b->pred) - (a->pred < b->pred);
}

/* The largest off-diagonal cells, most frequent first. */
static cJSON *top_confusions_json(const aft_action_set *acts, const aft_confusion *c,
                                  aft_error *err)
{
    size_t A = acts->count, n = 0;
    cell *cells = malloc((A * A + 1) * sizeof *cells);
    if (!cells) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    for (size_t g = 0; g < A; g++)
        for (size_t p = 0; p < A; p++)
            if (g != p && aft_confusion_at(c, g, p) > 0)
                cells[n++] = (cell){g, p, aft_confusion_at(c, g, p)};
    qsort(cells, n, sizeof *cells, cmp_cell);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n && i < TOP_CONFUSIONS; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "gold", acts->names[cells[i].gold]);
        cJSON_AddStringToObject(o, "predicted", acts->names[cells[i].pred]);
        cJSON_AddNumberToObject(o, "count", (double)cells[i].count);
        cJSON_AddItemToArray(arr, o);
    }
    free(cells);
    return arr;
}

/* The record's id as it is in the file (a string or a number), or null. */
static cJSON *record_id(const aft_dataset *ds, size_t rec)
{
    char *text = aft_dataset_get_json(ds, rec, "id");
    cJSON *id = text ? cJSON_Parse(text) : NULL;
    free(text);
    return id ? id : cJSON_CreateNull();
}

static cJSON *record_context(const aft_dataset *ds, size_t rec)
{
    char *text = aft_dataset_get_string(ds, rec, "context");
    cJSON *s = cJSON_CreateString(text ? text : "");
    free(text);
    return s;
}

typedef struct mistake {
    float confidence;
    size_t k;
} mistake;

static int cmp_mistake(const void *x, const void *y)
{
    const mistake *a = x, *b = y;
    if (a->confidence != b->confidence)
        return a->confidence > b->confidence ? -1 : 1;
    return (a->k > b->k) - (a->k < b->k);
}

/* Adds misclassified (most confident first, at most max) and misclassified_total. */
static int add_mistakes(cJSON *task, const aft_eval_input *in, size_t max, aft_error *err)
{
    const aft_action_set *acts = aft_predictor_actions(in->pred);
    size_t n = 0;
    mistake *idx = malloc((in->examples.count + 1) * sizeof *idx);
    if (!idx)
        return aft_error_set(err, "out of memory");
    for (size_t k = 0; k < in->examples.count; k++)
        if (scored(in, k) && !correct(in, k))
            idx[n++] = (mistake){in->confidence[k], k};
    qsort(idx, n, sizeof *idx, cmp_mistake);
    cJSON *arr = cJSON_AddArrayToObject(task, "misclassified");
    for (size_t i = 0; i < n && i < max; i++) {
        size_t k = idx[i].k, rec = in->examples.items[k].record;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "record", (double)rec);
        cJSON_AddNumberToObject(o, "line", (double)aft_dataset_line_number(in->ds, rec));
        cJSON_AddItemToObject(o, "id", record_id(in->ds, rec));
        cJSON_AddItemToObject(o, "context", record_context(in->ds, rec));
        cJSON_AddStringToObject(o, "gold", acts->names[in->examples.items[k].label]);
        cJSON_AddStringToObject(o, "predicted", acts->names[in->predicted[k]]);
        cJSON_AddNumberToObject(o, "confidence", aft_float_to_decimal(in->confidence[k]));
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddNumberToObject(task, "misclassified_total", (double)n);
    free(idx);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Examples whose action the model does not know, and those actions (sorted, once each). */
static int add_unknown(cJSON *task, const aft_eval_input *in, aft_error *err)
{
    size_t n = 0;
    const char **names = malloc((in->examples.count + 1) * sizeof *names);
    if (!names)
        return aft_error_set(err, "out of memory");
    for (size_t k = 0; k < in->examples.count; k++)
        if (!scored(in, k))
            names[n++] = aft_dataset_action(in->ds, in->examples.items[k].record);
    qsort(names, n, sizeof *names, cmp_str);
    cJSON *o = cJSON_AddObjectToObject(task, "unknown_actions");
    cJSON_AddNumberToObject(o, "count", (double)n);
    cJSON *arr = cJSON_AddArrayToObject(o, "actions");
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
    free(names);
    return 0;
}

static size_t count_scored(const aft_eval_input *in)
{
    size_t n = 0;
    for (size_t k = 0; k < in->examples.count; k++)
        n += scored(in, k);
    return n;
}

/* With a fallback action (eval.reject_action), the two figures intent
 * detection is judged by: accuracy on the examples of the other actions,
 * and how many of the fallback's own examples it catches (and how many
 * fallbacks were right). */
static void add_fallback(cJSON *task, const aft_eval_input *in)
{
    int32_t fb = aft_predictor_reject(in->pred)->action;
    if (fb < 0)
        return;
    size_t others = 0, others_right = 0, own = 0, caught = 0, given = 0;
    for (size_t k = 0; k < in->examples.count; k++) {
        if (!scored(in, k))
            continue;
        int is_own = in->examples.items[k].label == fb;
        own += is_own;
        others += !is_own;
        caught += is_own && correct(in, k);
        others_right += !is_own && correct(in, k);
        given += in->predicted[k] == fb;
    }
    cJSON *o = cJSON_AddObjectToObject(task, "fallback");
    cJSON_AddStringToObject(o, "action", aft_predictor_actions(in->pred)->names[fb]);
    cJSON_AddNumberToObject(o, "other_examples", (double)others);
    add_num(o, "other_accuracy", others ? (double)others_right / (double)others : 0, others > 0);
    cJSON_AddNumberToObject(o, "examples", (double)own);
    add_num(o, "recall", own ? (double)caught / (double)own : 0, own > 0);
    cJSON_AddNumberToObject(o, "predicted", (double)given);
    add_num(o, "precision", given ? (double)caught / (double)given : 0, given > 0);
}

cJSON *aft_report_task(const aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    const aft_action_set *acts = aft_predictor_actions(in->pred);
    aft_class_metrics *per = calloc(acts->count + 1, sizeof *per);
    aft_confusion conf = {0};
    aft_metrics_summary s;
    cJSON *task = NULL, *top;
    if (!per) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    if (metrics_of(in, NULL, 0, &conf, per, &s, err) < 0)
        goto fail;
    size_t n = count_scored(in);
    task = cJSON_CreateObject();
    add_summary(task, &s, n);
    add_num(task, "weighted_f1", s.weighted_f1, n > 0);
    add_num(task, "macro_precision", s.macro_precision, n > 0);
    add_num(task, "macro_recall", s.macro_recall, n > 0);
    add_fallback(task, in);
    cJSON_AddItemToObject(task, "per_action", per_action_json(acts, per));
    cJSON_AddItemToObject(task, "confusion", confusion_json(acts, &conf));
    if (!(top = top_confusions_json(acts, &conf, err)))
        goto fail;
    cJSON_AddItemToObject(task, "top_confusions", top);
    size_t max = opts && opts->misclassified_max ? opts->misclassified_max : MISCLASSIFIED_DEFAULT;
    if (add_mistakes(task, in, max, err) < 0 || add_unknown(task, in, err) < 0)
        goto fail;
    aft_confusion_free(&conf);
    free(per);
    return task;
fail:
    cJSON_Delete(task);
    aft_confusion_free(&conf);
    free(per);
    return NULL;
}

/* ---- slices ---- */

/* Adds {name, examples, accuracy, macro_f1} for the scored examples of group g. */
static cJSON *slice_json(const aft_eval_input *in, const int *group, int g, const char *name,
                         size_t *n_out, aft_error *err)
{
    size_t A = aft_predictor_actions(in->pred)->count;
    aft_class_metrics *per = calloc(A + 1, sizeof *per);
    aft_confusion conf;
    aft_metrics_summary s;
    if (!per) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    if (metrics_of(in, group, g, &conf, per, &s, err) < 0) {
        free(per);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    add_summary(o, &s, conf.total);
    if (n_out)
        *n_out = conf.total;
    aft_confusion_free(&conf);
    free(per);
    return o;
}

/* Appends group g's slice to arr when it has scored examples. */
static int add_if_any(cJSON *arr, const aft_eval_input *in, const int *group, int g,
                      const char *name, aft_error *err)
{
    size_t n;
    cJSON *o = slice_json(in, group, g, name, &n, err);
    if (!o)
        return -1;
    if (n)
        cJSON_AddItemToArray(arr, o);
    else
        cJSON_Delete(o);
    return 0;
}

static int complexity_slices(cJSON *slices, const aft_eval_input *in, int *group, aft_error *err)
{
    cJSON *arr = cJSON_AddArrayToObject(slices, "complexity");
    for (size_t k = 0; k < in->examples.count; k++)
        group[k] = in->examples.items[k].complexity;
    for (int level = 0; level <= AFT_MAX_COMPLEXITY; level++) {
        char name[16];
        snprintf(name, sizeof name, "%d", level);
        if (add_if_any(arr, in, group, level, name, err) < 0)
            return -1;
    }
    return 0;
}

/* Context tokens of example k before any cut. A cut context is encoded
 * again: the example keeps only what fitted. */
static int context_tokens(const aft_eval_input *in, size_t k, size_t *out, aft_error *err)
{
    const aft_example *e = &in->examples.items[k];
    *out = e->cls_pos;
    if (!e->context_cut || !in->ds)
        return 0;
    char *text = aft_dataset_get_string(in->ds, e->record, "context");
    aft_tokens t = {0};
    int rc = aft_tokenizer_encode(aft_predictor_tokenizer(in->pred), text ? text : "",
                                  text ? strlen(text) : 0, 0, &t, err);
    *out = t.n;
    aft_tokens_free(&t);
    free(text);
    return rc;
}

#define LEN_BUCKETS 6

/* Buckets of context length: four quarters of the window the context gets
 * (max_seq less the <|action|> token), then up to twice the window and
 * beyond, whose contexts are cut from the left. hi[b] is inclusive. */
static void length_edges(size_t window, size_t lo[LEN_BUCKETS], size_t hi[LEN_BUCKETS])
{
    for (size_t b = 0; b < 4; b++) {
        lo[b] = b ? hi[b - 1] + 1 : 0;
        hi[b] = (window * (b + 1) + 3) / 4;
        if (hi[b] < lo[b]) /* a window under 4 tokens */
            hi[b] = lo[b];
    }
    lo[4] = hi[3] + 1;
    hi[4] = 2 * window > lo[4] ? 2 * window : lo[4];
    lo[5] = hi[4] + 1;
    hi[5] = SIZE_MAX;
}

static int length_slices(cJSON *slices, const aft_eval_input *in, int *group, aft_error *err)
{
    size_t max_seq = (size_t)aft_model_get_config(aft_predictor_model(in->pred))->max_seq;
    size_t window = max_seq - 1, lo[LEN_BUCKETS], hi[LEN_BUCKETS];
    size_t cut[LEN_BUCKETS] = {0};
    length_edges(window, lo, hi);
    for (size_t k = 0; k < in->examples.count; k++) {
        size_t t;
        if (context_tokens(in, k, &t, err) < 0)
            return -1;
        int b = 0;
        while (b < LEN_BUCKETS - 1 && t > hi[b])
            b++;
        group[k] = b;
        cut[b] += scored(in, k) && in->examples.items[k].context_cut;
    }
    cJSON *arr = cJSON_AddArrayToObject(slices, "length");
    for (int b = 0; b < LEN_BUCKETS; b++) {
        char name[48];
        if (b == LEN_BUCKETS - 1)
            snprintf(name, sizeof name, "%zu+", lo[b]);
        else
            snprintf(name, sizeof name, "%zu-%zu", lo[b], hi[b]);
        cJSON *o = slice_json(in, group, b, name, NULL, err);
        if (!o)
            return -1;
        cJSON_AddNumberToObject(o, "lo", (double)lo[b]);
        if (b == LEN_BUCKETS - 1)
            cJSON_AddNullToObject(o, "hi");
        else
            cJSON_AddNumberToObject(o, "hi", (double)hi[b]);
        cJSON_AddNumberToObject(o, "truncated", (double)cut[b]);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON *tr = cJSON_AddObjectToObject(slices, "truncation");
    cJSON_AddNumberToObject(tr, "max_seq", (double)max_seq);
    cJSON_AddNumberToObject(tr, "cut", (double)in->examples.context_cut);
    char note[256];
    snprintf(note, sizeof note,
             "Contexts longer than %zu tokens (max_seq %zu less the <|action|> token) are cut "
             "from the left; the model sees their last %zu tokens.",
             window, max_seq, window);
    cJSON_AddStringToObject(tr, "note", note);
    return 0;
}

/* Per split, only for data whose records carry split fields. */
static int split_slices(cJSON *slices, const aft_eval_input *in, int *group, aft_error *err)
{
    cJSON *arr = cJSON_AddArrayToObject(slices, "split");
    int marked = 0;
    for (size_t i = 0; in->ds && i < aft_dataset_count(in->ds) && !marked; i++)
        marked = aft_dataset_split(in->ds, i) != AFT_SPLIT_NONE;
    if (!marked)
        return 0;
    for (size_t k = 0; k < in->examples.count; k++)
        group[k] = in->examples.items[k].split;
    static const aft_split order[] = {AFT_SPLIT_TRAIN, AFT_SPLIT_VALID, AFT_SPLIT_TEST,
                                      AFT_SPLIT_NONE};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *name = order[i] == AFT_SPLIT_NONE ? "none" : aft_split_name(order[i]);
        if (add_if_any(arr, in, group, (int)order[i], name, err) < 0)
            return -1;
    }
    return 0;
}

cJSON *aft_report_slices(const aft_eval_input *in, aft_error *err)
{
    int *group = malloc((in->examples.count + 1) * sizeof *group);
    cJSON *slices = cJSON_CreateObject();
    if (!group || !slices) {
        aft_error_set(err, "out of memory");
        goto fail;
    }
    if (complexity_slices(slices, in, group, err) < 0 ||
        length_slices(slices, in, group, err) < 0 || split_slices(slices, in, group, err) < 0)
        goto fail;
    free(group);
    return slices;
fail:
    free(group);
    cJSON_Delete(slices);
    return NULL;
}

/* ---- calibration ---- */

/* Bin edges as 0.1, 0.2, ... rather than 0.30000000000000004. */
static double edge(double x)
{
    return round(x * 1e6) / 1e6;
}

cJSON *aft_report_calibration(const aft_eval_input *in, aft_error *err)
{
    size_t n = 0, N = in->examples.count;
    float *conf = calloc(N + 1, sizeof *conf);
    uint8_t *ok = calloc(N + 1, 1);
    if (!conf || !ok) {
        free(conf);
        free(ok);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < N; k++) {
        if (!scored(in, k))
            continue;
        conf[n] = in->confidence[k];
        ok[n++] = (uint8_t)correct(in, k);
    }
    aft_reliability_bin bins[CAL_BINS];
    double ece = aft_calibration(conf, ok, n, bins, CAL_BINS);
    free(conf);
    free(ok);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "examples", (double)n);
    add_num(o, "ece", ece, n > 0);
    cJSON *arr = cJSON_AddArrayToObject(o, "bins");
    for (size_t b = 0; b < CAL_BINS; b++) {
        cJSON *bin = cJSON_CreateObject();
        cJSON_AddNumberToObject(bin, "lo", edge(bins[b].lo));
        cJSON_AddNumberToObject(bin, "hi", edge(bins[b].hi));
        cJSON_AddNumberToObject(bin, "count", (double)bins[b].count);
        add_num(bin, "confidence", bins[b].confidence, bins[b].count > 0);
        add_num(bin, "accuracy", bins[b].accuracy, bins[b].count > 0);
        cJSON_AddItemToArray(arr, bin);
    }
    return o;
}
