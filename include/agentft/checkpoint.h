/* Checkpoints: safetensors files with Hugging Face GPT-2 tensor names plus
 * config.json and tokenizer.json (so Python users can read them), and the
 * optimizer and trainer state so a run resumes exactly. Every file is written
 * atomically; a truncated, corrupt or mismatched file is an error with a
 * message, never a crash. */
#ifndef AGENTFT_CHECKPOINT_H
#define AGENTFT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/model.h"
#include "agentft/optim.h"
#include "agentft/tokenizer.h"

/* ---- safetensors ---- */

typedef enum { AFT_DT_F32, AFT_DT_F16, AFT_DT_BF16, AFT_DT_I8, AFT_DT_I32, AFT_DT_I64 } aft_dtype;

typedef struct aft_st_tensor {
    char *name;
    aft_dtype dtype;
    int ndim;
    size_t shape[8];
    size_t nbytes;
    const void *data;   /* into the file's bytes (reader; may be unaligned, so copy
                           with memcpy) or the caller's (writer) */
} aft_st_tensor;

typedef struct aft_st_file {
    aft_st_tensor *tensors;
    size_t count;
    char *metadata_json;  /* the "__metadata__" object as JSON text, or NULL */
    void *bytes;          /* the whole file */
    size_t size;
} aft_st_file;

/* Reads and validates a safetensors file: header length, JSON, dtypes,
 * shapes against byte ranges, ranges inside the file and not overlapping,
 * unique names, string metadata. Tensors come sorted by name. Caller frees. */
aft_st_file *aft_st_read(const char *path, aft_error *err);
void aft_st_free(aft_st_file *f);
const aft_st_tensor *aft_st_find(const aft_st_file *f, const char *name);
/* Writes tensors (their data pointers are read) sorted by name, and
 * n_metadata string pairs (metadata[2i] = key, metadata[2i + 1] = value),
 * atomically. */
int aft_st_write(const char *path, const aft_st_tensor *tensors, size_t count,
                 const char *const *metadata, size_t n_metadata, aft_error *err);

/* ---- model checkpoints ---- */

/* Writes DIR/model.safetensors, DIR/config.json (Hugging Face GPT2Config
 * fields plus agentft's: n_actions, action names, LoRA settings) and
 * DIR/tokenizer.json (when tok is not NULL), each file atomically. DIR must
 * exist; a caller that wants the whole folder atomic writes DIR.tmp and
 * renames it (the trainer does). */
int aft_checkpoint_save_model(const char *dir, const aft_model *m, const aft_tokenizer *tok,
                              const char *const *actions, size_t n_actions, aft_error *err);

/* Reads a model folder written by agentft or by Hugging Face (gpt2,
 * distilgpt2: model.safetensors + config.json; names with or without the
 * "transformer." prefix; F32, F16 or BF16; lm_head.weight, tied to wte, and
 * the attn.bias / attn.masked_bias buffers are skipped). `n_actions` sets the
 * action head; when the folder's head is missing or has another shape, the
 * head is freshly initialised with `seed` and *head_loaded is 0 (else 1, also
 * when n_actions is 0; head_loaded may be NULL). A score.weight without
 * score.bias (HF's head has none) loads with a zero bias. LoRA and freezing
 * come from `overrides` when not NULL (lora_rank, lora_alpha, freeze_layers,
 * dropout and attn_dropout; its other fields are not read), else from the
 * folder; adapters the folder lacks start as model.c starts them (B = 0).
 * A missing tensor, a wrong shape or an unexpected tensor is an error naming
 * it. Caller frees the model. */
aft_model *aft_checkpoint_load_model(const char *dir, int n_actions,
                                     const aft_model_config *overrides, uint64_t seed,
                                     int *head_loaded, aft_error *err);

/* The action names stored in DIR/config.json: agentft's list, else HF's
 * id2label in id order; none gives NULL and 0 (caller frees each and the array). */
int aft_checkpoint_actions(const char *dir, char ***actions, size_t *n_actions, aft_error *err);

/* DIR/optimizer.safetensors: the moment buffers ("exp_avg.<param>",
 * "exp_avg_sq.<param>" or "momentum_buffer.<param>") and metadata "step" and
 * "optimizer" ("adamw" or "sgd"). Loading checks kind, names and shapes
 * against the model and changes nothing on error. */
int aft_checkpoint_save_optim(const char *dir, const aft_model *m, aft_optim *o, aft_error *err);
int aft_checkpoint_load_optim(const char *dir, const aft_model *m, aft_optim *o, aft_error *err);

#endif
