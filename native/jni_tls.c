/*
 * jni_tls.c: natives of the TLS family (org.usockets4j.internal.TlsNatives): what a TLS socket negotiated
 * (protocol, cipher, SNI name, peer subject) and the server names (SNI) of a TLS context, with the
 * on_server_name trampoline calling LoopCore.onServerName. TLS-only, so kept apart from the socket and
 * context families; built without TLS (LIBUS_NO_SSL) none is registered.
 * The natives live in their own class so the TLS family can grow without touching Natives.java.
 */
#include <string.h>

#include "jni_socket.h"

#define USJ_TLS_NATIVES_CLASS "org/usockets4j/internal/TlsNatives"

#define USJ_S(handle) USJ_PTR(struct us_socket_t, handle)
#define USJ_C(handle) USJ_PTR(struct us_socket_context_t, handle)

/* void LoopCore.onServerName(int contextSlot, int contextGeneration, String hostname), cached at registration. */
static jmethodID usj_core_on_server_name;

#ifndef LIBUS_NO_SSL

/* The non-NULL user pointer every server name is added with, so find_server_name_userdata tells presence. */
static char usj_server_name_marker;

static jstring usj_tls_string(JNIEnv *env, const char *s) {
    return s == NULL ? NULL : (*env)->NewStringUTF(env, s);
}

/* String tlsProtocol(long s): "TLSv1.3", "TLSv1.2", or null before the handshake finished. */
static jstring usj_tls_protocol(JNIEnv *env, jclass cls, jlong s) {
    (void)cls;
    return usj_tls_string(env, us_socket_ssl_protocol(USJ_S(s)));
}

/* String tlsCipher(long s): the cipher suite's OpenSSL name, or null before the handshake finished. */
static jstring usj_tls_cipher(JNIEnv *env, jclass cls, jlong s) {
    (void)cls;
    return usj_tls_string(env, us_socket_ssl_cipher(USJ_S(s)));
}

/* String tlsServerName(long s): the SNI name received (server) or sent (client), or null. */
static jstring usj_tls_server_name(JNIEnv *env, jclass cls, jlong s) {
    (void)cls;
    return usj_tls_string(env, us_socket_ssl_server_name(USJ_S(s)));
}

/* String tlsPeerSubject(long s): the peer certificate's subject (RFC 2253), or null without one. */
static jstring usj_tls_peer_subject(JNIEnv *env, jclass cls, jlong s) {
    (void)cls;
    char small[512];
    int n = us_socket_ssl_peer_subject(USJ_S(s), small, (int)sizeof(small));
    if (n < 0) {
        return NULL;
    }
    if (n < (int)sizeof(small)) {
        return (*env)->NewStringUTF(env, small);
    }
    char big[8192]; /* a subject this long is unusual; longer ones are cut */
    us_socket_ssl_peer_subject(USJ_S(s), big, (int)sizeof(big));
    return (*env)->NewStringUTF(env, big);
}

/* The on_server_name trampoline: a client asked for a name no pattern matches. */
static void usj_on_server_name(struct us_socket_context_t *context, const char *hostname) {
    struct usj_loop_state *st = usj_context_state(1, context);
    JNIEnv *env = st->env;
    if (env == NULL || hostname == NULL) {
        return;
    }
    struct usj_slot_ext *cx = (struct usj_slot_ext *)us_socket_context_ext(1, context);
    jstring name = (*env)->NewStringUTF(env, hostname);
    if (name == NULL) {
        usj_after_upcall(env);
        return;
    }
    usj_upcall_begin(st);
    (*env)->CallVoidMethod(env, st->core, usj_core_on_server_name, cx->slot, cx->generation, name);
    usj_upcall_end(st, env);
    (*env)->DeleteLocalRef(env, name);
}

/* A Java string as modified UTF-8 (NULL for null). */
static const char *usj_tls_chars(JNIEnv *env, jstring s) {
    return s == NULL ? NULL : (*env)->GetStringUTFChars(env, s, NULL);
}

static void usj_tls_release(JNIEnv *env, jstring s, const char *chars) {
    if (chars != NULL) {
        (*env)->ReleaseStringUTFChars(env, s, chars);
    }
}

/*
 * int contextAddServerName(long context, String pattern, String keyFile, String certFile, String passphrase,
 * String dhParamsFile, String caFile, String ciphers, boolean lowMemory): 0 when added, -1 when its TLS material
 * could not be loaded (Natives.contextLastError() says why), -2 when a string could not be read.
 */
static jint usj_context_add_server_name(JNIEnv *env, jclass cls, jlong c, jstring pattern, jstring key, jstring cert,
                                        jstring passphrase, jstring dh, jstring ca, jstring ciphers,
                                        jboolean low_memory) {
    (void)cls;
    struct us_socket_context_options_t options;
    memset(&options, 0, sizeof(options));
    const char *p = usj_tls_chars(env, pattern);
    options.key_file_name = usj_tls_chars(env, key);
    options.cert_file_name = usj_tls_chars(env, cert);
    options.passphrase = usj_tls_chars(env, passphrase);
    options.dh_params_file_name = usj_tls_chars(env, dh);
    options.ca_file_name = usj_tls_chars(env, ca);
    options.ssl_ciphers = usj_tls_chars(env, ciphers);
    options.ssl_prefer_low_memory_usage = low_memory ? 1 : 0;
    jint result = -2;
    if (p != NULL && !(*env)->ExceptionCheck(env)) {
        us_socket_context_add_server_name(1, USJ_C(c), p, options, &usj_server_name_marker);
        result = us_ssl_last_error_string(NULL, 0) > 0 ? -1 : 0;
    }
    usj_tls_release(env, pattern, p);
    usj_tls_release(env, key, options.key_file_name);
    usj_tls_release(env, cert, options.cert_file_name);
    usj_tls_release(env, passphrase, options.passphrase);
    usj_tls_release(env, dh, options.dh_params_file_name);
    usj_tls_release(env, ca, options.ca_file_name);
    usj_tls_release(env, ciphers, options.ssl_ciphers);
    return result;
}

/* void contextRemoveServerName(long context, String pattern): forgets the pattern (no-op when unknown). */
static void usj_context_remove_server_name(JNIEnv *env, jclass cls, jlong c, jstring pattern) {
    (void)cls;
    const char *p = usj_tls_chars(env, pattern);
    if (p != NULL) {
        us_socket_context_remove_server_name(1, USJ_C(c), p);
        usj_tls_release(env, pattern, p);
    }
}

/* boolean contextHasServerName(long context, String pattern): whether exactly this pattern was added. */
static jboolean usj_context_has_server_name(JNIEnv *env, jclass cls, jlong c, jstring pattern) {
    (void)cls;
    const char *p = usj_tls_chars(env, pattern);
    if (p == NULL) {
        return JNI_FALSE;
    }
    void *user = us_socket_context_find_server_name_userdata(1, USJ_C(c), p);
    usj_tls_release(env, pattern, p);
    return user != NULL ? JNI_TRUE : JNI_FALSE;
}

/* void contextOnServerName(long context, boolean enabled): whether unknown names reach LoopCore.onServerName. */
static void usj_context_on_server_name(JNIEnv *env, jclass cls, jlong c, jboolean enabled) {
    (void)env;
    (void)cls;
    us_socket_context_on_server_name(1, USJ_C(c), enabled ? usj_on_server_name : NULL);
}

static const JNINativeMethod usj_tls_methods[] = {
    {"tlsProtocol", "(J)Ljava/lang/String;", (void *)usj_tls_protocol},
    {"tlsCipher", "(J)Ljava/lang/String;", (void *)usj_tls_cipher},
    {"tlsServerName", "(J)Ljava/lang/String;", (void *)usj_tls_server_name},
    {"tlsPeerSubject", "(J)Ljava/lang/String;", (void *)usj_tls_peer_subject},
    {"contextAddServerName",
     "(JLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
     "Ljava/lang/String;Ljava/lang/String;Z)I",
     (void *)usj_context_add_server_name},
    {"contextRemoveServerName", "(JLjava/lang/String;)V", (void *)usj_context_remove_server_name},
    {"contextHasServerName", "(JLjava/lang/String;)Z", (void *)usj_context_has_server_name},
    {"contextOnServerName", "(JZ)V", (void *)usj_context_on_server_name},
};

#endif /* LIBUS_NO_SSL */

/* Registers the TLS natives on TlsNatives and caches LoopCore.onServerName; 0 on success. Without TLS nothing is
 * registered: Java refuses to create TLS contexts then, so no TLS native is ever called. */
int usj_register_tls(JNIEnv *env, jclass natives) {
    (void)natives;
#ifdef LIBUS_NO_SSL
    (void)env;
    (void)usj_core_on_server_name;
    return 0;
#else
    usj_core_on_server_name =
        (*env)->GetMethodID(env, usj_ids.loop_core, "onServerName", "(IILjava/lang/String;)V");
    if (usj_core_on_server_name == NULL) {
        return -1;
    }
    jclass tls = (*env)->FindClass(env, USJ_TLS_NATIVES_CLASS);
    if (tls == NULL) {
        return -1;
    }
    jint n = (jint)(sizeof(usj_tls_methods) / sizeof(usj_tls_methods[0]));
    int r = (*env)->RegisterNatives(env, tls, usj_tls_methods, n) == JNI_OK ? 0 : -1;
    (*env)->DeleteLocalRef(env, tls);
    return r;
#endif
}
