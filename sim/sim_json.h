/* sim_json.h - the one strict JSON reader for everything that comes from outside: API bodies,
 * bulk-file lines, session logs, files given on the command line.
 *
 * The text must be exactly one JSON value (RFC 8259) with nothing but whitespace (space, tab,
 * CR, LF) around it: UTF-8 only (an invalid sequence, an overlong form or a lone surrogate,
 * escaped or not, is refused), no NUL (neither a raw byte nor `\u0000`), no raw control
 * character inside a string, no duplicate key in any object at any depth (keys compared after
 * their escapes are decoded), numbers only in JSON's own grammar and finite as a double (`1e999`
 * is refused rather than stored as null), at most SIM_JSON_MAX_DEPTH arrays and objects deep.
 *
 * The text is checked in one pass that takes time linear in its length (each object's keys go
 * into a hash set, keyed by a random per-call key so no input can make them collide), and only
 * then handed to cJSON, which then cannot disagree with the check. A refusal says where, as a
 * byte offset from 0 and a path into the value ("payload.items[2].n"), and what, as a rule word
 * and a one-line reason. */
#ifndef RENKEI_SIM_JSON_H
#define RENKEI_SIM_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

enum {
    SIM_JSON_MAX_DEPTH = 256,   /* arrays and objects inside one another */
    SIM_JSON_MAX_NUMBER = 63,   /* characters of one number (cJSON reads no more) */
};

typedef struct sim_json_error {
    size_t offset;              /* the byte (from 0) where the text breaks the rule */
    /* The rule broken: "empty" (no value), "syntax", "utf8", "nul", "duplicate_key",
     * "number" (not finite, or too long), "trailing" (more after the value), "depth", "memory". */
    const char *rule;
    char path[128];             /* where in the value: "" for the value itself, "a.b[3]", "a.b" */
    char why[384];              /* one line: "byte 17 (at a.b): duplicate key 'b' (first at byte 9)" */
} sim_json_error;

/* Check and parse text[0, len). 0 and *out set (the caller deletes it), or -EINVAL (the rule
 * broken) / -ENOMEM with *out NULL and err filled in (err may be NULL). */
int sim_json_parse_ex(const char *text, size_t len, cJSON **out, sim_json_error *err);
/* The same with the reason only, in why (n bytes; why may be NULL). */
int sim_json_parse(const char *text, size_t len, cJSON **out, char *why, size_t n);
/* Check only: 0, -EINVAL or -ENOMEM, as above. */
int sim_json_check(const char *text, size_t len, sim_json_error *err);
/* Read a whole file of at most max_bytes and parse it: 0, -errno (the file), -EFBIG, -EINVAL
 * (why names the file, the byte and the rule) or -ENOMEM. */
int sim_json_read_file(const char *path, size_t max_bytes, cJSON **out, char *why, size_t n);

/* How many bytes from the start of s[0, n) are valid UTF-8 (n when all of it is); NUL is
 * valid UTF-8 here: callers that refuse it look for it themselves. */
size_t sim_json_utf8_valid(const char *s, size_t n);
/* Cut the string s at its first byte that is not valid UTF-8: what snprintf leaves when it
 * truncates text in the middle of a character, so that text stays UTF-8 when it is written out
 * as JSON (and read back by this reader). Returns s. */
char *sim_json_utf8_trim(char *s);

#endif
