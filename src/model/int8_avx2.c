/* The AVX2 int8 matrix kernel, C = A @ B^T in int32, and the AVX2
 * quantization of activation rows, compiled for AVX2 by a target attribute
 * (the rest of the program stays baseline x86-64, and int8.c calls these
 * only when the CPU has AVX2).
 *
 * _mm256_maddubs_epi16 multiplies unsigned by signed bytes, so the sign of
 * a moves onto b: |a| * (b * sign(a)) = a * b. With both in -127..127 a
 * pair of products is at most 2 * 127 * 127 = 32258, inside int16, so the
 * saturating add never saturates; _mm256_madd_epi16 against ones then
 * widens the pairs to int32 sums. */
#include "int8_internal.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

/* Full unrolling of the register-block loops keeps the accumulators in
 * registers (GCC at -O2 leaves them in memory otherwise). */
#define UNROLL _Pragma("GCC unroll 4")

#define AVX2_FN __attribute__((target("avx2")))
#define AVX2_INLINE static inline __attribute__((target("avx2"), always_inline))

/* Columns of B kept hot in cache while every row of A passes over them. */
#define BLOCK_BYTES (128 * 1024)

AVX2_INLINE __m256i dot32(__m256i acc, __m256i abs_a, __m256i a, __m256i b)
{
    __m256i pairs = _mm256_maddubs_epi16(abs_a, _mm256_sign_epi8(b, a));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

AVX2_INLINE int32_t hsum(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/* C[i..i+R) x [j..j+NC) for R rows of A and NC rows of B; R and NC are
 * constants where this is inlined, so the accumulators stay in registers.
 * K's tail past a multiple of 32 is added in scalar code. */
AVX2_INLINE void block(int32_t *C, size_t ldc, const int8_t *A, const int8_t *B, size_t K,
                       int R, int NC)
{
    __m256i acc[2][4];
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int c = 0; c < NC; c++)
            acc[r][c] = _mm256_setzero_si256();
    size_t k = 0;
    for (; k + 32 <= K; k += 32) {
        __m256i a[2], abs_a[2];
        UNROLL
        for (int r = 0; r < R; r++) {
            a[r] = _mm256_loadu_si256((const __m256i *)(A + r * K + k));
            abs_a[r] = _mm256_abs_epi8(a[r]);
        }
        UNROLL
        for (int c = 0; c < NC; c++) {
            __m256i b = _mm256_loadu_si256((const __m256i *)(B + c * K + k));
            UNROLL
            for (int r = 0; r < R; r++)
                acc[r][c] = dot32(acc[r][c], abs_a[r], a[r], b);
        }
    }
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int c = 0; c < NC; c++) {
            int32_t s = hsum(acc[r][c]);
            for (size_t t = k; t < K; t++)
                s += (int32_t)A[r * K + t] * (int32_t)B[c * K + t];
            C[r * ldc + c] = s;
        }
}

/* One row pair (R = 2) or single row (R = 1) across columns j0..j1 of C. */
AVX2_INLINE void rows_across(int32_t *C, size_t N, const int8_t *A, const int8_t *B, size_t K,
                             int R, size_t j0, size_t j1)
{
    size_t j = j0;
    for (; j + 4 <= j1; j += 4)
        block(C + j, N, A, B + j * K, K, R, 4);
    switch (j1 - j) {
    case 3:
        block(C + j, N, A, B + j * K, K, R, 3);
        break;
    case 2:
        block(C + j, N, A, B + j * K, K, R, 2);
        break;
    case 1:
        block(C + j, N, A, B + j * K, K, R, 1);
        break;
    default:
        break;
    }
}

AVX2_FN void aft_q8_gemm_avx2(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N,
                              size_t K)
{
    size_t nb = K ? BLOCK_BYTES / K : N;
    nb = nb < 4 ? 4 : nb - nb % 4;
    for (size_t j0 = 0; j0 < N; j0 += nb) {
        size_t j1 = N - j0 < nb ? N : j0 + nb;
        size_t i = 0;
        for (; i + 2 <= M; i += 2)
            rows_across(C + i * N, N, A + i * K, B, K, 2, j0, j1);
        if (i < M)
            rows_across(C + i * N, N, A + i * K, B, K, 1, j0, j1);
    }
}

/* ---- activation rows to int8 ---- */

AVX2_INLINE float hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ps(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* 32 floats times inv, rounded (halves to even), clamped to -127..127, as bytes. */
AVX2_INLINE __m256i quantize32(const float *x, __m256 inv)
{
    const __m256i lo = _mm256_set1_epi32(-AFT_Q8_MAX), hi = _mm256_set1_epi32(AFT_Q8_MAX);
    __m256i v[4];
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * i), inv));
        v[i] = _mm256_min_epi32(_mm256_max_epi32(v[i], lo), hi);
    }
    /* The packs work within 128-bit lanes; the permutation puts the groups
     * of four back in order. */
    __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

AVX2_FN void aft_q8_quantize_rows_avx2(int8_t *q, size_t ldq, float *scale, const float *x,
                                       size_t rows, size_t cols, int offset)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        int8_t *qr = q + r * ldq;
        __m256 m8 = _mm256_setzero_ps();
        size_t c = 0;
        for (; c + 8 <= cols; c += 8)
            m8 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(xr + c), absmask), m8);
        float m = hmax(m8);
        for (; c < cols; c++) {
            float a = xr[c] < 0 ? -xr[c] : xr[c];
            m = a > m ? a : m;
        }
        /* The same arithmetic as aft_q8_quantize_rows, so the same bytes. */
        float s = m / (float)AFT_Q8_MAX, inv = s > 0 ? 1.0f / s : 0.0f;
        scale[r] = s;
        __m256 vinv = _mm256_set1_ps(inv);
        for (c = 0; c + 32 <= cols; c += 32) {
            __m256i b = quantize32(xr + c, vinv);
            _mm256_storeu_si256((__m256i *)(qr + c), offset ? _mm256_xor_si256(b, flip) : b);
        }
        for (; c < cols; c++)
            qr[c] = (int8_t)(aft_q8_round(xr[c] * inv) ^ (offset ? 0x80 : 0));
        for (; c < ldq; c++)
            qr[c] = (int8_t)(offset ? 0x80 : 0);
    }
}

#else

/* Not an x86 build: int8.c never selects these. */
void aft_q8_quantize_rows_avx2(int8_t *q, size_t ldq, float *scale, const float *x, size_t rows,
                               size_t cols, int offset)
{
    for (size_t r = 0; r < rows; r++) {
        aft_q8_quantize_rows(q + r * ldq, &scale[r], x + r * cols, 1, cols);
        for (size_t c = 0; c < ldq; c++)
            q[r * ldq + c] = (int8_t)((c < cols ? q[r * ldq + c] : 0) ^ (offset ? 0x80 : 0));
    }
}

void aft_q8_gemm_avx2(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N,
                      size_t K)
{
    aft_q8_gemm_portable(C, A, B, M, N, K);
}

#endif
