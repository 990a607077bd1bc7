/* test_wakeup.c: us_wakeup_loop from other threads: coalescing, no lost wakeup, wakeups do not keep run alive. */
#include "libusockets.h"
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 4
#define PER_THREAD 1000

static struct us_loop_t *loop;
static atomic_int produced;
static atomic_int threads_done;
static int wakeup_calls;
static int seen_at_last_call;
static struct us_timer_t *keep;

static void *waker(void *arg) {
    (void) arg;
    for (int i = 0; i < PER_THREAD; i++) {
        atomic_fetch_add(&produced, 1);
        us_wakeup_loop(loop);
    }
    atomic_fetch_add(&threads_done, 1);
    return NULL;
}

static void on_wakeup(struct us_loop_t *l) {
    CHECK(l == loop);
    wakeup_calls++;
    seen_at_last_call = atomic_load(&produced);
    /* Each increment of produced comes before its own wakeup, so a call that sees the full count
     * proves no wakeup was lost. (threads_done is bumped after a thread's last wakeup: waiting for
     * it here could miss the final call and hang until the keep-alive timer fails the test.) */
    if (keep && seen_at_last_call == THREADS * PER_THREAD) {
        us_timer_close(keep);
        keep = NULL;
    }
}

static void fail_keepalive(struct us_timer_t *t) {
    (void) t;
    CHECK(!"wakeups were lost: the loop never saw every one");
}

int main(void) {
    test_guard(20);
    loop = us_create_loop(NULL, on_wakeup, NULL, NULL, 0);
    CHECK(loop);

    /* 1) wakeups from 4 threads before the loop runs coalesce into exactly one call */
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&th[i], NULL, waker, NULL) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    keep = us_create_timer(loop, 0, 0);
    us_timer_set(keep, fail_keepalive, 10000, 0);
    us_loop_run(loop);
    CHECK_EQ(wakeup_calls, 1);
    CHECK_EQ(seen_at_last_call, THREADS * PER_THREAD);

    /* 2) while the loop runs: every wakeup is seen, calls never exceed wakeups */
    atomic_store(&produced, 0);
    atomic_store(&threads_done, 0);
    wakeup_calls = 0;
    keep = us_create_timer(loop, 0, 0);
    us_timer_set(keep, fail_keepalive, 10000, 0);
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&th[i], NULL, waker, NULL) == 0);
    }
    us_loop_run(loop);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    CHECK(wakeup_calls >= 1);
    CHECK(wakeup_calls <= THREADS * PER_THREAD);
    CHECK_EQ(seen_at_last_call, THREADS * PER_THREAD);

    /* 3) the wakeup poll is fallthrough: a pending wakeup alone does not keep run going */
    us_wakeup_loop(loop);
    int before = wakeup_calls;
    us_loop_run(loop);
    CHECK_EQ(wakeup_calls, before);

    us_loop_free(loop);
    TEST_PASS("test_wakeup");
    return 0;
}
