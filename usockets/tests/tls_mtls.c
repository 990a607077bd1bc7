/*
 * tls_mtls: a server with a CA file requires client certificates: a client without one, or with
 * one from another CA, is refused (both sides close with an error, nothing is echoed); a client
 * with a certificate of the CA is served and the server sees its subject.
 */
#include "tls_util.h"

static struct tls_files files;

static struct us_socket_context_t *client_with(struct us_loop_t *loop, const char *cert, const char *key) {
    struct us_socket_context_options_t o = {0};
    o.ca_file_name = files.ca;
    o.cert_file_name = cert;
    o.key_file_name = key;
    struct us_socket_context_t *ctx = tls_probe_context(loop, o);
    CHECK(ctx != NULL);
    return ctx;
}

static void check_refused(const struct tls_probe *p, const char *server_reason) {
    CHECK(p->closed); /* with the TLS error code, or a plain reset if the RST outran the alert */
    CHECK_EQ(p->echoed_length, 0);
    fprintf(stderr, "client: %s / server: %s\n", p->reason, tls_server.last_reason);
    CHECK(strstr(tls_server.last_reason, server_reason) != NULL);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, tls_post, 0);
    CHECK(loop != NULL);

    struct us_socket_context_options_t so = tls_server_options(&files);
    so.ca_file_name = files.ca;
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, so);
    CHECK(server != NULL);
    tls_echo_server(server);

    struct us_socket_context_t *anonymous = client_with(loop, NULL, NULL);
    struct us_socket_context_t *stranger = client_with(loop, files.other_client_cert, files.other_client_key);
    struct us_socket_context_t *member = client_with(loop, files.client_cert, files.client_key);

    struct tls_probe p[3];
    memset(p, 0, sizeof(p));

    int errors = tls_server.error_closes;
    tls_run_probes(loop, server, anonymous, "localhost", &p[0], 1);
    CHECK_EQ(tls_server.error_closes, errors + 1);
    check_refused(&p[0], "certificate");

    tls_run_probes(loop, server, stranger, "localhost", &p[1], 1);
    CHECK_EQ(tls_server.error_closes, errors + 2);
    check_refused(&p[1], "certificate verify failed");

    tls_run_probes(loop, server, member, "localhost", &p[2], 1);
    CHECK(tls_probe_served(&p[2]));
    CHECK_EQ(tls_server.error_closes, errors + 2);
    CHECK(strstr(tls_server.last_subject, "CN=client") != NULL);
    CHECK(strstr(p[2].subject, "CN=localhost") != NULL);

    us_socket_context_free(1, anonymous);
    us_socket_context_free(1, stranger);
    us_socket_context_free(1, member);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_mtls");
    return 0;
}
