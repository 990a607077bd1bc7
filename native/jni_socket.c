/*
 * jni_socket.c: natives of the socket family (Natives.socket*, listenSocket*) and the socket
 * trampolines, one per callback kind and per context kind (plain, TLS), each calling one LoopCore
 * method with primitives only. A socket's ext is a struct usj_slot_ext (its Java Socket in the loop's
 * socket table); a context's ext likewise. Every trampoline returns the socket pointer Java says the
 * socket continues with (changed by an adoption inside the callback, or inside the dispatch of queued
 * events that precedes it). on_data and on_writable are queued while the loop runs (jni_events.c).
 */
#include <errno.h>
#include <string.h>

#include "jni_events.h"

/* Index of the ad-hoc receive buffer: data outside both known receive areas (not expected). */
#define USJ_RECV_ADHOC 2

jlong usj_failure_code(void) {
    return -(jlong)(errno > 0 ? errno : EIO);
}

static inline jlong usj_pack_ip(const char *ip, int from, int length) {
    uint64_t v = 0;
    for (int i = from; i < from + 8; i++) {
        v = (v << 8) | (uint64_t)(i < length ? (unsigned char)ip[i] : 0);
    }
    return (jlong)v;
}

static inline struct us_socket_t *usj_continue_with(jlong r, struct us_socket_t *s) {
    return r != 0 ? USJ_PTR(struct us_socket_t, r) : s;
}

/* ---------------------------------------------------------------- receive buffers */

/*
 * The core hands on_data a pointer LIBUS_RECV_BUFFER_PADDING bytes into one of the loop's receive areas (the
 * plain one, or the TLS layer's for decrypted data), both Java's own direct buffers (loopCreate gave them to the
 * core), so on_data passes only (buffer index, offset, length) and a view Java handed out never outlives its
 * memory. Data outside both (not expected) is wrapped for the call and Java copies it (ad-hoc buffer). Returns the
 * buffer index, and the base the offset counts from.
 */
static jint usj_recv_buffer(JNIEnv *env, struct usj_loop_state *st, int ssl, char *data, int length, char **base) {
    char *known = ssl ? st->recv_base_tls : st->recv_base;
    if (known != NULL && data >= known && data + length <= known + st->recv_reserve + USJ_RECV_CAPACITY) {
        *base = known;
        return ssl;
    }
    jobject local = (*env)->NewDirectByteBuffer(env, data, length);
    if (local == NULL) {
        usj_after_upcall(env);
        return -1;
    }
    usj_upcall_begin(st);
    (*env)->CallVoidMethod(env, st->core, usj_ids.core_on_recv_buffer, USJ_RECV_ADHOC, local);
    usj_upcall_end(st, env);
    (*env)->DeleteLocalRef(env, local);
    *base = data;
    return USJ_RECV_ADHOC;
}

/* ---------------------------------------------------------------- trampolines */

static inline LIBUS_SOCKET_DESCRIPTOR usj_on_pre_open(int ssl, struct us_socket_context_t *context,
                                                      LIBUS_SOCKET_DESCRIPTOR fd, char *ip, int ip_length) {
    struct usj_loop_state *st = usj_context_state(ssl, context);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return fd;
    }
    struct usj_slot_ext *cx = (struct usj_slot_ext *)us_socket_context_ext(ssl, context);
    usj_upcall_begin(st);
    jint r = (*env)->CallIntMethod(env, st->core, usj_ids.core_on_pre_open, cx->slot, cx->generation, (jint)fd,
                                   usj_pack_ip(ip, 0, ip_length), usj_pack_ip(ip, 8, ip_length), (jint)ip_length);
    jboolean failed = (*env)->ExceptionCheck(env);
    usj_upcall_end(st, env);
    return failed ? fd : (LIBUS_SOCKET_DESCRIPTOR)r;
}

static inline struct us_socket_t *usj_on_open(int ssl, struct us_socket_t *s, int is_client, char *ip,
                                              int ip_length) {
    struct usj_loop_state *st = usj_socket_state(ssl, s);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return s;
    }
    struct us_socket_context_t *context = us_socket_context(ssl, s);
    struct usj_slot_ext *cx = (struct usj_slot_ext *)us_socket_context_ext(ssl, context);
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    if (!is_client) {
        /* accepted: no Java Socket yet; LoopCore.onOpen makes one and binds it (socketBind) */
        sx->slot = -1;
        sx->generation = 0;
    }
    usj_upcall_begin(st);
    jlong r = (*env)->CallLongMethod(env, st->core, usj_ids.core_on_open, cx->slot, cx->generation, sx->slot,
                                     sx->generation, usj_to_handle(s), (jint)is_client, usj_pack_ip(ip, 0, ip_length),
                                     usj_pack_ip(ip, 8, ip_length), (jint)ip_length);
    usj_upcall_end(st, env);
    return usj_continue_with(r, s);
}

static inline struct us_socket_t *usj_on_data(int ssl, struct us_socket_t *s, char *data, int length) {
    struct usj_loop_state *st = usj_socket_state(ssl, s);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return s;
    }
    if (usj_events_batching(st)) {
        struct us_socket_t *queued = usj_events_data(st, env, ssl, s, data, length);
        if (queued != NULL) {
            return queued;
        }
    }
    char *base = NULL;
    jint buffer = usj_recv_buffer(env, st, ssl, data, length, &base);
    if (buffer < 0) {
        /* the receive area could not be wrapped (out of memory): the data cannot be delivered */
        return us_socket_close(ssl, s, ENOMEM, NULL);
    }
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    usj_upcall_begin(st);
    jlong r = (*env)->CallLongMethod(env, st->core, usj_ids.core_on_data, sx->slot, sx->generation,
                                     usj_to_handle(s), buffer, (jint)(data - base), (jint)length);
    usj_upcall_end(st, env);
    return usj_continue_with(r, s);
}

/* The trampolines whose Java method takes (slot, generation, socket) only. */
static inline struct us_socket_t *usj_on_simple(int ssl, struct us_socket_t *s, jmethodID method) {
    struct usj_loop_state *st = usj_socket_state(ssl, s);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return s;
    }
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    usj_upcall_begin(st);
    jlong r = (*env)->CallLongMethod(env, st->core, method, sx->slot, sx->generation, usj_to_handle(s));
    usj_upcall_end(st, env);
    return usj_continue_with(r, s);
}

/* on_writable: queued while the loop runs, else as the simple ones. */
static inline struct us_socket_t *usj_on_writable(int ssl, struct us_socket_t *s) {
    struct usj_loop_state *st = usj_socket_state(ssl, s);
    if (st->env != NULL && usj_events_batching(st)) {
        struct us_socket_t *queued = usj_events_writable(st, st->env, ssl, s);
        if (queued != NULL) {
            return queued;
        }
    }
    return usj_on_simple(ssl, s, usj_ids.core_on_writable);
}

static inline struct us_socket_t *usj_on_connect_error(int ssl, struct us_socket_t *s, int code) {
    struct usj_loop_state *st = usj_socket_state(ssl, s);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return s;
    }
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    usj_upcall_begin(st);
    jlong r = (*env)->CallLongMethod(env, st->core, usj_ids.core_on_connect_error, sx->slot, sx->generation,
                                     usj_to_handle(s), (jint)code);
    usj_upcall_end(st, env);
    return usj_continue_with(r, s);
}

static inline struct us_socket_t *usj_on_close(int ssl, struct us_socket_t *s, int code, void *reason) {
    struct usj_loop_state *st = usj_socket_state(ssl, s);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return s;
    }
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    /* only the TLS layer gives a reason (a C string valid during the call) */
    usj_upcall_begin(st);
    jlong r = (*env)->CallLongMethod(env, st->core, usj_ids.core_on_close, sx->slot, sx->generation,
                                     usj_to_handle(s), (jint)code, ssl ? usj_to_handle(reason) : (jlong)0);
    usj_upcall_end(st, env);
    return usj_continue_with(r, s);
}

/* One set of plain C callbacks per context kind, so each knows its ssl flag. */
#define USJ_TRAMPOLINES(SSL)                                                                                  \
    static LIBUS_SOCKET_DESCRIPTOR usj_pre_open_##SSL(struct us_socket_context_t *c, LIBUS_SOCKET_DESCRIPTOR fd, \
                                                      char *ip, int ip_length) {                              \
        return usj_on_pre_open(SSL, c, fd, ip, ip_length);                                                    \
    }                                                                                                         \
    static struct us_socket_t *usj_open_##SSL(struct us_socket_t *s, int is_client, char *ip, int ip_length) { \
        return usj_on_open(SSL, s, is_client, ip, ip_length);                                                 \
    }                                                                                                         \
    static struct us_socket_t *usj_data_##SSL(struct us_socket_t *s, char *data, int length) {                \
        return usj_on_data(SSL, s, data, length);                                                             \
    }                                                                                                         \
    static struct us_socket_t *usj_writable_##SSL(struct us_socket_t *s) {                                    \
        return usj_on_writable(SSL, s);                                                                       \
    }                                                                                                         \
    static struct us_socket_t *usj_end_##SSL(struct us_socket_t *s) {                                         \
        return usj_on_simple(SSL, s, usj_ids.core_on_end);                                                    \
    }                                                                                                         \
    static struct us_socket_t *usj_timeout_##SSL(struct us_socket_t *s) {                                     \
        return usj_on_simple(SSL, s, usj_ids.core_on_timeout);                                                \
    }                                                                                                         \
    static struct us_socket_t *usj_long_timeout_##SSL(struct us_socket_t *s) {                                \
        return usj_on_simple(SSL, s, usj_ids.core_on_long_timeout);                                           \
    }                                                                                                         \
    static struct us_socket_t *usj_connect_error_##SSL(struct us_socket_t *s, int code) {                     \
        return usj_on_connect_error(SSL, s, code);                                                            \
    }                                                                                                         \
    static struct us_socket_t *usj_close_##SSL(struct us_socket_t *s, int code, void *reason) {               \
        return usj_on_close(SSL, s, code, reason);                                                            \
    }                                                                                                         \
    static void usj_install_##SSL(struct us_socket_context_t *c) {                                            \
        us_socket_context_on_pre_open(SSL, c, usj_pre_open_##SSL);                                            \
        us_socket_context_on_open(SSL, c, usj_open_##SSL);                                                    \
        us_socket_context_on_data(SSL, c, usj_data_##SSL);                                                    \
        us_socket_context_on_writable(SSL, c, usj_writable_##SSL);                                            \
        us_socket_context_on_end(SSL, c, usj_end_##SSL);                                                      \
        us_socket_context_on_timeout(SSL, c, usj_timeout_##SSL);                                              \
        us_socket_context_on_long_timeout(SSL, c, usj_long_timeout_##SSL);                                    \
        us_socket_context_on_connect_error(SSL, c, usj_connect_error_##SSL);                                  \
        us_socket_context_on_close(SSL, c, usj_close_##SSL);                                                  \
    }

USJ_TRAMPOLINES(0)
USJ_TRAMPOLINES(1)

void usj_socket_install_callbacks(int ssl, struct us_socket_context_t *context) {
    if (ssl) {
        usj_install_1(context);
    } else {
        usj_install_0(context);
    }
}

/* ---------------------------------------------------------------- natives */

#define USJ_S(handle) USJ_PTR(struct us_socket_t, handle)

/* void socketBind(int ssl, long s, int slot, int generation): records the Java Socket in the socket's ext. */
static void usj_socket_bind(JNIEnv *env, jclass cls, jint ssl, jlong s, jint slot, jint generation) {
    (void)env;
    (void)cls;
    struct usj_slot_ext *sx = usj_socket_slot(ssl, USJ_S(s));
    sx->slot = slot;
    sx->generation = generation;
}

/* int socketWrite(int ssl, long s, ByteBuffer direct, int position, int length, boolean more): bytes taken. */
static jint usj_socket_write(JNIEnv *env, jclass cls, jint ssl, jlong s, jobject buffer, jint position, jint length,
                             jboolean more) {
    (void)cls;
    char *base = (char *)(*env)->GetDirectBufferAddress(env, buffer);
    if (base == NULL) {
        return -EINVAL;
    }
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    int n = us_socket_write(ssl, USJ_S(s), base + position, length, more ? 1 : 0);
    USJ_LEAVE(st);
    return n;
}

/*
 * int socketWriteArea(int ssl, long s, int area, int offset, int length, boolean more): writes bytes of one of the
 * loop's receive areas (0 plain, 1 TLS), as onData's views hold them. Same as socketWrite, but no JNI call inside:
 * GetDirectBufferAddress is two VM transitions, each with a full fence, which cost more cycles than the rest of the
 * write's user-space path (echoing what arrived is the common write).
 */
static jint usj_socket_write_area(JNIEnv *env, jclass cls, jint ssl, jlong s, jint area, jint offset, jint length,
                                  jboolean more) {
    (void)cls;
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    char *base = area == 0 ? st->recv_base : area == 1 ? st->recv_base_tls : NULL;
    jlong end = (jlong)offset + length;
    if (base == NULL || offset < 0 || length < 0 || end > (jlong)st->recv_reserve + USJ_RECV_CAPACITY) {
        return -EINVAL;
    }
    USJ_ENTER(st, env);
    int n = us_socket_write(ssl, USJ_S(s), base + offset, length, more ? 1 : 0);
    USJ_LEAVE(st);
    return n;
}

/* int socketWrite2(int ssl, long s, ByteBuffer h, int hpos, int hlen, ByteBuffer p, int ppos, int plen). */
static jint usj_socket_write2(JNIEnv *env, jclass cls, jint ssl, jlong s, jobject header, jint header_position,
                              jint header_length, jobject payload, jint payload_position, jint payload_length) {
    (void)cls;
    char *h = (char *)(*env)->GetDirectBufferAddress(env, header);
    char *p = (char *)(*env)->GetDirectBufferAddress(env, payload);
    if (h == NULL || p == NULL) {
        return -EINVAL;
    }
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    int n = us_socket_write2(ssl, USJ_S(s), h + header_position, header_length, p + payload_position, payload_length);
    USJ_LEAVE(st);
    return n;
}

/* void socketFlush(int ssl, long s): withdraws msg_more. */
static void usj_socket_flush(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)cls;
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    us_socket_flush(ssl, USJ_S(s));
    USJ_LEAVE(st);
}

/* void socketShutdown(int ssl, long s): FIN (TLS: close_notify first). */
static void usj_socket_shutdown(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)cls;
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    us_socket_shutdown(ssl, USJ_S(s));
    USJ_LEAVE(st);
}

/* void socketShutdownRead(int ssl, long s). */
static void usj_socket_shutdown_read(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)cls;
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    us_socket_shutdown_read(ssl, USJ_S(s));
    USJ_LEAVE(st);
}

/* void socketClose(int ssl, long s, int code): closes now; on_close (LoopCore.onClose) runs inside. */
static void usj_socket_close(JNIEnv *env, jclass cls, jint ssl, jlong s, jint code) {
    (void)cls;
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    us_socket_close(ssl, USJ_S(s), code, NULL);
    USJ_LEAVE(st);
}

/* void socketCloseConnecting(int ssl, long s): cancels a pending connect without on_close. */
static void usj_socket_close_connecting(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)cls;
    struct usj_loop_state *st = usj_socket_state(ssl, USJ_S(s));
    USJ_ENTER(st, env);
    us_socket_close_connecting(ssl, USJ_S(s));
    USJ_LEAVE(st);
}

/* void socketTimeout(int ssl, long s, int seconds). */
static void usj_socket_timeout(JNIEnv *env, jclass cls, jint ssl, jlong s, jint seconds) {
    (void)env;
    (void)cls;
    us_socket_timeout(ssl, USJ_S(s), (unsigned int)seconds);
}

/* void socketLongTimeout(int ssl, long s, int minutes). */
static void usj_socket_long_timeout(JNIEnv *env, jclass cls, jint ssl, jlong s, jint minutes) {
    (void)env;
    (void)cls;
    us_socket_long_timeout(ssl, USJ_S(s), (unsigned int)minutes);
}

/* boolean socketIsShutDown(int ssl, long s). */
static jboolean usj_socket_is_shut_down(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    return us_socket_is_shut_down(ssl, USJ_S(s)) ? JNI_TRUE : JNI_FALSE;
}

/* boolean socketIsEstablished(int ssl, long s). */
static jboolean usj_socket_is_established(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    return us_socket_is_established(ssl, USJ_S(s)) ? JNI_TRUE : JNI_FALSE;
}

/* int socketLocalPort(int ssl, long s): -1 on failure (also for a listen socket's handle). */
static jint usj_socket_local_port(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    return us_socket_local_port(ssl, USJ_S(s));
}

/* int socketRemotePort(int ssl, long s): -1 on failure. */
static jint usj_socket_remote_port(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    return us_socket_remote_port(ssl, USJ_S(s));
}

/* int socketRemoteAddress(int ssl, long s, byte[] out16): the address's length (4 or 16), 0 when unknown. */
static jint usj_socket_remote_address(JNIEnv *env, jclass cls, jint ssl, jlong s, jbyteArray out) {
    (void)cls;
    char ip[16];
    int length = (int)sizeof(ip);
    us_socket_remote_address(ssl, USJ_S(s), ip, &length);
    if (length > 0) {
        (*env)->SetByteArrayRegion(env, out, 0, length, (const jbyte *)ip);
    }
    return length;
}

/* void socketPause(int ssl, long s) / socketResume: stop / restart reading. */
static void usj_socket_pause(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    us_socket_pause(ssl, USJ_S(s));
}

static void usj_socket_resume(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    us_socket_resume(ssl, USJ_S(s));
}

/* long socketNativeHandle(int ssl, long s): the descriptor (plain) or the SSL * (TLS). */
static jlong usj_socket_native_handle(JNIEnv *env, jclass cls, jint ssl, jlong s) {
    (void)env;
    (void)cls;
    return usj_to_handle(us_socket_get_native_handle(ssl, USJ_S(s)));
}

/* String cString(long pointer): a NUL-terminated C string the core handed over (valid during a callback). */
static jstring usj_c_string(JNIEnv *env, jclass cls, jlong pointer) {
    (void)cls;
    return pointer == 0 ? NULL : (*env)->NewStringUTF(env, USJ_PTR(const char, pointer));
}

/* String strerror(int errno). */
static jstring usj_strerror(JNIEnv *env, jclass cls, jint code) {
    (void)cls;
    char buf[256];
    const char *text = strerror_r(code, buf, sizeof(buf));
    return (*env)->NewStringUTF(env, text);
}

/* void listenSocketClose(int ssl, long ls). */
static void usj_listen_socket_close(JNIEnv *env, jclass cls, jint ssl, jlong ls) {
    (void)env;
    (void)cls;
    us_listen_socket_close(ssl, USJ_PTR(struct us_listen_socket_t, ls));
}

static const JNINativeMethod usj_socket_methods[] = {
    {"socketBind", "(IJII)V", (void *)usj_socket_bind},
    {"socketWrite", "(IJLjava/nio/ByteBuffer;IIZ)I", (void *)usj_socket_write},
    {"socketWriteArea", "(IJIIIZ)I", (void *)usj_socket_write_area},
    {"socketWrite2", "(IJLjava/nio/ByteBuffer;IILjava/nio/ByteBuffer;II)I", (void *)usj_socket_write2},
    {"socketFlush", "(IJ)V", (void *)usj_socket_flush},
    {"socketShutdown", "(IJ)V", (void *)usj_socket_shutdown},
    {"socketShutdownRead", "(IJ)V", (void *)usj_socket_shutdown_read},
    {"socketClose", "(IJI)V", (void *)usj_socket_close},
    {"socketCloseConnecting", "(IJ)V", (void *)usj_socket_close_connecting},
    {"socketTimeout", "(IJI)V", (void *)usj_socket_timeout},
    {"socketLongTimeout", "(IJI)V", (void *)usj_socket_long_timeout},
    {"socketIsShutDown", "(IJ)Z", (void *)usj_socket_is_shut_down},
    {"socketIsEstablished", "(IJ)Z", (void *)usj_socket_is_established},
    {"socketLocalPort", "(IJ)I", (void *)usj_socket_local_port},
    {"socketRemotePort", "(IJ)I", (void *)usj_socket_remote_port},
    {"socketRemoteAddress", "(IJ[B)I", (void *)usj_socket_remote_address},
    {"socketPause", "(IJ)V", (void *)usj_socket_pause},
    {"socketResume", "(IJ)V", (void *)usj_socket_resume},
    {"socketNativeHandle", "(IJ)J", (void *)usj_socket_native_handle},
    {"cString", "(J)Ljava/lang/String;", (void *)usj_c_string},
    {"strerror", "(I)Ljava/lang/String;", (void *)usj_strerror},
    {"listenSocketClose", "(IJ)V", (void *)usj_listen_socket_close},
};

int usj_register_socket(JNIEnv *env, jclass natives) {
    jint n = (jint)(sizeof(usj_socket_methods) / sizeof(usj_socket_methods[0]));
    return (*env)->RegisterNatives(env, natives, usj_socket_methods, n) == JNI_OK ? 0 : -1;
}
