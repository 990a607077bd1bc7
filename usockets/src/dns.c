/*
 * dns.c: off-thread getaddrinfo for host-name connects (see dns.h). The request is shared by the
 * loop thread and the resolver thread; a mutex guards it and the last of the two frees it. The
 * resolver writes the eventfd only while the loop side has not cancelled (and so not closed it).
 */
#include "dns.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct us_internal_dns_t {
    pthread_mutex_t lock;
    int refs;      /* the loop side and the resolver thread */
    int cancelled; /* the loop side gave up; efd is closed */
    int efd;
    int error;
    struct addrinfo *result;
    char port[16];
    char host[]; /* NUL-terminated */
};

static void release(struct us_internal_dns_t *req) {
    pthread_mutex_lock(&req->lock);
    int last = --req->refs == 0;
    pthread_mutex_unlock(&req->lock);
    if (last) {
        if (req->result) {
            freeaddrinfo(req->result);
        }
        pthread_mutex_destroy(&req->lock);
        free(req);
    }
}

static void *resolve(void *arg) {
    struct us_internal_dns_t *req = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = 0};
    /* No AI_ADDRCONFIG: it hides ::1 on hosts whose only IPv6 address is loopback; unusable addresses just fail
     * fast and the next one is tried. */
    struct addrinfo *result = NULL;
    int error = getaddrinfo(req->host, req->port, &hints, &result);
    pthread_mutex_lock(&req->lock);
    req->error = error;
    req->result = error ? NULL : result;
    if (!req->cancelled) {
        uint64_t one = 1;
        ssize_t n;
        do {
            n = write(req->efd, &one, sizeof(one));
        } while (n < 0 && errno == EINTR);
    }
    pthread_mutex_unlock(&req->lock);
    release(req);
    return NULL;
}

struct us_internal_dns_t *us_internal_dns_start(const char *host, int port, int *efd) {
    size_t host_len = strlen(host);
    struct us_internal_dns_t *req = calloc(1, sizeof(*req) + host_len + 1);
    if (!req) {
        return NULL;
    }
    memcpy(req->host, host, host_len + 1);
    snprintf(req->port, sizeof(req->port), "%d", port);
    req->refs = 2;
    req->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (req->efd < 0 || pthread_mutex_init(&req->lock, NULL) != 0) {
        goto fail;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, resolve, req);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_destroy(&req->lock);
        goto fail;
    }
    *efd = req->efd;
    return req;
fail:
    if (req->efd >= 0) {
        close(req->efd);
    }
    free(req);
    return NULL;
}

int us_internal_dns_finish(struct us_internal_dns_t *req, struct addrinfo **result) {
    pthread_mutex_lock(&req->lock);
    int error = req->error;
    *result = req->result;
    req->result = NULL;
    req->cancelled = 1;
    close(req->efd);
    pthread_mutex_unlock(&req->lock);
    release(req);
    return error;
}

void us_internal_dns_cancel(struct us_internal_dns_t *req) {
    pthread_mutex_lock(&req->lock);
    req->cancelled = 1;
    close(req->efd);
    pthread_mutex_unlock(&req->lock);
    release(req);
}
