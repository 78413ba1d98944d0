/* The numeric kernels of the transformer passes (kernels.c) and the LoRA
 * adapter products (lora.c). Private to src/model; shapes in the comments. */
#ifndef AGENTFT_MODEL_KERNELS_H
#define AGENTFT_MODEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

struct aft_rng;

/* x (B, T, C) = wte[tokens] + wpe[t]. */
void aft_k_embed_fwd(float *x, const int32_t *tokens, const float *wte, const float *wpe,
                     int B, int T, int C);
/* dwte[tokens] += dx, dwpe[t] += dx; either may be NULL (frozen). */
void aft_k_embed_bwd(float *dwte, float *dwpe, const float *dx, const int32_t *tokens,
                     int B, int T, int C);

/* out (N, C) = (x - mean) * rstd * w + b over each row, eps 1e-5; keeps
 * mean and rstd (N) for the backward pass. */
void aft_k_layernorm_fwd(float *out, float *mean, float *rstd, const float *x,
                         const float *w, const float *b, size_t N, int C);
/* dx += (dx may be NULL: not needed below), dw += and db += (NULL: frozen). */
void aft_k_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                         const float *w, const float *mean, const float *rstd, size_t N, int C);

/* y (N, out) = x (N, in) @ W (in, out) + b (b may be NULL). */
void aft_k_matmul_fwd(float *y, const float *x, const float *W, const float *b, size_t N,
                      int in, int out);
/* dx (N, in) = dy @ W^T (overwritten; NULL: skip), dW (in, out) += x^T @ dy
 * and db (out) += column sums of dy (NULL: frozen). */
void aft_k_matmul_bwd(float *dx, float *dW, float *db, const float *dy, const float *x,
                      const float *W, size_t N, int in, int out);

/* out = GELU (tanh form) of x, n values. */
void aft_k_gelu_fwd(float *out, const float *x, size_t n);
/* d (n) = GELU'(x) * d, in place. */
void aft_k_gelu_bwd(float *d, const float *x, size_t n);

/* Dropout keep-mask of n bytes (1 = keep) with drop probability p. */
void aft_k_dropout_mask(unsigned char *mask, size_t n, float p, struct aft_rng *rng);
/* out = x * mask / (1 - p); out may be x. */
void aft_k_dropout(float *out, const float *x, const unsigned char *mask, float keep_scale,
                   size_t n);
/* out = res + branch (* mask * keep_scale when mask is not NULL). */
void aft_k_residual_fwd(float *out, const float *res, const float *branch,
                        const unsigned char *mask, float keep_scale, size_t n);

/* Causal multi-head self-attention. qkv (B, T, 3C) holds q, k, v, each C wide
 * with heads contiguous; out (B, T, C). lse (B, NH, T) gets each score row's
 * log-sum-exp, from which the backward pass recomputes the weights instead of
 * keeping (B, NH, T, T) of them (NULL: not kept). Attention dropout with
 * probability p draws its masks from rng in (b, h) order; the backward pass
 * replays them from a copy of rng as it was. scratch holds 4 T * T floats. */
void aft_k_attention_fwd(float *out, float *lse, const float *qkv, float p, struct aft_rng *rng,
                         float *scratch, int B, int T, int C, int NH);
/* dqkv (B, T, 3C) overwritten from dout (B, T, C). */
void aft_k_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *lse,
                         float p, struct aft_rng *rng, float *scratch, int B, int T, int C,
                         int NH);

/* Cross-entropy of one row of logits (V) against target: returns
 * logsumexp - logits[target] (in double) and stores logsumexp in *lse. */
double aft_k_xent_fwd(const float *logits, int V, int target, float *lse);
/* dlogits (V) = (softmax(logits) - onehot(target)) * scale, overwritten. */
void aft_k_xent_bwd(float *dlogits, const float *logits, float lse, int target, float scale,
                    int V);

/* LoRA (lora.c): y (N, out) += scale * u @ B^T with u (N, r) = x (N, in) @ A^T
 * kept for the backward pass; A (r, in), Bm (out, r). */
void aft_lora_fwd(float *y, float *u, const float *x, const float *A, const float *Bm,
                  float scale, size_t N, int in, int out, int r);
/* dA += and dB += their gradients; dx (N, in) += scale * (dy @ Bm) @ A when
 * not NULL; du is (N, r) scratch. */
void aft_lora_bwd(float *dx, float *dA, float *dB, float *du, const float *dy, const float *x,
                  const float *u, const float *A, const float *Bm, float scale, size_t N,
                  int in, int out, int r);

#endif
