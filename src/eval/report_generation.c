/* Generation section of the report: how well the language-model head writes
 * the action (greedy decoding, exact match with the gold action) and the
 * response (teacher-forced token accuracy and perplexity), with a few samples.
 *
 * Sequences are laid out as in training (context <|action|> action
 * <|response|> response <|endoftext|>, see examples.h), so the context is cut
 * the same way and leaves the model the room it had when it learnt. */
#include "agentft/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/generate.h"
#include "agentft/metrics.h"

#define GEN_BATCH 32            /* examples decoded together, at most */
#define GEN_ACTION_MAX 32       /* new tokens for an action */
#define GEN_RESPONSE_MAX 64     /* further new tokens for a sample's response */
#define GEN_SAMPLES 5
#define GEN_DECODE_QUICK 50     /* examples decoded for the exact match (opts->quick) */
#define GEN_DECODE_FULL 1000
#define GEN_LOGIT_FLOATS ((size_t)64 << 20) /* B x T x V logits of one forward: 256 MiB */

typedef struct gen_ctx {
    aft_model *model;
    const aft_tokenizer *tok;
    int32_t pad, eot, response;
    int max_seq, vocab, batch;
    aft_example_set set;        /* with targets, parallel to in->examples */
    int32_t *work;              /* (batch, max_seq): the tokens of one forward */
    int32_t *lengths;           /* (batch) */
} gen_ctx;

/* Up to ctx.batch sequences being decoded greedily, each in a max_seq row. */
typedef struct gen_rows {
    int n;
    int32_t *seq;               /* (batch, max_seq) */
    int *len, *start;           /* current length; where generation began */
    int *limit;                 /* length at which decoding stops */
    uint8_t *done;
} gen_rows;

static void ctx_free(gen_ctx *g)
{
    aft_example_set_free(&g->set);
    free(g->work);
    free(g->lengths);
}

/* Re-encodes the evaluated records with their targets, as training saw them. */
static int build_targets(gen_ctx *g, const aft_eval_input *in, aft_error *err)
{
    aft_example_opts o = aft_predictor_example_opts(in->pred, 1, -1, AFT_SPLIT_TEST);
    const aft_action_set *actions = aft_predictor_actions(in->pred);
    for (size_t k = 0; k < in->examples.count; k++) {
        size_t rec = in->examples.items[k].record;
        char *ctx = aft_dataset_get_string(in->ds, rec, "context");
        char *resp = aft_dataset_get_string(in->ds, rec, "expected_response");
        int rc = aft_examples_add_text(&g->set, ctx ? ctx : "", aft_dataset_action(in->ds, rec),
                                       resp, g->tok, actions, &o, err);
        free(ctx);
        free(resp);
        if (rc < 0) {
            aft_error_prefix(err, "%s: record %zu", aft_dataset_path(in->ds), rec + 1);
            return -1;
        }
    }
    return 0;
}

static int ctx_init(gen_ctx *g, aft_eval_input *in, aft_error *err)
{
    memset(g, 0, sizeof *g);
    aft_example_set_init(&g->set);
    g->model = aft_predictor_model(in->pred);
    g->tok = aft_predictor_tokenizer(in->pred);
    g->pad = aft_predictor_pad(in->pred);
    g->eot = aft_tokenizer_special(g->tok, AFT_TOK_EOT);
    g->response = aft_tokenizer_special(g->tok, AFT_TOK_RESPONSE);
    const aft_model_config *c = aft_model_get_config(g->model);
    g->max_seq = c->max_seq;
    g->vocab = c->vocab_size;
    /* All B x T x V logits are kept, so a large vocabulary gets smaller batches. */
    size_t per_row = (size_t)g->max_seq * (size_t)g->vocab;
    size_t b = GEN_LOGIT_FLOATS / per_row;
    g->batch = b < 1 ? 1 : b > GEN_BATCH ? GEN_BATCH : (int)b;
    if (g->eot < 0 || g->response < 0)
        return aft_error_set(err, "the tokenizer lacks %s or %s", AFT_TOK_EOT, AFT_TOK_RESPONSE);
    g->work = malloc((size_t)g->batch * (size_t)g->max_seq * sizeof *g->work);
    g->lengths = malloc((size_t)g->batch * sizeof *g->lengths);
    if (!g->work || !g->lengths)
        return aft_error_set(err, "out of memory for generation batches");
    return build_targets(g, in, err);
}

static int rows_init(gen_rows *r, const gen_ctx *g, aft_error *err)
{
    memset(r, 0, sizeof *r);
    r->seq = malloc((size_t)g->batch * (size_t)g->max_seq * sizeof *r->seq);
    r->len = malloc((size_t)g->batch * sizeof *r->len);
    r->start = malloc((size_t)g->batch * sizeof *r->start);
    r->limit = malloc((size_t)g->batch * sizeof *r->limit);
    r->done = malloc((size_t)g->batch);
    if (!r->seq || !r->len || !r->start || !r->limit || !r->done)
        return aft_error_set(err, "out of memory for generation rows");
    return 0;
}

static void rows_free(gen_rows *r)
{
    free(r->seq);
    free(r->len);
    free(r->start);
    free(r->limit);
    free(r->done);
}

/* Loads examples idx[0..n) as prompts (context and <|action|>) for an
 * action of at most GEN_ACTION_MAX tokens. */
static void rows_load(gen_rows *r, const gen_ctx *g, const size_t *idx, int n)
{
    r->n = n;
    for (int i = 0; i < n; i++) {
        const aft_example *e = &g->set.items[idx[i]];
        int len = (int)e->cls_pos + 1;
        memcpy(r->seq + (size_t)i * g->max_seq, g->set.tokens + e->offset,
               (size_t)len * sizeof *r->seq);
        r->len[i] = r->start[i] = len;
        r->limit[i] = len + GEN_ACTION_MAX < g->max_seq ? len + GEN_ACTION_MAX : g->max_seq;
        r->done[i] = len >= r->limit[i];
    }
}

/* Forwards the unfinished rows once and appends each one's most likely next
 * token. Returns the number of rows still going, or -1 with err. */
static int decode_step(gen_ctx *g, gen_rows *r, int stop_at_response, aft_error *err)
{
    int active[GEN_BATCH], m = 0, T = 1;
    for (int i = 0; i < r->n; i++)
        if (!r->done[i]) {
            active[m++] = i;
            T = r->len[i] > T ? r->len[i] : T;
        }
    if (m == 0)
        return 0;
    for (int k = 0; k < m; k++) {
        int i = active[k];
        int32_t *dst = g->work + (size_t)k * T;
        memcpy(dst, r->seq + (size_t)i * g->max_seq, (size_t)r->len[i] * sizeof *dst);
        for (int t = r->len[i]; t < T; t++)
            dst[t] = g->pad;
        g->lengths[k] = r->len[i];
    }
    aft_batch bt = {.B = m, .T = T, .tokens = g->work, .lengths = g->lengths};
    aft_forward_opts fo = {.want_lm_logits = 1};
    if (aft_model_forward(g->model, &bt, &fo, NULL, err) < 0)
        return -1;
    const float *logits = aft_model_lm_logits(g->model);
    int going = 0;
    for (int k = 0; k < m; k++) {
        int i = active[k];
        float p;
        const float *row = logits + ((size_t)k * T + (size_t)r->len[i] - 1) * (size_t)g->vocab;
        int32_t next = aft_argmax_prob(row, (size_t)g->vocab, &p);
        r->seq[(size_t)i * g->max_seq + r->len[i]++] = next;
        r->done[i] = next == g->eot || (stop_at_response && next == g->response) ||
                     r->len[i] >= r->limit[i];
        going += !r->done[i];
    }
    return going;
}

static int decode(gen_ctx *g, gen_rows *r, int stop_at_response, aft_error *err)
{
    int going;
    while ((going = decode_step(g, r, stop_at_response, err)) > 0)
        ;
    return going;
}

/* After the actions: goes on with the rows that reached <|response|>, for
 * at most GEN_RESPONSE_MAX more tokens. */
static int decode_responses(gen_ctx *g, gen_rows *r, aft_error *err)
{
    for (int i = 0; i < r->n; i++) {
        int len = r->len[i];
        r->limit[i] = len + GEN_RESPONSE_MAX < g->max_seq ? len + GEN_RESPONSE_MAX : g->max_seq;
        r->done[i] = r->seq[(size_t)i * g->max_seq + len - 1] != g->response ||
                     len >= r->limit[i];
    }
    return decode(g, r, 0, err);
}

/* Tokens ids[0..n) as text, invalid UTF-8 (a character cut between tokens)
 * shown as U+FFFD so the report stays valid JSON. Caller frees. */
static char *text_of(const gen_ctx *g, const int32_t *ids, size_t n, aft_error *err)
{
    return aft_generate_text(g->tok, ids, n, err);
}

/* Row i's generated tokens up to (not including) the first `stop` or
 * <|endoftext|>: their start in *ids and count in *n. */
static void generated_part(const gen_ctx *g, const gen_rows *r, int i, int from, int32_t stop,
                           const int32_t **ids, size_t *n)
{
    const int32_t *row = r->seq + (size_t)i * g->max_seq;
    int end = from;
    while (end < r->len[i] && row[end] != stop && row[end] != g->eot)
        end++;
    *ids = row + from;
    *n = (size_t)(end - from);
}

/* Index of `tok` in row i's generated tokens, or its length when absent. */
static int find_generated(const gen_ctx *g, const gen_rows *r, int i, int32_t tok)
{
    const int32_t *row = r->seq + (size_t)i * g->max_seq;
    int t = r->start[i];
    while (t < r->len[i] && row[t] != tok)
        t++;
    return t;
}

/* Called with each decoded row i, which holds example `example`. */
typedef int (*row_fn)(const gen_ctx *g, const gen_rows *r, int i, size_t example, void *arg,
                      aft_error *err);

/* Greedily decodes examples idx[0..n) a batch at a time: their actions and,
 * when `responses` is set, their responses; then hands each row to fn. */
static int decode_examples(gen_ctx *g, const size_t *idx, size_t n, int responses, row_fn fn,
                           void *arg, aft_error *err)
{
    gen_rows r;
    int rc = rows_init(&r, g, err);
    for (size_t s = 0; s < n && rc == 0; s += (size_t)g->batch) {
        int m = n - s < (size_t)g->batch ? (int)(n - s) : g->batch;
        rows_load(&r, g, idx + s, m);
        rc = decode(g, &r, 1, err);
        if (rc == 0 && responses)
            rc = decode_responses(g, &r, err);
        for (int i = 0; i < m && rc == 0; i++)
            rc = fn(g, &r, i, idx[s + (size_t)i], arg, err);
    }
    rows_free(&r);
    return rc;
}

typedef struct match_count {
    const aft_eval_input *in;
    size_t hits;
} match_count;

static int count_match(const gen_ctx *g, const gen_rows *r, int i, size_t example, void *arg,
                       aft_error *err)
{
    match_count *mc = arg;
    const int32_t *ids;
    size_t n;
    generated_part(g, r, i, r->start[i], g->response, &ids, &n);
    char *text = text_of(g, ids, n, err);
    if (!text)
        return -1;
    size_t rec = mc->in->examples.items[example].record;
    mc->hits += strcmp(text, aft_dataset_action(mc->in->ds, rec)) == 0;
    free(text);
    return 0;
}

/* n indices spread evenly over 0..count-1 (the first is 0). */
static void spread(size_t *idx, size_t n, size_t count)
{
    for (size_t k = 0; k < n; k++)
        idx[k] = k * count / n;
}

static cJSON *sample_json(const gen_ctx *g, const aft_eval_input *in, const gen_rows *r, int i,
                          size_t example, aft_error *err)
{
    size_t rec = in->examples.items[example].record;
    const int32_t *ids;
    size_t n;
    generated_part(g, r, i, r->start[i], g->response, &ids, &n);
    char *action = text_of(g, ids, n, err), *response = NULL;
    int at = find_generated(g, r, i, g->response);
    if (at < r->len[i])
        generated_part(g, r, i, at + 1, g->eot, &ids, &n);
    else
        n = 0; /* the model never started a response */
    if (action)
        response = text_of(g, ids, n, err);
    char *ctx = aft_dataset_get_string(in->ds, rec, "context");
    char *gold_resp = aft_dataset_get_string(in->ds, rec, "expected_response");
    cJSON *o = action && response ? cJSON_CreateObject() : NULL;
    if (o) {
        cJSON_AddNumberToObject(o, "record", (double)rec);
        cJSON_AddStringToObject(o, "context", ctx ? ctx : "");
        cJSON_AddStringToObject(o, "gold_action", aft_dataset_action(in->ds, rec));
        cJSON_AddStringToObject(o, "gold_response", gold_resp ? gold_resp : "");
        cJSON_AddStringToObject(o, "generated_action", action);
        cJSON_AddStringToObject(o, "generated_response", response);
    }
    free(action);
    free(response);
    free(ctx);
    free(gold_resp);
    return o;
}

typedef struct sample_list {
    const aft_eval_input *in;
    cJSON *arr;
} sample_list;

static int add_sample(const gen_ctx *g, const gen_rows *r, int i, size_t example, void *arg,
                      aft_error *err)
{
    sample_list *sl = arg;
    cJSON *o = sample_json(g, sl->in, r, i, example, err);
    if (!o)
        return -1;
    cJSON_AddItemToArray(sl->arr, o);
    return 0;
}

/* A few examples decoded greedily to the end of their response. */
static cJSON *samples(gen_ctx *g, const aft_eval_input *in, aft_error *err)
{
    size_t n = in->examples.count < GEN_SAMPLES ? in->examples.count : GEN_SAMPLES;
    size_t idx[GEN_SAMPLES];
    spread(idx, n, in->examples.count);
    sample_list sl = {in, cJSON_CreateArray()};
    if (decode_examples(g, idx, n, 1, add_sample, &sl, err) < 0) {
        cJSON_Delete(sl.arr);
        return NULL;
    }
    return sl.arr;
}

typedef struct tf_stats {
    size_t tokens, correct, examples;
    double cross_entropy;       /* summed over the tokens */
} tf_stats;

static double cross_entropy(const float *logits, int V, int32_t target)
{
    float mx = logits[0];
    for (int v = 1; v < V; v++)
        mx = logits[v] > mx ? logits[v] : mx;
    double sum = 0;
    for (int v = 0; v < V; v++)
        sum += exp((double)logits[v] - mx);
    return log(sum) + mx - (double)logits[target];
}

/* Scores the response part of one example: the tokens after <|response|>
 * up to and including <|endoftext|>, each predicted from the position before. */
static void score_response(const gen_ctx *g, const aft_example *e, const float *logits,
                           tf_stats *st)
{
    const int32_t *tok = g->set.tokens + e->offset;
    uint32_t t = e->cls_pos + 1;
    while (t < e->length && tok[t] != g->response)
        t++;
    size_t before = st->tokens;
    for (t++; t < e->length; t++) {
        const float *row = logits + (size_t)(t - 1) * (size_t)g->vocab;
        float p;
        st->correct += aft_argmax_prob(row, (size_t)g->vocab, &p) == tok[t];
        st->cross_entropy += cross_entropy(row, g->vocab, tok[t]);
        st->tokens++;
    }
    st->examples += st->tokens > before;
}

/* Teacher-forced response accuracy and cross-entropy over every example. */
static int teacher_forced(gen_ctx *g, tf_stats *st, aft_error *err)
{
    aft_batch_buf buf;
    if (aft_batch_buf_init(&buf, g->batch, g->max_seq, err) < 0)
        return -1;
    size_t idx[GEN_BATCH];
    aft_forward_opts fo = {.want_lm_logits = 1};
    int rc = 0;
    for (size_t s = 0; s < g->set.count && rc == 0; s += (size_t)g->batch) {
        size_t m = g->set.count - s < (size_t)g->batch ? g->set.count - s : (size_t)g->batch;
        for (size_t k = 0; k < m; k++)
            idx[k] = s + k;
        aft_batch run = *aft_batch_fill(&buf, &g->set, idx, m, g->pad, 0, 1);
        run.labels = NULL; /* unknown actions have no label; only the LM matters here */
        if ((rc = aft_model_forward(g->model, &run, &fo, NULL, err)) < 0)
            break;
        const float *logits = aft_model_lm_logits(g->model);
        size_t plane = (size_t)run.T * (size_t)g->vocab;
        for (size_t k = 0; k < m; k++)
            score_response(g, &g->set.items[s + k], logits + k * plane, st);
    }
    aft_batch_buf_free(&buf);
    return rc;
}

static void add_ratio(cJSON *o, const char *key, double num, size_t den)
{
    if (den)
        cJSON_AddNumberToObject(o, key, num / (double)den);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *not_trained(int have_config)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "lm_trained", 0);
    cJSON_AddStringToObject(o, "note", have_config
        ? "the run trained no language-model head (lm_loss_weight 0), so nothing is generated"
        : "a bare checkpoint has no run config saying its language-model head was trained "
          "on this data, so nothing is generated");
    return o;
}

static cJSON *result_json(const aft_eval_input *in, const tf_stats *st, size_t hits,
                          size_t decoded, cJSON *sample_arr)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "lm_trained", 1);
    cJSON_AddNumberToObject(o, "examples", (double)in->examples.count);
    add_ratio(o, "action_exact_match", (double)hits, decoded);
    cJSON_AddNumberToObject(o, "exact_match_examples", (double)decoded);
    add_ratio(o, "response_token_accuracy", (double)st->correct, st->tokens);
    if (st->tokens)
        cJSON_AddNumberToObject(o, "response_perplexity",
                                exp(st->cross_entropy / (double)st->tokens));
    else
        cJSON_AddNullToObject(o, "response_perplexity");
    cJSON_AddNumberToObject(o, "response_examples", (double)st->examples);
    cJSON_AddNumberToObject(o, "response_tokens", (double)st->tokens);
    char note[400];
    snprintf(note, sizeof note,
             "action exact match: greedy decoding of %zu of the %zu examples (evenly spread, "
             "at most %d tokens); response token accuracy and perplexity: teacher-forced over "
             "the %zu tokens of %zu examples' responses (up to and including %s)",
             decoded, in->examples.count, GEN_ACTION_MAX, st->tokens, st->examples, AFT_TOK_EOT);
    cJSON_AddStringToObject(o, "note", note);
    cJSON_AddItemToObject(o, "samples", sample_arr);
    return o;
}

cJSON *aft_report_generation(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    const aft_config *cfg = aft_predictor_config(in->pred);
    if (!cfg || !(aft_config_float(cfg, AFT_K_LM_WEIGHT) > 0))
        return not_trained(cfg != NULL);
    gen_ctx g;
    tf_stats st = {0};
    size_t count = in->examples.count;
    size_t limit = opts && opts->quick ? GEN_DECODE_QUICK : GEN_DECODE_FULL;
    size_t decoded = count < limit ? count : limit;
    size_t *idx = malloc((decoded ? decoded : 1) * sizeof *idx);
    cJSON *sample_arr = NULL;
    if (!idx) {
        aft_error_set(err, "out of memory for %zu examples", decoded);
        return NULL;
    }
    spread(idx, decoded, count);
    match_count mc = {in, 0};
    if (ctx_init(&g, in, err) < 0 || teacher_forced(&g, &st, err) < 0 ||
        decode_examples(&g, idx, decoded, 0, count_match, &mc, err) < 0 ||
        !(sample_arr = samples(&g, in, err)))
        goto fail;
    ctx_free(&g);
    free(idx);
    return result_json(in, &st, mc.hits, decoded, sample_arr);
fail:
    ctx_free(&g);
    free(idx);
    aft_error_prefix(err, "generation");
    return NULL;
}
