/*
 * jni_cork.c: corked sends (Java's LoopWrites). While Java dispatches a batch of events, small sends of plain sockets
 * are copied into a Java direct buffer and named by records; when the batch ends, socketWriteCorked writes them all in
 * one downcall, so a send costs no JNI transition of its own. Records are written in order; after a record of a socket
 * fell short (the kernel took less), that socket's later records are not written (Java keeps their bytes behind the
 * rest), so no byte overtakes another.
 */
#include "jni_socket.h"

/* One corked write (LoopWrites.RECORD bytes). */
struct usj_cork {
    jlong socket;  /* struct us_socket_t * of a plain socket, 0: skip (Java closed it meanwhile) */
    int32_t offset; /* into the cork data area */
    int32_t length;
    int32_t taken; /* out: bytes the kernel took */
    int32_t spare;
};
_Static_assert(sizeof(struct usj_cork) == 24, "LoopWrites.RECORD");

/* boolean loopCork(long loop, ByteBuffer records, ByteBuffer data): gives the loop its cork areas (direct buffers
 * owned by Java's LoopWrites, which the Loop keeps as long as the native loop lives); false: no corking. */
static jboolean usj_loop_cork(JNIEnv *env, jclass cls, jlong loop, jobject records, jobject data) {
    (void)cls;
    struct usj_loop_state *st = usj_state(USJ_PTR(struct us_loop_t, loop));
    struct usj_cork *r = (struct usj_cork *)(*env)->GetDirectBufferAddress(env, records);
    char *d = (char *)(*env)->GetDirectBufferAddress(env, data);
    if (r == NULL || d == NULL) {
        return JNI_FALSE;
    }
    st->cork = r;
    st->cork_capacity = (int)((*env)->GetDirectBufferCapacity(env, records) / (jlong)sizeof(struct usj_cork));
    st->cork_data = d;
    st->cork_data_capacity = (*env)->GetDirectBufferCapacity(env, data);
    return JNI_TRUE;
}

/* Marks the records after i of the socket of record i as not written. */
static void usj_cork_stall(struct usj_cork *r, int i, int count) {
    for (int j = i + 1; j < count; j++) {
        if (r[j].socket == r[i].socket) {
            r[j].socket = 0;
        }
    }
}

/* void socketWriteCorked(long loop, int count): writes the first count cork records; each gets the count taken. */
static void usj_socket_write_corked(JNIEnv *env, jclass cls, jlong loop, jint count) {
    (void)cls;
    struct usj_loop_state *st = usj_state(USJ_PTR(struct us_loop_t, loop));
    struct usj_cork *r = st->cork;
    if (r == NULL || count < 0 || count > st->cork_capacity) {
        return;
    }
    USJ_ENTER(st, env);
    for (int i = 0; i < count; i++) {
        r[i].taken = 0;
        jlong end = (jlong)r[i].offset + r[i].length;
        if (r[i].socket == 0 || r[i].offset < 0 || r[i].length <= 0 || end > st->cork_data_capacity) {
            continue;
        }
        struct us_socket_t *s = USJ_PTR(struct us_socket_t, r[i].socket);
        r[i].taken = us_socket_write(0, s, st->cork_data + r[i].offset, r[i].length, 0);
        if (r[i].taken < r[i].length) {
            usj_cork_stall(r, i, count);
        }
    }
    USJ_LEAVE(st);
}

static JNINativeMethod usj_cork_methods[] = {
    {"loopCork", "(JLjava/nio/ByteBuffer;Ljava/nio/ByteBuffer;)Z", (void *)usj_loop_cork},
    {"socketWriteCorked", "(JI)V", (void *)usj_socket_write_corked},
};

int usj_register_cork(JNIEnv *env, jclass natives) {
    jint n = (jint)(sizeof(usj_cork_methods) / sizeof(usj_cork_methods[0]));
    return (*env)->RegisterNatives(env, natives, usj_cork_methods, n) == JNI_OK ? 0 : -1;
}
