/* The parameter table of the GPT-2 layout model: names, shapes and offsets
 * into one buffer, views for the passes, and initialisation. */
#include "model_internal.h"
#include "int8_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int aft_model_config_check(const aft_model_config *c, aft_error *err)
{
    if (c->n_layer < 1 || c->n_layer > 256)
        return aft_error_set(err, "n_layer = %d is out of range (allowed 1..256)", c->n_layer);
    if (c->n_head < 1 || c->d_model < 1 || c->d_model % c->n_head != 0)
        return aft_error_set(err, "d_model = %d must be a positive multiple of n_head = %d",
                             c->d_model, c->n_head);
    if (c->max_seq < 1 || c->max_seq > 65536)
        return aft_error_set(err, "max_seq = %d is out of range (allowed 1..65536)", c->max_seq);
    if (c->vocab_size < 1 || c->vocab_size > (1 << 22))
        return aft_error_set(err, "vocab_size = %d is out of range (allowed 1..4194304)", c->vocab_size);
    if (c->n_actions < 0 || c->n_actions > 1000000)
        return aft_error_set(err, "n_actions = %d is out of range (allowed 0..1000000)", c->n_actions);
    if (!(c->dropout >= 0 && c->dropout < 1) || !(c->attn_dropout >= 0 && c->attn_dropout < 1))
        return aft_error_set(err, "dropout must be in 0..1 (exclusive of 1)");
    if (c->lora_rank < 0 || c->lora_rank > c->d_model)
        return aft_error_set(err, "lora_rank = %d is out of range (allowed 0..d_model = %d)",
                             c->lora_rank, c->d_model);
    if (c->lora_rank > 0 && !(c->lora_alpha > 0))
        return aft_error_set(err, "lora_alpha must be positive");
    if (c->freeze_layers < 0 || c->freeze_layers > c->n_layer)
        return aft_error_set(err, "freeze_layers = %d is out of range (allowed 0..n_layer = %d)",
                             c->freeze_layers, c->n_layer);
    return 0;
}

void aft_proj_dims(int C, int proj, int *in, int *out)
{
    static const int mult_in[] = {1, 1, 1, 4}, mult_out[] = {3, 1, 4, 1};
    *in = C * mult_in[proj];
    *out = C * mult_out[proj];
}

typedef struct table_builder {
    aft_param *items;
    size_t n, cap;
    size_t offset;
} table_builder;

static int add_param(table_builder *tb, const char *name, size_t d0, size_t d1, int layer,
                     int decay, int trainable, aft_param_kind kind)
{
    if (tb->n == tb->cap) {
        size_t ncap = tb->cap ? tb->cap * 2 : 64;
        aft_param *n = realloc(tb->items, ncap * sizeof *n);
        if (!n)
            return -1;
        tb->items = n;
        tb->cap = ncap;
    }
    aft_param *p = &tb->items[tb->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = d1 ? 2 : 1;
    p->shape[0] = d0;
    p->shape[1] = d1;
    p->numel = d1 ? d0 * d1 : d0;
    p->offset = tb->offset;
    p->layer = layer;
    p->decay = decay;
    p->trainable = trainable;
    p->kind = kind;
    tb->offset += p->numel;
    return 0;
}

static const char *const proj_names[AFT_PROJ_COUNT] = {
    "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"};

static int build_block(table_builder *tb, const aft_model_config *c, int l)
{
    size_t C = (size_t)c->d_model;
    int base_trainable = c->lora_rank == 0 && l >= c->freeze_layers;
    char name[64];
#define P(suffix, d0, d1, decay)                                                          \
    do {                                                                                  \
        snprintf(name, sizeof name, "transformer.h.%d.%s", l, suffix);                    \
        if (add_param(tb, name, d0, d1, l, decay, base_trainable, AFT_PARAM_BASE) < 0)    \
            return -1;                                                                    \
    } while (0)
    P("ln_1.weight", C, 0, 0);
    P("ln_1.bias", C, 0, 0);
    P("attn.c_attn.weight", C, 3 * C, 1);
    P("attn.c_attn.bias", 3 * C, 0, 0);
    P("attn.c_proj.weight", C, C, 1);
    P("attn.c_proj.bias", C, 0, 0);
    P("ln_2.weight", C, 0, 0);
    P("ln_2.bias", C, 0, 0);
    P("mlp.c_fc.weight", C, 4 * C, 1);
    P("mlp.c_fc.bias", 4 * C, 0, 0);
    P("mlp.c_proj.weight", 4 * C, C, 1);
    P("mlp.c_proj.bias", C, 0, 0);
#undef P
    if (c->lora_rank == 0)
        return 0;
    /* Adapters train even in frozen-layer mode: freezing is the alternative to LoRA. */
    for (int k = 0; k < AFT_PROJ_COUNT; k++) {
        int in, out;
        aft_proj_dims(c->d_model, k, &in, &out);
        snprintf(name, sizeof name, "transformer.h.%d.%s.lora_A.weight", l, proj_names[k]);
        if (add_param(tb, name, (size_t)c->lora_rank, (size_t)in, l, 1, 1, AFT_PARAM_LORA) < 0)
            return -1;
        snprintf(name, sizeof name, "transformer.h.%d.%s.lora_B.weight", l, proj_names[k]);
        if (add_param(tb, name, (size_t)out, (size_t)c->lora_rank, l, 1, 1, AFT_PARAM_LORA) < 0)
            return -1;
    }
    return 0;
}

static int build_table(table_builder *tb, const aft_model_config *c)
{
    size_t C = (size_t)c->d_model;
    int emb_trainable = c->lora_rank == 0 && c->freeze_layers == 0;
    int top_trainable = c->lora_rank == 0;
    if (add_param(tb, "transformer.wte.weight", (size_t)c->vocab_size, C, -1, 1, emb_trainable, AFT_PARAM_BASE) < 0 ||
        add_param(tb, "transformer.wpe.weight", (size_t)c->max_seq, C, -1, 0, emb_trainable, AFT_PARAM_BASE) < 0)
        return -1;
    for (int l = 0; l < c->n_layer; l++)
        if (build_block(tb, c, l) < 0)
            return -1;
    if (add_param(tb, "transformer.ln_f.weight", C, 0, c->n_layer, 0, top_trainable, AFT_PARAM_BASE) < 0 ||
        add_param(tb, "transformer.ln_f.bias", C, 0, c->n_layer, 0, top_trainable, AFT_PARAM_BASE) < 0)
        return -1;
    if (c->n_actions > 0) {
        /* The head is new for every task, so it always trains. */
        if (add_param(tb, "score.weight", (size_t)c->n_actions, C, c->n_layer, 1, 1, AFT_PARAM_HEAD) < 0 ||
            add_param(tb, "score.bias", (size_t)c->n_actions, 0, c->n_layer, 0, 1, AFT_PARAM_HEAD) < 0)
            return -1;
    }
    if (c->value_head &&
        (add_param(tb, "value.weight", C, 0, c->n_layer, 0, 1, AFT_PARAM_VALUE) < 0 ||
         add_param(tb, "value.bias", 1, 0, c->n_layer, 0, 1, AFT_PARAM_VALUE) < 0))
        return -1;
    return 0;
}

static void point_views(aft_model *m, float *base, aft_model_views *v)
{
    size_t i = 0;
    const aft_param *t = m->params;
    const aft_model_config *c = &m->cfg;
    v->wte = base + t[i++].offset;
    v->wpe = base + t[i++].offset;
    for (int l = 0; l < c->n_layer; l++) {
        aft_block_views *b = &v->blocks[l];
        float **fields[] = {&b->ln1_w, &b->ln1_b, &b->qkv_w, &b->qkv_b, &b->attn_out_w,
                            &b->attn_out_b, &b->ln2_w, &b->ln2_b, &b->fc_w, &b->fc_b,
                            &b->mlp_out_w, &b->mlp_out_b};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            *fields[f] = base + t[i++].offset;
        for (int k = 0; k < AFT_PROJ_COUNT; k++) {
            b->lora_a[k] = c->lora_rank ? base + t[i++].offset : NULL;
            b->lora_b[k] = c->lora_rank ? base + t[i++].offset : NULL;
        }
    }
    v->lnf_w = base + t[i++].offset;
    v->lnf_b = base + t[i++].offset;
    v->score_w = c->n_actions ? base + t[i++].offset : NULL;
    v->score_b = c->n_actions ? base + t[i++].offset : NULL;
    v->value_w = c->value_head ? base + t[i++].offset : NULL;
    v->value_b = c->value_head ? base + t[i++].offset : NULL;
}

aft_model *aft_model_new(const aft_model_config *cfg, aft_error *err)
{
    if (aft_model_config_check(cfg, err) < 0)
        return NULL;
    aft_model *m = calloc(1, sizeof *m);
    table_builder tb = {0};
    if (!m)
        goto oom;
    m->cfg = *cfg;
    if (build_table(&tb, cfg) < 0)
        goto oom;
    m->params = tb.items;
    m->n_params = tb.n;
    tb.items = NULL;
    m->num_floats = tb.offset;
    m->param_mem = calloc(m->num_floats, sizeof(float));
    m->grad_mem = calloc(m->num_floats, sizeof(float));
    m->p.blocks = calloc((size_t)cfg->n_layer, sizeof(aft_block_views));
    m->g.blocks = calloc((size_t)cfg->n_layer, sizeof(aft_block_views));
    if (!m->param_mem || !m->grad_mem || !m->p.blocks || !m->g.blocks)
        goto oom;
    point_views(m, m->param_mem, &m->p);
    point_views(m, m->grad_mem, &m->g);
    aft_rng_seed(&m->rng, 0);
    return m;
oom:
    free(tb.items);
    aft_error_set(err, "out of memory for a model of %zu parameters", m ? m->num_floats : 0);
    aft_model_free(m);
    return NULL;
}

void aft_model_free(aft_model *m)
{
    if (!m)
        return;
    aft_model_free_acts(m);
    aft_q8_weights_free(m->q8);
    free(m->params);
    free(m->param_mem);
    free(m->grad_mem);
    free(m->p.blocks);
    free(m->g.blocks);
    free(m);
}

const aft_model_config *aft_model_get_config(const aft_model *m) { return &m->cfg; }

void aft_model_set_dropout(aft_model *m, float dropout, float attn_dropout)
{
    m->cfg.dropout = dropout;
    m->cfg.attn_dropout = attn_dropout;
}
float *aft_model_params(aft_model *m) { return m->param_mem; }
float *aft_model_grads(aft_model *m) { return m->grad_mem; }
size_t aft_model_num_floats(const aft_model *m) { return m->num_floats; }
aft_rng *aft_model_rng(aft_model *m) { return &m->rng; }

size_t aft_model_num_trainable(const aft_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_params; i++)
        if (m->params[i].trainable)
            n += m->params[i].numel;
    return n;
}

const aft_param *aft_model_param_list(const aft_model *m, size_t *count)
{
    *count = m->n_params;
    return m->params;
}

const aft_param *aft_model_find_param(const aft_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return &m->params[i];
    return NULL;
}

void aft_model_zero_grad(aft_model *m)
{
    memset(m->grad_mem, 0, m->num_floats * sizeof(float));
}

static void fill_normal(aft_rng *rng, float *x, size_t n, float std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(aft_rng_normal(rng) * std);
}

static int is_residual_proj(const char *name)
{
    return strstr(name, "attn.c_proj.weight") || strstr(name, "mlp.c_proj.weight");
}

void aft_model_init_random(aft_model *m, uint64_t seed)
{
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    float proj_std = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    for (size_t i = 0; i < m->n_params; i++) {
        const aft_param *p = &m->params[i];
        float *x = m->param_mem + p->offset;
        const char *n = p->name;
        size_t len = strlen(n);
        if (p->kind == AFT_PARAM_VALUE) {
            memset(x, 0, p->numel * sizeof *x);
        } else if (p->kind == AFT_PARAM_LORA) {
            /* B = 0 makes each adapter start as a no-op; A gets a Kaiming-like scale. */
            if (strstr(n, "lora_B"))
                memset(x, 0, p->numel * sizeof *x);
            else
                fill_normal(&rng, x, p->numel, 1.0f / sqrtf((float)p->shape[1]));
        } else if (len > 5 && strcmp(n + len - 5, ".bias") == 0) {
            memset(x, 0, p->numel * sizeof *x);
        } else if (strstr(n, "ln_") && strcmp(n + len - 7, ".weight") == 0) {
            for (size_t k = 0; k < p->numel; k++)
                x[k] = 1.0f;
        } else {
            fill_normal(&rng, x, p->numel, is_residual_proj(n) ? proj_std : 0.02f);
        }
    }
    aft_rng_seed(&m->rng, seed ^ 0x5eed5eed5eedull);
}

void aft_model_init_head(aft_model *m, uint64_t seed)
{
    if (!m->p.score_w)
        return;
    aft_rng rng;
    aft_rng_seed(&rng, seed);
    size_t A = (size_t)m->cfg.n_actions, C = (size_t)m->cfg.d_model;
    fill_normal(&rng, m->p.score_w, A * C, 0.02f);
    memset(m->p.score_b, 0, A * sizeof(float));
}
