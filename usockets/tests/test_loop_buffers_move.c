/* test_loop_buffers_move.c: us_loop_use_receive_buffers called while the loop runs, inside on_data. The server
 * keeps every delivery where the core put it (no copy) and moves the receive buffer on past it after each on_data, as
 * a binding that batches events does; when the next position would leave the area (and at the end) it checks that all
 * kept deliveries are still intact and in order, then rewinds to the area's start. Each delivery must land exactly
 * where the buffer was last moved to. The server socket starts paused and resumes once the client's writes fall short,
 * so reads come in whole LIBUS_RECV_BUFFER_LENGTH chunks. tls_loop_buffers_move.c includes this file for decrypted
 * data: there one read then often decrypts to more than a buffer, handed over in two deliveries, and the TLS layer
 * must re-read the buffer between them. */
#ifndef MV_SSL
#define MV_SSL 0
#include "libusockets.h"
#include "test_util.h"
#endif

#include <stdint.h>
#include <string.h>

#define MV_RESERVE (2 * LIBUS_RECV_BUFFER_LENGTH)
#define MV_GRID 64
#define MV_PAYLOAD (5 * LIBUS_RECV_BUFFER_LENGTH + 54321)
#define MV_KEPT 4096

static char mv_area[MV_RESERVE + LIBUS_RECV_BUFFER_SIZE];
static char *mv_payload;
static int mv_pos;      /* offset in mv_area of the buffer the core uses now */
static int mv_verified; /* payload bytes checked so far */
static int mv_sent, mv_received, mv_closed, mv_moves, mv_rewinds;
static int mv_calls_now, mv_multi; /* on_data calls this iteration; iterations with more than one */
static struct us_socket_t *mv_server_socket;
static struct {
    char *data;
    int length;
} mv_kept[MV_KEPT];
static int mv_kept_count;
static struct us_loop_t *mv_loop;
static struct us_listen_socket_t *mv_listener;

static void mv_use(int pos) {
    mv_pos = pos;
    us_loop_use_receive_buffers(mv_loop, MV_SSL ? NULL : mv_area + pos, MV_SSL ? mv_area + pos : NULL);
}

/* Checks every kept delivery against the payload (they must not have been overwritten), then rewinds. */
static void mv_settle(void) {
    mv_rewinds++;
    for (int i = 0; i < mv_kept_count; i++) {
        CHECK(mv_verified + mv_kept[i].length <= MV_PAYLOAD);
        CHECK(memcmp(mv_kept[i].data, mv_payload + mv_verified, (size_t) mv_kept[i].length) == 0);
        mv_verified += mv_kept[i].length;
    }
    mv_kept_count = 0;
    mv_use(0);
}

static void mv_post(struct us_loop_t *loop) {
    (void) loop;
    mv_multi += mv_calls_now > 1;
    mv_calls_now = 0;
}

static struct us_socket_t *srv_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    if (mv_sent == 0) { /* the client has not written yet: wait for its first burst */
        mv_server_socket = s;
        us_socket_pause(MV_SSL, s);
    }
    return s;
}

static struct us_socket_t *srv_data(struct us_socket_t *s, char *data, int length) {
    mv_calls_now++;
    CHECK(data == mv_area + mv_pos + LIBUS_RECV_BUFFER_PADDING); /* where the buffer was moved to last */
    CHECK(length > 0 && length <= LIBUS_RECV_BUFFER_LENGTH);
    CHECK(mv_kept_count < MV_KEPT);
    mv_kept[mv_kept_count].data = data;
    mv_kept[mv_kept_count].length = length;
    mv_kept_count++;
    mv_received += length;
    int next = (mv_pos + LIBUS_RECV_BUFFER_PADDING + length + MV_GRID - 1) / MV_GRID * MV_GRID;
    if (next > MV_RESERVE || mv_kept_count == MV_KEPT) {
        mv_settle();
    } else {
        mv_use(next);
        mv_moves++;
    }
    if (mv_received == MV_PAYLOAD) {
        mv_settle();
        return us_socket_close(MV_SSL, s, 0, NULL);
    }
    return s;
}

static struct us_socket_t *on_close(struct us_socket_t *s, int code, void *reason) {
    (void) code;
    (void) reason;
    if (++mv_closed == 2) {
        us_listen_socket_close(MV_SSL, mv_listener);
    }
    return s;
}

static struct us_socket_t *cli_writable(struct us_socket_t *s) {
    while (mv_sent < MV_PAYLOAD) {
        int n = us_socket_write(MV_SSL, s, mv_payload + mv_sent, MV_PAYLOAD - mv_sent, 0);
        if (n <= 0) {
            break;
        }
        mv_sent += n;
    }
    if (mv_server_socket) { /* the kernel holds what this burst wrote: read it in whole buffers */
        us_socket_resume(MV_SSL, mv_server_socket);
        mv_server_socket = NULL;
    }
    return s;
}

static struct us_socket_t *cli_open(struct us_socket_t *s, int is_client, char *ip, int ip_length) {
    (void) is_client;
    (void) ip;
    (void) ip_length;
    return cli_writable(s);
}

static struct us_socket_t *cli_data(struct us_socket_t *s, char *data, int length) {
    (void) data;
    (void) length;
    return s;
}

static struct us_socket_t *cli_end(struct us_socket_t *s) {
    return us_socket_close(MV_SSL, s, 0, NULL);
}

static void mv_run(struct us_socket_context_options_t server_options, struct us_socket_context_options_t client_options,
                   const char *name) {
    test_guard(60);
    mv_payload = malloc(MV_PAYLOAD);
    CHECK(mv_payload);
    for (int i = 0; i < MV_PAYLOAD; i++) {
        mv_payload[i] = (char) (i * 151 + (i >> 11));
    }
    mv_loop = us_create_loop(NULL, NULL, NULL, mv_post, 0);
    CHECK(mv_loop);
    mv_use(0);
    struct us_socket_context_t *srv = us_create_socket_context(MV_SSL, mv_loop, 0, server_options);
    struct us_socket_context_t *cli = us_create_socket_context(MV_SSL, mv_loop, 0, client_options);
    CHECK(srv && cli);
    us_socket_context_on_open(MV_SSL, srv, srv_open);
    us_socket_context_on_data(MV_SSL, srv, srv_data);
    us_socket_context_on_close(MV_SSL, srv, on_close);
    us_socket_context_on_open(MV_SSL, cli, cli_open);
    us_socket_context_on_writable(MV_SSL, cli, cli_writable);
    us_socket_context_on_data(MV_SSL, cli, cli_data);
    us_socket_context_on_end(MV_SSL, cli, cli_end);
    us_socket_context_on_close(MV_SSL, cli, on_close);
    mv_listener = us_socket_context_listen(MV_SSL, srv, "127.0.0.1", 0, LIBUS_LISTEN_DEFAULT, 0);
    CHECK(mv_listener);
    int port = us_socket_local_port(MV_SSL, (struct us_socket_t *) mv_listener);
    CHECK(us_socket_context_connect(MV_SSL, cli, "127.0.0.1", port, NULL, 0, 0));

    us_loop_run(mv_loop);
    CHECK_EQ(mv_verified, MV_PAYLOAD);
    CHECK_EQ(mv_closed, 2);
    CHECK(mv_moves > 0 && mv_rewinds > 1); /* deliveries landed at moved buffers, and the area filled up */
    printf("# %d deliveries moved the buffer, %d rewinds, %d iterations with more than one delivery\n", mv_moves,
           mv_rewinds, mv_multi);

    us_socket_context_free(MV_SSL, srv);
    us_socket_context_free(MV_SSL, cli);
    us_loop_free(mv_loop);
    free(mv_payload);
    TEST_PASS(name);
}

#if !MV_SSL
int main(void) {
    struct us_socket_context_options_t none = {0};
    mv_run(none, none, "test_loop_buffers_move");
    return 0;
}
#endif
