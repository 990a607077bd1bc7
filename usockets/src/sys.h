/*
 * sys.h: the loop's hot system calls made through syscall(2) instead of their glibc wrappers.
 *
 * recv, send, sendmsg, recvmmsg and epoll_wait are pthread cancellation points: glibc's
 * wrappers switch asynchronous cancellation on before the call and off after it, two atomic
 * read-modify-writes per call. Each waits until the CPU's store buffer has drained, which after a
 * read means until the kernel's copy of the data has landed: measured on the echo benchmark, that
 * was a tenth of the loop thread's user-space cycles. A loop thread is never cancelled (the loop
 * ends by running out of polls), so nothing is lost by skipping it. Arguments, results and errno
 * are the wrappers'. (UDP's sendmmsg, one per batch, keeps its wrapper: test_udp_gso_fallback
 * replaces it to simulate kernels that refuse UDP_SEGMENT.)
 */
#ifndef US_SYS_H
#define US_SYS_H

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* Sanitizer builds keep the wrappers: the sanitizers intercept them to check the buffers passed. */
static inline ssize_t us_sys_recv(int fd, void *buf, size_t len, int flags) {
    return recv(fd, buf, len, flags);
}
static inline ssize_t us_sys_send(int fd, const void *buf, size_t len, int flags) {
    return send(fd, buf, len, flags);
}
static inline ssize_t us_sys_sendmsg(int fd, const struct msghdr *msg, int flags) {
    return sendmsg(fd, msg, flags);
}
static inline int us_sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags) {
    return recvmmsg(fd, msgs, n, flags, NULL);
}
static inline int us_sys_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout) {
    return epoll_wait(epfd, events, max, timeout);
}
#else
static inline ssize_t us_sys_recv(int fd, void *buf, size_t len, int flags) {
    return (ssize_t) syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}

static inline ssize_t us_sys_send(int fd, const void *buf, size_t len, int flags) {
    return (ssize_t) syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

static inline ssize_t us_sys_sendmsg(int fd, const struct msghdr *msg, int flags) {
    return (ssize_t) syscall(SYS_sendmsg, fd, msg, flags);
}

static inline int us_sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags) {
    return (int) syscall(SYS_recvmmsg, fd, msgs, n, flags, NULL);
}

/* epoll_pwait without a signal mask is epoll_wait, and exists on every architecture (arm64 has no epoll_wait). */
static inline int us_sys_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout) {
    return (int) syscall(SYS_epoll_pwait, epfd, events, max, timeout, NULL, (size_t) 8);
}
#endif

#endif
