/* sim_calendar.c - dates, Japanese public holidays by the rules of the Act on National
 * Holidays, business days, fiscal years and operating hours (see sim_calendar.h).
 *
 * A year's holidays are computed in three steps, as the act defines them:
 *   1. the national holidays (国民の祝日) of that year, with the dates each amendment gave
 *      them, plus the one-off days of special laws;
 *   2. substitute holidays (第3条第2項): from 1973-04-12 a national holiday on a Sunday makes
 *      the next day a holiday; from 2007 the next day that is not a national holiday;
 *   3. citizens' holidays (第3条第3項): from 1985-12-27 a day between two national holidays
 *      is a holiday (until 2006 only when it was neither a Sunday nor a substitute holiday).
 * Only the two 2019 enthronement days count as national holidays for steps 2 and 3 (their
 * law says so); the earlier one-off days were plain days off. Cross-checked day by day
 * against @holiday-jp/holiday_jp for 1970-2050 by tests/test_calendar.c. */
#include "sim_calendar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dates ----------------------------------------------------------------------------- */

void sim_date_ymd(sim_date date, int *year, int *month, int *day)
{
    int64_t y;
    int m, d;
    sim_civil_from_days((int64_t)date, &y, &m, &d);
    if (year) *year = (int)y;
    if (month) *month = m;
    if (day) *day = d;
}

int sim_date_from_ymd(int year, int month, int day, sim_date *out)
{
    if (year < 1970 || year > 9999) return -ERANGE;
    if (month < 1 || month > 12 || day < 1 || day > sim_days_in_month(year, month)) return -EINVAL;
    *out = (sim_date)sim_days_from_civil(year, month, day);
    return 0;
}

/* Internal: a date we know is valid (the rules below only build real dates). */
static sim_date ymd(int year, int month, int day) { return (sim_date)sim_days_from_civil(year, month, day); }

int sim_date_weekday(sim_date d)
{
    int w = (int)(((int64_t)d + 4) % 7);   /* 1970-01-01 was a Thursday */
    return w < 0 ? w + 7 : w;
}

sim_date sim_date_of(sim_time_t t)
{
    /* floor((t + 9h) / 1 day) without forming t + 9h, which could overflow */
    int64_t q = t / SIM_DAY, r = t % SIM_DAY;
    if (r < 0) {
        r += SIM_DAY;
        q--;
    }
    if (r + 9 * SIM_HOUR >= SIM_DAY) q++;
    return (sim_date)q;
}

sim_time_t sim_date_time(sim_date d) { return (sim_time_t)d * SIM_DAY - 9 * SIM_HOUR; }

int sim_date_parse(const char *s, sim_date *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -EINVAL;
    int v[3] = {0, 0, 0};
    static const int pos[3][2] = {{0, 4}, {5, 2}, {8, 2}};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < pos[k][1]; i++) {
            char ch = s[pos[k][0] + i];
            if (ch < '0' || ch > '9') return -EINVAL;
            v[k] = v[k] * 10 + (ch - '0');
        }
    return sim_date_from_ymd(v[0], v[1], v[2], out);
}

size_t sim_date_format(sim_date d, char *buf, size_t n)
{
    int y, m, day;
    sim_date_ymd(d, &y, &m, &day);
    int len = snprintf(buf, n, "%04d-%02d-%02d", y, m, day);
    return len < 0 ? 0 : (size_t)len;
}

int sim_fiscal_year(sim_date d)
{
    int y, m;
    sim_date_ymd(d, &y, &m, NULL);
    return m >= 4 ? y : y - 1;
}

/* ---- public holidays ------------------------------------------------------------------- */

const char *sim_holiday_kind_name(sim_holiday_kind k)
{
    switch (k) {
    case SIM_HOLIDAY_NATIONAL: return "national";
    case SIM_HOLIDAY_SPECIAL: return "special";
    case SIM_HOLIDAY_SUBSTITUTE: return "substitute";
    case SIM_HOLIDAY_CITIZENS: return "citizens";
    default: return "none";
    }
}

/* The n-th Monday of a month (Happy Monday, 2000 and 2003 amendments). */
static int nth_monday(int year, int month, int n)
{
    int first = sim_date_weekday(ymd(year, month, 1));
    int offset = (1 - first + 7) % 7;
    return 1 + offset + 7 * (n - 1);
}

/* The equinox days by the usual formula (国立天文台's calculation as popularly approximated),
 * in integer millionths so no floating point is involved. C's truncating division on the
 * 1900-1979 branch is what gives the observed dates of the 1970s (1970-09-23). */
static int equinox_day(int year, bool autumn)
{
    int64_t base, shift;
    if (year <= 1979) {
        base = autumn ? 23258800 : 20835700;
        shift = (year - 1983) / 4;
    } else {
        base = autumn ? 23248800 : 20843100;
        shift = (year - 1980) / 4;
    }
    int64_t v = base + INT64_C(242194) * (year - 1980) - INT64_C(1000000) * shift;
    return (int)(v / 1000000);
}

enum { MAX_PER_YEAR = 32 };

typedef struct entry {
    sim_date date;
    sim_holiday_kind kind;
    const char *ja, *en;
    const char *for_ja, *for_en;
    bool national;              /* counts as a 国民の祝日 for substitutes and citizens' days */
} entry;

typedef struct year_list {
    entry e[MAX_PER_YEAR];
    int n;
} year_list;

static void add(year_list *l, int y, int m, int d, sim_holiday_kind kind, const char *ja, const char *en)
{
    if (l->n == MAX_PER_YEAR) return;   /* cannot happen: a year has about 20 */
    l->e[l->n++] = (entry){.date = ymd(y, m, d), .kind = kind, .ja = ja, .en = en,
                           .national = kind == SIM_HOLIDAY_NATIONAL};
}

static const entry *find(const year_list *l, sim_date d)
{
    for (int i = 0; i < l->n; i++)
        if (l->e[i].date == d) return &l->e[i];
    return NULL;
}

static bool is_national(const year_list *l, sim_date d)
{
    const entry *e = find(l, d);
    return e && e->national;
}

static int by_date(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->date > y->date) - (x->date < y->date);
}

/* Step 1: the national holidays of `y` and the special days. */
static void national_holidays(int y, year_list *l)
{
    const sim_holiday_kind N = SIM_HOLIDAY_NATIONAL;
    add(l, y, 1, 1, N, "元日", "New Year's Day");
    if (y < 2000) add(l, y, 1, 15, N, "成人の日", "Coming of Age Day");
    else add(l, y, 1, nth_monday(y, 1, 2), N, "成人の日", "Coming of Age Day");
    add(l, y, 2, 11, N, "建国記念の日", "National Foundation Day");            /* from 1967 */
    if (y >= 2020) add(l, y, 2, 23, N, "天皇誕生日", "Emperor's Birthday");
    add(l, y, 3, equinox_day(y, false), N, "春分の日", "Vernal Equinox Day");
    if (y <= 1988) add(l, y, 4, 29, N, "天皇誕生日", "Emperor's Birthday");
    else if (y <= 2006) add(l, y, 4, 29, N, "みどりの日", "Greenery Day");
    else add(l, y, 4, 29, N, "昭和の日", "Showa Day");
    add(l, y, 5, 3, N, "憲法記念日", "Constitution Memorial Day");
    if (y >= 2007) add(l, y, 5, 4, N, "みどりの日", "Greenery Day");
    add(l, y, 5, 5, N, "こどもの日", "Children's Day");
    if (y == 2020) add(l, y, 7, 23, N, "海の日", "Marine Day");               /* Olympics */
    else if (y == 2021) add(l, y, 7, 22, N, "海の日", "Marine Day");
    else if (y >= 2003) add(l, y, 7, nth_monday(y, 7, 3), N, "海の日", "Marine Day");
    else if (y >= 1996) add(l, y, 7, 20, N, "海の日", "Marine Day");
    if (y == 2020) add(l, y, 8, 10, N, "山の日", "Mountain Day");
    else if (y == 2021) add(l, y, 8, 8, N, "山の日", "Mountain Day");
    else if (y >= 2016) add(l, y, 8, 11, N, "山の日", "Mountain Day");
    if (y >= 2003) add(l, y, 9, nth_monday(y, 9, 3), N, "敬老の日", "Respect for the Aged Day");
    else add(l, y, 9, 15, N, "敬老の日", "Respect for the Aged Day");       /* from 1966 */
    add(l, y, 9, equinox_day(y, true), N, "秋分の日", "Autumnal Equinox Day");
    if (y == 2020) add(l, y, 7, 24, N, "スポーツの日", "Sports Day");
    else if (y == 2021) add(l, y, 7, 23, N, "スポーツの日", "Sports Day");
    else if (y >= 2022) add(l, y, 10, nth_monday(y, 10, 2), N, "スポーツの日", "Sports Day");
    else if (y >= 2000) add(l, y, 10, nth_monday(y, 10, 2), N, "体育の日", "Health and Sports Day");
    else add(l, y, 10, 10, N, "体育の日", "Health and Sports Day");           /* from 1966 */
    add(l, y, 11, 3, N, "文化の日", "Culture Day");
    add(l, y, 11, 23, N, "勤労感謝の日", "Labour Thanksgiving Day");
    if (y >= 1989 && y <= 2018) add(l, y, 12, 23, N, "天皇誕生日", "Emperor's Birthday");

    const sim_holiday_kind S = SIM_HOLIDAY_SPECIAL;
    if (y == 1989) add(l, y, 2, 24, S, "昭和天皇の大喪の礼", "State Funeral of Emperor Showa");
    if (y == 1990) add(l, y, 11, 12, S, "即位礼正殿の儀", "Enthronement Ceremony");
    if (y == 1993) add(l, y, 6, 9, S, "皇太子徳仁親王の結婚の儀", "Wedding of Crown Prince Naruhito");
    if (y == 2019) {
        add(l, y, 5, 1, S, "天皇の即位の日", "Enthronement Day");
        l->e[l->n - 1].national = true;   /* 平成30年法律第99号: deemed a national holiday */
        add(l, y, 10, 22, S, "即位礼正殿の儀の行われる日", "Enthronement Ceremony Day");
        l->e[l->n - 1].national = true;
    }
    qsort(l->e, (size_t)l->n, sizeof l->e[0], by_date);
}

/* Steps 2 and 3, appended to the national holidays; the list is sorted again at the end. */
static void year_holidays(int y, year_list *l)
{
    l->n = 0;
    national_holidays(y, l);
    const sim_date substitute_from = ymd(1973, 4, 12), citizens_from = ymd(1985, 12, 27);
    const sim_date extended = ymd(2007, 1, 1);
    int nnational = l->n;
    for (int i = 0; i < nnational; i++) {
        const entry *h = &l->e[i];
        if (!h->national || sim_date_weekday(h->date) != 0 || h->date < substitute_from) continue;
        sim_date s = h->date + 1;
        if (h->date >= extended)
            while (is_national(l, s)) s++;
        else if (is_national(l, s))
            continue;   /* before 2007: only the very next day, and it was a holiday already */
        if (find(l, s)) continue;
        const char *ja = h->ja, *en = h->en;
        add(l, y, 1, 1, SIM_HOLIDAY_SUBSTITUTE, "振替休日", "Substitute holiday");
        entry *e = &l->e[l->n - 1];
        e->date = s;
        e->for_ja = ja;
        e->for_en = en;
    }
    int nbefore = l->n;
    for (int i = 0; i < nbefore; i++) {
        sim_date d = l->e[i].date + 1;   /* a day after a national holiday and before another */
        if (!l->e[i].national || d < citizens_from || find(l, d) || !is_national(l, d + 1)) continue;
        if (d < extended && sim_date_weekday(d) == 0) continue;
        add(l, y, 1, 1, SIM_HOLIDAY_CITIZENS, "国民の休日", "Citizens' holiday");
        l->e[l->n - 1].date = d;
    }
    qsort(l->e, (size_t)l->n, sizeof l->e[0], by_date);
}

static void to_holiday(const entry *e, sim_holiday *out)
{
    *out = (sim_holiday){.date = e->date, .kind = e->kind, .name_ja = e->ja, .name_en = e->en,
                         .for_ja = e->for_ja, .for_en = e->for_en};
}

int sim_holidays_in_year(int year, sim_holiday *out, int max)
{
    if (year < SIM_HOLIDAY_YEAR_MIN || year > SIM_HOLIDAY_YEAR_MAX) return -ERANGE;
    year_list l;
    year_holidays(year, &l);
    for (int i = 0; i < l.n && i < max; i++) to_holiday(&l.e[i], &out[i]);
    return l.n;
}

int sim_holiday_of(sim_date d, sim_holiday *out)
{
    int y;
    sim_date_ymd(d, &y, NULL, NULL);
    if (y < SIM_HOLIDAY_YEAR_MIN || y > SIM_HOLIDAY_YEAR_MAX) return -ERANGE;
    year_list l;
    year_holidays(y, &l);
    const entry *e = find(&l, d);
    if (!e) return 0;
    if (out) to_holiday(e, out);
    return 1;
}

/* ---- operating calendar ---------------------------------------------------------------- */

void sim_calendar_init(sim_calendar *c)
{
    memset(c, 0, sizeof *c);
    c->closed_weekdays = 1u << 0 | 1u << 6;
    c->holidays_closed = true;
    c->year_end_closed = true;
    c->open = 8 * SIM_HOUR + 30 * SIM_MIN;
    c->close = 17 * SIM_HOUR + 15 * SIM_MIN;
}

void sim_calendar_free(sim_calendar *c)
{
    free(c->closed);
    free(c->opened);
    c->closed = c->opened = NULL;
    c->nclosed = c->nopened = 0;
}

static bool list_has(const sim_date *v, size_t n, sim_date d)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] == d) return true;
        if (v[mid] < d) lo = mid + 1; else hi = mid;
    }
    return false;
}

static void list_remove(sim_date *v, size_t *n, sim_date d)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == d) {
            memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
            (*n)--;
            return;
        }
}

static int list_insert(sim_date **v, size_t *n, sim_date d)
{
    if (list_has(*v, *n, d)) return 0;
    sim_date *p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p) return -ENOMEM;
    *v = p;
    size_t i = *n;
    while (i > 0 && p[i - 1] > d) {
        p[i] = p[i - 1];
        i--;
    }
    p[i] = d;
    (*n)++;
    return 0;
}

int sim_calendar_set_closed(sim_calendar *c, sim_date d)
{
    list_remove(c->opened, &c->nopened, d);
    return list_insert(&c->closed, &c->nclosed, d);
}

int sim_calendar_set_open(sim_calendar *c, sim_date d)
{
    list_remove(c->closed, &c->nclosed, d);
    return list_insert(&c->opened, &c->nopened, d);
}

static bool holiday_cached(sim_calendar *c, sim_date d)
{
    int y, m, day;
    sim_date_ymd(d, &y, &m, &day);
    if (y < SIM_HOLIDAY_YEAR_MIN || y > SIM_HOLIDAY_YEAR_MAX) return false;
    int k = y - SIM_HOLIDAY_YEAR_MIN;
    if (!c->holiday_cached[k]) {
        year_list l;
        year_holidays(y, &l);
        memset(c->holiday_bits[k], 0, sizeof c->holiday_bits[k]);
        sim_date jan1 = ymd(y, 1, 1);
        for (int i = 0; i < l.n; i++) {
            int doy = l.e[i].date - jan1;
            c->holiday_bits[k][doy / 8] |= (uint8_t)(1u << (doy % 8));
        }
        c->holiday_cached[k] = true;
    }
    int doy = d - ymd(y, 1, 1);
    return c->holiday_bits[k][doy / 8] & (1u << (doy % 8));
}

bool sim_calendar_is_business_day(sim_calendar *c, sim_date d)
{
    if (c->nopened && list_has(c->opened, c->nopened, d)) return true;
    if (c->nclosed && list_has(c->closed, c->nclosed, d)) return false;
    if (c->closed_weekdays & (1u << sim_date_weekday(d))) return false;
    if (c->year_end_closed) {
        int m, day;
        sim_date_ymd(d, NULL, &m, &day);
        if ((m == 12 && day >= 29) || (m == 1 && day <= 3)) return false;
    }
    return !(c->holidays_closed && holiday_cached(c, d));
}

int64_t sim_calendar_business_days(sim_calendar *c, sim_date a, sim_date b)
{
    int64_t n = 0;
    if (b >= a) {
        for (sim_date d = a + 1; d <= b; d++) n += sim_calendar_is_business_day(c, d);
        return n;
    }
    for (sim_date d = b; d < a; d++) n += sim_calendar_is_business_day(c, d);
    return -n;
}

sim_date sim_calendar_add_business_days(sim_calendar *c, sim_date d, int64_t n)
{
    /* A calendar with every weekday closed would never get there: give up after a century. */
    int64_t guard = 36600 + (n < 0 ? -n : n) * 8;
    while (n > 0 && guard-- > 0) {
        d++;
        n -= sim_calendar_is_business_day(c, d);
    }
    while (n < 0 && guard-- > 0) {
        d--;
        n += sim_calendar_is_business_day(c, d);
    }
    return d;
}

sim_date sim_calendar_next_business_day(sim_calendar *c, sim_date d)
{
    for (int guard = 0; guard < 36600 && !sim_calendar_is_business_day(c, d); guard++) d++;
    return d;
}

bool sim_calendar_is_open(sim_calendar *c, sim_time_t t)
{
    sim_date d = sim_date_of(t);
    int64_t of_day = t - sim_date_time(d);
    return of_day >= c->open && of_day < c->close && sim_calendar_is_business_day(c, d);
}

sim_time_t sim_calendar_next_open(sim_calendar *c, sim_time_t t)
{
    if (sim_calendar_is_open(c, t)) return t;
    sim_date d = sim_date_of(t);
    if (!(sim_calendar_is_business_day(c, d) && t - sim_date_time(d) < c->open))
        d = sim_calendar_next_business_day(c, d + 1);
    return sim_date_time(d) + c->open;
}
