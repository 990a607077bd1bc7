/* test_tcp_shutdown.c: half-close both ways (FIN then more data the other way), shutdown_read,
 * abortive close (RST: the peer sees no on_end), closing inside on_data, and a context without on_end. */
#include "libusockets.h"
#include "test_util.h"

#include <string.h>

static struct us_listen_socket_t *ls;
static int scenario;
static int srv_end, srv_close_n, srv_data_bytes, cli_end, cli_close_n, cli_close_code, cli_data_bytes;

static void done_one(void) {
    if (srv_close_n == 1 && cli_close_n == 1 && ls) {
        us_listen_socket_close(0, ls);
        ls = NULL;
    }
}

/* ---- server */
static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    if (scenario == 3) {
        us_socket_shutdown_read(0, s); /* the next iteration sees end-of-stream */
    }
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    (void) data;
    srv_data_bytes += length;
    if (scenario == 4) {
        return us_socket_close(0, s, 0, NULL); /* closed inside on_data; the loop must not touch it again */
    }
    return s;
}
static struct us_socket_t *srv_on_end(struct us_socket_t *s) {
    srv_end++;
    if (scenario == 1) {
        /* the client half-closed; we can still answer, then half-close ourselves */
        CHECK(!us_socket_is_shut_down(0, s));
        CHECK_EQ(us_socket_write(0, s, "reply", 5, 0), 5);
        us_socket_shutdown(0, s);
        CHECK(us_socket_is_shut_down(0, s));
        CHECK_EQ(us_socket_write(0, s, "late", 4, 0), 0); /* nothing goes out after FIN */
        return s; /* both directions are done now: the loop closes it */
    }
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *srv_on_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    srv_close_n++;
    done_one();
    return s;
}

/* ---- client */
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    switch (scenario) {
    case 1:
        us_socket_write(0, s, "request", 7, 0);
        us_socket_shutdown(0, s);
        us_socket_shutdown(0, s); /* idempotent */
        break;
    case 2:
        us_socket_write(0, s, "abort", 5, 0);
        return us_socket_close(0, s, 42, NULL); /* RST */
    case 4:
        us_socket_write(0, s, "first", 5, 0);
        us_socket_write(0, s, "second", 6, 0);
        break;
    }
    return s;
}
static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    if (scenario == 1) {
        CHECK(length <= 5);
        CHECK(memcmp(data, "reply" + cli_data_bytes, (size_t) length) == 0);
    }
    cli_data_bytes += length;
    return s;
}
static struct us_socket_t *cli_on_end(struct us_socket_t *s) {
    cli_end++;
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *cli_on_close(struct us_socket_t *s, int code, void *reason) {
    (void) reason;
    cli_close_code = code;
    cli_close_n++;
    done_one();
    return s;
}

static void run(struct us_loop_t *loop, struct us_socket_context_t *srv, struct us_socket_context_t *cli, int which) {
    scenario = which;
    srv_end = srv_close_n = srv_data_bytes = cli_end = cli_close_n = cli_close_code = cli_data_bytes = 0;
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    CHECK(ls);
    int port = us_socket_local_port(0, (struct us_socket_t *) ls);
    CHECK(us_socket_context_connect(0, cli, "127.0.0.1", port, NULL, 0, 0));
    us_loop_run(loop);
    CHECK_EQ(srv_close_n, 1);
    CHECK_EQ(cli_close_n, 1);
}

int main(void) {
    test_guard(20);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_end(0, srv, srv_on_end);
    us_socket_context_on_close(0, srv, srv_on_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);
    us_socket_context_on_end(0, cli, cli_on_end);
    us_socket_context_on_close(0, cli, cli_on_close);

    /* 1: client sends and half-closes; server reads, gets on_end, replies, half-closes; the client, already shut
     * down, is closed on the server's FIN without on_end; the server closes once both directions are done */
    run(loop, srv, cli, 1);
    CHECK_EQ(srv_data_bytes, 7);
    CHECK_EQ(srv_end, 1);
    CHECK_EQ(cli_data_bytes, 5);
    CHECK_EQ(cli_end, 0);
    CHECK_EQ(cli_close_code, 0);

    /* 2: abortive close: the server sees a reset, not an orderly end */
    run(loop, srv, cli, 2);
    CHECK_EQ(cli_close_code, 42);
    CHECK_EQ(srv_end, 0);

    /* 3: shutdown_read on the server: it sees end-of-stream (on_end) and closes; the client gets FIN */
    run(loop, srv, cli, 3);
    CHECK_EQ(srv_end, 1);
    CHECK_EQ(cli_end, 1);

    /* 4: the server closes inside on_data while more data is queued */
    run(loop, srv, cli, 4);
    CHECK(srv_data_bytes >= 5);

    /* 5: a context without on_end closes on FIN */
    us_socket_context_on_end(0, srv, NULL);
    run(loop, srv, cli, 1);
    CHECK_EQ(srv_end, 0);
    CHECK_EQ(srv_data_bytes, 7);

    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_shutdown");
    return 0;
}
