/* sim_runs.c - Monte Carlo over seeds in worker processes (see sim_runs.h).
 *
 * The parent blocks SIGINT and watches it through a signalfd beside the workers' pipes, so
 * Ctrl-C needs no handler and no global flag; each worker restores the default action and
 * the old mask. A worker writes "seed<TAB>line\n" per run and exits with _exit(), so it
 * never flushes stdio buffers or runs handlers inherited from the parent.
 *
 * Worker j runs seeds j, j + jobs, j + 2 jobs... in order, so when it dies the seed it was
 * running is the first of its share without a line. A new worker takes the share on from
 * there; a seed that has now taken two workers down is given up (cfg->lost) and the new
 * worker starts after it. So a worker killed from outside costs nothing but time, and a
 * seed that crashes the program is reported as such instead of the seeds after it. */
#define _GNU_SOURCE
#include "sim_runs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A seed is tried this many times before it is given up as one that kills its worker. */
enum { RUNS_TRIES = 2 };

typedef struct worker {
    pid_t pid;
    int share;                    /* runs seeds share, share + jobs, ... */
    int fd;                       /* read end of its pipe, -1 at EOF */
    char *buf;                    /* a partial line */
    size_t len, cap;
} worker;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void worker_main(const sim_runs_config *cfg, uint64_t from, int jobs, int fd)
{
    for (uint64_t k = from; k < cfg->count; k += (uint64_t)jobs) {
        uint64_t seed = cfg->first_seed + k;
        char *text = NULL;
        cfg->one(seed, cfg->one_ud, &text);
        char head[32];
        int n = snprintf(head, sizeof head, "%llu\t", (unsigned long long)seed);
        if (write_all(fd, head, (size_t)n) < 0 || (text && write_all(fd, text, strlen(text)) < 0) ||
            write_all(fd, "\n", 1) < 0)
            _exit(1);
        free(text);
    }
    _exit(0);
}

/* A complete line from a worker: keep it under its seed. */
static void take_line(const sim_runs_config *cfg, char **lines, uint64_t *done, char *line)
{
    char *tab = strchr(line, '\t');
    if (!tab) return;
    *tab = '\0';
    char *end;
    unsigned long long seed = strtoull(line, &end, 10);
    if (*end || seed < cfg->first_seed || seed - cfg->first_seed >= cfg->count) return;
    uint64_t k = seed - cfg->first_seed;
    if (lines[k]) return;
    lines[k] = strdup(tab + 1);
    if (lines[k]) (*done)++;
    if (cfg->progress) cfg->progress(*done, cfg->count, cfg->collect_ud);
}

static int drain(const sim_runs_config *cfg, worker *wk, char **lines, uint64_t *done)
{
    char chunk[65536];
    ssize_t n = read(wk->fd, chunk, sizeof chunk);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -errno;
    if (n == 0) {
        close(wk->fd);
        wk->fd = -1;
        return 0;
    }
    if (wk->len + (size_t)n + 1 > wk->cap) {
        size_t cap = wk->cap ? wk->cap : 65536;
        while (cap < wk->len + (size_t)n + 1) cap *= 2;
        char *p = realloc(wk->buf, cap);
        if (!p) return -ENOMEM;
        wk->buf = p;
        wk->cap = cap;
    }
    memcpy(wk->buf + wk->len, chunk, (size_t)n);
    wk->len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < wk->len; i++) {
        if (wk->buf[i] != '\n') continue;
        wk->buf[i] = '\0';
        take_line(cfg, lines, done, wk->buf + start);
        start = i + 1;
    }
    memmove(wk->buf, wk->buf + start, wk->len - start);
    wk->len -= start;
    return 0;
}

/* Fork a worker for the seeds from, from + jobs, ... into all[w] (the child closes the other
 * workers' pipes, all[0..nwk)). */
static int spawn(const sim_runs_config *cfg, worker *all, int nwk, int w, uint64_t from, int jobs, int sfd,
                 const sigset_t *old)
{
    worker *wk = &all[w];
    int fds[2];
    if (pipe(fds) < 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(fds[0]);
        close(fds[1]);
        return e;
    }
    if (pid == 0) {
        close(fds[0]);
        for (int k = 0; k < nwk; k++)
            if (k != w && all[k].fd >= 0) close(all[k].fd);
        if (sfd >= 0) close(sfd);
        signal(SIGINT, SIG_DFL);
        sigprocmask(SIG_SETMASK, old, NULL);
        worker_main(cfg, from, jobs, fds[1]);
    }
    close(fds[1]);
    wk->pid = pid;
    wk->fd = fds[0];
    wk->share = w;
    wk->len = 0;
    return 0;
}

static int reap(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return 0;
    return st;
}

/* Worker w's pipe ended: if it died before its share was done, try its seed once more in a
 * new worker, or give that seed up and go on after it. Returns 0 or a negative errno (a
 * worker could not be started: the rest of its share is reported as not run). */
static int replace(const sim_runs_config *cfg, worker *wk, int nwk, int w, int jobs, char **lines, uint8_t *tries,
                   int *lost_status, uint64_t *done, int sfd, const sigset_t *old)
{
    int st = reap(wk[w].pid);
    wk[w].pid = -1;
    uint64_t k = (uint64_t)wk[w].share;
    while (k < cfg->count && (lines[k] || tries[k] >= RUNS_TRIES)) k += (uint64_t)jobs;
    if (k >= cfg->count) return 0;   /* its share is done */
    if (++tries[k] >= RUNS_TRIES) {
        lost_status[k] = st;   /* given up: tries[k] says so, whatever the status */
        (*done)++;
        if (cfg->progress) cfg->progress(*done, cfg->count, cfg->collect_ud);
        k += (uint64_t)jobs;
        if (k >= cfg->count) return 0;
    }
    return spawn(cfg, wk, nwk, w, k, jobs, sfd, old);
}

int sim_runs(const sim_runs_config *cfg)
{
    if (!cfg || cfg->jobs < 1 || !cfg->one || !cfg->collect) return -EINVAL;
    int jobs = cfg->count < (uint64_t)cfg->jobs ? (int)cfg->count : cfg->jobs;
    size_t n_seeds = cfg->count ? (size_t)cfg->count : 1;
    char **lines = calloc(n_seeds, sizeof *lines);
    uint8_t *tries = calloc(n_seeds, 1);
    int *lost_status = calloc(n_seeds, sizeof *lost_status);   /* a given-up seed's last worker's wait status */
    worker *wk = calloc((size_t)(jobs ? jobs : 1), sizeof *wk);
    if (!lines || !tries || !lost_status || !wk) {
        free(lines);
        free(tries);
        free(lost_status);
        free(wk);
        return -ENOMEM;
    }
    sigset_t intr, old;
    sigemptyset(&intr);
    sigaddset(&intr, SIGINT);
    sigprocmask(SIG_BLOCK, &intr, &old);
    int sfd = signalfd(-1, &intr, SFD_CLOEXEC);
    int rc = 0, started = 0;
    for (int j = 0; j < jobs; j++) {
        wk[j].fd = -1;
        wk[j].pid = -1;
    }
    for (int j = 0; j < jobs && rc == 0; j++) {
        rc = spawn(cfg, wk, jobs, j, (uint64_t)j, jobs, sfd, &old);
        if (rc == 0) started++;
    }
    uint64_t done = 0;
    bool interrupted = false;
    struct pollfd *pfd = calloc((size_t)started + 1, sizeof *pfd);
    int *who = calloc((size_t)started + 1, sizeof *who);
    while (rc == 0 && pfd && who) {
        int n = 0;
        for (int k = 0; k < started; k++)
            if (wk[k].fd >= 0) {
                who[n] = k;
                pfd[n++] = (struct pollfd){.fd = wk[k].fd, .events = POLLIN};
            }
        if (n == 0) break;
        if (sfd >= 0) pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            rc = -errno;
            break;
        }
        for (int i = 0; i < n && !interrupted; i++) {
            if (!pfd[i].revents) continue;
            if (pfd[i].fd == sfd) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof si) > 0) interrupted = true;
                continue;
            }
            worker *w = &wk[who[i]];
            if (drain(cfg, w, lines, &done) < 0) rc = -EIO;
            else if (w->fd < 0 && replace(cfg, wk, started, who[i], jobs, lines, tries, lost_status, &done, sfd,
                                          &old) < 0)
                w->fd = -1;   /* no new worker: the rest of this share is not run */
        }
        if (interrupted) break;
    }
    if (!pfd || !who) rc = -ENOMEM;
    free(pfd);
    free(who);
    for (int k = 0; k < started; k++) {
        if (wk[k].pid < 0) continue;
        if (interrupted || rc < 0) kill(wk[k].pid, SIGTERM);
        if (wk[k].fd >= 0) close(wk[k].fd);
        reap(wk[k].pid);
    }
    for (int k = 0; k < started; k++) free(wk[k].buf);
    if (sfd >= 0) close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (uint64_t k = 0; k < cfg->count; k++) {
        if (lines[k]) cfg->collect(cfg->first_seed + k, lines[k], cfg->collect_ud);
        else if (tries[k] >= RUNS_TRIES && cfg->lost) cfg->lost(cfg->first_seed + k, lost_status[k], cfg->collect_ud);
        else if (!interrupted && rc == 0) cfg->collect(cfg->first_seed + k, "", cfg->collect_ud);
        free(lines[k]);
    }
    free(lines);
    free(tries);
    free(lost_status);
    free(wk);
    if (rc < 0) return rc;
    return interrupted ? -EINTR : 0;
}
