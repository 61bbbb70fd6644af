/* swarm/render.c - a schedule as a runnable Lua scenario: the mirroring mode, a light
 * business day (inquiries, and new residents whose code acquisitions and resident-record
 * replicas are the acknowledged writes), the checker, one `at` per fault and the verdict as an
 * expectation. The swarm runs exactly this text, so a shrunk failure written out with it
 * replays with `renkei run TOPOLOGY swarm-SEED.lua --seed SEED`.
 *
 * Every write of the workload creates a new record (no updates of existing ones): the
 * checker then audits an acknowledged write by its record's presence alone (checker.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_time.h"
#include "swarm/swarm.h"

static const char *const SITES[2] = {"east", "west"};

/* Not a drawn fault (never shrunk away): at 16:30 the operators promote each site's tenants,
 * plainly, and where that is refused with force (the way out of a double loss: the best copy
 * the pair still has serves, its missing writes counted); a promotion that has nothing to do
 * is refused and changes nothing. */
static const char DRILL[] =
    "at(\"16:30:00\", function()   -- the operators' end-of-day drill: promote what is still unserved\n"
    "  for _, site in ipairs { \"east\", \"west\" } do\n"
    "    local ok, why = operator.promote(site)\n"
    "    if not ok then ok, why = operator.promote(site, { force = true }) end\n"
    "    swarm_operator(\"promote\", site, ok, why)\n"
    "  end\n"
    "end)\n";

static void clock_of(FILE *f, int64_t at)
{
    int64_t s = at / SIM_SEC;
    fprintf(f, "\"%02d:%02d:%02d\"", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

static void secs(FILE *f, int64_t d) { fprintf(f, "\"%" PRId64 "s\"", d / SIM_SEC); }

static void render_fault(FILE *f, const swarm_fault *x, size_t index)
{
    const char *site = SITES[x->site & 1];
    fprintf(f, "at(");
    clock_of(f, x->at);
    fprintf(f, ", function() ");
    switch (x->kind) {
    case SWARM_SITE_DOWN: case SWARM_SITE_LOSS:
        fprintf(f, "fault.site_down(\"%s\", { duration = ", site);
        secs(f, x->duration);
        fprintf(f, "%s })", x->kind == SWARM_SITE_LOSS ? ", lose_state = true" : "");
        break;
    case SWARM_OPS_DOWN: case SWARM_JLIS_DOWN:
        fprintf(f, "fault.crash(\"%s\", { duration = ", x->kind == SWARM_OPS_DOWN ? "ops" : "jlis");
        secs(f, x->duration);
        fprintf(f, " })");
        break;
    case SWARM_PARTITION_SITES:
        fprintf(f, "fault.partition(\"east\", \"west\", { duration = ");
        secs(f, x->duration);
        fprintf(f, " })");
        break;
    case SWARM_PARTITION_OPS:
        fprintf(f, "fault.partition(\"%s\", \"ops\", { duration = ", site);
        secs(f, x->duration);
        fprintf(f, " })");
        break;
    case SWARM_FLAP:
        fprintf(f, "fault.flap(\"east\", \"west\", { duration = ");
        secs(f, x->duration);
        fprintf(f, ", period = ");
        secs(f, x->param);
        fprintf(f, " })");
        break;
    case SWARM_NWS_DOWN:
        fprintf(f, "fault.nws_down { duration = ");
        secs(f, x->duration);
        fprintf(f, " }");
        break;
    case SWARM_NWS_SLOW:
        fprintf(f, "fault.nws_slow { duration = ");
        secs(f, x->duration);
        fprintf(f, ", delay = ");
        secs(f, x->param);
        fprintf(f, " }");
        break;
    case SWARM_JLIS_CORRUPT: case SWARM_CORRUPT: case SWARM_DUPLICATE:
        if (x->kind == SWARM_JLIS_CORRUPT)
            fprintf(f, "fault.corrupt(\"jlis\", \"nws\", { duration = ");   /* every acquisition crosses it */
        else
            fprintf(f, "fault.%s(\"%s.ifs\", \"nws\", { duration = ", x->kind == SWARM_CORRUPT ? "corrupt" : "duplicate", site);
        secs(f, x->duration);
        fprintf(f, ", rate = %.3f })", x->rate);
        break;
    case SWARM_KEY_ROTATION:
        fprintf(f, "fault.key_rotation(\"%s.ifs\", { grace = ", site);
        secs(f, x->param);
        fprintf(f, " })");
        break;
    case SWARM_CORRUPT_REPLICA:
        fprintf(f, "fault.corrupt_replica(\"%s\", { count = %" PRId64 " })", site, x->param);
        break;
    case SWARM_PROMOTE: case SWARM_FAILBACK: {
        const char *op = x->kind == SWARM_PROMOTE ? "promote" : "failback";
        fprintf(f, "swarm_operator(\"%s\", \"%s\", operator.%s(\"%s\"))", op, site, op, site);
        break;
    }
    case SWARM_KINDS: break;
    }
    fprintf(f, " end)   -- #%zu %s\n", index + 1, swarm_kind_name(x->kind));
}

char *swarm_render(const swarm_schedule *s, const swarm_render_opts *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) kept += !o->keep || o->keep[i];
    fprintf(f, "-- swarm seed %" PRIu64 ": %s mirroring, failback %s, %zu fault(s) (written by renkei swarm)\n",
            s->seed, swarm_mode_name(s->mode), s->auto_failback ? "auto" : "manual", kept);
    if (o->header) fputs(o->header, f);
    fprintf(f, "failover_settings { mirroring = \"%s\", failback = \"%s\" }\n", swarm_mode_name(s->mode),
            s->auto_failback ? "auto" : "manual");
    fprintf(f, "workload { inquiries_per_day = %d, business_hours = { \"08:30\", \"17:15\" },\n"
               "           new_residents_per_day = %d, replica_batch = false }\n",
            o->inquiries_per_day > 0 ? o->inquiries_per_day : 2000,
            o->new_residents_per_day > 0 ? o->new_residents_per_day : 400);
    fprintf(f, "swarm_checker { plant = %s }\n", o->plant ? "true" : "false");
    for (size_t i = 0; i < s->n; i++)
        if (!o->keep || o->keep[i]) render_fault(f, &s->faults[i], i);
    fprintf(f, "%s", DRILL);
    fprintf(f, "expect(\"the swarm's checker saw no violation\", function() return swarm_verdict() end)\n");
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
