/*
 * udp.c: batched UDP sockets (recvmmsg / sendmmsg) on the loop, for QUIC-style servers.
 *
 * A UDP socket is a poll of kind POLL_TYPE_UDP whose ext begins with the dispatch function the core calls
 * when the descriptor is ready. A packet buffer is one allocation: the per-slot message headers, peer
 * addresses and control data first, then LIBUS_UDP_MAX_NUM page-aligned payload slots of LIBUS_UDP_MAX_SIZE
 * bytes. The payload area is never written by us, and a block this large is mapped on demand by the
 * allocator (glibc maps anything above 32 MiB with mmap), so pages are committed only as datagrams land in
 * them: a receive fills slots from the first, and one batch rarely holds more than the socket's receive
 * buffer (SO_RCVBUF), so the resident size follows the traffic, not LIBUS_UDP_MAX_NUM * LIBUS_UDP_MAX_SIZE.
 *
 * Sending uses UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18+) where the kernel has it: consecutive
 * datagrams of a batch to the same peer with the same length (the last of a run may be shorter) and no control
 * data go as one message carrying a UDP_SEGMENT control message, at most US_UDP_GSO_MAX_SEGMENTS datagrams and
 * US_UDP_GSO_MAX_BYTES bytes, which the kernel takes through its stack once and cuts into the datagrams on the way
 * out; every run still goes in the batch's one sendmmsg. The receiver sees the same datagrams as without it. What
 * us_udp_socket_send returns still counts datagrams. When the kernel refuses a run (EIO: no checksum offload on
 * the route; EINVAL: a segment larger than the path takes; ENOPROTOOPT, EOPNOTSUPP), the run and the rest of the
 * batch go again one message per datagram, nothing is lost or reported, and the socket stops grouping (after an
 * EINVAL of a large segment: stops grouping segments that large). Building with LIBUS_NO_UDP_GSO, or US_UDP_GSO=0
 * in the environment when a socket is created, sends one message per datagram (for A/B measurements).
 */
#include "internal.h"
#include "sys.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room for every control message we ask for: IPv4 and IPv6 packet info, TOS and traffic class
 * (a dual-stack socket receiving an IPv4 datagram gets both families' packet info). */
#define US_UDP_CONTROL_SIZE                                                                                          \
    (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int)) +     \
     CMSG_SPACE(sizeof(int)))

/* UDP_SEGMENT limits: the kernel takes at most 64 segments per message (UDP_MAX_SEGMENTS; newer kernels 128), and a
 * message's payload must fit one IPv4 datagram (65535 - 20 - 8 bytes; IPv6 allows a little more). */
#define US_UDP_GSO_MAX_SEGMENTS 64
#define US_UDP_GSO_MAX_BYTES 65507
/* A segment this small fits every path (the IPv6 minimum MTU, 1280, less the IPv6 and UDP headers): an EINVAL for
 * a run of segments no larger cannot be the path's MTU, so it switches grouping off rather than lowering the
 * largest segment grouped. */
#define US_UDP_GSO_SAFE_SEGMENT 1232

/* Receive batches handled per readiness event before yielding to the other polls (level-triggered epoll
 * reports the socket again if datagrams are still waiting). */
#define US_UDP_MAX_BATCHES_PER_EVENT 64

struct us_udp_packet_buffer_t {
    struct mmsghdr msgs[LIBUS_UDP_MAX_NUM];
    struct iovec iov[LIBUS_UDP_MAX_NUM];
    struct sockaddr_storage peers[LIBUS_UDP_MAX_NUM];
    unsigned int control_length[LIBUS_UDP_MAX_NUM]; /* control bytes received for each slot */
    union {
        struct cmsghdr align;
        char bytes[US_UDP_CONTROL_SIZE];
    } control[LIBUS_UDP_MAX_NUM];
    int dirty;      /* slots [0, dirty) may differ from their receive setup */
    char *payloads; /* LIBUS_UDP_MAX_NUM * LIBUS_UDP_MAX_SIZE bytes, page aligned */
    /* A grouped send's messages: message m carries datagrams [gso_first[m], gso_first[m + 1]) of the batch, as one
     * UDP_SEGMENT message (gso_control[m]) when there are several. Scratch space of us_udp_socket_send only. */
    struct mmsghdr gso_msgs[LIBUS_UDP_MAX_NUM];
    int gso_first[LIBUS_UDP_MAX_NUM + 1];
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(uint16_t))];
    } gso_control[LIBUS_UDP_MAX_NUM];
};

struct us_udp_socket_t {
    alignas(LIBUS_EXT_ALIGNMENT) struct us_poll_t p;
    us_poll_callback_t dispatch; /* the poll's ext begins here (callback contract of internal.h) */
    struct us_loop_t *loop;
    struct us_udp_packet_buffer_t *buf;
    void (*data_cb)(struct us_udp_socket_t *, struct us_udp_packet_buffer_t *, int);
    void (*drain_cb)(struct us_udp_socket_t *);
    void *user;
    struct sockaddr_storage local; /* the address bound at creation (the port the kernel picked included) */
    socklen_t local_length;
    int port;     /* its port */
    int family;   /* AF_INET or AF_INET6 */
    int owns_buf; /* buf was created for this socket and is freed with it */
    int closed;
    int gso;                /* sends group datagrams with UDP_SEGMENT (the kernel has it, not switched off) */
    size_t gso_max_segment; /* the largest datagram grouped (lowered when a path refuses larger segments) */
};

_Static_assert(offsetof(struct us_udp_socket_t, dispatch) == US_ALIGN_UP(sizeof(struct us_poll_t)),
               "the dispatch function must start the poll's ext");

/* ------------------------------------------------------------------ packet buffers */

static size_t page_size(void) {
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t) page : 4096;
}

/* Points slot i's header back at its own payload, peer and control storage, ready for a receive. */
static void slot_reset_for_receive(struct us_udp_packet_buffer_t *buf, int i) {
    struct msghdr *h = &buf->msgs[i].msg_hdr;
    buf->iov[i].iov_base = buf->payloads + (size_t) i * LIBUS_UDP_MAX_SIZE;
    buf->iov[i].iov_len = LIBUS_UDP_MAX_SIZE;
    h->msg_name = &buf->peers[i];
    h->msg_namelen = sizeof(struct sockaddr_storage);
    h->msg_iov = &buf->iov[i];
    h->msg_iovlen = 1;
    h->msg_control = buf->control[i].bytes;
    h->msg_controllen = US_UDP_CONTROL_SIZE;
    h->msg_flags = 0;
}

/* A batch of LIBUS_UDP_MAX_NUM slots of LIBUS_UDP_MAX_SIZE bytes each, committed lazily; NULL on failure. */
struct us_udp_packet_buffer_t *us_create_udp_packet_buffer(void) {
    size_t page = page_size();
    size_t header = sizeof(struct us_udp_packet_buffer_t);
    char *mem = malloc(header + page + (size_t) LIBUS_UDP_MAX_NUM * LIBUS_UDP_MAX_SIZE);
    if (!mem) {
        return NULL;
    }
    struct us_udp_packet_buffer_t *buf = (struct us_udp_packet_buffer_t *) mem;
    memset(buf, 0, header); /* the headers only: the payload pages stay untouched until used */
    uintptr_t first = (uintptr_t) (mem + header);
    buf->payloads = (char *) ((first + page - 1) / page * page);
    buf->dirty = LIBUS_UDP_MAX_NUM;
    return buf;
}

/* Releases a buffer no socket uses any more (an addition to the upstream API). */
void us_udp_packet_buffer_free(struct us_udp_packet_buffer_t *buf) {
    free(buf);
}

/* The first byte of slot index's payload; slots are contiguous, LIBUS_UDP_MAX_SIZE bytes apart. */
char *us_udp_packet_buffer_payload(struct us_udp_packet_buffer_t *buf, int index) {
    return buf->payloads + (size_t) index * LIBUS_UDP_MAX_SIZE;
}

/* Bytes of the datagram in slot index (received, or set for sending). */
int us_udp_packet_buffer_payload_length(struct us_udp_packet_buffer_t *buf, int index) {
    return (int) buf->msgs[index].msg_len;
}

/* The peer of slot index as a struct sockaddr_storage (AF_INET or AF_INET6). */
char *us_udp_packet_buffer_peer(struct us_udp_packet_buffer_t *buf, int index) {
    return (char *) &buf->peers[index];
}

/* Walks slot index's received control messages; returns the first of level/type, or NULL. */
static struct cmsghdr *slot_cmsg(struct us_udp_packet_buffer_t *buf, int index, int level, int type) {
    struct msghdr h = {.msg_control = buf->control[index].bytes, .msg_controllen = buf->control_length[index]};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == level && c->cmsg_type == type) {
            return c;
        }
    }
    return NULL;
}

/* The destination address of received datagram index into ip (4 or 16 bytes); returns its length, 0 if unknown. */
int us_udp_packet_buffer_local_ip(struct us_udp_packet_buffer_t *buf, int index, char *ip) {
    /* An IPv4 datagram on a dual-stack socket carries both; the IPv4 form is the one a caller compares with. */
    struct cmsghdr *c = slot_cmsg(buf, index, IPPROTO_IP, IP_PKTINFO);
    if (c) {
        struct in_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof(info));
        memcpy(ip, &info.ipi_addr, 4);
        return 4;
    }
    c = slot_cmsg(buf, index, IPPROTO_IPV6, IPV6_PKTINFO);
    if (c) {
        struct in6_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof(info));
        memcpy(ip, &info.ipi6_addr, 16);
        return 16;
    }
    return 0;
}

/* The ECN bits (0..3) of received datagram index; 0 (not ECN-capable) if unknown. */
int us_udp_packet_buffer_ecn(struct us_udp_packet_buffer_t *buf, int index) {
    struct cmsghdr *c = slot_cmsg(buf, index, IPPROTO_IP, IP_TOS);
    if (c) {
        return *(unsigned char *) CMSG_DATA(c) & 3;
    }
    c = slot_cmsg(buf, index, IPPROTO_IPV6, IPV6_TCLASS);
    if (c) {
        int tclass;
        memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
        return tclass & 3;
    }
    return 0;
}

static socklen_t sockaddr_length(const struct sockaddr_storage *ss) {
    switch (ss->ss_family) {
    case AF_INET:
        return sizeof(struct sockaddr_in);
    case AF_INET6:
        return sizeof(struct sockaddr_in6);
    default:
        return 0;
    }
}

/* Sets slot index of a send batch: length bytes of payload at offset (the datagram is offset + length bytes),
 * addressed to peer_addr (a sockaddr_in or sockaddr_in6; NULL: the socket's connected peer). */
void us_udp_buffer_set_packet_payload(struct us_udp_packet_buffer_t *send_buf, int index, int offset, void *payload,
                                      int length, void *peer_addr) {
    if (index < 0 || index >= LIBUS_UDP_MAX_NUM || offset < 0 || length < 0 ||
        (long) offset + length > LIBUS_UDP_MAX_SIZE) {
        return;
    }
    char *slot = send_buf->payloads + (size_t) index * LIBUS_UDP_MAX_SIZE;
    if (payload && length) {
        memmove(slot + offset, payload, (size_t) length);
    }
    struct msghdr *h = &send_buf->msgs[index].msg_hdr;
    send_buf->iov[index].iov_base = slot;
    send_buf->iov[index].iov_len = (size_t) offset + (size_t) length;
    h->msg_iov = &send_buf->iov[index];
    h->msg_iovlen = 1;
    h->msg_control = NULL;
    h->msg_controllen = 0;
    h->msg_flags = 0;
    send_buf->control_length[index] = 0;
    send_buf->msgs[index].msg_len = (unsigned int) (offset + length);
    if (send_buf->dirty <= index) {
        send_buf->dirty = index + 1;
    }
    if (peer_addr) {
        struct sockaddr_storage *ss = &send_buf->peers[index];
        socklen_t len = sockaddr_length((const struct sockaddr_storage *) peer_addr);
        if ((void *) ss != peer_addr) {
            memmove(ss, peer_addr, len ? len : sizeof(sa_family_t));
        }
        h->msg_name = ss;
        h->msg_namelen = len;
    } else {
        h->msg_name = NULL;
        h->msg_namelen = 0;
    }
}

/* ------------------------------------------------------------------ sockets */

static void enable_option(int fd, int level, int name) {
    int one = 1;
    /* Best effort: without it the datagrams still flow, only local_ip / ecn report nothing. */
    (void) setsockopt(fd, level, name, &one, sizeof(one));
}

/* Whether sends on fd may group datagrams with UDP_SEGMENT: not switched off (LIBUS_NO_UDP_GSO at build time,
 * US_UDP_GSO=0 in the environment) and known to the kernel. The probe matters: a kernel older than UDP_SEGMENT
 * ignores the control message and would send a group as one long datagram. */
static int gso_available(int fd) {
#ifdef LIBUS_NO_UDP_GSO
    (void) fd;
    return 0;
#else
    const char *env = getenv("US_UDP_GSO");
    if (env && strcmp(env, "0") == 0) {
        return 0;
    }
    int size = 0;
    socklen_t len = sizeof(size);
    return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &len) == 0;
#endif
}

/* A non-blocking datagram socket of the family of ai bound to its address, or -1. */
static int open_bound(int family, const struct sockaddr *addr, socklen_t addr_len) {
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) {
        return -1;
    }
    if (family == AF_INET6) {
        int off = 0;
        (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)); /* "::" also takes IPv4 */
        enable_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO);
        enable_option(fd, IPPROTO_IPV6, IPV6_RECVTCLASS);
    }
    /* Also on IPv6 sockets: IPv4 datagrams arriving on a dual-stack socket report through these. */
    enable_option(fd, IPPROTO_IP, IP_PKTINFO);
    enable_option(fd, IPPROTO_IP, IP_RECVTOS);
    if (bind(fd, addr, addr_len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Binds a socket for host (NULL: dual-stack any, IPv4 any where IPv6 is missing) and port; -1 on failure. */
static int open_for_host(const char *host, unsigned short port, int *family) {
    if (!host) {
        struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
        int fd = open_bound(AF_INET6, (struct sockaddr *) &any6, sizeof(any6));
        if (fd >= 0) {
            *family = AF_INET6;
            return fd;
        }
        struct sockaddr_in any4 = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
        fd = open_bound(AF_INET, (struct sockaddr *) &any4, sizeof(any4));
        *family = AF_INET;
        return fd;
    }
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned int) port);
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM};
    struct addrinfo *result;
    int rc = getaddrinfo(host, service, &hints, &result);
    if (rc != 0) {
        if (rc != EAI_SYSTEM) {
            errno = EADDRNOTAVAIL; /* not an address (or name) of this machine */
        }
        return -1;
    }
    int fd = -1;
    errno = EAFNOSUPPORT; /* unless an attempt below says otherwise */
    /* IPv6 addresses first, as the listen sockets do: "localhost" binds ::1 */
    const int families[2] = {AF_INET6, AF_INET};
    for (int f = 0; f < 2 && fd < 0; f++) {
        for (struct addrinfo *a = result; a && fd < 0; a = a->ai_next) {
            if (a->ai_family == families[f]) {
                fd = open_bound(a->ai_family, a->ai_addr, a->ai_addrlen);
                *family = a->ai_family;
            }
        }
    }
    freeaddrinfo(result);
    return fd;
}

static void udp_receive_ready(struct us_udp_socket_t *s) {
    for (int batch = 0; batch < US_UDP_MAX_BATCHES_PER_EVENT && !s->closed; batch++) {
        int n = us_udp_socket_receive(s, s->buf);
        if (n == 0) {
            return; /* EAGAIN: drained */
        }
        if (n < 0) {
            continue; /* a reported (and so cleared) ICMP error: datagrams may still wait behind it */
        }
        if (s->data_cb) {
            s->data_cb(s, s->buf, n);
        }
    }
}

static void udp_dispatch(struct us_poll_t *p, int error, int events) {
    struct us_udp_socket_t *s = (struct us_udp_socket_t *) p;
    if (s->closed) {
        return;
    }
    if (error) {
        /* A pending socket error (an ICMP report on a connected socket) would make epoll report us forever. */
        int err = 0;
        socklen_t len = sizeof(err);
        (void) getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (events & LIBUS_SOCKET_WRITABLE) {
        us_poll_change(p, s->loop, LIBUS_SOCKET_READABLE);
        if (s->drain_cb) {
            s->drain_cb(s);
            if (s->closed) {
                return;
            }
        }
    }
    if (events & LIBUS_SOCKET_READABLE) {
        udp_receive_ready(s);
    }
}

/* A UDP socket on loop bound to host and port; buf (NULL: one of its own) receives; NULL on failure. */
struct us_udp_socket_t *us_create_udp_socket(struct us_loop_t *loop, struct us_udp_packet_buffer_t *buf,
                                             void (*data_cb)(struct us_udp_socket_t *s,
                                                             struct us_udp_packet_buffer_t *buf, int num),
                                             void (*drain_cb)(struct us_udp_socket_t *s), const char *host,
                                             unsigned short port, void *user) {
    int family = AF_UNSPEC;
    int fd = open_for_host(host, port, &family);
    if (fd < 0) {
        return NULL; /* errno tells why */
    }
    struct us_udp_socket_t *s = aligned_alloc(LIBUS_EXT_ALIGNMENT, US_ALIGN_UP(sizeof(struct us_udp_socket_t)));
    int owns_buf = 0;
    if (s && !buf) {
        buf = us_create_udp_packet_buffer();
        owns_buf = 1;
    }
    if (!s || !buf) {
        close(fd);
        free(s);
        errno = ENOMEM;
        return NULL;
    }
    memset(s, 0, sizeof(*s));
    s->p.fallthrough = 0; /* an open UDP socket keeps the loop running */
    us_poll_init(&s->p, fd, POLL_TYPE_UDP);
    s->dispatch = udp_dispatch;
    s->loop = loop;
    s->buf = buf;
    s->owns_buf = owns_buf;
    s->data_cb = data_cb;
    s->drain_cb = drain_cb;
    s->user = user;
    s->family = family;
    s->gso = gso_available(fd);
    s->gso_max_segment = US_UDP_GSO_MAX_BYTES;
    s->local_length = sizeof(s->local);
    if (getsockname(fd, (struct sockaddr *) &s->local, &s->local_length) == 0) {
        s->port = us_udp_socket_bound_port(s);
    }
    errno = 0;
    us_poll_start(&s->p, loop, LIBUS_SOCKET_READABLE);
    if (!s->p.started) {
        int saved = errno ? errno : ENOMEM;
        close(fd);
        if (owns_buf) {
            us_udp_packet_buffer_free(buf);
        }
        free(s);
        errno = saved;
        return NULL;
    }
    return s;
}

/* Closes the socket; its memory stays valid until the end of the loop iteration. */
void us_udp_socket_close(struct us_udp_socket_t *s) {
    if (!s || s->closed) {
        return;
    }
    s->closed = 1;
    us_poll_stop(&s->p, s->loop);
    close(s->p.fd);
    /* Both stay valid until the end of the iteration: data_cb may close and go on reading its batch. */
    if (s->owns_buf) {
        us_internal_loop_free_later(s->loop, s->buf);
    }
    us_internal_loop_free_later(s->loop, s);
}

/* The user pointer given at creation. */
void *us_udp_socket_user(struct us_udp_socket_t *s) {
    return s->user;
}

/* Connects the socket to hostname:port (the default peer for NULL-peer sends, and the only one it hears from);
 * NULL hostname dissolves the association; 0 on success, -1 on failure (errno). */
int us_udp_socket_bind(struct us_udp_socket_t *s, const char *hostname, unsigned int port) {
    if (s->closed || port > 65535) {
        errno = s->closed ? EBADF : EINVAL;
        return -1;
    }
    if (!hostname) {
        struct sockaddr unspec = {.sa_family = AF_UNSPEC};
        if (connect(s->p.fd, &unspec, sizeof(unspec)) != 0) {
            return -1;
        }
        /* Linux forgets a kernel-picked port on disconnect (bind did not lock it): take the address back. */
        if (us_udp_socket_bound_port(s) != s->port) {
            return bind(s->p.fd, (struct sockaddr *) &s->local, s->local_length) == 0 ? 0 : -1;
        }
        return 0;
    }
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    struct addrinfo hints = {.ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM};
    if (s->family == AF_INET) {
        hints.ai_family = AF_INET;
    } else {
        hints.ai_flags |= AI_V4MAPPED | AI_ALL; /* a dual-stack socket reaches IPv4 peers as ::ffff:a.b.c.d */
        hints.ai_family = AF_INET6;
    }
    struct addrinfo *result;
    int gai = getaddrinfo(hostname, service, &hints, &result);
    if (gai != 0) {
        if (gai != EAI_SYSTEM) {
            errno = EADDRNOTAVAIL;
        }
        return -1;
    }
    int rc = -1;
    for (struct addrinfo *a = result; a && rc != 0; a = a->ai_next) {
        rc = connect(s->p.fd, a->ai_addr, a->ai_addrlen);
    }
    freeaddrinfo(result);
    return rc == 0 ? 0 : -1;
}

/* The local port the socket is bound to, or -1. */
int us_udp_socket_bound_port(struct us_udp_socket_t *s) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (s->closed || getsockname(s->p.fd, (struct sockaddr *) &ss, &len) != 0) {
        return -1;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *) &ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
    }
    return -1;
}

/* Receives one batch into buf; returns how many datagrams, 0 when none are waiting, -1 on error (errno). */
int us_udp_socket_receive(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf) {
    if (s->closed || !buf) {
        errno = EBADF;
        return -1;
    }
    for (int i = 0; i < buf->dirty; i++) {
        slot_reset_for_receive(buf, i);
    }
    buf->dirty = 0;
    int n;
    do {
        n = us_sys_recvmmsg(s->p.fd, buf->msgs, LIBUS_UDP_MAX_NUM, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
    buf->dirty = n;
    for (int i = 0; i < n; i++) {
        struct msghdr *h = &buf->msgs[i].msg_hdr;
        buf->control_length[i] = (unsigned int) h->msg_controllen;
        /* The slot now reads as a ready-to-send datagram back to its peer: echoing the batch sends what came. */
        h->msg_control = NULL;
        h->msg_controllen = 0;
        buf->iov[i].iov_len = buf->msgs[i].msg_len;
    }
    return n;
}

/* Rewrites a slot's peer into the socket's family (IPv4 <-> IPv4-mapped IPv6) so one batch can mix them. */
static void peer_to_family(struct msghdr *h, int family) {
    struct sockaddr_storage *ss = h->msg_name;
    if (!ss) {
        return;
    }
    if (family == AF_INET6 && ss->ss_family == AF_INET) {
        struct sockaddr_in v4;
        memcpy(&v4, ss, sizeof(v4));
        struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = v4.sin_port};
        v6.sin6_addr.s6_addr[10] = 0xff;
        v6.sin6_addr.s6_addr[11] = 0xff;
        memcpy(&v6.sin6_addr.s6_addr[12], &v4.sin_addr, 4);
        memcpy(ss, &v6, sizeof(v6));
        h->msg_namelen = sizeof(v6);
    } else if (family == AF_INET && ss->ss_family == AF_INET6) {
        struct sockaddr_in6 v6;
        memcpy(&v6, ss, sizeof(v6));
        if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = v6.sin6_port};
            memcpy(&v4.sin_addr, &v6.sin6_addr.s6_addr[12], 4);
            memcpy(ss, &v4, sizeof(v4));
            h->msg_namelen = sizeof(v4);
        }
    }
}

/* Whether two datagrams of a send batch go to the same peer (both NULL: the connected one). */
static int same_peer(const struct msghdr *a, const struct msghdr *b) {
    if (a->msg_namelen != b->msg_namelen) {
        return 0;
    }
    if (!a->msg_name || !b->msg_name || a->msg_namelen == 0) {
        return a->msg_name == b->msg_name || a->msg_namelen == 0;
    }
    const struct sockaddr_storage *x = a->msg_name, *y = b->msg_name;
    if (x->ss_family != y->ss_family) {
        return 0;
    }
    if (x->ss_family == AF_INET) {
        const struct sockaddr_in *p = (const struct sockaddr_in *) x, *q = (const struct sockaddr_in *) y;
        return p->sin_port == q->sin_port && p->sin_addr.s_addr == q->sin_addr.s_addr;
    }
    if (x->ss_family == AF_INET6) {
        const struct sockaddr_in6 *p = (const struct sockaddr_in6 *) x, *q = (const struct sockaddr_in6 *) y;
        return p->sin6_port == q->sin6_port && p->sin6_scope_id == q->sin6_scope_id &&
               p->sin6_flowinfo == q->sin6_flowinfo && memcmp(&p->sin6_addr, &q->sin6_addr, 16) == 0;
    }
    return 0;
}

/* Whether datagram i may join a group: its payload is its own slot's one buffer, and it has no control data
 * (a group shares one message's, and the UDP_SEGMENT one is ours). */
static int groupable(struct us_udp_packet_buffer_t *buf, int i) {
    const struct msghdr *h = &buf->msgs[i].msg_hdr;
    return h->msg_iov == &buf->iov[i] && h->msg_iovlen == 1 && h->msg_controllen == 0 && buf->iov[i].iov_len > 0;
}

/* Splits datagrams [0, num) into runs a UDP_SEGMENT message can carry: the same peer, the first's length
 * (at most max_segment) for all but the last, which may be shorter, at most US_UDP_GSO_MAX_SEGMENTS datagrams and
 * US_UDP_GSO_MAX_BYTES bytes. Fills buf->gso_first; returns the number of runs (num: nothing groups). */
static int gso_plan(struct us_udp_packet_buffer_t *buf, int num, size_t max_segment) {
    int m = 0;
    for (int i = 0; i < num; m++) {
        buf->gso_first[m] = i;
        int end = i + 1;
        size_t segment = buf->iov[i].iov_len;
        if (segment <= max_segment && groupable(buf, i)) {
            size_t total = segment;
            while (end < num && end - i < US_UDP_GSO_MAX_SEGMENTS && groupable(buf, end) &&
                   same_peer(&buf->msgs[i].msg_hdr, &buf->msgs[end].msg_hdr)) {
                size_t length = buf->iov[end].iov_len;
                if (length > segment || total + length > US_UDP_GSO_MAX_BYTES) {
                    break;
                }
                total += length;
                end++;
                if (length < segment) {
                    break; /* a shorter datagram ends its run */
                }
            }
        }
        i = end;
    }
    buf->gso_first[m] = num;
    return m;
}

/* Makes buf->gso_msgs[m] the message for run m of the plan. */
static void gso_message(struct us_udp_packet_buffer_t *buf, int m) {
    int first = buf->gso_first[m], count = buf->gso_first[m + 1] - first;
    struct msghdr *h = &buf->gso_msgs[m].msg_hdr;
    *h = buf->msgs[first].msg_hdr;
    if (count == 1) {
        return;
    }
    h->msg_iovlen = (size_t) count; /* the run's iovecs are consecutive in buf->iov */
    h->msg_control = buf->gso_control[m].bytes;
    h->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *c = CMSG_FIRSTHDR(h);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t segment = (uint16_t) buf->iov[first].iov_len;
    memcpy(CMSG_DATA(c), &segment, sizeof(segment));
}

/* sendmmsg of n messages, retried on EINTR: how many went, or -1 (errno) when the first did not. */
static int send_messages(int fd, struct mmsghdr *msgs, int n) {
    int sent;
    do {
        sent = sendmmsg(fd, msgs, (unsigned int) n, MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    return sent;
}

/* Whether error is the kernel refusing a UDP_SEGMENT message of segment-byte datagrams rather than the datagrams;
 * if so, stops grouping on s (or, for a large segment, grouping segments that large). */
static int gso_refused(struct us_udp_socket_t *s, int error, size_t segment) {
    switch (error) {
    case EINVAL:
    case EMSGSIZE:
        /* a segment larger than the path's MTU allows (GSO never fragments), or no GSO on this socket at all */
        if (segment > US_UDP_GSO_SAFE_SEGMENT) {
            s->gso_max_segment = segment - 1 > US_UDP_GSO_SAFE_SEGMENT ? segment - 1 : US_UDP_GSO_SAFE_SEGMENT;
        } else {
            s->gso = 0;
        }
        return 1;
    case EIO:         /* no checksum offload on the route's device, or IPsec */
    case ENOPROTOOPT: /* a kernel (or an emulator) without UDP_SEGMENT */
    case EOPNOTSUPP:
        s->gso = 0;
        return 1;
    default:
        return 0;
    }
}

/* Sends datagrams [0, num) of buf grouped into UDP_SEGMENT messages, all in one sendmmsg when they all go;
 * returns how many datagrams went, or -1 (errno) when the first did not. */
static int send_grouped(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    int runs = gso_plan(buf, num, s->gso_max_segment);
    if (runs == num) {
        return send_messages(s->p.fd, buf->msgs, num);
    }
    for (int m = 0; m < runs; m++) {
        gso_message(buf, m);
    }
    const int *first = buf->gso_first;
    int done = 0; /* messages sent */
    while (done < runs) {
        int n = send_messages(s->p.fd, buf->gso_msgs + done, runs - done);
        if (n > 0) {
            done += n;
            if (done < runs && first[done + 1] - first[done] == 1) {
                return first[done]; /* a plain datagram stopped: as without grouping, the retry tells why */
            }
            continue; /* a group stopped: sendmmsg kept its error, ask again to learn whether GSO was refused */
        }
        int error = errno;
        size_t segment = buf->iov[first[done]].iov_len;
        int gso = s->gso;
        size_t gso_max_segment = s->gso_max_segment;
        if (first[done + 1] - first[done] > 1 && gso_refused(s, error, segment)) {
            /* again one message per datagram, from the refused group on */
            int rest = send_messages(s->p.fd, buf->msgs + first[done], num - first[done]);
            if (rest >= 0) {
                return first[done] + rest;
            }
            if (errno == error) {
                /* the datagrams themselves fail the same way (a bad peer, say): grouping was not the cause */
                s->gso = gso;
                s->gso_max_segment = gso_max_segment;
            }
            error = errno;
        }
        if (done > 0) {
            return first[done]; /* the retry meets the error (or the full buffer) again */
        }
        errno = error;
        return -1;
    }
    return num;
}

/* Sends the first num datagrams of buf without blocking; returns how many went out (drain_cb follows when it
 * was fewer), or -1 when the first one failed for another reason than a full buffer (errno). */
int us_udp_socket_send(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num) {
    if (s->closed || !buf) {
        errno = EBADF;
        return -1;
    }
    if (num <= 0) {
        return 0;
    }
    if (num > LIBUS_UDP_MAX_NUM) {
        num = LIBUS_UDP_MAX_NUM;
    }
    if (buf->dirty < num) {
        buf->dirty = num;
    }
    for (int i = 0; i < num; i++) {
        peer_to_family(&buf->msgs[i].msg_hdr, s->family);
    }
    int sent = s->gso ? send_grouped(s, buf, num) : send_messages(s->p.fd, buf->msgs, num);
    int blocked = sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS);
    if (sent < 0 && !blocked) {
        return -1;
    }
    if (blocked) {
        sent = 0;
    }
    if (sent < num) {
        /* Writable again (or the next datagram's error ready to be reported): drain_cb then says retry. */
        us_poll_change(&s->p, s->loop, LIBUS_SOCKET_READABLE | LIBUS_SOCKET_WRITABLE);
    }
    return sent;
}
