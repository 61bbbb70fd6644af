/* sim_time.c - the JST calendar behind sim_time_t: parsing, formatting, civil fields.
 *
 * Conversions between days and civil dates use Howard Hinnant's days_from_civil and
 * civil_from_days (proleptic Gregorian, exact for any int64 day count we can meet), so the
 * result never depends on the host's libc, time zone or clock. */
#include "sim_time.h"

#include <errno.h>
#include <string.h>

#define JST_OFFSET (9 * SIM_HOUR)
#define YEAR_MIN 1970
#define YEAR_MAX 9999

/* ---- calendar arithmetic --------------------------------------------------------------- */

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int sim_days_in_month(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

int64_t sim_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sim_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Splits t into a JST day number and the microseconds into that day without ever forming
 * t + 9h, which would overflow near INT64_MAX. */
static void jst_day(sim_time_t t, int64_t *day, int64_t *us)
{
    int64_t q = t / SIM_DAY, r = t % SIM_DAY;
    if (r < 0) {
        r += SIM_DAY;
        q--;
    }
    r += JST_OFFSET;
    if (r >= SIM_DAY) {
        r -= SIM_DAY;
        q++;
    }
    *day = q;
    *us = r;
}

void sim_time_split(sim_time_t t, struct sim_civil *c)
{
    int64_t day, us, y;
    jst_day(t, &day, &us);
    sim_civil_from_days(day, &y, &c->month, &c->day);
    /* |y| < 300000 for every int64 t, so it fits an int. */
    c->year = (int)y;
    c->hour = (int)(us / SIM_HOUR);
    c->min = (int)(us / SIM_MIN % 60);
    c->sec = (int)(us / SIM_SEC % 60);
    c->usec = (int)(us % SIM_SEC);
    int64_t wd = (day + 4) % 7; /* 1970-01-01 was a Thursday */
    c->weekday = (int)(wd < 0 ? wd + 7 : wd);
}

int sim_time_from_civil(const struct sim_civil *c, sim_time_t *out)
{
    if (!c || !out)
        return -EINVAL;
    if (c->year < YEAR_MIN || c->year > YEAR_MAX)
        return -ERANGE;
    if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > sim_days_in_month(c->year, c->month) ||
        c->hour < 0 || c->hour > 23 || c->min < 0 || c->min > 59 || c->sec < 0 || c->sec > 59 ||
        c->usec < 0 || c->usec >= SIM_SEC)
        return -EINVAL;
    /* With years capped at 9999 none of this comes near int64 overflow. */
    *out = sim_days_from_civil(c->year, c->month, c->day) * SIM_DAY + c->hour * SIM_HOUR +
           c->min * SIM_MIN + c->sec * SIM_SEC + c->usec - JST_OFFSET;
    return 0;
}

sim_time_t sim_time_day_start(sim_time_t t)
{
    int64_t day, us;
    jst_day(t, &day, &us);
    return t < INT64_MIN + us ? INT64_MIN : t - us;
}

int sim_time_add(sim_time_t t, int64_t d, sim_time_t *out)
{
    if (t < SIM_TIME_MIN || t > SIM_TIME_MAX) return -ERANGE;
    /* t is within about 2^58 of zero, so only a d near the int64 edge could overflow. */
    if (d > SIM_TIME_MAX - t || d < SIM_TIME_MIN - t) return -ERANGE;
    *out = t + d;
    return 0;
}

/* ---- parsing --------------------------------------------------------------------------- */

/* Our own digit test: isdigit() depends on the locale. */
static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Reads exactly n digits at *p, so "7" never passes for "07". */
static int fixed_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return -EINVAL;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

/* "HH:MM" with an optional ":SS" (reported in *has_sec); range checks are the caller's. */
static int parse_hms(const char **p, struct sim_civil *c, int *has_sec)
{
    const char *s = *p;
    if (fixed_digits(&s, 2, &c->hour) || *s++ != ':' || fixed_digits(&s, 2, &c->min))
        return -EINVAL;
    *has_sec = *s == ':';
    if (*has_sec) {
        s++;
        if (fixed_digits(&s, 2, &c->sec))
            return -EINVAL;
    }
    *p = s;
    return 0;
}

int sim_time_parse(const char *s, sim_time_t *out)
{
    struct sim_civil c = {0};
    int utc = 0, has_sec = 0;

    if (!s || !out)
        return -EINVAL;
    if (fixed_digits(&s, 4, &c.year) || *s++ != '-' || fixed_digits(&s, 2, &c.month) ||
        *s++ != '-' || fixed_digits(&s, 2, &c.day))
        return -EINVAL;
    /* An offset only makes sense after a time of day, so a bare date takes none. */
    if (*s == ' ' || *s == 'T') {
        s++;
        if (parse_hms(&s, &c, &has_sec))
            return -EINVAL;
        /* A fraction belongs to seconds; "08:30.5" is not half a minute. */
        if (*s == '.' && has_sec) {
            int ndig = 0;
            for (s++; is_digit(*s) && ndig < 6; s++, ndig++)
                c.usec = c.usec * 10 + (*s - '0');
            if (ndig == 0 || is_digit(*s))
                return -EINVAL;
            for (; ndig < 6; ndig++)
                c.usec *= 10;
        }
        if (*s == 'Z') {
            utc = 1;
            s++;
        } else if (strncmp(s, "+09:00", 6) == 0) {
            s += 6;
        }
    }
    if (*s != '\0')
        return -EINVAL;

    sim_time_t t;
    int rc = sim_time_from_civil(&c, &t);
    if (rc)
        return rc;
    *out = utc ? t + JST_OFFSET : t;
    return 0;
}

int sim_time_parse_clock(const char *s, int64_t *out_us_of_day)
{
    struct sim_civil c = {0};
    int has_sec;
    if (!s || !out_us_of_day || parse_hms(&s, &c, &has_sec) || *s != '\0')
        return -EINVAL;
    if (c.hour > 23 || c.min > 59 || c.sec > 59)
        return -EINVAL;
    *out_us_of_day = c.hour * SIM_HOUR + c.min * SIM_MIN + c.sec * SIM_SEC;
    return 0;
}

static const struct unit {
    const char *name;
    int64_t us;
} units[] = {
    /* Longest names first so "ms" is not read as "m" followed by junk. */
    {"ms", SIM_MS}, {"us", SIM_US}, {"w", 7 * SIM_DAY}, {"d", SIM_DAY},
    {"h", SIM_HOUR}, {"m", SIM_MIN}, {"s", SIM_SEC},
};

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* frac / 10^k of one unit, exactly, or -EINVAL when that is not a whole microsecond.
 * Writing unit = g*u' and 10^k = g*p' with g their gcd, the product is whole only when p'
 * divides frac, and then it is (frac/p')*u' < unit: no 128-bit arithmetic needed. */
static int frac_of_unit(const char *digits, int k, int64_t unit, int64_t *out)
{
    while (k > 0 && digits[k - 1] == '0')
        k--; /* trailing zeros change nothing; drop them so "1.50000000000000000000h" works */
    /* No unit here has more than 2^13 or 5^10 in it, so a fraction whose last non-zero
     * digit lies beyond the 18th place can never come out whole. */
    if (k > 18)
        return -EINVAL;
    uint64_t frac = 0, pow10 = 1;
    for (int i = 0; i < k; i++) {
        frac = frac * 10 + (uint64_t)(digits[i] - '0');
        pow10 *= 10;
    }
    uint64_t g = gcd_u64((uint64_t)unit, pow10);
    uint64_t p = pow10 / g;
    if (frac % p != 0)
        return -EINVAL;
    *out = (int64_t)(frac / p * ((uint64_t)unit / g));
    return 0;
}

int sim_duration_parse(const char *s, int64_t *out)
{
    int64_t total = 0;
    int overflow = 0;

    if (!s || !out || *s == '\0')
        return -EINVAL;
    while (*s) {
        /* Syntax is checked to the end before overflow is reported, so "99999999999999999999x"
         * is malformed (-EINVAL) rather than too big. */
        const char *ip = s, *fp = NULL;
        int ni = 0, nf = 0;
        while (is_digit(s[ni]))
            ni++;
        if (ni == 0)
            return -EINVAL;
        s += ni;
        if (*s == '.') {
            fp = ++s;
            while (is_digit(s[nf]))
                nf++;
            if (nf == 0)
                return -EINVAL;
            s += nf;
        }
        const struct unit *u = NULL;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t len = strlen(units[i].name);
            if (strncmp(s, units[i].name, len) == 0) {
                u = &units[i];
                s += len;
                break;
            }
        }
        if (!u)
            return -EINVAL;

        int64_t frac = 0;
        if (fp && frac_of_unit(fp, nf, u->us, &frac))
            return -EINVAL;
        if (overflow)
            continue;
        int64_t whole = 0;
        for (int i = 0; i < ni && !overflow; i++) {
            int dig = ip[i] - '0';
            if (whole > (INT64_MAX - dig) / 10)
                overflow = 1;
            else
                whole = whole * 10 + dig;
        }
        /* frac < unit, so whole*unit + frac + total fits iff each step below does. */
        if (overflow || whole > (INT64_MAX - frac) / u->us ||
            total > INT64_MAX - (whole * u->us + frac))
            overflow = 1;
        else
            total += whole * u->us + frac;
    }
    if (overflow)
        return -ERANGE;
    *out = total;
    return 0;
}

/* ---- formatting ------------------------------------------------------------------------ */

/* Appends v in decimal, zero-padded to at least width digits. */
static char *put_uint(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Builds into a private buffer first, so a short caller buffer just truncates the copy. */
static size_t emit(const char *tmp, size_t len, char *buf, size_t n)
{
    if (n > 0) {
        size_t k = len < n ? len : n - 1;
        memcpy(buf, tmp, k);
        buf[k] = '\0';
    }
    return len;
}

static size_t format_civil(sim_time_t t, char sep, int iso, char *buf, size_t n)
{
    char tmp[SIM_TIME_BUFSZ], *p = tmp;
    struct sim_civil c;
    sim_time_split(t, &c);
    /* Years outside 0..9999 only come from times no parser accepts; still print them
     * unambiguously rather than garbled. */
    if (c.year < 0)
        *p++ = '-';
    p = put_uint(p, (uint64_t)(c.year < 0 ? -(int64_t)c.year : c.year), 4);
    *p++ = '-';
    p = put_uint(p, (uint64_t)c.month, 2);
    *p++ = '-';
    p = put_uint(p, (uint64_t)c.day, 2);
    *p++ = sep;
    p = put_uint(p, (uint64_t)c.hour, 2);
    *p++ = ':';
    p = put_uint(p, (uint64_t)c.min, 2);
    *p++ = ':';
    p = put_uint(p, (uint64_t)c.sec, 2);
    if (iso || c.usec) {
        *p++ = '.';
        p = put_uint(p, (uint64_t)c.usec, 6);
    }
    if (iso) {
        memcpy(p, "+09:00", 6);
        p += 6;
    }
    return emit(tmp, (size_t)(p - tmp), buf, n);
}

size_t sim_time_format(sim_time_t t, char *buf, size_t n)
{
    return format_civil(t, ' ', 0, buf, n);
}

size_t sim_time_format_iso(sim_time_t t, char *buf, size_t n)
{
    return format_civil(t, 'T', 1, buf, n);
}

size_t sim_duration_format(int64_t d, char *buf, size_t n)
{
    /* Weeks are left out on purpose: "14d" reads better in a trace than "2w". */
    static const struct unit parts[] = {
        {"d", SIM_DAY}, {"h", SIM_HOUR}, {"m", SIM_MIN},
        {"s", SIM_SEC}, {"ms", SIM_MS},  {"us", SIM_US},
    };
    char tmp[SIM_TIME_BUFSZ], *p = tmp;
    /* Negate in unsigned arithmetic so INT64_MIN has a magnitude too. */
    uint64_t v = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
    if (d < 0)
        *p++ = '-';
    if (v == 0) {
        memcpy(p, "0s", 2);
        p += 2;
    }
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        uint64_t q = v / (uint64_t)parts[i].us;
        if (q == 0)
            continue;
        v %= (uint64_t)parts[i].us;
        p = put_uint(p, q, 1);
        size_t len = strlen(parts[i].name);
        memcpy(p, parts[i].name, len);
        p += len;
    }
    return emit(tmp, (size_t)(p - tmp), buf, n);
}
