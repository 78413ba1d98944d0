/* `agentft open WS`: the workbench (src/tui); `agentft watch RUN`, the same on
 * a run directory; and `agentft` alone, which opens the bundled example when
 * it runs in a terminal. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tui/tui.h"
#include "cli.h"

int cmd_open(int argc, char **argv)
{
    /* The man page's KEYS list comes from the key table itself. */
    if (argc == 1 && strcmp(argv[0], "--keys-man") == 0) {
        tui_keys_man(stdout);
        return CLI_OK;
    }
    const char *run = NULL, *theme = NULL;
    int mouse = 0;
    const cli_opt opts[] = {{"--run", 1, &run, NULL},
                            {"--theme", 1, &theme, NULL},
                            {"--mouse", 0, NULL, &mouse},
                            {NULL, 0, NULL, NULL}};
    cli_args args;
    int status;
    if (!cli_begin("open", argc, argv, opts, 1, "one workspace file (WS.yaml)", &args, &status))
        return status;
    const char *ws = args.positional[0];
    if (!cli_is_workspace(ws)) {
        fprintf(stderr, "agentft open: expected a workspace file (WS.yaml), got '%s'\n", ws);
        cli_usage("open", 1);
        return CLI_USAGE;
    }
    aft_config *cfg = cli_load_workspace(ws, &args);
    if (!cfg)
        return CLI_FAIL;
    tui_opts o = {.ws_path = ws, .cfg = cfg, .run = run, .theme = theme, .mouse = mouse};
    int rc = tui_run(&o);
    aft_config_free(cfg);
    return rc;
}

int cmd_watch(int argc, char **argv)
{
    const char *theme = NULL;
    int mouse = 0;
    const cli_opt opts[] = {{"--theme", 1, &theme, NULL},
                            {"--mouse", 0, NULL, &mouse},
                            {NULL, 0, NULL, NULL}};
    cli_args args;
    int status;
    if (!cli_begin("watch", argc, argv, opts, 1, "one run directory (RUN)", &args, &status))
        return status;
    const char *run = args.positional[0];
    char path[4200];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/config.yaml", run) >= (int)sizeof path ||
        stat(path, &st) < 0) {
        fprintf(stderr, "agentft watch: %s: not a run directory (no config.yaml)\n", run);
        return CLI_FAIL;
    }
    aft_config *cfg = cli_load_workspace(path, &args);
    if (!cfg)
        return CLI_FAIL;
    tui_opts o = {.ws_path = path, .cfg = cfg, .run = run, .theme = theme, .mouse = mouse};
    int rc = tui_run(&o);
    aft_config_free(cfg);
    return rc;
}

/* The example is installed under AFT_DATADIR; in a build tree it sits
 * beside the binary (or one folder up, for a build in a subfolder). */
int cli_find_example(char *path, size_t size)
{
    static const char rel[] = "examples/flight-agent/workspace.yaml";
    snprintf(path, size, "%s/%s", AFT_DATADIR, rel);
    if (access(path, R_OK) == 0)
        return 0;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    const char *dir = dirname(self);
    snprintf(path, size, "%s/%s", dir, rel);
    if (access(path, R_OK) == 0)
        return 0;
    snprintf(path, size, "%s/../%s", dir, rel);
    return access(path, R_OK) == 0 ? 0 : -1;
}

int cli_open_default(void)
{
    char path[4200];
    if (cli_find_example(path, sizeof path) < 0)
        return -1;
    char *argv[] = {path, NULL};
    return cmd_open(1, argv);
}
