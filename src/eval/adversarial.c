/* Adversarial examples for the robustness section: for examples the model
 * gets right, the fewest word edits (deleting a word, a synonym, a keyboard
 * typo) that flip its answer, found by a greedy search bounded in edits. */
#include "robustness.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/rng.h"
#include "agentft/utf8.h"

#define ADV_BATCH 32
/* Words edited per step: the last ones, which a context cut from the left keeps. */
#define ADV_MAX_WORDS 64
/* Synonym replacements drawn per step, and how many unchanged draws mean
 * the text has no word with synonyms. */
#define ADV_SYNONYM_DRAWS 32
#define ADV_SYNONYM_GIVE_UP 3
#define ADV_EDITS_LIMIT 8

typedef struct span {
    size_t at, len;
} span;

/* A candidate text and the edit that made it ("delete 'card'"). */
typedef struct cand {
    char *text, *change;
} cand;

typedef struct search {
    const aft_robust_set *s;
    const aft_adv_opts *o;
    cand *c;
    size_t n, cap;
    int32_t *pred;
    float *probs;         /* (cap, n_actions) */
    size_t buf_cap;
} search;

/* ---- edits ---- */

static int is_space_at(const char *t, size_t left, size_t *n)
{
    uint32_t cp;
    size_t k = aft_utf8_decode(t, left, &cp);
    *n = k ? k : 1;
    return k && (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000);
}

/* Words: runs of non-space characters, each CJK character on its own (as
 * aft_perturb counts them). w needs room for strlen(t) + 1 spans. */
static size_t split_words(const char *t, span *w)
{
    size_t len = strlen(t), n = 0, i = 0, step;
    while (i < len) {
        if (is_space_at(t + i, len - i, &step)) {
            i += step;
            continue;
        }
        size_t start = i;
        uint32_t cp;
        do {
            size_t k = aft_utf8_decode(t + i, len - i, &cp);
            int cjk = k && aft_cp_is_cjk(cp);
            if (cjk && i > start)
                break;
            i += k ? k : 1;
            if (cjk)
                break;
        } while (i < len && !is_space_at(t + i, len - i, &step));
        w[n++] = (span){start, i - start};
    }
    return n;
}

static int push(search *sr, char *text, char *change)
{
    if (!text || !change)
        goto fail;
    for (size_t i = 0; i < sr->n; i++)
        if (strcmp(sr->c[i].text, text) == 0) {
            free(text);
            free(change);
            return 0;
        }
    if (sr->n == sr->cap) {
        size_t cap = sr->cap ? sr->cap * 2 : 64;
        cand *c = realloc(sr->c, cap * sizeof *c);
        if (!c)
            goto fail;
        sr->c = c;
        sr->cap = cap;
    }
    sr->c[sr->n++] = (cand){text, change};
    return 0;
fail:
    free(text);
    free(change);
    return -1;
}

static char *describe(const char *op, const char *from, size_t from_len, const char *to,
                      size_t to_len)
{
    size_t size = strlen(op) + from_len + to_len + 16;
    char *s = malloc(size);
    if (s && to)
        snprintf(s, size, "%s '%.*s' -> '%.*s'", op, (int)from_len, from, (int)to_len, to);
    else if (s)
        snprintf(s, size, "%s '%.*s'", op, (int)from_len, from);
    return s;
}

/* The text without word w and one space next to it. */
static int add_deletion(search *sr, const char *t, span w)
{
    size_t len = strlen(t), at = w.at, end = w.at + w.len;
    if (at > 0 && t[at - 1] == ' ')
        at--;
    else if (end < len && t[end] == ' ')
        end++;
    char *out = malloc(len - (end - at) + 1);
    if (out) {
        memcpy(out, t, at);
        memcpy(out + at, t + end, len - end + 1);
    }
    return push(sr, out, describe("delete", t + w.at, w.len, NULL, 0));
}

static const char *const keyboard_rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};

/* The key left or right of c on its row (same case), or 0 for a non-letter. */
static char keyboard_neighbour(char c, aft_rng *rng)
{
    for (size_t r = 0; r < 3; r++) {
        const char *row = keyboard_rows[r], *at = strchr(row, tolower((unsigned char)c));
        if (!at || !isalpha((unsigned char)c))
            continue;
        size_t i = (size_t)(at - row), last = strlen(row) - 1;
        size_t j = i == 0 ? 1 : i == last ? i - 1 : aft_rng_below(rng, 2) ? i + 1 : i - 1;
        return isupper((unsigned char)c) ? (char)toupper((unsigned char)row[j]) : row[j];
    }
    return 0;
}

/* Word w with one ASCII letter replaced by a keyboard neighbour (words of
 * fewer than two ASCII letters are left alone). */
static int add_typo(search *sr, const char *t, span w, aft_rng *rng)
{
    size_t letters[64], n = 0;
    for (size_t i = w.at; i < w.at + w.len && n < 64; i++)
        if ((unsigned char)t[i] < 0x80 && isalpha((unsigned char)t[i]))
            letters[n++] = i;
    if (n < 2)
        return 0;
    size_t at = letters[aft_rng_below(rng, n)];
    char *out = strdup(t);
    if (out)
        out[at] = keyboard_neighbour(t[at], rng);
    return push(sr, out, out ? describe("typo", t + w.at, w.len, out + w.at, w.len) : NULL);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* A dialogue's role label ("user:") as a word at w. */
static int is_role_label(const char *t, span w)
{
    return (w.at == 0 || t[w.at - 1] == '\n') &&
           aft_robust_role_label(t + w.at, strlen(t + w.at)) == w.len + 1;
}

/* What changed between a and b, widened to whole words: a[w.at..+w.len)
 * became b[w.at..+*to_len). */
static span changed_words(const char *a, const char *b, size_t *to_len)
{
    size_t la = strlen(a), lb = strlen(b), pre = 0, suf = 0;
    while (pre < la && pre < lb && a[pre] == b[pre])
        pre++;
    while (suf < la - pre && suf < lb - pre && a[la - 1 - suf] == b[lb - 1 - suf])
        suf++;
    while (pre > 0 && !is_blank(a[pre - 1]))
        pre--;
    while (suf > 0 && !is_blank(a[la - suf]))
        suf--;
    *to_len = lb - suf - pre;
    return (span){pre, la - suf - pre};
}

/* Single-word synonym replacements, drawn through the augmentation module so
 * they fit as `data augment` fits them (part of speech, inflection, case). */
static int add_synonyms(search *sr, const char *t, size_t words, int turns, aft_rng *rng,
                        aft_error *err)
{
    size_t draws = 2 * words < ADV_SYNONYM_DRAWS ? 2 * words : ADV_SYNONYM_DRAWS, found = 0;
    for (size_t d = 0; d < draws; d++) {
        /* any rate above 0 and below 1/words replaces exactly one word */
        char *out = aft_augment_text(sr->o->lex, AFT_OP_SYNONYM, t, 1e-9, rng, err);
        if (!out)
            return -1;
        if (strcmp(out, t) == 0) {
            free(out);
            if (!found && d + 1 >= ADV_SYNONYM_GIVE_UP)
                break;
            continue;
        }
        found++;
        size_t to_len;
        span w = changed_words(t, out, &to_len);
        if (turns && is_role_label(t, w)) {
            free(out);
            continue;
        }
        if (push(sr, out, describe("synonym", t + w.at, w.len, out + w.at, to_len)) < 0)
            return aft_error_set(err, "out of memory");
    }
    return 0;
}

static void clear_cands(search *sr)
{
    for (size_t i = 0; i < sr->n; i++) {
        free(sr->c[i].text);
        free(sr->c[i].change);
    }
    sr->n = 0;
}

/* Every single edit of t: deletions and typos of its last ADV_MAX_WORDS
 * words, and synonym replacements; a dialogue's role labels stay. */
static int candidates(search *sr, const char *t, int turns, aft_rng *rng, aft_error *err)
{
    clear_cands(sr);
    span *w = malloc((strlen(t) + 1) * sizeof *w);
    if (!w)
        return aft_error_set(err, "out of memory");
    size_t n = split_words(t, w), first = n > ADV_MAX_WORDS ? n - ADV_MAX_WORDS : 0;
    int rc = 0;
    for (size_t i = first; i < n && rc == 0; i++) {
        if (turns && is_role_label(t, w[i]))
            continue;
        rc = n > 1 ? add_deletion(sr, t, w[i]) : 0;
        if (rc == 0)
            rc = add_typo(sr, t, w[i], rng);
        if (rc < 0)
            aft_error_set(err, "out of memory");
    }
    free(w);
    if (rc == 0 && sr->o->lex)
        rc = add_synonyms(sr, t, n, turns, rng, err);
    return rc;
}

/* ---- the search ---- */

static int classify_cands(search *sr, aft_error *err)
{
    size_t A = sr->s->n_actions;
    if (sr->n > sr->buf_cap) {
        free(sr->pred);
        free(sr->probs);
        sr->pred = malloc(sr->n * sizeof *sr->pred);
        sr->probs = malloc(sr->n * A * sizeof *sr->probs);
        sr->buf_cap = sr->pred && sr->probs ? sr->n : 0;
        if (!sr->buf_cap)
            return aft_error_set(err, "out of memory");
    }
    const char **texts = malloc(sr->n * sizeof *texts);
    if (!texts)
        return aft_error_set(err, "out of memory");
    for (size_t i = 0; i < sr->n; i++)
        texts[i] = sr->c[i].text;
    int rc = aft_predictor_classify_text(sr->s->in->pred, texts, sr->n, ADV_BATCH, sr->pred, NULL,
                                         sr->probs, NULL, err);
    free(texts);
    return rc;
}

/* The candidate to keep: one that flips the answer if any, else (and among
 * those) the one with the lowest probability of the gold action. */
static size_t pick(const search *sr, int32_t gold)
{
    size_t best = 0, A = sr->s->n_actions;
    for (size_t i = 1; i < sr->n; i++) {
        int flip = sr->pred[i] != gold, best_flip = sr->pred[best] != gold;
        if (flip != best_flip ? flip : sr->probs[i * A + gold] < sr->probs[best * A + gold])
            best = i;
    }
    return best;
}

/* One example's outcome. */
typedef struct adv_result {
    int found, edits;
    char *text;
    cJSON *changes;
    int32_t after;
    float conf_after, gold_after;
} adv_result;

/* Checks the adversarial text on its own, as a user would send it. */
static int verify(search *sr, const char *text, int32_t gold, adv_result *r, aft_error *err)
{
    float *probs = malloc(sr->s->n_actions * sizeof *probs);
    if (!probs)
        return aft_error_set(err, "out of memory");
    int rc = aft_predictor_classify_text(sr->s->in->pred, &text, 1, 1, &r->after, &r->conf_after,
                                         probs, NULL, err);
    if (rc == 0) {
        r->found = r->after != gold;
        r->gold_after = probs[gold];
    }
    free(probs);
    return rc;
}

static int attack(search *sr, size_t i, adv_result *r, aft_error *err)
{
    const aft_robust_set *s = sr->s;
    int32_t gold = s->gold[i];
    aft_rng rng;
    aft_rng_seed(&rng, sr->o->seed ^ (0xD1B54A32D192ED03ull * (s->example[i] + 1)));
    memset(r, 0, sizeof *r);
    if (!(r->text = strdup(s->context[i])) || !(r->changes = cJSON_CreateArray()))
        return aft_error_set(err, "out of memory");
    int max = sr->o->max_edits < ADV_EDITS_LIMIT ? sr->o->max_edits : ADV_EDITS_LIMIT;
    while (!r->found && r->edits < max) {
        if (candidates(sr, r->text, s->turns[i], &rng, err) < 0)
            return -1;
        if (sr->n == 0)
            break;
        if (classify_cands(sr, err) < 0)
            return -1;
        size_t b = pick(sr, gold);
        free(r->text);
        r->text = sr->c[b].text;
        cJSON_AddItemToArray(r->changes, cJSON_CreateString(sr->c[b].change));
        free(sr->c[b].change);
        sr->c[b] = sr->c[--sr->n];
        r->edits++;
        if (sr->pred[b] != gold && verify(sr, r->text, gold, r, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the report entry ---- */

/* Indices into s of a seeded sample of up to max examples the model gets
 * right, in example order. */
static size_t sample_correct(const aft_robust_set *s, size_t max, uint64_t seed, size_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->clean[i] == s->gold[i])
            out[n++] = i;
    aft_rng rng;
    aft_rng_seed(&rng, seed ^ 0xA5A5A5A55A5A5A5Aull);
    aft_rng_shuffle(&rng, out, n, sizeof *out);
    n = n < max ? n : max;
    for (size_t a = 1; a < n; a++) /* insertion sort: n is small */
        for (size_t b = a; b > 0 && out[b - 1] > out[b]; b--) {
            size_t t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    return n;
}

static cJSON *example_json(const aft_robust_set *s, size_t i, adv_result *r)
{
    const aft_action_set *acts = aft_predictor_actions(s->in->pred);
    size_t record = s->in->examples.items[s->example[i]].record;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "record", (double)record);
    cJSON_AddNumberToObject(o, "line", (double)aft_dataset_line_number(s->in->ds, record));
    char *id = aft_dataset_get_string(s->in->ds, record, "id");
    if (id)
        cJSON_AddStringToObject(o, "id", id);
    free(id);
    cJSON_AddStringToObject(o, "original", s->context[i]);
    cJSON_AddStringToObject(o, "adversarial", r->text);
    cJSON_AddNumberToObject(o, "edits", r->edits);
    cJSON_AddItemToObject(o, "changes", r->changes);
    r->changes = NULL;
    cJSON_AddStringToObject(o, "gold", acts->names[s->gold[i]]);
    cJSON_AddStringToObject(o, "before", acts->names[s->clean[i]]);
    cJSON_AddNumberToObject(o, "confidence_before", s->clean_conf[i]);
    cJSON_AddStringToObject(o, "after", acts->names[r->after]);
    cJSON_AddNumberToObject(o, "confidence_after", r->conf_after);
    cJSON_AddNumberToObject(o, "gold_probability_after", r->gold_after);
    return o;
}

static void add_summary(cJSON *o, const aft_adv_opts *ao, size_t tried, size_t found,
                        const size_t *by_edits, int max)
{
    size_t total = 0;
    cJSON_AddNumberToObject(o, "tried", (double)tried);
    cJSON_AddNumberToObject(o, "found", (double)found);
    cJSON_AddNumberToObject(o, "max_edits", ao->max_edits);
    cJSON *by = cJSON_AddArrayToObject(o, "found_by_edits");
    for (int e = 1; e <= max; e++) {
        total += (size_t)e * by_edits[e];
        cJSON_AddItemToArray(by, cJSON_CreateNumber((double)by_edits[e]));
    }
    if (found)
        cJSON_AddNumberToObject(o, "mean_edits", (double)total / (double)found);
    else
        cJSON_AddNullToObject(o, "mean_edits");
    cJSON_AddStringToObject(o, "edit_kinds", ao->lex ? "delete a word, a synonym, a keyboard typo"
                                                     : "delete a word, a keyboard typo (no "
                                                       "synonym source)");
}

cJSON *aft_robust_adversarial(const aft_robust_set *s, const aft_adv_opts *ao, aft_error *err)
{
    search sr = {.s = s, .o = ao};
    size_t by_edits[ADV_EDITS_LIMIT + 1] = {0};
    size_t *chosen = malloc((s->n ? s->n : 1) * sizeof *chosen);
    int max = ao->max_edits < ADV_EDITS_LIMIT ? ao->max_edits : ADV_EDITS_LIMIT;
    cJSON *o = cJSON_CreateObject(), *list = o ? cJSON_CreateArray() : NULL;
    adv_result r = {0};
    if (!chosen || !list) {
        aft_error_set(err, "out of memory");
        goto fail;
    }
    size_t tried = sample_correct(s, ao->max_examples, ao->seed, chosen), found = 0;
    for (size_t k = 0; k < tried; k++) {
        if (ao->cancel && atomic_load(ao->cancel)) {
            aft_error_set(err, "cancelled");
            goto fail;
        }
        if (attack(&sr, chosen[k], &r, err) < 0)
            goto fail;
        if (r.found) {
            found++;
            by_edits[r.edits]++;
            cJSON_AddItemToArray(list, example_json(s, chosen[k], &r));
        }
        free(r.text);
        cJSON_Delete(r.changes);
        memset(&r, 0, sizeof r);
    }
    add_summary(o, ao, tried, found, by_edits, max);
    cJSON_AddItemToObject(o, "examples", list);
    list = NULL;
    goto done;
fail:
    cJSON_Delete(o);
    o = NULL;
done:
    free(r.text);
    cJSON_Delete(r.changes);
    cJSON_Delete(list);
    clear_cands(&sr);
    free(sr.c);
    free(sr.pred);
    free(sr.probs);
    free(chosen);
    return o;
}
