/* AdamW and SGD with momentum over the trainable tensors of a model's
 * parameter table, following torch.optim.AdamW / torch.optim.SGD step by step. */
#include "agentft/numeric.h"
#include "agentft/optim.h"

#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_STATE SIZE_MAX

struct aft_optim {
    aft_optim_config cfg;
    aft_param *params;     /* a copy of the table, so the optimizer owns what it reads */
    size_t n_params;
    int n_layer;
    size_t *state_off;     /* per tensor: offset into the first moment, NO_STATE if frozen */
    float *group_lr;       /* per tensor: explicit multiplier, or < 0 for layer-wise */
    size_t n_state;        /* trainable floats */
    float *state;          /* AdamW: m[n_state] then v[n_state]; SGD: momentum[n_state] */
    size_t state_floats;
    uint64_t steps;
    double beta1, beta2, wd, l2; /* the config's values as the decimals the user wrote */
    int threads;                 /* for the update pass */
};

static void take_config(aft_optim *o, const aft_optim_config *cfg)
{
    o->cfg = *cfg;
    o->beta1 = aft_float_to_decimal(cfg->beta1);
    o->beta2 = aft_float_to_decimal(cfg->beta2);
    o->wd = aft_float_to_decimal(cfg->weight_decay);
    o->l2 = aft_float_to_decimal(cfg->l2);
}

static int check_config(const aft_optim_config *c, aft_error *err)
{
    if (c->kind != AFT_OPT_ADAMW && c->kind != AFT_OPT_SGD)
        return aft_error_set(err, "unknown optimizer kind %d", (int)c->kind);
    if (!(c->lr >= 0) || !isfinite(c->lr))
        return aft_error_set(err, "lr = %g must be a finite number >= 0", (double)c->lr);
    if (!(c->beta1 >= 0 && c->beta1 < 1) || !(c->beta2 >= 0 && c->beta2 < 1))
        return aft_error_set(err, "beta1 = %g and beta2 = %g must be in [0, 1)",
                             (double)c->beta1, (double)c->beta2);
    if (c->kind == AFT_OPT_ADAMW && !(c->eps > 0))
        return aft_error_set(err, "eps = %g must be positive", (double)c->eps);
    if (!(c->momentum >= 0 && c->momentum < 1))
        return aft_error_set(err, "momentum = %g must be in [0, 1)", (double)c->momentum);
    if (!(c->weight_decay >= 0) || !(c->l2 >= 0))
        return aft_error_set(err, "weight_decay and l2 must be >= 0");
    return 0;
}

/* Lays the state out tensor by tensor in table order, trainable ones only;
 * checkpoint.c relies on this order (see optim.h). */
static int build_layout(aft_optim *o, size_t num_floats, aft_error *err)
{
    for (size_t i = 0; i < o->n_params; i++) {
        const aft_param *p = &o->params[i];
        o->group_lr[i] = -1.0f;
        if (p->offset > num_floats || p->numel > num_floats - p->offset)
            return aft_error_set(err, "parameter %s lies outside the %zu-float buffer", p->name,
                                 num_floats);
        o->state_off[i] = NO_STATE;
        if (p->trainable) {
            o->state_off[i] = o->n_state;
            o->n_state += p->numel;
        }
    }
    return 0;
}

aft_optim *aft_optim_new(const aft_param *params, size_t n_params, size_t num_floats, int n_layer,
                         const aft_optim_config *cfg, aft_error *err)
{
    if (check_config(cfg, err) < 0)
        return NULL;
    aft_optim *o = calloc(1, sizeof *o);
    if (!o)
        goto oom;
    take_config(o, cfg);
    o->n_params = n_params;
    o->n_layer = n_layer;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cores >= 2 ? 2 : 1;
    o->params = malloc((n_params ? n_params : 1) * sizeof *o->params);
    o->state_off = malloc((n_params ? n_params : 1) * sizeof *o->state_off);
    o->group_lr = malloc((n_params ? n_params : 1) * sizeof *o->group_lr);
    if (!o->params || !o->state_off || !o->group_lr)
        goto oom;
    if (n_params)
        memcpy(o->params, params, n_params * sizeof *params);
    if (build_layout(o, num_floats, err) < 0) {
        aft_optim_free(o);
        return NULL;
    }
    o->state_floats = cfg->kind == AFT_OPT_ADAMW ? 2 * o->n_state : o->n_state;
    o->state = calloc(o->state_floats ? o->state_floats : 1, sizeof(float));
    if (!o->state)
        goto oom;
    return o;
oom:
    aft_error_set(err, "out of memory for the optimizer state");
    aft_optim_free(o);
    return NULL;
}

void aft_optim_free(aft_optim *o)
{
    if (!o)
        return;
    free(o->params);
    free(o->state_off);
    free(o->group_lr);
    free(o->state);
    free(o);
}

void aft_optim_set_config(aft_optim *o, const aft_optim_config *cfg)
{
    /* The state buffer is shaped for one kind; switching mid-run would need
     * new moments, so the kind stays what the optimizer was made with. */
    aft_optimizer_kind kind = o->cfg.kind;
    take_config(o, cfg);
    o->cfg.kind = kind;
}

const aft_optim_config *aft_optim_get_config(const aft_optim *o) { return &o->cfg; }
uint64_t aft_optim_steps(const aft_optim *o) { return o->steps; }
void aft_optim_set_steps(aft_optim *o, uint64_t steps) { o->steps = steps; }

float *aft_optim_state(aft_optim *o, size_t *num_floats)
{
    *num_floats = o->state_floats;
    return o->state;
}

float aft_optim_lr_multiplier(const aft_optim *o, size_t i)
{
    if (i >= o->n_params)
        return 1.0f;
    if (o->group_lr[i] >= 0)
        return o->group_lr[i];
    double d = o->cfg.layer_lr_decay;
    if (!(d > 0) || d == 1.0)
        return 1.0f;
    /* Distance from the top: heads and ln_f (layer n_layer) 0, embeddings n_layer + 1. */
    int layer = o->params[i].layer < -1 ? -1 : o->params[i].layer;
    int depth = o->n_layer - (layer > o->n_layer ? o->n_layer : layer);
    return (float)pow(d, depth);
}

void aft_optim_set_group_lr(aft_optim *o, size_t i, float multiplier)
{
    if (i < o->n_params)
        o->group_lr[i] = multiplier >= 0 && isfinite(multiplier) ? multiplier : -1.0f;
}

/* One tensor, torch.optim.AdamW's single-tensor path: decay the weights by
 * (1 - lr wd), lerp the first moment, then p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
 * The scalars are formed in double as Python forms them, then used as floats. */
/* Built for AVX2 and AVX-512 too, picked when the program loads: the update
 * is a long element-wise pass over four buffers, a quarter of a training step
 * at GPT-2 small size when it runs scalar. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define OPTIM_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef OPTIM_HOT
#define OPTIM_HOT
#endif

/* Elements per inner loop: a fixed trip count lets gcc -O2 vectorise it. */
#define OPTIM_BLOCK 32

typedef struct adamw_scalars {
    float l2, shrink, w1, b2, w2, step_size, bc2_sqrt, eps;
} adamw_scalars;

static inline void adamw_elem(const adamw_scalars *c, int lerp_low, float *restrict p,
                              const float *restrict g, float *restrict m, float *restrict v,
                              size_t k)
{
    float gk = g[k] + c->l2 * p[k]; /* the L2 penalty's gradient, before decay */
    /* torch.lerp's two forms, chosen by the weight as it chooses them. */
    float mk = lerp_low ? m[k] + c->w1 * (gk - m[k]) : gk - (gk - m[k]) * (1.0f - c->w1);
    float vk = v[k] * c->b2 + c->w2 * gk * gk;
    m[k] = mk;
    v[k] = vk;
    p[k] = p[k] * c->shrink - c->step_size * mk / (__builtin_sqrtf(vk) / c->bc2_sqrt + c->eps);
}

OPTIM_HOT
static void adamw_run(const adamw_scalars *c, int lerp_low, float *restrict p,
                      const float *restrict g, float *restrict m, float *restrict v, size_t n)
{
    size_t k = 0;
    if (lerp_low) {
        for (; k + OPTIM_BLOCK <= n; k += OPTIM_BLOCK)
            for (size_t j = k; j < k + OPTIM_BLOCK; j++)
                adamw_elem(c, 1, p, g, m, v, j);
    } else {
        for (; k + OPTIM_BLOCK <= n; k += OPTIM_BLOCK)
            for (size_t j = k; j < k + OPTIM_BLOCK; j++)
                adamw_elem(c, 0, p, g, m, v, j);
    }
    for (; k < n; k++)
        adamw_elem(c, lerp_low, p, g, m, v, k);
}

/* One tensor, torch.optim.AdamW's single-tensor path: decay the weights by
 * (1 - lr wd), lerp the first moment, then p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
 * The scalars are formed in double as Python forms them, then used as floats. */
static void adamw_tensor(const aft_optim *o, float lr, int decay, float *p, const float *g,
                         float *m, float *v, size_t n)
{
    double t = (double)o->steps;
    double bc1 = 1.0 - pow(o->beta1, t), bc2 = 1.0 - pow(o->beta2, t);
    adamw_scalars c = {
        .l2 = decay ? (float)o->l2 : 0.0f,
        .shrink = (float)(1.0 - (double)lr * (decay ? o->wd : 0.0)),
        .w1 = (float)(1.0 - o->beta1),
        .b2 = (float)o->beta2,
        .w2 = (float)(1.0 - o->beta2),
        .step_size = (float)((double)lr / bc1),
        .bc2_sqrt = (float)sqrt(bc2),
        .eps = o->cfg.eps,
    };
    adamw_run(&c, c.w1 < 0.5f, p, g, m, v, n);
}

/* torch.optim.SGD with momentum (dampening 0, no Nesterov): buf = mu buf + g,
 * p -= lr buf. The first step's buf = g falls out of the zeroed buffer.
 * weight_decay is applied decoupled as in AdamW; L2 goes into the gradient. */
static void sgd_tensor(const aft_optim *o, float lr, int decay, float *p, const float *g,
                       float *buf, size_t n)
{
    float shrink = (float)(1.0 - (double)lr * (decay ? o->wd : 0.0));
    float l2 = decay ? (float)o->l2 : 0.0f, mu = o->cfg.momentum;
    for (size_t k = 0; k < n; k++) {
        float gk = g[k] + l2 * p[k];
        p[k] *= shrink;
        buf[k] = mu * buf[k] + gk;
        p[k] -= lr * buf[k];
    }
}

/* The part [lo, hi) of the trainable floats (counted across tensors in table
 * order) that one thread updates. */
typedef struct step_part {
    aft_optim *o;
    float *params;
    float *grads;
    float lr;
    int zero_grads;
    size_t lo, hi;
} step_part;

static void step_range(const step_part *sp)
{
    aft_optim *o = sp->o;
    size_t at = 0; /* trainable floats before tensor i */
    for (size_t i = 0; i < o->n_params && at < sp->hi; i++) {
        const aft_param *pt = &o->params[i];
        if (o->state_off[i] == NO_STATE)
            continue;
        size_t a = sp->lo > at ? sp->lo - at : 0;
        size_t b = sp->hi - at < pt->numel ? sp->hi - at : pt->numel;
        at += pt->numel;
        if (a >= b)
            continue;
        float lr_i = sp->lr * aft_optim_lr_multiplier(o, i);
        float *p = sp->params + pt->offset + a;
        float *g = sp->grads + pt->offset + a;
        float *m = o->state + o->state_off[i] + a;
        if (o->cfg.kind == AFT_OPT_ADAMW)
            adamw_tensor(o, lr_i, pt->decay, p, g, m, m + o->n_state, b - a);
        else
            sgd_tensor(o, lr_i, pt->decay, p, g, m, b - a);
        if (sp->zero_grads)
            memset(g, 0, (b - a) * sizeof *g);
    }
}

static void *step_thread(void *arg)
{
    step_range(arg);
    return NULL;
}

/* The update is memory-bound; a second thread on its own share of the
 * buffers roughly doubles the bandwidth it gets. Small models stay on one. */
static void step_all(aft_optim *o, float *params, float *grads, float lr, int zero_grads)
{
    o->steps++;
    size_t n = o->n_state;
    int threads = o->threads;
    if (n < ((size_t)1 << 20))
        threads = 1;
    step_part parts[AFT_OPTIM_MAX_THREADS];
    pthread_t tids[AFT_OPTIM_MAX_THREADS];
    int started[AFT_OPTIM_MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) {
        parts[t] = (step_part){o, params, grads, lr, zero_grads, n * (size_t)t / (size_t)threads,
                               n * (size_t)(t + 1) / (size_t)threads};
        if (t > 0)
            started[t] = pthread_create(&tids[t], NULL, step_thread, &parts[t]) == 0;
    }
    step_range(&parts[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            step_range(&parts[t]); /* no thread to be had: do its share here */
    }
}

void aft_optim_step(aft_optim *o, float *params, const float *grads, float lr)
{
    /* Not zeroing, so the gradients are only read. */
    step_all(o, params, (float *)grads, lr, 0);
}

void aft_optim_step_zero_grads(aft_optim *o, float *params, float *grads, float lr)
{
    step_all(o, params, grads, lr, 1);
}

void aft_optim_set_threads(aft_optim *o, int threads)
{
    if (threads < 1)
        threads = 1;
    if (threads > AFT_OPTIM_MAX_THREADS)
        threads = AFT_OPTIM_MAX_THREADS;
    o->threads = threads;
}

float aft_optim_l2_penalty(const aft_optim *o, const float *params)
{
    if (!(o->cfg.l2 > 0))
        return 0.0f;
    double sum = 0;
    for (size_t i = 0; i < o->n_params; i++) {
        const aft_param *pt = &o->params[i];
        if (o->state_off[i] == NO_STATE || !pt->decay)
            continue;
        const float *p = params + pt->offset;
        for (size_t k = 0; k < pt->numel; k++)
            sum += (double)p[k] * p[k];
    }
    return (float)(0.5 * o->cfg.l2 * sum);
}
