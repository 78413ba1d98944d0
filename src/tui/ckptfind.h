/* Which checkpoint of a run the workbench's model views use (the best, else
 * the newest step-N: aft_run_default_checkpoint) and a stamp of its model
 * file, to notice when it is rewritten. No curses here. */
#ifndef TUI_CKPTFIND_H
#define TUI_CKPTFIND_H

#include <stdint.h>

typedef struct ckpt_stamp {
    char name[64];       /* "best" or "step-N"; "" = none */
    uint64_t step;       /* the step its weights are from (0 when unknown) */
    int64_t mtime_ns, size;
    uint64_t ino;
} ckpt_stamp;

/* Fills out for run_dir's checkpoint; returns 0, or -1 (out->name "")
 * when the run has none yet. */
int ckpt_find(const char *run_dir, ckpt_stamp *out);
/* Same checkpoint, same file. */
int ckpt_same(const ckpt_stamp *a, const ckpt_stamp *b);

#endif
