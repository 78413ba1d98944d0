/* The control protocol: parsing a request line into an aft_cmd, and writing
 * the one-line JSON reply. No sockets here. */
#include "control_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define CMD_LIST "set, pause, resume, stop, checkpoint, eval, status"

static const struct {
    const char *name;
    aft_cmd_kind kind;
} cmd_names[] = {
    {"set", AFT_CMD_SET},   {"pause", AFT_CMD_PAUSE},           {"resume", AFT_CMD_RESUME},
    {"stop", AFT_CMD_STOP}, {"checkpoint", AFT_CMD_CHECKPOINT}, {"eval", AFT_CMD_EVAL},
    {"status", AFT_CMD_STATUS},
};

/* ---- requests ---------------------------------------------------------- */

/* The shortest text that reads back as the same double (1e-4 -> "0.0001"),
 * and whole numbers without an exponent, so int keys accept them. */
static void number_text(double v, char *buf, size_t size)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int not_json(const char *line, const char *at, aft_error *err)
{
    size_t pos = at && at >= line ? (size_t)(at - line) : 0;
    if (line[pos] == '\0')
        return aft_error_set(err, "not JSON: the line ends early (a request is one JSON object "
                                  "a line, e.g. {\"cmd\":\"status\"})");
    /* Only printable ASCII goes back, so the reply stays valid UTF-8. */
    char near[24];
    size_t n = 0;
    for (const char *p = line + pos; *p && n < 20; p++)
        near[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
    near[n] = '\0';
    return aft_error_set(err, "not JSON: unexpected input at byte %zu near '%s' (a request is one "
                              "JSON object a line, e.g. {\"cmd\":\"status\"})", pos + 1, near);
}

static int parse_set(const cJSON *root, aft_cmd *cmd, aft_error *err)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "key");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    if (!cJSON_IsString(key) || key->valuestring[0] == '\0')
        return aft_error_set(err, "set needs a \"key\" (a string such as \"lr\")");
    if (strlen(key->valuestring) >= sizeof cmd->key)
        return aft_error_set(err, "set: the key \"%.40s...\" is too long (at most %zu bytes)",
                             key->valuestring, sizeof cmd->key - 1);
    snprintf(cmd->key, sizeof cmd->key, "%s", key->valuestring);
    if (!value)
        return aft_error_set(err, "set needs a \"value\" (a number, a string, true or false)");
    if (cJSON_IsBool(value)) {
        snprintf(cmd->value, sizeof cmd->value, "%s", cJSON_IsTrue(value) ? "true" : "false");
    } else if (cJSON_IsNumber(value)) {
        if (!isfinite(value->valuedouble))
            return aft_error_set(err, "set %s: the value is out of range", cmd->key);
        number_text(value->valuedouble, cmd->value, sizeof cmd->value);
    } else if (cJSON_IsString(value)) {
        if (strlen(value->valuestring) >= sizeof cmd->value)
            return aft_error_set(err, "set %s: the value is too long (at most %zu bytes)",
                                 cmd->key, sizeof cmd->value - 1);
        snprintf(cmd->value, sizeof cmd->value, "%s", value->valuestring);
    } else {
        return aft_error_set(err, "set %s: the \"value\" must be a number, a string, true or false",
                             cmd->key);
    }
    return 0;
}

int aft_control_parse(const char *line, aft_cmd *cmd, aft_error *err)
{
    memset(cmd, 0, sizeof *cmd);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(line, &end, 1);
    if (!root)
        return not_json(line, end, err);
    int rc = -1;
    const cJSON *name = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "cmd") : NULL;
    if (!cJSON_IsObject(root)) {
        aft_error_set(err, "a request is a JSON object, e.g. {\"cmd\":\"status\"}");
    } else if (!cJSON_IsString(name)) {
        aft_error_set(err, "the request needs a \"cmd\" string (one of: " CMD_LIST ")");
    } else {
        size_t i = 0, n = sizeof cmd_names / sizeof cmd_names[0];
        while (i < n && strcmp(cmd_names[i].name, name->valuestring) != 0)
            i++;
        if (i == n) {
            aft_error_set(err, "unknown command \"%.40s\" (expected one of: " CMD_LIST ")",
                          name->valuestring);
        } else {
            cmd->kind = cmd_names[i].kind;
            rc = cmd->kind == AFT_CMD_SET ? parse_set(root, cmd, err) : 0;
        }
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- replies ----------------------------------------------------------- */

/* Adds the handler's fields ("\"step\":12,...") to the reply, unless they do
 * not parse: a broken handler must not break the reply's JSON. */
static void add_fields(cJSON *reply, const char *fields)
{
    size_t n = strlen(fields);
    if (n == 0)
        return;
    char *wrapped = malloc(n + 3);
    if (!wrapped)
        return;
    wrapped[0] = '{';
    memcpy(wrapped + 1, fields, n);
    memcpy(wrapped + 1 + n, "}", 2);
    cJSON *extra = cJSON_ParseWithOpts(wrapped, NULL, 1);
    free(wrapped);
    if (!extra)
        return;
    while (extra->child) {
        cJSON *item = cJSON_DetachItemViaPointer(extra, extra->child);
        if (strcmp(item->string, "ok") == 0 || cJSON_GetObjectItemCaseSensitive(reply, item->string))
            cJSON_Delete(item);
        else
            cJSON_AddItemToObject(reply, item->string, item);
    }
    cJSON_Delete(extra);
}

/* One reply line, newline included: {"ok":false,"error":ERROR} when error is
 * set, else {"ok":true,FIELDS}. malloc'd; NULL only when out of memory. */
char *ctl_reply_line(const char *error, const char *fields)
{
    cJSON *reply = cJSON_CreateObject();
    if (!reply)
        return NULL;
    cJSON_AddBoolToObject(reply, "ok", error == NULL);
    if (error)
        cJSON_AddStringToObject(reply, "error", error);
    else if (fields)
        add_fields(reply, fields);
    char *text = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    char *out = text ? malloc(strlen(text) + 2) : NULL;
    if (out)
        sprintf(out, "%s\n", text);
    free(text);
    return out;
}
