/*
 * openssl.c: TLS over the plain socket layer, with OpenSSL 3.
 *
 * A TLS context is a us_internal_ssl_socket_context_t: its first member is a plain context whose
 * callbacks are this file's; the user's callbacks live beside it, the user's ext after it. A TLS
 * socket is a us_internal_ssl_socket_t whose first member is the plain socket; the user's ext
 * follows it. Each SSL has one custom BIO: reads come from the ciphertext the plain on_data is
 * handing over (no copy, nothing kept per socket), writes are staged in a per-loop buffer and sent
 * through us_socket_write(0, ...) after each OpenSSL call; whatever the kernel does not take is kept
 * per socket (at most one write batch) and sent on the plain on_writable. Handshakes never block,
 * and handshaking sockets are rationed by the core's low-priority queue (is_low_prio).
 */
#ifndef LIBUS_NO_SSL

#include "internal.h"
#include "sni.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plaintext encrypted per SSL_write call: at most this much ciphertext waits per blocked socket. */
#define US_SSL_WRITE_BATCH (64 * 1024)
/* The close code of a socket closed because of a TLS failure (its reason is a C string). */
#define US_SSL_CLOSE_CODE LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR

/* us_internal_ssl_socket_t.flags */
enum {
    US_SSL_WANTS_WRITABLE = 1, /* a write was refused or cut short: on_writable is owed */
    US_SSL_END_SIGNALED = 2,   /* the user's on_end was called (close_notify or FIN) */
    US_SSL_SHUT = 4,           /* us_socket_shutdown was called */
    US_SSL_FIN_PENDING = 8     /* send FIN once the pending ciphertext is out */
};

struct us_internal_ssl_loop_data_t {
    char *recv_buf;                          /* decrypted data for on_data (with padding), lazily allocated */
    const char *in;                          /* ciphertext being fed to in_owner's SSL */
    int in_length;
    struct us_internal_ssl_socket_t *in_owner;
    char *out;                               /* ciphertext produced by the current OpenSSL call */
    int out_length, out_capacity;
    struct us_internal_ssl_socket_t *out_owner; /* whose ciphertext is staged in out */
    char reason[256];                        /* the reason handed to on_close for TLS failures */
};

struct us_internal_ssl_socket_context_t {
    struct us_socket_context_t sc;
    SSL_CTX *ssl_ctx;
    struct us_internal_ssl_socket_context_t *root; /* the context owning the SNI table (itself unless a child) */
    struct us_internal_sni_t *sni;                 /* pattern -> struct us_internal_ssl_sni_entry_t * */
    int is_child;
    void (*on_server_name)(struct us_socket_context_t *, const char *);
    struct us_socket_t *(*on_open)(struct us_socket_t *, int, char *, int);
    struct us_socket_t *(*on_data)(struct us_socket_t *, char *, int);
    struct us_socket_t *(*on_writable)(struct us_socket_t *);
    struct us_socket_t *(*on_close)(struct us_socket_t *, int, void *);
    struct us_socket_t *(*on_timeout)(struct us_socket_t *);
    struct us_socket_t *(*on_long_timeout)(struct us_socket_t *);
    struct us_socket_t *(*on_end)(struct us_socket_t *);
    struct us_socket_t *(*on_connect_error)(struct us_socket_t *, int);
};

struct us_internal_ssl_socket_t {
    struct us_socket_t s;
    SSL *ssl;                 /* NULL until the plain socket opened */
    char *pending;            /* ciphertext the kernel did not take yet */
    int pending_offset, pending_length;
    void *sni_user;           /* user pointer of the server name the handshake matched */
    unsigned short host_length; /* client: bytes (with NUL) of the host kept at the end of the ext, until open */
    unsigned char flags;      /* US_SSL_* */
};

struct us_internal_ssl_sni_entry_t {
    SSL_CTX *ssl_ctx;
    void *user;
};

/* The reason of this thread's last context creation failure. */
static _Thread_local char us_ssl_last_error[256];

/* ------------------------------------------------------------------ sizes and casts */

static int ssl_socket_plain_ext(int ext_size) {
    return (int)(US_ALIGN_UP(sizeof(struct us_internal_ssl_socket_t)) - sizeof(struct us_socket_t)) + ext_size;
}

static int ssl_context_plain_ext(int ext_size) {
    return (int)(US_ALIGN_UP(sizeof(struct us_internal_ssl_socket_context_t)) - sizeof(struct us_socket_context_t)) +
           ext_size;
}

static struct us_internal_ssl_socket_context_t *ssl_ctx_of(struct us_internal_ssl_socket_t *s) {
    return (struct us_internal_ssl_socket_context_t *)s->s.context;
}

static struct us_internal_ssl_loop_data_t *ssl_loop_data(struct us_loop_t *loop) {
    if (!loop->data.ssl_data) {
        us_internal_init_loop_ssl_data(loop);
    }
    return loop->data.ssl_data;
}

static struct us_internal_ssl_loop_data_t *ssl_socket_loop_data(struct us_internal_ssl_socket_t *s) {
    return ssl_loop_data(s->s.context->loop);
}

/* ------------------------------------------------------------------ errors */

/*
 * Formats the oldest error of OpenSSL's queue (what went wrong first), or with newest the latest one, into buf and
 * clears the queue. The latest is for a call made without emptying the queue first, whose older entries may be
 * another caller's.
 */
static void ssl_take_error_at(char *buf, size_t size, const char *prefix, const char *fallback, int newest) {
    unsigned long e = newest ? ERR_peek_last_error() : ERR_peek_error();
    char reason[200];
    const char *text = NULL;
    if (e) {
        if (ERR_SYSTEM_ERROR(e)) {
            text = strerror(ERR_GET_REASON(e));
        } else {
            text = ERR_reason_error_string(e);
        }
        if (!text) {
            ERR_error_string_n(e, reason, sizeof(reason));
            text = reason;
        }
    }
    if (!text) {
        text = fallback;
    }
    if (prefix) {
        snprintf(buf, size, "%s: %s", prefix, text);
    } else {
        snprintf(buf, size, "%s", text);
    }
    ERR_clear_error();
}

static void ssl_take_error(char *buf, size_t size, const char *prefix, const char *fallback) {
    ssl_take_error_at(buf, size, prefix, fallback, 0);
}

/*
 * Empties this thread's error queue before an OpenSSL call, so that SSL_get_error judges that call alone. The queue is
 * nearly always empty there; peeking is cheaper than ERR_clear_error, which rewrites all of its slots (measured:
 * ERR_clear_error was 5% of the user instructions of an HTTPS keep-alive request), but even ERR_peek_error looks up
 * the thread's error state in OpenSSL 3.0 (~210 instructions): the established data path does without (see
 * ssl_on_data), handshakes keep it.
 */
static void ssl_clear_errors(void) {
    if (ERR_peek_error()) {
        ERR_clear_error();
    }
}

static void ssl_set_last_error(const char *prefix, const char *fallback) {
    ssl_take_error(us_ssl_last_error, sizeof(us_ssl_last_error), prefix, fallback);
}

/* Non-zero when a PEM file holds an encrypted private key (PKCS#8 or a legacy Proc-Type header). */
static int ssl_pem_is_encrypted(const char *file) {
    char head[8192];
    FILE *f = fopen(file, "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    head[n] = 0;
    return strstr(head, "ENCRYPTED") != NULL;
}

/*
 * Why a private key did not load. For an encrypted key the cause is the passphrase, whatever OpenSSL says: with a
 * wrong one, decryption usually fails its padding check ("bad decrypt"), but about once in 256 tries the garbage
 * passes it and OpenSSL reports a decoding failure instead ("unsupported"), so its words go in parentheses only.
 */
static void ssl_set_key_error(const char *file) {
    if (!ssl_pem_is_encrypted(file)) {
        ssl_set_last_error(file, "cannot load the private key");
        return;
    }
    char openssl_reason[200];
    ssl_take_error(openssl_reason, sizeof(openssl_reason), NULL, "cannot decrypt the key");
    snprintf(us_ssl_last_error, sizeof(us_ssl_last_error), "%s: wrong or missing passphrase (OpenSSL: %s)", file,
             openssl_reason);
}

/* Copies the reason of this thread's last TLS context creation failure into buf; returns its length (0: none). */
int us_ssl_last_error_string(char *buf, int length) {
    int n = (int)strlen(us_ssl_last_error);
    if (buf && length > 0) {
        int copy = n < length - 1 ? n : length - 1;
        memcpy(buf, us_ssl_last_error, (size_t)copy);
        buf[copy] = 0;
    }
    return n;
}

/* ------------------------------------------------------------------ the BIO */

static int ssl_bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static int ssl_bio_destroy(BIO *bio) {
    BIO_set_data(bio, NULL);
    return 1;
}

static void ssl_flush(struct us_internal_ssl_socket_t *s, int msg_more);

static int ssl_bio_write(BIO *bio, const char *data, int length) {
    struct us_internal_ssl_socket_t *s = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (!s || length <= 0) {
        return 0;
    }
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
    if (ld->out_length && ld->out_owner != s) {
        ssl_flush(ld->out_owner, 0); /* another socket's output, staged when a callback wrote to this one */
    }
    ld->out_owner = s;
    if (ld->out_length + length > ld->out_capacity) {
        int capacity = ld->out_capacity ? ld->out_capacity : 16384;
        while (capacity < ld->out_length + length) {
            capacity *= 2;
        }
        char *out = realloc(ld->out, (size_t)capacity);
        if (!out) {
            return -1;
        }
        ld->out = out;
        ld->out_capacity = capacity;
    }
    memcpy(ld->out + ld->out_length, data, (size_t)length);
    ld->out_length += length;
    return length;
}

static int ssl_bio_read(BIO *bio, char *data, int length) {
    struct us_internal_ssl_socket_t *s = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (!s) {
        return 0;
    }
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
    if (ld->in_owner != s || ld->in_length <= 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    int n = length < ld->in_length ? length : ld->in_length;
    memcpy(data, ld->in, (size_t)n);
    ld->in += n;
    ld->in_length -= n;
    return n;
}

static long ssl_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)bio;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* One BIO method for the process: OpenSSL has few BIO type indexes, so not one per loop. */
static BIO_METHOD *us_ssl_bio_method;
static pthread_once_t us_ssl_bio_once = PTHREAD_ONCE_INIT;

static void ssl_bio_method_init(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "usockets");
    if (m) {
        BIO_meth_set_create(m, ssl_bio_create);
        BIO_meth_set_destroy(m, ssl_bio_destroy);
        BIO_meth_set_write(m, ssl_bio_write);
        BIO_meth_set_read(m, ssl_bio_read);
        BIO_meth_set_ctrl(m, ssl_bio_ctrl);
    }
    ERR_clear_error();
    us_ssl_bio_method = m;
}

/* ------------------------------------------------------------------ per-loop data */

/* Gives the loop its TLS state (also done lazily on first use). */
void us_internal_init_loop_ssl_data(struct us_loop_t *loop) {
    if (loop->data.ssl_data) {
        return;
    }
    pthread_once(&us_ssl_bio_once, ssl_bio_method_init);
    loop->data.ssl_data = calloc(1, sizeof(struct us_internal_ssl_loop_data_t));
}

/* Frees the loop's TLS state; its TLS sockets must be closed. */
void us_internal_free_loop_ssl_data(struct us_loop_t *loop) {
    struct us_internal_ssl_loop_data_t *ld = loop->data.ssl_data;
    if (!ld) {
        return;
    }
    free(ld->recv_buf);
    free(ld->out);
    free(ld);
    loop->data.ssl_data = NULL;
}

/* ------------------------------------------------------------------ sending ciphertext */

/* Sends what is pending; returns non-zero when nothing is left. */
static int ssl_send_pending(struct us_internal_ssl_socket_t *s) {
    if (!s->pending_length) {
        return 1;
    }
    int written = us_socket_write(0, &s->s, s->pending + s->pending_offset, s->pending_length, 0);
    if (written > 0) {
        s->pending_offset += written;
        s->pending_length -= written;
    }
    if (!s->pending_length) {
        free(s->pending);
        s->pending = NULL;
        s->pending_offset = 0;
        return 1;
    }
    return 0;
}

/* Keeps length bytes of ciphertext after what is already pending. */
static void ssl_keep(struct us_internal_ssl_socket_t *s, const char *data, int length) {
    char *p;
    if (s->pending_length && s->pending_offset) {
        memmove(s->pending, s->pending + s->pending_offset, (size_t)s->pending_length);
        s->pending_offset = 0;
    }
    p = realloc(s->pending, (size_t)s->pending_length + (size_t)length);
    if (!p) {
        return; /* out of memory: the stream is broken; the peer will fail on it */
    }
    memcpy(p + s->pending_length, data, (size_t)length);
    s->pending = p;
    s->pending_length += length;
}

/* Sends the ciphertext the last OpenSSL call produced, behind anything pending; keeps what the kernel refuses. */
static void ssl_flush(struct us_internal_ssl_socket_t *s, int msg_more) {
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
    if (!ld->out_length || ld->out_owner != s) {
        return;
    }
    int length = ld->out_length;
    ld->out_length = 0;
    ld->out_owner = NULL;
    if (us_socket_is_closed(0, &s->s)) {
        return;
    }
    if (s->pending_length) {
        ssl_keep(s, ld->out, length);
        ssl_send_pending(s);
        return;
    }
    int written = us_socket_write(0, &s->s, ld->out, length, msg_more);
    if (written < 0) {
        written = 0;
    }
    if (written < length) {
        ssl_keep(s, ld->out + written, length - written);
    }
}

/* ------------------------------------------------------------------ closing */

/* Closes s because of a TLS failure; on_close gets US_SSL_CLOSE_CODE and the reason string (newest: see
 * ssl_take_error_at). */
static struct us_socket_t *ssl_fail_at(struct us_internal_ssl_socket_t *s, const char *fallback, int newest) {
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
    char *reason = ld->reason;
    long verify = s->ssl ? SSL_get_verify_result(s->ssl) : X509_V_OK;
    ssl_take_error_at(reason, sizeof(ld->reason), NULL, fallback, newest);
    if (verify != X509_V_OK) {
        size_t used = strlen(reason);
        snprintf(reason + used, sizeof(ld->reason) - used, ": %s", X509_verify_cert_error_string(verify));
    }
    ssl_flush(s, 0); /* an alert, if OpenSSL produced one */
    return us_internal_socket_close(&s->s, US_SSL_CLOSE_CODE, reason);
}

static struct us_socket_t *ssl_fail(struct us_internal_ssl_socket_t *s, const char *fallback) {
    return ssl_fail_at(s, fallback, 0);
}

/* Handles an OpenSSL call that returned r <= 0: 0 to go on (would block), or -1 after closing s. */
static int ssl_check(struct us_internal_ssl_socket_t *s, int r, const char *fallback) {
    int err = SSL_get_error(s->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        return 0; /* said only with an empty error queue */
    }
    ssl_fail(s, fallback);
    return -1;
}

/* ------------------------------------------------------------------ the plain context's callbacks */

static SSL *ssl_new_for(struct us_internal_ssl_socket_t *s) {
    if (!ssl_socket_loop_data(s) || !us_ssl_bio_method) {
        return NULL;
    }
    ERR_clear_error();
    SSL *ssl = SSL_new(ssl_ctx_of(s)->ssl_ctx);
    if (!ssl) {
        ERR_clear_error();
        return NULL;
    }
    BIO *bio = BIO_new(us_ssl_bio_method);
    if (!bio) {
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_data(bio, s);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_app_data(ssl, s);
    SSL_set_read_ahead(ssl, 1);
    return ssl;
}

static int ssl_is_ip_literal(const char *host) {
    unsigned char addr[16];
    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static struct us_socket_t *ssl_on_open(struct us_socket_t *plain, int is_client, char *ip, int ip_length) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    if (!is_client) {
        s->pending = NULL;
        s->pending_offset = s->pending_length = 0;
        s->sni_user = NULL;
        s->host_length = 0;
        s->flags = 0;
    }
    s->ssl = ssl_new_for(s);
    if (!s->ssl) {
        return ssl_fail(s, "cannot create the TLS session");
    }
    if (is_client) {
        SSL_set_connect_state(s->ssl);
        if (s->host_length) {
            const char *host = (const char *)plain + sizeof(struct us_socket_t) + plain->ext_size - s->host_length;
            if (ssl_is_ip_literal(host)) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), host);
            } else {
                SSL_set_tlsext_host_name(s->ssl, host);
                SSL_set1_host(s->ssl, host);
            }
            ERR_clear_error();
            s->host_length = 0;
        }
    } else {
        SSL_set_accept_state(s->ssl);
    }
    if (ctx->on_open) {
        plain = ctx->on_open(plain, is_client, ip, ip_length);
        s = (struct us_internal_ssl_socket_t *)plain;
        if (us_socket_is_closed(0, plain)) {
            return plain;
        }
    }
    if (is_client && s->ssl && SSL_in_init(s->ssl)) {
        ERR_clear_error();
        int r = SSL_do_handshake(s->ssl);
        if (r <= 0 && ssl_check(s, r, "handshake failed") < 0) {
            return plain;
        }
        ssl_flush(s, 0);
    }
    return plain;
}

/* The peer sent close_notify: on_end once, or a clean close when we are done too. */
static struct us_socket_t *ssl_peer_closed(struct us_internal_ssl_socket_t *s) {
    if (s->flags & US_SSL_END_SIGNALED) {
        return &s->s;
    }
    if (s->flags & US_SSL_SHUT) {
        s->flags |= US_SSL_END_SIGNALED;
        /* both sides are done; what we still hold goes out first (on_writable closes then) */
        return s->pending_length ? &s->s : us_internal_socket_close(&s->s, 0, NULL);
    }
    s->flags |= US_SSL_END_SIGNALED;
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    return ctx->on_end ? ctx->on_end(&s->s) : us_internal_socket_close(&s->s, 0, NULL);
}

static struct us_socket_t *ssl_deliver(struct us_internal_ssl_socket_t *s, char *data, int length) {
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    if (!ctx->on_data) {
        return &s->s;
    }
    return ctx->on_data(&s->s, data, length);
}

/* Where decrypted data goes now (past the padding): the caller's area (us_loop_use_receive_buffers, which may move
 * it between deliveries), or the TLS layer's own; NULL when ours cannot be allocated. */
static char *ssl_recv_area(struct us_loop_t *loop, struct us_internal_ssl_loop_data_t *ld) {
    char *area = loop->data.tls_recv_buf;
    if (!area) {
        if (!ld->recv_buf) {
            ld->recv_buf = malloc(LIBUS_RECV_BUFFER_LENGTH + 2 * LIBUS_RECV_BUFFER_PADDING);
            if (!ld->recv_buf) {
                return NULL;
            }
        }
        area = ld->recv_buf;
    }
    return area + LIBUS_RECV_BUFFER_PADDING;
}

static struct us_socket_t *ssl_on_data(struct us_socket_t *plain, char *data, int length) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
    if (!s->ssl) {
        return plain;
    }
    char *buf = ssl_recv_area(plain->context->loop, ld);
    if (!buf) {
        return us_internal_socket_close(plain, US_SSL_CLOSE_CODE, "out of memory");
    }
    int used = 0;
    int was_in_init = SSL_in_init(s->ssl);
    int peer_closed = 0;

    ld->in = data;
    ld->in_length = length;
    ld->in_owner = s;
    for (;;) {
        int in_init = SSL_in_init(s->ssl);
        if (in_init) {
            ssl_clear_errors();
        }
        int r = SSL_read(s->ssl, buf + used, LIBUS_RECV_BUFFER_LENGTH - used);
        if (r > 0) {
            used += r;
            if (used == LIBUS_RECV_BUFFER_LENGTH) {
                ssl_flush(s, 0);
                plain = ssl_deliver(s, buf, used);
                s = (struct us_internal_ssl_socket_t *)plain;
                used = 0;
                if (us_socket_is_closed(0, plain)) {
                    goto done;
                }
                /* on_data may have moved the area (us_loop_use_receive_buffers): what it was given stays */
                buf = ssl_recv_area(plain->context->loop, ld);
            }
            /*
             * All ciphertext taken and nothing buffered (no record bytes, no decrypted rest): another SSL_read would
             * only find the BIO empty and say WANT_READ, so skip it (the common case: one request, one record).
             */
            if (!ld->in_length && !SSL_in_init(s->ssl) && !SSL_has_pending(s->ssl)) {
                break;
            }
            continue;
        }
        /* SSL_get_error says WANT_* or ZERO_RETURN only with an empty error queue: nothing to clear then */
        int err = SSL_get_error(s->ssl, r);
        if ((err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL) && !in_init && !SSL_in_init(s->ssl)) {
            /*
             * An established session's SSL_read runs without emptying the queue first (ERR_peek_error: ~210 of a
             * keep-alive request's ~16 k instructions). This layer leaves the queue empty after each of its calls, but
             * other code on this thread (a callback using OpenSSL) may not, and SSL_get_error then reports
             * SSL_ERROR_SSL (or _SYSCALL) for a session that is only waiting. A session that really failed is back
             * "in init": OpenSSL marks every fatal error so (ossl_statem_fatal). Not in init, the entries were someone
             * else's: judge the call again without them. In init, the failure's reason is the newest entry (the older
             * ones may be someone else's). tls_error_queue covers both.
             */
            ERR_clear_error();
            err = SSL_get_error(s->ssl, r);
        }
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            break;
        }
        if (err == SSL_ERROR_ZERO_RETURN) {
            peer_closed = 1;
            break;
        }
        /* a fatal error: hand over what was decrypted before it, then close */
        if (used) {
            char reason[sizeof(ld->reason)];
            ssl_take_error_at(reason, sizeof(reason), NULL, "TLS read failed", !in_init);
            ld->in_owner = NULL;
            ssl_flush(s, 0); /* the alert goes now: the staging buffer is shared by the loop's sockets */
            plain = ssl_deliver(s, buf, used);
            s = (struct us_internal_ssl_socket_t *)plain;
            if (us_socket_is_closed(0, plain)) {
                goto done;
            }
            memcpy(ld->reason, reason, sizeof(reason));
            plain = us_internal_socket_close(plain, US_SSL_CLOSE_CODE, ld->reason);
        } else {
            plain = ssl_fail_at(s, was_in_init ? "handshake failed" : "TLS read failed", !in_init);
        }
        goto done;
    }
    ld->in_owner = NULL;
    ld->in_length = 0;
    ssl_flush(s, 0);
    if (us_socket_is_closed(0, plain)) {
        goto done;
    }
    if (used) {
        plain = ssl_deliver(s, buf, used);
        s = (struct us_internal_ssl_socket_t *)plain;
        if (us_socket_is_closed(0, plain)) {
            goto done;
        }
    }
    if (peer_closed) {
        if (!(us_poll_events(&s->s.p) & LIBUS_SOCKET_READABLE)) {
            goto done; /* paused (us_socket_pause) by on_data: on_end waits for the FIN, read after resume */
        }
        plain = ssl_peer_closed(s);
        goto done;
    }
    if (was_in_init && s->ssl && !SSL_in_init(s->ssl) && (s->flags & US_SSL_WANTS_WRITABLE) && !s->pending_length) {
        /* the handshake just finished: writes refused while it ran may go now */
        s->flags &= (unsigned char)~US_SSL_WANTS_WRITABLE;
        struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
        if (ctx->on_writable) {
            plain = ctx->on_writable(plain);
        }
    }
done:
    ld->in_owner = NULL;
    ld->in_length = 0;
    return plain;
}

static struct us_socket_t *ssl_on_writable(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    if (!ssl_send_pending(s)) {
        return plain;
    }
    if (s->flags & US_SSL_FIN_PENDING) {
        s->flags &= (unsigned char)~US_SSL_FIN_PENDING;
        if (s->flags & US_SSL_END_SIGNALED) {
            return us_internal_socket_close(plain, 0, NULL); /* the peer is done too: close sends our FIN */
        }
        us_socket_shutdown(0, plain);
    }
    if (!s->ssl || SSL_in_init(s->ssl)) {
        return plain; /* on_writable is owed once the handshake finishes */
    }
    s->flags &= (unsigned char)~US_SSL_WANTS_WRITABLE;
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    return ctx->on_writable ? ctx->on_writable(plain) : plain;
}

static struct us_socket_t *ssl_on_close(struct us_socket_t *plain, int code, void *reason) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
    if (ld->in_owner == s) {
        ld->in_owner = NULL;
        ld->in_length = 0;
    }
    if (ld->out_owner == s) {
        ld->out_owner = NULL;
        ld->out_length = 0;
    }
    /* the user's on_close may still ask the session (peer subject, protocol): free it afterwards */
    struct us_socket_t *r = ctx->on_close ? ctx->on_close(plain, code, reason) : plain;
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    ERR_clear_error();
    free(s->pending);
    s->pending = NULL;
    s->pending_length = s->pending_offset = 0;
    return r;
}

static struct us_socket_t *ssl_on_end(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    if (!s->ssl || SSL_in_init(s->ssl)) {
        struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(s);
        snprintf(ld->reason, sizeof(ld->reason), "connection closed during the TLS handshake");
        return us_internal_socket_close(plain, US_SSL_CLOSE_CODE, ld->reason);
    }
    /* a FIN after close_notify, or without one (treated alike: the peer is done) */
    if (s->flags & US_SSL_END_SIGNALED) {
        return (s->flags & US_SSL_SHUT) && !s->pending_length ? us_internal_socket_close(plain, 0, NULL) : plain;
    }
    s->flags |= US_SSL_END_SIGNALED;
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    return ctx->on_end ? ctx->on_end(plain) : us_internal_socket_close(plain, 0, NULL);
}

static struct us_socket_t *ssl_on_timeout(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of((struct us_internal_ssl_socket_t *)plain);
    return ctx->on_timeout ? ctx->on_timeout(plain) : plain;
}

static struct us_socket_t *ssl_on_long_timeout(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of((struct us_internal_ssl_socket_t *)plain);
    return ctx->on_long_timeout ? ctx->on_long_timeout(plain) : plain;
}

static struct us_socket_t *ssl_on_connect_error(struct us_socket_t *plain, int code) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    struct us_internal_ssl_socket_context_t *ctx = ssl_ctx_of(s);
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    return ctx->on_connect_error ? ctx->on_connect_error(plain, code) : plain;
}

static int ssl_is_low_prio(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    return s->ssl && SSL_in_init(s->ssl);
}

/* ------------------------------------------------------------------ SSL_CTX from options */

static int ssl_passphrase_cb(char *buf, int size, int rwflag, void *user) {
    (void)rwflag;
    const char *passphrase = user;
    if (!passphrase || size <= 0) {
        return 0; /* never prompt on a terminal */
    }
    int n = (int)strlen(passphrase);
    if (n > size) {
        n = size;
    }
    memcpy(buf, passphrase, (size_t)n);
    return n;
}

static int ssl_servername_cb(SSL *ssl, int *alert, void *arg);
static int ssl_client_hello_cb(SSL *ssl, int *alert, void *arg);

/* Applies an OpenSSL cipher list; "TLS_..." names go to the TLS 1.3 suites, the rest to TLS 1.2. 0 on failure. */
static int ssl_set_ciphers(SSL_CTX *c, const char *list) {
    size_t length = strlen(list);
    char *tls12 = calloc(1, length + 1), *tls13 = calloc(1, length + 1), *copy = strdup(list);
    int ok = tls12 && tls13 && copy;
    if (ok) {
        char *save = NULL;
        for (char *name = strtok_r(copy, ":, ", &save); name; name = strtok_r(NULL, ":, ", &save)) {
            char *into = strncmp(name, "TLS_", 4) == 0 ? tls13 : tls12;
            if (*into) {
                strcat(into, ":");
            }
            strcat(into, name);
        }
        ok = (*tls12 || *tls13) && (!*tls12 || SSL_CTX_set_cipher_list(c, tls12) == 1) &&
             (!*tls13 || SSL_CTX_set_ciphersuites(c, tls13) == 1);
    }
    free(tls12);
    free(tls13);
    free(copy);
    return ok;
}

/*
 * Completes the chain of a certificate file that holds the leaf alone, once. Left to itself, OpenSSL completes such a
 * chain at every handshake from the verify store (the CA file), running a whole X509_verify_cert, leaf signature
 * check included (bench/tls-cost.c: +0.77 M instructions on a 2.47 M ECDSA P-256 handshake when the CA file holds
 * the issuer). SSL_CTX_build_cert_chain does the same build (same store and flags, errors ignored as the handshake
 * ignores them, the root kept), so clients receive the same certificates. A file with its own chain is sent as it
 * is, as before; when the build fails (a CA below the security level), OpenSSL keeps doing it per handshake, where
 * it fails as it did. The verify store is read here: certificates added to it later (through the native handle)
 * no longer extend the chain.
 */
static void ssl_build_chain_once(SSL_CTX *c) {
    STACK_OF(X509) *chain = NULL;
    if (SSL_CTX_get0_chain_certs(c, &chain) == 1 && sk_X509_num(chain) <= 0) {
        SSL_CTX_build_cert_chain(c, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
    }
    ERR_clear_error();
}

/* A new SSL_CTX set up from options, or NULL with the reason in us_ssl_last_error. */
static SSL_CTX *ssl_ctx_from_options(struct us_socket_context_options_t options) {
    ERR_clear_error();
    SSL_CTX *c = SSL_CTX_new(TLS_method());
    if (!c) {
        ssl_set_last_error("SSL_CTX_new", "cannot create an SSL_CTX");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (options.ssl_prefer_low_memory_usage) {
        SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    }
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Without one, a server that verifies peers refuses every resumption. It is unique per SSL_CTX so that a
     * session is resumable only under the certificate and peer verification (the server name) that made it. */
    static atomic_uint sid_ctx_counter;
    char sid_ctx[32];
    int sid_ctx_length = snprintf(sid_ctx, sizeof(sid_ctx), "usockets-%u", atomic_fetch_add(&sid_ctx_counter, 1));
    SSL_CTX_set_session_id_context(c, (const unsigned char *)sid_ctx, (unsigned int)sid_ctx_length);
    SSL_CTX_set_default_passwd_cb(c, ssl_passphrase_cb);
    SSL_CTX_set_default_passwd_cb_userdata(c, (void *)options.passphrase);

    if (options.cert_file_name && SSL_CTX_use_certificate_chain_file(c, options.cert_file_name) != 1) {
        ssl_set_last_error(options.cert_file_name, "cannot load the certificate chain");
        goto fail;
    }
    if (options.key_file_name) {
        if (SSL_CTX_use_PrivateKey_file(c, options.key_file_name, SSL_FILETYPE_PEM) != 1) {
            ssl_set_key_error(options.key_file_name);
            goto fail;
        }
        if (options.cert_file_name && SSL_CTX_check_private_key(c) != 1) {
            ssl_set_last_error(options.key_file_name, "key values mismatch");
            goto fail;
        }
    }
    SSL_CTX_set_default_passwd_cb_userdata(c, NULL); /* the caller's passphrase is not ours to keep */

    if (options.ca_file_name) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(options.ca_file_name);
        if (!names) {
            ssl_set_last_error(options.ca_file_name, "cannot load the CA file");
            goto fail;
        }
        SSL_CTX_set_client_CA_list(c, names);
        if (SSL_CTX_load_verify_locations(c, options.ca_file_name, NULL) != 1) {
            ssl_set_last_error(options.ca_file_name, "cannot load the CA file");
            goto fail;
        }
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    if (options.cert_file_name) {
        ssl_build_chain_once(c); /* after the CA file: the store the chain is completed from */
    }
    if (options.dh_params_file_name) {
        BIO *bio = BIO_new_file(options.dh_params_file_name, "r");
        EVP_PKEY *dh = bio ? PEM_read_bio_Parameters(bio, NULL) : NULL;
        BIO_free(bio);
        if (!dh) {
            ssl_set_last_error(options.dh_params_file_name, "cannot load the DH parameters");
            goto fail;
        }
        if (SSL_CTX_set0_tmp_dh_pkey(c, dh) != 1) {
            EVP_PKEY_free(dh);
            ssl_set_last_error(options.dh_params_file_name, "unusable DH parameters");
            goto fail;
        }
    } else {
        SSL_CTX_set_dh_auto(c, 1);
    }
    if (options.ssl_ciphers && !ssl_set_ciphers(c, options.ssl_ciphers)) {
        ssl_set_last_error(options.ssl_ciphers, "no cipher match");
        goto fail;
    }
    ERR_clear_error();
    return c;
fail:
    SSL_CTX_free(c);
    ERR_clear_error();
    return NULL;
}

/* ------------------------------------------------------------------ contexts */

static void ssl_context_init(struct us_internal_ssl_socket_context_t *ctx, SSL_CTX *ssl_ctx,
                             struct us_internal_ssl_socket_context_t *root) {
    ctx->ssl_ctx = ssl_ctx;
    ctx->root = root ? root : ctx;
    ctx->sni = NULL;
    ctx->is_child = root != NULL;
    ctx->on_server_name = NULL;
    ctx->on_open = NULL;
    ctx->on_data = NULL;
    ctx->on_writable = NULL;
    ctx->on_close = NULL;
    ctx->on_timeout = NULL;
    ctx->on_long_timeout = NULL;
    ctx->on_end = NULL;
    ctx->on_connect_error = NULL;
    us_socket_context_on_open(0, &ctx->sc, ssl_on_open);
    us_socket_context_on_data(0, &ctx->sc, ssl_on_data);
    us_socket_context_on_writable(0, &ctx->sc, ssl_on_writable);
    us_socket_context_on_close(0, &ctx->sc, ssl_on_close);
    us_socket_context_on_timeout(0, &ctx->sc, ssl_on_timeout);
    us_socket_context_on_long_timeout(0, &ctx->sc, ssl_on_long_timeout);
    us_socket_context_on_end(0, &ctx->sc, ssl_on_end);
    us_socket_context_on_connect_error(0, &ctx->sc, ssl_on_connect_error);
    ctx->sc.is_low_prio = ssl_is_low_prio;
}

/* A TLS context from options, or NULL with the reason for us_ssl_last_error_string. */
struct us_socket_context_t *us_internal_create_ssl_socket_context(struct us_loop_t *loop, int context_ext_size,
                                                                  struct us_socket_context_options_t options) {
    us_ssl_last_error[0] = 0;
    SSL_CTX *ssl_ctx = ssl_ctx_from_options(options);
    if (!ssl_ctx) {
        return NULL;
    }
    struct us_socket_context_options_t none = {0};
    struct us_internal_ssl_socket_context_t *ctx = (struct us_internal_ssl_socket_context_t *)us_create_socket_context(
        0, loop, ssl_context_plain_ext(context_ext_size), none);
    if (!ctx) {
        SSL_CTX_free(ssl_ctx);
        snprintf(us_ssl_last_error, sizeof(us_ssl_last_error), "cannot create the socket context");
        return NULL;
    }
    ssl_context_init(ctx, ssl_ctx, NULL);
    SSL_CTX_set_client_hello_cb(ssl_ctx, ssl_client_hello_cb, ctx);
    SSL_CTX_set_tlsext_servername_callback(ssl_ctx, ssl_servername_cb);
    SSL_CTX_set_tlsext_servername_arg(ssl_ctx, ctx);
    return &ctx->sc;
}

/* A TLS context with its own callbacks sharing the parent's SSL_CTX (and SNI table). */
struct us_socket_context_t *us_internal_create_child_ssl_socket_context(struct us_socket_context_t *context,
                                                                        int context_ext_size) {
    struct us_internal_ssl_socket_context_t *parent = (struct us_internal_ssl_socket_context_t *)context;
    struct us_socket_context_options_t none = {0};
    struct us_internal_ssl_socket_context_t *ctx = (struct us_internal_ssl_socket_context_t *)us_create_socket_context(
        0, context->loop, ssl_context_plain_ext(context_ext_size), none);
    if (!ctx) {
        return NULL;
    }
    SSL_CTX_up_ref(parent->ssl_ctx);
    ssl_context_init(ctx, parent->ssl_ctx, parent->root);
    return &ctx->sc;
}

static void ssl_sni_entry_free(void *value) {
    struct us_internal_ssl_sni_entry_t *e = value;
    SSL_CTX_free(e->ssl_ctx);
    free(e);
}

/* Frees the context, its SNI names and its SSL_CTX reference (live sockets keep theirs). */
void us_internal_ssl_socket_context_free(struct us_socket_context_t *context) {
    struct us_internal_ssl_socket_context_t *ctx = (struct us_internal_ssl_socket_context_t *)context;
    us_internal_sni_free(ctx->sni, ssl_sni_entry_free);
    ctx->sni = NULL;
    if (!ctx->is_child) {
        /* sockets still alive keep their own reference; SNI lookups need the root no more */
        SSL_CTX_set_client_hello_cb(ctx->ssl_ctx, NULL, NULL);
        SSL_CTX_set_tlsext_servername_callback(ctx->ssl_ctx, NULL);
        SSL_CTX_set_tlsext_servername_arg(ctx->ssl_ctx, NULL);
    }
    SSL_CTX_free(ctx->ssl_ctx);
    ctx->ssl_ctx = NULL;
    us_socket_context_free(0, context);
}

/* The user's ext of a TLS context. */
void *us_internal_ssl_socket_context_ext(struct us_socket_context_t *context) {
    return US_EXT_AFTER(context, sizeof(struct us_internal_ssl_socket_context_t));
}

/* The context's SSL_CTX *. */
void *us_internal_ssl_socket_context_get_native_handle(struct us_socket_context_t *context) {
    return ((struct us_internal_ssl_socket_context_t *)context)->ssl_ctx;
}

/* Setters of the user's callbacks, which the TLS layer calls from its plain ones. */
#define US_SSL_SETTER(name, field, type)                                                                            \
    void us_internal_ssl_socket_context_##name(struct us_socket_context_t *context, type) {                        \
        ((struct us_internal_ssl_socket_context_t *)context)->field = cb;                                           \
    }

US_SSL_SETTER(on_open, on_open, struct us_socket_t *(*cb)(struct us_socket_t *, int, char *, int))
US_SSL_SETTER(on_close, on_close, struct us_socket_t *(*cb)(struct us_socket_t *, int, void *))
US_SSL_SETTER(on_data, on_data, struct us_socket_t *(*cb)(struct us_socket_t *, char *, int))
US_SSL_SETTER(on_writable, on_writable, struct us_socket_t *(*cb)(struct us_socket_t *))
US_SSL_SETTER(on_timeout, on_timeout, struct us_socket_t *(*cb)(struct us_socket_t *))
US_SSL_SETTER(on_long_timeout, on_long_timeout, struct us_socket_t *(*cb)(struct us_socket_t *))
US_SSL_SETTER(on_end, on_end, struct us_socket_t *(*cb)(struct us_socket_t *))
US_SSL_SETTER(on_connect_error, on_connect_error, struct us_socket_t *(*cb)(struct us_socket_t *, int))

/* Sets the callback for an SNI name with no match (on the context owning the SNI table). */
void us_internal_ssl_socket_context_on_server_name(struct us_socket_context_t *context,
                                                   void (*cb)(struct us_socket_context_t *, const char *)) {
    ((struct us_internal_ssl_socket_context_t *)context)->root->on_server_name = cb;
}

/* ------------------------------------------------------------------ listen, connect, adopt */

/* Listens; accepted sockets get room for the TLS state before the user's ext. */
struct us_listen_socket_t *us_internal_ssl_socket_context_listen(struct us_socket_context_t *context,
                                                                 const char *host, int port, int options,
                                                                 int socket_ext_size) {
    return us_socket_context_listen(0, context, host, port, options, ssl_socket_plain_ext(socket_ext_size));
}

/* Listens on a unix-domain path, like us_internal_ssl_socket_context_listen. */
struct us_listen_socket_t *us_internal_ssl_socket_context_listen_unix(struct us_socket_context_t *context,
                                                                      const char *path, int options,
                                                                      int socket_ext_size) {
    return us_socket_context_listen_unix(0, context, path, options, ssl_socket_plain_ext(socket_ext_size));
}

/* Fields of a client socket before it opens; the host (if any) is kept at the end of its ext. */
static struct us_socket_t *ssl_client_init(struct us_socket_t *plain, const char *host, size_t host_length) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    if (!plain) {
        return NULL;
    }
    s->ssl = NULL;
    s->pending = NULL;
    s->pending_offset = s->pending_length = 0;
    s->sni_user = NULL;
    s->flags = 0;
    s->host_length = (unsigned short)host_length;
    if (host_length) {
        memcpy((char *)plain + sizeof(struct us_socket_t) + plain->ext_size - host_length, host, host_length);
    }
    return plain;
}

/* Connects; the host is kept for SNI and verification until the socket opens. */
struct us_socket_t *us_internal_ssl_socket_context_connect(struct us_socket_context_t *context, const char *host,
                                                           int port, const char *source_host, int options,
                                                           int socket_ext_size) {
    size_t host_length = host ? strlen(host) + 1 : 0;
    if (host_length > 256) {
        return NULL; /* not a DNS name */
    }
    struct us_socket_t *plain = us_socket_context_connect(0, context, host, port, source_host, options,
                                                          ssl_socket_plain_ext(socket_ext_size) + (int)host_length);
    return ssl_client_init(plain, host, host_length);
}

/* Connects to a unix-domain path (no SNI, chain verification only). */
struct us_socket_t *us_internal_ssl_socket_context_connect_unix(struct us_socket_context_t *context,
                                                                const char *server_path, int options,
                                                                int socket_ext_size) {
    struct us_socket_t *plain =
        us_socket_context_connect_unix(0, context, server_path, options, ssl_socket_plain_ext(socket_ext_size));
    return ssl_client_init(plain, NULL, 0);
}

/* Takes over an accepted descriptor as a TLS server socket (on_open starts its session). */
struct us_socket_t *us_internal_ssl_adopt_accepted_socket(struct us_socket_context_t *context,
                                                          LIBUS_SOCKET_DESCRIPTOR fd, unsigned int socket_ext_size,
                                                          char *addr_ip, int addr_ip_length) {
    return us_adopt_accepted_socket(0, context, fd, (unsigned int)ssl_socket_plain_ext((int)socket_ext_size),
                                    addr_ip, addr_ip_length);
}

/* Moves a TLS socket to another TLS context keeping its session. */
struct us_socket_t *us_internal_ssl_socket_context_adopt_socket(struct us_socket_context_t *context,
                                                                struct us_socket_t *plain, int ext_size) {
    struct us_internal_ssl_socket_t *old = (struct us_internal_ssl_socket_t *)plain;
    struct us_internal_ssl_loop_data_t *ld = ssl_socket_loop_data(old);
    char host[256];
    size_t host_length = old->host_length;
    if (host_length) {
        memcpy(host, (char *)plain + sizeof(struct us_socket_t) + plain->ext_size - host_length, host_length);
    }
    int owned = ld->in_owner == old, staged = ld->out_owner == old;
    struct us_socket_t *moved =
        us_socket_context_adopt_socket(0, context, plain, ssl_socket_plain_ext(ext_size) + (int)host_length);
    if (!moved) {
        return NULL;
    }
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)moved;
    if (host_length) {
        memcpy((char *)moved + sizeof(struct us_socket_t) + moved->ext_size - host_length, host, host_length);
    }
    if (s->ssl) {
        BIO_set_data(SSL_get_rbio(s->ssl), s);
        SSL_set_app_data(s->ssl, s);
    }
    if (owned) {
        ld->in_owner = s;
    }
    if (staged) {
        ld->out_owner = s;
    }
    return moved;
}

/* ------------------------------------------------------------------ socket operations */

/* Encrypts and sends what goes now; returns the plaintext bytes taken (0 before the handshake finished). */
int us_internal_ssl_socket_write(struct us_socket_t *plain, const char *data, int length, int msg_more) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    if (length <= 0 || us_socket_is_closed(0, plain)) {
        return 0;
    }
    if (s->flags & US_SSL_SHUT) {
        return 0;
    }
    if (!s->ssl || SSL_in_init(s->ssl) || s->pending_length) {
        s->flags |= US_SSL_WANTS_WRITABLE;
        return 0;
    }
    int done = 0;
    while (done < length) {
        int chunk = length - done < US_SSL_WRITE_BATCH ? length - done : US_SSL_WRITE_BATCH;
        /* no ssl_clear_errors (~210 instructions): SSL_get_error is not asked after SSL_write */
        int r = SSL_write(s->ssl, data + done, chunk);
        if (r <= 0) {
            /* the session is broken; the next read reports it and closes the socket */
            ERR_clear_error();
            ssl_flush(s, 0);
            break;
        }
        done += r;
        ssl_flush(s, msg_more || done < length);
        if (s->pending_length || us_socket_is_closed(0, plain)) {
            break;
        }
    }
    if (done < length) {
        s->flags |= US_SSL_WANTS_WRITABLE;
    }
    return done;
}

/* The user's ext of a TLS socket. */
void *us_internal_ssl_socket_ext(struct us_socket_t *s) {
    return US_EXT_AFTER(s, sizeof(struct us_internal_ssl_socket_t));
}

/* Sends close_notify, then FIN once held ciphertext is out. */
void us_internal_ssl_socket_shutdown(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    if (us_socket_is_closed(0, plain) || (s->flags & US_SSL_SHUT)) {
        return;
    }
    s->flags |= US_SSL_SHUT;
    if (s->ssl && !SSL_in_init(s->ssl)) {
        ERR_clear_error();
        SSL_shutdown(s->ssl); /* queues close_notify; the peer's comes back through on_data */
        ERR_clear_error();
        ssl_flush(s, 0);
    }
    if (s->pending_length) {
        s->flags |= US_SSL_FIN_PENDING;
    } else {
        us_socket_shutdown(0, plain);
    }
}

/* Non-zero once us_socket_shutdown was called. */
int us_internal_ssl_socket_is_shut_down(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    return (s->flags & US_SSL_SHUT) || us_socket_is_shut_down(0, plain);
}

/* Closes now; a clean close (code 0) sends close_notify first, as far as the kernel takes it. */
struct us_socket_t *us_internal_ssl_socket_close(struct us_socket_t *plain, int code, void *reason) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    if (us_socket_is_closed(0, plain)) {
        return plain;
    }
    if (code == 0 && s->ssl && !SSL_in_init(s->ssl)) {
        /* a clean close: what is held and close_notify go to the kernel, as far as it takes them now */
        if (!(SSL_get_shutdown(s->ssl) & SSL_SENT_SHUTDOWN)) {
            ERR_clear_error();
            SSL_shutdown(s->ssl);
            ERR_clear_error();
            ssl_flush(s, 0);
        }
        ssl_send_pending(s);
    }
    return us_internal_socket_close(plain, code, reason);
}

/* The socket's SSL * (NULL before it opened). */
void *us_internal_ssl_socket_get_native_handle(struct us_socket_t *s) {
    return ((struct us_internal_ssl_socket_t *)s)->ssl;
}

/* ------------------------------------------------------------------ SNI */

/* The first host_name of a raw server_name extension into name (NUL-terminated); 0 if there is none. */
static int ssl_sni_from_extension(const unsigned char *p, size_t length, char *name, size_t capacity) {
    if (length < 2 || (size_t)((p[0] << 8) | p[1]) != length - 2) {
        return 0;
    }
    p += 2;
    length -= 2;
    while (length >= 3) {
        unsigned int type = p[0];
        size_t n = (size_t)((p[1] << 8) | p[2]);
        if (n > length - 3) {
            return 0;
        }
        if (type == TLSEXT_NAMETYPE_host_name) {
            if (n == 0 || n >= capacity || memchr(p + 3, 0, n)) {
                return 0;
            }
            memcpy(name, p + 3, n);
            name[n] = 0;
            return 1;
        }
        p += 3 + n;
        length -= 3 + n;
    }
    return 0;
}

/*
 * Picks the name's SSL_CTX as soon as the ClientHello arrives: OpenSSL runs this callback before it decides on
 * resumption, so a session is looked up under the chosen name's session id context (and verified with its CA),
 * never resumed from another name. The servername callback runs too late for that: after the session lookup.
 */
static int ssl_client_hello_cb(SSL *ssl, int *alert, void *arg) {
    struct us_internal_ssl_socket_context_t *root = arg;
    struct us_internal_ssl_socket_t *s = SSL_get_app_data(ssl);
    const unsigned char *ext;
    size_t ext_length;
    char name[256];
    if (!root || !s || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &ext_length) ||
        !ssl_sni_from_extension(ext, ext_length, name, sizeof(name))) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    struct us_internal_ssl_sni_entry_t *e = root->sni ? us_internal_sni_match(root->sni, name) : NULL;
    if (!e && root->on_server_name) {
        root->on_server_name(&root->sc, name);
        e = root->sni ? us_internal_sni_match(root->sni, name) : NULL;
    }
    if (e) {
        if (SSL_set_SSL_CTX(ssl, e->ssl_ctx) != e->ssl_ctx) {
            ERR_clear_error();
            *alert = SSL_AD_INTERNAL_ERROR;
            return SSL_CLIENT_HELLO_ERROR;
        }
        /* the name's own peer verification (its CA file) */
        SSL_set_verify(ssl, SSL_CTX_get_verify_mode(e->ssl_ctx), NULL);
        s->sni_user = e->user;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

/* Acknowledges a server name; the certificate for it was chosen by ssl_client_hello_cb. */
static int ssl_servername_cb(SSL *ssl, int *alert, void *arg) {
    (void)alert;
    (void)arg;
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

/* Serves pattern with its own SSL_CTX from options; on failure nothing is added (see us_ssl_last_error_string). */
void us_internal_ssl_socket_context_add_server_name(struct us_socket_context_t *context, const char *pattern,
                                                    struct us_socket_context_options_t options, void *user) {
    struct us_internal_ssl_socket_context_t *root = ((struct us_internal_ssl_socket_context_t *)context)->root;
    us_ssl_last_error[0] = 0;
    if (!pattern) {
        return;
    }
    if (!root->sni && !(root->sni = us_internal_sni_new())) {
        snprintf(us_ssl_last_error, sizeof(us_ssl_last_error), "out of memory");
        return;
    }
    struct us_internal_ssl_sni_entry_t *e = malloc(sizeof(struct us_internal_ssl_sni_entry_t));
    if (!e) {
        snprintf(us_ssl_last_error, sizeof(us_ssl_last_error), "out of memory");
        return;
    }
    e->ssl_ctx = ssl_ctx_from_options(options);
    e->user = user;
    if (!e->ssl_ctx) {
        free(e);
        return;
    }
    int ok;
    struct us_internal_ssl_sni_entry_t *old = us_internal_sni_add(root->sni, pattern, e, &ok);
    if (!ok) {
        ssl_sni_entry_free(e);
        snprintf(us_ssl_last_error, sizeof(us_ssl_last_error), "out of memory");
        return;
    }
    if (old) {
        ssl_sni_entry_free(old);
    }
}

/* Forgets pattern. */
void us_internal_ssl_socket_context_remove_server_name(struct us_socket_context_t *context, const char *pattern) {
    struct us_internal_ssl_socket_context_t *root = ((struct us_internal_ssl_socket_context_t *)context)->root;
    if (!root->sni || !pattern) {
        return;
    }
    struct us_internal_ssl_sni_entry_t *e = us_internal_sni_remove(root->sni, pattern);
    if (e) {
        ssl_sni_entry_free(e); /* handshakes that picked it keep their own SSL_CTX reference */
    }
}

/* The user pointer of the SNI name the socket's handshake matched, or NULL. */
void *us_internal_ssl_socket_server_name_userdata(struct us_socket_t *s) {
    return ((struct us_internal_ssl_socket_t *)s)->sni_user;
}

/* The user pointer of exactly this pattern, or NULL. */
void *us_internal_ssl_socket_context_find_server_name_userdata(struct us_socket_context_t *context,
                                                               const char *pattern) {
    struct us_internal_ssl_socket_context_t *root = ((struct us_internal_ssl_socket_context_t *)context)->root;
    if (!root->sni || !pattern) {
        return NULL;
    }
    struct us_internal_ssl_sni_entry_t *e = us_internal_sni_find(root->sni, pattern);
    return e ? e->user : NULL;
}

/* ------------------------------------------------------------------ extensions for bindings */

/* The negotiated protocol ("TLSv1.3"), or NULL before the handshake finished. */
const char *us_socket_ssl_protocol(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    return s->ssl && !SSL_in_init(s->ssl) ? SSL_get_version(s->ssl) : NULL;
}

/* The negotiated cipher suite's OpenSSL name, or NULL before the handshake finished. */
const char *us_socket_ssl_cipher(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    const SSL_CIPHER *cipher = s->ssl && !SSL_in_init(s->ssl) ? SSL_get_current_cipher(s->ssl) : NULL;
    return cipher ? SSL_CIPHER_get_name(cipher) : NULL;
}

/* The SNI host name (received by a server, sent by a client), or NULL. */
const char *us_socket_ssl_server_name(struct us_socket_t *plain) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    return s->ssl ? SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

/* The peer certificate's subject (RFC 2253) into buf; returns its full length, or -1 without a peer certificate. */
int us_socket_ssl_peer_subject(struct us_socket_t *plain, char *buf, int length) {
    struct us_internal_ssl_socket_t *s = (struct us_internal_ssl_socket_t *)plain;
    X509 *peer = s->ssl ? SSL_get0_peer_certificate(s->ssl) : NULL;
    if (!peer) {
        return -1;
    }
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem) {
        ERR_clear_error();
        return -1;
    }
    X509_NAME_print_ex(mem, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253);
    char *text;
    long n = BIO_get_mem_data(mem, &text);
    if (buf && length > 0) {
        int copy = n < length - 1 ? (int)n : length - 1;
        memcpy(buf, text, (size_t)copy);
        buf[copy] = 0;
    }
    BIO_free(mem);
    ERR_clear_error();
    return (int)n;
}

#endif
