/* Prediction storage and carrying predictions over edits (see predstore.h). */
#include "predstore.h"

#include <stdlib.h>
#include <string.h>

struct ps_remap {
    size_t n;                  /* the dataset's count now */
    int32_t *pred;
    float *conf;
    uint64_t *hash;
    size_t known, pending;
    size_t *slots;             /* old records with a prediction, by line hash */
    size_t n_slots, built;     /* built: old records looked at for the table */
    size_t done;               /* records carried over */
};

void ps_init(predstore *s)
{
    memset(s, 0, sizeof *s);
}

static void free_names(predstore *s)
{
    for (size_t i = 0; i < s->n_names; i++)
        free(s->names[i]);
    free(s->names);
    s->names = NULL;
    s->n_names = 0;
}

static void remap_free(ps_remap *r)
{
    if (!r)
        return;
    free(r->pred);
    free(r->conf);
    free(r->hash);
    free(r->slots);
    free(r);
}

void ps_free(predstore *s)
{
    remap_free(s->remap);
    free(s->pred);
    free(s->conf);
    free(s->hash);
    free_names(s);
    memset(s, 0, sizeof *s);
}

int ps_reset(predstore *s, const char *const *names, size_t n_names, size_t n)
{
    ps_free(s);
    s->pred = malloc((n ? n : 1) * sizeof *s->pred);
    s->conf = malloc((n ? n : 1) * sizeof *s->conf);
    s->hash = calloc(n ? n : 1, sizeof *s->hash);
    s->names = calloc(n_names ? n_names : 1, sizeof *s->names);
    if (!s->pred || !s->conf || !s->hash || !s->names)
        goto fail;
    for (size_t i = 0; i < n_names; i++) {
        if (!(s->names[i] = strdup(names[i])))
            goto fail;
        s->n_names = i + 1;
    }
    for (size_t i = 0; i < n; i++)
        s->pred[i] = PS_UNKNOWN;
    s->n = n;
    return 0;
fail:
    ps_free(s);
    return -1;
}

uint64_t ps_line_hash(const aft_dataset *ds, size_t rec)
{
    size_t len;
    const unsigned char *p = (const unsigned char *)aft_dataset_line(ds, rec, &len);
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 29;
    }
    for (; len > 0; p++, len--)
        h = (h ^ *p) * 0x100000001B3ULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h ? h : 1;
}

void ps_pending(predstore *s, size_t rec, uint64_t h)
{
    if (rec >= s->n || s->pred[rec] == PS_PENDING)
        return;
    s->known -= s->pred[rec] >= 0;
    s->pred[rec] = PS_PENDING;
    s->hash[rec] = h;
    s->pending++;
}

void ps_put(predstore *s, size_t rec, uint64_t h, int32_t pred, float conf)
{
    if (rec >= s->n || s->pred[rec] != PS_PENDING || s->hash[rec] != h)
        return;
    if (pred >= (int32_t)s->n_names)
        pred = PS_UNKNOWN;
    s->pred[rec] = pred < 0 ? PS_UNKNOWN : pred;
    s->conf[rec] = conf;
    s->pending--;
    s->known += pred >= 0;
}

int ps_get(const predstore *s, size_t rec, const char **action, float *conf)
{
    if (rec >= s->n || (s->remap && s->remap->n != s->n) || s->pred[rec] < 0)
        return 0;
    if (action)
        *action = s->names[s->pred[rec]];
    if (conf)
        *conf = s->conf[rec];
    return 1;
}

int ps_wrong(const predstore *s, const aft_dataset *ds, size_t rec)
{
    const char *pred, *gold = aft_dataset_action(ds, rec);
    return ps_get(s, rec, &pred, NULL) && (!gold || strcmp(pred, gold) != 0);
}

uint32_t ps_uncertain_key(const predstore *s, size_t rec)
{
    float c;
    if (!ps_get(s, rec, NULL, &c))
        return UINT32_MAX;
    c = c < 0 ? 0 : c > 1 ? 1 : c;
    return (uint32_t)(c * 16777216.0f);
}

size_t ps_next_todo(const predstore *s, size_t *from)
{
    size_t i = *from;
    while (i < s->n && s->pred[i] != PS_UNKNOWN)
        i++;
    *from = i;
    return i < s->n ? i : SIZE_MAX;
}

/* ---- carrying over after an edit ------------------------------------------------ */

int ps_remap_begin(predstore *s, const aft_dataset *ds)
{
    remap_free(s->remap);
    s->remap = NULL;
    ps_remap *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->n = aft_dataset_count(ds);
    size_t m = r->n ? r->n : 1;
    r->pred = malloc(m * sizeof *r->pred);
    r->conf = malloc(m * sizeof *r->conf);
    r->hash = calloc(m, sizeof *r->hash);
    /* Records that moved are found by their line; at an unchanged count an
     * edit moved nothing, so the index alone does. */
    if (r->n != s->n && s->known) {
        r->n_slots = 64;
        while (r->n_slots < s->known * 2)
            r->n_slots *= 2;
        r->slots = malloc(r->n_slots * sizeof *r->slots);
        if (r->slots)
            for (size_t i = 0; i < r->n_slots; i++)
                r->slots[i] = SIZE_MAX;
    } else {
        r->built = s->n;
    }
    if (!r->pred || !r->conf || !r->hash || (r->n_slots && !r->slots)) {
        remap_free(r);
        return -1;
    }
    s->remap = r;
    return 0;
}

static size_t build_table(predstore *s, ps_remap *r, size_t budget)
{
    size_t end = s->n - r->built > budget ? r->built + budget : s->n, used = end - r->built;
    for (size_t i = r->built; i < end; i++) {
        if (s->pred[i] < 0)
            continue;
        size_t at = s->hash[i] & (r->n_slots - 1);
        while (r->slots[at] != SIZE_MAX)
            at = (at + 1) & (r->n_slots - 1);
        r->slots[at] = i;
    }
    r->built = end;
    return used;
}

/* The old record with a prediction whose line hashed to h, or SIZE_MAX. */
static size_t lookup(const predstore *s, const ps_remap *r, uint64_t h)
{
    if (!r->slots)
        return SIZE_MAX;
    for (size_t at = h & (r->n_slots - 1); r->slots[at] != SIZE_MAX;
         at = (at + 1) & (r->n_slots - 1))
        if (s->hash[r->slots[at]] == h)
            return r->slots[at];
    return SIZE_MAX;
}

static void carry(predstore *s, ps_remap *r, const aft_dataset *ds, size_t i)
{
    uint64_t h = ps_line_hash(ds, i);
    /* In place, a record being predicted stays so: its answer still fits. */
    size_t from = i < s->n && s->hash[i] == h && s->pred[i] != PS_UNKNOWN ? i : lookup(s, r, h);
    if (from == SIZE_MAX) {
        r->pred[i] = PS_UNKNOWN;
        r->hash[i] = 0;
        return;
    }
    r->pred[i] = s->pred[from];
    r->conf[i] = s->conf[from];
    r->hash[i] = h;
    r->known += r->pred[i] >= 0;
    r->pending += r->pred[i] == PS_PENDING;
}

int ps_remap_step(predstore *s, const aft_dataset *ds, size_t budget)
{
    ps_remap *r = s->remap;
    if (!r)
        return 1;
    if (r->built < s->n) {
        size_t used = build_table(s, r, budget);
        budget = budget > used ? budget - used : 0;
    }
    size_t end = r->n - r->done > budget ? r->done + budget : r->n;
    if (r->built < s->n)
        end = r->done;
    for (size_t i = r->done; i < end; i++)
        carry(s, r, ds, i);
    r->done = end;
    if (r->built < s->n || r->done < r->n)
        return 0;
    free(s->pred);
    free(s->conf);
    free(s->hash);
    s->pred = r->pred;
    s->conf = r->conf;
    s->hash = r->hash;
    s->n = r->n;
    s->known = r->known;
    s->pending = r->pending;
    r->pred = NULL;
    r->conf = NULL;
    r->hash = NULL;
    remap_free(r);
    s->remap = NULL;
    return 1;
}
