/* INT8 weights of a model and the pieces of the int8 path shared by
 * int8.c, int8_avx2.c, int8_model.c, int8_export.c and forward.c. Private
 * to src/model. */
#ifndef AGENTFT_INT8_INTERNAL_H
#define AGENTFT_INT8_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/int8.h"

/* Rows of activations quantized and multiplied at a time (bounds the scratch). */
#define AFT_Q8_ROWS 32

/* Nearest integer, halves to even as the AVX2 conversion rounds (adding and
 * taking away 1.5 * 2^23 leaves no fraction bits in the default rounding
 * mode), clamped to the symmetric range (x / scale can land a rounding error
 * above 127). */
static inline int8_t aft_q8_round(float v)
{
    v = v > (float)AFT_Q8_MAX ? (float)AFT_Q8_MAX : v < -(float)AFT_Q8_MAX ? -(float)AFT_Q8_MAX : v;
    const float big = 12582912.0f; /* without -ffast-math (v + big) - big stays as written */
    return (int8_t)(int)((v + big) - big);
}

/* One quantized matrix: output channels as rows. */
typedef struct aft_q8_matrix {
    int8_t *q;        /* (out, in); NULL: this parameter is not quantized */
    float *scale;     /* (out) */
    size_t out, in;
    /* For the AVX2 and VNNI kernels (made when a model runs on one, else
     * NULL): the rows packed as aft_q8_vnni_pack lays them out, and each
     * row's sum. */
    int8_t *packed;
    int32_t *rowsum;
} aft_q8_matrix;

typedef struct aft_q8_weights {
    aft_q8_matrix *by_param;   /* one per entry of the model's parameter table */
    size_t n_params;
    aft_q8_matrix **proj;      /* [l * AFT_PROJ_COUNT + k], into by_param */
    aft_q8_matrix *score;      /* the action head, or NULL */
    aft_q8_matrix *wte;        /* the tied LM head */
    aft_q8_kernel kernel;      /* resolved: PORTABLE, AVX2 or VNNI */
    /* Scratch for AFT_Q8_ROWS rows: quantized activations, their scales,
     * int32 products. */
    int8_t *xq;
    float *xs;
    int32_t *acc;
    size_t max_in, max_out;
} aft_q8_weights;

/* The AVX2 kernel (int8_avx2.c; only called when the CPU has AVX2): C (M,
 * N), ldc apart = A @ B^T for A (M rows lda apart, lda >= K rounded up to 4,
 * zero past K) and B packed by aft_q8_vnni_pack. */
void aft_q8_gemm_avx2(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const int8_t *P,
                      size_t M, size_t N, size_t K);
/* aft_q8_quantize_rows in AVX2 with the same results, rows written ldq
 * apart; with `offset` each value is stored as q + 128 (an unsigned byte,
 * for the VNNI kernel), and the row is zero-padded (offset 128) up to ldq. */
void aft_q8_quantize_rows_avx2(int8_t *q, size_t ldq, float *scale, const float *x, size_t rows,
                               size_t cols, int offset);

/* The VNNI kernel (int8_vnni.c). B (N, K) is packed once: column blocks of
 * 16 rows of B, in each block groups of 4 k, a group being 16 x 4 bytes (row
 * c's k..k+3 at 4c); K rounds up to 4 and N to 16, the padding zero. rowsum
 * gets N rounded up to 16 sums of B's rows. */
size_t aft_q8_vnni_packed_size(size_t N, size_t K);
void aft_q8_vnni_pack(int8_t *P, int32_t *rowsum, const int8_t *B, size_t N, size_t K);
/* C (M, N), ldc apart = (Au - 128) @ B^T for unsigned Au (M rows lda apart,
 * lda >= K rounded up to 4, bytes past K ignored) and B packed as above. */
void aft_q8_gemm_vnni(int32_t *C, size_t ldc, const uint8_t *Au, size_t lda, const int8_t *P,
                      const int32_t *rowsum, size_t M, size_t N, size_t K);
/* Packs mx for the AVX2 and VNNI kernels (once). */
int aft_q8_matrix_pack(aft_q8_matrix *mx);
/* The portable kernel (int8.c). */
void aft_q8_gemm_portable(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N,
                          size_t K);

/* y (N, W->out) = x (N, W->in) @ W^T (+ b when not NULL), the rows of x
 * quantized per row on the fly. */
void aft_q8_linear(aft_q8_weights *w, const aft_q8_matrix *W, float *y, const float *x,
                   const float *b, size_t N);

/* An empty set of INT8 weights for model m (nothing quantized yet). */
aft_q8_weights *aft_q8_weights_new(const struct aft_model *m);
/* Allocates a matrix for (out, in). */
int aft_q8_matrix_alloc(aft_q8_matrix *mx, size_t out, size_t in);
void aft_q8_matrix_free(aft_q8_matrix *mx);
/* Runs the set on kernel k (resolved); packs its matrices for VNNI. */
int aft_q8_weights_use(aft_q8_weights *w, aft_q8_kernel k);
/* Finishes a filled set: links the projections, heads and scratch. */
int aft_q8_weights_finish(aft_q8_weights *w, const struct aft_model *m);
void aft_q8_weights_free(aft_q8_weights *w);

/* DIR/config.json as a model config with an action head of n_actions
 * (checkpoint_config.c; ov as aft_checkpoint_load_model's overrides, may be NULL). */
int aft_checkpoint_read_config(const char *dir, const aft_model_config *ov, int n_actions,
                               aft_model_config *c, aft_error *err);

/* Parameter p of m is stored as int8: every matrix but the LoRA adapters.
 * *conv1d says it is a block projection laid out (in, out), quantized per
 * column and stored transposed. */
int aft_q8_param_quantized(const struct aft_model *m, const aft_param *p, int *conv1d);

#endif
