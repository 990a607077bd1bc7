/* test_tcp_connect_errors.c: refused and unresolvable connects end in on_connect_error (never on_open or
 * on_close); close_connecting cancels a pending connect, also during name resolution; us_socket_close on a
 * connecting socket calls on_close; source_host binds before connecting; immediate failures return NULL. */
#include "libusockets.h"
#include "test_util.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

static int errors, last_code, opened, closed_count, srv_opened;
static struct us_listen_socket_t *ls;
static char srv_peer[16];
static int srv_peer_len;

static struct us_socket_t *cli_error(struct us_socket_t *s, int code) {
    CHECK(!us_socket_is_established(0, s));
    CHECK(!us_socket_is_closed(0, s));
    errors++;
    last_code = code;
    return s;
}
static void maybe_stop_server(void) {
    /* the source-bound connection was opened on both sides */
    if (opened && srv_peer_len == 4 && memcmp(srv_peer, "\x7f\x00\x00\x02", 4) == 0 && ls) {
        us_listen_socket_close(0, ls);
        ls = NULL;
    }
}
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    opened++;
    maybe_stop_server();
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *cli_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    closed_count++;
    return s;
}
static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    if (ip_length == 4 && memcmp(ip, "\x7f\x00\x00\x02", 4) == 0) {
        memcpy(srv_peer, ip, 4);
        srv_peer_len = ip_length;
    }
    srv_opened++;
    maybe_stop_server();
    return us_socket_close(0, s, 0, NULL);
}

static void close_self(struct us_timer_t *t) {
    us_timer_close(t);
}

static void reset(void) {
    errors = last_code = opened = closed_count = srv_opened = 0;
}

int main(void) {
    test_guard(30);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_connect_error(0, cli, cli_error);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_close(0, cli, cli_close);
    us_socket_context_on_open(0, srv, srv_open);

    /* a port nobody listens on: take one from the kernel and give it back */
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    int dead_port = us_socket_local_port(0, (struct us_socket_t *) ls);
    us_listen_socket_close(0, ls);

    /* refused: on_connect_error with ECONNREFUSED, nothing else */
    reset();
    struct us_socket_t *s = us_socket_context_connect(0, cli, "127.0.0.1", dead_port, NULL, 0, 0);
    CHECK(s);
    us_loop_run(loop);
    CHECK_EQ(errors, 1);
    CHECK_EQ(last_code, ECONNREFUSED);
    CHECK_EQ(opened, 0);
    CHECK_EQ(closed_count, 0);

    /* refused over IPv6 too */
    reset();
    CHECK(us_socket_context_connect(0, cli, "::1", dead_port, NULL, 0, 0));
    us_loop_run(loop);
    CHECK_EQ(errors, 1);
    CHECK_EQ(last_code, ECONNREFUSED);

    /* a name that does not resolve: on_connect_error with the getaddrinfo code, and the loop never blocked */
    reset();
    double start = test_now_ms();
    s = us_socket_context_connect(0, cli, "nonexistent.invalid", 80, NULL, 0, 0);
    CHECK(s);
    CHECK(test_now_ms() - start < 100); /* the resolution runs on a helper thread */
    CHECK(!us_socket_is_established(0, s));
    us_loop_run(loop);
    CHECK_EQ(errors, 1);
    CHECK(last_code == EAI_NONAME || last_code == EAI_AGAIN || last_code == EAI_FAIL || last_code == EAI_NODATA);
    CHECK_EQ(opened, 0);
    CHECK_EQ(closed_count, 0);

    /* cancelled during name resolution: no callback at all, the late result is dropped safely */
    reset();
    for (int i = 0; i < 5; i++) {
        s = us_socket_context_connect(0, cli, i % 2 ? "localhost" : "nonexistent.invalid", dead_port, NULL, 0, 0);
        CHECK(s);
        CHECK(us_socket_close_connecting(0, s) == s);
        CHECK(us_socket_is_closed(0, s));
    }
    us_loop_run(loop); /* nothing left: returns at once */
    struct us_timer_t *t = us_create_timer(loop, 0, 0);
    us_timer_set(t, close_self, 300, 0); /* let the resolver threads finish while the loop lives */
    us_loop_run(loop);
    CHECK_EQ(errors + opened + closed_count, 0);

    /* cancelled while the TCP connect is pending */
    reset();
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    int port = us_socket_local_port(0, (struct us_socket_t *) ls);
    s = us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0);
    CHECK(s);
    us_socket_close_connecting(0, s);
    /* us_socket_close on a connecting socket: on_close once, never on_open */
    s = us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0);
    us_socket_close(0, s, 0, NULL);
    us_socket_close(0, s, 0, NULL); /* closing twice is a no-op */
    CHECK_EQ(closed_count, 1);
    /* source_host: bound before the connect; the server sees that address */
    s = us_socket_context_connect(0, cli, "127.0.0.1", port, "127.0.0.2", 0, 0);
    CHECK(s);
    us_loop_run(loop);
    CHECK(srv_opened >= 1); /* the cancelled connects may have reached the backlog too */
    CHECK_EQ(srv_peer_len, 4);
    CHECK_EQ(errors, 0);
    CHECK_EQ(opened, 1);

    /* immediate failures return NULL */
    CHECK(us_socket_context_connect(0, cli, "127.0.0.1", dead_port, "192.0.2.1", 0, 0) == NULL); /* not a local address */
    CHECK(us_socket_context_connect(0, cli, "127.0.0.1", 70000, NULL, 0, 0) == NULL);
    /* a name resolves later: a source address that cannot be bound then fails every address */
    reset();
    CHECK(us_socket_context_connect(0, cli, "localhost", dead_port, "192.0.2.1", 0, 0));
    us_loop_run(loop);
    CHECK_EQ(errors, 1);
    CHECK_EQ(last_code, EADDRNOTAVAIL);
    CHECK(us_socket_context_connect(0, cli, NULL, 80, NULL, 0, 0) == NULL);

    us_socket_context_free(0, cli);
    us_socket_context_free(0, srv);
    us_loop_free(loop);
    TEST_PASS("test_tcp_connect_errors");
    return 0;
}
