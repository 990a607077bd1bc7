/* test_tcp_adopt.c: us_adopt_accepted_socket (a descriptor accepted by the test's own callback poll, and one end
 * of a socketpair) and us_socket_context_adopt_socket into a child context with a bigger ext, from inside
 * on_data, also for another socket that may be ready later in the same iteration. */
#include "libusockets.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define N 4
#define BIG_EXT 8192

struct small_ext {
    int magic;
    int index;
};

static struct us_socket_context_t *a_ctx, *b_ctx, *cli;
static struct us_socket_t *servers[N];
static int accepted, adopted_data, a_data, b_closes, cli_closes, pair_data;
static struct us_poll_t *raw_poll;
static int raw_fd;

struct raw_ext {
    us_poll_callback_t cb;
    struct us_loop_t *loop;
};

/* ---- context A: accepted by hand, upgraded to B on first data */
static struct us_socket_t *a_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    CHECK_EQ(is_client, 0);
    CHECK_EQ(ip_length, 4);
    CHECK(memcmp(ip, "\x7f\x00\x00\x01", 4) == 0);
    struct small_ext *e = us_socket_ext(0, s);
    e->magic = 0x1234;
    e->index = accepted;
    servers[accepted++] = s;
    us_socket_timeout(0, s, 100);
    return s;
}
static struct us_socket_t *a_data_cb(struct us_socket_t *s, char *data, int length) {
    (void) data;
    (void) length;
    a_data++;
    /* upgrade every server socket, this one included, into B with a bigger ext */
    struct us_socket_t *self = s;
    for (int i = 0; i < N; i++) {
        if (servers[i] && us_socket_context(0, servers[i]) == a_ctx) {
            struct us_socket_t *moved = us_socket_context_adopt_socket(0, b_ctx, servers[i], BIG_EXT);
            CHECK(moved);
            CHECK(us_socket_context(0, moved) == b_ctx);
            struct small_ext *e = us_socket_ext(0, moved);
            CHECK_EQ(e->magic, 0x1234); /* the old ext's bytes moved along */
            memset((char *) us_socket_ext(0, moved) + sizeof(*e), 0x77, BIG_EXT - sizeof(*e));
            if (servers[i] == s) {
                self = moved;
            }
            servers[i] = moved;
        }
    }
    /* the data that triggered the upgrade was consumed by A; B echoes from now on */
    us_socket_write(0, self, "upgraded", 8, 0);
    return self;
}
static struct us_socket_t *b_data_cb(struct us_socket_t *s, char *data, int length) {
    unsigned char *ext = us_socket_ext(0, s);
    CHECK_EQ(ext[BIG_EXT - 1], 0x77);
    if (length == 5 && memcmp(data, "hello", 5) == 0) {
        /* a socket upgraded by another one's on_data before its own first data arrived */
        us_socket_write(0, s, "upgraded", 8, 0);
        return s;
    }
    adopted_data++;
    us_socket_write(0, s, data, length, 0);
    return s;
}
static struct us_socket_t *b_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *b_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    b_closes++;
    return s;
}

/* ---- clients */
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    us_socket_write(0, s, "hello", 5, 0);
    return s;
}
static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    int *state = us_socket_ext(0, s);
    if (*state == 0 && length >= 8 && memcmp(data, "upgraded", 8) == 0) {
        *state = 1;
        us_socket_write(0, s, "again", 5, 0);
        return s;
    }
    if (*state == 1 && length == 5 && memcmp(data, "again", 5) == 0) {
        return us_socket_close(0, s, 0, NULL);
    }
    return s;
}
static struct us_socket_t *cli_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++cli_closes == N) {
        us_poll_stop(raw_poll, us_socket_context_loop(0, a_ctx));
    }
    return s;
}

/* ---- the test's own accept loop on a callback poll */
static void raw_accept(struct us_poll_t *p, int error, int events) {
    (void) error;
    (void) events;
    (void) p;
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int fd = accept(raw_fd, (struct sockaddr *) &addr, &len);
    if (fd >= 0) {
        us_adopt_accepted_socket(0, a_ctx, fd, sizeof(struct small_ext), (char *) &addr.sin_addr, 4);
    }
}

/* ---- socketpair adoption */
static struct us_socket_t *pair_data_cb(struct us_socket_t *s, char *data, int length) {
    CHECK_EQ(length, 4);
    CHECK(memcmp(data, "pair", 4) == 0);
    pair_data++;
    return us_socket_close(0, s, 0, NULL);
}

int main(void) {
    test_guard(20);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    a_ctx = us_create_socket_context(0, loop, 0, none);
    b_ctx = us_create_child_socket_context(0, a_ctx, 16);
    cli = us_create_socket_context(0, loop, 0, none);
    CHECK(b_ctx && us_socket_context_loop(0, b_ctx) == loop);
    us_socket_context_on_open(0, a_ctx, a_open);
    us_socket_context_on_data(0, a_ctx, a_data_cb);
    us_socket_context_on_data(0, b_ctx, b_data_cb);
    us_socket_context_on_end(0, b_ctx, b_end);
    us_socket_context_on_close(0, b_ctx, b_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);
    us_socket_context_on_close(0, cli, cli_close);

    raw_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(raw_fd, (struct sockaddr *) &addr, sizeof(addr)) == 0);
    CHECK(listen(raw_fd, 16) == 0);
    socklen_t alen = sizeof(addr);
    getsockname(raw_fd, (struct sockaddr *) &addr, &alen);
    raw_poll = us_create_poll(loop, 0, sizeof(struct raw_ext));
    us_poll_init(raw_poll, raw_fd, POLL_TYPE_CALLBACK);
    ((struct raw_ext *) us_poll_ext(raw_poll))->cb = raw_accept;
    us_poll_start(raw_poll, loop, LIBUS_SOCKET_READABLE);

    for (int i = 0; i < N; i++) {
        struct us_socket_t *c = us_socket_context_connect(0, cli, "127.0.0.1", ntohs(addr.sin_port), NULL, 0, sizeof(int));
        CHECK(c);
        *(int *) us_socket_ext(0, c) = 0;
    }
    us_loop_run(loop);
    CHECK_EQ(accepted, N);
    CHECK(a_data >= 1);
    CHECK_EQ(adopted_data, N);
    CHECK_EQ(b_closes, N);
    us_poll_free(raw_poll, loop);
    close(raw_fd);

    /* a socketpair end adopted as an accepted socket */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct us_socket_context_t *pair = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_data(0, pair, pair_data_cb);
    struct us_socket_t *ps = us_adopt_accepted_socket(0, pair, sv[0], 0, NULL, 0);
    CHECK(ps);
    CHECK(write(sv[1], "pair", 4) == 4);
    us_loop_run(loop);
    CHECK_EQ(pair_data, 1);
    close(sv[1]);

    us_socket_context_free(0, pair);
    us_socket_context_free(0, b_ctx);
    us_socket_context_free(0, a_ctx);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_adopt");
    return 0;
}
