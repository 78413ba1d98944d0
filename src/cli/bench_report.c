/* `agentft bench`'s output: the header, each size as it finishes, and the
 * summary table, or all of it as one line of JSON. */
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "bench.h"

double bench_mb(size_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

static size_t mem_needed(const size_result *r)
{
    return r->mem_params + r->mem_grads + r->mem_optim + r->mem_acts;
}

void bench_print_header(const bench_env *e)
{
    printf("BLAS      %s\n", e->blas);
    printf("machine   %s, %ld cores online\n", e->cpu, e->cores);
    printf("sgemm     %d^3 single precision, best of 5: %.1f GFLOP/s with %d thread%s\n",
           GEMM_N, e->peak_start, e->threads, e->threads == 1 ? "" : "s");
    printf("FLOPs     training step = B*T * (6*N + 12*L*T*d + 6*V*d), N = L*(12*d^2 + 13*d) + 2*d\n"
           "          (block and final-LayerNorm parameters); inference = B*T * (2*N + 4*L*T*d)\n");
    fflush(stdout);
}

void bench_print_size(const size_result *r)
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
           "+ grads %.1f + AdamW %.1f + activations %.1f; ratio %.2f\n", bench_mb(r->rss_peak),
           bench_mb(r->rss_before), bench_mb(mem_needed(r)), bench_mb(r->mem_params),
           bench_mb(r->mem_grads), bench_mb(r->mem_optim), bench_mb(r->mem_acts),
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

void bench_print_json(const bench_env *e, const size_result *res, size_t n)
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

void bench_print_summary(const bench_env *e, const size_result *res, size_t n)
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
