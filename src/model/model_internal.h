/* The model object shared by model.c (parameters, init) and the forward and
 * backward passes. Private to src/model. */
#ifndef AGENTFT_MODEL_INTERNAL_H
#define AGENTFT_MODEL_INTERNAL_H

#include <stdint.h>

#include "agentft/model.h"

/* The four projections of a block that carry LoRA adapters. */
enum { AFT_PROJ_QKV, AFT_PROJ_ATTN_OUT, AFT_PROJ_FC, AFT_PROJ_MLP_OUT, AFT_PROJ_COUNT };

/* Views into the parameter (or gradient) buffer for one block. NULL where a
 * tensor does not exist (LoRA off). */
typedef struct aft_block_views {
    float *ln1_w, *ln1_b;          /* (C) */
    float *qkv_w, *qkv_b;          /* (C, 3C), (3C) */
    float *attn_out_w, *attn_out_b;/* (C, C), (C) */
    float *ln2_w, *ln2_b;          /* (C) */
    float *fc_w, *fc_b;            /* (C, 4C), (4C) */
    float *mlp_out_w, *mlp_out_b;  /* (4C, C), (C) */
    float *lora_a[AFT_PROJ_COUNT]; /* (r, in) */
    float *lora_b[AFT_PROJ_COUNT]; /* (out, r) */
} aft_block_views;

typedef struct aft_model_views {
    float *wte;                    /* (V, C) token embeddings, tied with the LM head */
    float *wpe;                    /* (max_seq, C) */
    aft_block_views *blocks;       /* n_layer of them */
    float *lnf_w, *lnf_b;          /* (C) */
    float *score_w, *score_b;      /* (A, C), (A); NULL when n_actions == 0 */
    float *value_w, *value_b;      /* (C), (1); NULL without a value head */
} aft_model_views;

struct aft_model {
    aft_model_config cfg;
    aft_param *params;             /* the table, in buffer order */
    size_t n_params;
    size_t num_floats;
    float *param_mem;              /* one allocation each */
    float *grad_mem;
    aft_model_views p;             /* views into param_mem */
    aft_model_views g;             /* the same views into grad_mem */
    aft_rng rng;

    /* Activations: an aft_acts owned by forward.c, laid out for (act_B, act_T). */
    void *acts;
    int act_B, act_T;
    int have_forward;              /* a training forward ran and backward may follow */
    struct aft_q8_weights *q8;     /* INT8 weights the forward runs on (int8_model.c), or NULL */
};

/* Activations of one block for a (B, T) batch: views into the one
 * activation buffer (forward.c), kept for the backward pass. */
typedef struct aft_layer_acts {
    float *ln1, *ln1_mean, *ln1_rstd; /* (B, T, C), (B, T), (B, T) */
    float *qkv;                       /* (B, T, 3C) */
    float *att_lse;                   /* (B, NH, T) log-sum-exp of each score row (training) */
    aft_rng att_rng;                  /* the rng before this block's attention dropout */
    float *atty;                      /* (B, T, C) heads' outputs before c_proj */
    float *res_mid;                   /* (B, T, C) residual after the attention branch */
    float *ln2, *ln2_mean, *ln2_rstd; /* (B, T, C), (B, T), (B, T) */
    float *fch, *fch_gelu;            /* (B, T, 4C) before and after GELU */
    float *out;                       /* (B, T, C) residual after the MLP branch */
    float *lora_u[AFT_PROJ_COUNT];    /* (B, T, r) x @ A^T of each adapter */
    unsigned char *attn_mask, *mlp_mask; /* (B, T, C) residual-branch dropout */
} aft_layer_acts;

/* The activation memory of the last forward: one allocation (mem) of cap
 * bytes, laid out for the current batch by forward.c. Evaluation forwards
 * point every layers[l] at the same storage. */
typedef struct aft_acts {
    void *mem;
    size_t cap;
    int B, T;
    int lm_all;                       /* lm_logits holds every position (B, T, V) */
    int lm_compact;                   /* lm_logits holds the target rows only, in lm_rows order */
    int drop_on, att_drop_on;         /* masks drawn (training with dropout) */
    int cls_on, lm_on;                /* the terms the backward pass differentiates */
    float cls_scale, lm_scale;        /* d loss / d (summed cross-entropy) */
    size_t lm_nrows;                  /* rows in lm_rows */
    int32_t *tokens, *lengths;        /* copies of the batch: (B, T), (B) */
    int32_t *read_pos;                /* (B) position the action head reads */
    int32_t *labels, *lm_targets;     /* (B), (B, T); NULL when not given */
    int32_t *lm_rows;                 /* (B * T) rows b * T + t with an LM target */
    float *x0;                        /* (B, T, C) embeddings after dropout */
    unsigned char *emb_mask;          /* (B, T, C) */
    float *lnf, *lnf_mean, *lnf_rstd; /* (B, T, C), (B, T), (B, T) */
    float *hidden;                    /* (B, C) ln_f state at position length - 1 */
    float *act_logits, *act_lse;      /* (B, A), (B) */
    float *values;                    /* (B) value head outputs; NULL without one */
    float *lm_logits, *lm_lse;        /* (B, T, V) or (rows, V), (B, T) */
    float *lm_h;                      /* (chunk, C) gathered ln_f rows of LM targets */
    float *att_scratch;               /* (4, T, T) */
    float *branch;                    /* (B, T, C) branch output; its gradient in backward */
    float *d_res, *d_small;           /* (B, T, C) */
    float *d_big;                     /* (B, T, 4C) */
    float *d_lora;                    /* (B, T, r) */
    float *d_logits;                  /* (max(B * A, chunk * V)) */
    float *d_rows_dh;                 /* (max(B, chunk), C) head gradients by row */
    aft_layer_acts layers[];          /* n_layer */
} aft_acts;

/* Rows of the LM head's backward pass done in one sgemm. */
#define AFT_LM_CHUNK 256

/* The weight (in, out) and bias of projection k of a block (params or grads). */
static inline void aft_proj_tensors(const aft_block_views *v, int k, float **W, float **b)
{
    float *ws[AFT_PROJ_COUNT] = {v->qkv_w, v->attn_out_w, v->fc_w, v->mlp_out_w};
    float *bs[AFT_PROJ_COUNT] = {v->qkv_b, v->attn_out_b, v->fc_b, v->mlp_out_b};
    *W = ws[k];
    *b = bs[k];
}

/* Fan-in and fan-out of projection `proj` for width C. */
void aft_proj_dims(int C, int proj, int *in, int *out);

/* Frees the activation memory (forward.c). */
void aft_model_free_acts(aft_model *m);

#endif
