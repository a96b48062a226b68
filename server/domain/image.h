/* The image check of a C.Hasil photo: the bytes must decode, completely, as
 * an image of the type the uploader declared. Decoding runs the real decoders
 * (libjpeg-turbo, libpng, libwebp) over every row, so a truncated file, a PNG
 * sent as image/jpeg, or bytes that merely start like an image are refused.
 * Pure and thread-safe (no globals): the server calls it from libuv's thread
 * pool, the fuzzer calls it directly. Memory is bounded by IMAGE_MAX_PIXELS. */
#ifndef SUARA_DOMAIN_IMAGE_H
#define SUARA_DOMAIN_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

enum image_type { IMAGE_NONE, IMAGE_JPEG, IMAGE_PNG, IMAGE_WEBP };

/* A phone camera's full resolution is 12 to 50 megapixels; a plano shrunk by
 * the witness page is about 3. Larger images are refused before decoding. */
#define IMAGE_MAX_PIXELS (50L * 1000 * 1000)
#define IMAGE_MAX_SIDE 20000

struct image_info {
    int width, height;
};

/* "image/jpeg", "image/png" or "image/webp" (case-insensitive, parameters
 * after ';' ignored); IMAGE_NONE for anything else. */
enum image_type image_type_parse(const char *content_type);
/* The canonical media type, a static string ("" for IMAGE_NONE). */
const char *image_type_mime(enum image_type t);
/* True when data decodes completely as an image of type t, with its size in
 * *info. On false, why (a static string) in *why when why is not NULL. */
/* The photo's address: the SHA-256 of its bytes as 64 lower-case hex
 * characters and a NUL. OpenSSL's, which uses the CPU's SHA instructions
 * where there are some: a 300 KB photo in a fraction of a millisecond,
 * several times faster than core/sha256.c (made for short texts). */
void image_sha256_hex(const unsigned char *data, size_t len, char hex[65]);
bool image_check(enum image_type t, const unsigned char *data, size_t len, struct image_info *info,
                 const char **why);

#endif
