/* app/run.c - one run with its outputs: the libuv loop, serving, Ctrl-C, the run's conclusion
 * (its exit status), then the printed summary and the outputs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "app/app.h"
#include "domain/domain.h"
#include "report/report.h"

typedef struct loop_ctx {
    session *s;
    sim_run *run;
    uv_signal_t sigint, sigterm;   /* both stop the run; its outputs are written, marked partial */
    int stop_signal;               /* the one that stopped it, or 0 */
    uv_timer_t close_later;        /* closes the dashboard once the loop is back (on_done) */
    uint64_t t0;
    bool serving;              /* the dashboard is open */
    bool concluded;
    app_rewind *rewind;        /* --serve: checkpoints to go back to (app/rewind.c) */
    run_result r;
    int status;
} loop_ctx;

_Static_assert((int)EXIT_INTERNAL == (int)DOMAIN_EXIT_INTERNAL, "an internal failure exits with the status it halts with");

const char *app_internal_failure(const sim_world *w)
{
    const char *reason = NULL;
    if (sim_world_halted(w, &reason) != DOMAIN_EXIT_INTERNAL) return NULL;
    return reason ? reason : "halted";
}

/* The run is over: its result and exit status, once (expectations run at its end). */
static void conclude(loop_ctx *ctx)
{
    session *s = ctx->s;
    run_result *r = &ctx->r;
    if (ctx->concluded) return;
    ctx->concluded = true;
    *r = (run_result){.end = sim_run_get_end(ctx->run), .wall_s = (double)(uv_hrtime() - ctx->t0) / 1e9};
    if (r->end == SIM_END_STOPPED && connect_ended_run(s->connect)) r->ended_by = "session_end";
    if (r->end == SIM_END_HALTED) {
        r->failed = -1;
        r->halt_reason = app_internal_failure(s->w);
        if (r->halt_reason) {   /* the domain's: the run is incomplete */
            ctx->status = EXIT_INTERNAL;
            fprintf(stderr, "renkei: internal failure: %s\n", r->halt_reason);
        } else {                /* a script error */
            ctx->status = EXIT_USAGE;
            fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl) ? sim_lua_error(s->sl) : "halted");
        }
    } else if (r->end == SIM_END_STOPPED && !r->ended_by) {
        r->terminated = ctx->stop_signal == SIGTERM;
        ctx->status = r->terminated ? EXIT_TERMINATED : EXIT_INTERRUPTED;
    } else {
        r->failed = sim_lua_check_expectations(s->sl);
        if (r->failed < 0) fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl));
        else r->failed += report_failed(s->w) + connect_failed(s->connect);
        ctx->status = r->failed < 0 ? EXIT_USAGE : r->failed > 0 ? EXIT_FAIL : EXIT_PASS;
    }
}

static void stop_serving(loop_ctx *ctx)
{
    if (!ctx->serving) return;
    ctx->serving = false;
    dash_close(ctx->s->dash);
}

static void on_close_later(uv_timer_t *t)
{
    stop_serving(t->data);
}

static void on_done(sim_run *r, void *arg)
{
    loop_ctx *ctx = arg;
    conclude(ctx);
    connect_close(ctx->s->connect);   /* the session is over: no more requests */
    if (ctx->serving) {
        dash_run_ended(ctx->s->dash, app_end_reason(&ctx->r), ctx->status);
        if (!ctx->s->o.exit_at_end && ctx->r.end != SIM_END_STOPPED) {
            printf("renkei: the run ended (%s); still serving the dashboard until Ctrl-C\n", app_end_reason(&ctx->r));
            return;   /* the page can still be inspected */
        }
        /* The run may have ended inside a request (POST /api/step, /api/until under
         * --exit-at-end): closing the server here would drop its answer. Close it once the
         * loop is back, the answer written. */
        if (uv_timer_start(&ctx->close_later, on_close_later, 0, 0) < 0) stop_serving(ctx);
    }
    uv_signal_stop(&ctx->sigint);
    uv_signal_stop(&ctx->sigterm);
}

/* Ctrl-C or SIGTERM: stop the run (its outputs are still written, and say it was stopped),
 * or, once it has ended, stop serving the dashboard. */
static void on_stop_signal(uv_signal_t *h, int signum)
{
    loop_ctx *ctx = h->data;
    if (sim_run_get_state(ctx->run) != SIM_RUN_DONE) {
        if (!ctx->stop_signal) ctx->stop_signal = signum;
        sim_run_stop(ctx->run);   /* on_done closes the rest */
        return;
    }
    stop_serving(ctx);
    uv_signal_stop(&ctx->sigint);
    uv_signal_stop(&ctx->sigterm);
}

/* One run with outputs, from the parsed options in s to the exit status; closes s. */
int app_run_session(session *sp)
{
    session s = *sp;
    int status = app_session_open(&s, true);
    sim_time_t until = 0;
    if (status == 0) status = app_resolve_until(&s, &until);
    if (status != 0) {
        if (s.w && s.o.out_dir && sim_lua_error(s.sl)) {
            run_result r = {.end = SIM_END_HALTED, .failed = -1};
            r.hash_ok = sim_world_trace_hash(s.w, r.hash) == 0;
            app_write_summary(&s, &r, until, &status);   /* PARTIAL stays: not complete */
        }
        app_session_close(&s);
        return status;
    }
    dash_begin(s.dash);
    if (sim_world_start_nodes(s.w) < 0 || sim_lua_begin_run(s.sl, until) < 0) {
        fprintf(stderr, "renkei: cannot schedule the start of the run\n");
        app_session_close(&s);
        return EXIT_USAGE;
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    loop_ctx ctx = {.s = &s};
    sim_run_create(s.w, &loop, until, s.o.speed, &ctx.run);
    uv_signal_init(&loop, &ctx.sigint);
    uv_signal_init(&loop, &ctx.sigterm);
    uv_timer_init(&loop, &ctx.close_later);
    ctx.sigint.data = ctx.sigterm.data = ctx.close_later.data = &ctx;
    /* before the URL is printed */
    if (uv_signal_start(&ctx.sigint, on_stop_signal, SIGINT) < 0 || uv_signal_start(&ctx.sigterm, on_stop_signal, SIGTERM) < 0) {
        fprintf(stderr, "renkei: cannot watch SIGINT and SIGTERM\n");
        status = EXIT_INTERNAL;
    }
    if (status == 0 && s.o.serve) {
        status = app_start_serving(&s, ctx.run, &loop);
        ctx.serving = status == 0;
    }
    if (status == 0 && s.o.connect) status = app_start_connect(&s, ctx.run, &loop);
    int replayed = 0;
    if (status == 0 && s.replay) {
        char why[400];
        ctx.t0 = uv_hrtime();
        node_connect_session *rs = s.replay;
        s.replay = NULL;   /* the connection test takes it */
        replayed = connect_replay(s.connect, rs, why, sizeof why);
        if (replayed < 0) fprintf(stderr, "renkei: --replay-session: %s\n", why);
    }
    if (status == 0) {
        if (!s.o.replay_session) ctx.t0 = uv_hrtime();
        sim_run_start(ctx.run, on_done, &ctx);
        if (replayed != 0) sim_run_stop(ctx.run);   /* the session ended there (or diverged) */
        if (s.o.serve && !s.o.play) sim_run_pause(ctx.run);
        if (ctx.serving && app_rewind_start(&s, ctx.run, &loop, &ctx.rewind) < 0)
            fprintf(stderr, "renkei: no checkpoints: this run cannot be rewound\n");
        uv_run(&loop, UV_RUN_DEFAULT);
        conclude(&ctx);
        status = ctx.status;
    }
    sim_run_close(ctx.run);
    uv_signal_stop(&ctx.sigint);
    uv_signal_stop(&ctx.sigterm);
    uv_close((uv_handle_t *)&ctx.sigint, NULL);
    uv_close((uv_handle_t *)&ctx.sigterm, NULL);
    uv_timer_stop(&ctx.close_later);
    uv_close((uv_handle_t *)&ctx.close_later, NULL);
    app_rewind_close(ctx.rewind);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) fprintf(stderr, "renkei: internal error: a libuv handle was left open\n");
    if (!ctx.concluded) {   /* --serve failed before the run began */
        app_session_close(&s);
        return status;
    }

    run_result r = ctx.r;
    int log_rc = connect_finish(s.connect, r.ended_by ? "api" : r.end == SIM_END_STOPPED ? "interrupted" : app_end_reason(&r));
    const char *log_part = s.connect && s.o.out_dir ? app_out_part(&s, "connect_session.jsonl") : NULL;
    if (log_part && access(log_part, F_OK) == 0) {   /* a session was logged: into place once whole */
        if (log_rc < 0) fprintf(stderr, "renkei: cannot write %s: %s\n", log_part, strerror(-log_rc));
        else log_rc = app_out_commit(&s, "connect_session.jsonl");   /* a failure is printed */
        if (log_rc < 0) {
            r.session_log_errno = -log_rc;
            if (status == EXIT_PASS || status == EXIT_FAIL) status = EXIT_OUTPUT;
        }
        r.session_logged = true;
    }
    int hrc = sim_world_trace_hash(s.w, r.hash);
    r.hash_ok = hrc == 0;
    if (s.trace_fd >= 0 && (hrc == -EIO || hrc == -ENOMEM)) {   /* a trace that is not there has no hash to give (issue 15) */
        r.trace_errno = hrc == -ENOMEM ? ENOMEM : sim_world_trace_errno(s.w);   /* ENOMEM: lines lost before the file */
        if (!r.trace_errno) r.trace_errno = EIO;
        const char *path = app_out_part(&s, s.trace_name);
        fprintf(stderr, "renkei: cannot write %s: %s\n", path ? path : s.trace_name, strerror(r.trace_errno));
        if (status == EXIT_PASS || status == EXIT_FAIL) status = EXIT_OUTPUT;
    }
    if (s.runs) status = app_runs_status(s.runs, status);
    app_print_summary(&s, &r, status);
    if (s.o.out_dir) app_write_summary(&s, &r, until, &status);   /* failures printed, in status */
    app_session_close(&s);
    app_rewind_exit(ctx.rewind, status);   /* the first process exits with it */
    return status;
}
