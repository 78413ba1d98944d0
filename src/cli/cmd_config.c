/* `agentft config show|check|keys`: the workspace and its schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Parses a command that takes one workspace file; returns 1 to go on. */
static int one_workspace(const char *cmd, int argc, char **argv, cli_args *args, int *status)
{
    if (!cli_begin(cmd, argc, argv, NULL, 1, "one workspace file (WS.yaml)", args, status))
        return 0;
    if (!cli_is_workspace(args->positional[0])) {
        fprintf(stderr, "agentft %s: expected a workspace file (WS.yaml), got '%s'\n", cmd,
                args->positional[0]);
        cli_usage(cmd, 1);
        *status = CLI_USAGE;
        return 0;
    }
    return 1;
}

int cmd_config_show(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!one_workspace("config show", argc, argv, &args, &rc))
        return rc;
    aft_config *cfg = cli_load_workspace(args.positional[0], &args);
    if (!cfg)
        return CLI_FAIL;
    char *text = aft_config_render(cfg);
    if (!text) {
        fprintf(stderr, "agentft config show: out of memory\n");
        aft_config_free(cfg);
        return CLI_FAIL;
    }
    fputs(text, stdout);
    free(text);
    aft_error err = {0};
    if (aft_config_validate(cfg, &err) < 0) {
        fprintf(stderr, "%s: %s\n", args.positional[0], err.msg);
        rc = CLI_FAIL;
    }
    aft_config_free(cfg);
    return rc;
}

int cmd_config_check(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!one_workspace("config check", argc, argv, &args, &rc))
        return rc;
    const char *ws = args.positional[0];
    aft_config *cfg = cli_load_workspace(ws, &args);
    if (!cfg)
        return CLI_FAIL;
    aft_error err = {0};
    if (aft_config_validate(cfg, &err) < 0) {
        fprintf(stderr, "%s: %s\n", ws, err.msg);
        aft_config_free(cfg);
        return CLI_FAIL;
    }
    cli_dataset_ref refs[3];
    int n = cli_workspace_refs(ws, cfg, refs);
    if (n < 0) {
        aft_config_free(cfg);
        return CLI_FAIL;
    }
    int strict = aft_config_bool(cfg, AFT_K_STRICT);
    size_t records = 0;
    for (int i = 0; i < n; i++) {
        size_t errors = 0;
        aft_dataset *ds = cli_open_dataset(refs[i].path, strict, &errors, NULL);
        if (!ds || errors)
            rc = CLI_FAIL;
        if (ds)
            records += aft_dataset_count(ds);
        aft_dataset_free(ds);
    }
    if (rc == CLI_OK)
        printf("%s: ok (%d dataset file%s, %zu records)\n", ws, n, n == 1 ? "" : "s", records);
    else
        printf("%s: dataset problems above\n", ws);
    aft_config_free(cfg);
    return rc;
}

static const char *type_name(aft_key_type t)
{
    switch (t) {
    case AFT_T_INT: return "int";
    case AFT_T_FLOAT: return "float";
    case AFT_T_BOOL: return "bool";
    case AFT_T_STRING: return "string";
    case AFT_T_ENUM: return "enum";
    case AFT_T_PATH: return "path";
    }
    return "?";
}

/* Backslashes and leading dots/quotes would be read as troff requests. */
static void print_troff(const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", stdout);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", stdout);
        else if (*s == '-')
            fputs("\\-", stdout);
        else
            putchar(*s);
    }
}

int cmd_config_keys(int argc, char **argv)
{
    int man = 0;
    cli_opt opts[] = {{"--man", 0, NULL, &man}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("config keys", argc, argv, opts, 0, "", &args, &status))
        return status;
    size_t n;
    const aft_key_info *keys = aft_schema(&n);
    for (size_t i = 0; i < n; i++) {
        const aft_key_info *k = &keys[i];
        char full[96], range[256];
        snprintf(full, sizeof full, "%s%s%s", k->section, k->section[0] ? "." : "", k->name);
        aft_schema_describe_range(k, range, sizeof range);
        if (man) {
            printf(".TP\n.B ");
            print_troff(full);
            printf("\n(%s, default ", type_name(k->type));
            print_troff(k->def[0] ? k->def : "empty");
            printf(", ");
            print_troff(range);
            printf("%s)\n", k->live ? ", live" : "");
            print_troff(k->help);
            printf("\n");
        } else {
            printf("%-28s %-6s %-10s %-28s %s%s\n", full, type_name(k->type),
                   k->def[0] ? k->def : "\"\"", range, k->live ? "[live] " : "", k->help);
        }
    }
    return CLI_OK;
}
