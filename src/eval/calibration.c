/* Calibration (reliability table, ECE) and the statistics of an A/B
 * comparison: a bootstrap interval for the accuracy difference and
 * McNemar's exact test. */
#include "agentft/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/rng.h"

double aft_calibration(const float *confidence, const uint8_t *correct, size_t n,
                       aft_reliability_bin *bins, size_t n_bins)
{
    if (n_bins == 0)
        return 0.0;
    memset(bins, 0, n_bins * sizeof *bins);
    for (size_t k = 0; k < n_bins; k++) {
        bins[k].lo = (double)k / (double)n_bins;
        bins[k].hi = (double)(k + 1) / (double)n_bins;
    }
    for (size_t i = 0; i < n; i++) {
        double c = confidence[i];
        if (!(c >= 0))
            c = 0;
        if (c > 1)
            c = 1;
        size_t k = (size_t)(c * (double)n_bins);
        if (k >= n_bins)
            k = n_bins - 1; /* confidence 1.0 belongs to the last bin */
        bins[k].count++;
        bins[k].confidence += c;
        bins[k].accuracy += correct[i] ? 1.0 : 0.0;
    }
    double ece = 0;
    for (size_t k = 0; k < n_bins; k++) {
        if (!bins[k].count)
            continue;
        bins[k].confidence /= (double)bins[k].count;
        bins[k].accuracy /= (double)bins[k].count;
        ece += (double)bins[k].count / (double)n * fabs(bins[k].accuracy - bins[k].confidence);
    }
    return n ? ece : 0.0;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

int aft_bootstrap_diff(const uint8_t *correct_a, const uint8_t *correct_b, size_t n,
                       size_t iters, uint64_t seed, double level, double *lo, double *hi,
                       aft_error *err)
{
    if (n == 0 || iters == 0)
        return aft_error_set(err, "a bootstrap needs examples and iterations (got %zu, %zu)", n, iters);
    if (!(level > 0 && level < 1))
        return aft_error_set(err, "confidence level %g is out of range (0..1)", level);
    double *diffs = malloc(iters * sizeof *diffs);
    if (!diffs)
        return aft_error_set(err, "out of memory for %zu bootstrap samples", iters);
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    for (size_t it = 0; it < iters; it++) {
        long delta = 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = (size_t)aft_rng_below(&rng, n);
            delta += (long)correct_a[i] - (long)correct_b[i];
        }
        diffs[it] = (double)delta / (double)n;
    }
    qsort(diffs, iters, sizeof *diffs, cmp_double);
    double tail = (1.0 - level) / 2.0;
    size_t i_lo = (size_t)floor(tail * (double)(iters - 1));
    size_t i_hi = (size_t)ceil((1.0 - tail) * (double)(iters - 1));
    *lo = diffs[i_lo];
    *hi = diffs[i_hi];
    free(diffs);
    return 0;
}

double aft_mcnemar_p(size_t b, size_t c)
{
    size_t n = b + c;
    if (n == 0)
        return 1.0;
    size_t k = b < c ? b : c;
    /* P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n
     * neither overflows nor underflows early. */
    double tail = 0;
    for (size_t i = 0; i <= k; i++) {
        double log_term = lgamma((double)n + 1) - lgamma((double)i + 1) -
                          lgamma((double)(n - i) + 1) - (double)n * log(2.0);
        tail += exp(log_term);
    }
    double p = 2.0 * tail;
    return p > 1.0 ? 1.0 : p;
}
