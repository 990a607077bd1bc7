/* test_loop.c: loop creation, ext, run's exit rule, pre/post, iteration counting, integrate. */
#include "libusockets.h"
#include "test_util.h"

#include <stdint.h>
#include <string.h>

static int pre_calls, post_calls;
static void on_pre(struct us_loop_t *loop) {
    (void) loop;
    pre_calls++;
}
static void on_post(struct us_loop_t *loop) {
    (void) loop;
    post_calls++;
}

static void close_self(struct us_timer_t *t) {
    us_timer_close(t);
}

static int fallthrough_fires;
static void count_fire(struct us_timer_t *t) {
    (void) t;
    fallthrough_fires++;
}

int main(void) {
    test_guard(20);

    /* ext is aligned, zero-copy memory of the requested size */
    struct us_loop_t *loop = us_create_loop(NULL, NULL, on_pre, on_post, 100);
    CHECK(loop);
    char *ext = us_loop_ext(loop);
    CHECK(((uintptr_t) ext % LIBUS_EXT_ALIGNMENT) == 0);
    memset(ext, 0xab, 100);
    CHECK_EQ(us_loop_iteration_number(loop), 0);

    /* nothing but the loop's own (fallthrough) wakeup poll and sweep timer: run returns at once */
    us_loop_run(loop);
    CHECK_EQ(pre_calls, 0);
    us_loop_integrate(loop);
    us_loop_integrate(loop);
    us_loop_run(loop);
    CHECK_EQ(us_loop_iteration_number(loop), 0);

    /* one timer: run returns once it closes; pre and post ran around each iteration */
    struct us_timer_t *t = us_create_timer(loop, 0, 0);
    CHECK(t);
    us_timer_set(t, close_self, 5, 0);
    us_loop_run(loop);
    CHECK(pre_calls >= 1);
    CHECK_EQ(pre_calls, post_calls);
    CHECK_EQ(us_loop_iteration_number(loop), post_calls);

    /* a fallthrough timer fires while something else keeps the loop alive, but never keeps it alive itself */
    struct us_timer_t *ft = us_create_timer(loop, 1, 0);
    us_timer_set(ft, count_fire, 5, 5);
    struct us_timer_t *keep = us_create_timer(loop, 0, 0);
    us_timer_set(keep, close_self, 60, 0);
    double start = test_now_ms();
    us_loop_run(loop);
    CHECK(test_now_ms() - start >= 55);
    CHECK(fallthrough_fires >= 3);
    int fires = fallthrough_fires;
    us_loop_run(loop); /* only the fallthrough timer left: returns at once */
    CHECK_EQ(fallthrough_fires, fires);
    us_timer_close(ft);

    /* a fired one-shot timer that was not re-armed no longer keeps the loop alive (it stays valid) */
    struct us_timer_t *once = us_create_timer(loop, 0, 16);
    memset(us_timer_ext(once), 1, 16);
    us_timer_set(once, count_fire, 1, 0);
    fires = fallthrough_fires;
    us_loop_run(loop);
    CHECK_EQ(fallthrough_fires, fires + 1);
    CHECK(us_timer_loop(once) == loop);
    us_timer_close(once);

    us_loop_free(loop);

    /* many loops can exist side by side */
    struct us_loop_t *loops[8];
    for (int i = 0; i < 8; i++) {
        loops[i] = us_create_loop(NULL, NULL, NULL, NULL, 0);
        CHECK(loops[i]);
    }
    for (int i = 0; i < 8; i++) {
        us_loop_free(loops[i]);
    }
    TEST_PASS("test_loop");
    return 0;
}
