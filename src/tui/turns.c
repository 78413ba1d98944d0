/* Dialogue turns (see turns.h). The turns stay cJSON objects from the
 * record, so a field the editor does not know ("name", "tool_call_id")
 * survives an edit of the role or the content. */
#include "turns.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

struct turns {
    cJSON *arr;
};

turns *turns_parse(const char *json, aft_error *err)
{
    cJSON *arr = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsArray(arr) || !arr->child) {
        cJSON_Delete(arr);
        aft_error_set(err, "the context is not a list of turns");
        return NULL;
    }
    for (const cJSON *o = arr->child; o; o = o->next)
        if (!cJSON_IsObject(o) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "role")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "content"))) {
            cJSON_Delete(arr);
            aft_error_set(err, "a turn of the context is not a {\"role\",\"content\"} object");
            return NULL;
        }
    turns *t = calloc(1, sizeof *t);
    if (!t) {
        cJSON_Delete(arr);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    t->arr = arr;
    return t;
}

void turns_free(turns *t)
{
    if (!t)
        return;
    cJSON_Delete(t->arr);
    free(t);
}

size_t turns_count(const turns *t)
{
    return t ? (size_t)cJSON_GetArraySize(t->arr) : 0;
}

static cJSON *turn_at(const turns *t, size_t i)
{
    return t && i < turns_count(t) ? cJSON_GetArrayItem(t->arr, (int)i) : NULL;
}

static const char *field(const turns *t, size_t i, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(turn_at(t, i), key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

const char *turns_role(const turns *t, size_t i)
{
    return field(t, i, "role");
}

const char *turns_content(const turns *t, size_t i)
{
    return field(t, i, "content");
}

/* Replaces the string in place, so the key keeps its position in the turn. */
static int set_field(turns *t, size_t i, const char *key, const char *value, aft_error *err)
{
    cJSON *o = turn_at(t, i);
    if (!o)
        return aft_error_set(err, "no turn %zu (the context has %zu)", i + 1, turns_count(t));
    cJSON *v = cJSON_CreateString(value);
    if (!v || !cJSON_ReplaceItemInObjectCaseSensitive(o, key, v)) {
        cJSON_Delete(v);
        return aft_error_set(err, "out of memory");
    }
    return 0;
}

int turns_set_role(turns *t, size_t i, const char *role, aft_error *err)
{
    if (!role || !role[0])
        return aft_error_set(err, "a turn's role cannot be empty");
    return set_field(t, i, "role", role, err);
}

int turns_set_content(turns *t, size_t i, const char *content, aft_error *err)
{
    return set_field(t, i, "content", content ? content : "", err);
}

int turns_insert(turns *t, size_t i, const char *role, const char *content, aft_error *err)
{
    size_t n = turns_count(t);
    if (i > n)
        return aft_error_set(err, "no place %zu for a turn (the context has %zu)", i + 1, n);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "role", role && role[0] ? role : "user") ||
        !cJSON_AddStringToObject(o, "content", content ? content : "")) {
        cJSON_Delete(o);
        return aft_error_set(err, "out of memory");
    }
    /* Rebuilt by moving the turns over: cJSON_InsertItemInArray of cJSON
     * 1.7.15 refuses items of a parsed array (their prev links differ). */
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        cJSON_Delete(o);
        return aft_error_set(err, "out of memory");
    }
    for (size_t k = 0; k <= n; k++)
        cJSON_AddItemToArray(arr, k == i ? o : cJSON_DetachItemFromArray(t->arr, 0));
    cJSON_Delete(t->arr);
    t->arr = arr;
    return 0;
}

int turns_remove(turns *t, size_t i, aft_error *err)
{
    size_t n = turns_count(t);
    if (i >= n)
        return aft_error_set(err, "no turn %zu (the context has %zu)", i + 1, n);
    if (n == 1)
        return aft_error_set(err, "a dialogue keeps at least one turn");
    cJSON_DeleteItemFromArray(t->arr, (int)i);
    return 0;
}

char *turns_json(const turns *t)
{
    return t ? cJSON_PrintUnformatted(t->arr) : NULL;
}

static const char *const cycle[] = {"user", "assistant", "system", "tool"};
#define N_CYCLE (sizeof cycle / sizeof cycle[0])

const char *turns_next_role(const char *role)
{
    for (size_t i = 0; i < N_CYCLE; i++)
        if (role && !strcmp(role, cycle[i]))
            return cycle[(i + 1) % N_CYCLE];
    return cycle[0];
}

const char *turns_reply_role(const char *role)
{
    return role && !strcmp(role, "user") ? "assistant" : "user";
}
