/* test_tcp_hammer.c: a randomized hammer (fixed seed, bounded work) over the TCP paths at once: connects,
 * random writes (msg_more, write2, big partial writes), echo, shutdown, shutdown_read, orderly and abortive
 * closes from every callback, adoption into a context with another ext size, timeouts, and reconnects from
 * on_close. Checks every socket opens once and closes once; meant to run under ASan as well. */
#include "libusockets.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOTAL_CONNECTS 1500
#define CONCURRENT 40
#define ALIVE 0x600DF00D
#define DEAD 0xDEADDEAD

struct hx {
    uint32_t magic;
    int events;
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t) (rng % n);
}

static struct us_socket_context_t *srv, *srv2, *cli;
static struct us_listen_socket_t *ls;
static int port, connects, opens, closes, connect_errors, srv_opens, srv_closes;
static char *blob;
#define BLOB (1 << 20)

static void mark_open(struct us_socket_t *s, int ext_size) {
    struct hx *x = us_socket_ext(0, s);
    x->magic = ALIVE;
    x->events = 0;
    if (ext_size > (int) sizeof(struct hx)) {
        memset((char *) x + sizeof(*x), 0x33, (size_t) ext_size - sizeof(*x));
    }
}
static void check_alive(struct us_socket_t *s) {
    struct hx *x = us_socket_ext(0, s);
    CHECK_EQ(x->magic, ALIVE);
    x->events++;
}

/* one random action on s; returns the socket to go on with */
static struct us_socket_t *act(struct us_socket_t *s, int is_server) {
    switch (rnd(16)) {
    case 0:
        return us_socket_close(0, s, 0, NULL);
    case 1:
        return us_socket_close(0, s, 1, NULL);
    case 2:
        us_socket_shutdown(0, s);
        break;
    case 3:
        if (is_server) {
            us_socket_shutdown_read(0, s);
        }
        break;
    case 4:
    case 5:
        us_socket_write(0, s, blob, (int) rnd(BLOB) + 1, 0);
        break;
    case 6:
        us_socket_write(0, s, blob, (int) rnd(64) + 1, 1);
        if (rnd(2)) {
            us_socket_flush(0, s);
        }
        break;
    case 7:
        us_socket_write2(0, s, blob, (int) rnd(100), blob + 100, (int) rnd(200000));
        break;
    case 8:
        us_socket_timeout(0, s, rnd(2) ? 1 : 0);
        break;
    case 9:
        if (is_server) {
            struct us_socket_context_t *to = us_socket_context(0, s) == srv ? srv2 : srv;
            int ext = (int) sizeof(struct hx) + (int) rnd(5000);
            struct hx saved = *(struct hx *) us_socket_ext(0, s);
            s = us_socket_context_adopt_socket(0, to, s, ext);
            CHECK(us_socket_context(0, s) == to);
            CHECK_EQ(((struct hx *) us_socket_ext(0, s))->magic, saved.magic);
        }
        break;
    default:
        us_socket_write(0, s, blob, (int) rnd(4096) + 1, 0);
        break;
    }
    return s;
}

static void connect_more(void) {
    while (connects < TOTAL_CONNECTS && connects - closes - connect_errors < CONCURRENT) {
        connects++;
        struct us_socket_t *s = us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, sizeof(struct hx));
        CHECK(s);
        mark_open(s, sizeof(struct hx));
    }
    if (connects == TOTAL_CONNECTS && closes + connect_errors == TOTAL_CONNECTS && ls) {
        us_listen_socket_close(0, ls);
        ls = NULL;
        us_socket_context_close(0, srv);
        us_socket_context_close(0, srv2);
    }
}

/* ---- server */
static struct us_socket_t *s_open(struct us_socket_t *s, int c, char *ip, int l) {
    (void) c;
    (void) ip;
    (void) l;
    mark_open(s, sizeof(struct hx));
    srv_opens++;
    return rnd(4) ? s : act(s, 1);
}
static struct us_socket_t *s_data(struct us_socket_t *s, char *d, int n) {
    check_alive(s);
    us_socket_write(0, s, d, n, 0);
    return rnd(3) ? s : act(s, 1);
}
static struct us_socket_t *s_writable(struct us_socket_t *s) {
    check_alive(s);
    return rnd(2) ? s : act(s, 1);
}
static struct us_socket_t *s_end(struct us_socket_t *s) {
    check_alive(s);
    /* a half-open socket would wait for us forever: answer FIN by closing (or shutting down, then FIN closes) */
    if (rnd(2)) {
        us_socket_write(0, s, blob, (int) rnd(1000) + 1, 0);
        us_socket_shutdown(0, s);
        return s;
    }
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *s_timeout(struct us_socket_t *s) {
    check_alive(s);
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *s_close(struct us_socket_t *s, int code, void *r) {
    (void) code;
    (void) r;
    struct hx *x = us_socket_ext(0, s);
    CHECK_EQ(x->magic, ALIVE);
    x->magic = DEAD;
    srv_closes++;
    return s;
}

/* ---- client */
static struct us_socket_t *c_open(struct us_socket_t *s, int c, char *ip, int l) {
    (void) c;
    (void) ip;
    (void) l;
    check_alive(s);
    opens++;
    us_socket_write(0, s, blob, (int) rnd(8192) + 1, 0);
    return rnd(3) ? s : act(s, 0);
}
static struct us_socket_t *c_data(struct us_socket_t *s, char *d, int n) {
    (void) d;
    (void) n;
    check_alive(s);
    /* the client drives each connection: a few round trips, then it ends */
    if (((struct hx *) us_socket_ext(0, s))->events > 6) {
        return us_socket_close(0, s, rnd(2), NULL);
    }
    us_socket_write(0, s, blob, (int) rnd(2048) + 1, 0);
    return rnd(4) ? s : act(s, 0);
}
static struct us_socket_t *c_writable(struct us_socket_t *s) {
    check_alive(s);
    return act(s, 0);
}
static struct us_socket_t *c_end(struct us_socket_t *s) {
    check_alive(s);
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *c_timeout(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *c_error(struct us_socket_t *s, int code) {
    (void) s;
    (void) code;
    connect_errors++;
    connect_more();
    return s;
}
static struct us_socket_t *c_close(struct us_socket_t *s, int code, void *r) {
    (void) code;
    (void) r;
    struct hx *x = us_socket_ext(0, s);
    CHECK_EQ(x->magic, ALIVE);
    x->magic = DEAD;
    closes++;
    connect_more();
    return s;
}

/* clients that never open nor fail would stall the test: close whatever is left after a while */
static void sweeper(struct us_timer_t *t) {
    (void) t;
    connect_more();
}
static void report_stall(struct us_timer_t *t) {
    (void) t;
    fprintf(stderr, "stalled: connects %d opens %d closes %d errors %d srv %d/%d\n", connects, opens, closes,
            connect_errors, srv_opens, srv_closes);
    exit(1);
}

int main(void) {
    test_guard(40);
    if (getenv("HAMMER_SEED")) {
        rng = strtoull(getenv("HAMMER_SEED"), NULL, 0) | 1; /* explore other seeds by hand */
    }
    printf("test_tcp_hammer: seed=0x%llx (replay: HAMMER_SEED=0x%llx)\n", (unsigned long long) rng,
           (unsigned long long) rng);
    fflush(stdout);
    blob = malloc(BLOB + 200000);
    memset(blob, 'h', BLOB + 200000);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    srv = us_create_socket_context(0, loop, 0, none);
    srv2 = us_create_child_socket_context(0, srv, 0);
    cli = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *sctx[2] = {srv, srv2};
    for (int i = 0; i < 2; i++) {
        us_socket_context_on_open(0, sctx[i], s_open);
        us_socket_context_on_data(0, sctx[i], s_data);
        us_socket_context_on_writable(0, sctx[i], s_writable);
        us_socket_context_on_end(0, sctx[i], s_end);
        us_socket_context_on_timeout(0, sctx[i], s_timeout);
        us_socket_context_on_close(0, sctx[i], s_close);
    }
    us_socket_context_on_open(0, cli, c_open);
    us_socket_context_on_data(0, cli, c_data);
    us_socket_context_on_writable(0, cli, c_writable);
    us_socket_context_on_end(0, cli, c_end);
    us_socket_context_on_timeout(0, cli, c_timeout);
    us_socket_context_on_connect_error(0, cli, c_error);
    us_socket_context_on_close(0, cli, c_close);

    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, sizeof(struct hx));
    CHECK(ls);
    port = us_socket_local_port(0, (struct us_socket_t *) ls);
    struct us_timer_t *t = us_create_timer(loop, 1, 0);
    us_timer_set(t, sweeper, 50, 50);
    struct us_timer_t *stall = us_create_timer(loop, 1, 0);
    us_timer_set(stall, report_stall, 30000, 0);
    connect_more();
    us_loop_run(loop);
    us_timer_close(t);
    us_timer_close(stall);

    CHECK_EQ(connects, TOTAL_CONNECTS);
    CHECK_EQ(closes + connect_errors, TOTAL_CONNECTS);
    CHECK_EQ(opens, closes);
    CHECK_EQ(srv_opens, srv_closes);
    printf("hammer: %d connects, %d opened, %d connect errors, %d server sockets\n", connects, opens,
           connect_errors, srv_opens);

    us_socket_context_free(0, srv2);
    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    free(blob);
    TEST_PASS("test_tcp_hammer");
    return 0;
}
