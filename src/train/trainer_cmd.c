/* Commands at step boundaries (pause, resume, stop, checkpoint, eval, set)
 * and live changes of hyperparameters: checked when queued, applied between
 * steps, each logged as an event so charts can mark it and a resumed run
 * re-applies it. */
#include "trainer_internal.h"

#include "agentft/reward.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tr_check_set(const char *key, const char *value, aft_error *err)
{
    const aft_key_info *k = aft_schema_find(key);
    if (!k) {
        const char *s = aft_schema_suggest(key);
        if (s)
            return aft_error_set(err, "unknown key '%s' (did you mean '%s'?)", key, s);
        return aft_error_set(err, "unknown key '%s' (see 'agentft config keys')", key);
    }
    if (!k->live)
        return aft_error_set(err, "%s cannot change during a run (takes effect at the next start)",
                             k->name);
    /* Its form can be checked now; its action names only against the run's data. */
    if (k->id == AFT_K_REWARD_PER_ACTION && aft_reward_rules_check(value, err) < 0)
        return -1;
    /* The range check, on a scratch config: the run's own belongs to its thread. */
    aft_config *scratch = aft_config_new();
    if (!scratch)
        return aft_error_set(err, "out of memory");
    int rc = aft_config_set(scratch, k->id, value, AFT_ORIGIN_LIVE, err);
    aft_config_free(scratch);
    return rc;
}

/* LM targets are encoded only when the LM loss is on; turning it on during
 * a run re-encodes the same records with them (same order, same indices). */
static int ensure_targets(aft_trainer *t, aft_error *err)
{
    if (t->data.with_target || aft_config_float(t->cfg, AFT_K_LM_WEIGHT) <= 0)
        return 0;
    aft_dataset *ds[3] = {0};
    if (tr_data_probe(&t->data, t->cfg, ds, err) < 0)
        return -1;
    t->data.with_target = 1;
    uint64_t epoch = t->data.order_epoch;
    int had = t->data.have_order;
    int rc = tr_data_build_examples(&t->data, ds, err);
    tr_data_close(ds);
    if (rc == 0 && had)
        rc = tr_order_build(t, epoch, err);
    return rc;
}

int tr_apply_live(aft_trainer *t, aft_error *err)
{
    aft_optim_config oc;
    tr_optim_config(t->cfg, &oc);
    oc.kind = aft_optim_get_config(t->optim)->kind;
    aft_optim_set_config(t->optim, &oc);
    tr_set_dropout(t->model, (float)aft_config_float(t->cfg, AFT_K_DROPOUT),
                   (float)aft_config_float(t->cfg, AFT_K_ATTN_DROPOUT));
    /* A live value must also agree with the others (eval.reject_*). */
    if (aft_config_validate(t->cfg, err) < 0 || ensure_targets(t, err) < 0 ||
        tr_reject_rule(t, &(aft_reject_rule){0}, err) < 0 ||
        tr_ppo_apply_live(t, err) < 0)
        return -1;
    t->total_steps = tr_total_steps(t);
    return 0;
}

static cJSON *change_record(uint64_t step, const char *key, const char *old, const char *new)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return NULL;
    cJSON_AddNumberToObject(c, "step", (double)step);
    cJSON_AddStringToObject(c, "key", key);
    cJSON_AddStringToObject(c, "old", old);
    cJSON_AddStringToObject(c, "new", new);
    return c;
}

int tr_apply_set(aft_trainer *t, const char *key, const char *value, int log_event,
                 aft_error *err)
{
    const aft_key_info *k = aft_schema_find(key);
    if (!k)
        return aft_error_set(err, "unknown key '%s'", key);
    char *old = strdup(aft_config_text(t->cfg, k->id));
    if (!old)
        return aft_error_set(err, "out of memory");
    if (aft_config_set(t->cfg, k->id, value, AFT_ORIGIN_LIVE, err) < 0) {
        free(old);
        return -1;
    }
    if (tr_apply_live(t, err) < 0) {
        /* The run goes on with the value it had. */
        aft_config_set(t->cfg, k->id, old, AFT_ORIGIN_LIVE, NULL);
        free(old);
        return -1;
    }
    const char *new = aft_config_text(t->cfg, k->id);
    cJSON *rec = change_record(t->st.step, k->name, old, new);
    int rc = rec ? 0 : aft_error_set(err, "out of memory");
    if (rc == 0)
        cJSON_AddItemToArray(t->applied, rec);
    if (rc == 0 && log_event) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "key", k->name);
        cJSON_AddStringToObject(f, "old", old);
        cJSON_AddStringToObject(f, "new", new);
        rc = tr_emit_event(t, "set", f, err);
    }
    free(old);
    tr_publish(t, NAN, NAN);
    return rc;
}

static int set_paused(aft_trainer *t, int paused, aft_error *err)
{
    if (t->paused == paused)
        return 0;
    t->paused = paused;
    tr_set_phase(t, paused ? AFT_PHASE_PAUSED : AFT_PHASE_RUNNING);
    return tr_emit_event(t, paused ? "pause" : "resume", NULL, err);
}

/* A queued change the run cannot take (an action its data lacks...) is
 * refused and logged, and the run goes on with the value it had. */
static int set_from_queue(aft_trainer *t, const aft_cmd *c, aft_error *err)
{
    aft_error why = {0};
    if (tr_apply_set(t, c->key, c->value, 1, &why) == 0)
        return 0;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "key", c->key);
    cJSON_AddStringToObject(f, "value", c->value);
    cJSON_AddStringToObject(f, "reason", why.msg);
    return tr_emit_event(t, "set_refused", f, err);
}

int tr_apply_cmd(aft_trainer *t, const aft_cmd *c, aft_error *err)
{
    switch (c->kind) {
    case AFT_CMD_PAUSE:
        return set_paused(t, 1, err);
    case AFT_CMD_RESUME:
        return set_paused(t, 0, err);
    case AFT_CMD_STOP:
        t->stop_req = 1;
        tr_log(t, "stop asked for at step %llu", (unsigned long long)t->st.step);
        tr_set_phase(t, AFT_PHASE_STOPPING);
        return 0;
    case AFT_CMD_CHECKPOINT:
        return tr_checkpoint_now(t, err);
    case AFT_CMD_EVAL:
        return tr_eval_now(t, 0, err);
    case AFT_CMD_SET:
        return set_from_queue(t, c, err);
    case AFT_CMD_STATUS:
    default:
        return 0;
    }
}

int tr_next_command(aft_trainer *t, aft_cmd *c)
{
    int got = 0;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        if (t->q_len > 0) {
            *c = t->queue[t->q_head];
            t->q_head = (t->q_head + 1) % TR_QUEUE_CAP;
            t->q_len--;
            got = 1;
            break;
        }
        /* Paused: sleep until a command (or an abort) arrives. */
        if (t->paused && !t->stop_req && !atomic_load(&t->abort_req) &&
            !atomic_load(&t->abort_local)) {
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        break;
    }
    pthread_mutex_unlock(&t->mu);
    return got;
}

int tr_drain_commands(aft_trainer *t, aft_error *err)
{
    if (tr_dist_size(t) > 1)
        return tr_dist_drain(t, err);
    aft_cmd c;
    while (tr_next_command(t, &c))
        if (tr_apply_cmd(t, &c, err) < 0)
            return -1;
    if (t->stop_req && t->paused)
        t->paused = 0; /* stopping from a pause needs no resume */
    return 0;
}
