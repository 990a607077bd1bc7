/*
 * udp_test_util.h: helpers shared by the UDP tests: loopback addresses, address checks and a
 * deterministic payload pattern (every datagram is recognisable from its sequence number).
 */
#ifndef US_UDP_TEST_UTIL_H
#define US_UDP_TEST_UTIL_H

#include "libusockets.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* 127.0.0.1:port */
static inline struct sockaddr_in udp_test_v4(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* [::1]:port */
static inline struct sockaddr_in6 udp_test_v6(int port) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t) port);
    a.sin6_addr = in6addr_loopback;
    return a;
}

/* Checks that peer (a sockaddr_storage) is 127.0.0.1:port. */
static inline void udp_test_check_peer_v4(const char *peer, int port) {
    struct sockaddr_in a;
    memcpy(&a, peer, sizeof(a));
    CHECK_EQ(a.sin_family, AF_INET);
    CHECK_EQ(ntohs(a.sin_port), port);
    CHECK_EQ(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK);
}

/* Checks that peer (a sockaddr_storage) is [::1]:port, or [::ffff:127.0.0.1]:port when mapped is set. */
static inline void udp_test_check_peer_v6(const char *peer, int port, int mapped) {
    struct sockaddr_in6 a;
    memcpy(&a, peer, sizeof(a));
    CHECK_EQ(a.sin6_family, AF_INET6);
    CHECK_EQ(ntohs(a.sin6_port), port);
    if (mapped) {
        CHECK(IN6_IS_ADDR_V4MAPPED(&a.sin6_addr));
        CHECK_EQ(a.sin6_addr.s6_addr[12], 127);
        CHECK_EQ(a.sin6_addr.s6_addr[15], 1);
    } else {
        CHECK(IN6_IS_ADDR_LOOPBACK(&a.sin6_addr));
    }
}

/* Checks that datagram i of buf was addressed to 127.0.0.1 (4 bytes) or ::1 (16 bytes). */
static inline void udp_test_check_local_ip(struct us_udp_packet_buffer_t *buf, int i, int want_length) {
    char ip[16];
    memset(ip, 0x55, sizeof(ip));
    int length = us_udp_packet_buffer_local_ip(buf, i, ip);
    CHECK_EQ(length, want_length);
    if (length == 4) {
        const unsigned char want[4] = {127, 0, 0, 1};
        CHECK(memcmp(ip, want, 4) == 0);
    } else {
        CHECK(memcmp(ip, &in6addr_loopback, 16) == 0);
    }
}

/* The pattern byte at position i of datagram seq (positions 0..3 hold seq itself). */
static inline unsigned char udp_test_byte(uint32_t seq, int i) {
    return (unsigned char) ((seq * 131u + (uint32_t) i * 7u) >> 1);
}

/* Writes datagram seq of length bytes (length >= 4 carries seq; shorter ones are pattern only). */
static inline void udp_test_fill(char *dst, uint32_t seq, int length) {
    for (int i = 0; i < length; i++) {
        dst[i] = (char) udp_test_byte(seq, i);
    }
    if (length >= 4) {
        memcpy(dst, &seq, 4);
    }
}

/* The sequence number carried by a datagram of at least 4 bytes. */
static inline uint32_t udp_test_seq(const char *data) {
    uint32_t seq;
    memcpy(&seq, data, 4);
    return seq;
}

/* Checks that data holds datagram seq of length bytes. */
static inline int udp_test_matches(const char *data, uint32_t seq, int length) {
    for (int i = length >= 4 ? 4 : 0; i < length; i++) {
        if ((unsigned char) data[i] != udp_test_byte(seq, i)) {
            return 0;
        }
    }
    return length < 4 || udp_test_seq(data) == seq;
}

#endif
