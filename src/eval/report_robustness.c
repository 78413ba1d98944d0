/* Robustness section of the report: accuracy and macro-F1 under seeded
 * perturbations of the contexts (typos, word dropout and swaps, synonyms,
 * casing, punctuation), and the adversarial search of adversarial.c. */
#include "robustness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/metrics.h"
#include "agentft/rng.h"

/* Adversarial search bounds: examples tried (quick, full) and edits each. */
#define ADV_EXAMPLES_QUICK 20
#define ADV_EXAMPLES_FULL 200
#define ADV_MAX_EDITS 3

/* The perturbations the report runs, each at a stated rate per unit. */
static const struct {
    const char *name;
    int kind;
    double rate;
    const char *unit;
} perturbations[] = {
    {"typo", AFT_PERTURB_TYPO, 0.05, "character (swap, drop, double or keyboard neighbour)"},
    {"word_drop", AFT_PERTURB_WORD_DROP, 0.1, "word"},
    {"word_swap", AFT_PERTURB_WORD_SWAP, 0.1, "word (swapped with the next)"},
    {"synonym", AFT_ROBUST_SYNONYM, 0.1, "word (max(1, rate x words) words replaced)"},
    {"case", AFT_PERTURB_CASE, 0.1, "ASCII letter"},
    {"punct", AFT_PERTURB_PUNCT, 0.1, "word gap or punctuation mark (inserted or removed)"},
};

void aft_robust_set_free(aft_robust_set *s)
{
    for (size_t i = 0; s->context && i < s->n; i++)
        free(s->context[i]);
    free(s->context);
    free(s->turns);
    free(s->example);
    free(s->gold);
    free(s->clean);
    free(s->clean_conf);
    memset(s, 0, sizeof *s);
}

int aft_robust_set_init(aft_robust_set *s, aft_eval_input *in, aft_error *err)
{
    memset(s, 0, sizeof *s);
    s->in = in;
    s->n_actions = aft_predictor_actions(in->pred)->count;
    size_t cap = in->examples.count ? in->examples.count : 1;
    s->example = malloc(cap * sizeof *s->example);
    s->context = calloc(cap, sizeof *s->context);
    s->turns = calloc(cap, sizeof *s->turns);
    s->gold = malloc(cap * sizeof *s->gold);
    s->clean = malloc(cap * sizeof *s->clean);
    s->clean_conf = malloc(cap * sizeof *s->clean_conf);
    if (!s->example || !s->context || !s->turns || !s->gold || !s->clean || !s->clean_conf)
        goto oom;
    for (size_t k = 0; k < in->examples.count; k++) {
        const aft_example *e = &in->examples.items[k];
        if (e->label < 0)
            continue;
        char *text = aft_dataset_get_string(in->ds, e->record, "context");
        if (!(s->context[s->n] = text ? text : strdup("")))
            goto oom;
        char *json = aft_dataset_get_json(in->ds, e->record, "context");
        s->turns[s->n] = json && json[0] == '[';
        free(json);
        s->example[s->n] = k;
        s->gold[s->n] = e->label;
        s->clean[s->n] = in->predicted[k];
        s->clean_conf[s->n] = in->confidence[k];
        s->n++;
    }
    return 0;
oom:
    aft_robust_set_free(s);
    return aft_error_set(err, "out of memory");
}

int aft_robust_score(const aft_robust_set *s, const int32_t *pred, double *accuracy,
                     double *macro_f1, aft_error *err)
{
    aft_confusion c;
    aft_class_metrics *per = calloc(s->n_actions ? s->n_actions : 1, sizeof *per);
    if (!per || aft_confusion_init(&c, s->n_actions, err) < 0) {
        free(per);
        return aft_error_set(err, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++)
        rc = aft_confusion_add(&c, s->gold[i], pred[i], err);
    aft_metrics_summary sum = {0};
    if (rc == 0)
        aft_metrics_compute(&c, per, &sum);
    *accuracy = sum.accuracy;
    *macro_f1 = sum.macro_f1;
    aft_confusion_free(&c);
    free(per);
    return rc;
}

size_t aft_robust_role_label(const char *line, size_t len)
{
    size_t k = 0;
    while (k < len && line[k] != ':' && line[k] != ' ' && line[k] != '\n')
        k++;
    return k + 1 < len && line[k] == ':' && line[k + 1] == ' ' ? k + 2 : 0;
}

/* A text changed by kind; NULL with err set when out of memory. */
static char *perturb_text(const char *text, int kind, double rate, const aft_lexicon *lex,
                          aft_rng *rng, aft_error *err)
{
    char *out = kind == AFT_ROBUST_SYNONYM
                    ? aft_augment_text(lex, AFT_OP_SYNONYM, text, rate, rng, err)
                    : aft_perturb(text, (aft_perturb_kind)kind, rate, rng);
    if (!out && kind != AFT_ROBUST_SYNONYM)
        aft_error_set(err, "out of memory");
    return out;
}

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    (*buf)[*len += n] = '\0';
    return 0;
}

/* A dialogue's lines, each with its role label kept and the rest changed. */
static char *perturb_turns(const char *text, int kind, double rate, const aft_lexicon *lex,
                           aft_rng *rng, aft_error *err)
{
    char *out = NULL;
    size_t len = 0, cap = 0;
    for (const char *line = text;; line++) {
        size_t n = strcspn(line, "\n"), label = aft_robust_role_label(line, n);
        char *content = strndup(line + label, n - label);
        char *changed = content ? perturb_text(content, kind, rate, lex, rng, err) : NULL;
        int rc = changed && put(&out, &len, &cap, line, label) == 0 &&
                         put(&out, &len, &cap, changed, strlen(changed)) == 0 &&
                         (!line[n] || put(&out, &len, &cap, "\n", 1) == 0) ? 0 : -1;
        free(content);
        free(changed);
        if (rc < 0) {
            if (!err || !err->set)
                aft_error_set(err, "out of memory");
            free(out);
            return NULL;
        }
        line += n;
        if (!*line)
            return out;
    }
}

int aft_robust_perturbed(const aft_robust_set *s, int kind, double rate, const aft_lexicon *lex,
                         uint64_t seed, double *accuracy, double *macro_f1, size_t *changed,
                         aft_error *err)
{
    size_t cap = s->n ? s->n : 1, m = 0;
    char **texts = calloc(cap, sizeof *texts);
    size_t *where = malloc(cap * sizeof *where);
    int32_t *pred = malloc(cap * sizeof *pred), *moved = malloc(cap * sizeof *moved);
    int rc = -1;
    if (!texts || !where || !pred || !moved) {
        aft_error_set(err, "out of memory");
        goto done;
    }
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    for (size_t i = 0; i < s->n; i++) {
        char *t = (s->turns[i] ? perturb_turns : perturb_text)(s->context[i], kind, rate, lex,
                                                               &rng, err);
        if (!t)
            goto done;
        pred[i] = s->clean[i];
        if (strcmp(t, s->context[i]) == 0) {
            free(t);
            continue;
        }
        texts[m] = t;
        where[m++] = i;
    }
    if (aft_predictor_classify_text(s->in->pred, (const char *const *)texts, m, 32, moved, NULL,
                                    NULL, NULL, err) < 0)
        goto done;
    for (size_t j = 0; j < m; j++)
        pred[where[j]] = moved[j];
    *changed = m;
    rc = aft_robust_score(s, pred, accuracy, macro_f1, err);
done:
    for (size_t j = 0; texts && j < m; j++)
        free(texts[j]);
    free(texts);
    free(where);
    free(pred);
    free(moved);
    return rc;
}

/* ---- the synonym source: the workspace's augment.* keys, as `data augment` reads them ---- */

typedef struct synonym_source {
    aft_wordnet *wordnet;
    aft_synonyms *user;
    aft_lexicon lex;
    char used[1200];      /* where synonyms come from */
    char problems[1200];  /* sources that could not be read */
} synonym_source;

/* Appends s to buf, cut to fit. */
static void append(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf), n = strlen(s);
    if (n > size - 1 - len)
        n = size - 1 - len;
    memcpy(buf + len, s, n);
    buf[len + n] = '\0';
}

/* Adds "what: msg" (or "what") to a "; "-separated list. */
static void note(char *buf, size_t size, const char *what, const char *msg)
{
    if (buf[0])
        append(buf, size, "; ");
    append(buf, size, what);
    if (msg) {
        append(buf, size, ": ");
        append(buf, size, msg);
    }
}

/* Opens what the run's config names; a source that fails is noted, not an error. */
static void synonym_source_open(synonym_source *src, const aft_predictor *p)
{
    memset(src, 0, sizeof *src);
    const aft_config *cfg = aft_predictor_config(p);
    const char *user = cfg ? aft_config_string(cfg, AFT_K_AUG_SYNONYMS) : "";
    const char *dir = cfg ? aft_config_string(cfg, AFT_K_AUG_WORDNET) : "";
    aft_error e = {0};
    if (user[0] && !(src->user = aft_synonyms_load(user, &e)))
        note(src->problems, sizeof src->problems, "augment.synonyms", e.msg);
    else if (src->user)
        note(src->used, sizeof src->used, user, NULL);
    aft_error_clear(&e);
    if (!(src->wordnet = aft_wordnet_open(dir[0] ? dir : NULL, &e))) {
        char what[600];
        snprintf(what, sizeof what, "no WordNet in %.500s", dir[0] ? dir : AFT_WORDNET_DIR);
        note(src->problems, sizeof src->problems, what, e.msg);
    } else {
        char what[600];
        snprintf(what, sizeof what, "WordNet in %.500s", dir[0] ? dir : AFT_WORDNET_DIR);
        note(src->used, sizeof src->used, what, NULL);
    }
    src->lex = (aft_lexicon){.wordnet = src->wordnet, .user = src->user};
}

static void synonym_source_close(synonym_source *src)
{
    aft_wordnet_free(src->wordnet);
    aft_synonyms_free(src->user);
}

static int has_synonyms(const synonym_source *src)
{
    return src->wordnet || src->user;
}

/* ---- the section ---- */

/* Each kind draws from its own rng, so adding a kind changes no other. */
static uint64_t kind_seed(uint64_t seed, size_t k)
{
    return seed ^ (0x9E3779B97F4A7C15ull * (k + 1));
}

static cJSON *perturbation_entry(const aft_robust_set *s, size_t k, const synonym_source *src,
                                 uint64_t seed, double clean_acc, double clean_f1,
                                 aft_error *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "kind", perturbations[k].name);
    cJSON_AddNumberToObject(o, "rate", perturbations[k].rate);
    cJSON_AddStringToObject(o, "unit", perturbations[k].unit);
    if (perturbations[k].kind == AFT_ROBUST_SYNONYM) {
        if (!has_synonyms(src)) {
            char why[1400];
            snprintf(why, sizeof why, "no synonym source (%s); set augment.wordnet or "
                     "augment.synonyms", src->problems);
            cJSON_AddStringToObject(o, "skipped", why);
            return o;
        }
        cJSON_AddStringToObject(o, "source", src->used);
        if (src->problems[0])
            cJSON_AddStringToObject(o, "warning", src->problems);
    }
    if (s->n == 0) {
        cJSON_AddStringToObject(o, "skipped", "no examples with an action the model knows");
        return o;
    }
    double acc, f1;
    size_t changed = 0;
    if (aft_robust_perturbed(s, perturbations[k].kind, perturbations[k].rate, &src->lex,
                             kind_seed(seed, k), &acc, &f1, &changed, err) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddNumberToObject(o, "changed", (double)changed);
    cJSON_AddNumberToObject(o, "accuracy", acc);
    cJSON_AddNumberToObject(o, "macro_f1", f1);
    cJSON_AddNumberToObject(o, "accuracy_drop", clean_acc - acc);
    cJSON_AddNumberToObject(o, "macro_f1_drop", clean_f1 - f1);
    return o;
}

static int add_clean(cJSON *o, const aft_robust_set *s, double *acc, double *f1, aft_error *err)
{
    cJSON *clean = cJSON_AddObjectToObject(o, "clean");
    if (!clean)
        return aft_error_set(err, "out of memory");
    cJSON_AddNumberToObject(clean, "examples", (double)s->n);
    if (s->n == 0) {
        cJSON_AddNullToObject(clean, "accuracy");
        cJSON_AddNullToObject(clean, "macro_f1");
        return 0;
    }
    if (aft_robust_score(s, s->clean, acc, f1, err) < 0)
        return -1;
    cJSON_AddNumberToObject(clean, "accuracy", *acc);
    cJSON_AddNumberToObject(clean, "macro_f1", *f1);
    return 0;
}

cJSON *aft_report_robustness(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    uint64_t seed = opts ? opts->seed : 1;
    aft_robust_set s;
    if (aft_robust_set_init(&s, in, err) < 0)
        return NULL;
    synonym_source src;
    synonym_source_open(&src, in->pred);
    cJSON *o = cJSON_CreateObject(), *list = NULL, *adv = NULL;
    double acc = 0, f1 = 0;
    if (!o || !(list = cJSON_AddArrayToObject(o, "perturbations"))) {
        aft_error_set(err, "out of memory");
        goto fail;
    }
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    if (add_clean(o, &s, &acc, &f1, err) < 0)
        goto fail;
    for (size_t k = 0; k < sizeof perturbations / sizeof perturbations[0]; k++) {
        if (aft_report_cancelled(opts, err))
            goto fail;
        cJSON *e = perturbation_entry(&s, k, &src, seed, acc, f1, err);
        if (!e)
            goto fail;
        cJSON_AddItemToArray(list, e);
    }
    aft_adv_opts ao = {.max_examples = opts && opts->quick ? ADV_EXAMPLES_QUICK : ADV_EXAMPLES_FULL,
                       .max_edits = ADV_MAX_EDITS, .seed = seed,
                       .lex = has_synonyms(&src) ? &src.lex : NULL,
                       .cancel = opts ? opts->cancel : NULL};
    if (!(adv = aft_robust_adversarial(&s, &ao, err)))
        goto fail;
    cJSON_AddItemToObject(o, "adversarial", adv);
    synonym_source_close(&src);
    aft_robust_set_free(&s);
    return o;
fail:
    cJSON_Delete(o);
    synonym_source_close(&src);
    aft_robust_set_free(&s);
    return NULL;
}
