/*
 * test_util.h: the C tests' tiny helpers: assertions that print file:line and exit non-zero,
 * a bounded-time guard (alarm), and a monotonic clock.
 */
#ifndef US_TEST_UTIL_H
#define US_TEST_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long a_ = (long long) (a), b_ = (long long) (b);                                      \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* How many times slower than native the code runs: US_TEST_TIME_SCALE (set by scripts/valgrind.sh and for the
 * aarch64 tests under qemu-user), 1 when unset. */
static inline int test_time_scale(void) {
    const char *scale = getenv("US_TEST_TIME_SCALE");
    return scale && atoi(scale) > 1 ? atoi(scale) : 1;
}

/* Kills the test (SIGALRM, non-zero exit) if it runs longer than seconds, times test_time_scale(). */
static inline void test_guard(unsigned int seconds) {
    signal(SIGPIPE, SIG_IGN);
    alarm(seconds * (unsigned int) test_time_scale());
}

/* Milliseconds on the monotonic clock. */
static inline double test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

#define TEST_PASS(name)                                                                            \
    do {                                                                                           \
        printf("ok %s\n", name);                                                                   \
        fflush(stdout);                                                                            \
    } while (0)

#endif
