/*
 * socket_pause.c: pausing and resuming reads of one socket (a usockets4j extension, not upstream).
 * A paused socket's poll stops watching readability; writability is left as it was, so a pending
 * on_writable still arrives. Data and the peer's FIN wait in the kernel until the socket resumes.
 */
#include "internal.h"

/* Stops watching a socket for readability; a no-op on closed, connecting and listen sockets. */
void us_socket_pause(int ssl, struct us_socket_t *s) {
    (void) ssl; /* a TLS socket starts with its plain socket: the poll is the same */
    if (s->flags & (US_SOCKET_CLOSED | US_SOCKET_CONNECTING | US_SOCKET_LISTEN)) {
        return;
    }
    struct us_loop_t *loop = s->context->loop;
    us_poll_change(&s->p, loop, us_poll_events(&s->p) & LIBUS_SOCKET_WRITABLE);
}

/* Watches a paused socket for readability again; a no-op on closed, connecting and listen sockets. */
void us_socket_resume(int ssl, struct us_socket_t *s) {
    (void) ssl;
    if (s->flags & (US_SOCKET_CLOSED | US_SOCKET_CONNECTING | US_SOCKET_LISTEN | US_SOCKET_LOW_PRIO)) {
        return; /* a parked (low-priority) socket gets readability back when its turn comes */
    }
    struct us_loop_t *loop = s->context->loop;
    us_poll_change(&s->p, loop, us_poll_events(&s->p) | LIBUS_SOCKET_READABLE);
}
