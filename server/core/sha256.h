/* SHA-256 (FIPS 180-4). Used to store API tokens as hashes and to chain form
 * receipts; small enough that pulling in a crypto library is not worth it. */
#ifndef SUARA_CORE_SHA256_H
#define SUARA_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t total;
    unsigned char block[64];
    size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* One-shot digest as 64 lowercase hex chars plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);
void hex_encode(const unsigned char *in, size_t len, char *out);

#endif
