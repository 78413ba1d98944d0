/* A small seeded random number generator (xoshiro256**, seeded by splitmix64)
 * whose whole state can be saved, so runs are reproducible and resumable. */
#ifndef AGENTFT_RNG_H
#define AGENTFT_RNG_H

#include <stdint.h>
#include <stddef.h>

typedef struct aft_rng {
    uint64_t s[4];
} aft_rng;

void aft_rng_seed(aft_rng *rng, uint64_t seed);
uint64_t aft_rng_u64(aft_rng *rng);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t aft_rng_below(aft_rng *rng, uint64_t n);
/* Uniform float in [0, 1). */
double aft_rng_uniform(aft_rng *rng);
/* Standard normal (Box-Muller). */
double aft_rng_normal(aft_rng *rng);
/* Fisher-Yates shuffle of n items of `size` bytes each. */
void aft_rng_shuffle(aft_rng *rng, void *items, size_t n, size_t size);

#endif
