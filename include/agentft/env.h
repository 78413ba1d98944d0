/* The reward environment client: a program (argv, never a shell) that
 * scores the agent's actions, spoken to in JSON lines, one request at a
 * time:
 *
 *   in:  {"id":"ops-0042","episode":17,"step":0,"context":"...","action":"restart_service",
 *         "response":""}
 *   out: {"id":"ops-0042","reward":1.0,"info":{"done":true}}
 *
 * "done" (in "info" or beside "reward") says whether the episode ended; it
 * defaults to true, so a one-step environment need not send it. An episode
 * that goes on carries the next observation as "info":{"observation":"..."}.
 * A reply later than the timeout is a TIMEOUT; a crash, a closed pipe, a
 * reply that is not such an object (or answers another id) or one with an
 * "error" string is FAILED with the reason. Either way the program is
 * killed and the next request starts it again, so one bad moment never
 * leaves a late answer to be mistaken for the next one. */
#ifndef AGENTFT_ENV_H
#define AGENTFT_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

typedef struct aft_env aft_env;

typedef struct aft_env_request {
    const char *id;         /* the record's id (echoed in the reply) */
    uint64_t episode;       /* numbers episodes within a run */
    int step;               /* 0 for an episode's first decision */
    const char *context;    /* the observation the agent acted on */
    const char *action;
    const char *response;   /* "" when the agent gives none */
} aft_env_request;

typedef struct aft_env_reply {
    double reward;
    int done;
    char *observation;      /* malloc'd when the episode goes on, else NULL */
} aft_env_reply;

typedef enum {
    AFT_ENV_OK,
    AFT_ENV_TIMEOUT,        /* no reply within the timeout */
    AFT_ENV_FAILED,         /* crash, closed pipe, garbage, an error reply: reason in err */
} aft_env_status;

/* Starts the program now, so that one that cannot run is an error at once;
 * it runs in folder cwd (NULL: ours), where its relative paths start.
 * timeout_ms > 0. Caller frees. */
aft_env *aft_env_start(char *const argv[], const char *cwd, int timeout_ms, aft_error *err);
void aft_env_set_timeout(aft_env *e, int timeout_ms);

/* Sends one request and waits for its reply. Returns AFT_ENV_OK with *out
 * filled (free it with aft_env_reply_free), AFT_ENV_TIMEOUT, or
 * AFT_ENV_FAILED with err saying what the program did. */
aft_env_status aft_env_step(aft_env *e, const aft_env_request *rq, aft_env_reply *out,
                            aft_error *err);
void aft_env_reply_free(aft_env_reply *r);

/* Times the program was started (1 + restarts after failures). */
unsigned aft_env_starts(const aft_env *e);

/* Closes its input, gives it a moment to exit, then kills it. */
void aft_env_free(aft_env *e);

#endif
