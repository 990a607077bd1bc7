/*
 * dns.h: name resolution off the loop thread. A request runs getaddrinfo on its own detached
 * thread and signals an eventfd the loop watches; the loop thread then takes the result, or
 * cancels the request, in which case the late result is dropped by whichever side finishes last.
 */
#ifndef US_DNS_H
#define US_DNS_H

struct addrinfo;
struct us_internal_dns_t;

/* Starts resolving host:port (SOCK_STREAM); *efd gets the eventfd to watch for readability. NULL on failure. */
struct us_internal_dns_t *us_internal_dns_start(const char *host, int port, int *efd);
/* Loop thread, once efd is readable: the getaddrinfo code (0 or EAI_*) and its result (owned by the caller).
 * Releases the request and closes efd (stop the poll first). */
int us_internal_dns_finish(struct us_internal_dns_t *req, struct addrinfo **result);
/* Loop thread: abandons the request and closes efd (stop the poll first); a late result is freed, never seen. */
void us_internal_dns_cancel(struct us_internal_dns_t *req);

#endif
