/* test_tcp_close.c: close rules. on_close exactly once with the code and reason given; a socket closed by another
 * socket's callback is not dispatched later in that iteration; us_socket_context_close terminates even when
 * on_close connects anew; closed sockets answer is_closed until the iteration ends. */
#include "libusockets.h"
#include "test_util.h"

#include <string.h>

#define PAIRS 8

static struct us_socket_context_t *srv, *cli;
static struct us_listen_socket_t *ls;
static struct us_socket_t *srv_sockets[PAIRS];
static int accepted, cli_opened, srv_closes, cli_closes, reconnects, phase, close_code_seen;
static int reason_token;
static void *reason_seen;
static int port;

struct sext {
    int closes; /* on_close calls for this socket */
};

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    ((struct sext *) us_socket_ext(0, s))->closes = 0;
    if (accepted < PAIRS) {
        srv_sockets[accepted] = s;
    }
    accepted++;
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    (void) data;
    (void) length;
    CHECK(!us_socket_is_closed(0, s)); /* never dispatched after being closed */
    /* the first socket with data closes every other server socket, some of them ready in this same iteration */
    for (int i = 0; i < PAIRS; i++) {
        if (srv_sockets[i] && srv_sockets[i] != s) {
            us_socket_close(0, srv_sockets[i], 0, NULL);
            CHECK(us_socket_is_closed(0, srv_sockets[i]));
            srv_sockets[i] = NULL;
        }
    }
    for (int i = 0; i < PAIRS; i++) {
        if (srv_sockets[i] == s) {
            srv_sockets[i] = NULL;
            /* close with a code and reason: RST, and both are handed to on_close */
            return us_socket_close(0, s, 7, &reason_token);
        }
    }
    return s;
}
static struct us_socket_t *srv_close(struct us_socket_t *s, int code, void *reason) {
    struct sext *x = us_socket_ext(0, s);
    CHECK_EQ(++x->closes, 1);
    CHECK(us_socket_is_closed(0, s));
    if (code == 7) {
        close_code_seen = 1;
        reason_seen = reason;
    }
    srv_closes++;
    /* closing again inside on_close is a no-op */
    CHECK(us_socket_close(0, s, 0, NULL) == s);
    return s;
}
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    cli_opened++;
    us_socket_write(0, s, "go", 2, 0);
    return s;
}
static struct us_socket_t *cli_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *cli_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    cli_closes++;
    if (phase == 1 && reconnects < 100) {
        /* reconnect from on_close while the context is being closed: must not loop forever */
        reconnects++;
        CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    }
    if (phase == 0 && cli_closes == PAIRS && srv_closes == PAIRS) {
        us_listen_socket_close(0, ls);
    }
    return s;
}

static void stop_phase1(struct us_timer_t *t) {
    us_timer_close(t);
    phase = 2;
    us_socket_context_close(0, cli); /* reconnected sockets too */
    us_socket_context_close(0, srv);
}

static void close_contexts(struct us_timer_t *t) {
    phase = 1;
    int before = cli_closes;
    us_socket_context_close(0, cli);
    /* each open client was closed once; their reconnects are new sockets, not visited by this close */
    CHECK_EQ(cli_closes - before, reconnects);
    us_timer_set(t, stop_phase1, 50, 0);
}

int main(void) {
    test_guard(20);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    srv = us_create_socket_context(0, loop, 0, none);
    cli = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_close(0, srv, srv_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_end(0, cli, cli_end);
    us_socket_context_on_close(0, cli, cli_close);
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, sizeof(struct sext));
    port = us_socket_local_port(0, (struct us_socket_t *) ls);

    /* phase 0: closes from other sockets' callbacks, codes and reasons */
    for (int i = 0; i < PAIRS; i++) {
        CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    }
    us_loop_run(loop);
    CHECK_EQ(srv_closes, accepted);
    CHECK_EQ(cli_closes, PAIRS);
    CHECK(close_code_seen);
    CHECK(reason_seen == &reason_token);

    /* phase 1: context close while on_close reconnects */
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, sizeof(struct sext));
    port = us_socket_local_port(0, (struct us_socket_t *) ls);
    us_socket_context_on_data(0, srv, NULL);
    int opened_before = cli_opened;
    for (int i = 0; i < PAIRS; i++) {
        CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    }
    struct us_timer_t *t = us_create_timer(loop, 0, 0);
    us_timer_set(t, close_contexts, 100, 0);
    us_loop_run(loop);
    CHECK(cli_opened - opened_before >= PAIRS);
    CHECK(reconnects >= PAIRS);
    CHECK(reconnects < 100);
    CHECK_EQ(phase, 2);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_close");
    return 0;
}
