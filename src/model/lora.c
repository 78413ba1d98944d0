/* LoRA adapters on the block projections: their forward and backward
 * products, and folding them into the base weights. */
#include "kernels.h"
#include "model_internal.h"

#include <cblas.h>
#include <string.h>

void aft_lora_fwd(float *y, float *u, const float *x, const float *A, const float *Bm,
                  float scale, size_t N, int in, int out, int r)
{
    /* u (N, r) = x @ A^T; y (N, out) += scale * u @ Bm^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, r, in, 1.0f, x, in, A, in,
                0.0f, u, r);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, out, r, scale, u, r, Bm, r,
                1.0f, y, out);
}

void aft_lora_bwd(float *dx, float *dA, float *dB, float *du, const float *dy, const float *x,
                  const float *u, const float *A, const float *Bm, float scale, size_t N,
                  int in, int out, int r)
{
    /* dB (out, r) += scale * dy^T @ u */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, r, (int)N, scale, dy, out, u, r,
                1.0f, dB, r);
    /* du (N, r) = scale * dy @ Bm; dA (r, in) += du^T @ x; dx (N, in) += du @ A */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, r, out, scale, dy, out, Bm,
                r, 0.0f, du, r);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, in, (int)N, 1.0f, du, r, x, in,
                1.0f, dA, in);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, in, r, 1.0f, du, r, A,
                    in, 1.0f, dx, in);
}

void aft_model_merge_lora(aft_model *m)
{
    const aft_model_config *c = &m->cfg;
    if (c->lora_rank == 0)
        return;
    float scale = c->lora_alpha / (float)c->lora_rank;
    for (int l = 0; l < c->n_layer; l++) {
        aft_block_views *b = &m->p.blocks[l];
        float *W[AFT_PROJ_COUNT] = {b->qkv_w, b->attn_out_w, b->fc_w, b->mlp_out_w};
        for (int k = 0; k < AFT_PROJ_COUNT; k++) {
            int in, out;
            aft_proj_dims(c->d_model, k, &in, &out);
            /* W (in, out) += scale * A^T (in, r) @ B^T (r, out) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, in, out, c->lora_rank, scale,
                        b->lora_a[k], in, b->lora_b[k], c->lora_rank, 1.0f, W[k], out);
            memset(b->lora_b[k], 0, (size_t)out * (size_t)c->lora_rank * sizeof(float));
        }
    }
    /* The kept activations belong to the unmerged weights. */
    m->have_forward = 0;
}
