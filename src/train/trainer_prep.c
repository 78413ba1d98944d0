/* Preparing a new run: the config turned into a model, an optimizer, batch
 * buffers and thread counts, after the data is loaded. */
#include "trainer_internal.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentft/blas.h"
#include "agentft/checkpoint.h"

const char *tr_metric_name(const aft_config *cfg)
{
    const char *m = aft_config_text(cfg, AFT_K_EARLY_STOP_METRIC);
    if (strcmp(m, "val_accuracy") == 0)
        return "val_accuracy";
    if (strcmp(m, "val_macro_f1") == 0)
        return "val_macro_f1";
    if (strcmp(m, "val_reward") == 0)
        return "val_reward";
    return "val_loss";
}

void tr_optim_config(const aft_config *cfg, aft_optim_config *oc)
{
    memset(oc, 0, sizeof *oc);
    oc->kind = strcmp(aft_config_text(cfg, AFT_K_OPTIMIZER), "sgd") == 0 ? AFT_OPT_SGD
                                                                          : AFT_OPT_ADAMW;
    oc->lr = (float)aft_config_float(cfg, AFT_K_LR);
    oc->beta1 = (float)aft_config_float(cfg, AFT_K_BETA1);
    oc->beta2 = (float)aft_config_float(cfg, AFT_K_BETA2);
    oc->eps = (float)aft_config_float(cfg, AFT_K_EPS);
    oc->momentum = (float)aft_config_float(cfg, AFT_K_MOMENTUM);
    oc->weight_decay = (float)aft_config_float(cfg, AFT_K_WEIGHT_DECAY);
    oc->l2 = (float)aft_config_float(cfg, AFT_K_L2);
    oc->layer_lr_decay = (float)aft_config_float(cfg, AFT_K_LAYER_LR_DECAY);
}

int tr_model_config(const aft_config *cfg, int vocab, int n_actions, aft_model_config *mc,
                    aft_error *err)
{
    memset(mc, 0, sizeof *mc);
    mc->n_layer = (int)aft_config_int(cfg, AFT_K_N_LAYER);
    mc->n_head = (int)aft_config_int(cfg, AFT_K_N_HEAD);
    mc->d_model = (int)aft_config_int(cfg, AFT_K_D_MODEL);
    mc->max_seq = (int)aft_config_int(cfg, AFT_K_MAX_SEQ);
    mc->vocab_size = vocab;
    mc->n_actions = n_actions;
    mc->dropout = (float)aft_config_float(cfg, AFT_K_DROPOUT);
    mc->attn_dropout = (float)aft_config_float(cfg, AFT_K_ATTN_DROPOUT);
    mc->lora_rank = (int)aft_config_int(cfg, AFT_K_LORA_RANK);
    mc->lora_alpha = (float)aft_config_float(cfg, AFT_K_LORA_ALPHA);
    mc->freeze_layers = (int)aft_config_int(cfg, AFT_K_FREEZE_LAYERS);
    mc->value_head = strcmp(aft_config_text(cfg, AFT_K_OBJECTIVE), "ppo") == 0;
    return aft_model_config_check(mc, err);
}

/* model.h offers no setter for the dropout rates; the forward pass reads
 * them from the model's own (non-const) config on every call and sizes its
 * masks then, so changing them between steps is safe. */
void tr_set_dropout(aft_model *m, float dropout, float attn_dropout)
{
    aft_model_set_dropout(m, dropout, attn_dropout);
}

int tr_apply_threads(aft_trainer *t)
{
    int n = (int)aft_config_int(t->cfg, AFT_K_THREADS);
    if (n <= 0 && t->opts.ui_open) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 1 ? (int)cores - 1 : 1;
    }
    int used = aft_blas_set_threads(n);
    /* The optimizer's pass is bound by memory bandwidth: its own default
     * (at most 2) unless the user asked for fewer. */
    if (t->optim && n > 0)
        aft_optim_set_threads(t->optim, n < 2 ? n : 2);
    return used;
}

int tr_make_optim(aft_trainer *t, aft_error *err)
{
    aft_optim_config oc;
    tr_optim_config(t->cfg, &oc);
    size_t np;
    const aft_param *params = aft_model_param_list(t->model, &np);
    t->optim = aft_optim_new(params, np, aft_model_num_floats(t->model),
                             aft_model_get_config(t->model)->n_layer, &oc, err);
    return t->optim ? 0 : -1;
}

/* A step's examples are split into grad_accum micro-batches; the buffer
 * holds the largest. Validation batches are at least 32 examples. */
int tr_make_buffers(aft_trainer *t, aft_error *err)
{
    int64_t B = aft_config_int(t->cfg, AFT_K_BATCH_SIZE);
    int64_t k = aft_config_int(t->cfg, AFT_K_GRAD_ACCUM);
    if (k > B)
        k = B;
    int micro = (int)((B + k - 1) / k);
    int eval = micro > 32 ? micro : 32;
    aft_batch_buf_free(&t->train_buf);
    aft_batch_buf_free(&t->eval_buf);
    if (aft_batch_buf_init(&t->train_buf, micro, t->data.max_seq, err) < 0 ||
        aft_batch_buf_init(&t->eval_buf, eval, t->data.max_seq, err) < 0)
        return -1;
    return 0;
}

/* model.init names a folder relative to the workspace file's folder. */
static void init_dir(const aft_config *cfg, char *buf, size_t size)
{
    const char *init = aft_config_string(cfg, AFT_K_INIT);
    const char *ws = aft_config_path(cfg);
    if (init[0] == '/' || !ws) {
        snprintf(buf, size, "%s", init);
        return;
    }
    char *copy = strdup(ws);
    snprintf(buf, size, "%s/%s", copy ? dirname(copy) : ".", init);
    free(copy);
}

static int same_actions(const char *dir, const aft_action_set *set)
{
    char **names = NULL;
    size_t n = 0;
    if (aft_checkpoint_actions(dir, &names, &n, NULL) < 0)
        return 0;
    int same = n == set->count;
    for (size_t i = 0; i < n; i++) {
        same = same && strcmp(names[i], set->names[i]) == 0;
        free(names[i]);
    }
    free(names);
    return same;
}

static int make_model(aft_trainer *t, const char *init, aft_error *err)
{
    uint64_t seed = (uint64_t)aft_config_int(t->cfg, AFT_K_SEED);
    int A = (int)t->data.actions.count;
    aft_model_config mc;
    if (tr_model_config(t->cfg, (int)aft_tokenizer_vocab_size(t->data.tok), A, &mc, err) < 0)
        return -1;
    if (!init) {
        if (!(t->model = aft_model_new(&mc, err)))
            return -1;
        aft_model_init_random(t->model, seed);
        return 0;
    }
    int head = 0;
    if (!(t->model = aft_checkpoint_load_model(init, A, &mc, seed, &head, err))) {
        aft_error_prefix(err, "model.init");
        return -1;
    }
    /* A head for other actions (or in another order) would mislabel them. */
    if (head && !same_actions(init, &t->data.actions))
        aft_model_init_head(t->model, seed);
    const aft_model_config *lc = aft_model_get_config(t->model);
    if ((size_t)lc->vocab_size < aft_tokenizer_vocab_size(t->data.tok))
        return aft_error_set(err, "model.init: the model has %d token embeddings but the "
                             "tokenizer %zu tokens", lc->vocab_size,
                             aft_tokenizer_vocab_size(t->data.tok));
    return 0;
}

static int load_tokenizer(aft_trainer *t, const char *init, aft_error *err)
{
    const char *path = aft_config_string(t->cfg, AFT_K_TOKENIZER);
    if (!path[0] && init)
        path = init; /* the starting checkpoint's own tokenizer.json */
    if (!path[0])
        return 0;
    if (!(t->data.tok = aft_tokenizer_load(path, err))) {
        aft_error_prefix(err, "model.tokenizer");
        return -1;
    }
    /* A tokenizer that is uncased stays so; model.lowercase makes one so. */
    if (aft_config_bool(t->cfg, AFT_K_LOWERCASE))
        aft_tokenizer_set_lowercase(t->data.tok, 1);
    return 0;
}

static int prepare_data_and_model(aft_trainer *t, aft_error *err)
{
    char init_buf[TR_PATH_MAX];
    init_dir(t->cfg, init_buf, sizeof init_buf);
    const char *init = strcmp(aft_config_string(t->cfg, AFT_K_INIT), "scratch") == 0
                           ? NULL : init_buf;
    if (tr_data_files(&t->data, t->cfg, err) < 0 || load_tokenizer(t, init, err) < 0)
        return -1;
    aft_dataset *ds[3] = {0};
    int rc = tr_data_open(&t->data, t->cfg, ds, 1, err);
    if (rc == 0 && !t->data.tok)
        rc = tr_data_train_tokenizer(&t->data, ds, t->cfg, err);
    if (rc == 0)
        rc = tr_data_actions(&t->data, ds, err);
    if (rc == 0)
        rc = make_model(t, init, err);
    if (rc == 0) {
        int ms = (int)aft_config_int(t->cfg, AFT_K_MAX_SEQ);
        int mm = aft_model_get_config(t->model)->max_seq;
        t->data.max_seq = ms < mm ? ms : mm;
        t->data.with_target = aft_config_float(t->cfg, AFT_K_LM_WEIGHT) > 0;
        rc = tr_data_build_examples(&t->data, ds, err);
    }
    tr_data_close(ds);
    return rc;
}

int tr_prepare_new(aft_trainer *t, aft_error *err)
{
    if (prepare_data_and_model(t, err) < 0)
        return -1;
    if (t->data.sets[TR_TRAIN].count == 0)
        return aft_error_set(err, "no training examples: no record is in the train split");
    if (tr_reject_rule(t, &(aft_reject_rule){0}, err) < 0)
        return -1;
    if (tr_make_optim(t, err) < 0 || tr_make_buffers(t, err) < 0)
        return -1;
    tr_apply_threads(t);
    t->st.model_rng = *aft_model_rng(t->model);
    t->total_steps = tr_total_steps(t);
    if (tr_run_create(t, err) < 0)
        return -1;
    t->prepared = 1;
    tr_weights_ready(t);
    return 0;
}
