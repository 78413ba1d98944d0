/* The trainer on a small generated dataset with a tiny model: the loss
 * falls, metrics.jsonl is well formed and deterministic, early stopping,
 * checkpoints, commands through the queue, resume equal to an uninterrupted
 * run, curriculum and stratified orders, records edited during a run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/train/trainer_internal.h" /* tr_order_build, for the order tests */
#include "agentft/checkpoint.h"
#include "agentft/config.h"
#include "agentft/dataset.h"
#include "agentft/fileio.h"
#include "agentft/predictor.h"
#include "agentft/trainer.h"
#include "agentft/trainer_state.h"
#include "testutil.h"

static char root[4096];

/* 160 records over 4 actions and 3 complexity levels: train 128, valid 16, test 16. */
static void write_data(const char *path, size_t from, size_t n, const char *split_override)
{
    static const char *const actions[] = {"book_flight", "cancel_order", "weather", "status"};
    static const char *const templates[] = {
        "please book a flight to city %zu", "cancel my order number %zu",
        "what is the weather in town %zu", "where is my parcel %zu now"};
    static const char *const filler[] = {"", " and be quick about it", 
                                         " and be quick about it because I am late today"};
    FILE *f = fopen(path, from ? "a" : "w");
    assert_non_null(f);
    for (size_t i = from; i < from + n; i++) {
        size_t a = i % 4, c = (i / 4) % 3;
        const char *split = split_override ? split_override
                            : i % 10 == 0 ? "valid" : i % 10 == 5 ? "test" : "train";
        char ctx[256];
        snprintf(ctx, sizeof ctx, templates[a], i);
        fprintf(f, "{\"id\":\"r%zu\",\"context\":\"%s%s\",\"agent_action\":\"%s\","
                   "\"expected_response\":\"ok %s\",\"complexity\":%zu,\"split\":\"%s\"}\n",
                i, ctx, filler[c], actions[a], actions[a], c + 1, split);
    }
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (aft_test_mkdtemp(root, sizeof root, "trainer") < 0)
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/data.jsonl", root);
    write_data(path, 0, 160, NULL);
    snprintf(path, sizeof path, "%s/ws.yaml", root);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("dataset:\n  path: data.jsonl\nruns: runs\nseed: 11\nthreads: 1\n"
          "model:\n  n_layer: 1\n  n_head: 2\n  d_model: 32\n  max_seq: 32\n  vocab_size: 320\n"
          "  dropout: 0.1\n  attn_dropout: 0\n"
          "optimizer:\n  lr: 5e-3\nschedule:\n  warmup_steps: 2\n"
          "train:\n  epochs: 4\n  batch_size: 16\n  grad_accum: 2\n"
          "eval:\n  eval_every: 4\n  checkpoint_every: 8\n  patience: 0\n"
          "  early_stop_metric: val_accuracy\n", f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!getenv("AFT_KEEP_TMP"))
        aft_test_rmtree(root);
    return 0;
}

/* The workspace (in `ws`, default ws.yaml) with "key=value" overrides, NULL-terminated. */
static aft_config *config_with(const char *ws, ...)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", root, ws ? ws : "ws.yaml");
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    va_list ap;
    va_start(ap, ws);
    for (const char *s; (s = va_arg(ap, const char *));)
        if (aft_config_set_arg(cfg, s, &err) < 0)
            fail_msg("%s: %s", s, err.msg);
    va_end(ap);
    return cfg;
}

static aft_trainer *new_run(aft_config *cfg, const char *name, aft_trainer_opts *o)
{
    aft_trainer_opts def;
    aft_trainer_opts_init(&def);
    if (!o)
        o = &def;
    o->run_name = name;
    aft_error err = {0};
    aft_trainer *t = aft_trainer_new(cfg, o, &err);
    if (!t)
        fail_msg("new: %s", err.msg);
    return t;
}

/* Runs a config to the end in this thread; returns the run dir (malloc'd). */
static char *run_to_end(aft_config *cfg, const char *name)
{
    aft_trainer *t = new_run(cfg, name, NULL);
    aft_error err = {0};
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("run: %s", err.msg);
    char *dir = strdup(aft_trainer_run_dir(t));
    aft_trainer_free(t);
    return dir;
}

static char *read_text(const char *dir, const char *name)
{
    char path[4200], *data = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    aft_error err = {0};
    if (aft_read_file(path, &data, &len, &err) < 0)
        fail_msg("%s", err.msg);
    return data;
}

/* metrics.jsonl with the time fields taken out, one object per line. */
static char *metrics_without_time(const char *dir)
{
    char *text = read_text(dir, "metrics.jsonl");
    size_t cap = strlen(text) + 1, used = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        if (!o)
            fail_msg("not JSON: %s", line);
        cJSON_DeleteItemFromObject(o, "time");
        cJSON_DeleteItemFromObject(o, "step_ms");
        cJSON_DeleteItemFromObject(o, "tokens_per_s");
        char *s = cJSON_PrintUnformatted(o);
        used += (size_t)snprintf(out + used, cap - used, "%s\n", s);
        free(s);
        cJSON_Delete(o);
    }
    free(text);
    return out;
}

typedef struct lines {
    cJSON *items[4096];
    size_t n;
} lines;

static void parse_lines(const char *dir, lines *l)
{
    char *text = read_text(dir, "metrics.jsonl");
    l->n = 0;
    for (char *line = strtok(text, "\n"); line && l->n < 4096; line = strtok(NULL, "\n")) {
        l->items[l->n] = cJSON_Parse(line);
        if (!l->items[l->n])
            fail_msg("metrics.jsonl: not JSON: %s", line);
        l->n++;
    }
    free(text);
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        cJSON_Delete(l->items[i]);
}

static const char *kind_of(const cJSON *o)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
}

static const char *event_of(const cJSON *o)
{
    const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
    return e ? e : "";
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("field %s missing", key);
    return v->valuedouble;
}

static size_t count_events(const lines *l, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(kind_of(l->items[i]), "event") == 0 && strcmp(event_of(l->items[i]), name) == 0;
    return n;
}

static int exists(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* ---- waiting on the trainer thread: the notify pipe, never a sleep ---- */

typedef int (*cond_fn)(aft_trainer *t, uint64_t arg);

static int phase_is(aft_trainer *t, uint64_t phase)
{
    aft_trainer_status s;
    aft_trainer_status_get(t, &s);
    return s.phase == (aft_trainer_phase)phase;
}

static int step_reached(aft_trainer *t, uint64_t step)
{
    aft_trainer_status s;
    aft_trainer_status_get(t, &s);
    return s.step >= step;
}

static int events_reached(aft_trainer *t, uint64_t n)
{
    return aft_trainer_events_len(t) >= n;
}

/* A "checkpoint" event at index `from` or later (the pause event may land
 * after the phase already reads paused, so counting events is not enough). */
static int checkpoint_event_from(aft_trainer *t, uint64_t from)
{
    aft_event ev[16];
    size_t n;
    while ((n = aft_trainer_events(t, (size_t)from, ev, 16)) > 0) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(ev[i].kind, "checkpoint") == 0)
                return 1;
        from += n;
    }
    return 0;
}

static int vals_reached(aft_trainer *t, uint64_t n)
{
    return aft_trainer_series_len(t, AFT_SERIES_VAL_ACCURACY) >= n;
}

/* The 30 s bound only keeps a broken trainer from hanging the test. */
static void wait_for(aft_trainer *t, int fd, cond_fn ok, uint64_t arg)
{
    while (!ok(t, arg)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 30000) <= 0)
            fail_msg("the trainer sent no news for 30 s");
        char buf[256];
        while (read(fd, buf, sizeof buf) > 0) {
        }
    }
}

static void notify_pipe(int p[2], aft_trainer_opts *o)
{
    assert_int_equal(pipe(p), 0);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    aft_trainer_opts_init(o);
    o->notify_fd = p[1];
}

static aft_cmd command(aft_cmd_kind kind, const char *key, const char *value)
{
    aft_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (key)
        snprintf(c.key, sizeof c.key, "%s", key);
    if (value)
        snprintf(c.value, sizeof c.value, "%s", value);
    return c;
}

/* ---- the tests ---- */

static void test_learns_and_writes_metrics(void **state)
{
    (void)state;
    aft_config *cfg = config_with(NULL, NULL);
    aft_trainer *t = new_run(cfg, "basic", NULL);
    aft_error err = {0};
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("%s", err.msg);
    const char *dir = aft_trainer_run_dir(t);
    lines l;
    parse_lines(dir, &l);
    size_t train = 0, val = 0;
    double first = 0, last = 0, last_acc = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *o = l.items[i];
        num(o, "step");
        num(o, "time");
        const char *k = kind_of(o);
        assert_non_null(k);
        if (strcmp(k, "train") == 0) {
            double loss = num(o, "loss");
            num(o, "lr"), num(o, "grad_norm"), num(o, "tokens_per_s"), num(o, "step_ms");
            num(o, "epoch");
            assert_int_equal((size_t)num(o, "step"), ++train);
            if (train <= 3)
                first += loss / 3;
            if (train > 29)
                last += loss / 3;
        } else if (strcmp(k, "val") == 0) {
            val++;
            assert_int_equal((size_t)num(o, "step") % 4, 0);
            num(o, "loss"), num(o, "macro_f1");
            last_acc = num(o, "accuracy");
            assert_int_equal((size_t)num(o, "examples"), 16);
        } else {
            assert_string_equal(k, "event");
        }
    }
    print_message("loss %.3f -> %.3f, val accuracy %.3f\n", first, last, last_acc);
    assert_int_equal(train, 32); /* 4 epochs of 128 / 16 */
    assert_int_equal(val, 8);
    assert_true(last < first * 0.7);
    assert_true(last_acc >= 0.5);
    assert_int_equal(count_events(&l, "epoch"), 4);
    assert_int_equal(count_events(&l, "checkpoint"), 4);
    assert_true(count_events(&l, "best") >= 1);
    free_lines(&l);
    static const char *const files[] = {"config.yaml", "metrics.jsonl", "train.log",
                                        "tokenizer.json", "checkpoints/best",
                                        "checkpoints/step-32/model.safetensors",
                                        "checkpoints/step-8/optimizer.safetensors",
                                        "checkpoints/best/trainer_state.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!exists(dir, files[i]))
            fail_msg("%s missing", files[i]);
    assert_false(exists(dir, "control.sock"));
    char *report = NULL;
    assert_int_equal(aft_run_check_checkpoints(dir, &report, &err), 0);
    assert_non_null(strstr(report, "checkpoints/step-32: ok"));
    free(report);
    /* The best checkpoint scores what the run recorded for it. */
    aft_trainer_status s;
    aft_trainer_status_get(t, &s);
    assert_int_equal(s.phase, AFT_PHASE_FINISHED);
    aft_eval_result r;
    assert_int_equal(aft_trainer_evaluate(t, AFT_SPLIT_VALID, 1, &r, &err), 0);
    assert_true(fabs(r.accuracy - s.best_metric) < 1e-12);
    assert_int_equal(aft_trainer_evaluate(t, AFT_SPLIT_TEST, 1, &r, &err), 0);
    assert_int_equal(r.examples, 16);
    aft_trainer_free(t);
    aft_config_free(cfg);
}

static void test_deterministic(void **state)
{
    (void)state;
    aft_config *cfg = config_with(NULL, "sampling=stratified", NULL);
    char *a = run_to_end(cfg, "det-a"), *b = run_to_end(cfg, "det-b");
    char *ma = metrics_without_time(a), *mb = metrics_without_time(b);
    assert_string_equal(ma, mb);
    free(ma);
    free(mb);
    free(a);
    free(b);
    aft_config_free(cfg);
}

static void test_early_stopping(void **state)
{
    (void)state;
    /* Nothing can improve accuracy by more than 1: the first validation is
     * the best and two more end the run. */
    aft_config *cfg = config_with(NULL, "patience=2", "min_delta=1", NULL);
    char *dir = run_to_end(cfg, "early");
    lines l;
    parse_lines(dir, &l);
    const cJSON *last = l.items[l.n - 1];
    assert_int_equal(count_events(&l, "early_stop"), 1);
    assert_int_equal(count_events(&l, "best"), 1);
    size_t train = 0;
    for (size_t i = 0; i < l.n; i++) {
        train += strcmp(kind_of(l.items[i]), "train") == 0;
        if (strcmp(event_of(l.items[i]), "early_stop") == 0) {
            assert_int_equal((int)num(l.items[i], "step"), 12);
            assert_int_equal((int)num(l.items[i], "best_step"), 4);
        }
        if (strcmp(kind_of(l.items[i]), "val") == 0)
            assert_int_equal((int)num(l.items[i], "patience_left"),
                             2 - ((int)num(l.items[i], "step") / 4 - 1));
    }
    assert_int_equal(train, 12);
    assert_string_equal(event_of(last), "checkpoint");
    assert_true(exists(dir, "checkpoints/step-12/trainer_state.json"));
    free_lines(&l);
    free(dir);
    aft_config_free(cfg);
}

static void test_commands(void **state)
{
    (void)state;
    aft_config *cfg = config_with(NULL, "start_paused=true", "epochs=2", NULL);
    int p[2];
    aft_trainer_opts o;
    notify_pipe(p, &o);
    aft_trainer *t = new_run(cfg, "commands", &o);
    aft_error err = {0};
    assert_int_equal(aft_trainer_start(t, &err), 0);
    wait_for(t, p[0], phase_is, AFT_PHASE_PAUSED);

    aft_cmd c = command(AFT_CMD_SET, "lr", "0.001");
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    c = command(AFT_CMD_SET, "batch_size", "8");
    assert_int_equal(aft_trainer_command(t, &c, &err), -1);
    assert_string_equal(err.msg,
                        "batch_size cannot change during a run (takes effect at the next start)");
    c = command(AFT_CMD_SET, "optimizer.lr", "100");
    assert_int_equal(aft_trainer_command(t, &c, &err), -1);
    assert_non_null(strstr(err.msg, "1e-08..10"));
    c = command(AFT_CMD_SET, "lrr", "1");
    assert_int_equal(aft_trainer_command(t, &c, &err), -1);
    assert_non_null(strstr(err.msg, "unknown key 'lrr'"));
    c = command(AFT_CMD_EVAL, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    c = command(AFT_CMD_CHECKPOINT, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    /* pause (from start_paused), set, best (the eval), checkpoint: applied while paused. */
    wait_for(t, p[0], events_reached, 4);
    assert_true(phase_is(t, AFT_PHASE_PAUSED));
    assert_int_equal(aft_trainer_series_len(t, AFT_SERIES_TRAIN_LOSS), 0);
    char fields[1024];
    c = command(AFT_CMD_STATUS, NULL, NULL);
    assert_int_equal(aft_trainer_control_handler(t, &c, fields, sizeof fields, &err), 0);
    char obj[1100];
    snprintf(obj, sizeof obj, "{%s}", fields);
    cJSON *j = cJSON_Parse(obj);
    assert_non_null(j);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "state")), "paused");
    cJSON_Delete(j);

    c = command(AFT_CMD_RESUME, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    wait_for(t, p[0], step_reached, 3);
    c = command(AFT_CMD_PAUSE, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    wait_for(t, p[0], phase_is, AFT_PHASE_PAUSED);
    aft_trainer_status s1, s2;
    aft_trainer_status_get(t, &s1);
    size_t vals = aft_trainer_series_len(t, AFT_SERIES_VAL_ACCURACY);
    c = command(AFT_CMD_EVAL, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    wait_for(t, p[0], vals_reached, vals + 1);
    aft_trainer_status_get(t, &s2);
    assert_int_equal(s1.step, s2.step); /* no step while paused */
    assert_int_equal(s2.phase, AFT_PHASE_PAUSED);
    c = command(AFT_CMD_RESUME, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    if (aft_trainer_join(t, &err) < 0)
        fail_msg("%s", err.msg);
    c = command(AFT_CMD_PAUSE, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), -1); /* the run has ended */

    const char *dir = aft_trainer_run_dir(t);
    lines l;
    parse_lines(dir, &l);
    assert_int_equal(count_events(&l, "pause"), 2);
    assert_int_equal(count_events(&l, "resume"), 2);
    assert_int_equal(count_events(&l, "set"), 1);
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *ev = l.items[i];
        if (strcmp(event_of(ev), "set") == 0) {
            assert_int_equal((int)num(ev, "step"), 0);
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "key")), "lr");
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "old")), "5e-3");
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "new")), "0.001");
        }
        if (strcmp(kind_of(ev), "train") == 0)
            assert_true(num(ev, "lr") <= 0.001 + 1e-9);
    }
    free_lines(&l);
    assert_true(exists(dir, "checkpoints/step-0/model.safetensors"));
    char *state_json = read_text(dir, "checkpoints/step-16/trainer_state.json");
    assert_non_null(strstr(state_json, "\"key\":\t\"lr\""));
    free(state_json);
    aft_trainer_free(t);
    close(p[0]);
    close(p[1]);
    aft_config_free(cfg);
}

/* Kills a run part way (abort: no checkpoint) after step `stop`, corrupts
 * every checkpoint from step `broken_from` on, resumes: the metrics match an
 * uninterrupted run's. */
/* Cuts metrics.jsonl just before the event line of checkpoint `ck`, as a
 * kill between the checkpoint's rename and its line would leave it. */
static void cut_before_event(const char *dir, const char *ck)
{
    char *text = read_text(dir, "metrics.jsonl"), needle[128], path[4200];
    snprintf(needle, sizeof needle, "\"event\":\"checkpoint\",\"path\":\"%s\"", ck);
    char *hit = strstr(text, needle);
    assert_non_null(hit);
    while (hit > text && hit[-1] != '\n')
        hit--;
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    aft_error err = {0};
    assert_int_equal(aft_write_file_atomic(path, text, (size_t)(hit - text), &err), 0);
    free(text);
}

static void resume_case(const char *every, const char *eval, uint64_t stop, uint64_t broken_from,
                        const char *expect, const char *name)
{
    aft_config *cfg = config_with(NULL, every, eval, NULL);
    char full_name[64];
    snprintf(full_name, sizeof full_name, "%s-full", name);
    char *full = run_to_end(cfg, full_name);
    int p[2];
    aft_trainer_opts o;
    notify_pipe(p, &o);
    aft_trainer *t = new_run(cfg, name, &o);
    aft_error err = {0};
    assert_int_equal(aft_trainer_start(t, &err), 0);
    wait_for(t, p[0], step_reached, stop);
    aft_trainer_abort(t);
    assert_int_equal(aft_trainer_join(t, &err), 0);
    char *dir = strdup(aft_trainer_run_dir(t));
    aft_trainer_free(t);
    close(p[0]);
    close(p[1]);

    char *report = NULL;
    assert_int_equal(aft_run_check_checkpoints(dir, &report, &err), 0);
    free(report);
    int broken = 0;
    for (int s = 0; s <= 40; s++) {
        char ck[64], path[4300];
        if (s)
            snprintf(ck, sizeof ck, "checkpoints/step-%d", s);
        else
            snprintf(ck, sizeof ck, "checkpoints/best");
        snprintf(path, sizeof path, "%s/%s", dir, ck);
        aft_trainer_state st = {0};
        if (!exists(dir, ck) || aft_trainer_state_load(path, &st, &err) < 0)
            continue;
        if (st.step >= broken_from) {
            snprintf(path, sizeof path, "%s/%s/model.safetensors", dir, ck);
            assert_int_equal(aft_write_file_atomic(path, "garbage", 7, &err), 0);
            broken++;
        }
        aft_trainer_state_free(&st);
    }
    assert_int_equal(aft_run_check_checkpoints(dir, &report, &err), broken);
    free(report);

    if (strcmp(name, "lost-line") == 0)
        cut_before_event(dir, strstr(expect, "checkpoints/"));
    t = aft_trainer_resume(dir, NULL, 0, NULL, &err);
    if (!t)
        fail_msg("resume: %s", err.msg);
    print_message("%s", aft_trainer_notes(t));
    if (broken)
        assert_non_null(strstr(aft_trainer_notes(t), "skipped, it is corrupt"));
    assert_non_null(strstr(aft_trainer_notes(t), expect));
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("%s", err.msg);
    aft_trainer_free(t);
    char *ma = metrics_without_time(full), *mb = metrics_without_time(dir);
    assert_string_equal(ma, mb);
    assert_int_equal(aft_run_check_checkpoints(dir, &report, &err), 0);
    free(report);
    free(ma);
    free(mb);
    free(full);
    free(dir);
    aft_config_free(cfg);
}

static int same_floats(const aft_model *a, const aft_model *b)
{
    size_t n = aft_model_num_floats(a);
    return n == aft_model_num_floats(b) &&
           memcmp(aft_model_params((aft_model *)a), aft_model_params((aft_model *)b),
                  n * sizeof(float)) == 0;
}

/* Copies of the live weights for another thread: before the run, while it
 * is paused (equal to the checkpoint written at that step), while it trains,
 * after it ended; and refused while a deferred preparation has not run. */
static void test_copy_weights(void **state)
{
    (void)state;
    aft_config *cfg = config_with(NULL, "start_paused=true", "epochs=1", NULL);
    aft_error err = {0};
    aft_trainer_opts o;
    int p[2];
    notify_pipe(p, &o);
    o.defer_prepare = 1;
    aft_trainer *t = new_run(cfg, "copy-deferred", &o);
    assert_null(aft_trainer_copy_model(t, NULL, &err));
    assert_non_null(strstr(err.msg, "no weights yet"));
    aft_action_set acts;
    assert_int_equal(aft_trainer_copy_actions(t, &acts, &err), -1);
    aft_trainer_free(t);

    o.defer_prepare = 0;
    t = new_run(cfg, "copy", &o);
    uint64_t step = 99;
    aft_model *first = aft_trainer_copy_model(t, &step, &err);
    if (!first)
        fail_msg("%s", err.msg);
    assert_int_equal(step, 0);
    assert_int_equal(aft_trainer_copy_actions(t, &acts, &err), 0);
    assert_int_equal(acts.count, 4);
    assert_string_equal(acts.names[0], "book_flight");
    assert_string_equal(acts.names[3], "weather");
    aft_action_set_free(&acts);

    assert_int_equal(aft_trainer_start(t, &err), 0);
    wait_for(t, p[0], phase_is, AFT_PHASE_PAUSED);
    aft_model *live = aft_trainer_copy_model(t, &step, &err);
    assert_non_null(live);
    assert_int_equal(step, 0);
    assert_true(same_floats(live, first));
    aft_model_free(live);
    aft_cmd c = command(AFT_CMD_RESUME, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    live = aft_trainer_copy_model(t, NULL, &err);
    assert_non_null(live);
    for (int i = 0; i < 20; i++) /* while it trains: never torn, never blocked for long */
        assert_int_equal(aft_trainer_copy_weights(t, live, NULL, &err), 0);
    wait_for(t, p[0], step_reached, 3);
    c = command(AFT_CMD_PAUSE, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    wait_for(t, p[0], phase_is, AFT_PHASE_PAUSED);
    size_t events = aft_trainer_events_len(t);
    c = command(AFT_CMD_CHECKPOINT, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    wait_for(t, p[0], checkpoint_event_from, events);
    assert_int_equal(aft_trainer_copy_weights(t, live, &step, &err), 0);
    assert_true(step >= 3);
    assert_false(same_floats(live, first));
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/checkpoints/step-%llu", aft_trainer_run_dir(t),
             (unsigned long long)step);
    aft_model *saved = aft_checkpoint_load_model(dir, 4, aft_model_get_config(live), 0, NULL,
                                                 &err);
    if (!saved)
        fail_msg("%s", err.msg);
    assert_true(same_floats(live, saved));
    aft_model_free(saved);

    /* A model of another shape is refused, not overrun. */
    aft_model_config other = *aft_model_get_config(live);
    other.d_model = 16;
    aft_model *small = aft_model_new(&other, &err);
    assert_non_null(small);
    assert_int_equal(aft_trainer_copy_weights(t, small, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not shaped like the run's"));
    aft_model_free(small);

    c = command(AFT_CMD_RESUME, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    if (aft_trainer_join(t, &err) < 0)
        fail_msg("%s", err.msg);
    aft_trainer_status st;
    aft_trainer_status_get(t, &st);
    assert_int_equal(aft_trainer_copy_weights(t, live, &step, &err), 0);
    assert_int_equal(step, st.step);
    aft_model_free(live);
    aft_model_free(first);
    aft_trainer_free(t);
    close(p[0]);
    close(p[1]);
    aft_config_free(cfg);
}

static void test_resume_matches(void **state)
{
    (void)state;
    /* From step-10, mid-epoch, past broken newer ones. */
    resume_case("checkpoint_every=5", "eval_every=3", 17, 15, "from checkpoints/step-10", "cut");
    /* From step-8, the end of epoch 1 (8 steps an epoch). */
    resume_case("checkpoint_every=8", "eval_every=5", 9, 9, "from checkpoints/step-8", "edge");
    /* The same, killed before step-8's event line reached metrics.jsonl. */
    resume_case("checkpoint_every=8", "eval_every=5", 9, 9, "from checkpoints/step-8", "lost-line");
}

static void check_curriculum_epoch(aft_trainer *t, uint64_t epoch, int max_level, int sorted)
{
    aft_error err = {0};
    assert_int_equal(tr_order_build(t, epoch, &err), 0);
    const aft_example_set *s = &t->data.sets[TR_TRAIN];
    int top = 0, descents = 0;
    for (size_t i = 0; i < t->data.n_order; i++) {
        int c = s->items[t->data.order[i]].complexity;
        if (c > top)
            top = c;
        if (i > 0 && c < s->items[t->data.order[i - 1]].complexity)
            descents++;
    }
    assert_int_equal(top, max_level);
    assert_int_equal(t->data.n_order, tr_epoch_examples(t, epoch));
    if (sorted)
        assert_int_equal(descents, 0);
    else
        assert_true(descents > 0);
}

static void test_curriculum_and_strata(void **state)
{
    (void)state;
    aft_config *cfg = config_with(NULL, "sampling=curriculum", "curriculum_pacing=step",
                                  "curriculum_epochs=3", NULL);
    aft_trainer *t = new_run(cfg, "curriculum", NULL);
    /* 3 levels over 3 epochs, one level joining per epoch, then all shuffled. */
    check_curriculum_epoch(t, 0, 1, 1);
    check_curriculum_epoch(t, 1, 2, 1);
    check_curriculum_epoch(t, 2, 3, 1);
    check_curriculum_epoch(t, 3, 3, 0);
    assert_int_equal(t->data.n_order, 128);
    uint64_t total = tr_total_steps(t);
    aft_error err = {0};
    assert_int_equal(aft_trainer_run(t, &err), 0);
    lines l;
    parse_lines(aft_trainer_run_dir(t), &l);
    size_t train = 0;
    int level = 0;
    for (size_t i = 0; i < l.n; i++) {
        train += strcmp(kind_of(l.items[i]), "train") == 0;
        if (strcmp(event_of(l.items[i]), "epoch") == 0 && level < 3)
            assert_int_equal((int)num(l.items[i], "max_complexity"), ++level);
    }
    assert_int_equal(train, total);
    free_lines(&l);
    aft_trainer_free(t);
    aft_config_free(cfg);

    /* linear pacing over 2 epochs: 2 of 3 levels, then all, easy to hard. */
    cfg = config_with(NULL, "sampling=curriculum", "curriculum_epochs=2", NULL);
    t = new_run(cfg, "linear", NULL);
    check_curriculum_epoch(t, 0, 2, 1);
    check_curriculum_epoch(t, 1, 3, 1);
    aft_trainer_free(t);
    aft_config_free(cfg);

    /* Stratified: the first 12 examples cover the 12 (action, level) strata. */
    cfg = config_with(NULL, "sampling=stratified", NULL);
    t = new_run(cfg, "strata", NULL);
    assert_int_equal(tr_order_build(t, 0, &err), 0);
    int seen[64] = {0}, distinct = 0;
    const aft_example_set *s = &t->data.sets[TR_TRAIN];
    for (size_t i = 0; i < 12; i++) {
        const aft_example *e = &s->items[t->data.order[i]];
        int key = e->label * 4 + e->complexity;
        distinct += !seen[key];
        seen[key] = 1;
    }
    assert_int_equal(distinct, 12);
    size_t first[16];
    memcpy(first, t->data.order, sizeof first);
    assert_int_equal(tr_order_build(t, 1, &err), 0);
    assert_true(memcmp(first, t->data.order, sizeof first) != 0);
    assert_int_equal(tr_order_build(t, 0, &err), 0);
    assert_memory_equal(first, t->data.order, sizeof first);
    aft_trainer_free(t);
    aft_config_free(cfg);
}

static void test_records_edited_during_run(void **state)
{
    (void)state;
    char data[4200], set[4300];
    snprintf(data, sizeof data, "%s/edited.jsonl", root);
    write_data(data, 0, 160, NULL);
    snprintf(set, sizeof set, "dataset.path=%s", data);
    aft_config *cfg = config_with(NULL, set, "start_paused=true", "epochs=2", NULL);
    int p[2];
    aft_trainer_opts o;
    notify_pipe(p, &o);
    aft_trainer *t = new_run(cfg, "edited", &o);
    aft_error err = {0};
    assert_int_equal(aft_trainer_start(t, &err), 0);
    wait_for(t, p[0], phase_is, AFT_PHASE_PAUSED);
    write_data(data, 160, 8, "train"); /* the annotation pane adds 8 records */
    aft_cmd c = command(AFT_CMD_RESUME, NULL, NULL);
    assert_int_equal(aft_trainer_command(t, &c, &err), 0);
    assert_int_equal(aft_trainer_join(t, &err), 0);
    lines l;
    parse_lines(aft_trainer_run_dir(t), &l);
    int epochs = 0, data_events = 0;
    for (size_t i = 0; i < l.n; i++) {
        const cJSON *o2 = l.items[i];
        if (strcmp(event_of(o2), "epoch") == 0)
            assert_int_equal((int)num(o2, "examples"), epochs++ ? 136 : 128);
        if (strcmp(event_of(o2), "data") == 0) {
            data_events++;
            assert_int_equal((int)num(o2, "added"), 8);
            assert_int_equal((int)num(o2, "removed"), 0);
            assert_int_equal((int)num(o2, "changed"), 0);
            assert_int_equal((int)num(o2, "train"), 136);
            assert_int_equal(epochs, 1); /* joined at the first epoch boundary */
        }
    }
    assert_int_equal(data_events, 1);
    assert_int_equal(epochs, 2);
    free_lines(&l);
    aft_trainer_free(t);
    close(p[0]);
    close(p[1]);
    aft_config_free(cfg);
}

static void test_refusals(void **state)
{
    (void)state;
    char data[4200], set[4300];
    snprintf(data, sizeof data, "%s/nosplit.jsonl", root);
    FILE *f = fopen(data, "w");
    assert_non_null(f);
    fputs("{\"context\":\"a\",\"agent_action\":\"x\",\"split\":\"train\"}\n"
          "{\"context\":\"b\",\"agent_action\":\"y\"}\n", f);
    fclose(f);
    snprintf(set, sizeof set, "dataset.path=%s", data);
    aft_config *cfg = config_with(NULL, set, NULL);
    aft_trainer_opts o;
    aft_trainer_opts_init(&o);
    aft_error err = {0};
    assert_null(aft_trainer_new(cfg, &o, &err));
    assert_non_null(strstr(err.msg, "1 of 2 records have no split field"));
    assert_non_null(strstr(err.msg, "agentft data split"));
    aft_config_free(cfg);

    /* The fallback action must be one the model can predict. */
    cfg = config_with(NULL, "reject_action=no_such_action", "reject_below=0.5", NULL);
    o.run_name = "reject";
    assert_null(aft_trainer_new(cfg, &o, &err));
    assert_non_null(strstr(err.msg, "eval.reject_action = no_such_action"));
    aft_config_free(cfg);

    /* A run never replaces another. */
    cfg = config_with(NULL, "epochs=1", NULL);
    o.run_name = "twice";
    aft_trainer *t = aft_trainer_new(cfg, &o, &err);
    assert_non_null(t);
    aft_trainer_free(t);
    assert_null(aft_trainer_new(cfg, &o, &err));
    assert_non_null(strstr(err.msg, "a run never replaces another"));
    /* Default names are timestamps, -2 when taken. */
    o.run_name = NULL;
    aft_trainer *a = aft_trainer_new(cfg, &o, &err), *b = aft_trainer_new(cfg, &o, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_not_equal(aft_trainer_run_dir(a), aft_trainer_run_dir(b));
    aft_trainer_free(a);
    aft_trainer_free(b);
    /* Resume refuses keys its checkpoints depend on. */
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/runs/twice", root);
    const char *sets[] = {"batch_size=4"};
    assert_null(aft_trainer_resume(dir, sets, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "batch_size cannot change when a run is resumed"));
    assert_null(aft_trainer_resume(dir, NULL, 0, NULL, &err));
    assert_non_null(strstr(err.msg, "no complete checkpoint"));
    aft_config_free(cfg);
}

/* Every `every`-th line of src into dst; returns the lines written, 0 when
 * src cannot be read. */
/* eval.reject_keep: each validation calibrates the energy threshold on the
 * valid split and logs it; checkpoints keep it; evaluating the best weights
 * and a predictor opened on the run use the best checkpoint's. */
static void test_reject_calibrated(void **state)
{
    (void)state;
    aft_config *cfg = config_with(NULL, "reject_action=status", "reject_score=energy",
                                  "reject_keep=0.8", "restore_best=true", NULL);
    aft_trainer *t = new_run(cfg, "calibrated", NULL);
    aft_error err = {0};
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("run: %s", err.msg);
    char *dir = strdup(aft_trainer_run_dir(t));
    lines l;
    parse_lines(dir, &l);
    double acc = NAN, thr = NAN, best_acc = NAN, best_thr = NAN;
    size_t vals = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(kind_of(l.items[i]), "val") == 0) {
            vals++;
            acc = num(l.items[i], "accuracy");
            thr = num(l.items[i], "reject_threshold");
            assert_true(isfinite(thr));
        } else if (strcmp(event_of(l.items[i]), "best") == 0) {
            best_acc = acc;
            best_thr = thr;
        }
    }
    free_lines(&l);
    assert_true(vals >= 2 && isfinite(best_thr));

    char ck[4400];
    snprintf(ck, sizeof ck, "%s/checkpoints/best", dir);
    aft_trainer_state st;
    assert_int_equal(aft_trainer_state_load(ck, &st, &err), 0);
    assert_float_equal(st.reject_threshold, best_thr, 1e-5 * fabs(best_thr) + 1e-6);
    aft_eval_result r;
    assert_int_equal(aft_trainer_evaluate(t, AFT_SPLIT_VALID, 1, &r, &err), 0);
    assert_float_equal(r.accuracy, best_acc, 1e-9);
    aft_trainer_free(t);

    aft_predictor *p = aft_predictor_open(dir, NULL, 1, &err);
    if (!p)
        fail_msg("predictor: %s", err.msg);
    const aft_reject_rule *rule = aft_predictor_reject(p);
    assert_true(rule->calibrated && rule->score == AFT_REJECT_ENERGY);
    assert_true(rule->below == st.reject_threshold);
    aft_trainer_state_free(&st);
    char data[4200];
    snprintf(data, sizeof data, "%s/data.jsonl", root);
    aft_diag_list d;
    aft_diag_list_init(&d);
    aft_dataset *ds = aft_dataset_open(data, &(aft_load_opts){0}, &d, &err);
    assert_non_null(ds);
    aft_example_set set;
    aft_example_set_init(&set);
    aft_example_opts eo = aft_predictor_example_opts(p, 0, AFT_SPLIT_VALID, AFT_SPLIT_TRAIN);
    assert_int_equal(aft_examples_add(&set, ds, aft_predictor_tokenizer(p),
                                      aft_predictor_actions(p), &eo, &err), 0);
    assert_true(set.count > 0);
    int32_t *pred = calloc(set.count, sizeof *pred);
    assert_int_equal(aft_predictor_classify(p, &set, NULL, 0, 8, pred, NULL, NULL, &err), 0);
    size_t right = 0;
    for (size_t i = 0; i < set.count; i++)
        right += pred[i] == set.items[i].label;
    assert_float_equal((double)right / (double)set.count, best_acc, 1e-9);
    /* Calibrating again on the same split and share gives the trainer's. */
    double saved = rule->below;
    assert_int_equal(aft_predictor_calibrate_reject(p, &set, 0.8, &err), 0);
    assert_true(aft_predictor_reject(p)->below == saved);
    assert_int_equal(aft_predictor_calibrate_reject(p, &set, 0.5, &err), 0);
    assert_true(aft_predictor_reject(p)->below > saved);
    assert_int_equal(aft_predictor_calibrate_reject(p, &set, 0.8, &err), 0);
    assert_int_equal(aft_predictor_calibrate_reject(p, &set, 1.5, &err), -1);
    /* Batches are formed by length; the results land in the caller's order,
     * the same as one example at a time. */
    int32_t *one = calloc(set.count, sizeof *one);
    float *conf = calloc(set.count, sizeof *conf), *conf1 = calloc(set.count, sizeof *conf1);
    size_t *idx = calloc(set.count, sizeof *idx);
    assert_int_equal(aft_predictor_classify(p, &set, NULL, 0, 8, NULL, conf, NULL, &err), 0);
    for (size_t i = 0; i < set.count; i++) {
        idx[i] = set.count - 1 - i;
        assert_int_equal(aft_predictor_classify(p, &set, &idx[i], 1, 1, &one[idx[i]],
                                                &conf1[idx[i]], NULL, &err), 0);
    }
    assert_memory_equal(one, pred, set.count * sizeof *one);
    assert_memory_equal(conf, conf1, set.count * sizeof *conf);
    free(one);
    free(conf);
    free(conf1);
    free(idx);
    free(pred);
    aft_example_set_free(&set);
    aft_dataset_free(ds);
    aft_diag_list_free(&d);
    aft_predictor_free(p);
    free(dir);
    aft_config_free(cfg);
}

static size_t slice(const char *src, const char *dst, size_t every)
{
    FILE *in = fopen(src, "r");
    if (!in)
        return 0;
    FILE *out = fopen(dst, "w");
    assert_non_null(out);
    char line[8192];
    size_t n = 0, k = 0;
    while (fgets(line, sizeof line, in))
        if (n++ % every == 0) {
            fputs(line, out);
            k++;
        }
    fclose(in);
    fclose(out);
    return k;
}

/* A slice of the real banking77 (../shared, skipped where it is absent): the
 * loss falls and validation beats the majority class. */
static void test_banking77_slice(void **state)
{
    (void)state;
    const char *src = getenv("SRCDIR");
    char in[4200], train[4200], valid[4200];
    snprintf(in, sizeof in, "%s/../shared/datasets/banking77/train.jsonl", src ? src : ".");
    snprintf(train, sizeof train, "%s/b77-train.jsonl", root);
    snprintf(valid, sizeof valid, "%s/b77-valid.jsonl", root);
    if (slice(in, train, 12) == 0) {
        print_message("skipped: ../shared/datasets/banking77 not found\n");
        skip();
    }
    snprintf(in, sizeof in, "%s/../shared/datasets/banking77/valid.jsonl", src ? src : ".");
    assert_true(slice(in, valid, 4) > 0);
    char ws[4200];
    snprintf(ws, sizeof ws, "%s/b77.yaml", root);
    FILE *f = fopen(ws, "w");
    assert_non_null(f);
    fputs("dataset:\n  train: b77-train.jsonl\n  valid: b77-valid.jsonl\nruns: runs\n"
          "threads: 1\nmodel:\n  n_layer: 1\n  n_head: 2\n  d_model: 64\n  max_seq: 48\n"
          "  vocab_size: 600\n  dropout: 0.1\noptimizer:\n  lr: 3e-3\n"
          "schedule:\n  warmup_steps: 20\ntrain:\n  epochs: 8\n  batch_size: 32\n"
          "eval:\n  eval_every: 24\n  patience: 0\n  early_stop_metric: val_accuracy\n", f);
    fclose(f);
    aft_config *cfg = config_with("b77.yaml", NULL);
    aft_trainer *t = new_run(cfg, "b77", NULL);
    aft_error err = {0};
    if (aft_trainer_run(t, &err) < 0)
        fail_msg("%s", err.msg);
    aft_point p[512];
    size_t n = aft_trainer_series(t, AFT_SERIES_TRAIN_LOSS, 0, p, 512);
    assert_true(n >= 100);
    double first = (p[0].value + p[1].value + p[2].value) / 3;
    double last = (p[n - 1].value + p[n - 2].value + p[n - 3].value) / 3;
    /* The majority class of the valid slice. */
    size_t counts[128] = {0}, major = 0;
    const aft_example_set *v = &t->data.sets[TR_VALID];
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].label >= 0 && v->items[i].label < 128 && ++counts[v->items[i].label] > major)
            major = counts[v->items[i].label];
    aft_trainer_status st;
    aft_trainer_status_get(t, &st);
    print_message("banking77 slice: loss %.3f -> %.3f; best val accuracy %.3f (majority %.3f)\n",
                  first, last, st.best_metric, (double)major / (double)v->count);
    assert_true(last < first * 0.8);
    assert_true(st.best_metric > 2.0 * (double)major / (double)v->count);
    aft_trainer_free(t);
    aft_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_and_writes_metrics),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_copy_weights),
        cmocka_unit_test(test_resume_matches),
        cmocka_unit_test(test_curriculum_and_strata),
        cmocka_unit_test(test_records_edited_during_run),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_reject_calibrated),
        cmocka_unit_test(test_banking77_slice),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
