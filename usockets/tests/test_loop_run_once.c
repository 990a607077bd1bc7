/* test_loop_run_once.c: us_loop_run_once runs exactly one iteration of us_loop_run (pre callback, wait, dispatch,
 * post callback, the iteration counted) when the loop is alive, and returns whether it is alive after it; on a loop
 * that is not alive it does nothing and returns 0. A wakeup ends the wait of one call; a timer that closes itself
 * in its third firing ends the loop in the call where it fires. */
#include "libusockets.h"
#include "test_util.h"

static int pres, posts, wakeups, fires;

static void on_pre(struct us_loop_t *l) {
    (void) l;
    pres++;
}

static void on_post(struct us_loop_t *l) {
    (void) l;
    posts++;
}

static void on_wakeup(struct us_loop_t *l) {
    (void) l;
    wakeups++;
}

static void on_tick(struct us_timer_t *t) {
    if (++fires == 3) {
        us_timer_close(t);
    }
}

int main(void) {
    test_guard(30);
    struct us_loop_t *loop = us_create_loop(NULL, on_wakeup, on_pre, on_post, 0);
    CHECK(loop);
    CHECK_EQ(us_loop_run_once(loop), 0); /* nothing keeps it alive: no iteration */
    CHECK_EQ(pres, 0);
    CHECK_EQ(posts, 0);
    CHECK_EQ(us_loop_iteration_number(loop), 0);

    /* alive by a listener, no traffic: a wakeup ends the one wait */
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *ctx = us_create_socket_context(0, loop, 0, none);
    CHECK(ctx);
    struct us_listen_socket_t *listener = us_socket_context_listen(0, ctx, "127.0.0.1", 0, LIBUS_LISTEN_DEFAULT, 0);
    CHECK(listener);
    us_wakeup_loop(loop);
    CHECK_EQ(us_loop_run_once(loop), 1);
    CHECK_EQ(wakeups, 1);
    CHECK_EQ(pres, 1);
    CHECK_EQ(posts, 1);
    CHECK_EQ(us_loop_iteration_number(loop), 1);
    us_listen_socket_close(0, listener);

    /* alive by a timer: one call per iteration until the timer closes itself */
    struct us_timer_t *t = us_create_timer(loop, 0, 0);
    us_timer_set(t, on_tick, 5, 5);
    int calls = 0;
    int alive = 1;
    while (alive) {
        long long before = us_loop_iteration_number(loop);
        int pre_before = pres;
        int post_before = posts;
        alive = us_loop_run_once(loop);
        calls++;
        CHECK_EQ(us_loop_iteration_number(loop), before + 1);
        CHECK_EQ(pres, pre_before + 1);
        CHECK_EQ(posts, post_before + 1);
        CHECK(calls <= 1000);
    }
    CHECK_EQ(fires, 3);
    CHECK(calls >= 3);
    CHECK_EQ(us_loop_run_once(loop), 0); /* and no iteration once it is not alive */
    CHECK_EQ(pres, 1 + calls);
    CHECK_EQ(posts, 1 + calls);
    us_socket_context_free(0, ctx);
    us_loop_free(loop);
    TEST_PASS("test_loop_run_once");
    return 0;
}
