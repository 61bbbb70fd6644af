/* test_map.c - sim_map against a plain array model under random puts, gets and deletes. */
#include "check.h"
#include "sim_map.h"
#include "sim_rng.h"

#include <errno.h>
#include <stdlib.h>

int main(void)
{
    enum { KEYS = 5000 };
    sim_map m = {0};
    static uint64_t model[KEYS + 1];   /* 0 = absent, else value + 1 */
    sim_rng r;
    sim_rng_seed(&r, 3);
    CHECK_INT(sim_map_put(&m, 0, 1), -EINVAL);
    for (int step = 0; step < 400000; step++) {
        uint64_t key = 1 + sim_rng_below(&r, KEYS);
        uint32_t op = sim_rng_below(&r, 3);
        uint64_t v = 0;
        if (op == 0) {
            CHECK_INT(sim_map_put(&m, key, step), 0);
            model[key] = (uint64_t)step + 1;
        } else if (op == 1) {
            bool found = sim_map_del(&m, key, &v);
            CHECK(found == (model[key] != 0));
            if (found) CHECK_INT(v, model[key] - 1);
            model[key] = 0;
        } else {
            bool found = sim_map_get(&m, key, &v);
            CHECK(found == (model[key] != 0));
            if (found) CHECK_INT(v, model[key] - 1);
        }
    }
    size_t live = 0;
    for (uint64_t k = 1; k <= KEYS; k++) {
        uint64_t v;
        live += model[k] != 0;
        CHECK(sim_map_get(&m, k, &v) == (model[k] != 0));
    }
    CHECK_INT(sim_map_len(&m), live);
    /* a copy holds the same members, in the same slots, and lives on its own */
    sim_map c = {0};
    CHECK_INT(sim_map_put(&c, 7, 7), 0);   /* what it held before goes */
    CHECK_INT(sim_map_copy(&c, &m), 0);
    CHECK_INT(sim_map_len(&c), live);
    for (size_t i = 0; i < m.cap; i++) CHECK(sim_map_key_at(&c, i) == sim_map_key_at(&m, i));
    for (uint64_t k = 1; k <= KEYS; k++) {
        uint64_t v = 0;
        CHECK(sim_map_get(&c, k, &v) == (model[k] != 0));
        if (model[k]) CHECK_INT(v, model[k] - 1);
    }
    CHECK_INT(sim_map_put(&c, KEYS + 1, 1), 0);
    CHECK(!sim_map_get(&m, KEYS + 1, NULL));
    sim_map empty = {0};
    CHECK_INT(sim_map_copy(&c, &empty), 0);
    CHECK_INT(sim_map_len(&c), 0);
    CHECK(!sim_map_get(&c, 1, NULL));
    sim_map_free(&c);
    sim_map_free(&m);
    CHECK(!sim_map_get(&m, 1, NULL));
    CHECK_DONE();
}
