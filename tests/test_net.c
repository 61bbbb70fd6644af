/* test_net.c - tests for links and messages (sim/sim_net.c, sim/sim_msg.c): latency,
 * bandwidth (serialisation and queueing), jitter bounds and FIFO order, loss rate and its
 * statistics, down links and nodes (at send and in flight), the message types' dropped
 * callback (every drop, its reason, before the free), sim_link_add's errors, and the
 * ownership of payloads: every payload is freed exactly once, whatever happens to its
 * message (delivered, lost, dropped, or still in flight when the world is destroyed).
 *
 * Payloads are counted: payload_new() and payload_free() keep totals, so a leak or a double
 * free shows up as a count mismatch (and under ASan as an error too). */
#include "check.h"
#include "sim_msg.h"
#include "sim_net.h"
#include "sim_node.h"
#include "sim_world.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- counted payloads ------------------------------------------------------------------- */

static uint64_t payload_allocs, payload_frees;

typedef struct payload {
    uint32_t seq;
} payload;

static void *payload_new(uint32_t seq)
{
    payload *p = malloc(sizeof *p);
    if (!p) abort();
    p->seq = seq;
    payload_allocs++;
    return p;
}

static void payload_free(void *p)
{
    payload_frees++;
    free(p);
}

static const sim_msg_type probe_msg = {.name = "probe", .free = payload_free};

/* ---- a sink node kind: records every arrival ----------------------------------------------- */

typedef struct arrival {
    sim_time_t at, sent_at;
    uint32_t src, seq;
} arrival;

typedef struct sink {
    arrival *a;
    size_t n, cap;
} sink;

static void sink_receive(sim_node *self, sim_msg *m)
{
    sink *s = self->state;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->a = realloc(s->a, s->cap * sizeof *s->a);
        if (!s->a) abort();
    }
    s->a[s->n++] = (arrival){sim_node_now(self), m->sent_at, m->src, ((payload *)m->payload)->seq};
    sim_msg_free(self->world, m);
}

static const sim_node_kind sink_kind = {.name = "sink", .receive = sink_receive};
static const sim_node_kind mute_kind = {.name = "mute"};   /* no receive: the engine frees */

/* A world with nodes a (0), b (1), c (2), all sinks, and the probe message type. */
typedef struct net {
    sim_world *w;
    sim_time_t t0;
    uint16_t type;
    sink s[3];
} net;

static void net_init(net *n, uint64_t seed)
{
    *n = (net){0};
    CHECK_INT(sim_world_create(&(sim_world_config){.seed = seed, .trace_fd = -1}, &n->w), 0);
    if (!n->w) abort();
    n->t0 = sim_world_now(n->w);
    int type = sim_msg_type_register(n->w, &probe_msg);
    CHECK(type >= 0);
    n->type = (uint16_t)type;
    static const char *const names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(sim_world_add_node(n->w, &sink_kind, names[i], &n->s[i], NULL), 0);
}

static void net_free(net *n)
{
    sim_world_destroy(n->w);
    for (int i = 0; i < 3; i++) free(n->s[i].a);
    CHECK_INT(payload_frees, payload_allocs);
}

static int send_seq(net *n, uint32_t from, uint32_t to, uint32_t seq, uint32_t size)
{
    sim_msg *m = sim_msg_new(n->w, n->type, payload_new(seq), size);
    CHECK(m != NULL);
    return sim_node_send(sim_world_node(n->w, from), to, m);
}

static sim_link_params link_params(int64_t latency, int64_t jitter, double bandwidth, double loss)
{
    return (sim_link_params){.latency = latency, .jitter = jitter, .bandwidth = bandwidth,
                             .loss = loss, .up = true};
}

static const sim_world_stats *stats(const net *n) { return sim_world_stats_get(n->w); }

/* ---- latency and bandwidth ------------------------------------------------------------------ */

static void test_latency(void)
{
    net n;
    net_init(&n, 1);
    sim_link_params p = link_params(10 * SIM_MS, 0, 0, 0), got;
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    CHECK_INT(sim_link_count(n.w), 1);
    CHECK_INT(sim_link_get(n.w, 1, 0, &got), 0);
    CHECK_INT(got.latency, 10000);
    CHECK(got.up);

    CHECK_INT(send_seq(&n, 0, 1, 7, 100), 0);
    sim_world_advance(n.w, n.t0 + 3);
    CHECK_INT(send_seq(&n, 1, 0, 8, 100), 0);
    CHECK_INT(sim_world_pending(n.w), 2);
    CHECK_INT(sim_world_run(n.w, n.t0 + 9999, 0), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 2);
    CHECK_INT(n.s[1].n, 1);
    if (n.s[1].n == 1) {
        CHECK_INT(n.s[1].a[0].at - n.t0, 10000);
        CHECK_INT(n.s[1].a[0].sent_at, n.t0);
        CHECK_INT(n.s[1].a[0].src, 0);
        CHECK_INT(n.s[1].a[0].seq, 7);
    }
    CHECK_INT(n.s[0].n, 1);
    if (n.s[0].n == 1) {
        CHECK_INT(n.s[0].a[0].at - n.t0, 10003);
        CHECK_INT(n.s[0].a[0].src, 1);
        CHECK_INT(n.s[0].a[0].seq, 8);
    }
    CHECK_INT(stats(&n)->msgs_sent, 2);
    CHECK_INT(stats(&n)->msgs_delivered, 2);
    CHECK_INT(stats(&n)->msgs_dropped, 0);
    CHECK_INT(sim_world_node(n.w, 0)->sent, 1);
    CHECK_INT(sim_world_node(n.w, 1)->received, 1);
    CHECK_INT(payload_frees, payload_allocs);

    /* A receiver without a receive callback: the engine frees the message. */
    sim_node *mute = NULL;
    CHECK_INT(sim_world_add_node(n.w, &mute_kind, "mute", NULL, &mute), 0);
    CHECK_INT(sim_link_add(n.w, 0, mute->id, &p), 0);
    uint64_t frees = payload_frees;
    CHECK_INT(send_seq(&n, 0, mute->id, 9, 1), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(payload_frees, frees + 1);
    CHECK_INT(mute->received, 1);
    net_free(&n);
}

static void test_bandwidth(void)
{
    net n;
    net_init(&n, 1);
    sim_link_params p = link_params(0, 0, 1e6, 0);   /* 1 Mbps: 1250 bytes take 10 ms */
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    CHECK_INT(send_seq(&n, 0, 1, 1, 1250), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(n.s[1].n, 1);
    CHECK_INT(n.s[1].n ? n.s[1].a[0].at - n.t0 : -1, 10000);

    /* Back to back, with 5 ms of latency: the second waits for the first's serialisation. */
    p.latency = 5 * SIM_MS;
    CHECK_INT(sim_link_set(n.w, 0, 1, &p), 0);
    sim_time_t t1 = n.t0 + SIM_SEC;
    sim_world_advance(n.w, t1);
    CHECK_INT(send_seq(&n, 0, 1, 2, 1250), 0);
    CHECK_INT(send_seq(&n, 0, 1, 3, 1250), 0);
    CHECK_INT(send_seq(&n, 1, 0, 4, 1250), 0);   /* the other direction has its own queue */
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 3);
    CHECK_INT(n.s[1].n, 3);
    if (n.s[1].n == 3) {
        CHECK_INT(n.s[1].a[1].seq, 2);
        CHECK_INT(n.s[1].a[1].at - t1, 15000);
        CHECK_INT(n.s[1].a[2].seq, 3);
        CHECK_INT(n.s[1].a[2].at - t1, 25000);
        CHECK_INT(n.s[1].a[2].at - n.s[1].a[1].at, 10000);
    }
    CHECK_INT(n.s[0].n, 1);
    CHECK_INT(n.s[0].n ? n.s[0].a[0].at - t1 : -1, 15000);

    /* Once the queue has drained, a new message does not wait. */
    sim_time_t t2 = t1 + SIM_SEC;
    sim_world_advance(n.w, t2);
    CHECK_INT(send_seq(&n, 0, 1, 5, 125), 0);   /* 1 ms on the wire */
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(n.s[1].n, 4);
    CHECK_INT(n.s[1].n == 4 ? n.s[1].a[3].at - t2 : -1, 6000);
    net_free(&n);
}

/* A world event that sends message `tag` from a to b. */
static void on_send(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    CHECK_INT(send_seq(ptr, 0, 1, (uint32_t)tag, 10), 0);
}

static void test_jitter(void)
{
    enum { N = 2000 };
    const int64_t lat = 1000, jit = 500, gap = 100;   /* jitter > gap: FIFO has work to do */
    net n;
    net_init(&n, 3);
    sim_link_params p = link_params(lat, jit, 0, 0);
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    for (uint32_t i = 0; i < N; i++)
        CHECK_INT(sim_world_schedule(n.w, n.t0 + gap * i, on_send, &n, i, 0, NULL), 0);
    /* And a burst of N at one instant after the spaced ones. */
    sim_time_t tb = n.t0 + gap * N + 10 * SIM_MS;
    for (uint32_t i = 0; i < N; i++)
        CHECK_INT(sim_world_schedule(n.w, tb, on_send, &n, N + i, 0, NULL), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 4 * N);
    CHECK_INT(n.s[1].n, 2 * N);
    size_t out_of_order = 0, out_of_range = 0;
    int64_t dmin = INT64_MAX, dmax = INT64_MIN;
    for (size_t i = 0; i < n.s[1].n; i++) {
        const arrival *a = &n.s[1].a[i];
        int64_t d = a->at - a->sent_at;
        if (a->seq != i) out_of_order++;
        if (i > 0 && a->at < n.s[1].a[i - 1].at) out_of_order++;
        if (d < lat || d > lat + jit) out_of_range++;
        if (d < dmin) dmin = d;
        if (d > dmax) dmax = d;
    }
    CHECK_INT(out_of_order, 0);
    CHECK_INT(out_of_range, 0);
    CHECK(dmax - dmin >= jit / 2);   /* the jitter is really there */
    CHECK(dmin < lat + jit / 10);
    net_free(&n);
}

/* ---- loss ------------------------------------------------------------------------------- */

static void test_loss(void)
{
    enum { N = 100000 };
    const double loss = 0.1;
    net n;
    net_init(&n, 12345);
    sim_link_params p = link_params(SIM_MS, 0, 0, loss);
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    uint64_t allocs0 = payload_allocs, frees0 = payload_frees;
    size_t nonzero = 0;
    for (uint32_t i = 0; i < N; i++)
        if (send_seq(&n, 0, 1, i, 100) != 0) nonzero++;
    CHECK_INT(nonzero, 0);   /* the sender cannot know about a loss */
    uint64_t lost_at_send = payload_frees - frees0;
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), N - lost_at_send);
    size_t got = n.s[1].n, lost = N - got;
    double rate = (double)lost / N, se = sqrt(loss * (1 - loss) / N);
    CHECK_NEAR(rate, loss, 5 * se);
    CHECK_INT(lost, lost_at_send);
    CHECK_INT(stats(&n)->msgs_sent, N);
    CHECK_INT(stats(&n)->msgs_delivered, got);
    CHECK_INT(stats(&n)->drops_loss, lost);
    CHECK_INT(stats(&n)->msgs_dropped, lost);
    CHECK_INT(sim_world_node(n.w, 0)->dropped, lost);
    CHECK_INT(payload_allocs - allocs0, N);
    CHECK_INT(payload_frees - frees0, N);
    /* The survivors are in order. */
    size_t bad = 0;
    for (size_t i = 1; i < got; i++)
        if (n.s[1].a[i].seq <= n.s[1].a[i - 1].seq) bad++;
    CHECK_INT(bad, 0);

    /* loss 1 loses everything; loss 0 nothing. */
    p.loss = 1;
    CHECK_INT(sim_link_set(n.w, 0, 1, &p), 0);
    for (uint32_t i = 0; i < 100; i++) CHECK_INT(send_seq(&n, 0, 1, i, 1), 0);
    CHECK_INT(sim_world_pending(n.w), 0);
    CHECK_INT(stats(&n)->drops_loss, lost + 100);
    net_free(&n);
}

/* ---- down links, down nodes, no link ------------------------------------------------------- */

static void test_link_down(void)
{
    net n;
    net_init(&n, 1);
    sim_link_params p = link_params(10 * SIM_MS, 0, 0, 0);
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);

    CHECK_INT(sim_link_set_up(n.w, 0, 1, false, "cut"), 0);
    CHECK_INT(sim_link_set_up(n.w, 1, 0, false, "again"), 0);
    sim_link_params got;
    CHECK_INT(sim_link_get(n.w, 1, 0, &got), 0);
    CHECK(!got.up);
    uint64_t frees = payload_frees;
    CHECK_INT(send_seq(&n, 0, 1, 1, 10), -ENETDOWN);
    CHECK_INT(send_seq(&n, 1, 0, 2, 10), -ENETDOWN);   /* both directions */
    CHECK_INT(payload_frees, frees + 2);
    CHECK_INT(sim_world_pending(n.w), 0);
    CHECK_INT(stats(&n)->drops_link_down, 2);
    CHECK_INT(stats(&n)->msgs_dropped, 2);

    /* In flight when the link goes down, back up before the arrival: still lost. */
    CHECK_INT(sim_link_set_up(n.w, 0, 1, true, "fixed"), 0);
    sim_time_t t1 = n.t0 + SIM_SEC;
    sim_world_advance(n.w, t1);
    CHECK_INT(send_seq(&n, 0, 1, 3, 10), 0);            /* due at t1 + 10 ms */
    sim_world_advance(n.w, t1 + 2 * SIM_MS);
    CHECK_INT(sim_link_set_up(n.w, 0, 1, false, "cut"), 0);
    sim_world_advance(n.w, t1 + 5 * SIM_MS);
    CHECK_INT(sim_link_set_up(n.w, 0, 1, true, "fixed"), 0);
    CHECK_INT(send_seq(&n, 0, 1, 4, 10), 0);            /* due at t1 + 15 ms */
    CHECK_INT(sim_world_pending(n.w), 2);
    frees = payload_frees;
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 2);
    CHECK_INT(n.s[1].n, 1);
    if (n.s[1].n == 1) {
        CHECK_INT(n.s[1].a[0].seq, 4);
        CHECK_INT(n.s[1].a[0].at - t1, 15 * SIM_MS);
    }
    CHECK_INT(stats(&n)->drops_link_down, 3);
    CHECK_INT(stats(&n)->msgs_dropped, 3);
    CHECK_INT(stats(&n)->msgs_delivered, 1);
    CHECK_INT(payload_frees, frees + 2);

    /* A link going down does not touch other links. */
    CHECK_INT(sim_link_add(n.w, 0, 2, &p), 0);
    CHECK_INT(send_seq(&n, 0, 2, 5, 10), 0);
    CHECK_INT(sim_link_set_up(n.w, 0, 1, false, "cut"), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(n.s[2].n, 1);
    CHECK_INT(sim_link_set_up(n.w, 0, 3, false, NULL), -ENOENT);
    net_free(&n);
}

static void test_node_down_and_no_link(void)
{
    net n;
    net_init(&n, 1);
    sim_link_params p = link_params(SIM_MS, 0, 0, 0);
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    sim_node *b = sim_world_node(n.w, 1), *a = sim_world_node(n.w, 0);

    /* To a crashed node: sent, then dropped at delivery. */
    CHECK_INT(sim_node_crash(b, "test"), 0);
    uint64_t frees = payload_frees;
    CHECK_INT(send_seq(&n, 0, 1, 1, 10), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(n.s[1].n, 0);
    CHECK_INT(stats(&n)->drops_node_down, 1);
    CHECK_INT(stats(&n)->msgs_dropped, 1);
    CHECK_INT(payload_frees, frees + 1);

    /* Crashing while the message is in flight loses it too. */
    CHECK_INT(sim_node_recover(b, "test"), 0);
    CHECK_INT(send_seq(&n, 0, 1, 2, 10), 0);
    CHECK_INT(sim_node_crash(b, "test"), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(n.s[1].n, 0);
    CHECK_INT(stats(&n)->drops_node_down, 2);
    CHECK_INT(sim_node_recover(b, "test"), 0);

    /* From a crashed node. */
    CHECK_INT(sim_node_crash(a, "test"), 0);
    CHECK_INT(send_seq(&n, 0, 1, 3, 10), -EHOSTDOWN);
    CHECK_INT(stats(&n)->drops_sender_down, 1);
    CHECK_INT(sim_node_recover(a, "test"), 0);

    /* No link, an unknown node. */
    frees = payload_frees;
    CHECK_INT(send_seq(&n, 0, 2, 4, 10), -ENOLINK);
    CHECK_INT(stats(&n)->drops_no_link, 1);
    CHECK_INT(send_seq(&n, 0, 77, 5, 10), -ENOENT);
    CHECK_INT(payload_frees, frees + 2);
    CHECK_INT(sim_world_pending(n.w), 0);
    CHECK_INT(stats(&n)->msgs_dropped, 4);

    /* And after all that, the link still works. */
    CHECK_INT(send_seq(&n, 0, 1, 6, 10), 0);
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(n.s[1].n, 1);
    CHECK_INT(n.s[1].n ? n.s[1].a[0].seq : 0, 6);
    net_free(&n);
}

/* ---- sim_link_add errors ----------------------------------------------------------------- */

static void test_link_add_errors(void)
{
    net n;
    net_init(&n, 1);
    sim_link_params ok = link_params(SIM_MS, 0, 0, 0);
    CHECK_INT(sim_link_add(n.w, 0, 0, &ok), -EINVAL);
    CHECK_INT(sim_link_add(n.w, 0, 3, &ok), -ENOENT);
    CHECK_INT(sim_link_add(n.w, 3, 0, &ok), -ENOENT);
    CHECK_INT(sim_link_add(n.w, 0, 1, &ok), 0);
    CHECK_INT(sim_link_add(n.w, 0, 1, &ok), -EEXIST);
    CHECK_INT(sim_link_add(n.w, 1, 0, &ok), -EEXIST);

    sim_link_params bad[] = {
        link_params(-1, 0, 0, 0),
        link_params(0, -1, 0, 0),
        link_params(0, 0, -1, 0),
        link_params(0, 0, INFINITY, 0),
        link_params(0, 0, NAN, 0),
        link_params(0, 0, 0, 1.5),
        link_params(0, 0, 0, -0.1),
        link_params(0, 0, 0, NAN),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(sim_link_add(n.w, 0, 2, &bad[i]), -EINVAL);
        CHECK_INT(sim_link_set(n.w, 0, 1, &bad[i]), -EINVAL);
    }
    CHECK_INT(sim_link_count(n.w), 1);
    sim_link_params got;
    CHECK_INT(sim_link_get(n.w, 0, 2, &got), -ENOENT);
    CHECK_INT(sim_link_set(n.w, 0, 2, &ok), -ENOENT);
    CHECK_INT(sim_link_get(n.w, 0, 1, &got), 0);
    CHECK_INT(got.latency, SIM_MS);   /* the rejected sets changed nothing */
    CHECK(got.loss == 0);

    /* loss exactly 0 and 1 are valid. */
    CHECK_INT(sim_link_add(n.w, 0, 2, &(sim_link_params){.loss = 1, .up = true}), 0);
    CHECK_INT(sim_link_add(n.w, 1, 2, &(sim_link_params){.loss = 0}), 0);
    CHECK_INT(sim_link_count(n.w), 3);
    net_free(&n);
}

/* ---- destroying a world with messages in flight ------------------------------------------- */

static void test_destroy_in_flight(void)
{
    net n;
    net_init(&n, 1);
    sim_link_params p = link_params(SIM_SEC, 0, 0, 0);
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    CHECK_INT(sim_link_add(n.w, 1, 2, &p), 0);
    uint64_t allocs = payload_allocs, frees = payload_frees;
    for (uint32_t i = 0; i < 100; i++) {
        CHECK_INT(send_seq(&n, 0, 1, i, 10), 0);
        CHECK_INT(send_seq(&n, 2, 1, i, 10), 0);
    }
    CHECK_INT(sim_world_pending(n.w), 200);
    CHECK_INT(payload_allocs - allocs, 200);
    CHECK_INT(payload_frees, frees);
    sim_world_destroy(n.w);
    n.w = NULL;
    CHECK_INT(payload_frees - frees, 200);
    for (int i = 0; i < 3; i++) free(n.s[i].a);
    CHECK_INT(n.s[1].n, 0);
}

/* ---- the dropped callback: told of every drop, with its reason, before the free ------------ */

static sim_drop_reason told_why[8];
static uint32_t told_seq[8];
static size_t ntold;

static void told_dropped(sim_world *w, const sim_msg *m, sim_drop_reason why)
{
    (void)w;
    if (ntold < 8) {
        told_why[ntold] = why;
        told_seq[ntold] = ((const payload *)m->payload)->seq;   /* not freed yet */
    }
    ntold++;
}

static const sim_msg_type told_msg = {.name = "told", .free = payload_free, .dropped = told_dropped};

static void test_dropped_callback(void)
{
    net n;
    net_init(&n, 1);
    int type = sim_msg_type_register(n.w, &told_msg);
    CHECK(type >= 0);
    n.type = (uint16_t)type;
    sim_link_params p = link_params(SIM_MS, 0, 0, 0);
    CHECK_INT(sim_link_add(n.w, 0, 1, &p), 0);
    sim_node *a = sim_world_node(n.w, 0), *b = sim_world_node(n.w, 1);
    ntold = 0;
    CHECK_INT(sim_node_crash(b, "test"), 0);
    CHECK_INT(send_seq(&n, 0, 1, 1, 10), 0);          /* dropped at delivery: receiver down */
    CHECK_INT(sim_world_run(n.w, INT64_MAX, 0), 1);
    CHECK_INT(sim_node_recover(b, "test"), 0);
    CHECK_INT(sim_node_crash(a, "test"), 0);
    CHECK_INT(send_seq(&n, 0, 1, 2, 10), -EHOSTDOWN);  /* sender down */
    CHECK_INT(sim_node_recover(a, "test"), 0);
    CHECK_INT(send_seq(&n, 0, 2, 3, 10), -ENOLINK);    /* no link */
    CHECK_INT(sim_link_set_up(n.w, 0, 1, false, "test"), 0);
    CHECK_INT(send_seq(&n, 0, 1, 4, 10), -ENETDOWN);   /* link down */
    CHECK_INT(sim_link_set_up(n.w, 0, 1, true, "test"), 0);
    p.loss = 1;
    CHECK_INT(sim_link_set(n.w, 0, 1, &p), 0);
    CHECK_INT(send_seq(&n, 0, 1, 5, 10), 0);           /* lost */
    CHECK_INT(ntold, 5);
    const sim_drop_reason want[] = {SIM_DROP_NODE_DOWN, SIM_DROP_SENDER_DOWN, SIM_DROP_NO_LINK, SIM_DROP_LINK_DOWN,
                                    SIM_DROP_LOSS};
    for (size_t i = 0; i < 5; i++) {
        CHECK_INT(told_why[i], want[i]);
        CHECK_INT(told_seq[i], i + 1);
    }
    CHECK_INT(stats(&n)->msgs_dropped, 5);
    net_free(&n);
}

int main(void)
{
    test_dropped_callback();
    test_latency();
    test_bandwidth();
    test_jitter();
    test_loss();
    test_link_down();
    test_node_down_and_no_link();
    test_link_add_errors();
    test_destroy_in_flight();
    CHECK_INT(payload_frees, payload_allocs);
    CHECK_DONE();
}
