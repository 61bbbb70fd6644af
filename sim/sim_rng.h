/* sim_rng.h - deterministic random streams for the simulation.
 *
 * xoshiro256** (Blackman & Vigna) with splitmix64 seeding. Each node owns a stream derived
 * from the run seed and its name (sim_rng_derive), so adding a node never perturbs another
 * node's draws. There is no global state: a stream is a plain 32-byte struct the caller owns.
 *
 * Every function consumes a fixed number of draws (one draw = one sim_rng_next), listed next
 * to it, whatever its arguments or the branch it takes. A stream's later values therefore
 * depend only on how many calls were made, never on what earlier calls returned; a scenario
 * that changes a probability does not shift every draw after it.
 *
 * The hot-path functions are static inline because the engine calls them tens of millions of
 * times per second. sim_rng_seed, sim_rng_next, sim_rng_uniform, sim_rng_below and
 * sim_rng_exponential reproduce bench/cref/xoshiro.h bit for bit, so the engine's PHOLD
 * benchmark draws the same stream as the C reference. */
#ifndef RENKEI_SIM_RNG_H
#define RENKEI_SIM_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4]; /* never all zero: xoshiro would then emit zeros forever */
} sim_rng;

/* Seeds the state with four splitmix64 outputs of seed, as the reference xo_seed. Any seed,
 * including 0, gives a usable state. No draws. */
void sim_rng_seed(sim_rng *r, uint64_t seed);

/* Seeds an independent stream for stream_name (a node name): the state is the SHA-256 of the
 * run seed as 8 little-endian bytes followed by the name's bytes (no terminator), read as four
 * little-endian words. NULL counts as "". Depends only on (run_seed, stream_name), so streams
 * never depend on which other streams exist or the order they were derived in. No draws.
 * Aborts if OpenSSL cannot hash, since any fallback would silently change the run. */
void sim_rng_derive(sim_rng *r, uint64_t run_seed, const char *stream_name);

/* Internal: rotate left; k is in 1..63. */
static inline uint64_t sim_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The next 64 random bits. One draw. */
static inline uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = sim_rng_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rng_rotl(s[3], 45);
    return out;
}

/* Uniform on [0,1) with 53 random bits (the top ones; xoshiro's low bits are its weakest).
 * One draw. */
static inline double sim_rng_uniform(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer on [0,n) by Lemire's multiply-shift, without the rejection step: the bias
 * is below n/2^64, far under anything a run can observe, and rejection would make the draw
 * count variable. n = 0 returns 0. One draw. */
static inline uint32_t sim_rng_below(sim_rng *r, uint32_t n)
{
    __extension__ typedef unsigned __int128 sim_rng_u128;
    return (uint32_t)(((sim_rng_u128)sim_rng_next(r) * n) >> 64);
}

/* Exponential with the given mean, by inversion. log1p(-u) keeps precision for small u, and
 * u < 1 keeps the result finite. One draw. */
static inline double sim_rng_exponential(sim_rng *r, double mean)
{
    return -mean * log1p(-sim_rng_uniform(r));
}

/* Uniform on [lo,hi). hi <= lo returns lo. One draw. */
double sim_rng_range(sim_rng *r, double lo, double hi);

/* 1 with probability p, else 0. p <= 0 (or NaN) always gives 0, p >= 1 always 1. One draw,
 * even when p makes the answer certain. */
int sim_rng_bernoulli(sim_rng *r, double p);

/* Normal by Box-Muller. The second variate is thrown away rather than cached: a cached spare
 * would make the draw count depend on call parity. Two draws. */
double sim_rng_normal(sim_rng *r, double mean, double sd);

/* exp(normal(mu, sigma)); its mean is exp(mu + sigma^2/2). Two draws. */
double sim_rng_lognormal(sim_rng *r, double mu, double sigma);

/* Triangular on [lo,hi] with peak at mode, by inverse CDF. mode is clamped into [lo,hi];
 * hi <= lo returns lo. The result always lies in [lo,hi]. One draw. */
double sim_rng_triangular(sim_rng *r, double lo, double mode, double hi);

/* An index i < n with probability weights[i] / (sum of the positive weights). Weights that are
 * negative, zero, NaN or infinite count as 0 and are never chosen; the positive ones must have
 * a finite sum. One draw; but when no weight is positive it returns n and consumes no draw. */
size_t sim_rng_weighted(sim_rng *r, const double *weights, size_t n);

#endif
