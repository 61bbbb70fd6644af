/* sim_json.c - the strict JSON reader of sim_json.h: a hand-written RFC 8259 scanner (an explicit
 * stack, never recursion; every byte looked at a bounded number of times) that checks the text,
 * then cJSON, which parses what the scanner passed.
 *
 * Duplicate keys: every key read goes into one open-addressing table, tagged with the object it
 * belongs to, so each object has its own set in effect; keys are hashed with SipHash-2-4 under
 * a key drawn from the system's entropy at each call (only when the text has a key), so no
 * input can be built to make the keys collide and the check stays linear. */
#include "sim_json.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- UTF-8 ----------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (n bytes available; p[0] >= 0x80), or 0:
 * shortest forms only, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t k;
    unsigned char lo = 0x80, hi = 0xbf;   /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) k = 2;
    else if (c == 0xe0) k = 3, lo = 0xa0;
    else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) k = 3;
    else if (c == 0xed) k = 3, hi = 0x9f;   /* U+D800..DFFF are surrogates, not characters */
    else if (c == 0xf0) k = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3) k = 4;
    else if (c == 0xf4) k = 4, hi = 0x8f;
    else return 0;
    if (n < k || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < k; i++)
        if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return k;
}

size_t sim_json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

char *sim_json_utf8_trim(char *s)
{
    size_t n = strlen(s);
    s[sim_json_utf8_valid(s, n)] = '\0';
    return s;
}

/* ---- SipHash-2-4 ----------------------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                  \
    do {                                                                                          \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                 \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                    \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                    \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                 \
    } while (0)

static uint64_t siphash(uint64_t k0, uint64_t k1, const unsigned char *in, size_t n)
{
    uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0, v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
    uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0, v3 = UINT64_C(0x7465646279746573) ^ k1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m = 0;
        for (int j = 0; j < 8; j++) m |= (uint64_t)in[i + (size_t)j] << (8 * j);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t j = 0; i + j < n; j++) b |= (uint64_t)in[i + j] << (8 * j);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the scanner ----------------------------------------------------------------------- */

typedef struct frame {
    bool object;
    bool has_key;               /* objects: a key has been read at this level */
    uint64_t id;                /* objects: the set its keys are in */
    size_t index;               /* arrays: the element being read */
    size_t key_off, key_len;    /* objects: the raw text of the last key read */
} frame;

typedef struct key_entry {
    uint64_t hash;              /* 0: an empty slot */
    uint64_t obj;
    size_t off, len;            /* the decoded key: in the text, or in the arena */
    size_t at;                  /* its opening quote */
    bool in_arena;
} key_entry;

typedef struct scanner {
    const unsigned char *t;
    size_t len, pos;
    sim_json_error *err;
    frame *stack;
    size_t depth;
    key_entry *keys;
    size_t nkeys, cap;
    char *arena;
    size_t arena_len, arena_cap;
    uint64_t k0, k1;
    bool keyed;
    uint64_t objects;
    char decimal_point;         /* the locale's, for strtod (as cJSON does) */
} scanner;

/* Append s[0, n) to buf (cap bytes, *used so far), cut at a character boundary when full. */
static void put_text(char *buf, size_t cap, size_t *used, const char *s, size_t n)
{
    if (*used + 1 >= cap) return;
    size_t room = cap - 1 - *used;
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;   /* s[n] continues a character */
    }
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
}

static void build_path(const scanner *s, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->depth; i++) {
        const frame *f = &s->stack[i];
        if (f->object) {
            if (!f->has_key) break;
            if (used) put_text(out, cap, &used, ".", 1);
            put_text(out, cap, &used, (const char *)s->t + f->key_off, f->key_len > 40 ? 40 : f->key_len);
        } else {
            char idx[24];
            int k = snprintf(idx, sizeof idx, "[%zu]", f->index);
            put_text(out, cap, &used, idx, (size_t)k);
        }
    }
}

static int fail(scanner *s, size_t at, const char *rule, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(scanner *s, size_t at, const char *rule, const char *fmt, ...)
{
    sim_json_error *e = s->err;
    if (!e) return strcmp(rule, "memory") == 0 ? -ENOMEM : -EINVAL;
    e->offset = at;
    e->rule = rule;
    build_path(s, e->path, sizeof e->path);
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (e->path[0]) snprintf(e->why, sizeof e->why, "byte %zu (at %s): %s", at, e->path, what);
    else snprintf(e->why, sizeof e->why, "byte %zu: %s", at, what);
    return strcmp(rule, "memory") == 0 ? -ENOMEM : -EINVAL;
}

/* What stands at pos, for a message: 'x', the character U+xxxx, or a byte. */
static void describe(const scanner *s, size_t pos, char *out, size_t n)
{
    if (pos >= s->len) {
        snprintf(out, n, "the end of the text");
        return;
    }
    unsigned char c = s->t[pos];
    if (c >= 0x20 && c < 0x7f) snprintf(out, n, "'%c'", c);
    else snprintf(out, n, "byte 0x%02x", c);
}

static void skip_ws(scanner *s)
{
    while (s->pos < s->len) {
        unsigned char c = s->t[s->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
        s->pos++;
    }
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d == 16) return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* A bad byte outside a string: a NUL, invalid UTF-8, or just out of place. */
static int unexpected(scanner *s, const char *expected)
{
    unsigned char c = s->t[s->pos];
    if (c == 0) return fail(s, s->pos, "nul", "a NUL byte (expected %s)", expected);
    if (c >= 0x80 && !utf8_seq(s->t + s->pos, s->len - s->pos))
        return fail(s, s->pos, "utf8", "invalid UTF-8 (byte 0x%02x)", c);
    char d[32];
    describe(s, s->pos, d, sizeof d);
    return fail(s, s->pos, "syntax", "expected %s, found %s", expected, d);
}

/* The string whose opening quote is at s->pos; s->pos ends after the closing quote. */
static int scan_string(scanner *s, bool *escaped)
{
    size_t open = s->pos++;
    *escaped = false;
    for (;;) {
        if (s->pos >= s->len) return fail(s, open, "syntax", "a string that never ends (no closing quote)");
        unsigned char c = s->t[s->pos];
        if (c == '"') break;
        if (c == '\\') {
            *escaped = true;
            if (s->pos + 1 >= s->len) return fail(s, s->pos, "syntax", "a string that ends inside an escape");
            unsigned char e = s->t[s->pos + 1];
            if (e != 'u') {
                if (!strchr("\"\\/bfnrt", e) || e == 0) {
                    char d[32];
                    describe(s, s->pos + 1, d, sizeof d);
                    return fail(s, s->pos, "syntax", "an unknown escape: a backslash before %s", d);
                }
                s->pos += 2;
                continue;
            }
            unsigned u, lo;
            if (s->pos + 6 > s->len || hex4(s->t + s->pos + 2, &u) < 0)
                return fail(s, s->pos, "syntax", "\\u must be followed by 4 hexadecimal digits");
            if (u == 0) return fail(s, s->pos, "nul", "\\u0000 (NUL) is not allowed in a string");
            if (u >= 0xdc00 && u <= 0xdfff)
                return fail(s, s->pos, "utf8", "a lone surrogate \\u%04x (a low half without its high half)", u);
            if (u >= 0xd800 && u <= 0xdbff) {
                if (s->pos + 12 > s->len || s->t[s->pos + 6] != '\\' || s->t[s->pos + 7] != 'u' ||
                    hex4(s->t + s->pos + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                    return fail(s, s->pos, "utf8", "a lone surrogate \\u%04x (a high half without its low half)", u);
                s->pos += 12;
                continue;
            }
            s->pos += 6;
            continue;
        }
        if (c == 0) return fail(s, s->pos, "nul", "a NUL byte in a string");
        if (c < 0x20) return fail(s, s->pos, "syntax", "a raw control character (byte 0x%02x) in a string: escape it", c);
        if (c < 0x80) {
            s->pos++;
            continue;
        }
        size_t k = utf8_seq(s->t + s->pos, s->len - s->pos);
        if (!k) return fail(s, s->pos, "utf8", "invalid UTF-8 in a string (byte 0x%02x)", c);
        s->pos += k;
    }
    s->pos++;
    return 0;
}

static int arena_put(scanner *s, const char *p, size_t n)
{
    if (s->arena_len + n > s->arena_cap) {
        size_t cap = s->arena_cap ? s->arena_cap : 256;
        while (cap < s->arena_len + n) cap *= 2;
        char *a = realloc(s->arena, cap);
        if (!a) return -ENOMEM;
        s->arena = a;
        s->arena_cap = cap;
    }
    memcpy(s->arena + s->arena_len, p, n);
    s->arena_len += n;
    return 0;
}

/* Decode the checked raw string [p, p + n) (escapes and all) onto the arena. */
static int decode_key(scanner *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (p[i] != '\\') {
            size_t j = i;
            while (j < n && p[j] != '\\') j++;
            if (arena_put(s, (const char *)p + i, j - i) < 0) return -ENOMEM;
            i = j;
            continue;
        }
        unsigned char e = p[i + 1];
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            char ch = to[strchr(from, e) - from];
            if (arena_put(s, &ch, 1) < 0) return -ENOMEM;
            i += 2;
            continue;
        }
        unsigned u, lo;
        hex4(p + i + 2, &u);
        i += 6;
        if (u >= 0xd800 && u <= 0xdbff) {
            hex4(p + i + 2, &lo);
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        }
        char b[4];
        size_t k;
        if (u < 0x80) b[0] = (char)u, k = 1;
        else if (u < 0x800) b[0] = (char)(0xc0 | u >> 6), b[1] = (char)(0x80 | (u & 0x3f)), k = 2;
        else if (u < 0x10000)
            b[0] = (char)(0xe0 | u >> 12), b[1] = (char)(0x80 | ((u >> 6) & 0x3f)), b[2] = (char)(0x80 | (u & 0x3f)), k = 3;
        else
            b[0] = (char)(0xf0 | u >> 18), b[1] = (char)(0x80 | ((u >> 12) & 0x3f)), b[2] = (char)(0x80 | ((u >> 6) & 0x3f)),
            b[3] = (char)(0x80 | (u & 0x3f)), k = 4;
        if (arena_put(s, b, k) < 0) return -ENOMEM;
    }
    return 0;
}

static const char *entry_key(const scanner *s, const key_entry *e)
{
    return e->in_arena ? s->arena + e->off : (const char *)s->t + e->off;
}

static int grow_keys(scanner *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    key_entry *k = calloc(cap, sizeof *k);
    if (!k) return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->keys[i].hash) continue;
        size_t j = (size_t)s->keys[i].hash & (cap - 1);
        while (k[j].hash) j = (j + 1) & (cap - 1);
        k[j] = s->keys[i];
    }
    free(s->keys);
    s->keys = k;
    s->cap = cap;
    return 0;
}

static void draw_key(scanner *s)
{
    uint64_t k[2];
    if (getentropy(k, sizeof k) != 0) {   /* no entropy: the clock and an address, still unknown outside */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k[0] = (uint64_t)ts.tv_nsec * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)(uintptr_t)s;
        k[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&k;
    }
    s->k0 = k[0];
    s->k1 = k[1];
    s->keyed = true;
}

/* The key of frame f just read (its opening quote at `at`, raw text [at + 1, at + 1 + raw)):
 * into the set of f's object; a duplicate is refused. */
static int add_key(scanner *s, const frame *f, size_t at, size_t raw, bool escaped)
{
    if (!s->keyed) draw_key(s);
    if ((s->nkeys + 1) * 2 > s->cap && grow_keys(s) < 0) return fail(s, at, "memory", "out of memory");
    key_entry e = {.obj = f->id, .at = at, .off = at + 1, .len = raw};
    if (escaped) {
        e.in_arena = true;
        e.off = s->arena_len;
        if (decode_key(s, s->t + at + 1, raw) < 0) return fail(s, at, "memory", "out of memory");
        e.len = s->arena_len - e.off;
    }
    e.hash = siphash(s->k0 ^ f->id * UINT64_C(0x9e3779b97f4a7c15), s->k1, (const unsigned char *)entry_key(s, &e), e.len);
    if (!e.hash) e.hash = 1;
    size_t j = (size_t)e.hash & (s->cap - 1);
    for (; s->keys[j].hash; j = (j + 1) & (s->cap - 1)) {
        const key_entry *o = &s->keys[j];
        if (o->hash == e.hash && o->obj == e.obj && o->len == e.len && memcmp(entry_key(s, o), entry_key(s, &e), e.len) == 0) {
            char shown[48];
            size_t used = 0;
            shown[0] = '\0';
            put_text(shown, sizeof shown, &used, (const char *)s->t + at + 1, raw);
            return fail(s, at, "duplicate_key", "duplicate key '%s' (first at byte %zu): a key appears once in an object",
                        shown, o->at);
        }
    }
    s->keys[j] = e;
    s->nkeys++;
    return 0;
}

/* A key of the object on top of the stack, then the ':' after it. */
static int read_key(scanner *s)
{
    frame *f = &s->stack[s->depth - 1];
    f->has_key = false;
    skip_ws(s);
    if (s->pos >= s->len) return fail(s, s->pos, "syntax", "the text ends inside an object (expected a key)");
    if (s->t[s->pos] != '"') return unexpected(s, "a key (a string in double quotes)");
    size_t at = s->pos;
    bool escaped;
    int rc = scan_string(s, &escaped);
    if (rc < 0) return rc;
    f->has_key = true;
    f->key_off = at + 1;
    f->key_len = s->pos - at - 2;
    rc = add_key(s, f, at, f->key_len, escaped);
    if (rc < 0) return rc;
    skip_ws(s);
    if (s->pos >= s->len) return fail(s, s->pos, "syntax", "the text ends after a key (expected ':')");
    if (s->t[s->pos] != ':') return unexpected(s, "':' after the key");
    s->pos++;
    return 0;
}

static bool digit(const scanner *s, size_t p) { return p < s->len && s->t[p] >= '0' && s->t[p] <= '9'; }

static int scan_number(scanner *s)
{
    size_t start = s->pos, p = s->pos;
    if (s->t[p] == '-') p++;
    if (!digit(s, p)) return fail(s, start, "syntax", "a '-' must be followed by digits");
    if (s->t[p] == '0') {
        p++;
        if (digit(s, p)) return fail(s, start, "syntax", "a number with a leading zero");
    } else {
        while (digit(s, p)) p++;
    }
    if (p < s->len && s->t[p] == '.') {
        p++;
        if (!digit(s, p)) return fail(s, start, "syntax", "a decimal point must be followed by digits");
        while (digit(s, p)) p++;
    }
    if (p < s->len && (s->t[p] == 'e' || s->t[p] == 'E')) {
        p++;
        if (p < s->len && (s->t[p] == '+' || s->t[p] == '-')) p++;
        if (!digit(s, p)) return fail(s, start, "syntax", "an exponent must have digits");
        while (digit(s, p)) p++;
    }
    size_t n = p - start;
    if (n > SIM_JSON_MAX_NUMBER)
        return fail(s, start, "number", "a number of %zu characters (at most %d)", n, SIM_JSON_MAX_NUMBER);
    char buf[SIM_JSON_MAX_NUMBER + 1];
    for (size_t i = 0; i < n; i++) buf[i] = s->t[start + i] == '.' ? s->decimal_point : (char)s->t[start + i];
    buf[n] = '\0';
    if (!isfinite(strtod(buf, NULL)))
        return fail(s, start, "number", "%.*s is not a finite number (beyond the range of a double)", (int)n,
                    (const char *)s->t + start);
    s->pos = p;
    return 0;
}

static int scan_literal(scanner *s)
{
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(words[i]);
        if (s->len - s->pos >= l && memcmp(s->t + s->pos, words[i], l) == 0) {
            s->pos += l;
            return 0;
        }
    }
    return unexpected(s, "a value");
}

static int push(scanner *s, bool object)
{
    if (s->depth == SIM_JSON_MAX_DEPTH)
        return fail(s, s->pos, "depth", "arrays and objects nested deeper than %d", SIM_JSON_MAX_DEPTH);
    s->stack[s->depth++] = (frame){.object = object, .id = object ? ++s->objects : 0};
    s->pos++;
    return 0;
}

static int scan(scanner *s)
{
    skip_ws(s);
    if (s->pos == s->len) return fail(s, s->pos, "empty", "no JSON value (the text is empty or only whitespace)");
    bool need_value = true;
    for (;;) {
        int rc = 0;
        if (need_value) {
            skip_ws(s);
            if (s->pos >= s->len) return fail(s, s->pos, "syntax", "the text ends where a value was expected");
            unsigned char c = s->t[s->pos];
            need_value = false;
            if (c == '{' || c == '[') {
                if ((rc = push(s, c == '{')) < 0) return rc;
                skip_ws(s);
                if (s->pos < s->len && s->t[s->pos] == (c == '{' ? '}' : ']')) {   /* empty */
                    s->pos++;
                    s->depth--;
                    continue;
                }
                if (c == '{' && (rc = read_key(s)) < 0) return rc;
                need_value = true;
                continue;
            }
            if (c == '"') {
                bool escaped;
                rc = scan_string(s, &escaped);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                rc = scan_number(s);
            } else {
                rc = scan_literal(s);
            }
            if (rc < 0) return rc;
            continue;
        }
        /* after a value */
        skip_ws(s);
        if (!s->depth) break;
        frame *f = &s->stack[s->depth - 1];
        char close = f->object ? '}' : ']';
        if (s->pos >= s->len)
            return fail(s, s->pos, "syntax", "the text ends inside an %s (expected ',' or '%c')", f->object ? "object" : "array",
                        close);
        unsigned char c = s->t[s->pos];
        if (c == ',') {
            s->pos++;
            if (f->object) {
                if ((rc = read_key(s)) < 0) return rc;
            } else {
                f->index++;
            }
            need_value = true;
        } else if (c == (unsigned char)close) {
            s->pos++;
            s->depth--;
        } else {
            return unexpected(s, f->object ? "',' or '}' after a member of an object" : "',' or ']' after an element of an array");
        }
    }
    if (s->pos != s->len) {
        char d[32];
        describe(s, s->pos, d, sizeof d);
        return fail(s, s->pos, "trailing", "%s after the JSON value (a text holds exactly one value)", d);
    }
    return 0;
}

int sim_json_check(const char *text, size_t len, sim_json_error *err)
{
    struct lconv *lc = localeconv();
    scanner s = {.t = (const unsigned char *)text, .len = len, .err = err,
                 .decimal_point = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.'};
    if (err) *err = (sim_json_error){.rule = ""};
    s.stack = malloc(SIM_JSON_MAX_DEPTH * sizeof *s.stack);
    int rc = s.stack ? scan(&s) : fail(&s, 0, "memory", "out of memory");
    free(s.stack);
    free(s.keys);
    free(s.arena);
    return rc;
}

int sim_json_parse_ex(const char *text, size_t len, cJSON **out, sim_json_error *err)
{
    *out = NULL;
    int rc = sim_json_check(text, len, err);
    if (rc < 0) return rc;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
    if (!j) {   /* the check passed: only memory can fail now */
        if (err) {
            *err = (sim_json_error){.rule = "memory"};
            snprintf(err->why, sizeof err->why, "out of memory");
        }
        return -ENOMEM;
    }
    *out = j;
    return 0;
}

int sim_json_parse(const char *text, size_t len, cJSON **out, char *why, size_t n)
{
    sim_json_error e;
    int rc = sim_json_parse_ex(text, len, out, &e);
    if (rc < 0 && why && n) snprintf(why, n, "%s", e.why);
    return rc;
}

int sim_json_read_file(const char *path, size_t max_bytes, cJSON **out, char *why, size_t n)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        snprintf(why, n, "%s: %s", path, strerror(e));
        return -e;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
        close(fd);
        snprintf(why, n, "%s: larger than %zu bytes", path, max_bytes);
        return -EFBIG;
    }
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, len = 0;
    char *text = malloc(cap);
    int rc = text ? 0 : -ENOMEM;
    while (rc == 0) {
        if (len == cap) {
            char *p = cap > max_bytes ? NULL : realloc(text, cap * 2);
            if (!p) {
                rc = cap > max_bytes ? -EFBIG : -ENOMEM;
                break;
            }
            text = p;
            cap *= 2;
        }
        ssize_t k = read(fd, text + len, cap - len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) rc = -errno;
        else if (k == 0) break;
        else len += (size_t)k;
        if (len > max_bytes) rc = -EFBIG;
    }
    close(fd);
    if (rc == 0) {
        sim_json_error e;
        rc = sim_json_parse_ex(text, len, out, &e);
        if (rc < 0) snprintf(why, n, "%s: not strict JSON: %s", path, e.why);
    } else if (rc == -EFBIG) {
        snprintf(why, n, "%s: larger than %zu bytes", path, max_bytes);
    } else {
        snprintf(why, n, "%s: %s", path, strerror(-rc));
    }
    free(text);
    return rc;
}
