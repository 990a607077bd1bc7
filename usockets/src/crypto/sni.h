/*
 * sni.h: the TLS layer's table of server-name patterns (exact names and "*." wildcards).
 * Private to src/crypto.
 */
#ifndef US_CRYPTO_SNI_H
#define US_CRYPTO_SNI_H

struct us_internal_sni_t;

/* An empty table, or NULL when out of memory. */
struct us_internal_sni_t *us_internal_sni_new(void);
/* Frees the table, calling free_value on each value it still holds (when not NULL). */
void us_internal_sni_free(struct us_internal_sni_t *table, void (*free_value)(void *value));
/* Adds pattern -> value; returns the value it replaced (the caller frees it), or NULL. *ok is 0 when out of memory. */
void *us_internal_sni_add(struct us_internal_sni_t *table, const char *pattern, void *value, int *ok);
/* Removes pattern and returns its value (the caller frees it), or NULL when absent. */
void *us_internal_sni_remove(struct us_internal_sni_t *table, const char *pattern);
/* The value kept for exactly this pattern (case-insensitive), or NULL. */
void *us_internal_sni_find(struct us_internal_sni_t *table, const char *pattern);
/* The value for a host name: an exact pattern first, then "*.rest" matching one leading label; or NULL. */
void *us_internal_sni_match(struct us_internal_sni_t *table, const char *hostname);

#endif
