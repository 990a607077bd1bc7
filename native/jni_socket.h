/*
 * jni_socket.h: what the context and socket families of the shim share (jni_context.c, jni_socket.c).
 *
 * A TCP object's ssl flag comes from Java (the context's kind) with every call; the trampolines exist
 * once per kind, so each knows its ssl flag without asking. Natives that may make the core call back
 * into Java (close, adopt, TLS writes that fail, context close, ...) bracket the core call with
 * USJ_ENTER / USJ_LEAVE so the callbacks find this thread's env even before run() or after it returned.
 */
#ifndef USJ_JNI_SOCKET_H
#define USJ_JNI_SOCKET_H

#include "jni_util.h"

/* The shim's per-loop state of a socket's loop. */
static inline struct usj_loop_state *usj_socket_state(int ssl, struct us_socket_t *s) {
    return usj_state(us_socket_context_loop(ssl, us_socket_context(ssl, s)));
}

/* The shim's per-loop state of a context's loop. */
static inline struct usj_loop_state *usj_context_state(int ssl, struct us_socket_context_t *c) {
    return usj_state(us_socket_context_loop(ssl, c));
}

/* Makes env the callbacks' env for the duration of a core call (restored by USJ_LEAVE). */
#define USJ_ENTER(st, jenv)                                                                        \
    JNIEnv *usj_outer_env_ = (st)->env;                                                            \
    (st)->env = (jenv)
#define USJ_LEAVE(st) ((st)->env = usj_outer_env_)

/* The slot ext of a socket (where its Java Socket sits in the loop's socket table). */
static inline struct usj_slot_ext *usj_socket_slot(int ssl, struct us_socket_t *s) {
    return (struct usj_slot_ext *)us_socket_ext(ssl, s);
}

/* Installs the shim's trampolines of the given kind as every callback of a new context. */
void usj_socket_install_callbacks(int ssl, struct us_socket_context_t *context);

/* A negative errno (EIO when errno says nothing) for a failed call returning a handle. */
jlong usj_failure_code(void);

#endif
