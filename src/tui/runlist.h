/* The runs of a workspace's runs folder, for choosing a second run to
 * overlay on the charts: each run's name, when its metrics last changed and
 * its best validation figure. No curses here. */
#ifndef TUI_RUNLIST_H
#define TUI_RUNLIST_H

#include <stddef.h>
#include <time.h>

typedef struct run_entry {
    char name[256];
    char dir[4096];
    struct timespec mtime;   /* of metrics.jsonl */
    char metric[32];         /* "val_loss", "accuracy"...; "" when no validation yet */
    double best;             /* the best value of that metric */
} run_entry;

typedef struct runlist {
    run_entry *e;
    size_t n;
} runlist;

/* Lists the folders of runs_dir that hold a metrics.jsonl, newest first.
 * A missing folder gives an empty list. Returns -1 only when out of memory. */
int runlist_scan(runlist *l, const char *runs_dir);
void runlist_free(runlist *l);

/* The best validation figure of a run: the last "best" event's metric and
 * value, else the highest validation accuracy. Returns 0 when the run has
 * validated, 1 when not yet (metric is then ""). */
int runlist_best(const char *dir, char *metric, size_t size, double *best);

/* "val_loss 0.412" or "no validation yet", for the chooser's rows. */
void runlist_describe(const run_entry *e, char *buf, size_t size);

#endif
