/* `agentft export RUN --int8`: a quantized copy of a run's checkpoint as a
 * self-contained folder that `agentft eval` and the predictor open. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/int8.h"
#include "agentft/predictor.h"
#include "cli.h"

#define EXPORT_PATH_MAX 4096

static double mib(size_t bytes) { return (double)bytes / 1048576.0; }

static void print_summary(const char *out, const aft_predictor *p,
                          const aft_int8_export_info *info)
{
    char src[EXPORT_PATH_MAX];
    struct stat st;
    size_t float_file = 0;
    if (snprintf(src, sizeof src, "%s/model.safetensors", aft_predictor_checkpoint_dir(p)) <
            (int)sizeof src && stat(src, &st) == 0)
        float_file = (size_t)st.st_size;
    printf("wrote %s (INT8 of %s)\n", out, aft_predictor_checkpoint_dir(p));
    printf("  model.safetensors: %.2f MiB", mib(info->file_bytes));
    if (float_file)
        printf(", %.2fx of the float32 checkpoint's %.2f MiB\n",
               (double)info->file_bytes / (double)float_file, mib(float_file));
    else
        printf("\n");
    printf("  %zu matrices in int8 (%zu weights, one scale per output channel), %zu values "
           "in float32\n", info->matrices, info->int8_params, info->float_params);
    printf("  int8 kernel on this machine: %s\n", aft_q8_kernel_name(aft_q8_kernel_choose()));
}

int cmd_export(int argc, char **argv)
{
    const char *checkpoint = NULL, *out = NULL;
    int int8 = 0, status;
    cli_opt opts[] = {{"--checkpoint", 1, &checkpoint, NULL},
                      {"--out", 1, &out, NULL},
                      {"--int8", 0, NULL, &int8},
                      {NULL, 0, NULL, NULL}};
    cli_args args;
    if (!cli_begin("export", argc, argv, opts, 1, "one RUN", &args, &status))
        return status;
    if (args.n_sets > 0) {
        fprintf(stderr, "agentft export: takes no --set\n");
        return CLI_USAGE;
    }
    if (!int8) {
        fprintf(stderr, "agentft export: say what to export: --int8 (the only format so far)\n");
        cli_usage("export", 1);
        return CLI_USAGE;
    }
    const char *run = args.positional[0];
    char def[EXPORT_PATH_MAX];
    if (!out) {
        size_t n = strlen(run);
        while (n > 1 && run[n - 1] == '/')
            n--;
        if (snprintf(def, sizeof def, "%.*s/export-int8", (int)n, run) >= (int)sizeof def) {
            fprintf(stderr, "agentft export: path too long: %s\n", run);
            return CLI_FAIL;
        }
        out = def;
    }
    aft_error err = {0};
    aft_predictor *p = aft_predictor_open(run, checkpoint, 0, &err);
    if (!p) {
        fprintf(stderr, "agentft export: %s\n", err.msg);
        return CLI_FAIL;
    }
    int rc = CLI_FAIL;
    aft_int8_export_info info;
    const aft_action_set *actions = aft_predictor_actions(p);
    if (aft_model_is_int8(aft_predictor_model(p)))
        fprintf(stderr, "agentft export: %s is an INT8 export already; export the run's float "
                        "checkpoint\n", aft_predictor_checkpoint_dir(p));
    else if (aft_int8_export(out, aft_predictor_model(p), aft_predictor_tokenizer(p),
                             (const char *const *)actions->names, actions->count,
                             aft_predictor_config(p), aft_predictor_checkpoint_dir(p), &info,
                             &err) < 0)
        fprintf(stderr, "agentft export: %s\n", err.msg);
    else {
        print_summary(out, p, &info);
        rc = CLI_OK;
    }
    aft_predictor_free(p);
    return rc;
}
