/*
 * tls_openssl_peer: interoperability with an independent TLS implementation, the openssl command
 * line tool (skipped when it is not installed). A usockets server echoes to `openssl s_client`,
 * which verifies it by CA and host name, sends a line and closes with close_notify (on_end); a
 * usockets client verifies `openssl s_server -www` and reads its status page to the end.
 */
#include "tls_util.h"

#include <fcntl.h>
#include <sys/wait.h>

static struct tls_files files;
static char got[256];
static int got_length, ends, clean_closes;

static void append(const char *data, int length) {
    int n = length < (int)sizeof(got) - 1 - got_length ? length : (int)sizeof(got) - 1 - got_length;
    memcpy(got + got_length, data, (size_t)n);
    got_length += n;
    got[got_length] = 0;
}

/* ---------------------------------------------------------------- our server, s_client */

static struct us_socket_t *server_on_data(struct us_socket_t *s, char *data, int length) {
    append(data, length);
    us_socket_write(1, s, data, length, 0);
    return s;
}

static struct us_socket_t *on_end(struct us_socket_t *s) {
    ends++;
    return us_socket_close(1, s, 0, NULL);
}

static struct us_socket_t *on_close(struct us_socket_t *s, int code, void *reason) {
    if (code) {
        fprintf(stderr, "closed with %d: %s\n", code, code == LIBUS_SOCKET_CLOSE_CODE_SSL_ERROR ? (char *)reason : "");
    } else {
        clean_closes++;
    }
    if (tls_listener) {
        us_listen_socket_close(1, tls_listener);
        tls_listener = NULL;
    }
    return s;
}

static void run_s_client(struct us_loop_t *loop) {
    struct us_socket_context_t *server = us_create_socket_context(1, loop, 0, tls_server_options(&files));
    CHECK(server != NULL);
    us_socket_context_on_data(1, server, server_on_data);
    us_socket_context_on_end(1, server, on_end);
    us_socket_context_on_close(1, server, on_close);
    tls_listener = us_socket_context_listen(1, server, "127.0.0.1", 0, 0, 0);
    CHECK(tls_listener != NULL);
    char port[32], out[160];
    snprintf(port, sizeof(port), "127.0.0.1:%d", tls_port(tls_listener));
    snprintf(out, sizeof(out), "%s/s_client.out", files.dir);

    int in[2];
    CHECK(pipe(in) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in[0], 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(in[1]);
        execlp("openssl", "openssl", "s_client", "-connect", port, "-CAfile", files.ca, "-verify_hostname",
               "localhost", "-servername", "localhost", "-verify_return_error", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    CHECK(write(in[1], "hello\n", 6) == 6);
    close(in[1]); /* EOF: s_client sends close_notify after the line */
    us_loop_run(loop);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strcmp(got, "hello\n") == 0);
    CHECK_EQ(ends, 1);
    CHECK_EQ(clean_closes, 1);
    FILE *f = fopen(out, "r");
    CHECK(f != NULL);
    char line[512];
    int verified = 0;
    while (fgets(line, sizeof(line), f)) {
        verified |= strstr(line, "Verify return code: 0 (ok)") != NULL;
    }
    fclose(f);
    CHECK(verified);
    us_socket_context_free(1, server);
}

/* ---------------------------------------------------------------- our client, s_server */

static struct us_socket_t *client_on_open(struct us_socket_t *s, int is_client, char *ip, int n) {
    (void)is_client;
    (void)ip;
    (void)n;
    CHECK_EQ(us_socket_write(1, s, "GET / HTTP/1.0\r\n\r\n", 18, 0), 0); /* on_writable after the handshake */
    return s;
}

static struct us_socket_t *client_on_writable(struct us_socket_t *s) {
    CHECK_EQ(us_socket_write(1, s, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
    CHECK(strcmp(us_socket_ssl_protocol(s), "TLSv1.3") == 0);
    return s;
}

static struct us_socket_t *client_on_data(struct us_socket_t *s, char *data, int length) {
    append(data, length);
    return s;
}

static void run_s_server(struct us_loop_t *loop) {
    int out[2];
    CHECK(pipe(out) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execlp("openssl", "openssl", "s_server", "-accept", "0", "-naccept", "1", "-cert", files.server_cert, "-key",
               files.server_key, "-www", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    /* "ACCEPT [::]:port" says it is ready, and where */
    FILE *f = fdopen(out[0], "r");
    CHECK(f != NULL);
    char line[256];
    int port = 0;
    while (!port && fgets(line, sizeof(line), f)) {
        char *colon = strrchr(line, ':');
        if (strncmp(line, "ACCEPT", 6) == 0 && colon) {
            port = atoi(colon + 1);
        }
    }
    CHECK(port > 0);

    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    struct us_socket_context_t *client = us_create_socket_context(1, loop, 0, co);
    CHECK(client != NULL);
    us_socket_context_on_open(1, client, client_on_open);
    us_socket_context_on_writable(1, client, client_on_writable);
    us_socket_context_on_data(1, client, client_on_data);
    us_socket_context_on_end(1, client, on_end);
    us_socket_context_on_close(1, client, on_close);
    got_length = 0;
    got[0] = 0;
    CHECK(us_socket_context_connect(1, client, "localhost", port, NULL, 0, 0) != NULL);
    us_loop_run(loop);
    CHECK(strncmp(got, "HTTP/1.0 200 ok", 15) == 0);
    CHECK_EQ(ends, 2);
    CHECK_EQ(clean_closes, 2);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    fclose(f);
    us_socket_context_free(1, client);
}

int main(void) {
    test_guard(60);
    if (system("openssl version > /dev/null 2>&1") != 0) {
        printf("skip tls_openssl_peer: no openssl command\n");
        return 0;
    }
    tls_make_files(&files);
    struct us_loop_t *loop = us_create_loop(NULL, NULL, NULL, NULL, 0);
    CHECK(loop != NULL);
    run_s_client(loop);
    run_s_server(loop);
    us_loop_free(loop);
    tls_remove_files(&files);
    TEST_PASS("tls_openssl_peer");
    return 0;
}
