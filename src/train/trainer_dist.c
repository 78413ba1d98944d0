/* Data-parallel runs, the trainer's side of an MPI job (t->opts.dist): each
 * rank's part of a global batch, the gradient sums, commands handed from
 * rank 0 at step boundaries, and the checks that every rank trains the same
 * data and ends with the same weights. In a job of one these do nothing. */
#include "trainer_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/dist.h"
#include "agentft/fileio.h"

int tr_dist_size(const aft_trainer *t)
{
    return aft_dist_size(t->opts.dist);
}

int tr_dist_leader(const aft_trainer *t)
{
    return aft_dist_rank(t->opts.dist) == 0;
}

/* The first n % P ranks take one example more, as grad_accum splits its
 * micro-batches; so P ranks of one micro-batch each see the same batches
 * as one process with grad_accum P. */
void tr_dist_slice(const aft_trainer *t, size_t n, size_t *lo, size_t *m)
{
    size_t P = (size_t)tr_dist_size(t), r = (size_t)aft_dist_rank(t->opts.dist);
    size_t q = n / P, extra = n % P;
    *m = q + (r < extra);
    *lo = r * q + (r < extra ? r : extra);
}

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define HASH_START 0xcbf29ce484222325ULL

static uint64_t hash_u64(uint64_t h, uint64_t v)
{
    return hash_bytes(h, &v, sizeof v);
}

static uint64_t weights_hash(aft_trainer *t)
{
    size_t n_state;
    const float *state = aft_optim_state(t->optim, &n_state);
    uint64_t h = hash_bytes(HASH_START, aft_model_params(t->model),
                            aft_model_num_floats(t->model) * sizeof(float));
    return hash_bytes(h, state, n_state * sizeof(float));
}

/* Every rank's v must be rank 0's; `what` names it in the error, `hint`
 * follows. */
static int same_everywhere(aft_trainer *t, uint64_t v, const char *what, const char *hint,
                           aft_error *err)
{
    int P = tr_dist_size(t);
    uint64_t *all = calloc((size_t)P, sizeof *all);
    if (!all)
        return aft_error_set(err, "out of memory");
    int rc = aft_dist_gather_u64(t->opts.dist, v, all, err);
    for (int r = 1; rc == 0 && r < P; r++)
        if (all[r] != all[0])
            rc = aft_error_set(err, "rank %d has other %s than rank 0 at step %llu%s", r, what,
                               (unsigned long long)t->st.step, hint);
    free(all);
    return rc;
}

int tr_dist_same_data(aft_trainer *t, aft_error *err)
{
    if (tr_dist_size(t) == 1)
        return 0;
    return same_everywhere(t, tr_data_fingerprint(&t->data), "training data",
                           " (do all ranks read the same files? was one edited while they "
                           "read it?)", err);
}

int tr_dist_bcast_weights(aft_trainer *t, aft_error *err)
{
    if (tr_dist_size(t) == 1)
        return 0;
    pthread_mutex_lock(&t->wmu);
    int rc = aft_dist_bcast(t->opts.dist, aft_model_params(t->model),
                            aft_model_num_floats(t->model) * sizeof(float), err);
    pthread_mutex_unlock(&t->wmu);
    return rc;
}

/* Where the run stands, as every rank must agree before the first step. */
static uint64_t position_hash(const aft_trainer *t)
{
    uint64_t h = hash_u64(HASH_START, tr_data_fingerprint(&t->data));
    h = hash_u64(h, aft_model_num_floats(t->model));
    h = hash_u64(h, t->data.actions.count);
    h = hash_u64(h, t->st.step);
    h = hash_u64(h, t->st.epoch);
    h = hash_u64(h, t->st.epoch_pos);
    return hash_u64(h, aft_optim_steps(t->optim));
}

int tr_dist_check(const aft_trainer *t, aft_error *err)
{
    if (tr_dist_size(t) > 1 && tr_is_ppo(t))
        return aft_error_set(err, "train.objective: ppo runs in one process; start it without "
                             "mpirun");
    return 0;
}

int tr_dist_begin(aft_trainer *t, aft_error *err)
{
    int P = tr_dist_size(t), rank = aft_dist_rank(t->opts.dist);
    if (P == 1)
        return 0;
    /* The run directory is rank 0's; the others keep its name for messages. */
    if (aft_dist_bcast(t->opts.dist, t->run_dir, sizeof t->run_dir, err) < 0 ||
        same_everywhere(t, position_hash(t), "data, model or step",
                        " (do all ranks read the same workspace and files?)", err) < 0)
        return -1;
    size_t n_state;
    float *state = aft_optim_state(t->optim, &n_state);
    if (tr_dist_bcast_weights(t, err) < 0 ||
        aft_dist_bcast(t->opts.dist, state, n_state * sizeof(float), err) < 0)
        return -1;
    /* Dropout: each rank its own masks (rank 0 keeps the stream checkpoints save). */
    aft_rng *rng = aft_model_rng(t->model);
    if (rank > 0)
        aft_rng_seed(rng, rng->s[0] ^ rng->s[3] ^ (0x9E3779B97F4A7C15ULL * (uint64_t)rank));
    tr_log(t, "mpi: %d ranks, each global batch of %lld examples split across them", P,
           (long long)aft_config_int(t->cfg, AFT_K_BATCH_SIZE));
    return 0;
}

int tr_dist_reduce_step(aft_trainer *t, double *sums, size_t n, aft_error *err)
{
    t->comm_s = t->wait_s = 0;
    if (tr_dist_size(t) == 1)
        return 0;
    aft_dist *d = t->opts.dist;
    /* The barrier costs microseconds and splits a slow rank's delay (or a
     * busy machine's) from the cost of the sum itself. */
    double waited = aft_dist_wait_seconds(d);
    if (aft_dist_barrier(d, err) < 0)
        return -1;
    t->wait_s = aft_dist_wait_seconds(d) - waited;
    t->wait_total_s += t->wait_s;
    double before = aft_dist_sum_seconds(d);
    size_t np;
    const aft_param *p = aft_model_param_list(t->model, &np);
    float *g = aft_model_grads(t->model);
    /* Frozen tensors have no gradients: one sum per run of trainable ones. */
    for (size_t i = 0; i < np;) {
        if (!p[i].trainable) {
            i++;
            continue;
        }
        size_t off = p[i].offset, end = off + p[i].numel, j = i + 1;
        for (; j < np && p[j].trainable && p[j].offset == end; j++)
            end += p[j].numel;
        if (aft_dist_sum_f32(d, g + off, end - off, err) < 0)
            return -1;
        i = j;
    }
    t->comm_s = aft_dist_sum_seconds(d) - before;
    t->comm_total_s += t->comm_s;
    return aft_dist_sum_f64(d, sums, n, err);
}

int tr_dist_sum_counts(aft_trainer *t, size_t *counts, size_t n, aft_error *err)
{
    if (tr_dist_size(t) == 1 || n == 0)
        return 0;
    uint64_t *v = malloc(n * sizeof *v);
    if (!v)
        return aft_error_set(err, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = counts[i];
    int rc = aft_dist_sum_u64(t->opts.dist, v, n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        counts[i] = (size_t)v[i];
    free(v);
    return rc;
}

/* One message of a step boundary: a command to apply, or the end. */
typedef struct boundary_msg {
    int32_t more;    /* 1: apply cmd, then read the next message; 0: the boundary ends */
    int32_t abort;   /* with more = 0: rank 0 was asked to stop at once */
    aft_cmd cmd;
} boundary_msg;

/* Every rank applies rank 0's commands in its order, so live changes,
 * pauses and stops happen at the same step everywhere. */
int tr_dist_drain(aft_trainer *t, aft_error *err)
{
    for (;;) {
        boundary_msg m;
        memset(&m, 0, sizeof m);
        if (tr_dist_leader(t)) {
            m.more = tr_next_command(t, &m.cmd);
            m.abort = !m.more && atomic_load(&t->abort_local);
        }
        if (aft_dist_bcast_idle(t->opts.dist, &m, sizeof m, err) < 0)
            return -1;
        if (!m.more) {
            if (m.abort)
                atomic_store(&t->abort_req, 1);
            break;
        }
        if (tr_apply_cmd(t, &m.cmd, err) < 0)
            return -1;
        /* Turning the LM loss on reads the files again. */
        if (m.cmd.kind == AFT_CMD_SET && tr_dist_same_data(t, err) < 0)
            return -1;
    }
    if (t->stop_req && t->paused)
        t->paused = 0;
    return 0;
}

/* AGENTFT_DIST_DUMP=DIR (for tests): each rank writes its final weights to
 * DIR/rank-R.f32, to compare byte for byte. */
static int dump_weights(aft_trainer *t, aft_error *err)
{
    const char *dir = getenv("AGENTFT_DIST_DUMP");
    if (!dir || !*dir)
        return 0;
    char name[64], path[TR_PATH_MAX];
    snprintf(name, sizeof name, "rank-%d.f32", aft_dist_rank(t->opts.dist));
    if (aft_path_join(path, sizeof path, dir, name, err) < 0)
        return -1;
    return aft_write_file_atomic(path, aft_model_params(t->model),
                                 aft_model_num_floats(t->model) * sizeof(float), err);
}

int tr_dist_end(aft_trainer *t, aft_error *err)
{
    int P = tr_dist_size(t);
    if (P == 1)
        return 0;
    uint64_t h = weights_hash(t);
    if (same_everywhere(t, h, "weights or optimizer state", "", err) < 0 || dump_weights(t, err) < 0)
        return -1;
    double s = t->steps_s > 0 ? t->steps_s : 1;
    tr_log(t, "mpi: the weights are identical on all %d ranks (hash %016" PRIx64 "); of %.3f s "
           "in training steps, %.3f s (%.1f%%) summing gradients (allreduce) and %.3f s (%.1f%%) "
           "waiting for the slowest rank first", P, h, t->steps_s, t->comm_total_s,
           100 * t->comm_total_s / s, t->wait_total_s, 100 * t->wait_total_s / s);
    return 0;
}
