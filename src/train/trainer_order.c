/* The order in which an epoch visits the training examples: shuffled,
 * curriculum (easy to hard by complexity) or stratified by action and
 * complexity. An epoch's order is a function of the seed, the epoch number
 * and the examples, so a resumed run rebuilds the same one.
 *
 * Curriculum rule. Let c_1 < ... < c_L be the complexity levels present in
 * the training examples and E = curriculum_epochs. Epoch e (0-based) with
 * e < E uses the k easiest levels, shuffled and then ordered easy to hard
 * (stable, so examples of a level stay shuffled), where with p = (e+1)/E
 *   linear: k = ceil(p * L)
 *   sqrt:   k = ceil(sqrt(p) * L)      (harder levels join sooner)
 *   step:   k = 1 + floor(e * (L-1) / (E-1))   (k = L when E = 1: one level
 *           joins per stage, the first epoch has only the easiest, epoch E-1 all)
 * From epoch E on every example is in play, shuffled. */
#include "trainer_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void epoch_rng(const aft_trainer *t, uint64_t epoch, aft_rng *r)
{
    uint64_t seed = (uint64_t)aft_config_int(t->cfg, AFT_K_SEED);
    aft_rng_seed(r, seed ^ (0x9E3779B97F4A7C15ULL * (epoch + 1)));
}

static int sampling_is(const aft_trainer *t, const char *name)
{
    return strcmp(aft_config_text(t->cfg, AFT_K_SAMPLING), name) == 0;
}

/* The distinct complexity levels of the training examples, ascending, and
 * how many examples each has. */
static int levels_of(const aft_trainer *t, int levels[AFT_MAX_COMPLEXITY + 1],
                     size_t counts[AFT_MAX_COMPLEXITY + 1])
{
    size_t per[256] = {0};
    const aft_example_set *s = &t->data.sets[TR_TRAIN];
    for (size_t i = 0; i < s->count; i++)
        per[s->items[i].complexity]++;
    int L = 0;
    for (int c = 0; c < 256 && L <= AFT_MAX_COMPLEXITY; c++)
        if (per[c]) {
            levels[L] = c;
            counts[L++] = per[c];
        }
    return L;
}

static int levels_for_epoch(const aft_trainer *t, uint64_t epoch, int L)
{
    uint64_t E = (uint64_t)aft_config_int(t->cfg, AFT_K_CURRICULUM_EPOCHS);
    if (!sampling_is(t, "curriculum") || L <= 1 || epoch >= E)
        return L;
    const char *pacing = aft_config_text(t->cfg, AFT_K_CURRICULUM_PACING);
    double p = (double)(epoch + 1) / (double)E;
    int k;
    if (strcmp(pacing, "step") == 0)
        k = E == 1 ? L : 1 + (int)(epoch * (uint64_t)(L - 1) / (E - 1));
    else if (strcmp(pacing, "sqrt") == 0)
        k = (int)ceil(sqrt(p) * L - 1e-9);
    else
        k = (int)ceil(p * L - 1e-9);
    return k < 1 ? 1 : k > L ? L : k;
}

int tr_levels_in_play(const aft_trainer *t, uint64_t epoch, int *levels, int *n_levels)
{
    size_t counts[AFT_MAX_COMPLEXITY + 1];
    int all[AFT_MAX_COMPLEXITY + 1];
    int L = levels_of(t, all, counts);
    int k = levels_for_epoch(t, epoch, L);
    if (levels)
        memcpy(levels, all, (size_t)k * sizeof *levels);
    if (n_levels)
        *n_levels = L;
    return k;
}

size_t tr_epoch_examples(const aft_trainer *t, uint64_t epoch)
{
    int levels[AFT_MAX_COMPLEXITY + 1];
    size_t counts[AFT_MAX_COMPLEXITY + 1];
    int L = levels_of(t, levels, counts);
    int k = levels_for_epoch(t, epoch, L);
    size_t n = 0;
    for (int i = 0; i < k; i++)
        n += counts[i];
    return n;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

uint64_t tr_total_steps(const aft_trainer *t)
{
    if (tr_is_ppo(t)) {
        uint64_t u = (uint64_t)aft_config_int(t->cfg, AFT_K_PPO_UPDATES);
        uint64_t m = (uint64_t)aft_config_int(t->cfg, AFT_K_MAX_STEPS);
        return m > 0 && m < u ? m : u;
    }
    uint64_t B = (uint64_t)aft_config_int(t->cfg, AFT_K_BATCH_SIZE);
    uint64_t E = (uint64_t)aft_config_int(t->cfg, AFT_K_EPOCHS);
    uint64_t CE = (uint64_t)aft_config_int(t->cfg, AFT_K_CURRICULUM_EPOCHS);
    uint64_t max = (uint64_t)aft_config_int(t->cfg, AFT_K_MAX_STEPS);
    uint64_t total = t->st.step, e = t->st.epoch;
    if (e < E) {
        uint64_t n = t->data.have_order && t->data.order_epoch == e ? t->data.n_order
                                                                     : tr_epoch_examples(t, e);
        uint64_t pos = t->st.epoch_pos < n ? t->st.epoch_pos : n;
        total += ceil_div(n - pos, B);
        /* Epochs past the curriculum all have every example. */
        for (e = e + 1; e < E && e < CE; e++)
            total += ceil_div(tr_epoch_examples(t, e), B);
        if (e < E)
            total += (E - e) * ceil_div(t->data.sets[TR_TRAIN].count, B);
    }
    return max > 0 && total > max ? (max > t->st.step ? max : t->st.step) : total;
}

typedef struct keyed {
    int64_t key;
    size_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Easy to hard, stable: a counting sort by complexity. */
static void sort_by_level(const aft_example_set *s, size_t *order, size_t n, size_t *tmp)
{
    size_t start[257] = {0};
    for (size_t i = 0; i < n; i++)
        start[s->items[order[i]].complexity + 1]++;
    for (int c = 1; c < 257; c++)
        start[c] += start[c - 1];
    for (size_t i = 0; i < n; i++)
        tmp[start[s->items[order[i]].complexity]++] = order[i];
    memcpy(order, tmp, n * sizeof *order);
}

/* Groups the examples into (action, complexity) strata: order holds them
 * stratum by stratum, starts[j] where stratum j begins; returns the count. */
static size_t strata(const aft_example_set *s, size_t *order, size_t *starts, keyed *k)
{
    size_t n = s->count, g = 0;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){(int64_t)s->items[i].label * 256 + s->items[i].complexity, i};
    qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || k[i].key != k[i - 1].key)
            starts[g++] = i;
        order[i] = k[i].idx;
    }
    starts[g] = n;
    return g;
}

/* Round-robin over the strata, each shuffled, the strata themselves in
 * shuffled order: every run of a few dozen examples spans many strata. */
static int stratified(const aft_example_set *s, size_t *order, aft_rng *rng)
{
    size_t n = s->count, sz = n + 1;
    keyed *k = malloc(sz * sizeof *k);
    size_t *starts = malloc(sz * sizeof *starts), *perm = malloc(sz * sizeof *perm);
    size_t *grouped = malloc(sz * sizeof *grouped);
    int ok = k && starts && perm && grouped;
    if (ok) {
        size_t g = strata(s, grouped, starts, k);
        for (size_t j = 0; j < g; j++) {
            aft_rng_shuffle(rng, grouped + starts[j], starts[j + 1] - starts[j], sizeof *grouped);
            perm[j] = j;
        }
        aft_rng_shuffle(rng, perm, g, sizeof *perm);
        size_t out = 0;
        for (size_t round = 0; out < n; round++)
            for (size_t j = 0; j < g; j++) {
                size_t st = perm[j];
                if (round < starts[st + 1] - starts[st])
                    order[out++] = grouped[starts[st] + round];
            }
    }
    free(k);
    free(starts);
    free(perm);
    free(grouped);
    return ok ? 0 : -1;
}

int tr_order_build(aft_trainer *t, uint64_t epoch, aft_error *err)
{
    const aft_example_set *s = &t->data.sets[TR_TRAIN];
    size_t n = s->count;
    size_t *order = malloc((n ? n : 1) * sizeof *order), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return aft_error_set(err, "out of memory for the data order");
    }
    aft_rng rng;
    epoch_rng(t, epoch, &rng);
    t->st.data_rng = rng;
    size_t m = n;
    int rc = 0;
    if (sampling_is(t, "stratified")) {
        rc = stratified(s, order, &rng);
    } else {
        int levels[AFT_MAX_COMPLEXITY + 1], L;
        int k = tr_levels_in_play(t, epoch, levels, &L);
        m = 0;
        for (size_t i = 0; i < n; i++)
            if (k == L || s->items[i].complexity <= levels[k - 1])
                order[m++] = i;
        aft_rng_shuffle(&rng, order, m, sizeof *order);
        uint64_t CE = (uint64_t)aft_config_int(t->cfg, AFT_K_CURRICULUM_EPOCHS);
        if (sampling_is(t, "curriculum") && epoch < CE)
            sort_by_level(s, order, m, tmp);
    }
    free(tmp);
    if (rc < 0) {
        free(order);
        return aft_error_set(err, "out of memory for the data order");
    }
    free(t->data.order);
    t->data.order = order;
    t->data.n_order = m;
    t->data.order_epoch = epoch;
    t->data.have_order = 1;
    return 0;
}
