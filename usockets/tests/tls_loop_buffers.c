/* tls_loop_buffers.c: test_loop_buffers.c over TLS: decrypted data reaches on_data inside the caller's TLS buffer. */
#define LB_SSL 1
#include "tls_util.h"

#include "test_loop_buffers.c"

int main(void) {
    struct tls_files files;
    tls_make_files(&files);
    struct us_socket_context_options_t co = {0};
    co.ca_file_name = files.ca;
    lb_run(tls_server_options(&files), co, "tls_loop_buffers");
    tls_remove_files(&files);
    return 0;
}
