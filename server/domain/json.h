/* cJSON under the server's memory policy (core/mem.h). */
#ifndef SUARA_DOMAIN_JSON_H
#define SUARA_DOMAIN_JSON_H

/* Makes cJSON allocate with xmalloc, so that parsing, building and printing
 * never return NULL for want of memory: an encoder's result is always a body.
 * Call once, before any other cJSON use. */
void json_init(void);

#endif
