/* Optimizers (AdamW, SGD with momentum) over a model's parameter table, with
 * parameter groups for layer-wise learning rates, decoupled weight decay or
 * an L2 penalty, global-norm gradient clipping and the learning-rate schedule. */
#ifndef AGENTFT_OPTIM_H
#define AGENTFT_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/model.h"

typedef enum { AFT_OPT_ADAMW, AFT_OPT_SGD } aft_optimizer_kind;
typedef enum { AFT_SCHED_CONSTANT, AFT_SCHED_LINEAR, AFT_SCHED_COSINE } aft_schedule_kind;

typedef struct aft_optim_config {
    aft_optimizer_kind kind;
    float lr;              /* peak learning rate */
    float beta1, beta2, eps;
    float momentum;        /* SGD */
    float weight_decay;    /* decoupled (AdamW style), on tensors with decay = 1 */
    float l2;              /* L2 penalty: l2 * w added to the gradient of decay = 1 tensors */
    float layer_lr_decay;  /* top layer (and heads) lr x 1, each block below x decay, embeddings lowest */
} aft_optim_config;

typedef struct aft_optim aft_optim;

/* An optimizer for the trainable tensors of `params` (the model's table).
 * Caller frees. */
aft_optim *aft_optim_new(const aft_param *params, size_t n_params, size_t num_floats, int n_layer,
                         const aft_optim_config *cfg, aft_error *err);
void aft_optim_free(aft_optim *o);

/* Changes hyperparameters between steps (live edits); the state is kept.
 * The kind stays what the optimizer was made with (its state is shaped for it). */
void aft_optim_set_config(aft_optim *o, const aft_optim_config *cfg);
const aft_optim_config *aft_optim_get_config(const aft_optim *o);

/* The learning-rate multiplier of a tensor (layer-wise decay, or the explicit
 * multiplier set with aft_optim_set_group_lr). */
float aft_optim_lr_multiplier(const aft_optim *o, size_t param_index);
/* An explicit per-tensor multiplier, overriding layer_lr_decay for it; a
 * negative one removes the override. */
void aft_optim_set_group_lr(aft_optim *o, size_t param_index, float multiplier);

/* One update with learning rate lr (already scheduled): params -= ... using
 * grads. Frozen tensors are not touched. */
void aft_optim_step(aft_optim *o, float *params, const float *grads, float lr);
/* The same, zeroing the trainable gradients in the same pass (cheaper than a
 * separate aft_model_zero_grad; frozen tensors never get gradients). */
void aft_optim_step_zero_grads(aft_optim *o, float *params, float *grads, float lr);
/* Threads for the update pass (1..AFT_OPTIM_MAX_THREADS; default: the cores
 * online, at most 2, since the pass is bound by memory bandwidth). */
#define AFT_OPTIM_MAX_THREADS 8
void aft_optim_set_threads(aft_optim *o, int threads);
uint64_t aft_optim_steps(const aft_optim *o);

/* The L2 penalty 0.5 * l2 * sum(w^2) over trainable decay tensors (added to
 * the loss the user sees); aft_optim_step adds its gradient itself. */
float aft_optim_l2_penalty(const aft_optim *o, const float *params);

/* Optimizer state for checkpoints, one buffer: the trainable tensors in table
 * order, AdamW's first moments for all of them then its second moments
 * (checkpoints name them "exp_avg.<param>" and "exp_avg_sq.<param>"), or SGD's
 * momentum ("momentum_buffer.<param>"). *num_floats is 2 (AdamW) or 1 (SGD)
 * times the trainable floats. */
float *aft_optim_state(aft_optim *o, size_t *num_floats);
void aft_optim_set_steps(aft_optim *o, uint64_t steps);

/* Global L2 norm of the trainable gradients; when max_norm > 0 and the norm
 * exceeds it, scales them down to max_norm. Returns the norm before clipping. */
float aft_clip_grad_norm(const aft_param *params, size_t n_params, float *grads, float max_norm);

/* Learning rate at `step` (0-based): linear warm-up lr * (step + 1) / warmup
 * for step < warmup, then constant, or linear or cosine decay from lr at
 * step = warmup to lr * min_ratio at total_steps, and lr * min_ratio after. */
float aft_lr_at(aft_schedule_kind kind, uint64_t step, uint64_t warmup, uint64_t total_steps,
                float lr, float min_ratio);

#endif
