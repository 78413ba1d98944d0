/* The MPI job behind include/agentft/dist.h. Every MPI call of agentft is in
 * this file, behind AFT_HAVE_MPI; without it a job is always one process. */
#include "config.h"

#include "agentft/clock.h"
#include "agentft/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef AFT_HAVE_MPI
#include <mpi.h>
#endif

struct aft_dist {
    int rank, size;
    int mpi;          /* MPI was started (and is finalized on close) */
    double sum_s;     /* time in aft_dist_sum_f32 */
    double wait_s;    /* time in aft_dist_barrier */
};

typedef enum { T_F32, T_F64, T_U64 } elem_type;

/* The ranks a launcher says the job has: 0 when not launched by one, -1
 * when launched but the count is not in the environment. */
static long launched_ranks(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return getenv("PMIX_RANK") ? -1 : 0;
}

int aft_dist_built_with_mpi(void)
{
#ifdef AFT_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int aft_dist_rank(const aft_dist *d)
{
    return d ? d->rank : 0;
}

int aft_dist_size(const aft_dist *d)
{
    return d ? d->size : 1;
}

double aft_dist_sum_seconds(const aft_dist *d)
{
    return d ? d->sum_s : 0.0;
}

double aft_dist_wait_seconds(const aft_dist *d)
{
    return d ? d->wait_s : 0.0;
}

static int many(const aft_dist *d)
{
    return d && d->mpi && d->size > 1;
}

#ifdef AFT_HAVE_MPI

static int mpi_fail(aft_error *err, int rc, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", rc);
    return aft_error_set(err, "MPI: %s failed: %s", what, text);
}

static MPI_Datatype mpi_type(elem_type t)
{
    return t == T_F32 ? MPI_FLOAT : t == T_F64 ? MPI_DOUBLE : MPI_UINT64_T;
}

static int start_mpi(aft_dist *d, aft_error *err)
{
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return aft_error_set(err, "MPI: cannot join the job (MPI_Init_thread failed)");
    d->mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    /* The trainer's own thread makes the calls, not the one that started MPI. */
    if (provided < MPI_THREAD_SERIALIZED)
        return aft_error_set(err, "MPI: the library allows calls from the main thread only "
                             "(thread level %d); agentft needs MPI_THREAD_SERIALIZED", provided);
    int rc = MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "MPI_Comm_size");
}

static int allreduce(aft_dist *d, void *buf, size_t n, elem_type t, aft_error *err)
{
    size_t esize = t == T_F32 ? sizeof(float) : 8;
    for (size_t off = 0; off < n; off += AFT_DIST_BUCKET_FLOATS) {
        size_t m = n - off < AFT_DIST_BUCKET_FLOATS ? n - off : AFT_DIST_BUCKET_FLOATS;
        int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + off * esize, (int)m, mpi_type(t),
                               MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, rc, "MPI_Allreduce");
    }
    (void)d;
    return 0;
}

static int bcast(aft_dist *d, void *buf, size_t bytes, aft_error *err)
{
    (void)d;
    const size_t chunk = (size_t)1 << 30;
    for (size_t off = 0; off < bytes; off += chunk) {
        size_t m = bytes - off < chunk ? bytes - off : chunk;
        int rc = MPI_Bcast((char *)buf + off, (int)m, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, rc, "MPI_Bcast");
    }
    return 0;
}

/* Spins for a short while (the usual wait at a step boundary is short),
 * then sleeps longer and longer, up to 10 ms, between tests. */
static int bcast_idle(aft_dist *d, void *buf, size_t bytes, aft_error *err)
{
    if (bytes > INT_MAX)
        return aft_error_set(err, "MPI: a message of %zu bytes is too long", bytes);
    MPI_Request req;
    int rc = MPI_Ibcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, rc, "MPI_Ibcast");
    if (d->rank == 0) {
        rc = MPI_Wait(&req, MPI_STATUS_IGNORE);
        return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "MPI_Wait");
    }
    double spin_until = aft_monotonic_s() + 0.002;
    long nap_ns = 50000;
    for (;;) {
        int done = 0;
        rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, rc, "MPI_Test");
        if (done)
            return 0;
        if (aft_monotonic_s() < spin_until)
            continue;
        struct timespec ts = {0, nap_ns};
        nanosleep(&ts, NULL);
        if (nap_ns < 10000000)
            nap_ns *= 2;
    }
}

static int barrier(aft_dist *d, aft_error *err)
{
    (void)d;
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "MPI_Barrier");
}

static int gather_u64(aft_dist *d, uint64_t v, uint64_t *all, aft_error *err)
{
    (void)d;
    int rc = MPI_Allgather(&v, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "MPI_Allgather");
}

#else /* without MPI a job is one process: nothing reaches these */

static int start_mpi(aft_dist *d, aft_error *err)
{
    (void)d;
    long n = launched_ranks();
    if (n > 1 || (n < 0 && strcmp(getenv("PMIX_RANK"), "0") != 0))
        return aft_error_set(err, "started by an MPI launcher with several ranks, but this "
                             "agentft was built without MPI: build it with ./configure --with-mpi "
                             "(on Debian: apt-get install libopenmpi-dev openmpi-bin)");
    return 0;
}

static int allreduce(aft_dist *d, void *buf, size_t n, elem_type t, aft_error *err)
{
    (void)d, (void)buf, (void)n, (void)t, (void)err;
    return 0;
}

static int bcast(aft_dist *d, void *buf, size_t bytes, aft_error *err)
{
    (void)d, (void)buf, (void)bytes, (void)err;
    return 0;
}

static int bcast_idle(aft_dist *d, void *buf, size_t bytes, aft_error *err)
{
    return bcast(d, buf, bytes, err);
}

static int barrier(aft_dist *d, aft_error *err)
{
    (void)d, (void)err;
    return 0;
}

static int gather_u64(aft_dist *d, uint64_t v, uint64_t *all, aft_error *err)
{
    (void)d, (void)v, (void)all, (void)err;
    return 0;
}

#endif

aft_dist *aft_dist_open(aft_error *err)
{
    aft_dist *d = calloc(1, sizeof *d);
    if (!d) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    d->size = 1;
    if (launched_ranks() != 0 && start_mpi(d, err) < 0) {
        aft_dist_close(d);
        return NULL;
    }
    return d;
}

void aft_dist_close(aft_dist *d)
{
    if (!d)
        return;
#ifdef AFT_HAVE_MPI
    if (d->mpi)
        MPI_Finalize();
#endif
    free(d);
}

void aft_dist_abort(aft_dist *d, int code)
{
#ifdef AFT_HAVE_MPI
    if (many(d))
        MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)d, (void)code;
#endif
}

int aft_dist_sum_f32(aft_dist *d, float *buf, size_t n, aft_error *err)
{
    if (!many(d) || n == 0)
        return 0;
    double t0 = aft_monotonic_s();
    int rc = allreduce(d, buf, n, T_F32, err);
    d->sum_s += aft_monotonic_s() - t0;
    return rc;
}

int aft_dist_barrier(aft_dist *d, aft_error *err)
{
    if (!many(d))
        return 0;
    double t0 = aft_monotonic_s();
    int rc = barrier(d, err);
    d->wait_s += aft_monotonic_s() - t0;
    return rc;
}

int aft_dist_sum_f64(aft_dist *d, double *buf, size_t n, aft_error *err)
{
    return many(d) && n ? allreduce(d, buf, n, T_F64, err) : 0;
}

int aft_dist_sum_u64(aft_dist *d, uint64_t *buf, size_t n, aft_error *err)
{
    return many(d) && n ? allreduce(d, buf, n, T_U64, err) : 0;
}

int aft_dist_gather_u64(aft_dist *d, uint64_t v, uint64_t *all, aft_error *err)
{
    if (!many(d)) {
        all[0] = v;
        return 0;
    }
    return gather_u64(d, v, all, err);
}

int aft_dist_bcast(aft_dist *d, void *buf, size_t bytes, aft_error *err)
{
    return many(d) && bytes ? bcast(d, buf, bytes, err) : 0;
}

int aft_dist_bcast_idle(aft_dist *d, void *buf, size_t bytes, aft_error *err)
{
    return many(d) && bytes ? bcast_idle(d, buf, bytes, err) : 0;
}
