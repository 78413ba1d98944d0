/* Greedy text generation with a predictor's language-model head: one
 * context laid out as in training (context <|action|>), decoded token by
 * token into the action the model writes and, after <|response|>, its
 * response. Used by the workbench's Try pane; the report's generation
 * section decodes in batches of its own but shares the text helper. */
#ifndef AGENTFT_GENERATE_H
#define AGENTFT_GENERATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"
#include "agentft/predictor.h"
#include "agentft/tokenizer.h"

/* Whether the predictor's run trained its LM head (lm_loss_weight > 0), so
 * that what it generates means something. 0 for a bare checkpoint. */
int aft_generate_trained(const aft_predictor *p);

/* Decodes at most max_new tokens after context: *action gets the text up to
 * <|response|> (or <|endoftext|>), *response what follows up to
 * <|endoftext|> ("" when it wrote none); both malloc'd UTF-8, the caller
 * frees them. A context too long for the model is cut from the left so that
 * a quarter of max_seq stays free for the answer. When *cancel (may be
 * NULL) becomes non-zero, it stops before the next token with an error. */
int aft_generate_greedy(aft_predictor *p, const char *context, int max_new,
                        const atomic_int *cancel, char **action, char **response,
                        aft_error *err);

/* Tokens as text, with invalid UTF-8 (a character cut between two tokens)
 * shown as U+FFFD; malloc'd, NUL-terminated. */
char *aft_generate_text(const aft_tokenizer *tok, const int32_t *ids, size_t n, aft_error *err);

#endif
