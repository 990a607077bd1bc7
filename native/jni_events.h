/*
 * jni_events.h: batching of the hot socket events (on_data, on_writable): Java dispatches them after the iteration.
 *
 * The event area is a Java direct buffer (LoopEvents): a USJ_EV_HEADER-byte header whose first int32 counts the
 * queued records, then struct usj_event records. C appends and counts; Java zeroes the count when it takes the
 * records (at the start of any LoopCore upcall, and after each iteration in Loop.run), so C knows whether they were
 * taken (loopRunOnce rewinds the areas when they were). Plain data
 * stays where the core read it: after each queued data record the shim moves the loop's receive buffer on
 * (us_loop_use_receive_buffers) to the next USJ_RECV_GRID boundary past it, and when that would pass the
 * reserve R, or the event area is full, it hands the batch over at once (LoopCore.onFlush, this event included).
 * Decrypted TLS data works the same in the TLS area. Records name sockets by slot and generation only.
 */
#ifndef USJ_JNI_EVENTS_H
#define USJ_JNI_EVENTS_H

#include "jni_socket.h"

#define USJ_EV_HEADER 16  /* bytes before the first record (LoopEvents.HEADER) */
#define USJ_EV_FIRST_NANOS 8 /* header offset of an int64: CLOCK_MONOTONIC (System.nanoTime) of the first record */
#define USJ_EV_DATA 1     /* length bytes at offset of receive area `area` (0 plain, 1 TLS) arrived */
#define USJ_EV_WRITABLE 2 /* the socket can take more */
#define USJ_RECV_GRID 64  /* read positions are multiples of this (LoopTcp.GRID: one cached view per position) */

/* One queued event (LoopEvents.RECORD bytes). */
struct usj_event {
    int32_t kind;
    int32_t slot;
    int32_t generation;
    int32_t area;
    int32_t offset;
    int32_t length;
};

/* True when a hot event may be queued now: the loop runs and no upcall is in progress. */
static inline int usj_events_batching(const struct usj_loop_state *st) {
    return st->depth == 0 && st->in_run && st->events != NULL;
}

/* Queues on_data of s; returns the socket to go on with, or NULL when it was not queued (data not where the shim put
 * the buffer, or no room): the caller then delivers it directly. */
struct us_socket_t *usj_events_data(struct usj_loop_state *st, JNIEnv *env, int ssl, struct us_socket_t *s,
                                    char *data, int length);

/* Queues on_writable of s; as usj_events_data. */
struct us_socket_t *usj_events_writable(struct usj_loop_state *st, JNIEnv *env, int ssl, struct us_socket_t *s);

/* loopCreate: records the event area (NULL or too small: no batching) and the receive areas' reserve. */
void usj_events_setup(struct usj_loop_state *st, char *events, jlong events_capacity, jlong recv_capacity);

#endif
