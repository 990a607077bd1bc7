/*
 * tls_verify: a client with a CA file verifies the server's chain and the host it connected to
 * (names and IP literals); the wrong CA or a certificate for another name fails the handshake,
 * the socket closes with the TLS error code and OpenSSL's reason, and the server side closes too.
 */
#include "tls_util.h"

static struct tls_files files;

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, tls_post, 0);
    CHECK(loop != NULL);

    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    tls_echo_server(server);

    struct us_socket_context_options_t with_ca = {0};
    with_ca.ca_file_name = files.ca;
    struct us_socket_context_t *client = tls_probe_context(loop, with_ca);
    CHECK(client != NULL);

    /* the right CA: by name and by IP literal (the certificate has both) */
    struct tls_probe ok[2];
    memset(ok, 0, sizeof(ok));
    tls_run_probes(loop, server, client, "localhost", &ok[0], 1);
    tls_run_probes(loop, server, client, "127.0.0.1", &ok[1], 1);
    CHECK(tls_probe_served(&ok[0]));
    CHECK(tls_probe_served(&ok[1]));
    CHECK(strstr(ok[0].subject, "CN=localhost") != NULL);

    /* no CA file: no verification at all */
    struct us_socket_context_options_t nothing = {0};
    struct us_socket_context_t *trusting = tls_probe_context(loop, nothing);
    CHECK(trusting != NULL);
    struct tls_probe trust[1];
    memset(trust, 0, sizeof(trust));
    tls_run_probes(loop, server, trusting, "127.0.0.1", trust, 1);
    CHECK(tls_probe_served(&trust[0]));

    /* the wrong CA */
    struct us_socket_context_options_t with_other = {0};
    with_other.ca_file_name = files.other_ca;
    struct us_socket_context_t *doubting = tls_probe_context(loop, with_other);
    CHECK(doubting != NULL);
    struct tls_probe wrong_ca[1];
    memset(wrong_ca, 0, sizeof(wrong_ca));
    int server_errors = tls_server.error_closes;
    tls_run_probes(loop, server, doubting, "localhost", wrong_ca, 1);
    CHECK(wrong_ca[0].closed && wrong_ca[0].echoed_length == 0);
    CHECK_EQ(wrong_ca[0].code, LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR);
    fprintf(stderr, "wrong CA: %s\n", wrong_ca[0].reason);
    CHECK(strstr(wrong_ca[0].reason, "certificate verify failed") != NULL);
    CHECK(tls_server.error_closes > server_errors); /* the server saw the alert */

    /* a good chain for another name */
    struct us_socket_context_options_t wrong_name = {0};
    wrong_name.cert_file_name = files.wrong_name_cert;
    wrong_name.key_file_name = files.wrong_name_key;
    struct us_socket_context_t *other_server = us_create_socket_context(1, loop, 0, wrong_name);
    CHECK(other_server != NULL);
    tls_echo_server(other_server);
    struct tls_probe names[2];
    memset(names, 0, sizeof(names));
    names[1].verify_host = "other.test";
    tls_run_probes(loop, other_server, client, "localhost", names, 2);
    CHECK_EQ(names[0].code, LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR);
    CHECK(names[0].echoed_length == 0);
    fprintf(stderr, "wrong name: %s\n", names[0].reason);
    CHECK(strstr(names[0].reason, "hostname mismatch") != NULL);
    CHECK(tls_probe_served(&names[1]));

    us_socket_context_free(1, client);
    us_socket_context_free(1, trusting);
    us_socket_context_free(1, doubting);
    us_socket_context_free(1, server);
    us_socket_context_free(1, other_server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_verify");
    return 0;
}
