/*
 * tls-cost.c: user-space instructions OpenSSL spends on the server side of one full TLS 1.3 handshake, and on the
 * crypto inside it, without sockets, the JVM or the loop (perf_event_open counts this thread's user instructions
 * around the server's OpenSSL calls only; the client's work is not counted).
 *
 * Build: gcc -O2 -o target/bench-tools/tls-cost bench/tls-cost.c -lssl -lcrypto
 * Run:   target/bench-tools/tls-cost CERT KEY [HANDSHAKES [CA_FILE]]   (the bench's pair: target/bench-certs; with
 *        CA_FILE as the verify store, as a context with a CA file has, OpenSSL's automatic chain finds issuers there)
 *
 * Prints per handshake: the whole server side as usockets4j sets it up (SSL_new .. SSL_free), with the chain built
 * per handshake (OpenSSL's default) or once, with the SSL object reused (SSL_clear), with one, two stateful or no
 * session tickets; per keep-alive request of the bench (SSL_read + SSL_write of one record each); and per operation
 * the crypto done through the same EVP calls libssl makes: X25519 key generation and derivation, ECDSA P-256
 * signature (SHA-256), once with fresh contexts each time (as libssl does) and once with reused contexts; one
 * HKDF-Expand-Label of the key schedule; SSL_new + SSL_free; BIO_new + BIO_free of a custom method.
 */
#include <linux/perf_event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int counter_fd = -1;

static void counter_open(void) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_HARDWARE;
    a.size = sizeof(a);
    a.config = PERF_COUNT_HW_INSTRUCTIONS;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    counter_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (counter_fd < 0) {
        perror("perf_event_open");
        exit(2);
    }
    ioctl(counter_fd, PERF_EVENT_IOC_RESET, 0);
}

static void counter_on(void) {
    ioctl(counter_fd, PERF_EVENT_IOC_ENABLE, 0);
}

static void counter_off(void) {
    ioctl(counter_fd, PERF_EVENT_IOC_DISABLE, 0);
}

/* Instructions counted so far, and resets the count. */
static uint64_t counter_take(void) {
    uint64_t n = 0;
    if (read(counter_fd, &n, sizeof(n)) != (ssize_t)sizeof(n)) {
        n = 0;
    }
    ioctl(counter_fd, PERF_EVENT_IOC_RESET, 0);
    return n;
}

static void die(const char *what) {
    fprintf(stderr, "%s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* Moves what one side wrote to the other side's input. */
static void shuttle(BIO *from, BIO *to) {
    char buf[16384];
    int n;
    while ((n = BIO_read(from, buf, sizeof(buf))) > 0) {
        BIO_write(to, buf, n);
    }
}

enum { CHAIN_ONCE = 1, REUSE = 2, REQUESTS = 4, STATEFUL = 8 };

/* What one keep-alive request of the bench costs the server after the handshake: SSL_read of wrk's request record,
 * SSL_write of the 43-byte reply (one record), averaged over n. */
static double requests(SSL *s, SSL *c, BIO *s_in, BIO *s_out, BIO *c_in, BIO *c_out, int n) {
    static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    char buf[4096];
    counter_take();
    for (int i = 0; i < n; i++) {
        SSL_write(c, request, (int)sizeof(request) - 1);
        BIO *from = c_out, *to = s_in;
        int k;
        while ((k = BIO_read(from, buf, sizeof(buf))) > 0) {
            BIO_write(to, buf, k);
        }
        counter_on();
        SSL_read(s, buf, sizeof(buf));
        SSL_write(s, reply, (int)sizeof(reply) - 1);
        counter_off();
        while ((k = BIO_read(s_out, buf, sizeof(buf))) > 0) {
            BIO_write(c_in, buf, k);
        }
        SSL_read(c, buf, sizeof(buf));
    }
    return (double)counter_take() / n;
}

static double per_request;

/* Average server-side instructions of one handshake over n, with num_tickets tickets. */
static const char *ca_file; /* optional: the verify store, where OpenSSL's automatic chain finds the issuers */

static double handshakes(const char *cert, const char *key, int n, int tickets, int flags) {
    SSL_CTX *sc = SSL_CTX_new(TLS_method());
    SSL_CTX *cc = SSL_CTX_new(TLS_client_method());
    if (!sc || !cc) {
        die("SSL_CTX_new");
    }
    SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION);
    SSL_CTX_set_mode(sc, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(sc, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"tls-cost", 8);
    if (SSL_CTX_use_certificate_chain_file(sc, cert) != 1 || SSL_CTX_use_PrivateKey_file(sc, key, SSL_FILETYPE_PEM) != 1) {
        die("loading the certificate");
    }
    if (ca_file && SSL_CTX_load_verify_locations(sc, ca_file, NULL) != 1) {
        die("loading the CA file");
    }
    if (flags & CHAIN_ONCE) {
        /* as usockets does: the same chain as OpenSSL's automatic one, built once */
        SSL_CTX_build_cert_chain(sc, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
    }
    SSL_CTX_set_num_tickets(sc, (size_t)tickets);
    if (flags & STATEFUL) {
        SSL_CTX_set_options(sc, SSL_OP_NO_TICKET); /* TLS 1.3 tickets then name a session kept in the server's cache */
    }
    uint64_t total = 0;
    SSL *s = NULL;
    for (int i = 0; i < n; i++) {
        SSL *c = SSL_new(cc);
        BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
        BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
        SSL_set_bio(c, c_in, c_out);
        SSL_set_connect_state(c);
        counter_on();
        if (!s || !(flags & REUSE)) {
            s = SSL_new(sc);
        } else {
            SSL_clear(s);
        }
        counter_off();
        BIO_up_ref(s_in);
        BIO_up_ref(s_out);
        SSL_set_bio(s, s_in, s_out);
        counter_on();
        SSL_set_accept_state(s);
        counter_off();
        int done = 0;
        for (int round = 0; round < 8 && !done; round++) {
            SSL_do_handshake(c);
            shuttle(c_out, s_in);
            char b[64];
            counter_on();
            int r = SSL_read(s, b, sizeof(b)); /* runs the handshake, then (after the client's Finished) the tickets */
            counter_off();
            (void)r;
            shuttle(s_out, c_in);
            done = !SSL_in_init(s) && !SSL_in_init(c) && round > 1;
        }
        if (SSL_in_init(s)) {
            die("handshake");
        }
        if ((flags & REQUESTS) && i == n - 1) {
            counter_take(); /* this run only measures the requests */
            per_request = requests(s, c, s_in, s_out, c_in, c_out, 100000);
        }
        counter_on();
        if (!(flags & REUSE)) {
            SSL_free(s);
            s = NULL;
        }
        counter_off();
        if (flags & REUSE) {
            SSL_set_bio(s, NULL, NULL);
        }
        BIO_free(s_in);
        BIO_free(s_out);
        SSL_free(c);
        ERR_clear_error();
        uint64_t one = counter_take();
        if (i >= n / 10) {
            total += one; /* the first tenth warms up */
        }
    }
    if (s) {
        SSL_free(s);
    }
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
    return (double)total / (n - n / 10);
}

/* X25519 key generation as libssl does it (a fresh EVP_PKEY_CTX from the group's name each time), or reusing one. */
static double x25519_keygen(int n, int reuse) {
    EVP_PKEY_CTX *kept = reuse ? EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL) : NULL;
    if (kept) {
        EVP_PKEY_keygen_init(kept);
    }
    counter_take();
    for (int i = 0; i < n; i++) {
        EVP_PKEY *k = NULL;
        counter_on();
        EVP_PKEY_CTX *ctx = kept ? kept : EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
        if (!kept) {
            EVP_PKEY_keygen_init(ctx);
        }
        EVP_PKEY_keygen(ctx, &k);
        if (!kept) {
            EVP_PKEY_CTX_free(ctx);
        }
        EVP_PKEY_free(k);
        counter_off();
    }
    EVP_PKEY_CTX_free(kept);
    return (double)counter_take() / n;
}

static EVP_PKEY *x25519_new(void) {
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_keygen(ctx, &k);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

/* X25519 shared secret: a fresh derive context each time (libssl), or one kept with its peer set. */
static double x25519_derive(int n, int reuse) {
    EVP_PKEY *mine = x25519_new(), *peer = x25519_new();
    unsigned char secret[32];
    EVP_PKEY_CTX *kept = NULL;
    if (reuse) {
        kept = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
        EVP_PKEY_derive_init(kept);
        EVP_PKEY_derive_set_peer(kept, peer);
    }
    counter_take();
    for (int i = 0; i < n; i++) {
        size_t length = sizeof(secret);
        counter_on();
        EVP_PKEY_CTX *ctx = kept;
        if (!kept) {
            ctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
            EVP_PKEY_derive_init(ctx);
            EVP_PKEY_derive_set_peer(ctx, peer);
        }
        EVP_PKEY_derive(ctx, secret, &length);
        if (!kept) {
            EVP_PKEY_CTX_free(ctx);
        }
        counter_off();
    }
    EVP_PKEY_CTX_free(kept);
    EVP_PKEY_free(mine);
    EVP_PKEY_free(peer);
    return (double)counter_take() / n;
}

/* ECDSA signature over a 130-byte CertificateVerify input with SHA-256: EVP_DigestSign* with a fresh context each
 * time (libssl), or a kept EVP_PKEY_CTX-free path: the digest computed once and EVP_PKEY_sign on a kept context. */
static double ecdsa_sign(const char *key_file, int n, int reuse) {
    FILE *f = fopen(key_file, "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    if (!key) {
        die("reading the key");
    }
    unsigned char tbs[130], sig[256], digest[32];
    memset(tbs, 0x20, sizeof(tbs));
    EVP_PKEY_CTX *kept = NULL;
    if (reuse) {
        kept = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        EVP_PKEY_sign_init(kept);
        EVP_PKEY_CTX_set_signature_md(kept, EVP_sha256());
        EVP_Digest(tbs, sizeof(tbs), digest, NULL, EVP_sha256(), NULL);
    }
    counter_take();
    for (int i = 0; i < n; i++) {
        size_t length = sizeof(sig);
        counter_on();
        if (kept) {
            EVP_PKEY_sign(kept, sig, &length, digest, sizeof(digest));
        } else {
            EVP_MD_CTX *md = EVP_MD_CTX_new();
            EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL);
            EVP_DigestSign(md, sig, &length, tbs, sizeof(tbs));
            EVP_MD_CTX_free(md);
        }
        counter_off();
    }
    EVP_PKEY_CTX_free(kept);
    EVP_PKEY_free(key);
    return (double)counter_take() / n;
}

/* One HKDF-Expand-Label of the TLS 1.3 key schedule as libssl 3.0 makes it: the TLS13-KDF fetched, a context made,
 * its parameters set, one derivation, all freed, every time (a full handshake makes about twenty). */
static double hkdf_expand_label(int n) {
    unsigned char secret[32], out[32];
    memset(secret, 7, sizeof(secret));
    counter_take();
    for (int i = 0; i < n; i++) {
        counter_on();
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
        EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
        EVP_KDF_free(kdf);
        int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
        OSSL_PARAM params[6], *p = params;
        *p++ = OSSL_PARAM_construct_int("mode", &mode);
        *p++ = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
        *p++ = OSSL_PARAM_construct_octet_string("key", secret, sizeof(secret));
        *p++ = OSSL_PARAM_construct_octet_string("prefix", "tls13 ", 6);
        *p++ = OSSL_PARAM_construct_octet_string("label", "key", 3);
        *p = OSSL_PARAM_construct_end();
        EVP_KDF_derive(kctx, out, 16, params);
        EVP_KDF_CTX_free(kctx);
        counter_off();
    }
    return (double)counter_take() / n;
}

/* SSL_new and SSL_free of a server SSL on a context with a certificate. */
static double ssl_new_free(const char *cert, const char *key, int n) {
    SSL_CTX *sc = SSL_CTX_new(TLS_method());
    if (!sc || SSL_CTX_use_certificate_chain_file(sc, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(sc, key, SSL_FILETYPE_PEM) != 1) {
        die("loading the certificate");
    }
    counter_take();
    for (int i = 0; i < n; i++) {
        counter_on();
        SSL_free(SSL_new(sc));
        counter_off();
    }
    SSL_CTX_free(sc);
    return (double)counter_take() / n;
}

static int nop_bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

/* BIO_new + BIO_free of a custom BIO method (usockets makes one such BIO per connection). */
static double bio_new_free(int n) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tls-cost");
    BIO_meth_set_create(m, nop_bio_create);
    counter_take();
    for (int i = 0; i < n; i++) {
        counter_on();
        BIO_free(BIO_new(m));
        counter_off();
    }
    BIO_meth_free(m);
    return (double)counter_take() / n;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s CERT KEY [HANDSHAKES [CA_FILE]]\n", argv[0]);
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 2000;
    ca_file = argc > 4 ? argv[4] : NULL;
    counter_open();
    printf("%s, %d handshakes; user instructions of the server side per handshake:\n", OpenSSL_version(OPENSSL_VERSION),
           n);
    printf("  full handshake, 2 tickets, chain built per handshake (before) %10.0f\n", handshakes(argv[1], argv[2], n, 2, 0));
    printf("  full handshake, 2 tickets, chain built once                   %10.0f\n",
           handshakes(argv[1], argv[2], n, 2, CHAIN_ONCE));
    printf("  same, SSL object reused (SSL_clear)                           %10.0f\n",
           handshakes(argv[1], argv[2], n, 2, CHAIN_ONCE | REUSE));
    handshakes(argv[1], argv[2], 20, 2, REQUESTS);
    printf("  (after a handshake: one keep-alive request, SSL_read + SSL_write %10.0f)\n", per_request);
    printf("  full handshake, 1 ticket, chain built once                    %10.0f\n",
           handshakes(argv[1], argv[2], n, 1, CHAIN_ONCE));
    printf("  full handshake, 2 stateful tickets (SSL_OP_NO_TICKET)        %10.0f\n",
           handshakes(argv[1], argv[2], n, 2, CHAIN_ONCE | STATEFUL));
    printf("  full handshake, no ticket, chain built once                   %10.0f\n",
           handshakes(argv[1], argv[2], n, 0, CHAIN_ONCE));
    printf("crypto per operation (as libssl calls it / contexts reused):\n");
    printf("  X25519 key generation                 %10.0f / %10.0f\n", x25519_keygen(n, 0), x25519_keygen(n, 1));
    printf("  X25519 derivation                     %10.0f / %10.0f\n", x25519_derive(n, 0), x25519_derive(n, 1));
    printf("  ECDSA P-256 signature (SHA-256)       %10.0f / %10.0f\n", ecdsa_sign(argv[2], n, 0), ecdsa_sign(argv[2], n, 1));
    printf("  HKDF-Expand-Label (TLS13-KDF)         %10.0f\n", hkdf_expand_label(n));
    printf("  SSL_new + SSL_free                    %10.0f\n", ssl_new_free(argv[1], argv[2], n));
    printf("  BIO_new + BIO_free (custom method)    %10.0f\n", bio_new_free(n));
    return 0;
}
