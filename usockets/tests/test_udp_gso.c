/*
 * test_udp_gso.c: batches that us_udp_socket_send groups into UDP_SEGMENT messages arrive as the datagrams they
 * were, each on its own, in order, with its length, contents, peer and destination address: runs to one peer of
 * one length, batches mixing peers and lengths (the runs split where they should), a shorter last datagram, more
 * than 64 datagrams to one peer, runs cut by the 64 KiB limit, a zero-length datagram, the connected peer; over
 * IPv4, IPv6 and a dual-stack socket sending to IPv4, with grouping on and switched off (US_UDP_GSO=0).
 *
 * This test defines sendmmsg itself (the static library's call resolves to it) to pass each call on to the kernel
 * and count the messages and their UDP_SEGMENT control messages: grouping is checked, not only the outcome. Where
 * the kernel has no UDP_SEGMENT (probed as the library does), only the outcome is checked.
 */
#include "udp_test_util.h"

#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <sys/syscall.h>

#define MAX_BATCH 256

static int messages_sent, groups_sent; /* by the kernel, since the last reset */

int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags) {
    int n = (int) syscall(SYS_sendmmsg, fd, msgvec, vlen, flags);
    for (int k = 0; k < n; k++) {
        struct msghdr *h = &msgvec[k].msg_hdr;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
            if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
                groups_sent++;
            }
        }
    }
    messages_sent += n > 0 ? n : 0;
    return n;
}

/* One datagram of a batch: to server 0 or 1, of length bytes. */
struct packet {
    int to, length;
};

/* A batch and the number of messages it goes in when grouped. */
struct batch {
    const char *name;
    const struct packet *packets;
    int count;
    int messages, groups; /* with grouping */
    int connected;        /* sent with a NULL peer on a client connected to server 0 */
};

static const struct packet same[] = {{0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100},
                                     {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100},
                                     {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}};
/* runs: 5 x 100 to 0 | 3 x 100 to 1 | 4 x 80 + 50 to 0 | 2 x 120 to 0 | 200 to 0 alone (longer) | 3 x 64 to 1 |
 * 0 bytes to 0 alone (never grouped) | 2 x 64 to 0 */
static const struct packet mixed[] = {{0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}, {1, 100}, {1, 100}, {1, 100},
                                      {0, 80},  {0, 80},  {0, 80},  {0, 80},  {0, 50},  {0, 120}, {0, 120}, {0, 200},
                                      {1, 64},  {1, 64},  {1, 64},  {0, 0},   {0, 64},  {0, 64}};
/* 10 x 300 + 17 | 3 x 300 */
static const struct packet shorter[] = {{0, 300}, {0, 300}, {0, 300}, {0, 300}, {0, 300}, {0, 300}, {0, 300},
                                        {0, 300}, {0, 300}, {0, 300}, {0, 17},  {0, 300}, {0, 300}, {0, 300}};
/* 2 x 30000 (65507 bytes at most per message) | 30000 alone | 3 x 20000 | 2 x 20000 */
static const struct packet large[] = {{0, 30000}, {0, 30000}, {0, 30000}, {1, 20000}, {1, 20000},
                                      {1, 20000}, {1, 20000}, {1, 20000}};
static struct packet many[130];  /* 130 x 64 to 0: 64 | 64 | 2 */
static struct packet linked[10]; /* 10 x 100 to the connected peer */

static const struct batch batches[] = {
    {"same", same, 20, 1, 1, 0},
    {"mixed", mixed, 22, 8, 6, 0},
    {"shorter", shorter, 14, 2, 2, 0},
    {"large", large, 8, 4, 3, 0},
    {"many", many, 130, 3, 3, 0},
    {"connected", linked, 10, 1, 1, 1},
};

static struct {
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *buf, *out;
    struct us_udp_socket_t *client, *servers[2];
    int ports[2], client_port;
    int v6_client, v6_servers; /* client on ::1 (or dual-stack "::" when v6_servers is 0), servers on ::1 */
    const struct batch *batch;
    int expected[2][MAX_BATCH], expected_count[2]; /* batch indices each server should get, in order */
    int got[2], got_total;
} st;

static void on_server_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    int k = s == st.servers[0] ? 0 : 1;
    CHECK(s == st.servers[k]);
    for (int i = 0; i < num; i++) {
        CHECK(st.got[k] < st.expected_count[k]);
        int index = st.expected[k][st.got[k]];
        int length = st.batch->packets[index].length;
        CHECK_EQ(us_udp_packet_buffer_payload_length(buf, i), length);
        CHECK(udp_test_matches(us_udp_packet_buffer_payload(buf, i), (uint32_t) index, length));
        if (st.v6_servers) {
            udp_test_check_peer_v6(us_udp_packet_buffer_peer(buf, i), st.client_port, 0);
            udp_test_check_local_ip(buf, i, 16);
        } else {
            udp_test_check_peer_v4(us_udp_packet_buffer_peer(buf, i), st.client_port);
            udp_test_check_local_ip(buf, i, 4);
        }
        st.got[k]++;
        st.got_total++;
    }
    if (st.got_total == st.batch->count) {
        us_udp_socket_close(st.client);
        us_udp_socket_close(st.servers[0]);
        us_udp_socket_close(st.servers[1]);
    }
}

/* Sends one batch from a fresh client to two fresh servers and waits until every datagram arrived. */
static void run_batch(const struct batch *b, int grouping) {
    static char data[LIBUS_UDP_MAX_SIZE];
    const char *server_host = st.v6_servers ? "::1" : "127.0.0.1";
    const char *client_host = st.v6_client ? (st.v6_servers ? "::1" : NULL) : "127.0.0.1";
    memset(st.got, 0, sizeof(st.got));
    memset(st.expected_count, 0, sizeof(st.expected_count));
    st.got_total = 0;
    st.batch = b;
    for (int k = 0; k < 2; k++) {
        st.servers[k] = us_create_udp_socket(st.loop, st.buf, on_server_data, NULL, server_host, 0, NULL);
        CHECK(st.servers[k]);
        st.ports[k] = us_udp_socket_bound_port(st.servers[k]);
        /* room for the largest batch whatever the default: the sender runs ahead of the receiver here */
        int room = 1 << 20;
        (void) setsockopt(us_poll_fd((struct us_poll_t *) st.servers[k]), SOL_SOCKET, SO_RCVBUF, &room, sizeof(room));
    }
    st.client = us_create_udp_socket(st.loop, st.buf, NULL, NULL, client_host, 0, NULL);
    CHECK(st.client);
    st.client_port = us_udp_socket_bound_port(st.client);
    if (b->connected) {
        CHECK_EQ(us_udp_socket_bind(st.client, server_host, (unsigned int) st.ports[0]), 0);
    }
    for (int i = 0; i < b->count; i++) {
        int k = b->packets[i].to;
        st.expected[k][st.expected_count[k]++] = i;
        struct sockaddr_in a4 = udp_test_v4(st.ports[k]);
        struct sockaddr_in6 a6 = udp_test_v6(st.ports[k]);
        void *to = b->connected ? NULL : st.v6_servers ? (void *) &a6 : (void *) &a4;
        udp_test_fill(data, (uint32_t) i, b->packets[i].length);
        us_udp_buffer_set_packet_payload(st.out, i, 0, data, b->packets[i].length, to);
    }
    messages_sent = groups_sent = 0;
    CHECK_EQ(us_udp_socket_send(st.client, st.out, b->count), b->count);
    if (grouping) {
        if (messages_sent != b->messages || groups_sent != b->groups) {
            fprintf(stderr, "%s: %d messages (%d groups), expected %d (%d)\n", b->name, messages_sent, groups_sent,
                    b->messages, b->groups);
            exit(1);
        }
    } else {
        CHECK_EQ(messages_sent, b->count);
        CHECK_EQ(groups_sent, 0);
    }
    us_loop_run(st.loop);
    CHECK_EQ(st.got_total, b->count);
}

/* Whether the library groups: this kernel takes UDP_SEGMENT (the library's own probe), and the build did not
 * switch grouping off. */
static int kernel_has_gso(void) {
#ifdef LIBUS_NO_UDP_GSO
    return 0;
#endif
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    int size = 0;
    socklen_t len = sizeof(size);
    int ok = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &len) == 0;
    close(fd);
    return ok;
}

int main(void) {
    test_guard(60);
    for (int i = 0; i < 130; i++) {
        many[i] = (struct packet){0, 64};
    }
    for (int i = 0; i < 10; i++) {
        linked[i] = (struct packet){0, 100};
    }
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    st.buf = us_create_udp_packet_buffer();
    st.out = us_create_udp_packet_buffer();
    CHECK(st.loop && st.buf && st.out);
    int gso = kernel_has_gso();
    if (!gso) {
        printf("note: no UDP_SEGMENT (kernel or LIBUS_NO_UDP_GSO build); checking the datagrams only\n");
    }

    /* IPv4, IPv6, a dual-stack client sending to IPv4 servers (as IPv4-mapped peers) */
    const int families[3][2] = {{0, 0}, {1, 1}, {1, 0}};
    for (int switched_off = 0; switched_off < 2; switched_off++) {
        if (switched_off) {
            CHECK_EQ(setenv("US_UDP_GSO", "0", 1), 0); /* read as each socket is created */
        }
        for (int f = 0; f < 3; f++) {
            st.v6_client = families[f][0];
            st.v6_servers = families[f][1];
            for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
                run_batch(&batches[b], gso && !switched_off);
            }
        }
    }
    CHECK_EQ(unsetenv("US_UDP_GSO"), 0);

    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.buf);
    us_udp_packet_buffer_free(st.out);
    TEST_PASS("udp_gso");
    return 0;
}
