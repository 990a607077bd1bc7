/*
 * jni_timer.c: natives of the timer family (Natives.timer*) and the one timer trampoline.
 * A timer's ext holds the slot and generation of its Java Timer in the loop's timer table.
 */
#include "jni_util.h"

static void usj_on_timer(struct us_timer_t *t) {
    struct usj_loop_state *st = usj_state(us_timer_loop(t));
    JNIEnv *env = st->env;
    if (env == NULL) {
        return;
    }
    struct usj_slot_ext *ext = (struct usj_slot_ext *)us_timer_ext(t);
    usj_upcall_begin(st);
    (*env)->CallVoidMethod(env, st->core, usj_ids.core_on_timer, ext->slot, ext->generation);
    usj_upcall_end(st, env);
}

/* long timerCreate(long loop, boolean fallthrough, int slot, int generation): 0 when it cannot be created. */
static jlong usj_timer_create(JNIEnv *env, jclass cls, jlong loop, jboolean fallthrough, jint slot,
                              jint generation) {
    (void)env;
    (void)cls;
    struct us_timer_t *t = us_create_timer(USJ_PTR(struct us_loop_t, loop), fallthrough ? 1 : 0,
                                           (unsigned int)sizeof(struct usj_slot_ext));
    if (t == NULL) {
        return 0;
    }
    struct usj_slot_ext *ext = (struct usj_slot_ext *)us_timer_ext(t);
    ext->slot = slot;
    ext->generation = generation;
    return usj_to_handle(t);
}

/* void timerSet(long timer, int ms, int repeatMs): arms (both 0: disarms) with the shared trampoline. */
static void usj_timer_set(JNIEnv *env, jclass cls, jlong timer, jint ms, jint repeat_ms) {
    (void)env;
    (void)cls;
    us_timer_set(USJ_PTR(struct us_timer_t, timer), usj_on_timer, ms, repeat_ms);
}

/* void timerClose(long timer): disarms and releases; the handle is dead afterwards. */
static void usj_timer_close(JNIEnv *env, jclass cls, jlong timer) {
    (void)env;
    (void)cls;
    us_timer_close(USJ_PTR(struct us_timer_t, timer));
}

static const JNINativeMethod usj_timer_methods[] = {
    {"timerCreate", "(JZII)J", (void *)usj_timer_create},
    {"timerSet", "(JII)V", (void *)usj_timer_set},
    {"timerClose", "(J)V", (void *)usj_timer_close},
};

int usj_register_timer(JNIEnv *env, jclass natives) {
    jint n = (jint)(sizeof(usj_timer_methods) / sizeof(usj_timer_methods[0]));
    return (*env)->RegisterNatives(env, natives, usj_timer_methods, n) == JNI_OK ? 0 : -1;
}
