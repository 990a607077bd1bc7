/* test_tcp_echo.c: IPv4 echo between many clients and a server on one loop: listen on port 0, accept,
 * on_pre_open, on_open addresses, on_data, on_end, close, ports, native handle, ext areas, a host-name
 * connect resolved off-thread, and us_loop_run returning once everything is closed. */
#include "libusockets.h"
#include "test_util.h"

#include <stdint.h>
#include <string.h>

#define CLIENTS 20

struct conn {
    int id;
    int got;
    char buf[64];
    char expect[64];
    int expect_len;
};

static struct us_listen_socket_t *listener;
static int server_opened, server_closed, client_opened, client_closed, pre_opened, echoed_ok;
static int server_port;

static LIBUS_SOCKET_DESCRIPTOR srv_pre_open(struct us_socket_context_t *c, LIBUS_SOCKET_DESCRIPTOR fd, char *ip,
                                            int ip_length) {
    (void) c;
    (void) ip;
    CHECK(ip_length == 4 || ip_length == 16);
    pre_opened++;
    return fd;
}

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    CHECK_EQ(is_client, 0);
    if (ip_length == 4) {
        CHECK(memcmp(ip, "\x7f\x00\x00\x01", 4) == 0);
    } else {
        CHECK_EQ(ip_length, 16); /* the ::1 of the host-name client */
    }
    char addr[16];
    int len = sizeof(addr);
    us_socket_remote_address(0, s, addr, &len);
    CHECK_EQ(len, ip_length);
    CHECK(memcmp(addr, ip, (size_t) len) == 0);
    len = 2; /* too small: reports 0 */
    us_socket_remote_address(0, s, addr, &len);
    CHECK_EQ(len, 0);
    CHECK_EQ(us_socket_local_port(0, s), server_port);
    CHECK(us_socket_remote_port(0, s) > 0);
    CHECK(us_socket_is_established(0, s));
    CHECK(!us_socket_is_closed(0, s));
    CHECK((intptr_t) us_socket_get_native_handle(0, s) >= 0);
    CHECK(us_socket_send_buffer(0, s) == NULL);
    CHECK(((uintptr_t) us_socket_ext(0, s) % LIBUS_EXT_ALIGNMENT) == 0);
    memset(us_socket_ext(0, s), 0x5a, 32);
    server_opened++;
    return s;
}

static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    CHECK_EQ(us_socket_write(0, s, data, length, 0), length);
    return s;
}

static struct us_socket_t *srv_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}

static struct us_socket_t *srv_close(struct us_socket_t *s, int code, void *reason) {
    (void) reason;
    CHECK_EQ(code, 0);
    CHECK(us_socket_is_closed(0, s));
    unsigned char *ext = us_socket_ext(0, s);
    CHECK_EQ(ext[31], 0x5a); /* ext still readable in on_close */
    if (++server_closed == CLIENTS + 1) {
        us_listen_socket_close(0, listener);
    }
    return s;
}

static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    CHECK_EQ(is_client, 1);
    CHECK(ip_length == 4 || ip_length == 16);
    (void) ip;
    struct conn *c = us_socket_ext(0, s);
    c->expect_len = snprintf(c->expect, sizeof(c->expect), "hello from client %d", c->id);
    CHECK_EQ(us_socket_remote_port(0, s), server_port);
    client_opened++;
    us_socket_write(0, s, c->expect, c->expect_len, 0);
    return s;
}

static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    struct conn *c = us_socket_ext(0, s);
    CHECK(c->got + length <= (int) sizeof(c->buf));
    memcpy(c->buf + c->got, data, (size_t) length);
    c->got += length;
    if (c->got == c->expect_len) {
        CHECK(memcmp(c->buf, c->expect, (size_t) c->got) == 0);
        echoed_ok++;
        return us_socket_close(0, s, 0, NULL);
    }
    return s;
}

static struct us_socket_t *cli_close(struct us_socket_t *s, int code, void *reason) {
    (void) s;
    (void) code;
    (void) reason;
    client_closed++;
    return s;
}

static struct us_socket_t *cli_connect_error(struct us_socket_t *s, int code) {
    (void) s;
    fprintf(stderr, "connect error %d\n", code);
    CHECK(!"connect failed");
    return s;
}

int main(void) {
    test_guard(30);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 24, none);
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    CHECK(srv && cli);
    CHECK(us_socket_context_loop(0, srv) == loop);
    CHECK(((uintptr_t) us_socket_context_ext(0, srv) % LIBUS_EXT_ALIGNMENT) == 0);
    memset(us_socket_context_ext(0, srv), 1, 24);
    CHECK(us_socket_context_get_native_handle(0, srv) == NULL);
    CHECK_EQ(us_socket_context_timestamp(0, srv), 0);

    us_socket_context_on_pre_open(0, srv, srv_pre_open);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_end(0, srv, srv_end);
    us_socket_context_on_close(0, srv, srv_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);
    us_socket_context_on_close(0, cli, cli_close);
    us_socket_context_on_connect_error(0, cli, cli_connect_error);

    /* NULL host: dual-stack, reachable on 127.0.0.1 and ::1 */
    listener = us_socket_context_listen(0, srv, NULL, 0, LIBUS_LISTEN_DEFAULT, 32);
    CHECK(listener);
    server_port = us_socket_local_port(0, (struct us_socket_t *) listener);
    CHECK(server_port > 0);

    for (int i = 0; i < CLIENTS; i++) {
        struct us_socket_t *s = us_socket_context_connect(0, cli, "127.0.0.1", server_port, NULL, 0, sizeof(struct conn));
        CHECK(s);
        CHECK(!us_socket_is_established(0, s));
        memset(us_socket_ext(0, s), 0, sizeof(struct conn)); /* ext is raw memory */
        ((struct conn *) us_socket_ext(0, s))->id = i;
    }
    /* a host name: resolved on a helper thread, then every address tried in turn */
    struct us_socket_t *named = us_socket_context_connect(0, cli, "localhost", server_port, NULL, 0, sizeof(struct conn));
    CHECK(named);
    memset(us_socket_ext(0, named), 0, sizeof(struct conn));
    ((struct conn *) us_socket_ext(0, named))->id = CLIENTS;

    us_loop_run(loop);
    CHECK_EQ(pre_opened, CLIENTS + 1);
    CHECK_EQ(server_opened, CLIENTS + 1);
    CHECK_EQ(client_opened, CLIENTS + 1);
    CHECK_EQ(echoed_ok, CLIENTS + 1);
    CHECK_EQ(client_closed, CLIENTS + 1);
    CHECK_EQ(server_closed, CLIENTS + 1);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_echo");
    return 0;
}
