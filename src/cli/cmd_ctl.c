/* `agentft ctl RUN COMMAND`: sends one command to a live run through its
 * control socket (RUN/control.sock) and prints the answer for people. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentft/control.h"
#include "agentft/fileio.h"
#include "cli.h"

#define CTL_WORDS "set, pause, resume, stop, checkpoint, eval, status"

typedef struct ctl_args {
    const char *pos[4];  /* RUN, the command word, KEY, VALUE */
    size_t n;
    const char *timeout; /* --timeout SECONDS */
    int help;
} ctl_args;

static int usage(const char *fmt, const char *what)
{
    fputs("agentft ctl: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\n", stderr);
    cli_usage("ctl", 1);
    return -1;
}

static int is_number(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* Not the nan, inf and hex that strtod also takes. */
    return end != s && *end == '\0' && errno == 0 && isfinite(v) && !strpbrk(s, "xXnN") &&
           !isspace((unsigned char)s[0]);
}

/* Its own scan rather than cli_parse: a VALUE such as -1 is no option. */
static int scan(int argc, char **argv, ctl_args *a)
{
    memset(a, 0, sizeof *a);
    int only_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!only_positional && strcmp(s, "--") == 0) {
            only_positional = 1;
        } else if (!only_positional && s[0] == '-' && s[1] && !is_number(s)) {
            if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
                a->help = 1;
            else if (strncmp(s, "--timeout=", 10) == 0)
                a->timeout = s + 10;
            else if (strcmp(s, "--timeout") == 0 && i + 1 < argc)
                a->timeout = argv[++i];
            else if (strcmp(s, "--timeout") == 0)
                return usage("option '%s' needs a value", s);
            else
                return usage("unknown option '%s'", s);
        } else if (a->n == sizeof a->pos / sizeof a->pos[0]) {
            return usage("too many arguments, starting at '%s'", s);
        } else {
            a->pos[a->n++] = s;
        }
    }
    return 0;
}

/* Checks the words after RUN and builds the request line (malloc'd), or
 * prints the usage problem and returns NULL. */
static char *build_request(const ctl_args *a)
{
    static const char *const words[] = {"set", "pause", "resume", "stop", "checkpoint", "eval",
                                        "status"};
    if (a->n < 2)
        return usage("expected %s, then a command", "RUN (a run directory)"), NULL;
    const char *word = a->pos[1];
    size_t i = 0;
    while (i < sizeof words / sizeof words[0] && strcmp(words[i], word) != 0)
        i++;
    if (i == sizeof words / sizeof words[0])
        return usage("unknown command '%s' (expected one of: " CTL_WORDS ")", word), NULL;
    int set = strcmp(word, "set") == 0;
    if (set && a->n != 4)
        return usage("%s takes a KEY and a VALUE", word), NULL;
    if (!set && a->n != 2)
        return usage("%s takes no more arguments", word), NULL;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", word);
    if (set) {
        const char *v = a->pos[3];
        cJSON_AddStringToObject(req, "key", a->pos[2]);
        if (is_number(v))
            cJSON_AddNumberToObject(req, "value", strtod(v, NULL));
        else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
            cJSON_AddBoolToObject(req, "value", v[0] == 't');
        else
            cJSON_AddStringToObject(req, "value", v);
    }
    char *line = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!line)
        fprintf(stderr, "agentft ctl: out of memory\n");
    return line;
}

static void print_field(const cJSON *item)
{
    if (cJSON_IsString(item)) {
        printf("%s: %s\n", item->string, item->valuestring);
        return;
    }
    char *text = cJSON_PrintUnformatted(item);
    printf("%s: %s\n", item->string, text ? text : "?");
    free(text);
}

/* ok (then any fields the run sent, one per line; status gives only its
 * fields), or the run's refusal on stderr. */
static int print_reply(const char *word, const char *reply)
{
    cJSON *j = cJSON_Parse(reply);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    int rc = CLI_FAIL;
    if (!cJSON_IsObject(j) || !cJSON_IsBool(ok)) {
        fprintf(stderr, "agentft ctl: the run's answer is not a control reply: %.200s\n", reply);
    } else if (cJSON_IsFalse(ok)) {
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error"));
        fprintf(stderr, "agentft ctl: the run refused %s: %s\n", word, msg ? msg : "no reason given");
    } else {
        int fields = cJSON_GetArraySize(j) - 1;
        if (strcmp(word, "status") != 0 || fields == 0)
            printf("ok\n");
        for (const cJSON *item = j->child; item; item = item->next)
            if (item != ok && item->string)
                print_field(item);
        rc = CLI_OK;
    }
    cJSON_Delete(j);
    return rc;
}

int cmd_ctl(int argc, char **argv)
{
    ctl_args a;
    if (scan(argc, argv, &a) < 0)
        return CLI_USAGE;
    if (a.help) {
        cli_usage("ctl", 0);
        return CLI_OK;
    }
    double timeout = 30;
    if (a.timeout && cli_parse_double("--timeout", a.timeout, &timeout) < 0)
        return CLI_USAGE;
    if (!(timeout > 0 && timeout <= 86400))
        return usage("--timeout takes seconds from 0 to 86400, got %s", a.timeout), CLI_USAGE;
    char *request = build_request(&a);
    if (!request)
        return CLI_USAGE;
    char sock[4096];
    char reply[16384];
    aft_error err = {0};
    int rc = CLI_FAIL;
    if (aft_path_join(sock, sizeof sock, a.pos[0], "control.sock", &err) < 0 ||
        aft_control_request(sock, request, reply, sizeof reply, (int)ceil(timeout * 1000), &err) < 0)
        fprintf(stderr, "agentft ctl: %s\n", err.msg);
    else
        rc = print_reply(a.pos[1], reply);
    free(request);
    return rc;
}
