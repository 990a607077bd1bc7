/*
 * jni_udp.c: natives of the UDP family (Natives.udp*) and its two trampolines (data, drain).
 *
 * A packet buffer crosses to Java as a struct usj_udp_buffer: the core's buffer plus a metadata table
 * (one USJ_UDP_META_SIZE record per slot: length, peer, local address, ECN) that Java reads through a
 * direct ByteBuffer, so reading a batch costs one native call (udpBufferExport) instead of one per field.
 * The payload area, contiguous by the header's contract, is wrapped once as a direct ByteBuffer.
 * A socket's user pointer is a struct usj_udp_user: its loop (for the shim's state) and the slot and
 * generation of its Java UdpSocket in the loop's table.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jni_util.h"

/* One metadata record per slot; offsets mirror UdpPacketBuffer's META_* constants (native byte order). */
#define USJ_UDP_META_SIZE 64
#define USJ_UDP_META_LENGTH 0      /* int: datagram length */
#define USJ_UDP_META_PORT 4        /* int: peer port */
#define USJ_UDP_META_ADDR_LEN 8    /* int: peer address length, 4 or 16 (0: none) */
#define USJ_UDP_META_SCOPE 12      /* int: IPv6 scope id */
#define USJ_UDP_META_ADDR 16       /* 16 bytes: peer address (an IPv4-mapped IPv6 address as its 4 bytes) */
#define USJ_UDP_META_LOCAL_LEN 32  /* int: local (destination) address length, 4 or 16 (0: unknown) */
#define USJ_UDP_META_ECN 36        /* int: ECN bits */
#define USJ_UDP_META_LOCAL 40      /* 16 bytes: local address */

/* How Java names the peer in udpBufferSet. */
#define USJ_UDP_PEER_META 0  /* the address and port Java wrote into the slot's record */
#define USJ_UDP_PEER_FROM 1  /* the peer of slot src_index of buffer src */
#define USJ_UDP_PEER_NONE 2  /* none: the connected peer */

struct usj_udp_buffer {
    struct us_udp_packet_buffer_t *buf;
    unsigned char meta[LIBUS_UDP_MAX_NUM * USJ_UDP_META_SIZE];
};

struct usj_udp_user {
    struct us_loop_t *loop;
    jint slot;
    jint generation;
};

static void put_int(unsigned char *record, int offset, jint value) {
    memcpy(record + offset, &value, sizeof(value));
}

static jint get_int(const unsigned char *record, int offset) {
    jint value;
    memcpy(&value, record + offset, sizeof(value));
    return value;
}

/* Writes slot index's length, peer, local address and ECN into its record. */
static void export_slot(struct usj_udp_buffer *b, int index) {
    unsigned char *record = b->meta + (size_t)index * USJ_UDP_META_SIZE;
    memset(record, 0, USJ_UDP_META_SIZE);
    put_int(record, USJ_UDP_META_LENGTH, us_udp_packet_buffer_payload_length(b->buf, index));
    const char *peer = us_udp_packet_buffer_peer(b->buf, index);
    sa_family_t family;
    memcpy(&family, peer + offsetof(struct sockaddr_storage, ss_family), sizeof(family));
    if (family == AF_INET) {
        struct sockaddr_in v4;
        memcpy(&v4, peer, sizeof(v4));
        put_int(record, USJ_UDP_META_PORT, ntohs(v4.sin_port));
        put_int(record, USJ_UDP_META_ADDR_LEN, 4);
        memcpy(record + USJ_UDP_META_ADDR, &v4.sin_addr, 4);
    } else if (family == AF_INET6) {
        struct sockaddr_in6 v6;
        memcpy(&v6, peer, sizeof(v6));
        put_int(record, USJ_UDP_META_PORT, ntohs(v6.sin6_port));
        if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
            put_int(record, USJ_UDP_META_ADDR_LEN, 4);
            memcpy(record + USJ_UDP_META_ADDR, &v6.sin6_addr.s6_addr[12], 4);
        } else {
            put_int(record, USJ_UDP_META_ADDR_LEN, 16);
            put_int(record, USJ_UDP_META_SCOPE, (jint)v6.sin6_scope_id);
            memcpy(record + USJ_UDP_META_ADDR, &v6.sin6_addr, 16);
        }
    }
    char local[16];
    int local_len = us_udp_packet_buffer_local_ip(b->buf, index, local);
    if (local_len == 16 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)local)) {
        memmove(local, local + 12, 4);
        local_len = 4;
    }
    put_int(record, USJ_UDP_META_LOCAL_LEN, local_len);
    if (local_len > 0) {
        memcpy(record + USJ_UDP_META_LOCAL, local, (size_t)local_len);
    }
    put_int(record, USJ_UDP_META_ECN, us_udp_packet_buffer_ecn(b->buf, index));
}

/* Builds the sockaddr Java described in slot index's record; its length, or 0 when the record is not an address. */
static socklen_t peer_from_record(const unsigned char *record, struct sockaddr_storage *out) {
    memset(out, 0, sizeof(*out));
    jint len = get_int(record, USJ_UDP_META_ADDR_LEN);
    jint port = get_int(record, USJ_UDP_META_PORT);
    if (port < 0 || port > 65535) {
        return 0;
    }
    if (len == 4) {
        struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        memcpy(&v4.sin_addr, record + USJ_UDP_META_ADDR, 4);
        memcpy(out, &v4, sizeof(v4));
        return sizeof(v4);
    }
    if (len == 16) {
        struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        memcpy(&v6.sin6_addr, record + USJ_UDP_META_ADDR, 16);
        v6.sin6_scope_id = (uint32_t)get_int(record, USJ_UDP_META_SCOPE);
        memcpy(out, &v6, sizeof(v6));
        return sizeof(v6);
    }
    return 0;
}

/* ------------------------------------------------------------------ trampolines */

static void usj_on_udp_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void)buf; /* always the loop's receive buffer, which Java already holds */
    struct usj_udp_user *user = (struct usj_udp_user *)us_udp_socket_user(s);
    struct usj_loop_state *st = usj_state(user->loop);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return;
    }
    usj_upcall_begin(st);
    (*env)->CallVoidMethod(env, st->core, usj_ids.core_on_udp_data, user->slot, user->generation, (jint)num);
    usj_upcall_end(st, env);
}

static void usj_on_udp_drain(struct us_udp_socket_t *s) {
    struct usj_udp_user *user = (struct usj_udp_user *)us_udp_socket_user(s);
    struct usj_loop_state *st = usj_state(user->loop);
    JNIEnv *env = st->env;
    if (env == NULL) {
        return;
    }
    usj_upcall_begin(st);
    (*env)->CallVoidMethod(env, st->core, usj_ids.core_on_udp_drain, user->slot, user->generation);
    usj_upcall_end(st, env);
}

/* ------------------------------------------------------------------ buffers */

/* long udpBufferCreate(): a packet buffer with its metadata table; 0 when memory is short. */
static jlong usj_udp_buffer_create(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return 0;
    }
    b->buf = us_create_udp_packet_buffer();
    if (b->buf == NULL) {
        free(b);
        return 0;
    }
    return usj_to_handle(b);
}

/* void udpBufferFree(long buffer): no socket may receive into it or send from it any more. */
static void usj_udp_buffer_free(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, handle);
    us_udp_packet_buffer_free(b->buf);
    free(b);
}

/* ByteBuffer udpBufferPayloads(long buffer): every slot's payload area, LIBUS_UDP_MAX_SIZE bytes apart. */
static jobject usj_udp_buffer_payloads(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, handle);
    return (*env)->NewDirectByteBuffer(env, us_udp_packet_buffer_payload(b->buf, 0),
                                       (jlong)LIBUS_UDP_MAX_NUM * LIBUS_UDP_MAX_SIZE);
}

/* ByteBuffer udpBufferMeta(long buffer): the metadata table, USJ_UDP_META_SIZE bytes per slot. */
static jobject usj_udp_buffer_meta(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, handle);
    return (*env)->NewDirectByteBuffer(env, b->meta, (jlong)sizeof(b->meta));
}

/* void udpBufferExport(long buffer, int count): fills the records of slots [0, count). */
static void usj_udp_buffer_export(JNIEnv *env, jclass cls, jlong handle, jint count) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, handle);
    for (jint i = 0; i < count && i < LIBUS_UDP_MAX_NUM; i++) {
        export_slot(b, i);
    }
}

/*
 * int udpBufferSet(long buffer, int index, int length, int peerMode, long src, int srcIndex): makes slot index a
 * datagram of its first length bytes (already written by Java) to the peer peerMode names; refreshes its record.
 * 0, or -EINVAL when the record holds no address.
 */
static jint usj_udp_buffer_set(JNIEnv *env, jclass cls, jlong handle, jint index, jint length, jint peer_mode,
                               jlong src_handle, jint src_index) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, handle);
    struct sockaddr_storage peer;
    void *peer_addr = NULL;
    if (peer_mode == USJ_UDP_PEER_META) {
        if (peer_from_record(b->meta + (size_t)index * USJ_UDP_META_SIZE, &peer) == 0) {
            return -EINVAL;
        }
        peer_addr = &peer;
    } else if (peer_mode == USJ_UDP_PEER_FROM) {
        struct usj_udp_buffer *src = USJ_PTR(struct usj_udp_buffer, src_handle);
        /* a copy: the core moves it into the slot, which may be the very slot it comes from */
        memcpy(&peer, us_udp_packet_buffer_peer(src->buf, src_index), sizeof(peer));
        peer_addr = &peer;
    }
    /* offset = length, nothing copied: the datagram is the slot's first length bytes */
    us_udp_buffer_set_packet_payload(b->buf, index, length, NULL, 0, peer_addr);
    export_slot(b, index);
    return 0;
}

/* void udpBufferCopy(long dst, int index, long src, int srcIndex): datagram srcIndex of src (payload and peer)
 * into slot index of dst. */
static void usj_udp_buffer_copy(JNIEnv *env, jclass cls, jlong dst_handle, jint index, jlong src_handle,
                                jint src_index) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *dst = USJ_PTR(struct usj_udp_buffer, dst_handle);
    struct usj_udp_buffer *src = USJ_PTR(struct usj_udp_buffer, src_handle);
    struct sockaddr_storage peer;
    memcpy(&peer, us_udp_packet_buffer_peer(src->buf, src_index), sizeof(peer));
    us_udp_buffer_set_packet_payload(dst->buf, index, 0, us_udp_packet_buffer_payload(src->buf, src_index),
                                     us_udp_packet_buffer_payload_length(src->buf, src_index), &peer);
    export_slot(dst, index);
}

/* void udpBufferRemoveFirst(long buffer, int n, int size): moves datagrams [n, size) to [0, size - n). */
static void usj_udp_buffer_remove_first(JNIEnv *env, jclass cls, jlong handle, jint n, jint size) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, handle);
    for (jint i = 0; i + n < size; i++) {
        struct sockaddr_storage peer;
        memcpy(&peer, us_udp_packet_buffer_peer(b->buf, i + n), sizeof(peer));
        us_udp_buffer_set_packet_payload(b->buf, i, 0, us_udp_packet_buffer_payload(b->buf, i + n),
                                         us_udp_packet_buffer_payload_length(b->buf, i + n), &peer);
        export_slot(b, i);
    }
}

/* ------------------------------------------------------------------ sockets */

/*
 * long udpSocketCreate(long loop, long buffer, String host, int port, int slot, int generation): a socket bound to
 * host (null: every interface) and port, receiving into buffer; its handle, or -errno.
 */
static jlong usj_udp_socket_create(JNIEnv *env, jclass cls, jlong loop_handle, jlong buffer_handle, jstring host,
                                   jint port, jint slot, jint generation) {
    (void)cls;
    struct us_loop_t *loop = USJ_PTR(struct us_loop_t, loop_handle);
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, buffer_handle);
    struct usj_udp_user *user = malloc(sizeof(*user));
    if (user == NULL) {
        return -ENOMEM;
    }
    user->loop = loop;
    user->slot = slot;
    user->generation = generation;
    const char *chars = NULL;
    if (host != NULL) {
        chars = (*env)->GetStringUTFChars(env, host, NULL);
        if (chars == NULL) {
            free(user);
            return -ENOMEM; /* OutOfMemoryError pending; Java sees it */
        }
    }
    errno = 0;
    struct us_udp_socket_t *s = us_create_udp_socket(loop, b->buf, usj_on_udp_data, usj_on_udp_drain, chars,
                                                     (unsigned short)port, user);
    int saved = errno;
    if (chars != NULL) {
        (*env)->ReleaseStringUTFChars(env, host, chars);
    }
    if (s == NULL) {
        free(user);
        return -(jlong)(saved ? saved : EINVAL);
    }
    return usj_to_handle(s);
}

/* void udpSocketClose(long socket): closes it (no callback follows) and frees the shim's part. */
static void usj_udp_socket_close(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    struct us_udp_socket_t *s = USJ_PTR(struct us_udp_socket_t, handle);
    void *user = us_udp_socket_user(s);
    us_udp_socket_close(s);
    free(user);
}

/* int udpSocketPort(long socket): the bound local port, or -1. */
static jint usj_udp_socket_port(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    return us_udp_socket_bound_port(USJ_PTR(struct us_udp_socket_t, handle));
}

/* int udpSocketSend(long socket, long buffer, int count): how many of the first count went out, or -errno. */
static jint usj_udp_socket_send(JNIEnv *env, jclass cls, jlong handle, jlong buffer_handle, jint count) {
    (void)env;
    (void)cls;
    struct usj_udp_buffer *b = USJ_PTR(struct usj_udp_buffer, buffer_handle);
    errno = 0;
    int sent = us_udp_socket_send(USJ_PTR(struct us_udp_socket_t, handle), b->buf, count);
    if (sent < 0) {
        return errno ? -errno : -EIO;
    }
    return sent;
}

/* int udpSocketConnect(long socket, String host, int port): us_udp_socket_bind (null host dissolves); 0 or -errno. */
static jint usj_udp_socket_connect(JNIEnv *env, jclass cls, jlong handle, jstring host, jint port) {
    (void)cls;
    const char *chars = NULL;
    if (host != NULL) {
        chars = (*env)->GetStringUTFChars(env, host, NULL);
        if (chars == NULL) {
            return -ENOMEM;
        }
    }
    errno = 0;
    int rc = us_udp_socket_bind(USJ_PTR(struct us_udp_socket_t, handle), chars, (unsigned int)port);
    int saved = errno;
    if (chars != NULL) {
        (*env)->ReleaseStringUTFChars(env, host, chars);
    }
    return rc == 0 ? 0 : -(saved ? saved : EINVAL);
}

/* String udpErrorText(int errno): strerror's text, for exception messages. */
static jstring usj_udp_error_text(JNIEnv *env, jclass cls, jint code) {
    (void)cls;
    return (*env)->NewStringUTF(env, strerror(code));
}

static const JNINativeMethod usj_udp_methods[] = {
    {"udpBufferCreate", "()J", (void *)usj_udp_buffer_create},
    {"udpBufferFree", "(J)V", (void *)usj_udp_buffer_free},
    {"udpBufferPayloads", "(J)Ljava/nio/ByteBuffer;", (void *)usj_udp_buffer_payloads},
    {"udpBufferMeta", "(J)Ljava/nio/ByteBuffer;", (void *)usj_udp_buffer_meta},
    {"udpBufferExport", "(JI)V", (void *)usj_udp_buffer_export},
    {"udpBufferSet", "(JIIIJI)I", (void *)usj_udp_buffer_set},
    {"udpBufferCopy", "(JIJI)V", (void *)usj_udp_buffer_copy},
    {"udpBufferRemoveFirst", "(JII)V", (void *)usj_udp_buffer_remove_first},
    {"udpSocketCreate", "(JJLjava/lang/String;III)J", (void *)usj_udp_socket_create},
    {"udpSocketClose", "(J)V", (void *)usj_udp_socket_close},
    {"udpSocketPort", "(J)I", (void *)usj_udp_socket_port},
    {"udpSocketSend", "(JJI)I", (void *)usj_udp_socket_send},
    {"udpSocketConnect", "(JLjava/lang/String;I)I", (void *)usj_udp_socket_connect},
    {"udpErrorText", "(I)Ljava/lang/String;", (void *)usj_udp_error_text},
};

int usj_register_udp(JNIEnv *env, jclass natives) {
    jint n = (jint)(sizeof(usj_udp_methods) / sizeof(usj_udp_methods[0]));
    return (*env)->RegisterNatives(env, natives, usj_udp_methods, n) == JNI_OK ? 0 : -1;
}
