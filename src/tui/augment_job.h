/* Making augmentation candidates for the workbench's review: the workspace's
 * augment settings, the dataset read a slice at a time on the UI thread (the
 * store is not locked, and only that thread may touch it), then the
 * variants made in a thread of their own, since back-translation can take
 * minutes; progress, cancel, and a byte on the loop's self-pipe when done.
 * Nothing is written anywhere. No curses here. */
#ifndef TUI_AUGMENT_JOB_H
#define TUI_AUGMENT_JOB_H

#include <stddef.h>

#include "agentft/augment.h"
#include "agentft/config.h"

typedef struct augment_job augment_job;

typedef enum { AJ_READING, AJ_MAKING, AJ_DONE, AJ_CANCELLED, AJ_FAILED } aj_state;

/* Sets up candidates for records[0..n) of ds, the dataset the workbench
 * shows (the workspace's dataset.path, or else its dataset.train, whose
 * records then count as training ones); the workspace's valid and test
 * files, when it names them, are read too so that no candidate repeats
 * them. Starts the translators when back-translation is asked for.
 * warning gets "" or a sentence (no WordNet). NULL with err set. */
augment_job *augment_job_new(const aft_config *cfg, const aft_dataset *ds, const size_t *records,
                             size_t n, char *warning, size_t wsize, aft_error *err);
/* UI thread, while AJ_READING: reads the data for about ms milliseconds;
 * once all is read, starts the thread, which writes a byte to wake_fd (when
 * >= 0) as it ends. ds must not change between calls. Returns the state. */
aj_state augment_job_read(augment_job *j, double ms, int wake_fd);
/* Where it is: records read of all records (reading) or records done of
 * the records to augment (making); msg gets why it failed, or a warning
 * from the translators after the end, or "". */
aj_state augment_job_state(augment_job *j, size_t *done, size_t *total, char *msg, size_t size);
/* Asks it to stop after the records under way; what was made is kept. */
void augment_job_cancel(augment_job *j);
/* Once the state is DONE, CANCELLED or FAILED: moves the result (the
 * candidates made, the counts) to res. */
void augment_job_take(augment_job *j, aft_augment_result *res);
/* Stops and frees it; a thread still busy with a slow translator frees
 * the job itself when its request is answered or times out. NULL is fine. */
void augment_job_free(augment_job *j);

#endif
