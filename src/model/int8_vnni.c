/* The AVX-512 VNNI int8 matrix kernel: vpdpbusd multiplies 4 unsigned by 4
 * signed bytes and adds the four products into an int32 lane, 64 products
 * an instruction. Activations go in as q + 128 (unsigned), and the 128 *
 * (sum of the weight row) this adds is taken off at the end. The weights are
 * packed once so that a 64-byte load holds 4 k of 16 output channels, and a
 * broadcast activation group of 4 k feeds all 16: no horizontal sums.
 * Compiled for AVX-512 by target attributes; int8.c calls it only when the
 * CPU has AVX-512 VNNI. */
#include "int8_internal.h"

#include <stdlib.h>
#include <string.h>

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

size_t aft_q8_vnni_packed_size(size_t N, size_t K)
{
    return round_up(N, 16) * round_up(K, 4);
}

void aft_q8_vnni_pack(int8_t *P, int32_t *rowsum, const int8_t *B, size_t N, size_t K)
{
    size_t Np = round_up(N, 16), Kp = round_up(K, 4);
    memset(P, 0, Np * Kp);
    for (size_t j = 0; j < Np; j++) {
        int32_t s = 0;
        for (size_t k = 0; j < N && k < K; k++) {
            /* block j / 16, group k / 4, row j % 16 within it, byte k % 4 */
            P[(j / 16) * 16 * Kp + (k / 4) * 64 + (j % 16) * 4 + k % 4] = B[j * K + k];
            s += B[j * K + k];
        }
        rowsum[j] = s;
    }
}

int aft_q8_matrix_pack(aft_q8_matrix *mx)
{
    if (mx->packed || !mx->q)
        return 0;
    mx->packed = malloc(aft_q8_vnni_packed_size(mx->out, mx->in) + 1);
    mx->rowsum = malloc(round_up(mx->out, 16) * sizeof *mx->rowsum);
    if (!mx->packed || !mx->rowsum) {
        free(mx->packed);
        free(mx->rowsum);
        mx->packed = NULL;
        mx->rowsum = NULL;
        return -1;
    }
    aft_q8_vnni_pack(mx->packed, mx->rowsum, mx->q, mx->out, mx->in);
    return 0;
}

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

/* Full unrolling of the register-block loops keeps the accumulators in
 * registers (GCC at -O2 leaves them in memory otherwise). */
#define UNROLL _Pragma("GCC unroll 4")

#define VNNI_TARGET "avx512f,avx512bw,avx512vnni"
#define VNNI_FN __attribute__((target(VNNI_TARGET)))
#define VNNI_INLINE static inline __attribute__((target(VNNI_TARGET), always_inline))

/* Column blocks done together: a group of 4 x 16 outputs of every row is
 * finished while its packed weights sit in cache. */
#define GROUP 4

/* Rows i..i+R of C, column blocks jb..jb+CB (constants where inlined, so
 * the R x CB accumulators stay in registers); `last` masks the outputs of
 * the final block that lie past N. */
VNNI_INLINE void vblock(int32_t *C, size_t ldc, const uint8_t *A, size_t lda, const int8_t *P,
                        size_t bstride, const int32_t *rowsum, size_t groups, int R, int CB,
                        __mmask16 last)
{
    __m512i acc[4][GROUP];
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int c = 0; c < CB; c++)
            acc[r][c] = _mm512_setzero_si512();
    for (size_t g = 0; g < groups; g++) {
        __m512i w[GROUP];
        UNROLL
        for (int c = 0; c < CB; c++)
            w[c] = _mm512_loadu_si512(P + (size_t)c * bstride + g * 64);
        UNROLL
        for (int r = 0; r < R; r++) {
            int32_t a4;
            memcpy(&a4, A + (size_t)r * lda + g * 4, sizeof a4);
            __m512i a = _mm512_set1_epi32(a4);
            UNROLL
            for (int c = 0; c < CB; c++)
                acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], a, w[c]);
        }
    }
    UNROLL
    for (int c = 0; c < CB; c++) {
        __m512i off = _mm512_slli_epi32(_mm512_loadu_si512(rowsum + 16 * c), 7);
        __mmask16 m = c == CB - 1 ? last : (__mmask16)0xffff;
        UNROLL
        for (int r = 0; r < R; r++)
            _mm512_mask_storeu_epi32(C + (size_t)r * ldc + 16 * c, m,
                                     _mm512_sub_epi32(acc[r][c], off));
    }
}

#define VBLOCK(R, CB)                                                                     \
    vblock(C + i * ldc + 16 * jb, ldc, Au + i * lda, lda, P + jb * bstride, bstride,      \
           rowsum + 16 * jb, groups, R, CB, last)

/* Up to 4 rows across one group of CB column blocks. */
VNNI_INLINE void vrows(int32_t *C, size_t ldc, const uint8_t *Au, size_t lda, const int8_t *P,
                       size_t bstride, const int32_t *rowsum, size_t groups, size_t i,
                       size_t jb, int R, int CB, __mmask16 last)
{
    switch (CB) {
    case 4:
        VBLOCK(R, 4);
        break;
    case 3:
        VBLOCK(R, 3);
        break;
    case 2:
        VBLOCK(R, 2);
        break;
    default:
        VBLOCK(R, 1);
        break;
    }
}

VNNI_FN void aft_q8_gemm_vnni(int32_t *C, size_t ldc, const uint8_t *Au, size_t lda,
                              const int8_t *P, const int32_t *rowsum, size_t M, size_t N, size_t K)
{
    size_t groups = round_up(K, 4) / 4, bstride = 16 * round_up(K, 4);
    size_t blocks = round_up(N, 16) / 16;
    for (size_t jb = 0; jb < blocks; jb += GROUP) {
        int CB = (int)(blocks - jb < GROUP ? blocks - jb : GROUP);
        size_t tail = N - 16 * (jb + (size_t)CB - 1); /* outputs in the group's last block */
        __mmask16 last = tail >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << tail) - 1);
        size_t i = 0;
        for (; i + 4 <= M; i += 4)
            vrows(C, ldc, Au, lda, P, bstride, rowsum, groups, i, jb, 4, CB, last);
        switch (M - i) {
        case 3:
            vrows(C, ldc, Au, lda, P, bstride, rowsum, groups, i, jb, 3, CB, last);
            break;
        case 2:
            vrows(C, ldc, Au, lda, P, bstride, rowsum, groups, i, jb, 2, CB, last);
            break;
        case 1:
            vrows(C, ldc, Au, lda, P, bstride, rowsum, groups, i, jb, 1, CB, last);
            break;
        default:
            break;
        }
    }
}

#else

/* Not an x86 build: int8.c never selects this kernel. */
void aft_q8_gemm_vnni(int32_t *C, size_t ldc, const uint8_t *Au, size_t lda, const int8_t *P,
                      const int32_t *rowsum, size_t M, size_t N, size_t K)
{
    size_t Kp = round_up(K, 4);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            int32_t s = 0;
            for (size_t k = 0; k < K; k++)
                s += ((int32_t)Au[i * lda + k] - 128) *
                     P[(j / 16) * 16 * Kp + (k / 4) * 64 + (j % 16) * 4 + k % 4];
            C[i * ldc + j] = s;
        }
    (void)rowsum;
}

#endif
