/* OpenBLAS set-up: picking the kernel set ("core") before the library's own
 * detection is trusted, a correctness self-test, threads and a description. */
#include "agentft/blas.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define AFT_X86 1
#endif

/* OpenBLAS's own extensions; Debian's cblas.h declares them too, with the
 * same types, but not every cblas.h does. */
char *openblas_get_corename(void);
char *openblas_get_config(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

/* Environment names. AGENTFT_BLAS_REEXEC says which restart we are in ("1":
 * after switching core, "2": after falling back); the others carry what the
 * first process saw, for aft_blas_describe. */
#define ENV_CORETYPE "OPENBLAS_CORETYPE"
#define ENV_CORE "AGENTFT_BLAS_CORE"
#define ENV_REEXEC "AGENTFT_BLAS_REEXEC"
#define ENV_DETECTED "AGENTFT_BLAS_DETECTED"
#define ENV_REASON "AGENTFT_BLAS_REASON"
#define ENV_NOTE "AGENTFT_BLAS_NOTE"
#define ENV_PRETEND "AGENTFT_BLAS_TEST_PRETEND_CORE"
#define ENV_FAIL_SELFTEST "AGENTFT_BLAS_TEST_FAIL_SELFTEST"

/* Instruction classes, in order of kernel quality. */
enum { CLASS_SSE, CLASS_AVX, CLASS_AVX2, CLASS_AVX512 };

typedef struct core_info {
    const char *name;   /* as OPENBLAS_CORETYPE takes it */
    int cls;
} core_info;

/* The x86-64 cores of a DYNAMIC_ARCH OpenBLAS (0.3.x). Names compare without
 * case; "Opteron_SSE3" is how some versions report OpteronSSE3. */
static const core_info cores[] = {
    {"Unknown", CLASS_SSE},     {"Generic", CLASS_SSE},      {"Katmai", CLASS_SSE},
    {"Coppermine", CLASS_SSE},  {"Northwood", CLASS_SSE},    {"Prescott", CLASS_SSE},
    {"Banias", CLASS_SSE},      {"Atom", CLASS_SSE},         {"Core2", CLASS_SSE},
    {"Penryn", CLASS_SSE},      {"Dunnington", CLASS_SSE},   {"Nehalem", CLASS_SSE},
    {"Athlon", CLASS_SSE},      {"Opteron", CLASS_SSE},      {"OpteronSSE3", CLASS_SSE},
    {"Opteron_SSE3", CLASS_SSE}, {"Barcelona", CLASS_SSE},   {"Nano", CLASS_SSE},
    {"Sandybridge", CLASS_AVX}, {"Bulldozer", CLASS_AVX},    {"Piledriver", CLASS_AVX},
    {"Haswell", CLASS_AVX2},    {"Steamroller", CLASS_AVX2}, {"Excavator", CLASS_AVX2},
    {"Zen", CLASS_AVX2},        {"SkylakeX", CLASS_AVX512},  {"Cooperlake", CLASS_AVX512},
    {"SapphireRapids", CLASS_AVX512},
};

static const core_info *find_core(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
        if (strcasecmp(cores[i].name, name) == 0)
            return &cores[i];
    return NULL;
}

static int cpu_class(const aft_cpu_features *f)
{
    if (f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->os_avx512)
        return CLASS_AVX512;
    if (f->avx2 && f->fma && f->avx && f->os_avx)
        return CLASS_AVX2;
    if (f->avx && f->os_avx)
        return CLASS_AVX;
    return CLASS_SSE;
}

const char *aft_blas_best_core(const aft_cpu_features *f)
{
    static const char *const best[] = {NULL, "Sandybridge", "Haswell", "SkylakeX"};
    return best[cpu_class(f)];
}

#ifdef AFT_X86
static unsigned long long read_xcr0(void)
{
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif

void aft_cpu_detect(aft_cpu_features *f)
{
    memset(f, 0, sizeof *f);
#ifdef AFT_X86
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    f->sse3 = (c >> 0) & 1;
    f->ssse3 = (c >> 9) & 1;
    f->fma = (c >> 12) & 1;
    f->sse4_2 = (c >> 20) & 1;
    f->avx = (c >> 28) & 1;
    /* XGETBV exists only when the OS enabled XSAVE (OSXSAVE, bit 27). */
    if ((c >> 27) & 1) {
        unsigned long long xcr0 = read_xcr0();
        f->os_avx = (xcr0 & 0x6) == 0x6;
        f->os_avx512 = f->os_avx && (xcr0 & 0xe0) == 0xe0;
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f->avx2 = (b >> 5) & 1;
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = (b >> 17) & 1;
        f->avx512bw = (b >> 30) & 1;
        f->avx512vl = (b >> 31) & 1;
        f->avx512vnni = (c >> 11) & 1;
    }
#endif
}

static int set_core(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s", name);
    return 0;
}

/* AGENTFT_BLAS_CORE=NAME: a core this CPU can run, unless it is the one in use. */
static int decide_user(const char *detected, const aft_cpu_features *cpu, const char *want,
                       char *core_out, size_t n, aft_error *err)
{
    const core_info *ci = find_core(want);
    if (!ci)
        return aft_error_set(err, "AGENTFT_BLAS_CORE=%s is not an OpenBLAS core (try SkylakeX, "
                             "Haswell, Sandybridge, Prescott, auto or off)", want);
    if (ci->cls > cpu_class(cpu))
        return aft_error_set(err, "AGENTFT_BLAS_CORE=%s needs instructions this CPU or OS does "
                             "not offer; keeping %s", want, detected ? detected : "OpenBLAS's choice");
    if (detected && strcasecmp(detected, ci->name) == 0)
        return AFT_BLAS_KEEP;
    set_core(core_out, n, ci->name);
    return AFT_BLAS_USER;
}

int aft_blas_decide(const char *detected, const aft_cpu_features *cpu, const char *agentft_core,
                    const char *openblas_coretype, char *core_out, size_t n, aft_error *err)
{
    if (n)
        core_out[0] = '\0';
    int is_auto = !agentft_core || !*agentft_core || strcasecmp(agentft_core, "auto") == 0;
    if (agentft_core && strcasecmp(agentft_core, "off") == 0)
        return AFT_BLAS_KEEP;
    if (!is_auto)
        return decide_user(detected, cpu, agentft_core, core_out, n, err);
    if (openblas_coretype && *openblas_coretype)
        return AFT_BLAS_KEEP;
    /* A core we do not know (another architecture, a newer OpenBLAS) is left alone. */
    const core_info *det = find_core(detected);
    if (!det || det->cls >= CLASS_AVX2)
        return AFT_BLAS_KEEP;
    const char *best = aft_blas_best_core(cpu);
    const core_info *b = find_core(best);
    if (!b || b->cls <= det->cls)
        return AFT_BLAS_KEEP;
    set_core(core_out, n, best);
    return AFT_BLAS_AUTO;
}

/* ---- self-test ---- */

/* Deterministic values in [-1, 1) without touching any shared rng. */
static void fill(float *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

/* C = alpha * op(A) op(B) + beta * C, row-major, in double. */
static void ref_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, const float *C0, double *C)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[k * lda + i] : A[i * lda + k];
                double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
            }
            C[i * N + j] = alpha * s + beta * C0[i * N + j];
        }
    }
}

/* One case; returns the worst error relative to the row's magnitude. */
static double check_case(int ta, int tb, float alpha, float beta, float *A, float *B, float *C,
                         float *C0, double *R)
{
    /* Odd sizes reach the kernels' edge paths, not just the full tiles. */
    enum { M = 37, N = 53, K = 71 };
    int lda = ta ? M : K, ldb = tb ? K : N;
    fill(A, (size_t)M * K, 1u + (unsigned)ta);
    fill(B, (size_t)K * N, 3u + (unsigned)tb);
    fill(C0, (size_t)M * N, 5u);
    memcpy(C, C0, sizeof(float) * M * N);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M,
                N, K, alpha, A, lda, B, ldb, beta, C, N);
    ref_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C0, R);
    double worst = 0;
    for (int i = 0; i < M * N; i++) {
        double e = fabs((double)C[i] - R[i]) / (fabs(R[i]) + sqrt((double)K));
        if (!(e <= worst))  /* also catches NaN */
            worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

int aft_blas_selftest(aft_error *err)
{
    enum { MAXE = 71 * 71 };
    float *A = malloc(sizeof(float) * MAXE), *B = malloc(sizeof(float) * MAXE);
    float *C = malloc(sizeof(float) * MAXE), *C0 = malloc(sizeof(float) * MAXE);
    double *R = malloc(sizeof(double) * MAXE);
    int rc = 0;
    if (!A || !B || !C || !C0 || !R) {
        rc = aft_error_set(err, "BLAS self-test: out of memory");
        goto out;
    }
    static const float ab[4][2] = {{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}, {1.0f, 1.0f}};
    double worst = 0;
    for (int t = 0; t < 4; t++) {
        double e = check_case(t & 1, t >> 1, ab[t][0], ab[t][1], A, B, C, C0, R);
        if (!(e <= worst))
            worst = e;
    }
    /* float32 sums of 71 terms are good to ~1e-6; a broken kernel is off by O(1). */
    if (!(worst < 1e-4))
        rc = aft_error_set(err, "BLAS self-test: sgemm is off by %.3g (relative) with core %s",
                           worst, openblas_get_corename());
out:
    free(A);
    free(B);
    free(C);
    free(C0);
    free(R);
    return rc;
}

/* ---- restarting with another core ---- */

/* Sets the environment for the restart and execs; returns only on failure,
 * after undoing the environment and leaving a note for aft_blas_describe. */
static int restart(char **argv, const char *core, const char *stage, const char *detected,
                   const char *reason, const char *note, aft_error *err)
{
    setenv(ENV_CORETYPE, core, 1);
    setenv(ENV_REEXEC, stage, 1);
    setenv(ENV_DETECTED, detected, 1);
    setenv(ENV_REASON, reason, 1);
    if (note)
        setenv(ENV_NOTE, note, 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    int e = errno;
    unsetenv(ENV_CORETYPE);
    unsetenv(ENV_REEXEC);
    unsetenv(ENV_REASON);
    char msg[160];
    snprintf(msg, sizeof msg, "could not restart to use core %s: %s", core, strerror(e));
    setenv(ENV_NOTE, msg, 1);
    return aft_error_set(err, "OpenBLAS %s", msg);
}

/* In the restarted process: keep the switch if the kernels compute right,
 * else restart with OpenBLAS's own choice. */
static int after_restart(char **argv, const char *stage, aft_error *err)
{
    aft_error st = {0};
    int failed = aft_blas_selftest(&st) < 0;
    const char *hook = getenv(ENV_FAIL_SELFTEST);
    if (hook && strcmp(hook, "1") == 0 && strcmp(stage, "1") == 0) {
        failed = 1;
        aft_error_set(&st, "BLAS self-test: failure forced by %s", ENV_FAIL_SELFTEST);
    }
    if (!failed)
        return 0;
    const char *env_detected = getenv(ENV_DETECTED);
    if (strcmp(stage, "1") != 0 || !env_detected || !*env_detected)
        return aft_error_set(err, "%s", st.msg);
    /* Copied: restart() replaces the variable this points into. */
    char detected[64], note[160];
    snprintf(detected, sizeof detected, "%s", env_detected);
    snprintf(note, sizeof note, "self-test failed with core %s", openblas_get_corename());
    return restart(argv, detected, "2", detected, "fallback", note, err);
}

int aft_blas_prepare(int argc, char **argv, aft_error *err)
{
    if (argc < 1 || !argv || argv[argc] != NULL)
        return aft_error_set(err, "aft_blas_prepare needs main's argc and argv");
    const char *stage = getenv(ENV_REEXEC);
    if (stage && *stage)
        return after_restart(argv, stage, err);
    const char *pretend = getenv(ENV_PRETEND);
    const char *detected = pretend && *pretend ? pretend : openblas_get_corename();
    aft_cpu_features cpu;
    aft_cpu_detect(&cpu);
    char core[32];
    int action = aft_blas_decide(detected, &cpu, getenv(ENV_CORE), getenv(ENV_CORETYPE), core,
                                 sizeof core, err);
    if (action < 0)
        return -1;
    if (action == AFT_BLAS_KEEP)
        return aft_blas_selftest(err);
    return restart(argv, core, "1", detected, action == AFT_BLAS_AUTO ? "auto" : "user", NULL,
                   err);
}

/* ---- description and threads ---- */

/* "OpenBLAS 0.3.21" from the config string's first two words. */
static void version_of(char *out, size_t n)
{
    const char *cfg = openblas_get_config();
    size_t len = 0;
    int words = 0;
    while (cfg && cfg[len] && words < 2) {
        if (cfg[len] == ' ')
            words++;
        if (words < 2)
            len++;
    }
    snprintf(out, n, "%.*s", (int)(len < 64 ? len : 64), cfg ? cfg : "OpenBLAS");
}

static void why_of(char *out, size_t n)
{
    const char *stage = getenv(ENV_REEXEC), *reason = getenv(ENV_REASON);
    const char *detected = getenv(ENV_DETECTED), *note = getenv(ENV_NOTE);
    const char *core = getenv(ENV_CORE);
    if (!detected)
        detected = "?";
    if (stage && reason && strcmp(reason, "auto") == 0)
        snprintf(out, n, "auto-selected; OpenBLAS detected %s", detected);
    else if (stage && reason && strcmp(reason, "user") == 0)
        snprintf(out, n, "from AGENTFT_BLAS_CORE; OpenBLAS detected %s", detected);
    else if (stage && reason && strcmp(reason, "fallback") == 0)
        snprintf(out, n, "OpenBLAS's own choice; %s", note ? note : "self-test failed");
    else if (getenv(ENV_CORETYPE))
        snprintf(out, n, "from OPENBLAS_CORETYPE");
    else if (note)
        snprintf(out, n, "detected by OpenBLAS; %s", note);
    else if (core && strcasecmp(core, "off") == 0)
        snprintf(out, n, "detected by OpenBLAS; AGENTFT_BLAS_CORE=off");
    else
        snprintf(out, n, "detected by OpenBLAS");
}

const char *aft_blas_describe(char *buf, size_t n)
{
    char version[80], why[256];
    version_of(version, sizeof version);
    why_of(why, sizeof why);
    int t = openblas_get_num_threads();
    snprintf(buf, n, "%s, core %s (%s), %d thread%s", version, openblas_get_corename(), why, t,
             t == 1 ? "" : "s");
    return buf;
}

int aft_blas_set_threads(int n)
{
    if (n <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (int)online : 1;
    }
    openblas_set_num_threads(n);
    return openblas_get_num_threads();
}

int aft_blas_get_threads(void) { return openblas_get_num_threads(); }
