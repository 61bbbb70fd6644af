/* swarm/shrink.c - delta debugging (Zeller and Hildebrandt's ddmin) over the faults of a
 * failing schedule: split the kept faults into n chunks; if one chunk alone still fails,
 * keep it (n = 2); else if removing one chunk still fails, remove it (n - 1); else split
 * finer (2n); stop when the chunks are single faults and none can go. The result is
 * 1-minimal: removing any one fault that is left makes the failure go away. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/swarm.h"

/* Test the kept faults with chunk [lo, hi) of the list `idx` either alone (only = true) or
 * left out. */
static int try_chunk(const size_t *idx, size_t m, size_t lo, size_t hi, bool only, bool *scratch, size_t n,
                     swarm_test_fn test, void *ud)
{
    memset(scratch, 0, n * sizeof *scratch);
    for (size_t i = 0; i < m; i++) {
        bool in = i >= lo && i < hi;
        if (in == only) scratch[idx[i]] = true;
    }
    return test(scratch, n, ud);
}

int swarm_ddmin(bool *keep, size_t n, swarm_test_fn test, void *ud)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    bool *scratch = malloc((n ? n : 1) * sizeof *scratch);
    if (!idx || !scratch) {
        free(idx);
        free(scratch);
        return -ENOMEM;
    }
    int tests = 0, rc = 0;
    size_t chunks = 2;
    for (;;) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (keep[i]) idx[m++] = i;
        if (m < 2) break;
        if (chunks > m) chunks = m;
        bool reduced = false;
        /* each chunk alone, then each complement */
        for (int pass = 0; pass < 2 && !reduced; pass++) {
            bool only = pass == 0;
            if (!only && chunks == 2) break;   /* the complements of two chunks are the chunks */
            for (size_t c = 0; c < chunks; c++) {
                size_t lo = m * c / chunks, hi = m * (c + 1) / chunks;
                rc = try_chunk(idx, m, lo, hi, only, scratch, n, test, ud);
                tests++;
                if (rc < 0) goto out;
                if (rc == 1) {
                    memcpy(keep, scratch, n * sizeof *keep);
                    chunks = only ? 2 : chunks - 1 < 2 ? 2 : chunks - 1;
                    reduced = true;
                    break;
                }
            }
        }
        if (reduced) continue;
        if (chunks >= m) break;   /* single faults, none removable: 1-minimal */
        chunks = 2 * chunks > m ? m : 2 * chunks;
    }
    rc = 0;
out:
    free(idx);
    free(scratch);
    return rc < 0 ? rc : tests;
}
