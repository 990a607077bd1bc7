/*
 * test_udp_ipv6.c: UDP over IPv6 ::1 and dual-stack sockets (NULL host): peers, local_ip (16 bytes for ::1,
 * 4 for IPv4 on a dual-stack socket), IPv4 peers given as sockaddr_in to a dual-stack socket, ECN marks from
 * TOS / traffic class, and us_udp_socket_bind (connected default peer).
 */
#include "udp_test_util.h"

#include <errno.h>

#define COUNT 100 /* sent at once: small enough for the receive buffers */

enum { V6, DUAL_V6_CLIENT, DUAL_V4_CLIENT, CONNECTED };

static struct {
    int scenario;
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *buf, *reply_buf;
    struct us_udp_socket_t *server, *client;
    int server_port, client_port;
    int server_got, client_got;
    unsigned char seen[COUNT];
} st;

static int length_of(uint32_t seq) {
    return 4 + (int) (seq * 37u % 300u);
}

static void on_server_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    for (int i = 0; i < num; i++) {
        char *peer = us_udp_packet_buffer_peer(buf, i);
        switch (st.scenario) {
        case V6:
        case DUAL_V6_CLIENT:
            udp_test_check_peer_v6(peer, st.client_port, 0);
            udp_test_check_local_ip(buf, i, 16);
            CHECK_EQ(us_udp_packet_buffer_ecn(buf, i), 1); /* the client marks ECT(1) */
            break;
        case DUAL_V4_CLIENT:
            udp_test_check_peer_v6(peer, st.client_port, 1); /* IPv4 seen as ::ffff:127.0.0.1 */
            udp_test_check_local_ip(buf, i, 4);
            CHECK_EQ(us_udp_packet_buffer_ecn(buf, i), 2); /* the client marks ECT(0) */
            break;
        case CONNECTED:
            udp_test_check_peer_v4(peer, st.client_port);
            udp_test_check_local_ip(buf, i, 4);
            break;
        }
        st.server_got++;
    }
    if (st.scenario == DUAL_V4_CLIENT) {
        /* reply through a fresh batch addressed with plain sockaddr_in: the socket maps it */
        struct sockaddr_in to = udp_test_v4(st.client_port);
        for (int i = 0; i < num; i++) {
            us_udp_buffer_set_packet_payload(st.reply_buf, i, 0, us_udp_packet_buffer_payload(buf, i),
                                             us_udp_packet_buffer_payload_length(buf, i), &to);
        }
        CHECK_EQ(us_udp_socket_send(s, st.reply_buf, num), num);
    } else {
        CHECK_EQ(us_udp_socket_send(s, buf, num), num);
    }
}

static void on_client_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    for (int i = 0; i < num; i++) {
        char *peer = us_udp_packet_buffer_peer(buf, i);
        if (st.scenario == V6 || st.scenario == DUAL_V6_CLIENT) {
            udp_test_check_peer_v6(peer, st.server_port, 0);
            udp_test_check_local_ip(buf, i, 16);
            CHECK_EQ(us_udp_packet_buffer_ecn(buf, i), 2); /* the server marks ECT(0) */
        } else {
            udp_test_check_peer_v4(peer, st.server_port);
            udp_test_check_local_ip(buf, i, 4);
        }
        const char *data = us_udp_packet_buffer_payload(buf, i);
        int length = us_udp_packet_buffer_payload_length(buf, i);
        uint32_t seq = udp_test_seq(data);
        CHECK(seq < COUNT && !st.seen[seq]);
        CHECK_EQ(length, length_of(seq));
        CHECK(udp_test_matches(data, seq, length));
        st.seen[seq] = 1;
        st.client_got++;
    }
    if (st.client_got == COUNT) {
        us_udp_socket_close(st.client);
        us_udp_socket_close(st.server);
    }
}

static void set_int_option(struct us_udp_socket_t *s, int level, int name, int value) {
    CHECK(setsockopt(us_poll_fd((struct us_poll_t *) s), level, name, &value, sizeof(value)) == 0);
}

static void run(int scenario, const char *server_host, const char *client_host) {
    memset(&st.seen, 0, sizeof(st.seen));
    st.scenario = scenario;
    st.server_got = st.client_got = 0;
    st.server = us_create_udp_socket(st.loop, st.buf, on_server_data, NULL, server_host, 0, NULL);
    st.client = us_create_udp_socket(st.loop, st.buf, on_client_data, NULL, client_host, 0, NULL);
    CHECK(st.server && st.client);
    st.server_port = us_udp_socket_bound_port(st.server);
    st.client_port = us_udp_socket_bound_port(st.client);
    CHECK(st.server_port > 0 && st.client_port > 0);

    struct sockaddr_in6 to6 = udp_test_v6(st.server_port);
    struct sockaddr_in to4 = udp_test_v4(st.server_port);
    void *to = &to6;
    if (scenario == V6 || scenario == DUAL_V6_CLIENT) {
        set_int_option(st.client, IPPROTO_IPV6, IPV6_TCLASS, 1);
        set_int_option(st.server, IPPROTO_IPV6, IPV6_TCLASS, 2);
    } else if (scenario == DUAL_V4_CLIENT) {
        set_int_option(st.client, IPPROTO_IP, IP_TOS, 2);
        to = &to4;
    } else {
        CHECK_EQ(us_udp_socket_bind(st.client, "127.0.0.1", 70000), -1);
        CHECK_EQ(us_udp_socket_bind(st.client, "127.0.0.1", (unsigned int) st.server_port), 0);
        CHECK_EQ(us_udp_socket_bind(st.client, NULL, 0), 0); /* dissolved again... */
        CHECK_EQ(us_udp_socket_bound_port(st.client), st.client_port); /* ...keeping the kernel-picked port */
        us_udp_buffer_set_packet_payload(st.reply_buf, 0, 0, "x", 1, NULL);
        CHECK_EQ(us_udp_socket_send(st.client, st.reply_buf, 1), -1); /* no peer at all */
        CHECK_EQ(errno, EDESTADDRREQ);
        CHECK_EQ(us_udp_socket_bind(st.client, "127.0.0.1", (unsigned int) st.server_port), 0);
        to = NULL; /* to the connected peer */
    }
    struct us_udp_packet_buffer_t *out = us_create_udp_packet_buffer();
    CHECK(out);
    for (uint32_t seq = 0; seq < COUNT; seq++) {
        char data[320];
        udp_test_fill(data, seq, length_of(seq));
        us_udp_buffer_set_packet_payload(out, (int) seq, 0, data, length_of(seq), to);
    }
    CHECK_EQ(us_udp_socket_send(st.client, out, COUNT), COUNT);
    us_udp_packet_buffer_free(out);

    us_loop_run(st.loop);
    CHECK_EQ(st.server_got, COUNT);
    CHECK_EQ(st.client_got, COUNT);
}

int main(void) {
    test_guard(30);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    st.buf = us_create_udp_packet_buffer();
    st.reply_buf = us_create_udp_packet_buffer();
    CHECK(st.loop && st.buf && st.reply_buf);

    run(V6, "::1", "::1");
    run(DUAL_V6_CLIENT, NULL, "::1");
    run(DUAL_V4_CLIENT, NULL, "127.0.0.1");
    run(CONNECTED, "127.0.0.1", "127.0.0.1");

    /* a host that is not an address of this machine fails at once */
    CHECK(!us_create_udp_socket(st.loop, st.buf, on_server_data, NULL, "192.0.2.1", 0, NULL));

    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.buf);
    us_udp_packet_buffer_free(st.reply_buf);
    TEST_PASS("udp_ipv6");
    return 0;
}
