/* A simulated IT-operations world for agentft's PPO: a reward environment
 * program speaking the reward protocol (JSON lines on stdin/stdout). */

/* Not a real ops system: it knows the true kind of each incident of the
 * ops-agent dataset (the records' "incident" field, which the model never
 * sees) and scores the agent's action the way an incident review would:
 *
 *   the right fix                      +1    (episode over)
 *   escalate when a fix was at hand    -0.3  (a senior gets paged; safe but slow)
 *   run_diagnostics                    -0.2, after --slow-ms (default 2000): a sweep
 *                                      that takes longer than agentft waits scores
 *                                      agentft's timeout reward instead
 *   any other action                   -1    (made things worse)
 *
 * A "crash_loop_disk" incident has two problems (a bad deploy that crash
 * loops and the dumps that fill a disk): each fix of one still open earns
 * +0.5 and the episode goes on with the next observation until both are
 * fixed, so it takes two steps (ppo.episode_steps >= 2) to earn +1.
 *
 *   in:  {"id":"ops-0042","episode":17,"step":0,"context":"...","action":"clear_disk"}
 *   out: {"id":"ops-0042","reward":0.5,"info":{"done":false,"observation":"..."}}
 *
 * Usage: ops_env DATA.jsonl [--slow-ms N]. An unknown id is answered with
 * {"id":..,"error":".."}. Build: part of `make` (examples/ops-agent/ops_env),
 * or by hand: cc -O2 -o ops_env ops_env.c -lcjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

typedef struct fix {
    const char *incident, *action;
} fix;

static const fix fixes[] = {
    {"service_crash", "restart_service"},   {"bad_deploy", "rollback_deploy"},
    {"disk_full", "clear_disk"},            {"traffic_spike", "scale_up"},
    {"cert_expiry", "renew_certificate"},   {"db_primary_down", "failover_database"},
    {"abusive_client", "block_ip"},         {"security_unknown", "escalate"},
};

/* The two problems of a crash_loop_disk incident, as bits. */
enum { DISK = 1, DEPLOY = 2 };

typedef struct incident {
    char *id, *kind;
} incident;

static incident *incidents;
static size_t n_incidents;

/* Open crash_loop_disk episodes: episode number -> problems left. */
#define SLOTS 4096
static struct {
    long long episode;
    int left;
} open_eps[SLOTS];

static int cmp_incident(const void *a, const void *b)
{
    return strcmp(((const incident *)a)->id, ((const incident *)b)->id);
}

static int load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        cJSON *o = cJSON_Parse(line);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "incident"));
        if (id && kind) {
            incident *n = realloc(incidents, (n_incidents + 1) * sizeof *n);
            if (!n)
                return -1;
            incidents = n;
            incidents[n_incidents].id = strdup(id);
            incidents[n_incidents++].kind = strdup(kind);
        } else {
            fprintf(stderr, "ops_env: %s:%zu: no \"id\" and \"incident\"; skipped\n", path, lineno);
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    qsort(incidents, n_incidents, sizeof *incidents, cmp_incident);
    return 0;
}

static const char *kind_of(const char *id)
{
    incident key = {(char *)id, NULL};
    incident *hit = bsearch(&key, incidents, n_incidents, sizeof *incidents, cmp_incident);
    return hit ? hit->kind : NULL;
}

static const char *fix_of(const char *kind)
{
    for (size_t i = 0; i < sizeof fixes / sizeof fixes[0]; i++)
        if (strcmp(fixes[i].incident, kind) == 0)
            return fixes[i].action;
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The two-problem incident: +0.5 per open problem fixed. */
static double crash_loop(long long episode, int step, const char *action, int *done,
                         const char **obs)
{
    int *left = &open_eps[episode % SLOTS].left;
    if (step == 0 || open_eps[episode % SLOTS].episode != episode) {
        open_eps[episode % SLOTS].episode = episode;
        *left = DISK | DEPLOY;
    }
    int bit = strcmp(action, "clear_disk") == 0 ? DISK
              : strcmp(action, "rollback_deploy") == 0 ? DEPLOY : 0;
    *done = 1;
    if (!bit || !(*left & bit))
        return strcmp(action, "escalate") == 0 ? -0.3 : -1.0;
    *left &= ~bit;
    if (*left) {
        *done = 0;
        *obs = *left & DEPLOY
                   ? "disk space freed, but the service is still crash-looping since the "
                     "last deploy and filling the disk again"
                   : "rolled back: the service is healthy again, but the disk is still "
                     "full of its crash dumps";
    }
    return 0.5;
}

static double score(const char *kind, long long episode, int step, const char *action,
                    long slow_ms, int *done, const char **obs)
{
    *done = 1;
    if (strcmp(action, "run_diagnostics") == 0) {
        sleep_ms(slow_ms);
        return -0.2;
    }
    if (strcmp(kind, "crash_loop_disk") == 0)
        return crash_loop(episode, step, action, done, obs);
    const char *right = fix_of(kind);
    if (right && strcmp(action, right) == 0)
        return 1.0;
    return strcmp(action, "escalate") == 0 ? -0.3 : -1.0;
}

static void answer(const char *line, long slow_ms)
{
    cJSON *in = cJSON_Parse(line), *out = cJSON_CreateObject();
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "id"));
    const char *action = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "action"));
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(in, "episode");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "step");
    const char *kind = id ? kind_of(id) : NULL;
    cJSON_AddStringToObject(out, "id", id ? id : "");
    if (!id || !action || !cJSON_IsNumber(ep) || !cJSON_IsNumber(st)) {
        cJSON_AddStringToObject(out, "error", "a request needs id, episode, step and action");
    } else if (!kind) {
        cJSON_AddStringToObject(out, "error", "unknown incident id (not in the data file)");
    } else {
        int done;
        const char *obs = NULL;
        double r = score(kind, (long long)ep->valuedouble, (int)st->valuedouble, action,
                         slow_ms, &done, &obs);
        cJSON_AddNumberToObject(out, "reward", r);
        cJSON *info = cJSON_AddObjectToObject(out, "info");
        cJSON_AddBoolToObject(info, "done", done);
        if (obs)
            cJSON_AddStringToObject(info, "observation", obs);
    }
    char *text = cJSON_PrintUnformatted(out);
    printf("%s\n", text ? text : "{\"error\":\"out of memory\"}");
    fflush(stdout);
    free(text);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

int main(int argc, char **argv)
{
    long slow_ms = 2000;
    const char *data = NULL;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--slow-ms") == 0 && i + 1 < argc)
            slow_ms = atol(argv[++i]);
        else if (!data && argv[i][0] != '-')
            data = argv[i];
        else
            bad = 1;
    }
    if (bad || !data || slow_ms < 0) {
        fprintf(stderr, "usage: ops_env DATA.jsonl [--slow-ms N]\n");
        return 2;
    }
    if (load(data) < 0)
        return 1;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0)
        answer(line, slow_ms);
    free(line);
    return 0;
}
