/* test_tcp_backpressure.c: writes that the kernel takes only in part (the count is returned, on_writable
 * follows and is disarmed once everything went out), write2 as one sendmsg, and msg_more with flush. */
#include "libusockets.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define TOTAL (16 * 1024 * 1024)

static char *payload;
static struct us_listen_socket_t *ls;
static int scenario;
static long sent, received;
static int partial_writes, writable_calls, finished, closes;
static double flush_at, arrived_at;

static char pattern(long i) {
    return (char) ('a' + (i * 7) % 26);
}

static void pump(struct us_socket_t *s) {
    while (sent < TOTAL) {
        int chunk = TOTAL - sent > (1 << 20) ? (1 << 20) : (int) (TOTAL - sent);
        int n;
        if (scenario == 2) {
            /* header and payload together; the header is the first 16 bytes of the chunk */
            n = us_socket_write2(0, s, payload + sent, 16, payload + sent + 16, chunk - 16);
        } else {
            n = us_socket_write(0, s, payload + sent, chunk, 0);
        }
        CHECK(n >= 0 && n <= chunk);
        sent += n;
        if (n < chunk) {
            partial_writes++;
            return; /* the rest waits for on_writable */
        }
    }
    finished = 1;
    us_socket_shutdown(0, s);
}

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    if (scenario == 3) {
        return s;
    }
    pump(s);
    return s;
}
static struct us_socket_t *srv_writable(struct us_socket_t *s) {
    CHECK(!finished); /* disarmed once a write went out whole */
    writable_calls++;
    pump(s);
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    CHECK(scenario == 3);
    CHECK(received + length <= 3);
    CHECK(memcmp(data, "abc" + received, (size_t) length) == 0);
    received += length;
    if (received == 3) {
        arrived_at = test_now_ms();
        return us_socket_close(0, s, 0, NULL);
    }
    return s;
}
static struct us_socket_t *any_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++closes == 2) {
        us_listen_socket_close(0, ls);
    }
    return s;
}
static struct us_socket_t *srv_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}

static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    if (scenario == 3) {
        /* held back by MSG_MORE until the flush */
        CHECK_EQ(us_socket_write(0, s, "a", 1, 1), 1);
        CHECK_EQ(us_socket_write(0, s, "bc", 2, 1), 2);
        flush_at = test_now_ms();
        us_socket_flush(0, s);
    }
    return s;
}
static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    for (int i = 0; i < length; i++) {
        if (data[i] != pattern(received + i)) {
            CHECK(!"corrupted stream");
        }
    }
    received += length;
    return s;
}
static struct us_socket_t *cli_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}

static void run(struct us_loop_t *loop, struct us_socket_context_t *srv, struct us_socket_context_t *cli, int which) {
    scenario = which;
    sent = received = 0;
    partial_writes = writable_calls = finished = closes = 0;
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    CHECK(ls);
    CHECK(us_socket_context_connect(0, cli, "127.0.0.1", us_socket_local_port(0, (struct us_socket_t *) ls), NULL,
                                    0, 0));
    us_loop_run(loop);
    CHECK_EQ(closes, 2);
}

int main(void) {
    test_guard(30);
    payload = malloc(TOTAL);
    for (long i = 0; i < TOTAL; i++) {
        payload[i] = pattern(i);
    }
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_writable(0, srv, srv_writable);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_end(0, srv, srv_end);
    us_socket_context_on_close(0, srv, any_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);
    us_socket_context_on_end(0, cli, cli_end);
    us_socket_context_on_close(0, cli, any_close);

    /* 1: us_socket_write of 16 MiB: partial writes, on_writable until drained, every byte in order */
    run(loop, srv, cli, 1);
    CHECK_EQ(received, TOTAL);
    CHECK(partial_writes > 0);
    CHECK(writable_calls > 0);

    /* 2: the same through write2 (header + payload per call) */
    run(loop, srv, cli, 2);
    CHECK_EQ(received, TOTAL);
    CHECK(partial_writes > 0);

    /* 3: msg_more holds small writes back; flush sends them at once (the kernel would wait ~200 ms) */
    run(loop, srv, cli, 3);
    CHECK_EQ(received, 3);
    CHECK(arrived_at - flush_at < 150);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    free(payload);
    TEST_PASS("test_tcp_backpressure");
    return 0;
}
