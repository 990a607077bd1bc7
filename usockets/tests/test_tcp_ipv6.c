/* test_tcp_ipv6.c: listen on ::1 and on the dual-stack wildcard; 16-byte peer addresses for IPv6,
 * 4 bytes for IPv4 (also IPv4-mapped on a dual-stack listener); "[::1]" accepted by connect. */
#include "libusockets.h"
#include "test_util.h"

#include <string.h>

static const char loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static int expect_len; /* the ip_length the server should see next */
static int opened, echoed, closed_count, target;
static struct us_listen_socket_t *ls;

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    CHECK_EQ(is_client, 0);
    if (expect_len < 0) {
        expect_len = ip_length; /* a name: either family */
        CHECK(ip_length == 4 || ip_length == 16);
    }
    CHECK_EQ(ip_length, expect_len);
    if (ip_length == 16) {
        CHECK(memcmp(ip, loopback6, 16) == 0);
    } else {
        CHECK(memcmp(ip, "\x7f\x00\x00\x01", 4) == 0);
    }
    char buf[16];
    int len = sizeof(buf);
    us_socket_remote_address(0, s, buf, &len);
    CHECK_EQ(len, expect_len);
    opened++;
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    us_socket_write(0, s, data, length, 0);
    return s;
}
static struct us_socket_t *srv_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *srv_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++closed_count == target) {
        us_listen_socket_close(0, ls);
    }
    return s;
}
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    CHECK_EQ(is_client, 1);
    CHECK(ip_length == 4 || ip_length == 16);
    (void) ip;
    us_socket_write(0, s, "ping6", 5, 0);
    return s;
}
static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    CHECK_EQ(length, 5);
    CHECK(memcmp(data, "ping6", 5) == 0);
    echoed++;
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *cli_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "connect error %d\n", code);
    CHECK(!"connect failed");
    return s;
}

static void round_trip(struct us_loop_t *loop, struct us_socket_context_t *srv, struct us_socket_context_t *cli,
                       const char *listen_host, const char *connect_host, int ip_len) {
    ls = us_socket_context_listen(0, srv, listen_host, 0, 0, 0);
    CHECK(ls);
    int port = us_socket_local_port(0, (struct us_socket_t *) ls);
    CHECK(port > 0);
    expect_len = ip_len;
    opened = echoed = closed_count = 0;
    target = 2;
    CHECK(us_socket_context_connect(0, cli, connect_host, port, NULL, 0, 0));
    CHECK(us_socket_context_connect(0, cli, connect_host, port, NULL, 0, 0));
    us_loop_run(loop);
    CHECK_EQ(opened, 2);
    CHECK_EQ(echoed, 2);
}

int main(void) {
    test_guard(20);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_end(0, srv, srv_end);
    us_socket_context_on_close(0, srv, srv_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);
    us_socket_context_on_connect_error(0, cli, cli_error);

    round_trip(loop, srv, cli, "::1", "::1", 16);
    round_trip(loop, srv, cli, "::1", "[::1]", 16);
    round_trip(loop, srv, cli, NULL, "::1", 16);
    round_trip(loop, srv, cli, NULL, "127.0.0.1", 4); /* IPv4-mapped on the dual-stack socket: 4 bytes */
    /* a name on both sides: listen binds the resolver's first choice, connect tries every address */
    round_trip(loop, srv, cli, "localhost", "localhost", -1);

    /* an IPv6-only listener is not reachable over IPv4 */
    ls = us_socket_context_listen(0, srv, "::1", 0, 0, 0);
    CHECK(ls);
    us_listen_socket_close(0, ls);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_ipv6");
    return 0;
}
