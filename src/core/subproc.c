/* Child processes with pipes (see subproc.h): start, write without SIGPIPE,
 * keep the tail of stderr, reap or kill. */
#include "agentft/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void shut(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int add_flags(int fd, int get, int set, int flags)
{
    int f = fcntl(fd, get);
    return f < 0 ? -1 : fcntl(fd, set, f | flags);
}

/* Between fork and exec only async-signal-safe calls: the child's three
 * pipe ends become its 0, 1, 2 and exec's errno goes back on `report`. */
static void exec_child(char *const argv[], const char *cwd, const int ends[3], int report)
{
    setpgid(0, 0);
    if (cwd && chdir(cwd) < 0) {
        int e = errno;
        ssize_t w = write(report, &e, sizeof e);
        (void)w;
        _exit(127);
    }
    int fds[3];
    for (int i = 0; i < 3; i++) /* out of 0..2 first, so one dup2 cannot clobber another */
        fds[i] = ends[i] < 3 ? fcntl(ends[i], F_DUPFD_CLOEXEC, 3) : ends[i];
    for (int i = 0; i < 3; i++)
        if (fds[i] < 0 || dup2(fds[i], i) < 0)
            _exit(127);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    int e = errno;
    ssize_t w = write(report, &e, sizeof e);
    (void)w;
    _exit(127);
}

void aft_subproc_init(aft_subproc *p)
{
    memset(p, 0, sizeof *p);
    p->in = p->out = p->errfd = -1;
}

int aft_subproc_start(aft_subproc *p, char *const argv[], const char *cwd, const char *what,
                      aft_error *err)
{
    aft_subproc_init(p);
    const char *sp = what && what[0] ? " " : "";
    what = what ? what : "";
    if (!argv || !argv[0] || !argv[0][0])
        return aft_error_set(err, "no %s%sprogram to run", what, sp);
    int fd[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}}; /* stdin stdout stderr report */
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++)
        if (pipe(fd[i]) < 0 || add_flags(fd[i][0], F_GETFD, F_SETFD, FD_CLOEXEC) < 0 ||
            add_flags(fd[i][1], F_GETFD, F_SETFD, FD_CLOEXEC) < 0)
            rc = aft_error_errno(err, errno, "%s%s'%s': pipe", what, sp, argv[0]);
    if (rc == 0 && (p->pid = fork()) < 0)
        rc = aft_error_errno(err, errno, "%s%s'%s': fork", what, sp, argv[0]);
    if (rc == 0 && p->pid == 0) {
        int ends[3] = {fd[0][0], fd[1][1], fd[2][1]};
        exec_child(argv, cwd, ends, fd[3][1]);
    }
    if (rc == 0) {
        setpgid(p->pid, p->pid); /* here too, so a kill of the group cannot race the child */
        shut(&fd[3][1]);
        int e = 0;
        ssize_t n;
        do /* EOF: exec worked (the report pipe is close-on-exec) */
            n = read(fd[3][0], &e, sizeof e);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof e && e) {
            while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
            p->pid = 0;
            rc = cwd ? aft_error_errno(err, e, "cannot run %s%s'%s' in %s", what, sp, argv[0], cwd)
                     : aft_error_errno(err, e, "cannot run %s%s'%s'", what, sp, argv[0]);
        }
    }
    if (rc == 0) {
        p->in = fd[0][1], p->out = fd[1][0], p->errfd = fd[2][0];
        fd[0][1] = fd[1][0] = fd[2][0] = -1;
        add_flags(p->in, F_GETFL, F_SETFL, O_NONBLOCK);
        add_flags(p->out, F_GETFL, F_SETFL, O_NONBLOCK);
        add_flags(p->errfd, F_GETFL, F_SETFL, O_NONBLOCK);
    }
    for (int i = 0; i < 4; i++) {
        shut(&fd[i][0]);
        shut(&fd[i][1]);
    }
    return rc;
}

ssize_t aft_subproc_write(aft_subproc *p, const void *buf, size_t len)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n = p->in >= 0 ? write(p->in, buf, len) : -1;
    int e = p->in >= 0 ? errno : EPIPE;
    if (n < 0 && e == EPIPE && !was_pending) {
        /* Take back the SIGPIPE this write raised before unblocking it. */
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return n;
}

static void keep_tail(aft_subproc *p, const char *buf, size_t k)
{
    if (k >= AFT_SUBPROC_TAIL) {
        memcpy(p->err_tail, buf + k - AFT_SUBPROC_TAIL, AFT_SUBPROC_TAIL);
        p->err_len = AFT_SUBPROC_TAIL;
        return;
    }
    size_t keep = p->err_len + k > AFT_SUBPROC_TAIL ? AFT_SUBPROC_TAIL - k : p->err_len;
    memmove(p->err_tail, p->err_tail + p->err_len - keep, keep);
    memcpy(p->err_tail + keep, buf, k);
    p->err_len = keep + k;
}

void aft_subproc_read_stderr(aft_subproc *p)
{
    char buf[4096];
    while (p->errfd >= 0) {
        ssize_t n = read(p->errfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            shut(&p->errfd);
        if (n <= 0)
            return;
        keep_tail(p, buf, (size_t)n);
    }
}

void aft_subproc_stderr_line(const aft_subproc *p, char *buf, size_t size)
{
    size_t end = p->err_len;
    while (end > 0 && (p->err_tail[end - 1] == '\n' || p->err_tail[end - 1] == '\r'))
        end--;
    size_t start = end, n = 0;
    while (start > 0 && p->err_tail[start - 1] != '\n')
        start--;
    for (size_t i = start; i < end && n + 1 < size; i++)
        buf[n++] = (unsigned char)p->err_tail[i] < 0x20 ? '?' : p->err_tail[i];
    if (size)
        buf[n] = '\0';
}

int aft_subproc_reap(aft_subproc *p, int grace_ms)
{
    if (p->reaped || p->pid <= 0)
        return 0;
    long long deadline = mono_ms() + grace_ms;
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid || (r < 0 && errno != EINTR)) {
            p->reaped = 1;
            return 0;
        }
        if (mono_ms() >= deadline)
            break;
        aft_subproc_read_stderr(p);
        poll(NULL, 0, 2); /* a bounded wait for an exit already under way */
    }
    if (kill(-p->pid, SIGKILL) < 0)
        kill(p->pid, SIGKILL);
    while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
        ;
    p->reaped = 1;
    return 1;
}

void aft_subproc_describe_exit(const aft_subproc *p, int killed, char *buf, size_t size)
{
    if (killed)
        snprintf(buf, size, "; it was still running and was killed");
    else if (p->reaped && WIFEXITED(p->status))
        snprintf(buf, size, "; it exited with status %d", WEXITSTATUS(p->status));
    else if (p->reaped && WIFSIGNALED(p->status))
        snprintf(buf, size, "; it was killed by signal %d (%s)", WTERMSIG(p->status),
                 strsignal(WTERMSIG(p->status)));
    else if (size)
        buf[0] = '\0';
}

void aft_subproc_fail_end(aft_subproc *p, int grace_ms, char *buf, size_t size)
{
    char fate[160] = "", last[200];
    shut(&p->in);
    int killed = aft_subproc_reap(p, grace_ms);
    if (grace_ms > 0)
        aft_subproc_describe_exit(p, killed, fate, sizeof fate);
    aft_subproc_read_stderr(p);
    aft_subproc_stderr_line(p, last, sizeof last);
    aft_subproc_end(p);
    snprintf(buf, size, "%s%s%s%s", fate, last[0] ? "; its last words on stderr: \"" : "", last,
             last[0] ? "\"" : "");
}

void aft_subproc_end(aft_subproc *p)
{
    shut(&p->in);
    shut(&p->out);
    if (p->pid > 0 && !p->reaped)
        aft_subproc_reap(p, 0);
    shut(&p->errfd);
}
