/*
 * tls_chain: the certificates a server sends. A certificate file holding the leaf alone is completed from the
 * context's CA file (the issuer, up to the root), as OpenSSL's per-handshake automatic chain did, now built once when
 * the context is made; without a CA file, or with one that does not hold the issuer, the leaf goes alone; a file
 * with its own chain is sent as it is. Checked for the context's own certificate and for SNI names (each name's
 * context completes its chain from its own CA file), over many sequential connections on the same contexts.
 */
#include "tls_util.h"

static struct tls_files files;

/* The chain the last probe's server sent: how many certificates and their subjects' CNs. */
static int seen_count;
static char seen_cn[4][64];

static struct us_socket_t *chain_on_data(struct us_socket_t *s, char *data, int length) {
    SSL *ssl = us_socket_get_native_handle(1, s);
    CHECK(ssl != NULL);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    CHECK(chain != NULL);
    seen_count = sk_X509_num(chain);
    for (int i = 0; i < seen_count && i < 4; i++) {
        seen_cn[i][0] = 0;
        X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(chain, i)), NID_commonName, seen_cn[i],
                                  (int)sizeof(seen_cn[i]));
    }
    return tls_probe_on_data(s, data, length);
}

/* Connects n times in a row with SNI name sni (NULL: none) and checks every chain: count certificates, first CN
 * leaf, then (when count is 2) the test CA. */
static void expect_chain(struct us_loop_t *loop, struct us_socket_context_t *server, struct us_socket_context_t *client,
                         const char *sni, int n, int count, const char *leaf) {
    for (int i = 0; i < n; i++) {
        struct tls_probe p;
        memset(&p, 0, sizeof(p));
        p.sni = sni;
        seen_count = -1;
        tls_run_probes(loop, server, client, "127.0.0.1", &p, 1);
        CHECK(tls_probe_served(&p));
        if (seen_count != count || strcmp(seen_cn[0], leaf) != 0) {
            fprintf(stderr, "sni %s: %d certificates, leaf %s (expected %d, %s)\n", sni ? sni : "(none)", seen_count,
                    seen_cn[0], count, leaf);
            exit(1);
        }
        if (count == 2) {
            CHECK(strcmp(seen_cn[1], "usockets4j test CA") == 0);
        }
    }
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, tls_post, 0);
    CHECK(loop != NULL);

    /* a client that trusts everything: it records what the server sent */
    struct us_socket_context_options_t nothing = {0};
    struct us_socket_context_t *client = tls_probe_context(loop, nothing);
    CHECK(client != NULL);
    us_socket_context_on_data(1, client, chain_on_data);

    /* the leaf alone, no CA file: the leaf alone */
    struct us_socket_context_t *bare = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(bare != NULL);
    tls_echo_server(bare);
    expect_chain(loop, bare, client, NULL, 3, 1, "localhost");

    /* the leaf alone, the CA file holds its issuer (a server that also verifies clients): leaf and CA */
    struct us_socket_context_options_t with_ca = tls_server_options(&files);
    with_ca.ca_file_name = files.ca;
    struct us_socket_context_t *mtls = us_create_socket_context(1, loop, 0, with_ca);
    CHECK(mtls != NULL);
    tls_echo_server(mtls);
    struct us_socket_context_options_t client_cert = {0};
    client_cert.cert_file_name = files.client_cert;
    client_cert.key_file_name = files.client_key;
    struct us_socket_context_t *client_with_cert = tls_probe_context(loop, client_cert);
    CHECK(client_with_cert != NULL);
    us_socket_context_on_data(1, client_with_cert, chain_on_data);
    expect_chain(loop, mtls, client_with_cert, NULL, 3, 2, "localhost");
    CHECK(strstr(tls_server.last_subject, "CN=client") != NULL);

    /* the leaf alone, a CA file without its issuer: the leaf alone */
    struct us_socket_context_options_t with_other = tls_server_options(&files);
    with_other.ca_file_name = files.other_ca;
    struct us_socket_context_t *other = us_create_socket_context(1, loop, 0, with_other);
    CHECK(other != NULL);
    tls_echo_server(other);
    struct us_socket_context_options_t other_cert = {0};
    other_cert.cert_file_name = files.other_client_cert;
    other_cert.key_file_name = files.other_client_key;
    struct us_socket_context_t *client_other = tls_probe_context(loop, other_cert);
    CHECK(client_other != NULL);
    us_socket_context_on_data(1, client_other, chain_on_data);
    expect_chain(loop, other, client_other, NULL, 2, 1, "localhost");

    /* a file with leaf and CA: sent as it is, with or without a CA file */
    char both[160];
    snprintf(both, sizeof(both), "%s/leaf_and_ca.pem", files.dir);
    FILE *out = fopen(both, "w");
    CHECK(out != NULL);
    const char *parts[] = {files.server_cert, files.ca};
    for (int i = 0; i < 2; i++) {
        FILE *in = fopen(parts[i], "r");
        CHECK(in != NULL);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
            CHECK(fwrite(buf, 1, n, out) == n);
        }
        fclose(in);
    }
    fclose(out);
    struct us_socket_context_options_t full = tls_server_options(&files);
    full.cert_file_name = both;
    struct us_socket_context_t *given = us_create_socket_context(1, loop, 0, full);
    CHECK(given != NULL);
    tls_echo_server(given);
    expect_chain(loop, given, client, NULL, 2, 2, "localhost");
    full.ca_file_name = files.other_ca;
    struct us_socket_context_t *given_other = us_create_socket_context(1, loop, 0, full);
    CHECK(given_other != NULL);
    tls_echo_server(given_other);
    expect_chain(loop, given_other, client_other, NULL, 2, 2, "localhost");

    /* SNI: each name's context completes its own chain; connections alternate between names and no name */
    char a_cert[128], a_key[128], b_cert[128], b_key[128];
    struct us_socket_context_options_t a = tls_sni_options(&files, "a.test", a_cert, a_key);
    a.ca_file_name = files.ca;
    struct us_socket_context_options_t b = tls_sni_options(&files, "b.test", b_cert, b_key);
    us_socket_context_add_server_name(1, bare, "a.test", a, (void *)"a");
    us_socket_context_add_server_name(1, bare, "b.test", b, (void *)"b");
    CHECK(us_socket_context_find_server_name_userdata(1, bare, "a.test") != NULL);
    CHECK(us_socket_context_find_server_name_userdata(1, bare, "b.test") != NULL);
    for (int round = 0; round < 3; round++) { /* a.test verifies clients (its CA file): a client certificate */
        expect_chain(loop, bare, client_with_cert, "a.test", 1, 2, "a.test");
        CHECK(strstr(tls_server.last_subject, "CN=client") != NULL);
        expect_chain(loop, bare, client_with_cert, "b.test", 1, 1, "b.test");
        CHECK(tls_server.last_subject[0] == 0);
        expect_chain(loop, bare, client, NULL, 1, 1, "localhost");
    }

    us_socket_context_free(1, client);
    us_socket_context_free(1, client_with_cert);
    us_socket_context_free(1, client_other);
    us_socket_context_free(1, bare);
    us_socket_context_free(1, mtls);
    us_socket_context_free(1, other);
    us_socket_context_free(1, given);
    us_socket_context_free(1, given_other);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_chain");
    return 0;
}
