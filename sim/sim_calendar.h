/* sim_calendar.h - dates, Japanese public holidays, business days, fiscal years and operating
 * hours: the calendar a schedule is planned on. Domain-agnostic (nothing of My Number here).
 *
 * A sim_date is a civil date in Japan Standard Time counted in days since 1970-01-01. Public
 * holidays are computed by the rules of the Act on National Holidays (国民の祝日に関する法律,
 * 昭和23年法律第178号) as amended, not looked up: Happy Monday (2000, 2003), the equinox days by
 * the usual astronomical formula, the substitute holiday (振替休日) from 1973-04-12 and its
 * 2007 extension, the citizens' holiday (国民の休日) between two holidays from 1985-12-27, the
 * one-off days set by special laws (1989, 1990, 1993, and the 2019 enthronement days, which
 * count as national holidays), and the moves for the 2020 and 2021 Olympic Games. The rules
 * are known for 1970-2099; holidays in later years are predictions (the equinox days are
 * announced a year ahead), and the functions refuse years outside that range.
 *
 * An operating calendar (sim_calendar) says which days are business days (weekends, public
 * holidays, the year-end closure of government offices from 12/29 to 1/3 under 行政機関の休日
 * に関する法律, extra closed or open dates) and the operating hours. It is a plain struct the
 * caller owns; no process state. Functions return 0 or a negative errno. */
#ifndef RENKEI_SIM_CALENDAR_H
#define RENKEI_SIM_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_time.h"

typedef int32_t sim_date;            /* days since 1970-01-01 (JST civil date) */
#define SIM_DATE_BUFSZ 11            /* "YYYY-MM-DD" and NUL */
#define SIM_HOLIDAY_YEAR_MIN 1970
#define SIM_HOLIDAY_YEAR_MAX 2099

/* ---- dates ----------------------------------------------------------------------------- */

/* -EINVAL for a day that does not exist, -ERANGE outside years 1970-9999. */
int sim_date_from_ymd(int year, int month, int day, sim_date *out);
void sim_date_ymd(sim_date d, int *year, int *month, int *day);
int sim_date_weekday(sim_date d);                 /* 0 = Sunday .. 6 = Saturday */
sim_date sim_date_of(sim_time_t t);               /* the JST date t falls on */
sim_time_t sim_date_time(sim_date d);             /* JST midnight starting d */
/* "YYYY-MM-DD" exactly. */
int sim_date_parse(const char *s, sim_date *out);
/* "YYYY-MM-DD"; returns the length like snprintf. */
size_t sim_date_format(sim_date d, char *buf, size_t n);
/* The Japanese fiscal year (April to March) d belongs to: 2017-03-31 is in fiscal 2016. */
int sim_fiscal_year(sim_date d);

/* ---- public holidays ------------------------------------------------------------------- */

typedef enum sim_holiday_kind {
    SIM_HOLIDAY_NONE = 0,
    SIM_HOLIDAY_NATIONAL,       /* 国民の祝日 named by the act */
    SIM_HOLIDAY_SPECIAL,        /* a one-off day set by a special law */
    SIM_HOLIDAY_SUBSTITUTE,     /* 振替休日: a national holiday fell on a Sunday */
    SIM_HOLIDAY_CITIZENS,       /* 国民の休日: a weekday between two national holidays */
} sim_holiday_kind;

typedef struct sim_holiday {
    sim_date date;
    sim_holiday_kind kind;
    const char *name_ja, *name_en;  /* static strings */
    const char *for_ja, *for_en;    /* substitute: the holiday it stands in for; else NULL */
} sim_holiday;

/* 1 and *out filled when d is a public holiday, 0 when not, -ERANGE outside 1970-2099. */
int sim_holiday_of(sim_date d, sim_holiday *out);
/* Every holiday of `year` in date order into out[0..max); returns how many there are (which
 * may exceed max: no year has more than 32), or -ERANGE. */
int sim_holidays_in_year(int year, sim_holiday *out, int max);
const char *sim_holiday_kind_name(sim_holiday_kind k);   /* "national", "special", ... */

/* ---- operating calendar ---------------------------------------------------------------- */

typedef struct sim_calendar {
    uint8_t closed_weekdays;    /* bit w set: weekday w (0 = Sunday) is closed */
    bool holidays_closed;       /* public holidays are closed */
    bool year_end_closed;       /* 12/29 to 1/3 closed (government offices) */
    int64_t open, close;        /* operating hours, µs after midnight; open < close */
    sim_date *closed, *opened;  /* extra closed / open dates, sorted, no duplicates */
    size_t nclosed, nopened;
    /* Cache of the holiday bitmap per year, filled on first use (the struct is the owner). */
    uint8_t holiday_bits[SIM_HOLIDAY_YEAR_MAX - SIM_HOLIDAY_YEAR_MIN + 1][46];
    bool holiday_cached[SIM_HOLIDAY_YEAR_MAX - SIM_HOLIDAY_YEAR_MIN + 1];
} sim_calendar;

/* Defaults of a Japanese government office: Saturday, Sunday, public holidays and 12/29-1/3
 * closed; open 08:30-17:15. */
void sim_calendar_init(sim_calendar *c);
void sim_calendar_free(sim_calendar *c);
/* Mark one date closed (a local closure) or open (a working Saturday); the later call for
 * the same date wins. -ENOMEM. */
int sim_calendar_set_closed(sim_calendar *c, sim_date d);
int sim_calendar_set_open(sim_calendar *c, sim_date d);

/* Whether d is a business day. Dates outside the holiday range count weekends only. */
bool sim_calendar_is_business_day(sim_calendar *c, sim_date d);
/* The business days after a up to and including b: the n with add_business_days(a, n) == b
 * when b is a business day. Negative when b is before a (then: the business days from b up
 * to but excluding a, negated). */
int64_t sim_calendar_business_days(sim_calendar *c, sim_date a, sim_date b);
/* The n-th business day after d (n > 0) or before it (n < 0); d itself when n == 0. */
sim_date sim_calendar_add_business_days(sim_calendar *c, sim_date d, int64_t n);
/* d if it is a business day, else the next business day. */
sim_date sim_calendar_next_business_day(sim_calendar *c, sim_date d);

/* Whether t falls within operating hours of a business day. */
bool sim_calendar_is_open(sim_calendar *c, sim_time_t t);
/* t if open, else the next opening time. */
sim_time_t sim_calendar_next_open(sim_calendar *c, sim_time_t t);

#endif
