/*
 * tls_util.h: helpers of the TLS tests. Generates, with the OpenSSL API, everything the tests need
 * into a fresh temporary directory: a CA, a server certificate for localhost / 127.0.0.1 / ::1, a
 * client certificate, certificates for SNI names, a second CA with its own server and client
 * certificates, an encrypted copy of the server key and DH parameters. Also a tiny buffered sender
 * (what every user of the raw write API writes) and the tests' shared assertions.
 */
#ifndef US_TLS_UTIL_H
#define US_TLS_UTIL_H

#include "libusockets.h"
#include "test_util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TLS_PASSPHRASE "correct horse"

/* Paths of the generated material. */
struct tls_files {
    char dir[64];
    char ca[128], ca_key[128];
    char server_cert[128], server_key[128], server_key_enc[128];
    char client_cert[128], client_key[128];
    char other_ca[128];
    char other_client_cert[128], other_client_key[128];
    char wrong_name_cert[128], wrong_name_key[128]; /* signed by ca, for "other.test" only */
    char dh[128];
};

static inline void tls_path(char *out, const char *dir, const char *name) {
    snprintf(out, 128, "%s/%s", dir, name);
}

static inline EVP_PKEY *tls_gen_key(void) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    CHECK(key != NULL);
    return key;
}

static inline void tls_add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    CHECK(ext != NULL);
    CHECK(X509_add_ext(cert, ext, -1) == 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, signed by issuer (NULL: self-signed CA); san like "DNS:localhost,IP:127.0.0.1". */
static inline X509 *tls_make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *san) {
    static long serial = 1;
    X509 *cert = X509_new();
    CHECK(cert != NULL);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++ + (long)getpid() * 1000);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 30);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"usockets4j tests", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509 *signer = issuer ? issuer : cert;
    if (!issuer) {
        tls_add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        tls_add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        tls_add_ext(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
        tls_add_ext(cert, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    tls_add_ext(cert, signer, NID_subject_key_identifier, "hash");
    if (san) {
        tls_add_ext(cert, signer, NID_subject_alt_name, san);
    }
    CHECK(X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()) > 0);
    return cert;
}

static inline void tls_write_cert(const char *path, X509 *cert) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(PEM_write_X509(f, cert) == 1);
    fclose(f);
}

static inline void tls_write_key(const char *path, EVP_PKEY *key, const char *passphrase) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (passphrase) {
        CHECK(PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)passphrase) == 1);
    } else {
        CHECK(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
    }
    fclose(f);
}

/* A leaf certificate and key for cn signed by ca, written to <dir>/<file>.pem and .key (paths out, may be NULL). */
static inline void tls_make_leaf(const char *dir, const char *file, const char *cn, const char *san, X509 *ca,
                                 EVP_PKEY *ca_key, char *cert_path, char *key_path) {
    char c[128], k[128], name[64];
    EVP_PKEY *key = tls_gen_key();
    X509 *cert = tls_make_cert(key, cn, ca, ca_key, san);
    snprintf(name, sizeof(name), "%s.pem", file);
    tls_path(c, dir, name);
    snprintf(name, sizeof(name), "%s.key", file);
    tls_path(k, dir, name);
    tls_write_cert(c, cert);
    tls_write_key(k, key, NULL);
    if (cert_path) {
        strcpy(cert_path, c);
    }
    if (key_path) {
        strcpy(key_path, k);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
}

/* Generates the whole set into a new temporary directory. */
static inline void tls_make_files(struct tls_files *f) {
    memset(f, 0, sizeof(*f));
    strcpy(f->dir, "/tmp/us_tls_XXXXXX");
    CHECK(mkdtemp(f->dir) != NULL);

    EVP_PKEY *ca_key = tls_gen_key();
    X509 *ca = tls_make_cert(ca_key, "usockets4j test CA", NULL, NULL, NULL);
    tls_path(f->ca, f->dir, "ca.pem");
    tls_path(f->ca_key, f->dir, "ca.key");
    tls_write_cert(f->ca, ca);
    tls_write_key(f->ca_key, ca_key, NULL);

    EVP_PKEY *server_key = tls_gen_key();
    X509 *server = tls_make_cert(server_key, "localhost", ca, ca_key, "DNS:localhost,IP:127.0.0.1,IP:::1");
    tls_path(f->server_cert, f->dir, "server.pem");
    tls_path(f->server_key, f->dir, "server.key");
    tls_path(f->server_key_enc, f->dir, "server_enc.key");
    tls_write_cert(f->server_cert, server);
    tls_write_key(f->server_key, server_key, NULL);
    tls_write_key(f->server_key_enc, server_key, TLS_PASSPHRASE);
    X509_free(server);
    EVP_PKEY_free(server_key);

    tls_make_leaf(f->dir, "client", "client", NULL, ca, ca_key, f->client_cert, f->client_key);
    tls_make_leaf(f->dir, "wrong_name", "other.test", "DNS:other.test", ca, ca_key, f->wrong_name_cert,
                  f->wrong_name_key);
    tls_make_leaf(f->dir, "a.test", "a.test", "DNS:a.test", ca, ca_key, NULL, NULL);
    tls_make_leaf(f->dir, "b.test", "b.test", "DNS:b.test", ca, ca_key, NULL, NULL);
    tls_make_leaf(f->dir, "wild.test", "*.wild.test", "DNS:*.wild.test", ca, ca_key, NULL, NULL);
    tls_make_leaf(f->dir, "dyn.test", "dyn.test", "DNS:dyn.test", ca, ca_key, NULL, NULL);

    EVP_PKEY *other_key = tls_gen_key();
    X509 *other = tls_make_cert(other_key, "another CA", NULL, NULL, NULL);
    tls_path(f->other_ca, f->dir, "other_ca.pem");
    tls_write_cert(f->other_ca, other);
    tls_make_leaf(f->dir, "other_client", "client", NULL, other, other_key, f->other_client_cert,
                  f->other_client_key);
    X509_free(other);
    EVP_PKEY_free(other_key);

    /* DH parameters: the RFC 7919 ffdhe2048 group (no slow generation) */
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *dh = NULL;
    CHECK(pctx != NULL);
    CHECK(EVP_PKEY_paramgen_init(pctx) == 1);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"ffdhe2048", 0),
                           OSSL_PARAM_construct_end()};
    CHECK(EVP_PKEY_CTX_set_params(pctx, params) == 1);
    CHECK(EVP_PKEY_paramgen(pctx, &dh) == 1);
    tls_path(f->dh, f->dir, "dh.pem");
    FILE *file = fopen(f->dh, "w");
    CHECK(file != NULL);
    BIO *bio = BIO_new_fp(file, BIO_NOCLOSE);
    CHECK(PEM_write_bio_Parameters(bio, dh) == 1);
    BIO_free(bio);
    fclose(file);
    EVP_PKEY_free(dh);
    EVP_PKEY_CTX_free(pctx);

    X509_free(ca);
    EVP_PKEY_free(ca_key);
}

/* Paths of an SNI name's pair generated by tls_make_files ("a.test", "b.test", "wild.test", "dyn.test"). */
static inline struct us_socket_context_options_t tls_sni_options(const struct tls_files *f, const char *file,
                                                                 char *cert, char *key) {
    struct us_socket_context_options_t o = {0};
    snprintf(cert, 128, "%s/%s.pem", f->dir, file);
    snprintf(key, 128, "%s/%s.key", f->dir, file);
    o.cert_file_name = cert;
    o.key_file_name = key;
    return o;
}

/* Removes the temporary directory and what is in it. */
static inline void tls_remove_files(struct tls_files *f) {
    DIR *d = opendir(f->dir);
    if (!d) {
        return;
    }
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(f->dir);
}

static inline struct us_socket_context_options_t tls_server_options(const struct tls_files *f) {
    struct us_socket_context_options_t o = {0};
    o.cert_file_name = f->server_cert;
    o.key_file_name = f->server_key;
    return o;
}

/* ---------------------------------------------------------------- a buffered sender */

/* Bytes a socket could not write yet; lives in the socket's ext. */
struct tls_outbox {
    char *data;
    size_t offset, length, capacity;
};

/* Writes what is queued; returns non-zero when nothing is left. */
static inline int tls_outbox_drain(int ssl, struct us_socket_t *s, struct tls_outbox *o) {
    while (o->offset < o->length) {
        size_t left = o->length - o->offset;
        int chunk = left > (1 << 20) ? (1 << 20) : (int)left;
        int written = us_socket_write(ssl, s, o->data + o->offset, chunk, 0);
        if (written <= 0) {
            return 0;
        }
        o->offset += (size_t)written;
        if (written < chunk) {
            return 0;
        }
    }
    o->offset = o->length = 0;
    return 1;
}

/* Queues data behind what waits and writes as much as goes now. */
static inline void tls_send(int ssl, struct us_socket_t *s, struct tls_outbox *o, const char *data, size_t length) {
    if (length == 0) {
        return;
    }
    if (o->length + length > o->capacity) {
        size_t capacity = o->capacity ? o->capacity : 4096;
        while (capacity < o->length + length) {
            capacity *= 2;
        }
        o->data = realloc(o->data, capacity);
        CHECK(o->data != NULL);
        o->capacity = capacity;
    }
    memcpy(o->data + o->length, data, length);
    o->length += length;
    tls_outbox_drain(ssl, s, o);
}

static inline void tls_outbox_free(struct tls_outbox *o) {
    free(o->data);
    memset(o, 0, sizeof(*o));
}

/* The port a listen socket got. */
static inline int tls_port(struct us_listen_socket_t *ls) {
    return us_socket_local_port(1, (struct us_socket_t *)ls);
}


/* ---------------------------------------------------------------- probes against an echo server */

/* One client connection's story: what it was told to do and what happened. */
struct tls_probe {
    const char *sni;         /* SNI to send instead of the connect host's (set in on_open), or NULL */
    const char *verify_host; /* host name to verify instead of the connect host, or NULL */
    int use_write2;          /* send with us_socket_write2 */
    int opened, closed, code, sent;
    char reason[256];
    char echoed[64];
    int echoed_length;
    char subject[256];       /* the server certificate's subject */
};

struct tls_probe_ext {
    struct tls_probe *probe;
};

/* What the echo server saw. */
struct tls_server_stats {
    int opened, clean_closes, error_closes, ended, data_calls;
    char last_reason[256];
    char last_subject[256]; /* the client certificate's subject, "" without one */
    void *last_sni_user;
};

static __attribute__((unused)) struct tls_server_stats tls_server;
static __attribute__((unused)) int tls_probes_pending;
static __attribute__((unused)) struct us_listen_socket_t *tls_listener;

/* A loop post callback: closes the listener once every probe finished, so us_loop_run returns. */
static inline void tls_post(struct us_loop_t *loop) {
    (void)loop;
    if (tls_listener && tls_probes_pending == 0) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
}

static inline struct us_socket_t *tls_server_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)ip;
    (void)n;
    CHECK(!is_client);
    memset(us_socket_ext(1, s), 0, sizeof(struct tls_outbox));
    tls_server.opened++;
    return s;
}

static inline struct us_socket_t *tls_server_on_data(struct us_socket_t *s, char *data, int length) {
    tls_server.data_calls++;
    if (us_socket_ssl_peer_subject(s, tls_server.last_subject, sizeof(tls_server.last_subject)) < 0) {
        tls_server.last_subject[0] = 0;
    }
    tls_server.last_sni_user = us_socket_server_name_userdata(1, s);
    tls_send(1, s, us_socket_ext(1, s), data, (size_t)length);
    return s;
}

static inline struct us_socket_t *tls_server_on_writable(struct us_socket_t *s) {
    tls_outbox_drain(1, s, us_socket_ext(1, s));
    return s;
}

static inline struct us_socket_t *tls_server_on_end(struct us_socket_t *s) {
    tls_server.ended++;
    return us_socket_close(1, s, 0, NULL);
}

static inline struct us_socket_t *tls_server_on_close(struct us_socket_t *s, int code, void *reason) {
    if (code == 0) {
        tls_server.clean_closes++;
    } else {
        tls_server.error_closes++;
        snprintf(tls_server.last_reason, sizeof(tls_server.last_reason), "%s",
                 code == LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR && reason ? (const char *)reason : "(none)");
    }
    tls_outbox_free(us_socket_ext(1, s));
    return s;
}

/* Makes ctx an echo server that keeps tls_server up to date. */
static inline void tls_echo_server(struct us_socket_context_t *ctx) {
    us_socket_context_on_open(1, ctx, tls_server_on_open);
    us_socket_context_on_data(1, ctx, tls_server_on_data);
    us_socket_context_on_writable(1, ctx, tls_server_on_writable);
    us_socket_context_on_end(1, ctx, tls_server_on_end);
    us_socket_context_on_close(1, ctx, tls_server_on_close);
}

static inline struct tls_probe *tls_probe_of(struct us_socket_t *s) {
    return ((struct tls_probe_ext *)us_socket_ext(1, s))->probe;
}

static inline void tls_probe_send(struct us_socket_t *s, struct tls_probe *p) {
    if (p->sent) {
        return;
    }
    int n = p->use_write2 ? us_socket_write2(1, s, "pi", 2, "ng", 2) : us_socket_write(1, s, "ping", 4, 0);
    if (n == 4) {
        p->sent = 1;
    }
}

static inline struct us_socket_t *tls_probe_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)ip;
    (void)n;
    CHECK(is_client);
    struct tls_probe *p = tls_probe_of(s);
    SSL *ssl = us_socket_get_native_handle(1, s);
    CHECK(ssl != NULL);
    p->opened = 1;
    if (p->sni) {
        CHECK(SSL_set_tlsext_host_name(ssl, p->sni) == 1);
    }
    if (p->verify_host) {
        CHECK(X509_VERIFY_PARAM_set1_ip(SSL_get0_param(ssl), NULL, 0) == 1); /* the connect host's IP check off */
        CHECK(SSL_set1_host(ssl, p->verify_host) == 1);
    }
    tls_probe_send(s, p); /* refused until the handshake is done: on_writable follows */
    CHECK(!p->sent);
    return s;
}

static inline struct us_socket_t *tls_probe_on_writable(struct us_socket_t *s) {
    tls_probe_send(s, tls_probe_of(s));
    return s;
}

static inline struct us_socket_t *tls_probe_on_data(struct us_socket_t *s, char *data, int length) {
    struct tls_probe *p = tls_probe_of(s);
    CHECK(p->echoed_length + length <= (int)sizeof(p->echoed));
    memcpy(p->echoed + p->echoed_length, data, (size_t)length);
    p->echoed_length += length;
    if (p->echoed_length >= 4) {
        CHECK(memcmp(p->echoed, "ping", 4) == 0);
        us_socket_ssl_peer_subject(s, p->subject, sizeof(p->subject));
        return us_socket_close(1, s, 0, NULL);
    }
    return s;
}

static inline struct us_socket_t *tls_probe_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

static inline struct us_socket_t *tls_probe_on_close(struct us_socket_t *s, int code, void *reason) {
    struct tls_probe *p = tls_probe_of(s);
    CHECK(!p->closed);
    p->closed = 1;
    p->code = code;
    snprintf(p->reason, sizeof(p->reason), "%s",
             code == LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR && reason ? (const char *)reason : "");
    tls_probes_pending--;
    return s;
}

static inline struct us_socket_t *tls_probe_on_connect_error(struct us_socket_t *s, int code) {
    fprintf(stderr, "probe: connect error %d\n", code);
    exit(1);
    return s;
}

/* A client context of probes, or NULL when options do not load. */
static inline struct us_socket_context_t *tls_probe_context(struct us_loop_t *loop,
                                                            struct us_socket_context_options_t options) {
    struct us_socket_context_t *ctx = us_create_socket_context(1, loop, 0, options);
    if (!ctx) {
        return NULL;
    }
    us_socket_context_on_open(1, ctx, tls_probe_on_open);
    us_socket_context_on_data(1, ctx, tls_probe_on_data);
    us_socket_context_on_writable(1, ctx, tls_probe_on_writable);
    us_socket_context_on_end(1, ctx, tls_probe_on_end);
    us_socket_context_on_close(1, ctx, tls_probe_on_close);
    us_socket_context_on_connect_error(1, ctx, tls_probe_on_connect_error);
    return ctx;
}

/* Listens with server (an echo server), runs n probes of client against host, and returns when all are closed. */
static inline void tls_run_probes(struct us_loop_t *loop, struct us_socket_context_t *server,
                                  struct us_socket_context_t *client, const char *host, struct tls_probe *probes,
                                  int n) {
    tls_listener = us_socket_context_listen(1, server, NULL, 0, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    int port = tls_port(tls_listener);
    for (int i = 0; i < n; i++) {
        struct us_socket_t *s = us_socket_context_connect(1, client, host, port, NULL, 0, sizeof(struct tls_probe_ext));
        CHECK(s != NULL);
        ((struct tls_probe_ext *)us_socket_ext(1, s))->probe = &probes[i];
        tls_probes_pending++;
    }
    us_loop_run(loop);
    CHECK_EQ(tls_probes_pending, 0);
}

/* Non-zero when the probe was served: the echo came back and the close was clean. */
static inline int tls_probe_served(const struct tls_probe *p) {
    return p->closed && p->code == 0 && p->echoed_length == 4;
}

#endif
