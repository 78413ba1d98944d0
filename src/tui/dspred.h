/* Predictions of every dataset record by the shown run's checkpoint (best,
 * else newest), for the dataset pane: the checkpoint opened and the records
 * classified in a background thread, a chunk at a time (the UI thread reads
 * the records, since only it may touch the dataset store, and hands their
 * contexts over), stored compactly (predstore.h). A new checkpoint (its file
 * changed) starts again; an edit re-predicts the edited records only. No
 * curses here. */
#ifndef TUI_DSPRED_H
#define TUI_DSPRED_H

#include <stddef.h>

#include "agentft/dataset.h"
#include "predstore.h"

typedef struct dspred dspred;

/* What dspred_tick reports. */
enum {
    DP_CHANGED = 1,    /* predictions were added or dropped: redraw */
    DP_DONE = 2,       /* a pass over the dataset just ended: views that filter
                          or order by predictions should be computed again */
    DP_BUSY = 4,       /* carrying predictions over an edit: call again soon */
};

dspred *dspred_new(void);
/* Stops the thread (after the batch under way, a few milliseconds). */
void dspred_free(dspred *p);
const predstore *dspred_store(const dspred *p);

/* Once per loop turn on the UI thread. run_dir is the run shown ("" for
 * none); `hold` keeps it from starting work (the workbench's own run is
 * training and should have the cores); ds_gen changes after every edit of
 * ds. Looks for a new checkpoint at most once a second. */
int dspred_tick(dspred *p, const aft_dataset *ds, unsigned long ds_gen, const char *run_dir,
                int hold, int wake_fd);

/* A short state for the pane: "predicting 37%", "" when there is nothing
 * to say; `model` gets the checkpoint the predictions come from
 * ("best, step 40") or "". */
void dspred_info(const dspred *p, char *buf, size_t size, char *model, size_t msize);
/* Whether predictions exist (a checkpoint was opened). */
int dspred_ready(const dspred *p);

#endif
