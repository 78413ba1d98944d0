/* Opening a run's checkpoint for inference and classifying examples or text. */
#include "agentft/predictor.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/blas.h"
#include "agentft/checkpoint.h"
#include "agentft/fileio.h"
#include "agentft/int8.h"
#include "agentft/metrics.h"
#include "agentft/trainer_state.h"

#define PR_PATH_MAX 4096

struct aft_predictor {
    aft_config *cfg;
    aft_tokenizer *tok;
    aft_action_set actions;
    aft_model *model;
    aft_batch_buf buf;
    int32_t pad;
    aft_reject_rule reject;
    int threads;
    char dir[PR_PATH_MAX];
    char name[256];
};

static int is_dir_with(const char *dir, const char *file)
{
    char p[PR_PATH_MAX];
    struct stat st;
    return snprintf(p, sizeof p, "%s/%s", dir, file) < (int)sizeof p && stat(p, &st) == 0;
}

/* The newest checkpoints/step-N with a model in it, into name; 0 when none. */
static int newest_step(const char *ck, char *name, size_t size)
{
    DIR *d = opendir(ck);
    if (!d)
        return 0;
    unsigned long long best = 0;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "step-", 5) != 0)
            continue;
        unsigned long long n = strtoull(e->d_name + 5, &end, 10);
        char sub[PR_PATH_MAX];
        if (*end || end == e->d_name + 5 ||
            snprintf(sub, sizeof sub, "%s/%s", ck, e->d_name) >= (int)sizeof sub ||
            !is_dir_with(sub, "model.safetensors"))
            continue;
        if (!found || n > best) {
            best = n;
            found = 1;
        }
    }
    closedir(d);
    if (found)
        snprintf(name, size, "step-%llu", best);
    return found;
}

int aft_run_default_checkpoint(const char *run_dir, char *name, size_t size)
{
    char ck[PR_PATH_MAX];
    if (snprintf(ck, sizeof ck, "%s/checkpoints", run_dir) >= (int)sizeof ck)
        return -1;
    if (is_dir_with(ck, "best/model.safetensors")) {
        snprintf(name, size, "best");
        return 0;
    }
    return newest_step(ck, name, size) ? 0 : -1;
}

/* Finds the checkpoint folder and, for a run, loads its config. A model
 * folder with a config.yaml beside its config.json (an INT8 export) uses
 * that as the run's config. */
static int locate(aft_predictor *p, const char *run_dir, const char *which, aft_error *err)
{
    if (is_dir_with(run_dir, "config.json") && is_dir_with(run_dir, "model.safetensors")) {
        const char *slash = strrchr(run_dir, '/');
        snprintf(p->name, sizeof p->name, "%s", slash && slash[1] ? slash + 1 : run_dir);
        if (snprintf(p->dir, sizeof p->dir, "%s", run_dir) >= (int)sizeof p->dir)
            return aft_error_set(err, "%s: path too long", run_dir);
        char yaml[PR_PATH_MAX];
        if (is_dir_with(run_dir, "config.yaml") &&
            (aft_path_join(yaml, sizeof yaml, run_dir, "config.yaml", err) < 0 ||
             !(p->cfg = aft_workspace_load(yaml, err))))
            return -1;
        return 0;
    }
    char path[PR_PATH_MAX], ck[PR_PATH_MAX];
    if (aft_path_join(path, sizeof path, run_dir, "config.yaml", err) < 0 ||
        aft_path_join(ck, sizeof ck, run_dir, "checkpoints", err) < 0)
        return -1;
    if (!is_dir_with(run_dir, "config.yaml"))
        return aft_error_set(err, "%s: not a run directory (no config.yaml) nor a checkpoint "
                             "(no config.json and model.safetensors)", run_dir);
    if (!(p->cfg = aft_workspace_load(path, err)))
        return -1;
    if (which && *which) {
        if (strcmp(which, "best") != 0 && strncmp(which, "step-", 5) != 0)
            return aft_error_set(err, "--checkpoint %s: expected best or step-N", which);
        snprintf(p->name, sizeof p->name, "%s", which);
    } else if (aft_run_default_checkpoint(run_dir, p->name, sizeof p->name) < 0) {
        snprintf(p->name, sizeof p->name, "best"); /* so the error below names it */
    }
    if (aft_path_join(p->dir, sizeof p->dir, ck, p->name, err) < 0)
        return -1;
    if (!is_dir_with(p->dir, "model.safetensors"))
        return aft_error_set(err, "%s: no checkpoint %s (no model.safetensors there)", run_dir,
                             p->name);
    return 0;
}

static int load_model(aft_predictor *p, aft_error *err)
{
    aft_model_config ov = {0}, *over = NULL;
    if (p->cfg) {
        ov.lora_rank = (int)aft_config_int(p->cfg, AFT_K_LORA_RANK);
        ov.lora_alpha = (float)aft_config_float(p->cfg, AFT_K_LORA_ALPHA);
        over = &ov;
    }
    int head = 0;
    if (aft_int8_is_export(p->dir)) {
        p->model = aft_int8_load(p->dir, (int)p->actions.count, err);
        return p->model ? 0 : -1;
    }
    p->model = aft_checkpoint_load_model(p->dir, (int)p->actions.count, over, 0, &head, err);
    if (!p->model)
        return -1;
    if (!head)
        return aft_error_set(err, "%s: the checkpoint has no action head for its %zu actions",
                             p->dir, p->actions.count);
    return 0;
}

/* eval.reject_keep's threshold as saved in the checkpoint's
 * trainer_state.json (an INT8 export keeps its checkpoint's); NAN where the
 * file or the field is absent. */
static int saved_threshold(const aft_predictor *p, double *thr, aft_error *err)
{
    char path[PR_PATH_MAX];
    struct stat st;
    *thr = NAN;
    if (aft_path_join(path, sizeof path, p->dir, "trainer_state.json", err) < 0)
        return -1;
    if (stat(path, &st) < 0)
        return 0;
    aft_trainer_state ts;
    int rc = aft_trainer_state_load(p->dir, &ts, err);
    if (rc == 0)
        *thr = ts.reject_threshold;
    aft_trainer_state_free(&ts);
    return rc;
}

/* The run's fallback action for unsure predictions (eval.reject_*). */
static int set_reject(aft_predictor *p, aft_error *err)
{
    double thr = NAN;
    if (p->cfg && aft_config_float(p->cfg, AFT_K_REJECT_KEEP) > 0 && p->dir[0] &&
        saved_threshold(p, &thr, err) < 0)
        return -1;
    return aft_reject_rule_from_config(p->cfg, &p->actions, thr, &p->reject, err);
}

const aft_reject_rule *aft_predictor_reject(const aft_predictor *p)
{
    return &p->reject;
}

void aft_predictor_set_reject_threshold(aft_predictor *p, double threshold)
{
    if (p->reject.keep > 0) {
        p->reject.below = threshold;
        p->reject.calibrated = isfinite(threshold);
    }
}

aft_predictor *aft_predictor_open(const char *run_dir, const char *which, int threads,
                                  aft_error *err)
{
    aft_predictor *p = calloc(1, sizeof *p);
    if (!p) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    char tok[PR_PATH_MAX];
    if (locate(p, run_dir, which, err) < 0 || aft_action_set_load(&p->actions, p->dir, err) < 0 ||
        aft_path_join(tok, sizeof tok, p->dir, "tokenizer.json", err) < 0 ||
        !(p->tok = aft_tokenizer_load(tok, err)) || load_model(p, err) < 0)
        goto fail;
    p->pad = aft_tokenizer_special(p->tok, AFT_TOK_PAD);
    if (p->pad < 0)
        p->pad = aft_tokenizer_special(p->tok, AFT_TOK_EOT);
    if (p->pad < 0) {
        aft_error_set(err, "%s/tokenizer.json lacks %s", p->dir, AFT_TOK_EOT);
        goto fail;
    }
    if (set_reject(p, err) < 0)
        goto fail;
    if (threads <= 0 && p->cfg)
        threads = (int)aft_config_int(p->cfg, AFT_K_THREADS);
    p->threads = aft_blas_set_threads(threads);
    return p;
fail:
    aft_predictor_free(p);
    return NULL;
}

void aft_predictor_free(aft_predictor *p)
{
    if (!p)
        return;
    aft_batch_buf_free(&p->buf);
    aft_model_free(p->model);
    aft_action_set_free(&p->actions);
    aft_tokenizer_free(p->tok);
    aft_config_free(p->cfg);
    free(p);
}

const aft_config *aft_predictor_config(const aft_predictor *p) { return p->cfg; }
const aft_tokenizer *aft_predictor_tokenizer(const aft_predictor *p) { return p->tok; }
const aft_action_set *aft_predictor_actions(const aft_predictor *p) { return &p->actions; }
aft_model *aft_predictor_model(aft_predictor *p) { return p->model; }
const char *aft_predictor_checkpoint_dir(const aft_predictor *p) { return p->dir; }
const char *aft_predictor_checkpoint_name(const aft_predictor *p) { return p->name; }
int aft_predictor_threads(const aft_predictor *p) { return p->threads; }
int32_t aft_predictor_pad(const aft_predictor *p) { return p->pad; }

aft_example_opts aft_predictor_example_opts(const aft_predictor *p, int with_target,
                                            int split_filter, aft_split implied)
{
    return (aft_example_opts){.max_seq = aft_model_get_config(p->model)->max_seq,
                              .with_target = with_target, .split_filter = split_filter,
                              .implied = implied};
}

static int ensure_buf(aft_predictor *p, int B, aft_error *err)
{
    int T = aft_model_get_config(p->model)->max_seq;
    if (p->buf.cap_B >= B && p->buf.cap_T >= T)
        return 0;
    aft_batch_buf_free(&p->buf);
    return aft_batch_buf_init(&p->buf, B, T, err);
}

static void softmax_row(const float *logits, size_t n, float *out)
{
    float mx = logits[0];
    for (size_t a = 1; a < n; a++)
        mx = logits[a] > mx ? logits[a] : mx;
    double sum = 0;
    for (size_t a = 0; a < n; a++)
        sum += (out[a] = expf(logits[a] - mx));
    for (size_t a = 0; a < n; a++)
        out[a] = (float)(out[a] / sum);
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The n positions ordered by example length (then position), so that a
 * batch, padded to its longest example, pads little. Each row's result does
 * not depend on the others in its batch, so the order changes only speed. */
static uint64_t *by_length(const aft_example_set *set, const size_t *idx, size_t n,
                           aft_error *err)
{
    uint64_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t len = set->items[idx ? idx[i] : i].length;
        order[i] = n <= UINT32_MAX ? len << 32 | i : i;
    }
    if (n <= UINT32_MAX)
        qsort(order, n, sizeof *order, by_key);
    return order;
}

/* What to do with one example's logits: out_at is its position in the
 * caller's order. */
typedef void (*logits_sink)(aft_predictor *p, const float *logits, size_t out_at, void *ctx);

/* Runs examples idx[0..n) (all when idx is NULL) through the model in
 * batches of batch_size, by length. */
static int run_batches(aft_predictor *p, const aft_example_set *set, const size_t *idx, size_t n,
                       int batch_size, logits_sink sink, void *ctx, aft_error *err)
{
    if (!idx)
        n = set->count;
    if (batch_size < 1)
        batch_size = 1;
    if (ensure_buf(p, batch_size, err) < 0)
        return -1;
    uint64_t *order = by_length(set, idx, n, err);
    if (!order)
        return -1;
    size_t A = p->actions.count, chunk[1024], at[1024];
    size_t cap = (size_t)batch_size < 1024 ? (size_t)batch_size : 1024;
    aft_forward_opts fo = {.cls_weight = 1.0f};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += cap) {
        size_t m = n - i < cap ? n - i : cap;
        for (size_t k = 0; k < m; k++) {
            at[k] = (size_t)(n <= UINT32_MAX ? order[i + k] & UINT32_MAX : order[i + k]);
            chunk[k] = idx ? idx[at[k]] : at[k];
        }
        const aft_batch *b = aft_batch_fill(&p->buf, set, chunk, m, p->pad, 0, 1);
        aft_batch run = *b;
        run.labels = NULL; /* no loss: examples may have unknown actions */
        aft_forward_result r;
        if ((rc = aft_model_forward(p->model, &run, &fo, &r, err)) < 0)
            break;
        const float *logits = aft_model_action_logits(p->model);
        for (size_t k = 0; k < m; k++)
            sink(p, logits + k * A, at[k], ctx);
    }
    free(order);
    return rc;
}

typedef struct classify_out {
    int32_t *pred;
    float *conf, *probs;
} classify_out;

static void classify_sink(aft_predictor *p, const float *logits, size_t at, void *ctx)
{
    classify_out *o = ctx;
    size_t A = p->actions.count;
    float pr;
    int32_t a = aft_reject_predict(&p->reject, logits, A, &pr, NULL);
    if (o->pred)
        o->pred[at] = a;
    if (o->conf)
        o->conf[at] = pr;
    if (o->probs)
        softmax_row(logits, A, o->probs + at * A);
}

int aft_predictor_classify(aft_predictor *p, const aft_example_set *set, const size_t *idx,
                           size_t n, int batch_size, int32_t *pred, float *conf, float *probs,
                           aft_error *err)
{
    classify_out o = {pred, conf, probs};
    return run_batches(p, set, idx, n, batch_size, classify_sink, &o, err);
}

static void score_sink(aft_predictor *p, const float *logits, size_t at, void *ctx)
{
    ((double *)ctx)[at] = aft_reject_score_of(logits, p->actions.count, p->reject.score);
}

int aft_predictor_calibrate_reject(aft_predictor *p, const aft_example_set *set, double keep,
                                   aft_error *err)
{
    if (p->reject.action < 0)
        return aft_error_set(err, "the run has no eval.reject_action: there is no fallback "
                             "to calibrate");
    if (!(keep > 0 && keep <= 1))
        return aft_error_set(err, "the share to keep must be in (0, 1], not %g", keep);
    size_t n = set->count;
    double *scores = malloc((n ? n : 1) * sizeof *scores);
    if (!scores)
        return aft_error_set(err, "out of memory");
    int rc = run_batches(p, set, NULL, n, 32, score_sink, scores, err);
    size_t m = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (set->items[i].label >= 0 && set->items[i].label != p->reject.action)
            scores[m++] = scores[i];
    if (rc == 0 && m == 0)
        rc = aft_error_set(err, "no examples of other actions than the fallback to calibrate on");
    if (rc == 0) {
        p->reject.keep = keep;
        p->reject.below = aft_reject_calibrate(scores, m, keep);
        p->reject.calibrated = 1;
    }
    free(scores);
    return rc;
}

int aft_predictor_classify_text(aft_predictor *p, const char *const *contexts, size_t n,
                                int batch_size, int32_t *pred, float *conf, float *probs,
                                uint8_t *cut, aft_error *err)
{
    aft_example_set set;
    aft_example_set_init(&set);
    aft_example_opts o = aft_predictor_example_opts(p, 0, -1, AFT_SPLIT_TEST);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = aft_examples_add_text(&set, contexts[i], NULL, NULL, p->tok, &p->actions, &o, err);
    if (rc == 0)
        rc = aft_predictor_classify(p, &set, NULL, n, batch_size, pred, conf, probs, err);
    for (size_t i = 0; rc == 0 && cut && i < n; i++)
        cut[i] = set.items[i].context_cut;
    aft_example_set_free(&set);
    return rc;
}

aft_predictor *aft_predictor_new(aft_config *cfg, aft_tokenizer *tok, aft_action_set *actions,
                                 aft_model *model, const char *name, int threads,
                                 aft_error *err)
{
    aft_predictor *p = calloc(1, sizeof *p);
    if (!p) {
        aft_config_free(cfg);
        aft_tokenizer_free(tok);
        aft_action_set_free(actions);
        aft_model_free(model);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->tok = tok;
    p->actions = *actions;
    memset(actions, 0, sizeof *actions);
    p->model = model;
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
    const aft_model_config *mc = aft_model_get_config(model);
    if ((size_t)mc->n_actions != p->actions.count) {
        aft_error_set(err, "the model has %d actions but %zu are named", mc->n_actions,
                      p->actions.count);
        goto fail;
    }
    p->pad = aft_tokenizer_special(tok, AFT_TOK_PAD);
    if (p->pad < 0)
        p->pad = aft_tokenizer_special(tok, AFT_TOK_EOT);
    if (p->pad < 0) {
        aft_error_set(err, "the tokenizer lacks %s", AFT_TOK_EOT);
        goto fail;
    }
    if (set_reject(p, err) < 0)
        goto fail;
    if (threads <= 0 && cfg)
        threads = (int)aft_config_int(cfg, AFT_K_THREADS);
    p->threads = aft_blas_set_threads(threads);
    return p;
fail:
    aft_predictor_free(p);
    return NULL;
}
