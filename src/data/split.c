/* Stratified train/valid/test split by (action, complexity), seeded. */
#include "agentft/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/rng.h"

typedef struct split_item {
    const char *action;
    int complexity;
    uint64_t shuffle_key;
    size_t record;
} split_item;

static int cmp_item(const void *pa, const void *pb)
{
    const split_item *a = pa, *b = pb;
    int c = strcmp(a->action, b->action);
    if (c)
        return c;
    if (a->complexity != b->complexity)
        return a->complexity - b->complexity;
    if (a->shuffle_key != b->shuffle_key)
        return a->shuffle_key < b->shuffle_key ? -1 : 1;
    return (a->record > b->record) - (a->record < b->record);
}

static int check_opts(const aft_split_opts *o, aft_error *err)
{
    if (!(o->valid >= 0 && o->valid < 1))
        return aft_error_set(err, "--valid %g is out of range (allowed 0..1, exclusive of 1)", o->valid);
    if (!(o->test >= 0 && o->test < 1))
        return aft_error_set(err, "--test %g is out of range (allowed 0..1, exclusive of 1)", o->test);
    if (o->valid + o->test >= 1)
        return aft_error_set(err, "--valid %g plus --test %g leaves no training records (their sum must be below 1)",
                             o->valid, o->test);
    return 0;
}

static int refuse_existing(const aft_dataset *ds, size_t n, aft_error *err)
{
    size_t have = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        if (aft_dataset_split(ds, i) != AFT_SPLIT_NONE) {
            if (have++ == 0)
                first = i;
        }
    }
    if (have == 0)
        return 0;
    char *id = aft_dataset_get_string(ds, first, "id");
    aft_error_set(err, "%s: %zu of %zu records already have a split (the first is record %zu%s%s%s); "
                  "pass --force to replace them",
                  aft_dataset_path(ds), have, n, first + 1, id ? ", id \"" : "", id ? id : "", id ? "\"" : "");
    free(id);
    return -1;
}

/* Cuts one stratum [lo, hi) of the sorted items, carrying the rounding over. */
static void cut_stratum(const split_item *items, size_t lo, size_t hi, const aft_split_opts *o,
                        double *carry_valid, double *carry_test, const char **values,
                        aft_split_result *res)
{
    size_t n = hi - lo;
    double want_test = (double)n * o->test + *carry_test;
    double want_valid = (double)n * o->valid + *carry_valid;
    size_t n_test = (size_t)floor(want_test + 1e-9);
    size_t n_valid = (size_t)floor(want_valid + 1e-9);
    if (n_test > n)
        n_test = n;
    if (n_valid > n - n_test)
        n_valid = n - n_test;
    *carry_test = want_test - (double)n_test;
    *carry_valid = want_valid - (double)n_valid;
    for (size_t k = 0; k < n; k++) {
        size_t r = items[lo + k].record;
        if (k < n_test) {
            values[r] = "test";
            res->test++;
        } else if (k < n_test + n_valid) {
            values[r] = "valid";
            res->valid++;
        } else {
            values[r] = "train";
            res->train++;
        }
    }
}

int aft_dataset_assign_split(aft_dataset *ds, const aft_split_opts *opts,
                             aft_split_result *res, aft_error *err)
{
    memset(res, 0, sizeof *res);
    if (check_opts(opts, err) < 0)
        return -1;
    size_t n = aft_dataset_count(ds);
    if (n == 0)
        return aft_error_set(err, "%s: no records to split", aft_dataset_path(ds));
    if (!opts->force && refuse_existing(ds, n, err) < 0)
        return -1;

    split_item *items = malloc(n * sizeof *items);
    const char **values = calloc(n, sizeof *values);
    if (!items || !values) {
        free(items);
        free(values);
        return aft_error_set(err, "out of memory splitting %zu records", n);
    }
    aft_rng rng;
    aft_rng_seed(&rng, opts->seed);
    for (size_t i = 0; i < n; i++) {
        items[i].action = aft_dataset_action(ds, i);
        items[i].complexity = aft_dataset_complexity(ds, i);
        items[i].shuffle_key = aft_rng_u64(&rng);
        items[i].record = i;
        if (aft_dataset_split(ds, i) != AFT_SPLIT_NONE)
            res->replaced++;
    }
    qsort(items, n, sizeof *items, cmp_item);

    double carry_valid = 0.5, carry_test = 0.5; /* round half up overall */
    size_t lo = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || strcmp(items[i].action, items[lo].action) != 0 ||
            items[i].complexity != items[lo].complexity) {
            cut_stratum(items, lo, i, opts, &carry_valid, &carry_test, values, res);
            res->strata++;
            lo = i;
        }
    }
    int rc = aft_dataset_set_strings(ds, "split", values, err);
    free(items);
    free(values);
    if (rc < 0)
        memset(res, 0, sizeof *res);
    return rc;
}
