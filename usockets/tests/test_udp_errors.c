/*
 * test_udp_errors.c: a connected UDP socket whose peer port is closed gets an ICMP port-unreachable, which
 * Linux keeps as a pending socket error that epoll reports (EPOLLERR) until someone takes it. The socket must
 * take it and not spin the loop; later sends work. Also: creation failures return NULL.
 */
#include "udp_test_util.h"

#include <errno.h>
#include <sys/select.h>

static struct {
    struct us_loop_t *loop;
    struct us_udp_socket_t *client;
    struct us_udp_packet_buffer_t *out;
    int data_calls;
    int later_send;
} st;

static void on_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    (void) buf;
    (void) num;
    st.data_calls++;
}

static void on_timer(struct us_timer_t *t) {
    /* the refusal was taken off the socket by the loop, so this send is not failed with it */
    st.later_send = us_udp_socket_send(st.client, st.out, 1);
    us_udp_socket_close(st.client);
    us_timer_close(t);
}

/* A port on 127.0.0.1 nothing listens on (bound by the kernel, then released). */
static int dead_port(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = udp_test_v4(0);
    socklen_t len = sizeof(a);
    CHECK(bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0);
    CHECK(getsockname(fd, (struct sockaddr *) &a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

int main(void) {
    test_guard(30);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    st.out = us_create_udp_packet_buffer();
    CHECK(st.loop && st.out);

    st.client = us_create_udp_socket(st.loop, NULL, on_data, NULL, "127.0.0.1", 0, NULL);
    CHECK(st.client);
    CHECK_EQ(us_udp_socket_bind(st.client, "127.0.0.1", (unsigned int) dead_port()), 0);
    us_udp_buffer_set_packet_payload(st.out, 0, 0, "ping", 4, NULL);
    CHECK_EQ(us_udp_socket_send(st.client, st.out, 1), 1);

    /* the refusal is pending now (loopback delivers the ICMP before sendmmsg returns) */
    int fd = us_poll_fd((struct us_poll_t *) st.client);
    struct timeval tv = {0, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    CHECK(select(fd + 1, &set, NULL, NULL, &tv) == 1); /* readable: the error is what is waiting */

    struct us_timer_t *t = us_create_timer(st.loop, 0, 0);
    CHECK(t);
    us_timer_set(t, on_timer, 100, 0);
    us_loop_run(st.loop);
    fprintf(stderr, "%lld iterations in 100 ms\n", us_loop_iteration_number(st.loop));
    CHECK(us_loop_iteration_number(st.loop) < 20); /* a spinning loop would count thousands */
    CHECK_EQ(st.later_send, 1);
    CHECK_EQ(st.data_calls, 0);

    /* failures at creation: a port taken exclusively, an address not of this machine */
    struct us_udp_socket_t *a = us_create_udp_socket(st.loop, NULL, on_data, NULL, "127.0.0.1", 0, NULL);
    CHECK(a);
    errno = 0;
    CHECK(!us_create_udp_socket(st.loop, NULL, on_data, NULL, "127.0.0.1",
                                (unsigned short) us_udp_socket_bound_port(a), NULL));
    CHECK_EQ(errno, EADDRINUSE);
    CHECK(!us_create_udp_socket(st.loop, NULL, on_data, NULL, "192.0.2.1", 0, NULL));
    CHECK_EQ(errno, EADDRNOTAVAIL);
    us_udp_socket_close(a);
    us_loop_run(st.loop);

    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.out);
    TEST_PASS("udp_errors");
    return 0;
}
