/* Opening a dataset: reading the JSONL file line by line, checking each line,
 * keeping bad and blank ones for the save, and warning about repeated ids. */
#include "dataset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"
#include "agentft/utf8.h"

/* ---- loading ----------------------------------------------------------------- */

typedef struct aft_idpair {
    uint64_t hash;
    size_t rec;
} aft_idpair;

typedef struct loader {
    aft_dataset *ds;
    aft_diag_list *diags;
    int strict;
    aft_error *err;
    size_t lineno;
    uint32_t last_action; /* files often come sorted by action */
    aft_idpair *ids;      /* string ids seen, indexed after the last line */
    size_t nids, ids_cap;
} loader;

static int push_kept(aft_dataset *ds, size_t off, size_t len, uint8_t eol)
{
    if (ds->nkept == ds->kept_cap) {
        size_t ncap = ds->kept_cap ? ds->kept_cap * 2 : 16;
        aft_kept *n = ncap <= SIZE_MAX / sizeof *n ? realloc(ds->kept, ncap * sizeof *n) : NULL;
        if (!n)
            return -1;
        ds->kept = n;
        ds->kept_cap = ncap;
    }
    ds->kept[ds->nkept++] = (aft_kept){ds->count, off, len, eol};
    return 0;
}

static int push_rec(aft_dataset *ds, const aft_rec *r)
{
    if (ds->count == ds->cap) {
        size_t ncap = ds->cap ? ds->cap * 2 : 1024;
        if (ncap > SIZE_MAX / sizeof *ds->recs)
            return -1;
        aft_rec *n = realloc(ds->recs, ncap * sizeof *n);
        if (!n)
            return -1;
        ds->recs = n;
        ds->cap = ncap;
    }
    ds->recs[ds->count++] = *r;
    return 0;
}

static int oom(loader *L)
{
    return aft_error_set(L->err, "%s: out of memory while loading", L->ds->path);
}

/* Lists a problem with the current line; a bad line is kept, and is fatal
 * when strict. `at` is a byte offset into the line, turned into characters. */
static int report(loader *L, aft_diag_level level, const char *line, size_t at,
                  const char *msg)
{
    size_t col = aft_utf8_count(line, at) + 1;
    if (aft_diag_add(L->diags, level, L->lineno, col, "%s", msg) < 0)
        return oom(L);
    if (level == AFT_DIAG_ERROR && L->strict) {
        aft_error_set(L->err, "%s:%zu:%zu: %s", L->ds->path, L->lineno, col, msg);
        return -1;
    }
    return 0;
}

static int bad_line(loader *L, const char *line, size_t at, const char *msg,
                    size_t off, size_t len, uint8_t eol)
{
    if (report(L, AFT_DIAG_ERROR, line, at, msg) < 0)
        return -1;
    L->ds->bad++;
    return push_kept(L->ds, off, len, eol) < 0 ? oom(L) : 0;
}

/* True when the line stops inside a string or an open object or array:
 * then "the line ends too early" says more than the parser's position. */
static int ends_open(const char *s, size_t n)
{
    size_t depth = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return in_str || depth > 0;
}

static void json_error(const char *line, size_t len, size_t at, char *msg, size_t size)
{
    if (at >= len || ends_open(line, len)) {
        snprintf(msg, size, "invalid JSON: the line ends before the object is complete "
                 "(each record must be one whole object on one line)");
        return;
    }
    uint32_t cp = 0;
    size_t n = aft_utf8_decode(line + at, len - at, &cp);
    if (cp < 0x20 || cp == 0x7f)
        snprintf(msg, size, "invalid JSON at control character U+%04X: expected one complete "
                 "JSON object on the line", (unsigned)cp);
    else
        snprintf(msg, size, "invalid JSON at '%.*s': expected one complete JSON object on the line",
                 (int)(n ? n : 1), line + at);
}

static int push_id(loader *L, const char *id)
{
    if (L->nids == L->ids_cap) {
        size_t ncap = L->ids_cap ? L->ids_cap * 2 : 1024;
        aft_idpair *n = ncap <= SIZE_MAX / sizeof *n ? realloc(L->ids, ncap * sizeof *n) : NULL;
        if (!n)
            return oom(L);
        L->ids = n;
        L->ids_cap = ncap;
    }
    L->ids[L->nids++] = (aft_idpair){aft_id_hash(id), L->ds->count};
    return 0;
}

static int good_line(loader *L, cJSON *tree, const char *line, size_t off, size_t len,
                     uint8_t eol)
{
    aft_info info;
    aft_check pb;
    if (aft_ds_check(tree, &info, &pb) < 0)
        return bad_line(L, line, aft_ds_locate(line, len, &pb), pb.msg, off, len, eol);
    aft_rec r = {.off = off, .len = (uint32_t)len, .eol = eol};
    uint32_t action = L->last_action;
    const aft_strtab *t = &L->ds->actions;
    if ((action >= t->count || strcmp(t->names[action], info.action)) &&
        aft_strtab_intern(&L->ds->actions, info.action, &action) < 0)
        return oom(L);
    L->last_action = action;
    aft_ds_set_facts(&r, &info, action);
    if (info.id && push_id(L, info.id) < 0)
        return -1;
    return push_rec(L->ds, &r) < 0 ? oom(L) : 0;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return 0;
    return 1;
}

static int load_line(loader *L, size_t off, size_t len, uint8_t eol)
{
    const char *line = L->ds->buf + off;
    char msg[160];
    if (len > AFT_MAX_LINE_BYTES) {
        snprintf(msg, sizeof msg, "line is %zu bytes, over the %zu MiB limit; it is kept as it is",
                 len, AFT_MAX_LINE_BYTES >> 20);
        return bad_line(L, line, 0, msg, off, len, eol);
    }
    if (is_blank(line, len)) {
        if (report(L, AFT_DIAG_WARNING, line, 0, "blank line (kept on save)") < 0)
            return -1;
        return push_kept(L->ds, off, len, eol) < 0 ? oom(L) : 0;
    }
    size_t bad_at;
    if (!aft_utf8_valid(line, len, &bad_at)) {
        snprintf(msg, sizeof msg, "invalid UTF-8 (byte 0x%02X): the file must be UTF-8 text",
                 (unsigned char)line[bad_at]);
        return bad_line(L, line, bad_at, msg, off, len, eol);
    }
    const char *end = NULL;
    cJSON *tree = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    size_t at = end ? (size_t)(end - line) : 0;
    if (!tree) {
        json_error(line, len, at, msg, sizeof msg);
        return bad_line(L, line, at, msg, off, len, eol);
    }
    while (at < len && (unsigned char)line[at] <= 32)
        at++;
    int rc;
    if (at < len)
        rc = bad_line(L, line, at, "unexpected text after the JSON object: put one object on each line",
                      off, len, eol);
    else if (!cJSON_IsObject(tree))
        rc = bad_line(L, line, 0, "not a JSON object: each line must be one object like "
                      "{\"context\": ..., \"agent_action\": ...}", off, len, eol);
    else
        rc = good_line(L, tree, line, off, len, eol);
    cJSON_Delete(tree);
    return rc;
}

/* ---- ids: indexed once every line is read ------------------------------ */

/* Stable radix sort on the top 16 bits of the hashes: the order the id
 * table's slots are in, so filling it touches memory nearly in sequence. */
static int sort_ids(aft_idpair *v, size_t n)
{
    aft_idpair *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return -1;
    aft_idpair *src = v, *dst = tmp;
    for (unsigned shift = 48; shift < 64; shift += 8) {
        size_t at[257] = {0};
        for (size_t i = 0; i < n; i++)
            at[((src[i].hash >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            at[b + 1] += at[b];
        for (size_t i = 0; i < n; i++)
            dst[at[(src[i].hash >> shift) & 0xff]++] = src[i];
        aft_idpair *t = src;
        src = dst;
        dst = t;
    }
    free(tmp); /* an even number of passes: the result is back in v */
    return 0;
}

static int cmp_rec(const void *a, const void *b)
{
    size_t x = ((const aft_idpair *)a)->rec, y = ((const aft_idpair *)b)->rec;
    return x < y ? -1 : x > y;
}

/* Warns about record rec repeating record first's id (hash match verified). */
static int warn_dup(loader *L, size_t rec, size_t first, aft_diag_list *out)
{
    cJSON *a = aft_ds_parse_record(L->ds, rec, NULL);
    cJSON *b = aft_ds_parse_record(L->ds, first, NULL);
    const cJSON *ia = cJSON_GetObjectItemCaseSensitive(a, "id");
    const cJSON *ib = cJSON_GetObjectItemCaseSensitive(b, "id");
    int rc = 0;
    if (cJSON_IsString(ia) && cJSON_IsString(ib) && !strcmp(ia->valuestring, ib->valuestring)) {
        size_t len = 0;
        const char *line = aft_dataset_line(L->ds, rec, &len);
        aft_check pb = {.key = "id", .elem = -1};
        size_t col = aft_utf8_count(line, aft_ds_locate(line, len, &pb)) + 1;
        rc = aft_diag_add(out, AFT_DIAG_WARNING, aft_ds_line_of(L->ds, rec), col,
                          "duplicate id \"%.200s\" (also on line %zu); ids should be unique",
                          ia->valuestring, aft_ds_line_of(L->ds, first));
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return rc < 0 ? oom(L) : 0;
}

/* Moves extra's items into d, keeping d's items from `from` on in line order. */
static int merge_diags(aft_diag_list *d, size_t from, aft_diag_list *extra)
{
    size_t total = d->count + extra->count;
    aft_diag *m = malloc(total * sizeof *m);
    if (!m)
        return -1;
    if (from)
        memcpy(m, d->items, from * sizeof *m);
    size_t i = from, j = 0, o = from;
    while (i < d->count || j < extra->count) {
        if (j == extra->count || (i < d->count && d->items[i].line <= extra->items[j].line))
            m[o++] = d->items[i++];
        else
            m[o++] = extra->items[j++];
    }
    free(d->items);
    d->items = m;
    d->count = d->cap = total;
    d->errors += extra->errors;
    d->warnings += extra->warnings;
    free(extra->items);
    memset(extra, 0, sizeof *extra);
    return 0;
}

static int index_ids(loader *L, size_t diag_from)
{
    aft_dataset *ds = L->ds;
    if (L->nids == 0)
        return 0;
    if (sort_ids(L->ids, L->nids) < 0 || aft_idset_reserve(&ds->ids, L->nids) < 0)
        return oom(L);
    size_t ndup = 0; /* repeats are moved to the front of L->ids as (first, rec) */
    for (size_t k = 0; k < L->nids; k++) {
        size_t first;
        if (aft_idset_add(&ds->ids, L->ids[k].hash, L->ids[k].rec, &first) > 0)
            L->ids[ndup++] = (aft_idpair){first, L->ids[k].rec};
    }
    qsort(L->ids, ndup, sizeof *L->ids, cmp_rec);
    aft_diag_list extra;
    aft_diag_list_init(&extra);
    int rc = 0;
    for (size_t k = 0; k < ndup && rc == 0; k++)
        rc = warn_dup(L, L->ids[k].rec, (size_t)L->ids[k].hash, &extra);
    if (rc == 0 && extra.count && merge_diags(L->diags, diag_from, &extra) < 0)
        rc = oom(L);
    aft_diag_list_free(&extra);
    return rc;
}

static int read_lines(loader *L)
{
    aft_dataset *ds = L->ds;
    size_t pos = 0;
    if (ds->len >= 3 && !memcmp(ds->buf, "\xEF\xBB\xBF", 3)) {
        ds->has_bom = 1;
        pos = 3;
        if (aft_diag_add(L->diags, AFT_DIAG_WARNING, 1, 1,
                         "UTF-8 byte order mark at the start (kept on save; "
                         "many JSON Lines readers expect none)") < 0)
            return oom(L);
    }
    ds->default_eol = AFT_EOL_LF;
    while (pos < ds->len) {
        L->lineno++;
        const char *nl = memchr(ds->buf + pos, '\n', ds->len - pos);
        size_t end = nl ? (size_t)(nl - ds->buf) : ds->len;
        uint8_t eol = nl ? AFT_EOL_LF : AFT_EOL_NONE;
        if (nl && end > pos && ds->buf[end - 1] == '\r')
            eol = AFT_EOL_CRLF;
        if (L->lineno == 1 && eol != AFT_EOL_NONE)
            ds->default_eol = eol;
        if (load_line(L, pos, end - pos - (eol == AFT_EOL_CRLF), eol) < 0)
            return -1;
        pos = nl ? end + 1 : ds->len;
    }
    return 0;
}

static int load_all(aft_dataset *ds, int strict, aft_diag_list *diags, aft_error *err)
{
    loader L = {ds, diags, strict, err, 0, UINT32_MAX, NULL, 0, 0};
    size_t diag_from = diags->count;
    int rc = read_lines(&L);
    if (rc == 0)
        rc = index_ids(&L, diag_from);
    free(L.ids);
    if (rc < 0 || ds->count > 0 || ds->bad > 0)
        return rc;
    const char *msg = L.lineno ? "no records: the file has only blank lines"
                               : "empty file: no records";
    if (aft_diag_add(diags, AFT_DIAG_ERROR, 1, 1, "%s", msg) < 0)
        return oom(&L);
    if (strict)
        return aft_error_set(err, "%s:1:1: %s", ds->path, msg);
    return 0;
}

aft_dataset *aft_dataset_open(const char *path, const aft_load_opts *opts,
                              aft_diag_list *diags, aft_error *err)
{
    aft_diag_list local;
    aft_diag_list_init(&local);
    aft_diag_list *d = diags ? diags : &local;
    aft_dataset *ds = calloc(1, sizeof *ds);
    char *dpath = strdup(path);
    if (!ds || !dpath) {
        free(ds);
        free(dpath);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    free(d->path);
    d->path = dpath;
    ds->jfd = -1;
    ds->path = strdup(path);
    ds->journal_path = aft_dataset_journal_path(path);
    int rc = -1;
    if (!ds->path || !ds->journal_path)
        aft_error_set(err, "out of memory");
    else if (aft_read_file(path, &ds->buf, &ds->len, err) == 0) {
        ds->base_size = ds->len; /* its hash waits until a journal needs it */
        rc = load_all(ds, opts && opts->strict, d, err);
        if (rc == 0)
            rc = aft_journal_recover(ds, d, err);
    }
    aft_diag_list_free(&local);
    if (rc < 0) {
        aft_dataset_free(ds);
        return NULL;
    }
    return ds;
}
