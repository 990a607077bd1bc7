/*
 * bsd.c: socket system-call wrappers (see bsd.h). No state, no callbacks.
 */
#include "bsd.h"

#include "libusockets.h"
#include "sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG 512

static void set_int_opt(int fd, int level, int name, int value) {
    setsockopt(fd, level, name, &value, sizeof(value));
}

static int listen_on(const struct sockaddr *addr, socklen_t len, int family, int options, int dual_stack) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (!(options & LIBUS_LISTEN_EXCLUSIVE_PORT)) {
        set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    }
    if (family == AF_INET6) {
        set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? 0 : 1);
    }
    if (bind(fd, addr, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int bsd_create_listen_socket(const char *host, int port, int options) {
    if (port < 0 || port > 65535) {
        errno = EINVAL;
        return -1;
    }
    if (!host) {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t) port),
                                  .sin6_addr = IN6ADDR_ANY_INIT};
        int fd = listen_on((struct sockaddr *) &a6, sizeof(a6), AF_INET6, options, 1);
        if (fd >= 0 || errno == EADDRINUSE) {
            return fd;
        }
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                                 .sin_addr.s_addr = htonl(INADDR_ANY)};
        return listen_on((struct sockaddr *) &a4, sizeof(a4), AF_INET, options, 0);
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *result = NULL;
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", port);
    if (getaddrinfo(host, port_text, &hints, &result) != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int fd = -1;
    /* The first address that binds, in the resolver's (RFC 6724 / gai.conf) order: for "localhost" that is the
     * address other programs on the machine will try first too. */
    for (struct addrinfo *a = result; a && fd < 0; a = a->ai_next) {
        fd = listen_on(a->ai_addr, a->ai_addrlen, a->ai_family, options, 0);
    }
    int saved = errno;
    freeaddrinfo(result);
    errno = saved;
    return fd;
}

static int fill_unix_addr(struct sockaddr_un *addr, const char *path) {
    size_t len = strlen(path);
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof(addr->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(addr->sun_path, path, len + 1);
    return 0;
}

int bsd_create_listen_socket_unix(const char *path, int options) {
    (void) options;
    struct sockaddr_un addr;
    if (!path || fill_unix_addr(&addr, path) != 0) {
        return -1;
    }
    /* A stale socket file from an earlier run would make bind fail; remove only a socket, never a file. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int bsd_accept_socket(int fd, struct sockaddr_storage *addr, socklen_t *addr_len) {
    *addr_len = sizeof(*addr);
    return accept4(fd, (struct sockaddr *) addr, addr_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static int bind_source(int fd, int family, const char *source_host) {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST};
    struct addrinfo *result = NULL;
    if (getaddrinfo(source_host, NULL, &hints, &result) != 0) {
        /* an IPv4 source for an IPv6 destination: try it as IPv4-mapped */
        if (family == AF_INET6) {
            struct in_addr v4;
            if (inet_pton(AF_INET, source_host, &v4) == 1) {
                struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
                a6.sin6_addr.s6_addr[10] = 0xff;
                a6.sin6_addr.s6_addr[11] = 0xff;
                memcpy(&a6.sin6_addr.s6_addr[12], &v4, 4);
                return bind(fd, (struct sockaddr *) &a6, sizeof(a6));
            }
        }
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int rc = bind(fd, result->ai_addr, result->ai_addrlen);
    int saved = errno;
    freeaddrinfo(result);
    errno = saved;
    return rc;
}

int bsd_create_connect_socket(const struct sockaddr *addr, socklen_t addr_len, const char *source_host) {
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (source_host && *source_host && bind_source(fd, addr->sa_family, source_host) != 0) {
        goto fail;
    }
    if (connect(fd, addr, addr_len) != 0 && errno != EINPROGRESS) {
        goto fail;
    }
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int bsd_create_connect_socket_unix(const char *path) {
    struct sockaddr_un addr;
    if (!path || fill_unix_addr(&addr, path) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int bsd_addr_ip(const struct sockaddr_storage *addr, char *ip) {
    if (addr->ss_family == AF_INET) {
        memcpy(ip, &((const struct sockaddr_in *) addr)->sin_addr, 4);
        return 4;
    }
    if (addr->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) addr)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            memcpy(ip, &a->s6_addr[12], 4);
            return 4;
        }
        memcpy(ip, a, 16);
        return 16;
    }
    return 0;
}

void bsd_socket_nodelay(int fd) {
    set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

void bsd_socket_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags >= 0 && !(flags & O_NONBLOCK)) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

void bsd_socket_flush(int fd) {
    set_int_opt(fd, IPPROTO_TCP, TCP_CORK, 0);
}

void bsd_socket_linger_zero(int fd) {
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

int bsd_socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        return errno;
    }
    return err;
}

static int port_of(const struct sockaddr_storage *addr) {
    if (addr->ss_family == AF_INET) {
        return ntohs(((const struct sockaddr_in *) addr)->sin_port);
    }
    if (addr->ss_family == AF_INET6) {
        return ntohs(((const struct sockaddr_in6 *) addr)->sin6_port);
    }
    return -1;
}

int bsd_local_port(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *) &addr, &len) != 0) {
        return -1;
    }
    return port_of(&addr);
}

int bsd_remote_port(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    if (getpeername(fd, (struct sockaddr *) &addr, &len) != 0) {
        return -1;
    }
    return port_of(&addr);
}

ssize_t bsd_recv(int fd, void *buf, size_t len) {
    ssize_t n;
    do {
        n = us_sys_recv(fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n;
}

ssize_t bsd_send(int fd, const void *buf, size_t len, int msg_more) {
    ssize_t n;
    do {
        n = us_sys_send(fd, buf, len, MSG_NOSIGNAL | (msg_more ? MSG_MORE : 0));
    } while (n < 0 && errno == EINTR);
    return n;
}

ssize_t bsd_write2(int fd, const void *header, size_t header_len, const void *payload, size_t payload_len) {
    struct iovec iov[2] = {{.iov_base = (void *) header, .iov_len = header_len},
                           {.iov_base = (void *) payload, .iov_len = payload_len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t n;
    do {
        n = us_sys_sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}
