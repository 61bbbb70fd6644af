/* sim_buf.h - a growable byte buffer for building text (trace lines, JSON, messages).
 *
 * Reused across calls so the steady state allocates nothing. Out of memory is sticky:
 * appends after a failed growth are ignored and sim_buf_failed() says so once, at the end. */
#ifndef RENKEI_SIM_BUF_H
#define RENKEI_SIM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sim_buf {
    char *data;
    size_t len, cap;
    bool failed;
} sim_buf;

void sim_buf_free(sim_buf *b);
static inline void sim_buf_reset(sim_buf *b) { b->len = 0; }
void sim_buf_append_slow(sim_buf *b, const void *p, size_t n);
/* Inline: the trace appends a few bytes at a time, millions of times a run. */
static inline void sim_buf_append(sim_buf *b, const void *p, size_t n)
{
    if (b->len + n < b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    sim_buf_append_slow(b, p, n);
}
static inline void sim_buf_puts(sim_buf *b, const char *s) { sim_buf_append(b, s, strlen(s)); }
void sim_buf_printf(sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Decimal digits of v, without printf (trace lines are built millions of times a run). */
void sim_buf_u64(sim_buf *b, uint64_t v);
/* A JSON string literal, quotes included; bytes >= 0x80 pass through (UTF-8 stays UTF-8). */
void sim_buf_json_string(sim_buf *b, const char *s);
const char *sim_buf_cstr(sim_buf *b);   /* NUL-terminated view ("" when failed) */
static inline bool sim_buf_failed(const sim_buf *b) { return b->failed; }

#endif
