/*
 * loop.c: the loop itself: creation, run, one iteration (pre, dispatch, post), the closed and
 * free-later lists, and the timeout sweep. Backend-neutral: the eventing/ backend does the waiting.
 */
#include "internal.h"

#include "bsd.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ creation */

static void sweep_cb(struct us_timer_t *t) {
    us_internal_timer_sweep(t->loop);
}

/* A loop with its backend, receive buffer, wakeup poll and (not yet armed) sweep timer; NULL on failure. */
struct us_loop_t *us_create_loop(void *hint, void (*wakeup_cb)(struct us_loop_t *loop),
                                 void (*pre_cb)(struct us_loop_t *loop), void (*post_cb)(struct us_loop_t *loop),
                                 unsigned int ext_size) {
    (void) hint;
    struct us_loop_t *loop = calloc(1, US_ALIGN_UP(sizeof(struct us_loop_t)) + ext_size);
    if (!loop) {
        return NULL;
    }
    loop->fd = -1;
    loop->data.wakeup_cb = wakeup_cb;
    loop->data.pre_cb = pre_cb;
    loop->data.post_cb = post_cb;
    loop->data.recv_buf = malloc(LIBUS_RECV_BUFFER_LENGTH + 2 * LIBUS_RECV_BUFFER_PADDING);
    loop->data.own_recv_buf = loop->data.recv_buf;
    if (!loop->data.recv_buf || us_internal_backend_open(loop) < 0) {
        goto fail;
    }
    loop->data.wakeup_poll = us_internal_create_wakeup_poll(loop);
    if (!loop->data.wakeup_poll) {
        goto fail;
    }
    loop->data.sweep_timer = us_create_timer(loop, 1, 0);
    if (!loop->data.sweep_timer) {
        goto fail;
    }
    return loop;
fail:
    if (loop->data.wakeup_poll) {
        us_internal_free_wakeup_poll(loop, loop->data.wakeup_poll);
    }
    us_internal_backend_close(loop);
    free(loop->data.recv_buf);
    free(loop);
    return NULL;
}

/* Frees the loop, its own polls and timers, and whatever waits on its closed lists. */
void us_loop_free(struct us_loop_t *loop) {
    us_internal_free_closed_sockets(loop);
#ifndef LIBUS_NO_SSL
    us_internal_free_loop_ssl_data(loop);
#endif
    us_internal_timer_free_now(loop->data.sweep_timer);
    if (loop->data.accept_timer) {
        us_internal_timer_free_now(loop->data.accept_timer);
    }
    us_internal_timers_free(loop);
    us_internal_free_wakeup_poll(loop, loop->data.wakeup_poll);
    us_internal_backend_close(loop);
    free(loop->data.free_later);
    free(loop->data.own_recv_buf); /* a caller's buffer (us_loop_use_receive_buffers) stays the caller's */
    free(loop);
}

/* Replaces the receive buffers with the caller's (NULL: keeps that one); the core's own plain one is freed now.
 * Callable between reads (on_readable and the TLS layer read the buffer pointers fresh for every read). */
void us_loop_use_receive_buffers(struct us_loop_t *loop, char *plain, char *tls) {
    if (plain) {
        free(loop->data.own_recv_buf);
        loop->data.own_recv_buf = NULL;
        loop->data.recv_buf = plain;
    }
    if (tls) {
        loop->data.tls_recv_buf = tls;
    }
}

/* The loop's extension area. */
void *us_loop_ext(struct us_loop_t *loop) {
    return US_EXT_AFTER(loop, sizeof(struct us_loop_t));
}

/* Arms the sweep timer (idempotent). */
void us_loop_integrate(struct us_loop_t *loop) {
    if (!us_internal_timer_armed(loop->data.sweep_timer)) {
        us_timer_set(loop->data.sweep_timer, sweep_cb, LIBUS_TIMEOUT_GRANULARITY * 1000,
                     LIBUS_TIMEOUT_GRANULARITY * 1000);
    }
}

/* Iterations completed since the loop was created. */
long long us_loop_iteration_number(struct us_loop_t *loop) {
    return loop->data.iteration_nr;
}

/* Non-zero while us_loop_run goes on: it checks the same count after each iteration's post callback. */
int us_loop_alive(struct us_loop_t *loop) {
    return loop->num_polls > 0;
}

/* ------------------------------------------------------------------ context list */

void us_internal_loop_link(struct us_loop_t *loop, struct us_socket_context_t *context) {
    context->prev = NULL;
    context->next = loop->data.head;
    if (loop->data.head) {
        loop->data.head->prev = context;
    }
    loop->data.head = context;
}

void us_internal_loop_unlink(struct us_loop_t *loop, struct us_socket_context_t *context) {
    if (loop->data.iterator == context) {
        loop->data.iterator = context->next;
    }
    if (context->prev) {
        context->prev->next = context->next;
    } else {
        loop->data.head = context->next;
    }
    if (context->next) {
        context->next->prev = context->prev;
    }
    context->prev = context->next = NULL;
}

/* ------------------------------------------------------------------ deferred frees */

void us_internal_loop_free_later(struct us_loop_t *loop, void *memory) {
    if (!loop->data.running) {
        free(memory);
        return;
    }
    struct us_internal_loop_data_t *d = &loop->data;
    if (d->free_later_count == d->free_later_capacity) {
        int capacity = d->free_later_capacity ? 2 * d->free_later_capacity : 16;
        void **grown = realloc(d->free_later, (size_t) capacity * sizeof(void *));
        if (!grown) {
            return; /* leak rather than free memory that may still be read in this iteration */
        }
        d->free_later = grown;
        d->free_later_capacity = capacity;
    }
    d->free_later[d->free_later_count++] = memory;
}

void us_internal_free_closed_sockets(struct us_loop_t *loop) {
    struct us_socket_t *s = loop->data.closed_head;
    loop->data.closed_head = NULL;
    while (s) {
        struct us_socket_t *next = s->next;
        free(s);
        s = next;
    }
    for (int i = 0; i < loop->data.free_later_count; i++) {
        free(loop->data.free_later[i]);
    }
    loop->data.free_later_count = 0;
}

/* ------------------------------------------------------------------ sweep */

void us_internal_timer_sweep(struct us_loop_t *loop) {
    struct us_internal_loop_data_t *d = &loop->data;
    d->sweeping = 1;
    /* Both iterators point at the next element to visit; unlinking that element advances them. */
    d->iterator = d->head;
    while (d->iterator) {
        struct us_socket_context_t *context = d->iterator;
        d->iterator = context->next;
        context->global_tick++;
        unsigned char short_ticks = (unsigned char) (context->global_tick % 240);
        unsigned char long_ticks = (unsigned char) ((context->global_tick / 15) % 240);
        context->timestamp = short_ticks;
        context->long_timestamp = long_ticks;

        context->iterator = context->head_sockets;
        while (context->iterator) {
            struct us_socket_t *s = context->iterator;
            context->iterator = s->next;
            if (s->timeout == short_ticks) {
                s->timeout = US_TIMEOUT_NONE;
                if (context->on_socket_timeout) {
                    s = context->on_socket_timeout(s);
                }
            }
            /* The callback may have closed or moved s: only a socket still of this context goes on. */
            if (s && !(s->flags & US_SOCKET_CLOSED) && s->context == context && s->long_timeout == long_ticks) {
                s->long_timeout = US_TIMEOUT_NONE;
                if (context->on_socket_long_timeout) {
                    context->on_socket_long_timeout(s);
                }
            }
        }
    }
    d->sweeping = 0;
    us_internal_resume_accepts(loop); /* a fallback for listen sockets paused by EMFILE */
}

/* ------------------------------------------------------------------ iteration */

void us_internal_loop_pre(struct us_loop_t *loop) {
    loop->data.low_prio_budget = US_LOW_PRIO_BUDGET;
    us_internal_handle_low_prio(loop);
    if (loop->data.pre_cb) {
        loop->data.pre_cb(loop);
    }
}

void us_internal_loop_post(struct us_loop_t *loop) {
    us_internal_free_closed_sockets(loop);
    if (loop->data.post_cb) {
        loop->data.post_cb(loop);
    }
    loop->data.iteration_nr++;
}

void us_internal_dispatch_ready_poll(struct us_poll_t *p, int error, int events) {
    switch (p->kind) {
    case POLL_TYPE_CALLBACK:
    case POLL_TYPE_UDP: {
        us_poll_callback_t cb = *(us_poll_callback_t *) us_poll_ext(p);
        cb(p, error, events);
        break;
    }
    default:
        us_internal_dispatch_socket(p, error, events);
        break;
    }
}

/* One iteration: pre callback, wait, dispatch of what is ready, post callback. */
static void loop_iteration(struct us_loop_t *loop) {
    us_internal_loop_pre(loop);
    loop->num_ready_polls = us_internal_backend_wait(loop);
    for (loop->current_ready_poll = 0; loop->current_ready_poll < loop->num_ready_polls;
         loop->current_ready_poll++) {
        int error, events;
        struct us_poll_t *p = us_internal_backend_ready(loop, loop->current_ready_poll, &error, &events);
        if (p) {
            us_internal_dispatch_ready_poll(p, error, events);
        }
    }
    loop->num_ready_polls = 0;
    loop->current_ready_poll = 0;
    us_internal_loop_post(loop);
}

/* Runs iterations until no non-fallthrough poll or timer is left. */
void us_loop_run(struct us_loop_t *loop) {
    us_loop_integrate(loop);
    loop->data.running = 1;
    while (loop->num_polls > 0) {
        loop_iteration(loop);
    }
    loop->data.running = 0;
}

int us_loop_run_once(struct us_loop_t *loop) {
    if (loop->num_polls > 0) {
        us_loop_integrate(loop);
        loop->data.running = 1;
        loop_iteration(loop);
        loop->data.running = 0;
    }
    return loop->num_polls > 0;
}

/* ------------------------------------------------------------------ sockets */

static struct us_socket_t *on_readable(struct us_loop_t *loop, struct us_socket_t *s) {
    struct us_socket_context_t *context = s->context;
    /* Low-priority sockets (TLS handshakes) get a budget per iteration; the rest wait their turn. */
    if (context->is_low_prio && context->is_low_prio(s)) {
        if (s->flags & US_SOCKET_LOW_PRIO_TURN) {
            s->flags &= (unsigned char) ~US_SOCKET_LOW_PRIO_TURN;
        } else if (loop->data.low_prio_budget > 0) {
            loop->data.low_prio_budget--;
        } else {
            us_internal_low_prio_park(loop, s);
            return NULL;
        }
    }
    char *buf = loop->data.recv_buf + LIBUS_RECV_BUFFER_PADDING;
    ssize_t n = bsd_recv(s->p.fd, buf, LIBUS_RECV_BUFFER_LENGTH);
    if (n > 0) {
        return context->on_data ? context->on_data(s, buf, (int) n) : s;
    }
    if (n == 0) {
        if (s->flags & US_SOCKET_SHUT_DOWN) {
            return us_internal_socket_close(s, 0, NULL); /* both directions done */
        }
        us_poll_change(&s->p, loop, us_poll_events(&s->p) & LIBUS_SOCKET_WRITABLE);
        if (!context->on_end) {
            return us_internal_socket_close(s, 0, NULL);
        }
        return context->on_end(s); /* half-open until the callback closes or shuts down */
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return us_internal_socket_close(s, 0, NULL);
    }
    return s;
}

void us_internal_dispatch_socket(struct us_poll_t *p, int error, int events) {
    struct us_socket_t *s = (struct us_socket_t *) p;
    events &= us_poll_events(p);
    if (p->kind == POLL_TYPE_SEMI_SOCKET) {
        if (s->flags & US_SOCKET_LISTEN) {
            if (events & LIBUS_SOCKET_READABLE) {
                us_internal_accept((struct us_listen_socket_t *) s);
            }
        } else {
            us_internal_connect_ready(s, error);
        }
        return;
    }
    struct us_loop_t *loop = s->context->loop;
    if ((events & LIBUS_SOCKET_WRITABLE) && !error) {
        loop->data.last_write_failed = 0;
        if (s->context->on_writable) {
            s = s->context->on_writable(s);
        }
        if (!s || (s->flags & US_SOCKET_CLOSED)) {
            return;
        }
        if (!loop->data.last_write_failed || (s->flags & US_SOCKET_SHUT_DOWN)) {
            us_poll_change(&s->p, loop, us_poll_events(&s->p) & LIBUS_SOCKET_READABLE);
        }
    }
    if (events & LIBUS_SOCKET_READABLE) {
        s = on_readable(loop, s);
        if (!s || (s->flags & US_SOCKET_CLOSED)) {
            return;
        }
    }
    if (error) {
        us_internal_socket_close(s, 0, NULL); /* EPOLLERR / EPOLLHUP */
    }
}

/* ------------------------------------------------------------------ low-priority queue */

void us_internal_low_prio_park(struct us_loop_t *loop, struct us_socket_t *s) {
    us_poll_change(&s->p, loop, us_poll_events(&s->p) & LIBUS_SOCKET_WRITABLE);
    us_internal_socket_context_unlink_socket(s->context, s);
    s->flags |= US_SOCKET_LOW_PRIO;
    s->next = NULL;
    s->prev = loop->data.low_prio_tail;
    if (loop->data.low_prio_tail) {
        loop->data.low_prio_tail->next = s;
    } else {
        loop->data.low_prio_head = s;
    }
    loop->data.low_prio_tail = s;
}

void us_internal_low_prio_remove(struct us_loop_t *loop, struct us_socket_t *s) {
    if (s->prev) {
        s->prev->next = s->next;
    } else {
        loop->data.low_prio_head = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    } else {
        loop->data.low_prio_tail = s->prev;
    }
    s->prev = s->next = NULL;
    s->flags &= (unsigned char) ~US_SOCKET_LOW_PRIO;
}

void us_internal_handle_low_prio(struct us_loop_t *loop) {
    while (loop->data.low_prio_head && loop->data.low_prio_budget > 0) {
        struct us_socket_t *s = loop->data.low_prio_head;
        us_internal_low_prio_remove(loop, s);
        us_internal_socket_context_link_socket(s->context, s);
        s->flags |= US_SOCKET_LOW_PRIO_TURN;
        us_poll_change(&s->p, loop, us_poll_events(&s->p) | LIBUS_SOCKET_READABLE);
        loop->data.low_prio_budget--;
    }
}
