/* Copies of a run's weights, actions and reject threshold for other threads
 * (the workbench's Try pane): taken under the trainer's weights lock, which its thread holds
 * only while it changes them, so a copy is of a step boundary and never
 * waits longer than one optimizer update. */
#include "trainer_internal.h"

#include <string.h>

void tr_weights_ready(aft_trainer *t)
{
    pthread_mutex_lock(&t->wmu);
    t->weights_ready = 1;
    pthread_mutex_unlock(&t->wmu);
}

/* Locks the weights; -1 with err (unlocked) while there are none yet. */
static int lock_weights(aft_trainer *t, aft_error *err)
{
    pthread_mutex_lock(&t->wmu);
    if (t->weights_ready && t->model)
        return 0;
    pthread_mutex_unlock(&t->wmu);
    return aft_error_set(err, "the run has no weights yet (it is still preparing)");
}

int aft_trainer_copy_weights(aft_trainer *t, aft_model *dst, uint64_t *step, aft_error *err)
{
    if (lock_weights(t, err) < 0)
        return -1;
    size_t n = aft_model_num_floats(t->model);
    const aft_model_config *a = aft_model_get_config(t->model), *b = aft_model_get_config(dst);
    int same = aft_model_num_floats(dst) == n && a->n_layer == b->n_layer &&
               a->d_model == b->d_model && a->n_actions == b->n_actions &&
               a->vocab_size == b->vocab_size && a->max_seq == b->max_seq;
    if (same) {
        memcpy(aft_model_params(dst), aft_model_params(t->model), n * sizeof(float));
        if (step)
            *step = t->st.step;
    }
    pthread_mutex_unlock(&t->wmu);
    if (!same)
        return aft_error_set(err, "the model to copy into is not shaped like the run's");
    return 0;
}

aft_model *aft_trainer_copy_model(aft_trainer *t, uint64_t *step, aft_error *err)
{
    if (lock_weights(t, err) < 0)
        return NULL;
    aft_model_config cfg = *aft_model_get_config(t->model);
    pthread_mutex_unlock(&t->wmu);
    /* The configuration never changes once the model is made. */
    aft_model *m = aft_model_new(&cfg, err);
    if (m && aft_trainer_copy_weights(t, m, step, err) < 0) {
        aft_model_free(m);
        return NULL;
    }
    return m;
}

int aft_trainer_copy_actions(aft_trainer *t, aft_action_set *out, aft_error *err)
{
    memset(out, 0, sizeof *out);
    if (lock_weights(t, err) < 0)
        return -1;
    /* Fixed once the run is prepared (edits add no action to a run). */
    int rc = aft_action_set_from_names(out, (const char *const *)t->data.actions.names,
                                       t->data.actions.count, err);
    pthread_mutex_unlock(&t->wmu);
    return rc;
}

double aft_trainer_reject_threshold(aft_trainer *t)
{
    pthread_mutex_lock(&t->wmu);
    double thr = t->st.reject_threshold;
    pthread_mutex_unlock(&t->wmu);
    return thr;
}
