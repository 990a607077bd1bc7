/*
 * jni_events.c: the queue of hot socket events (see jni_events.h) and its immediate hand-over when full.
 */
#include "jni_events.h"

#include <string.h>
#include <time.h>

static inline struct usj_event *usj_events_append(struct usj_loop_state *st, int32_t n, int kind, int ssl,
                                                  struct us_socket_t *s) {
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    struct usj_event *e = (struct usj_event *)((char *)st->events + USJ_EV_HEADER) + n;
    e->kind = kind;
    e->slot = sx->slot;
    e->generation = sx->generation;
    e->area = ssl;
    if (n == 0) {
        /* the iteration's busy stretch starts at its first event, not when Java sees it (LoopStats) */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        memcpy((char *)st->events + USJ_EV_FIRST_NANOS, &nanos, sizeof(nanos));
    }
    st->events[0] = n + 1;
    return e;
}

/*
 * Hands the queued records to Java now (this event's included) and returns the socket s goes on with: a handler may
 * have adopted it (new memory: Java knows the new pointer) or closed it (s itself, valid until the iteration ends).
 * The areas rewind afterwards (usj_upcall_end).
 */
static struct us_socket_t *usj_events_flush_now(struct usj_loop_state *st, JNIEnv *env, int ssl,
                                                struct us_socket_t *s) {
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    jint slot = sx->slot;
    jint generation = sx->generation;
    usj_upcall_begin(st);
    jlong r = (*env)->CallLongMethod(env, st->core, usj_ids.core_on_flush, slot, generation, usj_to_handle(s));
    usj_upcall_end(st, env);
    return r != 0 ? USJ_PTR(struct us_socket_t, r) : s;
}

struct us_socket_t *usj_events_data(struct usj_loop_state *st, JNIEnv *env, int ssl, struct us_socket_t *s,
                                    char *data, int length) {
    char *base = ssl ? st->recv_base_tls : st->recv_base;
    int pos = st->recv_pos[ssl];
    int32_t n = st->events[0];
    if (base == NULL || data != base + pos + LIBUS_RECV_BUFFER_PADDING || n >= st->event_capacity) {
        return NULL;
    }
    struct usj_event *e = usj_events_append(st, n, USJ_EV_DATA, ssl, s);
    e->offset = pos + LIBUS_RECV_BUFFER_PADDING;
    e->length = length;
    int next = (pos + LIBUS_RECV_BUFFER_PADDING + length + USJ_RECV_GRID - 1) & ~(USJ_RECV_GRID - 1);
    if (next <= st->recv_reserve && n + 1 < st->event_capacity) {
        /* the next read (or decryption) lands past this data, which stays intact until Java took it */
        st->recv_pos[ssl] = next;
        us_loop_use_receive_buffers(st->loop, ssl ? NULL : base + next, ssl ? base + next : NULL);
        return s;
    }
    return usj_events_flush_now(st, env, ssl, s);
}

struct us_socket_t *usj_events_writable(struct usj_loop_state *st, JNIEnv *env, int ssl, struct us_socket_t *s) {
    int32_t n = st->events[0];
    if (n >= st->event_capacity) {
        return NULL;
    }
    struct usj_event *e = usj_events_append(st, n, USJ_EV_WRITABLE, ssl, s);
    e->offset = 0;
    e->length = 0;
    return n + 1 < st->event_capacity ? s : usj_events_flush_now(st, env, ssl, s);
}

void usj_events_settle(struct usj_loop_state *st) {
    if (st->events != NULL && st->events[0] != 0) {
        return; /* Java has not taken the records yet: their data must stay */
    }
    st->recv_pos[0] = 0;
    st->recv_pos[1] = 0;
    us_loop_use_receive_buffers(st->loop, st->recv_base, st->recv_base_tls);
}

void usj_events_setup(struct usj_loop_state *st, char *events, jlong events_capacity, jlong recv_capacity) {
    jlong reserve = (recv_capacity - USJ_RECV_CAPACITY) & ~(jlong)(USJ_RECV_GRID - 1);
    jlong records = events != NULL ? (events_capacity - USJ_EV_HEADER) / (jlong)sizeof(struct usj_event) : 0;
    if (reserve > (1 << 30)) {
        reserve = 1 << 30;
    }
    if (records > (1 << 24)) {
        records = 1 << 24;
    }
    st->recv_reserve = reserve > 0 ? (int)reserve : 0;
    if (records >= 2 && ((uintptr_t)events & 3) == 0) {
        st->events = (int32_t *)(void *)events;
        st->event_capacity = (int)records;
        st->events[0] = 0;
    }
}
