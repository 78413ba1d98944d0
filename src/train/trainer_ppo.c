/* A PPO run in the trainer (train.objective: ppo): preparing it (the reward
 * rules or the environment program, the frozen reference policy kept in
 * RUN/reference, the records an environment is told about), one update
 * per step (a rollout, then aft_ppo_update), greedy evaluation episodes,
 * live changes and the state a checkpoint keeps. */
#include "trainer_ppo.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/augment.h"
#include "agentft/checkpoint.h"
#include "agentft/fileio.h"
#include "agentft/numeric.h"

/* Forward batches while playing episodes. */
#define ACT_BATCH 32

int tr_is_ppo(const aft_trainer *t)
{
    return strcmp(aft_config_text(t->cfg, AFT_K_OBJECTIVE), "ppo") == 0;
}

/* ---- what an environment is told about the records ---- */

static void free_source(tr_source *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->ids[i]);
        free(s->contexts[i]);
    }
    free(s->ids);
    free(s->contexts);
    memset(s, 0, sizeof *s);
}

static int add_record(tr_source *s, const aft_dataset *ds, size_t i, aft_error *err)
{
    char *id = aft_dataset_get_string(ds, i, "id");
    if (!id) {
        char where[4200];
        snprintf(where, sizeof where, "%s:%zu", aft_dataset_path(ds), aft_dataset_line_number(ds, i));
        id = strdup(where);
    }
    char *ctx = aft_dataset_get_string(ds, i, "context");
    if (!ctx)
        ctx = strdup("");
    s->ids[s->count] = id;
    s->contexts[s->count] = ctx;
    s->count++;
    return id && ctx ? 0 : aft_error_set(err, "out of memory");
}

/* Records of the split in the order the example set has them (files in
 * order, records in file order, as trainer_data.c builds the sets). */
static int collect_split(aft_trainer *t, aft_dataset *const ds[3], int which, tr_source *s,
                         aft_error *err)
{
    static const aft_split split_of_set[TR_NSETS] = {AFT_SPLIT_TRAIN, AFT_SPLIT_VALID, AFT_SPLIT_TEST};
    size_t n = t->data.sets[which].count;
    s->ids = calloc(n ? n : 1, sizeof *s->ids);
    s->contexts = calloc(n ? n : 1, sizeof *s->contexts);
    if (!s->ids || !s->contexts)
        return aft_error_set(err, "out of memory");
    for (size_t f = 0; f < t->data.n_files; f++)
        for (size_t i = 0; i < aft_dataset_count(ds[f]); i++) {
            aft_split sp = aft_dataset_split(ds[f], i);
            if ((sp == AFT_SPLIT_NONE ? t->data.implied[f] : sp) != split_of_set[which])
                continue;
            if (s->count == n)
                return aft_error_set(err, "the dataset changed while the PPO run started; "
                                     "start it again");
            if (add_record(s, ds[f], i, err) < 0)
                return -1;
        }
    if (s->count != n)
        return aft_error_set(err, "the dataset changed while the PPO run started; start it again");
    return 0;
}

static int load_sources(aft_trainer *t, tr_ppo *p, aft_error *err)
{
    aft_dataset *ds[3] = {0};
    if (tr_data_probe(&t->data, t->cfg, ds, err) < 0)
        return -1;
    int rc = collect_split(t, ds, TR_TRAIN, &p->src[TR_TRAIN], err);
    if (rc == 0 && p->eval_set != TR_TRAIN)
        rc = collect_split(t, ds, p->eval_set, &p->src[p->eval_set], err);
    tr_data_close(ds);
    return rc;
}

/* ---- rewards ---- */

static int make_rules(aft_trainer *t, aft_reward_rules *r, aft_error *err)
{
    const aft_config *c = t->cfg;
    return aft_reward_rules_init(r, aft_config_float(c, AFT_K_REWARD_CORRECT),
                                 aft_config_float(c, AFT_K_REWARD_WRONG),
                                 aft_config_string(c, AFT_K_REWARD_PER_ACTION),
                                 aft_config_float(c, AFT_K_REWARD_CONF_BELOW),
                                 aft_config_float(c, AFT_K_REWARD_CONF_PENALTY),
                                 &t->data.actions, err);
}

/* The environment runs in the folder of the workspace the run started
 * from (so "./ops_env data.jsonl" works as the workspace's paths do); a
 * resumed run, whose config comes from the run directory, finds that
 * folder in its checkpoint. */
static int env_folder(aft_trainer *t, tr_ppo *p, aft_error *err)
{
    if (p->env_dir || t->resumed)
        return 0;
    const char *ws = aft_config_path(t->cfg);
    char real[PATH_MAX];
    if (!ws || !realpath(ws, real))
        return 0;
    char *slash = strrchr(real, '/');
    if (slash)
        *(slash == real ? slash + 1 : slash) = '\0';
    p->env_dir = strdup(real);
    return p->env_dir ? 0 : aft_error_set(err, "out of memory");
}

static int start_env(aft_trainer *t, tr_ppo *p, aft_error *err)
{
    const char *cmd = aft_config_string(t->cfg, AFT_K_REWARD_ENV);
    if (!cmd[0])
        return 0;
    if (env_folder(t, p, err) < 0)
        return -1;
    char **argv = NULL;
    if (aft_argv_split(cmd, &argv, err) < 0) {
        aft_error_prefix(err, "reward.env");
        return -1;
    }
    p->env = aft_env_start(argv, p->env_dir,
                           (int)aft_config_int(t->cfg, AFT_K_REWARD_TIMEOUT_MS), err);
    aft_argv_free(argv);
    return p->env ? 0 : -1;
}

/* ---- the reference policy ---- */

/* A new run keeps its starting weights in RUN/reference (written as
 * reference.tmp and renamed), so a resume finds the same reference even if
 * model.init has moved on since; either way it is read back from there. */
static int load_reference(aft_trainer *t, tr_ppo *p, aft_error *err)
{
    char dir[TR_PATH_MAX], tmp[TR_PATH_MAX];
    if (aft_path_join(dir, sizeof dir, t->run_dir, "reference", err) < 0 ||
        aft_path_join(tmp, sizeof tmp, t->run_dir, "reference.tmp", err) < 0)
        return -1;
    struct stat sb;
    if (!t->resumed || stat(dir, &sb) != 0) {
        if (t->resumed)
            return aft_error_set(err, "%s is missing: the PPO run's reference policy is gone", dir);
        tr_rmtree_flat(tmp);
        if (mkdir(tmp, 0755) < 0)
            return aft_error_errno(err, errno, "cannot create %s", tmp);
        if (aft_checkpoint_save_model(tmp, t->model, t->data.tok,
                                      (const char *const *)t->data.actions.names,
                                      t->data.actions.count, err) < 0)
            return -1;
        tr_rmtree_flat(dir);
        if (rename(tmp, dir) < 0)
            return aft_error_errno(err, errno, "cannot rename %s to %s", tmp, dir);
        aft_fsync_parent_dir(dir, NULL);
    }
    int head = 0;
    p->ref = aft_checkpoint_load_model(dir, (int)t->data.actions.count, NULL, 0, &head, err);
    if (p->ref && !head)
        return aft_error_set(err, "%s has no action head for the run's %zu actions", dir,
                             t->data.actions.count);
    return p->ref ? 0 : -1;
}

/* ---- state kept in checkpoints ---- */

void tr_ppo_extra(const aft_trainer *t, cJSON *o)
{
    const tr_ppo *p = t->ppo;
    cJSON *j = p ? cJSON_AddObjectToObject(o, "ppo") : NULL;
    if (!j)
        return;
    cJSON_AddNumberToObject(j, "kl_coef", p->kl_coef);
    cJSON_AddNumberToObject(j, "episodes", (double)p->episodes);
    if (isfinite(p->val_reward))
        cJSON_AddNumberToObject(j, "val_reward", p->val_reward);
    if (p->env_dir)
        cJSON_AddStringToObject(j, "env_dir", p->env_dir);
}

static void restore_extra(aft_trainer *t, tr_ppo *p)
{
    cJSON *o = t->st.extra_json ? cJSON_Parse(t->st.extra_json) : NULL;
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, "ppo");
    const cJSON *kl = cJSON_GetObjectItemCaseSensitive(j, "kl_coef");
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(j, "episodes");
    const cJSON *vr = cJSON_GetObjectItemCaseSensitive(j, "val_reward");
    const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "env_dir"));
    if (dir)
        p->env_dir = strdup(dir);
    if (cJSON_IsNumber(kl) && kl->valuedouble >= 0)
        p->kl_coef = kl->valuedouble;
    if (cJSON_IsNumber(ep) && ep->valuedouble >= 0)
        p->episodes = (uint64_t)ep->valuedouble;
    if (cJSON_IsNumber(vr))
        p->val_reward = vr->valuedouble;
    cJSON_Delete(o);
}

/* ---- the start ---- */

static int check_setup(const aft_trainer *t, aft_error *err)
{
    if (t->data.actions.count < 2)
        return aft_error_set(err, "PPO needs at least two actions to choose from; the data has %zu",
                             t->data.actions.count);
    if (!aft_model_get_config(t->model)->value_head)
        return aft_error_set(err, "the model has no value head (a supervised run's checkpoint "
                             "cannot be resumed as PPO; start a run with model.init)");
    return 0;
}

static int setup(aft_trainer *t, tr_ppo *p, aft_error *err)
{
    int A = (int)t->data.actions.count;
    aft_rollout_init(&p->roll, A);
    aft_rollout_init(&p->eval_roll, A);
    p->val_reward = NAN;
    p->kl_coef = p->kl_coef_cfg = aft_config_float(t->cfg, AFT_K_PPO_KL_COEF);
    p->eval_set = t->data.sets[TR_VALID].count ? TR_VALID : TR_TRAIN;
    if (t->resumed) {
        restore_extra(t, p);
    } else {
        uint64_t seed = (uint64_t)aft_config_int(t->cfg, AFT_K_SEED);
        aft_rng_seed(&t->st.data_rng, seed ^ 0x9905eed5ull);
    }
    if (aft_batch_buf_init(&p->act_buf, ACT_BATCH, t->data.max_seq, err) < 0 ||
        make_rules(t, &p->rules, err) < 0 || start_env(t, p, err) < 0 ||
        (p->env && load_sources(t, p, err) < 0))
        return -1;
    return load_reference(t, p, err);
}

int tr_ppo_begin(aft_trainer *t, aft_error *err)
{
    if (t->ppo)
        return 0;
    if (check_setup(t, err) < 0)
        return -1;
    if (!(t->ppo = calloc(1, sizeof *t->ppo)))
        return aft_error_set(err, "out of memory");
    if (setup(t, t->ppo, err) < 0)
        return -1;
    const char *env = aft_config_string(t->cfg, AFT_K_REWARD_ENV);
    tr_log(t, "PPO over %zu actions, rewards from %s%s%s, reference policy in reference/",
           t->data.actions.count, env[0] ? "the environment '" : "the reward rules",
           env, env[0] ? "'" : "");
    /* The start's figures, so the curves show where PPO began. */
    if (!t->resumed && t->st.step == 0)
        return tr_eval_now(t, 0, err);
    return 0;
}

void tr_ppo_free(aft_trainer *t)
{
    tr_ppo *p = t->ppo;
    if (!p)
        return;
    aft_model_free(p->ref);
    aft_env_free(p->env);
    free(p->env_dir);
    aft_reward_rules_free(&p->rules);
    for (int s = 0; s < TR_NSETS; s++)
        free_source(&p->src[s]);
    aft_rollout_free(&p->roll);
    aft_rollout_free(&p->eval_roll);
    aft_batch_buf_free(&p->act_buf);
    aft_batch_buf_free(&p->upd_buf);
    free(p);
    t->ppo = NULL;
}

/* ---- live changes ---- */

int tr_ppo_apply_live(aft_trainer *t, aft_error *err)
{
    tr_ppo *p = t->ppo;
    if (!p)
        return 0;
    aft_reward_rules r;
    if (make_rules(t, &r, err) < 0)
        return -1;
    aft_reward_rules_free(&p->rules);
    p->rules = r;
    if (p->env)
        aft_env_set_timeout(p->env, (int)aft_config_int(t->cfg, AFT_K_REWARD_TIMEOUT_MS));
    double kl = aft_config_float(t->cfg, AFT_K_PPO_KL_COEF);
    if (kl != p->kl_coef_cfg)
        p->kl_coef = p->kl_coef_cfg = kl; /* a set kl_coef restarts the adaptation from it */
    return 0;
}

/* ---- an update ---- */

int tr_ppo_done(const aft_trainer *t)
{
    return t->st.step >= tr_total_steps(t);
}

static void ppo_config(const aft_trainer *t, aft_ppo_config *c)
{
    const aft_config *g = t->cfg;
    memset(c, 0, sizeof *c);
    c->clip_ratio = (float)aft_config_float(g, AFT_K_PPO_CLIP);
    c->gamma = (float)aft_config_float(g, AFT_K_PPO_GAMMA);
    c->gae_lambda = (float)aft_config_float(g, AFT_K_PPO_LAMBDA);
    c->kl_coef = (float)t->ppo->kl_coef;
    c->entropy_coef = (float)aft_config_float(g, AFT_K_PPO_ENTROPY);
    c->value_coef = (float)aft_config_float(g, AFT_K_PPO_VALUE_COEF);
    c->value_clip = (float)aft_config_float(g, AFT_K_PPO_VALUE_CLIP);
    c->grad_clip = (float)aft_config_float(g, AFT_K_GRAD_CLIP);
    c->lr = (float)tr_scheduled_lr(t);
    c->epochs = (int)aft_config_int(g, AFT_K_PPO_EPOCHS);
    c->minibatch_size = (int)aft_config_int(g, AFT_K_PPO_MINIBATCH);
    c->normalize_advantages = aft_config_bool(g, AFT_K_PPO_NORM_ADV);
}

static double mean_of(const tr_episodes *e)
{
    return e->episodes ? e->return_sum / (double)e->episodes : NAN;
}

static double std_of(const tr_episodes *e)
{
    double m = mean_of(e), v = e->episodes ? e->return_sq / (double)e->episodes - m * m : NAN;
    return v > 0 ? sqrt(v) : 0.0;
}

static void add_num(cJSON *j, const char *key, double v)
{
    cJSON_AddNumberToObject(j, key, aft_float_to_decimal((float)v));
}

static int emit_update(aft_trainer *t, const tr_episodes *e, const aft_ppo_stats *s, double lr,
                       double step_s, aft_error *err)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", (double)t->st.step);
    cJSON_AddStringToObject(j, "kind", "ppo");
    add_num(j, "reward_mean", mean_of(e));
    add_num(j, "reward_std", std_of(e));
    cJSON_AddNumberToObject(j, "episodes", (double)e->episodes);
    cJSON_AddNumberToObject(j, "decisions", (double)e->decisions);
    cJSON_AddNumberToObject(j, "timeouts", (double)e->timeouts);
    cJSON_AddNumberToObject(j, "env_failures", (double)e->failures);
    add_num(j, "kl", s->kl_ref);
    add_num(j, "kl_coef", t->ppo->kl_coef);
    add_num(j, "entropy", s->entropy);
    add_num(j, "clip_fraction", s->clip_fraction);
    add_num(j, "approx_kl", s->approx_kl);
    add_num(j, "policy_loss", s->policy_loss);
    add_num(j, "value_loss", s->value_loss);
    add_num(j, "explained_variance", s->explained_variance);
    add_num(j, "loss", s->loss);
    add_num(j, "lr", lr);
    add_num(j, "grad_norm", s->grad_norm);
    cJSON_AddNumberToObject(j, "step_ms", round(step_s * 1e4) / 10);
    cJSON_AddNumberToObject(j, "time", floor(tr_wall() * 1000) / 1000);
    return tr_emit(t, j, err);
}

/* Episode starts: training records drawn at random (with replacement). */
static size_t *draw_starts(aft_trainer *t, size_t n)
{
    size_t *s = malloc(n * sizeof *s);
    for (size_t i = 0; s && i < n; i++)
        s[i] = (size_t)aft_rng_below(&t->st.data_rng, t->data.sets[TR_TRAIN].count);
    return s;
}

int tr_ppo_step(aft_trainer *t, aft_error *err)
{
    tr_ppo *p = t->ppo;
    double t0 = tr_now();
    size_t n = (size_t)aft_config_int(t->cfg, AFT_K_PPO_EPISODES);
    size_t *starts = draw_starts(t, n);
    if (!starts)
        return aft_error_set(err, "out of memory");
    tr_episodes ep;
    int rc = tr_ppo_play(t, TR_TRAIN, starts, n, 0, &p->roll, &ep, err);
    free(starts);
    if (rc != 0)
        return rc;
    aft_ppo_config pc;
    ppo_config(t, &pc);
    aft_ppo_stats s;
    /* The weights change over the whole update: a copy waits for its end. */
    pthread_mutex_lock(&t->wmu);
    rc = aft_ppo_update(t->model, t->optim, &p->roll, &pc, &p->upd_buf, t->data.pad,
                        &t->st.data_rng, &s, err);
    if (rc == 0)
        t->st.step++;
    pthread_mutex_unlock(&t->wmu);
    if (rc < 0) {
        aft_error_prefix(err, "PPO update %llu", (unsigned long long)t->st.step + 1);
        return -1;
    }
    p->kl_coef = aft_ppo_adapt_kl(p->kl_coef, s.kl_ref, aft_config_float(t->cfg, AFT_K_PPO_KL_TARGET));
    double dt = tr_now() - t0;
    t->t_train += dt;
    t->steps_here++;
    if (emit_update(t, &ep, &s, pc.lr, dt > 0 ? dt : 1e-9, err) < 0)
        return -1;
    double tps = (double)p->roll.obs.n_tokens * (pc.epochs + 1) / (dt > 0 ? dt : 1e-9);
    t->tok_ema = t->tok_ema > 0 ? 0.9 * t->tok_ema + 0.1 * tps : tps;
    tr_publish(t, s.loss, t->tok_ema);
    rc = tr_after_step(t, err);
    tr_publish(t, NAN, NAN);
    return rc;
}

/* ---- evaluation ---- */

int tr_ppo_evaluate(aft_trainer *t, double *mean_return, size_t *episodes, aft_error *err)
{
    tr_ppo *p = t->ppo;
    *mean_return = NAN;
    *episodes = 0;
    size_t n = (size_t)aft_config_int(t->cfg, AFT_K_PPO_EVAL_EPISODES);
    size_t have = t->data.sets[p->eval_set].count;
    if (n > have)
        n = have;
    if (n == 0)
        return 0;
    size_t *starts = malloc(n * sizeof *starts);
    if (!starts)
        return aft_error_set(err, "out of memory");
    for (size_t i = 0; i < n; i++)
        starts[i] = i;
    tr_episodes ep;
    int rc = tr_ppo_play(t, p->eval_set, starts, n, 1, &p->eval_roll, &ep, err);
    free(starts);
    if (rc != 0)
        return rc;
    p->val_reward = *mean_return = mean_of(&ep);
    *episodes = ep.episodes;
    return 0;
}

double tr_ppo_val_reward(const aft_trainer *t)
{
    return t->ppo ? t->ppo->val_reward : NAN;
}

static const aft_series_field ppo_fields[] = {
    {"reward_mean", AFT_SERIES_REWARD},     {"reward_std", AFT_SERIES_REWARD_STD},
    {"kl", AFT_SERIES_KL},                  {"entropy", AFT_SERIES_ENTROPY},
    {"clip_fraction", AFT_SERIES_CLIP_FRACTION}, {"value_loss", AFT_SERIES_VALUE_LOSS},
    {"explained_variance", AFT_SERIES_EXPLAINED_VAR}, {"timeouts", AFT_SERIES_TIMEOUTS},
    /* the supervised charts show the PPO objective, its lr and gradient norm */
    {"loss", AFT_SERIES_TRAIN_LOSS},        {"lr", AFT_SERIES_LR},
    {"grad_norm", AFT_SERIES_GRAD_NORM},    {"step_ms", AFT_SERIES_STEP_MS}};

const aft_series_field *aft_ppo_series_fields(size_t *count)
{
    *count = sizeof ppo_fields / sizeof ppo_fields[0];
    return ppo_fields;
}

void tr_ppo_ingest(aft_trainer *t, uint64_t step, const cJSON *obj)
{
    for (size_t i = 0; i < sizeof ppo_fields / sizeof ppo_fields[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, ppo_fields[i].key);
        tr_push_point(t, ppo_fields[i].kind, step, cJSON_IsNumber(v) ? v->valuedouble : NAN);
    }
}
