/* The whole evaluation report: the header (run, checkpoint, data, model,
 * machine) and every section, built over one classified data set, and
 * written as RUN/NAME.json and RUN/NAME.md. */
#include "agentft/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentft/fileio.h"

#include "agentft/int8.h"

#define REPORT_PATH_MAX 4096

static void add_model(cJSON *root, aft_predictor *p)
{
    aft_model *m = aft_predictor_model(p);
    const aft_model_config *c = aft_model_get_config(m);
    cJSON *o = cJSON_AddObjectToObject(root, "model");
    cJSON_AddNumberToObject(o, "parameters", (double)aft_model_num_floats(m));
    cJSON_AddNumberToObject(o, "n_layer", c->n_layer);
    cJSON_AddNumberToObject(o, "n_head", c->n_head);
    cJSON_AddNumberToObject(o, "d_model", c->d_model);
    cJSON_AddNumberToObject(o, "max_seq", c->max_seq);
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "actions", (double)aft_predictor_actions(p)->count);
    cJSON_AddStringToObject(o, "weights", aft_model_is_int8(m) ? "int8" : "float32");
}

/* The fallback for unsure predictions that the scores below include. */
static void add_reject(cJSON *root, const aft_predictor *p, const char *calibrated_on)
{
    const aft_reject_rule *r = aft_predictor_reject(p);
    if (r->action < 0)
        return;
    cJSON *o = cJSON_AddObjectToObject(root, "reject");
    cJSON_AddStringToObject(o, "action", aft_predictor_actions(p)->names[r->action]);
    cJSON_AddStringToObject(o, "score", aft_reject_score_name(r->score));
    if (isfinite(r->below))
        cJSON_AddNumberToObject(o, "below", r->below);
    if (r->keep > 0)
        cJSON_AddNumberToObject(o, "keep", r->keep);
    cJSON_AddBoolToObject(o, "applied", aft_reject_active(r));
    if (calibrated_on)
        cJSON_AddStringToObject(o, "calibrated_on", calibrated_on);
}

static void add_header(cJSON *root, const aft_eval_input *in, const char *run_dir,
                       const aft_report_opts *opts)
{
    cJSON_AddNumberToObject(root, "version", AFT_REPORT_VERSION);
    cJSON_AddStringToObject(root, "kind", "report");
    cJSON_AddStringToObject(root, "run", run_dir);
    cJSON_AddStringToObject(root, "checkpoint", aft_predictor_checkpoint_name(in->pred));
    cJSON_AddStringToObject(root, "checkpoint_dir", aft_predictor_checkpoint_dir(in->pred));
    cJSON_AddStringToObject(root, "source", in->source ? in->source : "");
    cJSON_AddStringToObject(root, "data", aft_dataset_path(in->ds));
    cJSON_AddNumberToObject(root, "examples", (double)in->examples.count);
    cJSON_AddNumberToObject(root, "scored",
                            (double)(in->examples.count - in->examples.unknown_label));
    cJSON_AddNumberToObject(root, "bad_lines_skipped", (double)aft_dataset_bad_lines(in->ds));
    cJSON_AddNumberToObject(root, "seed", (double)opts->seed);
    add_model(root, in->pred);
    add_reject(root, in->pred, in->calibrated_on);
    cJSON *mach = cJSON_AddObjectToObject(root, "machine");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cJSON_AddNumberToObject(mach, "cores", (double)(cores > 0 ? cores : 1));
    cJSON_AddNumberToObject(mach, "threads", aft_predictor_threads(in->pred));
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "created", when);
}

int aft_report_cancelled(const aft_report_opts *opts, aft_error *err)
{
    if (!opts || !opts->cancel || !atomic_load(opts->cancel))
        return 0;
    aft_error_set(err, "cancelled");
    return 1;
}

/* Adds a section, or says which one failed. */
static int add_section(cJSON *root, const char *name, cJSON *section, aft_error *err)
{
    if (!section) {
        aft_error_prefix(err, "%s", name);
        return -1;
    }
    cJSON_AddItemToObject(root, name, section);
    return 0;
}

static int add_sections(cJSON *root, aft_eval_input *in, const aft_report_opts *opts,
                        aft_error *err)
{
    if (add_section(root, "task", aft_report_task(in, opts, err), err) < 0 ||
        add_section(root, "slices", aft_report_slices(in, err), err) < 0 ||
        add_section(root, "calibration", aft_report_calibration(in, err), err) < 0)
        return -1;
    /* Timing goes before the long robustness runs, while the machine is as
     * it was at the start. */
    if (aft_report_cancelled(opts, err) ||
        (!opts->skip_efficiency &&
         add_section(root, "efficiency", aft_report_efficiency(in, opts, err), err) < 0))
        return -1;
    if (aft_report_cancelled(opts, err) ||
        add_section(root, "robustness", aft_report_robustness(in, opts, err), err) < 0 ||
        aft_report_cancelled(opts, err) ||
        add_section(root, "generation", aft_report_generation(in, opts, err), err) < 0)
        return -1;
    return 0;
}

cJSON *aft_report_build(aft_predictor *p, const char *run_dir, const aft_report_opts *opts,
                        aft_error *err)
{
    aft_eval_input in;
    if (aft_eval_input_load(&in, p, opts, err) < 0)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        aft_error_set(err, "out of memory");
    } else {
        add_header(root, &in, run_dir, opts);
        if (add_sections(root, &in, opts, err) < 0) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    aft_eval_input_free(&in);
    return root;
}

static int write_text(const char *dir, const char *name, const char *ext, const char *text,
                      aft_error *err)
{
    char file[512], path[REPORT_PATH_MAX];
    if (snprintf(file, sizeof file, "%s.%s", name, ext) >= (int)sizeof file)
        return aft_error_set(err, "report name too long: %s", name);
    if (aft_path_join(path, sizeof path, dir, file, err) < 0)
        return -1;
    return aft_write_file_atomic(path, text, strlen(text), err);
}

int aft_report_write(const cJSON *report, const char *dir, const char *name, aft_error *err)
{
    char *json = cJSON_Print(report);
    char *md = aft_report_markdown(report);
    int rc = -1;
    if (!json || !md) {
        aft_error_set(err, "out of memory rendering the report");
        goto done;
    }
    size_t n = strlen(json);
    char *line = realloc(json, n + 2);
    if (!line) {
        aft_error_set(err, "out of memory rendering the report");
        goto done;
    }
    json = line;
    memcpy(json + n, "\n", 2);
    rc = write_text(dir, name, "json", json, err) < 0 || write_text(dir, name, "md", md, err) < 0
             ? -1
             : 0;
done:
    free(json);
    free(md);
    return rc;
}
