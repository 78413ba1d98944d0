/* Diagnostics for dataset files: the list of `path:line:column: message`
 * items, and the record rules that produce them, with the column they blame. */
#include "dataset_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

void aft_diag_list_init(aft_diag_list *d)
{
    memset(d, 0, sizeof *d);
}

void aft_diag_list_free(aft_diag_list *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++)
        free(d->items[i].message);
    free(d->items);
    free(d->path);
    memset(d, 0, sizeof *d);
}

void aft_diag_format(const aft_diag_list *d, size_t i, char *buf, size_t size)
{
    if (size == 0)
        return;
    if (i >= d->count) {
        buf[0] = '\0';
        return;
    }
    const aft_diag *it = &d->items[i];
    snprintf(buf, size, "%s:%zu:%zu: %s%s", d->path ? d->path : "", it->line, it->column,
             it->level == AFT_DIAG_WARNING ? "warning: " : "", it->message);
}

int aft_diag_add(aft_diag_list *d, aft_diag_level level, size_t line, size_t column,
                 const char *fmt, ...)
{
    if (d->count == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 16;
        if (ncap > SIZE_MAX / sizeof *d->items)
            return -1;
        aft_diag *n = realloc(d->items, ncap * sizeof *n);
        if (!n)
            return -1;
        d->items = n;
        d->cap = ncap;
    }
    char tmp[AFT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char *msg = strdup(tmp);
    if (!msg)
        return -1;
    d->items[d->count++] = (aft_diag){level, line, column, msg};
    if (level == AFT_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
    return 0;
}

const char *aft_split_name(aft_split s)
{
    switch (s) {
    case AFT_SPLIT_TRAIN: return "train";
    case AFT_SPLIT_VALID: return "valid";
    case AFT_SPLIT_TEST: return "test";
    default: return "";
    }
}

/* ---- describing values in messages ---------------------------------- */

void aft_ds_describe(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v)) {
        /* Quote at most 40 characters, escaping what would confuse a reader. */
        size_t o = 0, chars = 0;
        const unsigned char *s = (const unsigned char *)v->valuestring;
        if (o + 1 < size)
            buf[o++] = '"';
        for (; *s && o + 8 < size; s++) {
            if ((*s & 0xC0) != 0x80 && ++chars > 40)
                break;
            if (*s == '"' || *s == '\\') {
                buf[o++] = '\\';
                buf[o++] = (char)*s;
            } else if (*s < 0x20) {
                o += (size_t)snprintf(buf + o, size - o, "\\u%04x", *s);
            } else {
                buf[o++] = (char)*s;
            }
        }
        snprintf(buf + o, size - o, "%s\"", *s ? "..." : "");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
            snprintf(buf, size, "%lld", (long long)d);
        else
            snprintf(buf, size, "%g", d);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, size, "an array");
    } else {
        snprintf(buf, size, "an object");
    }
}

/* ---- the record rules ------------------------------------------------ */

static int fail(aft_check *pb, const char *key, long elem, const char *subkey,
                const char *fmt, ...) AFT_PRINTF(5, 6);

static int fail(aft_check *pb, const char *key, long elem, const char *subkey,
                const char *fmt, ...)
{
    pb->key = key;
    pb->elem = elem;
    pb->subkey = subkey;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pb->msg, sizeof pb->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Finds a repeated top-level key; small objects pairwise, big ones sorted. */
static const cJSON *duplicate_key(const cJSON *obj)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n <= 24) {
        for (const cJSON *a = obj->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0)
                    return b;
        return NULL;
    }
    const cJSON **v = malloc(n * sizeof *v);
    if (!v)
        return NULL; /* no memory to look: the line is still usable */
    size_t k = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        v[k++] = c;
    qsort(v, n, sizeof *v, cmp_names);
    const cJSON *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (strcmp(v[i - 1]->string, v[i]->string) == 0)
            dup = v[i];
    free(v);
    return dup;
}

static void add_text(aft_info *info, const char *s)
{
    size_t len = strlen(s);
    info->chars += (uint32_t)aft_utf8_count(s, len);
    info->words += (uint32_t)aft_utf8_word_count(s, len);
}

static int check_turn(const cJSON *t, long k, aft_info *info, aft_check *pb)
{
    char got[96];
    if (!cJSON_IsObject(t)) {
        aft_ds_describe(t, got, sizeof got);
        return fail(pb, "context", k, NULL,
                    "\"context\"[%ld] must be an object with string \"role\" and \"content\", got %s",
                    k, got);
    }
    static const char *const need[] = {"role", "content"};
    for (int j = 0; j < 2; j++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, need[j]);
        if (!v)
            return fail(pb, "context", k, NULL, "\"context\"[%ld] is missing \"%s\" (a string)",
                        k, need[j]);
        if (!cJSON_IsString(v)) {
            aft_ds_describe(v, got, sizeof got);
            return fail(pb, "context", k, need[j], "\"context\"[%ld].%s must be a string, got %s",
                        k, need[j], got);
        }
    }
    add_text(info, cJSON_GetObjectItemCaseSensitive(t, "content")->valuestring);
    return 0;
}

static int check_context(const cJSON *v, aft_info *info, aft_check *pb)
{
    if (cJSON_IsString(v)) {
        add_text(info, v->valuestring);
        info->turns = 1;
        return 0;
    }
    if (cJSON_IsArray(v) && v->child) {
        long k = 0;
        for (const cJSON *t = v->child; t; t = t->next, k++)
            if (check_turn(t, k, info, pb) < 0)
                return -1;
        info->turns = (uint32_t)k;
        return 0;
    }
    if (cJSON_IsArray(v))
        return fail(pb, "context", -1, NULL,
                    "\"context\" is an empty array: give at least one {\"role\",\"content\"} turn");
    char got[96];
    aft_ds_describe(v, got, sizeof got);
    return fail(pb, "context", -1, NULL,
                "\"context\" must be a string or a non-empty array of {\"role\",\"content\"} turns, got %s",
                got);
}

/* A type error for key k: "<k> must be <what>, got <value>". */
static int wrong(aft_check *pb, const char *k, long elem, const cJSON *v, const char *what)
{
    char got[96];
    aft_ds_describe(v, got, sizeof got);
    if (elem >= 0)
        return fail(pb, k, elem, NULL, "\"%s\"[%ld] must be %s, got %s", k, elem, what, got);
    return fail(pb, k, -1, NULL, "\"%s\" must be %s, got %s", k, what, got);
}

enum { K_OTHER, K_CONTEXT, K_ACTION, K_STRING, K_COMPLEXITY, K_SPLIT, K_TAGS };

/* The rule a top-level key falls under; one strcmp per key on the load path. */
static int key_kind(const char *k)
{
    switch (k[0]) {
    case 'c':
        return !strcmp(k, "context") ? K_CONTEXT : !strcmp(k, "complexity") ? K_COMPLEXITY : K_OTHER;
    case 'a': return !strcmp(k, "agent_action") ? K_ACTION : K_OTHER;
    case 'e': return !strcmp(k, "expected_response") ? K_STRING : K_OTHER;
    case 'r': return !strcmp(k, "reasoning") ? K_STRING : K_OTHER;
    case 'i': return !strcmp(k, "id") ? K_STRING : K_OTHER;
    case 's': return !strcmp(k, "split") ? K_SPLIT : K_OTHER;
    case 't': return !strcmp(k, "tags") ? K_TAGS : K_OTHER;
    default: return K_OTHER;
    }
}

static int check_complexity(const cJSON *v, aft_info *info, aft_check *pb)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    if (d < 1 || d > AFT_MAX_COMPLEXITY || d != (double)(int)d) {
        char what[40];
        snprintf(what, sizeof what, "an integer 1..%d", AFT_MAX_COMPLEXITY);
        return wrong(pb, v->string, -1, v, what);
    }
    info->complexity = (uint8_t)d;
    return 0;
}

static int check_split(const cJSON *v, aft_info *info, aft_check *pb)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    info->split = !strcmp(s, "train") ? AFT_SPLIT_TRAIN
                  : !strcmp(s, "valid") ? AFT_SPLIT_VALID
                  : !strcmp(s, "test") ? AFT_SPLIT_TEST : AFT_SPLIT_NONE;
    if (info->split == AFT_SPLIT_NONE)
        return wrong(pb, v->string, -1, v, "\"train\", \"valid\" or \"test\"");
    return 0;
}

static int check_tags(const cJSON *v, aft_check *pb)
{
    if (!cJSON_IsArray(v))
        return wrong(pb, v->string, -1, v, "an array of strings");
    long j = 0;
    for (const cJSON *t = v->child; t; t = t->next, j++)
        if (!cJSON_IsString(t))
            return wrong(pb, v->string, j, t, "a string");
    return 0;
}

static int check_optional(const cJSON *v, int kind, aft_info *info, aft_check *pb)
{
    if (cJSON_IsNull(v))
        return 0; /* null is how many exporters write "absent" */
    switch (kind) {
    case K_STRING:
        if (!cJSON_IsString(v))
            return wrong(pb, v->string, -1, v, "a string");
        if (v->string[0] == 'i')
            info->id = v->valuestring;
        return 0;
    case K_COMPLEXITY: return check_complexity(v, info, pb);
    case K_SPLIT: return check_split(v, info, pb);
    case K_TAGS: return check_tags(v, pb);
    default: return 0; /* unknown fields are the user's business */
    }
}

int aft_ds_check(const cJSON *obj, aft_info *info, aft_check *pb)
{
    memset(info, 0, sizeof *info);
    memset(pb, 0, sizeof *pb);
    pb->elem = -1;
    const cJSON *dup = duplicate_key(obj);
    if (dup) {
        pb->dup = 1;
        return fail(pb, dup->string, -1, NULL,
                    "duplicate key \"%s\": each key may appear once in a record", dup->string);
    }
    const cJSON *ctx = NULL, *act = NULL;
    for (const cJSON *c = obj->child; c; c = c->next) {
        int kind = key_kind(c->string);
        if (kind == K_CONTEXT)
            ctx = c;
        else if (kind == K_ACTION)
            act = c;
    }
    if (!ctx)
        return fail(pb, NULL, -1, NULL,
                    "missing \"context\": every record needs \"context\" and \"agent_action\"");
    if (!act)
        return fail(pb, NULL, -1, NULL,
                    "missing \"agent_action\": every record needs \"context\" and \"agent_action\"");
    if (check_context(ctx, info, pb) < 0)
        return -1;
    if (!cJSON_IsString(act) || !act->valuestring[0])
        return wrong(pb, "agent_action", -1, act, "a non-empty string");
    info->action = act->valuestring;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c != ctx && c != act && check_optional(c, key_kind(c->string), info, pb) < 0)
            return -1;
    return 0;
}

/* ---- finding the blamed value in the raw line ------------------------ */
/* The line has already parsed, so these scanners can trust its syntax. */

#define NOT_FOUND ((size_t)-1)

static size_t skip_ws(const char *s, size_t n, size_t p)
{
    while (p < n && (unsigned char)s[p] <= 32)
        p++;
    return p;
}

static size_t skip_string(const char *s, size_t n, size_t p)
{
    for (p++; p < n && s[p] != '"'; p++)
        if (s[p] == '\\')
            p++;
    return p < n ? p + 1 : n;
}

static size_t skip_value(const char *s, size_t n, size_t p)
{
    if (p >= n)
        return n;
    if (s[p] == '"')
        return skip_string(s, n, p);
    if (s[p] == '{' || s[p] == '[') {
        size_t depth = 0;
        while (p < n) {
            char c = s[p];
            if (c == '"') {
                p = skip_string(s, n, p);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return n;
    }
    while (p < n && s[p] != ',' && s[p] != '}' && s[p] != ']' && (unsigned char)s[p] > 32)
        p++;
    return p;
}

/* The nth (1-based) member named key of the object at obj: its value's
 * offset, and its key's in *key_at. Escaped key spellings are not matched. */
static size_t find_member(const char *s, size_t n, size_t obj, const char *key, int nth,
                          size_t *key_at)
{
    size_t klen = strlen(key), p = skip_ws(s, n, obj + 1);
    int seen = 0;
    while (p < n && s[p] == '"') {
        size_t kstart = p, kend = skip_string(s, n, p);
        int match = kend - kstart == klen + 2 && !memcmp(s + kstart + 1, key, klen);
        p = skip_ws(s, n, kend);
        if (p >= n || s[p] != ':')
            return NOT_FOUND;
        p = skip_ws(s, n, p + 1);
        if (match && ++seen == nth) {
            if (key_at)
                *key_at = kstart;
            return p;
        }
        p = skip_ws(s, n, skip_value(s, n, p));
        if (p >= n || s[p] != ',')
            return NOT_FOUND;
        p = skip_ws(s, n, p + 1);
    }
    return NOT_FOUND;
}

static size_t find_element(const char *s, size_t n, size_t arr, long k)
{
    size_t p = skip_ws(s, n, arr + 1);
    for (long i = 0; p < n && s[p] != ']'; i++) {
        if (i == k)
            return p;
        p = skip_ws(s, n, skip_value(s, n, p));
        if (p >= n || s[p] != ',')
            return NOT_FOUND;
        p = skip_ws(s, n, p + 1);
    }
    return NOT_FOUND;
}

size_t aft_ds_locate(const char *line, size_t len, const aft_check *pb)
{
    size_t at = skip_ws(line, len, 0);
    if (!pb->key || at >= len || line[at] != '{')
        return at < len ? at : 0;
    size_t key_at = at;
    size_t v = find_member(line, len, at, pb->key, pb->dup ? 2 : 1, &key_at);
    if (v == NOT_FOUND)
        return at;
    if (pb->dup)
        return key_at;
    if (pb->elem >= 0 && line[v] == '[') {
        size_t e = find_element(line, len, v, pb->elem);
        if (e == NOT_FOUND)
            return v;
        v = e;
        if (pb->subkey && line[v] == '{') {
            size_t m = find_member(line, len, v, pb->subkey, 1, NULL);
            if (m != NOT_FOUND)
                v = m;
        }
    }
    return v;
}
