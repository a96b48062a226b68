/* Ed25519 signatures through OpenSSL's libcrypto (EVP, computation only), for
 * the public log's signed tree heads. Keys are read from and written to files
 * by app_keyfile.c; the public key is shown as 64 lower-case hex characters
 * (its raw 32 bytes). */
#ifndef SUARA_DOMAIN_SIGN_H
#define SUARA_DOMAIN_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define SIGN_PUBLIC_KEY 32
#define SIGN_SIGNATURE 64

struct sign_key {
    void *pkey; /* EVP_PKEY */
    unsigned char public_key[SIGN_PUBLIC_KEY];
    char public_hex[2 * SIGN_PUBLIC_KEY + 1];
};

/* Takes over an EVP_PKEY holding an Ed25519 private key; 0, or -1 (then the
 * key is freed) when it is not one. */
int sign_key_adopt(struct sign_key *k, void *pkey);
void sign_key_free(struct sign_key *k);
/* Signs msg; 0 or -1. */
int sign_message(const struct sign_key *k, const void *msg, size_t len,
                 unsigned char sig[SIGN_SIGNATURE]);
/* Whether sig is public_key's signature of msg. */
bool sign_verify(const unsigned char public_key[SIGN_PUBLIC_KEY], const void *msg, size_t len,
                 const unsigned char sig[SIGN_SIGNATURE]);
/* Parses 2*n hex characters (lower or upper case) into n bytes; 0 or -1. */
int sign_parse_hex(const char *hex, unsigned char *out, size_t n);

#endif
