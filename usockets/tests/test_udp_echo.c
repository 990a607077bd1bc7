/*
 * test_udp_echo.c: 100 000 datagrams echoed between two UDP sockets on one loop (IPv4 loopback), none lost:
 * the client keeps a window of WINDOW datagrams in flight, so neither receive buffer can overflow, and matches
 * every echo by sequence number and content. Also checks peers, local_ip, ecn, the user pointer and that a
 * received batch can be sent back as is.
 */
#include "udp_test_util.h"

#define TOTAL 100000
#define WINDOW 64

static struct {
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *recv_buf, *send_buf;
    struct us_udp_socket_t *server, *client;
    int server_port, client_port;
    uint32_t next_seq;
    int received;
    int server_batches, client_batches;
    unsigned char seen[TOTAL];
} st;

/* Every datagram's length follows from its sequence number: 4 to 512 bytes. */
static int length_of(uint32_t seq) {
    return 4 + (int) (seq * 2654435761u % 509u);
}

static void on_server_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    CHECK(s == st.server);
    CHECK(us_udp_socket_user(s) == &st.server);
    CHECK(buf == st.recv_buf);
    CHECK(num > 0 && num <= LIBUS_UDP_MAX_NUM);
    st.server_batches++;
    for (int i = 0; i < num; i++) {
        udp_test_check_peer_v4(us_udp_packet_buffer_peer(buf, i), st.client_port);
        udp_test_check_local_ip(buf, i, 4);
        CHECK_EQ(us_udp_packet_buffer_ecn(buf, i), 0);
    }
    /* the received batch goes back to its peers unchanged */
    CHECK_EQ(us_udp_socket_send(s, buf, num), num);
}

/* Sends up to n new datagrams, half written in place, half copied in by set_packet_payload. */
static void client_send_more(int n) {
    if (n > (int) (TOTAL - st.next_seq)) {
        n = (int) (TOTAL - st.next_seq);
    }
    if (n <= 0) {
        return;
    }
    struct sockaddr_in server = udp_test_v4(st.server_port);
    char copy[512];
    for (int k = 0; k < n; k++) {
        uint32_t seq = st.next_seq + (uint32_t) k;
        int length = length_of(seq);
        if (seq & 1) {
            udp_test_fill(copy, seq, length);
            us_udp_buffer_set_packet_payload(st.send_buf, k, 0, copy, length, &server);
        } else {
            udp_test_fill(us_udp_packet_buffer_payload(st.send_buf, k), seq, length);
            us_udp_buffer_set_packet_payload(st.send_buf, k, length, NULL, 0, &server);
        }
        CHECK_EQ(us_udp_packet_buffer_payload_length(st.send_buf, k), length);
    }
    CHECK_EQ(us_udp_socket_send(st.client, st.send_buf, n), n);
    st.next_seq += (uint32_t) n;
}

static void on_client_data(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    CHECK(s == st.client);
    CHECK(us_udp_socket_user(s) == &st.client);
    st.client_batches++;
    for (int i = 0; i < num; i++) {
        udp_test_check_peer_v4(us_udp_packet_buffer_peer(buf, i), st.server_port);
        udp_test_check_local_ip(buf, i, 4);
        int length = us_udp_packet_buffer_payload_length(buf, i);
        CHECK(length >= 4);
        const char *data = us_udp_packet_buffer_payload(buf, i);
        uint32_t seq = udp_test_seq(data);
        CHECK(seq < st.next_seq);
        CHECK(!st.seen[seq]);
        CHECK_EQ(length, length_of(seq));
        CHECK(udp_test_matches(data, seq, length));
        st.seen[seq] = 1;
        st.received++;
    }
    if (st.received == TOTAL) {
        us_udp_socket_close(st.client);
        us_udp_socket_close(st.server);
        return;
    }
    client_send_more(WINDOW - (int) (st.next_seq - (uint32_t) st.received));
}

static void no_drain(struct us_udp_socket_t *s) {
    (void) s;
    CHECK(!"drain_cb without a partial send");
}

int main(void) {
    test_guard(60);
    st.loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(st.loop);
    st.recv_buf = us_create_udp_packet_buffer(); /* one receive buffer shared by both sockets */
    st.send_buf = us_create_udp_packet_buffer();
    CHECK(st.recv_buf && st.send_buf);
    CHECK(us_udp_packet_buffer_payload(st.recv_buf, 3) ==
          us_udp_packet_buffer_payload(st.recv_buf, 0) + 3 * LIBUS_UDP_MAX_SIZE);

    st.server = us_create_udp_socket(st.loop, st.recv_buf, on_server_data, no_drain, "127.0.0.1", 0, &st.server);
    st.client = us_create_udp_socket(st.loop, st.recv_buf, on_client_data, no_drain, "127.0.0.1", 0, &st.client);
    CHECK(st.server && st.client);
    st.server_port = us_udp_socket_bound_port(st.server);
    st.client_port = us_udp_socket_bound_port(st.client);
    CHECK(st.server_port > 0 && st.client_port > 0 && st.server_port != st.client_port);
    CHECK_EQ(us_udp_socket_receive(st.server, st.recv_buf), 0); /* nothing waiting yet */

    double start = test_now_ms();
    client_send_more(WINDOW);
    us_loop_run(st.loop);
    double elapsed = test_now_ms() - start;

    CHECK_EQ(st.received, TOTAL);
    for (int i = 0; i < TOTAL; i++) {
        CHECK(st.seen[i]);
    }
    fprintf(stderr, "echoed %d datagrams in %.0f ms (%d server batches, %d client batches)\n", TOTAL, elapsed,
            st.server_batches, st.client_batches);
    us_loop_free(st.loop);
    us_udp_packet_buffer_free(st.recv_buf);
    us_udp_packet_buffer_free(st.send_buf);
    TEST_PASS("udp_echo");
    return 0;
}
