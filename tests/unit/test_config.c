/* Unit tests for src/config: the schema table, value parsing, workspace
 * loading with its error messages, --set, validation, saving and rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "agentft/config.h"
#include "agentft/fileio.h"

/* Room for a message that quotes a path or two. */
#define WANT_MAX (3 * PATH_MAX + AFT_ERROR_MAX)

/* Test-only state: the scratch folder for this run. */
static char tmpdir[PATH_MAX];

static const char *srcdir(void)
{
    const char *s = getenv("SRCDIR");
    return s && *s ? s : ".";
}

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

static void fixture(const char *name, char *buf, size_t size)
{
    char dir[PATH_MAX];
    path_join(dir, sizeof dir, srcdir(), "tests/data/config");
    path_join(buf, size, dir, name);
}

static void tmp_path(const char *name, char *buf, size_t size)
{
    path_join(buf, size, tmpdir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    aft_error err = {0};
    assert_int_equal(aft_read_file(path, &data, &len, &err), 0);
    return data;
}

/* Writes text as NAME in the scratch folder; the full path goes to buf. */
static void tmp_file(const char *name, const char *text, char *buf, size_t size)
{
    tmp_path(name, buf, size);
    write_text(buf, text);
}

static void copy_fixture(const char *name, char *path, size_t size)
{
    char src[PATH_MAX];
    fixture(name, src, sizeof src);
    char *text = read_text(src);
    tmp_file(name, text, path, size);
    free(text);
}

static int group_setup(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "test_config");
}

static int group_teardown(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* ---- schema ---- */

static void test_schema_table(void **state)
{
    (void)state;
    size_t n = 0;
    const aft_key_info *keys = aft_schema(&n);
    assert_int_equal(n, AFT_K_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(keys[i].id, (aft_key)i);
        assert_ptr_equal(aft_schema_key((aft_key)i), &keys[i]);
        assert_non_null(keys[i].help);
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(keys[i].name, keys[j].name);
    }
    assert_null(aft_schema_key(AFT_K_COUNT));
}

static void test_schema_find(void **state)
{
    (void)state;
    assert_int_equal(aft_schema_find("lr")->id, AFT_K_LR);
    assert_int_equal(aft_schema_find("optimizer.lr")->id, AFT_K_LR);
    assert_int_equal(aft_schema_find("dataset.path")->id, AFT_K_DATASET);
    assert_int_equal(aft_schema_find("seed")->id, AFT_K_SEED);
    assert_int_equal(aft_schema_find("optimizer")->id, AFT_K_OPTIMIZER);
    assert_null(aft_schema_find("model.lr"));
    assert_null(aft_schema_find("learning_rate"));
    assert_null(aft_schema_find(""));
    assert_null(aft_schema_find(NULL));
}

static void test_schema_suggest(void **state)
{
    (void)state;
    assert_string_equal(aft_schema_suggest("n_layr"), "n_layer");
    assert_string_equal(aft_schema_suggest("batchsize"), "batch_size");
    assert_string_equal(aft_schema_suggest("LR"), "lr");
    assert_string_equal(aft_schema_suggest("optimizer.lr_"), "optimizer.lr");
    assert_string_equal(aft_schema_suggest("model.n_layr"), "model.n_layer");
    /* names from other tools and their misspellings */
    assert_string_equal(aft_schema_suggest("learning_rate"), "lr");
    assert_string_equal(aft_schema_suggest("learing_rate"), "lr");
    assert_string_equal(aft_schema_suggest("hidden_size"), "d_model");
    assert_null(aft_schema_suggest("lr"));
    assert_null(aft_schema_suggest("a"));
    assert_null(aft_schema_suggest("completely_unrelated"));
    assert_null(aft_schema_suggest(""));
}

static void range_is(aft_key id, const char *expected)
{
    char buf[128];
    aft_schema_describe_range(aft_schema_key(id), buf, sizeof buf);
    assert_string_equal(buf, expected);
}

static void test_schema_describe_range(void **state)
{
    (void)state;
    range_is(AFT_K_N_LAYER, "1..48");
    range_is(AFT_K_SEED, "0..4294967295");
    range_is(AFT_K_LR, "1e-08..10");
    range_is(AFT_K_OPTIMIZER, "one of: adamw, sgd");
    range_is(AFT_K_SAMPLING, "one of: shuffle, curriculum, stratified");
    range_is(AFT_K_STRICT, "true or false");
    range_is(AFT_K_NAME, "any text");
    range_is(AFT_K_DATASET, "a path");
    char tiny[6];
    aft_schema_describe_range(aft_schema_key(AFT_K_SAMPLING), tiny, sizeof tiny);
    assert_string_equal(tiny, "one o");
}

/* ---- values ---- */

static void test_defaults(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    assert_non_null(cfg);
    assert_int_equal(aft_config_int(cfg, AFT_K_N_LAYER), 4);
    assert_int_equal(aft_config_int(cfg, AFT_K_SEED), 42);
    assert_true(aft_config_float(cfg, AFT_K_LR) == 3e-4);
    assert_string_equal(aft_config_text(cfg, AFT_K_LR), "3e-4");
    assert_string_equal(aft_config_string(cfg, AFT_K_OPTIMIZER), "adamw");
    assert_false(aft_config_bool(cfg, AFT_K_STRICT));
    assert_true(aft_config_bool(cfg, AFT_K_LM_TARGET_ONLY));
    assert_string_equal(aft_config_string(cfg, AFT_K_DATASET), "");
    assert_string_equal(aft_config_string(cfg, AFT_K_RUNS_DIR), "runs");
    assert_null(aft_config_path(cfg));
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        assert_int_equal(aft_config_origin(cfg, (aft_key)i), AFT_ORIGIN_DEFAULT);
        assert_int_equal(aft_config_line(cfg, (aft_key)i), 0);
    }
    aft_config_free(cfg);
}

/* A default outside its own range would make every fresh config invalid. */
static void test_defaults_in_range(void **state)
{
    (void)state;
    size_t n;
    const aft_key_info *keys = aft_schema(&n);
    aft_config *cfg = aft_config_new();
    for (size_t i = 0; i < n; i++) {
        aft_error err = {0};
        int rc = aft_config_set(cfg, keys[i].id, keys[i].def, AFT_ORIGIN_DEFAULT, &err);
        if (rc != 0)
            fail_msg("default of %s: %s", keys[i].name, err.msg);
        if (keys[i].type == AFT_T_INT || keys[i].type == AFT_T_FLOAT) {
            double v = aft_config_float(cfg, keys[i].id);
            assert_true(keys[i].min <= keys[i].max);
            assert_true(v >= keys[i].min && v <= keys[i].max);
        }
        if (keys[i].type == AFT_T_ENUM)
            assert_non_null(strstr(keys[i].choices, keys[i].def));
    }
    aft_config_free(cfg);
}

static void set_ok(aft_config *cfg, aft_key id, const char *text)
{
    aft_error err = {0};
    if (aft_config_set(cfg, id, text, AFT_ORIGIN_SET, &err) != 0)
        fail_msg("setting %s to \"%s\": %s", aft_schema_key(id)->name, text, err.msg);
}

static void set_fails(aft_config *cfg, aft_key id, const char *text, const char *expected)
{
    aft_error err = {0};
    char before[256];
    snprintf(before, sizeof before, "%s", aft_config_text(cfg, id));
    assert_int_equal(aft_config_set(cfg, id, text, AFT_ORIGIN_SET, &err), -1);
    assert_true(err.set);
    if (expected)
        assert_string_equal(err.msg, expected);
    assert_string_equal(aft_config_text(cfg, id), before); /* unchanged */
}

static void test_parse_int(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    set_ok(cfg, AFT_K_N_LAYER, "12");
    assert_int_equal(aft_config_int(cfg, AFT_K_N_LAYER), 12);
    set_ok(cfg, AFT_K_N_LAYER, "+7");
    assert_string_equal(aft_config_text(cfg, AFT_K_N_LAYER), "7");
    set_ok(cfg, AFT_K_N_LAYER, " 48 ");
    assert_int_equal(aft_config_int(cfg, AFT_K_N_LAYER), 48);
    set_ok(cfg, AFT_K_SEED, "4294967295");
    assert_int_equal(aft_config_int(cfg, AFT_K_SEED), 4294967295LL);
    set_ok(cfg, AFT_K_MAX_STEPS, "1000000000000");
    set_fails(cfg, AFT_K_N_LAYER, "1.5", "n_layer = 1.5 is not a whole number (allowed 1..48)");
    set_fails(cfg, AFT_K_N_LAYER, "abc", "n_layer = abc is not a whole number (allowed 1..48)");
    set_fails(cfg, AFT_K_N_LAYER, "1e3", NULL);
    set_fails(cfg, AFT_K_N_LAYER, "0x10", NULL);
    set_fails(cfg, AFT_K_N_LAYER, "", "n_layer has no value (allowed 1..48)");
    set_fails(cfg, AFT_K_N_LAYER, "49", "n_layer = 49 is out of range (allowed 1..48)");
    set_fails(cfg, AFT_K_N_LAYER, "0", "n_layer = 0 is out of range (allowed 1..48)");
    set_fails(cfg, AFT_K_SEED, "99999999999999999999",
              "seed = 99999999999999999999 is out of range (allowed 0..4294967295)");
    set_fails(cfg, AFT_K_SEED, "-1", "seed = -1 is out of range (allowed 0..4294967295)");
    aft_config_free(cfg);
}

static void test_parse_float(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    set_ok(cfg, AFT_K_LR, "1e-4");
    assert_true(aft_config_float(cfg, AFT_K_LR) == 1e-4);
    assert_string_equal(aft_config_text(cfg, AFT_K_LR), "1e-4"); /* as written */
    set_ok(cfg, AFT_K_LR, "0.001");
    set_ok(cfg, AFT_K_LR, "1e-8"); /* the bounds are allowed */
    set_ok(cfg, AFT_K_LR, "10");
    set_ok(cfg, AFT_K_DROPOUT, "0");
    set_fails(cfg, AFT_K_LR, "50", "lr = 50 is out of range (allowed 1e-08..10)");
    set_fails(cfg, AFT_K_LR, "1e-9", "lr = 1e-9 is out of range (allowed 1e-08..10)");
    set_fails(cfg, AFT_K_LR, "1e999", "lr = 1e999 is out of range (allowed 1e-08..10)");
    set_fails(cfg, AFT_K_LR, "nan", "lr = nan is not a number (allowed 1e-08..10)");
    set_fails(cfg, AFT_K_LR, "inf", NULL);
    set_fails(cfg, AFT_K_LR, "-inf", NULL);
    set_fails(cfg, AFT_K_LR, ".inf", NULL);
    set_fails(cfg, AFT_K_LR, "0x1p-3", NULL);
    set_fails(cfg, AFT_K_LR, "1e-4x", "lr = 1e-4x is not a number (allowed 1e-08..10)");
    set_fails(cfg, AFT_K_LR, "abc", NULL);
    set_fails(cfg, AFT_K_LR, "e", NULL);
    set_fails(cfg, AFT_K_LR, "", "lr has no value (allowed 1e-08..10)");
    aft_config_free(cfg);
}

static void test_parse_bool_enum_text(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    static const char *const yes[] = {"true", "yes", "on", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "off", "False", "OFF"};
    for (size_t i = 0; i < 5; i++) {
        set_ok(cfg, AFT_K_STRICT, yes[i]);
        assert_true(aft_config_bool(cfg, AFT_K_STRICT));
        assert_string_equal(aft_config_text(cfg, AFT_K_STRICT), "true");
        set_ok(cfg, AFT_K_STRICT, no[i]);
        assert_false(aft_config_bool(cfg, AFT_K_STRICT));
        assert_string_equal(aft_config_text(cfg, AFT_K_STRICT), "false");
    }
    set_fails(cfg, AFT_K_STRICT, "maybe",
              "strict = maybe is not true or false (yes/no and on/off also work)");
    set_fails(cfg, AFT_K_STRICT, "1", NULL);

    set_ok(cfg, AFT_K_OPTIMIZER, "sgd");
    assert_string_equal(aft_config_string(cfg, AFT_K_OPTIMIZER), "sgd");
    set_ok(cfg, AFT_K_OPTIMIZER, "AdamW");
    assert_string_equal(aft_config_string(cfg, AFT_K_OPTIMIZER), "adamw");
    set_fails(cfg, AFT_K_OPTIMIZER, "adam",
              "optimizer = adam is not allowed (one of: adamw, sgd)");
    set_fails(cfg, AFT_K_OPTIMIZER, "adamw|sgd", NULL);

    set_ok(cfg, AFT_K_NAME, "  any: text # at all ");
    assert_string_equal(aft_config_string(cfg, AFT_K_NAME), "  any: text # at all ");
    set_fails(cfg, AFT_K_NAME, "bad \xff byte", "name is not valid UTF-8 text");
    set_ok(cfg, AFT_K_NAME, "航班助手");
    set_ok(cfg, AFT_K_DATASET, "data/x.jsonl");
    assert_string_equal(aft_config_string(cfg, AFT_K_DATASET), "data/x.jsonl"); /* no workspace */
    assert_int_equal(aft_config_origin(cfg, AFT_K_DATASET), AFT_ORIGIN_SET);

    aft_error err = {0};
    assert_int_equal(aft_config_set(cfg, AFT_K_LR, "5e-4", AFT_ORIGIN_LIVE, &err), 0);
    assert_int_equal(aft_config_origin(cfg, AFT_K_LR), AFT_ORIGIN_LIVE);
    assert_int_equal(aft_config_line(cfg, AFT_K_LR), 0);
    aft_config_free(cfg);
}

static void test_clone(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    set_ok(cfg, AFT_K_NAME, "original");
    aft_config *copy = aft_config_clone(cfg);
    assert_non_null(copy);
    set_ok(cfg, AFT_K_NAME, "changed");
    assert_string_equal(aft_config_text(copy, AFT_K_NAME), "original");
    assert_int_equal(aft_config_origin(copy, AFT_K_NAME), AFT_ORIGIN_SET);
    aft_config_free(cfg);
    aft_config_free(copy);
}

/* ---- loading ---- */

static void test_load_basic(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture("basic.yaml", path, sizeof path);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_string_equal(aft_config_path(cfg), path);
    assert_string_equal(aft_config_text(cfg, AFT_K_NAME), "flight agent");
    assert_string_equal(aft_config_text(cfg, AFT_K_DATASET), "data/flights.jsonl");
    assert_int_equal(aft_config_int(cfg, AFT_K_N_LAYER), 2);
    assert_int_equal(aft_config_int(cfg, AFT_K_D_MODEL), 64);
    assert_int_equal(aft_config_int(cfg, AFT_K_LORA_RANK), 8);
    assert_string_equal(aft_config_string(cfg, AFT_K_OPTIMIZER), "sgd");
    assert_true(aft_config_float(cfg, AFT_K_LR) == 1e-3);
    assert_int_equal(aft_config_int(cfg, AFT_K_EPOCHS), 3);
    assert_false(aft_config_bool(cfg, AFT_K_LM_TARGET_ONLY));
    assert_string_equal(aft_config_string(cfg, AFT_K_SAMPLING), "curriculum");
    assert_int_equal(aft_config_origin(cfg, AFT_K_N_LAYER), AFT_ORIGIN_FILE);
    assert_int_equal(aft_config_origin(cfg, AFT_K_N_HEAD), AFT_ORIGIN_DEFAULT);
    assert_int_equal(aft_config_line(cfg, AFT_K_NAME), 2);
    assert_int_equal(aft_config_line(cfg, AFT_K_DATASET), 3);
    assert_int_equal(aft_config_line(cfg, AFT_K_N_LAYER), 6);
    assert_int_equal(aft_config_line(cfg, AFT_K_LR), 10);
    assert_int_equal(aft_config_line(cfg, AFT_K_SAMPLING), 15);
    assert_int_equal(aft_config_line(cfg, AFT_K_RUNS_DIR), 16);
    assert_int_equal(aft_config_line(cfg, AFT_K_N_HEAD), 0);
    aft_config_free(cfg);
}

static void test_load_empty_and_comments(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "# nothing yet\n", "---\n", "~\n", "{}\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char path[PATH_MAX];
        tmp_file("empty.yaml", texts[i], path, sizeof path);
        aft_error err = {0};
        aft_config *cfg = aft_workspace_load(path, &err);
        if (!cfg)
            fail_msg("\"%s\": %s", texts[i], err.msg);
        assert_int_equal(aft_config_int(cfg, AFT_K_N_LAYER), 4);
        aft_config_free(cfg);
    }
}

static void test_path_resolution(void **state)
{
    (void)state;
    char sub[PATH_MAX], path[PATH_MAX], want[PATH_MAX + 64];
    tmp_path("proj", sub, sizeof sub);
    mkdir(sub, 0755);
    tmp_file("proj/ws.yaml",
             "dataset:\n  path: data/all.jsonl\n  train: /abs/train.jsonl\n"
             "model:\n  tokenizer: \"\"\n",
             path, sizeof path);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    snprintf(want, sizeof want, "%s/data/all.jsonl", sub);
    assert_string_equal(aft_config_string(cfg, AFT_K_DATASET), want);
    assert_string_equal(aft_config_text(cfg, AFT_K_DATASET), "data/all.jsonl");
    assert_string_equal(aft_config_string(cfg, AFT_K_TRAIN_FILE), "/abs/train.jsonl");
    assert_string_equal(aft_config_string(cfg, AFT_K_TOKENIZER), "");
    snprintf(want, sizeof want, "%s/runs", sub); /* defaults resolve too */
    assert_string_equal(aft_config_string(cfg, AFT_K_RUNS_DIR), want);
    /* values set later resolve against the same folder */
    assert_int_equal(aft_config_set_arg(cfg, "valid=v.jsonl", &err), 0);
    snprintf(want, sizeof want, "%s/v.jsonl", sub);
    assert_string_equal(aft_config_string(cfg, AFT_K_VALID_FILE), want);
    aft_config_free(cfg);
}

/* Loads text that must fail; the message must be exactly expected, where
 * each %s stands for the file's path. */
static void load_fails(const char *text, const char *expected)
{
    char path[PATH_MAX], want[WANT_MAX];
    tmp_file("bad.yaml", text, path, sizeof path);
    snprintf(want, sizeof want, expected, path, path, path);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    assert_null(cfg);
    assert_true(err.set);
    assert_string_equal(err.msg, want);
}

static void test_load_unknown_key(void **state)
{
    (void)state;
    load_fails("model:\n  n_layer: 2\n\noptimizer:\n  weight_decay: 0.1\n\n"
               "  learing_rate: 0.1\n",
               "%s:7:3: unknown key \"learing_rate\" in section \"optimizer\" "
               "(did you mean \"lr\"?)");
    load_fails("modle:\n  n_layer: 2\n", "%s:1:1: unknown key \"modle\" (did you mean \"model\"?)");
    load_fails("model:\n  n_layr: 2\n",
               "%s:2:3: unknown key \"n_layr\" in section \"model\" (did you mean \"n_layer\"?)");
    load_fails("model:\n  batchsize: 2\n",
               "%s:2:3: unknown key \"batchsize\" in section \"model\" "
               "(did you mean \"batch_size\" in section \"train\"?)");
    load_fails("zzz: 1\n", "%s:1:1: unknown key \"zzz\"");
    load_fails("optimizer.lr: 1\n",
               "%s:1:1: unknown key \"optimizer.lr\" (write it as \"lr\" under optimizer:)");
}

static void test_load_out_of_range(void **state)
{
    (void)state;
    load_fails("optimizer:\n  lr: 50\n", "%s:2:7: lr = 50 is out of range (allowed 1e-08..10)");
    load_fails("model: {n_layer: 1.5}\n",
               "%s:1:18: n_layer = 1.5 is not a whole number (allowed 1..48)");
    load_fails("optimizer: {optimizer: adam}\n",
               "%s:1:24: optimizer = adam is not allowed (one of: adamw, sgd)");
    load_fails("seed:\n", "%s:1:6: seed has no value (allowed 0..4294967295)");
}

static void test_load_wrong_section(void **state)
{
    (void)state;
    load_fails("lr: 0.1\n", "%s:1:1: key \"lr\" belongs in section \"optimizer\"");
    load_fails("model:\n  lr: 0.1\n",
               "%s:2:3: key \"lr\" belongs in section \"optimizer\", not \"model\"");
    load_fails("model:\n  seed: 1\n",
               "%s:2:3: key \"seed\" is a top-level key, not part of section \"model\"");
}

static void test_load_duplicate(void **state)
{
    (void)state;
    load_fails("optimizer:\n  lr: 0.1\n  lr: 0.2\n",
               "%s:3:3: duplicate key \"lr\" in section \"optimizer\" (first at line 2)");
    load_fails("seed: 1\nmodel: {}\nseed: 2\n", "%s:3:1: duplicate key \"seed\" (first at line 1)");
}

static void test_load_wrong_kind(void **state)
{
    (void)state;
    load_fails("model:\n  d_model: [64, 128]\n",
               "%s:2:12: d_model must be a single value, not a list");
    load_fails("model:\n  d_model:\n    a: 1\n",
               "%s:3:5: d_model must be a single value, not a mapping");
    load_fails("model:\n  - n_layer\n", "%s:2:3: section \"model\" must be a mapping of keys, not a list");
    load_fails("model: 4\n", "%s:1:8: section \"model\" must hold keys (a mapping such as "
                             "`model: {key: value}`), not a single value");
    load_fails("- a\n- b\n",
               "%s:1:1: a workspace is a mapping of keys (such as `model: {n_layer: 4}`), "
               "not a list");
    load_fails("seed: &s 1\nthreads: *s\n",
               "%s:2:10: threads must be a single value, not an alias (*name; aliases are not "
               "supported)");
    load_fails("[a]: 1\n", "%s:1:1: a key must be a plain name, not a list");
    load_fails("seed: 1\n---\nseed: 2\n",
               "%s:2:1: a workspace is one YAML document; found a second one");
}

static void test_load_syntax_error(void **state)
{
    (void)state;
    char path[PATH_MAX], want[WANT_MAX];
    fixture("syntax.yaml", path, sizeof path);
    aft_error err = {0};
    assert_null(aft_workspace_load(path, &err));
    snprintf(want, sizeof want,
             "%s:4:10: did not find expected ',' or ']' (while parsing a flow sequence started "
             "at line 3, column 12)",
             path);
    assert_string_equal(err.msg, want);
    load_fails("a: 1\n  b: 2\n", "%s:2:4: mapping values are not allowed in this context");
    load_fails("seed: 1\nname: \xff\n", "%s:2:7: invalid leading UTF-8 octet");
}

static void test_load_missing_file(void **state)
{
    (void)state;
    char path[PATH_MAX], want[PATH_MAX + 128];
    tmp_path("does-not-exist.yaml", path, sizeof path);
    aft_error err = {0};
    assert_null(aft_workspace_load(path, &err));
    snprintf(want, sizeof want, "cannot read the workspace: %s: No such file or directory", path);
    assert_string_equal(err.msg, want);
}

/* Loaded by a short relative name, so that all the messages fit in one
 * aft_error; the truncation test covers a longer list. */
static void test_load_collects_all_errors(void **state)
{
    (void)state;
    char path[PATH_MAX], want[WANT_MAX], cwd[PATH_MAX];
    copy_fixture("errors.yaml", path, sizeof path);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir), 0);
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load("errors.yaml", &err);
    assert_int_equal(chdir(cwd), 0);
    assert_null(cfg);
    const char *expected[] = {
        "2:7: seed = -1 is out of range (allowed 0..4294967295)",
        "4:12: n_layer = 1.5 is not a whole number (allowed 1..48)",
        "5:3: key \"seed\" is a top-level key, not part of section \"model\"",
        "6:12: d_model must be a single value, not a list",
        "8:3: unknown key \"learing_rate\" in section \"optimizer\" (did you mean \"lr\"?)",
        "9:7: lr = 50 is out of range (allowed 1e-08..10)",
        "10:3: duplicate key \"lr\" in section \"optimizer\" (first at line 9)",
        "11:1: key \"lr\" belongs in section \"optimizer\"",
        "12:1: unknown key \"modle\" (did you mean \"model\"?)",
        "14:34: strict = maybe is not true or false (yes/no and on/off also work)",
        ("15:8: section \"train\" must hold keys (a mapping such as `train: {key: value}`), not "
         "a single value (did you mean \"train\" in section \"dataset\"?)"),
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        used += (size_t)snprintf(want + used, sizeof want - used, "%serrors.yaml:%s",
                                 i ? "\n" : "", expected[i]);
    assert_string_equal(err.msg, want);
}

static void test_load_truncates_gracefully(void **state)
{
    (void)state;
    char text[8192] = "";
    size_t used = 0;
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "unknown_%03d: 1\n", i);
    char path[PATH_MAX];
    tmp_file("many.yaml", text, path, sizeof path);
    aft_error err = {0};
    assert_null(aft_workspace_load(path, &err));
    size_t len = strlen(err.msg);
    assert_true(len < AFT_ERROR_MAX);
    const char *last = strrchr(err.msg, '\n');
    assert_non_null(last);
    assert_non_null(strstr(last, " more problems)"));
    /* every line before the note is whole */
    char first[PATH_MAX + 64];
    snprintf(first, sizeof first, "%s:1:1: unknown key \"unknown_000\"\n", path);
    assert_memory_equal(err.msg, first, strlen(first));
    int shown = 0;
    for (const char *p = err.msg; (p = strstr(p, "unknown key")) != NULL; p++)
        shown++;
    char note[64];
    snprintf(note, sizeof note, "\n(and %d more problems)", 100 - shown);
    assert_string_equal(last, note);
}

/* ---- --set ---- */

static void test_set_arg(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    aft_error err = {0};
    assert_int_equal(aft_config_set_arg(cfg, "lr=1e-4", &err), 0);
    assert_true(aft_config_float(cfg, AFT_K_LR) == 1e-4);
    assert_int_equal(aft_config_origin(cfg, AFT_K_LR), AFT_ORIGIN_SET);
    assert_int_equal(aft_config_set_arg(cfg, "optimizer.lr=2e-4", &err), 0);
    assert_true(aft_config_float(cfg, AFT_K_LR) == 2e-4);
    assert_int_equal(aft_config_set_arg(cfg, " model.n_layer = 6 ", &err), 0);
    assert_int_equal(aft_config_int(cfg, AFT_K_N_LAYER), 6);
    assert_int_equal(aft_config_set_arg(cfg, "dataset=d.jsonl", &err), 0);
    assert_string_equal(aft_config_text(cfg, AFT_K_DATASET), "d.jsonl");
    assert_int_equal(aft_config_set_arg(cfg, "name=a=b", &err), 0);
    assert_string_equal(aft_config_text(cfg, AFT_K_NAME), "a=b");

    assert_int_equal(aft_config_set_arg(cfg, "learing_rate=0.1", &err), -1);
    assert_string_equal(err.msg, "--set: unknown key \"learing_rate\" (did you mean \"lr\"?)");
    assert_int_equal(aft_config_set_arg(cfg, "optimizer.lrr=0.1", &err), -1);
    assert_string_equal(err.msg,
                        "--set: unknown key \"optimizer.lrr\" (did you mean \"optimizer.lr\"?)");
    assert_int_equal(aft_config_set_arg(cfg, "zzz=1", &err), -1);
    assert_string_equal(err.msg, "--set: unknown key \"zzz\"");
    assert_int_equal(aft_config_set_arg(cfg, "model.lr=0.1", &err), -1);
    assert_string_equal(err.msg,
                        "--set: key \"lr\" is in section \"optimizer\" (use optimizer.lr or lr)");
    assert_int_equal(aft_config_set_arg(cfg, "lr", &err), -1);
    assert_string_equal(err.msg, "--set lr: expected KEY=VALUE or SECTION.KEY=VALUE, "
                                 "e.g. --set lr=1e-4 or --set optimizer.lr=1e-4");
    assert_int_equal(aft_config_set_arg(cfg, "=1", &err), -1);
    assert_string_equal(err.msg, "--set =1: the key is missing before '='");
    assert_int_equal(aft_config_set_arg(cfg, "lr=50", &err), -1);
    assert_string_equal(err.msg, "--set: lr = 50 is out of range (allowed 1e-08..10)");
    assert_true(aft_config_float(cfg, AFT_K_LR) == 2e-4);
    aft_config_free(cfg);
}

/* ---- validation ---- */

static void test_validate(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    aft_error err = {0};
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    assert_string_equal(err.msg, "no dataset: give dataset.path (one JSONL file with a split "
                                 "field) or dataset.train");
    set_ok(cfg, AFT_K_DATASET, "d.jsonl");
    assert_int_equal(aft_config_validate(cfg, &err), 0);

    set_ok(cfg, AFT_K_D_MODEL, "100");
    set_ok(cfg, AFT_K_N_HEAD, "3");
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    assert_string_equal(err.msg,
                        "d_model = 100 (--set) must be divisible by n_head = 3 (--set)");
    set_ok(cfg, AFT_K_N_HEAD, "4");

    set_ok(cfg, AFT_K_TRAIN_FILE, "t.jsonl");
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    assert_string_equal(err.msg, "dataset.path and dataset.train are both given; use one of them");
    set_ok(cfg, AFT_K_DATASET, "");
    assert_int_equal(aft_config_validate(cfg, &err), 0);

    set_ok(cfg, AFT_K_SPLIT_VALID, "0.5");
    set_ok(cfg, AFT_K_SPLIT_TEST, "0.5");
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    assert_string_equal(err.msg, "valid_fraction = 0.5 (--set) plus test_fraction = 0.5 (--set) "
                                 "leaves nothing to train on (their sum must be below 1)");
    set_ok(cfg, AFT_K_SPLIT_TEST, "0.4");
    assert_int_equal(aft_config_validate(cfg, &err), 0);

    set_ok(cfg, AFT_K_FREEZE_LAYERS, "5");
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    assert_string_equal(err.msg, "freeze_layers = 5 (--set) is more than n_layer = 4 (default)");
    set_ok(cfg, AFT_K_FREEZE_LAYERS, "4");
    set_ok(cfg, AFT_K_LORA_RANK, "8"); /* LoRA with frozen layers is fine */
    assert_int_equal(aft_config_validate(cfg, &err), 0);

    /* several problems at once, one a line */
    set_ok(cfg, AFT_K_N_HEAD, "3");
    set_ok(cfg, AFT_K_FREEZE_LAYERS, "9");
    assert_int_equal(aft_config_validate(cfg, &err), -1);
    assert_string_equal(err.msg, "d_model = 100 (--set) must be divisible by n_head = 3 (--set)\n"
                                 "freeze_layers = 9 (--set) is more than n_layer = 4 (default)");
    aft_config_free(cfg);
}

/* ---- saving ---- */

static aft_config *load_ok(const char *path)
{
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    return cfg;
}

static void set_arg_ok(aft_config *cfg, const char *arg)
{
    aft_error err = {0};
    if (aft_config_set_arg(cfg, arg, &err) != 0)
        fail_msg("--set %s: %s", arg, err.msg);
}

static void save_ok(aft_config *cfg)
{
    aft_error err = {0};
    if (aft_workspace_save(cfg, &err) != 0)
        fail_msg("save: %s", err.msg);
}

/* Every value the config holds reads back the same from its file. */
static void assert_same_values(const aft_config *a, const aft_config *b)
{
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        const char *x = aft_config_string(a, (aft_key)i), *y = aft_config_string(b, (aft_key)i);
        if (strcmp(x, y) != 0)
            fail_msg("%s: \"%s\" vs \"%s\"", aft_schema_key((aft_key)i)->name, x, y);
    }
}

static void test_save_changes_one_value_adds_one_key(void **state)
{
    (void)state;
    char path[PATH_MAX];
    copy_fixture("save.yaml", path, sizeof path);
    aft_config *cfg = load_ok(path);
    set_arg_ok(cfg, "lr=1e-4");
    set_arg_ok(cfg, "n_head=8");
    save_ok(cfg);
    char *text = read_text(path);
    assert_string_equal(text,
                        "# Workspace for the save test: comments and layout must survive.\n"
                        "name: \"flight agent\"   # quoted on purpose\n"
                        "dataset: data.jsonl\n"
                        "\n"
                        "model:\n"
                        "  n_layer: 4           # blocks\n"
                        "  d_model: 128\n"
                        "  n_head: 8\n"
                        "\n"
                        "  # LoRA later\n"
                        "optimizer:\n"
                        "  lr: 1e-4             # peak\n"
                        "  weight_decay: 0.01\n"
                        "\n"
                        "# trailing comment\n");
    free(text);
    /* the config now knows where its values are in the file */
    assert_int_equal(aft_config_origin(cfg, AFT_K_N_HEAD), AFT_ORIGIN_FILE);
    assert_int_equal(aft_config_line(cfg, AFT_K_N_HEAD), 8);
    aft_config *again = load_ok(path);
    assert_same_values(cfg, again);
    assert_int_equal(aft_config_int(again, AFT_K_N_HEAD), 8);
    aft_config_free(again);
    aft_config_free(cfg);
}

static void test_save_new_sections_and_shorthand(void **state)
{
    (void)state;
    char path[PATH_MAX];
    copy_fixture("save.yaml", path, sizeof path);
    aft_config *cfg = load_ok(path);
    set_arg_ok(cfg, "name=agent \"two\"");
    set_arg_ok(cfg, "strict=true");
    set_arg_ok(cfg, "seed=7");
    set_arg_ok(cfg, "epochs=5");
    set_arg_ok(cfg, "theme=");
    aft_error err = {0};
    assert_int_equal(aft_config_set(cfg, AFT_K_BETA2, "0.99", AFT_ORIGIN_LIVE, &err), 0);
    save_ok(cfg);
    char *text = read_text(path);
    assert_string_equal(text,
                        "# Workspace for the save test: comments and layout must survive.\n"
                        "name: \"agent \\\"two\\\"\"   # quoted on purpose\n"
                        "dataset:\n"
                        "  path: data.jsonl\n"
                        "  strict: true\n"
                        "\n"
                        "model:\n"
                        "  n_layer: 4           # blocks\n"
                        "  d_model: 128\n"
                        "\n"
                        "  # LoRA later\n"
                        "optimizer:\n"
                        "  lr: 3e-4             # peak\n"
                        "  weight_decay: 0.01\n"
                        "  beta2: 0.99\n"
                        "theme: \"\"\n"
                        "seed: 7\n"
                        "train:\n"
                        "  epochs: 5\n"
                        "\n"
                        "# trailing comment\n");
    free(text);
    aft_config *again = load_ok(path);
    assert_same_values(cfg, again);
    aft_config_free(again);
    aft_config_free(cfg);
}

static void test_save_flow_and_styles(void **state)
{
    (void)state;
    char path[PATH_MAX];
    tmp_file("flow.yaml",
             "name: 'it''s'\n"
             "model: {n_layer: 2}  # flow\n"
             "optimizer: {}\n"
             "theme: |\n"
             "  dark\n"
             "runs:\n",
             path, sizeof path);
    aft_config *cfg = load_ok(path);
    assert_string_equal(aft_config_text(cfg, AFT_K_NAME), "it's");
    assert_string_equal(aft_config_text(cfg, AFT_K_THEME), "dark\n");
    assert_string_equal(aft_config_text(cfg, AFT_K_RUNS_DIR), ""); /* `runs:` is empty */
    set_arg_ok(cfg, "name=won't");
    set_arg_ok(cfg, "d_model=256");
    set_arg_ok(cfg, "lr=0.01");
    set_arg_ok(cfg, "optimizer=sgd");
    set_arg_ok(cfg, "theme=light");
    set_arg_ok(cfg, "runs=out/runs");
    save_ok(cfg);
    char *text = read_text(path);
    assert_string_equal(text,
                        "name: 'won''t'\n"
                        "model: {n_layer: 2, d_model: 256}  # flow\n"
                        "optimizer: {optimizer: sgd, lr: 0.01}\n"
                        "theme: \"light\"\n"
                        "runs: out/runs\n");
    free(text);
    aft_config *again = load_ok(path);
    assert_same_values(cfg, again);
    aft_config_free(again);
    aft_config_free(cfg);
}

static void test_save_unchanged_is_byte_identical(void **state)
{
    (void)state;
    char path[PATH_MAX], src[PATH_MAX];
    copy_fixture("save.yaml", path, sizeof path);
    fixture("save.yaml", src, sizeof src);
    aft_config *cfg = load_ok(path);
    set_arg_ok(cfg, "lr=0.0003"); /* the same number as the file's 3e-4 */
    save_ok(cfg);
    char *before = read_text(src), *after = read_text(path);
    assert_string_equal(after, before);
    free(before);
    free(after);
    aft_config_free(cfg);
}

static void test_save_crlf_and_no_final_newline(void **state)
{
    (void)state;
    char path[PATH_MAX];
    tmp_file("crlf.yaml", "model:\r\n  n_layer: 4\r\n", path, sizeof path);
    aft_config *cfg = load_ok(path);
    set_arg_ok(cfg, "d_model=64");
    save_ok(cfg);
    char *text = read_text(path);
    assert_string_equal(text, "model:\r\n  n_layer: 4\r\n  d_model: 64\r\n");
    free(text);
    aft_config_free(cfg);

    tmp_file("nonl.yaml", "seed: 1", path, sizeof path);
    cfg = load_ok(path);
    set_arg_ok(cfg, "threads=2");
    save_ok(cfg);
    text = read_text(path);
    assert_string_equal(text, "seed: 1\nthreads: 2\n");
    free(text);
    aft_config_free(cfg);
}

static void test_save_errors(void **state)
{
    (void)state;
    aft_config *cfg = aft_config_new();
    aft_error err = {0};
    assert_int_equal(aft_workspace_save(cfg, &err), -1);
    assert_string_equal(err.msg, "this configuration has no workspace file to save to");
    aft_config_free(cfg);

    /* a file broken since it was loaded is not overwritten */
    char path[PATH_MAX], want[WANT_MAX];
    tmp_file("broken.yaml", "seed: 1\n", path, sizeof path);
    cfg = load_ok(path);
    set_arg_ok(cfg, "seed=2");
    write_text(path, "seed: [\n");
    assert_int_equal(aft_workspace_save(cfg, &err), -1);
    snprintf(want, sizeof want, "cannot save %s, fix the file first: %s:2:1: ", path, path);
    assert_memory_equal(err.msg, want, strlen(want));
    char *text = read_text(path);
    assert_string_equal(text, "seed: [\n");
    free(text);
    aft_config_free(cfg);
}

/* ---- rendering ---- */

static void test_render(void **state)
{
    (void)state;
    char path[PATH_MAX];
    fixture("basic.yaml", path, sizeof path);
    aft_config *cfg = load_ok(path);
    set_arg_ok(cfg, "n_head=2");
    char *out = aft_config_render(cfg);
    assert_non_null(out);
    assert_non_null(strstr(out, "\nmodel:\n  init: scratch"));
    assert_non_null(strstr(out, "  n_layer: 2                   # basic.yaml:6\n"));
    assert_non_null(strstr(out, "  n_head: 2                    # --set\n"));
    assert_non_null(strstr(out, "  vocab_size: 4096             # default\n"));
    assert_non_null(strstr(out, "  tokenizer: \"\"                # default\n"));
    assert_non_null(strstr(out, "name: flight agent             # basic.yaml:2\n"));
    /* comments line up, except after a value too long to wait for */
    size_t aligned = 0;
    for (const char *line = out; *line; line = strchr(line, '\n') + 1) {
        const char *hash = strstr(line, "  # ");
        if (!hash || hash > strchr(line, '\n'))
            continue; /* a section's own line */
        if (hash - line == 29)
            aligned++;
        else
            assert_true(hash - line > 29 && hash[-1] != ' ');
    }
    assert_true(aligned > 50);
    /* sections come in schema order */
    assert_true(strstr(out, "dataset:\n") < strstr(out, "model:\n"));
    assert_true(strstr(out, "model:\n") < strstr(out, "optimizer:\n"));
    assert_true(strstr(out, "eval:\n") < strstr(out, "split:\n"));
    free(out);
    aft_config_free(cfg);
}

static void test_render_round_trip(void **state)
{
    (void)state;
    char path[PATH_MAX], other[PATH_MAX], dir[PATH_MAX];
    fixture("basic.yaml", path, sizeof path);
    aft_config *cfg = load_ok(path);
    static const char *const sets[] = {
        "name=yes",        "theme=a: b # c", "init=",      "lr=5e-4",
        "strict=on",       "tokenizer=tok/tokenizer.json", "valid=v.jsonl",
        "seed=4294967295",
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        set_arg_ok(cfg, sets[i]);
    aft_error err = {0};
    assert_int_equal(aft_config_set(cfg, AFT_K_EPOCHS, "7", AFT_ORIGIN_LIVE, &err), 0);
    assert_int_equal(aft_config_set(cfg, AFT_K_INIT, "two\nlines\t\"q\"", AFT_ORIGIN_SET, &err),
                     0);
    char *out = aft_config_render(cfg);
    assert_non_null(out);
    assert_non_null(strstr(out, "# live\n"));
    /* read back from another folder: resolved paths must still match */
    tmp_path("rendered", dir, sizeof dir);
    mkdir(dir, 0755);
    tmp_file("rendered/config.yaml", out, other, sizeof other);
    aft_config *back = load_ok(other);
    assert_same_values(cfg, back);
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        assert_int_equal(aft_config_origin(back, (aft_key)i), AFT_ORIGIN_FILE);
    aft_config_free(back);
    free(out);
    aft_config_free(cfg);

    cfg = aft_config_new(); /* no workspace: paths stay as given */
    out = aft_config_render(cfg);
    assert_non_null(strstr(out, "runs: runs "));
    free(out);
    aft_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_schema_find),
        cmocka_unit_test(test_schema_suggest),
        cmocka_unit_test(test_schema_describe_range),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_defaults_in_range),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_float),
        cmocka_unit_test(test_parse_bool_enum_text),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_load_basic),
        cmocka_unit_test(test_load_empty_and_comments),
        cmocka_unit_test(test_path_resolution),
        cmocka_unit_test(test_load_unknown_key),
        cmocka_unit_test(test_load_out_of_range),
        cmocka_unit_test(test_load_wrong_section),
        cmocka_unit_test(test_load_duplicate),
        cmocka_unit_test(test_load_wrong_kind),
        cmocka_unit_test(test_load_syntax_error),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_load_collects_all_errors),
        cmocka_unit_test(test_load_truncates_gracefully),
        cmocka_unit_test(test_set_arg),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_save_changes_one_value_adds_one_key),
        cmocka_unit_test(test_save_new_sections_and_shorthand),
        cmocka_unit_test(test_save_flow_and_styles),
        cmocka_unit_test(test_save_unchanged_is_byte_identical),
        cmocka_unit_test(test_save_crlf_and_no_final_newline),
        cmocka_unit_test(test_save_errors),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_round_trip),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
