/* Unit tests of the INT8 path: the int8 kernels against a plain reference on
 * random and edge shapes (both kernels where the CPU has AVX2), the
 * quantization error bound, INT8 models against their float originals, the
 * export folder's round trip and its corrupt, truncated and foreign files. */
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
#include "agentft/int8.h"
#include "agentft/rng.h"
#include "../../src/model/int8_internal.h" /* the AVX2 quantizer on its own */

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return aft_test_mkdtemp(tmpdir, sizeof tmpdir, "int8");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return aft_test_rmtree(tmpdir);
}

static void fill_q8(aft_rng *rng, int8_t *x, size_t n, int extreme)
{
    for (size_t i = 0; i < n; i++)
        x[i] = extreme ? (int8_t)(aft_rng_below(rng, 2) ? 127 : -127)
                       : (int8_t)((int)aft_rng_below(rng, 255) - 127);
}

/* ---- the kernels ---- */

static void reference_gemm(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N,
                           size_t K)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            int64_t s = 0;
            for (size_t k = 0; k < K; k++)
                s += (int64_t)A[i * K + k] * B[j * K + k];
            C[i * N + j] = (int32_t)s;
        }
}

static void check_gemm(aft_rng *rng, size_t M, size_t N, size_t K, int extreme)
{
    int8_t *A = malloc(M * K + 1), *B = malloc(N * K + 1);
    int32_t *want = malloc(M * N * sizeof *want), *got = malloc(M * N * sizeof *got);
    assert_true(A && B && want && got);
    fill_q8(rng, A, M * K, extreme);
    fill_q8(rng, B, N * K, extreme);
    reference_gemm(want, A, B, M, N, K);
    aft_q8_kernel kernels[] = {AFT_Q8_PORTABLE, AFT_Q8_AVX2, AFT_Q8_VNNI, AFT_Q8_AUTO};
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        if (!aft_q8_kernel_available(kernels[k]))
            continue;
        memset(got, 0x55, M * N * sizeof *got);
        aft_q8_gemm(got, A, B, M, N, K, kernels[k]);
        for (size_t i = 0; i < M * N; i++)
            if (got[i] != want[i])
                fail_msg("%s kernel, M %zu N %zu K %zu: C[%zu] = %d, expected %d",
                         aft_q8_kernel_name(kernels[k]), M, N, K, i, got[i], want[i]);
    }
    free(A);
    free(B);
    free(want);
    free(got);
}

static void test_gemm_shapes(void **state)
{
    (void)state;
    aft_rng rng;
    aft_rng_seed(&rng, 11);
    /* K around the vector width (32) and its multiples; M and N of 1 and
     * around the 2 x 4 register block. */
    static const size_t Ks[] = {1, 2, 15, 31, 32, 33, 63, 64, 65, 100, 128, 129, 512};
    static const size_t Ms[] = {1, 2, 3, 5};
    static const size_t Ns[] = {1, 3, 4, 5, 9};
    for (size_t a = 0; a < sizeof Ks / sizeof Ks[0]; a++)
        for (size_t b = 0; b < sizeof Ms / sizeof Ms[0]; b++)
            for (size_t c = 0; c < sizeof Ns / sizeof Ns[0]; c++)
                check_gemm(&rng, Ms[b], Ns[c], Ks[a], 0);
    for (int i = 0; i < 40; i++)
        check_gemm(&rng, 1 + aft_rng_below(&rng, 40), 1 + aft_rng_below(&rng, 70),
                   1 + aft_rng_below(&rng, 300), 0);
    /* Column blocks: N past what one block of the AVX2 kernel holds, and
     * past groups of 64 outputs of the VNNI kernel with a ragged end. */
    check_gemm(&rng, 3, 1100, 160, 0);
    check_gemm(&rng, 9, 77, 128, 0);
}

/* All +-127: the largest pair sums, where a saturating int16 step would show. */
static void test_gemm_extremes(void **state)
{
    (void)state;
    aft_rng rng;
    aft_rng_seed(&rng, 5);
    check_gemm(&rng, 2, 4, 4096, 1);
    check_gemm(&rng, 3, 5, 1027, 1);
    int8_t A[64], B[64];
    int32_t C;
    memset(A, 127, sizeof A);
    memset(B, 127, sizeof B);
    aft_q8_gemm(&C, A, B, 1, 1, 64, AFT_Q8_AUTO);
    assert_int_equal(C, 64 * 127 * 127);
    for (int i = 0; i < 64; i++)
        B[i] = -127;
    aft_q8_gemm(&C, A, B, 1, 1, 64, AFT_Q8_AUTO);
    assert_int_equal(C, -64 * 127 * 127);
}

static void test_kernel_choice(void **state)
{
    (void)state;
    unsetenv("AGENTFT_INT8_KERNEL"); /* a choice made outside the test */
    assert_true(aft_q8_kernel_available(AFT_Q8_PORTABLE));
    aft_q8_kernel k = aft_q8_kernel_choose();
    assert_true(k == AFT_Q8_PORTABLE || k == AFT_Q8_AVX2 || k == AFT_Q8_VNNI);
    assert_true(aft_q8_kernel_available(k));
    /* The best one available wins. */
    if (aft_q8_kernel_available(AFT_Q8_VNNI))
        assert_int_equal(k, AFT_Q8_VNNI);
    else if (aft_q8_kernel_available(AFT_Q8_AVX2))
        assert_int_equal(k, AFT_Q8_AVX2);
    print_message("int8 kernel on this CPU: %s\n", aft_q8_kernel_name(k));
    setenv("AGENTFT_INT8_KERNEL", "portable", 1);
    assert_int_equal(aft_q8_kernel_choose(), AFT_Q8_PORTABLE);
    setenv("AGENTFT_INT8_KERNEL", "avx2", 1);
    assert_int_equal(aft_q8_kernel_choose(),
                     aft_q8_kernel_available(AFT_Q8_AVX2) ? AFT_Q8_AVX2 : k);
    unsetenv("AGENTFT_INT8_KERNEL");
}

/* ---- quantization ---- */

static void check_bound(const float *x, const int8_t *q, float s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_true(q[i] >= -127 && q[i] <= 127);
        double e = fabs((double)x[i] - (double)s * q[i]);
        if (e > s / 2.0 * (1 + 1e-5) + 1e-12)
            fail_msg("|x - s q| = %g > s / 2 = %g (x %g, q %d)", e, s / 2.0, (double)x[i], q[i]);
    }
}

static void test_quantize_bound(void **state)
{
    (void)state;
    enum { R = 7, C = 37 };
    float x[R * C], back[R * C], s[R], sc[C];
    int8_t q[R * C], qt[C * R];
    aft_rng rng;
    aft_rng_seed(&rng, 3);
    for (int i = 0; i < R * C; i++)
        x[i] = (float)(aft_rng_normal(&rng) * (1 + i % 5) * 0.3);
    for (int j = 0; j < C; j++)
        x[2 * C + j] = 0; /* a zero row: scale 0, all q 0 */
    x[3 * C + 4] = 1e6f;   /* one outlier: the rest of its row rounds to 0 */
    aft_q8_quantize_rows(q, s, x, R, C);
    for (int r = 0; r < R; r++)
        check_bound(x + r * C, q + r * C, s[r], C);
    assert_true(s[2] == 0.0f);
    assert_int_equal(q[3 * C + 4], 127);
    aft_q8_dequantize_rows(back, q, s, R, C);
    for (int i = 0; i < R * C; i++)
        assert_true(fabsf(back[i] - x[i]) <= s[i / C] / 2 * (1 + 1e-5f) + 1e-12f);
    /* Per column, written transposed: the rows of x's transpose. */
    aft_q8_quantize_cols_t(qt, sc, x, R, C);
    for (int c = 0; c < C; c++) {
        float col[R];
        for (int r = 0; r < R; r++)
            col[r] = x[r * C + c];
        check_bound(col, qt + c * R, sc[c], R);
        float m = 0;
        for (int r = 0; r < R; r++)
            m = fabsf(col[r]) > m ? fabsf(col[r]) : m;
        assert_true(fabsf(sc[c] - m / 127) <= 1e-6f * m);
    }
}

/* The AVX2 quantizer gives the very bytes and scales of the portable one,
 * halves rounding to even in both; with the offset, q + 128 and a padded row. */
static void test_quantize_avx2_same(void **state)
{
    (void)state;
    if (!aft_q8_kernel_available(AFT_Q8_AVX2))
        skip();
    enum { R = 5, C = 75, LD = 80 };
    float x[R * C], s1[R], s2[R];
    int8_t q1[R * C], q2[R * LD];
    aft_rng rng;
    aft_rng_seed(&rng, 8);
    for (int i = 0; i < R * C; i++)
        x[i] = (float)aft_rng_normal(&rng);
    /* Row 1: max 127 so that x / scale hits exact halves. */
    for (int j = 0; j < C; j++)
        x[C + j] = (float)(j % 2 ? 127 : (j % 9) - 4.5);
    for (int j = 0; j < C; j++)
        x[3 * C + j] = 0;
    aft_q8_quantize_rows(q1, s1, x, R, C);
    for (int off = 0; off < 2; off++) {
        memset(q2, 0x33, sizeof q2);
        aft_q8_quantize_rows_avx2(q2, LD, s2, x, R, C, off);
        assert_memory_equal(s1, s2, sizeof s1);
        for (int r = 0; r < R; r++)
            for (int j = 0; j < LD; j++) {
                int want = j < C ? q1[r * C + j] + (off ? 128 : 0) : (off ? 128 : 0);
                int got = off ? (uint8_t)q2[r * LD + j] : q2[r * LD + j];
                if (got != want)
                    fail_msg("offset %d, row %d, col %d: %d, expected %d", off, r, j, got, want);
            }
    }
    /* Halves to even: 4.5 -> 4, -4.5 -> -4, 3.5 -> 4 at scale 1. */
    assert_int_equal(q1[C + 0], -4);
    assert_int_equal(q1[C + 8], 4);
    assert_int_equal(q1[C + 2], -2);
}

/* ---- INT8 models ---- */

static aft_model_config small_config(void)
{
    /* d_model 48: one 32-wide vector and a tail of 16 in every product. */
    aft_model_config c = {.n_layer = 2, .n_head = 2, .d_model = 48, .max_seq = 12,
                          .vocab_size = 50, .n_actions = 5};
    return c;
}

static aft_model *random_model(uint64_t seed)
{
    aft_model_config c = small_config();
    aft_error err = {0};
    aft_model *m = aft_model_new(&c, &err);
    assert_non_null(m);
    aft_model_init_random(m, seed);
    /* Larger weights than init so the head's logits spread out. */
    size_t n;
    const aft_param *t = aft_model_param_list(m, &n);
    aft_rng rng;
    aft_rng_seed(&rng, seed + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t[i].numel; k++)
            aft_model_params(m)[t[i].offset + k] += (float)(aft_rng_normal(&rng) * 0.1);
    return m;
}

typedef struct small_batch {
    int32_t tokens[3 * 10], lengths[3];
    aft_batch b;
} small_batch;

static void make_batch(small_batch *sb)
{
    for (int i = 0; i < 30; i++)
        sb->tokens[i] = (i * 7 + 3) % 50;
    sb->lengths[0] = 10;
    sb->lengths[1] = 4;
    sb->lengths[2] = 1;
    sb->b = (aft_batch){.B = 3, .T = 10, .tokens = sb->tokens, .lengths = sb->lengths};
}

/* The action logits (3 x 5) and LM logits of the last row (V) into out. */
static void run_model(aft_model *m, const small_batch *sb, float *act, float *lm)
{
    aft_forward_opts fo = {.want_lm_logits = lm != NULL};
    aft_error err = {0};
    if (aft_model_forward(m, &sb->b, &fo, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    memcpy(act, aft_model_action_logits(m), 15 * sizeof *act);
    if (lm)
        memcpy(lm, aft_model_lm_logits(m), 3 * 10 * 50 * sizeof *lm);
}

static double max_diff(const float *a, const float *b, size_t n, double *scale)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)a[i]));
    }
    *scale = s;
    return d;
}

static void test_model_close_to_float(void **state)
{
    (void)state;
    small_batch sb;
    make_batch(&sb);
    aft_model *f = random_model(7), *q = random_model(7);
    static float fa[15], qa[15], flm[1500], qlm[1500];
    run_model(f, &sb, fa, flm);
    aft_error err = {0};
    assert_false(aft_model_is_int8(q));
    assert_int_equal(aft_model_quantize_int8(q, &err), 0);
    assert_true(aft_model_is_int8(q));
    run_model(q, &sb, qa, qlm);
    double scale, d = max_diff(fa, qa, 15, &scale);
    print_message("action logits: max |float - int8| %.4f of max |logit| %.3f\n", d, scale);
    assert_true(d < 0.05 * scale);
    d = max_diff(flm, qlm, 1500, &scale);
    print_message("LM logits: max |float - int8| %.4f of max |logit| %.3f\n", d, scale);
    assert_true(d < 0.05 * scale);
    /* Training an INT8 model is refused. */
    aft_forward_opts train = {.training = 1, .cls_weight = 1};
    assert_int_equal(aft_model_forward(q, &sb.b, &train, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "INT8 model is for inference only"));
    aft_model_free(f);
    aft_model_free(q);
}

/* Integer products are exact, so every kernel gives the very same logits. */
static void test_model_kernels_agree(void **state)
{
    (void)state;
    if (!aft_q8_kernel_available(AFT_Q8_AVX2))
        skip();
    small_batch sb;
    make_batch(&sb);
    aft_model *q = random_model(9);
    aft_error err = {0};
    assert_int_equal(aft_model_quantize_int8(q, &err), 0);
    static float a1[15], a2[15], l1[1500], l2[1500];
    aft_model_set_int8_kernel(q, AFT_Q8_PORTABLE);
    assert_int_equal(aft_model_int8_kernel(q), AFT_Q8_PORTABLE);
    run_model(q, &sb, a1, l1);
    aft_q8_kernel others[] = {AFT_Q8_AVX2, AFT_Q8_VNNI};
    for (size_t k = 0; k < 2; k++) {
        if (!aft_q8_kernel_available(others[k]))
            continue;
        aft_model_set_int8_kernel(q, others[k]);
        assert_int_equal(aft_model_int8_kernel(q), others[k]);
        run_model(q, &sb, a2, l2);
        assert_memory_equal(a1, a2, sizeof a1);
        assert_memory_equal(l1, l2, sizeof l1);
    }
    aft_model_free(q);
}

/* ---- the export folder ---- */

static const char *const actions[] = {"a", "b", "c", "d", "e"};

static void export_to(const char *dir, const aft_model *m)
{
    aft_error err = {0};
    aft_int8_export_info info;
    if (aft_int8_export(dir, m, NULL, actions, 5, NULL, NULL, &info, &err) < 0)
        fail_msg("%s", err.msg);
    /* 8 block matrices, the head, wte and wpe */
    assert_int_equal(info.matrices, 11);
    assert_true(info.file_bytes > 0 && info.file_bytes < info.float_bytes * 4 / 10);
}

static void test_export_round_trip(void **state)
{
    (void)state;
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/export", tmpdir);
    aft_model *f = random_model(13), *q = random_model(13);
    aft_error err = {0};
    assert_int_equal(aft_model_quantize_int8(q, &err), 0);
    export_to(dir, f);
    assert_true(aft_int8_is_export(dir));
    aft_model *l = aft_int8_load(dir, 5, &err);
    if (!l)
        fail_msg("%s", err.msg);
    assert_true(aft_model_is_int8(l));
    /* The same weights and scales as quantizing in memory: the same logits. */
    small_batch sb;
    make_batch(&sb);
    static float a1[15], a2[15];
    run_model(q, &sb, a1, NULL);
    run_model(l, &sb, a2, NULL);
    assert_memory_equal(a1, a2, sizeof a1);
    /* The float view is the dequantized model. */
    assert_memory_equal(aft_model_params(q), aft_model_params(l),
                        aft_model_num_floats(q) * sizeof(float));
    /* The float loader refuses the folder with a reason. */
    assert_null(aft_checkpoint_load_model(dir, 5, NULL, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "INT8 export"));
    /* Exporting again replaces the export; a folder that is not one is kept. */
    export_to(dir, f);
    snprintf(path, sizeof path, "%s/other", tmpdir);
    mkdir(path, 0755);
    assert_int_equal(aft_int8_export(path, f, NULL, actions, 5, NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "is not an INT8 export"));
    /* An INT8 model is not exported again. */
    assert_int_equal(aft_int8_export(path, q, NULL, actions, 5, NULL, NULL, NULL, &err), -1);
    aft_model_free(l);
    aft_model_free(f);
    aft_model_free(q);
}

/* A LoRA model exports with its adapters merged: the INT8 model computes
 * what the float model with adapters does, up to quantization. */
static void test_export_lora(void **state)
{
    (void)state;
    aft_model_config c = small_config();
    c.lora_rank = 2;
    c.lora_alpha = 4;
    aft_error err = {0};
    aft_model *f = aft_model_new(&c, &err);
    assert_non_null(f);
    aft_model_init_random(f, 21);
    size_t n;
    const aft_param *t = aft_model_param_list(f, &n);
    aft_rng rng;
    aft_rng_seed(&rng, 22);
    for (size_t i = 0; i < n; i++) /* adapters that change the function, larger weights */
        for (size_t k = 0; k < t[i].numel; k++)
            aft_model_params(f)[t[i].offset + k] += (float)(aft_rng_normal(&rng) * 0.1);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/lora", tmpdir);
    export_to(dir, f);
    aft_model *l = aft_int8_load(dir, 5, &err);
    if (!l)
        fail_msg("%s", err.msg);
    assert_int_equal(aft_model_get_config(l)->lora_rank, 0);
    small_batch sb;
    make_batch(&sb);
    static float fa[15], qa[15];
    run_model(f, &sb, fa, NULL);
    run_model(l, &sb, qa, NULL);
    double scale, d = max_diff(fa, qa, 15, &scale);
    print_message("LoRA model: max |float - int8| %.4f of max |logit| %.3f\n", d, scale);
    assert_true(d < 0.05 * scale);
    /* An in-memory model with adapters is not quantized as it is. */
    assert_int_equal(aft_model_quantize_int8(f, &err), -1);
    assert_non_null(strstr(err.msg, "LoRA"));
    aft_model_free(l);
    aft_model_free(f);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, fp), *len);
    fclose(fp);
    return b;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void expect_load_error(const char *dir, const char *want1, const char *want2)
{
    aft_error err = {0};
    aft_model *m = aft_int8_load(dir, 5, &err);
    if (m || !strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fail_msg("expected an error with \"%s\" and \"%s\", got %s", want1, want2 ? want2 : "",
                 m ? "a model" : err.msg);
    print_message("%s\n", err.msg);
}

/* The byte offset of a tensor's data in the file. */
static size_t data_offset(const char *path, const char *name)
{
    aft_error err = {0};
    aft_st_file *f = aft_st_read(path, &err);
    assert_non_null(f);
    const aft_st_tensor *t = aft_st_find(f, name);
    assert_non_null(t);
    size_t off = (size_t)((const unsigned char *)t->data - (const unsigned char *)f->bytes);
    aft_st_free(f);
    return off;
}

static void test_corrupt_files(void **state)
{
    (void)state;
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/corrupt", tmpdir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    aft_model *f = random_model(17);
    export_to(dir, f);
    size_t len;
    unsigned char *good = slurp(path, &len);
    unsigned char *bad = malloc(len);
    const char *qname = "transformer.h.1.mlp.c_fc.weight_int8";
    size_t q_at = data_offset(path, qname), s_at = data_offset(path, "score.weight_scale");
    /* Truncated: the file names itself. */
    spit(path, good, len / 2);
    expect_load_error(dir, path, NULL);
    spit(path, good, 5);
    expect_load_error(dir, path, "too short");
    /* A header that is not JSON. */
    memcpy(bad, good, len);
    bad[9] = '#';
    spit(path, bad, len);
    expect_load_error(dir, path, NULL);
    /* -128, which the symmetric format never holds. */
    memcpy(bad, good, len);
    bad[q_at + 17] = 0x80;
    spit(path, bad, len);
    expect_load_error(dir, path, "\"transformer.h.1.mlp.c_fc.weight_int8\" holds -128");
    /* A NaN scale. */
    memcpy(bad, good, len);
    memset(bad + s_at + 4, 0xff, 4);
    spit(path, bad, len);
    expect_load_error(dir, path, "\"score.weight_scale\" has");
    /* A wrong number of actions for the head. */
    spit(path, good, len);
    aft_error err = {0};
    aft_model *m = aft_int8_load(dir, 4, &err);
    assert_null(m);
    assert_non_null(strstr(err.msg, "score.weight_int8"));
    /* A float checkpoint is not an INT8 export. */
    char plain[600];
    snprintf(plain, sizeof plain, "%s/plain", tmpdir);
    mkdir(plain, 0755);
    assert_int_equal(aft_checkpoint_save_model(plain, f, NULL, actions, 5, &err), 0);
    assert_false(aft_int8_is_export(plain));
    expect_load_error(plain, "not an INT8 export", NULL);
    free(bad);
    free(good);
    aft_model_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_shapes),
        cmocka_unit_test(test_gemm_extremes),
        cmocka_unit_test(test_kernel_choice),
        cmocka_unit_test(test_quantize_bound),
        cmocka_unit_test(test_quantize_avx2_same),
        cmocka_unit_test(test_model_close_to_float),
        cmocka_unit_test(test_model_kernels_agree),
        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_export_lora),
        cmocka_unit_test(test_corrupt_files),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
