/*
 * test_udp_gso_fallback.c: when the kernel refuses UDP_SEGMENT messages, us_udp_socket_send sends the batch again
 * one message per datagram, returns the full count, and nothing is lost or reported: EIO (no checksum offload on
 * the route) switches grouping off for that socket only; EINVAL for large segments (the path's MTU) stops grouping
 * segments that large but keeps smaller ones grouped; EINVAL for small segments switches grouping off; and an error
 * the datagrams themselves cause (port 0) is reported as before and leaves grouping on.
 *
 * The refusals are simulated: this test defines sendmmsg itself (the static library's call resolves to it), which
 * passes messages on to the kernel up to the first UDP_SEGMENT message the current rule refuses, and fails that one
 * as the kernel does (-1 and errno when it is the first of the call, else the count of those before it).
 */
#include "udp_test_util.h"

#include <errno.h>
#include <netinet/udp.h>
#include <sys/syscall.h>

#define MAX_SEQ 1024

static struct {
    int refuse_errno;          /* 0: refuse nothing */
    int refuse_above;          /* refuse groups whose segment is larger than this */
    int calls, messages, groups, refused; /* since the last reset */
} fake;

/* The UDP_SEGMENT size a message carries, or 0. */
static int segment_of(struct msghdr *h) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
            uint16_t segment;
            memcpy(&segment, CMSG_DATA(c), sizeof(segment));
            return segment;
        }
    }
    return 0;
}

int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags) {
    fake.calls++;
    unsigned int k = 0;
    for (; k < vlen; k++) {
        int segment = segment_of(&msgvec[k].msg_hdr);
        if (segment && fake.refuse_errno && segment > fake.refuse_above) {
            break;
        }
    }
    if (k == 0 && vlen > 0) {
        fake.refused++;
        errno = fake.refuse_errno;
        return -1;
    }
    int n = (int) syscall(SYS_sendmmsg, fd, msgvec, k, flags);
    for (int i = 0; i < n; i++) {
        fake.groups += segment_of(&msgvec[i].msg_hdr) != 0;
    }
    fake.messages += n > 0 ? n : 0;
    return n;
}

static struct {
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *buf, *out;
    struct us_udp_socket_t *server;
    int server_port;
    int lengths[MAX_SEQ]; /* of each datagram sent, by sequence number */
    int sent, got;        /* sequence numbers sent and received */
} st;

static void reset_fake(int refuse_errno, int refuse_above) {
    memset(&fake, 0, sizeof(fake));
    fake.refuse_errno = refuse_errno;
    fake.refuse_above = refuse_above;
}

/* Waits (at most 5 s) until every datagram sent so far arrived, each checked against what was sent. */
static void receive_all(void) {
    double deadline = test_now_ms() + 5000.0 * test_time_scale();
    while (st.got < st.sent) {
        int n = us_udp_socket_receive(st.server, st.buf);
        CHECK(n >= 0);
        if (n == 0) {
            CHECK(test_now_ms() < deadline);
            usleep(1000);
            continue;
        }
        for (int i = 0; i < n; i++) {
            CHECK(st.got < st.sent);
            CHECK_EQ(us_udp_packet_buffer_payload_length(st.buf, i), st.lengths[st.got]);
            CHECK(udp_test_matches(us_udp_packet_buffer_payload(st.buf, i), (uint32_t) st.got, st.lengths[st.got]));
            st.got++;
        }
    }
}

/* Sends count datagrams of the given lengths (one length: all alike) to port, and expects want back. */
static int send_batch(struct us_udp_socket_t *client, int port, const int *lengths, int count) {
    static char data[LIBUS_UDP_MAX_SIZE];
    struct sockaddr_in to = udp_test_v4(port);
    CHECK(st.sent + count <= MAX_SEQ);
    for (int i = 0; i < count; i++) {
        int seq = st.sent + i;
        udp_test_fill(data, (uint32_t) seq, lengths[i]);
        us_udp_buffer_set_packet_payload(st.out, i, 0, data, lengths[i], &to);
    }
    int sent = us_udp_socket_send(client, st.out, count);
    if (port == st.server_port && sent > 0) {
        for (int i = 0; i < sent; i++) {
            st.lengths[st.sent + i] = lengths[i];
        }
        st.sent += sent;
    }
    return sent;
}

static const int *alike(int length, int count) {
    static int lengths[64];
    for (int i = 0; i < count; i++) {
        lengths[i] = length;
    }
    return lengths;
}

static struct us_udp_socket_t *client(void) {
    struct us_udp_socket_t *c = us_create_udp_socket(st.loop, st.buf, NULL, NULL, "127.0.0.1", 0, NULL);
    CHECK(c);
    return c;
}

int main(void) {
    test_guard(30);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    st.buf = us_create_udp_packet_buffer();
    st.out = us_create_udp_packet_buffer();
    CHECK(st.loop && st.buf && st.out);
    st.server = us_create_udp_socket(st.loop, st.buf, NULL, NULL, "127.0.0.1", 0, NULL);
    CHECK(st.server);
    st.server_port = us_udp_socket_bound_port(st.server);

    /* the probe: without UDP_SEGMENT nothing groups, and there is nothing to fall back from */
    struct us_udp_socket_t *a = client();
    reset_fake(0, 0);
    CHECK_EQ(send_batch(a, st.server_port, alike(100, 4), 4), 4);
    receive_all();
    if (fake.groups == 0) {
        printf("note: no grouping (no UDP_SEGMENT in the kernel, or a LIBUS_NO_UDP_GSO build); nothing to fall back from\n");
        us_udp_socket_close(a);
        goto done;
    }

    /* EIO for the group behind a plain datagram: the first call sends the plain one, the second learns the
     * refusal, the third sends the group's datagrams one by one; all 11 counted and received in order */
    reset_fake(EIO, 0);
    const int plain_then_group[11] = {50, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100};
    CHECK_EQ(send_batch(a, st.server_port, plain_then_group, 11), 11);
    CHECK_EQ(fake.refused, 1);
    CHECK_EQ(fake.calls, 3);
    CHECK_EQ(fake.messages, 11);
    receive_all();
    /* that socket no longer groups; another one still does */
    reset_fake(0, 0);
    CHECK_EQ(send_batch(a, st.server_port, alike(100, 10), 10), 10);
    CHECK_EQ(fake.calls, 1);
    CHECK_EQ(fake.messages, 10);
    CHECK_EQ(fake.groups, 0);
    struct us_udp_socket_t *b = client();
    CHECK_EQ(send_batch(b, st.server_port, alike(100, 10), 10), 10);
    CHECK_EQ(fake.groups, 1);
    receive_all();
    us_udp_socket_close(a);

    /* EIO for the first message of the call: -1 never reaches the caller */
    reset_fake(EIO, 0);
    CHECK_EQ(send_batch(b, st.server_port, alike(100, 20), 20), 20);
    CHECK_EQ(fake.refused, 1);
    CHECK_EQ(fake.messages, 20);
    receive_all();
    us_udp_socket_close(b);

    /* EINVAL for 1400-byte segments (as from a path MTU of 1300): that batch goes one by one, the next batch of
     * 1400-byte datagrams is not grouped at all, and 1000-byte ones still are */
    struct us_udp_socket_t *c = client();
    reset_fake(EINVAL, 1300);
    CHECK_EQ(send_batch(c, st.server_port, alike(1400, 5), 5), 5);
    CHECK_EQ(fake.refused, 1);
    CHECK_EQ(fake.messages, 5);
    reset_fake(EINVAL, 1300);
    CHECK_EQ(send_batch(c, st.server_port, alike(1400, 5), 5), 5);
    CHECK_EQ(fake.refused, 0);
    CHECK_EQ(fake.messages, 5);
    CHECK_EQ(send_batch(c, st.server_port, alike(1000, 5), 5), 5);
    CHECK_EQ(fake.refused, 0);
    CHECK_EQ(fake.messages, 6);
    CHECK_EQ(fake.groups, 1);
    receive_all();
    us_udp_socket_close(c);

    /* EINVAL for small segments: no MTU refuses those, so grouping goes off */
    struct us_udp_socket_t *d = client();
    reset_fake(EINVAL, 0);
    CHECK_EQ(send_batch(d, st.server_port, alike(100, 8), 8), 8);
    CHECK_EQ(fake.refused, 1);
    reset_fake(EINVAL, 0);
    CHECK_EQ(send_batch(d, st.server_port, alike(100, 8), 8), 8);
    CHECK_EQ(fake.refused, 0);
    CHECK_EQ(fake.groups, 0);
    receive_all();
    us_udp_socket_close(d);

    /* the datagrams' own error (port 0 is EINVAL with or without grouping): reported, and grouping stays on */
    struct us_udp_socket_t *e = client();
    reset_fake(0, 0);
    errno = 0;
    CHECK_EQ(send_batch(e, 0, alike(100, 6), 6), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(send_batch(e, st.server_port, alike(100, 6), 6), 6);
    CHECK_EQ(fake.groups, 1);
    receive_all();
    us_udp_socket_close(e);

done:
    us_udp_socket_close(st.server);
    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.buf);
    us_udp_packet_buffer_free(st.out);
    TEST_PASS("udp_gso_fallback");
    return 0;
}
