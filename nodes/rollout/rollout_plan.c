/* rollout/rollout_plan.c - from the declarations to a plan the engine runs (rollout/rollout.c):
 * once every script has loaded, resolve names, check the plan (unknown names, cycles,
 * capacities, test partners), select the members of each wave, make one instance of each
 * phase per entity of its scope, wire the dependencies (an instance waits for every instance
 * of the phases it comes after whose members overlap its own), make the capacities' pools,
 * and draw every random duration. Errors name the declaration at fault (file:line).
 *
 * Everything random comes from streams derived from the run's seed and the phase's or the
 * event's name, and for an instance also its entity, so adding a wave or a phase never
 * changes another instance's draws. */
#include "rollout/rollout_internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/kinds.h"
#include "sim_world.h"

int rollout_whole_days(double x)
{
    if (!(x > 1e-9)) return 0;
    double c = ceil(x - 1e-9);
    return c > 1e6 ? 1000000 : (int)c;
}

/* ---- errors ---------------------------------------------------------------------------- */

int rollout_raise(lua_State *L, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushstring(L, where ? where : "");
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    return lua_error(L);
}

static void *xcalloc(lua_State *L, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) luaL_error(L, "out of memory");
    return p;
}

static void *xrealloc(lua_State *L, void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) luaL_error(L, "out of memory");
    return q;
}

/* Arrays that only grow double when their length reaches a power of two: the capacity is
 * implied by the length, and appending stays linear. */
static bool full(int n) { return n == 0 || (n & (n - 1)) == 0; }

/* ---- names ----------------------------------------------------------------------------- */

static int find_phase(const ro *r, const char *name)
{
    for (int i = 0; i < r->nphases; i++)
        if (strcmp(r->phases[i].name, name) == 0) return i;
    return -1;
}

static int find_event(const ro *r, const char *name)
{
    for (int i = 0; i < r->nevents; i++)
        if (strcmp(r->events[i].name, name) == 0) return i;
    return -1;
}

static int find_wave(const ro *r, const char *name)
{
    for (int i = 0; i < r->nwaves; i++)
        if (strcmp(r->waves[i].name, name) == 0) return i;
    return -1;
}

static int find_cap(const ro *r, const char *name)
{
    for (int i = 0; i < r->ncaps; i++)
        if (strcmp(r->caps[i].name, name) == 0) return i;
    return -1;
}

static void resolve_refs(lua_State *L, ro *r, ro_ref *refs, int n, const char *where, const char *what)
{
    for (int i = 0; i < n; i++) {
        int p = find_phase(r, refs[i].name), e = find_event(r, refs[i].name);
        for (int k = 0; p < 0 && e < 0 && k < r->nrels; k++) {   /* "<release> <version>" */
            size_t len = strlen(r->rels[k].name);
            if (strncmp(refs[i].name, r->rels[k].name, len) == 0 && refs[i].name[len] == ' ')
                rollout_raise(L, where, "%s: release '%s' has no version '%s'", what, r->rels[k].name, refs[i].name + len + 1);
        }
        if (p < 0 && e < 0)
            rollout_raise(L, where, "%s: unknown phase or external event '%s' in 'after'", what, refs[i].name);
        refs[i].is_event = p < 0;
        refs[i].index = p < 0 ? e : p;
    }
}

/* A cycle among phases, reported as the path around it. */
static void check_cycles(lua_State *L, ro *r)
{
    int n = r->nphases;
    int *color = xcalloc(L, (size_t)n, sizeof *color);   /* 0 new, 1 on the path, 2 done */
    int *path = xcalloc(L, (size_t)n + 1, sizeof *path), *next = xcalloc(L, (size_t)n, sizeof *next);
    for (int root = 0; root < n; root++) {
        if (color[root]) continue;
        int depth = 0;
        path[0] = root;
        next[root] = 0;
        color[root] = 1;
        while (depth >= 0) {
            int p = path[depth];
            ro_phase *ph = &r->phases[p];
            if (next[p] == ph->nafter) {
                color[p] = 2;
                depth--;
                continue;
            }
            ro_ref *ref = &ph->after[next[p]++];
            if (ref->is_event) continue;
            int q = ref->index;
            if (color[q] == 0) {
                color[q] = 1;
                next[q] = 0;
                path[++depth] = q;
            } else if (color[q] == 1) {
                /* path[k..depth] is the cycle: each comes after the next, and p after q */
                luaL_Buffer b;
                luaL_buffinit(L, &b);
                int k = depth;
                while (path[k] != q) k--;
                luaL_addstring(&b, r->phases[p].name);
                for (int i = k; i <= depth; i++) {
                    luaL_addstring(&b, " after ");
                    luaL_addstring(&b, r->phases[path[i]].name);
                }
                luaL_pushresult(&b);
                const char *cycle = lua_tostring(L, -1);
                free(color);
                free(path);
                free(next);
                rollout_raise(L, ph->where, "phase '%s': cyclic dependency (%s)", ph->name, cycle);
            }
        }
    }
    free(color);
    free(path);
    free(next);
}

/* ---- members --------------------------------------------------------------------------- */

int rollout_pref_code(int pref, char out[8])
{
    int sum = (pref / 10) * 6 + (pref % 10) * 5;   /* digits 3-5 are zero */
    return snprintf(out, 8, "%02d000%d", pref, (11 - sum % 11) % 10);
}

static int parse_pref(const char *s)
{
    size_t n = strlen(s);
    if ((n != 2 && n != 6) || strspn(s, "0123456789") != n) return -1;
    int p = (s[0] - '0') * 10 + (s[1] - '0');
    if (p < 1 || p > 47) return -1;
    if (n == 6) {
        char code[8];
        rollout_pref_code(p, code);
        if (strcmp(code, s) != 0) return -1;
    }
    return p;
}

static bool wave_matches(const ro_wave *wv, const body *b, int pref, bool is_pref)
{
    if (wv->kind == KIND_MUNICIPALITY && is_pref) return false;
    if (wv->kind == KIND_PREFECTURE && !is_pref) return false;
    if (wv->pop_min >= 0 && b->population < (uint64_t)wv->pop_min) return false;
    if (wv->pop_max >= 0 && b->population > (uint64_t)wv->pop_max) return false;
    if (wv->nprefs) {
        bool in = false;
        for (int i = 0; i < wv->nprefs && !in; i++) in = parse_pref(wv->prefs[i]) == pref;
        if (!in) return false;
    }
    return true;
}

static int member_cmp(const void *a, const void *b)
{
    const ro_member *x = a, *y = b;
    if (x->wave != y->wave) return x->wave - y->wave;
    return strcmp(x->code, y->code);
}

static void select_members(lua_State *L, ro *r)
{
    domain *d = domain_find(r->w);
    uint32_t count = sim_world_node_count(r->w);
    bool needs = false;
    for (int i = 0; i < r->nphases; i++) needs |= r->phases[i].scope != SCOPE_NATIONAL;
    if (r->nwaves == 0) {
        if (!needs) return;
        r->waves = xcalloc(L, 1, sizeof *r->waves);
        r->waves[0] = (ro_wave){.name = strdup("all"), .where = strdup(""), .pop_min = -1, .pop_max = -1};
        if (!r->waves[0].name || !r->waves[0].where) luaL_error(L, "out of memory");
        r->nwaves = 1;
        r->implicit_wave = true;
    }
    int *wave_of = xcalloc(L, count ? count : 1, sizeof *wave_of);   /* node -> wave + 1 */
    for (uint32_t i = 0; i < count; i++) wave_of[i] = 0;
    /* listed codes first, so a list wins over an earlier wave's filters */
    for (int w = 0; w < r->nwaves; w++) {
        ro_wave *wv = &r->waves[w];
        for (int k = 0; k < wv->ncodes; k++) {
            sim_node *n = sim_world_find_node(r->w, wv->codes[k]);
            body *b = n && d ? domain_body(d, n->id) : NULL;
            if (!b || b->kind != BODY_LG) {
                free(wave_of);
                rollout_raise(L, wv->where, "wave '%s': unknown local government '%s'", wv->name, wv->codes[k]);
            }
            if (wave_of[n->id]) {
                const char *other = r->waves[wave_of[n->id] - 1].name;
                free(wave_of);
                rollout_raise(L, wv->where, "wave '%s': %s is already in wave '%s'", wv->name, wv->codes[k], other);
            }
            wave_of[n->id] = w + 1;
        }
    }
    for (uint32_t i = 0; d && i < count; i++) {
        body *b = domain_body(d, i);
        if (!b || b->kind != BODY_LG || wave_of[i]) continue;
        int pref = (b->code[0] - '0') * 10 + (b->code[1] - '0');
        bool is_pref = b->code[2] == '0' && b->code[3] == '0' && b->code[4] == '0';
        for (int w = 0; w < r->nwaves; w++) {
            ro_wave *wv = &r->waves[w];
            if (wv->ncodes == 0 && wave_matches(wv, b, pref, is_pref)) {
                wave_of[i] = w + 1;
                break;
            }
        }
    }
    int n = 0;
    for (uint32_t i = 0; i < count; i++) n += wave_of[i] != 0;
    r->members = calloc((size_t)(n ? n : 1), sizeof *r->members);
    if (!r->members) {
        free(wave_of);
        luaL_error(L, "out of memory");
    }
    for (uint32_t i = 0; i < count; i++) {
        if (!wave_of[i]) continue;
        body *b = domain_body(d, i);
        ro_member *m = &r->members[r->nmembers++];
        *m = (ro_member){.node = i, .site = b->home, .wave = wave_of[i] - 1, .population = b->population,
                         .live_day = -1};
        snprintf(m->code, sizeof m->code, "%s", b->code);
        m->pref = (b->code[0] - '0') * 10 + (b->code[1] - '0');
        m->is_pref = b->code[2] == '0' && b->code[3] == '0' && b->code[4] == '0';
        r->waves[m->wave].nmembers++;
    }
    free(wave_of);
    qsort(r->members, (size_t)r->nmembers, sizeof *r->members, member_cmp);
    for (int w = 0; w < r->nwaves; w++)
        if (r->waves[w].nmembers == 0 && !r->implicit_wave)
            rollout_raise(L, r->waves[w].where, "wave '%s' selects no local government%s", r->waves[w].name,
                  w > 0 ? " (or earlier waves took them all)" : "");
}

static bool applies(const ro *r, const ro_phase *ph, const ro_member *m)
{
    if (ph->kind == KIND_MUNICIPALITY && m->is_pref) return false;
    if (ph->kind == KIND_PREFECTURE && !m->is_pref) return false;
    if (!ph->nwaves) return true;
    for (int i = 0; i < ph->nwaves; i++)
        if (strcmp(ph->waves[i], r->waves[m->wave].name) == 0) return true;
    return false;
}

/* ---- capacities ------------------------------------------------------------------------ */

static int pool_units(const ro_capacity *c, const char *key)
{
    for (int i = 0; i < c->nover; i++)
        if (strcmp(c->over[i].key, key) == 0) return c->over[i].units;
    return c->units;
}

static void add_pool(lua_State *L, ro *r, int cap, const char *key)
{
    if (full(r->npools)) r->pools = xrealloc(L, r->pools, (size_t)(r->npools ? r->npools * 2 : 1) * sizeof *r->pools);
    ro_pool *p = &r->pools[r->npools++];
    *p = (ro_pool){.cap = cap, .units = pool_units(&r->caps[cap], key)};
    snprintf(p->key, sizeof p->key, "%s", key);
    r->caps[cap].npools++;
}

static void make_pools(lua_State *L, ro *r)
{
    for (int c = 0; c < r->ncaps; c++) {
        ro_capacity *cap = &r->caps[c];
        cap->first_pool = r->npools;
        cap->npools = 0;
        for (int k = 0; k < cap->nover; k++) {   /* keys must name something real */
            const char *key = cap->over[k].key;
            bool ok = false;
            if (cap->per == SCOPE_SITE) {
                sim_node *n = sim_world_find_node(r->w, key);
                ok = n && strcmp(n->kind->name, "site") == 0;
            } else if (cap->per == SCOPE_PREF) {
                ok = parse_pref(key) > 0 && strlen(key) == 2;
            } else if (cap->per == SCOPE_WAVE) {
                ok = find_wave(r, key) >= 0;
            }
            if (!ok)
                rollout_raise(L, cap->where, "capacity '%s': '%s' is not a %s%s", cap->name, key, rollout_scope_name(cap->per),
                      cap->per == SCOPE_PREF ? " number like \"13\"" : "");
        }
        if (cap->per == SCOPE_NATIONAL) {
            add_pool(L, r, c, "national");
        } else if (cap->per == SCOPE_WAVE) {
            for (int w = 0; w < r->nwaves; w++) add_pool(L, r, c, r->waves[w].name);
        } else if (cap->per == SCOPE_PREF) {
            for (int p = 1; p <= 47; p++) {
                bool any = false;
                for (int m = 0; m < r->nmembers && !any; m++) any = r->members[m].pref == p;
                char key[4];
                snprintf(key, sizeof key, "%02d", p);
                if (any) add_pool(L, r, c, key);
            }
        } else {
            uint32_t count = sim_world_node_count(r->w);
            for (uint32_t i = 0; i < count; i++) {
                bool any = false;
                for (int m = 0; m < r->nmembers && !any; m++) any = r->members[m].site == i;
                if (any) add_pool(L, r, c, sim_world_node(r->w, i)->name);
            }
        }
    }
}

/* The pool of capacity `cap` an instance draws on, or raises. */
static int pool_for(lua_State *L, ro *r, const ro_inst *in, int cap, const char *why)
{
    const ro_capacity *c = &r->caps[cap];
    const ro_phase *ph = &r->phases[in->phase];
    char key[40] = "";
    if (c->per == SCOPE_NATIONAL) {
        snprintf(key, sizeof key, "national");
    } else if (ph->scope == SCOPE_LG) {
        const ro_member *m = &r->members[in->entity];
        if (c->per == SCOPE_SITE) snprintf(key, sizeof key, "%s", sim_world_node(r->w, m->site)->name);
        else if (c->per == SCOPE_PREF) snprintf(key, sizeof key, "%02d", m->pref);
        else snprintf(key, sizeof key, "%s", r->waves[m->wave].name);
    } else if (ph->scope == SCOPE_PREF && c->per == SCOPE_PREF) {
        snprintf(key, sizeof key, "%02d", in->entity);
    } else if (ph->scope == SCOPE_WAVE && c->per == SCOPE_WAVE) {
        snprintf(key, sizeof key, "%s", r->waves[in->entity].name);
    } else {
        rollout_raise(L, ph->where, "phase '%s' (scope %s) cannot %s capacity '%s', which is kept per %s", ph->name,
              rollout_scope_name(ph->scope), why, c->name, rollout_scope_name(c->per));
    }
    for (int p = c->first_pool; p < c->first_pool + c->npools; p++)
        if (strcmp(r->pools[p].key, key) == 0) return p;
    rollout_raise(L, ph->where, "phase '%s': capacity '%s' has no pool for '%s'", ph->name, c->name, key);
    return -1;
}

/* ---- instances ------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static uint64_t hash_text(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);   /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
    return h;
}

uint64_t rollout_entity_seed(uint64_t base, const char *entity) { return mix64(base ^ hash_text(entity)); }

const char *rollout_entity_label(ro *r, const ro_inst *in, char buf[40])
{
    switch (r->phases[in->phase].scope) {
    case SCOPE_LG: return r->members[in->entity].code;
    case SCOPE_PREF: rollout_pref_code(in->entity, buf); return buf;
    case SCOPE_WAVE: return r->waves[in->entity].name;
    default: return "national";
    }
}

const char *rollout_group_of(ro *r, const ro_inst *in, bool by_pref, char buf[40])
{
    switch (r->phases[in->phase].scope) {
    case SCOPE_LG:
        if (by_pref) {
            rollout_pref_code(r->members[in->entity].pref, buf);
            return buf;
        }
        return r->waves[r->members[in->entity].wave].name;
    case SCOPE_PREF:
        if (by_pref) {
            rollout_pref_code(in->entity, buf);
            return buf;
        }
        return NULL;
    case SCOPE_WAVE: return by_pref ? NULL : r->waves[in->entity].name;
    default: return by_pref ? NULL : "national";
    }
}

static void add_int(lua_State *L, int **v, int *n, int x)
{
    if (full(*n)) *v = xrealloc(L, *v, (size_t)(*n ? *n * 2 : 1) * sizeof **v);
    (*v)[(*n)++] = x;
}

static int new_inst(lua_State *L, ro *r, int phase, int entity)
{
    if (full(r->ninst)) r->inst = xrealloc(L, r->inst, (size_t)(r->ninst ? r->ninst * 2 : 1) * sizeof *r->inst);
    ro_inst *in = &r->inst[r->ninst];
    *in = (ro_inst){.phase = phase, .entity = entity, .pool = -1, .slot_pool = -1, .evidence = -1};
    return r->ninst++;
}

static void make_instances(lua_State *L, ro *r)
{
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        ph->first_inst = r->ninst;
        ph->inst_of_member = xcalloc(L, (size_t)(r->nmembers ? r->nmembers : 1), sizeof *ph->inst_of_member);
        for (int m = 0; m < r->nmembers; m++) ph->inst_of_member[m] = -1;
        if (ph->scope == SCOPE_NATIONAL) {
            int i = new_inst(L, r, p, 0);
            for (int m = 0; m < r->nmembers; m++)
                if (applies(r, ph, &r->members[m])) {
                    ph->inst_of_member[m] = i;
                    add_int(L, &r->inst[i].members, &r->inst[i].nmembers, m);
                }
        } else if (ph->scope == SCOPE_LG) {
            for (int m = 0; m < r->nmembers; m++)
                if (applies(r, ph, &r->members[m])) {
                    ph->inst_of_member[m] = new_inst(L, r, p, m);
                    r->members[m].nlg++;
                }
        } else {
            int groups = ph->scope == SCOPE_PREF ? 48 : r->nwaves;
            for (int g = ph->scope == SCOPE_PREF ? 1 : 0; g < groups; g++) {
                int i = -1;
                for (int m = 0; m < r->nmembers; m++) {
                    const ro_member *mm = &r->members[m];
                    if ((ph->scope == SCOPE_PREF ? mm->pref : mm->wave) != g || !applies(r, ph, mm)) continue;
                    if (i < 0) i = new_inst(L, r, p, g);
                    ph->inst_of_member[m] = i;
                    add_int(L, &r->inst[i].members, &r->inst[i].nmembers, m);
                }
            }
        }
        ph->ninst = r->ninst - ph->first_inst;
    }
}

static void wire(lua_State *L, ro *r)
{
    int *seen = xcalloc(L, (size_t)(r->ninst ? r->ninst : 1), sizeof *seen);   /* stamp + 1 */
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        ro_phase *ph = &r->phases[in->phase];
        int single = in->entity;
        const int *cover = ph->scope == SCOPE_LG ? &single : in->members;
        int ncover = ph->scope == SCOPE_LG ? 1 : in->nmembers;
        for (int a = 0; a < ph->nafter; a++) {
            ro_ref *ref = &ph->after[a];
            if (ref->is_event) {
                add_int(L, &r->inst[i].evs, &r->inst[i].nevs, ref->index);
                continue;
            }
            ro_phase *dep = &r->phases[ref->index];
            if (dep->scope == SCOPE_NATIONAL || ph->scope == SCOPE_NATIONAL) {
                for (int j = dep->first_inst; j < dep->first_inst + dep->ninst; j++)
                    if (seen[j] != i + 1) {
                        seen[j] = i + 1;
                        add_int(L, &r->inst[i].deps, &r->inst[i].ndeps, j);
                    }
                continue;
            }
            for (int k = 0; k < ncover; k++) {
                int j = dep->inst_of_member[cover[k]];
                if (j >= 0 && seen[j] != i + 1) {
                    seen[j] = i + 1;
                    add_int(L, &r->inst[i].deps, &r->inst[i].ndeps, j);
                }
            }
        }
    }
    free(seen);
    for (int i = 0; i < r->ninst; i++)
        for (int k = 0; k < r->inst[i].ndeps; k++) {
            ro_inst *dep = &r->inst[r->inst[i].deps[k]];
            add_int(L, &dep->users, &dep->nusers, i);
        }
}

/* Phases in dependency order (they have no cycle by now), instances in that order. */
static void order(lua_State *L, ro *r)
{
    int n = r->nphases;
    int *indeg = xcalloc(L, (size_t)(n ? n : 1), sizeof *indeg), *ord = xcalloc(L, (size_t)(n ? n : 1), sizeof *ord);
    for (int p = 0; p < n; p++)
        for (int a = 0; a < r->phases[p].nafter; a++) indeg[p] += !r->phases[p].after[a].is_event;
    int head = 0, tail = 0;
    for (int p = 0; p < n; p++)
        if (!indeg[p]) ord[tail++] = p;
    while (head < tail) {
        int p = ord[head++];
        for (int q = 0; q < n; q++)   /* phases are few: a plain scan */
            for (int a = 0; a < r->phases[q].nafter; a++)
                if (!r->phases[q].after[a].is_event && r->phases[q].after[a].index == p && --indeg[q] == 0)
                    ord[tail++] = q;
    }
    r->topo = calloc((size_t)(r->ninst ? r->ninst : 1), sizeof *r->topo);
    if (!r->topo) {
        free(indeg);
        free(ord);
        luaL_error(L, "out of memory");
    }
    int k = 0;
    for (int o = 0; o < tail; o++) {
        ro_phase *ph = &r->phases[ord[o]];
        ph->order = o;
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) r->topo[k++] = i;
    }
    free(indeg);
    free(ord);
}

static void draw_all(lua_State *L, ro *r)
{
    uint64_t seed = sim_world_seed(r->w);
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        char name[256];
        snprintf(name, sizeof name, "rollout:phase:%s", ph->name);
        sim_rng base;
        sim_rng_derive(&base, seed, name);
        uint64_t phase_seed = sim_rng_next(&base);
        ph->sum_draw = 0;
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            ro_inst *in = &r->inst[i];
            char buf[40];
            sim_rng rng;
            sim_rng_seed(&rng, rollout_entity_seed(phase_seed, rollout_entity_label(r, in, buf)));
            in->draw = rollout_dist_draw(&ph->dur, &rng);
            ph->sum_draw += in->draw;
            in->need = rollout_whole_days(in->draw);
            in->plan_need = rollout_whole_days(ph->plan);
            in->redo = sim_rng_bernoulli(&rng, ph->redo_p);
            in->redo_need = rollout_whole_days(rollout_dist_draw(&ph->redo, &rng));
            if (in->redo && in->redo_need == 0) in->redo = false;
            in->persons = ph->bulk ? (int64_t)r->members[in->entity].population : 0;
        }
    }
    for (int e = 0; e < r->nevents; e++) {
        ro_event *ev = &r->events[e];
        char name[256];
        snprintf(name, sizeof name, "rollout:event:%s", ev->name);
        sim_rng rng;
        sim_rng_derive(&rng, seed, name);
        int late = rollout_whole_days(rollout_dist_draw(&ev->late, &rng));   /* drawn even when unused */
        ev->plan_day = rollout_day_of_date(r, ev->date);
        ev->day = ev->has_actual ? rollout_day_of_date(r, ev->actual)
                  : ev->has_slip   ? (ev->plan_day + ev->slip > 0 ? ev->plan_day + ev->slip : 0)
                                   : rollout_day_of_date(r, sim_calendar_add_business_days(
                                         &r->cal, sim_calendar_next_business_day(&r->cal, ev->date), late));
        ev->late_days = ev->day - ev->plan_day;
    }
    (void)L;
}

/* ---- prepare --------------------------------------------------------------------------- */

static void resolve_tests(lua_State *L, ro *r, ro_phase *ph)
{
    domain *d = domain_find(r->w);
    if (ph->scope != SCOPE_LG)
        rollout_raise(L, ph->where, "phase '%s': connection tests are run by each local government (scope \"lg\")", ph->name);
    if (ph->ninst && !d) rollout_raise(L, ph->where, "phase '%s': connection tests need the national flow (nws, sites, lg{})", ph->name);
    if (!d) return;
    int provider_agency = -1;
    ph->partner_node = UINT32_MAX;
    if (ph->partner && strcmp(ph->partner, "prefecture") != 0) {
        sim_node *n = sim_world_find_node(r->w, ph->partner);
        body *b = n ? domain_body(d, n->id) : NULL;
        if (!b) rollout_raise(L, ph->where, "phase '%s': test partner '%s' is not a local government or an agency", ph->name, ph->partner);
        ph->partner_node = n->id;
        provider_agency = b->kind == BODY_AGENCY ? b->agency_index : -1;
    } else if (!ph->partner) {
        uint32_t count = sim_world_node_count(r->w);
        for (uint32_t i = 0; i < count && ph->partner_node == UINT32_MAX; i++) {
            body *b = domain_body(d, i);
            if (b && b->kind == BODY_AGENCY) {
                ph->partner_node = i;
                provider_agency = b->agency_index;
            }
        }
    }
    if (ph->procedure) {
        ph->proc_index = domain_procedure(d, ph->procedure);
        if (ph->proc_index < 0) rollout_raise(L, ph->where, "phase '%s': unknown procedure '%s'", ph->name, ph->procedure);
    } else {
        ph->proc_index = -1;
        for (int p = 0; p < d->nprocs && ph->proc_index < 0; p++)
            if (d->procs[p].inquirer_agency < 0 && d->procs[p].provider_agency == provider_agency) ph->proc_index = p;
        if (ph->proc_index < 0 && ph->ninst)
            rollout_raise(L, ph->where, "phase '%s': the permission table has no procedure a local government asks %s; name one with tests = { procedure = ... }",
                  ph->name, provider_agency >= 0 ? d->agencies[provider_agency] : "another local government");
    }
    for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
        body *b = domain_body(d, r->members[r->inst[i].entity].node);
        if (!b->nresidents)
            rollout_raise(L, ph->where, "phase '%s': connection tests need residents (residents{} in the topology; %s has none)",
                  ph->name, b->code);
    }
}

static void resolve_capacities(lua_State *L, ro *r)
{
    int ndaily = 0, daily = -1;
    for (int c = 0; c < r->ncaps; c++)
        if (r->caps[c].daily) {
            ndaily++;
            daily = c;
        }
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        ph->uses_cap = ph->slots_cap = -1;
        if (ph->uses) {
            ph->uses_cap = find_cap(r, ph->uses);
            if (ph->uses_cap < 0) rollout_raise(L, ph->where, "phase '%s': unknown capacity '%s'", ph->name, ph->uses);
        }
        if (!ph->tests) {
            if (ph->slots) rollout_raise(L, ph->where, "phase '%s': 'slots' is for phases with tests", ph->name);
            continue;
        }
        if (ph->slots) {
            ph->slots_cap = find_cap(r, ph->slots);
            if (ph->slots_cap < 0) rollout_raise(L, ph->where, "phase '%s': unknown capacity '%s'", ph->name, ph->slots);
            if (!r->caps[ph->slots_cap].daily)
                rollout_raise(L, ph->where, "phase '%s': capacity '%s' is not daily (give it daily = true for test slots)", ph->name, ph->slots);
        } else if (ndaily > 1) {
            rollout_raise(L, ph->where, "phase '%s': there are several daily capacities; name one with tests = { slots = ... }", ph->name);
        } else {
            ph->slots_cap = daily;
        }
    }
}

int rollout_plan_prepare(lua_State *L, ro *r)
{
    if (r->prepared) return luaL_error(L, "the schedule is already prepared");
    r->prepared = true;
    if (!r->has_start) r->start_date = sim_date_of(sim_world_start(r->w));
    int64_t jlis, nws;
    node_bulk_capacity(r->w, &jlis, &nws);
    r->bulk_per_day = jlis < nws ? jlis : nws;
    /* names */
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        char what[160];
        snprintf(what, sizeof what, "phase '%s'", ph->name);
        resolve_refs(L, r, ph->after, ph->nafter, ph->where, what);
        for (int w = 0; w < ph->nwaves; w++)
            if (find_wave(r, ph->waves[w]) < 0)
                rollout_raise(L, ph->where, "phase '%s': unknown wave '%s'", ph->name, ph->waves[w]);
        if (ph->has_not_before && ph->has_deadline && ph->deadline < ph->not_before)
            rollout_raise(L, ph->where, "phase '%s': the deadline is before the phase may start", ph->name);
    }
    for (int k = 0; k < r->nms; k++) {
        ro_milestone *m = &r->ms[k];
        char what[160];
        snprintf(what, sizeof what, "milestone '%s'", m->name);
        resolve_refs(L, r, m->after, m->nafter, m->where, what);
        m->wave_index = -1;
        if (m->wave && (m->wave_index = find_wave(r, m->wave)) < 0)
            rollout_raise(L, m->where, "milestone '%s': unknown wave '%s'", m->name, m->wave);
    }
    if (r->critical) {
        bool found = false;
        for (int k = 0; k < r->nms; k++) found |= strcmp(r->ms[k].name, r->critical) == 0;
        if (!found) rollout_raise(L, r->where, "schedule: 'critical' names no milestone ('%s')", r->critical);
    }
    check_cycles(L, r);
    resolve_capacities(L, r);
    rollout_release_resolve(L, r);
    /* members, instances and their wiring */
    select_members(L, r);
    make_instances(L, r);
    wire(L, r);
    order(L, r);
    make_pools(L, r);
    for (int c = 0; c < r->ncaps; c++) {
        ro_capacity *cap = &r->caps[c];
        for (int p = cap->first_pool; p < cap->first_pool + cap->npools; p++)
            if (r->pools[p].units < 1)
                rollout_raise(L, cap->where, "capacity '%s': %s has %d units (at least 1)", cap->name, r->pools[p].key, r->pools[p].units);
    }
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        if (ph->tests) resolve_tests(L, r, ph);
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            ro_inst *in = &r->inst[i];
            if (ph->uses_cap >= 0) {
                in->pool = pool_for(L, r, in, ph->uses_cap, "hold");
                if (r->pools[in->pool].units < ph->uses_units)
                    rollout_raise(L, ph->where, "phase '%s' holds %d units of '%s' but %s has only %d", ph->name, ph->uses_units,
                          r->caps[ph->uses_cap].name, r->pools[in->pool].key, r->pools[in->pool].units);
            }
            if (ph->slots_cap >= 0) in->slot_pool = pool_for(L, r, in, ph->slots_cap, "test in");
            in->earliest = 0;
            if (ph->has_not_before) in->earliest = rollout_day_of_date(r, ph->not_before);
            int wave = ph->scope == SCOPE_LG ? r->members[in->entity].wave : ph->scope == SCOPE_WAVE ? in->entity : -1;
            if (wave >= 0 && r->waves[wave].has_start) {
                int ws = rollout_day_of_date(r, r->waves[wave].start);
                if (ws > in->earliest) in->earliest = ws;
            }
        }
    }
    r->nlg_phases = 0;
    r->lg_phases = xcalloc(L, (size_t)(r->nphases ? r->nphases : 1), sizeof *r->lg_phases);
    for (int p = 0; p < r->nphases; p++)
        if (r->phases[p].scope == SCOPE_LG) r->lg_phases[r->nlg_phases++] = p;
    if (rollout_index(r) < 0) return luaL_error(L, "out of memory");
    draw_all(L, r);
    rollout_release_draw(L, r);
    if (rollout_planned_pass(r) < 0)
        rollout_raise(L, r->where, "schedule: the plan does not finish within 200 years of business days");
    int rc = rollout_release_passes(r);
    if (rc == -ENOMEM) return luaL_error(L, "out of memory");
    if (rc < 0) rollout_raise(L, r->where, "schedule: a what-if of the plan does not finish within 200 years of business days");
    if (rollout_start_live(r) < 0) return luaL_error(L, "rollout: cannot start the schedule in the world");
    return 0;
}

void rollout_free_phase(ro_phase *ph)
{
    free(ph->name);
    free(ph->where);
    for (int a = 0; a < ph->nafter; a++) free(ph->after[a].name);
    free(ph->after);
    free(ph->uses);
    free(ph->slots);
    free(ph->partner);
    free(ph->procedure);
    for (int w = 0; w < ph->nwaves; w++) free(ph->waves[w]);
    free(ph->waves);
    free(ph->inst_of_member);
    free(ph->builds_on);
    for (int k = 0; k < ph->ncases; k++) free(ph->cases[k]);
    free(ph->cases);
    for (int k = 0; k < ph->nevidence; k++) {
        free(ph->ev_codes[k]);
        free(ph->ev_files[k]);
    }
    free(ph->ev_codes);
    free(ph->ev_files);
}

void rollout_free_event(ro_event *ev)
{
    free(ev->name);
    free(ev->where);
    for (int k = 0; k < ev->nafter; k++) free(ev->after[k]);
    free(ev->after);
    free(ev->after_ev);
}

void rollout_free_wave(ro_wave *wv)
{
    free(wv->name);
    free(wv->where);
    for (int k = 0; k < wv->nprefs; k++) free(wv->prefs[k]);
    free(wv->prefs);
    for (int k = 0; k < wv->ncodes; k++) free(wv->codes[k]);
    free(wv->codes);
}

void rollout_free_capacity(ro_capacity *c)
{
    free(c->name);
    free(c->where);
    for (int k = 0; k < c->nover; k++) free(c->over[k].key);
    free(c->over);
}

void rollout_free_milestone(ro_milestone *m)
{
    free(m->name);
    free(m->where);
    for (int a = 0; a < m->nafter; a++) free(m->after[a].name);
    free(m->after);
    free(m->wave);
}

void rollout_free(ro *r)
{
    for (int p = 0; p < r->nphases; p++) rollout_free_phase(&r->phases[p]);
    free(r->phases);
    for (int e = 0; e < r->nevents; e++) rollout_free_event(&r->events[e]);
    free(r->events);
    for (int w = 0; w < r->nwaves; w++) rollout_free_wave(&r->waves[w]);
    free(r->waves);
    for (int c = 0; c < r->ncaps; c++) rollout_free_capacity(&r->caps[c]);
    free(r->caps);
    free(r->pools);
    for (int k = 0; k < r->nms; k++) rollout_free_milestone(&r->ms[k]);
    free(r->ms);
    for (int k = 0; k < r->nrels; k++) rollout_free_release(&r->rels[k]);
    free(r->rels);
    for (int k = 0; k < r->ncatalogue; k++) free(r->catalogue[k]);
    free(r->catalogue);
    free(r->catalogue_where);
    free(r->as_of);
    for (int k = 0; k < r->nsignal_phases; k++) free(r->signal_phases[k]);
    free(r->signal_phases);
    free(r->operator_name);
    free(r->uptake_lag);
    free(r->sens_days);
    free(r->members);
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        free(in->members);
        free(in->deps);
        free(in->users);
        free(in->evs);
        free(in->test_days);
    }
    free(r->inst);
    free(r->topo);
    free(r->lg_phases);
    free(r->days);
    free(r->act);
    free(r->cand);
    free(r->que);
    free(r->scratch);
    free(r->phase_active);
    free(r->tests);
    free(r->testing);
    free(r->readiness);
    free(r->critical);
    free(r->where);
    sim_map_free(&r->flows);
    sim_calendar_free(&r->cal);
}
