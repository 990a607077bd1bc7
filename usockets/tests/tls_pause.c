/*
 * tls_pause: us_socket_pause / us_socket_resume on a TLS socket. The client pauses inside on_data:
 * nothing more arrives (no data, no on_end for the close_notify that follows) until it resumes;
 * then the rest arrives intact and on_end comes last.
 */
#include "tls_util.h"

#define TOTAL (4 * 1024 * 1024)

static struct tls_files files;
static char *payload;
static size_t sent, received;
static int paused, pauses, data_while_paused, ended, closes, final_pause;
static struct us_socket_t *client_socket;
static struct us_timer_t *resume_timer;

static struct us_socket_t *pump(struct us_socket_t *s) {
    while (sent < TOTAL) {
        int n = us_socket_write(1, s, payload + sent, (int)(TOTAL - sent), 0);
        sent += (size_t)n;
        if (n == 0 || sent < TOTAL) {
            return s;
        }
    }
    us_socket_shutdown(1, s);
    return s;
}

static struct us_socket_t *server_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    return pump(s); /* refused until the handshake is done: on_writable starts it */
}

static struct us_socket_t *server_on_writable(struct us_socket_t *s) {
    return sent < TOTAL ? pump(s) : s;
}

static struct us_socket_t *any_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    if (++closes == 2) {
        us_listen_socket_close(1, tls_listener);
        us_timer_close(resume_timer);
    }
    return s;
}

static void resume_cb(struct us_timer_t *t) {
    (void)t;
    CHECK(paused);
    paused = 0;
    us_socket_resume(1, client_socket);
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    if (paused) {
        data_while_paused++;
    }
    CHECK(memcmp(payload + received, data, (size_t)length) == 0);
    received += (size_t)length;
    if ((pauses < 3 && received < TOTAL) || (received == TOTAL && !final_pause)) {
        /* the last pause holds back the close_notify that follows the data */
        final_pause = received == TOTAL;
        pauses++;
        paused = 1;
        client_socket = s;
        us_socket_pause(1, s);
        us_timer_set(resume_timer, resume_cb, 30, 0);
    }
    return s;
}

static struct us_socket_t *client_on_end(struct us_socket_t *s) {
    CHECK(!paused);
    CHECK_EQ(received, TOTAL);
    ended++;
    return us_socket_close(1, s, 0, NULL);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    payload = malloc(TOTAL);
    for (size_t i = 0; i < TOTAL; i++) {
        payload[i] = (char)(i * 7 + (i >> 11));
    }
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop != NULL);
    resume_timer = us_create_timer(loop, 0, 0);
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    us_socket_context_on_open(1, server, server_on_open);
    us_socket_context_on_writable(1, server, server_on_writable);
    us_socket_context_on_end(1, server, any_on_end);
    us_socket_context_on_close(1, server, on_close);
    struct us_socket_context_options_t co = {0};
    struct us_socket_context_t *client = us_create_socket_context(1, loop, 0, co);
    CHECK(client != NULL);
    us_socket_context_on_data(1, client, client_on_data);
    us_socket_context_on_end(1, client, client_on_end);
    us_socket_context_on_close(1, client, on_close);

    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, 0);
    CHECK(tls_listener != NULL);
    CHECK(us_socket_context_connect(1, client, "127.0.0.1", tls_port(tls_listener), NULL, 0, 0) != NULL);
    us_loop_run(loop);

    CHECK_EQ(pauses, 4);
    CHECK_EQ(data_while_paused, 0);
    CHECK_EQ(received, TOTAL);
    CHECK_EQ(ended, 1);
    CHECK_EQ(closes, 2);
    us_socket_context_free(1, client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    free(payload);
    tls_remove_files(&files);
    TEST_PASS("tls_pause");
    return 0;
}
