/* test_tcp_emfile.c: when accept runs out of descriptors (EMFILE) the server keeps running, does not spin,
 * and accepts the waiting clients once descriptors are free again. */
#include "libusockets.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define CLIENTS 5
#define MAX_FILLERS 256

static int fillers[MAX_FILLERS];
static int nfillers;
static int accepted;
static long long iterations_while_full, full_since_iteration;
static struct us_listen_socket_t *ls;
static struct us_loop_t *loop;

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    CHECK_EQ(nfillers, 0); /* only accepted once descriptors were freed */
    if (++accepted == CLIENTS) {
        us_listen_socket_close(0, ls);
    }
    return us_socket_close(0, s, 0, NULL);
}

static void free_descriptors(struct us_timer_t *t) {
    iterations_while_full = us_loop_iteration_number(loop) - full_since_iteration;
    for (int i = 0; i < nfillers; i++) {
        close(fillers[i]);
    }
    nfillers = 0;
    us_timer_close(t);
}

int main(void) {
    test_guard(20);
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = 64;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);

    loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    struct us_socket_context_options_t none = {0};
    struct us_socket_context_t *srv = us_create_socket_context(0, loop, 0, none);
    us_socket_context_on_open(0, srv, srv_open);
    ls = us_socket_context_listen(0, srv, "127.0.0.1", 0, 0, 0);
    CHECK(ls);
    int port = us_socket_local_port(0, (struct us_socket_t *) ls);
    struct us_timer_t *release = us_create_timer(loop, 0, 0);

    /* clients outside the loop: their handshakes complete in the backlog */
    int clients[CLIENTS];
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(clients[i] >= 0);
        CHECK(connect(clients[i], (struct sockaddr *) &addr, sizeof(addr)) == 0);
    }
    /* fill the descriptor table */
    for (;;) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            CHECK_EQ(errno, EMFILE);
            break;
        }
        CHECK(nfillers < MAX_FILLERS);
        fillers[nfillers++] = fd;
    }
    full_since_iteration = us_loop_iteration_number(loop);
    us_timer_set(release, free_descriptors, 500, 0);
    us_loop_run(loop);

    CHECK_EQ(accepted, CLIENTS);
    /* paused, not spinning on a level-triggered readable listen socket (a retry every 100 ms) */
    CHECK(iterations_while_full < 50);
    for (int i = 0; i < CLIENTS; i++) {
        close(clients[i]);
    }
    us_socket_context_free(0, srv);
    us_loop_free(loop);
    TEST_PASS("test_tcp_emfile");
    return 0;
}
