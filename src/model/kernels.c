/* Forward and backward kernels of the transformer: embeddings, LayerNorm,
 * matrix products over cblas_sgemm, GELU, attention, dropout, cross-entropy. */
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "agentft/rng.h"

/* Element-wise loops run STMT for each i in [0, n) as blocks of VB with a
 * constant inner trip count, which GCC vectorises even at -O2 (its cheap
 * cost model refuses loops that need a scalar epilogue), then the tail.
 * Pointers are restrict so no aliasing checks are needed either. */
#define VB 16
#define VFOR(i, n, STMT)                                                              \
    do {                                                                              \
        size_t i##0_ = 0, i##n_ = (size_t)(n);                                        \
        for (; i##0_ + VB <= i##n_; i##0_ += VB)                                      \
            for (size_t i##k_ = 0; i##k_ < VB; i##k_++) {                             \
                size_t i = i##0_ + i##k_;                                             \
                STMT;                                                                 \
            }                                                                         \
        for (size_t i = i##0_; i < i##n_; i++) {                                      \
            STMT;                                                                     \
        }                                                                             \
    } while (0)

/* The heavy element-wise kernels are also built for AVX2 and AVX-512 and
 * picked when the library loads (the default build targets baseline x86-64). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef HOT
#define HOT
#endif

/* exp(x), for the x <= 0 that softmax and tanh need (clamped to [-87, 88]):
 * Cody-Waite range reduction and a degree-6 polynomial, about 2e-7 relative
 * error, in plain arithmetic so the loops around it vectorise (libm's expf
 * does not). */
static inline float exp_neg(float x)
{
    /* Clamp on the bits: integer min/max vectorise where float compares (which
     * must respect NaN) do not. As signed, positive floats order as their
     * values; as unsigned, negative floats grow with their magnitude. */
    int32_t i;
    memcpy(&i, &x, sizeof i);
    i = i > 0x42B00000 ? 0x42B00000 : i; /* 88.0f */
    uint32_t u = (uint32_t)i;
    u = u > 0xC2AE0000u ? 0xC2AE0000u : u; /* -87.0f */
    memcpy(&x, &u, sizeof x);
    /* n = round(x / ln 2): t + 128.5 > 0 here, so truncation is floor */
    int32_t ni = (int32_t)(x * 1.44269504f + 128.5f) - 128;
    float n = (float)ni;
    float r = x - n * 0.693145752f - n * 1.42860677e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f +
              r * (0.00833333377f + r * 0.00138888892f)))));
    int32_t bits = (ni + 127) * (1 << 23);
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s;
}

static inline float tanh_fast(float y)
{
    float e = exp_neg(-2.0f * fabsf(y));
    return copysignf((1.0f - e) / (1.0f + e), y);
}

void aft_k_embed_fwd(float *restrict x, const int32_t *tokens, const float *restrict wte,
                     const float *restrict wpe, int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *restrict o = x + ((size_t)b * T + t) * C;
            const float *e = wte + (size_t)tokens[b * T + t] * C, *p = wpe + (size_t)t * C;
            VFOR(i, C, o[i] = e[i] + p[i]);
        }
}

void aft_k_embed_bwd(float *dwte, float *dwpe, const float *dx, const int32_t *tokens,
                     int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dx + ((size_t)b * T + t) * C;
            if (dwte) {
                float *de = dwte + (size_t)tokens[b * T + t] * C;
                VFOR(i, C, de[i] += d[i]);
            }
            if (dwpe) {
                float *dp = dwpe + (size_t)t * C;
                VFOR(i, C, dp[i] += d[i]);
            }
        }
}

/* Sum of x[i] - m over n, in VB partial sums (reassociated, so vectorised). */
static inline float row_sum(const float *restrict x, int n, float m)
{
    float acc[VB] = {0}, s = 0;
    int i = 0;
    for (; i + VB <= n; i += VB)
        for (int k = 0; k < VB; k++)
            acc[k] += x[i + k] - m;
    for (; i < n; i++)
        s += x[i] - m;
    for (int k = 0; k < VB; k++)
        s += acc[k];
    return s;
}

/* Sum of (x[i] - m)^2 over n. */
static inline float row_sq(const float *restrict x, int n, float m)
{
    float acc[VB] = {0}, s = 0;
    int i = 0;
    for (; i + VB <= n; i += VB)
        for (int k = 0; k < VB; k++)
            acc[k] += (x[i + k] - m) * (x[i + k] - m);
    for (; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    for (int k = 0; k < VB; k++)
        s += acc[k];
    return s;
}

HOT void aft_k_layernorm_fwd(float *restrict out, float *restrict mean, float *restrict rstd,
                             const float *restrict x, const float *restrict w,
                             const float *restrict b, size_t N, int C)
{
    for (size_t r = 0; r < N; r++) {
        const float *restrict xr = x + r * C;
        float *restrict o = out + r * C;
        float m = row_sum(xr, C, 0.0f) / (float)C; /* two passes: no cancellation */
        float s = 1.0f / sqrtf(row_sq(xr, C, m) / (float)C + 1e-5f);
        VFOR(i, C, o[i] = (xr[i] - m) * s * w[i] + b[i]);
        mean[r] = m;
        rstd[r] = s;
    }
}

/* mean(g) and mean(g * xhat) of one row, g = dout * w. */
static inline void ln_row_means(const float *restrict d, const float *restrict w,
                                const float *restrict xr, float m, float s, int C, float *g_mean,
                                float *gx_mean)
{
    float a1[VB] = {0}, a2[VB] = {0}, s1 = 0, s2 = 0;
    int i = 0;
    for (; i + VB <= C; i += VB)
        for (int k = 0; k < VB; k++) {
            float g = d[i + k] * w[i + k];
            a1[k] += g;
            a2[k] += g * (xr[i + k] - m) * s;
        }
    for (; i < C; i++) {
        s1 += d[i] * w[i];
        s2 += d[i] * w[i] * (xr[i] - m) * s;
    }
    for (int k = 0; k < VB; k++) {
        s1 += a1[k];
        s2 += a2[k];
    }
    *g_mean = s1 / (float)C;
    *gx_mean = s2 / (float)C;
}

HOT void aft_k_layernorm_bwd(float *restrict dx, float *restrict dw, float *restrict db,
                             const float *restrict dout, const float *restrict x,
                             const float *restrict w, const float *restrict mean,
                             const float *restrict rstd, size_t N, int C)
{
    for (size_t r = 0; r < N; r++) {
        const float *restrict xr = x + r * C, *restrict d = dout + r * C;
        float m = mean[r], s = rstd[r];
        if (dw)
            VFOR(i, C, dw[i] += d[i] * (xr[i] - m) * s);
        if (db)
            VFOR(i, C, db[i] += d[i]);
        if (!dx)
            continue;
        /* dx = s * (g - mean(g) - xhat * mean(g * xhat)) with g = dout * w */
        float g_mean, gx_mean;
        ln_row_means(d, w, xr, m, s, C, &g_mean, &gx_mean);
        float *restrict dxr = dx + r * C;
        VFOR(i, C, dxr[i] += s * (d[i] * w[i] - g_mean - (xr[i] - m) * s * gx_mean));
    }
}

void aft_k_matmul_fwd(float *y, const float *x, const float *W, const float *b, size_t N,
                      int in, int out)
{
    if (b)
        for (size_t r = 0; r < N; r++)
            memcpy(y + r * out, b, (size_t)out * sizeof *b);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, out, in, 1.0f, x, in, W,
                out, b ? 1.0f : 0.0f, y, out);
}

void aft_k_matmul_bwd(float *dx, float *restrict dW, float *restrict db,
                      const float *restrict dy, const float *x, const float *W, size_t N,
                      int in, int out)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, in, out, 1.0f, dy, out,
                    W, out, 0.0f, dx, in);
    if (dW)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, (int)N, 1.0f, x, in, dy,
                    out, 1.0f, dW, out);
    if (db)
        for (size_t r = 0; r < N; r++) {
            const float *restrict d = dy + r * out;
            VFOR(i, out, db[i] += d[i]);
        }
}

#define GELU_K 0.7978845608f /* sqrt(2 / pi) */
#define GELU_C 0.044715f

static inline float gelu1(float x)
{
    return 0.5f * x * (1.0f + tanh_fast(GELU_K * (x + GELU_C * x * x * x)));
}

static inline float gelu_grad1(float x)
{
    float t = tanh_fast(GELU_K * (x + GELU_C * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_C * x * x);
}

HOT void aft_k_gelu_fwd(float *restrict out, const float *restrict x, size_t n)
{
    VFOR(i, n, out[i] = gelu1(x[i]));
}

HOT void aft_k_gelu_bwd(float *restrict d, const float *restrict x, size_t n)
{
    VFOR(i, n, d[i] *= gelu_grad1(x[i]));
}

void aft_k_dropout_mask(unsigned char *mask, size_t n, float p, struct aft_rng *rng)
{
    /* 32 random bits a decision, two decisions a draw. */
    uint32_t thr = (uint32_t)fmin((double)p * 4294967296.0, 4294967295.0);
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint64_t u = aft_rng_u64(rng);
        mask[i] = (uint32_t)u >= thr;
        mask[i + 1] = (uint32_t)(u >> 32) >= thr;
    }
    if (i < n)
        mask[i] = (uint32_t)aft_rng_u64(rng) >= thr;
}

static void dropout_inplace(float *restrict x, const unsigned char *restrict mask,
                            float keep_scale, size_t n)
{
    VFOR(i, n, x[i] *= (float)mask[i] * keep_scale);
}

static void dropout_copy(float *restrict out, const float *restrict x,
                         const unsigned char *restrict mask, float keep_scale, size_t n)
{
    VFOR(i, n, out[i] = x[i] * (float)mask[i] * keep_scale);
}

void aft_k_dropout(float *out, const float *x, const unsigned char *mask, float keep_scale,
                   size_t n)
{
    if (out == x)
        dropout_inplace(out, mask, keep_scale, n);
    else
        dropout_copy(out, x, mask, keep_scale, n);
}

HOT void aft_k_residual_fwd(float *restrict out, const float *restrict res,
                            const float *restrict branch, const unsigned char *restrict mask,
                            float keep_scale, size_t n)
{
    if (mask)
        VFOR(i, n, out[i] = res[i] + branch[i] * (float)mask[i] * keep_scale);
    else
        VFOR(i, n, out[i] = res[i] + branch[i]);
}

/* Largest of x[0..n), n >= 1, in VB lanes. */
static inline float row_max(const float *restrict x, int n)
{
    float acc[VB], mx = x[0];
    int i = 0;
    for (int k = 0; k < VB; k++)
        acc[k] = x[0];
    for (; i + VB <= n; i += VB)
        for (int k = 0; k < VB; k++)
            acc[k] = x[i + k] > acc[k] ? x[i + k] : acc[k];
    for (; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int k = 0; k < VB; k++)
        mx = acc[k] > mx ? acc[k] : mx;
    return mx;
}

/* Sum of exp(x[i] - mx) over n, with out[i] = exp(x[i] - mx) (out may be x). */
static inline float exp_sum(float *out, const float *x, int n, float mx)
{
    float acc[VB] = {0}, sum = 0;
    int i = 0;
    for (; i + VB <= n; i += VB)
        for (int k = 0; k < VB; k++) {
            out[i + k] = exp_neg(x[i + k] - mx);
            acc[k] += out[i + k];
        }
    for (; i < n; i++) {
        out[i] = exp_neg(x[i] - mx);
        sum += out[i];
    }
    for (int k = 0; k < VB; k++)
        sum += acc[k];
    return sum;
}

/* Softmax of rows t = 0..T-1 of a (T, T) over their first t + 1 entries
 * (the causal past), the future set to zero; lse (T) gets each row's
 * log-sum-exp when not NULL. */
HOT static void softmax_causal(float *restrict a, float *restrict lse, int T)
{
    for (int t = 0; t < T; t++) {
        float *restrict row = a + (size_t)t * T;
        int n = t + 1;
        float mx = row_max(row, n), sum = exp_sum(row, row, n, mx), inv = 1.0f / sum;
        VFOR(j, n, row[j] *= inv);
        memset(row + n, 0, (size_t)(T - n) * sizeof *row);
        if (lse)
            lse[t] = mx + logf(sum);
    }
}

/* The probabilities again from the scores in a (T, T) and the kept
 * log-sum-exps: row t is exp(a - lse[t]) over the past, zero after. */
HOT static void softmax_replay(float *restrict a, const float *restrict lse, int T)
{
    for (int t = 0; t < T; t++) {
        float *restrict row = a + (size_t)t * T;
        int n = t + 1;
        float l = lse[t];
        VFOR(j, n, row[j] = exp_neg(row[j] - l));
        memset(row + n, 0, (size_t)(T - n) * sizeof *row);
    }
}

/* Attention runs in blocks of ATT_ROWS query rows: a block only needs the
 * keys up to its last row, which saves up to half the products on long
 * sequences (a sequence of up to ATT_ROWS is one block). */
#define ATT_ROWS 128

/* Rows [r0, r0 + n) of the query range and the key columns they see. */
static int block_rows(int T, int r0, int *cols)
{
    int n = T - r0 < ATT_ROWS ? T - r0 : ATT_ROWS;
    *cols = r0 + n;
    return n;
}

/* The scaled scores (T, T) of one (b, h) into a from q and k (rows ld
 * apart), only where a row can see (the rest of a is not written). */
static void attention_scores(float *a, const float *q, const float *k, int ld, int T, int hs)
{
    float scale = 1.0f / sqrtf((float)hs);
    for (int r0 = 0, cols; r0 < T; r0 += ATT_ROWS) {
        int n = block_rows(T, r0, &cols);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, cols, hs, scale,
                    q + (size_t)r0 * ld, ld, k, ld, 0.0f, a + (size_t)r0 * T, T);
    }
}

/* x (T, T) *= mask * keep_scale over each row's past. */
static void dropout_causal(float *restrict x, const unsigned char *restrict mk, float keep_scale,
                           int T)
{
    for (int t = 0; t < T; t++) {
        float *restrict row = x + (size_t)t * T;
        const unsigned char *restrict mr = mk + (size_t)t * T;
        VFOR(j, t + 1, row[j] *= (float)mr[j] * keep_scale);
    }
}

void aft_k_attention_fwd(float *out, float *lse, const float *qkv, float p, struct aft_rng *rng,
                         float *scratch, int B, int T, int C, int NH)
{
    int hs = C / NH, C3 = 3 * C;
    size_t TT = (size_t)T * T;
    float *a = scratch, *pd = scratch + TT;                   /* (T, T) each */
    unsigned char *mk = (unsigned char *)(scratch + 2 * TT); /* (T, T) bytes */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs, *v = q + 2 * C;
            float *o = out + (size_t)b * T * C + (size_t)h * hs;
            size_t bh = (size_t)b * NH + h;
            attention_scores(a, q, q + C, C3, T, hs);
            softmax_causal(a, lse ? lse + bh * T : NULL, T);
            const float *w = a;
            if (p > 0) {
                aft_k_dropout_mask(mk, TT, p, rng);
                aft_k_dropout(pd, a, mk, 1.0f / (1.0f - p), TT);
                w = pd;
            }
            /* out rows (n, hs) = w rows (n, cols) @ v (cols, hs) */
            for (int r0 = 0, cols; r0 < T; r0 += ATT_ROWS) {
                int n = block_rows(T, r0, &cols);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, cols, 1.0f,
                            w + (size_t)r0 * T, T, v, C3, 0.0f, o + (size_t)r0 * C, C);
            }
        }
}

/* Dot product of n floats in VB lanes. */
static inline float dot(const float *restrict x, const float *restrict y, int n)
{
    float acc[VB] = {0}, s = 0;
    int i = 0;
    for (; i + VB <= n; i += VB)
        for (int k = 0; k < VB; k++)
            acc[k] += x[i + k] * y[i + k];
    for (; i < n; i++)
        s += x[i] * y[i];
    for (int k = 0; k < VB; k++)
        s += acc[k];
    return s;
}

/* dS (T, T) in place over dp: row t over its t + 1 entries is
 * P * (dP - sum(P * dP)) * scale, zero in the future. */
HOT static void softmax_bwd(float *restrict dp, const float *restrict p, int T, float scale)
{
    for (int t = 0; t < T; t++) {
        float *restrict d = dp + (size_t)t * T;
        const float *restrict pr = p + (size_t)t * T;
        int n = t + 1;
        float s = dot(pr, d, n);
        VFOR(j, n, d[j] = pr[j] * (d[j] - s) * scale);
        memset(d + n, 0, (size_t)(T - n) * sizeof *d);
    }
}

/* dv (cols, hs) and dk of one (b, h), the products that sum over query
 * rows: the blocks run from the last, whose columns span all T rows of the
 * result, so beta 0 there and 1 after leaves nothing unwritten. */
static void attention_bwd_sums(float *dv, float *dk, const float *w, const float *ds,
                               const float *dy, const float *q, int T, int C, int hs)
{
    int C3 = 3 * C, last = (T - 1) / ATT_ROWS * ATT_ROWS;
    for (int r0 = last, cols; r0 >= 0; r0 -= ATT_ROWS) {
        int n = block_rows(T, r0, &cols);
        float beta = r0 == last ? 0.0f : 1.0f;
        /* dv (cols, hs) += w^T (cols, n) @ dy (n, hs); dk += dS^T @ q */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, hs, n, 1.0f,
                    w + (size_t)r0 * T, T, dy + (size_t)r0 * C, C, beta, dv, C3);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, hs, n, 1.0f,
                    ds + (size_t)r0 * T, T, q + (size_t)r0 * C3, C3, beta, dk, C3);
    }
}

void aft_k_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *lse,
                         float p, struct aft_rng *rng, float *scratch, int B, int T, int C,
                         int NH)
{
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs), ks = 1.0f / (1.0f - p);
    size_t TT = (size_t)T * T;
    float *a = scratch, *pd = scratch + TT, *dp = scratch + 2 * TT; /* (T, T) each */
    unsigned char *mk = (unsigned char *)(scratch + 3 * TT);       /* (T, T) bytes */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            size_t off = (size_t)b * T * C3 + (size_t)h * hs, bh = (size_t)b * NH + h;
            const float *q = qkv + off, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + off;
            const float *dy = dout + (size_t)b * T * C + (size_t)h * hs, *w = a;
            /* recompute the weights rather than keep (B, NH, T, T) of them */
            attention_scores(a, q, k, C3, T, hs);
            softmax_replay(a, lse + bh * T, T);
            if (p > 0) {
                aft_k_dropout_mask(mk, TT, p, rng); /* the forward's masks, replayed */
                aft_k_dropout(pd, a, mk, ks, TT);
                w = pd;
            }
            /* d weights after dropout (n, cols) = dy (n, hs) @ v^T (hs, cols) */
            for (int r0 = 0, cols; r0 < T; r0 += ATT_ROWS) {
                int n = block_rows(T, r0, &cols);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, cols, hs, 1.0f,
                            dy + (size_t)r0 * C, C, v, C3, 0.0f, dp + (size_t)r0 * T, T);
            }
            if (p > 0)
                dropout_causal(dp, mk, ks, T);
            softmax_bwd(dp, a, T, scale);
            /* dq (n, hs) = dS (n, cols) @ k (cols, hs) */
            for (int r0 = 0, cols; r0 < T; r0 += ATT_ROWS) {
                int n = block_rows(T, r0, &cols);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, cols, 1.0f,
                            dp + (size_t)r0 * T, T, k, C3, 0.0f, dq + (size_t)r0 * C3, C3);
            }
            attention_bwd_sums(dq + 2 * C, dq + C, w, dp, dy, q, T, C, hs);
        }
}

HOT double aft_k_xent_fwd(const float *logits, int V, int target, float *lse)
{
    float mx = row_max(logits, V);
    /* the exponentials are only summed: compute them a block at a time */
    float acc[VB] = {0}, tmp[VB];
    double sum = 0;
    int i = 0;
    for (; i + VB <= V; i += VB)
        for (int k = 0; k < VB; k++) {
            tmp[k] = exp_neg(logits[i + k] - mx);
            acc[k] += tmp[k];
        }
    for (; i < V; i++)
        sum += exp_neg(logits[i] - mx);
    for (int k = 0; k < VB; k++)
        sum += acc[k];
    double l = (double)mx + log(sum);
    *lse = (float)l;
    return l - (double)logits[target];
}

HOT void aft_k_xent_bwd(float *restrict dlogits, const float *restrict logits, float lse,
                        int target, float scale, int V)
{
    VFOR(i, V, dlogits[i] = exp_neg(logits[i] - lse) * scale);
    dlogits[target] -= scale;
}
