/* Benchmark of classifying a data set (bench_classify RUN FILE): one call
 * over every example, which batches them in order of length, against calls
 * of one batch each in file order (each padded to its longest example), at
 * batch sizes 8, 32 and 128 on one thread; checks the predictions agree.
 * Prints figures only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/clock.h"
#include "agentft/dataset.h"
#include "agentft/predictor.h"

static int load(aft_predictor *p, const char *file, aft_example_set *set, aft_error *err)
{
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_dataset *ds = aft_dataset_open(file, &(aft_load_opts){0}, &d, err);
    int rc = -1;
    if (ds) {
        aft_example_opts o = aft_predictor_example_opts(p, 0, -1, AFT_SPLIT_TEST);
        rc = aft_examples_add(set, ds, aft_predictor_tokenizer(p), aft_predictor_actions(p), &o,
                              err);
    }
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    return rc;
}

static int measure(aft_predictor *p, const aft_example_set *set, const size_t *idx, int batch,
                   int32_t *sorted, int32_t *in_order, aft_error *err)
{
    size_t n = set->count;
    double t0 = aft_monotonic_s();
    if (aft_predictor_classify(p, set, NULL, n, batch, sorted, NULL, NULL, err) < 0)
        return -1;
    double t1 = aft_monotonic_s();
    for (size_t i = 0; i < n; i += (size_t)batch) {
        size_t m = n - i < (size_t)batch ? n - i : (size_t)batch;
        if (aft_predictor_classify(p, set, idx + i, m, batch, in_order + i, NULL, NULL, err) < 0)
            return -1;
    }
    double t2 = aft_monotonic_s();
    printf("batch %3d: by length %6.0f examples/s, file order %6.0f examples/s, "
           "same predictions: %s\n", batch, (double)n / (t1 - t0), (double)n / (t2 - t1),
           memcmp(sorted, in_order, n * sizeof *sorted) == 0 ? "yes" : "NO");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_classify RUN FILE\n");
        return 2;
    }
    aft_error err = {0};
    aft_example_set set;
    aft_example_set_init(&set);
    aft_predictor *p = aft_predictor_open(argv[1], NULL, 1, &err);
    if (!p || load(p, argv[2], &set, &err) < 0 || set.count == 0) {
        fprintf(stderr, "bench_classify: %s\n", err.set ? err.msg : "no examples");
        aft_predictor_free(p);
        return 1;
    }
    size_t n = set.count, *idx = malloc(n * sizeof *idx);
    int32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    int rc = idx && a && b ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        idx[i] = i;
    printf("%zu examples of %s, model %s, 1 thread\n", n, argv[2],
           aft_predictor_checkpoint_dir(p));
    for (int batch = 8; rc == 0 && batch <= 128; batch *= 4)
        rc = measure(p, &set, idx, batch, a, b, &err);
    if (rc < 0)
        fprintf(stderr, "bench_classify: %s\n", err.set ? err.msg : "out of memory");
    free(idx);
    free(a);
    free(b);
    aft_example_set_free(&set);
    aft_predictor_free(p);
    return rc < 0 ? 1 : 0;
}
