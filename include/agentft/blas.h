/* OpenBLAS set-up: choosing its kernels for this CPU (before the library
 * settles on a poor guess), checking they compute correctly, thread count. */
#ifndef AGENTFT_BLAS_H
#define AGENTFT_BLAS_H

#include <stddef.h>

#include "agentft/error.h"

/* What the CPU and the operating system support, from cpuid and xgetbv. */
typedef struct aft_cpu_features {
    int sse3, ssse3, sse4_2;
    int avx, avx2, fma;
    int avx512f, avx512dq, avx512bw, avx512vl;
    int avx512vnni;    /* VPDPBUSD: int8 dot products (the INT8 kernel) */
    int os_avx;        /* the OS saves the YMM registers (XCR0 bits 1-2) */
    int os_avx512;     /* ... and the opmask and ZMM registers (XCR0 bits 5-7) */
} aft_cpu_features;

void aft_cpu_detect(aft_cpu_features *f);

/* The best OpenBLAS core for these features ("SkylakeX", "Haswell",
 * "Sandybridge"), or NULL when there is nothing better than SSE3. */
const char *aft_blas_best_core(const aft_cpu_features *f);

typedef enum {
    AFT_BLAS_KEEP,   /* leave OpenBLAS's own choice */
    AFT_BLAS_AUTO,   /* switch to a better core for this CPU */
    AFT_BLAS_USER,   /* switch to the core AGENTFT_BLAS_CORE names */
} aft_blas_action;

/* The decision, as a pure function (so it can be tested on any machine):
 *   detected          the core OpenBLAS picked (openblas_get_corename())
 *   cpu               the CPU's features
 *   agentft_core      $AGENTFT_BLAS_CORE: NULL/"" or "auto", "off", or a core name
 *   openblas_coretype $OPENBLAS_CORETYPE as the user set it (NULL if unset)
 * A core name in AGENTFT_BLAS_CORE wins over OPENBLAS_CORETYPE; "auto" leaves
 * a user's OPENBLAS_CORETYPE alone. Auto switches only when OpenBLAS picked a
 * core below the AVX2 class (Prescott, Core2, Nehalem, Sandybridge, ...) and
 * the CPU and OS support a better class. The core to set goes to core_out.
 * Returns the action, or -1 (with err) for an unknown name or one whose
 * instructions this CPU lacks. */
int aft_blas_decide(const char *detected, const aft_cpu_features *cpu, const char *agentft_core,
                    const char *openblas_coretype, char *core_out, size_t n, aft_error *err);

/* Called first thing in main(), with main's argv: when OpenBLAS settled on a
 * worse core than the CPU allows, sets OPENBLAS_CORETYPE and restarts the
 * program (/proc/self/exe, same argv; AGENTFT_BLAS_REEXEC guards against
 * loops), since OpenBLAS reads it only when it loads. In the restarted
 * process it runs the self-test and, if the chosen core computes wrongly,
 * restarts once more with OpenBLAS's own choice. Returns 0, or -1 with a
 * warning in err (a bad AGENTFT_BLAS_CORE, a failed restart, a failed
 * self-test); the program can always carry on.
 * Test hooks: AGENTFT_BLAS_TEST_PRETEND_CORE=NAME makes the decision believe
 * OpenBLAS detected NAME; AGENTFT_BLAS_TEST_FAIL_SELFTEST=1 makes the
 * self-test after a switch fail. */
int aft_blas_prepare(int argc, char **argv, aft_error *err);

/* Checks small sgemm products (both transposes, alpha and beta) against a
 * plain loop. Returns 0, or -1 with the worst error in err. */
int aft_blas_selftest(aft_error *err);

/* "OpenBLAS 0.3.21, core SkylakeX (auto-selected; OpenBLAS detected
 * Prescott), 2 threads". Returns buf. */
const char *aft_blas_describe(char *buf, size_t n);

/* Sets OpenBLAS's thread count; n <= 0 means one per online core. Returns
 * the count now in use. */
int aft_blas_set_threads(int n);
int aft_blas_get_threads(void);

#endif
