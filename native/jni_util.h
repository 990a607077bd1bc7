/*
 * jni_util.h: what every file of the JNI shim shares.
 *
 * Conventions (read before adding a jni_<family>.c):
 * - Natives are static methods of org.usockets4j.internal.Natives taking and returning primitives
 *   (long handles, int slots, offsets, lengths). Each jni_<family>.c keeps a static JNINativeMethod
 *   table and one usj_register_<family>() that JNI_OnLoad (jni_onload.c) calls; add yours to the
 *   list there. Errors come back as negative codes (or 0 handles); Java builds the exceptions.
 * - Java checks closed/thread state before every native call, so a handle reaching C is live.
 * - A loop's ext is a struct usj_loop_state. Every native that can make the core call back
 *   (run, close of sockets, ...) sets st->env to its own env first: callbacks use st->env and never
 *   attach or look anything up.
 * - A timer's (later a socket's, context's) ext is a struct usj_slot_ext: the slot and generation of
 *   the Java wrapper in a table owned by the loop's LoopCore. No global reference per object.
 * - One trampoline per callback kind calls one LoopCore method with primitives only, bracketed by
 *   usj_upcall_begin() / usj_upcall_end() (the nesting count that event batching needs, and
 *   usj_after_upcall() as a backstop for a Java exception that escaped the dispatcher). Never call
 *   Java from a callback without them.
 * - Hot events (on_data, on_writable of TCP and TLS sockets) are batched (jni_events.c): while the
 *   loop runs and no upcall is in progress, the trampoline appends a record (kind, slot, generation,
 *   area, offset, length) to the loop's event area and returns at once; plain data stays in the
 *   receive area, which the shim moves on past it. Every LoopCore upcall first dispatches the queued
 *   records in order (Java zeroes the count in the area when it takes them), so Java sees callbacks in
 *   the order the core made them. Inside an upcall (or outside run) hot events go to Java directly.
 * - The other way, small sends the handlers of a batch make on plain sockets are corked by Java
 *   (LoopWrites) and written by one downcall when the batch ends (jni_cork.c).
 * - Classes and method IDs are cached once in usj_ids by JNI_OnLoad; never FindClass/GetMethodID
 *   on a hot path.
 */
#ifndef USJ_JNI_UTIL_H
#define USJ_JNI_UTIL_H

#include <jni.h>
#include <stdint.h>

#include "libusockets.h"

#define USJ_EXPORT __attribute__((visibility("default")))
#define USJ_JNI_VERSION JNI_VERSION_1_8

/* Binary names of the Java classes the shim talks to. */
#define USJ_NATIVES_CLASS "org/usockets4j/internal/Natives"
#define USJ_LOOPCORE_CLASS "org/usockets4j/LoopCore"

/* The shim's per-loop state, kept in the loop's ext area. */
struct usj_loop_state {
    JavaVM *vm;          /* the VM that created the loop */
    JNIEnv *env;         /* env of the thread inside a native that may call back (run, close...), else NULL */
    jobject core;        /* global ref: the loop's org.usockets4j.LoopCore, target of every upcall */
    struct us_loop_t *loop;
    char *recv_base;     /* the loop's receive area: Java's direct buffer 0 (LoopTcp), GC-owned */
    char *recv_base_tls; /* the TLS layer's decrypted-data area: Java's direct buffer 1, or NULL (no TLS) */
    int recv_reserve;    /* R: each receive area is R + LIBUS_RECV_BUFFER_SIZE bytes; a read position stays <= R */
    int recv_pos[2];     /* where the core's next read (0) / decryption (1) buffer starts in its area */
    int32_t *events;     /* Java's event area (jni_events.h): events[0] counts the queued records; NULL: no batching */
    int event_capacity;  /* records the event area holds */
    int depth;           /* upcalls in progress (a hot event inside one goes to Java directly) */
    int in_run;          /* inside loopRunOnce (outside it, hot events go to Java directly) */
    struct usj_cork *cork; /* Java's cork records (LoopWrites, jni_cork.c), or NULL: no corking */
    char *cork_data;       /* the bytes the cork records point into */
    int cork_capacity;     /* records the cork area holds */
    jlong cork_data_capacity;
};

/* The least size of a receive area Java hands loopCreate (LIBUS_RECV_BUFFER_LENGTH plus padding on both sides). */
#define USJ_RECV_CAPACITY LIBUS_RECV_BUFFER_SIZE

/* The ext area of a timer, socket or context: where its Java wrapper sits in the loop's slot table. */
struct usj_slot_ext {
    jint slot;
    jint generation;
};

/* Class references (global) and method IDs cached by JNI_OnLoad. */
struct usj_ids {
    jclass natives;
    jclass loop_core;
    jmethodID core_on_wakeup; /* void onWakeup() */
    jmethodID core_on_timer;  /* void onTimer(int slot, int generation) */
    /* sockets (jni_socket.c): each returns the socket pointer to continue with (0: the one given) */
    jmethodID core_on_pre_open;        /* int onPreOpen(int ctxSlot, int ctxGen, int fd, long ipHi, long ipLo, int ipLen) */
    jmethodID core_on_open;            /* long onOpen(int ctxSlot, int ctxGen, int slot, int gen, long s, int isClient, long ipHi, long ipLo, int ipLen) */
    jmethodID core_on_data;            /* long onData(int slot, int gen, long s, int buffer, int offset, int length) */
    jmethodID core_on_writable;        /* long onWritable(int slot, int gen, long s) */
    jmethodID core_on_end;             /* long onEnd(int slot, int gen, long s) */
    jmethodID core_on_timeout;         /* long onTimeout(int slot, int gen, long s) */
    jmethodID core_on_long_timeout;    /* long onLongTimeout(int slot, int gen, long s) */
    jmethodID core_on_connect_error;   /* long onConnectError(int slot, int gen, long s, int code) */
    jmethodID core_on_close;           /* long onClose(int slot, int gen, long s, int code, long reason) */
    jmethodID core_on_recv_buffer;     /* void onRecvBuffer(int index, ByteBuffer buffer) */
    jmethodID core_on_flush;           /* long onFlush(int slot, int gen, long s): dispatches the queued records */
    jmethodID core_on_udp_data;  /* void onUdpData(int slot, int generation, int count) */
    jmethodID core_on_udp_drain; /* void onUdpDrain(int slot, int generation) */
};

extern struct usj_ids usj_ids;

/* Registration entry points of each family, called by JNI_OnLoad; 0 on success. */
int usj_register_loop(JNIEnv *env, jclass natives);
int usj_register_timer(JNIEnv *env, jclass natives);
int usj_register_context(JNIEnv *env, jclass natives);
int usj_register_socket(JNIEnv *env, jclass natives);
int usj_register_udp(JNIEnv *env, jclass natives);
int usj_register_cork(JNIEnv *env, jclass natives);
int usj_register_tls(JNIEnv *env, jclass natives); /* jni_tls.c: natives on TlsNatives, not Natives */

/* Handles cross the JNI boundary as jlong. */
static inline jlong usj_to_handle(const void *p) {
    return (jlong)(intptr_t)p;
}
#define USJ_PTR(type, handle) ((type *)(intptr_t)(handle))

/* The shim's state of a loop. */
static inline struct usj_loop_state *usj_state(struct us_loop_t *loop) {
    return (struct usj_loop_state *)us_loop_ext(loop);
}

/* Backstop after every upcall: the dispatcher catches everything, but a pending exception must
 * never travel on into the C core (or into the next JNI call), so it is cleared here. */
static inline void usj_after_upcall(JNIEnv *env) {
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionClear(env);
    }
}

/* jni_events.c: after the outermost upcall returned, rewinds the receive areas if Java took every queued record. */
void usj_events_settle(struct usj_loop_state *st);

/* Before every upcall. */
static inline void usj_upcall_begin(struct usj_loop_state *st) {
    st->depth++;
}

/* After every upcall (instead of usj_after_upcall). */
static inline void usj_upcall_end(struct usj_loop_state *st, JNIEnv *env) {
    usj_after_upcall(env);
    if (--st->depth == 0 && (st->recv_pos[0] | st->recv_pos[1]) != 0) {
        usj_events_settle(st);
    }
}

#endif
