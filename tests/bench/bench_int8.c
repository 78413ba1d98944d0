/* Benchmark of INT8 inference against float32 (bench_int8 FLOAT_RUN INT8_DIR
 * [N]): batch-1 latency of the two models on the run's test contexts,
 * timed in alternation so that both see the same machine load, end to end
 * (tokenization + forward) and forward alone; then the matrix products of
 * the model's shapes at batch 1 (sgemm against the int8 layer). Prints
 * figures only. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentft/int8.h"
#include "agentft/report.h"
#include "../../src/model/int8_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double mean, p50, p90;
} stats;

static stats summarize(double *v, size_t n)
{
    stats s = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        s.mean += v[i] / (double)n;
    qsort(v, n, sizeof *v, cmp_double);
    s.p50 = v[n / 2];
    s.p90 = v[n * 9 / 10];
    return s;
}

static void print_pair(const char *what, stats f, stats q)
{
    printf("%-22s float %7.4f / %7.4f / %7.4f ms   int8 %7.4f / %7.4f / %7.4f ms   "
           "int8/float mean %.2f, p50 %.2f\n", what, f.mean, f.p50, f.p90, q.mean, q.p50, q.p90,
           q.mean / f.mean, q.p50 / f.p50);
}

/* Times one batch-1 call of each model per example, alternating which goes first. */
static int time_models(aft_eval_input *in[2], size_t n, int forward_only, double *lat[2])
{
    aft_error err = {0};
    int32_t pred;
    float conf;
    for (size_t i = 0; i < n; i++) {
        size_t k = i % in[0]->examples.count;
        char *ctx = aft_dataset_get_string(in[0]->ds, in[0]->examples.items[k].record, "context");
        for (int j = 0; j < 2; j++) {
            int m = (int)((i + (size_t)j) % 2);
            double t0 = now();
            int rc = forward_only
                         ? aft_predictor_classify(in[m]->pred, &in[m]->examples, &k, 1, 1, &pred,
                                                  &conf, NULL, &err)
                         : aft_predictor_classify_text(in[m]->pred, (const char *const *)&ctx, 1,
                                                       1, &pred, &conf, NULL, NULL, &err);
            lat[m][i] = (now() - t0) * 1e3;
            if (rc < 0) {
                fprintf(stderr, "bench_int8: %s\n", err.msg);
                free(ctx);
                return -1;
            }
        }
        free(ctx);
    }
    return 0;
}

/* y (M, out) = x (M, in) @ W: sgemm against the int8 layer, ms per call. */
static void time_shape(int M, int in, int out, aft_q8_kernel kernel)
{
    float *x = malloc(sizeof(float) * (size_t)M * in), *W = malloc(sizeof(float) * (size_t)in * out);
    float *y = malloc(sizeof(float) * (size_t)M * out);
    aft_q8_weights w = {.kernel = kernel};
    aft_q8_matrix mx;
    aft_q8_matrix_alloc(&mx, (size_t)out, (size_t)in);
    w.xq = malloc(AFT_Q8_ROWS * ((size_t)in + 4));
    w.xs = malloc(AFT_Q8_ROWS * sizeof(float));
    w.acc = malloc(AFT_Q8_ROWS * (size_t)out * sizeof(int32_t));
    for (size_t i = 0; i < (size_t)M * in; i++)
        x[i] = (float)((i * 7) % 13) * 0.1f - 0.6f;
    for (size_t i = 0; i < (size_t)in * out; i++)
        W[i] = (float)((i * 5) % 11) * 0.01f - 0.05f;
    aft_q8_quantize_cols_t(mx.q, mx.scale, W, (size_t)in, (size_t)out);
    mx.packed = NULL;
    mx.rowsum = NULL;
    if (kernel != AFT_Q8_PORTABLE)
        aft_q8_matrix_pack(&mx);
    int reps = (int)(2e8 / ((double)M * in * out)) + 10;
    double t0 = now();
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, out, in, 1.0f, x, in, W, out,
                    0.0f, y, out);
    double tf = (now() - t0) / reps * 1e3;
    t0 = now();
    for (int r = 0; r < reps; r++)
        aft_q8_linear(&w, &mx, y, x, NULL, (size_t)M);
    double tq = (now() - t0) / reps * 1e3;
    printf("  M %4d  %4d -> %-5d  sgemm %8.4f ms  int8 %-8s %8.4f ms  (%.2fx)\n", M, in, out, tf,
           aft_q8_kernel_name(kernel), tq, tq / tf);
    free(x);
    free(W);
    free(y);
    aft_q8_matrix_free(&mx);
    free(w.xq);
    free(w.xs);
    free(w.acc);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_int8 FLOAT_RUN INT8_DIR [SAMPLES]\n");
        return 2;
    }
    size_t n = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 2000;
    aft_error err = {0};
    aft_predictor *p[2] = {aft_predictor_open(argv[1], NULL, 1, &err), NULL};
    if (p[0])
        p[1] = aft_predictor_open(argv[2], NULL, 1, &err);
    aft_eval_input a = {0}, b = {0}, *in[2] = {&a, &b};
    aft_report_opts o = {.seed = 1};
    if (!p[1] || aft_eval_input_load(&a, p[0], &o, &err) < 0 ||
        aft_eval_input_load(&b, p[1], &o, &err) < 0) {
        fprintf(stderr, "bench_int8: %s\n", err.msg);
        return 1;
    }
    const aft_model_config *c = aft_model_get_config(aft_predictor_model(p[0]));
    printf("model: n_layer %d, d_model %d, vocab %d, %zu actions; %zu test examples; "
           "int8 kernel %s; 1 thread\n", c->n_layer, c->d_model, c->vocab_size,
           aft_predictor_actions(p[0])->count, a.examples.count,
           aft_q8_kernel_name(aft_model_int8_kernel(aft_predictor_model(p[1]))));
    double *lat[2] = {malloc(n * sizeof(double)), malloc(n * sizeof(double))};
    time_models(in, n / 10 + 1, 0, lat); /* warm-up */
    printf("batch-1 latency over %zu examples: mean / p50 / p90\n", n);
    if (time_models(in, n, 0, lat) == 0)
        print_pair("end to end", summarize(lat[0], n), summarize(lat[1], n));
    if (time_models(in, n, 1, lat) == 0)
        print_pair("forward only", summarize(lat[0], n), summarize(lat[1], n));
    double T = 0;
    for (size_t k = 0; k < a.examples.count; k++)
        T += (double)a.examples.items[k].length / (double)a.examples.count;
    int M = (int)(T + 0.5), C = c->d_model;
    printf("products at batch 1 (M = %d, the mean example length), ms per call:\n", M);
    aft_q8_kernel kernels[] = {AFT_Q8_VNNI, AFT_Q8_AVX2, AFT_Q8_PORTABLE};
    for (size_t k = 0; k < 3; k++) {
        if (!aft_q8_kernel_available(kernels[k]))
            continue;
        time_shape(M, C, 3 * C, kernels[k]);
        time_shape(M, C, C, kernels[k]);
        time_shape(M, C, 4 * C, kernels[k]);
        time_shape(M, 4 * C, C, kernels[k]);
        time_shape(1, C, (int)aft_predictor_actions(p[0])->count, kernels[k]);
    }
    free(lat[0]);
    free(lat[1]);
    aft_eval_input_free(&a);
    aft_eval_input_free(&b);
    aft_predictor_free(p[0]);
    aft_predictor_free(p[1]);
    return 0;
}
