/* Symmetric int8 quantization, the portable int8 matrix kernel, the choice
 * of kernel for this CPU, and the int8 linear layer (activations quantized
 * per row on the fly, products in int32, one float multiply back). */
#include "int8_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/blas.h"

static float max_abs(const float *x, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float a = x[i] < 0 ? -x[i] : x[i];
        m = a > m ? a : m;
    }
    return m;
}

static void quantize_row(int8_t *restrict q, float *scale, const float *restrict x, size_t n)
{
    float s = max_abs(x, n) / (float)AFT_Q8_MAX;
    float inv = s > 0 ? 1.0f / s : 0.0f;
    *scale = s;
    for (size_t i = 0; i < n; i++)
        q[i] = aft_q8_round(x[i] * inv);
}

void aft_q8_quantize_rows(int8_t *q, float *scale, const float *x, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        quantize_row(q + r * cols, &scale[r], x + r * cols, cols);
}

void aft_q8_quantize_cols_t(int8_t *qt, float *scale, const float *W, size_t rows, size_t cols)
{
    /* Two passes in row order (the matrix may be large): column maxima, then values. */
    for (size_t c = 0; c < cols; c++)
        scale[c] = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            float a = W[r * cols + c] < 0 ? -W[r * cols + c] : W[r * cols + c];
            scale[c] = a > scale[c] ? a : scale[c];
        }
    for (size_t c = 0; c < cols; c++)
        scale[c] /= (float)AFT_Q8_MAX;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            float inv = scale[c] > 0 ? 1.0f / scale[c] : 0.0f;
            qt[c * rows + r] = aft_q8_round(W[r * cols + c] * inv);
        }
}

void aft_q8_dequantize_rows(float *x, const int8_t *q, const float *scale, size_t rows,
                            size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            x[r * cols + c] = scale[r] * (float)q[r * cols + c];
}

/* ---- kernels ---- */

/* Blocks of 16 with a constant trip count, and products narrowed to int16
 * (127 * 127 fits), are what GCC vectorizes at -O2 with baseline SSE2. */
static int32_t dot_portable(const int8_t *restrict a, const int8_t *restrict b, size_t K)
{
    int32_t s = 0;
    size_t k = 0;
    for (; k + 16 <= K; k += 16) {
        int32_t t = 0;
        for (int i = 0; i < 16; i++)
            t += (int16_t)((int16_t)a[k + i] * (int16_t)b[k + i]);
        s += t;
    }
    for (; k < K; k++)
        s += (int32_t)a[k] * (int32_t)b[k];
    return s;
}

void aft_q8_gemm_portable(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N,
                          size_t K)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++)
            C[i * N + j] = dot_portable(A + i * K, B + j * K, K);
}

int aft_q8_kernel_available(aft_q8_kernel k)
{
    if (k != AFT_Q8_AVX2 && k != AFT_Q8_VNNI)
        return 1;
#if defined(__x86_64__) || defined(__i386__)
    aft_cpu_features f;
    aft_cpu_detect(&f);
    int avx2 = f.avx2 && f.os_avx;
    /* The VNNI path quantizes its activations with the AVX2 code. */
    return k == AFT_Q8_AVX2 ? avx2
                            : avx2 && f.avx512f && f.avx512bw && f.avx512vnni && f.os_avx512;
#else
    return 0;
#endif
}

aft_q8_kernel aft_q8_kernel_choose(void)
{
    static const aft_q8_kernel order[] = {AFT_Q8_VNNI, AFT_Q8_AVX2, AFT_Q8_PORTABLE};
    const char *env = getenv("AGENTFT_INT8_KERNEL");
    for (size_t i = 0; env && i < sizeof order / sizeof order[0]; i++)
        if (strcmp(env, aft_q8_kernel_name(order[i])) == 0 && aft_q8_kernel_available(order[i]))
            return order[i];
    for (size_t i = 0;; i++)
        if (aft_q8_kernel_available(order[i]))
            return order[i];
}

const char *aft_q8_kernel_name(aft_q8_kernel k)
{
    switch (k) {
    case AFT_Q8_VNNI:
        return "vnni";
    case AFT_Q8_AVX2:
        return "avx2";
    case AFT_Q8_PORTABLE:
        return "portable";
    default:
        return "auto";
    }
}

/* A packed kernel on plain A and B: B packed and A's rows padded to 4
 * (offset to unsigned for VNNI) for this one call. */
static void gemm_packed(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N,
                        size_t K, aft_q8_kernel k)
{
    size_t lda = (K + 3) / 4 * 4;
    int8_t *P = malloc(aft_q8_vnni_packed_size(N, K) + 1);
    int32_t *rowsum = malloc(((N + 15) / 16 * 16) * sizeof *rowsum + 1);
    int8_t *Ap = malloc(M * lda + 1);
    if (P && rowsum && Ap) {
        aft_q8_vnni_pack(P, rowsum, B, N, K);
        int flip = k == AFT_Q8_VNNI ? 0x80 : 0;
        for (size_t i = 0; i < M; i++)
            for (size_t c = 0; c < lda; c++)
                Ap[i * lda + c] = (int8_t)((c < K ? A[i * K + c] : 0) ^ flip);
        if (k == AFT_Q8_VNNI)
            aft_q8_gemm_vnni(C, N, (const uint8_t *)Ap, lda, P, rowsum, M, N, K);
        else
            aft_q8_gemm_avx2(C, N, Ap, lda, P, M, N, K);
    } else {
        aft_q8_gemm_portable(C, A, B, M, N, K); /* the same numbers, without the memory */
    }
    free(P);
    free(rowsum);
    free(Ap);
}

void aft_q8_gemm(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N, size_t K,
                 aft_q8_kernel k)
{
    if (k == AFT_Q8_AUTO || !aft_q8_kernel_available(k))
        k = aft_q8_kernel_choose();
    if (k == AFT_Q8_PORTABLE)
        aft_q8_gemm_portable(C, A, B, M, N, K);
    else
        gemm_packed(C, A, B, M, N, K, k);
}

/* ---- the linear layer ---- */

/* y = acc * (xs * ws) + b (b may be NULL), in blocks of 16 with a constant
 * trip count and no branch inside, which GCC vectorizes at -O2, then the tail. */
static void dequantize_row(float *restrict y, const int32_t *restrict acc, float xs,
                           const float *restrict ws, const float *restrict b, size_t out)
{
    size_t j = 0;
    if (b) {
        for (; j + 16 <= out; j += 16)
            for (size_t k = j; k < j + 16; k++)
                y[k] = (float)acc[k] * (xs * ws[k]) + b[k];
    } else {
        for (; j + 16 <= out; j += 16)
            for (size_t k = j; k < j + 16; k++)
                y[k] = (float)acc[k] * (xs * ws[k]);
    }
    for (; j < out; j++)
        y[j] = (float)acc[j] * (xs * ws[j]) + (b ? b[j] : 0.0f);
}

void aft_q8_linear(aft_q8_weights *w, const aft_q8_matrix *W, float *y, const float *x,
                   const float *b, size_t N)
{
    size_t in = W->in, out = W->out, lda = (in + 3) & ~(size_t)3;
    for (size_t r0 = 0; r0 < N; r0 += AFT_Q8_ROWS) {
        size_t n = N - r0 < AFT_Q8_ROWS ? N - r0 : AFT_Q8_ROWS;
        const float *xr = x + r0 * in;
        /* aft_q8_weights_use packed W for the AVX2 and VNNI kernels. */
        if (w->kernel == AFT_Q8_VNNI && W->packed) {
            aft_q8_quantize_rows_avx2(w->xq, lda, w->xs, xr, n, in, 1);
            aft_q8_gemm_vnni(w->acc, out, (const uint8_t *)w->xq, lda, W->packed, W->rowsum, n,
                             out, in);
        } else if (w->kernel == AFT_Q8_AVX2 && W->packed) {
            aft_q8_quantize_rows_avx2(w->xq, lda, w->xs, xr, n, in, 0);
            aft_q8_gemm_avx2(w->acc, out, w->xq, lda, W->packed, n, out, in);
        } else {
            aft_q8_quantize_rows(w->xq, w->xs, xr, n, in);
            aft_q8_gemm_portable(w->acc, w->xq, W->q, n, out, in);
        }
        for (size_t r = 0; r < n; r++)
            dequantize_row(y + (r0 + r) * out, w->acc + r * out, w->xs[r], W->scale, b, out);
    }
}
