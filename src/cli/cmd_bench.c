/* `agentft bench`: the measured sgemm peak, then for named model sizes the
 * training-step speed, FLOP rate and MFU, inference latency and memory.
 * Prints figures only; nothing here passes or fails on a time. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentft/blas.h"
#include "bench.h"
#include "cli.h"

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
    bench_cpu_model(e->cpu, sizeof e->cpu);
    e->cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!json)
        fprintf(stderr, "measuring the sgemm peak...\n");
    e->peak_start = e->peak = bench_sgemm_peak(GEMM_N, 5);
}

/* Without --size, a size that would not fit in the available memory is
 * skipped with a note rather than pushing the machine into swap. */
static int fits(const bench_size *s, int chosen, int json)
{
    double need = bench_size_needs(s), avail = bench_mem_available();
    if (chosen || avail <= 0 || need * 1.25 < avail)
        return 1;
    if (!json)
        printf("\n%-9s skipped: needs about %.0f MB, %.0f MB available (--size %s runs it)\n",
               s->name, bench_mb((size_t)need), bench_mb((size_t)avail), s->name);
    return 0;
}

/* The peak is measured again after the sizes and the better of the two is
 * used: on a shared machine one of them may have been slowed down. */
static void finish_mfu(bench_env *e, size_result *res, size_t n)
{
    e->peak_end = n ? bench_sgemm_peak(GEMM_N, 5) : 0;
    e->peak = e->peak_end > e->peak_start ? e->peak_end : e->peak_start;
    for (size_t i = 0; i < n; i++)
        res[i].mfu = e->peak > 0 ? res[i].gflops / e->peak : 0;
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
            bench_print_size(&res[n]);
        n++;
    }
    finish_mfu(e, res, n);
    if (json)
        bench_print_json(e, res, n);
    else
        bench_print_summary(e, res, n);
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
        bench_print_header(&e);
    return run_sizes(want, size != NULL, n_steps, json, &e);
}
