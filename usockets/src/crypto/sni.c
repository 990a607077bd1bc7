/*
 * sni.c: the server-name table of a TLS context. A short singly linked list: a server has a
 * handful of names, and a lookup happens once per handshake.
 */
#ifndef LIBUS_NO_SSL

#include "sni.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct us_internal_sni_entry_t {
    struct us_internal_sni_entry_t *next;
    void *value;
    char pattern[]; /* NUL-terminated, as given */
};

struct us_internal_sni_t {
    struct us_internal_sni_entry_t *head;
};

struct us_internal_sni_t *us_internal_sni_new(void) {
    return calloc(1, sizeof(struct us_internal_sni_t));
}

void us_internal_sni_free(struct us_internal_sni_t *table, void (*free_value)(void *value)) {
    if (!table) {
        return;
    }
    struct us_internal_sni_entry_t *e = table->head;
    while (e) {
        struct us_internal_sni_entry_t *next = e->next;
        if (free_value && e->value) {
            free_value(e->value);
        }
        free(e);
        e = next;
    }
    free(table);
}

static struct us_internal_sni_entry_t **sni_slot(struct us_internal_sni_t *table, const char *pattern) {
    struct us_internal_sni_entry_t **slot = &table->head;
    while (*slot && strcasecmp((*slot)->pattern, pattern) != 0) {
        slot = &(*slot)->next;
    }
    return slot;
}

void *us_internal_sni_add(struct us_internal_sni_t *table, const char *pattern, void *value, int *ok) {
    struct us_internal_sni_entry_t **slot = sni_slot(table, pattern);
    *ok = 1;
    if (*slot) {
        void *old = (*slot)->value;
        (*slot)->value = value;
        return old;
    }
    size_t length = strlen(pattern);
    struct us_internal_sni_entry_t *e = malloc(sizeof(struct us_internal_sni_entry_t) + length + 1);
    if (!e) {
        *ok = 0;
        return NULL;
    }
    memcpy(e->pattern, pattern, length + 1);
    e->value = value;
    e->next = NULL;
    *slot = e; /* appended: the table keeps insertion order */
    return NULL;
}

void *us_internal_sni_remove(struct us_internal_sni_t *table, const char *pattern) {
    struct us_internal_sni_entry_t **slot = sni_slot(table, pattern);
    struct us_internal_sni_entry_t *e = *slot;
    if (!e) {
        return NULL;
    }
    void *value = e->value;
    *slot = e->next;
    free(e);
    return value;
}

void *us_internal_sni_find(struct us_internal_sni_t *table, const char *pattern) {
    struct us_internal_sni_entry_t *e = *sni_slot(table, pattern);
    return e ? e->value : NULL;
}

void *us_internal_sni_match(struct us_internal_sni_t *table, const char *hostname) {
    void *exact = us_internal_sni_find(table, hostname);
    if (exact) {
        return exact;
    }
    /* "*.example.com" stands for exactly one label in front of ".example.com" */
    const char *rest = strchr(hostname, '.');
    if (!rest || rest == hostname || !rest[1]) {
        return NULL;
    }
    for (struct us_internal_sni_entry_t *e = table->head; e; e = e->next) {
        if (e->pattern[0] == '*' && e->pattern[1] == '.' && strcasecmp(e->pattern + 1, rest) == 0) {
            return e->value;
        }
    }
    return NULL;
}

#endif
