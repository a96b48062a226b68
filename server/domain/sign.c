/* See sign.h. */
#include "sign.h"
#include "core/sha256.h"

#include <openssl/evp.h>
#include <string.h>

static int fill_public(struct sign_key *k)
{
    size_t len = SIGN_PUBLIC_KEY;
    if (EVP_PKEY_get_raw_public_key(k->pkey, k->public_key, &len) != 1 || len != SIGN_PUBLIC_KEY)
        return -1;
    hex_encode(k->public_key, SIGN_PUBLIC_KEY, k->public_hex);
    return 0;
}

int sign_key_adopt(struct sign_key *k, void *pkey)
{
    memset(k, 0, sizeof *k);
    if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return -1;
    }
    k->pkey = pkey;
    if (fill_public(k) != 0) {
        sign_key_free(k);
        return -1;
    }
    return 0;
}

void sign_key_free(struct sign_key *k)
{
    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof *k);
}

int sign_message(const struct sign_key *k, const void *msg, size_t len,
                 unsigned char sig[SIGN_SIGNATURE])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = SIGN_SIGNATURE;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 && sig_len == SIGN_SIGNATURE;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

bool sign_verify(const unsigned char public_key[SIGN_PUBLIC_KEY], const void *msg, size_t len,
                 const unsigned char sig[SIGN_SIGNATURE])
{
    EVP_PKEY *pkey =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, SIGN_PUBLIC_KEY);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = pkey && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, SIGN_SIGNATURE, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sign_parse_hex(const char *hex, unsigned char *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
