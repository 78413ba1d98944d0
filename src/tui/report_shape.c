/* The shapes agentft/report.h documents for a report and a comparison:
 * every field with the types it may have. A field may be missing or null
 * (a section not computed, a number undefined); present with another type,
 * it is an error that names it ("task.per_action[3].f1 is a string"). */
#include <stdio.h>
#include <string.h>

#include "report_view.h"

enum { T_NUM = 1, T_STR = 2, T_OBJ = 4, T_ARR = 8, T_BOOL = 16 };

typedef struct shape {
    const char *path;   /* "a.b[].c": [] is every element of an array */
    unsigned types;
} shape;

static const shape common_shape[] = {
    {"version", T_NUM}, {"kind", T_STR}, {"source", T_STR}, {"data", T_STR},
    {"examples", T_NUM},
};

static const shape report_shape[] = {
    {"run", T_STR}, {"checkpoint", T_STR}, {"created", T_STR}, {"model", T_OBJ},
    {"model.parameters", T_NUM}, {"model.n_layer", T_NUM}, {"model.n_head", T_NUM},
    {"model.d_model", T_NUM}, {"model.max_seq", T_NUM}, {"model.vocab_size", T_NUM},
    {"model.actions", T_NUM}, {"machine", T_OBJ}, {"machine.cores", T_NUM},
    {"machine.threads", T_NUM}, {"reject", T_OBJ}, {"reject.action", T_STR},
    {"reject.score", T_STR}, {"reject.below", T_NUM}, {"reject.keep", T_NUM},
    {"reject.applied", T_BOOL}, {"reject.calibrated_on", T_STR}, {"task.fallback", T_OBJ}, {"task.fallback.action", T_STR},
    {"task.fallback.other_examples", T_NUM}, {"task.fallback.other_accuracy", T_NUM},
    {"task.fallback.examples", T_NUM}, {"task.fallback.recall", T_NUM},
    {"task.fallback.predicted", T_NUM}, {"task.fallback.precision", T_NUM},
    {"task", T_OBJ}, {"task.accuracy", T_NUM}, {"task.macro_f1", T_NUM},
    {"task.weighted_f1", T_NUM}, {"task.macro_precision", T_NUM}, {"task.macro_recall", T_NUM},
    {"task.per_action", T_ARR}, {"task.per_action[]", T_OBJ}, {"task.per_action[].action", T_STR},
    {"task.per_action[].precision", T_NUM}, {"task.per_action[].recall", T_NUM},
    {"task.per_action[].f1", T_NUM}, {"task.per_action[].support", T_NUM},
    {"task.per_action[].predicted", T_NUM},
    {"task.confusion", T_OBJ}, {"task.confusion.actions", T_ARR},
    {"task.confusion.actions[]", T_STR}, {"task.confusion.matrix", T_ARR},
    {"task.confusion.matrix[]", T_ARR}, {"task.confusion.matrix[][]", T_NUM},
    {"task.top_confusions", T_ARR}, {"task.top_confusions[]", T_OBJ},
    {"task.top_confusions[].gold", T_STR}, {"task.top_confusions[].predicted", T_STR},
    {"task.top_confusions[].count", T_NUM},
    {"task.misclassified", T_ARR}, {"task.misclassified[]", T_OBJ},
    {"task.misclassified[].record", T_NUM}, {"task.misclassified[].line", T_NUM},
    {"task.misclassified[].id", T_STR | T_NUM}, {"task.misclassified[].context", T_STR | T_ARR},
    {"task.misclassified[].gold", T_STR}, {"task.misclassified[].predicted", T_STR},
    {"task.misclassified[].confidence", T_NUM}, {"task.misclassified_total", T_NUM},
    {"task.unknown_actions", T_OBJ}, {"task.unknown_actions.count", T_NUM},
    {"task.unknown_actions.actions", T_ARR}, {"task.unknown_actions.actions[]", T_STR},
    {"slices", T_OBJ}, {"slices.complexity", T_ARR}, {"slices.complexity[]", T_OBJ},
    {"slices.complexity[].name", T_STR | T_NUM}, {"slices.complexity[].examples", T_NUM},
    {"slices.complexity[].accuracy", T_NUM}, {"slices.complexity[].macro_f1", T_NUM},
    {"slices.length", T_ARR}, {"slices.length[]", T_OBJ}, {"slices.length[].name", T_STR},
    {"slices.length[].lo", T_NUM}, {"slices.length[].hi", T_NUM},
    {"slices.length[].examples", T_NUM}, {"slices.length[].accuracy", T_NUM},
    {"slices.length[].macro_f1", T_NUM}, {"slices.length[].truncated", T_NUM | T_BOOL},
    {"slices.split", T_ARR}, {"slices.split[]", T_OBJ}, {"slices.split[].name", T_STR},
    {"slices.split[].examples", T_NUM}, {"slices.split[].accuracy", T_NUM},
    {"slices.split[].macro_f1", T_NUM}, {"slices.truncation", T_OBJ},
    {"slices.truncation.max_seq", T_NUM}, {"slices.truncation.cut", T_NUM},
    {"slices.truncation.note", T_STR},
    {"calibration", T_OBJ}, {"calibration.ece", T_NUM}, {"calibration.bins", T_ARR},
    {"calibration.bins[]", T_OBJ}, {"calibration.bins[].lo", T_NUM},
    {"calibration.bins[].hi", T_NUM}, {"calibration.bins[].count", T_NUM},
    {"calibration.bins[].confidence", T_NUM}, {"calibration.bins[].accuracy", T_NUM},
    {"efficiency", T_OBJ}, {"efficiency.cores", T_NUM}, {"efficiency.threads", T_NUM},
    {"efficiency.parameters", T_NUM}, {"efficiency.latency_ms", T_OBJ},
    {"efficiency.latency_ms.mean", T_NUM}, {"efficiency.latency_ms.p50", T_NUM},
    {"efficiency.latency_ms.p95", T_NUM}, {"efficiency.latency_ms.p99", T_NUM},
    {"efficiency.latency_ms.samples", T_NUM}, {"efficiency.qps_batch32", T_NUM},
    {"efficiency.batches", T_ARR}, {"efficiency.batches[]", T_OBJ},
    {"efficiency.batches[].batch", T_NUM}, {"efficiency.batches[].qps", T_NUM},
    {"efficiency.best_batch", T_OBJ}, {"efficiency.best_batch.batch", T_NUM},
    {"efficiency.best_batch.qps", T_NUM},
    {"robustness", T_OBJ}, {"robustness.clean", T_OBJ}, {"robustness.clean.accuracy", T_NUM},
    {"robustness.clean.macro_f1", T_NUM}, {"robustness.perturbations", T_ARR},
    {"robustness.perturbations[]", T_OBJ}, {"robustness.perturbations[].kind", T_STR},
    {"robustness.perturbations[].rate", T_NUM}, {"robustness.perturbations[].accuracy", T_NUM},
    {"robustness.perturbations[].macro_f1", T_NUM},
    {"robustness.perturbations[].accuracy_drop", T_NUM},
    {"robustness.perturbations[].macro_f1_drop", T_NUM}, {"robustness.adversarial", T_OBJ},
    {"robustness.adversarial.tried", T_NUM}, {"robustness.adversarial.found", T_NUM},
    {"robustness.adversarial.max_edits", T_NUM}, {"robustness.adversarial.mean_edits", T_NUM},
    {"robustness.adversarial.examples", T_ARR}, {"robustness.adversarial.examples[]", T_OBJ},
    {"robustness.adversarial.examples[].record", T_NUM},
    {"robustness.adversarial.examples[].original", T_STR},
    {"robustness.adversarial.examples[].adversarial", T_STR},
    {"robustness.adversarial.examples[].edits", T_NUM},
    {"generation", T_OBJ}, {"generation.lm_trained", T_BOOL},
    {"generation.action_exact_match", T_NUM}, {"generation.response_token_accuracy", T_NUM},
    {"generation.response_perplexity", T_NUM}, {"generation.examples", T_NUM},
    {"generation.note", T_STR}, {"generation.samples", T_ARR}, {"generation.samples[]", T_OBJ},
};

static const shape compare_shape[] = {
    {"a", T_OBJ}, {"a.run", T_STR}, {"a.checkpoint", T_STR}, {"a.accuracy", T_NUM},
    {"a.macro_f1", T_NUM}, {"b", T_OBJ}, {"b.run", T_STR}, {"b.checkpoint", T_STR},
    {"b.accuracy", T_NUM}, {"b.macro_f1", T_NUM}, {"accuracy_diff", T_NUM}, {"ci95", T_ARR},
    {"ci95[]", T_NUM}, {"mcnemar", T_OBJ}, {"mcnemar.a_only", T_NUM}, {"mcnemar.b_only", T_NUM},
    {"mcnemar.p", T_NUM}, {"per_action", T_ARR}, {"per_action[]", T_OBJ},
    {"per_action[].action", T_STR}, {"per_action[].f1_a", T_NUM}, {"per_action[].f1_b", T_NUM},
    {"per_action[].delta", T_NUM}, {"disagreements", T_ARR}, {"disagreements[]", T_OBJ},
    {"disagreements[].record", T_NUM}, {"disagreements[].line", T_NUM},
    {"disagreements[].id", T_STR | T_NUM}, {"disagreements[].context", T_STR | T_ARR},
    {"disagreements[].gold", T_STR}, {"disagreements[].a", T_STR},
    {"disagreements[].confidence_a", T_NUM}, {"disagreements[].b", T_STR},
    {"disagreements[].confidence_b", T_NUM},
};

const char *rv_type_name(const cJSON *j)
{
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsObject(j)) return "an object";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsBool(j)) return "true or false";
    return "something else";
}

static int has_type(const cJSON *j, unsigned types)
{
    return ((types & T_NUM) && cJSON_IsNumber(j)) || ((types & T_STR) && cJSON_IsString(j)) ||
           ((types & T_OBJ) && cJSON_IsObject(j)) || ((types & T_ARR) && cJSON_IsArray(j)) ||
           ((types & T_BOOL) && cJSON_IsBool(j));
}

static const char *wanted(unsigned types)
{
    switch (types) {
    case T_NUM: return "a number";
    case T_STR: return "a string";
    case T_OBJ: return "an object";
    case T_ARR: return "an array";
    case T_BOOL: return "true or false";
    default: return "a string or a number";
    }
}

/* Checks the node(s) at `path` below `node`; `where` is node's own path. */
static int check_at(const cJSON *node, const char *path, unsigned types, char *where,
                    size_t wlen, size_t wsize, char *err, size_t esize)
{
    if (!node || cJSON_IsNull(node))
        return 0;
    if (!*path) {
        if (has_type(node, types))
            return 0;
        snprintf(err, esize, "%s is %s, expected %s", where, rv_type_name(node), wanted(types));
        return -1;
    }
    if (path[0] == '[') {
        if (!cJSON_IsArray(node)) /* the array's own entry says so */
            return 0;
        int i = 0;
        for (const cJSON *e = node->child; e; e = e->next, i++) {
            snprintf(where + wlen, wsize - wlen, "[%d]", i);
            size_t n = strlen(where);
            if (check_at(e, path + 2, types, where, n, wsize, err, esize) < 0)
                return -1;
        }
        where[wlen] = '\0';
        return 0;
    }
    if (path[0] == '.')
        path++;
    size_t k = strcspn(path, ".[");
    if (!cJSON_IsObject(node))
        return 0;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)k, path);
    snprintf(where + wlen, wsize - wlen, "%s%s", wlen ? "." : "", key);
    int rc = check_at(cJSON_GetObjectItemCaseSensitive(node, key), path + k, types, where,
                      strlen(where), wsize, err, esize);
    if (rc == 0)
        where[wlen] = '\0';
    return rc;
}

static int check_all(const cJSON *root, const shape *s, size_t n, const char *name, char *err,
                     size_t size)
{
    char where[256], what[400];
    for (size_t i = 0; i < n; i++) {
        where[0] = '\0';
        if (check_at(root, s[i].path, s[i].types, where, 0, sizeof where, what, sizeof what) < 0) {
            snprintf(err, size, "%s: %s", name, what);
            return -1;
        }
    }
    return 0;
}

int rv_check_shape(const cJSON *root, rv_kind kind, const char *name, char *err, size_t size)
{
#define CHECK(table) check_all(root, table, sizeof table / sizeof table[0], name, err, size)
    if (kind == RV_REPORT)
        return CHECK(report_shape);
    if (kind == RV_COMPARE)
        return CHECK(compare_shape);
    return CHECK(common_shape);
#undef CHECK
}
