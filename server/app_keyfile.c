/* See app_keyfile.h. */
#include "app_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ssl_error(char *err, size_t err_size, const char *what, const char *path)
{
    char detail[256] = "";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    snprintf(err, err_size, "%s %s%s%s", what, path, *detail ? ": " : "", detail);
}

static EVP_PKEY *new_ed25519(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY *pkey = NULL;
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

int keyfile_generate(const char *path, struct sign_key *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    EVP_PKEY *pkey = new_ed25519();
    FILE *f = NULL;
    int rc = -1;
    if (!pkey) {
        ssl_error(err, err_size, "cannot generate a key for", path);
        return -1;
    }
    /* O_EXCL: an existing key is never replaced by accident. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, err_size, "cannot create %s: %s", path, strerror(errno));
        EVP_PKEY_free(pkey);
        return -1;
    }
    if (fchmod(fd, 0600) != 0 || !(f = fdopen(fd, "w"))) { /* 0600 whatever the umask */
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        goto done;
    }
    if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1 || fflush(f) != 0 ||
        fsync(fileno(f)) != 0) {
        ssl_error(err, err_size, "cannot write", path);
        goto done;
    }
    rc = 0;
done:
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        unlink(path);
        EVP_PKEY_free(pkey);
        return -1;
    }
    if (sign_key_adopt(out, pkey) != 0) {
        snprintf(err, err_size, "cannot read the public key of the new key %s", path);
        return -1;
    }
    return 0;
}

int keyfile_load(const char *path, struct sign_key *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "warning: %s can be read by others (chmod 600 it)\n", path);
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey) {
        ssl_error(err, err_size, "not a PEM private key:", path);
        return -1;
    }
    if (sign_key_adopt(out, pkey) != 0) {
        snprintf(err, err_size, "%s is not an Ed25519 key (suara log keygen makes one)", path);
        return -1;
    }
    return 0;
}
