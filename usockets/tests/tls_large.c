/*
 * tls_large: 64 MiB from a TLS server to a TLS client, written with the raw contract: each write
 * takes what goes now, the writer keeps its offset and resumes on on_writable. The kernel buffers
 * fill (the peer runs on the same thread), so partial writes happen; every byte arrives, in order.
 */
#include "tls_util.h"

#define TOTAL (64u * 1024 * 1024)
#define CHUNK (1 << 20)

static struct tls_files files;
static unsigned char *pattern;
static size_t sent, received;
static int partial_writes, writable_calls, closes;

static struct us_socket_t *pump(struct us_socket_t *s) {
    while (sent < TOTAL) {
        int want = TOTAL - sent < CHUNK ? (int)(TOTAL - sent) : CHUNK;
        int n = us_socket_write(1, s, (const char *)pattern + sent, want, 0);
        CHECK(n >= 0 && n <= want);
        sent += (size_t)n;
        if (n < want) {
            partial_writes++;
            return s; /* on_writable resumes */
        }
    }
    us_socket_shutdown(1, s);
    return s;
}

static struct us_socket_t *server_on_data(struct us_socket_t *s, char *data, int length) {
    CHECK(length == 2 && memcmp(data, "go", 2) == 0);
    return pump(s);
}

static struct us_socket_t *server_on_writable(struct us_socket_t *s) {
    writable_calls++;
    return sent < TOTAL ? pump(s) : s;
}

static struct us_socket_t *on_close(struct us_socket_t *s, int code, void *reason) {
    (void)reason;
    CHECK_EQ(code, 0);
    if (++closes == 2 && tls_listener) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
    return s;
}

static struct us_socket_t *client_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    CHECK_EQ(us_socket_write(1, s, "go", 2, 0), 0);
    return s;
}

static struct us_socket_t *client_on_writable(struct us_socket_t *s) {
    if (received == 0) {
        CHECK_EQ(us_socket_write(1, s, "go", 2, 0), 2);
    }
    return s;
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    CHECK(received + (size_t)length <= TOTAL);
    CHECK(memcmp(pattern + received, data, (size_t)length) == 0);
    received += (size_t)length;
    return s;
}

static struct us_socket_t *client_on_end(struct us_socket_t *s) {
    CHECK_EQ(received, TOTAL);
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *server_on_end(struct us_socket_t *s) {
    return us_socket_close(1, s, 0, NULL);
}

int main(void) {
    test_guard(60);
    tls_make_files(&files);
    pattern = malloc(TOTAL);
    CHECK(pattern != NULL);
    unsigned int x = 2463534242u;
    for (size_t i = 0; i < TOTAL; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pattern[i] = (unsigned char)x;
    }
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop != NULL);
    struct us_socket_context_options_t so = tls_server_options(&files);
    so.ssl_prefer_low_memory_usage = 1;
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, so);
    CHECK(server != NULL);
    us_socket_context_on_data(1, server, server_on_data);
    us_socket_context_on_writable(1, server, server_on_writable);
    us_socket_context_on_end(1, server, server_on_end);
    us_socket_context_on_close(1, server, on_close);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    struct us_socket_context_t *client = us_create_socket_context(1, loop, 0, co);
    CHECK(client != NULL);
    us_socket_context_on_open(1, client, client_on_open);
    us_socket_context_on_writable(1, client, client_on_writable);
    us_socket_context_on_data(1, client, client_on_data);
    us_socket_context_on_end(1, client, client_on_end);
    us_socket_context_on_close(1, client, on_close);

    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, 0);
    CHECK(tls_listener != NULL);
    CHECK(us_socket_context_connect(1, client, "127.0.0.1", tls_port(tls_listener), NULL, 0, 0) != NULL);
    double start = test_now_ms();
    us_loop_run(loop);
    double ms = test_now_ms() - start;
    fprintf(stderr, "64 MiB in %.0f ms (%.0f MiB/s), %d partial writes, %d on_writable\n", ms, 64000.0 / ms,
            partial_writes, writable_calls);
    CHECK_EQ(received, TOTAL);
    CHECK_EQ(closes, 2);
    CHECK(partial_writes > 0);
    CHECK(writable_calls > 0);

    us_socket_context_free(1, client);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    free(pattern);
    tls_remove_files(&files);
    TEST_PASS("tls_large");
    return 0;
}
