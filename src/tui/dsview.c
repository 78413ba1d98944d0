/* Filtering, label counts and ordering of the dataset pane (see dsview.h).
 * The text filter looks at the raw line first and parses only lines that
 * may match, which keeps a search over a million records to a fraction of a
 * second, spread over frames by dsv_step. */
#include "dsview.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static unsigned long str_hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

void dsv_init(dsview *v, const aft_dataset *ds)
{
    memset(v, 0, sizeof *v);
    v->ds = ds;
    v->split = -1;
}

static void clear_labels(dsview *v)
{
    for (size_t i = 0; i < v->n_labels; i++)
        free(v->labels[i].name);
    v->n_labels = 0;
    for (size_t i = 0; i < v->n_slots; i++)
        v->slots[i] = SIZE_MAX;
}

void dsv_free(dsview *v)
{
    clear_labels(v);
    free(v->labels);
    free(v->slots);
    free(v->rows);
    free(v->action);
    free(v->text);
    memset(v, 0, sizeof *v);
}

void dsv_restart(dsview *v)
{
    v->n = 0;
    v->scanned = 0;
    v->done = 0;
    v->failed = 0;
    clear_labels(v);
}

void dsv_set_action(dsview *v, const char *action)
{
    free(v->action);
    v->action = dup_or_null(action);
}

void dsv_set_text(dsview *v, const char *text)
{
    free(v->text);
    v->text = dup_or_null(text);
}

const char *dsv_sort_name(dsv_sort s)
{
    static const char *const names[DSV_SORT_COUNT] = {"file", "action", "complexity", "length",
                                                      "uncertain first"};
    return (unsigned)s < DSV_SORT_COUNT ? names[s] : "?";
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int dsv_contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0)
        return 1;
    if (m > n)
        return 0;
    int first = lower((unsigned char)needle[0]);
    for (size_t i = 0; i + m <= n; i++) {
        if (lower((unsigned char)hay[i]) != first)
            continue;
        size_t j = 1;
        while (j < m && lower((unsigned char)hay[i + j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == m)
            return 1;
    }
    return 0;
}

/* Any string value in the tree (not the keys) contains the needle. */
static int tree_contains(const cJSON *node, const char *needle)
{
    if (cJSON_IsString(node))
        return dsv_contains(node->valuestring, strlen(node->valuestring), needle);
    for (const cJSON *c = node ? node->child : NULL; c; c = c->next)
        if (tree_contains(c, needle))
            return 1;
    return 0;
}

/* Needles that JSON may write differently from the text ("\"", "\\", "/",
 * controls) cannot be judged from the raw line alone. */
static int needle_escapable(const char *needle)
{
    for (const unsigned char *p = (const unsigned char *)needle; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == '\\' || *p == '/')
            return 1;
    return 0;
}

static int text_match(const dsview *v, size_t rec)
{
    size_t len;
    const char *line = aft_dataset_line(v->ds, rec, &len);
    int raw = dsv_contains(line, len, v->text);
    if (!raw && !needle_escapable(v->text) && !dsv_contains(line, len, "\\u"))
        return 0;
    cJSON *tree = cJSON_ParseWithLength(line, len);
    int hit = tree && tree_contains(tree, v->text);
    cJSON_Delete(tree);
    return hit;
}

int dsv_match(const dsview *v, size_t rec)
{
    if (v->action) {
        const char *a = aft_dataset_action(v->ds, rec);
        if (!a || strcmp(a, v->action) != 0)
            return 0;
    }
    if (v->complexity && aft_dataset_complexity(v->ds, rec) != v->complexity)
        return 0;
    if (v->split >= 0 && (int)aft_dataset_split(v->ds, rec) != v->split)
        return 0;
    if (v->wrong && !(v->pred && ps_wrong(v->pred, v->ds, rec)))
        return 0;
    if (v->text && !text_match(v, rec))
        return 0;
    return 1;
}

static int grow_slots(dsview *v)
{
    size_t ns = v->n_slots ? v->n_slots * 2 : 64;
    size_t *s = malloc(ns * sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < ns; i++)
        s[i] = SIZE_MAX;
    for (size_t l = 0; l < v->n_labels; l++) {
        size_t at = v->labels[l].hash & (ns - 1);
        while (s[at] != SIZE_MAX)
            at = (at + 1) & (ns - 1);
        s[at] = l;
    }
    free(v->slots);
    v->slots = s;
    v->n_slots = ns;
    return 0;
}

/* The label of an action, added when new; SIZE_MAX when out of memory. */
static size_t label_of(dsview *v, const char *action)
{
    unsigned long h = str_hash(action);
    if (v->n_slots) {
        for (size_t at = h & (v->n_slots - 1); v->slots[at] != SIZE_MAX;
             at = (at + 1) & (v->n_slots - 1)) {
            dsv_label *l = &v->labels[v->slots[at]];
            if (l->hash == h && strcmp(l->name, action) == 0)
                return v->slots[at];
        }
    }
    if ((v->n_labels + 1) * 2 > v->n_slots && grow_slots(v) < 0)
        return SIZE_MAX;
    if (v->n_labels == v->cap_labels) {
        size_t nc = v->cap_labels ? v->cap_labels * 2 : 32;
        dsv_label *nl = realloc(v->labels, nc * sizeof *nl);
        if (!nl)
            return SIZE_MAX;
        v->labels = nl;
        v->cap_labels = nc;
    }
    char *name = strdup(action);
    if (!name)
        return SIZE_MAX;
    size_t idx = v->n_labels++;
    v->labels[idx] = (dsv_label){.name = name, .hash = h};
    size_t at = h & (v->n_slots - 1);
    while (v->slots[at] != SIZE_MAX)
        at = (at + 1) & (v->n_slots - 1);
    v->slots[at] = idx;
    return idx;
}

static int push_row(dsview *v, size_t rec)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 1024;
        size_t *nr = realloc(v->rows, nc * sizeof *nr);
        if (!nr)
            return -1;
        v->rows = nr;
        v->cap = nc;
    }
    v->rows[v->n++] = rec;
    return 0;
}

typedef struct keyed {
    uint32_t key;
    size_t rec;
} keyed;

/* Stable LSD radix sort on 16-bit digits: O(n), so ordering a million rows
 * takes milliseconds, not the ~0.2 s of qsort, and ties keep file order. */
static int radix_sort(keyed *a, size_t n)
{
    keyed *tmp = malloc(n * sizeof *tmp);
    size_t *count = malloc(65537 * sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return -1;
    }
    uint32_t maxk = 0;
    for (size_t i = 0; i < n; i++)
        maxk = a[i].key > maxk ? a[i].key : maxk;
    for (int shift = 0; shift < 32 && (shift == 0 || (maxk >> shift)); shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((a[i].key >> shift) & 0xffff) + 1]++;
        for (size_t d = 1; d <= 65536; d++)
            count[d] += count[d - 1];
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
    free(tmp);
    free(count);
    return 0;
}

static int cmp_label_name(const void *a, const void *b)
{
    return strcmp(((const dsv_label *)a)->name, ((const dsv_label *)b)->name);
}

static int cmp_label_count(const void *a, const void *b)
{
    const dsv_label *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static uint32_t sort_key(dsview *v, size_t rec)
{
    switch (v->sort) {
    case DSV_SORT_ACTION: {
        const char *a = aft_dataset_action(v->ds, rec);
        size_t l = label_of(v, a ? a : "");
        return l == SIZE_MAX ? 0 : (uint32_t)v->labels[l].rank;
    }
    case DSV_SORT_COMPLEXITY: return (uint32_t)aft_dataset_complexity(v->ds, rec);
    case DSV_SORT_LENGTH: {
        size_t c = aft_dataset_context_chars(v->ds, rec);
        return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    case DSV_SORT_UNCERTAIN: return v->pred ? ps_uncertain_key(v->pred, rec) : 0;
    default: return 0;
    }
}

/* Ranks the labels by name (for the action order), orders the rows, then
 * lists the labels most frequent first for the header. */
static void finish_sort(dsview *v)
{
    qsort(v->labels, v->n_labels, sizeof *v->labels, cmp_label_name);
    for (size_t i = 0; i < v->n_labels; i++)
        v->labels[i].rank = i;
    v->n_slots = 0; /* the indices moved: rebuild the hash */
    free(v->slots);
    v->slots = NULL;
    if (v->n_labels && grow_slots(v) < 0)
        v->failed = 1;
    if (v->sort != DSV_SORT_FILE && v->n > 1) {
        keyed *k = malloc(v->n * sizeof *k);
        if (k) {
            for (size_t i = 0; i < v->n; i++)
                k[i] = (keyed){sort_key(v, v->rows[i]), v->rows[i]};
            if (radix_sort(k, v->n) == 0)
                for (size_t i = 0; i < v->n; i++)
                    v->rows[i] = k[i].rec;
            else
                v->failed = 1;
            free(k);
        } else {
            v->failed = 1;
        }
    }
    if (v->reverse)
        for (size_t i = 0, j = v->n; i + 1 < j; i++, j--) {
            size_t t = v->rows[i];
            v->rows[i] = v->rows[j - 1];
            v->rows[j - 1] = t;
        }
    qsort(v->labels, v->n_labels, sizeof *v->labels, cmp_label_count);
    free(v->slots);
    v->slots = NULL;
    v->n_slots = 0;
    if (v->n_labels && grow_slots(v) < 0)
        v->failed = 1;
}

int dsv_step(dsview *v, size_t budget)
{
    if (v->done)
        return 1;
    size_t count = v->ds ? aft_dataset_count(v->ds) : 0;
    size_t end = count - v->scanned > budget ? v->scanned + budget : count;
    for (size_t rec = v->scanned; rec < end; rec++) {
        if (!dsv_match(v, rec))
            continue;
        const char *a = aft_dataset_action(v->ds, rec);
        size_t l = label_of(v, a ? a : "");
        if (l == SIZE_MAX || push_row(v, rec) < 0) {
            v->failed = 1;
            continue;
        }
        v->labels[l].count++;
    }
    v->scanned = end;
    if (end < count)
        return 0;
    finish_sort(v);
    v->done = 1;
    return 1;
}

void dsv_finish(dsview *v)
{
    while (!dsv_step(v, SIZE_MAX / 2))
        ;
}

size_t dsv_row_of(const dsview *v, size_t rec)
{
    if (v->sort == DSV_SORT_FILE && !v->reverse) {
        /* File order: the rows are sorted, so search. */
        size_t lo = 0, hi = v->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (v->rows[mid] < rec)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < v->n && v->rows[lo] == rec ? lo : (size_t)-1;
    }
    for (size_t i = 0; i < v->n; i++)
        if (v->rows[i] == rec)
            return i;
    return (size_t)-1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t dsv_all_actions(const aft_dataset *ds, char ***out)
{
    *out = NULL;
    dsview v;
    dsv_init(&v, ds);
    dsv_finish(&v);
    char **names = v.n_labels ? malloc(v.n_labels * sizeof *names) : NULL;
    size_t n = 0;
    if (names) {
        for (size_t i = 0; i < v.n_labels; i++) {
            names[n] = v.labels[i].name;
            v.labels[i].name = NULL; /* moved */
            n++;
        }
        qsort(names, n, sizeof *names, cmp_str);
        *out = names;
    }
    v.n_labels = names ? 0 : v.n_labels;
    dsv_free(&v);
    return n;
}

void dsv_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
