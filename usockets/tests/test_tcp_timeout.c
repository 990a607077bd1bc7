/* test_tcp_timeout.c: socket timeouts through the 4 s sweep: on_timeout fires within the granularity, a
 * cleared timeout never fires, on_long_timeout fires when the minute clock reaches it (the context's clock is
 * wound forward so this takes one sweep, not a minute), the context timestamp advances, and
 * us_socket_context_close closes every socket and listen socket with one on_close each. */
#include "../src/internal.h"
#include "test_util.h"

#include <string.h>

struct sx {
    int role; /* 0 timeout, 1 cleared, 2 long timeout */
};

static struct us_socket_context_t *srv, *cli;
static int accepted, timeouts, long_timeouts, srv_closes, cli_closes;
static double start, timeout_at;

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    struct sx *x = us_socket_ext(0, s);
    x->role = accepted++;
    if (x->role == 0) {
        us_socket_timeout(0, s, 1);
    } else if (x->role == 1) {
        us_socket_timeout(0, s, 1);
        us_socket_timeout(0, s, 0);
    } else {
        us_socket_long_timeout(0, s, 1);
    }
    return s;
}
static void maybe_finish(void) {
    if (timeouts == 1 && long_timeouts == 1) {
        /* the third socket (cleared timeout) is still open: the context close must close it and the listener */
        us_socket_context_close(0, srv);
        us_socket_context_close(0, cli);
    }
}
static struct us_socket_t *srv_timeout(struct us_socket_t *s) {
    struct sx *x = us_socket_ext(0, s);
    CHECK_EQ(x->role, 0);
    timeouts++;
    timeout_at = test_now_ms();
    CHECK(us_socket_context_timestamp(0, srv) != 14); /* advanced by the sweep */
    maybe_finish();
    return s;
}
static struct us_socket_t *srv_long_timeout(struct us_socket_t *s) {
    struct sx *x = us_socket_ext(0, s);
    CHECK_EQ(x->role, 2);
    long_timeouts++;
    maybe_finish();
    return s;
}
static struct us_socket_t *srv_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    srv_closes++;
    return s;
}
static struct us_socket_t *cli_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    cli_closes++;
    return s;
}
static struct us_socket_t *keep(struct us_socket_t *s) {
    return s;
}

int main(void) {
    test_guard(30);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    srv = us_create_socket_context(0, loop, 0, none);
    cli = us_create_socket_context(0, loop, 0, none);
    /* wind the clock to one sweep before the minute tick */
    srv->global_tick = 14;
    srv->timestamp = 14;
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_timeout(0, srv, srv_timeout);
    us_socket_context_on_long_timeout(0, srv, srv_long_timeout);
    us_socket_context_on_close(0, srv, srv_close);
    us_socket_context_on_end(0, srv, keep);
    us_socket_context_on_close(0, cli, cli_close);
    us_socket_context_on_end(0, cli, keep);

    struct us_listen_socket_t *ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, sizeof(struct sx));
    int port = us_socket_local_port(0, (struct us_socket_t *) ls);
    for (int i = 0; i < 3; i++) {
        CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    }
    start = test_now_ms();
    us_loop_run(loop);
    CHECK_EQ(accepted, 3);
    CHECK_EQ(timeouts, 1);
    CHECK_EQ(long_timeouts, 1);
    /* 1 s rounds up to one 4 s tick: the first sweep fires it */
    CHECK(timeout_at - start >= 3000 && timeout_at - start <= 4000 + 1500);
    CHECK_EQ(srv_closes, 3);
    CHECK_EQ(cli_closes, 3);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_timeout");
    return 0;
}
