/* Label counts, complexity and split counts and a context-length histogram
 * over one or more dataset files. */
#include "agentft/stats.h"

#include <stdlib.h>
#include <string.h>

void aft_data_stats_init(aft_data_stats *st)
{
    memset(st, 0, sizeof *st);
}

void aft_data_stats_free(aft_data_stats *st)
{
    for (size_t i = 0; i < st->n_actions; i++)
        free(st->actions[i].action);
    free(st->actions);
    free(st->words_all);
    memset(st, 0, sizeof *st);
}

size_t aft_len_bucket_min(size_t b)
{
    return b == 0 ? 1 : ((size_t)4 << (b - 1)) + 1;
}

static size_t len_bucket(size_t words)
{
    size_t b = 0;
    size_t upper = 4;
    while (b + 1 < AFT_LEN_BUCKETS && words > upper) {
        b++;
        upper *= 2;
    }
    return b;
}

/* Linear search is fine: datasets have tens to hundreds of actions and the
 * last hit is checked first, which catches runs of one action. */
static aft_action_stat *find_action(aft_data_stats *st, const char *action, size_t *hint,
                                    aft_error *err)
{
    if (*hint < st->n_actions && strcmp(st->actions[*hint].action, action) == 0)
        return &st->actions[*hint];
    for (size_t i = 0; i < st->n_actions; i++) {
        if (strcmp(st->actions[i].action, action) == 0) {
            *hint = i;
            return &st->actions[i];
        }
    }
    if (st->n_actions == st->cap_actions) {
        size_t ncap = st->cap_actions ? st->cap_actions * 2 : 16;
        aft_action_stat *n = realloc(st->actions, ncap * sizeof *n);
        if (!n) {
            aft_error_set(err, "out of memory counting actions");
            return NULL;
        }
        st->actions = n;
        st->cap_actions = ncap;
    }
    aft_action_stat *a = &st->actions[st->n_actions];
    memset(a, 0, sizeof *a);
    a->action = strdup(action);
    if (!a->action) {
        aft_error_set(err, "out of memory counting actions");
        return NULL;
    }
    *hint = st->n_actions++;
    return a;
}

int aft_data_stats_add(aft_data_stats *st, const aft_dataset *ds, aft_split implied,
                       aft_error *err)
{
    size_t n = aft_dataset_count(ds);
    if (st->records + n > st->words_cap) {
        size_t ncap = st->records + n;
        size_t *w = realloc(st->words_all, (ncap ? ncap : 1) * sizeof *w);
        if (!w)
            return aft_error_set(err, "out of memory for %zu records", ncap);
        st->words_all = w;
        st->words_cap = ncap;
    }
    size_t hint = 0;
    for (size_t i = 0; i < n; i++) {
        aft_action_stat *a = find_action(st, aft_dataset_action(ds, i), &hint, err);
        if (!a)
            return -1;
        aft_split sp = aft_dataset_split(ds, i);
        if (sp == AFT_SPLIT_NONE)
            sp = implied;
        int cx = aft_dataset_complexity(ds, i);
        if (cx < 1 || cx > AFT_MAX_COMPLEXITY)
            cx = 0;
        if (aft_dataset_complexity_field(ds, i) == 0)
            st->complexity_computed++;
        size_t words = aft_dataset_context_words(ds, i);
        a->count++;
        a->by_split[sp]++;
        a->by_complexity[cx]++;
        st->by_split[sp]++;
        st->by_complexity[cx]++;
        if (aft_dataset_context_turns(ds, i) > 1)
            st->multi_turn++;
        st->len_hist[len_bucket(words)]++;
        st->words_all[st->records++] = words;
    }
    st->bad_lines += aft_dataset_bad_lines(ds);
    return 0;
}

static int cmp_action(const void *pa, const void *pb)
{
    const aft_action_stat *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->action, b->action);
}

static int cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

void aft_data_stats_finish(aft_data_stats *st)
{
    if (st->n_actions > 1)
        qsort(st->actions, st->n_actions, sizeof *st->actions, cmp_action);
    if (st->records == 0)
        return;
    qsort(st->words_all, st->records, sizeof *st->words_all, cmp_size);
    double sum = 0;
    for (size_t i = 0; i < st->records; i++)
        sum += (double)st->words_all[i];
    st->words_mean = sum / (double)st->records;
    st->words_min = st->words_all[0];
    st->words_max = st->words_all[st->records - 1];
    /* Nearest-rank percentiles. */
    st->words_p50 = st->words_all[(st->records * 50 + 99) / 100 - 1];
    st->words_p95 = st->words_all[(st->records * 95 + 99) / 100 - 1];
}
