/* PPO's arithmetic: the rollout buffer, choosing actions, GAE, and the
 * clipped-objective update with its analytic gradients with respect to the
 * action logits and the values (the model back-propagates them from there). */
#include "agentft/ppo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rollout ---- */

void aft_rollout_init(aft_rollout *r, int n_actions)
{
    memset(r, 0, sizeof *r);
    aft_example_set_init(&r->obs);
    r->n_actions = n_actions;
}

void aft_rollout_clear(aft_rollout *r)
{
    r->obs.count = 0;
    r->obs.n_tokens = 0;
    r->obs.context_cut = 0;
    r->obs.unknown_label = 0;
    r->count = 0;
}

void aft_rollout_free(aft_rollout *r)
{
    aft_example_set_free(&r->obs);
    free(r->steps);
    free(r->ref_logp);
    memset(r, 0, sizeof *r);
}

int64_t aft_rollout_push(aft_rollout *r, const aft_ppo_step *s, const float *ref_logp,
                         aft_error *err)
{
    if (r->obs.count <= r->count)
        return aft_error_set(err, "rollout: decision %zu has no observation", r->count);
    size_t A = (size_t)r->n_actions;
    if (r->count == r->cap) {
        size_t ncap = r->cap ? 2 * r->cap : 256;
        aft_ppo_step *st = realloc(r->steps, ncap * sizeof *st);
        if (st)
            r->steps = st;
        float *rl = st ? realloc(r->ref_logp, ncap * A * sizeof *rl) : NULL;
        if (!rl)
            return aft_error_set(err, "out of memory for a rollout of %zu decisions", ncap);
        r->ref_logp = rl;
        r->cap = ncap;
    }
    r->steps[r->count] = *s;
    memcpy(r->ref_logp + r->count * A, ref_logp, A * sizeof *ref_logp);
    return (int64_t)r->count++;
}

/* ---- the policy ---- */

void aft_log_softmax(const float *z, int n, float *out)
{
    float mx = z[0];
    for (int i = 1; i < n; i++)
        mx = z[i] > mx ? z[i] : mx;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += exp((double)(z[i] - mx));
    float lse = mx + (float)log(sum);
    for (int i = 0; i < n; i++)
        out[i] = z[i] - lse;
}

int32_t aft_ppo_choose(const float *logits, int n, int greedy, aft_rng *rng, float *logp)
{
    float mx = logits[0];
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > mx) {
            mx = logits[i];
            best = i;
        }
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += exp((double)(logits[i] - mx));
    int32_t a = best;
    if (!greedy) {
        /* Inverse CDF; the last action takes what rounding leaves. */
        double u = aft_rng_uniform(rng) * sum, acc = 0;
        a = n - 1;
        for (int i = 0; i < n; i++) {
            acc += exp((double)(logits[i] - mx));
            if (u < acc) {
                a = i;
                break;
            }
        }
    }
    *logp = (float)((double)(logits[a] - mx) - log(sum));
    return a;
}

double aft_ppo_adapt_kl(double coef, double kl, double target)
{
    if (!(target > 0) || !isfinite(kl))
        return coef;
    if (kl > 1.5 * target)
        coef *= 2;
    else if (kl < target / 1.5)
        coef /= 2;
    return coef < 1e-6 ? 1e-6 : coef > 1e3 ? 1e3 : coef;
}

/* ---- advantages ---- */

int aft_ppo_advantages(aft_rollout *r, float gamma, float gae_lambda, aft_error *err)
{
    /* Each next link points forward, so going backwards meets it computed. */
    for (size_t k = r->count; k-- > 0;) {
        aft_ppo_step *s = &r->steps[k];
        double v_next = 0, a_next = 0;
        if (s->next >= 0) {
            if ((size_t)s->next <= k || (size_t)s->next >= r->count)
                return aft_error_set(err, "rollout: decision %zu links to %lld, not to a later "
                                     "one", k, (long long)s->next);
            v_next = r->steps[s->next].value;
            a_next = r->steps[s->next].advantage;
        }
        double delta = s->reward + gamma * v_next - s->value;
        s->advantage = (float)(delta + gamma * gae_lambda * a_next);
        s->ret = s->advantage + s->value;
    }
    return 0;
}

static double explained_variance(const aft_rollout *r)
{
    double mr = 0, md = 0;
    for (size_t k = 0; k < r->count; k++) {
        mr += r->steps[k].ret;
        md += r->steps[k].ret - r->steps[k].value;
    }
    mr /= (double)r->count;
    md /= (double)r->count;
    double vr = 0, vd = 0;
    for (size_t k = 0; k < r->count; k++) {
        double d = r->steps[k].ret - r->steps[k].value;
        vr += (r->steps[k].ret - mr) * (r->steps[k].ret - mr);
        vd += (d - md) * (d - md);
    }
    return vr > 0 ? 1.0 - vd / vr : NAN;
}

/* The advantages the loss uses: normalised to mean 0, std 1 when asked
 * (and when they spread at all). */
static void loss_advantages(const aft_rollout *r, int normalize, float *out)
{
    double mean = 0, var = 0;
    for (size_t k = 0; k < r->count; k++)
        mean += r->steps[k].advantage;
    mean /= (double)r->count;
    for (size_t k = 0; k < r->count; k++)
        var += (r->steps[k].advantage - mean) * (r->steps[k].advantage - mean);
    double sd = sqrt(var / (double)r->count);
    int norm = normalize && r->count > 1 && sd > 1e-8;
    for (size_t k = 0; k < r->count; k++)
        out[k] = norm ? (float)((r->steps[k].advantage - mean) / sd) : r->steps[k].advantage;
}

/* ---- the update ---- */

typedef struct upd {
    aft_model *m;
    aft_optim *o;
    aft_rollout *r;
    const aft_ppo_config *c;
    const float *adv;        /* (count) the loss's advantages */
    float *d_logits, *d_values, *logp; /* (mb, A), (mb), (A) */
    size_t mb;
    aft_ppo_stats sum;       /* sums; means at the end */
    double ent_last, kl_last;
    size_t n_all, n_last;
} upd;

/* Loss terms of one decision and their gradient with respect to its logits
 * (into dz) and its value (returned through *dv), already divided by n. */
static double decision_loss(upd *u, size_t k, const float *z, float v, size_t n, float *dz,
                            float *dv, int last_epoch)
{
    const aft_ppo_config *c = u->c;
    const aft_ppo_step *s = &u->r->steps[k];
    int A = u->r->n_actions;
    const float *q = u->r->ref_logp + k * (size_t)A;
    float *lp = u->logp;
    aft_log_softmax(z, A, lp);
    double ent = 0, kl = 0;
    for (int j = 0; j < A; j++) {
        double p = exp((double)lp[j]);
        ent -= p * lp[j];
        kl += p * (lp[j] - q[j]);
    }
    double adv = u->adv[k], ratio = exp((double)lp[s->action] - s->logp);
    double lo = 1.0 - c->clip_ratio, hi = 1.0 + c->clip_ratio;
    double surr1 = ratio * adv, surr2 = (ratio < lo ? lo : ratio > hi ? hi : ratio) * adv;
    int through = surr1 <= surr2; /* the min takes the unclipped term: its gradient flows */
    for (int j = 0; j < A; j++) {
        double p = exp((double)lp[j]);
        double g = c->entropy_coef * p * (lp[j] + ent) + c->kl_coef * p * ((lp[j] - q[j]) - kl);
        if (through)
            g -= adv * ratio * ((j == s->action) - p);
        dz[j] = (float)(g / (double)n);
    }
    /* Value loss 0.5 max((V - R)^2, (V_clipped - R)^2). */
    double R = s->ret, d = v - R, vl = d * d, gv = d;
    if (c->value_clip > 0) {
        double dv_old = v - s->value;
        double vc = s->value + (dv_old < -c->value_clip ? -c->value_clip
                                : dv_old > c->value_clip ? c->value_clip : dv_old);
        double lc = (vc - R) * (vc - R);
        if (lc > vl) {
            vl = lc;
            gv = fabs(dv_old) < c->value_clip ? d : 0.0;
        }
    }
    *dv = (float)(c->value_coef * gv / (double)n);
    double pl = -(surr1 < surr2 ? surr1 : surr2);
    u->sum.policy_loss += pl;
    u->sum.value_loss += 0.5 * vl;
    u->sum.approx_kl += s->logp - lp[s->action];
    u->sum.clip_fraction += fabs(ratio - 1.0) > c->clip_ratio;
    if (last_epoch) {
        u->ent_last += ent;
        u->kl_last += kl;
        u->n_last++;
    }
    u->n_all++;
    return pl + c->value_coef * 0.5 * vl - c->entropy_coef * ent + c->kl_coef * kl;
}

static int minibatch(upd *u, aft_batch_buf *buf, int32_t pad, const size_t *idx, size_t n,
                     int last_epoch, aft_error *err)
{
    const aft_batch *b = aft_batch_fill(buf, &u->r->obs, idx, n, pad, 0, 1);
    aft_forward_opts fo = {.training = 1};
    if (aft_model_forward(u->m, b, &fo, NULL, err) < 0)
        return -1;
    const float *logits = aft_model_action_logits(u->m), *values = aft_model_values(u->m);
    size_t A = (size_t)u->r->n_actions;
    double loss = 0;
    for (size_t i = 0; i < n; i++)
        loss += decision_loss(u, idx[i], logits + i * A, values[i], n, u->d_logits + i * A,
                              &u->d_values[i], last_epoch);
    if (!isfinite(loss))
        return aft_error_set(err, "the PPO loss is not finite; lower lr or the coefficients");
    if (aft_model_backward_heads(u->m, u->d_logits, u->d_values, err) < 0)
        return -1;
    size_t np;
    const aft_param *params = aft_model_param_list(u->m, &np);
    float *w = aft_model_params(u->m), *g = aft_model_grads(u->m);
    u->sum.grad_norm += aft_clip_grad_norm(params, np, g, u->c->grad_clip);
    aft_optim_step_zero_grads(u->o, w, g, u->c->lr);
    u->sum.loss += loss / (double)n;
    u->sum.optimizer_steps++;
    return 0;
}

static int check_update(const aft_model *m, const aft_rollout *r, const aft_ppo_config *c,
                        aft_error *err)
{
    const aft_model_config *mc = aft_model_get_config(m);
    if (mc->n_actions != r->n_actions || !mc->value_head)
        return aft_error_set(err, "PPO needs a model with an action head over the rollout's %d "
                             "actions and a value head", r->n_actions);
    if (c->epochs < 1 || c->minibatch_size < 1)
        return aft_error_set(err, "PPO needs at least one epoch and a minibatch of at least 1");
    return r->count ? 0 : aft_error_set(err, "PPO update on an empty rollout");
}

static int run_epochs(upd *u, aft_batch_buf *buf, int32_t pad, aft_rng *rng, aft_error *err)
{
    size_t n = u->r->count;
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm)
        return aft_error_set(err, "out of memory");
    for (size_t k = 0; k < n; k++)
        perm[k] = k;
    int rc = 0;
    for (int e = 0; e < u->c->epochs && rc == 0; e++) {
        aft_rng_shuffle(rng, perm, n, sizeof *perm);
        for (size_t off = 0; off < n && rc == 0; off += u->mb) {
            size_t k = n - off < u->mb ? n - off : u->mb;
            rc = minibatch(u, buf, pad, perm + off, k, e == u->c->epochs - 1, err);
        }
    }
    free(perm);
    return rc;
}

int aft_ppo_update(aft_model *m, aft_optim *o, aft_rollout *r, const aft_ppo_config *c,
                   aft_batch_buf *buf, int32_t pad, aft_rng *rng, aft_ppo_stats *stats,
                   aft_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (check_update(m, r, c, err) < 0 || aft_ppo_advantages(r, c->gamma, c->gae_lambda, err) < 0)
        return -1;
    const aft_model_config *mc = aft_model_get_config(m);
    size_t mb = (size_t)c->minibatch_size < r->count ? (size_t)c->minibatch_size : r->count;
    if (buf->cap_B < (int)mb || buf->cap_T < mc->max_seq) {
        aft_batch_buf_free(buf);
        if (aft_batch_buf_init(buf, (int)mb, mc->max_seq, err) < 0)
            return -1;
    }
    upd u = {.m = m, .o = o, .r = r, .c = c, .mb = mb};
    float *adv = malloc(r->count * sizeof *adv);
    u.d_logits = malloc(mb * (size_t)r->n_actions * sizeof(float));
    u.d_values = malloc(mb * sizeof(float));
    u.logp = malloc((size_t)r->n_actions * sizeof(float));
    int rc = adv && u.d_logits && u.d_values && u.logp ? 0 : aft_error_set(err, "out of memory");
    float drop = mc->dropout, attn_drop = mc->attn_dropout;
    if (rc == 0) {
        loss_advantages(r, c->normalize_advantages, adv);
        u.adv = adv;
        aft_model_set_dropout(m, 0, 0);
        aft_model_zero_grad(m);
        rc = run_epochs(&u, buf, pad, rng, err);
        aft_model_set_dropout(m, drop, attn_drop);
    }
    if (rc == 0) {
        double na = (double)u.n_all, ns = (double)u.sum.optimizer_steps;
        *stats = u.sum;
        stats->policy_loss /= na;
        stats->value_loss /= na;
        stats->approx_kl /= na;
        stats->clip_fraction /= na;
        stats->grad_norm /= ns;
        stats->loss /= ns;
        stats->entropy = u.ent_last / (double)u.n_last;
        stats->kl_ref = u.kl_last / (double)u.n_last;
        stats->explained_variance = explained_variance(r);
    }
    free(adv);
    free(u.d_logits);
    free(u.d_values);
    free(u.logp);
    return rc;
}
