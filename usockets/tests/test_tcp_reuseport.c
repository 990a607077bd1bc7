/* test_tcp_reuseport.c: LIBUS_LISTEN_DEFAULT shares a port (SO_REUSEPORT: one loop per core, here two loops on
 * two threads sharing the accepts); LIBUS_LISTEN_EXCLUSIVE_PORT does not. */
#include "libusockets.h"
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define CLIENTS 40

struct server {
    struct us_loop_t *loop;
    struct us_socket_context_t *ctx;
    struct us_listen_socket_t *ls;
    pthread_t thread;
};

static struct server servers[2];
static int port;
static atomic_int stop;
static int echoed;

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    int *accepted = us_socket_context_ext(0, us_socket_context(0, s)); /* this loop's count */
    (*accepted)++;
    return s;
}
static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    us_socket_write(0, s, data, length, 0);
    return s;
}
static struct us_socket_t *srv_end(struct us_socket_t *s) {
    return us_socket_close(0, s, 0, NULL);
}
static void srv_wakeup(struct us_loop_t *loop) {
    struct server *sv = *(struct server **) us_loop_ext(loop);
    if (atomic_load(&stop)) {
        us_socket_context_close(0, sv->ctx);
    }
}

static void *serve(void *arg) {
    struct server *sv = arg;
    us_loop_run(sv->loop);
    return NULL;
}

static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    us_socket_write(0, s, "x", 1, 0);
    return s;
}
static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    (void) data;
    (void) length;
    if (++echoed == CLIENTS) {
        atomic_store(&stop, 1);
        us_wakeup_loop(servers[0].loop);
        us_wakeup_loop(servers[1].loop);
    }
    return us_socket_close(0, s, 0, NULL);
}

int main(void) {
    test_guard(20);
    struct us_socket_context_options_t none = {0};

    /* exclusive first: nobody else may bind the port */
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_t *ctx = us_create_socket_context(0, loop, 0, none);
    struct us_listen_socket_t *ex = us_socket_context_listen(0, ctx, "127.0.0.1", 0, LIBUS_LISTEN_EXCLUSIVE_PORT, 0);
    CHECK(ex);
    int ex_port = us_socket_local_port(0, (struct us_socket_t *) ex);
    CHECK(us_socket_context_listen(0, ctx, "127.0.0.1", ex_port, LIBUS_LISTEN_DEFAULT, 0) == NULL);
    CHECK(us_socket_context_listen(0, ctx, "127.0.0.1", ex_port, LIBUS_LISTEN_EXCLUSIVE_PORT, 0) == NULL);
    us_listen_socket_close(0, ex);
    /* shared first: an exclusive listener is refused, another shared one is not */
    struct us_listen_socket_t *sh = us_socket_context_listen(0, ctx, "127.0.0.1", 0, LIBUS_LISTEN_DEFAULT, 0);
    CHECK(sh);
    int sh_port = us_socket_local_port(0, (struct us_socket_t *) sh);
    CHECK(us_socket_context_listen(0, ctx, "127.0.0.1", sh_port, LIBUS_LISTEN_EXCLUSIVE_PORT, 0) == NULL);
    struct us_listen_socket_t *sh2 = us_socket_context_listen(0, ctx, "127.0.0.1", sh_port, LIBUS_LISTEN_DEFAULT, 0);
    CHECK(sh2);
    us_listen_socket_close(0, sh);
    us_listen_socket_close(0, sh2);

    /* two loops on two threads share one port */
    for (int i = 0; i < 2; i++) {
        struct server *sv = &servers[i];
        sv->loop = us_create_loop(NULL, srv_wakeup, NULL, NULL, sizeof(struct server *));
        *(struct server **) us_loop_ext(sv->loop) = sv;
        sv->ctx = us_create_socket_context(0, sv->loop, sizeof(int), none);
        *(int *) us_socket_context_ext(0, sv->ctx) = 0;
        us_socket_context_on_open(0, sv->ctx, srv_open);
        us_socket_context_on_data(0, sv->ctx, srv_data);
        us_socket_context_on_end(0, sv->ctx, srv_end);
        sv->ls = us_socket_context_listen(0, sv->ctx, "127.0.0.1", port, LIBUS_LISTEN_DEFAULT, 0);
        CHECK(sv->ls);
        if (i == 0) {
            port = us_socket_local_port(0, (struct us_socket_t *) sv->ls);
        }
    }
    CHECK_EQ(us_socket_local_port(0, (struct us_socket_t *) servers[1].ls), port);
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_create(&servers[i].thread, NULL, serve, &servers[i]) == 0);
    }

    us_socket_context_on_open(0, ctx, cli_open);
    us_socket_context_on_data(0, ctx, cli_data);
    for (int i = 0; i < CLIENTS; i++) {
        CHECK(us_socket_context_connect(0, ctx, "127.0.0.1", port, NULL, 0, 0));
    }
    us_loop_run(loop);
    CHECK_EQ(echoed, CLIENTS);
    int total = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(servers[i].thread, NULL);
        int n = *(int *) us_socket_context_ext(0, servers[i].ctx);
        CHECK(n > 0); /* the kernel spread the connections over both listeners */
        total += n;
        us_socket_context_free(0, servers[i].ctx);
        us_loop_free(servers[i].loop);
    }
    CHECK_EQ(total, CLIENTS);
    us_socket_context_free(0, ctx);
    us_loop_free(loop);
    TEST_PASS("test_tcp_reuseport");
    return 0;
}
