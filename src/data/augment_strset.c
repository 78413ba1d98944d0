/* A set of strings for the dataset pass (normalised texts, ids): open
 * addressing on a 64-bit hash, keys owned by the set. */
#include "augment_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

void aft_strset_free(aft_strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->hashes);
}

static size_t strset_slot(const aft_strset *s, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (s->cap - 1);
    while (s->keys[i] && (s->hashes[i] != h || strcmp(s->keys[i], key) != 0))
        i = (i + 1) & (s->cap - 1);
    return i;
}

int aft_strset_has(const aft_strset *s, const char *key)
{
    return s->cap && s->keys[strset_slot(s, key, aft_hash64(key, strlen(key)))] != NULL;
}

int aft_strset_add(aft_strset *s, char *key)
{
    if (!key)
        return -1;
    if ((s->n + 1) * 2 > s->cap) {
        aft_strset bigger = {0};
        bigger.cap = s->cap ? s->cap * 2 : 1024;
        bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
        bigger.hashes = calloc(bigger.cap, sizeof *bigger.hashes);
        if (!bigger.keys || !bigger.hashes) {
            aft_strset_free(&bigger);
            free(key);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->keys[i])
                continue;
            size_t j = strset_slot(&bigger, s->keys[i], s->hashes[i]);
            bigger.keys[j] = s->keys[i];
            bigger.hashes[j] = s->hashes[i];
        }
        bigger.n = s->n;
        free(s->keys);
        free(s->hashes);
        *s = bigger;
    }
    uint64_t h = aft_hash64(key, strlen(key));
    size_t i = strset_slot(s, key, h);
    if (s->keys[i]) {
        free(key);
        return 0;
    }
    s->keys[i] = key;
    s->hashes[i] = h;
    s->n++;
    return 1;
}

