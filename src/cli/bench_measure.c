/* `agentft bench`'s measurements: the machine (CPU, memory, sgemm peak), the
 * FLOPs of a step, and each size's training step, inference and memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cblas.h>

#include "agentft/clock.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/rng.h"
#include "bench.h"

const bench_size bench_sizes[] = {
    {"tiny", 128, 2, 4, 64, 16, 4096, 64, 20, 3, 20, 5},
    {"small", 256, 4, 4, 128, 8, 8192, 128, 10, 2, 20, 5},
    {"base", 768, 12, 12, 128, 4, 50257, 1024, 3, 1, 10, 3},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the machine ---- */

void bench_cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(out, n, "%s", colon);
            break;
        }
    }
    fclose(f);
}

/* A field of /proc/self/status in bytes ("VmHWM", "VmRSS"); 0 if unknown. */
static size_t proc_status_bytes(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    size_t len = strlen(field), kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            kb = strtoull(line + len + 1, NULL, 10);
    fclose(f);
    return kb * 1024;
}

/* Starts a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM).
 * Returns 0 when the kernel does not allow it and the peak is the process's. */
static int reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* MemAvailable from /proc/meminfo in bytes; 0 if unknown. */
double bench_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "MemAvailable:", 13) == 0)
            kb = strtod(line + 13, NULL);
    fclose(f);
    return kb * 1024;
}

static size_t peak_rss(void)
{
    size_t hwm = proc_status_bytes("VmHWM");
    if (hwm)
        return hwm;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (size_t)ru.ru_maxrss * 1024;
}

/* Best of a few large square sgemm products: the peak MFU is measured against. */
double bench_sgemm_peak(int n, int runs)
{
    size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    double best = 0;
    if (a && b && c) {
        aft_rng rng;
        aft_rng_seed(&rng, 1);
        for (size_t i = 0; i < nn; i++) {
            a[i] = (float)aft_rng_uniform(&rng) - 0.5f;
            b[i] = (float)aft_rng_uniform(&rng) - 0.5f;
        }
        for (int r = 0; r <= runs; r++) {   /* run 0 warms up (threads, pages) */
            double t0 = aft_monotonic_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                        0.0f, c, n);
            double g = 2.0 * n * (double)nn / (aft_monotonic_s() - t0) * 1e-9;
            if (r > 0 && g > best)
                best = g;
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}

/* ---- FLOPs ---- */

/* Parameters of the blocks and the final LayerNorm: all but wte, wpe, head. */
static double nonembedding_params(const bench_size *s)
{
    double d = s->d;
    return s->L * (12.0 * d * d + 13.0 * d) + 2.0 * d;
}

/* One training step (forward + backward): per token 6 N for the weights,
 * 12 L T d for attention scores and their use, 6 V d for the tied LM head
 * (on at every position). The action head (6 A d per sequence) is left out. */
static double train_flops(const bench_size *s)
{
    double tokens = (double)s->B * s->T;
    return tokens * (6.0 * nonembedding_params(s) + 12.0 * s->L * (double)s->T * s->d +
                     6.0 * (double)s->V * s->d);
}

/* Inference forward with the action head only: a third of the above, no LM head. */
static double infer_flops(const bench_size *s, int B, int T)
{
    return (double)B * T * (2.0 * nonembedding_params(s) + 4.0 * s->L * (double)T * s->d);
}

/* ---- the model runs ---- */

typedef struct bench_data {
    int32_t *tokens, *lengths, *labels, *targets;
    aft_batch batch;
} bench_data;

static void data_free(bench_data *d)
{
    free(d->tokens);
    free(d->lengths);
    free(d->labels);
    free(d->targets);
}

/* Random full-length sequences; LM targets at every position but the last. */
static int data_make(bench_data *d, int B, int T, int V, int train, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    size_t n = (size_t)B * T;
    d->tokens = malloc(n * sizeof(int32_t));
    d->lengths = malloc((size_t)B * sizeof(int32_t));
    d->labels = malloc((size_t)B * sizeof(int32_t));
    d->targets = malloc(n * sizeof(int32_t));
    if (!d->tokens || !d->lengths || !d->labels || !d->targets)
        return -1;
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        d->tokens[i] = (int32_t)aft_rng_below(&rng, (uint64_t)V);
    for (int b = 0; b < B; b++) {
        d->lengths[b] = T;
        d->labels[b] = (int32_t)aft_rng_below(&rng, BENCH_ACTIONS);
        for (int t = 0; t < T; t++)
            d->targets[(size_t)b * T + t] = t + 1 < T ? d->tokens[(size_t)b * T + t + 1] : -1;
    }
    d->batch = (aft_batch){.B = B, .T = T, .tokens = d->tokens, .lengths = d->lengths,
                           .labels = train ? d->labels : NULL,
                           .lm_targets = train ? d->targets : NULL};
    return 0;
}

static int train_step(aft_model *m, aft_optim *o, const aft_batch *b, aft_error *err)
{
    aft_forward_opts fo = {.training = 1, .cls_weight = 1.0f, .lm_weight = 1.0f};
    aft_forward_result r;
    /* The gradients start at zero (new model) and the step zeroes them again. */
    if (aft_model_forward(m, b, &fo, &r, err) < 0 || aft_model_backward(m, err) < 0)
        return -1;
    aft_optim_step_zero_grads(o, aft_model_params(m), aft_model_grads(m), 1e-4f);
    return 0;
}

/* Median milliseconds of `runs` calls after `warmup` unmeasured ones. */
static int time_train(aft_model *m, aft_optim *o, const aft_batch *b, int warmup, int runs,
                      double *ms, aft_error *err)
{
    double *t = calloc((size_t)runs, sizeof *t);
    if (!t)
        return aft_error_set(err, "out of memory");
    int rc = 0;
    for (int i = 0; i < warmup + runs && rc == 0; i++) {
        double t0 = aft_monotonic_s();
        rc = train_step(m, o, b, err);
        if (i >= warmup)
            t[i - warmup] = (aft_monotonic_s() - t0) * 1e3;
    }
    if (rc == 0)
        *ms = median(t, runs);
    free(t);
    return rc;
}

static int time_infer(aft_model *m, int B, int V, int runs, double *ms, aft_error *err)
{
    bench_data d;
    double *t = calloc((size_t)runs, sizeof *t);
    int rc = data_make(&d, B, INFER_T, V, 0, 7) < 0 || !t ? aft_error_set(err, "out of memory") : 0;
    aft_forward_opts fo = {.training = 0, .cls_weight = 1.0f};
    aft_forward_result r;
    for (int i = -1; i < runs && rc == 0; i++) {   /* i = -1 warms up */
        double t0 = aft_monotonic_s();
        rc = aft_model_forward(m, &d.batch, &fo, &r, err);
        if (i >= 0)
            t[i] = (aft_monotonic_s() - t0) * 1e3;
    }
    if (rc == 0)
        *ms = median(t, runs);
    free(t);
    data_free(&d);
    return rc;
}

static aft_model_config config_of(const bench_size *s)
{
    return (aft_model_config){.n_layer = s->L, .n_head = s->H, .d_model = s->d,
                              .max_seq = s->max_seq, .vocab_size = s->V,
                              .n_actions = BENCH_ACTIONS, .dropout = 0.1f, .attn_dropout = 0.1f,
                              .lora_alpha = 1.0f};
}

/* Bytes a size needs to train (params, grads, two AdamW moments, activations),
 * worked out before building it. */
double bench_size_needs(const bench_size *s)
{
    aft_model_config c = config_of(s);
    double d = s->d;
    double floats = ((double)s->V + s->max_seq) * d + nonembedding_params(s) +
                    BENCH_ACTIONS * (d + 1);
    return floats * 4 * sizeof(float) + (double)aft_model_activation_bytes(&c, s->B, s->T, 1);
}

static aft_model *make_model(const bench_size *s, aft_error *err)
{
    aft_model_config c = config_of(s);
    aft_model *m = aft_model_new(&c, err);
    if (m)
        aft_model_init_random(m, 42);
    return m;
}

static aft_optim *make_optim(aft_model *m, aft_error *err)
{
    aft_optim_config oc = {.kind = AFT_OPT_ADAMW, .lr = 1e-4f, .beta1 = 0.9f, .beta2 = 0.999f,
                           .eps = 1e-8f, .weight_decay = 0.01f, .layer_lr_decay = 1.0f};
    size_t n;
    const aft_param *p = aft_model_param_list(m, &n);
    return aft_optim_new(p, n, aft_model_num_floats(m), aft_model_get_config(m)->n_layer, &oc, err);
}

static void memory_needs(aft_model *m, aft_optim *o, const bench_size *s, size_result *r)
{
    size_t state = 0;
    aft_optim_state(o, &state);
    r->n_params = aft_model_num_floats(m);
    r->mem_params = r->n_params * sizeof(float);
    r->mem_grads = r->n_params * sizeof(float);
    r->mem_optim = state * sizeof(float);
    r->mem_acts = aft_model_activation_bytes(aft_model_get_config(m), s->B, s->T, 1);
}

/* Trains and infers one size; fills r. */
int bench_one(const bench_size *s, int steps, size_result *r, aft_error *err)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->steps = steps;
    reset_peak_rss();
    r->rss_before = proc_status_bytes("VmRSS");
    bench_data d = {0};
    aft_model *m = make_model(s, err);
    aft_optim *o = m ? make_optim(m, err) : NULL;
    int rc = o ? 0 : -1;
    if (rc == 0 && data_make(&d, s->B, s->T, s->V, 1, 3) < 0)
        rc = aft_error_set(err, "out of memory for the batch");
    if (rc == 0)
        rc = time_train(m, o, &d.batch, s->warmup, steps, &r->step_ms, err);
    /* The peak of training alone: batch-32 inference may need more activations. */
    r->rss_peak = peak_rss();
    if (rc == 0)
        rc = time_infer(m, 1, s->V, s->infer1_runs, &r->infer1_ms, err);
    if (rc == 0)
        rc = time_infer(m, 32, s->V, s->infer32_runs, &r->infer32_ms, err);
    if (rc == 0) {
        memory_needs(m, o, s, r);
        r->n_nonemb = (size_t)nonembedding_params(s);
        r->flop_step = train_flops(s);
        r->tokens_s = (double)s->B * s->T / (r->step_ms * 1e-3);
        r->gflops = r->flop_step / (r->step_ms * 1e-3) * 1e-9;
        r->infer32_seq_s = 32.0 / (r->infer32_ms * 1e-3);
        r->infer_gflops = infer_flops(s, 32, INFER_T) / (r->infer32_ms * 1e-3) * 1e-9;
    }
    data_free(&d);
    aft_optim_free(o);
    aft_model_free(m);
    return rc;
}
