/*
 * tls_bad_inputs: TLS material that cannot be loaded gives a NULL context, and
 * us_ssl_last_error_string says why (a missing file, a wrong or absent passphrase, a key that is not
 * the certificate's, a bad CA or DH file, a cipher list matching nothing). The right passphrase loads
 * and serves.
 */
#include "tls_util.h"

static struct tls_files files;

static void expect_failure(struct us_loop_t *loop, struct us_socket_context_options_t o, const char *what,
                           const char *want1, const char *want2) {
    char reason[256];
    CHECK(us_create_socket_context(1, loop, 0, o) == NULL);
    int n = us_ssl_last_error_string(reason, sizeof(reason));
    fprintf(stderr, "%s: %s\n", what, reason);
    CHECK(n > 0 && n == (int)strlen(reason));
    CHECK(strstr(reason, want1) != NULL);
    if (want2) {
        CHECK(strstr(reason, want2) != NULL);
    }
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, tls_post, 0);
    CHECK(loop != NULL);
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/missing.pem", files.dir);

    struct us_socket_context_options_t o = tls_server_options(&files);
    o.cert_file_name = missing;
    expect_failure(loop, o, "missing certificate", "missing.pem: ", "No such file or directory");

    o = tls_server_options(&files);
    o.key_file_name = missing;
    expect_failure(loop, o, "missing key", "missing.pem: ", "No such file or directory");

    o = tls_server_options(&files);
    o.key_file_name = files.server_key_enc;
    o.passphrase = "wrong horse";
    expect_failure(loop, o, "wrong passphrase", "server_enc.key: ", "wrong or missing passphrase");

    o.passphrase = NULL; /* never prompts on a terminal */
    expect_failure(loop, o, "no passphrase", "server_enc.key: ", "wrong or missing passphrase");

    o = tls_server_options(&files);
    o.key_file_name = files.client_key;
    expect_failure(loop, o, "mismatched key", "client.key: ", "key values mismatch");

    o = tls_server_options(&files);
    o.ca_file_name = missing;
    expect_failure(loop, o, "missing CA file", "missing.pem", NULL);

    o = tls_server_options(&files);
    o.dh_params_file_name = files.server_cert;
    expect_failure(loop, o, "bad DH file", "server.pem", NULL);

    o = tls_server_options(&files);
    o.ssl_ciphers = "NOT-A-CIPHER";
    expect_failure(loop, o, "bad cipher list", "no cipher match", NULL);

    /* a short buffer gets a cut, terminated copy and the full length */
    char small[5];
    int full = us_ssl_last_error_string(small, sizeof(small));
    CHECK(full > 4 && strlen(small) == 4);

    /* the right passphrase: loads, clears the last error, and serves */
    o = tls_server_options(&files);
    o.key_file_name = files.server_key_enc;
    o.passphrase = TLS_PASSPHRASE;
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, o);
    CHECK(server != NULL);
    CHECK_EQ(us_ssl_last_error_string(small, sizeof(small)), 0);
    CHECK_EQ(small[0], 0);
    tls_echo_server(server);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    struct us_socket_context_t *client = tls_probe_context(loop, co);
    CHECK(client != NULL);
    struct tls_probe p;
    memset(&p, 0, sizeof(p));
    tls_run_probes(loop, server, client, "localhost", &p, 1);
    CHECK(tls_probe_served(&p));

    us_socket_context_free(1, client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_bad_inputs");
    return 0;
}
