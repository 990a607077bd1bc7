/*
 * udp-load: UDP echo load generator (one thread, one connected socket, recvmmsg/sendmmsg).
 *
 *   udp-load host port window size seconds
 *
 * Keeps `window` datagrams of `size` bytes (at least 16) in flight to an echo server for `seconds`:
 * a new datagram goes out for each echo that comes back, in batches. Each datagram carries its
 * sequence number and send time; an echo of the wrong length or with a sequence number never sent
 * counts as an error. When nothing comes back for 20 ms, what is in flight is written off as lost
 * and the window is refilled (echoes of written-off datagrams arriving later count as late).
 * Final line on stdout:
 *   udp: window=.. size=.. secs=.. rtt=.. rtt/s=.. p50_us=.. p99_us=.. lost=.. late=.. errors=..
 * rtt is the number of echoes received in time. Build: gcc -O2 -Wall -o udp-load udp-load.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1024
#define MAX_SIZE 2048
#define HIST_US 100000 /* RTT histogram: 1 us buckets up to 100 ms, the last one holds the rest */
#define SILENCE_MS 20

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned char out_data[BATCH][MAX_SIZE], in_data[BATCH][MAX_SIZE];
static struct mmsghdr out_msgs[BATCH], in_msgs[BATCH];
static struct iovec out_iov[BATCH], in_iov[BATCH];
static uint32_t hist[HIST_US + 1];

static int open_connected(const char *host, const char *port) {
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res, *a;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "udp-load: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        perror("udp-load: socket/connect");
        return -1;
    }
    int big = 4 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    return fd;
}

static uint64_t percentile(uint64_t total, double p) {
    uint64_t want = (uint64_t)(total * p), seen = 0;
    for (int i = 0; i <= HIST_US; i++) {
        seen += hist[i];
        if (seen > want) {
            return (uint64_t)i;
        }
    }
    return HIST_US;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: udp-load host port window size seconds\n");
        return 2;
    }
    int window = atoi(argv[3]), size = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if (window < 1 || size < 16 || size > MAX_SIZE || seconds <= 0) {
        fprintf(stderr, "udp-load: window >= 1, 16 <= size <= %d, seconds > 0\n", MAX_SIZE);
        return 2;
    }
    int fd = open_connected(argv[1], argv[2]);
    if (fd < 0) {
        return 1;
    }
    for (int i = 0; i < BATCH; i++) {
        out_iov[i] = (struct iovec){.iov_base = out_data[i], .iov_len = (size_t)size};
        out_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &out_iov[i], .msg_iovlen = 1};
        in_iov[i] = (struct iovec){.iov_base = in_data[i], .iov_len = MAX_SIZE};
        in_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &in_iov[i], .msg_iovlen = 1};
        memset(out_data[i], 0xa5, MAX_SIZE);
    }

    uint64_t next_seq = 0, written_off_below = 0, received = 0, lost = 0, late = 0, errors = 0;
    long inflight = 0;
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), last_rx = start;
    for (;;) {
        uint64_t t = now_ns();
        if (t >= end) {
            break;
        }
        /* refill the window in one sendmmsg (or a few, for windows over BATCH) */
        while (inflight < window) {
            int n = 0;
            while (n < BATCH && inflight + n < window) {
                uint64_t seq = next_seq + (uint64_t)n;
                memcpy(out_data[n], &seq, 8);
                memcpy(out_data[n] + 8, &t, 8);
                n++;
            }
            int sent = sendmmsg(fd, out_msgs, (unsigned int)n, 0);
            if (sent <= 0) {
                if (sent < 0 && errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED) {
                    perror("udp-load: sendmmsg");
                    return 1;
                }
                break;
            }
            next_seq += (uint64_t)sent;
            inflight += sent;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, SILENCE_MS);
        t = now_ns();
        if (ready <= 0) {
            if (t - last_rx >= (uint64_t)SILENCE_MS * 1000000u && inflight > 0) {
                lost += (uint64_t)inflight;
                inflight = 0;
                written_off_below = next_seq;
                last_rx = t;
            }
            continue;
        }
        int n = recvmmsg(fd, in_msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            continue; /* EAGAIN, or an ICMP error (server not there yet) */
        }
        last_rx = t;
        for (int i = 0; i < n; i++) {
            uint64_t seq, sent_at;
            if (in_msgs[i].msg_len != (unsigned int)size) {
                errors++;
                continue;
            }
            memcpy(&seq, in_data[i], 8);
            memcpy(&sent_at, in_data[i] + 8, 8);
            if (seq >= next_seq) {
                errors++;
                continue;
            }
            if (seq < written_off_below) {
                late++;
                continue;
            }
            inflight--;
            received++;
            uint64_t us = (t - sent_at) / 1000u;
            hist[us > HIST_US ? HIST_US : us]++;
        }
    }
    double secs = (double)(now_ns() - start) / 1e9;
    printf("udp: window=%d size=%d secs=%.3f rtt=%llu rtt/s=%.0f p50_us=%llu p99_us=%llu lost=%llu late=%llu "
           "errors=%llu\n",
           window, size, secs, (unsigned long long)received, (double)received / secs,
           (unsigned long long)percentile(received, 0.50), (unsigned long long)percentile(received, 0.99),
           (unsigned long long)lost, (unsigned long long)late, (unsigned long long)errors);
    return errors ? 1 : 0;
}
