/*
 * tls_error_queue: an established TLS session reads without emptying OpenSSL's error queue first. Entries left on the
 * loop thread by a callback (code using OpenSSL that does not clean up) must not fail a session that is fine: a
 * server whose on_data leaves errors behind echoes many records in a row and at the end sees a clean close. A real
 * failure after that (a record whose authentication tag a test client corrupts) still closes with the TLS error code
 * and OpenSSL's reason for it, not the callback's leftovers. The client is OpenSSL over memory BIOs on a plain socket,
 * so the test can corrupt ciphertext.
 */
#include "tls_util.h"

#include <errno.h>

#define ROUNDS 20

static struct tls_files files;

/* the raw client */
static SSL_CTX *raw_ctx;
static SSL *raw_ssl;
static BIO *raw_in, *raw_out;
static int raw_echoes, raw_sent, raw_corrupt_next, raw_closed, raw_corrupt_at;
static int left_behind;

/* Sends what the client's SSL wrote, the last byte of the next record flipped when asked. */
static void raw_pump(struct us_socket_t *s) {
    char buf[16384];
    int n;
    while ((n = BIO_read(raw_out, buf, sizeof(buf))) > 0) {
        if (raw_corrupt_next) {
            buf[n - 1] ^= 0x01; /* inside the record's tag */
            raw_corrupt_next = 0;
        }
        CHECK(us_socket_write(0, s, buf, n, 0) == n);
    }
}

static void raw_send_ping(struct us_socket_t *s) {
    if (raw_sent == raw_corrupt_at) {
        raw_corrupt_next = 1;
    }
    CHECK(SSL_write(raw_ssl, "ping", 4) == 4);
    raw_sent++;
    raw_pump(s);
}

static struct us_socket_t *raw_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)ip;
    (void)n;
    CHECK(is_client);
    raw_ssl = SSL_new(raw_ctx);
    raw_in = BIO_new(BIO_s_mem());
    raw_out = BIO_new(BIO_s_mem());
    CHECK(raw_ssl && raw_in && raw_out);
    SSL_set_bio(raw_ssl, raw_in, raw_out);
    SSL_set_connect_state(raw_ssl);
    CHECK(SSL_do_handshake(raw_ssl) == -1);
    raw_pump(s);
    return s;
}

static struct us_socket_t *raw_on_data(struct us_socket_t *s, char *data, int length) {
    CHECK(BIO_write(raw_in, data, length) == length);
    if (SSL_in_init(raw_ssl)) {
        int r = SSL_do_handshake(raw_ssl);
        raw_pump(s);
        if (r != 1) {
            return s;
        }
        raw_send_ping(s);
    }
    char buf[64];
    int r;
    while ((r = SSL_read(raw_ssl, buf, sizeof(buf))) > 0) {
        CHECK(r == 4 && memcmp(buf, "ping", 4) == 0);
        raw_echoes++;
        if (raw_sent < ROUNDS + (raw_corrupt_at >= 0)) {
            raw_send_ping(s);
        } else {
            SSL_shutdown(raw_ssl); /* close_notify: the server answers with its own and closes */
            raw_pump(s);
        }
    }
    raw_pump(s);
    return s; /* the queue left as it is: the server's entries stay there for its next read */
}

static struct us_socket_t *raw_on_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}

static struct us_socket_t *raw_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)s;
    (void)code;
    (void)reason;
    raw_closed = 1;
    SSL_free(raw_ssl);
    raw_ssl = NULL;
    return s;
}

static struct us_socket_t *raw_on_connect_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "raw client: connect error %d\n", code);
    exit(1);
    return s;
}

/* The echo server's on_data, then an error left on the queue as careless code using OpenSSL would. */
static struct us_socket_t *careless_on_data(struct us_socket_t *s, char *data, int length) {
    s = tls_server_on_data(s, data, length);
    if (left_behind % 2) {
        ERR_raise_data(ERR_LIB_SYS, ENOENT, "left behind by a callback"); /* SSL_get_error: SSL_ERROR_SYSCALL */
    } else {
        ERR_raise_data(ERR_LIB_USER, ERR_R_PASSED_INVALID_ARGUMENT, "left behind by a callback");
    }
    CHECK(ERR_peek_error() != 0);
    left_behind++;
    return s;
}

/* The server's on_close, and the loop's end. */
static struct us_socket_t *server_on_close(struct us_socket_t *s, int code, void *reason) {
    s = tls_server_on_close(s, code, reason);
    if (tls_listener) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
    return s;
}

/* One connection of the raw client: ROUNDS echoes, then (corrupt_at >= 0) the ping number corrupt_at corrupted. */
static void run(struct us_loop_t *loop, struct us_socket_context_t *server, struct us_socket_context_t *plain,
                int corrupt_at) {
    raw_echoes = raw_sent = raw_corrupt_next = raw_closed = 0;
    raw_corrupt_at = corrupt_at;
    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    CHECK(us_socket_context_connect(0, plain, "127.0.0.1", tls_port(tls_listener), NULL, 0, 0) != NULL);
    us_loop_run(loop);
    CHECK(raw_closed);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop != NULL);

    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    tls_echo_server(server);
    us_socket_context_on_data(1, server, careless_on_data);
    us_socket_context_on_close(1, server, server_on_close);

    raw_ctx = SSL_CTX_new(TLS_client_method());
    CHECK(raw_ctx != NULL);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *plain = us_create_socket_context(0, loop, 0, none);
    CHECK(plain != NULL);
    us_socket_context_on_open(0, plain, raw_on_open);
    us_socket_context_on_data(0, plain, raw_on_data);
    us_socket_context_on_end(0, plain, raw_on_end);
    us_socket_context_on_close(0, plain, raw_on_close);
    us_socket_context_on_connect_error(0, plain, raw_on_connect_error);

    /* errors left behind after every record: every record echoed, then a clean close */
    run(loop, server, plain, -1);
    CHECK_EQ(raw_echoes, ROUNDS);
    CHECK_EQ(left_behind, ROUNDS);
    CHECK_EQ(tls_server.error_closes, 0);
    CHECK_EQ(tls_server.clean_closes, 1);

    /* the same, and then a corrupted record: closed for that, with OpenSSL's reason */
    run(loop, server, plain, ROUNDS);
    CHECK_EQ(raw_echoes, ROUNDS);
    CHECK_EQ(tls_server.error_closes, 1);
    fprintf(stderr, "corrupted record: %s\n", tls_server.last_reason);
    CHECK(strstr(tls_server.last_reason, "bad record mac") != NULL);
    CHECK(strstr(tls_server.last_reason, "left behind") == NULL);
    CHECK(strstr(tls_server.last_reason, "invalid argument") == NULL);
    CHECK(strstr(tls_server.last_reason, "No such file") == NULL);

    ERR_clear_error();
    us_socket_context_free(1, server);
    us_socket_context_free(0, plain);
    us_loop_free(loop);
    SSL_CTX_free(raw_ctx);
    tls_remove_files(&files);
    TEST_PASS("tls_error_queue");
    return 0;
}
