/* trainer_state.json: a run's position and random state, written atomically
 * and read back with every field checked. */
#include "agentft/trainer_state.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

#define STATE_FILE "trainer_state.json"
#define STATE_VERSION 1

static int add_rng(cJSON *obj, const char *key, const aft_rng *r)
{
    char hex[4][17];
    const char *items[4];
    for (int i = 0; i < 4; i++) {
        snprintf(hex[i], sizeof hex[i], "%016" PRIx64, r->s[i]);
        items[i] = hex[i];
    }
    cJSON *arr = cJSON_CreateStringArray(items, 4);
    return arr && cJSON_AddItemToObject(obj, key, arr) ? 0 : -1;
}

int aft_trainer_state_save(const char *dir, const aft_trainer_state *s, aft_error *err)
{
    char path[4096];
    if (aft_path_join(path, sizeof path, dir, STATE_FILE, err) < 0)
        return -1;
    cJSON *o = cJSON_CreateObject();
    cJSON *extra = NULL;
    if (s->extra_json && !(extra = cJSON_Parse(s->extra_json))) {
        cJSON_Delete(o);
        return aft_error_set(err, "%s: the trainer's extra state is not valid JSON", path);
    }
    int ok = o && cJSON_AddNumberToObject(o, "version", STATE_VERSION) &&
             cJSON_AddNumberToObject(o, "step", (double)s->step) &&
             cJSON_AddNumberToObject(o, "epoch", (double)s->epoch) &&
             cJSON_AddNumberToObject(o, "epoch_pos", (double)s->epoch_pos) &&
             add_rng(o, "model_rng", &s->model_rng) == 0 &&
             add_rng(o, "data_rng", &s->data_rng) == 0 &&
             cJSON_AddNumberToObject(o, "best_metric", isfinite(s->best_metric) ? s->best_metric : 0) &&
             cJSON_AddBoolToObject(o, "best_metric_set", isfinite(s->best_metric)) &&
             cJSON_AddNumberToObject(o, "best_step", (double)s->best_step) &&
             cJSON_AddNumberToObject(o, "evals_since_best", (double)s->evals_since_best);
    if (ok && isfinite(s->reject_threshold))
        ok = cJSON_AddNumberToObject(o, "reject_threshold", s->reject_threshold) != NULL;
    if (ok && extra)
        ok = cJSON_AddItemToObject(o, "extra", extra);
    else
        cJSON_Delete(extra);
    char *text = ok ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return aft_error_set(err, "%s: out of memory", path);
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: the file ends with a newline */
    int rc = aft_write_file_atomic(path, text, len + 1, err);
    free(text);
    return rc;
}

/* A whole number in 0..2^53, the range a JSON number holds exactly. */
static int get_count(const cJSON *o, const char *key, const char *path, uint64_t *out,
                     aft_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble != floor(v->valuedouble))
        return aft_error_set(err, "%s: \"%s\" must be a whole number >= 0", path, key);
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static int get_rng(const cJSON *o, const char *key, const char *path, aft_rng *r, aft_error *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 4)
        return aft_error_set(err, "%s: \"%s\" must be an array of 4 hex strings", path, key);
    int any = 0;
    for (int i = 0; i < 4; i++) {
        const cJSON *h = cJSON_GetArrayItem(arr, i);
        char *end;
        if (!cJSON_IsString(h) || strlen(h->valuestring) != 16)
            return aft_error_set(err, "%s: \"%s\"[%d] must be 16 hex digits", path, key, i);
        r->s[i] = strtoull(h->valuestring, &end, 16);
        if (*end)
            return aft_error_set(err, "%s: \"%s\"[%d] must be 16 hex digits", path, key, i);
        any |= r->s[i] != 0;
    }
    /* xoshiro's all-zero state never leaves zero: a sign of a damaged file. */
    if (!any)
        return aft_error_set(err, "%s: \"%s\" is all zero, which is not a valid state", path, key);
    return 0;
}

static int parse_state(const cJSON *o, const char *path, aft_trainer_state *s, aft_error *err)
{
    uint64_t version, evals;
    if (!cJSON_IsObject(o))
        return aft_error_set(err, "%s: not a JSON object", path);
    if (get_count(o, "version", path, &version, err) < 0)
        return -1;
    if (version != STATE_VERSION)
        return aft_error_set(err, "%s: version %" PRIu64 " is not one this agentft reads (%d)",
                             path, version, STATE_VERSION);
    if (get_count(o, "step", path, &s->step, err) < 0 ||
        get_count(o, "epoch", path, &s->epoch, err) < 0 ||
        get_count(o, "epoch_pos", path, &s->epoch_pos, err) < 0 ||
        get_rng(o, "model_rng", path, &s->model_rng, err) < 0 ||
        get_rng(o, "data_rng", path, &s->data_rng, err) < 0 ||
        get_count(o, "best_step", path, &s->best_step, err) < 0 ||
        get_count(o, "evals_since_best", path, &evals, err) < 0)
        return -1;
    if (evals > UINT32_MAX)
        return aft_error_set(err, "%s: \"evals_since_best\" is too large", path);
    s->evals_since_best = (uint32_t)evals;
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(o, "best_metric");
    const cJSON *best_set = cJSON_GetObjectItemCaseSensitive(o, "best_metric_set");
    if (!cJSON_IsNumber(best) || !cJSON_IsBool(best_set))
        return aft_error_set(err, "%s: \"best_metric\" must be a number and \"best_metric_set\" "
                             "true or false", path);
    s->best_metric = cJSON_IsTrue(best_set) ? best->valuedouble : NAN;
    const cJSON *thr = cJSON_GetObjectItemCaseSensitive(o, "reject_threshold");
    if (thr && !cJSON_IsNumber(thr))
        return aft_error_set(err, "%s: \"reject_threshold\" must be a number", path);
    s->reject_threshold = thr ? thr->valuedouble : NAN;
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(o, "extra");
    if (extra && !(s->extra_json = cJSON_PrintUnformatted(extra)))
        return aft_error_set(err, "%s: out of memory", path);
    return 0;
}

int aft_trainer_state_load(const char *dir, aft_trainer_state *s, aft_error *err)
{
    memset(s, 0, sizeof *s);
    char path[4096];
    if (aft_path_join(path, sizeof path, dir, STATE_FILE, err) < 0)
        return -1;
    char *text;
    size_t len;
    if (aft_read_file(path, &text, &len, err) < 0)
        return -1;
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!o) {
        size_t at = end ? (size_t)(end - text) : 0;
        aft_error_set(err, "%s: not valid JSON (near byte %zu)", path, at);
        free(text);
        return -1;
    }
    int rc = parse_state(o, path, s, err);
    cJSON_Delete(o);
    free(text);
    if (rc < 0)
        aft_trainer_state_free(s);
    return rc;
}

void aft_trainer_state_free(aft_trainer_state *s)
{
    free(s->extra_json);
    s->extra_json = NULL;
}
