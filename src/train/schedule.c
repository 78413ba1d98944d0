/* The learning-rate schedule (warm-up, then constant, linear or cosine decay)
 * and global-norm gradient clipping. */
#include "agentft/optim.h"

#include <math.h>

#define PI 3.14159265358979323846

/* Warm-up: step s < warmup gets lr * (s + 1) / warmup, so the first step
 * already moves (a zero lr would waste it) and step warmup - 1 reaches lr.
 * After it, progress p = (s - warmup) / (total_steps - warmup), clamped to
 * [0, 1] (and 1 when total_steps <= warmup): constant keeps lr; linear gives
 * lr * (1 - (1 - min_ratio) p); cosine gives
 * lr * (min_ratio + (1 - min_ratio) (1 + cos(pi p)) / 2). Past total_steps
 * the rate stays at lr * min_ratio. */
float aft_lr_at(aft_schedule_kind kind, uint64_t step, uint64_t warmup, uint64_t total_steps,
                float lr, float min_ratio)
{
    if (step < warmup)
        return (float)((double)lr * (double)(step + 1) / (double)warmup);
    if (kind == AFT_SCHED_CONSTANT)
        return lr;
    double p = 1.0;
    if (total_steps > warmup && step < total_steps)
        p = (double)(step - warmup) / (double)(total_steps - warmup);
    double r = min_ratio, f;
    if (kind == AFT_SCHED_LINEAR)
        f = 1.0 - (1.0 - r) * p;
    else
        f = r + (1.0 - r) * 0.5 * (1.0 + cos(PI * p));
    return (float)((double)lr * f);
}

/* As torch.nn.utils.clip_grad_norm_: the scale is max_norm / (norm + 1e-6).
 * A non-finite norm leaves the gradients alone so the caller sees it and can
 * skip the step instead of writing NaN everywhere. */
float aft_clip_grad_norm(const aft_param *params, size_t n_params, float *grads, float max_norm)
{
    double sum = 0;
    for (size_t i = 0; i < n_params; i++) {
        if (!params[i].trainable)
            continue;
        const float *g = grads + params[i].offset;
        for (size_t k = 0; k < params[i].numel; k++)
            sum += (double)g[k] * g[k];
    }
    double norm = sqrt(sum);
    if (max_norm > 0 && isfinite(norm) && norm > max_norm) {
        float scale = (float)((double)max_norm / (norm + 1e-6));
        for (size_t i = 0; i < n_params; i++) {
            if (!params[i].trainable)
                continue;
            float *g = grads + params[i].offset;
            for (size_t k = 0; k < params[i].numel; k++)
                g[k] *= scale;
        }
    }
    return (float)norm;
}
