/* The dataset store: the interned action names, the id multiset, the record
 * helpers the other dataset files share, freeing, and the per-record getters. */
#include "dataset_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

/* ---- interned action names ------------------------------------------- */

static int strtab_rehash(aft_strtab *t, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        size_t h = (size_t)aft_hash64(t->names[i], strlen(t->names[i])) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

int aft_strtab_intern(aft_strtab *t, const char *s, uint32_t *id)
{
    size_t len = strlen(s);
    uint64_t hash = aft_hash64(s, len);
    if (t->nslots) {
        size_t h = (size_t)hash & (t->nslots - 1);
        for (; t->slots[h]; h = (h + 1) & (t->nslots - 1)) {
            if (!strcmp(t->names[t->slots[h] - 1], s)) {
                *id = t->slots[h] - 1;
                return 0;
            }
        }
    }
    if (t->count >= UINT32_MAX - 1)
        return -1;
    if ((t->count + 1) * 2 > t->nslots && strtab_rehash(t, t->nslots ? t->nslots * 2 : 64) < 0)
        return -1;
    if (t->count == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 32;
        char **n = realloc(t->names, ncap * sizeof *n);
        if (!n)
            return -1;
        t->names = n;
        t->cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len + 1);
    size_t h = (size_t)hash & (t->nslots - 1);
    while (t->slots[h])
        h = (h + 1) & (t->nslots - 1);
    t->names[t->count] = copy;
    t->slots[h] = (uint32_t)(t->count + 1);
    *id = (uint32_t)t->count++;
    return 0;
}

static void strtab_free(aft_strtab *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->names[i]);
    free(t->names);
    free(t->slots);
}

/* ---- the id multiset ----------------------------------------------------- */

uint64_t aft_id_hash(const char *id)
{
    uint64_t h = aft_hash64(id, strlen(id));
    return h ? h : 1; /* 0 marks an empty slot */
}

static aft_idslot *idset_slot(const aft_idset *s, uint64_t h)
{
    if (!s->nslots)
        return NULL;
    size_t i = (size_t)(h >> s->shift);
    for (; s->slots[i].hash; i = (i + 1) & (s->nslots - 1))
        if (s->slots[i].hash == h)
            return &s->slots[i];
    return &s->slots[i];
}

int aft_idset_reserve(aft_idset *s, size_t extra)
{
    if (extra > SIZE_MAX / 4 - s->used)
        return -1;
    if ((s->used + extra) * 10 <= s->nslots * 7)
        return 0;
    size_t live = 0;
    for (size_t i = 0; i < s->nslots; i++)
        live += s->slots[i].count > 0;
    size_t n = 64;
    unsigned bits = 6;
    for (; n < (live + extra) * 2; bits++)
        n *= 2;
    aft_idslot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    aft_idset old = *s;
    *s = (aft_idset){slots, n, 0, 64 - bits};
    for (size_t i = 0; i < old.nslots; i++) {
        if (old.slots[i].count) {
            *idset_slot(s, old.slots[i].hash) = old.slots[i];
            s->used++;
        }
    }
    free(old.slots);
    return 0;
}

uint32_t aft_idset_add(aft_idset *s, uint64_t h, size_t rec, size_t *first)
{
    aft_idslot *e = idset_slot(s, h);
    if (!e->hash) {
        e->hash = h;
        s->used++;
    }
    if (!e->count)
        e->first = rec;
    if (first)
        *first = e->first;
    return e->count++;
}

void aft_idset_remove(aft_idset *s, uint64_t h)
{
    aft_idslot *e = idset_slot(s, h);
    if (e && e->hash && e->count)
        e->count--;
}

int aft_idset_has(const aft_idset *s, uint64_t h)
{
    const aft_idslot *e = idset_slot(s, h);
    return e && e->hash && e->count;
}

/* ---- shared record helpers -------------------------------------------- */

void aft_ds_set_facts(aft_rec *r, const aft_info *info, uint32_t action)
{
    r->action = action;
    r->chars = info->chars;
    r->words = info->words;
    r->turns = info->turns;
    r->complexity = info->complexity;
    r->split = info->split;
}

cJSON *aft_ds_parse_record(const aft_dataset *ds, size_t i, aft_error *err)
{
    size_t len;
    const char *line = aft_dataset_line(ds, i, &len);
    if (!line) {
        aft_error_set(err, "record %zu does not exist (the dataset has %zu)", i, ds->count);
        return NULL;
    }
    cJSON *tree = cJSON_ParseWithLength(line, len);
    if (!tree)
        aft_error_set(err, "record %zu: out of memory parsing it", i);
    return tree;
}

/* The 1-based file line of record rec: bad and blank lines count too. */
size_t aft_ds_line_of(const aft_dataset *ds, size_t rec)
{
    size_t lo = 0, hi = ds->nkept;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ds->kept[mid].before <= rec)
            lo = mid + 1;
        else
            hi = mid;
    }
    return rec + 1 + lo;
}

void aft_dataset_free(aft_dataset *ds)
{
    if (!ds)
        return;
    aft_journal_close(ds);
    for (size_t i = 0; i < ds->count; i++)
        cJSON_free(ds->recs[i].text);
    free(ds->recs);
    free(ds->kept);
    strtab_free(&ds->actions);
    free(ds->ids.slots);
    free(ds->buf);
    free(ds->path);
    free(ds->journal_path);
    free(ds);
}

/* ---- getters ----------------------------------------------------------------- */

const char *aft_dataset_path(const aft_dataset *ds) { return ds->path; }
size_t aft_dataset_count(const aft_dataset *ds) { return ds->count; }
size_t aft_dataset_bad_lines(const aft_dataset *ds) { return ds->bad; }
size_t aft_dataset_replayed(const aft_dataset *ds) { return ds->replayed; }
int aft_dataset_dirty(const aft_dataset *ds) { return ds->dirty; }

/* Out-of-range indexes give NULL or 0 rather than crashing a caller's UI. */
static const aft_rec *rec_at(const aft_dataset *ds, size_t i)
{
    return i < ds->count ? &ds->recs[i] : NULL;
}

const char *aft_dataset_action(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    return r ? ds->actions.names[r->action] : NULL;
}

int aft_dataset_complexity_field(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    return r ? r->complexity : 0;
}

/* The complexity rule: a record's own `complexity` field wins. Without one,
 * the context's length decides (words over all turns' content: <= 12 -> 1,
 * <= 40 -> 2, else 3), and a dialogue of 3 or more turns is at least 2,
 * because following a conversation is harder than answering one request. */
int aft_dataset_complexity(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    if (!r)
        return 0;
    if (r->complexity)
        return r->complexity;
    int c = r->words <= 12 ? 1 : r->words <= 40 ? 2 : 3;
    if (r->turns >= 3 && c < 2)
        c = 2;
    return c;
}

aft_split aft_dataset_split(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    return r ? (aft_split)r->split : AFT_SPLIT_NONE;
}

size_t aft_dataset_context_chars(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    return r ? r->chars : 0;
}

size_t aft_dataset_context_words(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    return r ? r->words : 0;
}

size_t aft_dataset_context_turns(const aft_dataset *ds, size_t i)
{
    const aft_rec *r = rec_at(ds, i);
    return r ? r->turns : 0;
}

const char *aft_dataset_line(const aft_dataset *ds, size_t i, size_t *len)
{
    const aft_rec *r = rec_at(ds, i);
    if (!r)
        return NULL;
    if (len)
        *len = r->len;
    return r->text ? r->text : ds->buf + r->off;
}

size_t aft_dataset_line_number(const aft_dataset *ds, size_t i)
{
    return rec_at(ds, i) ? aft_ds_line_of(ds, i) : 0;
}

char *aft_dataset_get_json(const aft_dataset *ds, size_t i, const char *key)
{
    cJSON *tree = aft_ds_parse_record(ds, i, NULL);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(tree, key);
    char *out = NULL;
    if (v) {
        char *s = cJSON_PrintUnformatted(v);
        out = s ? strdup(s) : NULL; /* the caller frees with free() */
        cJSON_free(s);
    }
    cJSON_Delete(tree);
    return out;
}

/* Turns joined as "role: content" lines, for display and for tokenizing. */
static const char *turn_field(const cJSON *turn, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(turn, name)->valuestring;
}

static char *join_turns(const cJSON *turns)
{
    size_t total = 1;
    for (const cJSON *t = turns->child; t; t = t->next)
        total += strlen(turn_field(t, "role")) + strlen(turn_field(t, "content")) + 3;
    char *out = malloc(total);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const cJSON *t = turns->child; t; t = t->next) {
        const char *parts[4] = {o ? "\n" : "", turn_field(t, "role"), ": ",
                                turn_field(t, "content")};
        for (int k = 0; k < 4; k++) {
            size_t n = strlen(parts[k]);
            memcpy(out + o, parts[k], n);
            o += n;
        }
    }
    out[o] = '\0';
    return out;
}

char *aft_dataset_get_string(const aft_dataset *ds, size_t i, const char *key)
{
    cJSON *tree = aft_ds_parse_record(ds, i, NULL);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(tree, key);
    char *out = NULL;
    if (cJSON_IsString(v))
        out = strdup(v->valuestring);
    else if (cJSON_IsArray(v) && !strcmp(key, "context"))
        out = join_turns(v); /* a good record's turns were checked at load */
    cJSON_Delete(tree);
    return out;
}
