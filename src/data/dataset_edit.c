/* Edits to a loaded dataset: each builds and checks the new record, journals
 * it (fsync'd), then commits in memory, so a failure before that changes nothing. */
#include "dataset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

/* ---- journal lines ---------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n >= b->cap - b->len || !b->p) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap - b->len <= n) {
            if (ncap > SIZE_MAX / 2) {
                b->failed = 1;
                return;
            }
            ncap *= 2;
        }
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* s as a JSON string; s is valid UTF-8, which passes through unescaped. */
static void sb_json(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_put(b, run, (size_t)(s - run));
        char esc[8];
        snprintf(esc, sizeof esc, c == '"' || c == '\\' ? "\\%c" : "\\u%04x", c);
        sb_str(b, esc);
        run = s + 1;
    }
    sb_put(b, run, (size_t)(s - run));
    sb_put(b, "\"", 1);
}

static void sb_index(sbuf *b, const char *op, size_t i)
{
    char head[64];
    snprintf(head, sizeof head, "{\"op\":\"%s\",\"i\":%zu", op, i);
    sb_str(b, head);
}

/* Journals b's line unless replaying; frees b. */
static int journal(aft_dataset *ds, sbuf *b, int replaying, aft_error *err)
{
    int rc = 0;
    if (!replaying) {
        sb_put(b, "}", 1);
        rc = b->failed ? aft_error_set(err, "out of memory")
                       : aft_journal_append(ds, b->p, b->len, err);
    }
    free(b->p);
    b->p = NULL;
    return rc;
}

/* ---- building a checked record -------------------------------------------- */

typedef struct prep {
    aft_rec rec;         /* rec.text is the new line */
    int has_id;
    uint64_t id_hash;
} prep;

static int id_hash_of(const cJSON *tree, uint64_t *h)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(tree, "id");
    if (!cJSON_IsString(id))
        return 0;
    *h = aft_id_hash(id->valuestring);
    return 1;
}

static int prepare(aft_dataset *ds, const cJSON *tree, size_t recno, prep *p, aft_error *err)
{
    aft_info info;
    aft_check pb;
    memset(p, 0, sizeof *p);
    if (aft_ds_check(tree, &info, &pb) < 0)
        return aft_error_set(err, "record %zu: %s", recno, pb.msg);
    uint32_t action;
    if (aft_strtab_intern(&ds->actions, info.action, &action) < 0)
        return aft_error_set(err, "out of memory");
    char *line = cJSON_PrintUnformatted(tree);
    if (!line)
        return aft_error_set(err, "out of memory");
    size_t len = strlen(line);
    if (len > AFT_MAX_LINE_BYTES) {
        cJSON_free(line);
        return aft_error_set(err, "record %zu would be %zu bytes, over the %zu MiB line limit",
                             recno, len, AFT_MAX_LINE_BYTES >> 20);
    }
    p->rec.text = line;
    p->rec.len = (uint32_t)len;
    aft_ds_set_facts(&p->rec, &info, action);
    p->has_id = info.id != NULL;
    if (p->has_id)
        p->id_hash = aft_id_hash(info.id);
    return 0;
}

static int check_key(const char *key, aft_error *err)
{
    if (!key || !key[0])
        return aft_error_set(err, "a field name can't be empty");
    if (!aft_utf8_valid(key, strlen(key), NULL))
        return aft_error_set(err, "field name is not valid UTF-8");
    return 0;
}

static int check_index(const aft_dataset *ds, size_t i, aft_error *err)
{
    if (i >= ds->count)
        return aft_error_set(err, "record %zu does not exist (the dataset has %zu records)",
                             i, ds->count);
    return 0;
}

/* Room for one more record, made before journaling so the commit can't fail. */
static int reserve_one(aft_dataset *ds, aft_error *err)
{
    if (aft_idset_reserve(&ds->ids, 1) < 0)
        return aft_error_set(err, "out of memory");
    if (ds->count < ds->cap)
        return 0;
    size_t ncap = ds->cap ? ds->cap * 2 : 64;
    aft_rec *n = ncap <= SIZE_MAX / sizeof *n ? realloc(ds->recs, ncap * sizeof *n) : NULL;
    if (!n)
        return aft_error_set(err, "out of memory");
    ds->recs = n;
    ds->cap = ncap;
    return 0;
}

/* ---- commits (cannot fail) ------------------------------------------------- */

static void commit_replace(aft_dataset *ds, size_t i, prep *p, int old_has, uint64_t old_h)
{
    aft_rec *r = &ds->recs[i];
    p->rec.eol = r->eol;
    cJSON_free(r->text);
    *r = p->rec;
    if (old_has)
        aft_idset_remove(&ds->ids, old_h);
    if (p->has_id)
        aft_idset_add(&ds->ids, p->id_hash, i, NULL);
    ds->dirty = 1;
}

/* Inserts at `at`; kept lines from record `shift_from` on move down with it. */
static void commit_insert(aft_dataset *ds, size_t at, size_t shift_from, prep *p)
{
    memmove(&ds->recs[at + 1], &ds->recs[at], (ds->count - at) * sizeof *ds->recs);
    ds->recs[at] = p->rec;
    ds->count++;
    for (size_t k = 0; k < ds->nkept; k++)
        if (ds->kept[k].before >= shift_from)
            ds->kept[k].before++;
    if (p->has_id)
        aft_idset_add(&ds->ids, p->id_hash, at, NULL);
    ds->dirty = 1;
}

static void commit_delete(aft_dataset *ds, size_t i, int old_has, uint64_t old_h)
{
    cJSON_free(ds->recs[i].text);
    memmove(&ds->recs[i], &ds->recs[i + 1], (ds->count - i - 1) * sizeof *ds->recs);
    ds->count--;
    for (size_t k = 0; k < ds->nkept; k++)
        if (ds->kept[k].before > i)
            ds->kept[k].before--;
    if (old_has)
        aft_idset_remove(&ds->ids, old_h);
    ds->dirty = 1;
}

/* ---- set and unset ------------------------------------------------------------- */

/* Sets key to v (owned) in record i. */
static int set_value(aft_dataset *ds, size_t i, const char *key, cJSON *v, int replaying,
                     aft_error *err)
{
    cJSON *tree = NULL;
    char *vtext = NULL;
    prep p = {0};
    int rc = -1;
    if (check_index(ds, i, err) < 0 || check_key(key, err) < 0 ||
        !(tree = aft_ds_parse_record(ds, i, err)))
        goto out;
    if (!replaying && !(vtext = cJSON_PrintUnformatted(v))) {
        aft_error_set(err, "out of memory");
        goto out;
    }
    uint64_t old_h = 0;
    int old_has = id_hash_of(tree, &old_h);
    cJSON_bool put = cJSON_GetObjectItemCaseSensitive(tree, key)
                         ? cJSON_ReplaceItemInObjectCaseSensitive(tree, key, v)
                         : cJSON_AddItemToObject(tree, key, v);
    if (!put) {
        aft_error_set(err, "out of memory");
        goto out;
    }
    v = NULL; /* the tree owns it now */
    if (prepare(ds, tree, i, &p, err) < 0)
        goto out;
    if (aft_idset_reserve(&ds->ids, 1) < 0) {
        aft_error_set(err, "out of memory");
        goto out;
    }
    sbuf b = {0};
    sb_index(&b, "set", i);
    sb_str(&b, ",\"key\":");
    sb_json(&b, key);
    sb_str(&b, ",\"value\":");
    sb_str(&b, vtext ? vtext : "null");
    if (journal(ds, &b, replaying, err) < 0)
        goto out;
    commit_replace(ds, i, &p, old_has, old_h);
    p.rec.text = NULL;
    rc = 0;
out:
    cJSON_free(p.rec.text);
    cJSON_free(vtext);
    cJSON_Delete(v);
    cJSON_Delete(tree);
    return rc;
}

int aft_dataset_set_json(aft_dataset *ds, size_t i, const char *key, const char *json_value,
                         aft_error *err)
{
    if (!json_value || !aft_utf8_valid(json_value, strlen(json_value), NULL))
        return aft_error_set(err, "the value for \"%s\" is not valid UTF-8 text", key ? key : "");
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(json_value, &end, 1);
    if (!v)
        return aft_error_set(err, "the value for \"%s\" is not valid JSON (at character %zu): "
                             "write strings in double quotes, e.g. \"text\"", key ? key : "",
                             aft_utf8_count(json_value, end ? (size_t)(end - json_value) : 0) + 1);
    return set_value(ds, i, key, v, 0, err);
}

int aft_dataset_set_string(aft_dataset *ds, size_t i, const char *key, const char *value,
                           aft_error *err)
{
    if (!value || !aft_utf8_valid(value, strlen(value), NULL))
        return aft_error_set(err, "the value for \"%s\" is not valid UTF-8 text", key ? key : "");
    cJSON *v = cJSON_CreateString(value);
    if (!v)
        return aft_error_set(err, "out of memory");
    return set_value(ds, i, key, v, 0, err);
}

static int unset_key(aft_dataset *ds, size_t i, const char *key, int replaying, aft_error *err)
{
    if (check_index(ds, i, err) < 0 || check_key(key, err) < 0)
        return -1;
    if (!strcmp(key, "context") || !strcmp(key, "agent_action"))
        return aft_error_set(err, "record %zu: \"%s\" is required and can't be removed; "
                             "set a new value instead", i, key);
    cJSON *tree = aft_ds_parse_record(ds, i, err);
    if (!tree)
        return -1;
    if (!cJSON_GetObjectItemCaseSensitive(tree, key)) {
        cJSON_Delete(tree);
        return 0; /* nothing to remove, nothing to journal */
    }
    uint64_t old_h = 0;
    int old_has = id_hash_of(tree, &old_h);
    cJSON_DeleteItemFromObjectCaseSensitive(tree, key);
    prep p;
    int rc = prepare(ds, tree, i, &p, err);
    cJSON_Delete(tree);
    if (rc == 0) {
        sbuf b = {0};
        sb_index(&b, "unset", i);
        sb_str(&b, ",\"key\":");
        sb_json(&b, key);
        rc = journal(ds, &b, replaying, err);
    }
    if (rc < 0) {
        cJSON_free(p.rec.text);
        return -1;
    }
    commit_replace(ds, i, &p, old_has, old_h);
    return 0;
}

int aft_dataset_unset(aft_dataset *ds, size_t i, const char *key, aft_error *err)
{
    return unset_key(ds, i, key, 0, err);
}

/* ---- bulk set ---------------------------------------------------------------- */

/* The new records of a bulk set, built before anything is journaled: 40
 * bytes a record, plus the id hashes when the key is "id" (0 = none). */
typedef struct bulk {
    aft_rec *recs;       /* recs[i].text NULL: record i is left as it is */
    uint64_t *old_h, *new_h;
} bulk;

/* Builds record i with key = value, unless it already has exactly that value. */
static int bulk_prepare(aft_dataset *ds, size_t i, const char *key, const char *value,
                        bulk *b, aft_error *err)
{
    if (!aft_utf8_valid(value, strlen(value), NULL))
        return aft_error_set(err, "record %zu: the value for \"%s\" is not valid UTF-8", i, key);
    cJSON *tree = aft_ds_parse_record(ds, i, err);
    if (!tree)
        return -1;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(tree, key);
    int rc = 0;
    if (!cJSON_IsString(cur) || strcmp(cur->valuestring, value)) {
        uint64_t old_h = 0;
        id_hash_of(tree, &old_h);
        cJSON *v = cJSON_CreateString(value);
        cJSON_bool put = v && (cur ? cJSON_ReplaceItemInObjectCaseSensitive(tree, key, v)
                                   : cJSON_AddItemToObject(tree, key, v));
        prep p = {0};
        if (!put) {
            cJSON_Delete(v);
            rc = aft_error_set(err, "out of memory");
        } else if ((rc = prepare(ds, tree, i, &p, err)) == 0) {
            b->recs[i] = p.rec;
            if (b->old_h) {
                b->old_h[i] = old_h;
                b->new_h[i] = p.has_id ? p.id_hash : 0;
            }
        }
    }
    cJSON_Delete(tree);
    return rc;
}

static void bulk_journal_line(sbuf *b, const char *key, const char *const *values, size_t n)
{
    sb_str(b, "{\"op\":\"set_strings\",\"key\":");
    sb_json(b, key);
    sb_str(b, ",\"values\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_put(b, ",", 1);
        if (values[i])
            sb_json(b, values[i]);
        else
            sb_put(b, "null", 4);
    }
    sb_put(b, "]", 1);
}

static void bulk_commit(aft_dataset *ds, bulk *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!b->recs[i].text)
            continue;
        aft_rec *r = &ds->recs[i];
        b->recs[i].eol = r->eol;
        cJSON_free(r->text);
        *r = b->recs[i];
        if (b->old_h && b->old_h[i])
            aft_idset_remove(&ds->ids, b->old_h[i]);
        if (b->old_h && b->new_h[i])
            aft_idset_add(&ds->ids, b->new_h[i], i, NULL);
    }
    ds->dirty = 1;
}

static int set_strings(aft_dataset *ds, const char *key, const char *const *values,
                       int replaying, aft_error *err)
{
    if (check_key(key, err) < 0)
        return -1;
    size_t n = ds->count;
    int ids = !strcmp(key, "id");
    bulk b = {0};
    if (n && (!(b.recs = calloc(n, sizeof *b.recs)) ||
              (ids && (!(b.old_h = calloc(n, sizeof *b.old_h)) ||
                       !(b.new_h = calloc(n, sizeof *b.new_h)))))) {
        free(b.recs);
        free(b.old_h);
        return aft_error_set(err, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (values[i])
            rc = bulk_prepare(ds, i, key, values[i], &b, err);
    if (rc == 0 && ids && aft_idset_reserve(&ds->ids, n) < 0)
        rc = aft_error_set(err, "out of memory");
    if (rc == 0) {
        sbuf jl = {0};
        if (!replaying)
            bulk_journal_line(&jl, key, values, n);
        rc = journal(ds, &jl, replaying, err);
    }
    if (rc == 0)
        bulk_commit(ds, &b, n);
    else
        for (size_t i = 0; i < n; i++)
            cJSON_free(b.recs[i].text);
    free(b.recs);
    free(b.old_h);
    free(b.new_h);
    return rc;
}

int aft_dataset_set_strings(aft_dataset *ds, const char *key, const char *const *values,
                            aft_error *err)
{
    return set_strings(ds, key, values, 0, err);
}

/* ---- add, delete, duplicate ------------------------------------------------- */

static int add_tree(aft_dataset *ds, cJSON *tree, int replaying, size_t *index, aft_error *err)
{
    prep p;
    int rc = -1;
    if (!cJSON_IsObject(tree))
        aft_error_set(err, "a record must be a JSON object like "
                      "{\"context\": ..., \"agent_action\": ...}");
    else if (prepare(ds, tree, ds->count, &p, err) == 0) {
        p.rec.eol = ds->default_eol;
        sbuf b = {0};
        sb_str(&b, "{\"op\":\"add\",\"record\":");
        sb_put(&b, p.rec.text, p.rec.len);
        if (reserve_one(ds, err) < 0 || journal(ds, &b, replaying, err) < 0) {
            free(b.p);
            cJSON_free(p.rec.text);
        } else {
            if (index)
                *index = ds->count;
            commit_insert(ds, ds->count, SIZE_MAX, &p);
            rc = 0;
        }
    }
    cJSON_Delete(tree);
    return rc;
}

int aft_dataset_add(aft_dataset *ds, const char *json_object, size_t *index, aft_error *err)
{
    if (!json_object || !aft_utf8_valid(json_object, strlen(json_object), NULL))
        return aft_error_set(err, "the record is not valid UTF-8 text");
    const char *end = NULL;
    cJSON *tree = cJSON_ParseWithOpts(json_object, &end, 1);
    if (!tree)
        return aft_error_set(err, "the record is not valid JSON (at character %zu)",
                             aft_utf8_count(json_object, end ? (size_t)(end - json_object) : 0) + 1);
    return add_tree(ds, tree, 0, index, err);
}

static int delete_rec(aft_dataset *ds, size_t i, int replaying, aft_error *err)
{
    if (check_index(ds, i, err) < 0)
        return -1;
    cJSON *tree = aft_ds_parse_record(ds, i, err);
    if (!tree)
        return -1;
    uint64_t old_h = 0;
    int old_has = id_hash_of(tree, &old_h);
    cJSON_Delete(tree);
    sbuf b = {0};
    sb_index(&b, "delete", i);
    if (journal(ds, &b, replaying, err) < 0)
        return -1;
    commit_delete(ds, i, old_has, old_h);
    return 0;
}

int aft_dataset_delete(aft_dataset *ds, size_t i, aft_error *err)
{
    return delete_rec(ds, i, 0, err);
}

/* id-copy, id-copy2, ...: the first one no record uses. */
static char *copy_id(const aft_dataset *ds, const char *id)
{
    size_t n = strlen(id) + 32;
    char *out = malloc(n);
    if (!out)
        return NULL;
    snprintf(out, n, "%s-copy", id);
    for (unsigned long k = 2; aft_idset_has(&ds->ids, aft_id_hash(out)); k++)
        snprintf(out, n, "%s-copy%lu", id, k);
    return out;
}

/* The copy: the source's bytes, or re-serialized with a fresh string id. */
static int dup_prepare(aft_dataset *ds, size_t i, const char *given_id, char **new_id, prep *p,
                       aft_error *err)
{
    cJSON *tree = aft_ds_parse_record(ds, i, err);
    if (!tree)
        return -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(tree, "id");
    int rc = 0;
    if (cJSON_IsString(id)) {
        *new_id = given_id ? strdup(given_id) : copy_id(ds, id->valuestring);
        cJSON *v = *new_id ? cJSON_CreateString(*new_id) : NULL;
        if (!v || !cJSON_ReplaceItemInObjectCaseSensitive(tree, "id", v)) {
            cJSON_Delete(v);
            rc = aft_error_set(err, "out of memory");
        } else {
            rc = prepare(ds, tree, i, p, err);
        }
    } else {
        memset(p, 0, sizeof *p);
        size_t len;
        const char *line = aft_dataset_line(ds, i, &len);
        p->rec = ds->recs[i];
        p->rec.text = cJSON_malloc(len + 1);
        if (!p->rec.text) {
            rc = aft_error_set(err, "out of memory");
        } else {
            memcpy(p->rec.text, line, len);
            p->rec.text[len] = '\0';
        }
    }
    cJSON_Delete(tree);
    p->rec.eol = ds->recs[i].eol;
    return rc;
}

static int dup_rec(aft_dataset *ds, size_t i, const char *given_id, int replaying,
                   size_t *index, aft_error *err)
{
    if (check_index(ds, i, err) < 0)
        return -1;
    char *new_id = NULL;
    prep p = {0};
    int rc = dup_prepare(ds, i, given_id, &new_id, &p, err);
    if (rc == 0)
        rc = reserve_one(ds, err);
    if (rc == 0) {
        sbuf b = {0};
        sb_index(&b, "dup", i);
        if (new_id) {
            sb_str(&b, ",\"id\":");
            sb_json(&b, new_id);
        }
        rc = journal(ds, &b, replaying, err);
    }
    free(new_id);
    if (rc < 0) {
        cJSON_free(p.rec.text);
        return -1;
    }
    commit_insert(ds, i + 1, i + 1, &p);
    if (index)
        *index = i + 1;
    return 0;
}

int aft_dataset_duplicate(aft_dataset *ds, size_t i, size_t *index, aft_error *err)
{
    return dup_rec(ds, i, NULL, 0, index, err);
}

/* ---- replay ------------------------------------------------------------------- */

static int op_index(const cJSON *op, size_t *i, aft_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, "i");
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble != (double)(size_t)v->valuedouble)
        return aft_error_set(err, "the edit has no valid record index \"i\"");
    *i = (size_t)v->valuedouble;
    return 0;
}

static const char *op_string(const cJSON *op, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int replay_set_strings(aft_dataset *ds, const cJSON *op, aft_error *err)
{
    const char *key = op_string(op, "key");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(op, "values");
    if (!key || !cJSON_IsArray(vals) || (size_t)cJSON_GetArraySize(vals) != ds->count)
        return aft_error_set(err, "set_strings needs a key and one value per record (%zu)",
                             ds->count);
    const char **v = ds->count ? calloc(ds->count, sizeof *v) : NULL;
    if (ds->count && !v)
        return aft_error_set(err, "out of memory");
    size_t k = 0;
    for (const cJSON *e = vals->child; e; e = e->next)
        v[k++] = cJSON_IsString(e) ? e->valuestring : NULL;
    int rc = set_strings(ds, key, v, 1, err);
    free(v);
    return rc;
}

int aft_ds_replay(aft_dataset *ds, const cJSON *op, aft_error *err)
{
    const char *kind = op_string(op, "op");
    const char *key = op_string(op, "key");
    size_t i = 0;
    if (!kind)
        return aft_error_set(err, "the line has no \"op\"");
    if (!strcmp(kind, "set_strings"))
        return replay_set_strings(ds, op, err);
    if (!strcmp(kind, "add")) {
        cJSON *rec = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(op, "record"), 1);
        return rec ? add_tree(ds, rec, 1, NULL, err)
                   : aft_error_set(err, "the add has no \"record\"");
    }
    if (op_index(op, &i, err) < 0)
        return -1;
    if (!strcmp(kind, "set")) {
        cJSON *v = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(op, "value"), 1);
        if (!v || !key) {
            cJSON_Delete(v);
            return aft_error_set(err, "the set has no \"key\" or \"value\"");
        }
        return set_value(ds, i, key, v, 1, err);
    }
    if (!strcmp(kind, "unset"))
        return key ? unset_key(ds, i, key, 1, err) : aft_error_set(err, "the unset has no \"key\"");
    if (!strcmp(kind, "delete"))
        return delete_rec(ds, i, 1, err);
    if (!strcmp(kind, "dup"))
        return dup_rec(ds, i, op_string(op, "id"), 1, NULL, err);
    return aft_error_set(err, "unknown op \"%s\"", kind);
}
