/* Edits to the fields of records: set and unset one key of one record, and
 * set one key of every record at once (one journal line for all). */
#include "dataset_edit_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

/* ---- set and unset ------------------------------------------------------------- */

/* Sets key to v (owned) in record i. */
int aft_edit_set_value(aft_dataset *ds, size_t i, const char *key, cJSON *v, int replaying,
                     aft_error *err)
{
    cJSON *tree = NULL;
    char *vtext = NULL;
    aft_edit_prep p = {0};
    int rc = -1;
    if (aft_edit_check_index(ds, i, err) < 0 || aft_edit_check_key(key, err) < 0 ||
        !(tree = aft_ds_parse_record(ds, i, err)))
        goto out;
    if (!replaying && !(vtext = cJSON_PrintUnformatted(v))) {
        aft_error_set(err, "out of memory");
        goto out;
    }
    uint64_t old_h = 0;
    int old_has = aft_edit_id_hash_of(tree, &old_h);
    cJSON_bool put = cJSON_GetObjectItemCaseSensitive(tree, key)
                         ? cJSON_ReplaceItemInObjectCaseSensitive(tree, key, v)
                         : cJSON_AddItemToObject(tree, key, v);
    if (!put) {
        aft_error_set(err, "out of memory");
        goto out;
    }
    v = NULL; /* the tree owns it now */
    if (aft_edit_prepare(ds, tree, i, &p, err) < 0)
        goto out;
    if (aft_idset_reserve(&ds->ids, 1) < 0) {
        aft_error_set(err, "out of memory");
        goto out;
    }
    aft_sbuf b = {0};
    aft_sb_index(&b, "set", i);
    aft_sb_str(&b, ",\"key\":");
    aft_sb_json(&b, key);
    aft_sb_str(&b, ",\"value\":");
    aft_sb_str(&b, vtext ? vtext : "null");
    if (aft_edit_journal(ds, &b, replaying, err) < 0)
        goto out;
    aft_edit_commit_replace(ds, i, &p, old_has, old_h);
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
    return aft_edit_set_value(ds, i, key, v, 0, err);
}

int aft_dataset_set_string(aft_dataset *ds, size_t i, const char *key, const char *value,
                           aft_error *err)
{
    if (!value || !aft_utf8_valid(value, strlen(value), NULL))
        return aft_error_set(err, "the value for \"%s\" is not valid UTF-8 text", key ? key : "");
    cJSON *v = cJSON_CreateString(value);
    if (!v)
        return aft_error_set(err, "out of memory");
    return aft_edit_set_value(ds, i, key, v, 0, err);
}

int aft_edit_unset_key(aft_dataset *ds, size_t i, const char *key, int replaying, aft_error *err)
{
    if (aft_edit_check_index(ds, i, err) < 0 || aft_edit_check_key(key, err) < 0)
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
    int old_has = aft_edit_id_hash_of(tree, &old_h);
    cJSON_DeleteItemFromObjectCaseSensitive(tree, key);
    aft_edit_prep p;
    int rc = aft_edit_prepare(ds, tree, i, &p, err);
    cJSON_Delete(tree);
    if (rc == 0) {
        aft_sbuf b = {0};
        aft_sb_index(&b, "unset", i);
        aft_sb_str(&b, ",\"key\":");
        aft_sb_json(&b, key);
        rc = aft_edit_journal(ds, &b, replaying, err);
    }
    if (rc < 0) {
        cJSON_free(p.rec.text);
        return -1;
    }
    aft_edit_commit_replace(ds, i, &p, old_has, old_h);
    return 0;
}

int aft_dataset_unset(aft_dataset *ds, size_t i, const char *key, aft_error *err)
{
    return aft_edit_unset_key(ds, i, key, 0, err);
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
        aft_edit_id_hash_of(tree, &old_h);
        cJSON *v = cJSON_CreateString(value);
        cJSON_bool put = v && (cur ? cJSON_ReplaceItemInObjectCaseSensitive(tree, key, v)
                                   : cJSON_AddItemToObject(tree, key, v));
        aft_edit_prep p = {0};
        if (!put) {
            cJSON_Delete(v);
            rc = aft_error_set(err, "out of memory");
        } else if ((rc = aft_edit_prepare(ds, tree, i, &p, err)) == 0) {
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

static void bulk_journal_line(aft_sbuf *b, const char *key, const char *const *values, size_t n)
{
    aft_sb_str(b, "{\"op\":\"set_strings\",\"key\":");
    aft_sb_json(b, key);
    aft_sb_str(b, ",\"values\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            aft_sb_put(b, ",", 1);
        if (values[i])
            aft_sb_json(b, values[i]);
        else
            aft_sb_put(b, "null", 4);
    }
    aft_sb_put(b, "]", 1);
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

int aft_edit_set_strings(aft_dataset *ds, const char *key, const char *const *values,
                       int replaying, aft_error *err)
{
    if (aft_edit_check_key(key, err) < 0)
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
        aft_sbuf jl = {0};
        if (!replaying)
            bulk_journal_line(&jl, key, values, n);
        rc = aft_edit_journal(ds, &jl, replaying, err);
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
    return aft_edit_set_strings(ds, key, values, 0, err);
}
