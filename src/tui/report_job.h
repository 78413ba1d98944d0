/* An evaluation started from the Report pane: the run's checkpoint opened,
 * the report built and written (RUN/report.json and report.md) in a thread
 * of its own, so the UI thread never waits on it. The thread writes a byte
 * to the loop's self-pipe when it is done. No curses here. */
#ifndef TUI_REPORT_JOB_H
#define TUI_REPORT_JOB_H

#include <stddef.h>

#include "agentft/error.h"

typedef struct report_job report_job;

typedef enum { RJ_RUNNING, RJ_DONE, RJ_FAILED } rj_state;

/* Starts evaluating run_dir's best (or newest) checkpoint on its test data.
 * wake_fd (or -1) gets a byte when the job ends. NULL with err when no
 * thread could be started. */
report_job *report_job_start(const char *run_dir, int wake_fd, aft_error *err);
/* Where the job is; when it failed, why (in msg). */
rj_state report_job_state(report_job *j, char *msg, size_t size);
/* Joins a finished job, or leaves a running one to finish on its own and
 * free itself (the workbench is closing). */
void report_job_free(report_job *j);

#endif
