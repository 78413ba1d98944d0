/* A helper program run as a child process: started from an argv with
 * fork/execvp (never a shell) in its own process group, with pipes to its
 * stdin, stdout and stderr (our ends non-blocking), the tail of its stderr
 * kept for messages, and an end that never leaves a zombie or a stray
 * process behind. Used by the reward environment client. */
#ifndef AGENTFT_SUBPROC_H
#define AGENTFT_SUBPROC_H

#include <stddef.h>
#include <sys/types.h>

#include "agentft/error.h"

#define AFT_SUBPROC_TAIL 512

typedef struct aft_subproc {
    pid_t pid;                      /* 0 when not started */
    int in, out, errfd;             /* our ends; -1 when closed */
    int reaped, status;             /* status from waitpid once reaped */
    char err_tail[AFT_SUBPROC_TAIL];/* the last bytes of its stderr */
    size_t err_len;
} aft_subproc;

/* A not-started one (every fd -1), which aft_subproc_end accepts. */
void aft_subproc_init(aft_subproc *p);

/* Starts argv[0] (looked up in PATH) with argv, in folder cwd (NULL: ours;
 * a relative argv[0] with a '/' is then relative to cwd). A program that
 * cannot be run, or a cwd it cannot enter, is an error naming it, what it
 * is for (`what`, e.g. "translator") and the reason. */
int aft_subproc_start(aft_subproc *p, char *const argv[], const char *cwd, const char *what,
                      aft_error *err);

/* write() to its stdin that cannot raise SIGPIPE in this process; -1 with
 * errno (EPIPE when it closed its input, EAGAIN when the pipe is full). */
ssize_t aft_subproc_write(aft_subproc *p, const void *buf, size_t len);

/* Reads what its stderr has ready into the tail (closing it at EOF). */
void aft_subproc_read_stderr(aft_subproc *p);
/* The last non-empty line of its stderr, control characters as '?', or "". */
void aft_subproc_stderr_line(const aft_subproc *p, char *buf, size_t size);

/* Waits up to grace_ms for it to exit by itself, then kills its process
 * group. Returns 1 when it had to be killed, 0 when it had exited. */
int aft_subproc_reap(aft_subproc *p, int grace_ms);
/* "; it exited with status 3", "; it was killed by signal 11 (...)" or
 * "; it was still running and was killed", from the last reap. */
void aft_subproc_describe_exit(const aft_subproc *p, int killed, char *buf, size_t size);

/* Ends it after a failure and says what became of it, for the message:
 * closes its input (one that only waits for more may then exit), waits up
 * to grace_ms for its exit (0: kills it at once, and says nothing of its
 * exit), closes everything, and writes its fate and last stderr line into
 * buf ("; it exited with status 3; its last words on stderr: \"...\"", or
 * ""). */
void aft_subproc_fail_end(aft_subproc *p, int grace_ms, char *buf, size_t size);

/* Closes our ends and reaps it (killing it if it still runs). Safe to call
 * twice and on one that aft_subproc_init or a failed start left. */
void aft_subproc_end(aft_subproc *p);

#endif
