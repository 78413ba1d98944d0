/* The reward environment client (see env.h): requests out, one reply line
 * in, within a deadline; any failure ends the process so the next request
 * starts from a clean one. */
#include "agentft/env.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentft/subproc.h"

#define MAX_LINE ((size_t)16 << 20)

struct aft_env {
    char **argv;            /* a copy, NULL-terminated */
    char *cwd;              /* NULL: ours */
    aft_subproc proc;
    int running;
    int timeout_ms;
    unsigned starts;
    char *line;             /* bytes of a reply line read so far */
    size_t len, cap;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_argv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static int launch(aft_env *e, aft_error *err)
{
    if (aft_subproc_start(&e->proc, e->argv, e->cwd, "reward environment", err) < 0)
        return -1;
    e->running = 1;
    e->starts++;
    e->len = 0;
    return 0;
}

aft_env *aft_env_start(char *const argv[], const char *cwd, int timeout_ms, aft_error *err)
{
    size_t n = 0;
    while (argv && argv[n])
        n++;
    if (n == 0 || !argv[0][0] || timeout_ms <= 0) {
        aft_error_set(err, "reward environment: no command, or a timeout below 1 ms");
        return NULL;
    }
    aft_env *e = calloc(1, sizeof *e);
    if (e)
        e->argv = calloc(n + 1, sizeof *e->argv);
    for (size_t i = 0; e && e->argv && i < n; i++)
        if (!(e->argv[i] = strdup(argv[i])))
            break;
    if (e && cwd)
        e->cwd = strdup(cwd);
    if (!e || !e->argv || !e->argv[n - 1] || (cwd && !e->cwd)) {
        if (e)
            free_argv(e->argv);
        if (e)
            free(e->cwd);
        free(e);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    aft_subproc_init(&e->proc);
    e->timeout_ms = timeout_ms;
    if (launch(e, err) < 0) {
        aft_env_free(e);
        return NULL;
    }
    return e;
}

void aft_env_set_timeout(aft_env *e, int timeout_ms)
{
    if (timeout_ms > 0)
        e->timeout_ms = timeout_ms;
}

unsigned aft_env_starts(const aft_env *e) { return e->starts; }

void aft_env_reply_free(aft_env_reply *r)
{
    free(r->observation);
    r->observation = NULL;
}

/* Ends the process after a failure: grace_ms lets a crashing one report its
 * own exit status. Returns FAILED with the message (fmt, its fate and its
 * last stderr line). */
static aft_env_status fail(aft_env *e, aft_error *err, int grace_ms, const char *fmt, ...)
{
    char what[700], fate[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    aft_subproc_fail_end(&e->proc, grace_ms, fate, sizeof fate);
    e->running = 0;
    aft_error_set(err, "reward environment '%s' %s%s", e->argv[0], what, fate);
    return AFT_ENV_FAILED;
}

static aft_env_status timed_out(aft_env *e)
{
    aft_subproc_end(&e->proc);
    e->running = 0;
    return AFT_ENV_TIMEOUT;
}

static char *request_line(const aft_env_request *rq, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;
    if (o && cJSON_AddStringToObject(o, "id", rq->id) &&
        cJSON_AddNumberToObject(o, "episode", (double)rq->episode) &&
        cJSON_AddNumberToObject(o, "step", rq->step) &&
        cJSON_AddStringToObject(o, "context", rq->context) &&
        cJSON_AddStringToObject(o, "action", rq->action) &&
        cJSON_AddStringToObject(o, "response", rq->response ? rq->response : ""))
        s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return NULL;
    *len = strlen(s);
    char *line = malloc(*len + 1);
    if (line) {
        memcpy(line, s, *len);
        line[(*len)++] = '\n';
    }
    cJSON_free(s);
    return line;
}

/* A printable excerpt of a bad line for messages. */
static void excerpt(const char *s, size_t len, char *buf, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < size && i < 80; i++)
        buf[n++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (len > 80 && n + 4 <= size)
        memcpy(buf + n, "...", 3), n += 3;
    buf[n] = '\0';
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static int is_blank_lines(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != '\n' && !is_blank(s + i, 1))
            return 0;
    return 1;
}

/* The reply's "done" and "observation". */
static aft_env_status read_info(aft_env *e, const cJSON *j, const char *ex, aft_env_reply *out,
                                aft_error *err)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(j, "info");
    if (info && !cJSON_IsObject(info) && !cJSON_IsNull(info))
        return fail(e, err, 0, "answered an \"info\" that is not an object: '%s'", ex);
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(info, "done");
    if (!done)
        done = cJSON_GetObjectItemCaseSensitive(j, "done");
    if (done && !cJSON_IsBool(done))
        return fail(e, err, 0, "answered a \"done\" that is not true or false: '%s'", ex);
    out->done = !done || cJSON_IsTrue(done);
    if (out->done)
        return AFT_ENV_OK;
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(info, "observation");
    if (!cJSON_IsString(obs))
        return fail(e, err, 0, "said the episode goes on (done false) without the next "
                    "observation as a string in \"info\":{\"observation\":...}: '%s'", ex);
    if (!(out->observation = strdup(obs->valuestring)))
        return fail(e, err, 0, "answered, but there was no memory for the observation");
    return AFT_ENV_OK;
}

static aft_env_status parse_reply(aft_env *e, const aft_env_request *rq, const char *line,
                                  size_t len, aft_env_reply *out, aft_error *err)
{
    char ex[128];
    excerpt(line, len, ex, sizeof ex);
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *reward = cJSON_GetObjectItemCaseSensitive(j, "reward");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "error");
    aft_env_status st;
    if (!cJSON_IsObject(j))
        st = fail(e, err, 0, "answered garbage (not a JSON object): '%s'", ex);
    else if (cJSON_IsString(msg))
        st = fail(e, err, 0, "reported an error for %s: %.300s", rq->id, msg->valuestring);
    else if (!cJSON_IsString(id) || strcmp(id->valuestring, rq->id) != 0)
        st = fail(e, err, 0, "answered without the request's \"id\" (\"%s\"): '%s'", rq->id, ex);
    else if (!cJSON_IsNumber(reward) || !isfinite(reward->valuedouble))
        st = fail(e, err, 0, "answered without a finite number as \"reward\": '%s'", ex);
    else {
        out->reward = reward->valuedouble;
        st = read_info(e, j, ex, out, err);
    }
    cJSON_Delete(j);
    return st;
}

/* Appends bytes to the line; returns the length of a complete line (its
 * newline dropped) or 0, and how many bytes were used in *used. */
static int take_bytes(aft_env *e, const char *buf, size_t n, size_t *used, size_t *line_len)
{
    const char *nl = memchr(buf, '\n', n);
    size_t k = nl ? (size_t)(nl - buf) : n;
    if (e->len + k > MAX_LINE)
        return -1;
    if (e->len + k > e->cap) {
        size_t cap = (e->len + k) * 2 + 256;
        char *l = realloc(e->line, cap);
        if (!l)
            return -1;
        e->line = l;
        e->cap = cap;
    }
    memcpy(e->line + e->len, buf, k);
    e->len += k;
    *used = nl ? k + 1 : k;
    *line_len = nl ? e->len : 0;
    return nl != NULL;
}

/* Writes the request (rest of it in *off) and waits for one non-blank
 * reply line until the deadline. */
static aft_env_status exchange(aft_env *e, const aft_env_request *rq, const char *req,
                               size_t req_len, aft_env_reply *out, aft_error *err)
{
    aft_subproc *p = &e->proc;
    long long deadline = now_ms() + e->timeout_ms;
    size_t off = 0;
    char buf[65536];
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return timed_out(e);
        struct pollfd fds[3] = {{p->in, off < req_len ? POLLOUT : 0, 0}, {p->out, POLLIN, 0},
                                {p->errfd, POLLIN, 0}};
        int r = poll(fds, 3, (int)(left > 60000 ? 60000 : left));
        if (r < 0 && errno != EINTR)
            return fail(e, err, 0, "could not be waited for: poll: %s", strerror(errno));
        if (r <= 0)
            continue;
        if (fds[2].revents)
            aft_subproc_read_stderr(p);
        if (off < req_len && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = aft_subproc_write(p, req + off, req_len - off);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                return fail(e, err, e->timeout_ms, "stopped reading its input (%s)",
                            strerror(errno));
            off += w > 0 ? (size_t)w : 0;
        }
        if (!(fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(p->out, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return fail(e, err, e->timeout_ms, "closed its output before answering %s", rq->id);
        for (size_t at = 0; at < (size_t)n;) {
            size_t used, line_len;
            int got = take_bytes(e, buf + at, (size_t)n - at, &used, &line_len);
            if (got < 0)
                return fail(e, err, 0, "answered a line longer than 16 MiB (or out of memory)");
            at += used;
            if (!got)
                continue;
            e->len = 0;
            if (is_blank(e->line, line_len))
                continue;
            if (at < (size_t)n && !is_blank_lines(buf + at, (size_t)n - at))
                return fail(e, err, 0, "answered more than one line to one request");
            return parse_reply(e, rq, e->line, line_len, out, err);
        }
    }
}

aft_env_status aft_env_step(aft_env *e, const aft_env_request *rq, aft_env_reply *out,
                            aft_error *err)
{
    memset(out, 0, sizeof *out);
    if (!e->running && launch(e, err) < 0)
        return AFT_ENV_FAILED;
    size_t len;
    char *req = request_line(rq, &len);
    if (!req)
        return fail(e, err, 0, "could not be sent a request: out of memory");
    aft_env_status st = exchange(e, rq, req, len, out, err);
    free(req);
    if (st != AFT_ENV_OK)
        aft_env_reply_free(out);
    return st;
}

void aft_env_free(aft_env *e)
{
    if (!e)
        return;
    if (e->running) {
        /* Its input closing is its cue to exit; a moment, then the kill. */
        aft_subproc *p = &e->proc;
        if (p->in >= 0) {
            close(p->in);
            p->in = -1;
        }
        aft_subproc_reap(p, 200);
    }
    aft_subproc_end(&e->proc);
    free_argv(e->argv);
    free(e->cwd);
    free(e->line);
    free(e);
}
