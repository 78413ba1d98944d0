/* Unit tests of safetensors.c, checkpoint.c and checkpoint_optim.c: round
 * trips, every validation error, truncated and bit-flipped files, Hugging
 * Face style folders, action heads and optimizer state. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "agentft/checkpoint.h"
#include "agentft/rng.h"

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "checkpoint");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

/* tmpdir/name, created as a folder when `folder` is set. */
static const char *in_tmp(char *buf, const char *name, int folder)
{
    snprintf(buf, 1024, "%s/%s", tmpdir, name);
    if (folder)
        mkdir(buf, 0755);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_bytes(path, text, strlen(text));
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* Reads `path` and expects failure with a message holding `want` and the path. */
static void expect_st_error(const char *path, const char *want)
{
    aft_error err = {0};
    aft_st_file *f = aft_st_read(path, &err);
    if (f || !strstr(err.msg, want) || !strstr(err.msg, path))
        fail_msg("expected an error with \"%s\", got %s", want, f ? "success" : err.msg);
}

/* ---- safetensors ---- */

static const float sample_a[6] = {1, 2, 3, 4, 5, 6};
static const uint16_t sample_b[4] = {0x3c00, 0xc000, 0x0001, 0x7c00};
static const int64_t sample_c = -42;

static void write_sample(const char *path)
{
    aft_st_tensor t[4] = {
        {.name = "c", .dtype = AFT_DT_I64, .ndim = 0, .nbytes = 8, .data = &sample_c},
        {.name = "a", .dtype = AFT_DT_F32, .ndim = 2, .shape = {2, 3}, .nbytes = 24, .data = sample_a},
        {.name = "d", .dtype = AFT_DT_F32, .ndim = 2, .shape = {0, 5}, .nbytes = 0, .data = NULL},
        {.name = "b", .dtype = AFT_DT_F16, .ndim = 1, .shape = {4}, .nbytes = 8, .data = sample_b},
    };
    const char *meta[] = {"format", "pt", "note", "v\"1"};
    aft_error err = {0};
    assert_int_equal(aft_st_write(path, t, 4, meta, 2, &err), 0);
}

static void test_st_round_trip(void **state)
{
    (void)state;
    char path[1024];
    in_tmp(path, "sample.safetensors", 0);
    write_sample(path);
    size_t len;
    unsigned char *raw = slurp(path, &len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | raw[i];
    assert_int_equal(n % 8, 0);
    assert_int_equal(len, 8 + n + 24 + 8 + 8);
    free(raw);

    aft_error err = {0};
    aft_st_file *f = aft_st_read(path, &err);
    assert_non_null(f);
    assert_int_equal(f->count, 4);
    assert_string_equal(f->tensors[0].name, "a");  /* sorted by name */
    assert_string_equal(f->tensors[3].name, "d");
    const aft_st_tensor *a = aft_st_find(f, "a"), *b = aft_st_find(f, "b");
    const aft_st_tensor *c = aft_st_find(f, "c"), *d = aft_st_find(f, "d");
    assert_non_null(a);
    assert_null(aft_st_find(f, "e"));
    assert_int_equal(a->dtype, AFT_DT_F32);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[1], 3);
    assert_memory_equal(a->data, sample_a, sizeof sample_a);
    assert_memory_equal(b->data, sample_b, sizeof sample_b);
    assert_int_equal(c->ndim, 0);
    assert_memory_equal(c->data, &sample_c, 8);
    assert_int_equal(d->nbytes, 0);
    assert_int_equal(d->shape[0], 0);
    assert_non_null(strstr(f->metadata_json, "\"format\":\"pt\""));
    assert_non_null(strstr(f->metadata_json, "v\\\"1"));
    aft_st_free(f);
}

static void test_st_writer_rejects_bad_input(void **state)
{
    (void)state;
    char path[1024];
    in_tmp(path, "bad.safetensors", 0);
    aft_error err = {0};
    aft_st_tensor t[2] = {
        {.name = "x", .dtype = AFT_DT_F32, .ndim = 1, .shape = {2}, .nbytes = 8, .data = sample_a},
        {.name = "x", .dtype = AFT_DT_F32, .ndim = 1, .shape = {1}, .nbytes = 4, .data = sample_a},
    };
    assert_int_equal(aft_st_write(path, t, 2, NULL, 0, &err), -1);
    assert_non_null(strstr(err.msg, "\"x\" given twice"));
    t[1].name = "y";
    t[1].nbytes = 8;
    assert_int_equal(aft_st_write(path, t, 2, NULL, 0, &err), -1);
    assert_non_null(strstr(err.msg, "\"y\""));
}

/* A file with this header (padded to 8) and `data_len` zero bytes after it. */
static void raw_file(const char *path, const char *header, size_t data_len)
{
    size_t hn = strlen(header), total = 8 + hn + data_len;
    unsigned char *b = calloc(1, total);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hn >> (8 * i));
    memcpy(b + 8, header, hn);
    write_bytes(path, b, total);
    free(b);
}

static void test_st_validation_errors(void **state)
{
    (void)state;
    char path[1024];
    in_tmp(path, "v.safetensors", 0);
    static const struct { const char *header; size_t data; const char *want; } cases[] = {
        {"not json", 0, "not valid JSON"},
        {"[1, 2]", 0, "not a JSON object"},
        {"{} x", 0, "stray bytes"},
        {"{\"t\": 5}", 0, "\"t\": its entry is not an object"},
        {"{\"t\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "\"t\": \"dtype\""},
        {"{\"t\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8, "\"F64\""},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": \"x\", \"data_offsets\": [0, 4]}}", 4, "\"t\": \"shape\""},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4, "shape entry 0"},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, "shape entry 0"},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 4]}}", 4, "9 dimensions"},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 16], \"data_offsets\": [0, 4]}}", 4, "too large"},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4, "need 8 bytes"},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4, "\"t\": \"data_offsets\""},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, \"4\"]}}", 4, "\"data_offsets\""},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 8, "outside"},
        {"{\"t\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 4]}}", 8, "outside"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
         "\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "overlap"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, "
         "\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "\"a\" appears twice"},
        {"{\"__metadata__\": {\"k\": 1}}", 0, "value of \"k\""},
        {"{\"__metadata__\": [1]}", 0, "\"__metadata__\" is not an object"},
        {"{\"\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "empty name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw_file(path, cases[i].header, cases[i].data);
        expect_st_error(path, cases[i].want);
    }
    write_bytes(path, "\x08\0\0\0", 4);
    expect_st_error(path, "too short");
    write_bytes(path, "\0\0\0\0\0\1\0\0{}", 10);
    expect_st_error(path, "absurd");
    write_bytes(path, "\x40\0\0\0\0\0\0\0{}", 10);
    expect_st_error(path, "runs past the end");
    in_tmp(path, "does-not-exist.safetensors", 0);
    expect_st_error(path, "does-not-exist");
}

/* Every truncation must be refused (the last tensor's range or the header
 * then runs past the end), with the file named. */
static void test_st_truncation(void **state)
{
    (void)state;
    char path[1024], cut[1024];
    in_tmp(path, "trunc.safetensors", 0);
    in_tmp(cut, "cut.safetensors", 0);
    write_sample(path);
    size_t len;
    unsigned char *raw = slurp(path, &len);
    size_t header_end = 8 + (size_t)raw[0] + ((size_t)raw[1] << 8);
    for (size_t n = 0; n < len; n += n < header_end + 8 ? 1 : 3) {
        write_bytes(cut, raw, n);
        expect_st_error(cut, n < 8 ? "too short" : "cut.safetensors");
    }
    free(raw);
}

/* Reads a possibly corrupt file: an error with the path, or a result whose
 * every tensor lies inside the file. */
static int read_checked(const char *path)
{
    aft_error err = {0};
    aft_st_file *f = aft_st_read(path, &err);
    if (!f) {
        assert_non_null(strstr(err.msg, path));
        return 0;
    }
    const char *lo = f->bytes, *hi = lo + f->size;
    for (size_t i = 0; i < f->count; i++) {
        const char *d = f->tensors[i].data;
        assert_true(d >= lo && d <= hi && f->tensors[i].nbytes <= (size_t)(hi - d));
    }
    aft_st_free(f);
    return 1;
}

static void test_st_bit_flips(void **state)
{
    (void)state;
    char path[1024], bad[1024];
    in_tmp(path, "flip.safetensors", 0);
    in_tmp(bad, "flipped.safetensors", 0);
    write_sample(path);
    size_t len;
    unsigned char *raw = slurp(path, &len);
    size_t header_end = 8 + (size_t)raw[0] + ((size_t)raw[1] << 8);
    static const unsigned char masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
    int ok = 0, refused = 0;
    for (size_t pos = 0; pos < header_end; pos++)
        for (size_t m = 0; m < sizeof masks; m++) {
            raw[pos] ^= masks[m];
            write_bytes(bad, raw, len);
            raw[pos] ^= masks[m];
            if (read_checked(bad))
                ok++;
            else
                refused++;
        }
    /* Several flips at once, anywhere in the file. */
    aft_rng rng;
    aft_rng_seed(&rng, 7);
    unsigned char *copy = malloc(len);
    for (int round = 0; round < 2000; round++) {
        memcpy(copy, raw, len);
        for (int k = 0; k < 3; k++)
            copy[aft_rng_below(&rng, header_end)] ^= (unsigned char)(1u << aft_rng_below(&rng, 8));
        write_bytes(bad, copy, len);
        read_checked(bad) ? ok++ : refused++;
    }
    free(copy);
    free(raw);
    assert_true(ok > 0);      /* e.g. a flip inside a metadata string */
    assert_true(refused > 0);
}

/* ---- model checkpoints ---- */

static aft_model_config tiny(int n_actions, int lora_rank)
{
    return (aft_model_config){.n_layer = 2, .n_head = 2, .d_model = 8, .max_seq = 16,
                              .vocab_size = 32, .n_actions = n_actions, .dropout = 0.1f,
                              .attn_dropout = 0.05f, .lora_rank = lora_rank,
                              .lora_alpha = lora_rank ? 4.0f : 0.0f};
}

static const char *const actions3[] = {"call_flight_api", "ask_clarification", "refuse"};

/* A saved model in tmpdir/name; returns the model (caller frees). */
static aft_model *saved_model(char *dir, const char *name, aft_model_config c, uint64_t seed)
{
    aft_error err = {0};
    aft_model *m = aft_model_new(&c, &err);
    assert_non_null(m);
    aft_model_init_random(m, seed);
    in_tmp(dir, name, 1);
    if (aft_checkpoint_save_model(dir, m, NULL, actions3, (size_t)c.n_actions, &err) != 0)
        fail_msg("save: %s", err.msg);
    return m;
}

static void assert_same_params(aft_model *a, aft_model *b)
{
    assert_int_equal(aft_model_num_floats(a), aft_model_num_floats(b));
    assert_memory_equal(aft_model_params(a), aft_model_params(b),
                        aft_model_num_floats(a) * sizeof(float));
}

static void test_model_round_trip(void **state)
{
    (void)state;
    char dir[1024];
    for (int lora = 0; lora <= 2; lora += 2) {
        aft_model *m = saved_model(dir, lora ? "rt-lora" : "rt", tiny(3, lora), 11);
        float *p = aft_model_params(m);
        p[aft_model_find_param(m, "score.bias")->offset] = 0.25f;
        if (lora) /* make B non-zero so the adapters really round-trip */
            p[aft_model_find_param(m, "transformer.h.1.mlp.c_fc.lora_B.weight")->offset] = 0.5f;
        aft_error err = {0};
        assert_int_equal(aft_checkpoint_save_model(dir, m, NULL, actions3, 3, &err), 0);
        int head = -1;
        aft_model *back = aft_checkpoint_load_model(dir, 3, NULL, 5, &head, &err);
        if (!back)
            fail_msg("load: %s", err.msg);
        assert_int_equal(head, 1);
        assert_same_params(m, back);
        const aft_model_config *c = aft_model_get_config(back);
        assert_int_equal(c->lora_rank, lora);
        assert_float_equal(c->dropout, 0.1f, 0);
        assert_float_equal(c->attn_dropout, 0.05f, 0);
        if (lora)
            assert_float_equal(c->lora_alpha, 4.0f, 0);
        char **names;
        size_t n;
        assert_int_equal(aft_checkpoint_actions(dir, &names, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_string_equal(names[2], "refuse");
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        aft_model_free(back);
        aft_model_free(m);
    }
}

static void test_config_json_is_hf_style(void **state)
{
    (void)state;
    char dir[1024], path[1100];
    aft_model *m = saved_model(dir, "cfg", tiny(3, 0), 1);
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t len;
    char *text = (char *)slurp(path, &len);
    text[len] = '\0';
    const char *want[] = {"\"model_type\":\t\"gpt2\"", "GPT2ForSequenceClassification",
                          "\"n_embd\":\t8", "\"n_ctx\":\t16", "\"layer_norm_epsilon\":\t1e-05",
                          "\"resid_pdrop\":\t0.1", "\"tie_word_embeddings\":\ttrue",
                          "\"1\":\t\"ask_clarification\"", "\"refuse\":\t2", "\"agentft\"",
                          "\"gelu_new\""};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("config.json lacks %s:\n%s", want[i], text);
    free(text);
    aft_error err = {0};
    assert_int_equal(aft_checkpoint_save_model(dir, m, NULL, actions3, 2, &err), -1);
    assert_non_null(strstr(err.msg, "3 classes"));
    const char *dup[] = {"a", "b", "a"};
    assert_int_equal(aft_checkpoint_save_model(dir, m, NULL, dup, 3, &err), -1);
    assert_non_null(strstr(err.msg, "\"a\" is listed twice"));
    aft_model_free(m);
}

static void test_head_reinit_when_actions_differ(void **state)
{
    (void)state;
    char dir[1024];
    aft_model *m = saved_model(dir, "head", tiny(3, 0), 2);
    aft_error err = {0};
    int head = -1;
    aft_model *back = aft_checkpoint_load_model(dir, 5, NULL, 9, &head, &err);
    assert_non_null(back);
    assert_int_equal(head, 0);
    const aft_param *w = aft_model_find_param(back, "score.weight");
    assert_int_equal(w->shape[0], 5);
    /* The trunk is the saved one; the head is fresh: N(0, 0.02) and zero bias. */
    const aft_param *wte = aft_model_find_param(back, "transformer.wte.weight");
    assert_memory_equal(aft_model_params(back) + wte->offset, aft_model_params(m) + wte->offset,
                        wte->numel * sizeof(float));
    double sum2 = 0;
    for (size_t k = 0; k < w->numel; k++)
        sum2 += (double)aft_model_params(back)[w->offset + k] * aft_model_params(back)[w->offset + k];
    assert_true(sum2 > 0 && sqrt(sum2 / (double)w->numel) < 0.05);
    aft_model_free(back);
    /* No head asked for: the file's head is skipped. */
    back = aft_checkpoint_load_model(dir, 0, NULL, 9, &head, &err);
    assert_non_null(back);
    assert_null(aft_model_find_param(back, "score.weight"));
    aft_model_free(back);
    aft_model_free(m);
}

static void test_lora_overrides(void **state)
{
    (void)state;
    char dir[1024];
    aft_model *m = saved_model(dir, "lora-ov", tiny(3, 0), 4);
    aft_model_config ov = tiny(3, 2);
    ov.freeze_layers = 1;
    ov.dropout = 0;
    aft_error err = {0};
    aft_model *back = aft_checkpoint_load_model(dir, 3, &ov, 1, NULL, &err);
    if (!back)
        fail_msg("%s", err.msg);
    assert_int_equal(aft_model_get_config(back)->lora_rank, 2);
    assert_int_equal(aft_model_get_config(back)->freeze_layers, 1);
    assert_float_equal(aft_model_get_config(back)->dropout, 0, 0);
    size_t n;
    const aft_param *t = aft_model_param_list(back, &n);
    const float *p = aft_model_params(back);
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind != AFT_PARAM_LORA) {
            const aft_param *o = aft_model_find_param(m, t[i].name);
            assert_memory_equal(p + t[i].offset, aft_model_params(m) + o->offset, o->numel * 4);
            continue;
        }
        double s = 0;
        for (size_t k = 0; k < t[i].numel; k++)
            s += fabs(p[t[i].offset + k]);
        assert_int_equal(s > 0, strstr(t[i].name, "lora_A") != NULL);  /* B starts at zero */
    }
    aft_model_free(back);
    aft_model_free(m);
    /* A LoRA checkpoint loaded without LoRA is refused, not silently truncated. */
    m = saved_model(dir, "lora-saved", tiny(3, 2), 4);
    ov = tiny(3, 0);
    assert_null(aft_checkpoint_load_model(dir, 3, &ov, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "lora_"));
    assert_non_null(strstr(err.msg, "LoRA"));
    aft_model_free(m);
}

/* Exact float -> half for normal numbers with few mantissa bits (test values). */
static uint16_t to_half(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    if (x == 0)
        return (uint16_t)(b >> 16);
    uint32_t exp = (b >> 23) & 0xff;
    assert_true((b & 0x1fff) == 0 && exp > 112 && exp < 143);
    return (uint16_t)((b >> 16 & 0x8000) | (exp - 112) << 10 | (b >> 13 & 0x3ff));
}

static const char hf_config[] =
    "{\"activation_function\": \"gelu_new\", \"architectures\": [\"GPT2LMHeadModel\"],"
    " \"attn_pdrop\": 0.1, \"bos_token_id\": 31, \"embd_pdrop\": 0.1, \"eos_token_id\": 31,"
    " \"initializer_range\": 0.02, \"layer_norm_epsilon\": 1e-05, \"model_type\": \"gpt2\","
    " \"n_ctx\": 16, \"n_embd\": 8, \"n_head\": 2, \"n_layer\": 2, \"n_positions\": 16,"
    " \"resid_pdrop\": 0.1, \"vocab_size\": 32%s}";

/* A folder as transformers' GPT2Model / GPT2LMHeadModel saves one: names
 * without "transformer.", half precision, the tied lm_head.weight and the
 * attention-mask buffers. HF's Conv1D stores weights (in, out) exactly as our
 * table does, so nothing is transposed. */
static aft_model *hf_folder(char *dir)
{
    aft_model_config c = tiny(0, 0);
    aft_model *ref = aft_model_new(&c, NULL);
    size_t n, nf = aft_model_num_floats(ref);
    float *p = aft_model_params(ref);
    for (size_t k = 0; k < nf; k++)
        p[k] = (float)((int)(k % 61) - 30) / 64.0f;
    const aft_param *t = aft_model_param_list(ref, &n);
    uint16_t *half = malloc(nf * 2);
    for (size_t k = 0; k < nf; k++)
        half[k] = to_half(p[k]);
    aft_st_tensor *st = calloc(n + 3, sizeof *st);
    for (size_t i = 0; i < n; i++) {
        int bf = strcmp(t[i].name, "transformer.wpe.weight") == 0;
        st[i] = (aft_st_tensor){.name = (char *)t[i].name + 12, .dtype = bf ? AFT_DT_BF16 : AFT_DT_F16,
                                .ndim = t[i].ndim, .shape = {t[i].shape[0], t[i].shape[1]},
                                .nbytes = t[i].numel * 2, .data = half + t[i].offset};
        if (bf) /* bf16 of these values is the float's top half */
            for (size_t k = 0; k < t[i].numel; k++) {
                uint32_t b;
                memcpy(&b, &p[t[i].offset + k], 4);
                half[t[i].offset + k] = (uint16_t)(b >> 16);
            }
    }
    static float mask[16 * 16], masked = -1e4f;
    st[n] = st[0];
    st[n].name = "lm_head.weight";
    st[n + 1] = (aft_st_tensor){.name = "h.0.attn.bias", .dtype = AFT_DT_F32, .ndim = 4,
                                .shape = {1, 1, 16, 16}, .nbytes = sizeof mask, .data = mask};
    st[n + 2] = (aft_st_tensor){.name = "h.1.attn.masked_bias", .dtype = AFT_DT_F32, .ndim = 0,
                                .nbytes = 4, .data = &masked};
    char path[1100];
    in_tmp(dir, "hf", 1);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    aft_error err = {0};
    assert_int_equal(aft_st_write(path, st, n + 3, NULL, 0, &err), 0);
    char cfg[1024];
    snprintf(cfg, sizeof cfg, hf_config, "");
    write_text(dir, "config.json", cfg);
    free(st);
    free(half);
    return ref;
}

static void test_hf_folder_loads(void **state)
{
    (void)state;
    char dir[1024];
    aft_model *ref = hf_folder(dir);
    aft_error err = {0};
    int head = -1;
    aft_model *m = aft_checkpoint_load_model(dir, 4, NULL, 3, &head, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_int_equal(head, 0);
    size_t n;
    const aft_param *t = aft_model_param_list(ref, &n);
    for (size_t i = 0; i < n; i++) {
        const aft_param *q = aft_model_find_param(m, t[i].name);
        assert_memory_equal(aft_model_params(m) + q->offset, aft_model_params(ref) + t[i].offset,
                            t[i].numel * sizeof(float));
    }
    assert_float_equal(aft_model_get_config(m)->dropout, 0.1f, 0);
    char **names;
    size_t na;
    assert_int_equal(aft_checkpoint_actions(dir, &names, &na, &err), 0);
    assert_int_equal(na, 0);
    assert_null(names);
    aft_model_free(m);
    aft_model_free(ref);
}

/* GPT2ForSequenceClassification: prefixed names and a score.weight without
 * a bias; the head loads with bias 0, and the actions come from id2label. */
static void test_hf_classifier_head(void **state)
{
    (void)state;
    char dir[1024], path[1100];
    aft_model_config c = tiny(3, 0);
    aft_model *ref = aft_model_new(&c, NULL);
    aft_model_init_random(ref, 8);
    size_t n;
    const aft_param *t = aft_model_param_list(ref, &n);
    aft_st_tensor *st = calloc(n, sizeof *st);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, "score.bias") != 0)
            st[k++] = (aft_st_tensor){.name = (char *)t[i].name, .dtype = AFT_DT_F32,
                                      .ndim = t[i].ndim, .shape = {t[i].shape[0], t[i].shape[1]},
                                      .nbytes = t[i].numel * 4,
                                      .data = aft_model_params(ref) + t[i].offset};
    aft_model_params(ref)[aft_model_find_param(ref, "score.bias")->offset] = 0;
    in_tmp(dir, "hf-cls", 1);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    aft_error err = {0};
    assert_int_equal(aft_st_write(path, st, k, NULL, 0, &err), 0);
    char cfg[1024];
    snprintf(cfg, sizeof cfg, hf_config,
             ", \"id2label\": {\"0\": \"x\", \"2\": \"z\", \"1\": \"y\"}");
    write_text(dir, "config.json", cfg);
    int head = -1;
    aft_model *m = aft_checkpoint_load_model(dir, 3, NULL, 3, &head, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_int_equal(head, 1);
    assert_same_params(ref, m);
    char **names;
    size_t na;
    assert_int_equal(aft_checkpoint_actions(dir, &names, &na, &err), 0);
    assert_int_equal(na, 3);
    assert_string_equal(names[1], "y");
    assert_string_equal(names[2], "z");
    for (size_t i = 0; i < na; i++)
        free(names[i]);
    free(names);
    aft_model_free(m);
    aft_model_free(ref);
    free(st);
}

/* ---- errors in model folders ---- */

static void expect_load_error(const char *dir, int n_actions, const char *want)
{
    aft_error err = {0};
    aft_model *m = aft_checkpoint_load_model(dir, n_actions, NULL, 1, NULL, &err);
    if (m || !strstr(err.msg, want))
        fail_msg("expected an error with \"%s\", got %s", want, m ? "a model" : err.msg);
}

typedef enum { MOD_DROP, MOD_RESHAPE, MOD_ADD, MOD_INT, MOD_DUP_UNPREFIXED } mod_kind;

/* Rewrites DIR/model.safetensors with one change to tensor `name`. */
static void modify_model(const char *dir, mod_kind kind, const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    aft_error err = {0};
    aft_st_file *f = aft_st_read(path, &err);
    assert_non_null(f);
    aft_st_tensor *t = calloc(f->count + 1, sizeof *t);
    memcpy(t, f->tensors, f->count * sizeof *t);
    size_t n = f->count, i = 0;
    while (i < n && strcmp(t[i].name, name) != 0)
        i++;
    static const float one = 1;
    if (kind == MOD_ADD)
        t[n++] = (aft_st_tensor){.name = (char *)name, .dtype = AFT_DT_F32, .ndim = 1,
                                 .shape = {1}, .nbytes = 4, .data = &one};
    else
        assert_true(i < n);
    if (kind == MOD_DROP)
        t[i] = t[--n];
    if (kind == MOD_RESHAPE) { /* (a, b) -> (b, a); (n) -> (1, n) */
        size_t d0 = t[i].shape[0];
        t[i].shape[0] = t[i].ndim == 2 ? t[i].shape[1] : 1;
        t[i].shape[1] = d0;
        t[i].ndim = 2;
    }
    if (kind == MOD_INT)
        t[i].dtype = AFT_DT_I32;
    if (kind == MOD_DUP_UNPREFIXED) {
        t[n] = t[i];
        t[n++].name = (char *)name + strlen("transformer.");
    }
    if (aft_st_write(path, t, n, NULL, 0, &err) != 0)
        fail_msg("%s", err.msg);
    free(t);
    aft_st_free(f);
}

static void test_model_errors(void **state)
{
    (void)state;
    char dir[1024], name[64];
    static const struct { mod_kind kind; const char *tensor; const char *want; } mods[] = {
        {MOD_DROP, "transformer.h.1.mlp.c_fc.bias", "has no tensor \"transformer.h.1.mlp.c_fc.bias\""},
        {MOD_DROP, "transformer.wpe.weight", "no tensor \"transformer.wpe.weight\""},
        {MOD_RESHAPE, "transformer.wte.weight", "\"transformer.wte.weight\" has shape [8, 32] but the model needs [32, 8]"},
        {MOD_RESHAPE, "transformer.h.0.ln_1.bias", "\"transformer.h.0.ln_1.bias\" has shape [1, 8]"},
        {MOD_ADD, "transformer.h.0.attn.extra.weight", "unexpected tensor \"transformer.h.0.attn.extra.weight\""},
        {MOD_ADD, "transformer.h.7.ln_1.weight", "unexpected tensor \"transformer.h.7.ln_1.weight\""},
        {MOD_INT, "transformer.ln_f.weight", "\"transformer.ln_f.weight\" is not floating point"},
        {MOD_DUP_UNPREFIXED, "transformer.ln_f.bias", "appears twice"},
    };
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        snprintf(name, sizeof name, "err-%zu", i);
        aft_model_free(saved_model(dir, name, tiny(3, 0), 1));
        modify_model(dir, mods[i].kind, mods[i].tensor);
        expect_load_error(dir, 3, mods[i].want);
    }
    /* An HF-style extra tensor is as much an error as a prefixed one. */
    aft_model_free(saved_model(dir, "err-extra", tiny(3, 0), 1));
    modify_model(dir, MOD_ADD, "h.0.mlp.gate.weight");
    expect_load_error(dir, 3, "unexpected tensor \"h.0.mlp.gate.weight\"");
}

static void test_missing_and_corrupt_files(void **state)
{
    (void)state;
    char dir[1024], path[1100];
    in_tmp(dir, "empty", 1);
    expect_load_error(dir, 3, "empty/config.json: No such file");
    aft_model_free(saved_model(dir, "nomodel", tiny(3, 0), 1));
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    size_t len;
    unsigned char *raw = slurp(path, &len);
    remove(path);
    expect_load_error(dir, 3, "nomodel/model.safetensors: No such file");
    /* Truncated and corrupt files: a message naming the file, never a crash. */
    for (size_t cut = 0; cut < len; cut += len / 37 + 1) {
        write_bytes(path, raw, cut);
        expect_load_error(dir, 3, "model.safetensors");
    }
    for (size_t pos = 0; pos < 400 && pos < len; pos += 5) {
        raw[pos] ^= 0x5a;
        write_bytes(path, raw, len);
        raw[pos] ^= 0x5a;
        aft_error err = {0};
        aft_model *m = aft_checkpoint_load_model(dir, 3, NULL, 1, NULL, &err);
        if (!m)
            assert_non_null(strstr(err.msg, dir));
        aft_model_free(m);
    }
    free(raw);
}

/* DIR/config.json in HF style with `key` set to `value` (raw JSON). */
static void write_config(const char *dir, const char *key, const char *value)
{
    static const char *const base[][2] = {
        {"model_type", "\"gpt2\""}, {"n_layer", "2"}, {"n_head", "2"}, {"n_embd", "8"},
        {"n_positions", "16"}, {"vocab_size", "32"}, {"activation_function", "\"gelu_new\""},
        {"layer_norm_epsilon", "1e-05"}, {"resid_pdrop", "0.1"}};
    char cfg[1024] = "{";
    int found = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        int mine = strcmp(base[i][0], key) == 0;
        found |= mine;
        snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), "\"%s\": %s, ", base[i][0],
                 mine ? value : base[i][1]);
    }
    if (!found)
        snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), "\"%s\": %s, ", key, value);
    strcpy(cfg + strlen(cfg) - 2, "}");
    write_text(dir, "config.json", cfg);
}

static void test_bad_config_values(void **state)
{
    (void)state;
    char dir[1024];
    aft_model_free(saved_model(dir, "badcfg", tiny(3, 0), 1));
    static const struct { const char *key, *value, *want; } cases[] = {
        {"n_layer", "0", "\"n_layer\" must be an integer in 1..256"},
        {"n_layer", "2.5", "\"n_layer\""},
        {"n_head", "\"2\"", "\"n_head\" must be an integer"},
        {"n_embd", "9", "n_embd = 9 is not a multiple of n_head = 2"},
        {"vocab_size", "null", "\"vocab_size\" is missing"},
        {"vocab_size", "1e300", "\"vocab_size\""},
        {"n_positions", "-16", "\"n_positions\""},
        {"model_type", "\"llama\"", "model_type"},
        {"activation_function", "\"relu\"", "activation_function"},
        {"layer_norm_epsilon", "1e-6", "layer_norm_epsilon"},
        {"n_inner", "7", "n_inner"},
        {"resid_pdrop", "2", "resid_pdrop"},
        {"agentft", "{\"lora_rank\": -1}", "\"lora_rank\""},
        {"agentft", "{\"format_version\": 99}", "newer agentft"},
        {"agentft", "{\"lora_rank\": 2}", "lora_alpha"},
        {"agentft", "[]", "\"agentft\" is not an object"},
        {"n_layer", "3", "has no tensor \"transformer.h.2."},
        {"vocab_size", "4194304", "describes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_config(dir, cases[i].key, cases[i].value);
        expect_load_error(dir, 3, cases[i].want);
    }
    write_config(dir, "n_ctx", "16"); /* the base itself loads */
    aft_error err = {0};
    aft_model *m = aft_checkpoint_load_model(dir, 3, NULL, 1, NULL, &err);
    if (!m)
        fail_msg("%s", err.msg);
    aft_model_free(m);
    write_text(dir, "config.json", "{\"n_layer\": ");
    expect_load_error(dir, 3, "config.json: not a JSON object");
    write_text(dir, "config.json", "{\"agentft\": {\"actions\": [\"a\", 3]}}");
    char **names;
    size_t n;
    assert_int_equal(aft_checkpoint_actions(dir, &names, &n, &err), -1);
    assert_non_null(strstr(err.msg, "action 1"));
}

/* ---- optimizer state ---- */

static aft_optim *stepped_optim(aft_model *m, aft_optimizer_kind kind, int steps)
{
    aft_optim_config c = {.kind = kind, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                          .momentum = 0.9f, .weight_decay = 0.01f, .layer_lr_decay = 1};
    size_t np;
    const aft_param *t = aft_model_param_list(m, &np);
    aft_optim *o = aft_optim_new(t, np, aft_model_num_floats(m),
                                 aft_model_get_config(m)->n_layer, &c, NULL);
    assert_non_null(o);
    float *g = aft_model_grads(m);
    for (int s = 0; s < steps; s++) {
        for (size_t k = 0; k < aft_model_num_floats(m); k++)
            g[k] = (float)sin((double)(k + 1) * (s + 1));
        aft_optim_step(o, aft_model_params(m), g, 0.01f);
    }
    return o;
}

static void test_optim_round_trip(void **state)
{
    (void)state;
    char dir[1024];
    for (int kind = 0; kind < 2; kind++) {
        aft_model *m = saved_model(dir, kind ? "opt-sgd" : "opt-adam", tiny(3, 0), 1);
        aft_optim *o = stepped_optim(m, kind ? AFT_OPT_SGD : AFT_OPT_ADAMW, 3);
        aft_error err = {0};
        assert_int_equal(aft_checkpoint_save_optim(dir, m, o, &err), 0);
        aft_optim *o2 = stepped_optim(m, kind ? AFT_OPT_SGD : AFT_OPT_ADAMW, 0);
        if (aft_checkpoint_load_optim(dir, m, o2, &err) != 0)
            fail_msg("%s", err.msg);
        size_t n1, n2;
        float *s1 = aft_optim_state(o, &n1), *s2 = aft_optim_state(o2, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(s1, s2, n1 * sizeof(float));
        assert_int_equal(aft_optim_steps(o2), 3);
        aft_optim_free(o2);
        aft_optim_free(o);
        aft_model_free(m);
    }
}

static void test_optim_mismatches(void **state)
{
    (void)state;
    char dir[1024];
    aft_model *m = saved_model(dir, "opt-mis", tiny(3, 0), 1);
    aft_optim *o = stepped_optim(m, AFT_OPT_ADAMW, 2);
    aft_error err = {0};
    assert_int_equal(aft_checkpoint_save_optim(dir, m, o, &err), 0);
    /* Wrong kind. */
    aft_optim *sgd = stepped_optim(m, AFT_OPT_SGD, 0);
    assert_int_equal(aft_checkpoint_load_optim(dir, m, sgd, &err), -1);
    assert_non_null(strstr(err.msg, "holds adamw state but the optimizer is sgd"));
    aft_optim_free(sgd);
    /* Another model: a head of 5 actions, and frozen layers (fewer trainable tensors). */
    aft_model_config c5 = tiny(5, 0), cf = tiny(3, 0);
    cf.freeze_layers = 1;
    aft_model *m5 = aft_model_new(&c5, NULL), *mf = aft_model_new(&cf, NULL);
    aft_optim *o5 = stepped_optim(m5, AFT_OPT_ADAMW, 0), *of = stepped_optim(mf, AFT_OPT_ADAMW, 0);
    assert_int_equal(aft_checkpoint_load_optim(dir, m5, o5, &err), -1);
    assert_non_null(strstr(err.msg, "\"exp_avg.score.weight\""));
    size_t n;
    float *st = aft_optim_state(o5, &n);
    for (size_t k = 0; k < n; k++)
        assert_true(st[k] == 0);  /* untouched by the failed load */
    assert_int_equal(aft_optim_steps(o5), 0);
    assert_int_equal(aft_checkpoint_load_optim(dir, mf, of, &err), -1);
    assert_non_null(strstr(err.msg, "matches no trainable parameter"));
    assert_int_equal(aft_checkpoint_load_optim(dir, m, o5, &err), -1);
    assert_non_null(strstr(err.msg, "another model"));
    /* A bad step count. */
    char path[1100];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    aft_st_file *f = aft_st_read(path, &err);
    const char *meta[] = {"step", "-3", "optimizer", "adamw"};
    assert_int_equal(aft_st_write(path, f->tensors, f->count, meta, 2, &err), 0);
    assert_int_equal(aft_checkpoint_load_optim(dir, m, o, &err), -1);
    assert_non_null(strstr(err.msg, "step \"-3\""));
    /* A missing moment. */
    assert_int_equal(aft_st_write(path, f->tensors + 1, f->count - 1, meta + 2, 1, &err), 0);
    assert_int_equal(aft_checkpoint_load_optim(dir, m, o, &err), -1);
    assert_non_null(strstr(err.msg, "lacks"));
    meta[1] = "2";
    assert_int_equal(aft_st_write(path, f->tensors + 1, f->count - 1, meta, 2, &err), 0);
    assert_int_equal(aft_checkpoint_load_optim(dir, m, o, &err), -1);
    assert_non_null(strstr(err.msg, "has no tensor \"exp_avg"));
    aft_st_free(f);
    remove(path);
    assert_int_equal(aft_checkpoint_load_optim(dir, m, o, &err), -1);
    assert_non_null(strstr(err.msg, "optimizer.safetensors"));
    aft_optim_free(o5);
    aft_optim_free(of);
    aft_optim_free(o);
    aft_model_free(m5);
    aft_model_free(mf);
    aft_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_st_round_trip),
        cmocka_unit_test(test_st_writer_rejects_bad_input),
        cmocka_unit_test(test_st_validation_errors),
        cmocka_unit_test(test_st_truncation),
        cmocka_unit_test(test_st_bit_flips),
        cmocka_unit_test(test_model_round_trip),
        cmocka_unit_test(test_config_json_is_hf_style),
        cmocka_unit_test(test_head_reinit_when_actions_differ),
        cmocka_unit_test(test_lora_overrides),
        cmocka_unit_test(test_hf_folder_loads),
        cmocka_unit_test(test_hf_classifier_head),
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_missing_and_corrupt_files),
        cmocka_unit_test(test_bad_config_values),
        cmocka_unit_test(test_optim_round_trip),
        cmocka_unit_test(test_optim_mismatches),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
