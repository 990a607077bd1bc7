/*
 * tls_sni: one TLS server, several names: exact names and a "*." wildcard each served with their own
 * certificate, the server-name callback adding a name it did not know yet (the handshake goes on with
 * it), unknown names and no SNI served with the default certificate, removal, lookups of the user
 * pointers, and a name whose material does not load.
 */
#include "tls_util.h"

static struct tls_files files;
static int ua, ub, uw, ud;
static int server_name_calls;
static char cert[128], key[128];

static void on_server_name(struct us_socket_context_t *ctx, const char *hostname) {
    server_name_calls++;
    if (strcmp(hostname, "dyn.test") == 0) {
        us_socket_context_add_server_name(1, ctx, "dyn.test", tls_sni_options(&files, "dyn.test", cert, key), &ud);
    }
}

/* One probe sending sni (NULL: none); checks the certificate it got and the user pointer the server matched. */
static void probe(struct us_loop_t *loop, struct us_socket_context_t *server, struct us_socket_context_t *client,
                  const char *sni, const char *want_cn, void *want_user) {
    struct tls_probe p;
    memset(&p, 0, sizeof(p));
    p.sni = sni;
    if (sni && strstr(want_cn, "localhost") == NULL) {
        p.verify_host = sni;
    }
    tls_server.last_sni_user = (void *)&p;
    tls_run_probes(loop, server, client, "127.0.0.1", &p, 1);
    fprintf(stderr, "sni %s -> %s %s\n", sni ? sni : "(none)", p.subject, p.reason);
    CHECK(tls_probe_served(&p));
    char want[64];
    snprintf(want, sizeof(want), "CN=%s", want_cn);
    CHECK(strstr(p.subject, want) != NULL);
    CHECK(tls_server.last_sni_user == want_user);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, tls_post, 0);
    CHECK(loop != NULL);

    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    tls_echo_server(server);
    us_socket_context_add_server_name(1, server, "a.test", tls_sni_options(&files, "a.test", cert, key), &ua);
    us_socket_context_add_server_name(1, server, "b.test", tls_sni_options(&files, "b.test", cert, key), &ub);
    us_socket_context_add_server_name(1, server, "*.wild.test", tls_sni_options(&files, "wild.test", cert, key), &uw);
    us_socket_context_on_server_name(1, server, on_server_name);
    CHECK(us_socket_context_find_server_name_userdata(1, server, "a.test") == &ua);
    CHECK(us_socket_context_find_server_name_userdata(1, server, "*.wild.test") == &uw);
    CHECK(us_socket_context_find_server_name_userdata(1, server, "x.wild.test") == NULL); /* patterns, not names */

    /* material that does not load is not added, and says why */
    struct us_socket_context_options_t broken = {0};
    broken.cert_file_name = "/nonexistent/broken.pem";
    broken.key_file_name = files.server_key;
    us_socket_context_add_server_name(1, server, "broken.test", broken, &ua);
    CHECK(us_socket_context_find_server_name_userdata(1, server, "broken.test") == NULL);
    char reason[256];
    CHECK(us_ssl_last_error_string(reason, sizeof(reason)) > 0);
    CHECK(strstr(reason, "No such file or directory") != NULL);

    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    struct us_socket_context_t *client = tls_probe_context(loop, co);
    CHECK(client != NULL);

    probe(loop, server, client, "a.test", "a.test", &ua);
    probe(loop, server, client, "B.TEST", "b.test", &ub);
    probe(loop, server, client, "x.wild.test", "*.wild.test", &uw);
    CHECK_EQ(server_name_calls, 0);
    probe(loop, server, client, "dyn.test", "dyn.test", &ud); /* added by the callback, used at once */
    CHECK_EQ(server_name_calls, 1);
    probe(loop, server, client, "dyn.test", "dyn.test", &ud);
    CHECK_EQ(server_name_calls, 1);
    CHECK(us_socket_context_find_server_name_userdata(1, server, "dyn.test") == &ud);
    probe(loop, server, client, "none.test", "localhost", NULL);
    probe(loop, server, client, "deep.x.wild.test", "localhost", NULL); /* one label only */
    CHECK_EQ(server_name_calls, 3);
    probe(loop, server, client, NULL, "localhost", NULL);

    us_socket_context_remove_server_name(1, server, "b.test");
    CHECK(us_socket_context_find_server_name_userdata(1, server, "b.test") == NULL);
    probe(loop, server, client, "b.test", "localhost", NULL);
    CHECK(us_socket_context_find_server_name_userdata(1, server, "a.test") == &ua);

    us_socket_context_free(1, client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_sni");
    return 0;
}
