/* sim_time.h - virtual simulation time and its calendar.
 *
 * A sim_time_t is microseconds since 1970-01-01T00:00:00Z. Every human-facing form (parsed
 * or printed) is Japan Standard Time, UTC+09:00, which has no daylight saving. The calendar
 * is pure integer arithmetic: no libc time functions, no TZ, no wall clock, no state, so a
 * run reads the same on every machine. Functions return 0 or a negative errno (-EINVAL for
 * malformed input, -ERANGE for overflow or a year outside 1970-9999); format functions
 * return the full length like snprintf and always NUL-terminate when n > 0. */
#ifndef RENKEI_SIM_TIME_H
#define RENKEI_SIM_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time_t;

#define SIM_US   INT64_C(1)
#define SIM_MS   INT64_C(1000)
#define SIM_SEC  INT64_C(1000000)
#define SIM_MIN  (60 * SIM_SEC)
#define SIM_HOUR (60 * SIM_MIN)
#define SIM_DAY  (24 * SIM_HOUR)
#define SIM_TIME_BUFSZ 40 /* enough for every format below incl. NUL */

/* The supported range. Every time that comes from outside (a script, the dashboard, the
 * command line) lies in [SIM_TIME_MIN, SIM_TIME_MAX], the years the parser takes, and every
 * duration in [0, SIM_DURATION_MAX]; so a supported time plus a few supported durations is
 * far from int64 overflow. A time plus a duration from outside is formed with sim_time_add,
 * which refuses (-ERANGE) what would leave the range. SIM_TIME_RANGE and SIM_DURATION_RANGE
 * say it in words, for error messages ("... out of range (supported: " SIM_TIME_RANGE ")"). */
#define SIM_TIME_MIN (-9 * SIM_HOUR)                                  /* 1970-01-01 00:00 JST */
#define SIM_TIME_MAX (INT64_C(253402300799999999) - 9 * SIM_HOUR)     /* 9999-12-31 23:59:59.999999 JST */
#define SIM_DURATION_MAX (2922000 * SIM_DAY)                          /* about 8000 years */
#define SIM_TIME_RANGE "times 1970-01-01 00:00 to 9999-12-31 23:59:59.999999 JST"
#define SIM_DURATION_RANGE "durations 0 to 2922000d, about 8000 years"

struct sim_civil {
    int year, month, day, hour, min, sec, usec;
    int weekday; /* 0 = Sunday */
};

/* "YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,6}]][+09:00|Z]]"; JST unless Z. */
int sim_time_parse(const char *s, sim_time_t *out);
/* "HH:MM" or "HH:MM:SS" -> microseconds since midnight. */
int sim_time_parse_clock(const char *s, int64_t *out_us_of_day);
/* "<number><unit>..." with units w d h m s ms us, e.g. "1h30m", "1.5h", "250ms". */
int sim_duration_parse(const char *s, int64_t *out);

/* "2017-11-13 08:30:00", with ".ffffff" only when the microseconds are non-zero. */
size_t sim_time_format(sim_time_t t, char *buf, size_t n);
/* Always "2017-11-13T08:30:00.000000+09:00". */
size_t sim_time_format_iso(sim_time_t t, char *buf, size_t n);
/* Canonical, largest unit first, zero parts left out: "3d2h", "1m30s", "1s500ms", "0s". */
size_t sim_duration_format(int64_t d, char *buf, size_t n);

/* *out = t + d when t and the sum are supported times; else -ERANGE (nothing written). d may
 * be negative; sim_time_add(t, 0, &t) checks that t is supported. Never overflows. */
int sim_time_add(sim_time_t t, int64_t d, sim_time_t *out);

/* JST calendar fields of t; defined for every int64 value. */
void sim_time_split(sim_time_t t, struct sim_civil *c);
/* JST fields -> time; validates every field except weekday, which it ignores. */
int sim_time_from_civil(const struct sim_civil *c, sim_time_t *out);
/* Day counts since 1970-01-01 <-> proleptic Gregorian dates (Howard Hinnant's algorithms),
 * for calendars built on this one (sim_calendar.c). */
int64_t sim_days_from_civil(int64_t y, int m, int d);
void sim_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int sim_days_in_month(int64_t y, int m);
/* JST midnight starting t's day (INT64_MIN if that instant is not representable). */
sim_time_t sim_time_day_start(sim_time_t t);

#endif
