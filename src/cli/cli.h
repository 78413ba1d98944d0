/* Shared pieces of the agentft command line: the command table, option
 * parsing, and loading a workspace or dataset named on the command line. */
#ifndef AGENTFT_CLI_H
#define AGENTFT_CLI_H

#include <stddef.h>

#include "agentft/config.h"
#include "agentft/dataset.h"

/* Exit codes: 0 ok, 1 the data or config has a problem, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;      /* "data check" */
    const char *synopsis;  /* "FILE|WS [--strict]" */
    const char *summary;   /* one line for --help */
    const char *help;      /* the options and what the command does */
    int (*run)(int argc, char **argv); /* argv[0] is the first argument after the name */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_command_count;

/* One option a command accepts. Options without a value set *flag to 1. */
typedef struct cli_opt {
    const char *name;          /* "--strict" */
    int takes_value;
    const char **value;        /* where a value goes (last one wins) */
    int *flag;
} cli_opt;

#define CLI_MAX_ARGS 64

typedef struct cli_args {
    const char *positional[CLI_MAX_ARGS];
    size_t n_positional;
    const char *sets[CLI_MAX_ARGS];   /* --set key=value, in order */
    size_t n_sets;
    int help;
} cli_args;

/* Parses argv against opts (plus --set and --help, which every command takes).
 * Prints the problem and the command's usage to stderr and returns -1 on a
 * bad option. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, cli_args *out);
void cli_usage(const char *cmd, int to_stderr);
/* The start of every command: parses argv, prints help for --help, and checks
 * that exactly `nargs` arguments were given (described by `what`, as in
 * "one FILE or WS"). Returns 1 to go on; 0 when the command is done, with
 * *status set (0 after help, CLI_USAGE after a usage error). */
int cli_begin(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t nargs,
              const char *what, cli_args *args, int *status);
const cli_command *cli_find(const char *name);

/* True if the argument names a workspace (.yaml / .yml) rather than a dataset. */
int cli_is_workspace(const char *path);
/* Loads a workspace and applies --set overrides; prints errors, returns NULL. */
aft_config *cli_load_workspace(const char *path, const cli_args *args);

/* A dataset file a command works on, and the split its records fall in when
 * they carry none (from the workspace's train/valid/test keys). */
typedef struct cli_dataset_ref {
    const char *path;
    aft_split implied;
} cli_dataset_ref;

/* The dataset files a FILE|WS argument names (1 to 3). Returns the count, or
 * -1 after printing why. cfg is set (and owned by the caller) for a workspace. */
int cli_dataset_refs(const char *target, const cli_args *args, aft_config **cfg,
                     cli_dataset_ref refs[3]);

/* The same for a workspace already loaded. */
int cli_workspace_refs(const char *ws, const aft_config *cfg, cli_dataset_ref refs[3]);

/* Opens a dataset and prints its diagnostics to stderr. */
aft_dataset *cli_open_dataset(const char *path, int strict, size_t *errors, size_t *warnings);

/* Parses a number option; prints an error naming the option on failure. */
int cli_parse_double(const char *opt, const char *text, double *out);
int cli_parse_u64(const char *opt, const char *text, unsigned long long *out);

/* The subcommands. */
int cmd_data_check(int argc, char **argv);
int cmd_data_stats(int argc, char **argv);
int cmd_data_split(int argc, char **argv);
int cmd_data_augment(int argc, char **argv);
int cmd_config_show(int argc, char **argv);
int cmd_config_check(int argc, char **argv);
int cmd_config_keys(int argc, char **argv);
int cmd_tokenizer_train(int argc, char **argv);
int cmd_tokenizer_encode(int argc, char **argv);
int cmd_tokenizer_convert(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_export(int argc, char **argv);
/* The bundled example's workspace (installed, or in the build tree); -1 if none. */
int cli_find_example(char *path, size_t size);
/* `agentft` alone in a terminal: opens the bundled example; -1 when not found. */
int cli_open_default(void);

#endif
