/*
 * tls_relay: a TLS server relays what one TLS connection sends to another (a proxy's shape): every
 * write to the second socket happens inside the first one's on_data, while OpenSSL is between reads
 * of the first. 8 MiB arrive intact at the far end.
 */
#include "tls_util.h"

#define TOTAL (8 * 1024 * 1024)

static struct tls_files files;
static struct us_socket_context_t *client_ctx;
static struct us_socket_t *consumer_side; /* the server's socket towards the consumer */
static char *payload;
static size_t produced, consumed;
static int port, closes;

struct conn {
    struct tls_outbox out;
    int role; /* client sockets: 'P' producer, 'C' consumer; server sockets: learnt from the first byte */
};

static struct us_socket_t *server_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    memset(us_socket_ext(1, s), 0, sizeof(struct conn));
    return s;
}

static struct us_socket_t *server_on_data(struct us_socket_t *s, char *data, int length) {
    struct conn *c = us_socket_ext(1, s);
    if (!c->role) {
        c->role = data[0];
        data++;
        length--;
        if (c->role == 'C') {
            consumer_side = s;
            struct us_socket_t *p = us_socket_context_connect(1, client_ctx, "127.0.0.1", port, NULL, 0,
                                                              sizeof(struct conn));
            CHECK(p != NULL);
            memset(us_socket_ext(1, p), 0, sizeof(struct conn));
            ((struct conn *)us_socket_ext(1, p))->role = 'P';
        }
    }
    if (c->role == 'P' && length > 0) {
        tls_send(1, consumer_side, us_socket_ext(1, consumer_side), data, (size_t)length);
    }
    return s;
}

static struct us_socket_t *outbox_writable(struct us_socket_t *s) {
    tls_outbox_drain(1, s, us_socket_ext(1, s));
    return s;
}

static struct us_socket_t *close_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    tls_outbox_free(us_socket_ext(1, s));
    if (++closes == 4) {
        us_listen_socket_close(1, tls_listener);
    }
    return s;
}

static struct us_socket_t *client_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    struct conn *c = us_socket_ext(1, s);
    if (!c->role) {
        c->role = 'C';
    }
    char role = (char)c->role;
    tls_send(1, s, &c->out, &role, 1);
    if (c->role == 'P') {
        tls_send(1, s, &c->out, payload, TOTAL);
        produced = TOTAL;
    }
    return s;
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    struct conn *c = us_socket_ext(1, s);
    CHECK_EQ(c->role, 'C');
    CHECK(consumed + (size_t)length <= TOTAL);
    CHECK(memcmp(payload + consumed, data, (size_t)length) == 0);
    consumed += (size_t)length;
    if (consumed == TOTAL) {
        /* done: the consumer and the producer leave; the server closes its sides on their FINs */
        us_socket_context_close(1, client_ctx);
    }
    return s;
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    payload = malloc(TOTAL);
    for (size_t i = 0; i < TOTAL; i++) {
        payload[i] = (char)(i ^ (i >> 8) ^ (i >> 16));
    }
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop != NULL);
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    us_socket_context_on_open(1, server, server_on_open);
    us_socket_context_on_data(1, server, server_on_data);
    us_socket_context_on_writable(1, server, outbox_writable);
    us_socket_context_on_end(1, server, close_on_end);
    us_socket_context_on_close(1, server, on_close);
    struct us_socket_context_options_t co = {0};
    client_ctx = us_create_socket_context(1, loop, 0, co);
    CHECK(client_ctx != NULL);
    us_socket_context_on_open(1, client_ctx, client_on_open);
    us_socket_context_on_data(1, client_ctx, client_on_data);
    us_socket_context_on_writable(1, client_ctx, outbox_writable);
    us_socket_context_on_end(1, client_ctx, close_on_end);
    us_socket_context_on_close(1, client_ctx, on_close);

    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct conn));
    CHECK(tls_listener != NULL);
    port = tls_port(tls_listener);
    struct us_socket_t *consumer = us_socket_context_connect(1, client_ctx, "127.0.0.1", port, NULL, 0,
                                                             sizeof(struct conn));
    CHECK(consumer != NULL);
    memset(us_socket_ext(1, consumer), 0, sizeof(struct conn));
    us_loop_run(loop);

    CHECK_EQ(produced, TOTAL);
    CHECK_EQ(consumed, TOTAL);
    CHECK_EQ(closes, 4);
    us_socket_context_free(1, client_ctx);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    free(payload);
    tls_remove_files(&files);
    TEST_PASS("tls_relay");
    return 0;
}
