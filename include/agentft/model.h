/* The transformer: GPT-2 layout (pre-LayerNorm, learned positions, GELU tanh,
 * causal self-attention, tied embeddings) with an action-classification head
 * and the language-model head, LoRA adapters and frozen layers. Float32 on the
 * CPU; matrix products through cblas_sgemm. One contiguous buffer each for
 * parameters, gradients and activations (see llm.c for the pattern).
 *
 * Weight layout: every projection is stored as Hugging Face's GPT-2 Conv1D
 * stores it, (in, out), so y = x @ W + b and checkpoints copy straight through.
 * The classifier `score.weight` is (n_actions, d_model) like HF's Linear.
 *
 * Threads: a model is used by one thread at a time. */
#ifndef AGENTFT_MODEL_H
#define AGENTFT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/rng.h"

typedef struct aft_model_config {
    int n_layer;
    int n_head;
    int d_model;
    int max_seq;        /* learned positions */
    int vocab_size;
    int n_actions;      /* classes of the action head (0 = no action head) */
    float dropout;      /* on embeddings and residual branches */
    float attn_dropout; /* on attention weights */
    int lora_rank;      /* 0 = no adapters */
    float lora_alpha;   /* adapter scale = alpha / rank */
    int freeze_layers;  /* freeze embeddings and the bottom k blocks */
    int value_head;     /* a value head on the same trunk (PPO): value.weight (C), value.bias (1) */
} aft_model_config;

/* Checks ranges and that d_model divides into n_head heads. */
int aft_model_config_check(const aft_model_config *cfg, aft_error *err);

typedef enum {
    AFT_PARAM_BASE,   /* GPT-2 weights */
    AFT_PARAM_HEAD,   /* the action head (score.*) */
    AFT_PARAM_LORA,   /* adapter matrices */
    AFT_PARAM_VALUE,  /* the value head (value.*), with value_head only */
} aft_param_kind;

/* One named tensor in the parameter buffer (and at the same offset in the
 * gradient buffer). */
typedef struct aft_param {
    char name[64];       /* Hugging Face name, e.g. "transformer.h.3.attn.c_attn.weight" */
    size_t offset;       /* in floats, into the params and grads buffers */
    size_t numel;
    int ndim;
    size_t shape[2];
    int layer;           /* -1 embeddings, 0..n_layer-1 blocks, n_layer final LN and heads */
    int decay;           /* weight decay / L2 apply (matrices; not biases, LayerNorm, positions) */
    int trainable;       /* 0 when frozen (LoRA base weights, freeze_layers) */
    aft_param_kind kind;
} aft_param;

typedef struct aft_model aft_model;

/* Allocates a model for cfg with zeroed parameters. Caller frees. */
aft_model *aft_model_new(const aft_model_config *cfg, aft_error *err);
void aft_model_free(aft_model *m);
const aft_model_config *aft_model_get_config(const aft_model *m);
/* Dropout rates for the following training forwards (a live change in a run). */
void aft_model_set_dropout(aft_model *m, float dropout, float attn_dropout);

/* GPT-2 initialisation: weights N(0, 0.02), residual projections scaled by
 * 1/sqrt(2 n_layer), biases 0, LayerNorm weights 1; LoRA A small random, B 0
 * (so adapters start as the identity); the action head N(0, 0.02); the value
 * head 0 (every value 0; so does a value head a loaded checkpoint lacks). */
void aft_model_init_random(aft_model *m, uint64_t seed);
/* Re-initialises only the action head (after loading a pretrained trunk). */
void aft_model_init_head(aft_model *m, uint64_t seed);

float *aft_model_params(aft_model *m);
float *aft_model_grads(aft_model *m);
size_t aft_model_num_floats(const aft_model *m);        /* length of both buffers */
size_t aft_model_num_trainable(const aft_model *m);     /* floats with trainable = 1 */
const aft_param *aft_model_param_list(const aft_model *m, size_t *count);
const aft_param *aft_model_find_param(const aft_model *m, const char *name);

/* A batch of right-padded sequences. Pad positions may hold any valid id;
 * causal attention means they never reach the real positions. */
typedef struct aft_batch {
    int B, T;                   /* T <= max_seq */
    const int32_t *tokens;      /* (B, T) */
    const int32_t *lengths;     /* (B) real lengths, 1..T */
    const int32_t *labels;      /* (B) action ids, -1 = none; NULL = no action loss */
    const int32_t *lm_targets;  /* (B, T) next-token ids, -1 = ignore; NULL = no LM loss */
    const int32_t *cls_pos;     /* (B) position the action head reads, < lengths[b];
                                 * NULL = lengths[b] - 1 (the last real token) */
} aft_batch;

typedef struct aft_forward_opts {
    int training;               /* dropout on; activations kept for backward */
    float cls_weight;           /* weight of the mean action cross-entropy */
    float lm_weight;            /* weight of the mean LM cross-entropy over targets != -1 */
    int want_lm_logits;         /* compute (B, T, V) logits even without LM targets */
} aft_forward_opts;

typedef struct aft_forward_result {
    float loss;                 /* cls_weight * cls_loss + lm_weight * lm_loss */
    float cls_loss;
    float lm_loss;
    size_t cls_count;           /* examples with a label */
    size_t lm_count;            /* target tokens */
} aft_forward_result;

/* Runs the model on a batch; activations are (re)sized for B x T on first
 * use. Dropout draws from the model's own rng. */
int aft_model_forward(aft_model *m, const aft_batch *batch, const aft_forward_opts *opts,
                      aft_forward_result *res, aft_error *err);
/* Back-propagates the last training forward's loss, ADDING into the gradient
 * buffer (so micro-batches accumulate). Frozen tensors get no gradient.
 * Each forward's loss is a mean over its own batch, so a trainer summing k
 * micro-batches of equal counts divides the gradient by k. */
int aft_model_backward(aft_model *m, aft_error *err);
void aft_model_zero_grad(aft_model *m);
/* Back-propagates given gradients of the heads' outputs instead of a loss
 * (PPO computes its own objective from the logits and values): d_logits
 * (B, n_actions) for the action head and d_values (B) for the value head,
 * either NULL for none. Needs a training forward (its cls and LM weights
 * are then ignored); adds into the gradient buffer like aft_model_backward. */
int aft_model_backward_heads(aft_model *m, const float *d_logits, const float *d_values,
                             aft_error *err);

/* Outputs of the last forward, valid until the next one. */
const float *aft_model_action_logits(const aft_model *m);   /* (B, n_actions) */
/* (B, T, V) when the forward set want_lm_logits, else NULL (the LM loss alone
 * computes the logits of its target rows only). */
const float *aft_model_lm_logits(const aft_model *m);
const float *aft_model_last_hidden(const aft_model *m);     /* (B, d_model): final-LN state read by the head */
const float *aft_model_values(const aft_model *m);          /* (B) value head outputs; NULL without one */

/* The dropout rng, part of a resumable training state. */
aft_rng *aft_model_rng(aft_model *m);

/* Folds the LoRA adapters into the base weights (W += scale * A^T B^T as laid
 * out here) and zeroes B, so the model computes the same function without them. */
void aft_model_merge_lora(aft_model *m);

/* Bytes of activation memory for a B x T batch (for the benchmark's accounting). */
size_t aft_model_activation_bytes(const aft_model_config *cfg, int B, int T, int with_lm);

#endif
