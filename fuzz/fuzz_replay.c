/* fuzz/fuzz_replay.c - `--replay-session FILE` (nodes/connect/connect_replay.c): the session
 * log read back (connect_session_load), checked against the run (connect_session_check) and
 * re-executed on a fresh connection-test world (connect_replay), as `renkei run
 * topologies/small.lua scripts/connect/vendor_plain.lua --seed 1 --replay-session FILE` does.
 *
 * Input: the file's bytes (JSON lines: the header, requests and refusals with their recorded
 * points, the end). A file refused with a reason, or a replay that diverges from the record,
 * is fine; a crash, a sanitizer report, or a replay that does not end (libFuzzer's -timeout)
 * is a finding. The world is opened afresh only for a file that passes the check (replaying
 * runs the world from its start), so most inputs cost only the reading. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static const char *const scripts[] = {"topologies/small.lua", "scripts/connect/vendor_plain.lua"};

/* The input's file (see fuzz_write_file). */
static char path[128];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write_file(path, sizeof path, "replay", data, size) < 0) return 0;
    node_connect_session *s = NULL;
    char why[400];
    if (connect_session_load(path, &s, why, sizeof why) < 0) return 0;
    node_connect_run_info info = {.seed = 1, .scripts = scripts, .nscripts = 2};
    if (connect_session_check(s, &info, why, sizeof why) < 0 || strcmp(connect_session_lg(s), "271004") != 0) {
        connect_session_free(s);
        return 0;
    }
    fuzz_twin t;
    if (fuzz_twin_open(&t, 1) < 0) abort();
    int rc = connect_replay(t.c, s, why, sizeof why);   /* takes s */
    if (rc < -4096 || rc > 1) abort();
    connect_finish(t.c, "drained");
    fuzz_twin_close(&t);
    return 0;
}
