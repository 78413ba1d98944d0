/* The translator coprocess: a program run with fork/execvp (no shell), JSON
 * lines over pipes, timeouts, an in-flight limit, every failure an error. */
#include "agentft/augment.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentft/fileio.h"
#include "agentft/subproc.h"
#include "agentft/utf8.h"

#define MAX_REPLY_LINE ((size_t)16 << 20)

struct aft_translator {
    char *name;                 /* argv[0], for messages */
    aft_subproc p;              /* the process and our ends of its pipes */
    int timeout_ms;
    size_t max_inflight;
    long long next_id;
    char *line;                 /* a partial output line */
    size_t line_len, line_cap;
    size_t out_lines;           /* output lines read so far */
    int dead;                   /* failed: every later call repeats dead_msg */
    char dead_msg[AFT_ERROR_MAX];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---- starting it ------------------------------------------------------- */

aft_translator *aft_translator_start(char *const argv[], const aft_translator_opts *opts,
                                     aft_error *err)
{
    if (!argv || !argv[0] || !argv[0][0] || opts->timeout_ms <= 0 || opts->max_inflight == 0) {
        aft_error_set(err, "translator: no command, or a timeout or in-flight limit below 1");
        return NULL;
    }
    aft_translator *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(argv[0]))) {
        free(t);
        aft_error_set(err, "out of memory");
        return NULL;
    }
    if (aft_subproc_start(&t->p, argv, NULL, "translator", err) < 0) {
        free(t->name);
        free(t);
        return NULL;
    }
    t->timeout_ms = opts->timeout_ms;
    t->max_inflight = opts->max_inflight;
    t->next_id = 1;
    return t;
}

pid_t aft_translator_pid(const aft_translator *t)
{
    return t->p.pid;
}

/* Ends the translator after a failure and writes the message (remembered
 * for later calls). grace_ms > 0 lets it exit by itself first, so that a
 * crash reports its own status; 0 kills it at once (a hang, garbage). */
static int fail(aft_translator *t, aft_error *err, int grace_ms, const char *fmt, ...)
{
    char what[600], fate[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    aft_subproc_fail_end(&t->p, grace_ms, fate, sizeof fate);
    snprintf(t->dead_msg, sizeof t->dead_msg, "translator '%s' %s%s", t->name, what, fate);
    t->dead = 1;
    return aft_error_set(err, "%s", t->dead_msg);
}

/* ---- one batch ------------------------------------------------------------ */

/* The state of one aft_translator_translate call. */
typedef struct batch {
    const char *const *texts;
    const char *to;
    char **out;
    size_t n, next, answered, inflight, oldest;
    long long base;             /* id of texts[0] */
    long long *sent_at;         /* ms, for the timeout */
    char *wbuf;                 /* the request being written */
    size_t wlen, woff;
} batch;

static int queue_request(aft_translator *t, batch *b, aft_error *err)
{
    cJSON *o = cJSON_CreateObject();
    char *line = NULL;
    if (o && cJSON_AddNumberToObject(o, "id", (double)(b->base + (long long)b->next)) &&
        cJSON_AddStringToObject(o, "text", b->texts[b->next]) &&
        cJSON_AddStringToObject(o, "to", b->to))
        line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t len = line ? strlen(line) : 0;
    char *w = line ? realloc(b->wbuf, len + 2) : NULL;
    if (!w) {
        cJSON_free(line);
        return fail(t, err, 0, "could not be sent a request: out of memory");
    }
    memcpy(w, line, len);
    w[len] = '\n';
    cJSON_free(line);
    b->wbuf = w;
    b->wlen = len + 1;
    b->woff = 0;
    b->sent_at[b->next++] = now_ms();
    b->inflight++;
    return 0;
}

static int pump_write(aft_translator *t, batch *b, aft_error *err)
{
    while (b->woff < b->wlen) {
        ssize_t n = aft_subproc_write(&t->p, b->wbuf + b->woff, b->wlen - b->woff);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0)
            return fail(t, err, t->timeout_ms, "stopped reading its input (%s) with %zu requests unanswered",
                        strerror(errno), b->inflight);
        b->woff += (size_t)n;
    }
    return 0;
}

/* A printable excerpt of a bad output line, for messages. */
static void excerpt(const char *s, size_t len, char *buf, size_t size)
{
    size_t n = 0, i = 0;
    while (i < len && n + 8 < size && i < 80) {
        uint32_t cp;
        size_t k = aft_utf8_decode(s + i, len - i, &cp);
        if (k == 0 || cp < 0x20) {
            buf[n++] = '?';
            i += k ? k : 1;
        } else {
            memcpy(buf + n, s + i, k);
            n += k;
            i += k;
        }
    }
    if (i < len)
        memcpy(buf + n, "...", 3), n += 3;
    buf[n] = '\0';
}

static int reply(aft_translator *t, batch *b, const char *line, size_t len, aft_error *err)
{
    char ex[128];
    size_t lineno = ++t->out_lines;
    size_t blank = 0;
    while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
        blank++;
    if (blank == len)
        return 0;
    excerpt(line, len, ex, sizeof ex);
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "text");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "error");
    int rc = 0;
    long long v = cJSON_IsNumber(id) ? (long long)id->valuedouble : -1;
    size_t i = (size_t)(v - b->base);
    if (!cJSON_IsObject(j))
        rc = fail(t, err, 0, "answered garbage on line %zu of its output (not a JSON object): '%s'", lineno, ex);
    else if (!cJSON_IsNumber(id) || (double)v != id->valuedouble)
        rc = fail(t, err, 0, "answered without a numeric \"id\" on line %zu of its output: '%s'", lineno, ex);
    else if (v < b->base || i >= b->next || b->out[i])
        rc = fail(t, err, 0, "answered id %lld on line %zu of its output, which no request is waiting for: '%s'",
                  v, lineno, ex);
    else if (cJSON_IsString(msg))
        rc = fail(t, err, 0, "reported an error for request %lld: %s", v, msg->valuestring);
    else if (!cJSON_IsString(text) || !aft_utf8_valid(text->valuestring, strlen(text->valuestring), NULL))
        rc = fail(t, err, 0, "answered without a UTF-8 \"text\" string on line %zu of its output: '%s'",
                  lineno, ex);
    else if (!(b->out[i] = strdup(text->valuestring)))
        rc = fail(t, err, 0, "answered, but there was no memory for the answer");
    else
        b->answered++, b->inflight--;
    cJSON_Delete(j);
    return rc;
}

/* Reads what it wrote and handles each complete line. */
static int pump_read(aft_translator *t, batch *b, aft_error *err)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(t->p.out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return fail(t, err, t->timeout_ms, "closed its output with %zu requests unanswered",
                        b->n - b->answered);
        for (const char *p = buf, *end = buf + n; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t k = (size_t)((nl ? nl : end) - p);
            if (t->line_len + k > MAX_REPLY_LINE)
                return fail(t, err, 0, "answered a line longer than 16 MiB (line %zu of its output)",
                            t->out_lines + 1);
            if (t->line_len + k > t->line_cap) {
                size_t cap = (t->line_len + k) * 2;
                char *l = realloc(t->line, cap);
                if (!l)
                    return fail(t, err, 0, "answered, but there was no memory to read it");
                t->line = l;
                t->line_cap = cap;
            }
            memcpy(t->line + t->line_len, p, k);
            t->line_len += k;
            p += k;
            if (nl) {
                p++;
                size_t len = t->line_len;
                t->line_len = 0;
                if (reply(t, b, t->line, len, err) < 0)
                    return -1;
            }
        }
    }
}

/* Milliseconds until the oldest unanswered request times out; -1: none waits. */
static long long next_deadline(const aft_translator *t, batch *b)
{
    while (b->oldest < b->next && b->out[b->oldest])
        b->oldest++;
    if (b->oldest >= b->next)
        return -1;
    long long left = b->sent_at[b->oldest] + t->timeout_ms - now_ms();
    return left > 0 ? left : 0;
}

static int run_batch(aft_translator *t, batch *b, aft_error *err)
{
    while (b->answered < b->n) {
        if (b->woff == b->wlen && b->next < b->n && b->inflight < t->max_inflight &&
            queue_request(t, b, err) < 0)
            return -1;
        long long wait = next_deadline(t, b);
        if (wait == 0)
            return fail(t, err, 0, "did not answer request %lld within %d ms (hung?)",
                        b->base + (long long)b->oldest, t->timeout_ms);
        struct pollfd fds[3] = {{t->p.in, b->woff < b->wlen ? POLLOUT : 0, 0},
                                {t->p.out, POLLIN, 0}, {t->p.errfd, POLLIN, 0}};
        int r = poll(fds, 3, wait < 0 ? -1 : (int)(wait > 60000 ? 60000 : wait));
        if (r < 0 && errno != EINTR)
            return fail(t, err, 0, "could not be waited for: poll: %s", strerror(errno));
        if (r <= 0)
            continue;
        if (fds[2].revents)
            aft_subproc_read_stderr(&t->p);
        if ((fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) && pump_write(t, b, err) < 0)
            return -1;
        if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && pump_read(t, b, err) < 0)
            return -1;
    }
    return 0;
}

int aft_translator_translate(aft_translator *t, const char *const *texts, size_t n,
                             const char *to, char **out, aft_error *err)
{
    if (t->dead)
        return aft_error_set(err, "%s", t->dead_msg);
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (n == 0)
        return 0;
    batch b = {texts, to, out, n, 0, 0, 0, 0, t->next_id, NULL, NULL, 0, 0};
    t->next_id += (long long)n;
    b.sent_at = malloc(n * sizeof *b.sent_at);
    int rc = b.sent_at ? run_batch(t, &b, err) : fail(t, err, 0, "could not be used: out of memory");
    free(b.sent_at);
    free(b.wbuf);
    if (rc < 0)
        for (size_t i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    return rc;
}

/* ---- the end ---------------------------------------------------------------- */

int aft_translator_finish(aft_translator *t, aft_error *err)
{
    if (t->dead)
        return aft_error_set(err, "%s", t->dead_msg);
    aft_subproc *p = &t->p;
    close_fd(&p->in);
    /* What it still prints is not waited for by anyone: read and drop it. */
    long long deadline = now_ms() + t->timeout_ms;
    while (p->out >= 0 && now_ms() < deadline) {
        struct pollfd fds[2] = {{p->out, POLLIN, 0}, {p->errfd, POLLIN, 0}};
        if (poll(fds, 2, (int)(deadline - now_ms())) <= 0)
            break;
        char buf[4096];
        if (fds[1].revents)
            aft_subproc_read_stderr(p);
        ssize_t k = fds[0].revents ? read(p->out, buf, sizeof buf) : -1;
        if (k == 0)
            close_fd(&p->out);
    }
    long long left = deadline - now_ms();
    int killed = aft_subproc_reap(p, left > 0 ? (int)left : 0);
    aft_subproc_read_stderr(p);
    int bad = killed || !WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0;
    if (bad) {
        char fate[160], last[200];
        aft_subproc_describe_exit(p, killed, fate, sizeof fate);
        aft_subproc_stderr_line(p, last, sizeof last);
        aft_error_set(err, "translator '%s' did not end cleanly after its input closed%s%s%s%s",
                      t->name, fate, last[0] ? "; its last words on stderr: \"" : "", last,
                      last[0] ? "\"" : "");
    }
    aft_subproc_end(p);
    return bad ? -1 : 0;
}

void aft_translator_free(aft_translator *t)
{
    if (!t)
        return;
    aft_subproc_end(&t->p);
    free(t->line);
    free(t->name);
    free(t);
}
