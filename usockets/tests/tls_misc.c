/*
 * tls_misc: TLS over the rest of the socket API: unix-domain listen/connect, an IPv6 literal checked
 * against the certificate's IP SAN, a descriptor accepted elsewhere and adopted into a TLS context,
 * write2, us_socket_context_close on TLS sockets (each gets on_close), and a TLS socket's timeout
 * reaching the TLS context's on_timeout.
 */
#include "tls_util.h"

static struct tls_files files;
static struct us_socket_context_t *server;
static int idle_opened, idle_closed, timeouts, close_when_opened;
static struct us_socket_context_t *idle_ctx;

static LIBUS_SOCKET_DESCRIPTOR plain_pre_open(struct us_socket_context_t *ctx, LIBUS_SOCKET_DESCRIPTOR fd, char *ip,
                                              int ip_length) {
    (void)ctx;
    CHECK(us_adopt_accepted_socket(1, server, fd, sizeof(struct tls_outbox), ip, ip_length) != NULL);
    return -1; /* ours now */
}

static struct us_socket_t *idle_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    idle_opened++;
    us_socket_timeout(1, s, 1);
    return s;
}

static struct us_socket_t *idle_on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    idle_closed++;
    return s;
}

static struct us_socket_t *idle_on_timeout(struct us_socket_t *s) {
    timeouts++;
    return us_socket_close(1, s, 0, NULL);
}

static void post(struct us_loop_t *loop) {
    tls_post(loop);
    if (close_when_opened && idle_opened == close_when_opened) {
        close_when_opened = 0;
        us_socket_context_close(1, idle_ctx);
        CHECK_EQ(idle_closed, idle_opened);
    }
    if (tls_listener && idle_opened > 0 && idle_closed == idle_opened) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
}

static void run_idle(struct us_loop_t *loop, int count) {
    idle_opened = idle_closed = 0;
    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    for (int i = 0; i < count; i++) {
        CHECK(us_socket_context_connect(1, idle_ctx, "127.0.0.1", tls_port(tls_listener), NULL, 0, 0) != NULL);
    }
    tls_probes_pending = 1; /* keeps tls_post from closing the listener */
    us_loop_run(loop);
    tls_probes_pending = 0;
    CHECK_EQ(idle_closed, count);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, post, 0);
    CHECK(loop != NULL);
    server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    tls_echo_server(server);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    struct us_socket_context_t *client = tls_probe_context(loop, co);
    CHECK(client != NULL);

    /* unix domain: the chain is verified (no host name to check) */
    char path[160];
    snprintf(path, sizeof(path), "%s/tls.sock", files.dir);
    struct tls_probe unix_probe;
    memset(&unix_probe, 0, sizeof(unix_probe));
    tls_listener = us_socket_context_listen_unix(1, server, path, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    struct us_socket_t *s = us_socket_context_connect_unix(1, client, path, 0, sizeof(struct tls_probe_ext));
    CHECK(s != NULL);
    ((struct tls_probe_ext *)us_socket_ext(1, s))->probe = &unix_probe;
    tls_probes_pending++;
    us_loop_run(loop);
    CHECK(tls_probe_served(&unix_probe));
    unlink(path);

    /* an IPv6 literal: no SNI, the address is checked against the IP SAN; and write2 */
    struct tls_probe v6;
    memset(&v6, 0, sizeof(v6));
    v6.use_write2 = 1;
    tls_run_probes(loop, server, client, "::1", &v6, 1);
    fprintf(stderr, "::1 -> %s %s\n", v6.subject, v6.reason);
    CHECK(tls_probe_served(&v6));

    /* a descriptor accepted by a plain listener, adopted into the TLS context */
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *plain = us_create_socket_context(0, loop, 0, none);
    CHECK(plain != NULL);
    us_socket_context_on_pre_open(0, plain, plain_pre_open);
    struct tls_probe adopted;
    memset(&adopted, 0, sizeof(adopted));
    tls_listener = us_socket_context_listen(0, plain, "127.0.0.1", 0, 0, 0);
    CHECK(tls_listener != NULL);
    s = us_socket_context_connect(1, client, "127.0.0.1", tls_port(tls_listener), NULL, 0,
                                  sizeof(struct tls_probe_ext));
    CHECK(s != NULL);
    ((struct tls_probe_ext *)us_socket_ext(1, s))->probe = &adopted;
    tls_probes_pending++;
    us_loop_run(loop);
    CHECK(tls_probe_served(&adopted));

    /* us_socket_context_close closes every TLS socket of the context, each with on_close */
    idle_ctx = us_create_socket_context(1, loop, 0, co);
    CHECK(idle_ctx != NULL);
    us_socket_context_on_open(1, idle_ctx, idle_on_open);
    us_socket_context_on_close(1, idle_ctx, idle_on_close);
    us_socket_context_on_timeout(1, idle_ctx, idle_on_timeout);
    close_when_opened = 3;
    run_idle(loop, 3);
    CHECK_EQ(timeouts, 0);

    /* a timeout on a TLS socket reaches the TLS context's on_timeout (within one 4 s sweep or two) */
    double start = test_now_ms();
    run_idle(loop, 1);
    CHECK_EQ(timeouts, 1);
    fprintf(stderr, "timeout after %.0f ms\n", test_now_ms() - start);

    us_socket_context_free(0, plain);
    us_socket_context_free(1, idle_ctx);
    us_socket_context_free(1, client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_misc");
    return 0;
}
