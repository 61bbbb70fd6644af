/* sim_rng.c - seeding, per-name stream derivation and the less frequent distributions for
 * the simulation's random streams. The per-draw primitives live inline in sim_rng.h. */
#include "sim_rng.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define SIM_RNG_TWO_PI 6.283185307179586476925286766559

void sim_rng_seed(sim_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

void sim_rng_derive(sim_rng *r, uint64_t run_seed, const char *stream_name)
{
    /* SHA-256 rather than a cheap mix: names like "site-1", "site-2" must give streams with
     * no exploitable relation, and this runs once per node. The byte order is fixed so that a
     * seed means the same run on every host. */
    unsigned char small[256], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t namelen = stream_name ? strlen(stream_name) : 0;
    size_t len = 8 + namelen;
    unsigned char *buf = len <= sizeof small ? small : malloc(len);
    int ok;

    if (!buf) {
        fprintf(stderr, "sim_rng_derive: out of memory\n");
        abort();
    }
    store_le64(buf, run_seed);
    if (namelen)
        memcpy(buf + 8, stream_name, namelen);
    ok = EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
    if (buf != small)
        free(buf);
    if (!ok) {
        /* Any substitute hash would give a different, silently irreproducible run. */
        fprintf(stderr, "sim_rng_derive: OpenSSL SHA-256 failed\n");
        abort();
    }

    for (int i = 0; i < 4; i++)
        r->s[i] = load_le64(md + 8 * i);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        sim_rng_seed(r, r->s[0]);
}

double sim_rng_range(sim_rng *r, double lo, double hi)
{
    double u = sim_rng_uniform(r), x;

    if (!(hi > lo))
        return lo;
    x = lo + (hi - lo) * u;
    /* Rounding can land exactly on hi when u is within an ulp of 1. */
    return x < hi ? x : nextafter(hi, lo);
}

int sim_rng_bernoulli(sim_rng *r, double p)
{
    /* u < 1 always and u >= 0, so p >= 1 and p <= 0 (and NaN) need no special case. */
    return sim_rng_uniform(r) < p;
}

double sim_rng_normal(sim_rng *r, double mean, double sd)
{
    /* Separate statements fix the order of the two draws. 1 - u1 lies in (0,1], so the
     * logarithm is finite. */
    double u1 = sim_rng_uniform(r);
    double u2 = sim_rng_uniform(r);
    double radius = sqrt(-2.0 * log1p(-u1));

    return mean + sd * radius * cos(SIM_RNG_TWO_PI * u2);
}

double sim_rng_lognormal(sim_rng *r, double mu, double sigma)
{
    return exp(sim_rng_normal(r, mu, sigma));
}

double sim_rng_triangular(sim_rng *r, double lo, double mode, double hi)
{
    double u = sim_rng_uniform(r), width, x;

    if (!(hi > lo))
        return lo;
    if (!(mode >= lo))
        mode = lo;
    if (mode > hi)
        mode = hi;

    width = hi - lo;
    if (u * width < mode - lo)
        x = lo + sqrt(u * width * (mode - lo));
    else
        x = hi - sqrt((1.0 - u) * width * (hi - mode));
    /* The formulas are exact in real numbers; rounding may step an ulp outside. */
    if (x < lo)
        x = lo;
    if (x > hi)
        x = hi;
    return x;
}

static int weight_counts(double w)
{
    return w > 0 && w <= DBL_MAX; /* false for NaN and infinities */
}

size_t sim_rng_weighted(sim_rng *r, const double *weights, size_t n)
{
    double sum = 0, target, acc = 0;
    size_t i, last = 0;

    for (i = 0; i < n; i++)
        if (weight_counts(weights[i]))
            sum += weights[i];
    if (!(sum > 0))
        return n;

    target = sim_rng_uniform(r) * sum;
    for (i = 0; i < n; i++) {
        if (!weight_counts(weights[i]))
            continue;
        acc += weights[i];
        last = i;
        if (target < acc)
            return i;
    }
    /* Rounding left target at or above the running sum: give it to the last eligible index,
     * never to a zero-weight one. */
    return last;
}
