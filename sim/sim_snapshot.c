/* sim_snapshot.c - keyed snapshots of the stores built before a run (see sim_snapshot.h). */
#include "sim_snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_internal.h"

static void to_hex(const unsigned char *d, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

/* SHA-256 of a file's bytes into md (which the caller finalises), or -errno. */
static int digest_file(EVP_MD_CTX *md, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    int rc = buf ? 0 : -ENOMEM;
    for (ssize_t n; rc == 0 && (n = read(fd, buf, CHUNK)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = -errno;
        else if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) rc = -EIO;
    }
    free(buf);
    close(fd);
    return rc;
}

static int file_sha256(const char *path, char hex[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32];
    int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? digest_file(md, path) : -ENOMEM;
    if (rc == 0 && EVP_DigestFinal_ex(md, d, NULL) != 1) rc = -EIO;
    EVP_MD_CTX_free(md);
    if (rc == 0) to_hex(d, hex);
    return rc;
}

int sim_snapshot_inputs(const char *const *files, int nfiles, const char *const *params, int nparams, char hex[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32];
    int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -ENOMEM;
    /* each part with its length first: ("ab", "c") and ("a", "bc") differ */
    for (int i = 0; rc == 0 && i < nfiles; i++) {
        char sub[65];
        rc = file_sha256(files[i], sub);
        if (rc == 0 && EVP_DigestUpdate(md, sub, 64) != 1) rc = -EIO;
    }
    for (int i = 0; rc == 0 && i < nparams; i++) {
        uint64_t len = strlen(params[i]);
        if (EVP_DigestUpdate(md, &len, sizeof len) != 1 || EVP_DigestUpdate(md, params[i], len) != 1) rc = -EIO;
    }
    if (rc == 0 && EVP_DigestFinal_ex(md, d, NULL) != 1) rc = -EIO;
    EVP_MD_CTX_free(md);
    if (rc == 0) to_hex(d, hex);
    return rc;
}

int sim_snapshot_key(sim_world *w, const void *state, size_t n, char key[65])
{
    if (!w->snapshot_dir) return -EINVAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32];
    /* the binary: its code decides how the state is built */
    int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? digest_file(md, "/proc/self/exe") : -ENOMEM;
    if (rc == 0 && (EVP_DigestUpdate(md, w->snapshot_inputs, strlen(w->snapshot_inputs)) != 1 ||
                    EVP_DigestUpdate(md, &w->seed, sizeof w->seed) != 1 || EVP_DigestUpdate(md, state, n) != 1 ||
                    EVP_DigestFinal_ex(md, d, NULL) != 1))
        rc = -EIO;
    EVP_MD_CTX_free(md);
    if (rc == 0) to_hex(d, key);
    return rc;
}

static char *path_of(const char *root, const char *dir, const char *name, const char *ext)
{
    size_t len = strlen(root) + strlen(dir) + (name ? strlen(name) : 0) + strlen(ext) + 3;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s%s%s%s", root, dir, name ? "/" : "", name ? name : "", ext);
    return p;
}

/* Remove the directory root/dir and the files in it (snapshots have no subdirectories). */
static void remove_snapshot(const char *root, const char *dir)
{
    char *top = path_of(root, dir, NULL, "");
    DIR *dp = top ? opendir(top) : NULL;
    for (struct dirent *e; dp && (e = readdir(dp));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *f = path_of(root, dir, e->d_name, "");
        if (f) unlink(f);
        free(f);
    }
    if (dp) closedir(dp);
    if (top) rmdir(top);
    free(top);
}

/* The digest MANIFEST gives for name.sqlite, into hex; false when it has none. */
static bool manifest_digest(const char *manifest, const char *name, char hex[65])
{
    size_t n = strlen(name);
    for (const char *line = manifest; *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        /* "HEX  NAME.sqlite" */
        if (end - line == 66 + (ptrdiff_t)n + 7 && strncmp(line + 66, name, n) == 0 &&
            strncmp(line + 66 + n, ".sqlite", 7) == 0) {
            memcpy(hex, line, 64);
            hex[64] = '\0';
            return true;
        }
        line = *end ? end + 1 : end;
    }
    return false;
}

static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) return NULL;
    enum { MAX = 1 << 20 };
    char *buf = malloc(MAX + 1);
    size_t n = buf ? fread(buf, 1, MAX, f) : 0;
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

int sim_snapshot_load(sim_world *w, const char *key, sim_store *const *stores, const char *const *names,
                      size_t n, char *why, size_t whylen)
{
    const char *root = w->snapshot_dir;
    char *manifest_path = root ? path_of(root, key, "MANIFEST", "") : NULL;
    if (!manifest_path) return root ? -ENOMEM : 0;
    char *manifest = read_small_file(manifest_path);
    int err = errno;
    free(manifest_path);
    if (!manifest) {
        char *top = path_of(root, key, NULL, "");
        struct stat st;
        bool there = top && stat(top, &st) == 0;
        free(top);
        if (err == ENOENT && !there) return 0;
        snprintf(why, whylen, "%s/%s/MANIFEST: %s", root, key, strerror(err));
        remove_snapshot(root, key);
        w->snapshot_status = "damaged";
        return -EBADMSG;
    }
    /* every file checked before any is read: a damaged snapshot leaves the stores as they were */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char want[65], got[65];
        char *file = path_of(root, key, names[i], ".sqlite");
        if (!file) {
            rc = -ENOMEM;
            break;
        }
        if (!manifest_digest(manifest, names[i], want)) {
            snprintf(why, whylen, "%s: not in its MANIFEST", file);
            rc = -EBADMSG;
        } else if ((rc = file_sha256(file, got)) < 0) {
            snprintf(why, whylen, "%s: %s", file, strerror(-rc));
            rc = -EBADMSG;
        } else if (strcmp(want, got) != 0) {
            snprintf(why, whylen, "%s: its SHA-256 is not the one in MANIFEST (truncated or corrupted)", file);
            rc = -EBADMSG;
        }
        free(file);
    }
    free(manifest);
    if (rc == -EBADMSG) {
        remove_snapshot(root, key);
        w->snapshot_status = "damaged";   /* "rebuilt" once written again */
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *file = path_of(root, key, names[i], ".sqlite");
        if (!file) rc = -ENOMEM;
        else if ((rc = sim_store_load_file(stores[i], file)) < 0) snprintf(why, whylen, "%s: %s", file, sim_store_errmsg(stores[i]));
        free(file);
    }
    if (rc < 0) return rc;
    char *top = path_of(root, key, NULL, "");
    if (top) utimensat(AT_FDCWD, top, NULL, 0);   /* used now: the last to be pruned */
    free(top);
    snprintf(w->snapshot_key, sizeof w->snapshot_key, "%s", key);
    w->snapshot_status = "read";
    return 1;
}

/* Keep the KEEP most recently used snapshots under root: each can be hundreds of MB. */
enum { KEEP = 4 };

static void prune(const char *root)
{
    struct old { char name[80]; struct timespec t; } olds[64];
    int n = 0;
    DIR *dp = opendir(root);
    for (struct dirent *e; dp && (e = readdir(dp));) {
        if (strlen(e->d_name) != 64) continue;   /* only finished snapshots: KEY */
        char *p = path_of(root, e->d_name, NULL, "");
        struct stat st;
        if (p && stat(p, &st) == 0 && S_ISDIR(st.st_mode) && n < 64) {
            memcpy(olds[n].name, e->d_name, 65);   /* 64 hex digits and the NUL */
            olds[n++].t = st.st_mtim;
        }
        free(p);
    }
    if (dp) closedir(dp);
    while (n > KEEP) {
        int oldest = 0;
        for (int i = 1; i < n; i++)
            if (olds[i].t.tv_sec < olds[oldest].t.tv_sec ||
                (olds[i].t.tv_sec == olds[oldest].t.tv_sec && olds[i].t.tv_nsec < olds[oldest].t.tv_nsec))
                oldest = i;
        remove_snapshot(root, olds[oldest].name);
        olds[oldest] = olds[--n];
    }
}

int sim_make_dirs(const char *path)
{
    if (!path[0]) return -EINVAL;   /* "": the loop below would start past its end */
    char *p = strdup(path);
    if (!p) return -ENOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST) break;
        *s = '/';
    }
    int rc = mkdir(p, 0777) < 0 && errno != EEXIST ? -errno : 0;
    free(p);
    return rc;
}

int sim_snapshot_save(sim_world *w, const char *key, sim_store *const *stores, const char *const *names,
                      size_t n, char *why, size_t whylen)
{
    const char *root = w->snapshot_dir;
    if (!root) return -EINVAL;
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", key, (long)getpid());
    int rc = sim_make_dirs(root);
    char *dir = rc == 0 ? path_of(root, tmp, NULL, "") : NULL;
    if (rc == 0 && !dir) rc = -ENOMEM;
    if (rc == 0 && mkdir(dir, 0777) < 0) rc = -errno;
    if (rc < 0) {
        snprintf(why, whylen, "%s: %s", dir ? dir : root, strerror(-rc));
        free(dir);
        return rc;
    }
    char *manifest = path_of(root, tmp, "MANIFEST", "");
    FILE *mf = manifest ? fopen(manifest, "we") : NULL;
    if (!mf) rc = manifest ? -errno : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char hex[65];
        char *file = path_of(root, tmp, names[i], ".sqlite");
        if (!file) rc = -ENOMEM;
        else if ((rc = sim_store_save_file(stores[i], file)) < 0) snprintf(why, whylen, "%s: %s", file, sim_store_errmsg(stores[i]));
        else if ((rc = file_sha256(file, hex)) < 0) snprintf(why, whylen, "%s: %s", file, strerror(-rc));
        else if (fprintf(mf, "%s  %s.sqlite\n", hex, names[i]) < 0) rc = -EIO;
        free(file);
    }
    if (mf && fclose(mf) != 0 && rc == 0) rc = -errno;
    if (rc < 0 && !why[0]) snprintf(why, whylen, "%s: %s", manifest ? manifest : dir, strerror(-rc));
    char *final = rc == 0 ? path_of(root, key, NULL, "") : NULL;
    /* another run may have put the same snapshot in place meanwhile: theirs stays */
    if (rc == 0 && (!final || rename(dir, final) < 0)) {
        if (!final) rc = -ENOMEM;
        else if (errno != EEXIST && errno != ENOTEMPTY) rc = -errno;
        if (rc < 0) snprintf(why, whylen, "%s: %s", final ? final : dir, strerror(-rc));
        remove_snapshot(root, tmp);
    } else if (rc < 0) {
        remove_snapshot(root, tmp);
    }
    free(final);
    free(manifest);
    free(dir);
    if (rc == 0) prune(root);
    snprintf(w->snapshot_key, sizeof w->snapshot_key, "%s", key);
    bool damaged = w->snapshot_status && strcmp(w->snapshot_status, "damaged") == 0;
    w->snapshot_status = rc < 0 ? "not_kept" : damaged ? "rebuilt" : "written";
    return rc;
}
