/*
 * jni_context.c: natives of the context family (Natives.context*): create (plain or TLS, with the
 * options' strings), close, free, listen, listen_unix, connect, connect_unix, adopt. A context's ext is
 * a struct usj_slot_ext (its Java SocketContext in the loop's context table); so is every socket's.
 * Handles come back positive; failures as 0 or a negative errno.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jni_socket.h"

#define USJ_C(handle) USJ_PTR(struct us_socket_context_t, handle)
#define USJ_EXT_SIZE ((int)sizeof(struct usj_slot_ext))

/* A Java string as modified UTF-8 (NULL for null); release with usj_release_chars. */
static const char *usj_chars(JNIEnv *env, jstring s) {
    return s == NULL ? NULL : (*env)->GetStringUTFChars(env, s, NULL);
}

static void usj_release_chars(JNIEnv *env, jstring s, const char *chars) {
    if (chars != NULL) {
        (*env)->ReleaseStringUTFChars(env, s, chars);
    }
}

/*
 * long contextCreate(long loop, int ssl, int slot, int generation, String keyFile, String certFile,
 * String passphrase, String dhParamsFile, String caFile, String ciphers, boolean lowMemory): 0 on failure
 * (TLS: contextLastError() says why).
 */
static jlong usj_context_create(JNIEnv *env, jclass cls, jlong loop, jint ssl, jint slot, jint generation,
                                jstring key, jstring cert, jstring passphrase, jstring dh, jstring ca,
                                jstring ciphers, jboolean low_memory) {
    (void)cls;
    struct us_socket_context_options_t options;
    memset(&options, 0, sizeof(options));
    options.key_file_name = usj_chars(env, key);
    options.cert_file_name = usj_chars(env, cert);
    options.passphrase = usj_chars(env, passphrase);
    options.dh_params_file_name = usj_chars(env, dh);
    options.ca_file_name = usj_chars(env, ca);
    options.ssl_ciphers = usj_chars(env, ciphers);
    options.ssl_prefer_low_memory_usage = low_memory ? 1 : 0;
    struct us_socket_context_t *c = NULL;
    if (!(*env)->ExceptionCheck(env)) {
        c = us_create_socket_context(ssl, USJ_PTR(struct us_loop_t, loop), USJ_EXT_SIZE, options);
    }
    usj_release_chars(env, key, options.key_file_name);
    usj_release_chars(env, cert, options.cert_file_name);
    usj_release_chars(env, passphrase, options.passphrase);
    usj_release_chars(env, dh, options.dh_params_file_name);
    usj_release_chars(env, ca, options.ca_file_name);
    usj_release_chars(env, ciphers, options.ssl_ciphers);
    if (c == NULL) {
        return 0;
    }
    struct usj_slot_ext *cx = (struct usj_slot_ext *)us_socket_context_ext(ssl, c);
    cx->slot = slot;
    cx->generation = generation;
    usj_socket_install_callbacks(ssl, c);
    return usj_to_handle(c);
}

/* String contextLastError(): why this thread's last TLS context creation failed, or null. */
static jstring usj_context_last_error(JNIEnv *env, jclass cls) {
    (void)cls;
#ifndef LIBUS_NO_SSL
    char buf[512];
    if (us_ssl_last_error_string(buf, (int)sizeof(buf)) > 0) {
        return (*env)->NewStringUTF(env, buf);
    }
#else
    (void)env;
#endif
    return NULL;
}

/* boolean tlsAvailable(): whether the library was built with TLS. */
static jboolean usj_tls_available(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
#ifndef LIBUS_NO_SSL
    return JNI_TRUE;
#else
    return JNI_FALSE;
#endif
}

/* void contextClose(int ssl, long context): closes every socket (on_close each) and listen socket. */
static void usj_context_close(JNIEnv *env, jclass cls, jint ssl, jlong c) {
    (void)cls;
    struct usj_loop_state *st = usj_context_state(ssl, USJ_C(c));
    USJ_ENTER(st, env);
    us_socket_context_close(ssl, USJ_C(c));
    USJ_LEAVE(st);
}

/* void contextFree(int ssl, long context): frees a context whose sockets are all closed. */
static void usj_context_free(JNIEnv *env, jclass cls, jint ssl, jlong c) {
    (void)env;
    (void)cls;
    us_socket_context_free(ssl, USJ_C(c));
}

/* long contextListen(int ssl, long context, String host, int port, int options): the listen socket or -errno. */
static jlong usj_context_listen(JNIEnv *env, jclass cls, jint ssl, jlong c, jstring host, jint port, jint options) {
    (void)cls;
    const char *h = usj_chars(env, host);
    if (host != NULL && h == NULL) {
        return -ENOMEM;
    }
    errno = 0;
    struct us_listen_socket_t *ls = us_socket_context_listen(ssl, USJ_C(c), h, port, options, USJ_EXT_SIZE);
    jlong result = ls != NULL ? usj_to_handle(ls) : usj_failure_code();
    usj_release_chars(env, host, h);
    return result;
}

/* long contextListenUnix(int ssl, long context, String path, int options): the listen socket or -errno. */
static jlong usj_context_listen_unix(JNIEnv *env, jclass cls, jint ssl, jlong c, jstring path, jint options) {
    (void)cls;
    const char *p = usj_chars(env, path);
    if (p == NULL) {
        return -ENOMEM;
    }
    errno = 0;
    struct us_listen_socket_t *ls = us_socket_context_listen_unix(ssl, USJ_C(c), p, options, USJ_EXT_SIZE);
    jlong result = ls != NULL ? usj_to_handle(ls) : usj_failure_code();
    usj_release_chars(env, path, p);
    return result;
}

static jlong usj_bound_socket(int ssl, struct us_socket_t *s, jint slot, jint generation) {
    if (s == NULL) {
        return usj_failure_code();
    }
    struct usj_slot_ext *sx = usj_socket_slot(ssl, s);
    sx->slot = slot;
    sx->generation = generation;
    return usj_to_handle(s);
}

/*
 * long contextConnect(int ssl, long context, String host, int port, String sourceHost, int slot, int generation):
 * the connecting socket (its ext bound to slot, generation) or -errno when it failed at once.
 */
static jlong usj_context_connect(JNIEnv *env, jclass cls, jint ssl, jlong c, jstring host, jint port,
                                 jstring source, jint slot, jint generation) {
    (void)cls;
    const char *h = usj_chars(env, host);
    const char *src = usj_chars(env, source);
    jlong result = -ENOMEM;
    if (h != NULL && (source == NULL || src != NULL)) {
        errno = 0;
        struct us_socket_t *s = us_socket_context_connect(ssl, USJ_C(c), h, port, src, 0, USJ_EXT_SIZE);
        result = usj_bound_socket(ssl, s, slot, generation);
    }
    usj_release_chars(env, host, h);
    usj_release_chars(env, source, src);
    return result;
}

/* long contextConnectUnix(int ssl, long context, String path, int slot, int generation): as contextConnect. */
static jlong usj_context_connect_unix(JNIEnv *env, jclass cls, jint ssl, jlong c, jstring path, jint slot,
                                      jint generation) {
    (void)cls;
    const char *p = usj_chars(env, path);
    if (p == NULL) {
        return -ENOMEM;
    }
    errno = 0;
    struct us_socket_t *s = us_socket_context_connect_unix(ssl, USJ_C(c), p, 0, USJ_EXT_SIZE);
    jlong result = usj_bound_socket(ssl, s, slot, generation);
    usj_release_chars(env, path, p);
    return result;
}

/* long contextAdopt(int ssl, long context, long s): moves a live socket into context; the new pointer
 * (its ext, the Java Socket's slot, moves with it). */
static jlong usj_context_adopt(JNIEnv *env, jclass cls, jint ssl, jlong c, jlong s) {
    (void)cls;
    struct usj_slot_ext saved = *usj_socket_slot(ssl, USJ_PTR(struct us_socket_t, s));
    struct usj_loop_state *st = usj_context_state(ssl, USJ_C(c));
    USJ_ENTER(st, env);
    struct us_socket_t *moved = us_socket_context_adopt_socket(ssl, USJ_C(c), USJ_PTR(struct us_socket_t, s),
                                                               USJ_EXT_SIZE);
    USJ_LEAVE(st);
    if (moved == NULL) {
        return 0;
    }
    *usj_socket_slot(ssl, moved) = saved;
    return usj_to_handle(moved);
}

static const JNINativeMethod usj_context_methods[] = {
    {"contextCreate",
     "(JIIILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
     "Ljava/lang/String;Z)J",
     (void *)usj_context_create},
    {"contextLastError", "()Ljava/lang/String;", (void *)usj_context_last_error},
    {"tlsAvailable", "()Z", (void *)usj_tls_available},
    {"contextClose", "(IJ)V", (void *)usj_context_close},
    {"contextFree", "(IJ)V", (void *)usj_context_free},
    {"contextListen", "(IJLjava/lang/String;II)J", (void *)usj_context_listen},
    {"contextListenUnix", "(IJLjava/lang/String;I)J", (void *)usj_context_listen_unix},
    {"contextConnect", "(IJLjava/lang/String;ILjava/lang/String;II)J", (void *)usj_context_connect},
    {"contextConnectUnix", "(IJLjava/lang/String;II)J", (void *)usj_context_connect_unix},
    {"contextAdopt", "(IJJ)J", (void *)usj_context_adopt},
};

int usj_register_context(JNIEnv *env, jclass natives) {
    jint n = (jint)(sizeof(usj_context_methods) / sizeof(usj_context_methods[0]));
    return (*env)->RegisterNatives(env, natives, usj_context_methods, n) == JNI_OK ? 0 : -1;
}
