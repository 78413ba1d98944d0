/* What `agentft bench` runs and what it finds, shared by cmd_bench.c (the
 * command), bench_measure.c (the measurements) and bench_report.c (the output). */
#ifndef AGENTFT_CLI_BENCH_H
#define AGENTFT_CLI_BENCH_H

#include <stddef.h>

#include "agentft/error.h"

#define BENCH_ACTIONS 16
#define INFER_T 64
#define GEMM_N 2048

typedef struct bench_size {
    const char *name;
    int d, L, H, T, B, V, max_seq;
    int steps, warmup;           /* training steps measured, and run before */
    int infer1_runs, infer32_runs;
} bench_size;

/* The named sizes, in the order they run (the table is in bench_measure.c). */
#define N_SIZES ((size_t)3)
extern const bench_size bench_sizes[N_SIZES];

typedef struct size_result {
    const bench_size *s;
    int steps;
    size_t n_params, n_nonemb;
    double flop_step, step_ms, tokens_s, gflops, mfu;
    double infer1_ms, infer32_ms, infer32_seq_s, infer_gflops;
    size_t rss_before, rss_peak;
    size_t mem_params, mem_grads, mem_optim, mem_acts;
} size_result;

typedef struct bench_env {
    char blas[512];
    char cpu[256];
    long cores;
    int threads;
    double peak_start, peak_end;
    double peak;                 /* the better of the two: what MFU is against */
} bench_env;

/* bench_measure.c: the machine, and one size trained and run. */
void bench_cpu_model(char *out, size_t n);
double bench_mem_available(void);
double bench_sgemm_peak(int n, int runs);
double bench_size_needs(const bench_size *s);
int bench_one(const bench_size *s, int steps, size_result *r, aft_error *err);

/* bench_report.c: the figures as text or as one line of JSON. */
double bench_mb(size_t bytes);
void bench_print_header(const bench_env *e);
void bench_print_size(const size_result *r);
void bench_print_json(const bench_env *e, const size_result *res, size_t n);
void bench_print_summary(const bench_env *e, const size_result *res, size_t n);

#endif
