/* app/merge.c - `renkei merge --out DIR SHARD_DIR ...`: the shards of a Monte Carlo run on
 * several machines (`renkei run ... --runs N --shard K/N --out SHARD_DIR`) combined into the
 * summary one machine would have written: their records folded in seed order, as one machine
 * folds them, into shard 1's summary (shard 1 ran the base seed in full), with its report and
 * trace. Every shard must be complete (no PARTIAL), from the same inputs, and each of 1..N
 * present once. The shards of a swarm (`renkei swarm --shard K/N --out SHARD_DIR`, their
 * swarm.json) are merged the same way into DIR/swarm.json (app_swarm_merge). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "report/report_html.h"

static cJSON *read_json(const char *dir, const char *name, char *why, size_t whylen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *p = realloc(text, cap);
            if (!p) break;
            text = p;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    cJSON *root = text ? (text[len] = '\0', cJSON_Parse(text)) : NULL;
    free(text);
    if (!root) snprintf(why, whylen, "%s: not JSON", path);
    return root;
}

static bool same_field(const cJSON *a, const cJSON *b, const char *key)
{
    const cJSON *x = cJSON_GetObjectItem(a, key), *y = cJSON_GetObjectItem(b, key);
    return (!x && !y) || (x && y && cJSON_Compare(x, y, true));
}

/* The first shard's inputs as run options (the strings stay in first). */
static int opts_of(const cJSON *first, run_opts *o)
{
    const cJSON *files = cJSON_GetObjectItem(first, "scripts"), *sets = cJSON_GetObjectItem(first, "sets");
    int nf = cJSON_GetArraySize(files), ns = cJSON_GetArraySize(sets);
    *o = (run_opts){0};
    o->files = calloc((size_t)nf + 1, sizeof *o->files);
    o->sets = calloc((size_t)ns + 1, sizeof *o->sets);
    if (!o->files || !o->sets) return -ENOMEM;
    for (const cJSON *f = files ? files->child : NULL; f; f = f->next)
        if (cJSON_IsString(f)) o->files[o->nfiles++] = f->valuestring;
    for (const cJSON *v = sets ? sets->child : NULL; v; v = v->next)
        if (cJSON_IsString(v)) o->sets[o->nsets++] = v->valuestring;
    const cJSON *until = cJSON_GetObjectItem(first, "until"), *level = cJSON_GetObjectItem(first, "trace_level");
    o->until = cJSON_IsString(until) ? until->valuestring : NULL;
    if (cJSON_IsString(level)) (void)sim_trace_level_parse(level->valuestring, &o->trace_level);
    o->seed = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(first, "seed"));
    o->runs = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(first, "runs"));
    return 0;
}

/* DIR/name from the shard's directory: a hard link, else a copy. 0 or -errno. */
static int take_file(session *s, const char *from_dir, const char *name)
{
    char from[4096];
    snprintf(from, sizeof from, "%s/%s", from_dir, name);
    if (access(from, F_OK) != 0) return 0;   /* that shard wrote no such file */
    const char *to = app_out_part(s, name);
    if (!to) return -ENOMEM;
    unlink(to);
    if (link(from, to) != 0) {
        int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        int rc = in < 0 || out < 0 ? -errno : 0;
        char buf[65536];
        for (ssize_t n; rc == 0 && (n = read(in, buf, sizeof buf)) > 0;)
            if (write(out, buf, (size_t)n) != n) rc = -EIO;
        if (in >= 0) close(in);
        if (out >= 0 && close(out) != 0 && rc == 0) rc = -errno;
        if (rc < 0) {
            fprintf(stderr, "renkei: cannot copy %s: %s\n", from, strerror(-rc));
            return rc;
        }
    }
    return app_out_commit(s, name);
}

int app_cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int ndirs = 0;
    if (!dirs) return app_one_line_error("%s", "out of memory");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else if (argv[i][0] == '-') {
            free(dirs);
            return app_usage_error("merge: unknown option '%s'", argv[i]);
        } else dirs[ndirs++] = argv[i];
    }
    if (!out || !*out || ndirs == 0) {
        free(dirs);
        return app_usage_error("%s", "merge: expected --out DIR and the shards' directories");
    }
    char why[4300] = "";
    cJSON **shards = calloc((size_t)ndirs, sizeof *shards);
    const char **by_k = calloc((size_t)ndirs + 1, sizeof *by_k);
    int status = shards && by_k ? 0 : app_one_line_error("%s", "out of memory");
    cJSON **ordered = calloc((size_t)ndirs, sizeof *ordered);
    if (!ordered && status == 0) status = app_one_line_error("%s", "out of memory");
    for (int i = 0; status == 0 && i < ndirs; i++) {
        char partial[4096];
        snprintf(partial, sizeof partial, "%s/PARTIAL", dirs[i]);
        if (access(partial, F_OK) == 0) {
            status = app_one_line_error("merge: %s is incomplete (PARTIAL): run that shard again", dirs[i]);
            break;
        }
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/shard.json", dirs[i]);
        bool runs = access(probe, F_OK) == 0;
        shards[i] = read_json(dirs[i], runs ? "shard.json" : "swarm.json", why, sizeof why);
        if (!shards[i]) {
            status = app_one_line_error("merge: %s (neither a --runs shard's shard.json nor a swarm's swarm.json)", why);
            break;
        }
        const cJSON *sh = shards[i];
        if (!runs && !cJSON_GetObjectItem(sh, "shard_n")) {
            status = app_one_line_error("merge: %s/swarm.json is a whole swarm, not a shard (--shard K/N)", dirs[i]);
            break;
        }
        if (!runs) cJSON_AddStringToObject(shards[i], "kind", "swarm");
        uint64_t k = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "shard_k"));
        uint64_t n = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "shard_n"));
        static const char *const same[] = {"kind", "shard_n", "seed", "runs", "scripts", "sets", "until", "trace_level", "renkei",
                                           "topology", "first_seed", "seeds", "faults_max", "kinds", "modes_requested"};
        for (size_t f = 0; i > 0 && f < sizeof same / sizeof *same; f++) {
            if (!same_field(shards[0], sh, same[f])) {
                status = app_one_line_error("merge: %s/shard.json: its %s differs from %s's: shards of different runs", dirs[i], same[f], dirs[0]);
                break;
            }
        }
        if (status) break;
        if (n != (uint64_t)ndirs || k < 1 || k > n) {
            status = app_one_line_error("merge: %s is shard %llu of %llu: expected the %d shards of one run", dirs[i],
                                        (unsigned long long)k, (unsigned long long)n, ndirs);
        } else if (by_k[k - 1]) {
            status = app_one_line_error("merge: %s and %s are both shard %llu", by_k[k - 1], dirs[i], (unsigned long long)k);
        } else {
            by_k[k - 1] = dirs[i];
            ordered[k - 1] = shards[i];
        }
    }
    bool swarm = status == 0 && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(ordered[0], "kind")), "swarm") == 0;
    if (swarm) {
        int rc = app_make_dirs(out);
        if (rc < 0) status = app_one_line_error("merge: --out %s: %s", out, strerror(-rc));
        else status = app_swarm_merge(ordered, by_k, (size_t)ndirs, out);
        if (status < 0) status = app_one_line_error("%s", "out of memory");
    }
    cJSON *summary = status == 0 && !swarm ? read_json(by_k[0], "summary.json", why, sizeof why) : NULL;
    if (status == 0 && !summary && !swarm) status = app_one_line_error("merge: %s", why);
    session s = {.trace_fd = -1};
    run_opts o = {0};
    if (status == 0 && !swarm && opts_of(ordered[0], &o) < 0) status = app_one_line_error("%s", "out of memory");
    if (status == 0 && !swarm) {
        int merged = app_runs_merge(&o, ordered, (size_t)ndirs, summary);
        if (merged < 0) status = app_one_line_error("%s", "out of memory");
        else status = merged;
    }
    bool written = false;
    if (summary && status != EXIT_USAGE) {
        bool done = (status == EXIT_PASS || status == EXIT_FAIL) && cJSON_IsTrue(cJSON_GetObjectItem(summary, "complete"));
        cJSON_ReplaceItemInObject(summary, "complete", cJSON_CreateBool(done));
        cJSON_ReplaceItemInObject(summary, "exit_status", cJSON_CreateNumber(status));
        s.o.out_dir = out;
        int rc = app_outdir_begin(&s);
        const char *trace = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(summary, "trace"), "file"));
        if (rc == 0 && trace && !strchr(trace, '/')) rc = take_file(&s, by_k[0], trace);
        const char *page = rc == 0 ? app_out_part(&s, "report.html") : NULL;
        if (page) rc = report_html_write(page, summary);
        if (page && rc == 0) rc = app_out_commit(&s, "report.html");
        if (rc == 0) rc = app_write_json(&s, "summary.json", summary);
        if (rc == 0) rc = app_outdir_end(&s, done);
        if (rc < 0 && status <= EXIT_FAIL) status = EXIT_OUTPUT;
        written = rc == 0;
    }
    if (written) {
        const cJSON *mc = cJSON_GetObjectItem(summary, "monte_carlo");
        printf("renkei: merged %d shard(s): %g of %g runs, %g passed, %g failed, %g with errors -> %s/summary.json\n", ndirs,
               cJSON_GetNumberValue(cJSON_GetObjectItem(mc, "runs")), cJSON_GetNumberValue(cJSON_GetObjectItem(mc, "requested")),
               cJSON_GetNumberValue(cJSON_GetObjectItem(mc, "passed")), cJSON_GetNumberValue(cJSON_GetObjectItem(mc, "failed")),
               cJSON_GetNumberValue(cJSON_GetObjectItem(mc, "errors")), out);
    }
    free(s.out_path);
    free(o.files);
    free(o.sets);
    cJSON_Delete(summary);
    for (int i = 0; shards && i < ndirs; i++) cJSON_Delete(shards[i]);
    free(shards);
    free(ordered);
    free(by_k);
    free(dirs);
    return status;
}
