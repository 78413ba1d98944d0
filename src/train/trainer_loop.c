/* The training loop: epochs and their data order, steps of grad_accum
 * micro-batches, validation, early stopping, periodic and final checkpoints. */
#include "trainer_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/checkpoint.h"
#include "agentft/fileio.h"
#include "agentft/numeric.h"

static int aborted(aft_trainer *t)
{
    return atomic_load(&t->abort_req) != 0;
}

static double rounded_time(void)
{
    return floor(tr_wall() * 1000) / 1000;
}

/* ---- steps ---- */

typedef struct step_out {
    double loss, cls_loss, lm_loss, grad_norm, lr;
    size_t tokens;
} step_out;

/* This rank's n of the step's `total` examples in k micro-batches; each
 * one's losses weighted by its share of the total, so the gradients (summed
 * over the ranks) add up to the batch mean. */
static int micro_batches(aft_trainer *t, const size_t *idx, size_t n, size_t total,
                         step_out *o, aft_error *err)
{
    size_t k = (size_t)aft_config_int(t->cfg, AFT_K_GRAD_ACCUM);
    if (k > n)
        k = n;
    float cw = (float)aft_config_float(t->cfg, AFT_K_CLS_WEIGHT);
    float lw = (float)aft_config_float(t->cfg, AFT_K_LM_WEIGHT);
    int with_lm = lw > 0 && t->data.with_target;
    int target_only = aft_config_bool(t->cfg, AFT_K_LM_TARGET_ONLY);
    for (size_t i = 0, off = 0; i < k; i++) {
        size_t m = n / k + (i < n % k);
        const aft_batch *b = aft_batch_fill(&t->train_buf, &t->data.sets[TR_TRAIN], idx + off,
                                            m, t->data.pad, with_lm, target_only);
        float share = (float)m / (float)total;
        aft_forward_opts fo = {.training = 1, .cls_weight = cw * share,
                               .lm_weight = with_lm ? lw * share : 0.0f};
        aft_forward_result r;
        if (aft_model_forward(t->model, b, &fo, &r, err) < 0 ||
            aft_model_backward(t->model, err) < 0)
            return -1;
        o->loss += r.loss;
        o->cls_loss += (double)r.cls_loss * share;
        o->lm_loss += (double)r.lm_loss * share;
        for (size_t j = 0; j < m; j++)
            o->tokens += (size_t)b->lengths[j];
        off += m;
        if (aborted(t))
            return 1;
    }
    return 0;
}

/* Several ranks: the gradients and the step's figures summed over them. */
static int reduce_step(aft_trainer *t, step_out *o, aft_error *err)
{
    double sums[4] = {o->loss, o->cls_loss, o->lm_loss, (double)o->tokens};
    if (tr_dist_reduce_step(t, sums, 4, err) < 0)
        return -1;
    o->loss = sums[0];
    o->cls_loss = sums[1];
    o->lm_loss = sums[2];
    o->tokens = (size_t)sums[3];
    return 0;
}

double tr_scheduled_lr(const aft_trainer *t)
{
    aft_schedule_kind sk = AFT_SCHED_COSINE;
    const char *sched = aft_config_text(t->cfg, AFT_K_LR_SCHEDULE);
    if (strcmp(sched, "constant") == 0)
        sk = AFT_SCHED_CONSTANT;
    else if (strcmp(sched, "linear") == 0)
        sk = AFT_SCHED_LINEAR;
    return aft_lr_at(sk, t->st.step, (uint64_t)aft_config_int(t->cfg, AFT_K_WARMUP_STEPS),
                     t->total_steps, (float)aft_config_float(t->cfg, AFT_K_LR),
                     (float)aft_config_float(t->cfg, AFT_K_MIN_LR_RATIO));
}

static int train_step(aft_trainer *t, step_out *o, aft_error *err)
{
    memset(o, 0, sizeof *o);
    size_t B = (size_t)aft_config_int(t->cfg, AFT_K_BATCH_SIZE);
    size_t pos = (size_t)t->st.epoch_pos, n = t->data.n_order - pos;
    if (n > B)
        n = B;
    size_t lo, mine;
    tr_dist_slice(t, n, &lo, &mine);
    int rc = micro_batches(t, t->data.order + pos + lo, mine, n, o, err);
    if (rc != 0 || reduce_step(t, o, err) < 0)
        return rc != 0 ? rc : -1;
    size_t np;
    const aft_param *params = aft_model_param_list(t->model, &np);
    float *w = aft_model_params(t->model), *g = aft_model_grads(t->model);
    o->grad_norm = aft_clip_grad_norm(params, np, g,
                                      (float)aft_config_float(t->cfg, AFT_K_GRAD_CLIP));
    o->lr = tr_scheduled_lr(t);
    if (aft_optim_get_config(t->optim)->l2 > 0)
        o->loss += aft_optim_l2_penalty(t->optim, w);
    pthread_mutex_lock(&t->wmu);
    aft_optim_step_zero_grads(t->optim, w, g, (float)o->lr);
    t->st.epoch_pos += n;
    t->st.step++;
    pthread_mutex_unlock(&t->wmu);
    if (!isfinite(o->loss))
        return aft_error_set(err, "the loss is not finite at step %llu; lower lr or set grad_clip, "
                             "then resume from the last checkpoint",
                             (unsigned long long)t->st.step);
    return 0;
}

static int emit_train(aft_trainer *t, const step_out *o, double step_s, aft_error *err)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", (double)t->st.step);
    cJSON_AddStringToObject(j, "kind", "train");
    cJSON_AddNumberToObject(j, "epoch", (double)t->st.epoch);
    cJSON_AddNumberToObject(j, "loss", aft_float_to_decimal((float)o->loss));
    if (aft_config_float(t->cfg, AFT_K_LM_WEIGHT) > 0 && t->data.with_target) {
        cJSON_AddNumberToObject(j, "cls_loss", aft_float_to_decimal((float)o->cls_loss));
        cJSON_AddNumberToObject(j, "lm_loss", aft_float_to_decimal((float)o->lm_loss));
    }
    cJSON_AddNumberToObject(j, "lr", aft_float_to_decimal((float)o->lr));
    cJSON_AddNumberToObject(j, "grad_norm", aft_float_to_decimal((float)o->grad_norm));
    cJSON_AddNumberToObject(j, "tokens_per_s", round((double)o->tokens / step_s));
    cJSON_AddNumberToObject(j, "step_ms", round(step_s * 1e4) / 10);
    if (tr_dist_size(t) > 1) {
        cJSON_AddNumberToObject(j, "allreduce_ms", round(t->comm_s * 1e4) / 10);
        cJSON_AddNumberToObject(j, "wait_ms", round(t->wait_s * 1e4) / 10);
    }
    cJSON_AddNumberToObject(j, "time", rounded_time());
    return tr_emit(t, j, err);
}

/* ---- epochs ---- */

static int emit_epoch(aft_trainer *t, aft_error *err)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "epoch", (double)t->st.epoch);
    cJSON_AddNumberToObject(f, "examples", (double)t->data.n_order);
    if (strcmp(aft_config_text(t->cfg, AFT_K_SAMPLING), "curriculum") == 0) {
        int levels[AFT_MAX_COMPLEXITY + 1], L;
        int k = tr_levels_in_play(t, t->st.epoch, levels, &L);
        cJSON_AddNumberToObject(f, "max_complexity", levels[k - 1]);
    }
    return tr_emit_event(t, "epoch", f, err);
}

static int reload_data(aft_trainer *t, aft_error *err)
{
    cJSON *ev = cJSON_CreateObject();
    int changed = 0;
    aft_error rerr = {0};
    if (tr_data_reload(&t->data, t->cfg, &changed, ev, &rerr) < 0) {
        /* An edit that broke the file must not end the run: train on. */
        tr_log(t, "data: keeping the loaded records: %s", rerr.msg);
        cJSON_Delete(ev);
        return 0;
    }
    if (!changed) {
        cJSON_Delete(ev);
        return 0;
    }
    return tr_emit_event(t, "data", ev, err);
}

static int done(const aft_trainer *t)
{
    if (tr_is_ppo(t))
        return tr_ppo_done(t);
    uint64_t max = (uint64_t)aft_config_int(t->cfg, AFT_K_MAX_STEPS);
    return t->st.epoch >= (uint64_t)aft_config_int(t->cfg, AFT_K_EPOCHS) ||
           (max > 0 && t->st.step >= max);
}

static int start_order(aft_trainer *t, aft_error *err)
{
    if (tr_order_build(t, t->st.epoch, err) < 0)
        return -1;
    if (t->data.n_order == 0)
        return aft_error_set(err, "no training examples left in epoch %llu (were the train "
                             "records removed?)", (unsigned long long)t->st.epoch + 1);
    t->total_steps = tr_total_steps(t);
    return 0;
}

/* Builds the epoch's order when needed (at the start, and on resume); at the
 * end of an epoch moves to the next one, where edited records join. */
static int epoch_boundary(aft_trainer *t, aft_error *err)
{
    if (!t->data.have_order || t->data.order_epoch != t->st.epoch) {
        if (start_order(t, err) < 0)
            return -1;
        if (t->st.epoch_pos == 0 && emit_epoch(t, err) < 0)
            return -1;
    }
    if (t->st.epoch_pos < t->data.n_order)
        return 0;
    t->st.epoch++;
    t->st.epoch_pos = 0;
    t->data.have_order = 0;
    if (done(t))
        return 0;
    if (reload_data(t, err) < 0 || tr_dist_same_data(t, err) < 0 || start_order(t, err) < 0)
        return -1;
    return emit_epoch(t, err);
}

static int checkpoint_step(aft_trainer *t, aft_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "step-%llu", (unsigned long long)t->st.step);
    t->last_ckpt_step = t->st.step;
    if (tr_checkpoint(t, name, err) < 0)
        return -1;
    return tr_emit_checkpoint_event(t, name, err);
}

int tr_emit_checkpoint_event(aft_trainer *t, const char *name, aft_error *err)
{
    cJSON *f = cJSON_CreateObject();
    char path[96];
    snprintf(path, sizeof path, "checkpoints/%s", name);
    cJSON_AddStringToObject(f, "path", path);
    return tr_emit_event(t, "checkpoint", f, err);
}

int tr_checkpoint_now(aft_trainer *t, aft_error *err)
{
    return checkpoint_step(t, err);
}

/* Whether this was the run's last step (so a checkpoint now is its last). */
static int last_step(const aft_trainer *t)
{
    uint64_t max = (uint64_t)aft_config_int(t->cfg, AFT_K_MAX_STEPS);
    if (t->early_stopped || (max > 0 && t->st.step >= max))
        return 1;
    if (tr_is_ppo(t))
        return tr_ppo_done(t);
    return t->st.epoch + 1 >= (uint64_t)aft_config_int(t->cfg, AFT_K_EPOCHS) &&
           t->st.epoch_pos >= t->data.n_order;
}

int tr_after_step(aft_trainer *t, aft_error *err)
{
    uint64_t ev = (uint64_t)aft_config_int(t->cfg, AFT_K_EVAL_EVERY);
    uint64_t ck = (uint64_t)aft_config_int(t->cfg, AFT_K_CHECKPOINT_EVERY);
    if (t->st.step % ev == 0 && tr_eval_now(t, 1, err) < 0)
        return -1;
    t->finished = last_step(t);
    if (ck > 0 && t->st.step % ck == 0 && !aborted(t) && checkpoint_step(t, err) < 0)
        return -1;
    return 0;
}

static int one_step(aft_trainer *t, aft_error *err)
{
    double t0 = tr_now();
    step_out o;
    int rc = train_step(t, &o, err);
    if (rc != 0)
        return rc;
    double dt = tr_now() - t0;
    t->t_train += dt;
    t->steps_s += dt;
    t->steps_here++;
    if (emit_train(t, &o, dt > 0 ? dt : 1e-9, err) < 0)
        return -1;
    double tps = (double)o.tokens / (dt > 0 ? dt : 1e-9);
    t->tok_ema = t->tok_ema > 0 ? 0.9 * t->tok_ema + 0.1 * tps : tps;
    tr_publish(t, o.loss, t->tok_ema);
    rc = tr_after_step(t, err);
    tr_publish(t, NAN, NAN);
    return rc;
}

/* ---- the run ---- */

/* restore_best: the run ends holding the best weights (the final step-N
 * checkpoint keeps the last ones, so the run can still be resumed). */
static int load_best(aft_trainer *t, aft_error *err)
{
    if (!tr_dist_leader(t))
        return 0; /* rank 0 sends them (tr_dist_bcast_weights) */
    char dir[TR_PATH_MAX];
    if (tr_ckpt_path(t, "best", dir, sizeof dir, err) < 0)
        return -1;
    aft_model *best = aft_checkpoint_load_model(dir, (int)t->data.actions.count,
                                                aft_model_get_config(t->model), 0, NULL, err);
    if (!best)
        return -1;
    if (aft_model_num_floats(best) != aft_model_num_floats(t->model)) {
        aft_model_free(best);
        return aft_error_set(err, "%s does not match the model", dir);
    }
    double thr;
    if (tr_best_reject_threshold(t, &thr, err) < 0) {
        aft_model_free(best);
        return -1;
    }
    pthread_mutex_lock(&t->wmu);
    t->st.reject_threshold = thr;
    memcpy(aft_model_params(t->model), aft_model_params(best),
           aft_model_num_floats(best) * sizeof(float));
    pthread_mutex_unlock(&t->wmu);
    aft_model_free(best);
    return 0;
}

static int restore_best(aft_trainer *t, aft_error *err)
{
    if (load_best(t, err) < 0 || tr_dist_bcast_weights(t, err) < 0)
        return -1;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "best_step", (double)t->st.best_step);
    return tr_emit_event(t, "restore_best", f, err);
}

static int finish(aft_trainer *t, aft_error *err)
{
    if (!t->stop_req) {
        /* A last validation for the final weights (not counted as patience). */
        if (t->st.step > 0 && t->last_eval_step != t->st.step && tr_eval_now(t, 0, err) < 0)
            return -1;
        t->finished = !aborted(t);
    }
    if (aborted(t))
        return 0;
    if (t->st.step > 0 && t->last_ckpt_step != t->st.step && checkpoint_step(t, err) < 0)
        return -1;
    if (t->finished && aft_config_bool(t->cfg, AFT_K_RESTORE_BEST) &&
        !isnan(t->st.best_metric) && t->st.best_step != t->st.step && restore_best(t, err) < 0)
        return -1;
    tr_log(t, "%s at step %llu of %llu; best %s %.6g at step %llu",
           t->early_stopped ? "stopped early" : t->finished ? "finished" : "stopped",
           (unsigned long long)t->st.step, (unsigned long long)t->total_steps,
           tr_metric_name(t->cfg), t->st.best_metric, (unsigned long long)t->st.best_step);
    return 0;
}

static void control_begin(aft_trainer *t)
{
    if (!t->opts.serve_control)
        return;
    char path[TR_PATH_MAX];
    aft_error e = {0};
    if (aft_path_join(path, sizeof path, t->run_dir, "control.sock", &e) == 0)
        t->ctl = aft_control_start(path, aft_trainer_control_handler, t, &e);
    if (!t->ctl) {
        /* The run matters more than remote control: go on without it. */
        tr_log(t, "warning: no control socket: %s", e.msg);
        pthread_mutex_lock(&t->mu);
        snprintf(t->status.warning, sizeof t->status.warning, "no control socket: %.400s", e.msg);
        pthread_mutex_unlock(&t->mu);
    }
}

static void control_end(aft_trainer *t)
{
    if (t->ctl)
        aft_control_stop(t->ctl);
    t->ctl = NULL;
}

static int begin(aft_trainer *t, aft_error *err)
{
    if (!t->prepared) {
        tr_set_phase(t, AFT_PHASE_PREPARING);
        if (tr_prepare_new(t, err) < 0)
            return -1;
    }
    if (tr_dist_begin(t, err) < 0)
        return -1;
    if (tr_is_ppo(t) && tr_ppo_begin(t, err) < 0)
        return -1;
    control_begin(t);
    t->t_start = tr_now();
    if (t->resumed)
        tr_log(t, "resumed at step %llu of %llu", (unsigned long long)t->st.step,
               (unsigned long long)t->total_steps);
    else
        tr_log(t, "training started");
    tr_set_phase(t, AFT_PHASE_RUNNING);
    if (aft_config_bool(t->cfg, AFT_K_START_PAUSED)) {
        aft_cmd pause = {.kind = AFT_CMD_PAUSE};
        if (aft_trainer_command(t, &pause, err) < 0)
            return -1;
    }
    tr_publish(t, NAN, NAN);
    return 0;
}

int tr_loop(aft_trainer *t, aft_error *err)
{
    int rc = begin(t, err);
    while (rc == 0) {
        rc = tr_drain_commands(t, err);
        if (rc < 0 || aborted(t) || t->stop_req || done(t))
            break;
        rc = tr_is_ppo(t) ? 0 : epoch_boundary(t, err);
        if (rc < 0 || done(t))
            break;
        rc = tr_is_ppo(t) ? tr_ppo_step(t, err) : one_step(t, err);
        if (rc > 0 || t->early_stopped) {
            rc = 0;
            break;
        }
    }
    pthread_mutex_lock(&t->mu);
    t->accepting = 0;
    pthread_mutex_unlock(&t->mu);
    if (rc == 0 && !aborted(t)) {
        tr_set_phase(t, AFT_PHASE_STOPPING);
        rc = finish(t, err);
    }
    if (rc == 0 && !aborted(t))
        rc = tr_dist_end(t, err);
    control_end(t);
    tr_publish(t, NAN, NAN);
    return rc;
}
