/* The dataset pass: picks the training records, makes their variants and keeps
 * those whose normalised context is new to every split and to each other. */
#include "augment_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentft/fileio.h"

const char *aft_variant_method_name(aft_variant_method m)
{
    static const char *const names[AFT_VM_COUNT] = {"synonym", "eda_insert", "eda_swap",
                                                    "eda_delete", "backtranslate", "typo"};
    return m < AFT_VM_COUNT ? names[m] : "?";
}

int aft_augment_parse_methods(const char *list, unsigned *methods, aft_error *err)
{
    static const struct { const char *name; unsigned bit; } known[] = {
        {"synonym", AFT_AUG_SYNONYM}, {"eda", AFT_AUG_EDA}, {"backtranslate", AFT_AUG_BACKTRANSLATE},
        {"typo", AFT_AUG_TYPO}};
    *methods = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ", ");
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strlen(known[k].name) == n && strncmp(known[k].name, p, n) == 0)
                bit = known[k].bit;
        if (n && !bit)
            return aft_error_set(err, "unknown augmentation method '%.*s' (known: synonym, eda, "
                                      "backtranslate, typo)", (int)n, p);
        *methods |= bit;
        p += n;
        p += strspn(p, ", ");
    }
    return *methods ? 0 : aft_error_set(err, "no augmentation method given (synonym, eda, backtranslate, typo)");
}

void aft_augment_result_free(aft_augment_result *res)
{
    for (size_t i = 0; i < res->count; i++) {
        free(res->items[i].text);
        free(res->items[i].json);
        free(res->items[i].source_text);
    }
    free(res->items);
    memset(res, 0, sizeof *res);
}

/* ---- records ---------------------------------------------------------------- */

/* The normal form of a whole context: each turn's "role content" normalised,
 * turns joined by " | " (normal forms hold no punctuation, so no clash). */
static char *context_norm(const cJSON *ctx)
{
    if (cJSON_IsString(ctx))
        return aft_augment_normalize(ctx->valuestring);
    size_t size = 1, n = 0;
    char *out = calloc(1, 1);
    const cJSON *turn, *turns = cJSON_IsArray(ctx) ? ctx : NULL;
    cJSON_ArrayForEach(turn, turns) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(turn, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(turn, "content");
        const char *r = cJSON_IsString(role) ? role->valuestring : "";
        const char *c = cJSON_IsString(content) ? content->valuestring : "";
        char *joined = malloc(strlen(r) + strlen(c) + 2);
        char *norm = NULL;
        if (joined) {
            sprintf(joined, "%s %s", r, c);
            norm = aft_augment_normalize(joined);
        }
        free(joined);
        char *grown = norm && out ? realloc(out, size + strlen(norm) + 3) : NULL;
        if (!grown) {
            free(norm);
            free(out);
            return NULL;
        }
        out = grown;
        n += (size_t)sprintf(out + n, "%s%s", n ? " | " : "", norm);
        size = n + 1;
        free(norm);
    }
    return out;
}

/* Where the text to augment sits: the object holding it and its key (the
 * context string, or the content of the last user turn). */
static cJSON *target_holder(cJSON *rec, const char **key)
{
    cJSON *ctx = cJSON_GetObjectItemCaseSensitive(rec, "context");
    if (cJSON_IsString(ctx)) {
        *key = "context";
        return rec;
    }
    cJSON *turn, *last = NULL, *turns = cJSON_IsArray(ctx) ? ctx : NULL;
    cJSON_ArrayForEach(turn, turns) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(turn, "role");
        if (cJSON_IsString(role) && strcmp(role->valuestring, "user") == 0 &&
            cJSON_IsString(cJSON_GetObjectItemCaseSensitive(turn, "content")))
            last = turn;
    }
    *key = "content";
    return last;
}

static cJSON *parse_record(const aft_augment_source *src, size_t rec, aft_error *err)
{
    size_t len;
    const char *line = aft_dataset_line(src->ds, rec, &len);
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!j)
        aft_error_set(err, "%s: record %zu: could not be read again (out of memory?)",
                      aft_dataset_path(src->ds), rec + 1);
    return j;
}

static int set_item(cJSON *obj, const char *key, cJSON *value)
{
    if (!value)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value) ? 0 : -1;
    return cJSON_AddItemToObject(obj, key, value) ? 0 : -1;
}

char *aft_variant_with_text(const char *json, const char *text, aft_error *err)
{
    if (!text[0]) {
        aft_error_set(err, "the text is empty");
        return NULL;
    }
    cJSON *rec = cJSON_Parse(json);
    const char *key;
    cJSON *holder = rec ? target_holder(rec, &key) : NULL;
    char *printed = NULL, *out = NULL;
    if (!holder)
        aft_error_set(err, "not a record with a context text or a user turn");
    else if (set_item(holder, key, cJSON_CreateString(text)) < 0 ||
             !(printed = cJSON_PrintUnformatted(rec)) || !(out = strdup(printed)))
        aft_error_set(err, "out of memory");
    cJSON_free(printed);
    cJSON_Delete(rec);
    return out;
}

/* One training record to augment; it keeps a copy of the record, so that
 * making its variants does not read the dataset again. */
typedef struct job {
    size_t set, rec;
    char *line;      /* the record as read */
    char *text;      /* the text to augment */
    char *bt;        /* its back-translation, when a slot asks for one */
    int want_bt;
} job;

/* Everything a pass works with. */
struct aft_augment_pass {
    const aft_augment_opts *o;
    const aft_augment_source *src;
    size_t nsrc;
    size_t read_set, read_rec;      /* the next record to read */
    unsigned char *picked;          /* opts->records as one bit per record of sources[0] */
    aft_strset existing, variants, ids;
    job *jobs;
    size_t njobs, cap, ndone;
    int kinds[3];              /* AFT_AUG_* in slot rotation order */
    size_t nkinds;
    aft_aug_op eda_ops[3];     /* the EDA operations with a rate above 0 */
    size_t neda;
    unsigned char *only_seen;  /* per `only` action: a training record has it */
};

/* Inside this file a pass is called a run. */
typedef struct aft_augment_pass run;

void aft_augment_pass_free(run *r)
{
    if (!r)
        return;
    aft_strset_free(&r->existing);
    aft_strset_free(&r->variants);
    aft_strset_free(&r->ids);
    for (size_t i = 0; i < r->njobs; i++) {
        free(r->jobs[i].line);
        free(r->jobs[i].text);
        free(r->jobs[i].bt);
    }
    free(r->jobs);
    free(r->only_seen);
    free(r->picked);
    free(r);
}

/* ---- planning ------------------------------------------------------------------ */

/* opts->records as a bit per record of the first source. */
static int pick_records(run *r, aft_error *err)
{
    if (!r->o->records)
        return 0;
    size_t count = r->nsrc ? aft_dataset_count(r->src[0].ds) : 0;
    if (!(r->picked = calloc(count / 8 + 1, 1)))
        return aft_error_set(err, "out of memory");
    for (size_t k = 0; k < r->o->n_records; k++) {
        size_t i = r->o->records[k];
        if (i >= count)
            return aft_error_set(err, "record %zu is past the end of %s (%zu records)", i + 1,
                                 r->nsrc ? aft_dataset_path(r->src[0].ds) : "the sources", count);
        r->picked[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    return 0;
}

static int is_picked(const run *r, size_t set, size_t i)
{
    return !r->picked || (set == 0 && (r->picked[i / 8] >> (i % 8) & 1));
}

static int plan(run *r, aft_error *err)
{
    const aft_augment_opts *o = r->o;
    for (int op = 0; op < AFT_OP_COUNT; op++)
        if (!(o->rate[op] >= 0 && o->rate[op] <= 1))
            return aft_error_set(err, "the %s rate %g is outside 0..1", aft_aug_op_name((aft_aug_op)op),
                                 o->rate[op]);
    if (o->per_record == 0)
        return aft_error_set(err, "variants per record must be at least 1");
    if ((o->methods & AFT_AUG_SYNONYM) && o->rate[AFT_OP_SYNONYM] <= 0)
        return aft_error_set(err, "the synonym method needs a synonym rate above 0");
    if ((o->methods & AFT_AUG_TYPO) && o->rate[AFT_OP_TYPO] <= 0)
        return aft_error_set(err, "the typo method needs a typo rate above 0");
    for (int op = AFT_OP_INSERT; op <= AFT_OP_DELETE; op++)
        if (o->rate[op] > 0)
            r->eda_ops[r->neda++] = (aft_aug_op)op;
    if ((o->methods & AFT_AUG_EDA) && r->neda == 0)
        return aft_error_set(err, "the eda method needs an insert, swap or delete rate above 0");
    if ((o->methods & AFT_AUG_BACKTRANSLATE) &&
        (!o->there || !o->pivot || !o->pivot[0] || !o->language || !o->language[0]))
        return aft_error_set(err, "back-translation needs a translator, a pivot language and "
                                  "the records' language");
    static const int order[] = {AFT_AUG_SYNONYM, AFT_AUG_EDA, AFT_AUG_BACKTRANSLATE, AFT_AUG_TYPO};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        if (o->methods & (unsigned)order[k])
            r->kinds[r->nkinds++] = order[k];
    if (r->nkinds == 0)
        return aft_error_set(err, "no augmentation method given (synonym, eda, backtranslate, typo)");
    if (o->n_only && !(r->only_seen = calloc(o->n_only, 1)))
        return aft_error_set(err, "out of memory");
    return pick_records(r, err);
}

/* The method of variant k of record rec: methods take turns, shifted by the
 * record so that one variant per record still spreads over all methods. */
static int slot_kind(const run *r, size_t rec, size_t k)
{
    return r->kinds[(rec + k) % r->nkinds];
}

static aft_aug_op slot_eda_op(const run *r, size_t rec, size_t k)
{
    size_t nth = 0; /* EDA slots of this record before k */
    for (size_t j = 0; j < k; j++)
        nth += slot_kind(r, rec, j) == AFT_AUG_EDA;
    return r->eda_ops[(rec + nth) % r->neda];
}

static int wanted_action(run *r, const char *action)
{
    if (!r->o->n_only)
        return 1;
    for (size_t k = 0; k < r->o->n_only; k++) {
        if (strcmp(r->o->only[k], action) == 0) {
            r->only_seen[k] = 1;
            return 1;
        }
    }
    return 0;
}

static int add_job(run *r, size_t set, size_t rec, const char *text, const cJSON *record)
{
    if (r->njobs == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        job *j = realloc(r->jobs, cap * sizeof *j);
        if (!j)
            return -1;
        r->jobs = j;
        r->cap = cap;
    }
    job *j = &r->jobs[r->njobs];
    memset(j, 0, sizeof *j);
    char *line = cJSON_PrintUnformatted(record);
    j->line = line ? strdup(line) : NULL; /* freed with free() like the rest */
    cJSON_free(line);
    j->text = strdup(text);
    if (!j->line || !j->text) {
        free(j->line);
        free(j->text);
        return -1;
    }
    for (size_t k = 0; k < r->o->per_record; k++)
        j->want_bt |= slot_kind(r, rec, k) == AFT_AUG_BACKTRANSLATE;
    j->set = set;
    j->rec = rec;
    r->njobs++;
    return 0;
}

/* Sorts one record into the counts, and into the jobs if it is a source.
 * Records the caller did not pick are not counted at all. */
static int scan_record(run *r, size_t s, size_t i, cJSON *rec, aft_augment_result *res)
{
    const aft_dataset *ds = r->src[s].ds;
    if (!is_picked(r, s, i))
        return 0;
    aft_split split = aft_dataset_split(ds, i);
    if (split == AFT_SPLIT_NONE)
        split = r->src[s].implied;
    if (split == AFT_SPLIT_VALID || split == AFT_SPLIT_TEST) {
        res->not_train++;
        return 0;
    }
    if (split == AFT_SPLIT_NONE) {
        res->no_split++;
        return 0;
    }
    if (!wanted_action(r, aft_dataset_action(ds, i))) {
        res->other_action++;
        return 0;
    }
    if (cJSON_GetObjectItemCaseSensitive(rec, "augmented")) {
        res->already_augmented++;
        return 0;
    }
    const char *key;
    const cJSON *holder = target_holder(rec, &key);
    const cJSON *text = holder ? cJSON_GetObjectItemCaseSensitive(holder, key) : NULL;
    if (!cJSON_IsString(text) || !text->valuestring[0]) {
        res->no_text++;
        return 0;
    }
    res->sources++;
    return add_job(r, s, i, text->valuestring, rec);
}

/* Reads the next budget records of the files: normal forms and ids of all,
 * jobs for the training ones. 1 once every record is read. */
static int scan(run *r, size_t budget, aft_augment_result *res, aft_error *err)
{
    for (; r->read_set < r->nsrc; r->read_set++, r->read_rec = 0) {
        const aft_augment_source *src = &r->src[r->read_set];
        for (; r->read_rec < aft_dataset_count(src->ds); r->read_rec++) {
            if (budget-- == 0)
                return 0;
            cJSON *rec = parse_record(src, r->read_rec, err);
            if (!rec)
                return -1;
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
            int rc = aft_strset_add(&r->existing, context_norm(cJSON_GetObjectItemCaseSensitive(rec, "context")));
            if (rc >= 0 && cJSON_IsString(id))
                rc = aft_strset_add(&r->ids, strdup(id->valuestring));
            if (rc >= 0)
                rc = scan_record(r, r->read_set, r->read_rec, rec, res);
            cJSON_Delete(rec);
            if (rc < 0)
                return aft_error_set(err, "out of memory");
        }
    }
    for (size_t k = 0; k < r->o->n_only; k++)
        if (!r->only_seen[k])
            return aft_error_set(err, "no training record has the action '%s'", r->o->only[k]);
    return 1;
}

/* Sends every text that a back-translation slot of jobs[from..to) needs
 * there and back. */
static int backtranslate(run *r, size_t from, size_t to, aft_error *err)
{
    size_t n = 0;
    const char **texts = malloc((to - from + 1) * sizeof *texts);
    char **mid = calloc(to - from + 1, sizeof *mid), **back = calloc(to - from + 1, sizeof *back);
    int rc = texts && mid && back ? 0 : aft_error_set(err, "out of memory");
    for (size_t i = from; rc == 0 && i < to; i++)
        if (r->jobs[i].want_bt)
            texts[n++] = r->jobs[i].text;
    aft_translator *home = r->o->back ? r->o->back : r->o->there;
    if (rc == 0 && n > 0)
        rc = aft_translator_translate(r->o->there, texts, n, r->o->pivot, mid, err);
    if (rc == 0 && n > 0)
        rc = aft_translator_translate(home, (const char *const *)mid, n, r->o->language, back, err);
    for (size_t i = from, k = 0; rc == 0 && i < to; i++)
        if (r->jobs[i].want_bt)
            r->jobs[i].bt = back[k++];
    for (size_t k = 0; mid && k < n; k++)
        free(mid[k]);
    if (rc < 0)
        for (size_t k = 0; back && k < n; k++)
            free(back[k]);
    free(texts);
    free(mid);
    free(back);
    return rc;
}

/* ---- making the variants -------------------------------------------------- */

/* "<id>-augN", the first N that no record has. */
static char *new_id(run *r, const cJSON *id)
{
    char base[512], *cand = NULL;
    if (cJSON_IsString(id))
        snprintf(base, sizeof base, "%s", id->valuestring);
    else if (cJSON_IsNumber(id))
        snprintf(base, sizeof base, "%.17g", id->valuedouble);
    else
        return NULL;
    for (unsigned n = 1; n < 100000; n++) {
        free(cand);
        if (!(cand = malloc(strlen(base) + 16)))
            return NULL;
        sprintf(cand, "%s-aug%u", base, n);
        if (!aft_strset_has(&r->ids, cand))
            break;
    }
    return aft_strset_add(&r->ids, strdup(cand)) < 0 ? (free(cand), NULL) : cand;
}

/* Gives the variant its id, split and "augmented" note. */
static int mark_variant(run *r, cJSON *rec, size_t rec_index, aft_variant_method m)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    cJSON *note = cJSON_CreateObject();
    cJSON *source = cJSON_IsString(id) ? cJSON_CreateString(id->valuestring)
                    : cJSON_IsNumber(id) ? cJSON_CreateNumber(id->valuedouble)
                                         : cJSON_CreateNumber((double)(rec_index + 1));
    if (!note || !source || !cJSON_AddStringToObject(note, "method", aft_variant_method_name(m)) ||
        !cJSON_AddItemToObject(note, "source_id", source)) {
        cJSON_Delete(note);
        return -1;
    }
    char *nid = NULL;
    if (id && !(nid = new_id(r, id))) {
        cJSON_Delete(note);
        return -1;
    }
    int rc = 0;
    if (nid)
        rc = set_item(rec, "id", cJSON_CreateString(nid));
    free(nid);
    if (rc == 0)
        rc = set_item(rec, "split", cJSON_CreateString("train"));
    if (rc == 0)
        rc = set_item(rec, "augmented", note);
    else
        cJSON_Delete(note);
    return rc;
}

static int push_variant(aft_augment_result *res, const job *j, aft_variant_method m, char *text,
                        char *json)
{
    char *source_text = strdup(j->text);
    if (!source_text)
        return -1;
    if (res->count == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 256;
        aft_variant *v = realloc(res->items, cap * sizeof *v);
        if (!v) {
            free(source_text);
            return -1;
        }
        res->items = v;
        res->cap = cap;
    }
    res->items[res->count++] = (aft_variant){j->set, j->rec, m, text, json, source_text};
    res->made[m]++;
    return 0;
}

/* Builds the record for one variant text and keeps it unless it duplicates
 * a record or an earlier variant. Takes text over. */
static int keep_variant(run *r, const job *j, aft_variant_method m, char *text,
                        aft_augment_result *res, aft_error *err)
{
    cJSON *rec = cJSON_Parse(j->line);
    const char *key;
    cJSON *holder = rec ? target_holder(rec, &key) : NULL;
    int rc = -1;
    if (!holder || set_item(holder, key, cJSON_CreateString(text)) < 0) {
        rc = aft_error_set(err, "out of memory");
        goto done;
    }
    char *norm = context_norm(cJSON_GetObjectItemCaseSensitive(rec, "context"));
    if (!norm) {
        rc = aft_error_set(err, "out of memory");
    } else if (!norm[0]) {
        free(norm), res->unchanged[m]++, rc = 0;
    } else if (aft_strset_has(&r->existing, norm)) {
        free(norm), res->dup_existing[m]++, rc = 0;
    } else if ((rc = aft_strset_add(&r->variants, norm)) <= 0) {
        rc = rc < 0 ? aft_error_set(err, "out of memory") : (res->dup_variant[m]++, 0);
    } else {
        char *json = mark_variant(r, rec, j->rec, m) == 0 ? cJSON_PrintUnformatted(rec) : NULL;
        char *copy = json ? strdup(json) : NULL; /* results are freed with free() */
        cJSON_free(json);
        rc = copy && push_variant(res, j, m, text, copy) == 0 ? 0 : aft_error_set(err, "out of memory");
        if (rc == 0)
            text = NULL;
        else
            free(copy);
    }
done:
    cJSON_Delete(rec);
    free(text);
    return rc;
}

static void slot_rng(aft_rng *rng, uint64_t seed, const job *j, size_t k)
{
    aft_rng_seed(rng, seed ^ ((uint64_t)j->rec * 0x9E3779B97F4A7C15ull) ^
                          ((uint64_t)j->set << 56) ^ ((uint64_t)(k + 1) * 0xD1B54A32D192ED03ull));
}

static int make_variants(run *r, const job *j, aft_augment_result *res, aft_error *err)
{
    static const aft_variant_method eda_method[AFT_OP_COUNT] = {AFT_VM_SYNONYM, AFT_VM_INSERT,
                                                                AFT_VM_SWAP, AFT_VM_DELETE,
                                                                AFT_VM_TYPO};
    for (size_t k = 0; k < r->o->per_record; k++) {
        int kind = slot_kind(r, j->rec, k);
        aft_aug_op op = kind == AFT_AUG_EDA    ? slot_eda_op(r, j->rec, k)
                        : kind == AFT_AUG_TYPO ? AFT_OP_TYPO
                                               : AFT_OP_SYNONYM;
        aft_variant_method m = kind == AFT_AUG_BACKTRANSLATE ? AFT_VM_BACKTRANSLATE : eda_method[op];
        aft_rng rng;
        slot_rng(&rng, r->o->seed, j, k);
        char *text = kind == AFT_AUG_BACKTRANSLATE
                         ? (j->bt ? strdup(j->bt) : NULL)
                         : aft_augment_text(&r->o->lex, op, j->text, r->o->rate[op], &rng, err);
        if (!text)
            return err && err->set ? -1 : aft_error_set(err, "out of memory");
        if (strcmp(text, j->text) == 0) {
            res->unchanged[m]++;
            free(text);
        } else if (keep_variant(r, j, m, text, res, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- the pass ------------------------------------------------------------------ */

run *aft_augment_pass_new(const aft_augment_source *sources, size_t n, const aft_augment_opts *opts,
                          aft_augment_result *res, aft_error *err)
{
    memset(res, 0, sizeof *res);
    run *r = calloc(1, sizeof *r);
    if (!r) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    r->o = opts;
    r->src = sources;
    r->nsrc = n;
    if (plan(r, err) < 0) {
        aft_augment_pass_free(r);
        return NULL;
    }
    return r;
}

int aft_augment_pass_read(run *r, size_t budget, aft_augment_result *res, aft_error *err)
{
    return scan(r, budget, res, err);
}

size_t aft_augment_pass_total(const run *r)
{
    return r->njobs;
}

size_t aft_augment_pass_done(const run *r)
{
    return r->ndone;
}

int aft_augment_pass_make(run *r, size_t max, aft_augment_result *res, aft_error *err)
{
    size_t to = r->njobs - r->ndone < max ? r->njobs : r->ndone + max;
    if ((r->o->methods & AFT_AUG_BACKTRANSLATE) && to > r->ndone &&
        backtranslate(r, r->ndone, to, err) < 0)
        return -1;
    for (; r->ndone < to; r->ndone++)
        if (make_variants(r, &r->jobs[r->ndone], res, err) < 0)
            return -1;
    return r->ndone == r->njobs;
}

int aft_augment(const aft_augment_source *sources, size_t n, const aft_augment_opts *opts,
                aft_augment_result *res, aft_error *err)
{
    run *r = aft_augment_pass_new(sources, n, opts, res, err);
    if (!r)
        return -1;
    int rc = aft_augment_pass_read(r, SIZE_MAX, res, err);
    if (rc > 0)
        rc = aft_augment_pass_make(r, SIZE_MAX, res, err);
    aft_augment_pass_free(r);
    if (rc < 0)
        aft_augment_result_free(res);
    return rc < 0 ? -1 : 0;
}
