/*
 * tls_low_memory: ssl_prefer_low_memory_usage makes idle TLS sockets give their record buffers back.
 * 100 connections (200 TLS sockets in this process) each exchange a message and go idle; the heap
 * they hold is measured with and without the option. (Skipped under AddressSanitizer, whose
 * allocator the measurement does not see.)
 */
#include "tls_util.h"

#include <malloc.h>

#define CONNECTIONS 100

static struct tls_files files;
static struct tls_probe probes[CONNECTIONS];
static int idle_count, measured;
static size_t baseline, idle_heap;
static struct us_socket_context_t *client_ctx;

/* Clients keep their connection open after the echo, so both ends sit idle at the measurement. */
static struct us_socket_t *idle_on_data(struct us_socket_t *s, char *data, int length) {
    struct tls_probe *p = tls_probe_of(s);
    memcpy(p->echoed + p->echoed_length, data, (size_t)length);
    p->echoed_length += length;
    if (p->echoed_length == 4) {
        idle_count++;
    }
    return s;
}

static void post(struct us_loop_t *loop) {
    (void)loop;
    if (!measured && idle_count == CONNECTIONS) {
        measured = 1;
        idle_heap = mallinfo2().uordblks - baseline;
        us_socket_context_close(1, client_ctx); /* the server side sees FIN and closes too */
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
}

static size_t measure(int low_memory) {
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, post, 0);
    CHECK(loop != NULL);
    struct us_socket_context_options_t so = tls_server_options(&files);
    so.ssl_prefer_low_memory_usage = low_memory;
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, so);
    CHECK(server != NULL);
    tls_echo_server(server);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    co.ssl_prefer_low_memory_usage = low_memory;
    client_ctx = tls_probe_context(loop, co);
    CHECK(client_ctx != NULL);
    us_socket_context_on_data(1, client_ctx, idle_on_data);

    memset(probes, 0, sizeof(probes));
    idle_count = measured = 0;
    tls_probes_pending = 0;
    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, sizeof(struct tls_outbox));
    CHECK(tls_listener != NULL);
    baseline = mallinfo2().uordblks;
    for (int i = 0; i < CONNECTIONS; i++) {
        struct us_socket_t *s = us_socket_context_connect(1, client_ctx, "127.0.0.1", tls_port(tls_listener), NULL,
                                                          0, sizeof(struct tls_probe_ext));
        CHECK(s != NULL);
        ((struct tls_probe_ext *)us_socket_ext(1, s))->probe = &probes[i];
        tls_probes_pending++;
    }
    us_loop_run(loop);
    CHECK(measured);
    us_socket_context_free(1, client_ctx);
    us_socket_context_free(1, server);
    us_loop_free(loop);
    return idle_heap;
}

int main(void) {
    test_guard(60);
#if defined(__SANITIZE_ADDRESS__)
    printf("skip tls_low_memory: heap measurement under AddressSanitizer\n");
    return 0;
#endif
    tls_make_files(&files);
    measure(0); /* warm up OpenSSL's one-time allocations */
    size_t plain = measure(0);
    size_t low = measure(1);
    fprintf(stderr, "idle heap for %d connections: %zu KiB by default, %zu KiB with low memory (%zu vs %zu per socket)\n",
            CONNECTIONS, plain / 1024, low / 1024, plain / (2 * CONNECTIONS), low / (2 * CONNECTIONS));
    /* the record buffers (tens of KiB per socket) are given back */
    CHECK(low + (size_t)CONNECTIONS * 2 * 16 * 1024 < plain);
    tls_remove_files(&files);
    TEST_PASS("tls_low_memory");
    return 0;
}
