/* fuzz/fuzz_json.c - the strict JSON reader (sim/sim_json.c) on arbitrary bytes: what every
 * API body, bulk-file line, session log and summary.json goes through first.
 *
 * Beyond "no crash": the reader's own promises are checked on every input, so a breach stops
 * the fuzzer like a crash. What it accepts, cJSON accepted too (a value comes back); printed
 * compactly and read again it is accepted again (the reader never takes what it would refuse);
 * a refusal names a rule and an offset inside the text; check and parse agree. */
#include "fuzz.h"
#include "sim_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cJSON *v = NULL;
    sim_json_error e;
    int rc = sim_json_parse_ex(text, size, &v, &e);
    sim_json_error ce;
    int crc = sim_json_check(text, size, &ce);
    if (rc == -ENOMEM || crc == -ENOMEM) {
        cJSON_Delete(v);
        return 0;
    }
    if ((rc == 0) != (crc == 0)) abort();
    if (rc < 0) {
        if (v || !e.rule || e.offset > size || !e.why[0]) abort();
        return 0;
    }
    if (!v) abort();
    char *again = cJSON_PrintUnformatted(v);
    if (again) {
        cJSON *w = NULL;
        char why[200];
        /* cJSON prints doubles with 17 digits: a number it prints must read back. */
        if (sim_json_parse(again, strlen(again), &w, why, sizeof why) < 0) {
            fprintf(stderr, "fuzz_json: accepted, printed, refused: %s\n%s\n", why, again);
            abort();
        }
        cJSON_Delete(w);
        cJSON_free(again);
    }
    cJSON_Delete(v);
    /* The UTF-8 helpers on the same bytes. */
    size_t ok = sim_json_utf8_valid(text, size);
    if (ok > size) abort();
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
        sim_json_utf8_trim(s);
        free(s);
    }
    return 0;
}
