/* test_tcp_unix.c: unix-domain listen and connect, echo, address and port queries on such sockets,
 * and paths that do not fit in sun_path or do not exist. */
#include "libusockets.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static int srv_opened, cli_opened, echoed, srv_closed;
static struct us_listen_socket_t *ls;

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) ip;
    CHECK_EQ(is_client, 0);
    CHECK_EQ(ip_length, 0);
    CHECK_EQ(us_socket_local_port(0, s), -1);
    CHECK_EQ(us_socket_remote_port(0, s), -1);
    srv_opened++;
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    us_socket_write(0, s, data, length, 0);
    return s;
}
static struct us_socket_t *srv_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}
static struct us_socket_t *srv_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++srv_closed == 3) {
        us_listen_socket_close(0, ls);
    }
    return s;
}
static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) ip;
    CHECK_EQ(is_client, 1);
    CHECK_EQ(ip_length, 0);
    cli_opened++;
    us_socket_write(0, s, "unix!", 5, 0);
    return s;
}
static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    CHECK_EQ(length, 5);
    CHECK(memcmp(data, "unix!", 5) == 0);
    echoed++;
    return us_socket_close(0, s, 0, NULL);
}

int main(void) {
    test_guard(20);
    char dir[] = "/tmp/us_unix_XXXXXX";
    CHECK(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/sock", dir);

    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    struct us_socket_context_t *cli = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    us_socket_context_on_data(0, srv, srv_data);
    us_socket_context_on_end(0, srv, srv_end);
    us_socket_context_on_close(0, srv, srv_close);
    us_socket_context_on_open(0, cli, cli_open);
    us_socket_context_on_data(0, cli, cli_data);

    /* a path longer than sun_path is refused, not truncated or overflowed */
    char longpath[sizeof(((struct sockaddr_un *) 0)->sun_path) + 20];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = 0;
    CHECK(us_socket_context_listen_unix(0, srv, longpath, 0, 0) == NULL);
    CHECK(us_socket_context_connect_unix(0, cli, longpath, 0, 0) == NULL);
    /* exactly sizeof(sun_path) characters leave no room for the NUL: refused too */
    longpath[sizeof(((struct sockaddr_un *) 0)->sun_path)] = 0;
    CHECK(us_socket_context_listen_unix(0, srv, longpath, 0, 0) == NULL);
    /* nothing listens there: fails at once */
    CHECK(us_socket_context_connect_unix(0, cli, path, 0, 0) == NULL);

    ls = us_socket_context_listen_unix(0, srv, path, 0, 0);
    CHECK(ls);
    for (int i = 0; i < 3; i++) {
        CHECK(us_socket_context_connect_unix(0, cli, path, 0, 0));
    }
    us_loop_run(loop);
    CHECK_EQ(srv_opened, 3);
    CHECK_EQ(cli_opened, 3);
    CHECK_EQ(echoed, 3);
    CHECK_EQ(srv_closed, 3);

    /* a stale socket file from an earlier listener is replaced */
    ls = us_socket_context_listen_unix(0, srv, path, 0, 0);
    CHECK(ls);
    us_listen_socket_close(0, ls);

    unlink(path);
    rmdir(dir);
    us_socket_context_free(0, srv);
    us_socket_context_free(0, cli);
    us_loop_free(loop);
    TEST_PASS("test_tcp_unix");
    return 0;
}
