/* Reading a report for the Report pane (see report_view.h): the file, its
 * JSON (its shape is checked in report_shape.c), the confusion matrix, and
 * the way back from a listed example to a record of the workbench's dataset. */
#include "report_view.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/fileio.h"
#include "agentft/report.h"

/* A report is a few hundred KiB; anything far bigger is not one. */
#define RV_MAX_BYTES ((off_t)64 << 20)

void rv_init(report_view *v)
{
    memset(v, 0, sizeof *v);
}

void rv_free(report_view *v)
{
    for (int i = 0; i < RS_COUNT; i++)
        rv_lines_free(&v->sec[i]);
    free(v->names);
    free(v->cm);
    cJSON_Delete(v->root);
    rv_sort sort = v->sort;
    int reverse = v->reverse;
    rv_init(v);
    v->sort = sort;
    v->reverse = reverse;
}

/* ---- the confusion matrix ---------------------------------------------------- */

static int load_confusion(report_view *v, const char *name)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v->root, "task"), "confusion");
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(c, "actions");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "matrix");
    if (!cJSON_IsArray(acts) || !cJSON_IsArray(m))
        return 0;
    size_t k = (size_t)cJSON_GetArraySize(acts);
    if ((size_t)cJSON_GetArraySize(m) != k) {
        snprintf(v->error, sizeof v->error, "%s: task.confusion.matrix has %d rows for %zu actions",
                 name, cJSON_GetArraySize(m), k);
        return -1;
    }
    v->names = calloc(k ? k : 1, sizeof *v->names);
    v->cm = calloc(k ? k * k : 1, sizeof *v->cm);
    if (!v->names || !v->cm) {
        snprintf(v->error, sizeof v->error, "%s: out of memory for a %zu-action matrix", name, k);
        return -1;
    }
    size_t i = 0;
    for (const cJSON *a = acts->child; a; a = a->next)
        v->names[i++] = a->valuestring;
    i = 0;
    for (const cJSON *row = m->child; row; row = row->next, i++) {
        if ((size_t)cJSON_GetArraySize(row) != k) {
            snprintf(v->error, sizeof v->error,
                     "%s: task.confusion.matrix[%zu] has %d counts for %zu actions", name, i,
                     cJSON_GetArraySize(row), k);
            return -1;
        }
        size_t j = 0;
        for (const cJSON *x = row->child; x; x = x->next, j++) {
            double d = cJSON_IsNumber(x) ? x->valuedouble : 0;
            if (!(d >= 0 && d < 1e15)) {
                snprintf(v->error, sizeof v->error,
                         "%s: task.confusion.matrix[%zu][%zu] is %g, expected a count", name, i,
                         j, d);
                return -1;
            }
            v->cm[i * k + j] = (long)d;
            if (i != j && v->cm[i * k + j] > v->cm_max_off)
                v->cm_max_off = v->cm[i * k + j];
        }
    }
    v->k = k;
    return 0;
}

/* ---- loading ------------------------------------------------------------------ */

static void where_in_text(const char *text, const char *at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)*p & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

int rv_load_text(report_view *v, const char *text, size_t len, const char *name)
{
    rv_free(v);
    const char *end = NULL;
    v->root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!v->root) {
        size_t line, col;
        where_in_text(text, end ? end : text + len, &line, &col);
        if (len == 0)
            snprintf(v->error, sizeof v->error, "%s is empty", name);
        else
            snprintf(v->error, sizeof v->error,
                     "%s: not valid JSON at line %zu, column %zu (a partial or damaged file?)",
                     name, line, col);
        return -1;
    }
    if (!cJSON_IsObject(v->root)) {
        snprintf(v->error, sizeof v->error, "%s: the report is %s, expected an object", name,
                 rv_type_name(v->root));
        goto fail;
    }
    if (rv_check_shape(v->root, RV_NONE, name, v->error, sizeof v->error) < 0)
        goto fail;
    double ver = rv_num(v->root, "version");
    if (ver > AFT_REPORT_VERSION) {
        snprintf(v->error, sizeof v->error,
                 "%s: report version %g is newer than this agentft reads (%d)", name, ver,
                 AFT_REPORT_VERSION);
        goto fail;
    }
    const char *kind = rv_str(v->root, "kind");
    if (!kind || !strcmp(kind, "report")) {
        v->kind = RV_REPORT;
        if (rv_check_shape(v->root, RV_REPORT, name, v->error, sizeof v->error) < 0 ||
            load_confusion(v, name) < 0)
            goto fail;
        rv_build_report(v);
    } else if (!strcmp(kind, "compare")) {
        v->kind = RV_COMPARE;
        if (rv_check_shape(v->root, RV_COMPARE, name, v->error, sizeof v->error) < 0)
            goto fail;
        rv_build_compare(v);
    } else {
        snprintf(v->error, sizeof v->error,
                 "%s: unknown kind \"%.60s\" (expected \"report\" or \"compare\")", name, kind);
        goto fail;
    }
    return 0;
fail:;
    char keep[sizeof v->error];
    memcpy(keep, v->error, sizeof keep);
    rv_free(v);
    memcpy(v->error, keep, sizeof keep);
    return -1;
}

int rv_load_file(report_view *v, const char *path, const char *name)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        int e = errno;
        rv_free(v);
        if (e == ENOENT)
            return 1;
        snprintf(v->error, sizeof v->error, "%s: %s", name, strerror(e));
        return -1;
    }
    if (st.st_size > RV_MAX_BYTES) {
        rv_free(v);
        snprintf(v->error, sizeof v->error, "%s: %lld bytes is too big for a report", name,
                 (long long)st.st_size);
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    aft_error err = {0};
    if (aft_read_file(path, &text, &len, &err) < 0) {
        rv_free(v);
        snprintf(v->error, sizeof v->error, "%.*s", (int)sizeof v->error - 1, err.msg);
        return -1;
    }
    int rc = rv_load_text(v, text, len, name);
    free(text);
    return rc;
}

/* ---- picks --------------------------------------------------------------------- */

long rv_cell(const report_view *v, size_t gold, size_t pred)
{
    return gold < v->k && pred < v->k ? v->cm[gold * v->k + pred] : 0;
}

size_t rv_top_confused(const report_view *v, size_t n, size_t *idx)
{
    size_t k = v->k;
    long *score = calloc(k ? k : 1, sizeof *score);
    if (!score)
        return 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            if (i != j) {
                score[i] += v->cm[i * k + j];
                score[j] += v->cm[i * k + j];
            }
    if (n > k)
        n = k;
    /* A selection: n is a screenful, k at most a few hundred. */
    unsigned char *taken = calloc(k ? k : 1, 1);
    size_t got = 0;
    for (; taken && got < n; got++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < k; i++)
            if (!taken[i] && (best == SIZE_MAX || score[i] > score[best]))
                best = i;
        taken[best] = 1;
        idx[got] = best;
    }
    free(taken);
    free(score);
    return got;
}

const char *rv_data_file(const report_view *v)
{
    const char *d = rv_str(v->root, "data");
    if (d && d[0])
        return d;
    /* "test split of PATH", as the engine describes what it evaluated */
    const char *src = rv_str(v->root, "source");
    const char *of = src ? strstr(src, " of ") : NULL;
    return of && of[4] ? of + 4 : NULL;
}

int rv_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return -1;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* 1: record rec is the example (same id, or same context when it has no
 * id), 0: it is not, -1: the example says nothing to compare. */
static int same_record(const aft_dataset *ds, size_t rec, const cJSON *ex)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ex, "id");
    const char *ctx = rv_str(ex, "context");
    if (!ctx)
        ctx = rv_str(ex, "original");
    char *have = NULL;
    int rc = -1;
    if (cJSON_IsString(id)) {
        have = aft_dataset_get_string(ds, rec, "id");
        rc = have && !strcmp(have, id->valuestring);
    } else if (cJSON_IsNumber(id)) {
        have = aft_dataset_get_json(ds, rec, "id");
        rc = have && strtod(have, NULL) == id->valuedouble;
    } else if (ctx) {
        have = aft_dataset_get_string(ds, rec, "context");
        rc = have && !strcmp(have, ctx);
    }
    free(have);
    return rc;
}

size_t rv_find_record(const aft_dataset *ds, const cJSON *example, int trust_index)
{
    if (!ds || !cJSON_IsObject(example))
        return SIZE_MAX;
    size_t count = aft_dataset_count(ds);
    double r = rv_num(example, "record");
    if (r >= 0 && r < (double)count) {
        int same = same_record(ds, (size_t)r, example);
        if (same == 1 || (same < 0 && trust_index))
            return (size_t)r;
        if (same < 0)
            return SIZE_MAX;
    }
    /* The dataset was edited since the evaluation: look the example up. */
    for (size_t i = 0; i < count; i++)
        if (same_record(ds, i, example) == 1)
            return i;
    return SIZE_MAX;
}
