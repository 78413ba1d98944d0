/* Validation during a run: loss, accuracy and macro-F1 over the valid split,
 * early stopping with the best checkpoint, and evaluating a split on demand. */
#include "trainer_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/checkpoint.h"
#include "agentft/metrics.h"
#include "agentft/numeric.h"
#include "agentft/reject.h"

static int aborted(aft_trainer *t)
{
    return atomic_load(&t->abort_req) != 0;
}

/* Per example of the set: the prediction's score under the reject rule and
 * argmax + 1 (0 = not scored by this rank), so ranks can add theirs up and
 * the threshold can be calibrated before anything is counted. */
typedef struct eval_acc {
    double loss_sum;
    size_t count;
    double *score;
    double *argmax1;
} eval_acc;

static int eval_batch(aft_trainer *t, const aft_batch *b, const size_t *idx,
                      const aft_reject_rule *rule, eval_acc *acc, aft_error *err)
{
    aft_forward_opts fo = {.cls_weight = 1.0f};
    aft_forward_result r;
    if (aft_model_forward(t->model, b, &fo, &r, err) < 0)
        return -1;
    acc->loss_sum += (double)r.cls_loss * (double)r.cls_count;
    acc->count += r.cls_count;
    const float *logits = aft_model_action_logits(t->model);
    size_t A = t->data.actions.count;
    for (int k = 0; k < b->B; k++) {
        const float *row = logits + (size_t)k * A;
        acc->argmax1[idx[k]] = (double)aft_argmax_prob(row, A, NULL) + 1;
        acc->score[idx[k]] = aft_reject_score_of(row, A, rule->score);
    }
    return 0;
}

int tr_best_reject_threshold(const aft_trainer *t, double *thr, aft_error *err)
{
    char dir[TR_PATH_MAX];
    aft_trainer_state st;
    if (tr_ckpt_path(t, "best", dir, sizeof dir, err) < 0)
        return -1;
    int rc = aft_trainer_state_load(dir, &st, err);
    *thr = rc == 0 ? st.reject_threshold : NAN;
    aft_trainer_state_free(&st);
    return rc;
}

int tr_reject_rule(const aft_trainer *t, aft_reject_rule *rule, aft_error *err)
{
    if (aft_reject_rule_from_config(t->cfg, &t->data.actions, t->st.reject_threshold, rule,
                                    err) < 0)
        return aft_error_set(err, "eval.reject_action = %s: the data has no such action",
                             aft_config_string(t->cfg, AFT_K_REJECT_ACTION));
    return 0;
}

/* Several ranks: the sums and every rank's examples added up, so each rank
 * has the figures of the whole set. */
static int sum_over_ranks(aft_trainer *t, eval_acc *acc, size_t n, aft_error *err)
{
    if (tr_dist_sum_counts(t, &acc->count, 1, err) < 0 ||
        aft_dist_sum_f64(t->opts.dist, &acc->loss_sum, 1, err) < 0 ||
        aft_dist_sum_f64(t->opts.dist, acc->score, n, err) < 0 ||
        aft_dist_sum_f64(t->opts.dist, acc->argmax1, n, err) < 0)
        return -1;
    return 0;
}

/* eval.reject_keep: the threshold that keeps that fraction of the examples
 * labelled with another action, saved with the next checkpoints. */
static int calibrate(aft_trainer *t, const aft_example_set *set, const eval_acc *acc,
                     aft_reject_rule *rule, aft_error *err)
{
    if (rule->keep <= 0 || rule->action < 0)
        return 0;
    double *in = malloc((set->count ? set->count : 1) * sizeof *in);
    if (!in)
        return aft_error_set(err, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < set->count; i++) {
        int32_t label = set->items[i].label;
        if (label >= 0 && label != rule->action && acc->argmax1[i] > 0)
            in[n++] = acc->score[i];
    }
    double thr = aft_reject_calibrate(in, n, rule->keep);
    free(in);
    pthread_mutex_lock(&t->wmu); /* aft_trainer_reject_threshold reads it */
    t->st.reject_threshold = thr;
    pthread_mutex_unlock(&t->wmu);
    rule->below = thr;
    rule->calibrated = isfinite(thr);
    return 0;
}

static int count_predictions(const aft_trainer *t, const aft_example_set *set,
                             const eval_acc *acc, const aft_reject_rule *rule,
                             aft_eval_result *out, aft_error *err)
{
    aft_confusion conf;
    if (aft_confusion_init(&conf, t->data.actions.count, err) < 0)
        return -1;
    int active = aft_reject_active(rule), rc = 0;
    for (size_t i = 0; i < set->count && rc == 0; i++) {
        int32_t label = set->items[i].label;
        if (label < 0 || acc->argmax1[i] <= 0)
            continue; /* an action the model does not know: nothing to score */
        int32_t p = (int32_t)acc->argmax1[i] - 1;
        if (active && acc->score[i] < rule->below)
            p = rule->action;
        rc = aft_confusion_add(&conf, label, p, err);
    }
    aft_class_metrics *per = rc == 0 ? calloc(t->data.actions.count, sizeof *per) : NULL;
    if (rc == 0 && !per)
        rc = aft_error_set(err, "out of memory");
    if (rc == 0) {
        aft_metrics_summary sum = {0};
        aft_metrics_compute(&conf, per, &sum);
        out->examples = acc->count;
        out->loss = acc->count ? acc->loss_sum / (double)acc->count : NAN;
        out->accuracy = acc->count ? sum.accuracy : NAN;
        out->macro_f1 = acc->count ? sum.macro_f1 : NAN;
    }
    free(per);
    aft_confusion_free(&conf);
    return rc;
}

/* With `spread`, every rank of a data-parallel run takes every P-th batch
 * (the batches of one process, so the counts are the same). With
 * `calibrating`, the set sets eval.reject_keep's threshold. Returns 1 when
 * aborted part way. */
static int eval_examples(aft_trainer *t, const aft_example_set *set, int spread,
                         int calibrating, aft_eval_result *out, aft_error *err)
{
    aft_reject_rule rule;
    if (tr_reject_rule(t, &rule, err) < 0)
        return -1;
    eval_acc acc = {0};
    size_t total = set->count ? set->count : 1;
    acc.score = calloc(total, sizeof *acc.score);
    acc.argmax1 = calloc(total, sizeof *acc.argmax1);
    if (!acc.score || !acc.argmax1) {
        free(acc.score);
        free(acc.argmax1);
        return aft_error_set(err, "out of memory");
    }
    size_t cap = (size_t)t->eval_buf.cap_B, idx[4096];
    if (cap > sizeof idx / sizeof idx[0])
        cap = sizeof idx / sizeof idx[0];
    size_t ranks = spread ? (size_t)tr_dist_size(t) : 1;
    size_t rank = spread ? (size_t)aft_dist_rank(t->opts.dist) : 0;
    int rc = 0;
    for (size_t i = 0; i < set->count && rc == 0; i += cap) {
        if (aborted(t)) {
            rc = 1;
            break;
        }
        if (i / cap % ranks != rank)
            continue;
        size_t n = set->count - i < cap ? set->count - i : cap;
        for (size_t k = 0; k < n; k++)
            idx[k] = i + k;
        const aft_batch *b = aft_batch_fill(&t->eval_buf, set, idx, n, t->data.pad, 0, 1);
        rc = eval_batch(t, b, idx, &rule, &acc, err);
    }
    if (rc == 0 && ranks > 1)
        rc = sum_over_ranks(t, &acc, set->count, err);
    if (rc == 0 && calibrating)
        rc = calibrate(t, set, &acc, &rule, err);
    if (rc == 0)
        rc = count_predictions(t, set, &acc, &rule, out, err);
    free(acc.score);
    free(acc.argmax1);
    return rc;
}

int tr_eval_set(aft_trainer *t, const aft_example_set *set, aft_eval_result *out,
                aft_error *err)
{
    return eval_examples(t, set, 0, 0, out, err);
}

static double metric_of(const aft_trainer *t, const aft_eval_result *r)
{
    const char *m = tr_metric_name(t->cfg);
    if (strcmp(m, "val_reward") == 0)
        return tr_ppo_val_reward(t);
    return strcmp(m, "val_accuracy") == 0 ? r->accuracy
           : strcmp(m, "val_macro_f1") == 0 ? r->macro_f1 : r->loss;
}

static int improves(const aft_trainer *t, double v)
{
    if (!isfinite(v))
        return 0;
    if (isnan(t->st.best_metric))
        return 1;
    double d = aft_config_float(t->cfg, AFT_K_MIN_DELTA);
    int lower = strcmp(tr_metric_name(t->cfg), "val_loss") == 0;
    return lower ? v < t->st.best_metric - d : v > t->st.best_metric + d;
}

/* r is NULL when there is no valid split (a PPO run evaluating on train
 * records); episodes 0 when there is no PPO evaluation. */
static int emit_val(aft_trainer *t, const aft_eval_result *r, double reward, size_t episodes,
                    aft_error *err)
{
    int64_t patience = aft_config_int(t->cfg, AFT_K_PATIENCE);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", (double)t->st.step);
    cJSON_AddStringToObject(o, "kind", "val");
    if (r) {
        cJSON_AddNumberToObject(o, "loss", aft_float_to_decimal((float)r->loss));
        cJSON_AddNumberToObject(o, "accuracy", r->accuracy);
        cJSON_AddNumberToObject(o, "macro_f1", r->macro_f1);
        cJSON_AddNumberToObject(o, "examples", (double)r->examples);
        if (aft_config_float(t->cfg, AFT_K_REJECT_KEEP) > 0 && isfinite(t->st.reject_threshold))
            cJSON_AddNumberToObject(o, "reject_threshold",
                                    aft_float_to_decimal((float)t->st.reject_threshold));
    }
    if (episodes) {
        cJSON_AddNumberToObject(o, "reward", aft_float_to_decimal((float)reward));
        cJSON_AddNumberToObject(o, "episodes", (double)episodes);
    }
    if (patience > 0)
        cJSON_AddNumberToObject(o, "patience_left",
                                (double)(patience - (int64_t)t->st.evals_since_best));
    cJSON_AddNumberToObject(o, "time", floor(tr_wall() * 1000) / 1000);
    return tr_emit(t, o, err);
}

int tr_emit_best_event(aft_trainer *t, aft_error *err)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "metric", tr_metric_name(t->cfg));
    cJSON_AddNumberToObject(f, "value", t->st.best_metric);
    cJSON_AddStringToObject(f, "path", "checkpoints/best");
    return tr_emit_event(t, "best", f, err);
}

static int on_best(aft_trainer *t, aft_error *err)
{
    if (tr_checkpoint(t, "best", err) < 0)
        return -1;
    return tr_emit_best_event(t, err);
}

static int on_early_stop(aft_trainer *t, aft_error *err)
{
    t->early_stopped = 1;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "metric", tr_metric_name(t->cfg));
    cJSON_AddNumberToObject(f, "best", t->st.best_metric);
    cJSON_AddNumberToObject(f, "best_step", (double)t->st.best_step);
    cJSON_AddNumberToObject(f, "patience", (double)aft_config_int(t->cfg, AFT_K_PATIENCE));
    return tr_emit_event(t, "early_stop", f, err);
}

/* A scheduled validation counts towards patience; one asked for with
 * `eval` only records the figures (and a new best). */
int tr_eval_now(aft_trainer *t, int scheduled, aft_error *err)
{
    int valid = t->data.sets[TR_VALID].count > 0, ppo = tr_is_ppo(t) && t->ppo;
    if (!valid && !ppo)
        return 0;
    double t0 = tr_now(), reward = NAN;
    size_t episodes = 0;
    aft_eval_result r = {0, NAN, NAN, NAN};
    int rc = valid ? eval_examples(t, &t->data.sets[TR_VALID], 1, 1, &r, err) : 0;
    if (rc == 0 && ppo)
        rc = tr_ppo_evaluate(t, &reward, &episodes, err);
    t->t_train += tr_now() - t0;
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (!valid && episodes == 0)
        return 0;
    t->last_eval_step = t->st.step;
    double v = metric_of(t, &r);
    int best = improves(t, v);
    if (best) {
        t->st.best_metric = v;
        t->st.best_step = t->st.step;
        t->st.evals_since_best = 0;
    } else if (scheduled) {
        t->st.evals_since_best++;
    }
    if (emit_val(t, valid ? &r : NULL, reward, episodes, err) < 0 || (best && on_best(t, err) < 0))
        return -1;
    int64_t patience = aft_config_int(t->cfg, AFT_K_PATIENCE);
    if (scheduled && patience > 0 && t->st.evals_since_best >= (uint64_t)patience)
        return on_early_stop(t, err);
    return 0;
}

int aft_trainer_evaluate(aft_trainer *t, aft_split split, int use_best, aft_eval_result *out,
                         aft_error *err)
{
    if (!t->prepared)
        return aft_error_set(err, "the run is not prepared yet");
    if (t->thread_started)
        return aft_error_set(err, "the run is going; evaluate once it has ended");
    int which = split == AFT_SPLIT_TRAIN ? TR_TRAIN
                : split == AFT_SPLIT_VALID ? TR_VALID
                : split == AFT_SPLIT_TEST ? TR_TEST : -1;
    if (which < 0 || t->data.sets[which].count == 0)
        return aft_error_set(err, "no examples in the %s split", aft_split_name(split));
    aft_model *keep = t->model, *best = NULL;
    if (use_best) {
        char dir[TR_PATH_MAX];
        if (tr_ckpt_path(t, "best", dir, sizeof dir, err) < 0)
            return -1;
        best = aft_checkpoint_load_model(dir, (int)t->data.actions.count,
                                         aft_model_get_config(keep), 0, NULL, err);
        if (!best)
            return -1;
    }
    /* The best checkpoint's weights and reject threshold stand in; copies
     * for other threads wait meanwhile. */
    double keep_thr = t->st.reject_threshold, best_thr = keep_thr;
    if (best && tr_best_reject_threshold(t, &best_thr, err) < 0) {
        aft_model_free(best);
        return -1;
    }
    pthread_mutex_lock(&t->wmu);
    t->model = best ? best : keep;
    t->st.reject_threshold = best_thr;
    int rc = tr_eval_set(t, &t->data.sets[which], out, err);
    t->model = keep;
    t->st.reject_threshold = keep_thr;
    pthread_mutex_unlock(&t->wmu);
    aft_model_free(best);
    if (rc > 0)
        return aft_error_set(err, "the evaluation was interrupted");
    return rc;
}
