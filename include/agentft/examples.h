/* Training examples: dataset records turned into token sequences with the
 * action label, and batches of them for the model. Shared by training,
 * validation and evaluation so they see records the same way.
 *
 * A sequence is   context <|action|> action <|response|> response <|endoftext|>
 * where the action head reads the hidden state at <|action|> (which, being
 * causal, has seen only the context) and the language-model loss covers the
 * target part after it. A context too long for max_seq is cut from the left
 * (the end of a request matters most); the target is cut from the right. */
#ifndef AGENTFT_EXAMPLES_H
#define AGENTFT_EXAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/dataset.h"
#include "agentft/error.h"
#include "agentft/model.h"
#include "agentft/tokenizer.h"

/* The special tokens a training tokenizer carries. */
#define AFT_TOK_EOT "<|endoftext|>"
#define AFT_TOK_PAD "<|pad|>"
#define AFT_TOK_ACTION "<|action|>"
#define AFT_TOK_RESPONSE "<|response|>"

/* The actions a model predicts: sorted, unique names; an action's id is its index. */
typedef struct aft_action_set {
    char **names;
    size_t count;
} aft_action_set;

/* Collects the actions of every record of the given datasets. */
int aft_action_set_build(aft_action_set *set, const aft_dataset *const *datasets, size_t n,
                         aft_error *err);
/* Takes a copy of names (as stored in a checkpoint), sorted. */
int aft_action_set_from_names(aft_action_set *set, const char *const *names, size_t n,
                              aft_error *err);
/* The actions of a checkpoint folder (its config.json); a folder that names
 * none is an error. */
int aft_action_set_load(aft_action_set *set, const char *dir, aft_error *err);
void aft_action_set_free(aft_action_set *set);
/* The id of an action, or -1 when the model does not know it. */
int32_t aft_action_set_find(const aft_action_set *set, const char *name);

typedef struct aft_example {
    size_t offset;        /* into the set's token pool */
    uint32_t length;      /* tokens, <= max_seq */
    uint32_t cls_pos;     /* position of <|action|> */
    int32_t label;        /* action id, -1 for an action the model does not know */
    uint8_t complexity;
    uint8_t split;        /* aft_split */
    uint8_t context_cut;  /* the context was cut from the left to fit */
    size_t record;        /* index of the record in its dataset */
} aft_example;

typedef struct aft_example_set {
    aft_example *items;
    size_t count, cap;
    int32_t *tokens;
    size_t n_tokens, cap_tokens;
    size_t context_cut;   /* examples whose context was cut */
    size_t unknown_label; /* examples whose action is not in the action set */
} aft_example_set;

typedef struct aft_example_opts {
    int max_seq;
    int with_target;      /* append action and response (for the LM loss) */
    int split_filter;     /* only records of this split (aft_split), or -1 for all */
    aft_split implied;    /* split of records that carry none */
} aft_example_opts;

void aft_example_set_init(aft_example_set *set);
void aft_example_set_free(aft_example_set *set);
/* Encodes the records of ds (those passing the split filter) and appends them. */
int aft_examples_add(aft_example_set *set, const aft_dataset *ds, const aft_tokenizer *tok,
                     const aft_action_set *actions, const aft_example_opts *opts,
                     aft_error *err);

/* Appends one context given as text (perturbed contexts, the Try pane),
 * with the action and response as its target when opts->with_target and
 * action is not NULL. Its label is -1 for a NULL or unknown action, its split
 * opts->implied, complexity 0 and record its index in the set. */
int aft_examples_add_text(aft_example_set *set, const char *context, const char *action,
                          const char *response, const aft_tokenizer *tok,
                          const aft_action_set *actions, const aft_example_opts *opts,
                          aft_error *err);

/* Appends a copy of example i of src (tokens, label and the rest; its
 * record index stays the one in src's dataset). */
int aft_examples_copy(aft_example_set *dst, const aft_example_set *src, size_t i,
                      aft_error *err);

/* Memory for one batch of at most B examples of at most T tokens. */
typedef struct aft_batch_buf {
    int cap_B, cap_T;
    int32_t *tokens, *lengths, *labels, *cls_pos, *lm_targets;
    aft_batch batch;      /* points into the arrays above */
} aft_batch_buf;

int aft_batch_buf_init(aft_batch_buf *buf, int B, int T, aft_error *err);
void aft_batch_buf_free(aft_batch_buf *buf);
/* Fills the buffer with examples idx[0..n): right-padded with pad_id to the
 * longest of them. LM targets (next tokens) cover the target part only, or
 * every position when lm_target_only is 0; with_lm 0 leaves them out. */
const aft_batch *aft_batch_fill(aft_batch_buf *buf, const aft_example_set *set,
                                const size_t *idx, size_t n, int32_t pad_id, int with_lm,
                                int lm_target_only);

#endif
