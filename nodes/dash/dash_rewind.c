/* dash/dash_rewind.c - rewind and branch, the dashboard's side: the journal of the changes the
 * API made to the run (faults injected and cleared, the operator's promotions and failbacks),
 * each with the moment it was made (events run and the clock); POST /api/rewind, which checks
 * the time asked for and hands it to the application (app/rewind.c copies whole processes);
 * and, in the process resumed from a checkpoint, the re-execution up to that time with the
 * journal's changes made again at exactly the moments they were made. Pacing and pausing do
 * not change a run (sim_run.h), so these changes are all a run's history needs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dash/dash_internal.h"
#include "fault/fault.h"
#include "platform/platform.h"

static const char *const kind_names[] = {"fault", "clear", "promote", "failback"};

static cJSON *entry_json(const dash_journal_entry *e, bool readable)
{
    cJSON *o = cJSON_CreateObject();
    if (readable) {
        char at[SIM_TIME_BUFSZ];
        sim_time_format_iso(e->now, at, sizeof at);
        cJSON_AddStringToObject(o, "at", at);
    } else {
        cJSON_AddNumberToObject(o, "now", (double)e->now);
    }
    cJSON_AddNumberToObject(o, "events", (double)e->events);
    cJSON_AddStringToObject(o, "kind", kind_names[e->kind]);
    if (e->kind == DASH_JOURNAL_FAULT) {
        cJSON *spec = readable ? cJSON_Parse(e->text) : NULL;
        if (spec) cJSON_AddItemToObject(o, "fault", spec);
        else cJSON_AddStringToObject(o, "body", e->text);
    } else if (e->kind == DASH_JOURNAL_CLEAR) {
        cJSON_AddNumberToObject(o, "id", e->id);
    } else {
        cJSON_AddStringToObject(o, "site", e->text);
        if (e->kind == DASH_JOURNAL_PROMOTE) cJSON_AddBoolToObject(o, "force", e->force);
    }
    return o;
}

int dash_journal_add(node_dash *d, dash_journal_kind kind, const char *text, int id, bool force)
{
    if (d->njournal == d->cap_journal) {
        size_t cap = d->cap_journal ? 2 * d->cap_journal : 16;
        dash_journal_entry *j = realloc(d->journal, cap * sizeof *j);
        if (!j) return -ENOMEM;
        d->journal = j;
        d->cap_journal = cap;
    }
    char *copy = strdup(text ? text : "");
    if (!copy) return -ENOMEM;
    d->journal[d->njournal++] = (dash_journal_entry){.events = sim_world_stats_get(d->w)->events,
                                                     .now = sim_world_now(d->w), .kind = kind,
                                                     .text = copy, .id = id, .force = force};
    return 0;
}

void dash_journal_free(node_dash *d)
{
    for (size_t i = 0; i < d->njournal; i++) free(d->journal[i].text);
    free(d->journal);
    free(d->branches);
    free(d->rewind_off);
}

void dash_set_rewind(node_dash *d, dash_rewind_fn fn, void *arg, const char *unavailable)
{
    d->rewind_fn = fn;
    d->rewind_arg = arg;
    free(d->rewind_off);
    d->rewind_off = unavailable ? strdup(unavailable) : NULL;
}

size_t dash_journal_size(const node_dash *d, sim_time_t *last_at)
{
    *last_at = d->njournal ? d->journal[d->njournal - 1].now : INT64_MIN;
    return d->njournal;
}

char *dash_rewind_plan(node_dash *d, sim_time_t to, size_t since)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "to", (double)to);
    cJSON_AddNumberToObject(o, "speed", d->run ? sim_run_get_speed(d->run) : 0);   /* kept across the rewind */
    cJSON *b = cJSON_AddArrayToObject(o, "branches");
    for (size_t i = 0; i < d->nbranches; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "to", (double)d->branches[i].to);
        cJSON_AddNumberToObject(p, "from", (double)d->branches[i].from);
        cJSON_AddItemToArray(b, p);
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "to", (double)to);
    cJSON_AddNumberToObject(p, "from", (double)sim_world_now(d->w));
    cJSON_AddItemToArray(b, p);
    cJSON *j = cJSON_AddArrayToObject(o, "journal");
    for (size_t i = since; i < d->njournal; i++)   /* made after the checkpoint, before the time */
        if (d->journal[i].now < to)
            cJSON_AddItemToArray(j, entry_json(&d->journal[i], false));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* Run every event up to `events` events in all (none after time `limit`). */
static void run_to_events(sim_world *w, uint64_t events, sim_time_t limit)
{
    for (;;) {
        uint64_t done = sim_world_stats_get(w)->events;
        if (done >= events || sim_world_halted(w, NULL)) return;
        if (sim_world_run(w, limit, events - done) == 0) return;
    }
}

/* Every event up to time t (scripts may yield the run; go on), then the clock to t. */
static void run_to_time(sim_world *w, sim_time_t t)
{
    sim_time_t next;
    while (!sim_world_halted(w, NULL) && sim_world_next_time(w, &next) == 0 && next <= t) sim_world_run(w, t, 0);
    sim_world_advance(w, t);
}

static int apply(node_dash *d, const cJSON *e, char *why, size_t n)
{
    const cJSON *kind = cJSON_GetObjectItem(e, "kind");
    const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
    const cJSON *spec = cJSON_GetObjectItem(e, "body"), *site = cJSON_GetObjectItem(e, "site");
    int rc = -EINVAL;
    if (strcmp(k, "fault") == 0 && cJSON_IsString(spec)) {
        rc = fault_inject_json(d->w, spec->valuestring, why, n);
        if (rc >= 0) rc = dash_journal_add(d, DASH_JOURNAL_FAULT, spec->valuestring, rc, false);
    } else if (strcmp(k, "clear") == 0) {
        int id = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
        rc = fault_clear_json(d->w, id, why, n);
        if (rc >= 0) rc = dash_journal_add(d, DASH_JOURNAL_CLEAR, NULL, id, false);
    } else if ((strcmp(k, "promote") == 0 || strcmp(k, "failback") == 0) && cJSON_IsString(site) && d->d) {
        sim_node *home = sim_world_find_node(d->w, site->valuestring);
        bool promote = k[0] == 'p', force = cJSON_IsTrue(cJSON_GetObjectItem(e, "force"));
        rc = !home ? -ENOENT
             : promote ? platform_ha_operator_promote(d->d, home, force, why, n)
                       : platform_ha_operator_failback(d->d, home, why, n);
        if (rc >= 0) rc = dash_journal_add(d, promote ? DASH_JOURNAL_PROMOTE : DASH_JOURNAL_FAILBACK, site->valuestring, 0, force);
    }
    return rc < 0 ? rc : 0;
}

int dash_rewind_replay(node_dash *d, const char *plan, double *speed, char *why, size_t n)
{
    cJSON *o = cJSON_Parse(plan);
    *speed = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "speed"));
    if (!(*speed >= 0)) *speed = 0;
    const cJSON *to = cJSON_GetObjectItem(o, "to"), *journal = cJSON_GetObjectItem(o, "journal"),
                *branches = cJSON_GetObjectItem(o, "branches");
    if (!cJSON_IsNumber(to) || !cJSON_IsArray(journal) || !cJSON_IsArray(branches)) {
        cJSON_Delete(o);
        snprintf(why, n, "the rewind's plan is malformed");
        return -EPROTO;
    }
    sim_time_t t = (sim_time_t)to->valuedouble;
    int rc = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, journal) {
        run_to_events(d->w, (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "events")),
                      (sim_time_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "now")));
        sim_world_advance(d->w, (sim_time_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "now")));
        if ((rc = apply(d, e, why, n)) < 0) break;   /* it was accepted the first time: cannot be */
    }
    if (rc == 0) run_to_time(d->w, t);
    /* the branches so far replace those of the checkpoint's time */
    size_t nb = (size_t)cJSON_GetArraySize(branches);
    dash_branch *b = nb ? calloc(nb, sizeof *b) : NULL;
    if (nb && !b) rc = -ENOMEM;
    for (size_t i = 0; b && i < nb; i++) {
        const cJSON *p = cJSON_GetArrayItem(branches, (int)i);
        b[i] = (dash_branch){.to = (sim_time_t)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "to")),
                             .from = (sim_time_t)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "from"))};
    }
    if (b || !nb) {
        free(d->branches);
        d->branches = b;
        d->nbranches = nb;
    }
    cJSON_Delete(o);
    if (rc == 0 && sim_world_halted(d->w, NULL)) {
        snprintf(why, n, "the run halted while it was run again");
        rc = -ECANCELED;
    }
    return rc;
}

cJSON *dash_branch_json(node_dash *d)
{
    if (!d || (!d->nbranches && !d->njournal)) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "rewinds", (double)d->nbranches);
    cJSON *pts = cJSON_AddArrayToObject(o, "points");
    for (size_t i = 0; i < d->nbranches; i++) {
        char to[SIM_TIME_BUFSZ], from[SIM_TIME_BUFSZ];
        sim_time_format_iso(d->branches[i].to, to, sizeof to);
        sim_time_format_iso(d->branches[i].from, from, sizeof from);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "to", to);
        cJSON_AddStringToObject(p, "from", from);
        cJSON_AddItemToArray(pts, p);
    }
    cJSON *j = cJSON_AddArrayToObject(o, "journal");
    for (size_t i = 0; i < d->njournal; i++) cJSON_AddItemToArray(j, entry_json(&d->journal[i], true));
    return o;
}

/* 422 naming the field and the rule it broke; nothing changes. */
static void refuse(sim_http_req *r, const char *rule, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddNumberToObject(o, "status", 422);
    cJSON_AddStringToObject(o, "field", "to");
    cJSON_AddStringToObject(o, "rule", rule);
    sim_http_respond_json(r, 422, o);
}

/* POST /api/rewind {"to": TIME}: back to an earlier moment of this run, paused there; what
 * the API changed after it is forgotten (a branch). TIME as for /api/until, or "-30m". */
void dash_h_rewind(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    size_t len;
    sim_http_req_body(r, &len);
    cJSON *j = len ? sim_http_req_json(r) : cJSON_CreateObject();
    if (!j) return;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        sim_http_respond_error(r, 400, "the body must be a JSON object");
        return;
    }
    for (const cJSON *f = j->child; f; f = f->next) {
        if (strcmp(f->string, "to") == 0) continue;
        sim_http_respond_error(r, 400, "unknown field '%s'", f->string);
        cJSON_Delete(j);
        return;
    }
    const cJSON *tj = cJSON_GetObjectItem(j, "to");
    char text[64] = "", msg[200];
    bool is_text = cJSON_IsString(tj) && strlen(tj->valuestring) < sizeof text;
    if (is_text) snprintf(text, sizeof text, "%s", tj->valuestring);
    cJSON_Delete(j);
    if (!tj) {
        refuse(r, "required", "'to' is required: the time to go back to ('2017-11-13 09:00', '09:00' or '-30m')");
        return;
    }
    sim_time_t now = sim_world_now(d->w), start = sim_world_start(d->w), t = 0;
    int64_t dur, of_day;
    int range = 0;
    if (!is_text) {
        refuse(r, "format", "'to' must be a time as text ('2017-11-13 09:00', '09:00' or '-30m')");
        return;
    } else if (text[0] == '-' && sim_duration_parse(text + 1, &dur) == 0) {
        range = dur > now - start ? -ERANGE : 0;
        t = now - (range ? 0 : dur);
    } else if (sim_time_parse(text, &t) == 0) {
    } else if (sim_time_parse_clock(text, &of_day) == 0) {
        range = sim_time_add(sim_time_day_start(now), of_day, &t);
    } else {
        snprintf(msg, sizeof msg, "'to' is '%s': expected a time ('2017-11-13 09:00', '09:00') or a duration back ('-30m')", text);
        refuse(r, "format", msg);
        return;
    }
    if (range < 0 || t < start) {
        snprintf(msg, sizeof msg, "'to' is '%s': before the run's start", text);
        refuse(r, "not_before_start", msg);
        return;
    }
    if (t > now) {
        snprintf(msg, sizeof msg, "'to' is '%s': after the simulated clock (only the past can be gone back to)", text);
        refuse(r, "not_in_future", msg);
        return;
    }
    if (!d->rewind_fn) {
        sim_http_respond_error(r, 409, "this run cannot be rewound: %s", d->rewind_off ? d->rewind_off : "not served with checkpoints");
        return;
    }
    char why[300] = "", *answer = NULL;
    int rc = d->rewind_fn(d->rewind_arg, t, &answer, why, sizeof why);
    cJSON *o = answer ? cJSON_Parse(answer) : NULL;
    free(answer);
    if (rc < 0 || !o) {
        cJSON_Delete(o);
        sim_http_respond_error(r, 500, "the rewind failed: %s (the run goes on where it was)", why[0] ? why : "no answer");
        return;
    }
    sim_http_respond_json(r, 200, o);
}

char *dash_rewound_state(node_dash *d, double wall_ms, uint64_t replayed_events)
{
    cJSON *o = cJSON_CreateObject();
    char at[SIM_TIME_BUFSZ];
    sim_time_format_iso(d->nbranches ? d->branches[d->nbranches - 1].to : sim_world_now(d->w), at, sizeof at);
    cJSON_AddStringToObject(o, "rewound_to", at);
    cJSON_AddNumberToObject(o, "branch", (double)d->nbranches);
    cJSON_AddNumberToObject(o, "rewind_ms", wall_ms);
    cJSON_AddNumberToObject(o, "replayed_events", (double)replayed_events);
    dash_add_state(d, o);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
