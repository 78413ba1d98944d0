/* User synonym files (TSV or YAML) for domain terms and for languages
 * WordNet does not cover, and finding their entries inside a text. */
#include "augment_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "agentft/fileio.h"
#include "agentft/utf8.h"

typedef struct syn_entry {
    char *key;          /* ASCII letters folded to lower case */
    size_t len;
    aft_wordlist syns;
} syn_entry;

struct aft_synonyms {
    syn_entry *items;
    size_t count, cap;
    size_t max_len;     /* longest key, to bound the matcher */
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const syn_entry *)a)->key, ((const syn_entry *)b)->key);
}

void aft_synonyms_free(aft_synonyms *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].key);
        aft_wordlist_free(&s->items[i].syns);
    }
    free(s->items);
    free(s);
}

size_t aft_synonyms_count(const aft_synonyms *s)
{
    return s ? s->count : 0;
}

static char *folded_copy(const char *w, size_t len)
{
    char *k = malloc(len + 1);
    if (!k)
        return NULL;
    for (size_t i = 0; i < len; i++)
        k[i] = (char)tolower((unsigned char)w[i]);
    k[len] = '\0';
    return k;
}

/* Entries are collected unsorted and merged by key in finish(). */
static int add_entry(aft_synonyms *s, const char *key, size_t len, syn_entry **out)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        syn_entry *items = realloc(s->items, cap * sizeof *items);
        if (!items)
            return -1;
        s->items = items;
        s->cap = cap;
    }
    syn_entry *e = &s->items[s->count];
    memset(e, 0, sizeof *e);
    if (!(e->key = folded_copy(key, len)))
        return -1;
    e->len = len;
    s->count++;
    if (len > s->max_len)
        s->max_len = len;
    *out = e;
    return 0;
}

static int add_syn(syn_entry *e, const char *syn, size_t len)
{
    char *tmp = folded_copy(syn, len);
    if (!tmp)
        return -1;
    int skip = strcmp(tmp, e->key) == 0 || aft_wordlist_has(&e->syns, tmp);
    free(tmp);
    return skip ? 0 : aft_wordlist_push(&e->syns, syn, len);
}

/* Sorts by key and merges the synonyms of repeated keys into the first. */
static int finish(aft_synonyms *s)
{
    qsort(s->items, s->count, sizeof *s->items, cmp_entry);
    size_t w = 0;
    for (size_t r = 0; r < s->count; r++) {
        if (w > 0 && strcmp(s->items[w - 1].key, s->items[r].key) == 0) {
            syn_entry *dst = &s->items[w - 1];
            for (size_t i = 0; i < s->items[r].syns.count; i++) {
                const char *x = s->items[r].syns.items[i];
                if (add_syn(dst, x, strlen(x)) < 0)
                    return -1;
            }
            free(s->items[r].key);
            aft_wordlist_free(&s->items[r].syns);
        } else {
            s->items[w++] = s->items[r];
        }
    }
    s->count = w;
    return 0;
}

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && (**p == ' ' || **p == '\r'))
        (*p)++, (*len)--;
    while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\r'))
        (*len)--;
}

static int parse_tsv(aft_synonyms *s, const char *name, const char *text, size_t len,
                     aft_error *err)
{
    size_t lineno = 0;
    for (const char *line = text, *end = text + len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        lineno++;
        const char *f = line;
        size_t fl = (size_t)(stop - line);
        trim(&f, &fl);
        if (fl > 0 && f[0] != '#') {
            if (!memchr(f, '\t', fl))
                return aft_error_set(err, "%s:%zu: expected word<TAB>synonym..., found no TAB",
                                     name, lineno);
            syn_entry *e = NULL;
            for (const char *p = f, *fend = f + fl; p <= fend;) {
                const char *tab = memchr(p, '\t', (size_t)(fend - p));
                const char *q = tab ? tab : fend;
                const char *w = p;
                size_t wl = (size_t)(q - p);
                trim(&w, &wl);
                if (wl > 0 && (e ? add_syn(e, w, wl) : add_entry(s, w, wl, &e)) < 0)
                    return aft_error_set(err, "out of memory");
                if (!e)
                    return aft_error_set(err, "%s:%zu: the first field (the word) is empty",
                                         name, lineno);
                p = q + 1;
            }
        }
        line = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---- YAML: {word: [syn, ...]} -------------------------------------------- */

static int yaml_fail(aft_error *err, const char *name, const yaml_node_t *n, const char *what)
{
    return aft_error_set(err, "%s:%zu:%zu: %s", name, (size_t)n->start_mark.line + 1,
                         (size_t)n->start_mark.column + 1, what);
}

static int yaml_entry(aft_synonyms *s, const char *name, yaml_document_t *doc,
                      const yaml_node_pair_t *pair, aft_error *err)
{
    yaml_node_t *k = yaml_document_get_node(doc, pair->key);
    yaml_node_t *v = yaml_document_get_node(doc, pair->value);
    if (!k || k->type != YAML_SCALAR_NODE || k->data.scalar.length == 0)
        return yaml_fail(err, name, k ? k : v, "a key must be a word");
    syn_entry *e;
    if (add_entry(s, (const char *)k->data.scalar.value, k->data.scalar.length, &e) < 0)
        return aft_error_set(err, "out of memory");
    if (v->type == YAML_SCALAR_NODE)
        return add_syn(e, (const char *)v->data.scalar.value, v->data.scalar.length) < 0
                   ? aft_error_set(err, "out of memory") : 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return yaml_fail(err, name, v, "expected a list of synonyms");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *x = yaml_document_get_node(doc, *it);
        if (!x || x->type != YAML_SCALAR_NODE)
            return yaml_fail(err, name, x ? x : v, "a synonym must be a word, not a list or mapping");
        if (x->data.scalar.length > 0 &&
            add_syn(e, (const char *)x->data.scalar.value, x->data.scalar.length) < 0)
            return aft_error_set(err, "out of memory");
    }
    return 0;
}

static int parse_yaml(aft_synonyms *s, const char *name, const char *text, size_t len,
                      aft_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return aft_error_set(err, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = aft_error_set(err, "%s:%zu:%zu: %s", name, (size_t)parser.problem_mark.line + 1,
                           (size_t)parser.problem_mark.column + 1,
                           parser.problem ? parser.problem : "YAML error");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type != YAML_MAPPING_NODE) {
        rc = yaml_fail(err, name, root, "expected a mapping of word: [synonyms]");
    } else if (root) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top && rc == 0; p++)
            rc = yaml_entry(s, name, &doc, p, err);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

aft_synonyms *aft_synonyms_parse(const char *name, const char *text, size_t len, int yaml,
                                 aft_error *err)
{
    size_t bad;
    if (!aft_utf8_valid(text, len, &bad)) {
        aft_error_set(err, "%s: not valid UTF-8 at byte %zu", name, bad);
        return NULL;
    }
    aft_synonyms *s = calloc(1, sizeof *s);
    if (!s) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    int rc = yaml ? parse_yaml(s, name, text, len, err) : parse_tsv(s, name, text, len, err);
    if (rc == 0 && finish(s) < 0)
        rc = aft_error_set(err, "out of memory");
    if (rc < 0) {
        aft_synonyms_free(s);
        return NULL;
    }
    return s;
}

aft_synonyms *aft_synonyms_load(const char *path, aft_error *err)
{
    char *text;
    size_t len;
    if (aft_read_file(path, &text, &len, err) < 0)
        return NULL;
    size_t n = strlen(path);
    int yaml = (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
               (n > 4 && strcmp(path + n - 4, ".yml") == 0);
    aft_synonyms *s = aft_synonyms_parse(path, text, len, yaml, err);
    free(text);
    return s;
}

/* Compares key with text[0..key_len) folding the text's ASCII letters. */
static int cmp_folded(const char *key, size_t key_len, const char *text, size_t len)
{
    size_t n = key_len < len ? key_len : len;
    for (size_t i = 0; i < n; i++) {
        int a = (unsigned char)key[i], b = tolower((unsigned char)text[i]);
        if (a != b)
            return a - b;
    }
    return key_len < len ? -1 : key_len > len;
}

static const syn_entry *find_exact(const aft_synonyms *s, const char *w, size_t len)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_folded(s->items[mid].key, s->items[mid].len, w, len);
        if (c == 0)
            return &s->items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const aft_wordlist *aft_synonyms_get(const aft_synonyms *s, const char *word)
{
    const syn_entry *e = s ? find_exact(s, word, strlen(word)) : NULL;
    return e && e->syns.count ? &e->syns : NULL;
}

/* Tries every length from the longest key down: a binary search each, so
 * the cost does not grow with the number of entries. */
size_t aft_synonyms_match(const aft_synonyms *s, const char *text, size_t len, size_t at,
                          const aft_wordlist **syns)
{
    if (!s || s->count == 0)
        return 0;
    uint32_t first;
    aft_aug_decode(text + at, len - at, &first);
    if (aft_aug_is_word_char(first) && aft_aug_is_word_char(aft_aug_prev_char(text, at)))
        return 0;
    size_t max = len - at < s->max_len ? len - at : s->max_len;
    for (size_t n = max; n > 0; n--) {
        /* only lengths that end on a character boundary */
        if (at + n < len && ((unsigned char)text[at + n] & 0xC0) == 0x80)
            continue;
        const syn_entry *e = find_exact(s, text + at, n);
        if (!e || !e->syns.count)
            continue;
        uint32_t last = aft_aug_prev_char(text, at + n), next = 0;
        if (at + n < len)
            aft_aug_decode(text + at + n, len - at - n, &next);
        if (aft_aug_is_word_char(last) && aft_aug_is_word_char(next))
            continue;
        *syns = &e->syns;
        return n;
    }
    return 0;
}
