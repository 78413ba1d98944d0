/* The model object shared by model.c (parameters, init) and the forward and
 * backward passes. Private to src/model. */
#ifndef AGENTFT_MODEL_INTERNAL_H
#define AGENTFT_MODEL_INTERNAL_H

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

    /* Activations: owned by model_forward.c, sized for (act_B, act_T). */
    void *acts;
    int act_B, act_T;
    int have_forward;              /* a training forward ran and backward may follow */
};

/* Fan-in and fan-out of projection `proj` for width C. */
void aft_proj_dims(int C, int proj, int *in, int *out);

/* Frees the activation memory (model_forward.c). */
void aft_model_free_acts(aft_model *m);

#endif
