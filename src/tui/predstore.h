/* The dataset pane's model predictions, one int32 and one float a record:
 * the predicted action's id (or PS_UNKNOWN, PS_PENDING) and its
 * confidence, plus the names the ids stand for. A hash of each record's
 * line lets an edit cost only the edited records: after one, the
 * predictions are carried over to the records as they are now (also when
 * they moved), and only records whose line changed are predicted again.
 * Pure logic over the dataset store; no curses, no threads. */
#ifndef TUI_PREDSTORE_H
#define TUI_PREDSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/dataset.h"

#define PS_UNKNOWN (-1)  /* not predicted yet */
#define PS_PENDING (-2)  /* being predicted */

typedef struct ps_remap ps_remap;

typedef struct predstore {
    size_t n;            /* records covered */
    int32_t *pred;
    float *conf;
    uint64_t *hash;      /* of a record's line when it was predicted (0: never) */
    char **names;        /* the model's actions, indexed by pred */
    size_t n_names;
    size_t known, pending;
    ps_remap *remap;     /* carrying over after an edit, or NULL */
} predstore;

void ps_init(predstore *s);
void ps_free(predstore *s);
/* Forgets every prediction (a new model): n records, the model's action
 * names (copied). -1 when out of memory (then empty). */
int ps_reset(predstore *s, const char *const *names, size_t n_names, size_t n);
/* The hash of record rec's line (never 0). */
uint64_t ps_line_hash(const aft_dataset *ds, size_t rec);
/* Marks rec as being predicted from its line as it hashes now (h).
 * ps_pending and ps_put are for when no remap is under way. */
void ps_pending(predstore *s, size_t rec, uint64_t h);
/* Stores a prediction of record rec made from a line that hashed to h;
 * dropped when the record is no longer that line (edited or moved). pred
 * PS_UNKNOWN gives the record back (a prediction that was cancelled). */
void ps_put(predstore *s, size_t rec, uint64_t h, int32_t pred, float conf);
/* 1 with rec's predicted action and confidence (either may be NULL); 0 when
 * it has none (yet). */
int ps_get(const predstore *s, size_t rec, const char **action, float *conf);
/* rec has a prediction and it is not its annotated action. */
int ps_wrong(const predstore *s, const aft_dataset *ds, size_t rec);
/* A sort key putting the least certain first: the confidence scaled to
 * 24 bits, records without a prediction last. */
uint32_t ps_uncertain_key(const predstore *s, size_t rec);
/* The next record at or after *from that needs a prediction; SIZE_MAX when
 * none is left (*from then is n). */
size_t ps_next_todo(const predstore *s, size_t *from);

/* After the dataset changed: starts carrying the predictions over to its
 * records as they are now (a remap already under way starts again). */
int ps_remap_begin(predstore *s, const aft_dataset *ds);
/* Looks at up to `budget` records; returns 1 once done (then n is the
 * dataset's count). While it runs, records keep their old predictions when
 * the count did not change, else show none. */
int ps_remap_step(predstore *s, const aft_dataset *ds, size_t budget);

#endif
