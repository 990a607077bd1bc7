/* tls_loop_buffers_move.c: test_loop_buffers_move.c over TLS: decrypted data lands where the TLS buffer was last moved
 * to, also for a second delivery of one read, and what was delivered before stays intact. */
#define MV_SSL 1
#include "tls_util.h"

#include "test_loop_buffers_move.c"

int main(void) {
    struct tls_files files;
    tls_make_files(&files);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    mv_run(tls_server_options(&files), co, "tls_loop_buffers_move");
    tls_remove_files(&files);
    return 0;
}
