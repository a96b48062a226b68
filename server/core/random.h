/* Cryptographically secure random bytes from the kernel (getrandom(2)), for
 * API tokens and anything else an attacker must not guess. Never falls back
 * to a weaker source: if the kernel cannot deliver, the caller fails. */
#ifndef SUARA_CORE_RANDOM_H
#define SUARA_CORE_RANDOM_H

#include <stddef.h>

/* Fills out[0..len) with random bytes. Blocks only while the kernel's pool is
 * not yet initialised (early boot). Returns SU_OK, or SU_ERR with errno set. */
int random_bytes(void *out, size_t len);

#endif
