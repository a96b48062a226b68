/* The public log's key file (for `suara serve --log-key` and `suara log`): a
 * PKCS#8 PEM Ed25519 private key, what `openssl genpkey -algorithm ed25519`
 * writes too, created readable by its owner only. */
#ifndef SUARA_APP_KEYFILE_H
#define SUARA_APP_KEYFILE_H

#include "domain/sign.h"

#include <stddef.h>

/* Writes a new key to path, which must not exist yet (never overwritten).
 * 0, or -1 with a sentence in err. */
int keyfile_generate(const char *path, struct sign_key *out, char *err, size_t err_size);
/* Reads an Ed25519 key file (warning on stderr when others may read it).
 * 0, or -1 with a sentence in err. */
int keyfile_load(const char *path, struct sign_key *out, char *err, size_t err_size);

#endif
