/* The control socket's server side (RUN/control.sock): JSON-line requests
 * served on a thread of their own and answered through the run's handler. */
#include "control_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Bytes in one request line, newline included; a longer line is refused. */
#define CTL_LINE_MAX 65536
#define CTL_MAX_CLIENTS AFT_CONTROL_MAX_CLIENTS
#define CTL_FIELDS_MAX 4096

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

/* ---- answering --------------------------------------------------------- */

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
    return ctl_reply_line(rc == 0 ? NULL : err.msg, fields);
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
            return client_queue(c, ctl_reply_line("the request line is longer than 65536 "
                                                  "bytes; closing the connection", NULL));
        }
        size_t len = (size_t)(nl - c->in);
        *nl = '\0';
        int nul = memchr(c->in, '\0', len) != NULL;
        int skip = !nul && blank(c->in, len); /* as JSON Lines readers do */
        char *reply = NULL;
        if (nul)
            reply = ctl_reply_line("not JSON: the line holds a NUL byte", NULL);
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
        char *msg = ctl_reply_line(c ? "the run is out of memory" :
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

int ctl_fill_addr(struct sockaddr_un *addr, const char *path, aft_error *err)
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
    if (ctl_fill_addr(&addr, sock_path, err) < 0)
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
