/*
 * libusockets.h: the public C API of usockets4j's event-loop core.
 *
 * Same names, signatures, constants and observable behaviour as the uSockets public API
 * (see USOCKETS-API.md in the project's shared documents), so C code written for uSockets
 * builds against this header unchanged. Everything is single-threaded: every call except
 * us_wakeup_loop must be made on the thread that runs (or set up) the loop.
 */
#ifndef LIBUSOCKETS_H
#define LIBUSOCKETS_H

#include <stddef.h>

#ifndef LIBUS_RECV_BUFFER_LENGTH
#define LIBUS_RECV_BUFFER_LENGTH 524288
#endif
#define LIBUS_RECV_BUFFER_PADDING 32
/* The size of a receive buffer given to us_loop_use_receive_buffers (the caller's; still the caller's after
 * us_loop_free, which frees only the core's own). */
#define LIBUS_RECV_BUFFER_SIZE (LIBUS_RECV_BUFFER_LENGTH + 2 * LIBUS_RECV_BUFFER_PADDING)
#define LIBUS_TIMEOUT_GRANULARITY 4
#define LIBUS_EXT_ALIGNMENT 16

#define LIBUS_LISTEN_DEFAULT 0
#define LIBUS_LISTEN_EXCLUSIVE_PORT 1

#if !defined(LIBUS_USE_EPOLL) && !defined(LIBUS_USE_KQUEUE)
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define LIBUS_USE_KQUEUE
#else
#define LIBUS_USE_EPOLL
#endif
#endif

#if !defined(LIBUS_NO_SSL) && !defined(LIBUS_USE_OPENSSL)
#define LIBUS_USE_OPENSSL
#endif

#define LIBUS_SOCKET_DESCRIPTOR int

#ifdef LIBUS_USE_EPOLL
#include <sys/epoll.h>
#define LIBUS_SOCKET_READABLE EPOLLIN
#define LIBUS_SOCKET_WRITABLE EPOLLOUT
#else
#define LIBUS_SOCKET_READABLE 1
#define LIBUS_SOCKET_WRITABLE 2
#endif

/* Poll kinds for us_poll_init. A binding watches a descriptor of its own with POLL_TYPE_CALLBACK:
 * the poll's ext must then start with a us_poll_callback_t, called when the descriptor is ready. */
enum {
    POLL_TYPE_SOCKET = 0,
    POLL_TYPE_SOCKET_SHUT_DOWN = 1,
    POLL_TYPE_SEMI_SOCKET = 2,
    POLL_TYPE_CALLBACK = 3,
    POLL_TYPE_UDP = 4
};

#ifdef __cplusplus
extern "C" {
#endif

struct us_loop_t;
struct us_timer_t;
struct us_poll_t;
struct us_socket_t;
struct us_listen_socket_t;
struct us_socket_context_t;
struct us_udp_socket_t;
struct us_udp_packet_buffer_t;

/* The function at the start of a callback poll's ext: error is non-zero on EPOLLERR/EPOLLHUP. */
typedef void (*us_poll_callback_t)(struct us_poll_t *p, int error, int events);

/* ---------------------------------------------------------------- loop */

/* A new loop with ext_size bytes of extension, or NULL. hint must be NULL (no foreign loops). */
struct us_loop_t *us_create_loop(void *hint, void (*wakeup_cb)(struct us_loop_t *loop),
                                 void (*pre_cb)(struct us_loop_t *loop), void (*post_cb)(struct us_loop_t *loop),
                                 unsigned int ext_size);
/* Frees the loop and what it still owns internally; it must not be running. */
void us_loop_free(struct us_loop_t *loop);
/* The loop's extension area (LIBUS_EXT_ALIGNMENT aligned). */
void *us_loop_ext(struct us_loop_t *loop);
/* Drives the loop until no non-fallthrough poll or timer is left. */
void us_loop_run(struct us_loop_t *loop);
/* Thread-safe: makes the loop call its wakeup_cb soon; wakeups before it runs coalesce into one call. */
void us_wakeup_loop(struct us_loop_t *loop);
/* Starts the loop's own timers (the timeout sweep) without running it. */
void us_loop_integrate(struct us_loop_t *loop);
/* Iterations completed since the loop was created. */
long long us_loop_iteration_number(struct us_loop_t *loop);

/* ---------------------------------------------------------------- polls */

/* A poll with ext_size bytes of extension; fallthrough polls do not keep the loop alive. */
struct us_poll_t *us_create_poll(struct us_loop_t *loop, int fallthrough, unsigned int ext_size);
/* Frees a poll that is not started (or that us_poll_stop stopped). */
void us_poll_free(struct us_poll_t *p, struct us_loop_t *loop);
/* Binds the poll to fd with a POLL_TYPE_* kind. */
void us_poll_init(struct us_poll_t *p, LIBUS_SOCKET_DESCRIPTOR fd, int poll_type);
/* Starts watching for events (LIBUS_SOCKET_READABLE | LIBUS_SOCKET_WRITABLE). */
void us_poll_start(struct us_poll_t *p, struct us_loop_t *loop, int events);
/* Changes the watched events of a started poll. */
void us_poll_change(struct us_poll_t *p, struct us_loop_t *loop, int events);
/* Stops watching; the fd stays open and belongs to the caller. */
void us_poll_stop(struct us_poll_t *p, struct us_loop_t *loop);
/* The events being watched. */
int us_poll_events(struct us_poll_t *p);
/* The poll's extension area. */
void *us_poll_ext(struct us_poll_t *p);
/* The descriptor given to us_poll_init. */
LIBUS_SOCKET_DESCRIPTOR us_poll_fd(struct us_poll_t *p);
/* Grows or shrinks the ext area; returns the (possibly moved) poll, still registered. */
struct us_poll_t *us_poll_resize(struct us_poll_t *p, struct us_loop_t *loop, unsigned int ext_size);

/* ---------------------------------------------------------------- timers */

/* A timer with ext_size bytes of extension, or NULL; a fallthrough timer does not keep the loop alive. */
struct us_timer_t *us_create_timer(struct us_loop_t *loop, int fallthrough, unsigned int ext_size);
/* The timer's extension area. */
void *us_timer_ext(struct us_timer_t *timer);
/* Calls cb after ms, then every repeat_ms (0: once); ms and repeat_ms both 0 disarms. A disarmed timer, or a
 * one-shot that fired and was not set again, no longer keeps us_loop_run going (it stays valid until closed). */
void us_timer_set(struct us_timer_t *timer, void (*cb)(struct us_timer_t *t), int ms, int repeat_ms);
/* Disarms and releases the timer (memory freed at the end of the iteration); safe inside its callback. */
void us_timer_close(struct us_timer_t *timer);
/* The loop the timer belongs to. */
struct us_loop_t *us_timer_loop(struct us_timer_t *t);

/* ---------------------------------------------------------------- socket contexts */

struct us_socket_context_options_t {
    const char *key_file_name;
    const char *cert_file_name;
    const char *passphrase;
    const char *dh_params_file_name;
    const char *ca_file_name;
    const char *ssl_ciphers;
    int ssl_prefer_low_memory_usage;
};

/* A context (TLS when ssl is 1) with ext_size bytes of extension; NULL when its TLS material cannot be loaded. */
struct us_socket_context_t *us_create_socket_context(int ssl, struct us_loop_t *loop, int ext_size,
                                                     struct us_socket_context_options_t options);
/* Frees a context whose sockets are all closed (its memory goes at the end of the iteration). */
void us_socket_context_free(int ssl, struct us_socket_context_t *context);
/* Closes every socket and listen socket of the context; the context stays valid. */
void us_socket_context_close(int ssl, struct us_socket_context_t *context);
/* The context's extension area. */
void *us_socket_context_ext(int ssl, struct us_socket_context_t *context);
/* The loop the context belongs to. */
struct us_loop_t *us_socket_context_loop(int ssl, struct us_socket_context_t *context);
/* A coarse 15-bit clock advancing once per timeout sweep. */
unsigned short us_socket_context_timestamp(int ssl, struct us_socket_context_t *context);

void us_socket_context_on_pre_open(int ssl, struct us_socket_context_t *context,
                                   LIBUS_SOCKET_DESCRIPTOR (*on_pre_open)(struct us_socket_context_t *context,
                                                                          LIBUS_SOCKET_DESCRIPTOR fd, char *ip,
                                                                          int ip_length));
void us_socket_context_on_open(int ssl, struct us_socket_context_t *context,
                               struct us_socket_t *(*on_open)(struct us_socket_t *s, int is_client, char *ip,
                                                              int ip_length));
void us_socket_context_on_close(int ssl, struct us_socket_context_t *context,
                                struct us_socket_t *(*on_close)(struct us_socket_t *s, int code, void *reason));
void us_socket_context_on_data(int ssl, struct us_socket_context_t *context,
                               struct us_socket_t *(*on_data)(struct us_socket_t *s, char *data, int length));
void us_socket_context_on_writable(int ssl, struct us_socket_context_t *context,
                                   struct us_socket_t *(*on_writable)(struct us_socket_t *s));
void us_socket_context_on_timeout(int ssl, struct us_socket_context_t *context,
                                  struct us_socket_t *(*on_timeout)(struct us_socket_t *s));
void us_socket_context_on_long_timeout(int ssl, struct us_socket_context_t *context,
                                       struct us_socket_t *(*on_long_timeout)(struct us_socket_t *s));
/* on_connect_error's code: a positive errno when connecting failed (ECONNREFUSED, ...; with several resolved
 * addresses, the last one's), or getaddrinfo's EAI_* code (negative on glibc) when the name did not resolve.
 * The socket is closed right after the callback, without on_close. */
void us_socket_context_on_connect_error(int ssl, struct us_socket_context_t *context,
                                        struct us_socket_t *(*on_connect_error)(struct us_socket_t *s, int code));
/* on_end: the peer sent FIN. Reading stops; the socket stays open for writing (half-open) until the callback or
 * later code closes it or shuts it down (then it closes by itself). Without on_end the socket closes. If we had
 * already shut down, FIN closes the socket instead (on_close, no on_end). */
void us_socket_context_on_end(int ssl, struct us_socket_context_t *context,
                              struct us_socket_t *(*on_end)(struct us_socket_t *s));
void us_socket_context_on_server_name(int ssl, struct us_socket_context_t *context,
                                      void (*cb)(struct us_socket_context_t *context, const char *hostname));

/* Listens on host (NULL: every interface, IPv6 and IPv4) and port (0: the kernel picks); NULL on failure.
 * LIBUS_LISTEN_DEFAULT shares the port (SO_REUSEPORT), LIBUS_LISTEN_EXCLUSIVE_PORT does not. When accept runs out
 * of descriptors (EMFILE/ENFILE) the listen socket pauses and retries after 100 ms; waiting clients stay queued. */
struct us_listen_socket_t *us_socket_context_listen(int ssl, struct us_socket_context_t *context, const char *host,
                                                    int port, int options, int socket_ext_size);
/* Listens on a unix-domain path; NULL on failure (also when the path does not fit in sun_path). */
struct us_listen_socket_t *us_socket_context_listen_unix(int ssl, struct us_socket_context_t *context,
                                                         const char *path, int options, int socket_ext_size);
/* Stops listening and frees the listen socket at the end of the iteration. */
void us_listen_socket_close(int ssl, struct us_listen_socket_t *ls);

/* Starts a non-blocking connect ending in on_open (is_client 1) or on_connect_error; NULL if it fails at once.
 * Numeric hosts ("127.0.0.1", "::1", "[::1]") connect at once; names resolve on a helper thread (the loop never
 * blocks) and every resolved address is tried in turn. source_host (numeric, or NULL) is bound first. */
struct us_socket_t *us_socket_context_connect(int ssl, struct us_socket_context_t *context, const char *host, int port,
                                              const char *source_host, int options, int socket_ext_size);
/* Connects to a unix-domain path; same rules as us_socket_context_connect. */
struct us_socket_t *us_socket_context_connect_unix(int ssl, struct us_socket_context_t *context,
                                                   const char *server_path, int options, int socket_ext_size);
/* Takes over a descriptor accepted elsewhere; on_open follows with is_client 0. */
struct us_socket_t *us_adopt_accepted_socket(int ssl, struct us_socket_context_t *context,
                                             LIBUS_SOCKET_DESCRIPTOR client_fd, unsigned int socket_ext_size,
                                             char *addr_ip, int addr_ip_length);
/* Moves a live socket to another context with a new ext size; the old pointer is invalid afterwards. */
struct us_socket_t *us_socket_context_adopt_socket(int ssl, struct us_socket_context_t *context,
                                                   struct us_socket_t *s, int ext_size);
/* A context with its own callbacks sharing the parent's TLS setup. */
struct us_socket_context_t *us_create_child_socket_context(int ssl, struct us_socket_context_t *context,
                                                           int context_ext_size);

/* The SSL_CTX * of a TLS context, or NULL. */
void *us_socket_context_get_native_handle(int ssl, struct us_socket_context_t *context);

/* ---------------------------------------------------------------- sockets */

/* Writes what the kernel takes now and returns that count; on_writable follows when a partial write drains. */
int us_socket_write(int ssl, struct us_socket_t *s, const char *data, int length, int msg_more);
/* Header and payload in one system call; same return rule as us_socket_write. */
int us_socket_write2(int ssl, struct us_socket_t *s, const char *header, int header_length, const char *payload,
                     int payload_length);
/* Withdraws a msg_more hint and sends what is held. */
void us_socket_flush(int ssl, struct us_socket_t *s);
/* Idle timeout in seconds (swept every LIBUS_TIMEOUT_GRANULARITY s); 0 clears. */
void us_socket_timeout(int ssl, struct us_socket_t *s, unsigned int seconds);
/* A second, minute-grained idle timeout; 0 clears. */
void us_socket_long_timeout(int ssl, struct us_socket_t *s, unsigned int minutes);
/* The socket's extension area. */
void *us_socket_ext(int ssl, struct us_socket_t *s);
/* The context the socket belongs to. */
struct us_socket_context_t *us_socket_context(int ssl, struct us_socket_t *s);
/* Half-close: FIN (TLS: close_notify first). */
void us_socket_shutdown(int ssl, struct us_socket_t *s);
/* Stops reading; the next iteration sees the socket close. */
void us_socket_shutdown_read(int ssl, struct us_socket_t *s);
/* Non-zero once us_socket_shutdown was called. */
int us_socket_is_shut_down(int ssl, struct us_socket_t *s);
/* Non-zero once the socket is closed (valid until the end of the iteration). */
int us_socket_is_closed(int ssl, struct us_socket_t *s);
/* Zero while a connect is still pending. */
int us_socket_is_established(int ssl, struct us_socket_t *s);
/* Closes now and calls on_close once; a non-zero code closes with RST. */
struct us_socket_t *us_socket_close(int ssl, struct us_socket_t *s, int code, void *reason);
/* Cancels a pending connect without on_close. */
struct us_socket_t *us_socket_close_connecting(int ssl, struct us_socket_t *s);
/* Local and remote ports, -1 on failure. */
int us_socket_local_port(int ssl, struct us_socket_t *s);
int us_socket_remote_port(int ssl, struct us_socket_t *s);
/* The peer's raw address (4 or 16 bytes) into buf; *length is its capacity in, its size out (0 on failure). */
void us_socket_remote_address(int ssl, struct us_socket_t *s, char *buf, int *length);
/* The SSL * of a TLS socket, or the descriptor cast to a pointer. */
void *us_socket_get_native_handle(int ssl, struct us_socket_t *s);
/* io_uring only upstream: always NULL here. */
char *us_socket_send_buffer(int ssl, struct us_socket_t *s);

/* ---------------------------------------------------------------- TLS server names (SNI) */

/* Serves hostname_pattern (may start with "*.") with its own certificate; user is kept for the pattern. */
void us_socket_context_add_server_name(int ssl, struct us_socket_context_t *context, const char *hostname_pattern,
                                       struct us_socket_context_options_t options, void *user);
/* Forgets a pattern added with us_socket_context_add_server_name. */
void us_socket_context_remove_server_name(int ssl, struct us_socket_context_t *context,
                                          const char *hostname_pattern);
/* The user pointer of the server name the socket's handshake matched, or NULL. */
void *us_socket_server_name_userdata(int ssl, struct us_socket_t *s);
/* The user pointer kept for an exact pattern, or NULL. */
void *us_socket_context_find_server_name_userdata(int ssl, struct us_socket_context_t *context,
                                                  const char *hostname_pattern);

/* ---------------------------------------------------------------- UDP */
/*
 * Batched UDP (recvmmsg / sendmmsg). A packet buffer holds LIBUS_UDP_MAX_NUM datagram slots; slot i's payload
 * starts at us_udp_packet_buffer_payload(buf, 0) + i * LIBUS_UDP_MAX_SIZE (the slots are contiguous, so a binding
 * may wrap the whole payload area once) and holds up to LIBUS_UDP_MAX_SIZE bytes, more than any datagram (65507
 * bytes over IPv4, 65527 over IPv6). The upstream sizes are kept: 1024 slots is recvmmsg's own ceiling, and the
 * 64 MiB of payload area is reserved, not committed: its pages are touched only by the datagrams that land in them,
 * so a buffer's resident size follows the traffic (one batch rarely exceeds the socket's receive buffer).
 * After a receive, every filled slot is also ready to send back as is: us_udp_socket_send(s, buf, num) on a
 * received batch echoes each datagram to its peer.
 */
#define LIBUS_UDP_MAX_SIZE (64 * 1024)
#define LIBUS_UDP_MAX_NUM 1024
/* A batch of LIBUS_UDP_MAX_NUM slots of LIBUS_UDP_MAX_SIZE bytes each, committed lazily; NULL on failure. */
struct us_udp_packet_buffer_t *us_create_udp_packet_buffer(void);
/* Frees a buffer no socket uses any more (an addition to the upstream API, which never frees them). */
void us_udp_packet_buffer_free(struct us_udp_packet_buffer_t *buf);
/* A non-blocking UDP socket bound to host (NULL: every interface, IPv6 and IPv4) and port (0: the kernel picks),
 * receiving into buf (NULL: a buffer of its own) and calling data_cb with each batch; it keeps the loop running
 * until closed. NULL on failure (errno). */
struct us_udp_socket_t *us_create_udp_socket(struct us_loop_t *loop, struct us_udp_packet_buffer_t *buf,
                                             void (*data_cb)(struct us_udp_socket_t *s,
                                                             struct us_udp_packet_buffer_t *buf, int num),
                                             void (*drain_cb)(struct us_udp_socket_t *s), const char *host,
                                             unsigned short port, void *user);
/* Closes the socket and frees it at the end of the iteration (an addition to the upstream API); safe in callbacks. */
void us_udp_socket_close(struct us_udp_socket_t *s);
/* The user pointer given at creation. */
void *us_udp_socket_user(struct us_udp_socket_t *s);
/* Connects the socket to hostname and port: sends with a NULL peer go there, and only it is heard from;
 * NULL hostname dissolves the association. 0 on success, -1 on failure (errno). */
int us_udp_socket_bind(struct us_udp_socket_t *s, const char *hostname, unsigned int port);
/* The local port the socket is bound to, or -1. */
int us_udp_socket_bound_port(struct us_udp_socket_t *s);
/* Receives one batch into buf; returns how many datagrams, 0 when none are waiting, -1 on error (errno). */
int us_udp_socket_receive(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf);
/* Sends the first num datagrams of buf without blocking; returns how many went out, drain_cb following when it
 * was fewer (retry the rest from there), or -1 (errno) when the first one failed for a reason other than a full
 * buffer. Where the kernel has UDP_SEGMENT, runs of datagrams to one peer of one length (the last may be shorter)
 * go as one segmentation-offload message each, still one datagram each on the wire and still counted one by one
 * in the result; a kernel refusing it gets the datagrams one by one. LIBUS_NO_UDP_GSO at build time, or
 * US_UDP_GSO=0 in the environment when the socket is created, sends one message per datagram. */
int us_udp_socket_send(struct us_udp_socket_t *s, struct us_udp_packet_buffer_t *buf, int num);
/* The payload of slot index (LIBUS_UDP_MAX_SIZE bytes of room). */
char *us_udp_packet_buffer_payload(struct us_udp_packet_buffer_t *buf, int index);
/* The length of the datagram in slot index (received, or set for sending). */
int us_udp_packet_buffer_payload_length(struct us_udp_packet_buffer_t *buf, int index);
/* The peer of slot index: a struct sockaddr_storage holding a sockaddr_in or sockaddr_in6. */
char *us_udp_packet_buffer_peer(struct us_udp_packet_buffer_t *buf, int index);
/* The destination address of received datagram index into ip (4 or 16 bytes, room for 16); its length, 0 if
 * unknown. An IPv4 datagram on a dual-stack socket gives the 4-byte form. */
int us_udp_packet_buffer_local_ip(struct us_udp_packet_buffer_t *buf, int index, char *ip);
/* The ECN bits (0 to 3) of received datagram index; 0 when unknown. */
int us_udp_packet_buffer_ecn(struct us_udp_packet_buffer_t *buf, int index);
/* Sets slot index of a send batch: copies length bytes of payload to offset in the slot (the datagram is then its
 * first offset + length bytes), addressed to peer_addr (a sockaddr_in or sockaddr_in6, told apart by its family;
 * NULL: the connected peer). An IPv4 peer on a dual-stack socket is sent to as IPv4-mapped IPv6. */
void us_udp_buffer_set_packet_payload(struct us_udp_packet_buffer_t *send_buf, int index, int offset, void *payload,
                                      int length, void *peer_addr);

/* ---------------------------------------------------------------- extensions (usockets4j, not upstream) */

/* Stops reading a socket (its writability is watched as before); data and FIN wait in the kernel. */
void us_socket_pause(int ssl, struct us_socket_t *s);
/* Reads a paused socket again. */
void us_socket_resume(int ssl, struct us_socket_t *s);
/*
 * The loop reads into plain, TLS decrypts into tls (LIBUS_RECV_BUFFER_SIZE each, the caller's; NULL: keeps that one).
 * Also callable while the loop runs, inside on_data too: the next read (plain) or decryption (TLS), also a later one
 * for the same on_data event, lands in the new buffer, and data already handed to on_data stays where it is, so a
 * binding may keep it past the callback by moving the buffer on (the core reads each buffer fresh per read).
 */
void us_loop_use_receive_buffers(struct us_loop_t *loop, char *plain, char *tls);
/* Non-zero while something keeps us_loop_run going (a started socket, listener, UDP socket or non-fallthrough poll, an
 * armed non-fallthrough timer). Asked in the post callback, it says whether another iteration follows, so a binding
 * can do there what it would do in the next pre callback. */
int us_loop_alive(struct us_loop_t *loop);
/* One iteration of us_loop_run (pre callback, wait, dispatch, post callback) when the loop is alive; returns
 * us_loop_alive afterwards. A binding that drives the loop itself calls it in a loop of its own and does its
 * per-iteration work between calls, where calling into its language is cheaper than from a callback. */
int us_loop_run_once(struct us_loop_t *loop);

/* ---------------------------------------------------------------- TLS extensions (usockets4j, not upstream) */
/*
 * Available when built with TLS (not under LIBUS_NO_SSL). The socket functions take a socket of a TLS context only.
 * A socket closed because of a TLS failure (handshake refused, garbage, bad record) gets on_close with code
 * LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR and reason pointing at a NUL-terminated OpenSSL reason, valid during the call.
 * A TLS write refused before the handshake finished returns 0, and on_writable follows once it finishes; a write
 * returns the plaintext bytes taken (at most one 64 KiB batch of ciphertext waits inside per socket). A clean close
 * sends close_notify; us_socket_pause inside on_data also holds back the on_end of a close_notify until resume.
 * Options: TLS 1.2 minimum. ca_file_name makes a server require and verify client certificates, and a client verify
 * the server's chain and the connect host (name or IP literal; names are also sent as SNI). In ssl_ciphers, names
 * starting with "TLS_" set the TLS 1.3 suites, the others the TLS 1.2 list. A client may change SNI or the name it
 * verifies in on_open through us_socket_get_native_handle (the ClientHello goes out after on_open returns).
 */
#ifndef LIBUS_NO_SSL
#define LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR 1
/* Copies why this thread's last TLS context creation (or add_server_name) failed into buf (NUL-terminated, cut to
 * length); returns the reason's full length, 0 when the last one succeeded. E.g. "cert.pem: No such file or
 * directory", "key.pem: bad decrypt" (wrong passphrase), "key.pem: key values mismatch". */
int us_ssl_last_error_string(char *buf, int length);
/* The negotiated protocol version ("TLSv1.3", "TLSv1.2"), or NULL before the handshake finished. */
const char *us_socket_ssl_protocol(struct us_socket_t *s);
/* The negotiated cipher suite's name ("TLS_AES_256_GCM_SHA384"), or NULL before the handshake finished. */
const char *us_socket_ssl_cipher(struct us_socket_t *s);
/* The SNI host name (received by a server, sent by a client), or NULL. */
const char *us_socket_ssl_server_name(struct us_socket_t *s);
/* The peer certificate's subject (RFC 2253, "CN=client,O=test") into buf (NUL-terminated, cut to length); returns
 * its full length, or -1 when the peer sent no certificate. */
int us_socket_ssl_peer_subject(struct us_socket_t *s, char *buf, int length);
#endif

#ifdef __cplusplus
}
#endif

#endif
