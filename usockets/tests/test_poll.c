/* test_poll.c: callback polls on pipes: start, change, stop, resize, fallthrough, UDP kind, stop during dispatch. */
#include "libusockets.h"
#include "test_util.h"

#include <fcntl.h>
#include <string.h>

struct pext {
    us_poll_callback_t cb; /* the callback contract: first in the ext */
    struct us_loop_t *loop;
    int calls;
    int last_events;
    struct us_poll_t *other; /* a poll to stop and free from this callback */
};

static void on_read(struct us_poll_t *p, int error, int events) {
    struct pext *e = us_poll_ext(p);
    CHECK(!error);
    e->calls++;
    e->last_events = events;
    char buf[64];
    CHECK(read(us_poll_fd(p), buf, sizeof(buf)) > 0);
    us_poll_stop(p, e->loop);
}

static void on_write(struct us_poll_t *p, int error, int events) {
    struct pext *e = us_poll_ext(p);
    (void) error;
    e->calls++;
    e->last_events = events;
    CHECK(events & LIBUS_SOCKET_WRITABLE);
    us_poll_stop(p, e->loop);
}

static int stop_other_calls;
static struct us_poll_t *survivor;
static void stop_other(struct us_poll_t *p, int error, int events) {
    (void) error;
    (void) events;
    struct pext *e = us_poll_ext(p);
    e->calls++;
    stop_other_calls++;
    survivor = p;
    if (e->other) {
        us_poll_stop(e->other, e->loop);
        close(us_poll_fd(e->other));
        us_poll_free(e->other, e->loop);
        e->other = NULL;
    }
    us_poll_stop(p, e->loop);
}

static struct us_poll_t *make(struct us_loop_t *loop, int fd, int kind, us_poll_callback_t cb, int fallthrough) {
    struct us_poll_t *p = us_create_poll(loop, fallthrough, sizeof(struct pext));
    CHECK(p);
    us_poll_init(p, fd, kind);
    struct pext *e = us_poll_ext(p);
    memset(e, 0, sizeof(*e));
    e->cb = cb;
    e->loop = loop;
    return p;
}

static void close_self(struct us_timer_t *t) {
    us_timer_close(t);
}

int main(void) {
    test_guard(20);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop);
    int fds[2];
    CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);

    /* readable: the callback at the start of the ext runs with the events */
    struct us_poll_t *p = make(loop, fds[0], POLL_TYPE_CALLBACK, on_read, 0);
    CHECK_EQ(us_poll_fd(p), fds[0]);
    us_poll_start(p, loop, LIBUS_SOCKET_READABLE);
    CHECK_EQ(us_poll_events(p), LIBUS_SOCKET_READABLE);
    CHECK(write(fds[1], "x", 1) == 1);
    us_loop_run(loop);
    struct pext *e = us_poll_ext(p);
    CHECK_EQ(e->calls, 1);
    CHECK(e->last_events & LIBUS_SOCKET_READABLE);
    CHECK_EQ(us_poll_events(p), 0);

    /* resize keeps the registration (and the callback) */
    us_poll_start(p, loop, LIBUS_SOCKET_READABLE);
    p = us_poll_resize(p, loop, 4096);
    CHECK(p);
    memset((char *) us_poll_ext(p) + sizeof(struct pext), 7, 4096 - sizeof(struct pext));
    CHECK(write(fds[1], "y", 1) == 1);
    us_loop_run(loop);
    e = us_poll_ext(p);
    CHECK_EQ(e->calls, 2);
    us_poll_free(p, loop);

    /* writable via us_poll_change */
    p = make(loop, fds[1], POLL_TYPE_CALLBACK, on_write, 0);
    us_poll_start(p, loop, 0);
    us_poll_change(p, loop, LIBUS_SOCKET_WRITABLE);
    CHECK_EQ(us_poll_events(p), LIBUS_SOCKET_WRITABLE);
    us_loop_run(loop);
    e = us_poll_ext(p);
    CHECK_EQ(e->calls, 1);
    us_poll_free(p, loop);

    /* a fallthrough poll does not keep the loop alive */
    p = make(loop, fds[0], POLL_TYPE_CALLBACK, on_read, 1);
    us_poll_start(p, loop, LIBUS_SOCKET_READABLE);
    us_loop_run(loop); /* returns at once: nothing is written */
    e = us_poll_ext(p);
    CHECK_EQ(e->calls, 0);
    /* but it is dispatched while something else keeps the loop running */
    CHECK(write(fds[1], "z", 1) == 1);
    struct us_timer_t *keep = us_create_timer(loop, 0, 0);
    us_timer_set(keep, close_self, 30, 0);
    us_loop_run(loop);
    CHECK_EQ(e->calls, 1);
    us_poll_free(p, loop);

    /* POLL_TYPE_UDP polls call the same callback contract */
    p = make(loop, fds[0], POLL_TYPE_UDP, on_read, 0);
    us_poll_start(p, loop, LIBUS_SOCKET_READABLE);
    CHECK(write(fds[1], "u", 1) == 1);
    us_loop_run(loop);
    e = us_poll_ext(p);
    CHECK_EQ(e->calls, 1);
    us_poll_free(p, loop);

    /* a poll stopped and freed by another poll's callback in the same iteration is not dispatched */
    int a[2], b[2];
    CHECK(pipe2(a, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK(pipe2(b, O_NONBLOCK | O_CLOEXEC) == 0);
    struct us_poll_t *pa = make(loop, a[0], POLL_TYPE_CALLBACK, stop_other, 0);
    struct us_poll_t *pb = make(loop, b[0], POLL_TYPE_CALLBACK, stop_other, 0);
    ((struct pext *) us_poll_ext(pa))->other = pb;
    ((struct pext *) us_poll_ext(pb))->other = pa;
    us_poll_start(pa, loop, LIBUS_SOCKET_READABLE);
    us_poll_start(pb, loop, LIBUS_SOCKET_READABLE);
    CHECK(write(a[1], "1", 1) == 1);
    CHECK(write(b[1], "1", 1) == 1);
    us_loop_run(loop); /* whichever runs first frees the other; a dispatch of the freed one would crash ASan */
    CHECK_EQ(stop_other_calls, 1);
    CHECK(survivor == pa || survivor == pb);
    close(us_poll_fd(survivor));
    us_poll_free(survivor, loop);
    close(a[1]);
    close(b[1]);

    close(fds[0]);
    close(fds[1]);
    us_loop_free(loop);
    TEST_PASS("test_poll");
    return 0;
}
