/* What a report evaluates: the data (a file given with --data, or the run's
 * test split as the trainer defines it), encoded for the model and
 * classified once, shared by every section of the report. */
#include "agentft/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/config.h"

#define EVAL_BATCH 32

/* Where the run's test (or valid) records are: the file and the split its
 * unmarked records fall in (as the trainer reads dataset.path or
 * dataset.train, valid and test). */
typedef struct split_source {
    const char *path;
    aft_split implied;
} split_source;

static int run_split_source(const aft_predictor *p, aft_split split, split_source *src,
                            aft_error *err)
{
    const aft_config *cfg = aft_predictor_config(p);
    const char *name = aft_split_name(split);
    if (!cfg)
        return aft_error_set(err, "%s is a checkpoint folder without a run: it has no %s "
                             "data, so name the data to evaluate on (--data FILE)",
                             aft_predictor_checkpoint_dir(p), name);
    struct {
        aft_key key;
        aft_split implied;
    } order[] = {{AFT_K_DATASET, AFT_SPLIT_NONE},
                 {split == AFT_SPLIT_VALID ? AFT_K_VALID_FILE : AFT_K_TEST_FILE, split},
                 {AFT_K_TRAIN_FILE, AFT_SPLIT_TRAIN}};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *path = aft_config_string(cfg, order[i].key);
        if (path[0]) {
            src->path = path;
            src->implied = order[i].implied;
            return 0;
        }
    }
    return aft_error_set(err, "the run's config names no dataset (dataset.path or "
                         "dataset.%s); name the data to evaluate on (--data FILE)", name);
}

/* Bad lines make a report on given data meaningless (the records the user
 * meant would be missing), so they are an error there; the run's own data
 * skips them as its training did, unless it was strict. */
static aft_dataset *open_data(const char *path, int bad_ok, aft_error *err)
{
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_load_opts lo = {0};
    aft_dataset *ds = aft_dataset_open(path, &lo, &diags, err);
    if (ds && !bad_ok && aft_dataset_bad_lines(ds) > 0) {
        char first[AFT_ERROR_MAX / 2] = "";
        for (size_t i = 0; i < diags.count && !first[0]; i++)
            if (diags.items[i].level == AFT_DIAG_ERROR)
                aft_diag_format(&diags, i, first, sizeof first);
        aft_error_set(err, "%s (%zu bad line%s in all; 'agentft data check %s' lists them)",
                      first, aft_dataset_bad_lines(ds), aft_dataset_bad_lines(ds) == 1 ? "" : "s",
                      path);
        aft_dataset_free(ds);
        ds = NULL;
    }
    aft_diag_list_free(&diags);
    return ds;
}

static char *describe_source(const char *path, int whole_file, aft_split implied)
{
    const char *fmt = whole_file              ? "%s"
                      : implied == AFT_SPLIT_TEST ? "test file %s"
                                                : "test split of %s";
    size_t n = strlen(path) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, path);
    return s;
}

/* Opens the data and encodes the records to evaluate (without a target). */
static int load_examples(aft_eval_input *in, const aft_report_opts *opts, aft_error *err)
{
    split_source src = {opts->data_path, AFT_SPLIT_NONE};
    int whole = opts->data_path != NULL;
    if (!whole && run_split_source(in->pred, AFT_SPLIT_TEST, &src, err) < 0)
        return -1;
    const aft_config *cfg = aft_predictor_config(in->pred);
    int bad_ok = !whole && !aft_config_bool(cfg, AFT_K_STRICT);
    if (!(in->ds = open_data(src.path, bad_ok, err)))
        return -1;
    aft_example_opts eo = aft_predictor_example_opts(in->pred, 0, whole ? -1 : AFT_SPLIT_TEST,
                                                     src.implied);
    if (aft_examples_add(&in->examples, in->ds, aft_predictor_tokenizer(in->pred),
                         aft_predictor_actions(in->pred), &eo, err) < 0)
        return -1;
    if (in->examples.count == 0) {
        if (whole)
            return aft_error_set(err, "%s: no records to evaluate", src.path);
        return aft_error_set(err, "%s: no test records (none has \"split\": \"test\"); run "
                             "'agentft data split' on it, or name the data to evaluate on "
                             "(--data FILE)", src.path);
    }
    if (!(in->source = describe_source(src.path, whole, src.implied)))
        return aft_error_set(err, "out of memory");
    return 0;
}

/* --reject-keep: the fallback's threshold from the run's valid split, as the
 * trainer calibrates it, for another share to keep. */
static int calibrate_on_valid(aft_eval_input *in, double keep, aft_error *err)
{
    split_source src;
    if (run_split_source(in->pred, AFT_SPLIT_VALID, &src, err) < 0)
        return -1;
    const aft_config *cfg = aft_predictor_config(in->pred);
    aft_dataset *ds = open_data(src.path, !aft_config_bool(cfg, AFT_K_STRICT), err);
    if (!ds)
        return -1;
    aft_example_set valid;
    aft_example_set_init(&valid);
    aft_example_opts eo = aft_predictor_example_opts(in->pred, 0, AFT_SPLIT_VALID, src.implied);
    int rc = aft_examples_add(&valid, ds, aft_predictor_tokenizer(in->pred),
                              aft_predictor_actions(in->pred), &eo, err);
    if (rc == 0 && valid.count == 0)
        rc = aft_error_set(err, "%s: no valid records to calibrate the fallback on", src.path);
    if (rc == 0)
        rc = aft_predictor_calibrate_reject(in->pred, &valid, keep, err);
    size_t n = strlen(src.path) + 64;
    if (rc == 0 && (in->calibrated_on = malloc(n)) != NULL)
        snprintf(in->calibrated_on, n, "valid split of %s (%zu examples)", src.path,
                 valid.count);
    else if (rc == 0)
        rc = aft_error_set(err, "out of memory");
    aft_example_set_free(&valid);
    aft_dataset_free(ds);
    return rc;
}

int aft_eval_input_load(aft_eval_input *in, aft_predictor *p, const aft_report_opts *opts,
                        aft_error *err)
{
    memset(in, 0, sizeof *in);
    in->pred = p;
    aft_example_set_init(&in->examples);
    if (load_examples(in, opts, err) < 0)
        goto fail;
    size_t n = in->examples.count;
    in->predicted = malloc(n * sizeof *in->predicted);
    in->confidence = malloc(n * sizeof *in->confidence);
    if (!in->predicted || !in->confidence) {
        aft_error_set(err, "out of memory for %zu predictions", n);
        goto fail;
    }
    if (opts && opts->reject_keep > 0 && calibrate_on_valid(in, opts->reject_keep, err) < 0)
        goto fail;
    if (aft_predictor_classify(p, &in->examples, NULL, n, EVAL_BATCH, in->predicted,
                               in->confidence, NULL, err) < 0)
        goto fail;
    return 0;
fail:
    aft_eval_input_free(in);
    return -1;
}

void aft_eval_input_free(aft_eval_input *in)
{
    if (!in)
        return;
    aft_dataset_free(in->ds);
    aft_example_set_free(&in->examples);
    free(in->predicted);
    free(in->confidence);
    free((char *)in->source);
    free(in->calibrated_on);
    memset(in, 0, sizeof *in);
}
