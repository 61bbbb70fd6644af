/* sim_buf.c - the growable byte buffer (see sim_buf.h). */
#include "sim_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool buf_reserve(sim_buf *b, size_t extra)
{
    if (b->failed) return false;
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void sim_buf_free(sim_buf *b)
{
    free(b->data);
    *b = (sim_buf){0};
}

void sim_buf_append_slow(sim_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}


void sim_buf_printf(sim_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        sim_buf_append(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sim_buf_u64(sim_buf *b, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sim_buf_append(b, digits + sizeof digits - n, (size_t)n);
}

void sim_buf_json_string(sim_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sim_buf_append(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        sim_buf_append(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': sim_buf_append(b, "\\\"", 2); break;
        case '\\': sim_buf_append(b, "\\\\", 2); break;
        case '\n': sim_buf_append(b, "\\n", 2); break;
        case '\t': sim_buf_append(b, "\\t", 2); break;
        case '\r': sim_buf_append(b, "\\r", 2); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sim_buf_append(b, esc, 6);
        }
        }
    }
    sim_buf_append(b, run, (size_t)(s - run));
    sim_buf_append(b, "\"", 1);
}

const char *sim_buf_cstr(sim_buf *b)
{
    if (b->failed || !b->data) return "";
    return b->data;
}
