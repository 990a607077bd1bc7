/*
 * test_hammer_mixed.c: a time-bounded randomized hammer over TCP and TLS at once, on one loop.
 *
 * Four servers (two TCP, two TLS, each with its own listen ext size) echo through a buffered outbox; each
 * server context has a partner context to adopt into, with a larger or a smaller ext (TLS partners are child
 * contexts). Clients of seven kinds come and go, at most CONCURRENT at a time:
 *   TCP echo, TLS echo           stream a per-connection byte pattern, random chunk sizes; what comes back
 *                                must be a prefix of what was sent, byte for byte
 *   connect to a closed port     TCP and TLS: on_connect_error, never on_open
 *   TLS with the wrong CA        the handshake fails on verification: no data ever arrives
 *   TCP garbage at a TLS port    the server's handshake fails
 *   TLS at a TCP port            the client's handshake fails on its own echoed ClientHello
 *   idle                         connects and sends nothing: the server's 2 s idle timeout reaps it
 * Both sides pick random actions in their callbacks: writes, shutdown, shutdown_read, orderly and abortive
 * close, timeouts, adoption into the partner context (ext grown or shrunk). Every socket's whole ext area
 * holds a header and a pattern derived from its serial; it is checked on every callback, and across an
 * adoption the bytes both sizes share must survive. Every socket that opened closes exactly once; every
 * connect ends in on_open or on_connect_error; in the end every counter balances and the loop returns.
 *
 * Bounded: new connections for HAMMER_SECONDS (default 10; sanitize.sh --ci: 20), then a drain; a stall of
 * 45 s more fails (both stretched by US_TEST_TIME_SCALE under valgrind).
 * HAMMER_SEED (default fixed) replays a run's random choices; the seed is printed first.
 * Meant for ASan+UBSan (scripts/sanitize.sh) and valgrind (scripts/valgrind.sh) as well.
 */
#include "tls_util.h"

#include <errno.h>
#include <stdint.h>

#define CONCURRENT 80
#define MAX_CHUNK 24000
#define SRC_LEN (256 * 1024)
#define ROUNDS_MAX 12
#define ALIVE 0xA11CEu
#define DEAD 0xDEADu

enum kind { K_TCP, K_TLS, K_REFUSED_TCP, K_REFUSED_TLS, K_WRONG_CA, K_GARBAGE, K_TLS_AT_TCP, K_IDLE, K_COUNT };
static const char *kind_names[K_COUNT] = {"tcp",       "tls",         "refused-tcp", "refused-tls",
                                          "wrong-ca",  "garbage",     "tls-at-tcp",  "idle"};

/* The head of every socket's ext; the rest of the area (up to size) is pattern(serial). */
struct hx {
    uint32_t magic;
    uint32_t serial;
    uint32_t size;
    int kind;        /* clients: enum kind; servers: -1 */
    int ssl;
    int shut;        /* we shut down (no more writes from us) */
    int rounds;
    uint64_t sent, recvd;
    struct tls_outbox out;
};

/* A context's ext: whether it is TLS, the ext size of its listener's sockets, where to adopt to. */
struct cx {
    int ssl;
    int listen_ext;
    struct us_socket_context_t *partner;
};

static uint64_t rng_state;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t) (rng_state % n);
}

static unsigned char *src;
static struct tls_files files;
static struct us_socket_context_t *srv[4], *alt[4], *cli_tcp, *cli_tls, *cli_wrong_ca;
static struct us_listen_socket_t *ls[4];
static int ports[4], closed_port;
static uint32_t next_serial = 1;
static int stopping, done_draining;
static double deadline_ms;
static unsigned int seconds = 10;

static struct {
    long connects, immediate_failures, opens, closes, connect_errors;
    long srv_opens, srv_closes, adoptions, timeouts, srv_timeouts;
    long per_kind[K_COUNT];
    uint64_t echoed_bytes;
} st;

static unsigned char fill_byte(uint32_t serial, uint32_t i) {
    return (unsigned char) ((serial * 73u) ^ (i * 7u) ^ (i >> 5));
}

static void fill_ext(struct hx *x, uint32_t from) {
    unsigned char *b = (unsigned char *) x;
    for (uint32_t i = from < sizeof(*x) ? (uint32_t) sizeof(*x) : from; i < x->size; i++) {
        b[i] = fill_byte(x->serial, i);
    }
}

static void init_ext(struct us_socket_t *s, int ssl, uint32_t size, int kind) {
    struct hx *x = us_socket_ext(ssl, s);
    memset(x, 0, sizeof(*x));
    x->magic = ALIVE;
    x->serial = next_serial++;
    x->size = size;
    x->kind = kind;
    x->ssl = ssl;
    fill_ext(x, 0);
}

/* The whole ext area is what we put there. */
static struct hx *check_ext(struct us_socket_t *s, int ssl) {
    struct hx *x = us_socket_ext(ssl, s);
    CHECK_EQ(x->magic, ALIVE);
    CHECK_EQ(x->ssl, ssl);
    const unsigned char *b = (const unsigned char *) x;
    for (uint32_t i = (uint32_t) sizeof(*x); i < x->size; i++) {
        if (b[i] != fill_byte(x->serial, i)) {
            fprintf(stderr, "ext of socket %u corrupt at %u of %u\n", x->serial, i, x->size);
            exit(1);
        }
    }
    return x;
}

static int checked_kind(int kind) {
    return kind == K_TCP || kind == K_TLS;
}

/* ------------------------------------------------------------------------------------------ clients */

static void client_send_some(struct us_socket_t *s, struct hx *x) {
    if (x->shut) {
        return;
    }
    size_t n = 1 + rnd(rnd(4) ? 2048 : MAX_CHUNK);
    while (n) {
        size_t off = (size_t) ((x->sent + x->serial * 977u) % SRC_LEN);
        size_t piece = n < SRC_LEN - off ? n : SRC_LEN - off;
        tls_send(x->ssl, s, &x->out, (const char *) src + off, piece);
        x->sent += piece;
        n -= piece;
    }
}

static void start_client(void) {
    int kind = (int) rnd(100);
    /* the mix: mostly echo, a steady share of every failure */
    kind = kind < 44 ? K_TCP
         : kind < 70 ? K_TLS
         : kind < 77 ? K_REFUSED_TCP
         : kind < 82 ? K_REFUSED_TLS
         : kind < 87 ? K_WRONG_CA
         : kind < 92 ? K_GARBAGE
         : kind < 98 ? K_TLS_AT_TCP
                     : K_IDLE;
    int ssl = kind == K_TLS || kind == K_REFUSED_TLS || kind == K_WRONG_CA || kind == K_TLS_AT_TCP;
    struct us_socket_context_t *ctx = kind == K_WRONG_CA ? cli_wrong_ca : ssl ? cli_tls : cli_tcp;
    int port;
    switch (kind) {
    case K_TCP:
    case K_TLS_AT_TCP:
        port = ports[rnd(2)];
        break;
    case K_REFUSED_TCP:
    case K_REFUSED_TLS:
        port = closed_port;
        break;
    case K_IDLE:
        port = ports[rnd(4)];
        break;
    default:
        port = ports[2 + rnd(2)];
        break;
    }
    uint32_t size = (uint32_t) sizeof(struct hx) + rnd(3000);
    st.connects++;
    st.per_kind[kind]++;
    struct us_socket_t *s = us_socket_context_connect(ssl, ctx, "127.0.0.1", port, NULL, 0, (int) size);
    if (!s) {
        CHECK(kind == K_REFUSED_TCP || kind == K_REFUSED_TLS); /* refused at once is allowed */
        st.immediate_failures++;
        return;
    }
    init_ext(s, ssl, size, kind);
}

static void connect_more(void) {
    if (!stopping && test_now_ms() > deadline_ms) {
        stopping = 1;
    }
    while (!stopping && st.connects - st.immediate_failures - st.closes - st.connect_errors < CONCURRENT) {
        start_client();
    }
    if (stopping && !done_draining && st.connects - st.immediate_failures == st.closes + st.connect_errors) {
        done_draining = 1;
        for (int i = 0; i < 4; i++) {
            us_listen_socket_close(i >= 2, ls[i]);
            us_socket_context_close(i >= 2, srv[i]);
            us_socket_context_close(i >= 2, alt[i]);
        }
    }
}

static struct us_socket_t *client_act(struct us_socket_t *s, struct hx *x) {
    switch (rnd(12)) {
    case 0:
        return us_socket_close(x->ssl, s, 0, NULL);
    case 1:
        return us_socket_close(x->ssl, s, 1, NULL);
    case 2:
        us_socket_shutdown(x->ssl, s);
        x->shut = 1;
        break;
    case 3:
        us_socket_timeout(x->ssl, s, 1);
        break;
    case 4:
        us_socket_flush(x->ssl, s);
        break;
    default:
        client_send_some(s, x);
        break;
    }
    return s;
}

static struct us_socket_t *c_open(int ssl, struct us_socket_t *s) {
    struct hx *x = check_ext(s, ssl);
    CHECK(x->kind != K_REFUSED_TCP && x->kind != K_REFUSED_TLS);
    st.opens++;
    x->rounds = 1 + (int) rnd(ROUNDS_MAX);
    us_socket_timeout(ssl, s, 12); /* a safety net: nobody waits forever */
    switch (x->kind) {
    case K_IDLE:
        return s;
    case K_GARBAGE: {
        unsigned char junk[300];
        for (size_t i = 0; i < sizeof(junk); i++) {
            junk[i] = (unsigned char) rnd(256);
        }
        junk[0] = (unsigned char) (0x17 + rnd(200)); /* never a handshake record's type */
        us_socket_write(ssl, s, (const char *) junk, (int) (1 + rnd(sizeof(junk))), 0);
        return s;
    }
    default:
        client_send_some(s, x);
        return rnd(8) ? s : client_act(s, x);
    }
}

static struct us_socket_t *c_data(int ssl, struct us_socket_t *s, char *data, int length) {
    struct hx *x = check_ext(s, ssl);
    CHECK(x->kind != K_WRONG_CA && x->kind != K_TLS_AT_TCP && x->kind != K_IDLE);
    if (checked_kind(x->kind)) {
        CHECK(x->recvd + (uint64_t) length <= x->sent);
        size_t done = 0;
        while (done < (size_t) length) {
            size_t off = (size_t) ((x->recvd + done + x->serial * 977u) % SRC_LEN);
            size_t piece = (size_t) length - done < SRC_LEN - off ? (size_t) length - done : SRC_LEN - off;
            if (memcmp(data + done, src + off, piece) != 0) {
                fprintf(stderr, "client %u (%s): echo corrupt at byte %llu\n", x->serial, kind_names[x->kind],
                        (unsigned long long) (x->recvd + done));
                exit(1);
            }
            done += piece;
        }
        st.echoed_bytes += (uint64_t) length;
    }
    x->recvd += (uint64_t) length;
    us_socket_timeout(ssl, s, 12);
    if (x->kind == K_GARBAGE) {
        return s; /* an alert, perhaps; the server hangs up */
    }
    if (x->recvd == x->sent && --x->rounds <= 0) {
        return rnd(4) ? us_socket_close(ssl, s, (int) rnd(2), NULL) : (us_socket_shutdown(ssl, s), x->shut = 1, s);
    }
    if (x->recvd == x->sent) {
        client_send_some(s, x);
    }
    return rnd(10) ? s : client_act(s, x);
}

static struct us_socket_t *c_writable(int ssl, struct us_socket_t *s) {
    struct hx *x = check_ext(s, ssl);
    tls_outbox_drain(ssl, s, &x->out);
    return rnd(16) ? s : client_act(s, x);
}

static struct us_socket_t *c_end(int ssl, struct us_socket_t *s) {
    check_ext(s, ssl);
    return us_socket_close(ssl, s, 0, NULL);
}

static struct us_socket_t *c_timeout(int ssl, struct us_socket_t *s) {
    check_ext(s, ssl);
    st.timeouts++;
    return us_socket_close(ssl, s, 0, NULL);
}

static struct us_socket_t *c_error(int ssl, struct us_socket_t *s, int code) {
    struct hx *x = check_ext(s, ssl);
    (void) code;
    x->magic = DEAD;
    tls_outbox_free(&x->out);
    st.connect_errors++;
    connect_more();
    return s;
}

static struct us_socket_t *c_close(int ssl, struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    struct hx *x = check_ext(s, ssl);
    CHECK(x->recvd <= x->sent || !checked_kind(x->kind));
    x->magic = DEAD;
    tls_outbox_free(&x->out);
    st.closes++;
    connect_more();
    return s;
}

/* ------------------------------------------------------------------------------------------ servers */

static struct us_socket_t *server_act(struct us_socket_t *s, struct hx *x) {
    switch (rnd(14)) {
    case 0:
        return us_socket_close(x->ssl, s, 0, NULL);
    case 1:
        return us_socket_close(x->ssl, s, 1, NULL);
    case 2:
        us_socket_shutdown(x->ssl, s);
        x->shut = 1;
        break;
    case 3:
        if (!x->ssl) {
            us_socket_shutdown_read(x->ssl, s);
        }
        break;
    case 4:
        us_socket_timeout(x->ssl, s, 1);
        break;
    case 5:
    case 6:
    case 7: {
        /* into the partner context, the ext grown or shrunk; the bytes both sizes share stay */
        int ssl = x->ssl;
        struct us_socket_context_t *from = us_socket_context(ssl, s);
        struct cx *c = us_socket_context_ext(ssl, from);
        uint32_t old_size = x->size;
        uint32_t new_size = rnd(2) ? old_size + 1 + rnd(4000)
                                   : (uint32_t) sizeof(struct hx) + rnd(old_size - (uint32_t) sizeof(struct hx) + 1);
        s = us_socket_context_adopt_socket(ssl, c->partner, s, (int) new_size); /* x is gone now */
        CHECK(us_socket_context(ssl, s) == c->partner);
        x = us_socket_ext(ssl, s);
        CHECK_EQ(x->size, old_size);
        x->size = new_size < old_size ? new_size : old_size;
        check_ext(s, ssl);
        x->size = new_size;
        fill_ext(x, old_size);
        us_socket_timeout(ssl, s, 2); /* adoption clears timeouts */
        st.adoptions++;
        break;
    }
    default:
        break;
    }
    return s;
}

static struct us_socket_t *s_open(int ssl, struct us_socket_t *s) {
    struct cx *c = us_socket_context_ext(ssl, us_socket_context(ssl, s));
    init_ext(s, ssl, (uint32_t) c->listen_ext, -1);
    st.srv_opens++;
    us_socket_timeout(ssl, s, 2);
    return rnd(10) ? s : server_act(s, us_socket_ext(ssl, s));
}

static struct us_socket_t *s_data(int ssl, struct us_socket_t *s, char *data, int length) {
    struct hx *x = check_ext(s, ssl);
    if (!x->shut) {
        tls_send(ssl, s, &x->out, data, (size_t) length);
    }
    x->recvd += (uint64_t) length;
    us_socket_timeout(ssl, s, 2);
    return rnd(6) ? s : server_act(s, x);
}

static struct us_socket_t *s_writable(int ssl, struct us_socket_t *s) {
    struct hx *x = check_ext(s, ssl);
    tls_outbox_drain(ssl, s, &x->out);
    return rnd(12) ? s : server_act(s, x);
}

static struct us_socket_t *s_end(int ssl, struct us_socket_t *s) {
    struct hx *x = check_ext(s, ssl);
    if (rnd(2)) {
        tls_outbox_drain(ssl, s, &x->out);
        us_socket_shutdown(ssl, s);
        x->shut = 1;
        return s;
    }
    return us_socket_close(ssl, s, 0, NULL);
}

static struct us_socket_t *s_timeout(int ssl, struct us_socket_t *s) {
    check_ext(s, ssl);
    st.srv_timeouts++;
    return us_socket_close(ssl, s, 0, NULL);
}

static struct us_socket_t *s_close(int ssl, struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    struct hx *x = check_ext(s, ssl);
    x->magic = DEAD;
    tls_outbox_free(&x->out);
    st.srv_closes++;
    return s;
}

/* ------------------------------------------------------------------------------------------ wiring */

#define WRAP(ssl)                                                                                                  \
    static struct us_socket_t *c_open##ssl(struct us_socket_t *s, int c, char *ip, int n) {                        \
        (void) ip;                                                                                                 \
        (void) n;                                                                                                  \
        CHECK(c);                                                                                                  \
        return c_open(ssl, s);                                                                                     \
    }                                                                                                              \
    static struct us_socket_t *c_data##ssl(struct us_socket_t *s, char *d, int n) { return c_data(ssl, s, d, n); } \
    static struct us_socket_t *c_writable##ssl(struct us_socket_t *s) { return c_writable(ssl, s); }             \
    static struct us_socket_t *c_end##ssl(struct us_socket_t *s) { return c_end(ssl, s); }                       \
    static struct us_socket_t *c_timeout##ssl(struct us_socket_t *s) { return c_timeout(ssl, s); }               \
    static struct us_socket_t *c_error##ssl(struct us_socket_t *s, int e) { return c_error(ssl, s, e); }         \
    static struct us_socket_t *c_close##ssl(struct us_socket_t *s, int e, void *r) { return c_close(ssl, s, e, r); } \
    static struct us_socket_t *s_open##ssl(struct us_socket_t *s, int c, char *ip, int n) {                        \
        (void) ip;                                                                                                 \
        (void) n;                                                                                                  \
        CHECK(!c);                                                                                                 \
        return s_open(ssl, s);                                                                                     \
    }                                                                                                              \
    static struct us_socket_t *s_data##ssl(struct us_socket_t *s, char *d, int n) { return s_data(ssl, s, d, n); } \
    static struct us_socket_t *s_writable##ssl(struct us_socket_t *s) { return s_writable(ssl, s); }             \
    static struct us_socket_t *s_end##ssl(struct us_socket_t *s) { return s_end(ssl, s); }                       \
    static struct us_socket_t *s_timeout##ssl(struct us_socket_t *s) { return s_timeout(ssl, s); }               \
    static struct us_socket_t *s_close##ssl(struct us_socket_t *s, int e, void *r) { return s_close(ssl, s, e, r); } \
    static void wire_client##ssl(struct us_socket_context_t *ctx) {                                                \
        us_socket_context_on_open(ssl, ctx, c_open##ssl);                                                          \
        us_socket_context_on_data(ssl, ctx, c_data##ssl);                                                          \
        us_socket_context_on_writable(ssl, ctx, c_writable##ssl);                                                  \
        us_socket_context_on_end(ssl, ctx, c_end##ssl);                                                            \
        us_socket_context_on_timeout(ssl, ctx, c_timeout##ssl);                                                    \
        us_socket_context_on_connect_error(ssl, ctx, c_error##ssl);                                                \
        us_socket_context_on_close(ssl, ctx, c_close##ssl);                                                        \
    }                                                                                                              \
    static void wire_server##ssl(struct us_socket_context_t *ctx) {                                                \
        us_socket_context_on_open(ssl, ctx, s_open##ssl);                                                          \
        us_socket_context_on_data(ssl, ctx, s_data##ssl);                                                          \
        us_socket_context_on_writable(ssl, ctx, s_writable##ssl);                                                  \
        us_socket_context_on_end(ssl, ctx, s_end##ssl);                                                            \
        us_socket_context_on_timeout(ssl, ctx, s_timeout##ssl);                                                    \
        us_socket_context_on_close(ssl, ctx, s_close##ssl);                                                        \
    }
WRAP(0)
WRAP(1)

static void tick(struct us_timer_t *t) {
    (void) t;
    connect_more();
}

static void report_stall(struct us_timer_t *t) {
    (void) t;
    fprintf(stderr,
            "stalled: connects %ld (at once failed %ld) opens %ld closes %ld connect errors %ld, server %ld/%ld\n",
            st.connects, st.immediate_failures, st.opens, st.closes, st.connect_errors, st.srv_opens, st.srv_closes);
    exit(1);
}

static struct us_socket_context_t *server_context(struct us_loop_t *loop, int ssl, struct us_socket_context_t *parent,
                                                  int listen_ext) {
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *ctx = parent ? us_create_child_socket_context(ssl, parent, sizeof(struct cx))
                                    : us_create_socket_context(ssl, loop, sizeof(struct cx),
                                                               ssl ? tls_server_options(&files) : none);
    CHECK(ctx != NULL);
    struct cx *c = us_socket_context_ext(ssl, ctx);
    c->ssl = ssl;
    c->listen_ext = listen_ext;
    c->partner = NULL;
    if (ssl) {
        wire_server1(ctx);
    } else {
        wire_server0(ctx);
    }
    return ctx;
}

int main(void) {
    if (getenv("HAMMER_SECONDS")) {
        seconds = (unsigned int) strtoul(getenv("HAMMER_SECONDS"), NULL, 10);
    }
    test_guard(seconds + 75); /* (times US_TEST_TIME_SCALE, see test_util.h) */
    uint64_t seed = 0x5EED0F4A11ull;
    if (getenv("HAMMER_SEED")) {
        seed = strtoull(getenv("HAMMER_SEED"), NULL, 0);
    }
    rng_state = seed ? seed : 1;
    printf("test_hammer_mixed: seed=0x%llx seconds=%u (replay: HAMMER_SEED=0x%llx HAMMER_SECONDS=%u)\n",
           (unsigned long long) seed, seconds, (unsigned long long) seed, seconds);
    fflush(stdout);

    src = malloc(SRC_LEN);
    CHECK(src != NULL);
    for (size_t i = 0; i < SRC_LEN; i++) {
        src[i] = (unsigned char) rnd(256);
    }
    tls_make_files(&files);

    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop != NULL);
    int listen_ext[4] = {(int) sizeof(struct hx), (int) sizeof(struct hx) + 2500, (int) sizeof(struct hx) + 16,
                         (int) sizeof(struct hx) + 1200};
    for (int i = 0; i < 4; i++) {
        int ssl = i >= 2;
        srv[i] = server_context(loop, ssl, NULL, listen_ext[i]);
        alt[i] = server_context(loop, ssl, ssl ? srv[i] : NULL, 0);
        ((struct cx *) us_socket_context_ext(ssl, srv[i]))->partner = alt[i];
        ((struct cx *) us_socket_context_ext(ssl, alt[i]))->partner = srv[i];
        ls[i] = us_socket_context_listen(ssl, srv[i], "127.0.0.1", 0, 0, listen_ext[i]);
        CHECK(ls[i] != NULL);
        ports[i] = us_socket_local_port(ssl, (struct us_socket_t *) ls[i]);
    }
    /* a port nobody listens on: listen, note the port, close */
    struct us_listen_socket_t *gone = us_socket_context_listen(0, srv[0], "127.0.0.1", 0, LIBUS_LISTEN_EXCLUSIVE_PORT, 0);
    CHECK(gone != NULL);
    closed_port = us_socket_local_port(0, (struct us_socket_t *) gone);
    us_listen_socket_close(0, gone);

    struct us_socket_context_options_t none = {0};
    cli_tcp = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_options_t verify = {0};
    verify.ca_file_name = files.ca;
    cli_tls = us_create_socket_context(1, loop, 0, verify);
    struct us_socket_context_options_t wrong = {0};
    wrong.ca_file_name = files.other_ca;
    cli_wrong_ca = us_create_socket_context(1, loop, 0, wrong);
    CHECK(cli_tcp && cli_tls && cli_wrong_ca);
    wire_client0(cli_tcp);
    wire_client1(cli_tls);
    wire_client1(cli_wrong_ca);

    struct us_timer_t *ticker = us_create_timer(loop, 1, 0);
    us_timer_set(ticker, tick, 20, 20);
    struct us_timer_t *stall = us_create_timer(loop, 1, 0);
    us_timer_set(stall, report_stall, (int) (seconds + 45 * (unsigned int) test_time_scale()) * 1000, 0);

    double start = test_now_ms();
    deadline_ms = start + seconds * 1000.0;
    connect_more();
    us_loop_run(loop);
    double took = (test_now_ms() - start) / 1000.0;

    CHECK(done_draining);
    CHECK_EQ(st.opens, st.closes);
    CHECK_EQ(st.connects, st.opens + st.connect_errors + st.immediate_failures);
    CHECK_EQ(st.srv_opens, st.srv_closes);
    CHECK(st.per_kind[K_REFUSED_TCP] + st.per_kind[K_REFUSED_TLS] <= st.connect_errors + st.immediate_failures);
    CHECK(st.echoed_bytes > 0);
    CHECK(st.adoptions > 0);

    us_timer_close(ticker);
    us_timer_close(stall);
    for (int i = 0; i < 4; i++) {
        us_socket_context_free(i >= 2, alt[i]);
        us_socket_context_free(i >= 2, srv[i]);
    }
    us_socket_context_free(0, cli_tcp);
    us_socket_context_free(1, cli_tls);
    us_socket_context_free(1, cli_wrong_ca);
    us_loop_free(loop);
    tls_remove_files(&files);
    free(src);

    printf("test_hammer_mixed: seed=0x%llx ran %.1f s: %ld connects (", (unsigned long long) seed, took, st.connects);
    for (int k = 0; k < K_COUNT; k++) {
        printf("%s%s %ld", k ? ", " : "", kind_names[k], st.per_kind[k]);
    }
    printf("), %ld opened and closed, %ld connect errors, %ld server sockets, %ld adoptions, %ld client / %ld server "
           "timeouts, %llu bytes echoed and checked\n",
           st.opens, st.connect_errors + st.immediate_failures, st.srv_opens, st.adoptions, st.timeouts,
           st.srv_timeouts, (unsigned long long) st.echoed_bytes);
    TEST_PASS("test_hammer_mixed");
    return 0;
}
