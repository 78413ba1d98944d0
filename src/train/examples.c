/* Records to token sequences (context, <|action|>, target) and batches. */
#include "agentft/examples.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/checkpoint.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int set_from_list(aft_action_set *set, char **names, size_t n)
{
    qsort(names, n, sizeof *names, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(names[k - 1], names[i]) == 0) {
            free(names[i]);
            continue;
        }
        names[k++] = names[i];
    }
    set->names = names;
    set->count = k;
    return 0;
}

int aft_action_set_build(aft_action_set *set, const aft_dataset *const *datasets, size_t n,
                         aft_error *err)
{
    memset(set, 0, sizeof *set);
    size_t total = 0;
    for (size_t d = 0; d < n; d++)
        total += aft_dataset_count(datasets[d]);
    char **names = calloc(total ? total : 1, sizeof *names);
    if (!names)
        return aft_error_set(err, "out of memory collecting actions");
    size_t k = 0;
    for (size_t d = 0; d < n; d++) {
        /* Most records repeat the previous action name; skip those cheaply. */
        const char *prev = NULL;
        for (size_t i = 0; i < aft_dataset_count(datasets[d]); i++) {
            const char *a = aft_dataset_action(datasets[d], i);
            if (prev && strcmp(prev, a) == 0)
                continue;
            prev = a;
            if (!(names[k] = strdup(a))) {
                for (size_t j = 0; j < k; j++)
                    free(names[j]);
                free(names);
                return aft_error_set(err, "out of memory collecting actions");
            }
            k++;
        }
    }
    return set_from_list(set, names, k);
}

int aft_action_set_from_names(aft_action_set *set, const char *const *src, size_t n,
                              aft_error *err)
{
    memset(set, 0, sizeof *set);
    char **names = calloc(n ? n : 1, sizeof *names);
    if (!names)
        return aft_error_set(err, "out of memory for %zu actions", n);
    for (size_t i = 0; i < n; i++) {
        if (!(names[i] = strdup(src[i]))) {
            for (size_t j = 0; j < i; j++)
                free(names[j]);
            free(names);
            return aft_error_set(err, "out of memory for %zu actions", n);
        }
    }
    return set_from_list(set, names, n);
}

int aft_action_set_load(aft_action_set *set, const char *dir, aft_error *err)
{
    char **names = NULL;
    size_t n = 0;
    if (aft_checkpoint_actions(dir, &names, &n, err) < 0)
        return -1;
    int rc = n ? aft_action_set_from_names(set, (const char *const *)names, n, err)
               : aft_error_set(err, "%s/config.json names no actions", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

void aft_action_set_free(aft_action_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->names[i]);
    free(set->names);
    memset(set, 0, sizeof *set);
}

int32_t aft_action_set_find(const aft_action_set *set, const char *name)
{
    char *const *hit = bsearch(&name, set->names, set->count, sizeof *set->names, cmp_str);
    return hit ? (int32_t)(hit - set->names) : -1;
}

void aft_example_set_init(aft_example_set *set)
{
    memset(set, 0, sizeof *set);
}

void aft_example_set_free(aft_example_set *set)
{
    free(set->items);
    free(set->tokens);
    memset(set, 0, sizeof *set);
}

static int reserve(aft_example_set *set, size_t more_tokens, aft_error *err)
{
    if (set->count == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 256;
        aft_example *n = realloc(set->items, ncap * sizeof *n);
        if (!n)
            return aft_error_set(err, "out of memory for %zu examples", ncap);
        set->items = n;
        set->cap = ncap;
    }
    if (set->n_tokens + more_tokens > set->cap_tokens) {
        size_t ncap = set->cap_tokens ? set->cap_tokens * 2 : 4096;
        while (ncap < set->n_tokens + more_tokens)
            ncap *= 2;
        int32_t *n = realloc(set->tokens, ncap * sizeof *n);
        if (!n)
            return aft_error_set(err, "out of memory for %zu tokens", ncap);
        set->tokens = n;
        set->cap_tokens = ncap;
    }
    return 0;
}

int aft_examples_copy(aft_example_set *dst, const aft_example_set *src, size_t i,
                      aft_error *err)
{
    if (i >= src->count)
        return aft_error_set(err, "example %zu of %zu does not exist", i, src->count);
    const aft_example *e = &src->items[i];
    if (reserve(dst, e->length, err) < 0)
        return -1;
    aft_example *d = &dst->items[dst->count++];
    *d = *e;
    d->offset = dst->n_tokens;
    memcpy(dst->tokens + dst->n_tokens, src->tokens + e->offset, e->length * sizeof(int32_t));
    dst->n_tokens += e->length;
    dst->context_cut += e->context_cut;
    dst->unknown_label += e->label < 0;
    return 0;
}

/* Token ids of the special tokens, looked up once per call of aft_examples_add. */
typedef struct specials {
    int32_t eot, action, response;
} specials;

static int find_specials(const aft_tokenizer *tok, specials *sp, aft_error *err)
{
    sp->eot = aft_tokenizer_special(tok, AFT_TOK_EOT);
    sp->action = aft_tokenizer_special(tok, AFT_TOK_ACTION);
    sp->response = aft_tokenizer_special(tok, AFT_TOK_RESPONSE);
    if (sp->eot < 0 || sp->action < 0 || sp->response < 0)
        return aft_error_set(err, "the tokenizer lacks the special tokens %s, %s and %s "
                             "(train one with 'agentft tokenizer train')",
                             AFT_TOK_EOT, AFT_TOK_ACTION, AFT_TOK_RESPONSE);
    return 0;
}

static int encode_field(const aft_dataset *ds, size_t i, const char *key,
                        const aft_tokenizer *tok, aft_tokens *out, aft_error *err)
{
    out->n = 0;
    char *text = aft_dataset_get_string(ds, i, key);
    if (!text)
        return 0;
    int rc = aft_tokenizer_encode(tok, text, strlen(text), 0, out, err);
    free(text);
    return rc;
}

/* Appends <|response|> response <|endoftext|> to the action tokens in tgt. */
static int append_response(aft_tokens *tgt, const aft_tokens *resp, const specials *sp,
                           aft_error *err)
{
    size_t need = tgt->n + resp->n + 2;
    if (need > tgt->cap) {
        int32_t *n = realloc(tgt->ids, need * sizeof *n);
        if (!n)
            return aft_error_set(err, "out of memory encoding a response");
        tgt->ids = n;
        tgt->cap = need;
    }
    tgt->ids[tgt->n++] = sp->response;
    if (resp->n) /* an empty response has no buffer: memcpy from NULL is undefined */
        memcpy(tgt->ids + tgt->n, resp->ids, resp->n * sizeof *resp->ids);
    tgt->n += resp->n;
    tgt->ids[tgt->n++] = sp->eot;
    return 0;
}

/* Encodes action and response into tgt (empty without a target). */
static int encode_target(const char *action, const char *response, const specials *sp,
                         const aft_tokenizer *tok, aft_tokens *tgt, aft_error *err)
{
    tgt->n = 0;
    aft_tokens resp = {0};
    int rc = aft_tokenizer_encode(tok, action, strlen(action), 0, tgt, err);
    if (rc == 0 && response)
        rc = aft_tokenizer_encode(tok, response, strlen(response), 0, &resp, err);
    if (rc == 0)
        rc = append_response(tgt, &resp, sp, err);
    aft_tokens_free(&resp);
    return rc;
}

/* Lays context + <|action|> [+ target] out as a new example, cut to max_seq. */
static aft_example *lay_out(aft_example_set *set, const specials *sp, const aft_tokens *ctx,
                            aft_tokens *tgt, size_t max, aft_error *err)
{
    /* The context keeps at least half the window; the target gets the rest. */
    size_t ctx_min = ctx->n < max / 2 ? ctx->n : max / 2;
    if (tgt->n > max - 1 - ctx_min)
        tgt->n = max - 1 - ctx_min;
    size_t ctx_keep = ctx->n < max - 1 - tgt->n ? ctx->n : max - 1 - tgt->n;
    size_t len = ctx_keep + 1 + tgt->n;
    if (reserve(set, len, err) < 0)
        return NULL;
    aft_example *e = &set->items[set->count++];
    memset(e, 0, sizeof *e);
    e->offset = set->n_tokens;
    int32_t *dst = set->tokens + set->n_tokens;
    if (ctx_keep) /* empty token lists have no buffer */
        memcpy(dst, ctx->ids + (ctx->n - ctx_keep), ctx_keep * sizeof *dst);
    dst[ctx_keep] = sp->action;
    if (tgt->n)
        memcpy(dst + ctx_keep + 1, tgt->ids, tgt->n * sizeof *dst);
    set->n_tokens += len;
    e->length = (uint32_t)len;
    e->cls_pos = (uint32_t)ctx_keep;
    e->context_cut = ctx_keep < ctx->n;
    set->context_cut += e->context_cut;
    return e;
}

/* Lays one record out as context + <|action|> [+ target], cut to max_seq. */
static int add_one(aft_example_set *set, const aft_dataset *ds, size_t i, const specials *sp,
                   const aft_tokenizer *tok, const aft_action_set *actions,
                   const aft_example_opts *o, aft_tokens *ctx, aft_tokens *tgt, aft_error *err)
{
    if (encode_field(ds, i, "context", tok, ctx, err) < 0)
        return -1;
    tgt->n = 0;
    const char *action = aft_dataset_action(ds, i);
    if (o->with_target) {
        char *resp = aft_dataset_get_string(ds, i, "expected_response");
        int rc = encode_target(action, resp ? resp : "", sp, tok, tgt, err);
        free(resp);
        if (rc < 0)
            return -1;
    }
    aft_example *e = lay_out(set, sp, ctx, tgt, (size_t)o->max_seq, err);
    if (!e)
        return -1;
    e->label = aft_action_set_find(actions, action);
    e->complexity = (uint8_t)aft_dataset_complexity(ds, i);
    aft_split sp_rec = aft_dataset_split(ds, i);
    e->split = (uint8_t)(sp_rec == AFT_SPLIT_NONE ? o->implied : sp_rec);
    e->record = i;
    set->unknown_label += e->label < 0;
    return 0;
}

int aft_examples_add_text(aft_example_set *set, const char *context, const char *action,
                          const char *response, const aft_tokenizer *tok,
                          const aft_action_set *actions, const aft_example_opts *o,
                          aft_error *err)
{
    if (o->max_seq < 4)
        return aft_error_set(err, "max_seq = %d is too short for a context and an action", o->max_seq);
    specials sp;
    if (find_specials(tok, &sp, err) < 0)
        return -1;
    aft_tokens ctx = {0}, tgt = {0};
    int rc = aft_tokenizer_encode(tok, context, strlen(context), 0, &ctx, err);
    if (rc == 0 && o->with_target && action)
        rc = encode_target(action, response ? response : "", &sp, tok, &tgt, err);
    aft_example *e = rc == 0 ? lay_out(set, &sp, &ctx, &tgt, (size_t)o->max_seq, err) : NULL;
    if (e) {
        e->label = action ? aft_action_set_find(actions, action) : -1;
        e->split = (uint8_t)o->implied;
        e->record = set->count - 1;
        set->unknown_label += e->label < 0;
    }
    aft_tokens_free(&ctx);
    aft_tokens_free(&tgt);
    return e ? 0 : -1;
}

int aft_examples_add(aft_example_set *set, const aft_dataset *ds, const aft_tokenizer *tok,
                     const aft_action_set *actions, const aft_example_opts *o, aft_error *err)
{
    if (o->max_seq < 4)
        return aft_error_set(err, "max_seq = %d is too short for a context and an action", o->max_seq);
    specials sp;
    if (find_specials(tok, &sp, err) < 0)
        return -1;
    aft_tokens ctx = {0}, tgt = {0};
    int rc = 0;
    for (size_t i = 0; i < aft_dataset_count(ds) && rc == 0; i++) {
        aft_split s = aft_dataset_split(ds, i);
        if (s == AFT_SPLIT_NONE)
            s = o->implied;
        if (o->split_filter >= 0 && (int)s != o->split_filter)
            continue;
        rc = add_one(set, ds, i, &sp, tok, actions, o, &ctx, &tgt, err);
        if (rc < 0)
            aft_error_prefix(err, "%s: record %zu", aft_dataset_path(ds), i + 1);
    }
    aft_tokens_free(&ctx);
    aft_tokens_free(&tgt);
    return rc;
}

int aft_batch_buf_init(aft_batch_buf *buf, int B, int T, aft_error *err)
{
    memset(buf, 0, sizeof *buf);
    size_t bt = (size_t)B * (size_t)T;
    buf->tokens = malloc(bt * sizeof(int32_t));
    buf->lm_targets = malloc(bt * sizeof(int32_t));
    buf->lengths = malloc((size_t)B * sizeof(int32_t));
    buf->labels = malloc((size_t)B * sizeof(int32_t));
    buf->cls_pos = malloc((size_t)B * sizeof(int32_t));
    if (!buf->tokens || !buf->lm_targets || !buf->lengths || !buf->labels || !buf->cls_pos) {
        aft_batch_buf_free(buf);
        return aft_error_set(err, "out of memory for a batch of %d x %d tokens", B, T);
    }
    buf->cap_B = B;
    buf->cap_T = T;
    return 0;
}

void aft_batch_buf_free(aft_batch_buf *buf)
{
    free(buf->tokens);
    free(buf->lm_targets);
    free(buf->lengths);
    free(buf->labels);
    free(buf->cls_pos);
    memset(buf, 0, sizeof *buf);
}

const aft_batch *aft_batch_fill(aft_batch_buf *buf, const aft_example_set *set,
                                const size_t *idx, size_t n, int32_t pad_id, int with_lm,
                                int lm_target_only)
{
    int T = 1;
    for (size_t b = 0; b < n; b++)
        if ((int)set->items[idx[b]].length > T)
            T = (int)set->items[idx[b]].length;
    for (size_t b = 0; b < n; b++) {
        const aft_example *e = &set->items[idx[b]];
        int32_t *row = buf->tokens + b * (size_t)T;
        int32_t *tg = buf->lm_targets + b * (size_t)T;
        const int32_t *src = set->tokens + e->offset;
        memcpy(row, src, e->length * sizeof *row);
        for (int t = (int)e->length; t < T; t++)
            row[t] = pad_id;
        size_t first = lm_target_only ? e->cls_pos : 0;
        for (int t = 0; t < T; t++)
            tg[t] = ((size_t)t >= first && t + 1 < (int)e->length) ? src[t + 1] : -1;
        buf->lengths[b] = (int32_t)e->length;
        buf->labels[b] = e->label;
        buf->cls_pos[b] = (int32_t)e->cls_pos;
    }
    buf->batch = (aft_batch){
        .B = (int)n, .T = T, .tokens = buf->tokens, .lengths = buf->lengths,
        .labels = buf->labels, .lm_targets = with_lm ? buf->lm_targets : NULL,
        .cls_pos = buf->cls_pos,
    };
    return &buf->batch;
}
