/* `agentft bench`: the measured sgemm peak, then for named model sizes the
 * training-step speed, FLOP rate and MFU, inference latency and memory.
 * Prints figures only; nothing here passes or fails on a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <cJSON.h>
#include <cblas.h>

#include "agentft/clock.h"
#include "agentft/blas.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/rng.h"
#include "cli.h"

#define BENCH_ACTIONS 16
#define INFER_T 64
#define GEMM_N 2048

typedef struct bench_size {
    const char *name;
    int d, L, H, T, B, V, max_seq;
    int steps, warmup;           /* training steps measured, and run before */
    int infer1_runs, infer32_runs;
} bench_size;

static const bench_size bench_sizes[] = {
    {"tiny", 128, 2, 4, 64, 16, 4096, 64, 20, 3, 20, 5},
    {"small", 256, 4, 4, 128, 8, 8192, 128, 10, 2, 20, 5},
    {"base", 768, 12, 12, 128, 4, 50257, 1024, 3, 1, 10, 3},
};
#define N_SIZES (sizeof bench_sizes / sizeof bench_sizes[0])

typedef struct size_result {
    const bench_size *s;
    int steps;
    size_t n_params, n_nonemb;
    double flop_step, step_ms, tokens_s, gflops, mfu;
    double infer1_ms, infer32_ms, infer32_seq_s, infer_gflops;
    size_t rss_before, rss_peak;
    size_t mem_params, mem_grads, mem_optim, mem_acts;
} size_result;

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

static void cpu_model(char *out, size_t n)
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
static double mem_available(void)
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
static double sgemm_peak(int n, int runs)
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
static double size_needs(const bench_size *s)
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
static int bench_one(const bench_size *s, int steps, size_result *r, aft_error *err)
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

/* ---- output ---- */

typedef struct bench_env {
    char blas[512];
    char cpu[256];
    long cores;
    int threads;
    double peak_start, peak_end;
    double peak;                 /* the better of the two: what MFU is against */
} bench_env;

static double mb(size_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

static size_t mem_needed(const size_result *r)
{
    return r->mem_params + r->mem_grads + r->mem_optim + r->mem_acts;
}

static void print_header(const bench_env *e)
{
    printf("BLAS      %s\n", e->blas);
    printf("machine   %s, %ld cores online\n", e->cpu, e->cores);
    printf("sgemm     %d^3 single precision, best of 5: %.1f GFLOP/s with %d thread%s\n",
           GEMM_N, e->peak_start, e->threads, e->threads == 1 ? "" : "s");
    printf("FLOPs     training step = B*T * (6*N + 12*L*T*d + 6*V*d), N = L*(12*d^2 + 13*d) + 2*d\n"
           "          (block and final-LayerNorm parameters); inference = B*T * (2*N + 4*L*T*d)\n");
    fflush(stdout);
}

static void print_size(const size_result *r)
{
    const bench_size *s = r->s;
    printf("\n%-9s d=%d L=%d H=%d T=%d B=%d V=%d, %d actions, %.2fM parameters (N = %.2fM)\n",
           s->name, s->d, s->L, s->H, s->T, s->B, s->V, BENCH_ACTIONS, (double)r->n_params * 1e-6,
           (double)r->n_nonemb * 1e-6);
    printf("  train   %.2f ms/step (median of %d after %d warm-up; AdamW, dropout 0.1, "
           "action + LM heads)\n", r->step_ms, r->steps, s->warmup);
    printf("          %.0f tokens/s, %.1f GFLOP/s (%.2f GFLOP a step)\n", r->tokens_s, r->gflops,
           r->flop_step * 1e-9);
    printf("  infer   batch 1 x %d tokens: %.2f ms; batch 32: %.1f sequences/s (%.1f GFLOP/s)\n",
           INFER_T, r->infer1_ms, r->infer32_seq_s, r->infer_gflops);
    printf("  memory  peak RSS %.1f MB (%.1f MB before the model); needed %.1f MB = params %.1f "
           "+ grads %.1f + AdamW %.1f + activations %.1f; ratio %.2f\n", mb(r->rss_peak),
           mb(r->rss_before), mb(mem_needed(r)), mb(r->mem_params), mb(r->mem_grads),
           mb(r->mem_optim), mb(r->mem_acts),
           mem_needed(r) ? (double)r->rss_peak / (double)mem_needed(r) : 0.0);
    fflush(stdout);
}

static cJSON *size_json(const size_result *r)
{
    const bench_size *s = r->s;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "size", s->name);
    cJSON *c = cJSON_AddObjectToObject(o, "config");
    const int vals[] = {s->d, s->L, s->H, s->T, s->B, s->V, BENCH_ACTIONS};
    const char *keys[] = {"d_model", "n_layer", "n_head", "seq_len", "batch", "vocab", "actions"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        cJSON_AddNumberToObject(c, keys[i], vals[i]);
    cJSON_AddNumberToObject(o, "params", (double)r->n_params);
    cJSON_AddNumberToObject(o, "params_nonembedding", (double)r->n_nonemb);
    cJSON_AddNumberToObject(o, "steps", r->steps);
    cJSON_AddNumberToObject(o, "warmup", s->warmup);
    cJSON_AddNumberToObject(o, "step_ms", r->step_ms);
    cJSON_AddNumberToObject(o, "tokens_per_s", r->tokens_s);
    cJSON_AddNumberToObject(o, "flop_per_step", r->flop_step);
    cJSON_AddNumberToObject(o, "gflops", r->gflops);
    cJSON_AddNumberToObject(o, "mfu", r->mfu);
    cJSON_AddNumberToObject(o, "infer_b1_ms", r->infer1_ms);
    cJSON_AddNumberToObject(o, "infer_b32_ms", r->infer32_ms);
    cJSON_AddNumberToObject(o, "infer_b32_seq_per_s", r->infer32_seq_s);
    cJSON_AddNumberToObject(o, "infer_b32_gflops", r->infer_gflops);
    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    cJSON_AddNumberToObject(mem, "rss_before", (double)r->rss_before);
    cJSON_AddNumberToObject(mem, "rss_peak", (double)r->rss_peak);
    cJSON_AddNumberToObject(mem, "params", (double)r->mem_params);
    cJSON_AddNumberToObject(mem, "grads", (double)r->mem_grads);
    cJSON_AddNumberToObject(mem, "optimizer", (double)r->mem_optim);
    cJSON_AddNumberToObject(mem, "activations", (double)r->mem_acts);
    cJSON_AddNumberToObject(mem, "needed", (double)mem_needed(r));
    cJSON_AddNumberToObject(mem, "ratio", mem_needed(r) ? (double)r->rss_peak / (double)mem_needed(r) : 0);
    return o;
}

static void print_json(const bench_env *e, const size_result *res, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "blas", e->blas);
    cJSON *mach = cJSON_AddObjectToObject(o, "machine");
    cJSON_AddStringToObject(mach, "cpu", e->cpu);
    cJSON_AddNumberToObject(mach, "cores", (double)e->cores);
    cJSON *g = cJSON_AddObjectToObject(o, "sgemm");
    cJSON_AddNumberToObject(g, "n", GEMM_N);
    cJSON_AddNumberToObject(g, "gflops", e->peak);
    cJSON_AddNumberToObject(g, "gflops_start", e->peak_start);
    cJSON_AddNumberToObject(g, "gflops_end", e->peak_end);
    cJSON_AddNumberToObject(g, "threads", e->threads);
    cJSON_AddStringToObject(o, "flop_formula",
                            "train: B*T*(6*N + 12*L*T*d + 6*V*d); infer: B*T*(2*N + 4*L*T*d); "
                            "N = L*(12*d^2 + 13*d) + 2*d");
    cJSON *arr = cJSON_AddArrayToObject(o, "sizes");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, size_json(&res[i]));
    char *text = cJSON_PrintUnformatted(o);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
}

static void print_summary(const bench_env *e, const size_result *res, size_t n)
{
    if (n == 0)
        return;
    printf("\nsgemm again at the end: %.1f GFLOP/s; MFU is against the better, %.1f GFLOP/s\n",
           e->peak_end, e->peak);
    printf("%-6s %9s %9s %8s %6s %8s %10s %9s\n", "size", "ms/step", "tokens/s", "GFLOP/s",
           "MFU", "b1 ms", "b32 seq/s", "RSS ratio");
    for (size_t i = 0; i < n; i++) {
        const size_result *r = &res[i];
        printf("%-6s %9.2f %9.0f %8.1f %5.1f%% %8.2f %10.1f %9.2f\n", r->s->name, r->step_ms,
               r->tokens_s, r->gflops, 100.0 * r->mfu, r->infer1_ms, r->infer32_seq_s,
               mem_needed(r) ? (double)r->rss_peak / (double)mem_needed(r) : 0.0);
    }
}

/* The peak is measured again after the sizes and the better of the two is
 * used: on a shared machine one of them may have been slowed down. */
static void finish_mfu(bench_env *e, size_result *res, size_t n)
{
    e->peak_end = n ? sgemm_peak(GEMM_N, 5) : 0;
    e->peak = e->peak_end > e->peak_start ? e->peak_end : e->peak_start;
    for (size_t i = 0; i < n; i++)
        res[i].mfu = e->peak > 0 ? res[i].gflops / e->peak : 0;
}

/* ---- the command ---- */

/* "tiny,small" or "all" into flags over bench_sizes. */
static int parse_sizes(const char *spec, int want[N_SIZES])
{
    memset(want, 0, sizeof(int) * N_SIZES);
    if (strcmp(spec, "all") == 0) {
        for (size_t i = 0; i < N_SIZES; i++)
            want[i] = 1;
        return 0;
    }
    const char *p = spec;
    do {
        size_t len = strcspn(p, ",");
        size_t i = 0;
        while (i < N_SIZES && !(strlen(bench_sizes[i].name) == len &&
                                strncmp(bench_sizes[i].name, p, len) == 0))
            i++;
        if (i == N_SIZES) {
            fprintf(stderr, "agentft bench: unknown size '%.*s' (tiny, small, base or all)\n",
                    (int)len, p);
            return -1;
        }
        want[i] = 1;
        p += len + (p[len] == ',');
    } while (*p);
    return 0;
}

static int bench_options(const char *size, const char *steps, const char *threads, int want[N_SIZES],
                         int *n_steps, int *n_threads)
{
    unsigned long long v;
    if (parse_sizes(size, want) < 0)
        return -1;
    *n_steps = 0;
    *n_threads = 0;
    if (steps) {
        if (cli_parse_u64("--steps", steps, &v) < 0)
            return -1;
        if (v < 1 || v > 100000) {
            fprintf(stderr, "agentft bench: --steps %s is out of range (1..100000)\n", steps);
            return -1;
        }
        *n_steps = (int)v;
    }
    if (threads) {
        if (cli_parse_u64("--threads", threads, &v) < 0)
            return -1;
        if (v > 1024) {
            fprintf(stderr, "agentft bench: --threads %s is out of range (0..1024)\n", threads);
            return -1;
        }
        *n_threads = (int)v;
    }
    return 0;
}

static void bench_env_init(bench_env *e, int threads, int json)
{
    e->threads = aft_blas_set_threads(threads);
    aft_blas_describe(e->blas, sizeof e->blas);
    cpu_model(e->cpu, sizeof e->cpu);
    e->cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!json)
        fprintf(stderr, "measuring the sgemm peak...\n");
    e->peak_start = e->peak = sgemm_peak(GEMM_N, 5);
}

/* Without --size, a size that would not fit in the available memory is
 * skipped with a note rather than pushing the machine into swap. */
static int fits(const bench_size *s, int chosen, int json)
{
    double need = size_needs(s), avail = mem_available();
    if (chosen || avail <= 0 || need * 1.25 < avail)
        return 1;
    if (!json)
        printf("\n%-9s skipped: needs about %.0f MB, %.0f MB available (--size %s runs it)\n",
               s->name, mb((size_t)need), mb((size_t)avail), s->name);
    return 0;
}

static int run_sizes(const int want[N_SIZES], int chosen, int n_steps, int json, bench_env *e)
{
    size_result res[N_SIZES];
    size_t n = 0;
    for (size_t i = 0; i < N_SIZES; i++) {
        const bench_size *s = &bench_sizes[i];
        if (!want[i] || !fits(s, chosen, json))
            continue;
        aft_error err = {0};
        if (!json)
            fprintf(stderr, "running %s...\n", s->name);
        if (bench_one(s, n_steps ? n_steps : s->steps, &res[n], &err) < 0) {
            fprintf(stderr, "agentft bench: %s: %s\n", s->name, err.msg);
            return CLI_FAIL;
        }
        if (!json)
            print_size(&res[n]);
        n++;
    }
    finish_mfu(e, res, n);
    if (json)
        print_json(e, res, n);
    else
        print_summary(e, res, n);
    return CLI_OK;
}

int cmd_bench(int argc, char **argv)
{
    const char *size = NULL, *steps = NULL, *threads = NULL;
    int json = 0;
    cli_opt opts[] = {{"--size", 1, &size, NULL}, {"--steps", 1, &steps, NULL},
                      {"--threads", 1, &threads, NULL}, {"--json", 0, NULL, &json}, {0}};
    cli_args args;
    int status, want[N_SIZES], n_steps, n_threads;
    if (!cli_begin("bench", argc, argv, opts, 0, "", &args, &status))
        return status;
    if (bench_options(size ? size : "all", steps, threads, want, &n_steps, &n_threads) < 0) {
        cli_usage("bench", 1);
        return CLI_USAGE;
    }
    bench_env e;
    bench_env_init(&e, n_threads, json);
    if (!json)
        print_header(&e);
    return run_sizes(want, size != NULL, n_steps, json, &e);
}
