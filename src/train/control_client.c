/* The client side of the control socket, used by `agentft ctl` and the
 * workbench: one request line sent, one reply line read, with a timeout. */
#include "control_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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
    if (ctl_fill_addr(&addr, sock_path, err) < 0)
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
