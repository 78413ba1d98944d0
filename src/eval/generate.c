/* Greedy generation of one context's action and response (see generate.h).
 * No cache of keys and values: each new token runs the model over the whole
 * sequence, which for the Try pane's one context at a time is fast enough. */
#include "agentft/generate.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/examples.h"
#include "agentft/metrics.h"
#include "agentft/utf8.h"

int aft_generate_trained(const aft_predictor *p)
{
    const aft_config *cfg = aft_predictor_config(p);
    return cfg && aft_config_float(cfg, AFT_K_LM_WEIGHT) > 0;
}

char *aft_generate_text(const aft_tokenizer *tok, const int32_t *ids, size_t n, aft_error *err)
{
    size_t len;
    char *raw = aft_tokenizer_decode(tok, ids, n, &len, err);
    if (!raw || aft_utf8_valid(raw, len, NULL))
        return raw;
    char *out = malloc(len * 3 + 1);
    if (!out) {
        free(raw);
        aft_error_set(err, "out of memory decoding generated text");
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t used = aft_utf8_decode(raw + i, len - i, &cp);
        if (used) {
            memcpy(out + o, raw + i, used);
            o += used;
            i += used;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    free(raw);
    return out;
}

/* The prompt's tokens (context and <|action|>) into seq; returns its length
 * or -1. */
static int prompt(aft_predictor *p, const char *context, int32_t *seq, int max_seq,
                  aft_error *err)
{
    aft_example_set set;
    aft_example_set_init(&set);
    aft_example_opts o = aft_predictor_example_opts(p, 0, -1, AFT_SPLIT_TEST);
    if (aft_examples_add_text(&set, context, NULL, NULL, aft_predictor_tokenizer(p),
                              aft_predictor_actions(p), &o, err) < 0) {
        aft_example_set_free(&set);
        return -1;
    }
    const aft_example *e = &set.items[0];
    int len = (int)e->cls_pos + 1, room = max_seq / 4 > 1 ? max_seq / 4 : 1;
    int keep = len + room <= max_seq ? len : max_seq - room;
    /* The end of a request matters most: cut from the left, keep <|action|>. */
    memcpy(seq, set.tokens + e->offset + (len - keep), (size_t)keep * sizeof *seq);
    aft_example_set_free(&set);
    return keep;
}

/* Appends the most likely next token; returns it, or -1 with err. */
static int32_t next_token(aft_predictor *p, int32_t *seq, int len, aft_error *err)
{
    aft_model *m = aft_predictor_model(p);
    int32_t length = len;
    aft_batch b = {.B = 1, .T = len, .tokens = seq, .lengths = &length};
    aft_forward_opts fo = {.want_lm_logits = 1};
    if (aft_model_forward(m, &b, &fo, NULL, err) < 0)
        return -1;
    int V = aft_model_get_config(m)->vocab_size;
    float prob;
    return aft_argmax_prob(aft_model_lm_logits(m) + (size_t)(len - 1) * (size_t)V, (size_t)V,
                           &prob);
}

int aft_generate_greedy(aft_predictor *p, const char *context, int max_new,
                        const atomic_int *cancel, char **action, char **response,
                        aft_error *err)
{
    *action = *response = NULL;
    const aft_tokenizer *tok = aft_predictor_tokenizer(p);
    int32_t eot = aft_tokenizer_special(tok, AFT_TOK_EOT);
    int32_t resp = aft_tokenizer_special(tok, AFT_TOK_RESPONSE);
    if (eot < 0 || resp < 0)
        return aft_error_set(err, "the tokenizer lacks %s or %s", AFT_TOK_EOT, AFT_TOK_RESPONSE);
    int max_seq = aft_model_get_config(aft_predictor_model(p))->max_seq;
    int32_t *seq = malloc((size_t)max_seq * sizeof *seq);
    if (!seq)
        return aft_error_set(err, "out of memory");
    int start = prompt(p, context, seq, max_seq, err), len = start, split = -1;
    int limit = start + max_new < max_seq ? start + max_new : max_seq, failed = start < 0;
    while (!failed && len < limit) {
        if (cancel && atomic_load(cancel)) {
            failed = aft_error_set(err, "generation cancelled");
            break;
        }
        int32_t t = next_token(p, seq, len, err);
        failed = t < 0;
        if (failed || t == eot)
            break;
        if (t == resp && split < 0)
            split = len;
        seq[len++] = t;
    }
    if (!failed) {
        int cut = split < 0 ? len : split, after = split < 0 ? len : split + 1;
        *action = aft_generate_text(tok, seq + start, (size_t)(cut - start), err);
        if (*action)
            *response = aft_generate_text(tok, seq + after, (size_t)(len - after), err);
    }
    free(seq);
    if (*action && *response)
        return 0;
    free(*action);
    *action = NULL;
    return -1;
}
