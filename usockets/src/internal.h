/*
 * internal.h: the core's private structures and the contract between its parts
 * (loop and eventing, sockets and contexts, TLS, UDP). Nothing outside usockets/src includes it.
 */
#ifndef US_INTERNAL_H
#define US_INTERNAL_H

#include "libusockets.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#define US_ALIGN_UP(n) (((size_t)(n) + LIBUS_EXT_ALIGNMENT - 1) & ~((size_t)LIBUS_EXT_ALIGNMENT - 1))
/* The ext area that follows a struct of the given size. */
#define US_EXT_AFTER(p, size) ((void *)((char *)(p) + US_ALIGN_UP(size)))

/* A socket whose timeout byte holds this value has no timeout armed. */
#define US_TIMEOUT_NONE 255

/* ------------------------------------------------------------------ polls */

struct us_poll_t {
    alignas(LIBUS_EXT_ALIGNMENT) int fd;
    unsigned char kind;        /* POLL_TYPE_* */
    unsigned char fallthrough; /* 1: does not keep the loop alive */
    unsigned char started;     /* registered with the backend */
    unsigned char reserved;
    int events;                /* LIBUS_SOCKET_READABLE | LIBUS_SOCKET_WRITABLE being watched */
    int reserved2;
};

/* Handles a ready socket poll (plain, listen, connecting) */
void us_internal_dispatch_socket(struct us_poll_t *p, int error, int events);

/* Calls the right handler for a ready poll: sockets, listen and connecting sockets, callback and UDP polls
 * (the latter two call the us_poll_callback_t at the start of their ext). */
void us_internal_dispatch_ready_poll(struct us_poll_t *p, int error, int events);

/* ------------------------------------------------------------------ timers */

struct us_timer_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_loop_t *loop;
    void (*cb)(struct us_timer_t *t);
    long long deadline_ns;                           /* CLOCK_MONOTONIC, while armed */
    unsigned long long seq;                          /* arming order: equal deadlines fire first-armed first */
    int repeat_ms;                                   /* 0: one-shot (disarms itself after firing) */
    int heap_index;                                  /* place in the loop's timer heap, -1 when not armed */
    unsigned char fallthrough;                       /* 1: does not keep the loop alive */
    unsigned char closed;
};

/* timer.c: the heap of armed timers, expired by the backend's single kernel timer. */
long long us_internal_now_ns(void);
void us_internal_timers_expire(struct us_loop_t *loop);
int us_internal_timer_armed(struct us_timer_t *t);
void us_internal_timers_free(struct us_loop_t *loop);

/* ------------------------------------------------------------------ sockets */

/* us_socket_t.flags */
enum {
    US_SOCKET_CLOSED = 1,       /* on the closed list, freed after the iteration */
    US_SOCKET_SHUT_DOWN = 2,    /* we sent FIN */
    US_SOCKET_CONNECTING = 4,   /* connect pending (is_established == 0) */
    US_SOCKET_LOW_PRIO = 8,     /* parked on the loop's low-priority queue */
    US_SOCKET_LISTEN = 16,      /* this is the s of a us_listen_socket_t */
    US_SOCKET_READ_SHUT = 32,   /* shutdown_read: reads stopped */
    US_SOCKET_CORKED = 64,      /* msg_more was asked and not flushed */
    US_SOCKET_LOW_PRIO_TURN = 128 /* just released from the low-prio queue: its next read skips the budget */
};

/* The ext area of a plain socket starts at US_ALIGN_UP(sizeof(struct us_socket_t)) and holds ext_size bytes.
 * A layer that embeds the plain socket first in a bigger struct X (TLS) asks the plain functions for
 * US_SOCKET_EMBED_EXT(sizeof(X), user_ext) bytes and finds the user's ext at US_EXT_AFTER(s, sizeof(X)). */
#define US_SOCKET_EMBED_EXT(outer_size, user_ext) \
    ((int) (US_ALIGN_UP(outer_size) - US_ALIGN_UP(sizeof(struct us_socket_t)) + (size_t) (user_ext)))

struct us_internal_connecting_t; /* pending name resolution / multi-address connect; owned by the TCP layer */

struct us_socket_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_poll_t p;
    unsigned char timeout;      /* context tick at which on_timeout fires, or US_TIMEOUT_NONE */
    unsigned char long_timeout; /* context long tick at which on_long_timeout fires, or US_TIMEOUT_NONE */
    unsigned char flags;        /* US_SOCKET_* */
    unsigned char reserved;
    unsigned int ext_size;      /* bytes of ext after this struct */
    struct us_socket_context_t *context;
    struct us_socket_t *prev, *next; /* the context's list; next also links the closed and low-prio lists */
    struct us_internal_connecting_t *connecting;
};

struct us_listen_socket_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_socket_t s;
    unsigned int socket_ext_size; /* ext size of each accepted socket */
    int accept_paused;            /* accept hit EMFILE/ENFILE: not reading until the retry timer or the sweep */
};

/* Allocates a plain socket on fd of the given poll kind, linked into context, poll not started; NULL on failure. */
struct us_socket_t *us_internal_create_socket(struct us_socket_context_t *context, LIBUS_SOCKET_DESCRIPTOR fd,
                                              unsigned int ext_size, int kind);
/* Accepts on a readable listen socket until EAGAIN (or EMFILE: pauses, see us_internal_resume_accepts). */
void us_internal_accept(struct us_listen_socket_t *ls);
/* Re-enables listen sockets paused by descriptor exhaustion. */
void us_internal_resume_accepts(struct us_loop_t *loop);
/* A connecting socket's poll is ready: DNS done, connect done or failed (next address, on_connect_error). */
void us_internal_connect_ready(struct us_socket_t *s, int error);
/* Frees a socket's pending-connect state (cancelling DNS, closing its eventfd; s->p.fd becomes -1 then). */
void us_internal_connecting_free(struct us_socket_t *s);
/* Common close: unlink, stop, close fd (RST if code), closed list; on_close only when notify. */
struct us_socket_t *us_internal_socket_close_notify(struct us_socket_t *s, int code, void *reason, int notify);

/* ------------------------------------------------------------------ contexts */

struct us_socket_context_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_loop_t *loop;
    unsigned short timestamp;      /* advanced by the sweep, one tick per LIBUS_TIMEOUT_GRANULARITY s */
    unsigned short long_timestamp; /* one tick per minute */
    unsigned int global_tick;      /* sweeps since creation; timestamp = tick % 240, long = tick / 15 % 240 */
    int ext_size;
    struct us_socket_t *head_sockets;
    struct us_listen_socket_t *head_listen_sockets;
    struct us_socket_t *iterator;   /* the sweep's position, kept valid across unlinks */
    struct us_socket_context_t *prev, *next; /* the loop's list */

    LIBUS_SOCKET_DESCRIPTOR (*on_pre_open)(struct us_socket_context_t *, LIBUS_SOCKET_DESCRIPTOR, char *, int);
    struct us_socket_t *(*on_open)(struct us_socket_t *, int is_client, char *ip, int ip_length);
    struct us_socket_t *(*on_data)(struct us_socket_t *, char *data, int length);
    struct us_socket_t *(*on_writable)(struct us_socket_t *);
    struct us_socket_t *(*on_close)(struct us_socket_t *, int code, void *reason);
    struct us_socket_t *(*on_socket_timeout)(struct us_socket_t *);
    struct us_socket_t *(*on_socket_long_timeout)(struct us_socket_t *);
    struct us_socket_t *(*on_end)(struct us_socket_t *);
    struct us_socket_t *(*on_connect_error)(struct us_socket_t *, int code);
    /* Set by the TLS layer: non-zero while s is still handshaking (such sockets are rationed per iteration). */
    int (*is_low_prio)(struct us_socket_t *);
};

void us_internal_socket_context_link_socket(struct us_socket_context_t *context, struct us_socket_t *s);
void us_internal_socket_context_unlink_socket(struct us_socket_context_t *context, struct us_socket_t *s);
void us_internal_socket_context_link_listen_socket(struct us_socket_context_t *context, struct us_listen_socket_t *ls);
void us_internal_socket_context_unlink_listen_socket(struct us_socket_context_t *context,
                                                     struct us_listen_socket_t *ls);

/* ------------------------------------------------------------------ loop */

/* How many low-priority (handshaking TLS) sockets get their readable event per iteration. */
#define US_LOW_PRIO_BUDGET 5

struct us_internal_loop_data_t {
    struct us_timer_t *sweep_timer;  /* fallthrough, every LIBUS_TIMEOUT_GRANULARITY s */
    struct us_poll_t *wakeup_poll;   /* fallthrough eventfd callback poll */
    void (*wakeup_cb)(struct us_loop_t *);
    void (*pre_cb)(struct us_loop_t *);
    void (*post_cb)(struct us_loop_t *);
    struct us_socket_context_t *head;     /* every context of the loop */
    struct us_socket_context_t *iterator; /* the sweep's position, kept valid across unlinks */
    char *recv_buf;                       /* LIBUS_RECV_BUFFER_LENGTH + 2 * LIBUS_RECV_BUFFER_PADDING */
    char *own_recv_buf;                   /* the core's recv_buf (freed by us_loop_free), NULL once replaced */
    char *tls_recv_buf;                   /* the caller's buffer for decrypted data, or NULL (the TLS layer's own) */
    void *ssl_data;                       /* owned by the TLS layer */
    struct us_socket_t *closed_head;      /* closed sockets, freed after the iteration */
    struct us_socket_t *low_prio_head, *low_prio_tail; /* sockets waiting for their handshake turn */
    int low_prio_budget;                  /* reset each iteration */
    void **free_later;                    /* other memory freed after the iteration (timers, polls, UDP) */
    int free_later_count, free_later_capacity;
    long long iteration_nr;
    int last_write_failed;                /* a write of this iteration did not go out whole */
    struct us_timer_t *accept_timer;      /* retries paused accepts (created with the first listen socket) */
    int sweeping;                         /* the sweep is running */
    int running;                          /* inside us_loop_run: frees are deferred to the post step */
    struct us_timer_t **timers;           /* min-heap of armed timers by (deadline, seq) */
    int timer_count, timer_capacity;
    unsigned long long timer_seq;
    long long timer_armed_ns;             /* what the kernel timer is armed for, -1: disarmed */
    int timers_expiring;                  /* inside us_internal_timers_expire: re-arm once at its end */
    struct us_poll_t *timer_poll;         /* the backend's kernel timer (fallthrough) */
};

#define US_MAX_READY_POLLS 1024

struct us_loop_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_internal_loop_data_t data;
    int num_polls;           /* started non-fallthrough polls; run() returns at 0 */
    int num_ready_polls;
    int current_ready_poll;
    int fd;                  /* the epoll descriptor */
#ifdef LIBUS_USE_EPOLL
    struct epoll_event ready_polls[US_MAX_READY_POLLS];
#endif
};

/* ------------------------------------------------------------------ eventing backend (eventing/epoll.c) */
/* The backend owns loop->fd, the polls' registration, the loop's one kernel timer and the wakeup eventfd. */

/* Opens the backend's descriptor (loop->fd) and its kernel timer; -1 on failure. */
int us_internal_backend_open(struct us_loop_t *loop);
/* Arms the kernel timer for an absolute CLOCK_MONOTONIC deadline (-1: disarms); expiry calls
 * us_internal_timers_expire. */
void us_internal_backend_arm_timer(struct us_loop_t *loop, long long deadline_ns);
/* Closes loop->fd and the kernel timer. */
void us_internal_backend_close(struct us_loop_t *loop);
/* Blocks until at least one poll is ready; fills the ready list and returns how many (0 on error/EINTR). */
int us_internal_backend_wait(struct us_loop_t *loop);
/* The i-th ready poll of the last wait (NULL if it was stopped since), its error flag and ready events. */
struct us_poll_t *us_internal_backend_ready(struct us_loop_t *loop, int i, int *error, int *events);
/* A started, fallthrough poll on an eventfd that calls loop->data.wakeup_cb; NULL on failure. */
struct us_poll_t *us_internal_create_wakeup_poll(struct us_loop_t *loop);
/* Stops, closes and frees the wakeup poll. */
void us_internal_free_wakeup_poll(struct us_loop_t *loop, struct us_poll_t *p);
/* Frees a timer at once (loop teardown only). */
void us_internal_timer_free_now(struct us_timer_t *t);

/* Frees memory after the current iteration (at once when the loop is not running). */
void us_internal_loop_free_later(struct us_loop_t *loop, void *memory);
void us_internal_loop_link(struct us_loop_t *loop, struct us_socket_context_t *context);
void us_internal_loop_unlink(struct us_loop_t *loop, struct us_socket_context_t *context);
/* Called by the sweep timer: advances context clocks and fires due socket timeouts. */
void us_internal_timer_sweep(struct us_loop_t *loop);
/* Frees the closed list and the free-later list. */
void us_internal_free_closed_sockets(struct us_loop_t *loop);
/* Runs before / after each iteration's event dispatch (low-prio queue, user pre/post, frees). */
void us_internal_loop_pre(struct us_loop_t *loop);
void us_internal_loop_post(struct us_loop_t *loop);
/* Gives parked low-priority sockets their readable turn, within the iteration's budget. */
void us_internal_handle_low_prio(struct us_loop_t *loop);
/* Parks s on the loop's low-prio queue: unlinked from its context, not read until its turn (flag LOW_PRIO). */
void us_internal_low_prio_park(struct us_loop_t *loop, struct us_socket_t *s);
/* Takes a parked s off the queue (it is not linked anywhere afterwards; the caller links or closes it). */
void us_internal_low_prio_remove(struct us_loop_t *loop, struct us_socket_t *s);
/* Plain socket close used by the TLS layer too. */
struct us_socket_t *us_internal_socket_close(struct us_socket_t *s, int code, void *reason);

/* ------------------------------------------------------------------ TLS (crypto/openssl.c) */
/*
 * A TLS context is a us_internal_ssl_socket_context_t whose first member is a plain context whose callbacks are the
 * TLS layer's; the user's callbacks and ext live in the TLS struct. A TLS socket is a us_internal_ssl_socket_t whose
 * first member is the plain socket; the user's ext follows the TLS struct. Every public function taking `int ssl`
 * forwards to the us_internal_ssl_* function of the same name when ssl is 1, and otherwise works on the plain
 * structs (which is also right for TLS objects where TLS changes nothing: timeouts, ports, is_closed, ...).
 *
 * What the core does for a layer built on plain sockets (TLS today):
 * - Events: the core calls the plain context's callbacks (on_open, on_data with bytes in loop->data.recv_buf +
 *   LIBUS_RECV_BUFFER_PADDING, on_writable, on_end, on_close, on_socket_timeout, on_connect_error) with the plain
 *   socket pointer, which is also the TLS socket's. Each returns the socket to go on with (the closed one after a
 *   close); the core never touches a socket after a callback closed it.
 * - Writing: us_socket_write(0, ...) / write2 return what the kernel took and arm EPOLLOUT; on_writable follows
 *   and EPOLLOUT is disarmed after an on_writable in which no write fell short (loop->data.last_write_failed).
 * - Closing: us_internal_socket_close(s, code, reason) unlinks, stops the poll, closes the fd (RST if code != 0),
 *   parks s on the closed list (freed in the post step) and calls context->on_close once. Connect failures call
 *   on_connect_error and then close without on_close.
 * - Low priority: when context->is_low_prio(s) says so, a readable socket beyond US_LOW_PRIO_BUDGET per iteration
 *   is parked (reads stop, unlinked from its context, flag US_SOCKET_LOW_PRIO) and re-linked and read first in a
 *   later iteration's pre step. Close and adopt take parked sockets off the queue themselves.
 * - Memory: a plain socket's ext begins at US_ALIGN_UP(sizeof(struct us_socket_t)); see US_SOCKET_EMBED_EXT.
 *   A plain context's ext begins at US_ALIGN_UP(sizeof(struct us_socket_context_t)); us_socket_context_free(0, ..)
 *   frees the whole allocation at the end of the iteration. us_loop_free calls us_internal_free_loop_ssl_data
 *   (ssl_data may be NULL); the TLS layer creates it when it first needs it.
 * - Other memory that callbacks of this iteration may still read goes through us_internal_loop_free_later
 *   (UDP sockets do). Callback and UDP polls: the us_poll_callback_t at the start of the poll's ext is called.
 */
#ifndef LIBUS_NO_SSL
struct us_internal_ssl_socket_context_t;
struct us_internal_ssl_socket_t;

void us_internal_init_loop_ssl_data(struct us_loop_t *loop);
void us_internal_free_loop_ssl_data(struct us_loop_t *loop);

struct us_socket_context_t *us_internal_create_ssl_socket_context(struct us_loop_t *loop, int context_ext_size,
                                                                  struct us_socket_context_options_t options);
struct us_socket_context_t *us_internal_create_child_ssl_socket_context(struct us_socket_context_t *context,
                                                                        int context_ext_size);
void us_internal_ssl_socket_context_free(struct us_socket_context_t *context);
void *us_internal_ssl_socket_context_ext(struct us_socket_context_t *context);
void *us_internal_ssl_socket_context_get_native_handle(struct us_socket_context_t *context);

void us_internal_ssl_socket_context_on_open(struct us_socket_context_t *context,
                                            struct us_socket_t *(*cb)(struct us_socket_t *, int, char *, int));
void us_internal_ssl_socket_context_on_close(struct us_socket_context_t *context,
                                             struct us_socket_t *(*cb)(struct us_socket_t *, int, void *));
void us_internal_ssl_socket_context_on_data(struct us_socket_context_t *context,
                                            struct us_socket_t *(*cb)(struct us_socket_t *, char *, int));
void us_internal_ssl_socket_context_on_writable(struct us_socket_context_t *context,
                                                struct us_socket_t *(*cb)(struct us_socket_t *));
void us_internal_ssl_socket_context_on_timeout(struct us_socket_context_t *context,
                                               struct us_socket_t *(*cb)(struct us_socket_t *));
void us_internal_ssl_socket_context_on_long_timeout(struct us_socket_context_t *context,
                                                    struct us_socket_t *(*cb)(struct us_socket_t *));
void us_internal_ssl_socket_context_on_end(struct us_socket_context_t *context,
                                           struct us_socket_t *(*cb)(struct us_socket_t *));
void us_internal_ssl_socket_context_on_connect_error(struct us_socket_context_t *context,
                                                     struct us_socket_t *(*cb)(struct us_socket_t *, int));
void us_internal_ssl_socket_context_on_server_name(struct us_socket_context_t *context,
                                                   void (*cb)(struct us_socket_context_t *, const char *));

struct us_listen_socket_t *us_internal_ssl_socket_context_listen(struct us_socket_context_t *context,
                                                                 const char *host, int port, int options,
                                                                 int socket_ext_size);
struct us_listen_socket_t *us_internal_ssl_socket_context_listen_unix(struct us_socket_context_t *context,
                                                                      const char *path, int options,
                                                                      int socket_ext_size);
struct us_socket_t *us_internal_ssl_socket_context_connect(struct us_socket_context_t *context, const char *host,
                                                           int port, const char *source_host, int options,
                                                           int socket_ext_size);
struct us_socket_t *us_internal_ssl_socket_context_connect_unix(struct us_socket_context_t *context,
                                                                const char *server_path, int options,
                                                                int socket_ext_size);
struct us_socket_t *us_internal_ssl_adopt_accepted_socket(struct us_socket_context_t *context,
                                                          LIBUS_SOCKET_DESCRIPTOR fd, unsigned int socket_ext_size,
                                                          char *addr_ip, int addr_ip_length);
struct us_socket_t *us_internal_ssl_socket_context_adopt_socket(struct us_socket_context_t *context,
                                                                struct us_socket_t *s, int ext_size);

int us_internal_ssl_socket_write(struct us_socket_t *s, const char *data, int length, int msg_more);
void *us_internal_ssl_socket_ext(struct us_socket_t *s);
void us_internal_ssl_socket_shutdown(struct us_socket_t *s);
int us_internal_ssl_socket_is_shut_down(struct us_socket_t *s);
struct us_socket_t *us_internal_ssl_socket_close(struct us_socket_t *s, int code, void *reason);
void *us_internal_ssl_socket_get_native_handle(struct us_socket_t *s);

void us_internal_ssl_socket_context_add_server_name(struct us_socket_context_t *context, const char *pattern,
                                                    struct us_socket_context_options_t options, void *user);
void us_internal_ssl_socket_context_remove_server_name(struct us_socket_context_t *context, const char *pattern);
void *us_internal_ssl_socket_server_name_userdata(struct us_socket_t *s);
void *us_internal_ssl_socket_context_find_server_name_userdata(struct us_socket_context_t *context,
                                                               const char *pattern);
#endif

#endif
