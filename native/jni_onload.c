/*
 * jni_onload.c: JNI_OnLoad registers every family's natives on org.usockets4j.internal.Natives and
 * caches classes and method IDs once. On any failure it undoes what it did and throws an
 * UnsatisfiedLinkError naming what was missing.
 */
#include <stdio.h>
#include <string.h>

#include "jni_util.h"

struct usj_ids usj_ids;

typedef int (*usj_register_fn)(JNIEnv *env, jclass natives);

/* Every family of natives; a new jni_<family>.c adds its usj_register_<family> here. */
static const struct {
    const char *family;
    usj_register_fn fn;
} usj_families[] = {
    {"loop", usj_register_loop},
    {"timer", usj_register_timer},
    {"context", usj_register_context},
    {"socket", usj_register_socket},
    {"udp", usj_register_udp},
    {"cork", usj_register_cork},
    {"tls", usj_register_tls}, /* registers on its own class, TlsNatives: keep it last (not undone by usj_undo) */
};

static void usj_undo(JNIEnv *env) {
    if (usj_ids.natives != NULL) {
        (*env)->UnregisterNatives(env, usj_ids.natives);
        (*env)->DeleteGlobalRef(env, usj_ids.natives);
    }
    if (usj_ids.loop_core != NULL) {
        (*env)->DeleteGlobalRef(env, usj_ids.loop_core);
    }
    memset(&usj_ids, 0, sizeof(usj_ids));
}

static jint usj_fail(JNIEnv *env, const char *what) {
    char message[256];
    (*env)->ExceptionClear(env);
    usj_undo(env);
    snprintf(message, sizeof(message), "usockets4j: JNI_OnLoad failed: %s (native library and jar do not match?)",
             what);
    jclass ule = (*env)->FindClass(env, "java/lang/UnsatisfiedLinkError");
    if (ule != NULL) {
        (*env)->ThrowNew(env, ule, message);
    }
    return JNI_ERR;
}

static jclass usj_global_class(JNIEnv *env, const char *name) {
    jclass local = (*env)->FindClass(env, name);
    if (local == NULL) {
        return NULL;
    }
    jclass global = (jclass)(*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    return global;
}

USJ_EXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, USJ_JNI_VERSION) != JNI_OK) {
        return JNI_ERR;
    }
    memset(&usj_ids, 0, sizeof(usj_ids));

    usj_ids.natives = usj_global_class(env, USJ_NATIVES_CLASS);
    if (usj_ids.natives == NULL) {
        return usj_fail(env, "class " USJ_NATIVES_CLASS " not found");
    }
    usj_ids.loop_core = usj_global_class(env, USJ_LOOPCORE_CLASS);
    if (usj_ids.loop_core == NULL) {
        return usj_fail(env, "class " USJ_LOOPCORE_CLASS " not found");
    }

    struct {
        jmethodID *id;
        const char *name;
        const char *sig;
    } methods[] = {
        {&usj_ids.core_on_wakeup, "onWakeup", "()V"},
        {&usj_ids.core_on_timer, "onTimer", "(II)V"},
        {&usj_ids.core_on_pre_open, "onPreOpen", "(IIIJJI)I"},
        {&usj_ids.core_on_open, "onOpen", "(IIIIJIJJI)J"},
        {&usj_ids.core_on_data, "onData", "(IIJIII)J"},
        {&usj_ids.core_on_writable, "onWritable", "(IIJ)J"},
        {&usj_ids.core_on_end, "onEnd", "(IIJ)J"},
        {&usj_ids.core_on_timeout, "onTimeout", "(IIJ)J"},
        {&usj_ids.core_on_long_timeout, "onLongTimeout", "(IIJ)J"},
        {&usj_ids.core_on_connect_error, "onConnectError", "(IIJI)J"},
        {&usj_ids.core_on_close, "onClose", "(IIJIJ)J"},
        {&usj_ids.core_on_recv_buffer, "onRecvBuffer", "(ILjava/nio/ByteBuffer;)V"},
        {&usj_ids.core_on_flush, "onFlush", "(IIJ)J"},
        {&usj_ids.core_on_udp_data, "onUdpData", "(III)V"},
        {&usj_ids.core_on_udp_drain, "onUdpDrain", "(II)V"},
    };
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        *methods[i].id = (*env)->GetMethodID(env, usj_ids.loop_core, methods[i].name, methods[i].sig);
        if (*methods[i].id == NULL) {
            char what[128];
            snprintf(what, sizeof(what), "method LoopCore.%s%s not found", methods[i].name, methods[i].sig);
            return usj_fail(env, what);
        }
    }

    for (size_t i = 0; i < sizeof(usj_families) / sizeof(usj_families[0]); i++) {
        if (usj_families[i].fn(env, usj_ids.natives) != 0) {
            char what[128];
            snprintf(what, sizeof(what), "RegisterNatives for the %s family", usj_families[i].family);
            return usj_fail(env, what);
        }
    }
    return USJ_JNI_VERSION;
}
