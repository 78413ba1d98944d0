/* The merge table (pair -> rank and merged id) and BPE on one piece: merges
 * by rank exactly as GPT-2 does, with a plain scan or a heap. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define NO_RANK INT32_MAX

/* ---- the merge table ----------------------------------------------------- */

static size_t pair_slot(const aft_tokenizer *t, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->slot_mask;
    while (t->slots[i].key != key && t->slots[i].key != AFT_NO_PAIR)
        i = (i + 1) & t->slot_mask;
    return i;
}

static uint64_t pair_key(int32_t a, int32_t b)
{
    return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

int aft_tok_set_merges(aft_tokenizer *t, const int32_t *triples, size_t n, aft_error *err)
{
    if (n >= AFT_TOK_MAX_IDS * 4)
        return aft_error_set(err, "too many merges (%zu)", n);
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    t->slots = malloc(cap * sizeof *t->slots);
    t->merges = malloc((n ? 3 * n : 1) * sizeof *t->merges);
    if (!t->slots || !t->merges)
        return aft_error_set(err, "out of memory for %zu merges", n);
    for (size_t i = 0; i < cap; i++)
        t->slots[i].key = AFT_NO_PAIR;
    t->slot_mask = cap - 1;
    for (size_t r = 0; r < n; r++) {
        for (size_t k = 0; k < 3; k++) {
            int32_t id = triples[3 * r + k];
            if (id < 0 || (size_t)id >= t->n_ids || t->kind[id] != AFT_TOK_NORMAL)
                return aft_error_set(err, "merge %zu refers to id %ld, which is not a token", r + 1,
                                     (long)id);
        }
        uint64_t key = pair_key(triples[3 * r], triples[3 * r + 1]);
        aft_merge_slot *s = &t->slots[pair_slot(t, key)];
        s->key = key;
        s->rank = (int32_t)r;
        s->id = triples[3 * r + 2];
    }
    if (n)
        memcpy(t->merges, triples, 3 * n * sizeof *triples);
    t->n_merges = n;
    return 0;
}

/* The rank and result of merging (a, b), or -1 when they do not merge.
 * Inlined into the merge loops, where most encoding time goes. */
static inline int32_t merge_rank(const aft_tokenizer *t, int32_t a, int32_t b, int32_t *id)
{
    const aft_merge_slot *s = &t->slots[pair_slot(t, pair_key(a, b))];
    if (s->key == AFT_NO_PAIR)
        return -1;
    *id = s->id;
    return s->rank;
}

/* ---- BPE on one piece ---------------------------------------------------- */

/* GPT-2's rule: find the lowest-ranked adjacent pair, merge every occurrence
 * of it from left to right, repeat. Symbols form a linked list over ids[];
 * rank[i] and mid[i] describe the pair (i, next[i]). The first symbol never
 * goes away (a merge keeps the left one), so the list always starts at 0. */
typedef struct bpe_state {
    int32_t *ids, *next, *prev, *rank, *mid;
} bpe_state;

static void pair_at(const aft_tokenizer *t, bpe_state *s, int32_t i)
{
    int32_t j = s->next[i];
    s->rank[i] = NO_RANK;
    if (j < 0)
        return;
    int32_t r = merge_rank(t, s->ids[i], s->ids[j], &s->mid[i]);
    if (r >= 0)
        s->rank[i] = r;
}

/* Merges symbol i with the one after it; returns the symbol after the pair. */
static int32_t merge_at(const aft_tokenizer *t, bpe_state *s, int32_t i)
{
    int32_t j = s->next[i];
    s->ids[i] = s->mid[i];
    s->next[i] = s->next[j];
    if (s->next[j] >= 0)
        s->prev[s->next[j]] = i;
    s->rank[j] = NO_RANK;   /* j is gone; a stale heap entry for it is skipped */
    if (s->prev[i] >= 0)
        pair_at(t, s, s->prev[i]);
    pair_at(t, s, i);
    return s->next[i];
}

size_t aft_bpe_scratch_size(size_t n)
{
    /* next, prev, rank, mid, batch, padding (int32 each); a heap of up to
     * 3n entries. Positions are int32, so a piece stays under 512 MiB. */
    if (n > ((size_t)1 << 29))
        return 0;
    return n * (6 * sizeof(int32_t) + 3 * sizeof(uint64_t));
}

static void bpe_list(const aft_tokenizer *t, bpe_state *s)
{
    for (;;) {
        int32_t best = NO_RANK, at = -1;
        for (int32_t i = 0; i >= 0; i = s->next[i]) {
            if (s->rank[i] < best) {
                best = s->rank[i];
                at = i;
            }
        }
        if (at < 0)
            return;
        /* Every occurrence of this pair lies at or after the first one. */
        int32_t a = s->ids[at], b = s->ids[s->next[at]];
        for (int32_t i = at; i >= 0 && s->next[i] >= 0;) {
            if (s->ids[i] == a && s->ids[s->next[i]] == b)
                i = merge_at(t, s, i);
            else
                i = s->next[i];
        }
    }
}

static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= v)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
    return top;
}

static void push_pair(const bpe_state *s, uint64_t *heap, size_t *hn, int32_t i)
{
    if (i >= 0 && s->rank[i] != NO_RANK)
        heap_push(heap, hn, (uint64_t)s->rank[i] << 32 | (uint32_t)i);
}

/* The same rule in O(n log n) for long pieces: a heap ordered by (rank,
 * position). All occurrences of the lowest rank are taken out first and
 * merged left to right before any pair they create is considered, which is
 * exactly GPT-2's "merge every occurrence, then look again". */
static void bpe_heap(const aft_tokenizer *t, bpe_state *s, int32_t n, uint64_t *heap,
                     int32_t *batch)
{
    size_t hn = 0;
    for (int32_t i = 0; i < n; i++)
        push_pair(s, heap, &hn, i);
    while (hn > 0) {
        uint64_t top = heap_pop(heap, &hn);
        int32_t r = (int32_t)(top >> 32), nb = 0;
        if (s->rank[(uint32_t)top] != r)
            continue;  /* stale: that pair changed since it was pushed */
        batch[nb++] = (int32_t)(uint32_t)top;
        while (hn > 0 && (int32_t)(heap[0] >> 32) == r) {
            int32_t i = (int32_t)(uint32_t)heap_pop(heap, &hn);
            if (s->rank[i] == r)
                batch[nb++] = i;
        }
        for (int32_t k = 0; k < nb; k++) {
            int32_t i = batch[k];
            if (s->rank[i] != r)
                continue;  /* swallowed by the merge just before it */
            merge_at(t, s, i);
            push_pair(s, heap, &hn, s->prev[i]);
            push_pair(s, heap, &hn, i);
        }
    }
}

size_t aft_bpe_word(const aft_tokenizer *t, int32_t *ids, size_t n, void *scratch, int path)
{
    if (n < 2)
        return n;
    int32_t *p = scratch;
    bpe_state s = {ids, p, p + n, p + 2 * n, p + 3 * n};
    for (size_t i = 0; i < n; i++) {
        s.next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
        s.prev[i] = (int32_t)i - 1;
    }
    for (size_t i = 0; i < n; i++)
        pair_at(t, &s, (int32_t)i);
    /* Short pieces (nearly all of them) do better with a plain scan; the
     * cut-over was measured on long runs of Chinese. */
    if (path == AFT_BPE_HEAP || (path == AFT_BPE_AUTO && n > 96))
        bpe_heap(t, &s, (int32_t)n, (uint64_t *)(void *)(p + 6 * n), p + 4 * n);
    else
        bpe_list(t, &s);
    size_t m = 0;
    for (int32_t i = 0; i >= 0; i = s.next[i])
        ids[m++] = ids[i];
    return m;
}
