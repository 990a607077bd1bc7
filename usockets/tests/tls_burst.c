/*
 * tls_burst: 200 TLS clients connect at once while an established TLS connection plays ping-pong on
 * the same loop. Handshakes are rationed per iteration (the core's low-priority queue, fed by the
 * TLS layer's is_low_prio), so the established connection keeps getting its turn: it completes many
 * round trips while the burst is in progress, and every burst client is served.
 */
#include "tls_util.h"

#define BURST 200

static struct tls_files files;
static struct us_socket_context_t *burst_client;
static struct us_socket_t *pinger;
static struct tls_probe probes[BURST];
static int port, round_trips, burst_started, burst_done, rtt_at_start, rtt_during;
static double burst_start_ms, burst_ms, last_pong_ms, max_gap_ms;
/* burst clients finished between two pongs: what one turn of the established connection had to wait for */
static int done_at_last_pong, max_done_between_pongs;

static void start_burst(void) {
    burst_started = 1;
    rtt_at_start = round_trips;
    burst_start_ms = last_pong_ms = test_now_ms();
    for (int i = 0; i < BURST; i++) {
        struct us_socket_t *s = us_socket_context_connect(1, burst_client, "127.0.0.1", port, NULL, 0,
                                                          sizeof(struct tls_probe_ext));
        CHECK(s != NULL);
        ((struct tls_probe_ext *)us_socket_ext(1, s))->probe = &probes[i];
        tls_probes_pending++;
    }
}

static struct us_socket_t *pinger_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    CHECK_EQ(us_socket_write(1, s, "p", 1, 0), 0); /* on_writable once the handshake is done */
    return s;
}

static struct us_socket_t *pinger_on_writable(struct us_socket_t *s) {
    if (round_trips == 0) {
        CHECK_EQ(us_socket_write(1, s, "p", 1, 0), 1);
    }
    return s;
}

static struct us_socket_t *pinger_on_data(struct us_socket_t *s, char *data, int length) {
    CHECK(length == 1 && data[0] == 'p');
    round_trips++;
    double now = test_now_ms();
    int done_now = burst_started ? BURST - tls_probes_pending : 0;
    if (burst_started && !burst_done) {
        if (now - last_pong_ms > max_gap_ms) {
            max_gap_ms = now - last_pong_ms;
        }
        if (done_now - done_at_last_pong > max_done_between_pongs) {
            max_done_between_pongs = done_now - done_at_last_pong;
        }
    }
    done_at_last_pong = done_now;
    last_pong_ms = now;
    if (round_trips == 10 && !burst_started) {
        start_burst();
    }
    if (!burst_done) {
        CHECK_EQ(us_socket_write(1, s, "p", 1, 0), 1);
    }
    return s;
}

static struct us_socket_t *pinger_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    pinger = NULL;
    return s;
}

static void post(struct us_loop_t *loop) {
    (void)loop;
    if (burst_started && !burst_done && tls_probes_pending == 0) {
        burst_done = 1;
        if (BURST - done_at_last_pong > max_done_between_pongs) {
            max_done_between_pongs = BURST - done_at_last_pong; /* the tail after the last pong counts too */
        }
        burst_ms = test_now_ms() - burst_start_ms;
        rtt_during = round_trips - rtt_at_start;
        if (pinger) {
            us_socket_close(1, pinger, 0, NULL);
        }
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, post, 0);
    CHECK(loop != NULL);
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    tls_echo_server(server);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    burst_client = tls_probe_context(loop, co);
    CHECK(burst_client != NULL);
    struct us_socket_context_t *ping_ctx = us_create_socket_context(1, loop, 0, co);
    CHECK(ping_ctx != NULL);
    us_socket_context_on_open(1, ping_ctx, pinger_on_open);
    us_socket_context_on_writable(1, ping_ctx, pinger_on_writable);
    us_socket_context_on_data(1, ping_ctx, pinger_on_data);
    us_socket_context_on_close(1, ping_ctx, pinger_on_close);

    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    port = tls_port(tls_listener);
    pinger = us_socket_context_connect(1, ping_ctx, "127.0.0.1", port, NULL, 0, 0);
    CHECK(pinger != NULL);
    us_loop_run(loop);

    int served = 0;
    for (int i = 0; i < BURST; i++) {
        served += tls_probe_served(&probes[i]);
    }
    fprintf(stderr,
            "%d/%d served in %.0f ms; %d round trips meanwhile, at most %d handshakes between two, longest gap %.1f ms, "
            "%lld iterations\n",
            served, BURST, burst_ms, rtt_during, max_done_between_pongs, max_gap_ms, us_loop_iteration_number(loop));
    CHECK_EQ(served, BURST);
    CHECK(burst_done);
    /* the established connection was not starved: it kept playing through the burst */
    CHECK(rtt_during >= 20);
    CHECK(max_done_between_pongs <= 40); /* counted in work, not time: the machine may be busy */

    us_socket_context_free(1, burst_client);
    us_socket_context_free(1, ping_ctx);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_burst");
    return 0;
}
