/*
 * tls_garbage: bytes that are not TLS at a TLS port (an HTTP request, a record header with junk, a
 * peer that leaves mid-handshake) close that socket with the TLS error code and a reason; the
 * server goes on and serves the next client.
 */
#include "tls_util.h"

static struct tls_files files;
static struct us_socket_context_t *tls_client;
static struct tls_probe after;
static int port, garbage_left;

static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
static const char junk_record[] = "\x16\x03\x01\x00\x10" "0123456789abcdef";

struct plain_ext {
    int kind; /* 0: HTTP, 1: junk record, 2: leave mid-handshake */
};

static struct us_socket_t *plain_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)ip;
    (void)n;
    CHECK(is_client);
    struct plain_ext *e = us_socket_ext(0, s);
    if (e->kind == 0) {
        CHECK_EQ(us_socket_write(0, s, http, (int)sizeof(http) - 1, 0), (int)sizeof(http) - 1);
    } else if (e->kind == 1) {
        CHECK_EQ(us_socket_write(0, s, junk_record, (int)sizeof(junk_record) - 1, 0), (int)sizeof(junk_record) - 1);
    } else {
        /* a real ClientHello's first bytes, then goodbye */
        CHECK_EQ(us_socket_write(0, s, "\x16\x03\x01\x02\x00\x01", 6, 0), 6);
        us_socket_shutdown(0, s);
    }
    return s;
}

static struct us_socket_t *plain_on_data(struct us_socket_t *s, char *data, int length) {
    (void)data;
    (void)length;
    return s; /* an alert, perhaps */
}

static struct us_socket_t *plain_on_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}

static struct us_socket_t *plain_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)code;
    (void)reason;
    tls_probes_pending--;
    if (--garbage_left == 0) {
        /* every bad client is gone: a good one now */
        struct us_socket_t *c = us_socket_context_connect(1, tls_client, "127.0.0.1", port, NULL, 0,
                                                          sizeof(struct tls_probe_ext));
        CHECK(c != NULL);
        ((struct tls_probe_ext *)us_socket_ext(1, c))->probe = &after;
        tls_probes_pending++;
    }
    return s;
}

static struct us_socket_t *plain_on_connect_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "connect error %d\n", code);
    exit(1);
    return s;
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, tls_post, 0);
    CHECK(loop != NULL);
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    tls_echo_server(server);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    tls_client = tls_probe_context(loop, co);
    CHECK(tls_client != NULL);

    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *plain = us_create_socket_context(0, loop, 0, none);
    CHECK(plain != NULL);
    us_socket_context_on_open(0, plain, plain_on_open);
    us_socket_context_on_data(0, plain, plain_on_data);
    us_socket_context_on_end(0, plain, plain_on_end);
    us_socket_context_on_close(0, plain, plain_on_close);
    us_socket_context_on_connect_error(0, plain, plain_on_connect_error);

    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    port = tls_port(tls_listener);
    for (int kind = 0; kind < 3; kind++) {
        struct us_socket_t *s =
            us_socket_context_connect(0, plain, "127.0.0.1", port, NULL, 0, sizeof(struct plain_ext));
        CHECK(s != NULL);
        ((struct plain_ext *)us_socket_ext(0, s))->kind = kind;
        tls_probes_pending++;
        garbage_left++;
    }
    us_loop_run(loop);

    CHECK_EQ(tls_server.opened, 4);
    CHECK_EQ(tls_server.error_closes, 3);
    fprintf(stderr, "last server reason: %s\n", tls_server.last_reason);
    CHECK(tls_probe_served(&after));
    CHECK_EQ(tls_server.clean_closes, 1);

    us_socket_context_free(0, plain);
    us_socket_context_free(1, tls_client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_garbage");
    return 0;
}
