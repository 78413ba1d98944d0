/* Edits that add or remove records (add, delete, duplicate), and the replay
 * of journaled edits at open. */
#include "dataset_edit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

/* ---- add, delete, duplicate ------------------------------------------------- */

static int add_tree(aft_dataset *ds, cJSON *tree, int replaying, size_t *index, aft_error *err)
{
    aft_edit_prep p;
    int rc = -1;
    if (!cJSON_IsObject(tree))
        aft_error_set(err, "a record must be a JSON object like "
                      "{\"context\": ..., \"agent_action\": ...}");
    else if (aft_edit_prepare(ds, tree, ds->count, &p, err) == 0) {
        p.rec.eol = ds->default_eol;
        aft_sbuf b = {0};
        aft_sb_str(&b, "{\"op\":\"add\",\"record\":");
        aft_sb_put(&b, p.rec.text, p.rec.len);
        if (aft_edit_reserve_one(ds, err) < 0 || aft_edit_journal(ds, &b, replaying, err) < 0) {
            free(b.p);
            cJSON_free(p.rec.text);
        } else {
            if (index)
                *index = ds->count;
            aft_edit_commit_insert(ds, ds->count, SIZE_MAX, &p);
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
    if (aft_edit_check_index(ds, i, err) < 0)
        return -1;
    cJSON *tree = aft_ds_parse_record(ds, i, err);
    if (!tree)
        return -1;
    uint64_t old_h = 0;
    int old_has = aft_edit_id_hash_of(tree, &old_h);
    cJSON_Delete(tree);
    aft_sbuf b = {0};
    aft_sb_index(&b, "delete", i);
    if (aft_edit_journal(ds, &b, replaying, err) < 0)
        return -1;
    aft_edit_commit_delete(ds, i, old_has, old_h);
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
static int dup_prepare(aft_dataset *ds, size_t i, const char *given_id, char **new_id,
                       aft_edit_prep *p, aft_error *err)
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
            rc = aft_edit_prepare(ds, tree, i, p, err);
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
    if (aft_edit_check_index(ds, i, err) < 0)
        return -1;
    char *new_id = NULL;
    aft_edit_prep p = {0};
    int rc = dup_prepare(ds, i, given_id, &new_id, &p, err);
    if (rc == 0)
        rc = aft_edit_reserve_one(ds, err);
    if (rc == 0) {
        aft_sbuf b = {0};
        aft_sb_index(&b, "dup", i);
        if (new_id) {
            aft_sb_str(&b, ",\"id\":");
            aft_sb_json(&b, new_id);
        }
        rc = aft_edit_journal(ds, &b, replaying, err);
    }
    free(new_id);
    if (rc < 0) {
        cJSON_free(p.rec.text);
        return -1;
    }
    aft_edit_commit_insert(ds, i + 1, i + 1, &p);
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
    int rc = aft_edit_set_strings(ds, key, v, 1, err);
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
        return aft_edit_set_value(ds, i, key, v, 1, err);
    }
    if (!strcmp(kind, "unset"))
        return key ? aft_edit_unset_key(ds, i, key, 1, err)
                   : aft_error_set(err, "the unset has no \"key\"");
    if (!strcmp(kind, "delete"))
        return delete_rec(ds, i, 1, err);
    if (!strcmp(kind, "dup"))
        return dup_rec(ds, i, op_string(op, "id"), 1, NULL, err);
    return aft_error_set(err, "unknown op \"%s\"", kind);
}
