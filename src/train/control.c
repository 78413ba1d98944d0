/* The control socket of a live run (RUN/control.sock): JSON-line requests
 * served on a thread of their own and answered through the run's handler. */
#include "agentft/control.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/* Bytes in one request line, newline included; a longer line is refused. */
#define CTL_LINE_MAX 65536
#define CTL_MAX_CLIENTS AFT_CONTROL_MAX_CLIENTS
#define CTL_FIELDS_MAX 4096
#define CMD_LIST "set, pause, resume, stop, checkpoint, eval, status"

typedef struct ctl_client {
    int fd;          /* -1: a free slot */
    int eof;         /* the client shut its side: answer the complete lines, then close */
    int close_after; /* close once the reply is out (after an over-long line) */
    char *in;        /* CTL_LINE_MAX bytes of a partly read request */
    size_t in_len;
    char *out;       /* the reply still to send, or NULL */
    size_t out_len, out_off;
} ctl_client;

struct aft_control_server {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev; /* the socket file this server made, so that stop removes only it */
    ino_t ino;
    int bound;   /* the socket file exists and is ours */
    int running; /* the thread was started */
    int listen_fd;
    int wake[2]; /* aft_control_stop writes a byte to wake[1] to end the thread */
    pthread_t thread;
    aft_control_handler handler;
    void *ctx;
    ctl_client clients[CTL_MAX_CLIENTS];
};

static const struct {
    const char *name;
    aft_cmd_kind kind;
} cmd_names[] = {
    {"set", AFT_CMD_SET},   {"pause", AFT_CMD_PAUSE},           {"resume", AFT_CMD_RESUME},
    {"stop", AFT_CMD_STOP}, {"checkpoint", AFT_CMD_CHECKPOINT}, {"eval", AFT_CMD_EVAL},
    {"status", AFT_CMD_STATUS},
};

/* ---- requests ---------------------------------------------------------- */

/* The shortest text that reads back as the same double (1e-4 -> "0.0001"),
 * and whole numbers without an exponent, so int keys accept them. */
static void number_text(double v, char *buf, size_t size)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int not_json(const char *line, const char *at, aft_error *err)
{
    size_t pos = at && at >= line ? (size_t)(at - line) : 0;
    if (line[pos] == '\0')
        return aft_error_set(err, "not JSON: the line ends early (a request is one JSON object "
                                  "a line, e.g. {\"cmd\":\"status\"})");
    /* Only printable ASCII goes back, so the reply stays valid UTF-8. */
    char near[24];
    size_t n = 0;
    for (const char *p = line + pos; *p && n < 20; p++)
        near[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
    near[n] = '\0';
    return aft_error_set(err, "not JSON: unexpected input at byte %zu near '%s' (a request is one "
                              "JSON object a line, e.g. {\"cmd\":\"status\"})", pos + 1, near);
}

static int parse_set(const cJSON *root, aft_cmd *cmd, aft_error *err)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "key");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    if (!cJSON_IsString(key) || key->valuestring[0] == '\0')
        return aft_error_set(err, "set needs a \"key\" (a string such as \"lr\")");
    if (strlen(key->valuestring) >= sizeof cmd->key)
        return aft_error_set(err, "set: the key \"%.40s...\" is too long (at most %zu bytes)",
                             key->valuestring, sizeof cmd->key - 1);
    snprintf(cmd->key, sizeof cmd->key, "%s", key->valuestring);
    if (!value)
        return aft_error_set(err, "set needs a \"value\" (a number, a string, true or false)");
    if (cJSON_IsBool(value)) {
        snprintf(cmd->value, sizeof cmd->value, "%s", cJSON_IsTrue(value) ? "true" : "false");
    } else if (cJSON_IsNumber(value)) {
        if (!isfinite(value->valuedouble))
            return aft_error_set(err, "set %s: the value is out of range", cmd->key);
        number_text(value->valuedouble, cmd->value, sizeof cmd->value);
    } else if (cJSON_IsString(value)) {
        if (strlen(value->valuestring) >= sizeof cmd->value)
            return aft_error_set(err, "set %s: the value is too long (at most %zu bytes)",
                                 cmd->key, sizeof cmd->value - 1);
        snprintf(cmd->value, sizeof cmd->value, "%s", value->valuestring);
    } else {
        return aft_error_set(err, "set %s: the \"value\" must be a number, a string, true or false",
                             cmd->key);
    }
    return 0;
}

int aft_control_parse(const char *line, aft_cmd *cmd, aft_error *err)
{
    memset(cmd, 0, sizeof *cmd);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(line, &end, 1);
    if (!root)
        return not_json(line, end, err);
    int rc = -1;
    const cJSON *name = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "cmd") : NULL;
    if (!cJSON_IsObject(root)) {
        aft_error_set(err, "a request is a JSON object, e.g. {\"cmd\":\"status\"}");
    } else if (!cJSON_IsString(name)) {
        aft_error_set(err, "the request needs a \"cmd\" string (one of: " CMD_LIST ")");
    } else {
        size_t i = 0, n = sizeof cmd_names / sizeof cmd_names[0];
        while (i < n && strcmp(cmd_names[i].name, name->valuestring) != 0)
            i++;
        if (i == n) {
            aft_error_set(err, "unknown command \"%.40s\" (expected one of: " CMD_LIST ")",
                          name->valuestring);
        } else {
            cmd->kind = cmd_names[i].kind;
            rc = cmd->kind == AFT_CMD_SET ? parse_set(root, cmd, err) : 0;
        }
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- replies ----------------------------------------------------------- */

/* Adds the handler's fields ("\"step\":12,...") to the reply, unless they do
 * not parse: a broken handler must not break the reply's JSON. */
static void add_fields(cJSON *reply, const char *fields)
{
    size_t n = strlen(fields);
    if (n == 0)
        return;
    char *wrapped = malloc(n + 3);
    if (!wrapped)
        return;
    wrapped[0] = '{';
    memcpy(wrapped + 1, fields, n);
    memcpy(wrapped + 1 + n, "}", 2);
    cJSON *extra = cJSON_ParseWithOpts(wrapped, NULL, 1);
    free(wrapped);
    if (!extra)
        return;
    while (extra->child) {
        cJSON *item = cJSON_DetachItemViaPointer(extra, extra->child);
        if (strcmp(item->string, "ok") == 0 || cJSON_GetObjectItemCaseSensitive(reply, item->string))
            cJSON_Delete(item);
        else
            cJSON_AddItemToObject(reply, item->string, item);
    }
    cJSON_Delete(extra);
}

/* One reply line, newline included: {"ok":false,"error":ERROR} when error is
 * set, else {"ok":true,FIELDS}. malloc'd; NULL only when out of memory. */
static char *reply_line(const char *error, const char *fields)
{
    cJSON *reply = cJSON_CreateObject();
    if (!reply)
        return NULL;
    cJSON_AddBoolToObject(reply, "ok", error == NULL);
    if (error)
        cJSON_AddStringToObject(reply, "error", error);
    else if (fields)
        add_fields(reply, fields);
    char *text = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    char *out = text ? malloc(strlen(text) + 2) : NULL;
    if (out)
        sprintf(out, "%s\n", text);
    free(text);
    return out;
}

static char *answer(aft_control_server *srv, const char *line)
{
    aft_cmd cmd;
    aft_error err = {0};
    char fields[CTL_FIELDS_MAX] = "";
    int rc = aft_control_parse(line, &cmd, &err);
    if (rc == 0) {
        rc = srv->handler(srv->ctx, &cmd, fields, sizeof fields, &err);
        fields[sizeof fields - 1] = '\0';
        if (rc != 0 && !err.set)
            aft_error_set(&err, "the run refused the command");
    }
    return reply_line(rc == 0 ? NULL : err.msg, fields);
}

/* ---- connections ------------------------------------------------------- */

static void client_close(ctl_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Sends what it can of the pending reply without blocking. Returns -1 when
 * the client is to be closed. MSG_NOSIGNAL: a vanished client is an EPIPE
 * here, not a SIGPIPE for the process. */
static int client_flush(ctl_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    return c->close_after ? -1 : 0;
}

static int client_queue(ctl_client *c, char *reply)
{
    if (!reply)
        return -1;
    c->out = reply;
    c->out_len = strlen(reply);
    c->out_off = 0;
    return client_flush(c);
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* Answers the complete lines buffered, one at a time: the next is taken only
 * once the reply before it is out, so a client that never reads its replies
 * stalls itself and costs no memory. Returns -1 when the client is done. */
static int client_pump(aft_control_server *srv, ctl_client *c)
{
    while (!c->out) {
        char *nl = memchr(c->in, '\n', c->in_len);
        if (!nl) {
            if (c->in_len < CTL_LINE_MAX)
                return c->eof ? -1 : 0; /* a line cut short by a hang-up is dropped */
            c->close_after = 1;
            return client_queue(c, reply_line("the request line is longer than 65536 bytes; "
                                              "closing the connection", NULL));
        }
        size_t len = (size_t)(nl - c->in);
        *nl = '\0';
        int nul = memchr(c->in, '\0', len) != NULL;
        int skip = !nul && blank(c->in, len); /* as JSON Lines readers do */
        char *reply = NULL;
        if (nul)
            reply = reply_line("not JSON: the line holds a NUL byte", NULL);
        else if (!skip)
            reply = answer(srv, c->in);
        c->in_len -= len + 1;
        memmove(c->in, nl + 1, c->in_len);
        if (skip)
            continue;
        if (client_queue(c, reply) < 0)
            return -1;
    }
    return 0;
}

static void client_event(aft_control_server *srv, ctl_client *c, short revents)
{
    int rc = 0;
    if (revents & (POLLERR | POLLNVAL)) {
        rc = -1;
    } else if (c->out) {
        rc = client_flush(c) < 0 ? -1 : client_pump(srv, c);
    } else {
        ssize_t n = recv(c->fd, c->in + c->in_len, CTL_LINE_MAX - c->in_len, 0);
        if (n < 0)
            rc = errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        else if (n == 0)
            c->eof = 1;
        else
            c->in_len += (size_t)n;
        if (rc == 0)
            rc = client_pump(srv, c);
    }
    if (rc < 0)
        client_close(c);
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    int fdf = fcntl(fd, F_GETFD);
    if (fl < 0 || fdf < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, fdf | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

/* Takes one waiting connection: one a round, after the clients' events, so
 * that a client that hung up before another connected has freed its slot.
 * Returns -1 when accept fails for want of resources (too many open files),
 * so the loop waits a little rather than spin on a listener that stays
 * readable. */
static int accept_client(aft_control_server *srv)
{
    int fd = accept(srv->listen_fd, NULL, NULL);
    if (fd < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                       errno == ECONNABORTED ? 0 : -1;
    ctl_client *c = NULL;
    for (int i = 0; i < CTL_MAX_CLIENTS && !c; i++)
        if (srv->clients[i].fd < 0)
            c = &srv->clients[i];
    char *in = c ? malloc(CTL_LINE_MAX) : NULL;
    if (!in || set_flags(fd) < 0) {
        char *msg = reply_line(c ? "the run is out of memory" :
                                   "too many control connections at once; try again", NULL);
        if (msg)
            (void)send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
        free(msg);
        free(in);
        close(fd);
        return 0;
    }
    c->fd = fd;
    c->in = in;
    return 0;
}

static void *serve(void *arg)
{
    aft_control_server *srv = arg;
    struct pollfd fds[2 + CTL_MAX_CLIENTS];
    int slot[2 + CTL_MAX_CLIENTS];
    int backoff = 0;
    for (;;) {
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = srv->wake[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = srv->listen_fd, .events = backoff ? 0 : POLLIN};
        for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
            ctl_client *c = &srv->clients[i];
            if (c->fd < 0)
                continue;
            slot[n] = i;
            fds[n++] = (struct pollfd){.fd = c->fd, .events = c->out ? POLLOUT : POLLIN};
        }
        int ready = poll(fds, n, backoff ? 100 : -1);
        backoff = 0;
        if (ready < 0 && errno != EINTR) {
            /* Out of kernel memory, say: wait rather than spin. */
            nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
            continue;
        }
        if (ready <= 0)
            continue;
        if (fds[0].revents)
            break;
        for (nfds_t i = 2; i < n; i++)
            if (fds[i].revents)
                client_event(srv, &srv->clients[slot[i]], fds[i].revents);
        if (fds[1].revents)
            backoff = accept_client(srv) < 0;
    }
    return NULL;
}

/* ---- starting and stopping --------------------------------------------- */

static int fill_addr(struct sockaddr_un *addr, const char *path, aft_error *err)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n == 0)
        return aft_error_set(err, "the control socket path is empty");
    if (n >= sizeof addr->sun_path)
        return aft_error_set(err, "control socket path too long (%zu bytes; a Unix socket path "
                                  "has at most %zu): %s", n, sizeof addr->sun_path - 1, path);
    memcpy(addr->sun_path, path, n + 1);
    return 0;
}

/* The path is taken (bind said EADDRINUSE): refuses a live server or a file
 * that is not a socket, and removes a socket that nobody serves any more. */
static int remove_stale(const char *path, const struct sockaddr_un *addr, aft_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : aft_error_errno(err, errno, "%s", path);
    if (!S_ISSOCK(st.st_mode))
        return aft_error_set(err, "%s exists and is not a socket; not replacing it", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return aft_error_errno(err, errno, "cannot probe %s", path);
    /* Non-blocking, so a live server with a full backlog answers EAGAIN. */
    int rc = set_flags(fd) < 0 ? -1 : connect(fd, (const struct sockaddr *)addr, sizeof *addr);
    int e = errno;
    close(fd);
    if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
        return aft_error_set(err, "another run is live on %s", path);
    if (e != ECONNREFUSED)
        return aft_error_errno(err, e, "cannot probe %s", path);
    if (unlink(path) < 0 && errno != ENOENT)
        return aft_error_errno(err, errno, "cannot remove the stale socket %s", path);
    return 0;
}

static int open_listener(aft_control_server *srv, const struct sockaddr_un *addr, aft_error *err)
{
    srv->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (srv->listen_fd < 0 || set_flags(srv->listen_fd) < 0)
        return aft_error_errno(err, errno, "cannot create the control socket");
    const struct sockaddr *sa = (const struct sockaddr *)addr;
    int rc = bind(srv->listen_fd, sa, sizeof *addr);
    if (rc < 0 && errno == EADDRINUSE) {
        if (remove_stale(srv->path, addr, err) < 0)
            return -1;
        rc = bind(srv->listen_fd, sa, sizeof *addr);
        if (rc < 0 && errno == EADDRINUSE) /* another run got there in between */
            return aft_error_set(err, "another run is live on %s", srv->path);
    }
    if (rc < 0)
        return aft_error_errno(err, errno, "cannot create the control socket %s", srv->path);
    /* Not umask (process-wide, so racy with other threads): nobody can
     * connect before listen(), so a chmod between the two is in time. */
    struct stat st;
    if (chmod(srv->path, 0600) < 0 || lstat(srv->path, &st) < 0) {
        int e = errno;
        unlink(srv->path);
        return aft_error_errno(err, e, "cannot make %s private", srv->path);
    }
    srv->bound = 1;
    srv->dev = st.st_dev;
    srv->ino = st.st_ino;
    if (listen(srv->listen_fd, CTL_MAX_CLIENTS) < 0)
        return aft_error_errno(err, errno, "cannot listen on %s", srv->path);
    return 0;
}

static int start_thread(aft_control_server *srv, aft_error *err)
{
    if (pipe(srv->wake) < 0) {
        srv->wake[0] = srv->wake[1] = -1;
        return aft_error_errno(err, errno, "cannot create the control thread's pipe");
    }
    if (set_flags(srv->wake[0]) < 0 || set_flags(srv->wake[1]) < 0)
        return aft_error_errno(err, errno, "cannot set up the control thread's pipe");
    /* The thread is born with every signal blocked, so the process's
     * handlers (Ctrl-C, SIGWINCH) always run on the threads that expect them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&srv->thread, NULL, serve, srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return aft_error_errno(err, rc, "cannot start the control thread");
    srv->running = 1;
    return 0;
}

static void destroy(aft_control_server *srv)
{
    for (int i = 0; i < CTL_MAX_CLIENTS; i++)
        client_close(&srv->clients[i]);
    for (int i = 0; i < 2; i++)
        if (srv->wake[i] >= 0)
            close(srv->wake[i]);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    /* Only our own socket: a later run may have replaced the file. */
    struct stat st;
    if (srv->bound && lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
        unlink(srv->path);
    free(srv);
}

aft_control_server *aft_control_start(const char *sock_path, aft_control_handler handler,
                                      void *ctx, aft_error *err)
{
    struct sockaddr_un addr;
    if (!handler) {
        aft_error_set(err, "aft_control_start needs a handler");
        return NULL;
    }
    if (fill_addr(&addr, sock_path, err) < 0)
        return NULL;
    aft_control_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    memcpy(srv->path, addr.sun_path, sizeof srv->path);
    srv->handler = handler;
    srv->ctx = ctx;
    srv->listen_fd = srv->wake[0] = srv->wake[1] = -1;
    for (int i = 0; i < CTL_MAX_CLIENTS; i++)
        srv->clients[i].fd = -1;
    if (open_listener(srv, &addr, err) < 0 || start_thread(srv, err) < 0) {
        destroy(srv);
        return NULL;
    }
    return srv;
}

void aft_control_stop(aft_control_server *srv)
{
    if (!srv)
        return;
    if (srv->running) {
        ssize_t w;
        do
            w = write(srv->wake[1], "x", 1);
        while (w < 0 && errno == EINTR);
        pthread_join(srv->thread, NULL);
    }
    destroy(srv);
}

/* ---- the client side --------------------------------------------------- */

/* "RUN" and "control.sock" of RUN/control.sock, for messages. */
static void split_path(const char *path, char *dir, size_t size, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

static int connect_error(const char *path, int e, int timeout_ms, aft_error *err)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *base;
    split_path(path, dir, sizeof dir, &base);
    if (e == ENOENT || e == ENOTDIR)
        return aft_error_set(err, "no live run at %s: %s missing (the run has finished or was "
                                  "never started)", dir, base);
    if (e == ECONNREFUSED)
        return aft_error_set(err, "no live run at %s: %s not answering (the run is not live)",
                             dir, base);
    if (e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT || e == EINPROGRESS)
        return aft_error_set(err, "the run at %s is busy: it took no connection within %d ms", dir,
                             timeout_ms);
    return aft_error_errno(err, e, "cannot reach the run at %s", dir);
}

/* Milliseconds left of timeout_ms since start; -1 for no limit. */
static int ms_left(const struct timespec *start, int timeout_ms)
{
    if (timeout_ms < 0)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long spent = (now.tv_sec - start->tv_sec) * 1000LL + (now.tv_nsec - start->tv_nsec) / 1000000;
    return spent >= timeout_ms ? 0 : (int)(timeout_ms - spent);
}

static int send_line(int fd, const char *line, size_t len, aft_error *err)
{
    for (size_t off = 0; off < len + 1;) {
        const char *p = off < len ? line + off : "\n";
        size_t n = off < len ? len - off : 1;
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            aft_error_errno(err, e, "cannot send the request");
            errno = e;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

static int read_line(int fd, char *reply, size_t size, int timeout_ms, aft_error *err)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t got = 0;
    for (;;) {
        int wait = ms_left(&start, timeout_ms);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = wait == 0 ? 0 : poll(&p, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return aft_error_errno(err, errno, "waiting for the run's answer");
        if (r == 0)
            return aft_error_set(err, "the run did not answer within %d ms", timeout_ms);
        ssize_t n = recv(fd, reply + got, size - 1 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return aft_error_errno(err, errno, "reading the run's answer");
        if (n == 0)
            return aft_error_set(err, "the run closed the connection without answering");
        char *nl = memchr(reply + got, '\n', (size_t)n);
        got += (size_t)n;
        reply[got] = '\0';
        if (nl) {
            *nl = '\0';
            return 0;
        }
        if (got == size - 1)
            return aft_error_set(err, "the run's answer is longer than %zu bytes", size - 1);
    }
}

int aft_control_request(const char *sock_path, const char *request_json, char *reply,
                        size_t size, int timeout_ms, aft_error *err)
{
    if (!reply || size < 2)
        return aft_error_set(err, "no room for the run's answer");
    reply[0] = '\0';
    size_t len = strlen(request_json);
    if (len > 0 && request_json[len - 1] == '\n')
        len--;
    if (len == 0 || memchr(request_json, '\n', len))
        return aft_error_set(err, "a control request is one non-empty line of JSON");
    struct sockaddr_un addr;
    if (fill_addr(&addr, sock_path, err) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return aft_error_errno(err, errno, "cannot create a socket");
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    /* A connect to a server whose backlog is full waits up to SO_SNDTIMEO. */
    if (timeout_ms > 0) {
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    int rc;
    if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) < 0)
        rc = connect_error(sock_path, errno, timeout_ms, err);
    else if (send_line(fd, request_json, len, err) < 0 && errno != EPIPE && errno != ECONNRESET)
        rc = -1;
    else /* a server that hung up on us (too many connections) may have said why */
        rc = read_line(fd, reply, size, timeout_ms, err);
    close(fd);
    return rc;
}
