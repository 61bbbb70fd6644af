/* app/rewind.c - rewind and branch a served run (POST /api/rewind) by copying the whole
 * process: checkpoints by fork().
 *
 * At the start and then every CHECKPOINT_EVERY of simulated time (sim_run_set_marks: between
 * events, from the loop), the process forks. The parent stops there and waits, a checkpoint:
 * a frozen copy of everything (the world, SQLite's in-memory stores, Lua, the dashboard's
 * figures); the child runs on. To go back to time T, the running process sends the latest
 * checkpoint at or before T a plan (dash_rewind_plan: T, the changes the API made after the
 * checkpoint and before T); the checkpoint forks again (it stays a checkpoint), and its new
 * child runs the events from the checkpoint to T at once, making those changes again where
 * they were made (determinism makes it the same run), pauses, and sends its state back; the
 * old running process answers the request with it and exits. Later checkpoints of the
 * abandoned branch end when it does (no process holds their channel any more).
 *
 * The care a copied process needs: the trace's writing thread is stopped before each fork
 * (sim_world_trace_quiesce) and the file cut back to the checkpoint's length when it
 * resumes; the child calls uv_loop_fork; a checkpoint drops the HTTP connections it was
 * copied with (they are replaced by sockets that read as closed, so a page's connection ends
 * when the process serving it does, and the resumed copy closes them); the listening socket
 * is shared, and only the running process accepts. The first process (the one the shell
 * waits for) is the first checkpoint: it forwards SIGINT and SIGTERM to the running process
 * and exits with its exit status, which that process sends it at its end (app_rewind_exit).
 * The other checkpoints ignore both signals (Ctrl-C reaches the whole process group). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"

enum {
    CHECKPOINTS_MAX = 24,          /* then every other one goes and the interval doubles */
    MSG_MAX = 1 << 20,             /* a plan or an answer (the journal of changes, the state) */
    READY_WAIT_MS = 10 * 60 * 1000,
};
#define CHECKPOINT_EVERY (30 * SIM_MIN)

typedef struct checkpoint {
    sim_time_t now;
    uint64_t events;
    size_t changes;                /* the API's changes it holds (dash_journal_size) ... */
    sim_time_t last_change;        /* ... the last made then: it cannot go back before this */
    int fd;                        /* its channel (SOCK_SEQPACKET): plans in, answers back */
} checkpoint;

struct app_rewind {
    session *s;
    sim_run *run;
    uv_loop_t *loop;
    checkpoint cp[CHECKPOINTS_MAX];
    int ncp;
    sim_time_t every;
    uv_timer_t exit_timer;         /* the superseded process exits once its answer is out */
    bool exit_timer_open;
};

/* ---- messages: one a datagram, a letter then text ------------------------------------- */

static int send_msg(int fd, char kind, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    char *buf = malloc(n + 1);
    if (!buf) return -ENOMEM;
    buf[0] = kind;
    if (n) memcpy(buf + 1, text, n);
    ssize_t w;
    do w = send(fd, buf, n + 1, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    free(buf);
    return w == (ssize_t)(n + 1) ? 0 : w < 0 ? -errno : -EMSGSIZE;
}

/* uv_loop_fork, and every watcher registered again: libuv 1.44 re-registers only the watchers
 * not already queued for a change, and a queued one (a response being written when the copy
 * was made) would be modified in the new epoll set it is not in (libuv aborts). Its fields
 * are public (uv/unix.h); events = 0 makes the next poll add it. */
static int loop_fork(uv_loop_t *loop)
{
    int rc = uv_loop_fork(loop);
    if (rc < 0) return rc;
    for (unsigned i = 0; i < loop->nwatchers; i++)
        if (loop->watchers[i]) loop->watchers[i]->events = 0;
    return 0;
}

/* ---- the checkpoint's side ------------------------------------------------------------ */

static volatile sig_atomic_t pending_signal;
static void on_signal(int sig) { pending_signal = sig; }

/* The HTTP connections this copy holds become sockets that read as closed: the page's
 * connection ends with the process that serves it, and a resumed copy closes them. The
 * listening socket stays. */
static void drop_connections(void)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return;
    close(pair[1]);
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536) maxfd = 65536;
    for (int fd = 3; fd < maxfd; fd++) {
        struct stat st;
        int listening = 0;
        struct sockaddr_storage addr;
        socklen_t len = sizeof listening, alen = sizeof addr;
        if (fd == pair[0] || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) continue;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || listening) continue;
        if (getsockname(fd, (struct sockaddr *)&addr, &alen) < 0 || (addr.ss_family != AF_INET && addr.ss_family != AF_INET6)) continue;
        dup2(pair[0], fd);
    }
    close(pair[0]);
}

static void resume(app_rewind *rw, const char *plan, int ready_fd, uint64_t events, off_t trace_len);

/* The parent after a fork: wait as a checkpoint on channel fd until a plan comes (then fork a
 * resumed child, which returns from here) or every process of the branch is gone (exit). */
static void wait_as_checkpoint(app_rewind *rw, int fd, pid_t child, off_t trace_len)
{
    bool root = rw->ncp == 0;
    sim_time_t now = sim_world_now(rw->s->w);
    uint64_t events = sim_world_stats_get(rw->s->w)->events;
    pid_t running = child;
    int status = -1;
    drop_connections();
    struct sigaction sa = {.sa_handler = root ? on_signal : SIG_IGN}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char *buf = malloc(MSG_MAX);
    if (!buf) _exit(EXIT_INTERNAL);
    for (;;) {
        ssize_t n = recv(fd, buf, MSG_MAX - 1, 0);
        if (n < 0 && errno == EINTR) {
            int sig = pending_signal;
            pending_signal = 0;
            if (sig && running > 0) kill(running, sig);
            continue;
        }
        if (n <= 0) {   /* the branch is gone: nothing will come back here */
            while (waitpid(-1, NULL, WNOHANG) > 0) {}
            if (!root) _exit(0);
            if (status < 0) fprintf(stderr, "renkei: the run's process ended without its exit status\n");
            _exit(status < 0 ? EXIT_INTERNAL : status);
        }
        buf[n] = '\0';
        if (buf[0] == 'A') running = (pid_t)atol(buf + 1);
        else if (buf[0] == 'X') status = atoi(buf + 1);
        else if (buf[0] == 'Q' && !root) _exit(0);
        else if (buf[0] == 'R') {
            int sv[2];
            if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                send_msg(fd, 'E', "cannot open the resumed process's channel");
                continue;
            }
            pid_t pid = fork();
            if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                send_msg(fd, 'E', "cannot fork the resumed process");
                continue;
            }
            if (pid == 0) {
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGTERM, &old_term, NULL);
                close(sv[0]);
                rw->cp[rw->ncp] = (checkpoint){.now = now, .events = events, .fd = sv[1]};
                rw->cp[rw->ncp].changes = dash_journal_size(rw->s->dash, &rw->cp[rw->ncp].last_change);
                rw->ncp++;
                resume(rw, buf + 1, fd, events, trace_len);
                free(buf);
                return;   /* back into the loop, paused at the plan's time */
            }
            close(sv[1]);
            close(fd);
            fd = sv[0];
            running = pid;
        }
    }
}

/* ---- the running process's side -------------------------------------------------------- */

static void announce(app_rewind *rw)
{
    char text[32];
    snprintf(text, sizeof text, "%ld", (long)getpid());
    send_msg(rw->cp[0].fd, 'A', text);
}

/* Too many checkpoints: every other one goes (never the first), the interval doubles. */
static void thin(app_rewind *rw)
{
    int kept = 1;
    for (int i = 1; i < rw->ncp; i++) {
        if (i % 2 == 1 && i != rw->ncp - 1) {
            send_msg(rw->cp[i].fd, 'Q', NULL);
            close(rw->cp[i].fd);
        } else {
            rw->cp[kept++] = rw->cp[i];
        }
    }
    rw->ncp = kept;
    rw->every *= 2;
}

static void on_mark(void *arg);

/* Fork here: the parent becomes a checkpoint, the child runs on (and returns). */
static void checkpoint_here(app_rewind *rw)
{
    session *s = rw->s;
    if (rw->ncp == CHECKPOINTS_MAX) thin(rw);
    sim_run_set_marks(rw->run, rw->every, on_mark, rw);
    sim_world_trace_quiesce(s->w);
    fflush(stdout);
    fflush(stderr);
    off_t trace_len = s->trace_fd >= 0 ? lseek(s->trace_fd, 0, SEEK_CUR) : 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return;   /* no checkpoint here */
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return;
    }
    if (pid > 0) {   /* the checkpoint: returns only in a resumed child */
        close(sv[1]);
        wait_as_checkpoint(rw, sv[0], pid, trace_len);
        return;
    }
    close(sv[0]);
    if (loop_fork(rw->loop) < 0) {
        fprintf(stderr, "renkei: internal error: the event loop cannot go on in a forked process\n");
        _exit(EXIT_INTERNAL);
    }
    rw->cp[rw->ncp] = (checkpoint){.now = sim_world_now(s->w), .events = sim_world_stats_get(s->w)->events, .fd = sv[1]};
    rw->cp[rw->ncp].changes = dash_journal_size(s->dash, &rw->cp[rw->ncp].last_change);
    rw->ncp++;
    announce(rw);
}

static void on_mark(void *arg) { checkpoint_here(arg); }

static void resume(app_rewind *rw, const char *plan, int ready_fd, uint64_t events, off_t trace_len)
{
    session *s = rw->s;
    uint64_t t0 = uv_hrtime();
    if (s->trace_fd >= 0 && (ftruncate(s->trace_fd, trace_len) < 0 || lseek(s->trace_fd, trace_len, SEEK_SET) < 0)) {
        send_msg(ready_fd, 'E', "cannot cut the trace back to the checkpoint");
        _exit(EXIT_INTERNAL);
    }
    if (loop_fork(rw->loop) < 0) {
        send_msg(ready_fd, 'E', "the event loop cannot go on in a forked process");
        _exit(EXIT_INTERNAL);
    }
    announce(rw);
    char why[300] = "";
    double speed = 0;
    int rc = dash_rewind_replay(s->dash, plan, &speed, why, sizeof why);
    sim_run_hold(rw->run);
    sim_run_set_speed(rw->run, speed);   /* paused: only remembered */
    sim_run_set_marks(rw->run, rw->every, on_mark, rw);
    if (rc < 0) {
        send_msg(ready_fd, 'E', why);
        _exit(EXIT_INTERNAL);
    }
    uint64_t replayed = sim_world_stats_get(s->w)->events - events;
    char *answer = dash_rewound_state(s->dash, (double)(uv_hrtime() - t0) / 1e6, replayed);
    if (!answer || send_msg(ready_fd, 'S', answer) < 0) _exit(EXIT_INTERNAL);
    free(answer);
    close(ready_fd);
}

static void on_exit_timer(uv_timer_t *t)
{
    (void)t;
    _exit(0);   /* superseded: the resumed process serves the run now; nothing of ours to write */
}

/* POST /api/rewind (dash_rewind_fn): the latest checkpoint at or before `to` resumes; wait
 * for its answer, give it to the request, and go. */
static int rewind_to(void *arg, sim_time_t to, char **answer, char *why, size_t n)
{
    app_rewind *rw = arg;
    sim_world_trace_quiesce(rw->s->w);   /* the resumed process cuts the file: nothing in flight */
    fflush(stdout);
    fflush(stderr);
    int k = -1, rc = -ENOENT;
    for (;;) {
        k = -1;
        for (int i = 0; i < rw->ncp; i++)   /* the latest before `to` holding no change made at or after it */
            if (rw->cp[i].now <= to && rw->cp[i].last_change < to) k = i;
        if (k < 0) break;
        char *plan = dash_rewind_plan(rw->s->dash, to, rw->cp[k].changes);
        if (!plan) return -ENOMEM;
        rc = send_msg(rw->cp[k].fd, 'R', plan);
        free(plan);
        if (rc == 0 || k == 0) break;
        /* gone (let go when checkpoints were thinned on another branch): forget it, try the one before */
        close(rw->cp[k].fd);
        memmove(&rw->cp[k], &rw->cp[k + 1], (size_t)(rw->ncp - k - 1) * sizeof rw->cp[0]);
        rw->ncp--;
    }
    if (rc < 0) {
        snprintf(why, n, "the checkpoint cannot be reached: %s", strerror(-rc));
        return rc;
    }
    char *buf = malloc(MSG_MAX);
    if (!buf) return -ENOMEM;
    struct pollfd p = {.fd = rw->cp[k].fd, .events = POLLIN};
    int pr;
    do pr = poll(&p, 1, READY_WAIT_MS);
    while (pr < 0 && errno == EINTR);
    ssize_t got = pr > 0 ? recv(rw->cp[k].fd, buf, MSG_MAX - 1, 0) : -1;
    if (got <= 1 || buf[0] != 'S') {
        if (got > 1) snprintf(why, n, "%.*s", (int)(got - 1), buf + 1);
        else snprintf(why, n, "the resumed process did not answer");
        free(buf);
        return -EIO;   /* this process goes on as it was; its trace file may have been cut: say so */
    }
    buf[got] = '\0';
    *answer = strdup(buf + 1);
    free(buf);
    if (!*answer) return -ENOMEM;
    if (uv_timer_start(&rw->exit_timer, on_exit_timer, 0, 0) < 0) _exit(0);
    return 0;
}

/* ---- set up and end --------------------------------------------------------------------- */

int app_rewind_start(session *s, sim_run *run, uv_loop_t *loop, app_rewind **out)
{
    *out = NULL;
    if (s->o.connect || s->replay) {
        dash_set_rewind(s->dash, NULL, NULL, "a connection test's session cannot be gone back in (its client would not be)");
        return 0;
    }
    app_rewind *rw = calloc(1, sizeof *rw);
    if (!rw) return -ENOMEM;
    *rw = (app_rewind){.s = s, .run = run, .loop = loop, .every = CHECKPOINT_EVERY};
    uv_timer_init(loop, &rw->exit_timer);
    rw->exit_timer_open = true;
    dash_set_rewind(s->dash, rewind_to, rw, NULL);
    *out = rw;
    checkpoint_here(rw);   /* the start: every later moment can be reached from here */
    return rw->ncp ? 0 : -ECHILD;
}

void app_rewind_close(app_rewind *rw)
{
    if (!rw || !rw->exit_timer_open) return;
    uv_close((uv_handle_t *)&rw->exit_timer, NULL);
    rw->exit_timer_open = false;
}

void app_rewind_exit(app_rewind *rw, int status)
{
    if (!rw) return;
    char text[16];
    snprintf(text, sizeof text, "%d", status);
    fflush(stdout);
    fflush(stderr);
    send_msg(rw->cp[0].fd, 'X', text);
    for (int i = 0; i < rw->ncp; i++) close(rw->cp[i].fd);
    free(rw);
}
