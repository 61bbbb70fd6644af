/* app/check.c - `renkei check`: load the scripts without running them. */
#include <stdio.h>

#include "app/app.h"

int app_cmd_check(int argc, char **argv)
{
    session s = {.trace_fd = -1};
    int status = app_parse_run_opts(argc, argv, &s.o);
    if (status == 0) {
        s.o.quiet = true;
        status = app_session_open(&s, false);
    }
    sim_time_t until;
    if (status == 0) status = app_resolve_until(&s, &until);
    if (status == 0)
        printf("ok: %d file(s), %u nodes, %zu events scheduled, %zu expectations\n", s.o.nfiles,
               sim_world_node_count(s.w), sim_world_pending(s.w), sim_lua_expectation_count(s.sl));
    app_session_close(&s);
    return status;
}
