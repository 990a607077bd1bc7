/*
 * test_udp_drain.c: a send that does not go out whole returns fewer than asked, drain_cb follows once the socket
 * is writable, the retry sends the rest, and the writable interest is dropped again; also a close inside drain_cb.
 *
 * Loopback UDP never reports a full send buffer: the loopback device orphans each datagram from the sender's
 * socket as it transmits it, so SO_SNDBUF never fills (checked: a 1-byte SO_SNDBUF still takes thousands of 64 KiB
 * datagrams without EAGAIN), and a full receiver drops datagrams silently. The full buffer is therefore simulated:
 * this test defines sendmmsg itself, which the static library's call resolves to, and each call follows a plan:
 * let through only so many messages, then report EAGAIN, as a congested interface would.
 *
 * With UDP_SEGMENT grouping (the default where the kernel has it) a message carries a run of datagrams: every tenth
 * datagram here is shorter and ends a run, so the 100 datagrams go as 10 messages of 10, and the fake counts the
 * datagrams of the messages it lets through, which is what us_udp_socket_send must return. The plans run grouped
 * and again with grouping switched off (US_UDP_GSO=0), one message per datagram.
 */
#include "udp_test_util.h"

#include <errno.h>
#include <netinet/udp.h>
#include <sys/syscall.h>

#define COUNT 100
#define LENGTH 200

/* plan[k] for the k-th sendmmsg call: how many messages the "kernel" takes (0: EAGAIN); past the plan, all. */
static int plan[8], plan_length, sendmmsg_calls;
static int datagrams_taken; /* in the messages sendmmsg let through, over all calls */

/* How many datagrams a message carries: one, or its UDP_SEGMENT run's. */
static int datagrams_of(struct msghdr *h) {
    size_t total = 0;
    for (size_t i = 0; i < h->msg_iovlen; i++) {
        total += h->msg_iov[i].iov_len;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
            uint16_t segment;
            memcpy(&segment, CMSG_DATA(c), sizeof(segment));
            return (int) ((total + segment - 1) / segment);
        }
    }
    return 1;
}

int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags) {
    int call = sendmmsg_calls++;
    if (call < plan_length) {
        if (plan[call] == 0) {
            errno = EAGAIN;
            return -1;
        }
        if (vlen > (unsigned int) plan[call]) {
            vlen = (unsigned int) plan[call];
        }
    }
    int n = (int) syscall(SYS_sendmmsg, fd, msgvec, vlen, flags);
    for (int k = 0; k < n; k++) {
        datagrams_taken += datagrams_of(&msgvec[k].msg_hdr);
    }
    return n;
}

/* Datagram seq's length: every tenth is shorter, which ends a run of grouped ones. */
static int length_of(int seq) {
    return seq % 10 == 9 ? LENGTH - 50 : LENGTH;
}

static struct {
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *buf, *out;
    struct us_udp_socket_t *server, *client;
    int server_port;
    int pending_from, pending_count; /* slots of out still to send */
    int drains, server_got, expect;
    int close_in_drain;
} st;

/* Closes both sockets once everything was sent and received. */
static void maybe_finish(void) {
    if (st.server_got == st.expect && st.pending_count == 0) {
        if (!st.close_in_drain) {
            us_udp_socket_close(st.client);
        }
        us_udp_socket_close(st.server);
    }
}

static void on_server_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    for (int i = 0; i < num; i++) {
        /* loopback keeps the order: datagram k arrives k-th, whichever call sent it */
        int length = length_of(st.server_got);
        CHECK_EQ(us_udp_packet_buffer_payload_length(buf, i), length);
        CHECK(udp_test_matches(us_udp_packet_buffer_payload(buf, i), (uint32_t) st.server_got, length));
        st.server_got++;
    }
    CHECK(st.server_got <= st.expect);
    maybe_finish();
}

/* Sends what is pending; checks the writable interest follows whether something is left. */
static void send_pending(struct us_udp_socket_t *s) {
    /* us_udp_socket_send starts at slot 0: move the rest to the front first */
    for (int i = 0; i < st.pending_count && st.pending_from; i++) {
        int from = st.pending_from + i;
        us_udp_buffer_set_packet_payload(st.out, i, 0, us_udp_packet_buffer_payload(st.out, from),
                                         us_udp_packet_buffer_payload_length(st.out, from),
                                         us_udp_packet_buffer_peer(st.out, from));
    }
    int taken = datagrams_taken;
    int sent = us_udp_socket_send(s, st.out, st.pending_count);
    CHECK(sent >= 0 && sent <= st.pending_count);
    CHECK_EQ(sent, datagrams_taken - taken); /* exactly the datagrams that went, whatever the grouping */
    st.pending_from = sent;
    st.pending_count -= sent;
    int events = us_poll_events((struct us_poll_t *) s);
    if (st.pending_count) {
        CHECK_EQ(events, LIBUS_SOCKET_READABLE | LIBUS_SOCKET_WRITABLE);
    } else {
        CHECK_EQ(events, LIBUS_SOCKET_READABLE);
    }
}

static void on_drain(struct us_udp_socket_t *s) {
    CHECK(s == st.client);
    CHECK(st.pending_count > 0); /* never without something left to send */
    CHECK_EQ(us_poll_events((struct us_poll_t *) s), LIBUS_SOCKET_READABLE); /* disarmed before the call */
    st.drains++;
    if (st.close_in_drain) {
        us_udp_socket_close(s);
        st.expect -= st.pending_count;
        st.pending_count = 0;
        maybe_finish();
        return;
    }
    send_pending(s);
    maybe_finish();
}

/* Runs a plan; first_sent: datagrams the first send must report. */
static void run(const int *p, int n, int close_in_drain, int first_sent) {
    memcpy(plan, p, sizeof(int) * (size_t) n);
    plan_length = n;
    sendmmsg_calls = 0;
    st.drains = st.server_got = 0;
    st.expect = COUNT;
    st.close_in_drain = close_in_drain;
    st.server = us_create_udp_socket(st.loop, st.buf, on_server_data, NULL, "127.0.0.1", 0, NULL);
    st.client = us_create_udp_socket(st.loop, st.buf, NULL, on_drain, "127.0.0.1", 0, NULL);
    CHECK(st.server && st.client);
    st.server_port = us_udp_socket_bound_port(st.server);
    struct sockaddr_in to = udp_test_v4(st.server_port);
    char data[LENGTH];
    for (int i = 0; i < COUNT; i++) {
        udp_test_fill(data, (uint32_t) i, length_of(i));
        us_udp_buffer_set_packet_payload(st.out, i, 0, data, length_of(i), &to);
    }
    st.pending_from = 0;
    st.pending_count = COUNT;
    send_pending(st.client);
    CHECK_EQ(st.pending_count, COUNT - first_sent);
    us_loop_run(st.loop);
}

int main(void) {
    test_guard(30);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    st.buf = us_create_udp_packet_buffer();
    st.out = us_create_udp_packet_buffer();
    CHECK(st.loop && st.buf && st.out);

    /* Grouped (where the kernel has UDP_SEGMENT): 10 messages of 10 datagrams. After a message that went, a
     * grouped one that did not is asked about again at once (to tell a full buffer from the kernel refusing
     * UDP_SEGMENT), so a partial send costs one more call than without grouping. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int segment = 0;
    socklen_t segment_length = sizeof(segment);
    int grouped = fd >= 0 && getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_length) == 0;
    if (fd >= 0) {
        close(fd);
    }
#ifdef LIBUS_NO_UDP_GSO
    grouped = 0; /* switched off at build time */
#endif
    if (grouped) {
        /* 3 messages (30 datagrams) go; the second call meets the full buffer; drain_cb; the rest goes */
        const int three_then_full[] = {3, 0};
        run(three_then_full, 2, 0, 30);
        CHECK_EQ(st.drains, 1);
        CHECK_EQ(sendmmsg_calls, 3);
        CHECK_EQ(st.server_got, COUNT);

        /* nothing goes at first; drain_cb; then 3 messages per call until the plan ends */
        const int piecemeal[] = {0, 3, 3, 3};
        run(piecemeal, 4, 0, 0);
        CHECK_EQ(st.drains, 1);
        CHECK_EQ(sendmmsg_calls, 5);
        CHECK_EQ(st.server_got, COUNT);

        /* one message (10 datagrams) goes; the sender closes itself inside drain_cb */
        const int one_then_full[] = {1, 0};
        run(one_then_full, 2, 1, 10);
        CHECK_EQ(st.drains, 1);
        CHECK_EQ(st.server_got, 10);
        CHECK_EQ(sendmmsg_calls, 2);
    } else {
        printf("note: no grouping (no UDP_SEGMENT in the kernel, or a LIBUS_NO_UDP_GSO build); the plans run ungrouped only\n");
    }

    /* One message per datagram: grouping switched off (read as each socket is created). */
    CHECK_EQ(setenv("US_UDP_GSO", "0", 1), 0);

    /* 10 of 100 go out; drain_cb; the retry meets a full buffer (0, EAGAIN); drain_cb; the rest goes */
    const int partial_then_full[] = {10, 0};
    run(partial_then_full, 2, 0, 10);
    CHECK_EQ(st.drains, 2);
    CHECK_EQ(sendmmsg_calls, 3);
    CHECK_EQ(st.server_got, COUNT);

    /* nothing goes at first; then piecemeal, 30 at a time */
    const int thirty[] = {0, 30, 30, 30};
    run(thirty, 4, 0, 0);
    CHECK_EQ(st.drains, 4);
    CHECK_EQ(st.server_got, COUNT);

    /* the sender closes itself inside drain_cb: what went out still arrives, nothing more is called */
    const int five[] = {5};
    run(five, 1, 1, 5);
    CHECK_EQ(st.drains, 1);
    CHECK_EQ(st.server_got, 5);
    CHECK_EQ(sendmmsg_calls, 1);
    CHECK_EQ(unsetenv("US_UDP_GSO"), 0);

    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.buf);
    us_udp_packet_buffer_free(st.out);
    TEST_PASS("udp_drain");
    return 0;
}
