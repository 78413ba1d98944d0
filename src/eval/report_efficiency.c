/* Efficiency section of the report: latency at batch 1 and throughput over
 * batch sizes, timed end to end (tokenization + forward) on the predictor's
 * engine and thread count, with a monotonic clock. */
#include "agentft/clock.h"
#include "agentft/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentft/int8.h"

/* Latency: at most this many timed requests, and no more than this long. */
#define LAT_SAMPLES_QUICK 50
#define LAT_SAMPLES_FULL 500
#define LAT_SECONDS_FULL 10.0
#define LAT_WARMUP 5
/* Throughput: batch sizes 1, 2, 4, ... up to this, each timed this long,
 * and no larger size started once the sweep has taken its budget (a big
 * model's large batches take seconds a call). */
#define QPS_MAX_BATCH 128
#define QPS_SECONDS_QUICK 0.15
#define QPS_SECONDS_FULL 1.0
#define QPS_BUDGET_QUICK 3.0
#define QPS_BUDGET_FULL 30.0
/* Contexts kept for timing (they are reused cyclically). */
#define TIMING_CONTEXTS 512

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted v[0..n): never interpolated, so
 * p50 <= p95 <= p99 holds and each is a latency that was measured. */
static double percentile(const double *v, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

/* The contexts of up to TIMING_CONTEXTS examples as text (the caller frees
 * each and the array). Records without a context time as "". */
static char **timing_contexts(const aft_eval_input *in, size_t *n, aft_error *err)
{
    *n = in->examples.count < TIMING_CONTEXTS ? in->examples.count : TIMING_CONTEXTS;
    char **ctx = calloc(*n ? *n : 1, sizeof *ctx);
    if (!ctx) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < *n; i++) {
        char *s = aft_dataset_get_string(in->ds, in->examples.items[i].record, "context");
        if (!(ctx[i] = s ? s : strdup(""))) {
            for (size_t k = 0; k < i; k++)
                free(ctx[k]);
            free(ctx);
            aft_error_set(err, "out of memory");
            return NULL;
        }
    }
    return ctx;
}

static void free_contexts(char **ctx, size_t n)
{
    for (size_t i = 0; ctx && i < n; i++)
        free(ctx[i]);
    free(ctx);
}

/* Batch-1 latencies in ms into lat (room for LAT_SAMPLES_FULL); *count set. */
static int time_latency(aft_predictor *p, char *const *ctx, size_t n, int quick, double *lat,
                        size_t *count, aft_error *err)
{
    int32_t pred;
    float conf;
    for (size_t i = 0; i < LAT_WARMUP; i++)
        if (aft_predictor_classify_text(p, (const char *const *)&ctx[i % n], 1, 1, &pred, &conf,
                                        NULL, NULL, err) < 0)
            return -1;
    size_t want = quick ? LAT_SAMPLES_QUICK : LAT_SAMPLES_FULL;
    double start = aft_monotonic_s();
    *count = 0;
    for (size_t i = 0; i < want; i++) {
        double t0 = aft_monotonic_s();
        if (aft_predictor_classify_text(p, (const char *const *)&ctx[i % n], 1, 1, &pred, &conf,
                                        NULL, NULL, err) < 0)
            return -1;
        double t1 = aft_monotonic_s();
        lat[(*count)++] = (t1 - t0) * 1e3;
        if (!quick && t1 - start > LAT_SECONDS_FULL)
            break;
    }
    return 0;
}

/* Examples per second at one batch size: one untimed call (buffers grow on
 * first use), then whole batches until the time is up (at least one). */
static int time_batch(aft_predictor *p, char *const *ctx, size_t n, int batch, double seconds,
                      double *qps, aft_error *err)
{
    const char **group = malloc((size_t)batch * sizeof *group);
    int32_t *pred = malloc((size_t)batch * sizeof *pred);
    int rc = -1;
    if (!group || !pred) {
        aft_error_set(err, "out of memory");
        goto done;
    }
    size_t next = 0, done_examples = 0;
    double start = 0;
    for (int call = 0;; call++) {
        for (int b = 0; b < batch; b++)
            group[b] = ctx[next++ % n];
        if (call == 1)
            start = aft_monotonic_s();
        if (aft_predictor_classify_text(p, group, (size_t)batch, batch, pred, NULL, NULL, NULL,
                                        err) < 0)
            goto done;
        if (call >= 1) {
            done_examples += (size_t)batch;
            double t = aft_monotonic_s() - start;
            if (t >= seconds) {
                *qps = (double)done_examples / t;
                break;
            }
        }
    }
    rc = 0;
done:
    free(group);
    free(pred);
    return rc;
}

static cJSON *latency_json(double *lat, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    qsort(lat, n, sizeof *lat, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += lat[i];
    cJSON_AddNumberToObject(o, "mean", sum / (double)n);
    cJSON_AddNumberToObject(o, "p50", percentile(lat, n, 50));
    cJSON_AddNumberToObject(o, "p95", percentile(lat, n, 95));
    cJSON_AddNumberToObject(o, "p99", percentile(lat, n, 99));
    cJSON_AddNumberToObject(o, "samples", (double)n);
    return o;
}

static cJSON *batch_entry(int batch, double qps)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddNumberToObject(o, "batch", batch);
        cJSON_AddNumberToObject(o, "qps", qps);
    }
    return o;
}

/* The sweep over batch sizes into out: batches, qps_batch32, best_batch. */
static int throughput(aft_predictor *p, char *const *ctx, size_t n,
                      const aft_report_opts *opts, cJSON *out, aft_error *err)
{
    cJSON *list = cJSON_AddArrayToObject(out, "batches");
    if (!list)
        return aft_error_set(err, "out of memory");
    double best = 0, at32 = -1, start = aft_monotonic_s();
    int best_batch = 1, b;
    int quick = opts && opts->quick;
    for (b = 1; b <= QPS_MAX_BATCH; b *= 2) {
        if (aft_report_cancelled(opts, err))
            return -1;
        if (aft_monotonic_s() - start > (quick ? QPS_BUDGET_QUICK : QPS_BUDGET_FULL))
            break;
        double qps = 0;
        if (time_batch(p, ctx, n, b, quick ? QPS_SECONDS_QUICK : QPS_SECONDS_FULL, &qps, err) < 0)
            return -1;
        cJSON_AddItemToArray(list, batch_entry(b, qps));
        if (b == 32)
            at32 = qps;
        if (qps > best) {
            best = qps;
            best_batch = b;
        }
    }
    if (at32 >= 0)
        cJSON_AddNumberToObject(out, "qps_batch32", at32);
    else
        cJSON_AddNullToObject(out, "qps_batch32");
    cJSON_AddItemToObject(out, "best_batch", batch_entry(best_batch, best));
    if (b <= QPS_MAX_BATCH) {
        char note[120];
        snprintf(note, sizeof note, "batches of %d and more not timed: the sweep took its %.0f s",
                 b, quick ? QPS_BUDGET_QUICK : QPS_BUDGET_FULL);
        cJSON_AddStringToObject(out, "note", note);
    }
    return 0;
}

static void add_machine(aft_eval_input *in, cJSON *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cJSON_AddNumberToObject(o, "cores", cores > 0 ? (double)cores : 1);
    cJSON_AddNumberToObject(o, "threads", aft_predictor_threads(in->pred));
    cJSON_AddNumberToObject(o, "parameters",
                            (double)aft_model_num_floats(aft_predictor_model(in->pred)));
    aft_model *m = aft_predictor_model(in->pred);
    cJSON_AddStringToObject(o, "weights", aft_model_is_int8(m) ? "int8" : "float32");
    if (aft_model_is_int8(m))
        cJSON_AddStringToObject(o, "int8_kernel", aft_q8_kernel_name(aft_model_int8_kernel(m)));
    cJSON_AddStringToObject(o, "timed", "end to end per request: tokenizing the context and "
                                        "the forward pass on the CPU; a batch is "
                                        "padded to its longest context, so contexts of mixed "
                                        "lengths gain less from larger batches");
}

cJSON *aft_report_efficiency(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    int quick = opts && opts->quick;
    cJSON *o = cJSON_CreateObject();
    double *lat = malloc(LAT_SAMPLES_FULL * sizeof *lat);
    size_t n = 0, samples = 0;
    char **ctx = NULL;
    if (!o || !lat) {
        aft_error_set(err, "out of memory");
        goto fail;
    }
    add_machine(in, o);
    if (!(ctx = timing_contexts(in, &n, err)))
        goto fail;
    if (n == 0) {
        cJSON_AddNullToObject(o, "latency_ms");
        cJSON_AddNullToObject(o, "qps_batch32");
        cJSON_AddItemToObject(o, "batches", cJSON_CreateArray());
        cJSON_AddNullToObject(o, "best_batch");
        cJSON_AddStringToObject(o, "note", "no examples to time");
    } else {
        if (time_latency(in->pred, ctx, n, quick, lat, &samples, err) < 0)
            goto fail;
        cJSON_AddItemToObject(o, "latency_ms", latency_json(lat, samples));
        if (throughput(in->pred, ctx, n, opts, o, err) < 0)
            goto fail;
    }
    free_contexts(ctx, n);
    free(lat);
    return o;
fail:
    free_contexts(ctx, n);
    free(lat);
    cJSON_Delete(o);
    return NULL;
}
