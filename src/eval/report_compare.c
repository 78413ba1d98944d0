/* A/B comparison of two models on the same data: the accuracy difference with
 * a bootstrap interval, McNemar's test, per-action F1 deltas and the examples
 * where the two disagree. Actions are matched by name, since two runs may
 * have learnt different action sets; only examples whose gold action both
 * models know are scored. */
#include "agentft/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/metrics.h"

#define CMP_BOOTSTRAP 1000
#define CMP_DISAGREE_MAX 200

/* Both sides as scored on the shared action names. */
typedef struct cmp_side {
    aft_confusion conf;
    aft_class_metrics *per;
    aft_metrics_summary sum;
    uint8_t *correct;           /* per scored example */
} cmp_side;

typedef struct cmp_state {
    const aft_eval_input *in[2];
    aft_action_set names;       /* union of both models' actions */
    cmp_side side[2];
    size_t scored;
    size_t a_only, b_only;
} cmp_state;

/* The action name example k was given by one model. */
static const char *predicted_name(const aft_eval_input *in, size_t k)
{
    return aft_predictor_actions(in->pred)->names[in->predicted[k]];
}

static int check_input(const aft_eval_input *in, const char *which, aft_error *err)
{
    if (!in->pred || !in->ds || !in->predicted || !in->confidence)
        return aft_error_set(err, "A/B: model %s has not been evaluated", which);
    size_t n_actions = aft_predictor_actions(in->pred)->count;
    for (size_t k = 0; k < in->examples.count; k++)
        if (in->predicted[k] < 0 || (size_t)in->predicted[k] >= n_actions)
            return aft_error_set(err, "A/B: model %s predicted action id %d for example %zu, "
                                 "outside its %zu actions", which, (int)in->predicted[k],
                                 k + 1, n_actions);
    return 0;
}

/* Both inputs must be the same records, with the same gold actions. */
static int check_same_data(const aft_eval_input *a, const aft_eval_input *b, aft_error *err)
{
    if (check_input(a, "A", err) < 0 || check_input(b, "B", err) < 0)
        return -1;
    size_t n = a->examples.count;
    if (n != b->examples.count || aft_dataset_count(a->ds) != aft_dataset_count(b->ds))
        return aft_error_set(err, "A/B: the models were evaluated on different data: %zu examples "
                             "of %zu records (%s) against %zu of %zu (%s)", n,
                             aft_dataset_count(a->ds), aft_dataset_path(a->ds),
                             b->examples.count, aft_dataset_count(b->ds), aft_dataset_path(b->ds));
    for (size_t k = 0; k < n; k++) {
        size_t ra = a->examples.items[k].record, rb = b->examples.items[k].record;
        if (ra != rb)
            return aft_error_set(err, "A/B: the models were evaluated on different records: "
                                 "example %zu is record %zu for A and %zu for B", k + 1,
                                 ra + 1, rb + 1);
        const char *ga = aft_dataset_action(a->ds, ra), *gb = aft_dataset_action(b->ds, rb);
        if (strcmp(ga, gb) != 0)
            return aft_error_set(err, "A/B: the data differ: %s:%zu has action \"%s\" but "
                                 "%s:%zu has \"%s\"", aft_dataset_path(a->ds),
                                 aft_dataset_line_number(a->ds, ra), ga,
                                 aft_dataset_path(b->ds), aft_dataset_line_number(b->ds, rb), gb);
    }
    return 0;
}

static int union_names(cmp_state *s, aft_error *err)
{
    const aft_action_set *na = aft_predictor_actions(s->in[0]->pred);
    const aft_action_set *nb = aft_predictor_actions(s->in[1]->pred);
    size_t n = na->count + nb->count;
    const char **all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return aft_error_set(err, "out of memory for %zu action names", n);
    for (size_t i = 0; i < na->count; i++)
        all[i] = na->names[i];
    for (size_t i = 0; i < nb->count; i++)
        all[na->count + i] = nb->names[i];
    int rc = aft_action_set_from_names(&s->names, all, n, err);
    free(all);
    return rc;
}

static int side_init(cmp_side *sd, size_t n_names, size_t n_examples, aft_error *err)
{
    if (aft_confusion_init(&sd->conf, n_names, err) < 0)
        return -1;
    sd->per = calloc(n_names ? n_names : 1, sizeof *sd->per);
    sd->correct = calloc(n_examples ? n_examples : 1, 1);
    if (!sd->per || !sd->correct)
        return aft_error_set(err, "out of memory comparing %zu examples", n_examples);
    return 0;
}

static void side_free(cmp_side *sd)
{
    aft_confusion_free(&sd->conf);
    free(sd->per);
    free(sd->correct);
}

/* An example is scored when both models know its gold action. */
static int scored(const cmp_state *s, size_t k)
{
    return s->in[0]->examples.items[k].label >= 0 && s->in[1]->examples.items[k].label >= 0;
}

/* Counts the scored examples into both confusion matrices. */
static int score(cmp_state *s, aft_error *err)
{
    const aft_eval_input *a = s->in[0];
    for (size_t k = 0; k < a->examples.count; k++) {
        if (!scored(s, k))
            continue;
        int32_t gold = aft_action_set_find(&s->names, aft_dataset_action(a->ds, a->examples.items[k].record));
        for (int m = 0; m < 2; m++) {
            int32_t p = aft_action_set_find(&s->names, predicted_name(s->in[m], k));
            if (aft_confusion_add(&s->side[m].conf, gold, p, err) < 0)
                return -1;
            s->side[m].correct[s->scored] = p == gold;
        }
        s->a_only += s->side[0].correct[s->scored] && !s->side[1].correct[s->scored];
        s->b_only += !s->side[0].correct[s->scored] && s->side[1].correct[s->scored];
        s->scored++;
    }
    for (int m = 0; m < 2; m++)
        aft_metrics_compute(&s->side[m].conf, s->side[m].per, &s->side[m].sum);
    return 0;
}

/* The run a checkpoint folder belongs to: RUN for RUN/checkpoints/NAME, the
 * folder itself for a bare checkpoint. */
static void run_of(const aft_predictor *p, char *buf, size_t size)
{
    const char *dir = aft_predictor_checkpoint_dir(p), *name = aft_predictor_checkpoint_name(p);
    size_t len = strlen(dir), tail = strlen("/checkpoints/") + strlen(name);
    if (len > tail && strcmp(dir + len - strlen(name), name) == 0 &&
        strncmp(dir + len - tail, "/checkpoints/", strlen("/checkpoints/")) == 0)
        len -= tail;
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), dir);
}

static void add_metric(cJSON *o, const char *key, double v, size_t n)
{
    if (n)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *side_json(const cmp_state *s, int m)
{
    const aft_predictor *p = s->in[m]->pred;
    char run[4096];
    run_of(p, run, sizeof run);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run", run);
    cJSON_AddStringToObject(o, "checkpoint", aft_predictor_checkpoint_name(p));
    add_metric(o, "accuracy", s->side[m].sum.accuracy, s->scored);
    add_metric(o, "macro_f1", s->side[m].sum.macro_f1, s->scored);
    cJSON_AddNumberToObject(o, "actions", (double)aft_predictor_actions(p)->count);
    cJSON_AddNumberToObject(o, "unknown_gold", (double)s->in[m]->examples.unknown_label);
    return o;
}

typedef struct action_delta {
    size_t id;
    double delta;
    const char *name;
} action_delta;

static int cmp_delta(const void *pa, const void *pb)
{
    const action_delta *a = pa, *b = pb;
    double da = fabs(a->delta), db = fabs(b->delta);
    if (da != db)
        return da < db ? 1 : -1;
    return strcmp(a->name, b->name);
}

/* F1 of each gold action for both models, the largest change first. */
static cJSON *per_action_json(const cmp_state *s, aft_error *err)
{
    size_t n = s->names.count, m = 0;
    action_delta *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) {
        aft_error_set(err, "out of memory for %zu actions", n);
        return NULL;
    }
    const aft_class_metrics *pa = s->side[0].per, *pb = s->side[1].per;
    for (size_t i = 0; i < n; i++)
        if (pa[i].support > 0)
            d[m++] = (action_delta){i, pa[i].f1 - pb[i].f1, s->names.names[i]};
    qsort(d, m, sizeof *d, cmp_delta);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < m; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "action", d[i].name);
        cJSON_AddNumberToObject(o, "f1_a", pa[d[i].id].f1);
        cJSON_AddNumberToObject(o, "f1_b", pb[d[i].id].f1);
        cJSON_AddNumberToObject(o, "delta", d[i].delta);
        cJSON_AddNumberToObject(o, "support", (double)pa[d[i].id].support);
        cJSON_AddItemToArray(arr, o);
    }
    free(d);
    return arr;
}

typedef struct disagreement {
    size_t k;
    float conf;                 /* the more confident of the two */
} disagreement;

static int cmp_disagreement(const void *pa, const void *pb)
{
    const disagreement *a = pa, *b = pb;
    if (a->conf != b->conf)
        return a->conf < b->conf ? 1 : -1;
    return (a->k > b->k) - (a->k < b->k);
}

static cJSON *disagreement_json(const cmp_state *s, size_t k)
{
    const aft_eval_input *a = s->in[0], *b = s->in[1];
    size_t rec = a->examples.items[k].record;
    char *ctx = aft_dataset_get_string(a->ds, rec, "context");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "record", (double)rec);
    cJSON_AddNumberToObject(o, "line", (double)aft_dataset_line_number(a->ds, rec));
    cJSON_AddStringToObject(o, "context", ctx ? ctx : "");
    cJSON_AddStringToObject(o, "gold", aft_dataset_action(a->ds, rec));
    cJSON_AddStringToObject(o, "a", predicted_name(a, k));
    cJSON_AddNumberToObject(o, "confidence_a", a->confidence[k]);
    cJSON_AddStringToObject(o, "b", predicted_name(b, k));
    cJSON_AddNumberToObject(o, "confidence_b", b->confidence[k]);
    free(ctx);
    return o;
}

/* Every example (scored or not) where the two predict different actions,
 * the most confident first; the list is cut at CMP_DISAGREE_MAX. */
static int add_disagreements(cJSON *out, const cmp_state *s, aft_error *err)
{
    const aft_eval_input *a = s->in[0], *b = s->in[1];
    size_t n = a->examples.count, m = 0;
    disagreement *d = malloc((n ? n : 1) * sizeof *d);
    if (!d)
        return aft_error_set(err, "out of memory for %zu examples", n);
    for (size_t k = 0; k < n; k++)
        if (strcmp(predicted_name(a, k), predicted_name(b, k)) != 0)
            d[m++] = (disagreement){k, a->confidence[k] > b->confidence[k] ? a->confidence[k]
                                                                          : b->confidence[k]};
    qsort(d, m, sizeof *d, cmp_disagreement);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < m && i < CMP_DISAGREE_MAX; i++)
        cJSON_AddItemToArray(arr, disagreement_json(s, d[i].k));
    cJSON_AddItemToObject(out, "disagreements", arr);
    cJSON_AddNumberToObject(out, "disagreements_total", (double)m);
    free(d);
    return 0;
}

/* accuracy_diff, ci95 and mcnemar (null where there is nothing scored). */
static int add_tests(cJSON *out, const cmp_state *s, uint64_t seed, aft_error *err)
{
    if (!s->scored) {
        cJSON_AddNullToObject(out, "accuracy_diff");
        cJSON_AddNullToObject(out, "ci95");
    } else {
        double lo, hi;
        if (aft_bootstrap_diff(s->side[0].correct, s->side[1].correct, s->scored,
                               CMP_BOOTSTRAP, seed, 0.95, &lo, &hi, err) < 0)
            return -1;
        cJSON_AddNumberToObject(out, "accuracy_diff",
                                s->side[0].sum.accuracy - s->side[1].sum.accuracy);
        double ci[2] = {lo, hi};
        cJSON_AddItemToObject(out, "ci95", cJSON_CreateDoubleArray(ci, 2));
    }
    cJSON *mc = cJSON_AddObjectToObject(out, "mcnemar");
    cJSON_AddNumberToObject(mc, "a_only", (double)s->a_only);
    cJSON_AddNumberToObject(mc, "b_only", (double)s->b_only);
    cJSON_AddNumberToObject(mc, "p", aft_mcnemar_p(s->a_only, s->b_only));
    return 0;
}

static cJSON *compare_json(const cmp_state *s, uint64_t seed, aft_error *err)
{
    const aft_eval_input *a = s->in[0];
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "kind", "compare");
    cJSON_AddNumberToObject(out, "version", AFT_REPORT_VERSION);
    cJSON_AddItemToObject(out, "a", side_json(s, 0));
    cJSON_AddItemToObject(out, "b", side_json(s, 1));
    cJSON_AddStringToObject(out, "source", a->source ? a->source : aft_dataset_path(a->ds));
    cJSON_AddStringToObject(out, "data", aft_dataset_path(a->ds));
    cJSON_AddNumberToObject(out, "examples", (double)a->examples.count);
    cJSON_AddNumberToObject(out, "scored", (double)s->scored);
    cJSON_AddStringToObject(out, "note", "actions are matched by name; accuracy, F1 and the "
                            "tests cover the scored examples, whose gold action both models "
                            "know; disagreements cover every example");
    cJSON *per = per_action_json(s, err);
    if (!per || add_tests(out, s, seed, err) < 0) {
        cJSON_Delete(per);
        cJSON_Delete(out);
        return NULL;
    }
    cJSON_AddItemToObject(out, "per_action", per);
    if (add_disagreements(out, s, err) < 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* b's figure over a's, or null. */
static void add_ratio(cJSON *out, const char *key, const cJSON *a, const cJSON *b,
                      const char *section, const char *field)
{
    const cJSON *sa = section ? cJSON_GetObjectItemCaseSensitive(a, section) : a;
    const cJSON *sb = section ? cJSON_GetObjectItemCaseSensitive(b, section) : b;
    const cJSON *va = cJSON_GetObjectItemCaseSensitive(sa, field);
    const cJSON *vb = cJSON_GetObjectItemCaseSensitive(sb, field);
    if (cJSON_IsNumber(va) && cJSON_IsNumber(vb) && va->valuedouble > 0)
        cJSON_AddNumberToObject(out, key, vb->valuedouble / va->valuedouble);
    else
        cJSON_AddNullToObject(out, key);
}

int aft_report_compare_timing(cJSON *compare, aft_eval_input *a, aft_eval_input *b,
                              const aft_report_opts *opts, aft_error *err)
{
    cJSON *ea = aft_report_efficiency(a, opts, err);
    cJSON *eb = ea ? aft_report_efficiency(b, opts, err) : NULL;
    cJSON *o = eb ? cJSON_AddObjectToObject(compare, "efficiency") : NULL;
    if (!o) {
        cJSON_Delete(ea);
        cJSON_Delete(eb);
        return eb ? aft_error_set(err, "out of memory") : -1;
    }
    cJSON_AddItemToObject(o, "a", ea);
    cJSON_AddItemToObject(o, "b", eb);
    add_ratio(o, "latency_mean_ratio", ea, eb, "latency_ms", "mean");
    add_ratio(o, "latency_p50_ratio", ea, eb, "latency_ms", "p50");
    add_ratio(o, "qps_batch32_ratio", ea, eb, NULL, "qps_batch32");
    return 0;
}

cJSON *aft_report_compare(aft_eval_input *a, aft_eval_input *b, const aft_report_opts *opts,
                          aft_error *err)
{
    cmp_state s;
    memset(&s, 0, sizeof s);
    s.in[0] = a;
    s.in[1] = b;
    cJSON *out = NULL;
    size_t n = a->examples.count;
    if (check_same_data(a, b, err) < 0 || union_names(&s, err) < 0 ||
        side_init(&s.side[0], s.names.count, n, err) < 0 ||
        side_init(&s.side[1], s.names.count, n, err) < 0 || score(&s, err) < 0)
        goto done;
    out = compare_json(&s, opts ? opts->seed : 1, err);
done:
    side_free(&s.side[0]);
    side_free(&s.side[1]);
    aft_action_set_free(&s.names);
    return out;
}
