/* The backward pass of the last training forward: heads, final LayerNorm,
 * blocks from the top down, embeddings; gradients ADD into the grad buffer. */
#include "kernels.h"
#include "model_internal.h"

#include <cblas.h>
#include <string.h>

/* Whether the tensor that starts at view p (a params view) trains. */
static int trainable(const aft_model *m, const float *p)
{
    size_t off = (size_t)(p - m->param_mem), lo = 0, hi = m->n_params;
    while (lo < hi) { /* the table is in buffer order */
        size_t mid = lo + (hi - lo) / 2;
        if (m->params[mid].offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_params && m->params[lo].offset == off && m->params[lo].trainable;
}

/* The gradient view g of params view p, or NULL when p is frozen. */
static float *grad_of(const aft_model *m, const float *p, float *g)
{
    return p && trainable(m, p) ? g : NULL;
}

/* The action head's weights and the hidden states' gradient (into dlnf at
 * each example's read position) from dl = d loss / d logits (B, A). */
static void action_head_bwd_from(aft_model *m, aft_acts *a, const float *dl, float *dlnf)
{
    int B = a->B, T = a->T, C = m->cfg.d_model, A = m->cfg.n_actions;
    float *dh = a->d_rows_dh; /* (B, C) */
    float *gw = grad_of(m, m->p.score_w, m->g.score_w);
    float *gb = grad_of(m, m->p.score_b, m->g.score_b);
    if (gw) /* (A, C) += dl^T @ hidden */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, A, C, B, 1.0f, dl, A, a->hidden,
                    C, 1.0f, gw, C);
    for (int b = 0; gb && b < B; b++)
        for (int k = 0; k < A; k++)
            gb[k] += dl[(size_t)b * A + k];
    /* dh (B, C) = dl @ score_w */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, A, 1.0f, dl, A, m->p.score_w,
                C, 0.0f, dh, C);
    for (int b = 0; b < B; b++) {
        float *d = dlnf + ((size_t)b * T + a->read_pos[b]) * C;
        for (int i = 0; i < C; i++)
            d[i] += dh[(size_t)b * C + i];
    }
}

/* d hidden of each labelled example into dlnf (B, T, C) at its last position. */
static void action_head_bwd(aft_model *m, aft_acts *a, float *dlnf)
{
    int B = a->B, A = m->cfg.n_actions;
    float *dl = a->d_logits; /* (B, A) */
    for (int b = 0; b < B; b++) {
        float *row = dl + (size_t)b * A;
        if (a->labels[b] >= 0)
            aft_k_xent_bwd(row, a->act_logits + (size_t)b * A, a->act_lse[b], a->labels[b],
                           a->cls_scale, A);
        else
            memset(row, 0, (size_t)A * sizeof *row);
    }
    action_head_bwd_from(m, a, dl, dlnf);
}

/* value (B) = hidden @ value_w + value_b, from dv = d loss / d value. */
static void value_head_bwd(aft_model *m, aft_acts *a, const float *dv, float *dlnf)
{
    int B = a->B, T = a->T, C = m->cfg.d_model;
    float *gw = grad_of(m, m->p.value_w, m->g.value_w);
    float *gb = grad_of(m, m->p.value_b, m->g.value_b);
    for (int b = 0; b < B; b++) {
        const float *h = a->hidden + (size_t)b * C;
        float *d = dlnf + ((size_t)b * T + a->read_pos[b]) * C;
        for (int i = 0; gw && i < C; i++)
            gw[i] += dv[b] * h[i];
        if (gb)
            gb[0] += dv[b];
        for (int i = 0; i < C; i++)
            d[i] += dv[b] * m->p.value_w[i];
    }
}

/* The tied LM head over the rows with a target, AFT_LM_CHUNK rows at a time
 * so the logits' gradient never needs a (B, T, V) buffer of its own. */
static void lm_head_bwd(aft_model *m, aft_acts *a, float *dlnf)
{
    int C = m->cfg.d_model, V = m->cfg.vocab_size;
    float *dwte = grad_of(m, m->p.wte, m->g.wte);
    float *dl = a->d_logits, *h = a->lm_h, *dh = a->d_rows_dh;
    for (size_t s = 0; s < a->lm_nrows; s += AFT_LM_CHUNK) {
        size_t n = a->lm_nrows - s < AFT_LM_CHUNK ? a->lm_nrows - s : AFT_LM_CHUNK;
        for (size_t i = 0; i < n; i++) {
            size_t row = (size_t)a->lm_rows[s + i];
            const float *lg = a->lm_logits + (a->lm_compact ? s + i : row) * V;
            aft_k_xent_bwd(dl + i * V, lg, a->lm_lse[row], a->lm_targets[row], a->lm_scale, V);
            memcpy(h + i * C, a->lnf + row * C, (size_t)C * sizeof *h);
        }
        if (dwte) /* (V, C) += dl^T (V, n) @ h (n, C) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, C, (int)n, 1.0f, dl, V, h,
                        C, 1.0f, dwte, C);
        /* dh (n, C) = dl @ wte */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, C, V, 1.0f, dl, V,
                    m->p.wte, C, 0.0f, dh, C);
        for (size_t i = 0; i < n; i++) {
            float *d = dlnf + (size_t)a->lm_rows[s + i] * C;
            for (int k = 0; k < C; k++)
                d[k] += dh[i * C + k];
        }
    }
}

/* Projection k of block l: dx (N, in) = d input (NULL: not needed), weight,
 * bias and adapter gradients from dy (N, out) and the input x. */
static void proj_bwd(aft_model *m, aft_acts *a, int l, int k, float *dx, const float *dy,
                     const float *x)
{
    const aft_model_config *c = &m->cfg;
    aft_block_views *pv = &m->p.blocks[l], *gv = &m->g.blocks[l];
    size_t N = (size_t)a->B * a->T;
    float *W, *b, *gW, *gb;
    int in, out;
    aft_proj_tensors(pv, k, &W, &b);
    aft_proj_tensors(gv, k, &gW, &gb);
    aft_proj_dims(c->d_model, k, &in, &out);
    aft_k_matmul_bwd(dx, grad_of(m, W, gW), grad_of(m, b, gb), dy, x, W, N, in, out);
    if (c->lora_rank)
        aft_lora_bwd(dx, grad_of(m, pv->lora_a[k], gv->lora_a[k]),
                     grad_of(m, pv->lora_b[k], gv->lora_b[k]), a->d_lora, dy, x,
                     a->layers[l].lora_u[k], pv->lora_a[k], pv->lora_b[k],
                     c->lora_alpha / (float)c->lora_rank, N, in, out, c->lora_rank);
}

/* The gradient reaching a dropped-out branch: d_res * mask * keep_scale. */
static const float *branch_grad(const aft_model *m, aft_acts *a, const unsigned char *mask)
{
    if (!a->drop_on)
        return a->d_res;
    aft_k_dropout(a->branch, a->d_res, mask, 1.0f / (1.0f - m->cfg.dropout),
                  (size_t)a->B * a->T * m->cfg.d_model);
    return a->branch;
}

/* Block l from d_res = d output to d_res = d input (when need_dx). */
static void block_bwd(aft_model *m, aft_acts *a, int l, int need_dx)
{
    const aft_model_config *c = &m->cfg;
    aft_layer_acts *la = &a->layers[l];
    aft_block_views *pv = &m->p.blocks[l], *gv = &m->g.blocks[l];
    int B = a->B, T = a->T, C = c->d_model, NH = c->n_head;
    size_t N = (size_t)B * T;
    const float *x = l ? a->layers[l - 1].out : a->x0;
    float *dsm = a->d_small, *dbig = a->d_big;

    /* out = res_mid + drop(c_proj(gelu(c_fc(ln2(res_mid))))) */
    proj_bwd(m, a, l, AFT_PROJ_MLP_OUT, dbig, branch_grad(m, a, la->mlp_mask), la->fch_gelu);
    aft_k_gelu_bwd(dbig, la->fch, 4 * N * C);
    proj_bwd(m, a, l, AFT_PROJ_FC, dsm, dbig, la->ln2);
    float *gw = grad_of(m, pv->ln2_w, gv->ln2_w), *gb = grad_of(m, pv->ln2_b, gv->ln2_b);
    aft_k_layernorm_bwd(a->d_res, gw, gb, dsm, la->res_mid, pv->ln2_w, la->ln2_mean, la->ln2_rstd,
                        N, C);

    /* res_mid = x + drop(c_proj(attention(c_attn(ln1(x))))) */
    proj_bwd(m, a, l, AFT_PROJ_ATTN_OUT, dsm, branch_grad(m, a, la->attn_mask), la->atty);
    aft_rng replay = la->att_rng;
    aft_k_attention_bwd(dbig, dsm, la->qkv, la->att_lse, a->att_drop_on ? c->attn_dropout : 0.0f,
                        &replay, a->att_scratch, B, T, C, NH);
    gw = grad_of(m, pv->ln1_w, gv->ln1_w);
    gb = grad_of(m, pv->ln1_b, gv->ln1_b);
    int need_dln1 = need_dx || gw || gb;
    proj_bwd(m, a, l, AFT_PROJ_QKV, need_dln1 ? dsm : NULL, dbig, la->ln1);
    if (need_dln1)
        aft_k_layernorm_bwd(need_dx ? a->d_res : NULL, gw, gb, dsm, x, pv->ln1_w, la->ln1_mean,
                            la->ln1_rstd, N, C);
}

/* Whether any tensor of block l trains. */
static int block_trains(const aft_model *m, int l)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (m->params[i].layer == l && m->params[i].trainable)
            return 1;
    return 0;
}

/* From dlnf (d loss / d final LayerNorm output, (B, T, C)) down through
 * the blocks to the embeddings. */
static void trunk_bwd(aft_model *m, aft_acts *a, const float *dlnf)
{
    const aft_model_config *c = &m->cfg;
    int B = a->B, T = a->T, C = c->d_model, L = c->n_layer;
    size_t N = (size_t)B * T;
    memset(a->d_res, 0, N * C * sizeof(float));
    aft_k_layernorm_bwd(a->d_res, grad_of(m, m->p.lnf_w, m->g.lnf_w),
                        grad_of(m, m->p.lnf_b, m->g.lnf_b), dlnf, a->layers[L - 1].out,
                        m->p.lnf_w, a->lnf_mean, a->lnf_rstd, N, C);

    /* Blocks below the lowest one that trains need no gradient at all. */
    float *dwte = grad_of(m, m->p.wte, m->g.wte), *dwpe = grad_of(m, m->p.wpe, m->g.wpe);
    int emb = dwte || dwpe, lowest = 0;
    if (!emb)
        while (lowest < L && !block_trains(m, lowest))
            lowest++;
    for (int l = L - 1; l >= lowest; l--)
        block_bwd(m, a, l, l > lowest || emb);
    if (emb) {
        if (a->drop_on)
            aft_k_dropout(a->d_res, a->d_res, a->emb_mask, 1.0f / (1.0f - c->dropout), N * C);
        aft_k_embed_bwd(dwte, dwpe, a->d_res, a->tokens, B, T, C);
    }
}

/* The last training forward's activations, claimed for one backward. */
static aft_acts *take_forward(aft_model *m, aft_error *err)
{
    aft_acts *a = m->acts;
    if (!m->have_forward || !a) {
        aft_error_set(err, "backward needs a training forward pass first (one backward per "
                           "forward)");
        return NULL;
    }
    m->have_forward = 0;
    return a;
}

int aft_model_backward(aft_model *m, aft_error *err)
{
    aft_acts *a = take_forward(m, err);
    if (!a)
        return -1;
    float *dlnf = a->d_small; /* (B, T, C) */
    memset(dlnf, 0, (size_t)a->B * a->T * m->cfg.d_model * sizeof *dlnf);
    if (a->cls_on)
        action_head_bwd(m, a, dlnf);
    if (a->lm_on)
        lm_head_bwd(m, a, dlnf);
    trunk_bwd(m, a, dlnf);
    return 0;
}

int aft_model_backward_heads(aft_model *m, const float *d_logits, const float *d_values,
                             aft_error *err)
{
    if (d_logits && m->cfg.n_actions == 0)
        return aft_error_set(err, "action-logit gradients given but the model has no action head");
    if (d_values && !m->cfg.value_head)
        return aft_error_set(err, "value gradients given but the model has no value head");
    aft_acts *a = take_forward(m, err);
    if (!a)
        return -1;
    float *dlnf = a->d_small;
    memset(dlnf, 0, (size_t)a->B * a->T * m->cfg.d_model * sizeof *dlnf);
    if (d_logits)
        action_head_bwd_from(m, a, d_logits, dlnf);
    if (d_values)
        value_head_bwd(m, a, d_values, dlnf);
    trunk_bwd(m, a, dlnf);
    return 0;
}
