/* trainer_state.json: where a run stands (step, epoch, position in the data
 * order, the random number generators, early-stopping bookkeeping), so a
 * resumed run continues exactly where it stopped. */
#ifndef AGENTFT_TRAINER_STATE_H
#define AGENTFT_TRAINER_STATE_H

#include <stdint.h>

#include "agentft/error.h"
#include "agentft/rng.h"

typedef struct aft_trainer_state {
    uint64_t step;             /* optimizer steps done */
    uint64_t epoch;            /* epochs started (0-based index of the current one) */
    uint64_t epoch_pos;        /* examples already taken from the current epoch's order */
    aft_rng model_rng;         /* dropout */
    aft_rng data_rng;          /* data order */
    double best_metric;        /* best value of the early-stopping metric so far */
    uint64_t best_step;        /* step of the best checkpoint (0 = none yet) */
    uint32_t evals_since_best; /* patience used */
    double reject_threshold;   /* eval.reject_keep's calibrated threshold; NAN = none
                                * (the field is left out of the file then) */
    char *extra_json;          /* the trainer's own JSON object (events, ...) or NULL; owned */
} aft_trainer_state;

/* Writes DIR/trainer_state.json atomically. The rng states are written as
 * hex strings, since JSON numbers cannot hold 64 bits exactly. */
int aft_trainer_state_save(const char *dir, const aft_trainer_state *s, aft_error *err);
/* Reads it back; every missing or malformed field is an error naming it. */
int aft_trainer_state_load(const char *dir, aft_trainer_state *s, aft_error *err);
void aft_trainer_state_free(aft_trainer_state *s);

#endif
