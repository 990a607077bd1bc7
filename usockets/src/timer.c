/*
 * timer.c: the loop's timers. Every timer of a loop sits in one binary min-heap ordered by
 * (deadline, arming order), and the backend keeps a single kernel timer armed at the heap's top.
 * So timers fire strictly in deadline order (ties first-armed first), a loop with 10 000 timers
 * uses one descriptor, and arming or closing one is O(log n).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS 1000000LL

long long us_internal_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int earlier(const struct us_timer_t *a, const struct us_timer_t *b) {
    return a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static void place(struct us_timer_t **heap, int i, struct us_timer_t *t) {
    heap[i] = t;
    t->heap_index = i;
}

static void sift_up(struct us_timer_t **heap, int i) {
    struct us_timer_t *t = heap[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!earlier(t, heap[parent])) {
            break;
        }
        place(heap, i, heap[parent]);
        i = parent;
    }
    place(heap, i, t);
}

static void sift_down(struct us_timer_t **heap, int count, int i) {
    struct us_timer_t *t = heap[i];
    for (;;) {
        int child = 2 * i + 1;
        if (child >= count) {
            break;
        }
        if (child + 1 < count && earlier(heap[child + 1], heap[child])) {
            child++;
        }
        if (!earlier(heap[child], t)) {
            break;
        }
        place(heap, i, heap[child]);
        i = child;
    }
    place(heap, i, t);
}

/* Re-arms the backend's kernel timer for the heap's top, unless it already is (or timers are expiring). */
static void rearm(struct us_loop_t *loop) {
    if (loop->data.timers_expiring) {
        return;
    }
    long long next = loop->data.timer_count ? loop->data.timers[0]->deadline_ns : -1;
    if (next != loop->data.timer_armed_ns) {
        loop->data.timer_armed_ns = next;
        us_internal_backend_arm_timer(loop, next);
    }
}

static int heap_insert(struct us_loop_t *loop, struct us_timer_t *t) {
    struct us_internal_loop_data_t *d = &loop->data;
    if (d->timer_count == d->timer_capacity) {
        int capacity = d->timer_capacity ? d->timer_capacity * 2 : 16;
        struct us_timer_t **grown = realloc(d->timers, (size_t) capacity * sizeof(*grown));
        if (!grown) {
            return -1;
        }
        d->timers = grown;
        d->timer_capacity = capacity;
    }
    t->seq = d->timer_seq++;
    place(d->timers, d->timer_count, t);
    sift_up(d->timers, d->timer_count++);
    if (!t->fallthrough) {
        loop->num_polls++;
    }
    return 0;
}

static void heap_remove(struct us_loop_t *loop, struct us_timer_t *t) {
    struct us_internal_loop_data_t *d = &loop->data;
    int i = t->heap_index;
    if (i < 0) {
        return;
    }
    t->heap_index = -1;
    if (!t->fallthrough) {
        loop->num_polls--;
    }
    struct us_timer_t *last = d->timers[--d->timer_count];
    if (i == d->timer_count) {
        return;
    }
    place(d->timers, i, last);
    if (i > 0 && earlier(last, d->timers[(i - 1) / 2])) {
        sift_up(d->timers, i);
    } else {
        sift_down(d->timers, d->timer_count, i);
    }
}

/* Fires every timer whose deadline has passed, in deadline order; called by the backend. */
void us_internal_timers_expire(struct us_loop_t *loop) {
    struct us_internal_loop_data_t *d = &loop->data;
    long long now = us_internal_now_ns();
    d->timers_expiring = 1;
    /* Deadlines set during this pass lie after `now` (see us_timer_set), so the pass always ends. */
    while (d->timer_count && d->timers[0]->deadline_ns <= now) {
        struct us_timer_t *t = d->timers[0];
        heap_remove(loop, t);
        if (t->repeat_ms) {
            long long period = t->repeat_ms * NS_PER_MS;
            t->deadline_ns += period;
            if (t->deadline_ns <= now) { /* missed periods coalesce into this one call, as a timerfd's would */
                t->deadline_ns = now + period;
            }
            heap_insert(loop, t);
        }
        if (t->cb) {
            t->cb(t);
        }
    }
    d->timers_expiring = 0;
    rearm(loop);
}

/* A timer with ext_size bytes of extension, or NULL; not armed until us_timer_set. */
struct us_timer_t *us_create_timer(struct us_loop_t *loop, int fallthrough, unsigned int ext_size) {
    struct us_timer_t *t = malloc(US_ALIGN_UP(sizeof(struct us_timer_t)) + ext_size);
    if (!t) {
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    t->loop = loop;
    t->heap_index = -1;
    t->fallthrough = fallthrough ? 1 : 0;
    return t;
}

/* The timer's extension area. */
void *us_timer_ext(struct us_timer_t *timer) {
    return US_EXT_AFTER(timer, sizeof(struct us_timer_t));
}

/* Arms the timer (first after ms, then every repeat_ms); both 0 disarms. A fired one-shot no longer keeps
 * the loop alive. */
void us_timer_set(struct us_timer_t *t, void (*cb)(struct us_timer_t *t), int ms, int repeat_ms) {
    if (t->closed) {
        return;
    }
    struct us_loop_t *loop = t->loop;
    heap_remove(loop, t);
    t->cb = cb;
    t->repeat_ms = repeat_ms > 0 ? repeat_ms : 0;
    if (ms <= 0 && t->repeat_ms == 0) {
        rearm(loop);
        return;
    }
    /* +1 ns for ms 0: "as soon as possible", yet strictly after any expiry pass already under way */
    t->deadline_ns = us_internal_now_ns() + (ms > 0 ? ms * NS_PER_MS : 1);
    heap_insert(loop, t);
    rearm(loop);
}

/* Non-zero while the timer is armed. */
int us_internal_timer_armed(struct us_timer_t *t) {
    return t->heap_index >= 0;
}

/* Disarms the timer; its memory stays valid until the end of the iteration. */
void us_timer_close(struct us_timer_t *t) {
    if (t->closed) {
        return;
    }
    t->closed = 1;
    heap_remove(t->loop, t);
    rearm(t->loop);
    us_internal_loop_free_later(t->loop, t);
}

/* Frees a timer at once (loop teardown only). */
void us_internal_timer_free_now(struct us_timer_t *t) {
    if (!t->closed) {
        heap_remove(t->loop, t);
    }
    free(t);
}

/* Frees the heap itself (loop teardown, after every timer was freed). */
void us_internal_timers_free(struct us_loop_t *loop) {
    free(loop->data.timers);
    loop->data.timers = NULL;
    loop->data.timer_count = loop->data.timer_capacity = 0;
}

/* The loop the timer belongs to. */
struct us_loop_t *us_timer_loop(struct us_timer_t *t) {
    return t->loop;
}
