/* WordNet database reader written from wndb(5) and morphy(7): index lines are
 * parsed at open, synsets read by byte offset from the data files in memory. */
#include "agentft/wordnet.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

#define NPOS 4
static const char *const pos_files[NPOS] = {"noun", "verb", "adj", "adv"};
static const char pos_chars[NPOS] = {'n', 'v', 'a', 'r'};

/* One index line: the lemma (NUL-terminated inside the index buffer), its
 * synset offsets (a slice of the database's offsets array, most frequent
 * sense first) and how many of its senses the SemCor corpus tagged. */
typedef struct wn_entry {
    const char *lemma;
    uint32_t first, count;
    uint32_t tagged;
} wn_entry;

/* One exception line: an inflected form and its base forms (nbases strings,
 * one after the other, each NUL-terminated). */
typedef struct wn_exc {
    const char *inflected, *bases;
    size_t nbases;
} wn_exc;

/* The exception lists read the other way: a base form and one of its
 * irregular forms, sorted by base. */
typedef struct wn_rev {
    const char *base, *inflected;
} wn_rev;

typedef struct wn_db {
    char index_path[1024], data_path[1024], exc_path[1024];
    char *index, *data, *exc;   /* whole files; index and exc are cut in place */
    size_t data_len;
    wn_entry *entries;
    size_t n_entries, cap_entries;
    uint32_t *offsets;
    size_t n_offsets, cap_offsets;
    wn_exc *excs;
    size_t n_excs, cap_excs;
    wn_rev *revs;
    size_t n_revs;
    int has_tags;               /* some entry has tagged senses (the real database does) */
} wn_db;

struct aft_wordnet {
    wn_db db[NPOS];
};

const char *aft_pos_name(aft_pos pos)
{
    static const char *const names[] = {"noun", "verb", "adj", "adv", "any"};
    return pos <= AFT_POS_ANY ? names[pos] : "?";
}

/* ---- word lists ---------------------------------------------------------- */

int aft_wordlist_push(aft_wordlist *l, const char *s, size_t len)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    l->items[l->count++] = copy;
    return 0;
}

/* Equal ignoring ASCII case, with '_' and ' ' the same (index vs. display form). */
static int same_word(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = *a == '_' ? ' ' : tolower((unsigned char)*a);
        int y = *b == '_' ? ' ' : tolower((unsigned char)*b);
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

int aft_wordlist_has(const aft_wordlist *l, const char *s)
{
    for (size_t i = 0; i < l->count; i++)
        if (same_word(l->items[i], s))
            return 1;
    return 0;
}

void aft_wordlist_free(aft_wordlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}

/* ---- parsing the index and exception files ------------------------------- */

/* Cuts the next space-separated field out of [*p, end) in place. */
static char *next_field(char **p, char *end)
{
    char *s = *p;
    while (s < end && *s == ' ')
        s++;
    if (s == end)
        return NULL;
    char *e = s;
    while (e < end && *e != ' ')
        e++;
    if (e < end)
        *e++ = '\0';
    *p = e;
    return s;
}

/* A decimal number of at most `max`; 0 on success. */
static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !*s)
        return -1;
    unsigned long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s) || v > (max - (unsigned long)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return 0;
}

static int grow(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    void *p = realloc(*items, n * size);
    if (!p)
        return -1;
    *items = p;
    *cap = n;
    return 0;
}

/* lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset... */
static int parse_index_line(wn_db *db, int pos, char *line, char *end, size_t lineno,
                            aft_error *err)
{
    const char *why;
    char *p = line;
    char *lemma = next_field(&p, end), *pc = next_field(&p, end);
    unsigned long n_syn, n_ptr, counts[2], off;
    if (!lemma || !pc) {
        why = "expected at least lemma and part of speech";
    } else if (strlen(pc) != 1 || pc[0] != pos_chars[pos]) {
        why = "wrong part-of-speech letter";
    } else if (parse_count(next_field(&p, end), 100000, &n_syn) < 0 || n_syn == 0 ||
               parse_count(next_field(&p, end), 1000, &n_ptr) < 0) {
        why = "bad synset_cnt or p_cnt";
    } else {
        why = NULL;
        for (unsigned long i = 0; i < n_ptr && !why; i++)
            if (!next_field(&p, end))
                why = "fewer pointer symbols than p_cnt says";
        for (int i = 0; i < 2 && !why; i++)
            if (parse_count(next_field(&p, end), 100000, &counts[i]) < 0)
                why = "bad sense_cnt or tagsense_cnt";
        if (!why && grow((void **)&db->offsets, &db->cap_offsets, db->n_offsets + n_syn,
                         sizeof *db->offsets) < 0)
            return aft_error_set(err, "%s: out of memory", db->index_path);
        for (unsigned long i = 0; i < n_syn && !why; i++) {
            char *f = next_field(&p, end);
            if (!f || strlen(f) != 8 || parse_count(f, db->data_len, &off) < 0)
                why = "fewer synset offsets than synset_cnt says, or one past the data file";
            else
                db->offsets[db->n_offsets + i] = (uint32_t)off;
        }
        if (!why && next_field(&p, end))
            why = "more fields than synset_cnt says";
    }
    if (why)
        return aft_error_set(err, "%s:%zu: malformed index line: %s", db->index_path, lineno, why);
    if (grow((void **)&db->entries, &db->cap_entries, db->n_entries + 1, sizeof *db->entries) < 0)
        return aft_error_set(err, "%s: out of memory", db->index_path);
    db->entries[db->n_entries++] =
        (wn_entry){lemma, (uint32_t)db->n_offsets, (uint32_t)n_syn, (uint32_t)counts[1]};
    db->has_tags |= counts[1] > 0;
    db->n_offsets += n_syn;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const wn_entry *)a)->lemma, ((const wn_entry *)b)->lemma);
}

static int cmp_exc(const void *a, const void *b)
{
    return strcmp(((const wn_exc *)a)->inflected, ((const wn_exc *)b)->inflected);
}

static int cmp_rev(const void *a, const void *b)
{
    const wn_rev *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    return c ? c : strcmp(x->inflected, y->inflected);
}

/* Lines that start with a space are the licence header (wndb(5)). */
static int parse_index(wn_db *db, int pos, aft_error *err)
{
    size_t lineno = 0;
    int sorted = 1;
    for (char *line = db->index; *line;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        lineno++;
        if (end > line && end[-1] == '\r')
            end--;
        *end = '\0';
        if (line[0] != ' ' && end > line) {
            if (parse_index_line(db, pos, line, end, lineno, err) < 0)
                return -1;
            size_t n = db->n_entries;
            if (n > 1 && strcmp(db->entries[n - 2].lemma, db->entries[n - 1].lemma) >= 0)
                sorted = 0;
        }
        line = nl ? nl + 1 : end;
    }
    if (!sorted)
        qsort(db->entries, db->n_entries, sizeof *db->entries, cmp_entry);
    return 0;
}

/* Bases are NUL-separated by next_field, possibly with blanks between. */
static const char *next_base(const char *b)
{
    b += strlen(b) + 1;
    while (*b == ' ')
        b++;
    return b;
}

static int index_irregular(wn_db *db, aft_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < db->n_excs; i++)
        n += db->excs[i].nbases;
    if (n && !(db->revs = malloc(n * sizeof *db->revs)))
        return aft_error_set(err, "%s: out of memory", db->exc_path);
    for (size_t i = 0; i < db->n_excs; i++) {
        const char *b = db->excs[i].bases;
        for (size_t k = 0; k < db->excs[i].nbases; k++, b = next_base(b))
            db->revs[db->n_revs++] = (wn_rev){b, db->excs[i].inflected};
    }
    if (db->n_revs)
        qsort(db->revs, db->n_revs, sizeof *db->revs, cmp_rev);
    return 0;
}

static int parse_exc(wn_db *db, aft_error *err)
{
    size_t lineno = 0;
    for (char *line = db->exc; *line;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        lineno++;
        if (end > line && end[-1] == '\r')
            end--;
        *end = '\0';
        char *p = line;
        char *infl = next_field(&p, end);
        while (p < end && *p == ' ')
            p++;
        if (infl) {
            if (p >= end)
                return aft_error_set(err, "%s:%zu: malformed exception line: no base form",
                                     db->exc_path, lineno);
            if (grow((void **)&db->excs, &db->cap_excs, db->n_excs + 1, sizeof *db->excs) < 0)
                return aft_error_set(err, "%s: out of memory", db->exc_path);
            wn_exc *e = &db->excs[db->n_excs++];
            *e = (wn_exc){infl, p, 0};
            while (next_field(&p, end))
                e->nbases++;
        }
        line = nl ? nl + 1 : end;
    }
    qsort(db->excs, db->n_excs, sizeof *db->excs, cmp_exc);
    return index_irregular(db, err);
}

static int load_db(wn_db *db, const char *dir, int pos, aft_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "index.%s", pos_files[pos]);
    if (aft_path_join(db->index_path, sizeof db->index_path, dir, name, err) < 0)
        return -1;
    snprintf(name, sizeof name, "data.%s", pos_files[pos]);
    if (aft_path_join(db->data_path, sizeof db->data_path, dir, name, err) < 0)
        return -1;
    snprintf(name, sizeof name, "%s.exc", pos_files[pos]);
    if (aft_path_join(db->exc_path, sizeof db->exc_path, dir, name, err) < 0)
        return -1;
    size_t len;
    if (aft_read_file(db->data_path, &db->data, &db->data_len, err) < 0 ||
        aft_read_file(db->index_path, &db->index, &len, err) < 0)
        return -1;
    if (db->data_len > UINT32_MAX)
        return aft_error_set(err, "%s: too large for a WordNet data file", db->data_path);
    if (parse_index(db, pos, err) < 0)
        return -1;
    aft_error ignored = {0};
    if (aft_read_file(db->exc_path, &db->exc, &len, &ignored) < 0)
        return 0; /* the exception lists are optional: suffix rules still work */
    return parse_exc(db, err);
}

aft_wordnet *aft_wordnet_open(const char *dir, aft_error *err)
{
    aft_wordnet *wn = calloc(1, sizeof *wn);
    if (!wn) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    for (int p = 0; p < NPOS; p++) {
        if (load_db(&wn->db[p], dir ? dir : AFT_WORDNET_DIR, p, err) < 0) {
            aft_wordnet_free(wn);
            return NULL;
        }
    }
    return wn;
}

void aft_wordnet_free(aft_wordnet *wn)
{
    if (!wn)
        return;
    for (int p = 0; p < NPOS; p++) {
        wn_db *db = &wn->db[p];
        free(db->index);
        free(db->data);
        free(db->exc);
        free(db->entries);
        free(db->offsets);
        free(db->excs);
        free(db->revs);
    }
    free(wn);
}

size_t aft_wordnet_lemma_count(const aft_wordnet *wn, aft_pos pos)
{
    size_t n = 0;
    for (int p = 0; p < NPOS; p++)
        if (pos == AFT_POS_ANY || (int)pos == p)
            n += wn->db[p].n_entries;
    return n;
}

/* ---- lookups -------------------------------------------------------------- */

/* The index form of a word: ASCII lower case, spaces as underscores. */
static int index_form(const char *word, char *buf, size_t size)
{
    while (*word == ' ')
        word++;
    size_t n = strlen(word);
    while (n > 0 && word[n - 1] == ' ')
        n--;
    if (n == 0 || n >= size)
        return -1;
    for (size_t i = 0; i < n; i++)
        buf[i] = word[i] == ' ' ? '_' : (char)tolower((unsigned char)word[i]);
    buf[n] = '\0';
    return 0;
}

static const wn_entry *find_entry(const wn_db *db, const char *lemma)
{
    wn_entry key = {.lemma = lemma};
    if (db->n_entries == 0)
        return NULL;
    return bsearch(&key, db->entries, db->n_entries, sizeof key, cmp_entry);
}

static const wn_exc *find_exc(const wn_db *db, const char *inflected)
{
    wn_exc key = {inflected, NULL, 0};
    if (db->n_excs == 0)
        return NULL;
    return bsearch(&key, db->excs, db->n_excs, sizeof key, cmp_exc);
}

/* Adds lemma (index form) to out in display form if the index lists it. */
static int add_if_listed(const wn_db *db, const char *lemma, size_t len, aft_wordlist *out)
{
    char buf[256];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, lemma, len);
    buf[len] = '\0';
    if (!find_entry(db, buf) || aft_wordlist_has(out, buf))
        return 0;
    for (char *c = buf; *c; c++)
        if (*c == '_')
            *c = ' ';
    return aft_wordlist_push(out, buf, len);
}

/* Detachment rules of morphy(7): {suffix, ending}, per part of speech. */
static const char *const rules[NPOS][8][2] = {
    {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"},
     {"men", "man"}, {"ies", "y"}},
    {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"},
     {"ing", ""}},
    {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
    {{NULL, NULL}},
};

static int base_forms_pos(const wn_db *db, int pos, const char *form, aft_wordlist *out)
{
    size_t n = strlen(form);
    if (add_if_listed(db, form, n, out) < 0)
        return -1;
    const wn_exc *e = find_exc(db, form);
    const char *b = e ? e->bases : NULL;
    for (size_t k = 0; e && k < e->nbases; k++, b = next_base(b))
        if (add_if_listed(db, b, strlen(b), out) < 0)
            return -1;
    for (int r = 0; r < 8 && rules[pos][r][0]; r++) {
        const char *suf = rules[pos][r][0], *ending = rules[pos][r][1];
        size_t sl = strlen(suf), el = strlen(ending);
        char buf[256];
        if (n <= sl || n - sl + el >= sizeof buf || strcmp(form + n - sl, suf) != 0)
            continue;
        memcpy(buf, form, n - sl);
        memcpy(buf + n - sl, ending, el);
        if (add_if_listed(db, buf, n - sl + el, out) < 0)
            return -1;
    }
    return 0;
}

int aft_wordnet_base_forms(const aft_wordnet *wn, const char *word, aft_pos pos,
                           aft_wordlist *out, aft_error *err)
{
    char form[256];
    if (index_form(word, form, sizeof form) < 0)
        return 0;
    for (int p = 0; p < NPOS; p++)
        if ((pos == AFT_POS_ANY || (int)pos == p) && base_forms_pos(&wn->db[p], p, form, out) < 0)
            return aft_error_set(err, "out of memory");
    return 0;
}

/* Line number of a byte offset, for messages only (a linear count). */
static size_t line_of(const char *buf, size_t off)
{
    size_t line = 1;
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + off - p))) != NULL; p++)
        line++;
    return line;
}

/* Reads the next space-separated field of a data line into [*s, *s + *len). */
static int data_field(const char **p, const char *end, const char **s, size_t *len)
{
    const char *q = *p;
    while (q < end && *q == ' ')
        q++;
    const char *e = q;
    while (e < end && *e != ' ')
        e++;
    *s = q;
    *len = (size_t)(e - q);
    *p = e;
    return e > q ? 0 : -1;
}

static int hex_value(const char *s, size_t len, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -1;
        v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
    }
    *out = v;
    return len ? 0 : -1;
}

/* Checks the fields before the words of the synset line at off:
 * synset_offset lex_filenum ss_type w_cnt. Returns the word count or -1. */
static long synset_header(uint32_t off, const char **p, const char *end)
{
    const char *s;
    size_t len;
    unsigned w_cnt;
    unsigned long at = 0;
    if (data_field(p, end, &s, &len) < 0 || len != 8)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        at = at * 10 + (unsigned long)(s[i] - '0');
    }
    if (at != off)
        return -1;
    if (data_field(p, end, &s, &len) < 0 || len != 2 || !isdigit((unsigned char)s[0]))
        return -1;
    if (data_field(p, end, &s, &len) < 0 || len != 1 || !strchr("nvasr", s[0]))
        return -1;
    if (data_field(p, end, &s, &len) < 0 || len != 2 || hex_value(s, len, &w_cnt) < 0 || !w_cnt)
        return -1;
    return (long)w_cnt;
}

/* The words of the synset at byte offset off, in display form. */
static int synset_words(const wn_db *db, uint32_t off, aft_wordlist *out, aft_error *err)
{
    if (off >= db->data_len || (off > 0 && db->data[off - 1] != '\n'))
        return aft_error_set(err, "%s: synset offset %u (from %s) is not the start of a line",
                             db->data_path, off, db->index_path);
    const char *p = db->data + off;
    const char *end = memchr(p, '\n', db->data_len - off);
    if (!end)
        end = db->data + db->data_len;
    long n = synset_header(off, &p, end);
    for (long i = 0; i < n; i++) {
        const char *w, *id;
        size_t wl, il;
        unsigned lex_id;
        if (data_field(&p, end, &w, &wl) < 0 || data_field(&p, end, &id, &il) < 0 ||
            hex_value(id, il, &lex_id) < 0) {
            n = -1;
            break;
        }
        /* Adjectives may carry a syntactic marker: "big(a)", "galore(ip)". */
        if (wl > 2 && w[wl - 1] == ')') {
            const char *open = memchr(w, '(', wl);
            if (open && open > w)
                wl = (size_t)(open - w);
        }
        if (aft_wordlist_push(out, w, wl) < 0)
            return aft_error_set(err, "out of memory");
        for (char *c = out->items[out->count - 1]; *c; c++)
            if (*c == '_')
                *c = ' ';
    }
    if (n < 0)
        return aft_error_set(err, "%s:%zu: malformed synset line at byte offset %u",
                             db->data_path, line_of(db->data, off), off);
    return 0;
}

/* With tag counts, a word that SemCor never tagged in this part of speech
 * ("hebdomad" for week, "emplacement" for location) is too rare to stand in
 * for another: a synonym must be tagged at least once. */
static int common_enough(const wn_db *db, const char *lemma)
{
    char form[256];
    const wn_entry *e = index_form(lemma, form, sizeof form) < 0 ? NULL : find_entry(db, form);
    return !db->has_tags || (e && e->tagged > 0);
}

static int synonyms_pos(const wn_db *db, const char *word, const aft_wordlist *bases,
                        aft_wordlist *out, aft_error *err)
{
    aft_wordlist words = {0};
    int rc = 0;
    for (size_t b = 0; b < bases->count && rc == 0; b++) {
        char form[256];
        const wn_entry *e = index_form(bases->items[b], form, sizeof form) < 0 ? NULL
                                                                              : find_entry(db, form);
        for (uint32_t s = 0; e && s < e->count && rc == 0; s++) {
            words.count = 0;
            rc = synset_words(db, db->offsets[e->first + s], &words, err);
            for (size_t w = 0; rc == 0 && w < words.count; w++) {
                const char *x = words.items[w];
                if (same_word(x, word) || aft_wordlist_has(bases, x) ||
                    aft_wordlist_has(out, x) || !common_enough(db, x))
                    continue;
                if (aft_wordlist_push(out, x, strlen(x)) < 0)
                    rc = aft_error_set(err, "out of memory");
            }
            for (size_t w = 0; w < words.count; w++)
                free(words.items[w]);
        }
    }
    words.count = 0;
    aft_wordlist_free(&words);
    return rc;
}

int aft_wordnet_synonyms(const aft_wordnet *wn, const char *word, aft_pos pos,
                         aft_wordlist *out, aft_error *err)
{
    int rc = 0;
    for (int p = 0; p < NPOS && rc == 0; p++) {
        if (pos != AFT_POS_ANY && (int)pos != p)
            continue;
        aft_wordlist bases = {0};
        rc = aft_wordnet_base_forms(wn, word, (aft_pos)p, &bases, err);
        if (rc == 0)
            rc = synonyms_pos(&wn->db[p], word, &bases, out, err);
        aft_wordlist_free(&bases);
    }
    return rc;
}

int aft_wordnet_irregular(const aft_wordnet *wn, const char *base, aft_pos pos,
                          aft_wordlist *out, aft_error *err)
{
    char form[256];
    if (pos >= AFT_POS_ANY || index_form(base, form, sizeof form) < 0)
        return 0;
    const wn_db *db = &wn->db[pos];
    size_t lo = 0, hi = db->n_revs;
    while (lo < hi) { /* the first entry for form */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(db->revs[mid].base, form) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < db->n_revs && strcmp(db->revs[lo].base, form) == 0; lo++) {
        const char *x = db->revs[lo].inflected;
        if (aft_wordlist_push(out, x, strlen(x)) < 0)
            return aft_error_set(err, "out of memory");
        for (char *c = out->items[out->count - 1]; *c; c++)
            if (*c == '_')
                *c = ' ';
    }
    return 0;
}
