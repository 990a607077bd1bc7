/*
 * context.c: socket contexts (creation, callbacks, close, free), listening and accepting,
 * connecting (numeric at once, names through dns.c, every address in turn), adoption and
 * child contexts. TLS contexts are forwarded to crypto/ when ssl is 1.
 */
#include "internal.h"

#include "bsd.h"
#include "dns.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long a listen socket paused by descriptor exhaustion waits before accepting again. */
#define US_ACCEPT_RETRY_MS 100

/* ------------------------------------------------------------------ lists */

void us_internal_socket_context_link_socket(struct us_socket_context_t *context, struct us_socket_t *s) {
    s->context = context;
    s->prev = NULL;
    s->next = context->head_sockets;
    if (context->head_sockets) {
        context->head_sockets->prev = s;
    }
    context->head_sockets = s;
}

void us_internal_socket_context_unlink_socket(struct us_socket_context_t *context, struct us_socket_t *s) {
    if (context->iterator == s) {
        context->iterator = s->next;
    }
    if (s->prev) {
        s->prev->next = s->next;
    } else {
        context->head_sockets = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    }
    s->prev = s->next = NULL;
}

void us_internal_socket_context_link_listen_socket(struct us_socket_context_t *context,
                                                   struct us_listen_socket_t *ls) {
    ls->s.context = context;
    ls->s.prev = NULL;
    ls->s.next = (struct us_socket_t *) context->head_listen_sockets;
    if (context->head_listen_sockets) {
        context->head_listen_sockets->s.prev = &ls->s;
    }
    context->head_listen_sockets = ls;
}

void us_internal_socket_context_unlink_listen_socket(struct us_socket_context_t *context,
                                                     struct us_listen_socket_t *ls) {
    if (ls->s.prev) {
        ls->s.prev->next = ls->s.next;
    } else {
        context->head_listen_sockets = (struct us_listen_socket_t *) ls->s.next;
    }
    if (ls->s.next) {
        ls->s.next->prev = ls->s.prev;
    }
    ls->s.prev = ls->s.next = NULL;
}

/* ------------------------------------------------------------------ contexts */

/* A context with ext_size bytes of ext (TLS: forwarded); NULL on failure. */
struct us_socket_context_t *us_create_socket_context(int ssl, struct us_loop_t *loop, int ext_size,
                                                     struct us_socket_context_options_t options) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_create_ssl_socket_context(loop, ext_size, options);
    }
#else
    if (ssl) {
        return NULL;
    }
#endif
    (void) options;
    if (ext_size < 0) {
        return NULL;
    }
    struct us_socket_context_t *context = calloc(1, US_ALIGN_UP(sizeof(*context)) + (size_t) ext_size);
    if (!context) {
        return NULL;
    }
    context->loop = loop;
    context->ext_size = ext_size;
    us_internal_loop_link(loop, context);
    return context;
}

/* A context with its own callbacks sharing the parent's loop (and TLS setup). */
struct us_socket_context_t *us_create_child_socket_context(int ssl, struct us_socket_context_t *context,
                                                           int context_ext_size) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_create_child_ssl_socket_context(context, context_ext_size);
    }
#endif
    (void) ssl;
    struct us_socket_context_options_t none = {0};
    return us_create_socket_context(0, context->loop, context_ext_size, none);
}

/* Unlinks the context from its loop; its memory goes at the end of the iteration. */
void us_socket_context_free(int ssl, struct us_socket_context_t *context) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        us_internal_ssl_socket_context_free(context);
        return;
    }
#endif
    (void) ssl;
    us_internal_loop_unlink(context->loop, context);
    us_internal_loop_free_later(context->loop, context);
}

/* Closes every listen socket, socket (on_close each) and parked socket of the context. */
void us_socket_context_close(int ssl, struct us_socket_context_t *context) {
    while (context->head_listen_sockets) {
        us_listen_socket_close(ssl, context->head_listen_sockets);
    }
    /* The iterator always holds the next socket to visit, so on_close may close others or connect anew. */
    context->iterator = context->head_sockets;
    while (context->iterator) {
        struct us_socket_t *s = context->iterator;
        context->iterator = s->next;
        us_socket_close(ssl, s, 0, NULL);
    }
    struct us_loop_t *loop = context->loop;
    for (struct us_socket_t *s = loop->data.low_prio_head; s;) {
        if (s->context == context) {
            us_socket_close(ssl, s, 0, NULL);
            s = loop->data.low_prio_head; /* the queue may have changed under the callback */
        } else {
            s = s->next;
        }
    }
}

/* The context's ext area. */
void *us_socket_context_ext(int ssl, struct us_socket_context_t *context) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_ext(context);
    }
#endif
    (void) ssl;
    return US_EXT_AFTER(context, sizeof(struct us_socket_context_t));
}

/* The loop the context belongs to. */
struct us_loop_t *us_socket_context_loop(int ssl, struct us_socket_context_t *context) {
    (void) ssl;
    return context->loop;
}

/* The coarse clock advanced by the sweep. */
unsigned short us_socket_context_timestamp(int ssl, struct us_socket_context_t *context) {
    (void) ssl;
    return context->timestamp;
}

/* The SSL_CTX * of a TLS context; NULL for plain ones. */
void *us_socket_context_get_native_handle(int ssl, struct us_socket_context_t *context) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_get_native_handle(context);
    }
#endif
    (void) ssl;
    (void) context;
    return NULL;
}

/* ------------------------------------------------------------------ callback setters */

/* Sets the hook that sees accepted descriptors before they become sockets (both kinds of context). */
void us_socket_context_on_pre_open(int ssl, struct us_socket_context_t *context,
                                   LIBUS_SOCKET_DESCRIPTOR (*cb)(struct us_socket_context_t *, LIBUS_SOCKET_DESCRIPTOR,
                                                                 char *, int)) {
    (void) ssl;
    context->on_pre_open = cb;
}

#ifndef LIBUS_NO_SSL
#define US_FORWARD_SSL(name, context, cb)                                                          \
    if (ssl) {                                                                                     \
        us_internal_ssl_socket_context_##name(context, cb);                                        \
        return;                                                                                    \
    }
#else
#define US_FORWARD_SSL(name, context, cb) (void) ssl;
#endif

/* Sets on_open (accepted: is_client 0; connected: is_client 1). */
void us_socket_context_on_open(int ssl, struct us_socket_context_t *context,
                               struct us_socket_t *(*cb)(struct us_socket_t *, int, char *, int)) {
    US_FORWARD_SSL(on_open, context, cb)
    context->on_open = cb;
}

/* Sets on_close, called exactly once per opened socket. */
void us_socket_context_on_close(int ssl, struct us_socket_context_t *context,
                                struct us_socket_t *(*cb)(struct us_socket_t *, int, void *)) {
    US_FORWARD_SSL(on_close, context, cb)
    context->on_close = cb;
}

/* Sets on_data; data lives in the loop's receive buffer during the call only. */
void us_socket_context_on_data(int ssl, struct us_socket_context_t *context,
                               struct us_socket_t *(*cb)(struct us_socket_t *, char *, int)) {
    US_FORWARD_SSL(on_data, context, cb)
    context->on_data = cb;
}

/* Sets on_writable, called when a socket whose write fell short can take more. */
void us_socket_context_on_writable(int ssl, struct us_socket_context_t *context,
                                   struct us_socket_t *(*cb)(struct us_socket_t *)) {
    US_FORWARD_SSL(on_writable, context, cb)
    context->on_writable = cb;
}

/* Sets on_timeout (us_socket_timeout expired). */
void us_socket_context_on_timeout(int ssl, struct us_socket_context_t *context,
                                  struct us_socket_t *(*cb)(struct us_socket_t *)) {
    US_FORWARD_SSL(on_timeout, context, cb)
    context->on_socket_timeout = cb;
}

/* Sets on_long_timeout (us_socket_long_timeout expired). */
void us_socket_context_on_long_timeout(int ssl, struct us_socket_context_t *context,
                                       struct us_socket_t *(*cb)(struct us_socket_t *)) {
    US_FORWARD_SSL(on_long_timeout, context, cb)
    context->on_socket_long_timeout = cb;
}

/* Sets on_connect_error: code is a positive errno (connect) or a getaddrinfo EAI_* code (negative on glibc). */
void us_socket_context_on_connect_error(int ssl, struct us_socket_context_t *context,
                                        struct us_socket_t *(*cb)(struct us_socket_t *, int)) {
    US_FORWARD_SSL(on_connect_error, context, cb)
    context->on_connect_error = cb;
}

/* Sets on_end (peer sent FIN); the socket stays half-open until the callback closes or shuts it down. */
void us_socket_context_on_end(int ssl, struct us_socket_context_t *context,
                              struct us_socket_t *(*cb)(struct us_socket_t *)) {
    US_FORWARD_SSL(on_end, context, cb)
    context->on_end = cb;
}

/* Sets the SNI callback of a TLS context; no effect on plain contexts. */
void us_socket_context_on_server_name(int ssl, struct us_socket_context_t *context,
                                      void (*cb)(struct us_socket_context_t *, const char *)) {
    US_FORWARD_SSL(on_server_name, context, cb)
    (void) context;
    (void) cb;
}

/* ------------------------------------------------------------------ SNI (TLS only) */

/* Adds a TLS server name; no effect on plain contexts. */
void us_socket_context_add_server_name(int ssl, struct us_socket_context_t *context, const char *hostname_pattern,
                                       struct us_socket_context_options_t options, void *user) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        us_internal_ssl_socket_context_add_server_name(context, hostname_pattern, options, user);
    }
#endif
    (void) ssl;
    (void) context;
    (void) hostname_pattern;
    (void) options;
    (void) user;
}

/* Removes a TLS server name; no effect on plain contexts. */
void us_socket_context_remove_server_name(int ssl, struct us_socket_context_t *context,
                                          const char *hostname_pattern) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        us_internal_ssl_socket_context_remove_server_name(context, hostname_pattern);
    }
#endif
    (void) ssl;
    (void) context;
    (void) hostname_pattern;
}

/* The user pointer of the matched server name; NULL for plain sockets. */
void *us_socket_server_name_userdata(int ssl, struct us_socket_t *s) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_server_name_userdata(s);
    }
#endif
    (void) ssl;
    (void) s;
    return NULL;
}

/* The user pointer kept for a pattern; NULL for plain contexts. */
void *us_socket_context_find_server_name_userdata(int ssl, struct us_socket_context_t *context,
                                                  const char *hostname_pattern) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_find_server_name_userdata(context, hostname_pattern);
    }
#endif
    (void) ssl;
    (void) context;
    (void) hostname_pattern;
    return NULL;
}

/* ------------------------------------------------------------------ sockets */

static unsigned int socket_poll_ext(size_t struct_size, unsigned int ext_size) {
    return (unsigned int) (US_ALIGN_UP(struct_size) - US_ALIGN_UP(sizeof(struct us_poll_t)) + ext_size);
}

struct us_socket_t *us_internal_create_socket(struct us_socket_context_t *context, LIBUS_SOCKET_DESCRIPTOR fd,
                                              unsigned int ext_size, int kind) {
    struct us_poll_t *p = us_create_poll(context->loop, 0, socket_poll_ext(sizeof(struct us_socket_t), ext_size));
    if (!p) {
        return NULL;
    }
    us_poll_init(p, fd, kind);
    struct us_socket_t *s = (struct us_socket_t *) p;
    s->timeout = US_TIMEOUT_NONE;
    s->long_timeout = US_TIMEOUT_NONE;
    s->flags = 0;
    s->reserved = 0;
    s->ext_size = ext_size;
    s->connecting = NULL;
    us_internal_socket_context_link_socket(context, s);
    return s;
}

/* Opens an accepted or adopted descriptor as a socket and calls on_open (is_client 0). */
static struct us_socket_t *open_accepted(struct us_socket_context_t *context, LIBUS_SOCKET_DESCRIPTOR fd,
                                         unsigned int ext_size, char *ip, int ip_length) {
    bsd_socket_nodelay(fd);
    struct us_socket_t *s = us_internal_create_socket(context, fd, ext_size, POLL_TYPE_SOCKET);
    if (!s) {
        close(fd);
        return NULL;
    }
    us_poll_start(&s->p, context->loop, LIBUS_SOCKET_READABLE);
    if (context->on_open) {
        struct us_socket_t *r = context->on_open(s, 0, ip, ip_length);
        if (r) {
            s = r;
        }
    }
    return s;
}

/* Takes over a descriptor accepted elsewhere (made non-blocking); on_open follows. */
struct us_socket_t *us_adopt_accepted_socket(int ssl, struct us_socket_context_t *context,
                                             LIBUS_SOCKET_DESCRIPTOR client_fd, unsigned int socket_ext_size,
                                             char *addr_ip, int addr_ip_length) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_adopt_accepted_socket(context, client_fd, socket_ext_size, addr_ip, addr_ip_length);
    }
#endif
    (void) ssl;
    bsd_socket_nonblock(client_fd);
    return open_accepted(context, client_fd, socket_ext_size, addr_ip, addr_ip_length);
}

/* Moves a live socket into context with a new ext size; returns the (possibly moved) socket. */
struct us_socket_t *us_socket_context_adopt_socket(int ssl, struct us_socket_context_t *context,
                                                   struct us_socket_t *s, int ext_size) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_adopt_socket(context, s, ext_size);
    }
#endif
    (void) ssl;
    if ((s->flags & US_SOCKET_CLOSED) || ext_size < 0) {
        return s;
    }
    struct us_loop_t *loop = s->context->loop;
    int was_parked = s->flags & US_SOCKET_LOW_PRIO;
    if (was_parked) {
        us_internal_low_prio_remove(loop, s);
    } else {
        us_internal_socket_context_unlink_socket(s->context, s);
    }
    struct us_socket_t *moved = (struct us_socket_t *) us_poll_resize(
        &s->p, loop, socket_poll_ext(sizeof(struct us_socket_t), (unsigned int) ext_size));
    if (!moved) {
        moved = s; /* could not grow: keep the old memory and ext size, still move contexts */
    } else {
        moved->ext_size = (unsigned int) ext_size;
    }
    moved->timeout = US_TIMEOUT_NONE;
    moved->long_timeout = US_TIMEOUT_NONE;
    moved->flags &= (unsigned char) ~(US_SOCKET_LOW_PRIO | US_SOCKET_LOW_PRIO_TURN);
    us_internal_socket_context_link_socket(context, moved);
    if (was_parked && !(moved->flags & US_SOCKET_READ_SHUT)) {
        us_poll_change(&moved->p, loop, us_poll_events(&moved->p) | LIBUS_SOCKET_READABLE);
    }
    return moved;
}

/* ------------------------------------------------------------------ listen and accept */

static void accept_retry_cb(struct us_timer_t *t) {
    us_internal_resume_accepts(t->loop);
}

static struct us_listen_socket_t *listen_on_fd(struct us_socket_context_t *context, LIBUS_SOCKET_DESCRIPTOR fd,
                                               int socket_ext_size) {
    struct us_loop_t *loop = context->loop;
    if (!loop->data.accept_timer) {
        /* made now, while descriptors are available, for the day accept runs out of them */
        loop->data.accept_timer = us_create_timer(loop, 1, 0);
    }
    struct us_poll_t *p = us_create_poll(loop, 0, socket_poll_ext(sizeof(struct us_listen_socket_t), 0));
    if (!p) {
        close(fd);
        return NULL;
    }
    us_poll_init(p, fd, POLL_TYPE_SEMI_SOCKET);
    struct us_listen_socket_t *ls = (struct us_listen_socket_t *) p;
    ls->s.timeout = US_TIMEOUT_NONE;
    ls->s.long_timeout = US_TIMEOUT_NONE;
    ls->s.flags = US_SOCKET_LISTEN;
    ls->s.reserved = 0;
    ls->s.ext_size = 0;
    ls->s.connecting = NULL;
    ls->socket_ext_size = socket_ext_size < 0 ? 0 : (unsigned int) socket_ext_size;
    ls->accept_paused = 0;
    us_internal_socket_context_link_listen_socket(context, ls);
    us_poll_start(p, loop, LIBUS_SOCKET_READABLE);
    return ls;
}

/* Listens on host:port (NULL host: dual-stack any; port 0: the kernel picks); NULL on failure. */
struct us_listen_socket_t *us_socket_context_listen(int ssl, struct us_socket_context_t *context, const char *host,
                                                    int port, int options, int socket_ext_size) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_listen(context, host, port, options, socket_ext_size);
    }
#endif
    (void) ssl;
    int fd = bsd_create_listen_socket(host, port, options);
    if (fd < 0) {
        return NULL;
    }
    return listen_on_fd(context, fd, socket_ext_size);
}

/* Listens on a unix-domain path (a stale socket file there is replaced); NULL on failure. */
struct us_listen_socket_t *us_socket_context_listen_unix(int ssl, struct us_socket_context_t *context,
                                                         const char *path, int options, int socket_ext_size) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_listen_unix(context, path, options, socket_ext_size);
    }
#endif
    (void) ssl;
    int fd = bsd_create_listen_socket_unix(path, options);
    if (fd < 0) {
        return NULL;
    }
    return listen_on_fd(context, fd, socket_ext_size);
}

/* Stops listening; the listen socket's memory goes at the end of the iteration. */
void us_listen_socket_close(int ssl, struct us_listen_socket_t *ls) {
    (void) ssl;
    if (ls->s.flags & US_SOCKET_CLOSED) {
        return;
    }
    struct us_loop_t *loop = ls->s.context->loop;
    us_internal_socket_context_unlink_listen_socket(ls->s.context, ls);
    us_poll_stop(&ls->s.p, loop);
    close(ls->s.p.fd);
    ls->s.p.fd = -1;
    ls->s.flags |= US_SOCKET_CLOSED;
    ls->s.next = loop->data.closed_head;
    loop->data.closed_head = &ls->s;
}

static void pause_accepts(struct us_listen_socket_t *ls) {
    struct us_loop_t *loop = ls->s.context->loop;
    us_poll_change(&ls->s.p, loop, 0); /* still counted: the server keeps the loop alive */
    ls->accept_paused = 1;
    if (loop->data.accept_timer) {
        us_timer_set(loop->data.accept_timer, accept_retry_cb, US_ACCEPT_RETRY_MS, 0);
    }
    /* otherwise the next sweep resumes it */
}

void us_internal_resume_accepts(struct us_loop_t *loop) {
    for (struct us_socket_context_t *c = loop->data.head; c; c = c->next) {
        for (struct us_listen_socket_t *ls = c->head_listen_sockets; ls;
             ls = (struct us_listen_socket_t *) ls->s.next) {
            if (ls->accept_paused) {
                ls->accept_paused = 0;
                us_poll_change(&ls->s.p, loop, LIBUS_SOCKET_READABLE);
            }
        }
    }
}

void us_internal_accept(struct us_listen_socket_t *ls) {
    struct us_socket_context_t *context = ls->s.context;
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t addr_len;
        LIBUS_SOCKET_DESCRIPTOR fd = bsd_accept_socket(ls->s.p.fd, &addr, &addr_len);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                pause_accepts(ls);
            }
            return;
        }
        char ip[16];
        int ip_length = bsd_addr_ip(&addr, ip);
        if (context->on_pre_open) {
            fd = context->on_pre_open(context, fd, ip, ip_length);
            if (ls->s.flags & US_SOCKET_CLOSED) {
                /* The hook closed the listen socket (or its whole context): a socket opened now would live in a
                 * context that is freed after this iteration. Nothing more is accepted here. */
                if (fd != -1) {
                    close(fd);
                }
                return;
            }
            if (fd == -1) {
                continue; /* taken over by the hook */
            }
        }
        open_accepted(context, fd, ls->socket_ext_size, ip, ip_length);
        if (ls->s.flags & US_SOCKET_CLOSED) {
            return; /* on_open closed the listen socket */
        }
    }
}

/* ------------------------------------------------------------------ connect */

struct us_internal_connecting_t {
    struct us_internal_dns_t *dns; /* while the name resolves (the socket's poll watches its eventfd) */
    struct addrinfo *addrs;        /* every address, tried in order */
    struct addrinfo *next;         /* the next one to try */
    int last_error;
    char source_host[]; /* "" for none */
};

static struct us_internal_connecting_t *new_connecting(const char *source_host) {
    size_t len = source_host ? strlen(source_host) : 0;
    struct us_internal_connecting_t *c = calloc(1, sizeof(*c) + len + 1);
    if (c && len) {
        memcpy(c->source_host, source_host, len + 1);
    }
    return c;
}

/* Starts a connect to the next address that does not fail at once; -1 when none is left. */
static LIBUS_SOCKET_DESCRIPTOR connect_next(struct us_internal_connecting_t *c) {
    while (c->next) {
        struct addrinfo *a = c->next;
        c->next = a->ai_next;
        LIBUS_SOCKET_DESCRIPTOR fd =
            bsd_create_connect_socket(a->ai_addr, a->ai_addrlen, c->source_host[0] ? c->source_host : NULL);
        if (fd >= 0) {
            return fd;
        }
        c->last_error = errno;
    }
    return -1;
}

void us_internal_connecting_free(struct us_socket_t *s) {
    struct us_internal_connecting_t *c = s->connecting;
    if (!c) {
        return;
    }
    if (c->dns) {
        us_poll_stop(&s->p, s->context->loop);
        us_internal_dns_cancel(c->dns); /* closes the eventfd the poll watched */
        s->p.fd = -1;
    }
    if (c->addrs) {
        freeaddrinfo(c->addrs);
    }
    free(c);
    s->connecting = NULL;
}

static struct us_socket_t *new_connecting_socket(struct us_socket_context_t *context, LIBUS_SOCKET_DESCRIPTOR fd,
                                                 int ext_size, struct us_internal_connecting_t *c, int events) {
    struct us_socket_t *s =
        us_internal_create_socket(context, fd, ext_size < 0 ? 0 : (unsigned int) ext_size, POLL_TYPE_SEMI_SOCKET);
    if (!s) {
        return NULL;
    }
    s->flags = US_SOCKET_CONNECTING;
    s->connecting = c;
    us_poll_start(&s->p, context->loop, events);
    return s;
}

/* Connects to host:port; numeric hosts start at once, names resolve off the loop thread. NULL on immediate failure. */
struct us_socket_t *us_socket_context_connect(int ssl, struct us_socket_context_t *context, const char *host, int port,
                                              const char *source_host, int options, int socket_ext_size) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_connect(context, host, port, source_host, options, socket_ext_size);
    }
#endif
    (void) ssl;
    (void) options;
    if (!host || port < 0 || port > 65535) {
        return NULL;
    }
    char numeric[64];
    size_t host_len = strlen(host);
    if (host_len > 2 && host_len < sizeof(numeric) && host[0] == '[' && host[host_len - 1] == ']') {
        memcpy(numeric, host + 1, host_len - 2); /* "[::1]" */
        numeric[host_len - 2] = 0;
        host = numeric;
    }
    struct us_internal_connecting_t *c = new_connecting(source_host);
    if (!c) {
        return NULL;
    }
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *result = NULL;
    struct us_socket_t *s = NULL;
    if (getaddrinfo(host, port_text, &hints, &result) == 0) {
        c->addrs = c->next = result;
        LIBUS_SOCKET_DESCRIPTOR fd = connect_next(c);
        if (fd >= 0) {
            s = new_connecting_socket(context, fd, socket_ext_size, c, LIBUS_SOCKET_WRITABLE);
            if (!s) {
                close(fd);
            }
        }
    } else {
        LIBUS_SOCKET_DESCRIPTOR efd;
        c->dns = us_internal_dns_start(host, port, &efd);
        if (c->dns) {
            s = new_connecting_socket(context, efd, socket_ext_size, c, LIBUS_SOCKET_READABLE);
            if (!s) {
                us_internal_dns_cancel(c->dns);
            }
        }
    }
    if (!s) {
        if (c->addrs) {
            freeaddrinfo(c->addrs);
        }
        free(c);
    }
    return s;
}

/* Connects to a unix-domain path; NULL on immediate failure (no such path, path too long). */
struct us_socket_t *us_socket_context_connect_unix(int ssl, struct us_socket_context_t *context,
                                                   const char *server_path, int options, int socket_ext_size) {
#ifndef LIBUS_NO_SSL
    if (ssl) {
        return us_internal_ssl_socket_context_connect_unix(context, server_path, options, socket_ext_size);
    }
#endif
    (void) ssl;
    (void) options;
    LIBUS_SOCKET_DESCRIPTOR fd = bsd_create_connect_socket_unix(server_path);
    if (fd < 0) {
        return NULL;
    }
    struct us_internal_connecting_t *c = new_connecting(NULL);
    struct us_socket_t *s = c ? new_connecting_socket(context, fd, socket_ext_size, c, LIBUS_SOCKET_WRITABLE) : NULL;
    if (!s) {
        close(fd);
        free(c);
    }
    return s;
}

static void connect_failed(struct us_socket_t *s, int code) {
    if (s->context->on_connect_error) {
        s->context->on_connect_error(s, code);
    }
    if (!(s->flags & US_SOCKET_CLOSED)) {
        us_socket_close_connecting(0, s);
    }
}

/* Moves on to the next address after a failure; on_connect_error when none is left. */
static void retry_or_fail(struct us_socket_t *s, struct us_internal_connecting_t *c) {
    LIBUS_SOCKET_DESCRIPTOR fd = connect_next(c);
    if (fd < 0) {
        connect_failed(s, c->last_error);
        return;
    }
    us_poll_init(&s->p, fd, POLL_TYPE_SEMI_SOCKET);
    us_poll_start(&s->p, s->context->loop, LIBUS_SOCKET_WRITABLE);
}

void us_internal_connect_ready(struct us_socket_t *s, int error) {
    struct us_internal_connecting_t *c = s->connecting;
    struct us_loop_t *loop = s->context->loop;
    if (!c) {
        return;
    }
    if (c->dns) {
        us_poll_stop(&s->p, loop);
        struct addrinfo *result = NULL;
        int rc = us_internal_dns_finish(c->dns, &result);
        c->dns = NULL;
        s->p.fd = -1;
        if (rc != 0 || !result) {
            connect_failed(s, rc ? rc : EAI_NONAME);
            return;
        }
        c->addrs = c->next = result;
        c->last_error = EHOSTUNREACH;
        retry_or_fail(s, c);
        return;
    }
    int err = bsd_socket_error(s->p.fd);
    if (!err && error) {
        err = ECONNREFUSED;
    }
    if (err) {
        us_poll_stop(&s->p, loop);
        close(s->p.fd);
        s->p.fd = -1;
        c->last_error = err;
        retry_or_fail(s, c);
        return;
    }
    /* established */
    us_internal_connecting_free(s);
    s->flags &= (unsigned char) ~US_SOCKET_CONNECTING;
    s->p.kind = POLL_TYPE_SOCKET;
    bsd_socket_nodelay(s->p.fd);
    us_poll_change(&s->p, loop, LIBUS_SOCKET_READABLE);
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof(addr);
    char ip[16];
    int ip_length = 0;
    if (getpeername(s->p.fd, (struct sockaddr *) &addr, &addr_len) == 0) {
        ip_length = bsd_addr_ip(&addr, ip);
    }
    if (s->context->on_open) {
        s->context->on_open(s, 1, ip, ip_length);
    }
}
