/* test_loop_alive.c: us_loop_alive says whether us_loop_run goes on. A fresh loop is not alive; an armed
 * non-fallthrough timer keeps it alive, a fallthrough one does not; asked in the post callback it is true in every
 * iteration but the last (after which run returns), also when the last callback closed the last socket. */
#include "libusockets.h"
#include "test_util.h"

static int posts, dead_posts, fires;
static struct us_loop_t *loop;
static struct us_listen_socket_t *listener;

static void on_post(struct us_loop_t *l) {
    posts++;
    dead_posts += !us_loop_alive(l);
}

static void on_tick(struct us_timer_t *t) {
    if (++fires == 3) {
        us_timer_close(t); /* the last thing keeping the loop alive besides the listener */
        us_listen_socket_close(0, listener);
    }
}

int main(void) {
    test_guard(30);
    loop = us_create_loop(NULL, NULL, NULL, on_post, 0);
    CHECK(loop);
    CHECK(!us_loop_alive(loop));
    struct us_timer_t *fallthrough = us_create_timer(loop, 1, 0);
    us_timer_set(fallthrough, on_tick, 1000, 1000);
    CHECK(!us_loop_alive(loop));
    us_timer_close(fallthrough);

    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *ctx = us_create_socket_context(0, loop, 0, none);
    CHECK(ctx);
    listener = us_socket_context_listen(0, ctx, "127.0.0.1", 0, LIBUS_LISTEN_DEFAULT, 0);
    CHECK(listener);
    CHECK(us_loop_alive(loop));
    struct us_timer_t *t = us_create_timer(loop, 0, 0);
    us_timer_set(t, on_tick, 5, 5);
    us_loop_run(loop);
    CHECK_EQ(fires, 3);
    CHECK(posts >= 3);
    CHECK_EQ(dead_posts, 1); /* only the last iteration's post saw nothing left */
    CHECK(!us_loop_alive(loop));
    us_socket_context_free(0, ctx);
    us_loop_free(loop);
    TEST_PASS("test_loop_alive");
    return 0;
}
