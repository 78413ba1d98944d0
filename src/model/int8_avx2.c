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

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

/* Full unrolling of the register-block loops keeps the accumulators in
 * registers (GCC at -O2 leaves them in memory otherwise). */
#define UNROLL _Pragma("GCC unroll 4")

#define AVX2_FN __attribute__((target("avx2")))
#define AVX2_INLINE static inline __attribute__((target("avx2"), always_inline))

/* The weights come packed as for the VNNI kernel (aft_q8_vnni_pack): in a
 * block of 16 output channels, 64 bytes hold 4 k of each, so one 32-byte
 * load gives 4 k of 8 channels, and a broadcast group of 4 activations
 * feeds them all: 8 int32 sums build up per register, no horizontal sums. */
AVX2_INLINE __m256i dot4x8(__m256i acc, __m256i abs_a, __m256i a, __m256i w)
{
    __m256i pairs = _mm256_maddubs_epi16(abs_a, _mm256_sign_epi8(w, a));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

/* Rows i..i+R of C (R constant where inlined) across one block of 16
 * channels, `valid` of them inside N. */
AVX2_INLINE void pblock(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const int8_t *P,
                        size_t groups, int R, size_t valid)
{
    __m256i acc[4][2];
    UNROLL
    for (int r = 0; r < R; r++)
        acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (size_t g = 0; g < groups; g++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(P + g * 64));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(P + g * 64 + 32));
        UNROLL
        for (int r = 0; r < R; r++) {
            int32_t a4;
            memcpy(&a4, A + (size_t)r * lda + g * 4, sizeof a4);
            __m256i a = _mm256_set1_epi32(a4), abs_a = _mm256_abs_epi8(a);
            acc[r][0] = dot4x8(acc[r][0], abs_a, a, w0);
            acc[r][1] = dot4x8(acc[r][1], abs_a, a, w1);
        }
    }
    UNROLL
    for (int r = 0; r < R; r++) {
        int32_t *c = C + (size_t)r * ldc;
        if (valid == 16) {
            _mm256_storeu_si256((__m256i *)c, acc[r][0]);
            _mm256_storeu_si256((__m256i *)(c + 8), acc[r][1]);
        } else {
            int32_t tmp[16];
            _mm256_storeu_si256((__m256i *)tmp, acc[r][0]);
            _mm256_storeu_si256((__m256i *)(tmp + 8), acc[r][1]);
            memcpy(c, tmp, valid * sizeof *c);
        }
    }
}

AVX2_FN void aft_q8_gemm_avx2(int32_t *C, size_t ldc, const int8_t *A, size_t lda,
                              const int8_t *P, size_t M, size_t N, size_t K)
{
    size_t groups = (K + 3) / 4, bstride = 64 * groups;
    for (size_t jb = 0; 16 * jb < N; jb++) {
        const int8_t *Pb = P + jb * bstride;
        size_t valid = N - 16 * jb < 16 ? N - 16 * jb : 16;
        int32_t *Cb = C + 16 * jb;
        size_t i = 0;
        for (; i + 4 <= M; i += 4)
            pblock(Cb + i * ldc, ldc, A + i * lda, lda, Pb, groups, 4, valid);
        switch (M - i) {
        case 3:
            pblock(Cb + i * ldc, ldc, A + i * lda, lda, Pb, groups, 3, valid);
            break;
        case 2:
            pblock(Cb + i * ldc, ldc, A + i * lda, lda, Pb, groups, 2, valid);
            break;
        case 1:
            pblock(Cb + i * ldc, ldc, A + i * lda, lda, Pb, groups, 1, valid);
            break;
        default:
            break;
        }
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
void aft_q8_gemm_avx2(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const int8_t *P,
                      size_t M, size_t N, size_t K)
{
    size_t Kp = (K + 3) / 4 * 4;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            int32_t s = 0;
            for (size_t k = 0; k < K; k++)
                s += A[i * lda + k] * P[(j / 16) * 16 * Kp + (k / 4) * 64 + (j % 16) * 4 + k % 4];
            C[i * ldc + j] = s;
        }
}

void aft_q8_quantize_rows_avx2(int8_t *q, size_t ldq, float *scale, const float *x, size_t rows,
                               size_t cols, int offset)
{
    for (size_t r = 0; r < rows; r++) {
        aft_q8_quantize_rows(q + r * ldq, &scale[r], x + r * cols, 1, cols);
        for (size_t c = 0; c < ldq; c++)
            q[r * ldq + c] = (int8_t)((c < cols ? q[r * ldq + c] : 0) ^ (offset ? 0x80 : 0));
    }
}

#endif
