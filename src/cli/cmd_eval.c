/* `agentft eval RUN`: the evaluation report of a run's checkpoint, written
 * to RUN/report.json and RUN/report.md and printed; `agentft eval --compare
 * RUN_A RUN_B`: the A/B comparison of two models on the same data. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/report.h"
#include "cli.h"

#define EVAL_PATH_MAX 4096

typedef struct eval_flags {
    const char *data, *checkpoint, *seed, *reject_keep;
    int quick, no_timing, json, compare;
} eval_flags;

/* A RUN argument: the directory and the checkpoint named after a colon
 * (RUN:best, RUN:step-N), which wins over --checkpoint. */
typedef struct run_spec {
    char dir[EVAL_PATH_MAX];
    const char *which;   /* the part after the colon, or NULL */
} run_spec;

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_spec(const char *arg, run_spec *s)
{
    s->which = NULL;
    if (snprintf(s->dir, sizeof s->dir, "%s", arg) >= (int)sizeof s->dir) {
        fprintf(stderr, "agentft eval: path too long: %s\n", arg);
        return -1;
    }
    char *colon = strrchr(s->dir, ':');
    if (!is_dir(s->dir) && colon &&
        (strcmp(colon + 1, "best") == 0 || strncmp(colon + 1, "step-", 5) == 0)) {
        *colon = '\0';
        s->which = arg + (colon - s->dir) + 1;
    }
    if (!is_dir(s->dir)) {
        fprintf(stderr, "agentft eval: %s: no such run directory\n", s->dir);
        return -1;
    }
    return 0;
}

static aft_predictor *open_model(const run_spec *s, const eval_flags *f)
{
    aft_error err = {0};
    aft_predictor *p = aft_predictor_open(s->dir, s->which ? s->which : f->checkpoint, 0, &err);
    if (!p)
        fprintf(stderr, "agentft eval: %s\n", err.msg);
    return p;
}

/* Prints the report (JSON or Markdown) after writing it to DIR/NAME.{json,md}. */
static int write_and_print(const cJSON *report, const char *dir, const char *name, int json)
{
    aft_error err = {0};
    if (aft_report_write(report, dir, name, &err) < 0) {
        fprintf(stderr, "agentft eval: %s\n", err.msg);
        return CLI_FAIL;
    }
    char *text = json ? cJSON_Print(report) : aft_report_markdown(report);
    if (!text) {
        fprintf(stderr, "agentft eval: out of memory\n");
        return CLI_FAIL;
    }
    size_t n = strlen(text);
    fputs(text, stdout);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', stdout); /* cJSON_Print ends without one */
    free(text);
    fprintf(stderr, "wrote %s/%s.json and %s.md\n", dir, name, name);
    return CLI_OK;
}

static int eval_one(const char *arg, const eval_flags *f, const aft_report_opts *o)
{
    run_spec s;
    if (parse_spec(arg, &s) < 0)
        return CLI_FAIL;
    aft_predictor *p = open_model(&s, f);
    if (!p)
        return CLI_FAIL;
    aft_error err = {0};
    cJSON *report = aft_report_build(p, s.dir, o, &err);
    int rc = CLI_FAIL;
    if (!report)
        fprintf(stderr, "agentft eval: %s\n", err.msg);
    else
        rc = write_and_print(report, s.dir, "report", f->json);
    cJSON_Delete(report);
    aft_predictor_free(p);
    return rc;
}

/* Without --data each run is tested on its own test split; a comparison
 * only means something when that is the same file and the same records. */
static int same_data(const aft_eval_input *a, const aft_eval_input *b, const char *run_a,
                     const char *run_b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    const char *pa = aft_dataset_path(a->ds), *pb = aft_dataset_path(b->ds);
    int same = realpath(pa, ra) && realpath(pb, rb) && strcmp(ra, rb) == 0 &&
               a->examples.count == b->examples.count;
    for (size_t k = 0; same && k < a->examples.count; k++)
        same = a->examples.items[k].record == b->examples.items[k].record;
    if (!same)
        fprintf(stderr, "agentft eval: %s and %s are tested on different data (%s, %s); "
                        "name the data for both with --data FILE\n",
                run_a, run_b, a->source, b->source);
    return same;
}

/* compare-<B's folder name>[-<checkpoint>], written into A. */
static int compare_name(const run_spec *b, char *name, size_t size)
{
    char dir[EVAL_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", b->dir);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    int n_out = snprintf(name, size, "compare-%s%s%s", base, b->which ? "-" : "",
                         b->which ? b->which : "");
    if (n_out < 0 || (size_t)n_out >= size) {
        fprintf(stderr, "agentft eval: run name too long: %s\n", base);
        return -1;
    }
    return 0;
}

static int eval_compare(const char *arg_a, const char *arg_b, const eval_flags *f,
                        const aft_report_opts *o)
{
    run_spec sa, sb;
    aft_predictor *pa = NULL, *pb = NULL;
    aft_eval_input ia = {0}, ib = {0};
    cJSON *c = NULL;
    int rc = CLI_FAIL;
    aft_error err = {0};
    if (parse_spec(arg_a, &sa) < 0 || parse_spec(arg_b, &sb) < 0 ||
        !(pa = open_model(&sa, f)) || !(pb = open_model(&sb, f)))
        goto done;
    if (aft_eval_input_load(&ia, pa, o, &err) < 0 || aft_eval_input_load(&ib, pb, o, &err) < 0) {
        fprintf(stderr, "agentft eval: %s\n", err.msg);
        goto done;
    }
    if (!f->data && !same_data(&ia, &ib, sa.dir, sb.dir))
        goto done;
    if (!(c = aft_report_compare(&ia, &ib, o, &err)) ||
        (!o->skip_efficiency && aft_report_compare_timing(c, &ia, &ib, o, &err) < 0)) {
        fprintf(stderr, "agentft eval: %s\n", err.msg);
        goto done;
    }
    char name[512];
    if (compare_name(&sb, name, sizeof name) == 0)
        rc = write_and_print(c, sa.dir, name, f->json);
done:
    cJSON_Delete(c);
    aft_eval_input_free(&ia);
    aft_eval_input_free(&ib);
    aft_predictor_free(pa);
    aft_predictor_free(pb);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    eval_flags f = {0};
    cli_opt opts[] = {{"--data", 1, &f.data, NULL},
                      {"--checkpoint", 1, &f.checkpoint, NULL},
                      {"--seed", 1, &f.seed, NULL},
                      {"--reject-keep", 1, &f.reject_keep, NULL},
                      {"--quick", 0, NULL, &f.quick},
                      {"--no-timing", 0, NULL, &f.no_timing},
                      {"--json", 0, NULL, &f.json},
                      {"--compare", 0, NULL, &f.compare},
                      {NULL, 0, NULL, NULL}};
    cli_args args;
    if (cli_parse("eval", argc, argv, opts, &args) < 0)
        return CLI_USAGE;
    if (args.help) {
        cli_usage("eval", 0);
        return CLI_OK;
    }
    size_t want = f.compare ? 2 : 1;
    if (args.n_positional != want || args.n_sets > 0) {
        if (args.n_sets > 0)
            fprintf(stderr, "agentft eval: takes no --set (the run's own settings apply)\n");
        else
            fprintf(stderr, "agentft eval: expected %s, got %zu arguments\n",
                    f.compare ? "RUN_A and RUN_B after --compare" : "one RUN",
                    args.n_positional);
        cli_usage("eval", 1);
        return CLI_USAGE;
    }
    unsigned long long seed = 1;
    if (f.seed && cli_parse_u64("--seed", f.seed, &seed) < 0)
        return CLI_USAGE;
    double keep = 0;
    if (f.reject_keep && cli_parse_double("--reject-keep", f.reject_keep, &keep) < 0)
        return CLI_USAGE;
    if (f.reject_keep && !(keep > 0 && keep <= 1)) {
        fprintf(stderr, "agentft eval: --reject-keep %s is out of range (above 0, at most 1)\n",
                f.reject_keep);
        return CLI_USAGE;
    }
    aft_report_opts o = {.data_path = f.data, .checkpoint = f.checkpoint, .seed = seed,
                         .quick = f.quick, .skip_efficiency = f.no_timing,
                         .reject_keep = keep};
    if (f.compare)
        return eval_compare(args.positional[0], args.positional[1], &f, &o);
    return eval_one(args.positional[0], &f, &o);
}
