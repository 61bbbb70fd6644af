/* kinds/body_create.c - the constructors of a local government, an agency and a platform site
 * with its interface system, for C callers and for the Lua constructors lg{}, agency{} and
 * site{} (script/script.c), which read their tables and call these. Each checks its spec
 * first and creates nothing when it refuses; the reasons are the lines the Lua constructors
 * have always raised, so a scenario sees the same errors as before. */
#include "kinds/kinds.h"

#include "platform/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default link of a constructor: up, 1 Gb/s, `latency` one way. */
static sim_link_params default_link(int64_t latency)
{
    return (sim_link_params){.up = true, .bandwidth = 1e9, .latency = latency};
}

static int join(sim_world *w, sim_node *a, sim_node *b, const sim_link_params *p, char *why, size_t n)
{
    int rc = sim_link_add(w, a->id, b->id, p);
    if (rc < 0 && rc != -EEXIST) {
        snprintf(why, n, "link %s - %s: %s", a->name, b->name, strerror(-rc));
        return rc;
    }
    return 0;
}

static sim_node *ifs_of(sim_world *w, const sim_node *server)
{
    char name[128];
    snprintf(name, sizeof name, "%s.ifs", server->name);
    return sim_world_find_node(w, name);
}

static body *new_body(body_kind kind, const char *code, const char *name)
{
    body *b = calloc(1, sizeof *b);
    if (!b || !(b->name = strdup(name))) {
        free(b);
        return NULL;
    }
    b->kind = kind;
    b->agency_index = -1;
    snprintf(b->code, sizeof b->code, "%s", code);
    return b;
}

int node_lg_check_digit(const char *code)
{
    if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6) return -EINVAL;
    int sum = 0;
    for (int i = 0; i < 5; i++) sum += (code[i] - '0') * (6 - i);
    return (11 - sum % 11) % 10;
}

/* ---- local governments ----------------------------------------------------------------- */

int node_body_check_lg(sim_world *w, const node_lg_spec *spec, char *why, size_t n)
{
    const char *code = spec->code;
    int digit = node_lg_check_digit(code);
    if (digit < 0) return snprintf(why, n, "lg: 'code' must be a 6-digit local-government code"), -EINVAL;
    if (digit != code[5] - '0') return snprintf(why, n, "lg %s: wrong check digit (expected %d)", code, digit), -EINVAL;
    if (sim_world_find_node(w, code)) return snprintf(why, n, "lg %s: a node with that name exists", code), -EEXIST;
    if (!spec->home) return snprintf(why, n, "lg %s: 'home' (a site) is required", code), -EINVAL;
    sim_node *home = spec->home, *backup = spec->backup ? spec->backup : spec->home;
    if (home->kind != &platform_site_kind) return snprintf(why, n, "%s: '%s' is not a site", code, home->name), -EINVAL;
    if (backup->kind != &platform_site_kind) return snprintf(why, n, "%s: '%s' is not a site", code, backup->name), -EINVAL;
    if (!ifs_of(w, home))
        return snprintf(why, n, "lg %s: site %s has no interface system (%s.ifs)", code, home->name, home->name), -ENOENT;
    if (backup != home) {   /* sites mirror in pairs: each has one peer */
        const site_ha *hh = platform_ha_of(home), *hb = platform_ha_of(backup);
        if ((hh->peer != UINT32_MAX && hh->peer != backup->id) || (hb->peer != UINT32_MAX && hb->peer != home->id))
            return snprintf(why, n, "lg %s: site %s already backs up to another site (sites pair up: one peer each)",
                            code, home->name), -EBUSY;
    }
    return 0;
}

int node_body_create_lg(sim_world *w, const node_lg_spec *spec, sim_node **out, char *why, size_t n)
{
    int rc = node_body_check_lg(w, spec, why, n);
    if (rc < 0) return rc;
    domain *d = domain_get(w);
    sim_node *home = spec->home, *backup = spec->backup ? spec->backup : spec->home;
    body *b = d ? new_body(BODY_LG, spec->code, spec->name ? spec->name : spec->code) : NULL;
    if (!b) return snprintf(why, n, "out of memory"), -ENOMEM;
    b->population = spec->population;
    b->home = home->id;
    b->backup = backup->id;
    b->server = home->id;
    b->ifs = ifs_of(w, home)->id;
    sim_node *node;
    rc = sim_world_add_node(w, &node_body_kind, spec->code, b, &node);
    if (rc < 0) {
        free(b->name);
        free(b);
        return snprintf(why, n, "lg %s: %s", spec->code, strerror(-rc)), rc;
    }
    /* From here the node owns b (freed with the world). */
    if (backup != home) {
        platform_ha_of(home)->peer = backup->id;
        platform_ha_of(backup)->peer = home->id;
    }
    b->node = b->tenant = node->id;
    if (domain_add_body(d, b) < 0) return snprintf(why, n, "out of memory"), -ENOMEM;
    sim_link_params def = default_link(2 * SIM_MS);
    const sim_link_params *p = spec->link ? spec->link : &def;
    rc = join(w, node, home, p, why, n);
    if (rc == 0 && backup != home) rc = join(w, node, backup, p, why, n);
    if (rc == 0 && d->jlis != UINT32_MAX) rc = node_lg_join_jlis(w, node, why, n);
    if (rc < 0) return rc;
    if (out) *out = node;
    return 0;
}

/* The municipality's 住基ネット connection (its CS to J-LIS), by which the resident-record code
 * leaves it in a code acquisition: modelled as the body's own link to J-LIS, 10 ms (an
 * assumption, like every latency here). Made with the body when J-LIS exists, else when J-LIS
 * is declared. */
int node_lg_join_jlis(sim_world *w, sim_node *lg, char *why, size_t n)
{
    domain *d = domain_get(w);
    sim_node *jlis = d && d->jlis != UINT32_MAX ? sim_world_node(w, d->jlis) : NULL;
    if (!jlis) return 0;
    sim_link_params def = default_link(10 * SIM_MS);
    return join(w, lg, jlis, &def, why, n);
}

/* ---- agencies ---------------------------------------------------------------------------- */

static int agency_index(const domain *d, const char *name)
{
    for (int i = 0; i < d->nagencies; i++)
        if (strcmp(d->agencies[i], name) == 0) return i;
    return -1;
}

int node_body_check_agency(sim_world *w, const node_agency_spec *spec, char *why, size_t n)
{
    const char *name = spec->name;
    if (!name || !*name) return snprintf(why, n, "agency: 'name' (a string) is required"), -EINVAL;
    if (sim_world_find_node(w, name)) return snprintf(why, n, "agency %s: a node with that name exists", name), -EEXIST;
    domain *d = domain_get(w);
    if (!d) return snprintf(why, n, "out of memory"), -ENOMEM;
    if (agency_index(d, name) < 0 &&
        (d->nagencies == (int)(sizeof d->agencies / sizeof d->agencies[0]) || strlen(name) >= sizeof d->agencies[0]))
        return snprintf(why, n, "agency %s: too many agencies or name too long", name), -ENOSPC;
    /* Its interface system could not be made: the Lua constructor has always said this. */
    char ifs[128];
    snprintf(ifs, sizeof ifs, "%s.ifs", name);
    if (sim_world_find_node(w, ifs)) return snprintf(why, n, "agency %s: out of memory", name), -EEXIST;
    return 0;
}

int node_body_create_agency(sim_world *w, const node_agency_spec *spec, sim_node **out, char *why, size_t n)
{
    int rc = node_body_check_agency(w, spec, why, n);
    if (rc < 0) return rc;
    domain *d = domain_get(w);
    const char *name = spec->name;
    int index = agency_index(d, name);
    if (index < 0) {
        index = d->nagencies;
        snprintf(d->agencies[d->nagencies++], sizeof d->agencies[0], "%s", name);
    }
    body *b = new_body(BODY_AGENCY, name, spec->name_ja ? spec->name_ja : name);
    if (!b) return snprintf(why, n, "out of memory"), -ENOMEM;
    b->agency_index = index;
    b->own_db = calloc(1, sizeof *b->own_db);
    sim_node *node = NULL, *ifs;
    rc = b->own_db ? platform_tenant_db_open(d, b->own_db, name) : -ENOMEM;
    if (rc == 0) rc = sim_world_add_node(w, &node_body_kind, name, b, &node);
    if (rc < 0) {
        if (b->own_db) platform_tenant_db_close(b->own_db);
        free(b->own_db);
        free(b->name);
        free(b);
        return snprintf(why, n, "agency %s: %s", name, strerror(-rc)), rc;
    }
    /* From here the node owns b (freed with the world). */
    b->node = b->tenant = b->server = b->home = b->backup = node->id;
    if (domain_add_body(d, b) < 0 || node_ifs_create(w, node, &ifs) < 0)
        return snprintf(why, n, "agency %s: out of memory", name), -ENOMEM;
    b->ifs = ifs->id;
    sim_link_params def = default_link(1 * SIM_MS);
    rc = join(w, node, ifs, spec->link ? spec->link : &def, why, n);
    if (rc < 0) return rc;
    if (out) *out = node;
    return 0;
}

/* ---- sites --------------------------------------------------------------------------------- */

int node_site_check(sim_world *w, const node_site_spec *spec, char *why, size_t n)
{
    const char *name = spec->name;
    if (!name || !*name) return snprintf(why, n, "site: 'name' (a string) is required"), -EINVAL;
    if (sim_world_find_node(w, name)) return snprintf(why, n, "site %s: a node with that name exists", name), -EEXIST;
    char ifs[128];
    snprintf(ifs, sizeof ifs, "%s.ifs", name);
    if (sim_world_find_node(w, ifs)) return snprintf(why, n, "site %s: %s", name, strerror(EEXIST)), -EEXIST;
    sim_node *ops = sim_world_find_node(w, "ops");
    if (ops && ops->kind != &platform_ops_kind)
        return snprintf(why, n, "site %s: a node named 'ops' exists and is not the operations centre", name), -EEXIST;
    return 0;
}

int node_site_create_with_ifs(sim_world *w, const node_site_spec *spec, sim_node **out, char *why, size_t n)
{
    int rc = node_site_check(w, spec, why, n);
    if (rc < 0) return rc;
    const char *name = spec->name;
    sim_node *site, *ifs;
    rc = platform_site_create(w, name, &site);
    if (rc == 0) rc = node_ifs_create(w, site, &ifs);
    if (rc < 0) return snprintf(why, n, "site %s: %s", name, strerror(-rc)), rc;
    sim_link_params ifs_def = default_link(1 * SIM_MS), ops_def = default_link(3 * SIM_MS);
    rc = join(w, site, ifs, spec->ifs_link ? spec->ifs_link : &ifs_def, why, n);
    if (rc < 0) return rc;
    platform_ha_of(site)->ifs = ifs->id;
    sim_node *ops = sim_world_find_node(w, "ops");
    if (!ops && (rc = platform_ops_create(w, &ops)) < 0) return snprintf(why, n, "site %s: %s", name, strerror(-rc)), rc;
    rc = join(w, site, ops, spec->ops_link ? spec->ops_link : &ops_def, why, n);
    if (rc < 0) return rc;
    if (out) *out = site;
    return 0;
}
