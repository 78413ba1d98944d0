/* The run the charts show: its metrics series, events and latest figures,
 * read by following RUN/metrics.jsonl (a run of this process, of another
 * process, live or finished). Also finds the run to show in a workspace's
 * runs folder. No curses here. */
#ifndef TUI_RUNSRC_H
#define TUI_RUNSRC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentft/config.h"
#include "agentft/error.h"
#include "agentft/trainer.h"

typedef struct rs_series {
    aft_point *p;
    size_t n, cap;
} rs_series;

typedef struct runsrc {
    char dir[4096];            /* "" = no run */
    char name[256];
    rs_series series[AFT_SERIES_COUNT];
    aft_event *events;
    size_t n_events, cap_events;
    unsigned long gen;         /* bumped whenever something was added */
    unsigned long resets;      /* bumped when the series were read again from the start */
    /* the latest figures */
    uint64_t step, val_step, best_step;
    int patience_left;         /* -1 when unknown */
    /* following metrics.jsonl */
    int fd;
    dev_t dev;
    ino_t ino;
    off_t off;
    char *part;                /* an unfinished last line */
    size_t part_len, part_cap;
    size_t bad_lines;
    aft_trainer *trainer;      /* this process's run (read through its API), or NULL */
} runsrc;

/* Finds the run to show: `want` is a run name under the workspace's runs
 * folder or a path to a run directory; NULL means the newest run (by the
 * time of its metrics.jsonl). Returns 0 with the directory in dir, 1 when
 * want is NULL and there is no run yet, -1 with err when want names no run. */
int runsrc_locate(const aft_config *cfg, const char *want, char *dir, size_t size, aft_error *err);

/* A source following dir's metrics.jsonl (dir may be "" for none). */
runsrc *runsrc_open(const char *dir);
/* A source reading a trainer of this process through its thread-safe
 * snapshot API (the trainer stays the caller's). */
runsrc *runsrc_open_trainer(aft_trainer *t);
void runsrc_free(runsrc *rs);
/* Reads what was appended since the last call (at most a few MiB a call,
 * so the UI stays responsive); returns 1 when something changed. A file
 * that shrank or was replaced is read again from the start. */
int runsrc_poll(runsrc *rs);
/* Whether the run is live: this process's trainer not yet finished, or a
 * run with a control socket (RUN/control.sock). */
int runsrc_live(const runsrc *rs);
/* The run's last pause/resume event was a pause. */
int runsrc_paused(const runsrc *rs);
/* Sends one control request to the live run (waits at most timeout_ms). */
int runsrc_request(const runsrc *rs, const char *json, char *reply, size_t size, int timeout_ms,
                   aft_error *err);
/* Parses one metrics.jsonl line into rs; returns 1 if it added something.
 * Exposed for tests. */
int runsrc_ingest(runsrc *rs, const char *line, size_t len);

#endif
