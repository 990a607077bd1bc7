/*
 * test_udp_close.c: closing UDP sockets from their callbacks: a socket closing itself inside data_cb with more
 * batches waiting (no further call, its batch still readable until the iteration ends, its own buffer included),
 * a socket closing another that is ready in the same iteration, and closes before the loop runs. Meant to run
 * under AddressSanitizer as well (-DLIBUS_SANITIZE=ON).
 */
#include "udp_test_util.h"

#include <errno.h>

static struct {
    struct us_loop_t *loop;
    struct us_udp_socket_t *a, *b;
    int calls, seen;
} st;

/* A plain blocking socket sending count datagrams of one byte each (batches of up to 1024) to port. */
static void blast(int port, int count) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in to = udp_test_v4(port);
    static struct mmsghdr msgs[LIBUS_UDP_MAX_NUM];
    static struct iovec iov[LIBUS_UDP_MAX_NUM];
    static char bytes[LIBUS_UDP_MAX_NUM];
    for (int sent = 0; sent < count;) {
        int n = count - sent > LIBUS_UDP_MAX_NUM ? LIBUS_UDP_MAX_NUM : count - sent;
        for (int i = 0; i < n; i++) {
            bytes[i] = (char) (sent + i);
            iov[i].iov_base = &bytes[i];
            iov[i].iov_len = 1;
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_name = &to;
            msgs[i].msg_hdr.msg_namelen = sizeof(to);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(fd, msgs, (unsigned int) n, 0);
        CHECK(r > 0);
        sent += r;
    }
    close(fd);
}

static void close_self(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    st.calls++;
    CHECK_EQ(st.calls, 1);
    us_udp_socket_close(s);
    us_udp_socket_close(s); /* a second close is a no-op */
    /* the socket and its own buffer stay readable until the iteration ends */
    for (int i = 0; i < num; i++) {
        CHECK_EQ(us_udp_packet_buffer_payload_length(buf, i), 1);
        CHECK_EQ(us_udp_packet_buffer_payload(buf, i)[0], (char) i);
    }
    CHECK(us_udp_socket_user(s) == &st);
    CHECK_EQ(us_udp_socket_bound_port(s), -1);
    CHECK_EQ(us_udp_socket_receive(s, buf), -1);
    CHECK_EQ(us_udp_socket_send(s, buf, 1), -1);
    st.seen = num;
}

static void close_both(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    (void) buf;
    (void) num;
    st.calls++;
    CHECK_EQ(st.calls, 1); /* the other one was ready too, but is closed before its turn */
    us_udp_socket_close(st.a);
    us_udp_socket_close(st.b);
}

static void never(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    (void) buf;
    (void) num;
    CHECK(!"data_cb of a socket closed before the loop ran");
}

int main(void) {
    test_guard(30);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(st.loop);

    /* closing itself with more than one batch waiting (a large receive buffer holds over 1024 datagrams) */
    st.a = us_create_udp_socket(st.loop, NULL, close_self, NULL, "127.0.0.1", 0, &st);
    CHECK(st.a);
    int big = 4 * 1024 * 1024;
    CHECK(setsockopt(us_poll_fd((struct us_poll_t *) st.a), SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) == 0);
    blast(us_udp_socket_bound_port(st.a), 1500);
    us_loop_run(st.loop);
    CHECK_EQ(st.calls, 1);
    fprintf(stderr, "closed inside data_cb after a batch of %d\n", st.seen);
    CHECK(st.seen > 0);

    /* two sockets ready in the same iteration: whichever runs first closes both */
    st.calls = 0;
    struct us_udp_packet_buffer_t *shared = us_create_udp_packet_buffer();
    CHECK(shared);
    st.a = us_create_udp_socket(st.loop, shared, close_both, NULL, "127.0.0.1", 0, &st);
    st.b = us_create_udp_socket(st.loop, shared, close_both, NULL, "::1", 0, &st);
    CHECK(st.a && st.b);
    blast(us_udp_socket_bound_port(st.a), 3);
    int fd6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 to6 = udp_test_v6(us_udp_socket_bound_port(st.b));
    CHECK(sendto(fd6, "x", 1, 0, (struct sockaddr *) &to6, sizeof(to6)) == 1);
    close(fd6);
    us_loop_run(st.loop);
    CHECK_EQ(st.calls, 1);

    /* closed before the loop runs, with a datagram waiting: run returns at once */
    st.a = us_create_udp_socket(st.loop, shared, never, NULL, "127.0.0.1", 0, &st);
    CHECK(st.a);
    blast(us_udp_socket_bound_port(st.a), 1);
    us_udp_socket_close(st.a);
    us_udp_socket_close(NULL);
    us_loop_run(st.loop);

    us_loop_free(st.loop);
    us_udp_packet_buffer_free(shared);
    TEST_PASS("udp_close");
    return 0;
}
