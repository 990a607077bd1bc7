/*
 * test_udp_sizes.c: datagrams of 0 and 1 byte and of the largest size each family carries on loopback (65507 bytes
 * over IPv4, 65527 over IPv6, both within a slot), a datagram built in two pieces through the offset argument, and
 * the kernel refusing an oversized datagram: alone (-1, EMSGSIZE) and at the end of a batch (fewer sent, drain_cb,
 * the retry reports the error).
 */
#include "udp_test_util.h"

#include <errno.h>

static const int v4_sizes[] = {0, 1, 2, 3, 4, 1472, 9000, 65507};
static const int v6_sizes[] = {0, 1, 1452, 65507, 65527};

static struct {
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *buf, *out;
    struct us_udp_socket_t *server, *client;
    int server_port;
    int v6;
    const int *sizes;
    int count, index;
    int drains, server_got;
} st;

static void *server_addr(void) {
    static struct sockaddr_in6 a6;
    static struct sockaddr_in a4;
    a6 = udp_test_v6(st.server_port);
    a4 = udp_test_v4(st.server_port);
    return st.v6 ? (void *) &a6 : (void *) &a4;
}

/* Sends datagram index (sizes[index] bytes); every third one in two pieces (a 1-byte head, then the rest). */
static void send_current(void) {
    static char data[LIBUS_UDP_MAX_SIZE];
    int length = st.sizes[st.index];
    udp_test_fill(data, (uint32_t) st.index, length);
    if (st.index % 3 == 2 && length > 1) {
        us_udp_buffer_set_packet_payload(st.out, 0, 0, data, 1, server_addr());
        us_udp_buffer_set_packet_payload(st.out, 0, 1, data + 1, length - 1, server_addr());
    } else {
        us_udp_buffer_set_packet_payload(st.out, 0, 0, data, length, server_addr());
    }
    CHECK_EQ(us_udp_packet_buffer_payload_length(st.out, 0), length);
    CHECK_EQ(us_udp_socket_send(st.client, st.out, 1), 1);
}

static void on_echo(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    CHECK_EQ(us_udp_socket_send(s, buf, num), num);
}

static void on_client_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    CHECK_EQ(num, 1); /* one datagram in flight at a time */
    int length = us_udp_packet_buffer_payload_length(buf, 0);
    CHECK_EQ(length, st.sizes[st.index]);
    CHECK(udp_test_matches(us_udp_packet_buffer_payload(buf, 0), (uint32_t) st.index, length));
    if (++st.index == st.count) {
        us_udp_socket_close(st.client);
        us_udp_socket_close(st.server);
        return;
    }
    send_current();
}

static void ping_sizes(int v6, const int *sizes, int count) {
    const char *host = v6 ? "::1" : "127.0.0.1";
    st.v6 = v6;
    st.sizes = sizes;
    st.count = count;
    st.index = 0;
    st.server = us_create_udp_socket(st.loop, st.buf, on_echo, NULL, host, 0, NULL);
    st.client = us_create_udp_socket(st.loop, st.buf, on_client_data, NULL, host, 0, NULL);
    CHECK(st.server && st.client);
    st.server_port = us_udp_socket_bound_port(st.server);
    send_current();
    us_loop_run(st.loop);
    CHECK_EQ(st.index, count);
}

static void finish_if_done(void) {
    if (st.drains == 1 && st.server_got == 2) {
        us_udp_socket_close(st.client);
        us_udp_socket_close(st.server);
    }
}

static void on_count(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    (void) s;
    for (int i = 0; i < num; i++) {
        CHECK_EQ(us_udp_packet_buffer_payload_length(buf, i), 100);
        CHECK(udp_test_matches(us_udp_packet_buffer_payload(buf, i), (uint32_t) st.server_got, 100));
        st.server_got++;
    }
    finish_if_done();
}

static void on_drain(struct us_udp_socket_t *s) {
    st.drains++;
    /* the retry starts with the datagram that did not go out: move it to the front */
    us_udp_buffer_set_packet_payload(st.out, 0, 0, us_udp_packet_buffer_payload(st.out, 2),
                                     us_udp_packet_buffer_payload_length(st.out, 2), server_addr());
    errno = 0;
    CHECK_EQ(us_udp_socket_send(s, st.out, 1), -1);
    CHECK_EQ(errno, EMSGSIZE);
    finish_if_done();
}

static void oversized(void) {
    static char data[LIBUS_UDP_MAX_SIZE];
    st.v6 = 0;
    st.drains = st.server_got = 0;
    st.server = us_create_udp_socket(st.loop, st.buf, on_count, NULL, "127.0.0.1", 0, NULL);
    st.client = us_create_udp_socket(st.loop, st.buf, NULL, on_drain, "127.0.0.1", 0, NULL);
    CHECK(st.server && st.client);
    st.server_port = us_udp_socket_bound_port(st.server);

    /* alone: refused at once, and no drain_cb for it */
    udp_test_fill(data, 0, 65508);
    us_udp_buffer_set_packet_payload(st.out, 0, 0, data, 65508, server_addr());
    errno = 0;
    CHECK_EQ(us_udp_socket_send(st.client, st.out, 1), -1);
    CHECK_EQ(errno, EMSGSIZE);

    /* a slot cannot be set beyond its room: the call leaves it as it was */
    us_udp_buffer_set_packet_payload(st.out, 0, 1, data, LIBUS_UDP_MAX_SIZE, server_addr());
    CHECK_EQ(us_udp_packet_buffer_payload_length(st.out, 0), 65508);

    /* last of a batch: the first two go out, drain_cb follows, and the retry reports the error */
    for (int i = 0; i < 2; i++) {
        udp_test_fill(data, (uint32_t) i, 100);
        us_udp_buffer_set_packet_payload(st.out, i, 0, data, 100, server_addr());
    }
    udp_test_fill(data, 2, 65508);
    us_udp_buffer_set_packet_payload(st.out, 2, 0, data, 65508, server_addr());
    CHECK_EQ(us_udp_socket_send(st.client, st.out, 3), 2);
    us_loop_run(st.loop);
    CHECK_EQ(st.drains, 1);
    CHECK_EQ(st.server_got, 2);
}

int main(void) {
    test_guard(30);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    st.buf = us_create_udp_packet_buffer();
    st.out = us_create_udp_packet_buffer();
    CHECK(st.loop && st.buf && st.out);

    ping_sizes(0, v4_sizes, (int) (sizeof(v4_sizes) / sizeof(v4_sizes[0])));
    ping_sizes(1, v6_sizes, (int) (sizeof(v6_sizes) / sizeof(v6_sizes[0])));
    oversized();

    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.buf);
    us_udp_packet_buffer_free(st.out);
    TEST_PASS("udp_sizes");
    return 0;
}
