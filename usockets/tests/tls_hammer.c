/*
 * tls_hammer: a seeded random workout of the TLS state machine. 48 clients at a time, 600 in all,
 * against an echo server; both sides at random write odd sizes, shut down, close cleanly or with a
 * reset in the middle of traffic (also during handshakes). Checked: every opened socket gets exactly
 * one on_close, what comes back is always a prefix of what was sent, and the loop ends. Meant to run
 * under the sanitizers too.
 */
#include "tls_util.h"

#define PARALLEL 48
#define TOTAL 600 /* natively; fewer under emulation (see main) */
#define MAX_CHUNK 70000

static struct tls_files files;
static struct us_socket_context_t *client_ctx;
static int port, started, client_opens, client_closes, server_opens, server_closes, served_bytes_ok;
static unsigned int seed = 12345;
static int total = TOTAL;
static char *source;

static unsigned int rnd(void) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) & 0xffffff;
}

struct client {
    struct tls_outbox out;
    size_t sent, echoed;
    int opened, closed, rounds;
};

struct server {
    struct tls_outbox out;
    int opened, closed;
};

static void connect_one(void) {
    if (started >= total) {
        return;
    }
    started++;
    struct us_socket_t *s = us_socket_context_connect(1, client_ctx, "127.0.0.1", port, NULL, 0, sizeof(struct client));
    CHECK(s != NULL);
    memset(us_socket_ext(1, s), 0, sizeof(struct client));
}

static void client_send_some(struct us_socket_t *s, struct client *c) {
    size_t n = 1 + rnd() % MAX_CHUNK;
    while (n) {
        size_t off = c->sent % (4 * MAX_CHUNK);
        size_t piece = n < 4 * MAX_CHUNK - off ? n : 4 * MAX_CHUNK - off;
        tls_send(1, s, &c->out, source + off, piece);
        c->sent += piece;
        n -= piece;
    }
}

static struct us_socket_t *client_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    struct client *c = us_socket_ext(1, s);
    c->opened = 1;
    client_opens++;
    client_send_some(s, c); /* queued: refused until the handshake is done */
    if (rnd() % 40 == 0) {
        return us_socket_close(1, s, rnd() % 2, NULL); /* gone mid-handshake */
    }
    return s;
}

static struct us_socket_t *client_on_writable(struct us_socket_t *s) {
    tls_outbox_drain(1, s, &((struct client *)us_socket_ext(1, s))->out);
    return s;
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    struct client *c = us_socket_ext(1, s);
    /* the echo is a prefix of what was sent: source repeats every 4 * MAX_CHUNK bytes */
    for (int i = 0; i < length; i++) {
        CHECK(data[i] == source[(c->echoed + (size_t)i) % (4 * MAX_CHUNK)]);
    }
    c->echoed += (size_t)length;
    CHECK(c->echoed <= c->sent);
    unsigned int r = rnd() % 400;
    if (r < 3) {
        return us_socket_close(1, s, 0, NULL);
    }
    if (r < 5) {
        return us_socket_close(1, s, 1, NULL);
    }
    if (r < 8 && !us_socket_is_shut_down(1, s)) {
        us_socket_shutdown(1, s);
        return s;
    }
    if (c->echoed == c->sent && !us_socket_is_shut_down(1, s)) {
        if (++c->rounds > 6) {
            served_bytes_ok++;
            return us_socket_close(1, s, 0, NULL);
        }
        client_send_some(s, c);
    }
    return s;
}

static struct us_socket_t *client_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *client_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)code;
    (void)reason;
    struct client *c = us_socket_ext(1, s);
    CHECK(c->opened && !c->closed);
    c->closed = 1;
    client_closes++;
    tls_outbox_free(&c->out);
    connect_one();
    return s;
}

static struct us_socket_t *client_on_connect_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "connect error %d\n", code);
    exit(1);
    return s;
}

static struct us_socket_t *server_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    struct server *v = us_socket_ext(1, s);
    memset(v, 0, sizeof(*v));
    v->opened = 1;
    server_opens++;
    return s;
}

static struct us_socket_t *server_on_data(struct us_socket_t *s, char *data, int length) {
    struct server *v = us_socket_ext(1, s);
    unsigned int r = rnd() % 600;
    if (r < 2) {
        return us_socket_close(1, s, 0, NULL);
    }
    if (r < 4) {
        return us_socket_close(1, s, 1, NULL);
    }
    /* echo a random cut now and the rest just after: odd write sizes */
    int cut = (int)(rnd() % (unsigned int)(length + 1));
    tls_send(1, s, &v->out, data, (size_t)cut);
    tls_send(1, s, &v->out, data + cut, (size_t)(length - cut));
    if (r < 6 && !us_socket_is_shut_down(1, s)) {
        us_socket_shutdown(1, s);
    }
    return s;
}

static struct us_socket_t *server_on_writable(struct us_socket_t *s) {
    tls_outbox_drain(1, s, &((struct server *)us_socket_ext(1, s))->out);
    return s;
}

static struct us_socket_t *server_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *server_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)code;
    (void)reason;
    struct server *v = us_socket_ext(1, s);
    CHECK(v->opened && !v->closed);
    v->closed = 1;
    server_closes++;
    tls_outbox_free(&v->out);
    return s;
}

static void post(struct us_loop_t *loop) {
    (void)loop;
    if (tls_listener && started == total && client_closes == total && server_closes == server_opens) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
}

int main(void) {
    test_guard(90);
    if (getenv("HAMMER_SEED")) {
        seed = (unsigned int) strtoul(getenv("HAMMER_SEED"), NULL, 0); /* explore other seeds by hand */
    }
    printf("tls_hammer: seed=%u (replay: HAMMER_SEED=%u)\n", seed, seed);
    fflush(stdout);
    /* Under emulation or valgrind the same mix of paths with fewer connections: a full-size run there costs
     * minutes (about 100 s under qemu-user) and finds nothing the native run does not. */
    total = TOTAL / test_time_scale() > 4 * PARALLEL ? TOTAL / test_time_scale() : 4 * PARALLEL;
    tls_make_files(&files);
    source = malloc(4 * MAX_CHUNK);
    for (int i = 0; i < 4 * MAX_CHUNK; i++) {
        source[i] = (char)(rnd() & 0xff);
    }
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, post, 0);
    CHECK(loop != NULL);
    struct us_socket_context_options_t so = tls_server_options(&files);
    so.ssl_prefer_low_memory_usage = 1;
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, so);
    CHECK(server != NULL);
    us_socket_context_on_open(1, server, server_on_open);
    us_socket_context_on_data(1, server, server_on_data);
    us_socket_context_on_writable(1, server, server_on_writable);
    us_socket_context_on_end(1, server, server_on_end);
    us_socket_context_on_close(1, server, server_on_close);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    client_ctx = us_create_socket_context(1, loop, 0, co);
    CHECK(client_ctx != NULL);
    us_socket_context_on_open(1, client_ctx, client_on_open);
    us_socket_context_on_data(1, client_ctx, client_on_data);
    us_socket_context_on_writable(1, client_ctx, client_on_writable);
    us_socket_context_on_end(1, client_ctx, client_on_end);
    us_socket_context_on_close(1, client_ctx, client_on_close);
    us_socket_context_on_connect_error(1, client_ctx, client_on_connect_error);

    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct server));
    CHECK(tls_listener != NULL);
    port = tls_port(tls_listener);
    for (int i = 0; i < PARALLEL; i++) {
        connect_one();
    }
    double start = test_now_ms();
    us_loop_run(loop);
    fprintf(stderr, "%d connections in %.0f ms: %d ran to the end, server %d opened / %d closed\n", client_closes,
            test_now_ms() - start, served_bytes_ok, server_opens, server_closes);
    CHECK_EQ(client_opens, total);
    CHECK_EQ(client_closes, total);
    CHECK_EQ(server_closes, server_opens);
    CHECK(served_bytes_ok > total / 10);

    us_socket_context_free(1, client_ctx);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    free(source);
    tls_remove_files(&files);
    TEST_PASS("tls_hammer");
    return 0;
}
