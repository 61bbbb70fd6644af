/* app/outdir.c - the --out directory's protocol, so that its files never lie (issue 15):
 *
 *   - at the start, PARTIAL is written and the previous run's summary.json, report.html and
 *     trace (trace.jsonl, trace.jsonl.zst) are removed, so a run killed by any signal (SIGKILL included) never leaves
 *     an old summary beside a new trace;
 *   - each file is written under NAME.part and renamed to NAME once it is whole, so a reader
 *     sees either no NAME or a complete one; the file is flushed to the disk (fsync) before
 *     the rename and the directory after it, so a machine that loses power cannot leave a
 *     NAME that is empty or cut short (rename is atomic, but not durable by itself);
 *   - PARTIAL is removed last, and only when the run completed and every file was written:
 *     its presence says the directory holds an interrupted, failed or unfinished run. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"

static const char PARTIAL_TEXT[] =
    "renkei: the outputs in this directory are partial: the run was interrupted, failed, or is still being\n"
    "written (summary.json, when present, says why: \"complete\": false). A complete run removes this file.\n";

/* The files a run writes whole (the connection test's session log is written as .part while
 * the session runs, like the trace, and renamed when its end line is in). */
static const char *const OUTPUTS[] = {"summary.json", "report.html", "trace.jsonl", "trace.jsonl.zst", "connect_session.jsonl", NULL};

/* fsync the file or directory at path: 0 or -errno. */
static int sync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    if (close(fd) < 0 && rc == 0) rc = -errno;
    return rc;
}

int app_outdir_begin(session *s)
{
    int rc = app_make_dirs(s->o.out_dir);
    if (rc < 0) {
        fprintf(stderr, "renkei: --out %s: %s\n", s->o.out_dir, strerror(-rc));
        return rc;
    }
    /* the marker first: from here on the directory never looks complete until it is */
    const char *path = app_out_file(s, "PARTIAL");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : -1;
    rc = fd < 0 ? (path ? -errno : -ENOMEM) : 0;
    if (fd >= 0) {
        if (write(fd, PARTIAL_TEXT, sizeof PARTIAL_TEXT - 1) != (ssize_t)(sizeof PARTIAL_TEXT - 1)) rc = -EIO;
        if (close(fd) < 0 && rc == 0) rc = -errno;
    }
    for (int i = 0; rc == 0 && OUTPUTS[i]; i++) {
        path = app_out_file(s, OUTPUTS[i]);
        if (!path) rc = -ENOMEM;
        else if (unlink(path) < 0 && errno != ENOENT) rc = -errno;
    }
    if (rc < 0) fprintf(stderr, "renkei: %s: %s\n", path ? path : s->o.out_dir, strerror(-rc));
    return rc;
}

char *app_out_part(session *s, const char *name)
{
    char part[256];
    snprintf(part, sizeof part, "%s.part", name);
    return app_out_file(s, part);
}

int app_out_commit(session *s, const char *name)
{
    char *from = app_out_part(s, name);
    char *tmp = from ? strdup(from) : NULL;
    int rc = tmp ? sync_path(tmp, false) : -ENOMEM;
    if (rc < 0) {
        fprintf(stderr, "renkei: cannot write %s: %s\n", tmp ? tmp : name, strerror(-rc));
        free(tmp);
        return rc;
    }
    const char *to = app_out_file(s, name);
    rc = to && rename(tmp, to) == 0 ? 0 : to ? -errno : -ENOMEM;
    if (rc < 0) fprintf(stderr, "renkei: cannot rename %s to %s: %s\n", tmp, name, strerror(-rc));
    if (rc == 0 && (rc = sync_path(s->o.out_dir, true)) < 0)
        fprintf(stderr, "renkei: cannot write %s (its directory entries): %s\n", s->o.out_dir, strerror(-rc));
    free(tmp);
    return rc;
}

int app_outdir_end(session *s, bool complete)
{
    if (!complete) return 0;   /* PARTIAL stays: the directory says so itself */
    const char *path = app_out_file(s, "PARTIAL");
    int rc = 0;
    if (path && (unlink(path) == 0 || errno == ENOENT)) {
        rc = sync_path(s->o.out_dir, true);
        if (rc == 0) return 0;
        path = s->o.out_dir;
    }
    if (rc == 0) rc = path ? -errno : -ENOMEM;
    fprintf(stderr, "renkei: cannot remove %s: %s\n", path ? path : "PARTIAL", strerror(-rc));
    return rc;
}
