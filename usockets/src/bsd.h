/*
 * bsd.h: thin wrappers over the socket system calls the TCP core needs. Every descriptor they
 * create is non-blocking and close-on-exec. Failures return -1 with errno set.
 */
#ifndef US_BSD_H
#define US_BSD_H

#include <sys/socket.h>
#include <sys/types.h>

/* A listening TCP socket on host (NULL: every interface, dual-stack) and port; options LIBUS_LISTEN_*. */
int bsd_create_listen_socket(const char *host, int port, int options);
/* A listening unix-domain socket on path; -1 (ENAMETOOLONG) if path does not fit in sun_path. */
int bsd_create_listen_socket_unix(const char *path, int options);
/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; the peer address into addr. */
int bsd_accept_socket(int fd, struct sockaddr_storage *addr, socklen_t *addr_len);
/* Starts a non-blocking connect to addr, bound first to source_host if given; -1 with errno on immediate failure. */
int bsd_create_connect_socket(const struct sockaddr *addr, socklen_t addr_len, const char *source_host);
/* Starts a non-blocking unix-domain connect; -1 with errno on immediate failure (also a path too long). */
int bsd_create_connect_socket_unix(const char *path);
/* The raw peer address of addr into ip (4 bytes for IPv4 and IPv4-mapped IPv6, 16 for IPv6); 0 otherwise. */
int bsd_addr_ip(const struct sockaddr_storage *addr, char *ip);
/* TCP_NODELAY on (ignored for non-TCP sockets). */
void bsd_socket_nodelay(int fd);
/* O_NONBLOCK on. */
void bsd_socket_nonblock(int fd);
/* Clears TCP_CORK, pushing what MSG_MORE held back. */
void bsd_socket_flush(int fd);
/* SO_LINGER with 0 s: the following close sends RST. */
void bsd_socket_linger_zero(int fd);
/* The pending error of a connecting socket (SO_ERROR), or errno if it cannot be read. */
int bsd_socket_error(int fd);
/* Local / remote port, -1 on failure or for non-IP sockets. */
int bsd_local_port(int fd);
int bsd_remote_port(int fd);
/* recv / send / sendmsg of two buffers, never raising SIGPIPE. */
ssize_t bsd_recv(int fd, void *buf, size_t len);
ssize_t bsd_send(int fd, const void *buf, size_t len, int msg_more);
ssize_t bsd_write2(int fd, const void *header, size_t header_len, const void *payload, size_t payload_len);

#endif
