/* Benchmark of the transformer passes (bench_model [steps]): ms per training
 * step, tokens/s, GFLOP/s against the measured sgemm peak; prints figures only. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "agentft/blas.h"
#include "agentft/model.h"
#include "agentft/rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* GFLOP/s of a large square sgemm: the roof the model's products can reach. */
static double sgemm_peak(void)
{
    int n = 1536;
    float *a = calloc((size_t)n * n, sizeof *a), *b = calloc((size_t)n * n, sizeof *b);
    float *c = calloc((size_t)n * n, sizeof *c);
    if (!a || !b || !c)
        return 0;
    for (size_t i = 0; i < (size_t)n * n; i++)
        a[i] = b[i] = (float)(i % 13) * 0.01f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double t0 = now();
    int reps = 5;
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    double dt = (now() - t0) / reps;
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * n / dt / 1e9;
}

typedef struct bench_case {
    const char *name;
    int d, L, H, T, B, V, A;
    float lm_weight, dropout;
    int lora;
} bench_case;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Matrix-product FLOPs of one forward: the block projections (24 C^2 a
 * token), attention scores and mixing over the full T (4 T C a token), the
 * heads; a training step is three times that (backward twice forward). */
static double forward_flops(const bench_case *k)
{
    double N = (double)k->B * k->T, C = k->d;
    double f = N * k->L * (24.0 * C * C + 4.0 * k->T * C) + 2.0 * k->B * C * k->A;
    if (k->lm_weight > 0)
        f += 2.0 * N * C * k->V;
    return f;
}

/* Full-length random sequences, every position an LM target when lm. */
static aft_batch make_batch(const bench_case *k, int32_t *tok, int32_t *tgt, int32_t *lens,
                            int32_t *labels)
{
    aft_rng rng;
    aft_rng_seed(&rng, 2);
    for (int i = 0; i < k->B * k->T; i++) {
        tok[i] = (int32_t)aft_rng_below(&rng, (uint64_t)k->V);
        tgt[i] = (int32_t)aft_rng_below(&rng, (uint64_t)k->V);
    }
    for (int b = 0; b < k->B; b++) {
        lens[b] = k->T;
        labels[b] = b % k->A;
    }
    return (aft_batch){.B = k->B, .T = k->T, .tokens = tok, .lengths = lens, .labels = labels,
                       .lm_targets = k->lm_weight > 0 ? tgt : NULL};
}

/* Seconds of each of `steps` training steps after a warm-up one, sorted,
 * and the mean forward time. */
static int time_steps(aft_model *m, const aft_batch *b, float lm_weight, int steps, double *t,
                      double *fwd, aft_error *err)
{
    aft_forward_opts o = {.training = 1, .cls_weight = 1.0f, .lm_weight = lm_weight};
    *fwd = 0;
    for (int s = -1; s < steps; s++) {
        double t0 = now();
        if (aft_model_forward(m, b, &o, NULL, err) < 0)
            return -1;
        double t1 = now();
        if (aft_model_backward(m, err) < 0)
            return -1;
        if (s >= 0) {
            *fwd += (t1 - t0) / steps;
            t[s] = now() - t0;
        }
    }
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    return 0;
}

static int run_case(const bench_case *k, int steps, double peak)
{
    aft_model_config cfg = {.n_layer = k->L, .n_head = k->H, .d_model = k->d, .max_seq = 1024,
                            .vocab_size = k->V, .n_actions = k->A, .lora_rank = k->lora,
                            .lora_alpha = 16.0f, .dropout = k->dropout,
                            .attn_dropout = k->dropout};
    aft_error err = {0};
    aft_model *m = aft_model_new(&cfg, &err);
    size_t N = (size_t)k->B * k->T;
    int32_t *tok = malloc(N * sizeof *tok), *tgt = malloc(N * sizeof *tgt), lens[64], labels[64];
    double *t = calloc((size_t)steps, sizeof *t), fwd;
    int rc = -1;
    if (!m || !tok || !tgt || !t || k->B > 64)
        goto out;
    aft_model_init_random(m, 1);
    aft_batch b = make_batch(k, tok, tgt, lens, labels);
    if (time_steps(m, &b, k->lm_weight, steps, t, &fwd, &err) < 0)
        goto out;
    /* The best step is the figure to compare: other work on the machine only
     * ever makes a step slower. Frozen base weights (LoRA) skip their weight
     * gradients: a step is then twice a forward. */
    double best = t[0], gflops = (k->lora ? 2.0 : 3.0) * forward_flops(k) / best / 1e9;
    double pg = 2.0 * aft_model_num_floats(m) * sizeof(float) / 1048576.0;
    double act = aft_model_activation_bytes(&cfg, k->B, k->T, k->lm_weight > 0) / 1048576.0;
    printf("%-34s %7.1f ms/step (median %7.1f, fwd %6.1f) %6.0f tok/s %6.1f GFLOP/s %5.1f%% "
           "of sgemm peak; params+grads %.0f MiB, activations %.0f MiB, peak RSS %.0f MiB\n",
           k->name, best * 1e3, t[steps / 2] * 1e3, fwd * 1e3, (double)N / best, gflops,
           100.0 * gflops / peak, pg, act, peak_rss_mb());
    rc = 0;
out:
    if (rc < 0)
        fprintf(stderr, "bench_model: %s: %s\n", k->name, err.set ? err.msg : "out of memory");
    free(t);
    free(tok);
    free(tgt);
    aft_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    aft_error err = {0};
    char desc[256];
    if (aft_blas_prepare(argc, argv, &err) < 0) /* the same BLAS core choice as agentft */
        fprintf(stderr, "bench_model: %s\n", err.msg);
    int steps = argc > 1 ? atoi(argv[1]) : 5;
    if (steps < 1)
        steps = 1;
    double peak = sgemm_peak();
    printf("%s\n", aft_blas_describe(desc, sizeof desc));
    printf("sgemm peak %.1f GFLOP/s (1536^3); FLOPs = 3 x forward matrix products; "
           "best of %d steps\n", peak, steps);
    /* "+lm": LM targets at every position; "drop": dropout 0.1 on embeddings,
     * residual branches and attention weights (as agentft bench runs). */
    static const bench_case cases[] = {
        {"d768 L12 T128 B4 cls", 768, 12, 12, 128, 4, 50257, 16, 0.0f, 0.0f, 0},
        {"d768 L12 T128 B4 cls+lm drop", 768, 12, 12, 128, 4, 50257, 16, 1.0f, 0.1f, 0},
        {"d768 L12 T128 B4 lora8 cls+lm", 768, 12, 12, 128, 4, 50257, 16, 1.0f, 0.0f, 8},
        {"d256 L4 T128 B8 V8192 cls", 256, 4, 4, 128, 8, 8192, 16, 0.0f, 0.0f, 0},
        {"d256 L4 T128 B8 V8192 cls+lm drop", 256, 4, 4, 128, 8, 8192, 16, 1.0f, 0.1f, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (run_case(&cases[i], steps, peak) < 0)
            return 1;
    return 0;
}
