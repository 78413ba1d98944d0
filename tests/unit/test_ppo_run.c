/* PPO runs through the trainer on a tiny model: from a supervised
 * checkpoint with the reward rules (metrics, the reference, the value head
 * in checkpoints), resume equal to an uninterrupted run, live changes, and
 * environment programs: two-step episodes, a hang (the timeout reward) and
 * a crash (a clear error after reward.env_max_failures). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/checkpoint.h"
#include "agentft/config.h"
#include "agentft/fileio.h"
#include "agentft/trainer.h"
#include "testutil.h"

static char root[4096];
static char sft_ckpt[4300]; /* the supervised run's last checkpoint */

static const char *srcdir(void)
{
    const char *s = getenv("SRCDIR");
    return s && *s ? s : ".";
}

/* 120 records over 3 actions; every 10th is valid. */
static void write_data(const char *path)
{
    static const char *const acts[] = {"restart", "rollback", "escalate"};
    static const char *const say[] = {"service %d is down", "deploy %d broke login",
                                      "unknown alarm %d"};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 120; i++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, say[i % 3], i);
        fprintf(f, "{\"id\":\"r%d\",\"context\":\"%s\",\"agent_action\":\"%s\",\"split\":\"%s\"}\n",
                i, ctx, acts[i % 3], i % 10 == 0 ? "valid" : "train");
    }
    fclose(f);
}

static aft_config *config_with(const char *first, ...)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/ws.yaml", root);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        if (aft_config_set_arg(cfg, s, &err) < 0)
            fail_msg("%s: %s", s, err.msg);
    va_end(ap);
    return cfg;
}

static aft_trainer *new_run(aft_config *cfg, const char *name)
{
    aft_trainer_opts o;
    aft_trainer_opts_init(&o);
    o.run_name = name;
    aft_error err = {0};
    aft_trainer *t = aft_trainer_new(cfg, &o, &err);
    aft_config_free(cfg);
    if (!t)
        fail_msg("new %s: %s", name, err.msg);
    return t;
}

static void run_dir_of(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/runs/%s", root, name);
}

static void run_ok(aft_config *cfg, const char *name)
{
    aft_trainer *t = new_run(cfg, name);
    aft_error err = {0};
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("run %s: %s", name, err.msg);
    aft_trainer_free(t);
}

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(root, sizeof root, "ppo_run") < 0)
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/data.jsonl", root);
    write_data(path);
    snprintf(path, sizeof path, "%s/ws.yaml", root);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("dataset:\n  path: data.jsonl\nruns: runs\nseed: 5\nthreads: 1\n"
          "model:\n  n_layer: 1\n  n_head: 2\n  d_model: 32\n  max_seq: 24\n  vocab_size: 300\n"
          "  dropout: 0\n  attn_dropout: 0\n"
          "optimizer:\n  lr: 3e-3\nschedule:\n  warmup_steps: 0\n  lr_schedule: constant\n"
          "train:\n  epochs: 1\n  batch_size: 16\n"
          "eval:\n  eval_every: 3\n  checkpoint_every: 3\n  patience: 0\n"
          "ppo:\n  updates: 6\n  rollout_episodes: 24\n  ppo_epochs: 2\n  minibatch_size: 8\n"
          "  eval_episodes: 12\n", f);
    fclose(f);
    /* The supervised start, a few steps: good enough to beat chance. */
    run_ok(config_with(NULL), "sft");
    run_dir_of("sft", path, sizeof path);
    snprintf(sft_ckpt, sizeof sft_ckpt, "%s/checkpoints/step-7", path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!getenv("AFT_KEEP_TMP"))
        aft_test_rmtree(root);
    return 0;
}

/* ---- reading metrics.jsonl ---- */

typedef struct lines {
    cJSON *v[512];
    size_t n;
} lines;

static void read_lines(const char *name, lines *l)
{
    char dir[4200], path[4300], *text;
    size_t len;
    run_dir_of(name, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    aft_error err = {0};
    if (aft_read_file(path, &text, &len, &err) < 0)
        fail_msg("%s", err.msg);
    l->n = 0;
    for (char *s = strtok(text, "\n"); s && l->n < 512; s = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(s);
        if (!o)
            fail_msg("not JSON: %s", s);
        cJSON_DeleteItemFromObject(o, "time");
        cJSON_DeleteItemFromObject(o, "step_ms");
        l->v[l->n++] = o;
    }
    free(text);
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        cJSON_Delete(l->v[i]);
    l->n = 0;
}

static int is_kind(const cJSON *o, const char *kind)
{
    const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
    return k && strcmp(k, kind) == 0;
}

static double field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The n-th line of a kind (from 0), or NULL. */
static const cJSON *nth(const lines *l, const char *kind, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (is_kind(l->v[i], kind) && n-- == 0)
            return l->v[i];
    return NULL;
}

static size_t count_kind(const lines *l, const char *kind)
{
    size_t n = 0;
    while (nth(l, kind, n))
        n++;
    return n;
}

/* ---- the tests ---- */

static void test_rules_from_supervised(void **state)
{
    (void)state;
    char init[4400];
    snprintf(init, sizeof init, "init=%s", sft_ckpt);
    run_ok(config_with("objective=ppo", init, NULL), "rules");
    lines l;
    read_lines("rules", &l);
    assert_int_equal(count_kind(&l, "ppo"), 6);
    static const char *const keys[] = {"reward_mean", "reward_std", "kl", "kl_coef", "entropy",
                                       "clip_fraction", "approx_kl", "value_loss", "loss",
                                       "lr", "grad_norm", "episodes", "decisions", "timeouts"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_true(isfinite(field(nth(&l, "ppo", 5), keys[k])));
    assert_true(field(nth(&l, "ppo", 0), "episodes") == 24);
    assert_true(field(nth(&l, "ppo", 0), "decisions") == 24);
    assert_true(field(nth(&l, "ppo", 0), "timeouts") == 0);
    assert_true(field(nth(&l, "ppo", 5), "kl") >= 0);
    /* Evaluations at the start and every 3 updates, rewards in [-1, 1]. */
    assert_int_equal(count_kind(&l, "val"), 3);
    assert_true(field(nth(&l, "val", 0), "step") == 0);
    assert_true(field(nth(&l, "val", 0), "episodes") == 12);
    double start = field(nth(&l, "val", 0), "reward"), end = field(nth(&l, "val", 2), "reward");
    assert_true(start >= -1 && start <= 1 && end >= -1 && end <= 1);
    print_message("rules: eval reward %.3f at the start, %.3f after 6 updates\n", start, end);
    free_lines(&l);
    /* The reference and the checkpoints: the value head is in the latter. */
    char dir[4200], path[4400];
    run_dir_of("rules", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/reference/model.safetensors", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    snprintf(path, sizeof path, "%s/checkpoints/step-6", dir);
    aft_error err = {0};
    aft_model *m = aft_checkpoint_load_model(path, 3, NULL, 0, NULL, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_non_null(aft_model_find_param(m, "value.weight"));
    aft_model_free(m);
}

static void test_resume_matches(void **state)
{
    (void)state;
    char init[4400];
    snprintf(init, sizeof init, "init=%s", sft_ckpt);
    run_ok(config_with("objective=ppo", init, "kl_target=0.01", NULL), "whole");
    run_ok(config_with("objective=ppo", init, "kl_target=0.01", "max_steps=3", NULL), "halves");
    char dir[4200];
    run_dir_of("halves", dir, sizeof dir);
    const char *sets[] = {"max_steps=0"};
    aft_trainer_opts o;
    aft_trainer_opts_init(&o);
    aft_error err = {0};
    aft_trainer *t = aft_trainer_resume(dir, sets, 1, &o, &err);
    if (!t)
        fail_msg("resume: %s", err.msg);
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("resumed run: %s", err.msg);
    aft_trainer_free(t);
    lines a, b;
    read_lines("whole", &a);
    read_lines("halves", &b);
    assert_int_equal(count_kind(&b, "ppo"), 6);
    for (size_t i = 0; i < 6; i++) {
        char *x = cJSON_PrintUnformatted(nth(&a, "ppo", i));
        char *y = cJSON_PrintUnformatted(nth(&b, "ppo", i));
        if (strcmp(x, y) != 0)
            fail_msg("update %zu differs:\n%s\n%s", i + 1, x, y);
        free(x);
        free(y);
    }
    assert_true(field(nth(&a, "val", 2), "reward") == field(nth(&b, "val", 2), "reward"));
    free_lines(&a);
    free_lines(&b);
}

/* Commands queued before the run are applied at its first step boundary,
 * as live changes are. */
static void test_live_changes(void **state)
{
    (void)state;
    aft_trainer *t = new_run(config_with("objective=ppo", "updates=2", NULL), "live");
    aft_error err = {0};
    aft_cmd set = {.kind = AFT_CMD_SET};
    snprintf(set.key, sizeof set.key, "kl_coef");
    snprintf(set.value, sizeof set.value, "0.5");
    assert_int_equal(aft_trainer_command(t, &set, &err), 0);
    snprintf(set.key, sizeof set.key, "action_rewards");
    snprintf(set.value, sizeof set.value, "escalate=-0.25");
    assert_int_equal(aft_trainer_command(t, &set, &err), 0);
    snprintf(set.value, sizeof set.value, "escalate=lots");
    assert_int_equal(aft_trainer_command(t, &set, &err), -1);
    assert_non_null(strstr(err.msg, "not a finite number"));
    /* An action the data lacks shows only when applied: refused, the run goes on. */
    snprintf(set.value, sizeof set.value, "reboot=1");
    assert_int_equal(aft_trainer_command(t, &set, &err), 0);
    snprintf(set.key, sizeof set.key, "env");
    assert_int_equal(aft_trainer_command(t, &set, &err), -1);
    assert_non_null(strstr(err.msg, "cannot change during a run"));
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("%s", err.msg);
    aft_trainer_free(t);
    lines l;
    read_lines("live", &l);
    assert_true(field(nth(&l, "ppo", 0), "kl_coef") == 0.5);
    assert_int_equal(count_kind(&l, "ppo"), 2);
    int refused = 0;
    for (size_t i = 0; i < l.n; i++) {
        const char *ev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l.v[i], "event"));
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l.v[i], "reason"));
        if (ev && strcmp(ev, "set_refused") == 0) {
            refused++;
            assert_non_null(strstr(why, "no action 'reboot'"));
        }
    }
    assert_int_equal(refused, 1);
    free_lines(&l);
}

/* The environment runs in the workspace's folder: the fake by its full path. */
static void env_arg(char *buf, size_t size, const char *fake)
{
    char real[PATH_MAX];
    if (!realpath(srcdir(), real))
        fail_msg("no source folder %s", srcdir());
    snprintf(buf, size, "env=/bin/sh %s/tests/fakes/%s.sh", real, fake);
}

static void test_env_two_steps(void **state)
{
    (void)state;
    char env[4400];
    env_arg(env, sizeof env, "env-steps");
    run_ok(config_with("objective=ppo", env, "episode_steps=3", "updates=2", "gamma=1", NULL),
           "steps");
    lines l;
    read_lines("steps", &l);
    const cJSON *u = nth(&l, "ppo", 1);
    assert_true(field(u, "episodes") == 24 && field(u, "decisions") == 48);
    assert_true(field(u, "reward_mean") == 1.5 && field(u, "reward_std") == 0);
    assert_true(field(nth(&l, "val", 0), "reward") == 1.5);
    free_lines(&l);
}

static void test_env_hang_scores_timeouts(void **state)
{
    (void)state;
    char env[4400];
    env_arg(env, sizeof env, "env-hang");
    run_ok(config_with("objective=ppo", env, "env_timeout_ms=60", "timeout_reward=-0.5",
                       "updates=1", "rollout_episodes=3", "minibatch_size=3",
                       "eval_episodes=1", NULL), "hang");
    lines l;
    read_lines("hang", &l);
    const cJSON *u = nth(&l, "ppo", 0);
    assert_true(field(u, "timeouts") == 3 && field(u, "env_failures") == 0);
    assert_true(field(u, "reward_mean") == -0.5);
    free_lines(&l);
}

static void test_env_crash_is_an_error(void **state)
{
    (void)state;
    char env[4400];
    env_arg(env, sizeof env, "env-crash");
    aft_trainer *t = new_run(config_with("objective=ppo", env, "env_max_failures=2", NULL), "crash");
    aft_error err = {0};
    assert_int_equal(aft_trainer_run(t, &err), -1);
    assert_non_null(strstr(err.msg, "exited with status 3"));
    assert_non_null(strstr(err.msg, "2 failures in a row"));
    aft_trainer_status st;
    aft_trainer_status_get(t, &st);
    assert_int_equal(st.phase, AFT_PHASE_FAILED);
    aft_trainer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_from_supervised),
        cmocka_unit_test(test_resume_matches),
        cmocka_unit_test(test_live_changes),
        cmocka_unit_test(test_env_two_steps),
        cmocka_unit_test(test_env_hang_scores_timeouts),
        cmocka_unit_test(test_env_crash_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
