/*
 * tls_echo: a usockets TLS client and server echo a few MiB to each other. Covers every context
 * option that has no failure test of its own (DH file, low memory, ciphers), TLS 1.3 by default and
 * 1.2 when the client caps it, SNI from the connect host, the binding extensions (protocol, cipher,
 * server name, peer subject), native handles, and a child context taking over a live TLS socket
 * (adopt keeps the session: the echo goes on in the child).
 */
#include "tls_util.h"

#define PAYLOAD (3 * 1024 * 1024)

struct conn {
    struct tls_outbox out;
    size_t received;
    int upgraded;
};

static struct tls_files files;
static struct us_listen_socket_t *listener;
static struct us_socket_context_t *server_ctx, *child_ctx, *client_ctx;
static char *payload;
static int server_closed, client_closed, child_data_calls, rounds_done, rounds_target;
static const char *want_protocol, *want_cipher;

static struct us_socket_t *server_on_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void)ip;
    (void)ip_length;
    CHECK(!is_client);
    memset(us_socket_ext(1, s), 0, sizeof(struct conn));
    return s;
}

static struct us_socket_t *echo_writable(struct us_socket_t *s) {
    struct conn *c = us_socket_ext(1, s);
    tls_outbox_drain(1, s, &c->out);
    return s;
}

static struct us_socket_t *server_on_data(struct us_socket_t *s, char *data, int length) {
    CHECK(length == 7 && memcmp(data, "UPGRADE", 7) == 0);
    /* the SNI the client sent is the host it connected to */
    CHECK(us_socket_ssl_server_name(s) != NULL && strcmp(us_socket_ssl_server_name(s), "localhost") == 0);
    void *ssl = us_socket_get_native_handle(1, s);
    struct us_socket_t *moved = us_socket_context_adopt_socket(1, child_ctx, s, (int)sizeof(struct conn) + 512);
    CHECK(moved != NULL);
    CHECK(us_socket_get_native_handle(1, moved) == ssl);
    CHECK(us_socket_context(1, moved) == child_ctx);
    struct conn *c = us_socket_ext(1, moved);
    memset(c, 0, sizeof(*c));
    c->upgraded = 1;
    tls_send(1, moved, &c->out, "OK", 2);
    return moved;
}

static struct us_socket_t *child_on_data(struct us_socket_t *s, char *data, int length) {
    struct conn *c = us_socket_ext(1, s);
    CHECK(c->upgraded);
    child_data_calls++;
    tls_send(1, s, &c->out, data, (size_t)length);
    return s;
}

static struct us_socket_t *server_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    struct conn *c = us_socket_ext(1, s);
    tls_outbox_free(&c->out);
    server_closed++;
    return s;
}

static struct us_socket_t *server_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *client_on_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void)ip;
    (void)ip_length;
    CHECK(is_client);
    struct conn *c = us_socket_ext(1, s);
    memset(c, 0, sizeof(*c));
    CHECK(us_socket_get_native_handle(1, s) != NULL);
    /* before the handshake: nothing goes out, on_writable follows */
    CHECK_EQ(us_socket_write(1, s, "UPGRADE", 7, 0), 0);
    CHECK(us_socket_ssl_protocol(s) == NULL);
    return s;
}

static struct us_socket_t *client_on_writable(struct us_socket_t *s) {
    struct conn *c = us_socket_ext(1, s);
    if (!c->upgraded && c->out.length == 0 && c->received == 0) {
        c->upgraded = -1; /* UPGRADE sent, waiting for OK */
        tls_send(1, s, &c->out, "UPGRADE", 7);
        return s;
    }
    tls_outbox_drain(1, s, &c->out);
    return s;
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    struct conn *c = us_socket_ext(1, s);
    if (c->upgraded == -1) {
        CHECK(length == 2 && memcmp(data, "OK", 2) == 0);
        c->upgraded = 1;
        /* uneven pieces, so records and writes never line up */
        for (size_t off = 0; off < PAYLOAD;) {
            size_t n = 1 + (off * 7919) % 40000;
            if (off + n > PAYLOAD) {
                n = PAYLOAD - off;
            }
            tls_send(1, s, &c->out, payload + off, n);
            off += n;
        }
        return s;
    }
    CHECK(c->received + (size_t)length <= PAYLOAD);
    CHECK(memcmp(payload + c->received, data, (size_t)length) == 0);
    c->received += (size_t)length;
    if (c->received == PAYLOAD) {
        CHECK(strcmp(us_socket_ssl_protocol(s), want_protocol) == 0);
        CHECK(us_socket_ssl_cipher(s) != NULL);
        if (want_cipher) {
            CHECK(strcmp(us_socket_ssl_cipher(s), want_cipher) == 0);
        }
        CHECK(strcmp(us_socket_ssl_server_name(s), "localhost") == 0);
        char subject[256];
        int n = us_socket_ssl_peer_subject(s, subject, sizeof(subject));
        CHECK(n > 0 && strstr(subject, "CN=localhost") != NULL);
        return us_socket_close(1, s, 0, NULL);
    }
    return s;
}

static struct us_socket_t *client_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    struct conn *c = us_socket_ext(1, s);
    CHECK_EQ(c->received, PAYLOAD);
    tls_outbox_free(&c->out);
    client_closed++;
    rounds_done++;
    return s;
}

static struct us_socket_t *client_on_connect_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "connect error %d\n", code);
    exit(1);
    return s;
}

static void run_round(struct us_loop_t *loop, struct us_socket_context_options_t client_options, int tls12) {
    client_ctx = us_create_socket_context(1, loop, 0, client_options);
    CHECK(client_ctx != NULL);
    if (tls12) {
        CHECK(SSL_CTX_set_max_proto_version(us_socket_context_get_native_handle(1, client_ctx), TLS1_2_VERSION));
    }
    us_socket_context_on_open(1, client_ctx, client_on_open);
    us_socket_context_on_data(1, client_ctx, client_on_data);
    us_socket_context_on_writable(1, client_ctx, client_on_writable);
    us_socket_context_on_close(1, client_ctx, client_on_close);
    us_socket_context_on_connect_error(1, client_ctx, client_on_connect_error);

    listener = us_socket_context_listen(1, server_ctx, NULL, 0, 0, sizeof(struct conn));
    CHECK(listener != NULL);
    int before = rounds_done;
    rounds_target = before + 1;
    CHECK(us_socket_context_connect(1, client_ctx, "localhost", tls_port(listener), NULL, 0, sizeof(struct conn)));
    us_loop_run(loop); /* returns once both sides closed and post_cb closed the listener */
    CHECK_EQ(rounds_done, before + 1);
    us_socket_context_free(1, client_ctx);
}

static void close_listener_when_done(struct us_loop_t *loop) {
    if (listener && rounds_done == rounds_target && client_closed == rounds_target && server_closed == rounds_target) {
        us_listen_socket_close(1, listener);
        listener = NULL;
    }
    (void)loop;
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    payload = malloc(PAYLOAD);
    for (size_t i = 0; i < PAYLOAD; i++) {
        payload[i] = (char)(i * 131 + (i >> 9));
    }
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, close_listener_when_done, 0);
    CHECK(loop != NULL);

    struct us_socket_context_options_t so = tls_server_options(&files);
    so.dh_params_file_name = files.dh;
    so.ssl_prefer_low_memory_usage = 1;
    so.ssl_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:TLS_CHACHA20_POLY1305_SHA256";
    server_ctx = us_create_socket_context(1, loop, 16, so);
    CHECK(server_ctx != NULL);
    char none[8];
    CHECK_EQ(us_ssl_last_error_string(none, sizeof(none)), 0);
    SSL_CTX *native = us_socket_context_get_native_handle(1, server_ctx);
    CHECK(native != NULL);
    CHECK(SSL_CTX_get_mode(native) & SSL_MODE_RELEASE_BUFFERS);
    CHECK(SSL_CTX_get_min_proto_version(native) == TLS1_2_VERSION);
    CHECK(((uintptr_t)us_socket_context_ext(1, server_ctx) % LIBUS_EXT_ALIGNMENT) == 0);
    us_socket_context_on_open(1, server_ctx, server_on_open);
    us_socket_context_on_data(1, server_ctx, server_on_data);
    us_socket_context_on_writable(1, server_ctx, echo_writable);
    us_socket_context_on_close(1, server_ctx, server_on_close);
    us_socket_context_on_end(1, server_ctx, server_on_end);

    child_ctx = us_create_child_socket_context(1, server_ctx, 32);
    CHECK(child_ctx != NULL);
    CHECK(us_socket_context_get_native_handle(1, child_ctx) == native);
    us_socket_context_on_data(1, child_ctx, child_on_data);
    us_socket_context_on_writable(1, child_ctx, echo_writable);
    us_socket_context_on_close(1, child_ctx, server_on_close);
    us_socket_context_on_end(1, child_ctx, server_on_end);

    /* TLS 1.3, the server verified against the CA and the host name */
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    want_protocol = "TLSv1.3";
    want_cipher = "TLS_CHACHA20_POLY1305_SHA256"; /* "TLS_" names in the list are the TLS 1.3 suites */
    run_round(loop, co, 0);
    CHECK(child_data_calls > 0);

    /* TLS 1.2: the server's cipher list decides */
    want_protocol = "TLSv1.2";
    want_cipher = "ECDHE-ECDSA-AES128-GCM-SHA256";
    run_round(loop, co, 1);
    CHECK_EQ(rounds_done, 2);
    CHECK_EQ(server_closed, 2);

    us_socket_context_free(1, child_ctx);
    us_socket_context_free(1, server_ctx);
    us_loop_free(loop);
    free(payload);
    tls_remove_files(&files);
    TEST_PASS("tls_echo");
    return 0;
}
