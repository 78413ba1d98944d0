/* Option parsing, usage text, and opening the workspace or dataset files a
 * command names, with every problem printed for the user. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

void cli_usage(const char *cmd, int to_stderr)
{
    FILE *out = to_stderr ? stderr : stdout;
    const cli_command *c = cli_find(cmd);
    if (!c)
        return;
    fprintf(out, "usage: agentft %s %s\n", c->name, c->synopsis);
    if (!to_stderr) {
        fprintf(out, "\n%s\n", c->summary);
        if (c->help[0])
            fprintf(out, "\n%s", c->help);
        if (strstr(c->synopsis, "--set"))
            fprintf(out, "  --set KEY=VALUE override a workspace key (repeatable); "
                         "see 'agentft config keys'\n");
    }
}

static int usage_error(const char *cmd, const char *fmt, const char *what)
{
    fprintf(stderr, "agentft %s: ", cmd);
    fprintf(stderr, fmt, what);
    fputs("\n", stderr);
    cli_usage(cmd, 1);
    return -1;
}

static const cli_opt *find_opt(const cli_opt *opts, const char *name, size_t len)
{
    for (const cli_opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, cli_args *out)
{
    memset(out, 0, sizeof *out);
    int only_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            if (out->n_positional == CLI_MAX_ARGS)
                return usage_error(cmd, "too many arguments (at most %s)", "64");
            out->positional[out->n_positional++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            out->help = 1;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        const char *value = eq ? eq + 1 : NULL;
        int is_set = name_len == 5 && strncmp(a, "--set", 5) == 0;
        const cli_opt *o = is_set ? NULL : find_opt(opts, a, name_len);
        if (!is_set && !o)
            return usage_error(cmd, "unknown option '%s'", a);
        if (is_set || o->takes_value) {
            if (!value) {
                if (i + 1 >= argc)
                    return usage_error(cmd, "option '%s' needs a value", a);
                value = argv[++i];
            }
            if (is_set) {
                if (out->n_sets == CLI_MAX_ARGS)
                    return usage_error(cmd, "too many --set options (at most %s)", "64");
                out->sets[out->n_sets++] = value;
            } else {
                *o->value = value;
            }
        } else {
            if (value)
                return usage_error(cmd, "option '%s' takes no value", a);
            *o->flag = 1;
        }
    }
    return 0;
}

int cli_begin(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t nargs,
              const char *what, cli_args *args, int *status)
{
    *status = CLI_USAGE;
    if (cli_parse(cmd, argc, argv, opts, args) < 0)
        return 0;
    if (args->help) {
        cli_usage(cmd, 0);
        *status = CLI_OK;
        return 0;
    }
    if (args->n_positional != nargs) {
        if (nargs == 0)
            fprintf(stderr, "agentft %s: takes no arguments\n", cmd);
        else
            fprintf(stderr, "agentft %s: expected %s, got %zu arguments\n", cmd, what,
                    args->n_positional);
        cli_usage(cmd, 1);
        return 0;
    }
    *status = CLI_OK;
    return 1;
}

int cli_is_workspace(const char *path)
{
    size_t n = strlen(path);
    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

aft_config *cli_load_workspace(const char *path, const cli_args *args)
{
    aft_error err = {0};
    aft_config *cfg = aft_workspace_load(path, &err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    for (size_t i = 0; i < args->n_sets; i++) {
        if (aft_config_set_arg(cfg, args->sets[i], &err) < 0) {
            fprintf(stderr, "--set %s: %s\n", args->sets[i], err.msg);
            aft_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

int cli_dataset_refs(const char *target, const cli_args *args, aft_config **cfg,
                     cli_dataset_ref refs[3])
{
    *cfg = NULL;
    if (!cli_is_workspace(target)) {
        if (args->n_sets > 0) {
            fprintf(stderr, "agentft: --set needs a workspace (WS.yaml), but '%s' is a dataset file\n",
                    target);
            return -1;
        }
        refs[0].path = target;
        refs[0].implied = AFT_SPLIT_NONE;
        return 1;
    }
    *cfg = cli_load_workspace(target, args);
    if (!*cfg)
        return -1;
    int n = cli_workspace_refs(target, *cfg, refs);
    if (n < 0) {
        aft_config_free(*cfg);
        *cfg = NULL;
    }
    return n;
}

int cli_workspace_refs(const char *ws, const aft_config *cfg, cli_dataset_ref refs[3])
{
    const char *single = aft_config_string(cfg, AFT_K_DATASET);
    if (single[0]) {
        refs[0].path = single;
        refs[0].implied = AFT_SPLIT_NONE;
        return 1;
    }
    static const struct { aft_key key; aft_split split; } parts[] = {
        {AFT_K_TRAIN_FILE, AFT_SPLIT_TRAIN},
        {AFT_K_VALID_FILE, AFT_SPLIT_VALID},
        {AFT_K_TEST_FILE, AFT_SPLIT_TEST},
    };
    int n = 0;
    for (size_t i = 0; i < 3; i++) {
        const char *p = aft_config_string(cfg, parts[i].key);
        if (p[0]) {
            refs[n].path = p;
            refs[n].implied = parts[i].split;
            n++;
        }
    }
    if (n == 0)
        fprintf(stderr, "%s: names no dataset: set dataset.path, or dataset.train (and valid, test)\n",
                ws);
    return n ? n : -1;
}

aft_dataset *cli_open_dataset(const char *path, int strict, size_t *errors, size_t *warnings)
{
    aft_diag_list diags;
    aft_diag_list_init(&diags);
    aft_error err = {0};
    aft_load_opts opts = {.strict = strict};
    aft_dataset *ds = aft_dataset_open(path, &opts, &diags, &err);
    char line[1200] = "";
    for (size_t i = 0; i < diags.count; i++) {
        aft_diag_format(&diags, i, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    /* A strict load's error repeats its first diagnostic; say it once. */
    if (!ds && err.set && (diags.count == 0 || strcmp(line, err.msg) != 0))
        fprintf(stderr, "%s\n", err.msg);
    if (errors)
        *errors = diags.errors + (ds ? 0 : 1);
    if (warnings)
        *warnings = diags.warnings;
    if (ds && aft_dataset_replayed(ds) > 0)
        fprintf(stderr, "%s: replayed %zu unsaved edits from %s.journal\n", path,
                aft_dataset_replayed(ds), path);
    aft_diag_list_free(&diags);
    return ds;
}

int cli_parse_double(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end) {
        fprintf(stderr, "agentft: %s expects a number, got '%s'\n", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *opt, const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-') {
        fprintf(stderr, "agentft: %s expects a whole number >= 0, got '%s'\n", opt, text);
        return -1;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end) {
        fprintf(stderr, "agentft: %s expects a whole number >= 0, got '%s'\n", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}
