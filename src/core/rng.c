/* xoshiro256** seeded through splitmix64: fast, small, and its state is four
 * words that a checkpoint can store. */
#include "agentft/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void aft_rng_seed(aft_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t aft_rng_u64(aft_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t aft_rng_below(aft_rng *rng, uint64_t n)
{
    /* Rejection sampling keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = aft_rng_u64(rng);
    } while (x >= limit);
    return x % n;
}

double aft_rng_uniform(aft_rng *rng)
{
    return (double)(aft_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double aft_rng_normal(aft_rng *rng)
{
    double u1 = aft_rng_uniform(rng);
    double u2 = aft_rng_uniform(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void aft_rng_shuffle(aft_rng *rng, void *items, size_t n, size_t size)
{
    unsigned char *base = items;
    unsigned char tmp[256];
    if (n < 2 || size > sizeof tmp)
        return;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)aft_rng_below(rng, (uint64_t)i + 1);
        if (j == i)
            continue;
        memcpy(tmp, base + i * size, size);
        memcpy(base + i * size, base + j * size, size);
        memcpy(base + j * size, tmp, size);
    }
}
