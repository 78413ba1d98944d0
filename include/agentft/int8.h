/* INT8 inference: symmetric int8 quantization (weights per output channel
 * when a model is exported, activations per row at run time), the
 * int8 x int8 -> int32 matrix kernel (AVX-512 VNNI or AVX2, or portable C
 * on CPUs without them, chosen at run time), INT8 models and the export
 * folder that holds one.
 *
 * An INT8 model is an aft_model (so the predictor, the report and the
 * forward pass take it as they are) whose matrices live as int8 with one
 * float scale per output channel; the forward pass runs its projections,
 * the action head and the tied LM head through the int8 kernel. Its float
 * parameters hold the dequantized weights. It is for inference only: a
 * training forward or a backward pass on it is an error.
 *
 * Quantized values lie in -127..127, never -128: the AVX2 kernel moves the
 * activation's sign onto the weight (_mm256_sign_epi8), and -128 has no
 * int8 negation. */
#ifndef AGENTFT_INT8_H
#define AGENTFT_INT8_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/config.h"
#include "agentft/error.h"
#include "agentft/model.h"
#include "agentft/tokenizer.h"

#define AFT_Q8_MAX 127

/* ---- quantization ---- */

/* Row r of x (rows, cols): scale[r] = max |x[r]| / 127 and q = round(x / scale)
 * (to nearest, halves to even; an all-zero row gets scale 0 and q 0), so
 * |x - scale * q| <= scale / 2. */
void aft_q8_quantize_rows(int8_t *q, float *scale, const float *x, size_t rows, size_t cols);
/* The same per column of W (rows, cols), written transposed: qt (cols, rows),
 * scale (cols). For Conv1D weights (in, out) this gives per-output-channel
 * rows (out, in). */
void aft_q8_quantize_cols_t(int8_t *qt, float *scale, const float *W, size_t rows, size_t cols);
/* x = scale[r] * q, row by row. */
void aft_q8_dequantize_rows(float *x, const int8_t *q, const float *scale, size_t rows,
                            size_t cols);

/* ---- the matrix kernel ---- */

typedef enum {
    AFT_Q8_AUTO,       /* the best this CPU runs */
    AFT_Q8_PORTABLE,   /* plain C */
    AFT_Q8_AVX2,       /* AVX2: pmaddubsw, the activation's sign moved onto the weight */
    AFT_Q8_VNNI,       /* AVX-512 VNNI: vpdpbusd on activations offset to unsigned */
} aft_q8_kernel;

/* Whether this CPU and OS can run kernel k (AUTO and PORTABLE always). */
int aft_q8_kernel_available(aft_q8_kernel k);
/* AUTO resolved for this CPU: VNNI, else AVX2, else portable.
 * $AGENTFT_INT8_KERNEL=portable|avx2|vnni asks for one (when the CPU has it). */
aft_q8_kernel aft_q8_kernel_choose(void);
const char *aft_q8_kernel_name(aft_q8_kernel k);   /* "vnni", "avx2", "portable", "auto" */

/* C (M, N) = A (M, K) @ B (N, K)^T in int32; A and B row-major with values
 * in -127..127. A kernel the CPU lacks, or AUTO, runs the best available. */
void aft_q8_gemm(int32_t *C, const int8_t *A, const int8_t *B, size_t M, size_t N, size_t K,
                 aft_q8_kernel k);

/* ---- INT8 models ---- */

/* Turns a float model into an INT8 one in place: every matrix (the four
 * projections of each block, the action head, the token and position
 * embeddings) is quantized per output channel (per row for the embeddings:
 * a row of wte is also an output channel of the tied LM head) and its float
 * copy replaced by the dequantized values. LoRA adapters must have been
 * merged (a model with lora_rank > 0 is refused). The embeddings are int8
 * because they are most of a small model: on banking77 (d_model 128, 2,048
 * tokens) float embeddings would make the file 0.56x of float32 instead of
 * 0.26x, for a macro-F1 0.07 points higher (0.8822 against 0.8815), which
 * is noise. The weights for the AVX2 and VNNI kernels are also packed at
 * quantization or load time (about as many bytes again). */
int aft_model_quantize_int8(aft_model *m, aft_error *err);
int aft_model_is_int8(const aft_model *m);
/* The kernel the model's forward runs (fixed when it was quantized or loaded). */
aft_q8_kernel aft_model_int8_kernel(const aft_model *m);
/* Test hook: run the model's int8 products on kernel k (AUTO: the best). */
void aft_model_set_int8_kernel(aft_model *m, aft_q8_kernel k);

/* ---- the export folder ---- */

/* Sizes of an export, for the user. */
typedef struct aft_int8_export_info {
    size_t file_bytes;          /* model.safetensors as written */
    size_t float_bytes;         /* the same model in float32 (weights only) */
    size_t matrices;            /* tensors stored as int8 */
    size_t int8_params, float_params;
} aft_int8_export_info;

/* Writes an INT8 export of float model m to out_dir: model.safetensors
 * (every matrix as "NAME_int8", I8 (out, in): output channels as rows, the
 * transpose of a Conv1D weight; "NAME_scale", F32 (out); the vectors as
 * F32 under their own names), config.json as for a checkpoint with
 * agentft.quantization = "int8" and a quantization_config, tokenizer.json,
 * and config.yaml (run_cfg rendered, when not NULL, so that evaluating the
 * folder finds the run's data and settings), and the trainer_state.json of
 * checkpoint_dir when not NULL and it has one (its step and the calibrated
 * eval.reject_keep threshold). LoRA adapters are merged into
 * the exported weights; m itself is not changed. The folder is written
 * beside out_dir and renamed into place; an existing out_dir is replaced
 * only when it is an INT8 export itself. info may be NULL. */
int aft_int8_export(const char *out_dir, const aft_model *m, const aft_tokenizer *tok,
                    const char *const *actions, size_t n_actions, const aft_config *run_cfg,
                    const char *checkpoint_dir, aft_int8_export_info *info, aft_error *err);

/* 1 when DIR/config.json marks an INT8 export, 0 when not (also when there
 * is no readable config.json: the float loader reports that). */
int aft_int8_is_export(const char *dir);

/* Loads an INT8 export folder with an action head of n_actions classes.
 * Every tensor is checked: dtype, shape, int8 values in -127..127, scales
 * finite and >= 0; a missing, unexpected, truncated or corrupt tensor is an
 * error naming the file and the tensor. Caller frees. */
aft_model *aft_int8_load(const char *dir, int n_actions, aft_error *err);

#endif
