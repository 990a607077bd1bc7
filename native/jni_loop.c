/*
 * jni_loop.c: natives of the loop family (Natives.loop*) and the loop's wakeup trampoline (LoopCore.onWakeup).
 * Java drives the loop one iteration at a time (loopRunOnce, from Loop.run) and does each iteration's pre and
 * post work between the downcalls, so the loop has no pre or post callback: a downcall costs less than an upcall.
 */
#include <string.h>

#include "jni_events.h"

static void usj_on_wakeup(struct us_loop_t *loop) {
    struct usj_loop_state *st = usj_state(loop);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return;
    }
    usj_upcall_begin(st);
    (*env)->CallVoidMethod(env, st->core, usj_ids.core_on_wakeup);
    usj_upcall_end(st, env);
}

/* The address of a direct buffer of at least USJ_RECV_CAPACITY bytes, else NULL. */
static char *usj_recv_area(JNIEnv *env, jobject buffer) {
    if (buffer == NULL || (*env)->GetDirectBufferCapacity(env, buffer) < (jlong)USJ_RECV_CAPACITY) {
        return NULL;
    }
    return (char *)(*env)->GetDirectBufferAddress(env, buffer);
}

/*
 * long loopCreate(Object core, ByteBuffer plain, ByteBuffer tls, ByteBuffer events), core being a LoopCore: a new
 * loop whose upcalls go to core, receiving into plain and decrypting into tls (direct buffers of R +
 * USJ_RECV_CAPACITY bytes, R >= 0 the reserve for batched data (jni_events.h), owned by Java: they outlive the loop as
 * long as a view of them is reachable; tls may be null without TLS), queueing hot events in events (a direct buffer;
 * null: none queued); 0 on failure.
 */
static jlong usj_loop_create(JNIEnv *env, jclass cls, jobject core, jobject plain, jobject tls, jobject events) {
    (void)cls;
    char *plain_area = usj_recv_area(env, plain);
    char *tls_area = tls != NULL ? usj_recv_area(env, tls) : NULL;
    if (plain_area == NULL || (tls != NULL && tls_area == NULL)) {
        return 0;
    }
    jlong recv_capacity = (*env)->GetDirectBufferCapacity(env, plain);
    if (tls != NULL && (*env)->GetDirectBufferCapacity(env, tls) < recv_capacity) {
        recv_capacity = (*env)->GetDirectBufferCapacity(env, tls);
    }
    char *event_area = events != NULL ? (char *)(*env)->GetDirectBufferAddress(env, events) : NULL;
    jlong event_capacity = event_area != NULL ? (*env)->GetDirectBufferCapacity(env, events) : 0;
    struct us_loop_t *loop =
        us_create_loop(NULL, usj_on_wakeup, NULL, NULL, (unsigned int)sizeof(struct usj_loop_state));
    if (loop == NULL) {
        return 0;
    }
    struct usj_loop_state *st = usj_state(loop);
    memset(st, 0, sizeof(*st));
    if ((*env)->GetJavaVM(env, &st->vm) != JNI_OK) {
        us_loop_free(loop);
        return 0;
    }
    st->core = (*env)->NewGlobalRef(env, core);
    if (st->core == NULL) {
        us_loop_free(loop);
        return 0;
    }
    us_loop_use_receive_buffers(loop, plain_area, tls_area);
    st->loop = loop;
    st->recv_base = plain_area;
    st->recv_base_tls = tls_area;
    usj_events_setup(st, event_area, event_capacity, recv_capacity);
    return usj_to_handle(loop);
}

/* void loopFree(long loop): frees a loop that is not running, and the shim's reference to its core. */
static void usj_loop_free(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    struct us_loop_t *loop = USJ_PTR(struct us_loop_t, handle);
    struct usj_loop_state *st = usj_state(loop);
    jobject core = st->core;
    st->env = env;
    us_loop_free(loop); /* the receive areas are Java's: freed by the GC once no view of them is reachable */
    (*env)->DeleteGlobalRef(env, core);
}

/*
 * int loopRunOnce(long loop): one iteration on this thread, driven from Java (Loop.run), which did the pre work
 * before and dispatches the queued events, the post hook and the next pre work after it returns (LoopCore).
 * 0: the loop was not alive (no iteration); 1: it ran one and is not alive now; 2: it is alive.
 */
static jint usj_loop_run_once(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    struct us_loop_t *loop = USJ_PTR(struct us_loop_t, handle);
    struct usj_loop_state *st = usj_state(loop);
    if ((st->recv_pos[0] | st->recv_pos[1]) != 0) {
        usj_events_settle(st); /* Java took the last iteration's records: the receive areas start over */
    }
    if (!us_loop_alive(loop)) {
        return 0;
    }
    JNIEnv *outer = st->env;
    st->env = env;
    st->in_run = 1;
    int alive = us_loop_run_once(loop);
    st->in_run = 0;
    st->env = outer;
    return alive ? 2 : 1;
}

/* void loopWakeup(long loop): thread-safe; the loop calls LoopCore.onWakeup soon. */
static void usj_loop_wakeup(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    us_wakeup_loop(USJ_PTR(struct us_loop_t, handle));
}

/* boolean loopAlive(long loop): whether another iteration follows (asked by Loop.run and LoopCore.onPost). */
static jboolean usj_loop_alive(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    return us_loop_alive(USJ_PTR(struct us_loop_t, handle)) ? JNI_TRUE : JNI_FALSE;
}

/* long loopIteration(long loop): iterations completed so far. */
static jlong usj_loop_iteration(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    return (jlong)us_loop_iteration_number(USJ_PTR(struct us_loop_t, handle));
}

static const JNINativeMethod usj_loop_methods[] = {
    {"loopCreate", "(Ljava/lang/Object;Ljava/nio/ByteBuffer;Ljava/nio/ByteBuffer;Ljava/nio/ByteBuffer;)J",
     (void *)usj_loop_create},
    {"loopFree", "(J)V", (void *)usj_loop_free},
    {"loopRunOnce", "(J)I", (void *)usj_loop_run_once},
    {"loopWakeup", "(J)V", (void *)usj_loop_wakeup},
    {"loopIteration", "(J)J", (void *)usj_loop_iteration},
    {"loopAlive", "(J)Z", (void *)usj_loop_alive},
};

int usj_register_loop(JNIEnv *env, jclass natives) {
    jint n = (jint)(sizeof(usj_loop_methods) / sizeof(usj_loop_methods[0]));
    return (*env)->RegisterNatives(env, natives, usj_loop_methods, n) == JNI_OK ? 0 : -1;
}
