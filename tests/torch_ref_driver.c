/* The C side of the PyTorch cross-check: a small model with a seeded random
 * init and batch, one forward, backward and AdamW step, everything written as
 * safetensors for tests/torch_reference.py to recompute in PyTorch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/checkpoint.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/rng.h"

enum { L = 2, D = 64, H = 4, T = 16, B = 3, V = 97, A = 5 };
#define LORA_ALPHA 8.0f
#define CLS_WEIGHT 1.0f
#define LM_WEIGHT 0.5f
#define LR 1e-3f
#define WD 0.01f

/* A growable list of tensors to write; data is copied so it may change after. */
typedef struct tensor_list {
    aft_st_tensor t[512];
    void *owned[512];
    size_t n;
} tensor_list;

static int add(tensor_list *l, const char *name, aft_dtype dt, const void *data, size_t elem,
               int ndim, size_t d0, size_t d1, size_t d2)
{
    if (l->n == sizeof l->t / sizeof l->t[0])
        return -1;
    size_t shape[3] = {d0, d1, d2}, n = 1;
    aft_st_tensor *t = &l->t[l->n];
    memset(t, 0, sizeof *t);
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        n *= shape[i];
    }
    void *copy = malloc(n * elem);
    char *nm = malloc(strlen(name) + 1);
    if (!copy || !nm) {
        free(copy);
        free(nm);
        return -1;
    }
    memcpy(copy, data, n * elem);
    strcpy(nm, name);
    t->name = nm;
    t->dtype = dt;
    t->ndim = ndim;
    t->nbytes = n * elem;
    t->data = copy;
    l->owned[l->n++] = copy;
    return 0;
}

static void list_free(tensor_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->t[i].name);
        free(l->owned[i]);
    }
    l->n = 0;
}

static int write_list(const char *dir, const char *file, tensor_list *l,
                      const char *const *meta, size_t n_meta)
{
    char path[4096];
    aft_error err = {0};
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int rc = aft_st_write(path, l->t, l->n, meta, n_meta, &err);
    if (rc < 0)
        fprintf(stderr, "torch_ref_driver: %s\n", err.msg);
    list_free(l);
    return rc;
}

/* Every tensor of the model's buffer `base` (params or grads), prefixed. */
static int add_model_tensors(tensor_list *l, const aft_model *m, const float *base, const char *prefix)
{
    size_t n;
    const aft_param *p = aft_model_param_list(m, &n);
    char name[128];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%s", prefix, p[i].name);
        if (add(l, name, AFT_DT_F32, base + p[i].offset, sizeof(float), p[i].ndim, p[i].shape[0],
                p[i].shape[1], 0) < 0)
            return -1;
    }
    return 0;
}

/* Init, then non-trivial biases, LayerNorm and LoRA B values, so that every
 * term of the forward pass shows up in the outputs and gradients. */
static void init_model(aft_model *m, uint64_t seed)
{
    aft_model_init_random(m, seed);
    aft_rng rng;
    aft_rng_seed(&rng, seed + 1);
    size_t n;
    const aft_param *p = aft_model_param_list(m, &n);
    float *w = aft_model_params(m);
    for (size_t i = 0; i < n; i++) {
        int bias = strstr(p[i].name, ".bias") != NULL;
        int ln = strstr(p[i].name, "ln_") != NULL;
        int lora_b = strstr(p[i].name, "lora_B") != NULL;
        if (!bias && !ln && !lora_b)
            continue;
        float scale = lora_b ? 0.05f : 0.1f;
        for (size_t k = 0; k < p[i].numel; k++)
            w[p[i].offset + k] += (float)aft_rng_normal(&rng) * scale;
    }
}

typedef struct ref_batch {
    int32_t tokens[B * T], lengths[B], labels[B], targets[B * T];
} ref_batch;

/* Different lengths, one example without a label, LM targets only on the
 * second half (the "response") of each sequence. */
static void make_batch(ref_batch *rb, uint64_t seed)
{
    static const int32_t lens[B] = {T, 11, 5}, labels[B] = {2, -1, 4};
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    for (int i = 0; i < B * T; i++)
        rb->tokens[i] = (int32_t)aft_rng_below(&rng, V);
    for (int b = 0; b < B; b++) {
        rb->lengths[b] = lens[b];
        rb->labels[b] = labels[b];
        int ctx = lens[b] / 2;
        for (int t = 0; t < T; t++)
            rb->targets[b * T + t] =
                t >= ctx - 1 && t + 1 < lens[b] ? rb->tokens[b * T + t + 1] : -1;
    }
}

static aft_optim *make_optim(aft_model *m, aft_error *err)
{
    aft_optim_config oc = {.kind = AFT_OPT_ADAMW, .lr = LR, .beta1 = 0.9f, .beta2 = 0.999f,
                           .eps = 1e-8f, .weight_decay = WD, .layer_lr_decay = 1.0f};
    size_t n;
    const aft_param *p = aft_model_param_list(m, &n);
    return aft_optim_new(p, n, aft_model_num_floats(m), L, &oc, err);
}

static int write_batch(const char *dir, const ref_batch *rb)
{
    tensor_list l = {0};
    if (add(&l, "tokens", AFT_DT_I32, rb->tokens, 4, 2, B, T, 0) < 0 ||
        add(&l, "lengths", AFT_DT_I32, rb->lengths, 4, 1, B, 0, 0) < 0 ||
        add(&l, "labels", AFT_DT_I32, rb->labels, 4, 1, B, 0, 0) < 0 ||
        add(&l, "lm_targets", AFT_DT_I32, rb->targets, 4, 2, B, T, 0) < 0) {
        list_free(&l);
        return -1;
    }
    return write_list(dir, "batch.safetensors", &l, NULL, 0);
}

/* Losses, logits and every gradient of the forward and backward just run. */
static int write_outputs(const char *dir, aft_model *m, const aft_forward_result *r)
{
    tensor_list l = {0};
    float loss[3] = {r->loss, r->cls_loss, r->lm_loss};
    const float *lm = aft_model_lm_logits(m);
    int rc = add(&l, "loss", AFT_DT_F32, &loss[0], 4, 1, 1, 0, 0) < 0 ||
             add(&l, "cls_loss", AFT_DT_F32, &loss[1], 4, 1, 1, 0, 0) < 0 ||
             add(&l, "lm_loss", AFT_DT_F32, &loss[2], 4, 1, 1, 0, 0) < 0 ||
             add(&l, "action_logits", AFT_DT_F32, aft_model_action_logits(m), 4, 2, B, A, 0) < 0 ||
             (lm && add(&l, "lm_logits", AFT_DT_F32, lm, 4, 3, B, T, V) < 0) ||
             add_model_tensors(&l, m, aft_model_grads(m), "grad.") < 0;
    if (rc) {
        list_free(&l);
        return -1;
    }
    return write_list(dir, "outputs.safetensors", &l, NULL, 0);
}

static int write_params(const char *dir, const char *file, aft_model *m, int lora_rank)
{
    /* The model's shape and the step's settings, for the Python side. */
    const double vals[] = {L, H, D, T, V, A, lora_rank, LORA_ALPHA, LR, WD, 0.9, 0.999, 1e-8,
                           CLS_WEIGHT, LM_WEIGHT};
    const char *keys[] = {"n_layer", "n_head", "d_model", "max_seq", "vocab_size", "n_actions",
                          "lora_rank", "lora_alpha", "lr", "weight_decay", "beta1", "beta2",
                          "eps", "cls_weight", "lm_weight"};
    enum { N_META = sizeof keys / sizeof keys[0] };
    char text[N_META][32];
    const char *meta[2 * N_META];
    for (size_t i = 0; i < N_META; i++) {
        snprintf(text[i], sizeof text[i], "%.9g", vals[i]);
        meta[2 * i] = keys[i];
        meta[2 * i + 1] = text[i];
    }
    tensor_list l = {0};
    if (add_model_tensors(&l, m, aft_model_params(m), "") < 0) {
        list_free(&l);
        return -1;
    }
    return write_list(dir, file, &l, meta, N_META);
}

static int run(const char *dir, int lora_rank, aft_error *err)
{
    aft_model_config c = {.n_layer = L, .n_head = H, .d_model = D, .max_seq = T,
                          .vocab_size = V, .n_actions = A, .lora_rank = lora_rank,
                          .lora_alpha = LORA_ALPHA};
    aft_model *m = aft_model_new(&c, err);
    if (!m)
        return -1;
    aft_optim *o = NULL;
    int rc = -1;
    ref_batch rb;
    init_model(m, 1234 + (uint64_t)lora_rank);
    make_batch(&rb, 99);
    aft_batch b = {.B = B, .T = T, .tokens = rb.tokens, .lengths = rb.lengths,
                   .labels = rb.labels, .lm_targets = rb.targets};
    aft_forward_opts fo = {.training = 1, .cls_weight = CLS_WEIGHT, .lm_weight = LM_WEIGHT,
                           .want_lm_logits = 1};
    aft_forward_result r;
    if (write_params(dir, "params.safetensors", m, lora_rank) < 0 || write_batch(dir, &rb) < 0)
        goto out;
    aft_model_zero_grad(m);
    if (aft_model_forward(m, &b, &fo, &r, err) < 0 || aft_model_backward(m, err) < 0)
        goto out;
    if (write_outputs(dir, m, &r) < 0 || !(o = make_optim(m, err)))
        goto out;
    aft_optim_step(o, aft_model_params(m), aft_model_grads(m), LR);
    rc = write_params(dir, "updated.safetensors", m, lora_rank);
out:
    aft_optim_free(o);
    aft_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--lora") == 0)) {
        fprintf(stderr, "usage: torch_ref_driver OUTDIR [--lora RANK]\n");
        return 2;
    }
    int rank = argc == 4 ? atoi(argv[3]) : 0;
    if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "torch_ref_driver: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    aft_error err = {0};
    if (run(argv[1], rank, &err) < 0) {
        fprintf(stderr, "torch_ref_driver: %s\n", err.set ? err.msg : "could not write the outputs");
        return 1;
    }
    return 0;
}
