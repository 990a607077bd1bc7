/*
 * tls_shutdown: us_socket_shutdown on a TLS socket sends close_notify then FIN; the peer's
 * close_notify reaches on_end exactly once (data sent before it arrives first), the half-closed side
 * can still write back, and both sides end with a clean close.
 *  1. the client says "bye" and shuts down; the server's on_end answers "ok" and shuts down too.
 *  2. the server shuts down after "hello"; the client sees on_end, and closes.
 */
#include "tls_util.h"

static struct tls_files files;
static int server_ends, server_clean, client_ends, client_clean;
static int done;

struct conn {
    int mode; /* client: 1 or 2 */
    int sent;
    char got[32];
    int got_length;
};

static void append(struct conn *c, const char *data, int length) {
    CHECK(c->got_length + length < (int)sizeof(c->got));
    memcpy(c->got + c->got_length, data, (size_t)length);
    c->got_length += length;
    c->got[c->got_length] = 0;
}

static struct us_socket_t *server_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    memset(us_socket_ext(1, s), 0, sizeof(struct conn));
    return s;
}

static struct us_socket_t *server_on_data(struct us_socket_t *s, char *data, int length) {
    struct conn *c = us_socket_ext(1, s);
    append(c, data, length);
    if (strcmp(c->got, "hello") == 0) {
        CHECK_EQ(us_socket_write(1, s, "bye", 3, 0), 3);
        us_socket_shutdown(1, s);
        CHECK(us_socket_is_shut_down(1, s));
        CHECK_EQ(us_socket_write(1, s, "late", 4, 0), 0);
    }
    return s;
}

static struct us_socket_t *server_on_end(struct us_socket_t *s) {
    struct conn *c = us_socket_ext(1, s);
    server_ends++;
    CHECK(strcmp(c->got, "bye") == 0); /* the data before close_notify came first */
    CHECK(!us_socket_is_shut_down(1, s));
    CHECK_EQ(us_socket_write(1, s, "ok", 2, 0), 2); /* half-closed: we may still talk */
    us_socket_shutdown(1, s);
    return s;
}

static struct us_socket_t *server_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    server_clean++;
    return s;
}

static struct us_socket_t *client_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    CHECK_EQ(us_socket_write(1, s, "early", 5, 0), 0); /* refused before the handshake: on_writable follows */
    return s;
}

static struct us_socket_t *client_on_writable(struct us_socket_t *s) {
    struct conn *c = us_socket_ext(1, s);
    if (c->sent) {
        return s;
    }
    c->sent = 1;
    if (c->mode == 1) {
        CHECK_EQ(us_socket_write(1, s, "bye", 3, 0), 3);
        us_socket_shutdown(1, s);
        CHECK(us_socket_is_shut_down(1, s));
        CHECK_EQ(us_socket_write(1, s, "more", 4, 0), 0);
    } else {
        CHECK_EQ(us_socket_write(1, s, "hello", 5, 0), 5);
    }
    return s;
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    append(us_socket_ext(1, s), data, length);
    return s;
}

static struct us_socket_t *client_on_end(struct us_socket_t *s) {
    struct conn *c = us_socket_ext(1, s);
    client_ends++;
    CHECK_EQ(c->mode, 2); /* mode 1 shut down first: the answer's close_notify completes the close */
    CHECK(strcmp(c->got, "bye") == 0);
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *client_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    struct conn *c = us_socket_ext(1, s);
    CHECK_EQ(code, 0);
    CHECK(strcmp(c->got, c->mode == 1 ? "ok" : "bye") == 0);
    client_clean++;
    return s;
}

static void post(struct us_loop_t *loop) {
    (void)loop;
    if (tls_listener && client_clean == done && server_clean == done) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
}

static void run(struct us_loop_t *loop, struct us_socket_context_t *server, struct us_socket_context_t *client,
                int mode) {
    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct conn));
    CHECK(tls_listener != NULL);
    struct us_socket_t *s = us_socket_context_connect(1, client, "127.0.0.1", tls_port(tls_listener), NULL, 0,
                                                      sizeof(struct conn));
    CHECK(s != NULL);
    struct conn *c = us_socket_ext(1, s);
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    done++;
    us_loop_run(loop);
    CHECK_EQ(client_clean, done);
    CHECK_EQ(server_clean, done);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, post, 0);
    CHECK(loop != NULL);
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    us_socket_context_on_open(1, server, server_on_open);
    us_socket_context_on_data(1, server, server_on_data);
    us_socket_context_on_end(1, server, server_on_end);
    us_socket_context_on_close(1, server, server_on_close);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    struct us_socket_context_t *client = us_create_socket_context(1, loop, 0, co);
    CHECK(client != NULL);
    us_socket_context_on_open(1, client, client_on_open);
    us_socket_context_on_writable(1, client, client_on_writable);
    us_socket_context_on_data(1, client, client_on_data);
    us_socket_context_on_end(1, client, client_on_end);
    us_socket_context_on_close(1, client, client_on_close);

    /* on_writable after the handshake starts each client: a write before it is refused */
    run(loop, server, client, 1);
    CHECK_EQ(server_ends, 1);
    CHECK_EQ(client_ends, 0);
    run(loop, server, client, 2);
    CHECK_EQ(server_ends, 1);
    CHECK_EQ(client_ends, 1);

    us_socket_context_free(1, client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_shutdown");
    return 0;
}
