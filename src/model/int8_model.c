/* INT8 models: the quantized weights a model holds (which parameters, their
 * matrices, the scratch of the int8 linear layer), quantizing a float model
 * in memory, and the accessors. */
#include "int8_internal.h"
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

int aft_q8_param_quantized(const aft_model *m, const aft_param *p, int *conv1d)
{
    /* Inside a block the only matrices are the four Conv1D projections. */
    int quantized = p->ndim == 2 && p->kind != AFT_PARAM_LORA;
    if (conv1d)
        *conv1d = quantized && p->layer >= 0 && p->layer < m->cfg.n_layer;
    return quantized;
}

aft_q8_weights *aft_q8_weights_new(const aft_model *m)
{
    aft_q8_weights *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->n_params = m->n_params;
    w->by_param = calloc(m->n_params ? m->n_params : 1, sizeof *w->by_param);
    w->proj = calloc((size_t)m->cfg.n_layer * AFT_PROJ_COUNT, sizeof *w->proj);
    if (!w->by_param || !w->proj) {
        aft_q8_weights_free(w);
        return NULL;
    }
    w->kernel = aft_q8_kernel_choose();
    return w;
}

int aft_q8_matrix_alloc(aft_q8_matrix *mx, size_t out, size_t in)
{
    mx->out = out;
    mx->in = in;
    mx->q = malloc(out * in > 0 ? out * in : 1);
    mx->scale = malloc((out ? out : 1) * sizeof *mx->scale);
    return mx->q && mx->scale ? 0 : -1;
}

void aft_q8_matrix_free(aft_q8_matrix *mx)
{
    free(mx->q);
    free(mx->scale);
    free(mx->packed);
    free(mx->rowsum);
    memset(mx, 0, sizeof *mx);
}

int aft_q8_weights_use(aft_q8_weights *w, aft_q8_kernel k)
{
    for (size_t i = 0; k != AFT_Q8_PORTABLE && i < w->n_params; i++)
        if (aft_q8_matrix_pack(&w->by_param[i]) < 0)
            return -1;
    w->kernel = k;
    return 0;
}

void aft_q8_weights_free(aft_q8_weights *w)
{
    if (!w)
        return;
    for (size_t i = 0; w->by_param && i < w->n_params; i++)
        aft_q8_matrix_free(&w->by_param[i]);
    free(w->by_param);
    free(w->proj);
    free(w->xq);
    free(w->xs);
    free(w->acc);
    free(w);
}

/* The matrix of parameter `data` (a pointer into param_mem), or NULL. */
static aft_q8_matrix *matrix_at(aft_q8_weights *w, const aft_model *m, const float *data)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (m->param_mem + m->params[i].offset == data)
            return w->by_param[i].q ? &w->by_param[i] : NULL;
    return NULL;
}

int aft_q8_weights_finish(aft_q8_weights *w, const aft_model *m)
{
    for (int l = 0; l < m->cfg.n_layer; l++)
        for (int k = 0; k < AFT_PROJ_COUNT; k++) {
            float *W, *b;
            aft_proj_tensors(&m->p.blocks[l], k, &W, &b);
            if (!(w->proj[l * AFT_PROJ_COUNT + k] = matrix_at(w, m, W)))
                return -1;
        }
    w->wte = matrix_at(w, m, m->p.wte);
    w->score = m->p.score_w ? matrix_at(w, m, m->p.score_w) : NULL;
    if (!w->wte || (m->p.score_w && !w->score))
        return -1;
    for (size_t i = 0; i < w->n_params; i++) {
        const aft_q8_matrix *mx = &w->by_param[i];
        w->max_in = mx->q && mx->in > w->max_in ? mx->in : w->max_in;
        w->max_out = mx->q && mx->out > w->max_out ? mx->out : w->max_out;
    }
    /* Rows of quantized activations are padded to 4 bytes for VNNI. */
    w->xq = malloc(AFT_Q8_ROWS * ((w->max_in + 3) & ~(size_t)3));
    w->xs = malloc(AFT_Q8_ROWS * sizeof *w->xs);
    w->acc = malloc(AFT_Q8_ROWS * w->max_out * sizeof *w->acc);
    if (!w->xq || !w->xs || !w->acc)
        return -1;
    return aft_q8_weights_use(w, w->kernel);
}

/* Quantizes parameter i of m into w and puts the dequantized values back. */
static int quantize_param(aft_q8_weights *w, aft_model *m, size_t i)
{
    const aft_param *p = &m->params[i];
    aft_q8_matrix *mx = &w->by_param[i];
    float *data = m->param_mem + p->offset;
    int conv1d;
    if (!aft_q8_param_quantized(m, p, &conv1d))
        return 0;
    size_t out = conv1d ? p->shape[1] : p->shape[0], in = conv1d ? p->shape[0] : p->shape[1];
    if (aft_q8_matrix_alloc(mx, out, in) < 0)
        return -1;
    if (conv1d)
        aft_q8_quantize_cols_t(mx->q, mx->scale, data, in, out);
    else
        aft_q8_quantize_rows(mx->q, mx->scale, data, out, in);
    for (size_t o = 0; o < out; o++)
        for (size_t k = 0; k < in; k++) {
            float v = mx->scale[o] * (float)mx->q[o * in + k];
            data[conv1d ? k * out + o : o * in + k] = v;
        }
    return 0;
}

int aft_model_quantize_int8(aft_model *m, aft_error *err)
{
    if (m->q8)
        return 0;
    if (m->cfg.lora_rank)
        return aft_error_set(err, "the model has LoRA adapters (rank %d): merge them into a "
                             "model without adapters before quantizing", m->cfg.lora_rank);
    aft_q8_weights *w = aft_q8_weights_new(m);
    if (!w)
        return aft_error_set(err, "out of memory for the INT8 weights");
    for (size_t i = 0; i < m->n_params; i++)
        if (quantize_param(w, m, i) < 0) {
            aft_q8_weights_free(w);
            return aft_error_set(err, "out of memory quantizing %s", m->params[i].name);
        }
    if (aft_q8_weights_finish(w, m) < 0) {
        aft_q8_weights_free(w);
        return aft_error_set(err, "out of memory for the INT8 scratch");
    }
    m->q8 = w;
    return 0;
}

int aft_model_is_int8(const aft_model *m) { return m->q8 != NULL; }

aft_q8_kernel aft_model_int8_kernel(const aft_model *m)
{
    return m->q8 ? m->q8->kernel : AFT_Q8_AUTO;
}

void aft_model_set_int8_kernel(aft_model *m, aft_q8_kernel k)
{
    if (!m->q8)
        return;
    k = k == AFT_Q8_AUTO || !aft_q8_kernel_available(k) ? aft_q8_kernel_choose() : k;
    /* Without memory for the packed weights, the portable kernel runs. */
    if (aft_q8_weights_use(m->q8, k) < 0)
        m->q8->kernel = AFT_Q8_PORTABLE;
}
