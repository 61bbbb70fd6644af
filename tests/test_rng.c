/* test_rng.c - tests for sim/sim_rng: bit-exact agreement with an independent xoshiro256** +
 * splitmix64 written here, the per-name derivation (known answers, independence when a node
 * is added), the distributions' moments over 10^6 draws, and every function's draw count.
 *
 * The seeds are fixed, so the statistical checks are deterministic; their bounds are still
 * honest (5 standard errors, estimated from the sample) so that a change of seed or of a
 * formula that is actually right would not trip them. */
#include "check.h"
#include "sim_rng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define N_DRAWS 1000000
#define SIGMAS 5.0

/* ---- independent reference, written from the published algorithms ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z;

    *x += 0x9e3779b97f4a7c15ULL;
    z = *x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void ref_seed(uint64_t s[4], uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&seed);
}

static uint64_t ref_next(uint64_t s[4])
{
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

static double ref_uniform(uint64_t s[4]) { return (double)(ref_next(s) >> 11) / 9007199254740992.0; }

static uint32_t ref_below(uint64_t s[4], uint32_t n)
{
    __extension__ typedef unsigned __int128 u128;
    return (uint32_t)(((u128)ref_next(s) * (u128)n) >> 64);
}

static double ref_exponential(uint64_t s[4], double mean) { return -mean * log1p(-ref_uniform(s)); }

static void test_reference(void)
{
    static const uint64_t seeds[] = {1, 0, 0xdeadbeefcafef00dULL};
    uint64_t x = 0;

    /* Published first outputs pin the reference itself, not just agreement with it. */
    CHECK(splitmix64(&x) == 0xe220a8397b1dcdafULL);
    {
        sim_rng r = {{1, 2, 3, 4}};
        CHECK(sim_rng_next(&r) == 11520ULL);
        CHECK(sim_rng_next(&r) == 0ULL);
        CHECK(sim_rng_next(&r) == 1509978240ULL);
        CHECK(sim_rng_next(&r) == 1215971899390074240ULL);
    }

    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        sim_rng r;
        uint64_t s[4];
        int same = 1;

        sim_rng_seed(&r, seeds[k]);
        ref_seed(s, seeds[k]);
        CHECK(memcmp(r.s, s, sizeof s) == 0);
        for (int i = 0; i < 1000; i++)
            same &= sim_rng_next(&r) == ref_next(s);
        CHECK(same);

        same = 1;
        for (int i = 0; i < 1000; i++)
            same &= sim_rng_uniform(&r) == ref_uniform(s);
        CHECK(same);

        same = 1;
        for (int i = 0; i < 1000; i++) {
            static const uint32_t ns[] = {0, 1, 2, 3, 7, 1000, 0x80000000u, UINT32_MAX};
            uint32_t n = ns[i % 8];
            same &= sim_rng_below(&r, n) == ref_below(s, n);
        }
        CHECK(same);

        same = 1;
        for (int i = 0; i < 1000; i++) {
            double mean = 0.25 + i;
            same &= sim_rng_exponential(&r, mean) == ref_exponential(s, mean);
        }
        CHECK(same);
        CHECK(memcmp(r.s, s, sizeof s) == 0);
    }
}

/* ---- derivation ---- */

static int same_stream(sim_rng a, sim_rng b, int draws)
{
    for (int i = 0; i < draws; i++)
        if (sim_rng_next(&a) != sim_rng_next(&b))
            return 0;
    return 1;
}

static void test_derive(void)
{
    sim_rng a, b;

    /* Known answers (Python: hashlib.sha256(struct.pack('<Q', seed) + name)) fix the format:
     * changing it would change every run's trace. */
    {
        static const struct {
            uint64_t seed;
            const char *name;
            uint64_t s[4];
        } kat[] = {
            {42, "nws", {0xd0d9924c6e07bf3dULL, 0x7d26b2cd1a7ab68eULL, 0xadadcd69b4e060bbULL,
                         0x569c1dde0be3f2dfULL}},
            {0, "", {0x7a0b81a1f57055afULL, 0x0f660ac74baf8cf7ULL, 0x4d1df9ba421ef50dULL,
                     0xfc3de8e08d32b2e5ULL}},
            {0x0102030405060708ULL, "site-1", {0x968f71efbdb85050ULL, 0xd13ac905438fa94dULL,
                                               0x34855cc2becf2b27ULL, 0x2a73e2e3f3933b49ULL}},
        };
        for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
            sim_rng_derive(&a, kat[i].seed, kat[i].name);
            CHECK(memcmp(a.s, kat[i].s, sizeof a.s) == 0);
        }
    }

    /* A name longer than the on-stack buffer. */
    {
        static const uint64_t want[4] = {0xf4c781e3b50bc31cULL, 0x3e57205036421c85ULL,
                                         0x4a36e31a46d74880ULL, 0xf4b560eac8a2775fULL};
        char *name = malloc(1001);
        CHECK(name != NULL);
        if (name) {
            memset(name, 'x', 1000);
            name[1000] = '\0';
            sim_rng_derive(&a, 7, name);
            CHECK(memcmp(a.s, want, sizeof want) == 0);
            name[999] = 'y';
            sim_rng_derive(&b, 7, name);
            CHECK(!same_stream(a, b, 4));
            free(name);
        }
    }

    sim_rng_derive(&a, 1, NULL);
    sim_rng_derive(&b, 1, "");
    CHECK(same_stream(a, b, 100));

    sim_rng_derive(&a, 99, "municipality-13101");
    sim_rng_derive(&b, 99, "municipality-13101");
    CHECK(same_stream(a, b, 1000));

    sim_rng_derive(&b, 99, "municipality-13102");
    CHECK(!same_stream(a, b, 4));
    sim_rng_derive(&a, 99, "node1");
    sim_rng_derive(&b, 99, "node10");
    CHECK(!same_stream(a, b, 4));
    sim_rng_derive(&a, 1, "site-kanto");
    sim_rng_derive(&b, 2, "site-kanto");
    CHECK(!same_stream(a, b, 4));
    sim_rng_derive(&b, 1 | (1ULL << 56), "site-kanto"); /* only the top byte differs */
    CHECK(!same_stream(a, b, 4));
    /* Derivation must not collapse to the plain seeded stream. */
    sim_rng_seed(&b, 1);
    CHECK(!same_stream(a, b, 4));

    /* Adding node C (derived between A and B, and drawn from in between) leaves A and B as
     * they were in the world without C. */
    {
        enum { DRAWS = 500 };
        static uint64_t a1[DRAWS], b1[DRAWS], a2[DRAWS], b2[DRAWS], c2[DRAWS];
        sim_rng ra, rb, rc;

        sim_rng_derive(&ra, 2024, "A");
        sim_rng_derive(&rb, 2024, "B");
        for (int i = 0; i < DRAWS; i++) {
            a1[i] = sim_rng_next(&ra);
            b1[i] = sim_rng_next(&rb);
        }

        sim_rng_derive(&ra, 2024, "A");
        sim_rng_derive(&rc, 2024, "C");
        sim_rng_derive(&rb, 2024, "B");
        for (int i = 0; i < DRAWS; i++) {
            a2[i] = sim_rng_next(&ra);
            c2[i] = sim_rng_next(&rc);
            b2[i] = sim_rng_next(&rb);
        }
        CHECK(memcmp(a1, a2, sizeof a1) == 0);
        CHECK(memcmp(b1, b2, sizeof b1) == 0);
        CHECK(memcmp(c2, a2, sizeof c2) != 0);
        CHECK(memcmp(c2, b2, sizeof c2) != 0);
    }

    /* Streams for neighbouring names are uncorrelated. */
    {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, corr;

        sim_rng_derive(&a, 5, "site-1");
        sim_rng_derive(&b, 5, "site-2");
        for (int i = 0; i < N_DRAWS; i++) {
            double x = sim_rng_uniform(&a), y = sim_rng_uniform(&b);
            sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
        }
        corr = (sxy - sx * sy / N_DRAWS) /
               sqrt((sxx - sx * sx / N_DRAWS) * (syy - sy * sy / N_DRAWS));
        printf("derive: corr(site-1, site-2) = %+.5f (bound %.4f)\n", corr,
               SIGMAS / sqrt(N_DRAWS));
        CHECK_NEAR(corr, 0.0, SIGMAS / sqrt(N_DRAWS));
    }
}

/* ---- distributions ---- */

/* Checks sample mean and variance against the truth, each within SIGMAS standard errors. The
 * errors come from the sample itself: sqrt(var/n) for the mean, sqrt((m4 - var^2)/n) for the
 * variance. */
static void check_moments(const char *what, const double *x, size_t n, double mean, double var)
{
    double m = 0, m2 = 0, m4 = 0, se_mean, se_var;

    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = (x[i] - m) * (x[i] - m);
        m2 += d;
        m4 += d * d;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    se_mean = sqrt(m2 / (double)n);
    se_var = sqrt((m4 - m2 * m2) / (double)n);
    printf("%-12s mean %.5f (want %.5f +- %.5f)  var %.5f (want %.5f +- %.5f)\n", what, m, mean,
           SIGMAS * se_mean, m2, var, SIGMAS * se_var);
    CHECK_NEAR(m, mean, SIGMAS * se_mean);
    CHECK_NEAR(m2, var, SIGMAS * se_var);
}

/* Checks an observed count of a binomial(n, p) event within SIGMAS standard errors. */
static void check_rate(const char *what, size_t hits, size_t n, double p)
{
    double rate = (double)hits / (double)n, se = sqrt(p * (1 - p) / (double)n);

    printf("%-12s rate %.5f (want %.5f +- %.5f)\n", what, rate, p, SIGMAS * se);
    CHECK_NEAR(rate, p, SIGMAS * se);
}

static void test_uniform_range_exponential(double *x)
{
    sim_rng r;
    size_t inside, above;

    sim_rng_seed(&r, 11);
    inside = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = sim_rng_uniform(&r);
        inside += x[i] >= 0 && x[i] < 1;
    }
    CHECK_INT(inside, N_DRAWS);
    check_moments("uniform", x, N_DRAWS, 0.5, 1.0 / 12);

    inside = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = sim_rng_range(&r, -3.0, 5.0);
        inside += x[i] >= -3.0 && x[i] < 5.0;
    }
    CHECK_INT(inside, N_DRAWS);
    check_moments("range", x, N_DRAWS, 1.0, 64.0 / 12);
    CHECK(sim_rng_range(&r, 2.0, 2.0) == 2.0);
    CHECK(sim_rng_range(&r, 2.0, 1.0) == 2.0);
    /* An interval one ulp wide can only give lo. */
    CHECK(sim_rng_range(&r, 1.0, nextafter(1.0, 2.0)) == 1.0);

    above = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = sim_rng_exponential(&r, 2.5);
        above += x[i] > 2.5;
    }
    check_moments("exponential", x, N_DRAWS, 2.5, 6.25);
    check_rate("exp > mean", above, N_DRAWS, exp(-1.0));
}

static void test_normal_lognormal(double *x)
{
    sim_rng r;
    size_t within = 0;
    const double mu = 0.2, sigma = 0.5;

    sim_rng_seed(&r, 12);
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = sim_rng_normal(&r, 10.0, 3.0);
        within += fabs(x[i] - 10.0) < 3.0;
    }
    check_moments("normal", x, N_DRAWS, 10.0, 9.0);
    check_rate("normal 1sd", within, N_DRAWS, erf(1.0 / sqrt(2.0)));

    for (int i = 0; i < N_DRAWS; i++)
        x[i] = sim_rng_lognormal(&r, mu, sigma);
    check_moments("lognormal", x, N_DRAWS, exp(mu + sigma * sigma / 2),
                  (exp(sigma * sigma) - 1) * exp(2 * mu + sigma * sigma));
}

static void test_triangular(double *x)
{
    static const struct {
        double lo, mode, hi;
    } cases[] = {{1, 2, 6}, {1, 1, 6}, {1, 6, 6}, {-0.3, 0.1, 0.2}};
    sim_rng r;

    sim_rng_seed(&r, 13);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double a = cases[k].lo, c = cases[k].mode, b = cases[k].hi;
        size_t inside = 0, below_mode = 0;
        char what[64];

        for (int i = 0; i < N_DRAWS; i++) {
            x[i] = sim_rng_triangular(&r, a, c, b);
            inside += x[i] >= a && x[i] <= b;
            below_mode += x[i] < c;
        }
        CHECK_INT(inside, N_DRAWS);
        snprintf(what, sizeof what, "tri(%g,%g,%g)", a, c, b);
        check_moments(what, x, N_DRAWS, (a + b + c) / 3,
                      (a * a + b * b + c * c - a * b - a * c - b * c) / 18);
        if (c > a && c < b)
            check_rate("tri < mode", below_mode, N_DRAWS, (c - a) / (b - a));
    }

    /* Degenerate arguments stay inside the documented result. */
    CHECK(sim_rng_triangular(&r, 3, 3, 3) == 3);
    CHECK(sim_rng_triangular(&r, 3, 4, 2) == 3);
    for (int i = 0; i < 1000; i++) {
        double v = sim_rng_triangular(&r, 0, 7, 1); /* mode clamped to hi */
        CHECK(v >= 0 && v <= 1);
    }
}

static void test_bernoulli(void)
{
    sim_rng r;
    size_t hits = 0, zero = 0, one = 0, nan = 0, neg = 0, big = 0;

    sim_rng_seed(&r, 14);
    for (int i = 0; i < N_DRAWS; i++)
        hits += sim_rng_bernoulli(&r, 0.3);
    check_rate("bernoulli", hits, N_DRAWS, 0.3);

    for (int i = 0; i < 10000; i++) {
        zero += sim_rng_bernoulli(&r, 0.0);
        one += sim_rng_bernoulli(&r, 1.0);
        nan += sim_rng_bernoulli(&r, NAN);
        neg += sim_rng_bernoulli(&r, -1.0);
        big += sim_rng_bernoulli(&r, 2.0);
    }
    CHECK_INT(zero, 0);
    CHECK_INT(one, 10000);
    CHECK_INT(nan, 0);
    CHECK_INT(neg, 0);
    CHECK_INT(big, 10000);
}

static void test_weighted(void)
{
    static const double w[] = {1.0, 0.0, INFINITY, 3.0, -2.0, NAN, 6.0};
    enum { NW = sizeof w / sizeof w[0] };
    static const double none[] = {0.0, -1.0, NAN, -INFINITY};
    size_t counts[NW + 1] = {0};
    sim_rng r, before;

    sim_rng_seed(&r, 15);
    for (int i = 0; i < N_DRAWS; i++) {
        size_t k = sim_rng_weighted(&r, w, NW);
        counts[k < NW ? k : NW]++;
    }
    check_rate("weighted[0]", counts[0], N_DRAWS, 0.1);
    check_rate("weighted[3]", counts[3], N_DRAWS, 0.3);
    check_rate("weighted[6]", counts[6], N_DRAWS, 0.6);
    CHECK_INT(counts[1], 0);
    CHECK_INT(counts[2], 0);
    CHECK_INT(counts[4], 0);
    CHECK_INT(counts[5], 0);
    CHECK_INT(counts[NW], 0);

    /* A zero weight first must never win, even for u = 0. */
    {
        static const double w2[] = {0.0, 0.0, 1.0};
        sim_rng z = {{1, 0, 0, 0}}; /* the first output depends on s[1] only: 0 gives u = 0 */
        CHECK_INT(sim_rng_weighted(&z, w2, 3), 2);
    }

    before = r;
    CHECK_INT(sim_rng_weighted(&r, none, 4), 4);
    CHECK_INT(sim_rng_weighted(&r, NULL, 0), 0);
    CHECK(memcmp(&before, &r, sizeof r) == 0);
}

static void test_below(void)
{
    enum { N = 7 };
    size_t counts[N] = {0}, ok;
    double sum = 0;
    sim_rng r;

    sim_rng_seed(&r, 16);
    for (int i = 0; i < N_DRAWS; i++) {
        uint32_t v = sim_rng_below(&r, N);
        CHECK(v < N);
        if (v < N)
            counts[v]++;
    }
    for (int k = 0; k < N; k++) {
        char what[32];
        snprintf(what, sizeof what, "below(7)=%d", k);
        check_rate(what, counts[k], N_DRAWS, 1.0 / N);
    }

    ok = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        uint32_t v = sim_rng_below(&r, 1000);
        ok += v < 1000;
        sum += v;
    }
    CHECK_INT(ok, N_DRAWS);
    /* Mean of uniform {0..999} is 499.5 with sd sqrt((1000^2-1)/12). */
    CHECK_NEAR(sum / N_DRAWS, 499.5, SIGMAS * sqrt((1000.0 * 1000 - 1) / 12 / N_DRAWS));

    ok = 0;
    for (int i = 0; i < 100000; i++) {
        ok += sim_rng_below(&r, UINT32_MAX) < UINT32_MAX;
        ok += sim_rng_below(&r, 1) == 0;
        ok += sim_rng_below(&r, 0) == 0;
    }
    CHECK_INT(ok, 300000);
}

/* ---- draw counts ---- */

/* How many sim_rng_next calls take from to to (up to 8), or -1. */
static int draws_between(const sim_rng *from, const sim_rng *to)
{
    sim_rng t = *from;

    for (int k = 0; k <= 8; k++) {
        if (memcmp(&t, to, sizeof t) == 0)
            return k;
        sim_rng_next(&t);
    }
    return -1;
}

static void test_draw_counts(void)
{
    static const double w[] = {0.0, 2.0, 0.0, 1.0};
    static const double none[] = {0.0, -1.0};
    sim_rng base, r;

    sim_rng_seed(&base, 17);

    /* Each call runs on a copy of base; base then moves on, so branches see varied draws. */
#define EXPECT_DRAWS(k, call)                                                            \
    do {                                                                                 \
        r = base;                                                                        \
        (void)(call);                                                                    \
        CHECK_INT(draws_between(&base, &r), k);                                          \
        sim_rng_next(&base);                                                             \
    } while (0)

    for (int i = 0; i < 200; i++) {
        EXPECT_DRAWS(1, sim_rng_next(&r));
        EXPECT_DRAWS(1, sim_rng_uniform(&r));
        EXPECT_DRAWS(1, sim_rng_below(&r, 10));
        EXPECT_DRAWS(1, sim_rng_below(&r, 0));
        EXPECT_DRAWS(1, sim_rng_exponential(&r, 3.0));
        EXPECT_DRAWS(1, sim_rng_range(&r, 0.0, 1.0));
        EXPECT_DRAWS(1, sim_rng_range(&r, 1.0, 1.0));
        EXPECT_DRAWS(1, sim_rng_bernoulli(&r, 0.5));
        EXPECT_DRAWS(1, sim_rng_bernoulli(&r, 0.0));
        EXPECT_DRAWS(1, sim_rng_bernoulli(&r, 1.0));
        EXPECT_DRAWS(1, sim_rng_bernoulli(&r, NAN));
        EXPECT_DRAWS(2, sim_rng_normal(&r, 0.0, 1.0));
        EXPECT_DRAWS(2, sim_rng_normal(&r, 5.0, 0.0));
        EXPECT_DRAWS(2, sim_rng_lognormal(&r, 0.0, 1.0));
        EXPECT_DRAWS(1, sim_rng_triangular(&r, 0.0, 0.5, 1.0));
        EXPECT_DRAWS(1, sim_rng_triangular(&r, 0.0, 0.0, 1.0));
        EXPECT_DRAWS(1, sim_rng_triangular(&r, 0.0, 1.0, 1.0));
        EXPECT_DRAWS(1, sim_rng_triangular(&r, 2.0, 1.0, 1.0));
        EXPECT_DRAWS(1, sim_rng_weighted(&r, w, 4));
        EXPECT_DRAWS(0, sim_rng_weighted(&r, none, 2));
        EXPECT_DRAWS(0, sim_rng_weighted(&r, NULL, 0));
    }
#undef EXPECT_DRAWS

    /* Seeding and deriving replace the state regardless of what it was. */
    {
        sim_rng a, b;
        sim_rng_seed(&a, 3);
        sim_rng_next(&a);
        sim_rng_seed(&a, 3);
        sim_rng_seed(&b, 3);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        sim_rng_derive(&a, 3, "x");
        sim_rng_next(&a);
        sim_rng_derive(&a, 3, "x");
        sim_rng_derive(&b, 3, "x");
        CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
}

int main(void)
{
    double *x = malloc(N_DRAWS * sizeof *x);

    CHECK(x != NULL);
    if (!x)
        CHECK_DONE();

    test_reference();
    test_derive();
    test_uniform_range_exponential(x);
    test_normal_lognormal(x);
    test_triangular(x);
    test_bernoulli();
    test_weighted();
    test_below();
    test_draw_counts();

    free(x);
    CHECK_DONE();
}
