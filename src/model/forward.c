/* The forward pass: batch checks, the activation buffer and its layout,
 * embeddings, blocks, final LayerNorm, the action and language-model heads. */
#include "int8_internal.h"
#include "kernels.h"
#include "model_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

typedef struct bump {
    char *base; /* NULL: only count */
    size_t off;
} bump;

/* Takes n bytes, 64-byte aligned for the vector loops and sgemm. */
static void *take(bump *bp, size_t n)
{
    size_t o = (bp->off + 63) & ~(size_t)63;
    bp->off = o + n;
    return bp->base ? bp->base + o : NULL;
}

#define F(n) take(&bp, (size_t)(n) * sizeof(float))
#define I32(n) take(&bp, (size_t)(n) * sizeof(int32_t))
#define U8(n) take(&bp, (size_t)(n))

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* What the buffer holds. A training forward keeps every block's activations
 * and the backward scratch; an evaluation forward runs every block through
 * one block's storage (a block reads its input before it writes its output)
 * and keeps no attention probabilities. */
typedef struct layout {
    int B, T, training;
    size_t lm_rows;   /* rows of LM logits stored (0: no LM head) */
} layout;

static void plan_layer(bump *bp_, aft_layer_acts *la, const aft_model_config *c, const layout *ly)
{
#define bp (*bp_)
    size_t N = (size_t)ly->B * ly->T, C = (size_t)c->d_model, r = (size_t)c->lora_rank;
    int train = ly->training;
    la->ln1 = F(N * C);
    la->ln1_mean = F(N);
    la->ln1_rstd = F(N);
    la->qkv = F(3 * N * C);
    la->att_lse = train ? F(N * c->n_head) : NULL;
    la->atty = F(N * C);
    la->res_mid = F(N * C);
    la->ln2 = F(N * C);
    la->ln2_mean = F(N);
    la->ln2_rstd = F(N);
    la->fch = F(4 * N * C);
    la->fch_gelu = F(4 * N * C);
    la->out = F(N * C);
    for (int k = 0; k < AFT_PROJ_COUNT; k++)
        la->lora_u[k] = r ? F(N * r) : NULL;
    la->attn_mask = train && c->dropout > 0 ? U8(N * C) : NULL;
    la->mlp_mask = train && c->dropout > 0 ? U8(N * C) : NULL;
#undef bp
}

/* The backward pass's scratch (training only). */
static void plan_backward(bump *bp_, aft_acts *a, const aft_model_config *c, const layout *ly)
{
#define bp (*bp_)
    size_t N = (size_t)ly->B * ly->T, C = (size_t)c->d_model, r = (size_t)c->lora_rank;
    size_t A = (size_t)c->n_actions, V = (size_t)c->vocab_size;
    size_t chunk = ly->lm_rows ? (N < AFT_LM_CHUNK ? N : AFT_LM_CHUNK) : 0;
    a->d_res = F(N * C);
    a->d_small = F(N * C);
    a->d_big = F(4 * N * C);
    a->d_lora = r ? F(N * r) : NULL;
    a->d_logits = F(max_sz((size_t)ly->B * A, chunk * V));
    a->d_rows_dh = F(max_sz((size_t)ly->B, chunk) * C);
#undef bp
}

/* Lays the activations out from base, or with base NULL only counts;
 * returns the bytes. */
static size_t plan(aft_acts *a, const aft_model_config *c, const layout *ly, char *base)
{
    bump bp = {base, 0};
    aft_layer_acts scratch_layer;
    size_t B = (size_t)ly->B, N = B * ly->T, C = (size_t)c->d_model;
    size_t A = (size_t)c->n_actions, V = (size_t)c->vocab_size, TT = (size_t)ly->T * ly->T;
    size_t chunk = ly->lm_rows ? (N < AFT_LM_CHUNK ? N : AFT_LM_CHUNK) : 0;
    a->x0 = F(N * C);
    a->emb_mask = ly->training && c->dropout > 0 ? U8(N * C) : NULL;
    for (int l = 0; l < (ly->training ? c->n_layer : 1); l++)
        plan_layer(&bp, base ? &a->layers[l] : &scratch_layer, c, ly);
    for (int l = 1; base && !ly->training && l < c->n_layer; l++)
        a->layers[l] = a->layers[0];
    a->lnf = F(N * C);
    a->lnf_mean = F(N);
    a->lnf_rstd = F(N);
    a->hidden = F(B * C);
    a->act_logits = A ? F(B * A) : NULL;
    a->act_lse = A ? F(B) : NULL;
    a->values = c->value_head ? F(B) : NULL;
    a->lm_logits = ly->lm_rows ? F(ly->lm_rows * V) : NULL;
    a->lm_lse = ly->lm_rows ? F(N) : NULL;
    a->lm_h = ly->lm_rows ? F(chunk * C) : NULL;
    a->lm_rows = I32(N);
    a->att_scratch = F(4 * TT);
    a->branch = F(N * C);
    if (ly->training)
        plan_backward(&bp, a, c, ly);
    a->tokens = I32(N);
    a->lengths = I32(B);
    a->read_pos = I32(B);
    a->labels = I32(B);
    a->lm_targets = I32(N);
    return bp.off;
}

size_t aft_model_activation_bytes(const aft_model_config *cfg, int B, int T, int with_lm)
{
    aft_acts a;
    layout ly = {B, T, 1, with_lm ? (size_t)B * T : 0};
    return sizeof a + (size_t)cfg->n_layer * sizeof(aft_layer_acts) + plan(&a, cfg, &ly, NULL);
}

void aft_model_free_acts(aft_model *m)
{
    aft_acts *a = m->acts;
    if (a)
        free(a->mem);
    free(a);
    m->acts = NULL;
    m->act_B = m->act_T = 0;
    m->have_forward = 0;
}

/* Makes the buffer big enough for the layout and lays it out. */
static aft_acts *acts_for(aft_model *m, const layout *ly, aft_error *err)
{
    const aft_model_config *c = &m->cfg;
    aft_acts *a = m->acts;
    if (!a) {
        a = calloc(1, sizeof *a + (size_t)c->n_layer * sizeof(aft_layer_acts));
        if (!a) {
            aft_error_set(err, "out of memory for the activation table");
            return NULL;
        }
        m->acts = a;
    }
    size_t need = plan(a, c, ly, NULL);
    if (need > a->cap) {
        free(a->mem);
        a->cap = 0;
        a->mem = aligned_alloc(64, (need + 63) & ~(size_t)63);
        if (!a->mem) {
            a->B = m->act_B = 0;
            aft_error_set(err, "out of memory: %.1f MiB of activations for a %d x %d batch",
                          (double)need / 1048576.0, ly->B, ly->T);
            return NULL;
        }
        a->cap = need;
    }
    plan(a, c, ly, a->mem);
    a->B = m->act_B = ly->B;
    a->T = m->act_T = ly->T;
    return a;
}

static int check_tokens(const aft_model_config *c, const aft_batch *bt, aft_error *err)
{
    for (int b = 0; b < bt->B; b++) {
        if (bt->lengths[b] < 1 || bt->lengths[b] > bt->T)
            return aft_error_set(err, "lengths[%d] = %d is out of range (allowed 1..T = %d)", b,
                                 bt->lengths[b], bt->T);
        if (bt->cls_pos && (bt->cls_pos[b] < 0 || bt->cls_pos[b] >= bt->lengths[b]))
            return aft_error_set(err, "cls_pos[%d] = %d is out of range (allowed 0..length - 1 = %d)",
                                 b, bt->cls_pos[b], bt->lengths[b] - 1);
        for (int t = 0; t < bt->T; t++) {
            int32_t v = bt->tokens[b * bt->T + t];
            if (v < 0 || v >= c->vocab_size)
                return aft_error_set(err, "token id %d at row %d, position %d is out of range "
                                     "(vocab_size = %d)", (int)v, b, t, c->vocab_size);
            int32_t y = bt->lm_targets ? bt->lm_targets[b * bt->T + t] : -1;
            if (y < -1 || y >= c->vocab_size)
                return aft_error_set(err, "lm_targets[%d][%d] = %d is out of range (allowed -1.."
                                     "%d)", b, t, (int)y, c->vocab_size - 1);
        }
    }
    return 0;
}

static int check_batch(const aft_model_config *c, const aft_batch *bt,
                       const aft_forward_opts *o, aft_error *err)
{
    if (bt->B < 1 || bt->T < 1)
        return aft_error_set(err, "empty batch (B = %d, T = %d)", bt->B, bt->T);
    if (bt->T > c->max_seq)
        return aft_error_set(err, "sequence length T = %d exceeds the model's max_seq = %d",
                             bt->T, c->max_seq);
    if (!bt->tokens || !bt->lengths)
        return aft_error_set(err, "batch without tokens or lengths");
    if (bt->labels && o->cls_weight > 0 && c->n_actions == 0)
        return aft_error_set(err, "the batch has action labels but the model has no action head");
    for (int b = 0; bt->labels && c->n_actions > 0 && b < bt->B; b++)
        if (bt->labels[b] < -1 || bt->labels[b] >= c->n_actions)
            return aft_error_set(err, "labels[%d] = %d is out of range (allowed -1..%d)", b,
                                 (int)bt->labels[b], c->n_actions - 1);
    return check_tokens(c, bt, err);
}

/* y (N, out) = projection k of block l applied to x (N, in), adapters included. */
static void proj_fwd(aft_model *m, aft_layer_acts *la, int l, int k, float *y, const float *x,
                     size_t N)
{
    const aft_model_config *c = &m->cfg;
    const aft_block_views *v = &m->p.blocks[l];
    float *W, *b;
    int in, out;
    aft_proj_tensors(v, k, &W, &b);
    aft_proj_dims(c->d_model, k, &in, &out);
    if (m->q8) {
        aft_q8_linear(m->q8, m->q8->proj[l * AFT_PROJ_COUNT + k], y, x, b, N);
        return; /* an INT8 model has no adapters */
    }
    aft_k_matmul_fwd(y, x, W, b, N, in, out);
    if (c->lora_rank)
        aft_lora_fwd(y, la->lora_u[k], x, v->lora_a[k], v->lora_b[k],
                     c->lora_alpha / (float)c->lora_rank, N, in, out, c->lora_rank);
}

/* One block: x (B, T, C) -> la->out. */
static void block_fwd(aft_model *m, aft_acts *a, int l, const float *x)
{
    const aft_model_config *c = &m->cfg;
    const aft_block_views *v = &m->p.blocks[l];
    aft_layer_acts *la = &a->layers[l];
    int B = a->B, T = a->T, C = c->d_model, NH = c->n_head;
    size_t N = (size_t)B * T;
    const unsigned char *m1 = NULL, *m2 = NULL;
    if (a->drop_on) {
        aft_k_dropout_mask(la->attn_mask, N * C, c->dropout, &m->rng);
        aft_k_dropout_mask(la->mlp_mask, N * C, c->dropout, &m->rng);
        m1 = la->attn_mask;
        m2 = la->mlp_mask;
    }
    float ks = 1.0f / (1.0f - c->dropout);

    aft_k_layernorm_fwd(la->ln1, la->ln1_mean, la->ln1_rstd, x, v->ln1_w, v->ln1_b, N, C);
    proj_fwd(m, la, l, AFT_PROJ_QKV, la->qkv, la->ln1, N);
    la->att_rng = m->rng;
    aft_k_attention_fwd(la->atty, la->att_lse, la->qkv, a->att_drop_on ? c->attn_dropout : 0.0f,
                        &m->rng, a->att_scratch, B, T, C, NH);
    proj_fwd(m, la, l, AFT_PROJ_ATTN_OUT, a->branch, la->atty, N);
    aft_k_residual_fwd(la->res_mid, x, a->branch, m1, ks, N * C);

    aft_k_layernorm_fwd(la->ln2, la->ln2_mean, la->ln2_rstd, la->res_mid, v->ln2_w, v->ln2_b, N,
                        C);
    proj_fwd(m, la, l, AFT_PROJ_FC, la->fch, la->ln2, N);
    aft_k_gelu_fwd(la->fch_gelu, la->fch, 4 * N * C);
    proj_fwd(m, la, l, AFT_PROJ_MLP_OUT, a->branch, la->fch_gelu, N);
    aft_k_residual_fwd(la->out, la->res_mid, a->branch, m2, ks, N * C);
}

/* The action head over the ln_f state at each sequence's last position. */
static void action_head_fwd(aft_model *m, aft_acts *a, aft_forward_result *res)
{
    const aft_model_config *c = &m->cfg;
    int B = a->B, T = a->T, C = c->d_model, A = c->n_actions;
    for (int b = 0; b < B; b++)
        memcpy(a->hidden + (size_t)b * C, a->lnf + ((size_t)b * T + a->read_pos[b]) * C,
               (size_t)C * sizeof(float));
    for (int b = 0; a->values && b < B; b++)
        a->values[b] = cblas_sdot(C, a->hidden + (size_t)b * C, 1, m->p.value_w, 1) +
                       m->p.value_b[0];
    if (A == 0)
        return;
    /* logits (B, A) = hidden (B, C) @ score_w^T + score_b */
    if (m->q8)
        aft_q8_linear(m->q8, m->q8->score, a->act_logits, a->hidden, m->p.score_b, (size_t)B);
    else {
        for (int b = 0; b < B; b++)
            memcpy(a->act_logits + (size_t)b * A, m->p.score_b, (size_t)A * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, A, C, 1.0f, a->hidden, C,
                    m->p.score_w, C, 1.0f, a->act_logits, A);
    }
    if (!a->labels)
        return;
    double sum = 0;
    for (int b = 0; b < B; b++)
        if (a->labels[b] >= 0) {
            sum += aft_k_xent_fwd(a->act_logits + (size_t)b * A, A, a->labels[b], &a->act_lse[b]);
            res->cls_count++;
        }
    res->cls_loss = res->cls_count ? (float)(sum / (double)res->cls_count) : 0.0f;
}

/* The rows b * T + t with an LM target inside the sequence, in order, into
 * rows (may be NULL to count only). */
static size_t lm_target_rows(const aft_batch *bt, int32_t *rows)
{
    size_t n = 0;
    for (int b = 0; b < bt->B; b++)
        for (int t = 0; t < bt->lengths[b]; t++)
            if (bt->lm_targets[b * bt->T + t] >= 0) {
                if (rows)
                    rows[n] = b * bt->T + t;
                n++;
            }
    return n;
}

/* logits (rows, V) = h (rows, C) @ wte^T, in int8 for an INT8 model. */
static void lm_logits(aft_model *m, float *logits, const float *h, size_t rows)
{
    int C = m->cfg.d_model, V = m->cfg.vocab_size;
    if (m->q8)
        aft_q8_linear(m->q8, m->q8->wte, logits, h, NULL, rows);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, V, C, 1.0f, h, C,
                    m->p.wte, C, 0.0f, logits, V);
}

/* The tied LM head, logits = lnf @ wte^T: over every position (B, T, V)
 * when the caller wants them, else over the target rows only, kept in
 * order for the backward pass (training) or a chunk at a time (evaluation).
 * Then the mean cross-entropy over the target rows. */
static void lm_head_fwd(aft_model *m, aft_acts *a, int training, aft_forward_result *res)
{
    int C = m->cfg.d_model, V = m->cfg.vocab_size;
    size_t N = (size_t)a->B * a->T, n = a->lm_nrows;
    if (a->lm_all)
        lm_logits(m, a->lm_logits, a->lnf, N);
    double sum = 0;
    for (size_t s = 0; s < n; s += AFT_LM_CHUNK) {
        size_t k = n - s < AFT_LM_CHUNK ? n - s : AFT_LM_CHUNK;
        float *dst = a->lm_logits + (training ? s * V : 0);
        if (!a->lm_all) {
            for (size_t i = 0; i < k; i++)
                memcpy(a->lm_h + i * C, a->lnf + (size_t)a->lm_rows[s + i] * C,
                       (size_t)C * sizeof(float));
            lm_logits(m, dst, a->lm_h, k);
        }
        for (size_t i = 0; i < k; i++) {
            size_t row = (size_t)a->lm_rows[s + i];
            const float *lg = a->lm_all ? a->lm_logits + row * V : dst + i * V;
            sum += aft_k_xent_fwd(lg, V, a->lm_targets[row], &a->lm_lse[row]);
        }
    }
    res->lm_count = n;
    res->lm_loss = n ? (float)(sum / (double)n) : 0.0f;
}

static void copy_batch(aft_acts *a, const aft_batch *bt)
{
    size_t N = (size_t)bt->B * bt->T;
    memcpy(a->tokens, bt->tokens, N * sizeof(int32_t));
    memcpy(a->lengths, bt->lengths, (size_t)bt->B * sizeof(int32_t));
    for (int b = 0; b < bt->B; b++)
        a->read_pos[b] = bt->cls_pos ? bt->cls_pos[b] : bt->lengths[b] - 1;
    if (bt->labels)
        memcpy(a->labels, bt->labels, (size_t)bt->B * sizeof(int32_t));
    else
        a->labels = NULL;
    if (bt->lm_targets)
        memcpy(a->lm_targets, bt->lm_targets, N * sizeof(int32_t));
    else
        a->lm_targets = NULL;
}

/* Sizes the layout for this batch: the LM rows it needs (see lm_head_fwd). */
static layout layout_for(const aft_batch *bt, const aft_forward_opts *o, size_t *lm_nrows)
{
    layout ly = {bt->B, bt->T, o->training != 0, 0};
    int lm_loss = bt->lm_targets && (o->lm_weight > 0 || o->want_lm_logits);
    *lm_nrows = lm_loss ? lm_target_rows(bt, NULL) : 0;
    if (o->want_lm_logits)
        ly.lm_rows = (size_t)bt->B * bt->T;
    else if (o->training)
        ly.lm_rows = *lm_nrows;
    else
        ly.lm_rows = *lm_nrows < AFT_LM_CHUNK ? *lm_nrows : AFT_LM_CHUNK;
    return ly;
}

static void run_blocks(aft_model *m, aft_acts *a)
{
    const aft_model_config *c = &m->cfg;
    int B = a->B, T = a->T, C = c->d_model;
    size_t N = (size_t)B * T;
    aft_k_embed_fwd(a->x0, a->tokens, m->p.wte, m->p.wpe, B, T, C);
    if (a->drop_on) {
        aft_k_dropout_mask(a->emb_mask, N * C, c->dropout, &m->rng);
        aft_k_dropout(a->x0, a->x0, a->emb_mask, 1.0f / (1.0f - c->dropout), N * C);
    }
    for (int l = 0; l < c->n_layer; l++)
        block_fwd(m, a, l, l ? a->layers[l - 1].out : a->x0);
    aft_k_layernorm_fwd(a->lnf, a->lnf_mean, a->lnf_rstd, a->layers[c->n_layer - 1].out,
                        m->p.lnf_w, m->p.lnf_b, N, C);
}

int aft_model_forward(aft_model *m, const aft_batch *bt, const aft_forward_opts *o,
                      aft_forward_result *res, aft_error *err)
{
    const aft_model_config *c = &m->cfg;
    aft_forward_result unused;
    if (!res)
        res = &unused;
    m->have_forward = 0;
    memset(res, 0, sizeof *res);
    if (check_batch(c, bt, o, err) < 0)
        return -1;
    if (m->q8 && o->training)
        return aft_error_set(err, "an INT8 model is for inference only: train the float model");
    size_t lm_nrows;
    layout ly = layout_for(bt, o, &lm_nrows);
    aft_acts *a = acts_for(m, &ly, err);
    if (!a)
        return -1;
    copy_batch(a, bt);
    a->drop_on = o->training && c->dropout > 0;
    a->att_drop_on = o->training && c->attn_dropout > 0;
    a->lm_all = o->want_lm_logits != 0;
    a->lm_compact = !a->lm_all;
    a->lm_nrows = lm_nrows ? lm_target_rows(bt, a->lm_rows) : 0;

    run_blocks(m, a);
    action_head_fwd(m, a, res);
    if (ly.lm_rows)
        lm_head_fwd(m, a, o->training, res);

    a->cls_on = o->training && o->cls_weight > 0 && res->cls_count > 0;
    a->lm_on = o->training && o->lm_weight > 0 && res->lm_count > 0;
    a->cls_scale = a->cls_on ? o->cls_weight / (float)res->cls_count : 0.0f;
    a->lm_scale = a->lm_on ? o->lm_weight / (float)res->lm_count : 0.0f;
    res->loss = (o->cls_weight > 0 && res->cls_count ? o->cls_weight * res->cls_loss : 0.0f) +
                (o->lm_weight > 0 && res->lm_count ? o->lm_weight * res->lm_loss : 0.0f);
    m->have_forward = o->training != 0;
    return 0;
}

const float *aft_model_action_logits(const aft_model *m)
{
    const aft_acts *a = m->acts;
    return a && a->B ? a->act_logits : NULL;
}

const float *aft_model_lm_logits(const aft_model *m)
{
    const aft_acts *a = m->acts;
    return a && a->B && a->lm_all ? a->lm_logits : NULL;
}

const float *aft_model_values(const aft_model *m)
{
    const aft_acts *a = m->acts;
    return a && a->B ? a->values : NULL;
}

const float *aft_model_last_hidden(const aft_model *m)
{
    const aft_acts *a = m->acts;
    return a && a->B ? a->hidden : NULL;
}
