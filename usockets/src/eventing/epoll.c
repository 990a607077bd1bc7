/*
 * epoll.c: the Linux eventing backend. Level-triggered epoll for polls, one timerfd armed for the
 * earliest deadline of the loop's timer heap (timer.c), an eventfd for us_wakeup_loop. Another
 * backend (kqueue) would be a sibling file providing the same functions.
 */
#include "internal.h"
#include "sys.h"

#ifdef LIBUS_USE_EPOLL

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* ------------------------------------------------------------------ backend */

static int timer_poll_open(struct us_loop_t *loop);
static void timer_poll_close(struct us_loop_t *loop);

int us_internal_backend_open(struct us_loop_t *loop) {
    loop->fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->fd >= 0 && timer_poll_open(loop) != 0) {
        close(loop->fd);
        loop->fd = -1;
    }
    return loop->fd;
}

void us_internal_backend_close(struct us_loop_t *loop) {
    timer_poll_close(loop);
    if (loop->fd >= 0) {
        close(loop->fd);
    }
    loop->fd = -1;
}

int us_internal_backend_wait(struct us_loop_t *loop) {
    int n = us_sys_epoll_wait(loop->fd, loop->ready_polls, US_MAX_READY_POLLS, -1);
    return n < 0 ? 0 : n;
}

struct us_poll_t *us_internal_backend_ready(struct us_loop_t *loop, int i, int *error, int *events) {
    struct epoll_event *e = &loop->ready_polls[i];
    *error = (e->events & (EPOLLERR | EPOLLHUP)) ? 1 : 0;
    *events = (int) (e->events & (EPOLLIN | EPOLLOUT));
    return (struct us_poll_t *) e->data.ptr;
}

/* Replaces p in the part of the ready list not yet dispatched (NULL: drops it). */
static void replace_ready(struct us_loop_t *loop, uintptr_t p, struct us_poll_t *with) {
    for (int i = loop->current_ready_poll + 1; i < loop->num_ready_polls; i++) {
        if ((uintptr_t) loop->ready_polls[i].data.ptr == p) {
            loop->ready_polls[i].data.ptr = with;
        }
    }
}

/* ------------------------------------------------------------------ polls */

/* A poll with ext_size bytes of extension, not yet bound to a descriptor. */
struct us_poll_t *us_create_poll(struct us_loop_t *loop, int fallthrough, unsigned int ext_size) {
    (void) loop;
    struct us_poll_t *p = malloc(US_ALIGN_UP(sizeof(struct us_poll_t)) + ext_size);
    if (!p) {
        return NULL;
    }
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->fallthrough = fallthrough ? 1 : 0;
    return p;
}

/* Frees a poll that is not started; the descriptor stays the caller's. */
void us_poll_free(struct us_poll_t *p, struct us_loop_t *loop) {
    if (p->started) {
        us_poll_stop(p, loop);
    }
    free(p);
}

/* Binds the poll to fd with a POLL_TYPE_* kind (keeps its fallthrough setting). */
void us_poll_init(struct us_poll_t *p, LIBUS_SOCKET_DESCRIPTOR fd, int poll_type) {
    p->fd = fd;
    p->kind = (unsigned char) poll_type;
    p->started = 0;
    p->events = 0;
}

static uint32_t epoll_bits(int events) {
    return (uint32_t) (events & (LIBUS_SOCKET_READABLE | LIBUS_SOCKET_WRITABLE));
}

/* Registers the poll for events; a non-fallthrough poll keeps us_loop_run going. */
void us_poll_start(struct us_poll_t *p, struct us_loop_t *loop, int events) {
    if (p->started) {
        us_poll_change(p, loop, events);
        return;
    }
    struct epoll_event e = {.events = epoll_bits(events), .data.ptr = p};
    if (epoll_ctl(loop->fd, EPOLL_CTL_ADD, p->fd, &e) != 0) {
        return;
    }
    p->events = (int) epoll_bits(events);
    p->started = 1;
    if (!p->fallthrough) {
        loop->num_polls++;
    }
}

/* Changes the watched events of a started poll. */
void us_poll_change(struct us_poll_t *p, struct us_loop_t *loop, int events) {
    if (!p->started) {
        us_poll_start(p, loop, events);
        return;
    }
    if ((int) epoll_bits(events) == p->events) {
        return;
    }
    struct epoll_event e = {.events = epoll_bits(events), .data.ptr = p};
    epoll_ctl(loop->fd, EPOLL_CTL_MOD, p->fd, &e);
    p->events = (int) epoll_bits(events);
}

/* Unregisters the poll; it is not dispatched again, not even later in this iteration. */
void us_poll_stop(struct us_poll_t *p, struct us_loop_t *loop) {
    if (!p->started) {
        return;
    }
    struct epoll_event e = {0};
    epoll_ctl(loop->fd, EPOLL_CTL_DEL, p->fd, &e);
    p->started = 0;
    p->events = 0;
    if (!p->fallthrough) {
        loop->num_polls--;
    }
    replace_ready(loop, (uintptr_t) p, NULL);
}

/* The events being watched (0 when stopped). */
int us_poll_events(struct us_poll_t *p) {
    return p->events;
}

/* The poll's extension area. */
void *us_poll_ext(struct us_poll_t *p) {
    return US_EXT_AFTER(p, sizeof(struct us_poll_t));
}

/* The descriptor given to us_poll_init. */
LIBUS_SOCKET_DESCRIPTOR us_poll_fd(struct us_poll_t *p) {
    return p->fd;
}

/* Reallocates the poll for a new ext size, keeping its registration and place in the ready list. */
struct us_poll_t *us_poll_resize(struct us_poll_t *p, struct us_loop_t *loop, unsigned int ext_size) {
    uintptr_t old = (uintptr_t) p; /* compared only, never dereferenced after realloc */
    struct us_poll_t *np = realloc(p, US_ALIGN_UP(sizeof(struct us_poll_t)) + ext_size);
    if (!np) {
        return NULL;
    }
    if ((uintptr_t) np != old && np->started) {
        struct epoll_event e = {.events = (uint32_t) np->events, .data.ptr = np};
        epoll_ctl(loop->fd, EPOLL_CTL_MOD, np->fd, &e);
        replace_ready(loop, old, np);
    }
    return np;
}

/* ------------------------------------------------------------------ the kernel timer */

struct timer_poll_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_poll_t p;
    us_poll_callback_t dispatch;
    struct us_loop_t *loop;
};

static void timer_poll_dispatch(struct us_poll_t *p, int error, int events) {
    (void) error;
    (void) events;
    uint64_t expirations;
    /* EAGAIN: re-armed since it became ready; the heap decides what is due either way. */
    if (read(p->fd, &expirations, sizeof(expirations)) < 0) {
        expirations = 0;
    }
    us_internal_timers_expire(((struct timer_poll_t *) p)->loop);
}

static int timer_poll_open(struct us_loop_t *loop) {
    struct timer_poll_t *tp = malloc(sizeof(*tp));
    if (!tp) {
        return -1;
    }
    memset(tp, 0, sizeof(*tp));
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) {
        free(tp);
        return -1;
    }
    tp->p.fallthrough = 1; /* the armed timers themselves count in num_polls */
    us_poll_init(&tp->p, fd, POLL_TYPE_CALLBACK);
    tp->dispatch = timer_poll_dispatch;
    tp->loop = loop;
    us_poll_start(&tp->p, loop, LIBUS_SOCKET_READABLE);
    if (!tp->p.started) {
        close(fd);
        free(tp);
        return -1;
    }
    loop->data.timer_poll = &tp->p;
    loop->data.timer_armed_ns = -1;
    return 0;
}

static void timer_poll_close(struct us_loop_t *loop) {
    struct us_poll_t *p = loop->data.timer_poll;
    if (p) {
        us_poll_stop(p, loop);
        close(p->fd);
        free(p);
        loop->data.timer_poll = NULL;
    }
}

void us_internal_backend_arm_timer(struct us_loop_t *loop, long long deadline_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof(spec));
    if (deadline_ns >= 0) {
        spec.it_value.tv_sec = (time_t) (deadline_ns / 1000000000LL);
        spec.it_value.tv_nsec = (long) (deadline_ns % 1000000000LL);
        if (!spec.it_value.tv_sec && !spec.it_value.tv_nsec) {
            spec.it_value.tv_nsec = 1; /* zero would disarm */
        }
    }
    timerfd_settime(loop->data.timer_poll->fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

/* ------------------------------------------------------------------ wakeup */

struct wakeup_poll_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_poll_t p;
    us_poll_callback_t dispatch;
    struct us_loop_t *loop;
};

static void wakeup_dispatch(struct us_poll_t *p, int error, int events) {
    (void) error;
    (void) events;
    struct wakeup_poll_t *w = (struct wakeup_poll_t *) p;
    uint64_t count;
    /* One read takes every wakeup so far: they coalesce into this one call. */
    if (read(p->fd, &count, sizeof(count)) == (ssize_t) sizeof(count) && w->loop->data.wakeup_cb) {
        w->loop->data.wakeup_cb(w->loop);
    }
}

struct us_poll_t *us_internal_create_wakeup_poll(struct us_loop_t *loop) {
    struct wakeup_poll_t *w = malloc(sizeof(*w));
    if (!w) {
        return NULL;
    }
    memset(w, 0, sizeof(*w));
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        free(w);
        return NULL;
    }
    w->p.fallthrough = 1;
    us_poll_init(&w->p, fd, POLL_TYPE_CALLBACK);
    w->dispatch = wakeup_dispatch;
    w->loop = loop;
    us_poll_start(&w->p, loop, LIBUS_SOCKET_READABLE);
    return &w->p;
}

void us_internal_free_wakeup_poll(struct us_loop_t *loop, struct us_poll_t *p) {
    us_poll_stop(p, loop);
    close(p->fd);
    free(p);
}

/* Thread-safe: one eventfd write; the loop thread reads them all at once. */
void us_wakeup_loop(struct us_loop_t *loop) {
    uint64_t one = 1;
    ssize_t n;
    do {
        n = write(loop->data.wakeup_poll->fd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
}

#endif
