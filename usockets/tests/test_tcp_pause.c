/* test_tcp_pause.c: us_socket_pause / us_socket_resume (usockets4j extensions). A paused server socket
 * gets no on_data while the client writes; after resume every byte arrives in order. While paused, a
 * write that fills the kernel buffer still gets its on_writable; the peer's FIN waits for resume too. */
#include "libusockets.h"
#include "test_util.h"

#include <string.h>

#define CHUNK 1000
#define CHUNKS 20

static struct us_listen_socket_t *listener;
static struct us_socket_t *server_socket, *client_socket;
static struct us_timer_t *timer;
static int paused = 1, received, data_while_paused, writable_while_paused, server_ended, closed;
static long long big_written;
static char big[4 << 20];

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    server_socket = s;
    us_socket_pause(0, s);
    us_socket_pause(0, s); /* idempotent */
    CHECK_EQ(us_poll_events((struct us_poll_t *) s) & LIBUS_SOCKET_READABLE, 0);
    /* fill the client's receive window: this write falls short, on_writable must still come while paused */
    big_written = us_socket_write(0, s, big, (int) sizeof(big), 0);
    CHECK(big_written < (long long) sizeof(big));
    return s;
}

static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    if (paused) {
        data_while_paused++;
    }
    for (int i = 0; i < length; i++) {
        CHECK_EQ((unsigned char) data[i], (unsigned char) ((received + i) % 251));
    }
    received += length;
    return s;
}

static struct us_socket_t *srv_writable(struct us_socket_t *s) {
    if (paused) {
        writable_while_paused++;
    }
    if (big_written < (long long) sizeof(big)) {
        big_written += us_socket_write(0, s, big + big_written, (int) (sizeof(big) - big_written), 0);
    }
    return s;
}

static struct us_socket_t *srv_end(struct us_socket_t *s) {
    CHECK(!paused);
    CHECK_EQ(received, CHUNK * CHUNKS);
    server_ended = 1;
    return us_socket_close(0, s, 0, NULL);
}

static struct us_socket_t *any_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++closed == 2) {
        us_listen_socket_close(0, listener);
        us_timer_close(timer);
    }
    return s;
}

static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    client_socket = s;
    char chunk[CHUNK];
    for (int c = 0; c < CHUNKS; c++) {
        for (int i = 0; i < CHUNK; i++) {
            chunk[i] = (char) ((c * CHUNK + i) % 251);
        }
        CHECK_EQ(us_socket_write(0, s, chunk, CHUNK, 0), CHUNK);
    }
    us_socket_shutdown(0, s); /* the FIN waits behind the data, and behind the pause */
    return s;
}

static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    (void) data;
    (void) length;
    return s; /* draining the server's big write */
}

static void on_timer(struct us_timer_t *t) {
    (void) t;
    if (paused) {
        /* 300 ms in: the client wrote and shut down long ago; nothing reached the paused server */
        CHECK_EQ(data_while_paused, 0);
        CHECK_EQ(server_ended, 0);
        CHECK(writable_while_paused > 0);
        paused = 0;
        us_socket_resume(0, server_socket);
        us_socket_resume(0, server_socket); /* idempotent */
        CHECK(us_poll_events((struct us_poll_t *) server_socket) & LIBUS_SOCKET_READABLE);
    }
}

int main(void) {
    test_guard(30);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_writable(0, srv, srv_writable);
    us_socket_context_on_end(0, srv, srv_end);
    us_socket_context_on_close(0, srv, any_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);
    us_socket_context_on_close(0, cli, any_close);
    listener = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    CHECK(listener);
    int port = us_socket_local_port(0, (struct us_socket_t *) listener);
    CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    timer = us_create_timer(loop, 0, 0);
    us_timer_set(timer, on_timer, 300, 0);
    us_loop_run(loop);

    CHECK_EQ(received, CHUNK * CHUNKS);
    CHECK_EQ(data_while_paused, 0);
    CHECK(writable_while_paused > 0);
    CHECK(server_ended);
    CHECK_EQ(closed, 2);
    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_pause");
    return 0;
}
