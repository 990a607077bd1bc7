/* test_loop_buffers.c: us_loop_use_receive_buffers. A loop given the caller's receive buffers hands on_data
 * pointers inside them (the plain one for TCP; tls_loop_buffers.c includes this file for the TLS one), echoes
 * correctly, and us_loop_free leaves them alone: they are static arrays here (a free() of one would abort) whose
 * trailing padding keeps its canary. */
#ifndef LB_SSL
#define LB_SSL 0
#include "libusockets.h"
#include "test_util.h"
#endif

#include <stdint.h>
#include <string.h>

#define LB_SIZE LIBUS_RECV_BUFFER_SIZE
#define LB_PAYLOAD (3 * LIBUS_RECV_BUFFER_LENGTH + 12345)

static char plain_area[LB_SIZE];
static char tls_area[LB_SIZE];
static char *payload;
static int received, data_calls, closed;
static struct us_listen_socket_t *listener;
static struct us_socket_t *client_socket;

/* on_data's bytes lie inside the buffer the caller gave for this kind of socket */
static void check_inside(char *data, int length) {
    char *area = LB_SSL ? tls_area : plain_area;
    CHECK(data >= area + LIBUS_RECV_BUFFER_PADDING);
    CHECK(data + length <= area + LIBUS_RECV_BUFFER_PADDING + LIBUS_RECV_BUFFER_LENGTH);
    data_calls++;
}

/* What one side still has to write (one connection per side, so static). */
struct lb_out {
    char *data;
    int offset, length;
};
static struct lb_out client_out, server_out;

static void lb_drain(struct us_socket_t *s, struct lb_out *o) {
    while (o->offset < o->length) {
        int written = us_socket_write(LB_SSL, s, o->data + o->offset, o->length - o->offset, 0);
        if (written <= 0) {
            return;
        }
        o->offset += written;
    }
}

static struct us_socket_t *on_writable(struct us_socket_t *s) {
    lb_drain(s, s == client_socket ? &client_out : &server_out);
    return s;
}

static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    check_inside(data, length);
    CHECK(server_out.length + length <= LB_PAYLOAD);
    memcpy(server_out.data + server_out.length, data, (size_t) length);
    server_out.length += length;
    lb_drain(s, &server_out);
    return s;
}

static struct us_socket_t *srv_end(struct us_socket_t *s) {
    return us_socket_close(LB_SSL, s, 0, NULL);
}

static struct us_socket_t *on_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++closed == 2) {
        us_listen_socket_close(LB_SSL, listener);
    }
    return s;
}

static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    client_socket = s;
    client_out.data = payload;
    client_out.length = LB_PAYLOAD;
    lb_drain(s, &client_out);
    return s;
}

static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    check_inside(data, length);
    CHECK(received + length <= LB_PAYLOAD);
    CHECK(memcmp(data, payload + received, (size_t) length) == 0);
    received += length;
    if (received == LB_PAYLOAD) {
        return us_socket_close(LB_SSL, s, 0, NULL);
    }
    return s;
}

static struct us_socket_t *cli_connect_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "connect error %d\n", code);
    CHECK(!"connect failed");
    return s;
}

static void lb_run(struct us_socket_context_options_t server_options, struct us_socket_context_options_t client_options,
                   const char *name) {
    test_guard(60);
    payload = malloc(LB_PAYLOAD);
    CHECK(payload);
    for (int i = 0; i < LB_PAYLOAD; i++) {
        payload[i] = (char) (i * 131 + (i >> 9));
    }
    server_out.data = malloc(LB_PAYLOAD);
    CHECK(server_out.data);
    memset(plain_area, 0x5a, sizeof(plain_area));
    memset(tls_area, 0xa5, sizeof(tls_area));

    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop);
    us_loop_use_receive_buffers(loop, plain_area, tls_area);
    struct us_socket_context_t *srv = us_create_socket_context(LB_SSL, loop, 0, server_options);
    struct us_socket_context_t *cli = us_create_socket_context(LB_SSL, loop, 0, client_options);
    CHECK(srv && cli);
    us_socket_context_on_data(LB_SSL, srv, srv_data);
    us_socket_context_on_writable(LB_SSL, srv, on_writable);
    us_socket_context_on_writable(LB_SSL, cli, on_writable);
    us_socket_context_on_end(LB_SSL, srv, srv_end);
    us_socket_context_on_close(LB_SSL, srv, on_close);
    us_socket_context_on_open(LB_SSL, cli, cli_open);
    us_socket_context_on_data(LB_SSL, cli, cli_data);
    us_socket_context_on_close(LB_SSL, cli, on_close);
    us_socket_context_on_connect_error(LB_SSL, cli, cli_connect_error);
    listener = us_socket_context_listen(LB_SSL, srv, "127.0.0.1", 0, LIBUS_LISTEN_DEFAULT, 0);
    CHECK(listener);
    int port = us_socket_local_port(LB_SSL, (struct us_socket_t *) listener);
    CHECK(us_socket_context_connect(LB_SSL, cli, "127.0.0.1", port, NULL, 0, 0));

    us_loop_run(loop);
    CHECK_EQ(received, LB_PAYLOAD);
    CHECK_EQ(closed, 2);
    CHECK(data_calls >= 2);

    us_socket_context_free(LB_SSL, srv);
    us_socket_context_free(LB_SSL, cli);
    us_loop_free(loop);

    /* still the caller's: the trailing padding was never written, the buffers stay writable */
    for (int i = LIBUS_RECV_BUFFER_PADDING + LIBUS_RECV_BUFFER_LENGTH; i < LB_SIZE; i++) {
        CHECK_EQ(plain_area[i], 0x5a);
        CHECK_EQ(tls_area[i], (char) 0xa5);
    }
    if (!LB_SSL) {
        CHECK_EQ(tls_area[LIBUS_RECV_BUFFER_PADDING], (char) 0xa5); /* plain sockets never use the TLS one */
    }
    memset(plain_area, 0, sizeof(plain_area));
    memset(tls_area, 0, sizeof(tls_area));
    free(payload);
    free(server_out.data);
    TEST_PASS(name);
}

#if !LB_SSL
int main(void) {
    struct us_socket_context_options_t none = {0};
    lb_run(none, none, "test_loop_buffers");
    return 0;
}
#endif
