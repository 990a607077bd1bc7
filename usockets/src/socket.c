/*
 * socket.c: operations on one socket: write, write2, flush, shutdown, close, timeouts, addresses.
 * TLS sockets are forwarded to crypto/ where TLS changes the behaviour.
 */
#include "internal.h"

#include "bsd.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ close */

struct us_socket_t *us_internal_socket_close_notify(struct us_socket_t *s, int code, void *reason, int notify) {
    if (s->flags & US_SOCKET_CLOSED) {
        return s;
    }
    struct us_loop_t *loop = s->context->loop;
    if (s->flags & US_SOCKET_LOW_PRIO) {
        us_internal_low_prio_remove(loop, s);
    } else {
        us_internal_socket_context_unlink_socket(s->context, s);
    }
    us_poll_stop(&s->p, loop);
    int was_connecting = s->connecting != NULL;
    us_internal_connecting_free(s); /* a pending name resolution is cancelled; its late result is dropped */
    if (s->p.fd >= 0) {
        if (code && !was_connecting) {
            bsd_socket_linger_zero(s->p.fd); /* abortive close: RST instead of FIN */
        }
        close(s->p.fd);
    }
    s->flags = (unsigned char) ((s->flags | US_SOCKET_CLOSED) & ~(US_SOCKET_LOW_PRIO | US_SOCKET_LOW_PRIO_TURN));
    s->prev = NULL;
    s->next = loop->data.closed_head;
    loop->data.closed_head = s;
    if (notify && s->context->on_close) {
        return s->context->on_close(s, code, reason);
    }
    return s;
}

struct us_socket_t *us_internal_socket_close(struct us_socket_t *s, int code, void *reason) {
    return us_internal_socket_close_notify(s, code, reason, 1);
}

/* Closes now (code 0: FIN; otherwise RST) and calls on_close once; memory stays valid this iteration. */
struct us_socket_t *us_socket_close(int ssl, struct us_socket_t *s, int code, void *reason) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_close(s, code, reason);
    }
#endif
    (void) ssl;
    return us_internal_socket_close_notify(s, code, reason, 1);
}

/* Cancels a connect (also during name resolution) without on_close. */
struct us_socket_t *us_socket_close_connecting(int ssl, struct us_socket_t *s) {
    (void) ssl;
    return us_internal_socket_close_notify(s, 0, NULL, 0);
}

/* ------------------------------------------------------------------ writing */

static void write_fell_short(struct us_socket_t *s) {
    struct us_loop_t *loop = s->context->loop;
    loop->data.last_write_failed = 1;
    us_poll_change(&s->p, loop, us_poll_events(&s->p) | LIBUS_SOCKET_WRITABLE);
}

static int writable_now(struct us_socket_t *s) {
    return !(s->flags & (US_SOCKET_CLOSED | US_SOCKET_SHUT_DOWN | US_SOCKET_CONNECTING | US_SOCKET_LISTEN));
}

/* Sends what the kernel takes now; returns that count (0 on a closed or shut-down socket). */
int us_socket_write(int ssl, struct us_socket_t *s, const char *data, int length, int msg_more) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_write(s, data, length, msg_more);
    }
#endif
    (void) ssl;
    if (!writable_now(s) || length <= 0) {
        return 0;
    }
    ssize_t written = bsd_send(s->p.fd, data, (size_t) length, msg_more);
    if (msg_more) {
        s->flags |= US_SOCKET_CORKED;
    }
    if (written != length) {
        write_fell_short(s);
    }
    return written < 0 ? 0 : (int) written;
}

/* Header and payload in one sendmsg (TLS: two writes); returns the bytes taken. */
int us_socket_write2(int ssl, struct us_socket_t *s, const char *header, int header_length, const char *payload,
                     int payload_length) {
    if (header_length < 0) {
        header_length = 0;
    }
    if (payload_length < 0) {
        payload_length = 0;
    }
#ifndef LIBUS_NO_SSL
    if (ssl) {
        int written = us_internal_ssl_socket_write(s, header, header_length, 0);
        if (written == header_length && payload_length) {
            written += us_internal_ssl_socket_write(s, payload, payload_length, 0);
        }
        return written;
    }
#endif
    (void) ssl;
    if (!writable_now(s) || header_length + payload_length == 0) {
        return 0;
    }
    ssize_t written = bsd_write2(s->p.fd, header, (size_t) header_length, payload, (size_t) payload_length);
    if (written != header_length + payload_length) {
        write_fell_short(s);
    }
    return written < 0 ? 0 : (int) written;
}

/* Withdraws a msg_more hint: what the kernel held back goes out now. */
void us_socket_flush(int ssl, struct us_socket_t *s) {
    (void) ssl;
    if ((s->flags & US_SOCKET_CORKED) && !(s->flags & (US_SOCKET_CLOSED | US_SOCKET_SHUT_DOWN))) {
        s->flags &= (unsigned char) ~US_SOCKET_CORKED;
        bsd_socket_flush(s->p.fd); /* only after a msg_more write: no system call otherwise */
    }
}

/* ------------------------------------------------------------------ shutdown */

/* Sends FIN (TLS: close_notify first); reading goes on until the peer's FIN closes the socket. */
void us_socket_shutdown(int ssl, struct us_socket_t *s) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        us_internal_ssl_socket_shutdown(s);
        return;
    }
#endif
    (void) ssl;
    if (s->flags & (US_SOCKET_CLOSED | US_SOCKET_SHUT_DOWN | US_SOCKET_LISTEN)) {
        return;
    }
    s->flags |= US_SOCKET_SHUT_DOWN;
    if (s->flags & US_SOCKET_CONNECTING) {
        return; /* nothing sent yet; a connecting socket is closed rather than shut down */
    }
    s->p.kind = POLL_TYPE_SOCKET_SHUT_DOWN;
    us_poll_change(&s->p, s->context->loop, us_poll_events(&s->p) & LIBUS_SOCKET_READABLE);
    shutdown(s->p.fd, SHUT_WR);
}

/* Stops reading: the kernel reports end-of-stream, which the next iteration handles like a FIN. */
void us_socket_shutdown_read(int ssl, struct us_socket_t *s) {
    (void) ssl;
    if (s->flags & (US_SOCKET_CLOSED | US_SOCKET_CONNECTING | US_SOCKET_LISTEN)) {
        return;
    }
    s->flags |= US_SOCKET_READ_SHUT;
    shutdown(s->p.fd, SHUT_RD);
}

/* Non-zero once we sent FIN. */
int us_socket_is_shut_down(int ssl, struct us_socket_t *s) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_is_shut_down(s);
    }
#endif
    (void) ssl;
    return (s->flags & US_SOCKET_SHUT_DOWN) ? 1 : 0;
}

/* Non-zero once closed (answerable until the end of the iteration). */
int us_socket_is_closed(int ssl, struct us_socket_t *s) {
    (void) ssl;
    return (s->flags & US_SOCKET_CLOSED) ? 1 : 0;
}

/* Zero while a connect (or its name resolution) is pending. */
int us_socket_is_established(int ssl, struct us_socket_t *s) {
    (void) ssl;
    return (s->flags & US_SOCKET_CONNECTING) ? 0 : 1;
}

/* ------------------------------------------------------------------ timeouts */

/* Fires on_timeout after about seconds (rounded up to the 4 s sweep); 0 clears. */
void us_socket_timeout(int ssl, struct us_socket_t *s, unsigned int seconds) {
    (void) ssl;
    if (!seconds) {
        s->timeout = US_TIMEOUT_NONE;
        return;
    }
    unsigned int ticks = (seconds + LIBUS_TIMEOUT_GRANULARITY - 1) / LIBUS_TIMEOUT_GRANULARITY;
    if (ticks > 239) {
        ticks = 239;
    }
    s->timeout = (unsigned char) ((s->context->timestamp + ticks) % 240);
}

/* Fires on_long_timeout after about minutes; 0 clears. */
void us_socket_long_timeout(int ssl, struct us_socket_t *s, unsigned int minutes) {
    (void) ssl;
    if (!minutes) {
        s->long_timeout = US_TIMEOUT_NONE;
        return;
    }
    if (minutes > 239) {
        minutes = 239;
    }
    s->long_timeout = (unsigned char) ((s->context->long_timestamp + minutes) % 240);
}

/* ------------------------------------------------------------------ accessors */

/* The socket's ext area (TLS: after the TLS state). */
void *us_socket_ext(int ssl, struct us_socket_t *s) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_ext(s);
    }
#endif
    (void) ssl;
    return US_EXT_AFTER(s, sizeof(struct us_socket_t));
}

/* The socket's context. */
struct us_socket_context_t *us_socket_context(int ssl, struct us_socket_t *s) {
    (void) ssl;
    return s->context;
}

/* The local port (also of a listen socket cast to a socket), -1 on failure. */
int us_socket_local_port(int ssl, struct us_socket_t *s) {
    (void) ssl;
    return (s->flags & US_SOCKET_CLOSED) ? -1 : bsd_local_port(s->p.fd);
}

/* The peer's port, -1 on failure. */
int us_socket_remote_port(int ssl, struct us_socket_t *s) {
    (void) ssl;
    return (s->flags & US_SOCKET_CLOSED) ? -1 : bsd_remote_port(s->p.fd);
}

/* The peer's raw address (4 or 16 bytes); *length 0 on failure or if buf is too small. */
void us_socket_remote_address(int ssl, struct us_socket_t *s, char *buf, int *length) {
    (void) ssl;
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof(addr);
    char ip[16];
    int ip_length = 0;
    if (!(s->flags & US_SOCKET_CLOSED) && getpeername(s->p.fd, (struct sockaddr *) &addr, &addr_len) == 0) {
        ip_length = bsd_addr_ip(&addr, ip);
    }
    if (ip_length == 0 || ip_length > *length) {
        *length = 0;
        return;
    }
    memcpy(buf, ip, (size_t) ip_length);
    *length = ip_length;
}

/* The SSL * of a TLS socket, else the descriptor cast to a pointer. */
void *us_socket_get_native_handle(int ssl, struct us_socket_t *s) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_get_native_handle(s);
    }
#endif
    (void) ssl;
    return (void *) (intptr_t) s->p.fd;
}

/* No io_uring send buffer here: always NULL. */
char *us_socket_send_buffer(int ssl, struct us_socket_t *s) {
    (void) ssl;
    (void) s;
    return NULL;
}
