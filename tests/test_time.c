/* test_time.c - unit tests for sim/sim_time: the JST calendar, parsers and formatters.
 *
 * Expected instants were computed independently with GNU date, e.g.
 * `date -d '2017-11-13 08:30 +0900' +%s`, and the calendar is cross-checked day by day
 * against a naive month-length walk from 1970 to 9999. */
#include "check.h"
#include "sim_time.h"

#include <errno.h>

#define S(x) ((int64_t)(x) * SIM_SEC)

/* Parses s and returns the time, or INT64_MIN with the error in *rc. */
static sim_time_t tparse(const char *s, int *rc)
{
    sim_time_t t = INT64_MIN;
    *rc = sim_time_parse(s, &t);
    return t;
}

static int trc(const char *s)
{
    sim_time_t t = 12345;
    int rc = sim_time_parse(s, &t);
    /* A failing parse must leave *out alone. */
    if (rc != 0 && t != 12345)
        return 1;
    return rc;
}

static int drc(const char *s)
{
    int64_t d = 12345;
    int rc = sim_duration_parse(s, &d);
    if (rc != 0 && d != 12345)
        return 1;
    return rc;
}

static int64_t dparse(const char *s)
{
    int64_t d = -1;
    int rc = sim_duration_parse(s, &d);
    return rc ? rc : d;
}

static const char *tfmt(sim_time_t t, char *buf)
{
    size_t len = sim_time_format(t, buf, SIM_TIME_BUFSZ);
    return len == strlen(buf) ? buf : "(bad length)";
}

static const char *dfmt(int64_t d, char *buf)
{
    size_t len = sim_duration_format(d, buf, SIM_TIME_BUFSZ);
    return len == strlen(buf) ? buf : "(bad length)";
}

static void test_known_instants(void)
{
    int rc;
    CHECK_INT(tparse("2017-11-13 08:30", &rc), S(1510529400));
    CHECK_INT(rc, 0);
    CHECK_INT(tparse("2017-11-13T08:30", &rc), S(1510529400));
    CHECK_INT(tparse("2017-11-13 08:30:00", &rc), S(1510529400));
    CHECK_INT(tparse("2017-11-13 08:30:00+09:00", &rc), S(1510529400));
    CHECK_INT(tparse("2017-11-13T08:30:00.000000+09:00", &rc), S(1510529400));
    CHECK_INT(tparse("2017-11-12 23:30Z", &rc), S(1510529400));
    CHECK_INT(tparse("2017-11-12T23:30:00.0Z", &rc), S(1510529400));
    CHECK_INT(tparse("2017-11-13", &rc), S(1510498800));
    CHECK_INT(tparse("2016-02-29", &rc), S(1456671600));
    CHECK_INT(tparse("2000-02-29 12:34:56", &rc), S(951795296));
    CHECK_INT(tparse("2024-03-01", &rc), S(1709218800));
    CHECK_INT(tparse("2038-01-19 03:14:08Z", &rc), S(2147483648));
    CHECK_INT(tparse("1970-01-01 00:00Z", &rc), 0);
    CHECK_INT(tparse("1970-01-01", &rc), S(-32400));
    CHECK_INT(rc, 0);
    CHECK_INT(tparse("9999-12-31 23:59:59.999999", &rc), S(253402268399) + 999999);
    CHECK_INT(tparse("9999-12-31 23:59:59.999999Z", &rc), S(253402268399 + 32400) + 999999);

    /* Fractions are scaled by their digit count, not read as microseconds. */
    CHECK_INT(tparse("2017-11-13 08:30:00.5", &rc), S(1510529400) + 500000);
    CHECK_INT(tparse("2017-11-13 08:30:00.05", &rc), S(1510529400) + 50000);
    CHECK_INT(tparse("2017-11-13 08:30:00.123456", &rc), S(1510529400) + 123456);
    CHECK_INT(tparse("2017-11-13 08:30:00.000001", &rc), S(1510529400) + 1);
    CHECK_INT(tparse("2017-11-13 08:30:59.99999", &rc), S(1510529459) + 999990);
    CHECK_INT(rc, 0);
}

static void test_leap_and_ranges(void)
{
    int rc;
    CHECK_INT(tparse("2016-02-29 23:59:59", &rc), S(1456671600 + 86399));
    CHECK_INT(tparse("2000-02-29", &rc), S(951750000));
    CHECK_INT(rc, 0);
    CHECK_INT(trc("2017-02-29"), -EINVAL);
    CHECK_INT(trc("2100-02-29"), -EINVAL);
    CHECK_INT(trc("2016-02-30"), -EINVAL);
    CHECK_INT(trc("2017-04-31"), -EINVAL);
    CHECK_INT(trc("2017-12-32"), -EINVAL);
    CHECK_INT(trc("2017-13-01"), -EINVAL);
    CHECK_INT(trc("2017-00-01"), -EINVAL);
    CHECK_INT(trc("2017-01-00"), -EINVAL);
    CHECK_INT(trc("2017-01-01 24:00"), -EINVAL);
    CHECK_INT(trc("2017-01-01 23:60"), -EINVAL);
    CHECK_INT(trc("2017-01-01 23:59:60"), -EINVAL);
    CHECK_INT(trc("1900-02-29"), -ERANGE);
    CHECK_INT(trc("1969-12-31 23:59:59"), -ERANGE);
    CHECK_INT(trc("0000-01-01"), -ERANGE);
    CHECK_INT(trc("1970-01-01 00:00"), 0);
    CHECK_INT(trc("9999-12-31 23:59:59"), 0);
}

static void test_malformed(void)
{
    static const char *bad[] = {
        "", " ", "2017", "2017-11", "2017-11-13 ", " 2017-11-13", "2017-11-13x",
        "2017-1-13", "2017-11-3", "17-11-13", "02017-11-13", "2017/11/13", "2017-11-13  08:30",
        "2017-11-13 8:30", "2017-11-13 08:3", "2017-11-13 08", "2017-11-13 08:", "2017-11-13 0830",
        "2017-11-13 08:30:", "2017-11-13 08:30:0", "2017-11-13 08:30:000", "2017-11-13t08:30",
        "2017-11-13_08:30", "2017-11-13 08:30:00.", "2017-11-13 08:30:00.1234567",
        "2017-11-13 08:30:00.0000001",
        "2017-11-13 08:30.5", "2017-11-13 08:30:00,5", "2017-11-13 08:30:00.-5",
        "2017-11-13 08:30z", "2017-11-13 08:30+0900", "2017-11-13 08:30+09",
        "2017-11-13 08:30+08:00",
        "2017-11-13 08:30-09:00", "2017-11-13 08:30+09:00 ", "2017-11-13 08:30Z ",
        "2017-11-13 08:30ZZ", "2017-11-13 08:30+09:00Z", "2017-11-13 08:30 Z", "2017-11-13Z",
        "2017-11-13+09:00", "+2017-11-13", "-2017-11-13", "2017-+1-13", "20a7-11-13",
        "2017-11-13 08:30\n", "10000-01-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (trc(bad[i]) != -EINVAL) {
            fprintf(stderr, "accepted or misjudged time \"%s\"\n", bad[i]);
            CHECK_INT(trc(bad[i]), -EINVAL);
        }
    }
    sim_time_t t;
    CHECK_INT(sim_time_parse(NULL, &t), -EINVAL);
    CHECK_INT(sim_time_parse("2017-11-13", NULL), -EINVAL);
}

static void test_clock(void)
{
    int64_t us = -1;
    CHECK_INT(sim_time_parse_clock("08:30", &us), 0);
    CHECK_INT(us, 8 * SIM_HOUR + 30 * SIM_MIN);
    CHECK_INT(sim_time_parse_clock("23:59:59", &us), 0);
    CHECK_INT(us, SIM_DAY - SIM_SEC);
    CHECK_INT(sim_time_parse_clock("00:00", &us), 0);
    CHECK_INT(us, 0);
    static const char *bad[] = {
        "", "8:30", "08:3", "0830", "24:00", "23:60", "23:59:60", "08:30:", "08:30:5",
        "08:30:00.5", " 08:30", "08:30 ", "08:30Z", "08:30+09:00", "-1:00", "08-30",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        us = 777;
        int rc = sim_time_parse_clock(bad[i], &us);
        if (rc != -EINVAL || us != 777) {
            fprintf(stderr, "accepted or misjudged clock \"%s\"\n", bad[i]);
            CHECK_INT(rc, -EINVAL);
            CHECK_INT(us, 777);
        }
    }
    CHECK_INT(sim_time_parse_clock(NULL, &us), -EINVAL);
}

static void test_split_and_weekday(void)
{
    struct sim_civil c;
    sim_time_split(S(1510529400) + 42, &c);
    CHECK_INT(c.year, 2017);
    CHECK_INT(c.month, 11);
    CHECK_INT(c.day, 13);
    CHECK_INT(c.hour, 8);
    CHECK_INT(c.min, 30);
    CHECK_INT(c.sec, 0);
    CHECK_INT(c.usec, 42);
    CHECK_INT(c.weekday, 1); /* Monday */

    /* UTC 1970-01-01 00:00 is already 09:00 JST. */
    sim_time_split(0, &c);
    CHECK_INT(c.year, 1970);
    CHECK_INT(c.day, 1);
    CHECK_INT(c.hour, 9);
    CHECK_INT(c.weekday, 4); /* Thursday */

    /* 1969-12-31 23:59:59.999999 JST: negative times split with floor semantics. */
    sim_time_split(S(-32400) - 1, &c);
    CHECK_INT(c.year, 1969);
    CHECK_INT(c.month, 12);
    CHECK_INT(c.day, 31);
    CHECK_INT(c.hour, 23);
    CHECK_INT(c.sec, 59);
    CHECK_INT(c.usec, 999999);
    CHECK_INT(c.weekday, 3); /* Wednesday */

    static const struct { int64_t s; int wd; } known[] = {
        {946652400, 6},   /* 2000-01-01 JST, Saturday */
        {1456671600, 1},  /* 2016-02-29, Monday */
        {951750000, 2},   /* 2000-02-29, Tuesday */
        {1709218800, 5},  /* 2024-03-01, Friday */
        {253402268399, 5} /* 9999-12-31 23:59:59, Friday */
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        sim_time_split(S(known[i].s), &c);
        CHECK_INT(c.weekday, known[i].wd);
    }

    /* The extremes must split without overflow and into sane fields. */
    sim_time_split(INT64_MAX, &c);
    CHECK(c.year > 290000 && c.month >= 1 && c.month <= 12 && c.hour >= 0 && c.hour < 24);
    CHECK_INT(c.usec, 775807);
    sim_time_split(INT64_MIN, &c);
    CHECK(c.year < -290000 && c.day >= 1 && c.day <= 31 && c.weekday >= 0 && c.weekday < 7);
    CHECK_INT(c.usec, 224192);
}

static int naive_month_len(int y, int m)
{
    if (m == 2)
        return (y % 400 == 0 || (y % 4 == 0 && y % 100 != 0)) ? 29 : 28;
    return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
}

/* Walks every day from 1970-01-01 to 9999-12-31 with a naive calendar and checks split and
 * from_civil agree with it, at a time of day that moves so every hour gets exercised. */
static void test_calendar_walk(void)
{
    int y = 1970, m = 1, d = 1, wd = 4, bad = 0;
    int64_t day = 0;
    while (y <= 9999 && bad < 5) {
        int64_t tod = (day * 7919 * SIM_SEC + day) % SIM_DAY;
        sim_time_t t = day * SIM_DAY + tod - 9 * SIM_HOUR;
        struct sim_civil c;
        sim_time_split(t, &c);
        int64_t back = -1;
        int rc = sim_time_from_civil(&c, &back);
        if (c.year != y || c.month != m || c.day != d || c.weekday != wd || rc != 0 ||
            back != t || c.hour * SIM_HOUR + c.min * SIM_MIN + c.sec * SIM_SEC + c.usec != tod ||
            sim_time_day_start(t) != t - tod) {
            fprintf(stderr, "calendar walk mismatch at %04d-%02d-%02d (got %d-%d-%d wd %d)\n", y,
                    m, d, c.year, c.month, c.day, c.weekday);
            bad++;
        }
        day++;
        wd = (wd + 1) % 7;
        if (++d > naive_month_len(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    CHECK_INT(bad, 0);
    CHECK_INT(day, 2932897); /* days from 1970-01-01 to 10000-01-01 */
}

static void test_from_civil(void)
{
    struct sim_civil c = {2017, 11, 13, 8, 30, 0, 7, 99 /* weekday ignored */};
    sim_time_t t = 0;
    CHECK_INT(sim_time_from_civil(&c, &t), 0);
    CHECK_INT(t, S(1510529400) + 7);

    struct sim_civil base = c;
    c = base, c.usec = 1000000;
    CHECK_INT(sim_time_from_civil(&c, &t), -EINVAL);
    c = base, c.usec = -1;
    CHECK_INT(sim_time_from_civil(&c, &t), -EINVAL);
    c = base, c.sec = -1;
    CHECK_INT(sim_time_from_civil(&c, &t), -EINVAL);
    c = base, c.min = 60;
    CHECK_INT(sim_time_from_civil(&c, &t), -EINVAL);
    c = base, c.hour = -1;
    CHECK_INT(sim_time_from_civil(&c, &t), -EINVAL);
    c = base, c.month = 2, c.day = 29;
    CHECK_INT(sim_time_from_civil(&c, &t), -EINVAL);
    c = base, c.year = 10000;
    CHECK_INT(sim_time_from_civil(&c, &t), -ERANGE);
    c = base, c.year = 1969;
    CHECK_INT(sim_time_from_civil(&c, &t), -ERANGE);
    CHECK_INT(t, S(1510529400) + 7); /* untouched by the failures */
    CHECK_INT(sim_time_from_civil(NULL, &t), -EINVAL);
    CHECK_INT(sim_time_from_civil(&base, NULL), -EINVAL);
}

static void test_day_start(void)
{
    CHECK_INT(sim_time_day_start(S(1510529400) + 5), S(1510498800));
    CHECK_INT(sim_time_day_start(S(1510498800)), S(1510498800));
    CHECK_INT(sim_time_day_start(S(1510498800) - 1), S(1510498800 - 86400));
    /* 1970-01-01 08:59 JST is before the epoch but still on the 1st in Japan. */
    CHECK_INT(sim_time_day_start(-1), S(-32400));
    CHECK_INT(sim_time_day_start(0), S(-32400));
    CHECK_INT(sim_time_day_start(S(15 * 3600)), S(15 * 3600));
    CHECK_INT(sim_time_day_start(INT64_MIN), INT64_MIN);
    struct sim_civil c;
    sim_time_split(sim_time_day_start(INT64_MAX), &c);
    CHECK(c.hour == 0 && c.min == 0 && c.sec == 0 && c.usec == 0);
    CHECK(INT64_MAX - sim_time_day_start(INT64_MAX) < SIM_DAY);
}

static void test_time_format(void)
{
    char buf[SIM_TIME_BUFSZ];
    CHECK_STR(tfmt(S(1510529400), buf), "2017-11-13 08:30:00");
    CHECK_STR(tfmt(S(1510529400) + 500, buf), "2017-11-13 08:30:00.000500");
    CHECK_STR(tfmt(S(-32400), buf), "1970-01-01 00:00:00");
    CHECK_STR(tfmt(S(253402268399) + 999999, buf), "9999-12-31 23:59:59.999999");

    CHECK_INT(sim_time_format_iso(S(1510529400), buf, sizeof buf), 32);
    CHECK_STR(buf, "2017-11-13T08:30:00.000000+09:00");
    sim_time_format_iso(S(951795296) + 123456, buf, sizeof buf);
    CHECK_STR(buf, "2000-02-29T12:34:56.123456+09:00");

    /* Truncation: snprintf-like length, always terminated, never past n. */
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK_INT(sim_time_format(S(1510529400), small, 5), 19);
    CHECK_STR(small, "2017");
    CHECK_INT(small[5], 'x');
    CHECK_INT(sim_time_format(S(1510529400), small, 1), 19);
    CHECK_STR(small, "");
    CHECK_INT(sim_time_format(S(1510529400), NULL, 0), 19);
    CHECK_INT(sim_time_format_iso(S(1510529400), NULL, 0), 32);

    /* The extremes fit in SIM_TIME_BUFSZ. */
    CHECK(sim_time_format_iso(INT64_MIN, buf, sizeof buf) < sizeof buf);
    CHECK_INT(buf[0], '-');
    CHECK(sim_time_format_iso(INT64_MAX, buf, sizeof buf) < sizeof buf);
}

static void test_time_round_trip(void)
{
    int rc, bad = 0;
    sim_time_t lo = S(-32400), hi = S(253402268399) + 999999;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 200000 && bad < 5; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        sim_time_t t = lo + (sim_time_t)(x % (uint64_t)(hi - lo + 1));
        if (i % 3 == 0)
            t -= t % SIM_SEC; /* whole seconds take the short form */
        char a[SIM_TIME_BUFSZ], b[SIM_TIME_BUFSZ];
        sim_time_format(t, a, sizeof a);
        sim_time_format_iso(t, b, sizeof b);
        sim_time_t ta = tparse(a, &rc), tb = tparse(b, &rc);
        if (ta != t || tb != t) {
            fprintf(stderr, "round trip of %" PRId64 " failed: %s / %s\n", t, a, b);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
}

static void test_duration_parse(void)
{
    CHECK_INT(dparse("90s"), 90 * SIM_SEC);
    CHECK_INT(dparse("2h"), 2 * SIM_HOUR);
    CHECK_INT(dparse("3d"), 3 * SIM_DAY);
    CHECK_INT(dparse("2w"), 14 * SIM_DAY);
    CHECK_INT(dparse("5m"), 300 * SIM_SEC);
    CHECK_INT(dparse("250ms"), 250000);
    CHECK_INT(dparse("10us"), 10);
    CHECK_INT(dparse("0s"), 0);
    CHECK_INT(dparse("0us"), 0);
    CHECK_INT(dparse("1h30m"), 90 * SIM_MIN);
    CHECK_INT(dparse("1m30s"), 90 * SIM_SEC);
    CHECK_INT(dparse("1w2d3h4m5s6ms7us"),
              9 * SIM_DAY + 3 * SIM_HOUR + 4 * SIM_MIN + 5 * SIM_SEC + 6007);
    CHECK_INT(dparse("1s1s"), 2 * SIM_SEC);
    CHECK_INT(dparse("30s1h"), SIM_HOUR + 30 * SIM_SEC);
    CHECK_INT(dparse("007s"), 7 * SIM_SEC);

    /* Fractions are exact, never via floating point. */
    CHECK_INT(dparse("0.1s"), 100000);
    CHECK_INT(dparse("1.5h"), 5400000000);
    CHECK_INT(dparse("0.3s"), 300000);
    CHECK_INT(dparse("2.25d"), 54 * SIM_HOUR);
    CHECK_INT(dparse("0.001ms"), 1);
    CHECK_INT(dparse("0.000001s"), 1);
    CHECK_INT(dparse("1.5ms"), 1500);
    CHECK_INT(dparse("0.0000001w"), 60480);
    CHECK_INT(dparse("1.000000000000000000000000s"), SIM_SEC);
    CHECK_INT(dparse("0.5m1.5s"), 31500000);
    CHECK_INT(dparse("1.0us"), 1);
    CHECK_INT(drc("0.5us"), -EINVAL);
    CHECK_INT(drc("0.0001ms"), -EINVAL);
    CHECK_INT(drc("0.0000001s"), -EINVAL);
    CHECK_INT(drc("0.0000000000001w"), -EINVAL);
    CHECK_INT(drc("0.00000000000000000000001h"), -EINVAL);
    CHECK_INT(drc("1.0000000000000000000000001s"), -EINVAL);

    /* Overflow is -ERANGE, right at the int64 edge. */
    CHECK_INT(dparse("9223372036854775807us"), INT64_MAX);
    CHECK_INT(dparse("106751991d4h54s775ms807us"), INT64_MAX);
    CHECK_INT(dparse("15250284w"), 15250284 * 7 * SIM_DAY);
    CHECK_INT(drc("9223372036854775808us"), -ERANGE);
    CHECK_INT(drc("106751991d4h54s775ms808us"), -ERANGE);
    CHECK_INT(drc("15250285w"), -ERANGE);
    CHECK_INT(drc("9223372036854775807us1us"), -ERANGE);
    CHECK_INT(drc("99999999999999999999999999s"), -ERANGE);
    CHECK_INT(drc("9223372036854775807.5ms"), -ERANGE);
    CHECK_INT(drc("106751991.5d"), -ERANGE);
    /* Malformed beats too big. */
    CHECK_INT(drc("99999999999999999999999999x"), -EINVAL);
    CHECK_INT(drc("99999999999999999999999999s1"), -EINVAL);

    static const char *bad[] = {
        "", "s", "ms", "1", "1.5", "-1s", "+1s", " 1s", "1s ", "1 s", "1s 2s", "1x", "1S",
        "1H", "1.s", ".5s", "1..5s", "1.5.5s", "1h30", "1m30x", "1mss", "1u", "1sec",
        "1min", "1hr", "1e3s", "0x10s", "1,5s", "1_000s", "1s,", "1µs", "1s\n", "1ns",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (drc(bad[i]) != -EINVAL) {
            fprintf(stderr, "accepted or misjudged duration \"%s\"\n", bad[i]);
            CHECK_INT(drc(bad[i]), -EINVAL);
        }
    }
    int64_t d;
    CHECK_INT(sim_duration_parse(NULL, &d), -EINVAL);
    CHECK_INT(sim_duration_parse("1s", NULL), -EINVAL);
}

static void test_duration_format(void)
{
    char buf[SIM_TIME_BUFSZ];
    CHECK_STR(dfmt(3 * SIM_DAY + 2 * SIM_HOUR, buf), "3d2h");
    CHECK_STR(dfmt(90 * SIM_MIN, buf), "1h30m");
    CHECK_STR(dfmt(90 * SIM_SEC, buf), "1m30s");
    CHECK_STR(dfmt(250 * SIM_MS, buf), "250ms");
    CHECK_STR(dfmt(1500 * SIM_MS, buf), "1s500ms");
    CHECK_STR(dfmt(10, buf), "10us");
    CHECK_STR(dfmt(0, buf), "0s");
    CHECK_STR(dfmt(14 * SIM_DAY, buf), "14d");
    CHECK_STR(dfmt(SIM_DAY + 1, buf), "1d1us");
    CHECK_STR(dfmt(1001, buf), "1ms1us");
    CHECK_STR(dfmt(-90 * SIM_SEC, buf), "-1m30s");
    CHECK_STR(dfmt(-1, buf), "-1us");
    CHECK_STR(dfmt(INT64_MAX, buf), "106751991d4h54s775ms807us");
    CHECK_STR(dfmt(INT64_MIN, buf), "-106751991d4h54s775ms808us");

    char small[4] = "zzz";
    CHECK_INT(sim_duration_format(90 * SIM_SEC, small, 3), 5);
    CHECK_STR(small, "1m");
    CHECK_INT(sim_duration_format(90 * SIM_SEC, NULL, 0), 5);
}

static void test_duration_round_trip(void)
{
    int bad = 0;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 300000 && bad < 5; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t d;
        /* Spread over every magnitude, and hit the unit boundaries on purpose. */
        switch (i % 4) {
        case 0: d = (int64_t)(x >> 1); break;
        case 1: d = (int64_t)((x >> 1) >> (x % 63)); break;
        case 2: d = (int64_t)(x % 1000) * SIM_SEC * (int64_t)(1 + x % 3600); break;
        default: d = i; break;
        }
        char buf[SIM_TIME_BUFSZ];
        int64_t back = -1;
        size_t len = sim_duration_format(d, buf, sizeof buf);
        int rc = sim_duration_parse(buf, &back);
        if (len >= sizeof buf || rc != 0 || back != d) {
            fprintf(stderr, "duration round trip of %" PRId64 " failed: \"%s\" -> %" PRId64 "\n",
                    d, buf, back);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    static const int64_t edge[] = {0, 1, 999, 1000, 999999, SIM_SEC, SIM_MIN - 1, SIM_HOUR,
                                   SIM_DAY - 1, SIM_DAY, 7 * SIM_DAY, INT64_MAX - 1, INT64_MAX};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        char buf[SIM_TIME_BUFSZ];
        sim_duration_format(edge[i], buf, sizeof buf);
        CHECK_INT(dparse(buf), edge[i]);
    }
}

int main(void)
{
    test_known_instants();
    test_leap_and_ranges();
    test_malformed();
    test_clock();
    test_split_and_weekday();
    test_calendar_walk();
    test_from_civil();
    test_day_start();
    test_time_format();
    test_time_round_trip();
    test_duration_parse();
    test_duration_format();
    test_duration_round_trip();
    CHECK_DONE();
}
