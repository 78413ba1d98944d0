/* Data-parallel jobs: the only module that talks to MPI. Built with
 * ./configure --with-mpi and started by mpirun (or another MPI launcher), a
 * job has several ranks; otherwise, and always in a build without MPI, it is
 * one process, rank 0 of 1, and every collective below returns at once with
 * the data as it was. A NULL aft_dist is such a job of one.
 *
 * Collectives are called by every rank in the same order, from one thread at
 * a time (MPI_THREAD_SERIALIZED): the trainer's thread during a run, the
 * program's main thread before and after. Failures come back as aft_error;
 * a rank that dies is noticed by mpirun, which ends the others. */
#ifndef AGENTFT_DIST_H
#define AGENTFT_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

typedef struct aft_dist aft_dist;

/* 1 when this agentft was built with MPI (./configure --with-mpi). */
int aft_dist_built_with_mpi(void);

/* Joins the job: MPI is started only when a launcher's environment says so
 * (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK), so a plain `agentft train`
 * stays a process of its own. A build without MPI started by mpirun with
 * several ranks is an error that says how to build one. Caller closes. */
aft_dist *aft_dist_open(aft_error *err);
/* Leaves the job (MPI_Finalize: every rank calls it). NULL is allowed. */
void aft_dist_close(aft_dist *d);
/* Ends every rank of the job with `code` (MPI_Abort); returns only in a job
 * of one, where it does nothing. */
void aft_dist_abort(aft_dist *d, int code);

int aft_dist_rank(const aft_dist *d);
int aft_dist_size(const aft_dist *d);

/* Sums n floats over the ranks, in place, in buckets of at most
 * AFT_DIST_BUCKET_FLOATS (one message each); the time it takes, waiting
 * for the slowest rank included, adds to aft_dist_sum_seconds. */
#define AFT_DIST_BUCKET_FLOATS ((size_t)1 << 20)
int aft_dist_sum_f32(aft_dist *d, float *buf, size_t n, aft_error *err);
int aft_dist_sum_f64(aft_dist *d, double *buf, size_t n, aft_error *err);
int aft_dist_sum_u64(aft_dist *d, uint64_t *buf, size_t n, aft_error *err);
/* Every rank's value of v into all[0..size-1], in rank order. */
int aft_dist_gather_u64(aft_dist *d, uint64_t v, uint64_t *all, aft_error *err);

/* Waits until every rank has called it; the time adds to
 * aft_dist_wait_seconds (before a sum, it tells waiting for the slowest
 * rank apart from the sum itself). */
int aft_dist_barrier(aft_dist *d, aft_error *err);

/* Rank 0's bytes into buf on every rank. */
int aft_dist_bcast(aft_dist *d, void *buf, size_t bytes, aft_error *err);
/* The same for a wait that may be long (rank 0 paused by the user): the
 * other ranks poll, sleeping between tries, instead of spinning a core. */
int aft_dist_bcast_idle(aft_dist *d, void *buf, size_t bytes, aft_error *err);

/* Seconds spent in aft_dist_sum_f32 and in aft_dist_barrier since the job
 * was opened. */
double aft_dist_sum_seconds(const aft_dist *d);
double aft_dist_wait_seconds(const aft_dist *d);

#endif
