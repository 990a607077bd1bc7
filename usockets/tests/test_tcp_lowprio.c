/* test_tcp_lowprio.c: the low-priority queue the TLS layer rations handshakes with. With is_low_prio set on
 * a context (white-box: TLS sets it), at most US_LOW_PRIO_BUDGET such sockets are read per iteration, the rest
 * are parked and served first in later iterations, every socket is served in the end, and a parked socket can
 * be closed (on_close once) or the whole context closed while sockets are parked. */
#include "../src/internal.h"
#include "test_util.h"

#include <string.h>

#define CLIENTS 20

static struct us_socket_context_t *srv, *cli;
static struct us_socket_t *clients[CLIENTS];
static int srv_accepted, cli_opened, data_this_iteration, max_per_iteration, served, srv_closes, parked_seen;
static int closed_parked_one;
static struct us_listen_socket_t *ls;

static int always_low(struct us_socket_t *s) {
    (void) s;
    return 1;
}

static void fire_all_if_ready(void) {
    if (srv_accepted == CLIENTS && cli_opened == CLIENTS) {
        for (int i = 0; i < CLIENTS; i++) {
            us_socket_write(0, clients[i], "hs", 2, 0); /* every server socket readable in the same iteration */
        }
    }
}
static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    srv_accepted++;
    fire_all_if_ready();
    return s;
}
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    clients[cli_opened++] = s;
    fire_all_if_ready();
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    (void) length;
    CHECK(!(s->flags & US_SOCKET_LOW_PRIO));
    /* data is read in place into the loop's shared buffer, after the padding */
    CHECK(data == s->context->loop->data.recv_buf + LIBUS_RECV_BUFFER_PADDING);
    data_this_iteration++;
    if (data_this_iteration > max_per_iteration) {
        max_per_iteration = data_this_iteration;
    }
    if (++served + closed_parked_one == CLIENTS) {
        us_socket_context_close(0, srv);
        us_socket_context_close(0, cli);
    }
    return s;
}
static struct us_socket_t *srv_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    (void) s;
    srv_closes++;
    return s;
}

static void post(struct us_loop_t *loop) {
    data_this_iteration = 0;
    struct us_socket_t *parked = loop->data.low_prio_head;
    if (parked) {
        parked_seen = 1;
        CHECK(parked->flags & US_SOCKET_LOW_PRIO);
        if (!closed_parked_one) {
            /* close one parked socket directly: it leaves the queue and gets its on_close */
            closed_parked_one = 1;
            us_socket_close(0, parked, 0, NULL);
            CHECK(loop->data.low_prio_head != parked);
        }
    }
}

int main(void) {
    test_guard(20);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, post, 0);
    struct us_socket_context_options_t none = {0};
    srv = us_create_socket_context(0, loop, 0, none);
    cli = us_create_socket_context(0, loop, 0, none);
    srv->is_low_prio = always_low;
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_close(0, srv, srv_close);
    us_socket_context_on_open(0, cli, cli_open);
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    int port = us_socket_local_port(0, (struct us_socket_t *) ls);
    for (int i = 0; i < CLIENTS; i++) {
        CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    }
    us_loop_run(loop);
    CHECK(parked_seen);
    CHECK(max_per_iteration <= US_LOW_PRIO_BUDGET);
    CHECK_EQ(served, CLIENTS - 1);
    CHECK_EQ(srv_closes, CLIENTS);
    CHECK(loop->data.low_prio_head == NULL);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_lowprio");
    return 0;
}
