/* agentft's entry point: global options and dispatch to the subcommands of
 * the table below, which also generates --help and `agentft help CMD`. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli.h"

static int cmd_help(int argc, char **argv);

const cli_command cli_commands[] = {
    {"data check", "FILE|WS [--strict] [--set KEY=VALUE]...",
     "check dataset files and list every bad line as FILE:LINE:COLUMN",
     "Reads each dataset file (a JSONL file, or the files a workspace names) and\n"
     "prints every problem as FILE:LINE:COLUMN: message on stderr, then one summary\n"
     "line per file on stdout. Exits 1 if any line is bad.\n"
     "  --strict        stop at the first bad line\n",
     cmd_data_check},
    {"data stats", "FILE|WS [--json] [--set KEY=VALUE]...",
     "label counts, complexity and split counts, context-length histogram",
     "Counts records per action (with their split and complexity), per complexity\n"
     "level and per split, and draws a histogram of context lengths in words (each\n"
     "CJK character counts as a word). Records without a complexity get one from\n"
     "their context length (see agentft-formats(5)).\n"
     "  --json          print the figures as one JSON object\n",
     cmd_data_stats},
    {"data split", "FILE|WS [--valid F] [--test F] [--seed N] [--force]",
     "stratified train/valid/test split, written to each record's split field",
     "Assigns every record to train, valid or test, stratified by action and\n"
     "complexity, and saves the file (atomically, through the journal).\n"
     "  --valid F       share of records for validation (default 0.1, or split.valid_fraction)\n"
     "  --test F        share of records for test (default 0.1, or split.test_fraction)\n"
     "  --seed N        shuffle seed (default 42, or the workspace's seed)\n"
     "  --force         replace split fields that records already have\n",
     cmd_data_split},
    {"config show", "WS [--set KEY=VALUE]...",
     "print the resolved config and where each value came from",
     "Prints every key of the workspace as YAML, each with a comment saying whether\n"
     "it is the default, comes from the file (FILE:LINE) or from --set.\n",
     cmd_config_show},
    {"config check", "WS [--set KEY=VALUE]...",
     "validate a workspace: keys, ranges, cross-key rules, dataset files",
     "Checks every key of the workspace against the schema, the rules between keys,\n"
     "and that the dataset files it names load. Exits 1 on any problem.\n",
     cmd_config_check},
    {"config keys", "[--man]",
     "list every hyperparameter with type, default, range and help",
     "Lists the hyperparameter schema. A key marked live may change while a run is\n"
     "going. --man prints the list as man-page source (for agentft-formats(5)).\n",
     cmd_config_keys},
    {"help", "[COMMAND]", "show help for a command", "", cmd_help},
};
const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

static void print_overview(FILE *out)
{
    fprintf(out,
            "usage: agentft COMMAND [ARGS]...\n"
            "       agentft --help | --version\n"
            "\n"
            "agentft is a terminal workbench for fine-tuning agent models.\n"
            "FILE is a JSONL dataset; WS is a workspace YAML file.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "  %-14s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(out, "\nRun 'agentft help COMMAND' for a command's options; man agentft for more.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
    const cli_command *c = cli_find(name);
    if (!c && argc == 1) {
        /* `agentft help data` lists the data commands. */
        size_t n = strlen(argv[0]);
        int any = 0;
        for (size_t i = 0; i < cli_command_count; i++) {
            if (strncmp(cli_commands[i].name, argv[0], n) == 0 && cli_commands[i].name[n] == ' ') {
                cli_usage(cli_commands[i].name, 0);
                any = 1;
            }
        }
        if (any)
            return CLI_OK;
    }
    if (!c) {
        fprintf(stderr, "agentft: no such command '%s'\n\n", name);
        print_overview(stderr);
        return CLI_USAGE;
    }
    cli_usage(c->name, 0);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        /* Until the workbench exists, running without a command shows the overview. */
        print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("agentft %s\n", PACKAGE_VERSION);
        return CLI_OK;
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "agentft: unknown option '%s'\n\n", argv[1]);
        print_overview(stderr);
        return CLI_USAGE;
    }
    /* Two-word commands first ("data check"), then one-word ones ("help"). */
    if (argc >= 3) {
        char name[128];
        snprintf(name, sizeof name, "%s %s", argv[1], argv[2]);
        const cli_command *c = cli_find(name);
        if (c)
            return c->run(argc - 3, argv + 3);
    }
    const cli_command *c = cli_find(argv[1]);
    if (c)
        return c->run(argc - 2, argv + 2);
    size_t n = strlen(argv[1]);
    for (size_t i = 0; i < cli_command_count; i++) {
        if (strncmp(cli_commands[i].name, argv[1], n) == 0 && cli_commands[i].name[n] == ' ') {
            if (argc >= 3)
                fprintf(stderr, "agentft: unknown command '%s %s'\n\n", argv[1], argv[2]);
            else
                fprintf(stderr, "agentft: '%s' needs a command\n\n", argv[1]);
            for (size_t j = 0; j < cli_command_count; j++)
                if (strncmp(cli_commands[j].name, argv[1], n) == 0 && cli_commands[j].name[n] == ' ')
                    cli_usage(cli_commands[j].name, 1);
            return CLI_USAGE;
        }
    }
    fprintf(stderr, "agentft: unknown command '%s'\n\n", argv[1]);
    print_overview(stderr);
    return CLI_USAGE;
}
