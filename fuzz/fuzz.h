/* fuzz/fuzz.h - what the libFuzzer drivers of fuzz/ share: libFuzzer's entry points (declared
 * here so that -Wmissing-prototypes holds for them) and the connection-test world that the
 * connection-test and replay drivers open, as tests/test_connect.c does.
 *
 * A driver is one program (fuzz_<target>.c) built only with -DRENKEI_FUZZ=ON (clang,
 * -fsanitize=fuzzer,address,undefined); `./dev fuzz-ci` runs each for a fixed budget over its
 * seed corpus (fuzz/corpus/<target>/), `./dev fuzz TARGET [SECONDS]` runs one longer.
 *
 * libFuzzer calls LLVMFuzzerTestOneInput with no context argument, so a driver that keeps a
 * world between inputs (opening one costs milliseconds) keeps it in one static of its own: the
 * only process state in the tree, and only in these programs. */
#ifndef RENKEI_FUZZ_FUZZ_H
#define RENKEI_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "connect/connect.h"
#include "script/script.h"
#include "sim_lua.h"
#include "sim_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A world of topologies/small.lua with scripts/connect/vendor_plain.lua, Osaka city (271004)
 * under test, started; the paths are relative to the source tree (the drivers run there). */
typedef struct fuzz_twin {
    sim_world *w;
    sim_lua *sl;
    node_connect *c;
} fuzz_twin;

static inline void fuzz_twin_close(fuzz_twin *t)
{
    sim_world_destroy(t->w);
    sim_lua_destroy(t->sl);
    connect_destroy(t->c);
    *t = (fuzz_twin){0};
}

static inline int fuzz_twin_open(fuzz_twin *t, uint64_t seed)
{
    *t = (fuzz_twin){0};
    char why[300];
    if (sim_world_create(&(sim_world_config){.seed = seed, .trace_fd = -1}, &t->w) < 0 ||
        sim_lua_create(t->w, &(sim_lua_config){.quiet = true}, &t->sl) < 0 ||
        connect_attach(t->w, "271004", &t->c) < 0 || sim_lua_open_lib(t->sl, script_open_lua) < 0 ||
        sim_lua_open_lib(t->sl, connect_open_lua) < 0 || sim_lua_load_file(t->sl, "topologies/small.lua") < 0 ||
        sim_lua_load_file(t->sl, "scripts/connect/vendor_plain.lua") < 0 || connect_prepare(t->c, why, sizeof why) < 0 ||
        sim_world_start_nodes(t->w) < 0 || sim_lua_begin_run(t->sl, sim_world_start(t->w) + SIM_DAY) < 0) {
        fprintf(stderr, "fuzz: cannot open the connection-test world (run from the source tree)\n");
        fuzz_twin_close(t);
        return -1;
    }
    return 0;
}

/* The readers under test take a path: the input goes to a file of this process's own in
 * /tmp, made at the first input and rewritten for each (path holds at least 64 bytes).
 * 0, or -1 when it cannot be written. */
static inline int fuzz_write_file(char *path, size_t n, const char *stem, const uint8_t *data, size_t size)
{
    if (!path[0]) snprintf(path, n, "/tmp/renkei-fuzz-%s-%ld", stem, (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t put = fwrite(data, 1, size, f);
    return fclose(f) == 0 && put == size ? 0 : -1;
}

#endif
