/* See image.h. Each decoder reads every row into one reused row buffer, so
 * memory is a row plus the decoder's own state, never the whole picture
 * (except progressive JPEG coefficients and WebP's frame, both bounded by
 * IMAGE_MAX_PIXELS). Warnings count as errors: libjpeg only warns about a
 * truncated file ("premature end of data") and fills the rest with grey. */
#include "image.h"
#include "core/mem.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <openssl/sha.h>
#include <png.h>
#include <webp/decode.h>

/* Coefficient buffers of a progressive JPEG at IMAGE_MAX_PIXELS. */
#define JPEG_MAX_MEMORY (400L * 1024 * 1024)

enum image_type image_type_parse(const char *content_type)
{
    static const struct {
        const char *name;
        enum image_type type;
    } known[] = {{"image/jpeg", IMAGE_JPEG}, {"image/png", IMAGE_PNG}, {"image/webp", IMAGE_WEBP}};
    if (!content_type)
        return IMAGE_NONE;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && isspace((unsigned char)content_type[n - 1]))
        n--;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strlen(known[i].name) == n && strncasecmp(content_type, known[i].name, n) == 0)
            return known[i].type;
    }
    return IMAGE_NONE;
}

const char *image_type_mime(enum image_type t)
{
    switch (t) {
    case IMAGE_JPEG:
        return "image/jpeg";
    case IMAGE_PNG:
        return "image/png";
    case IMAGE_WEBP:
        return "image/webp";
    default:
        return "";
    }
}

static bool size_ok(long width, long height)
{
    return width > 0 && height > 0 && width <= IMAGE_MAX_SIDE && height <= IMAGE_MAX_SIDE &&
           width * height <= IMAGE_MAX_PIXELS;
}

/* ---- JPEG ------------------------------------------------------------- */

struct jpeg_failure {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
};

static void jpeg_fail(j_common_ptr cinfo)
{
    longjmp(((struct jpeg_failure *)cinfo->err)->jump, 1);
}

static void jpeg_message(j_common_ptr cinfo, int level)
{
    if (level < 0) /* a warning: corrupt or truncated data */
        longjmp(((struct jpeg_failure *)cinfo->err)->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo) {}

void image_sha256_hex(const unsigned char *data, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

/* The pixels are thrown away: only whether every row decodes matters. So the
 * cheapest output that still entropy-decodes every coefficient of every
 * component (which is where a truncated or forged file fails): scaled to 1/8,
 * so the IDCT of each block is its DC term alone and the output an eighth of
 * each side (libjpeg still Huffman-decodes every AC coefficient, only to
 * discard it, so a bad code or a premature end is still found); no fancy
 * upsampling, and for a colour JPEG the luminance alone (libjpeg skips the
 * chroma's IDCT and colour conversion, not their Huffman decoding). About a
 * third of the CPU of a full colour decode on a 2000 px photo. */
static void fast_jpeg_output(struct jpeg_decompress_struct *cinfo)
{
    cinfo->scale_num = 1;
    cinfo->scale_denom = 8;
    cinfo->dct_method = JDCT_IFAST;
    cinfo->do_fancy_upsampling = FALSE;
    if (cinfo->jpeg_color_space == JCS_YCbCr)
        cinfo->out_color_space = JCS_GRAYSCALE;
}

static bool check_jpeg(const unsigned char *data, size_t len, struct image_info *info,
                       const char **why)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_failure err;
    JSAMPLE *volatile row = NULL;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    err.mgr.emit_message = jpeg_message;
    err.mgr.output_message = jpeg_quiet;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        *why = "the bytes are not a complete JPEG image";
        return false;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (!size_ok(cinfo.image_width, cinfo.image_height)) {
        jpeg_destroy_decompress(&cinfo);
        *why = "the image has too many pixels";
        return false;
    }
    fast_jpeg_output(&cinfo);
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    row = xmalloc(stride);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_decompress(&cinfo);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    free(row);
    return true;
}

/* ---- PNG -------------------------------------------------------------- */

struct png_source {
    const unsigned char *data;
    size_t len, pos;
};

static void png_read_memory(png_structp png, png_bytep out, size_t n)
{
    struct png_source *src = png_get_io_ptr(png);
    if (n > src->len - src->pos)
        png_error(png, "truncated");
    memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

static void png_quiet(png_structp png, png_const_charp msg) {}

static void png_fail(png_structp png, png_const_charp msg)
{
    png_longjmp(png, 1);
}

static void png_read_all_rows(png_structp png, png_infop pinfo, png_bytep row)
{
    int passes = png_set_interlace_handling(png);
    png_uint_32 height = png_get_image_height(png, pinfo);
    for (int p = 0; p < passes; p++)
        for (png_uint_32 y = 0; y < height; y++)
            png_read_row(png, row, NULL);
}

static bool check_png(const unsigned char *data, size_t len, struct image_info *info,
                      const char **why)
{
    struct png_source src = {data, len, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, png_quiet);
    png_infop pinfo = png ? png_create_info_struct(png) : NULL;
    png_bytep volatile row = NULL;
    *why = "the bytes are not a complete PNG image";
    if (!pinfo) {
        png_destroy_read_struct(&png, NULL, NULL);
        *why = "out of memory";
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        free(row);
        return false;
    }
    png_set_read_fn(png, &src, png_read_memory);
    png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
    png_set_chunk_malloc_max(png, 8L * 1024 * 1024);
    png_read_info(png, pinfo);
    png_uint_32 w = png_get_image_width(png, pinfo), h = png_get_image_height(png, pinfo);
    if (!size_ok((long)w, (long)h)) {
        *why = "the image has too many pixels";
        png_error(png, "too large");
    }
    png_set_expand(png);
    png_set_strip_16(png);
    png_read_update_info(png, pinfo);
    row = xmalloc(png_get_rowbytes(png, pinfo));
    png_read_all_rows(png, pinfo, row);
    png_read_end(png, NULL); /* checks the CRCs up to IEND */
    info->width = (int)w;
    info->height = (int)h;
    png_destroy_read_struct(&png, &pinfo, NULL);
    free(row);
    return true;
}

/* ---- WebP ------------------------------------------------------------- */

static bool check_webp(const unsigned char *data, size_t len, struct image_info *info,
                       const char **why)
{
    WebPDecoderConfig config;
    *why = "the bytes are not a complete WebP image";
    if (!WebPInitDecoderConfig(&config) ||
        WebPGetFeatures(data, len, &config.input) != VP8_STATUS_OK)
        return false;
    if (config.input.has_animation) {
        *why = "animated WebP is not a photo";
        return false;
    }
    if (!size_ok(config.input.width, config.input.height)) {
        *why = "the image has too many pixels";
        return false;
    }
    /* YUV 4:2:0 is the decoder's own layout: the smallest frame to decode into. */
    config.output.colorspace = MODE_YUV;
    VP8StatusCode st = WebPDecode(data, len, &config);
    WebPFreeDecBuffer(&config.output);
    if (st != VP8_STATUS_OK)
        return false;
    info->width = config.input.width;
    info->height = config.input.height;
    return true;
}

bool image_check(enum image_type t, const unsigned char *data, size_t len, struct image_info *info,
                 const char **why)
{
    const char *reason = "not a JPEG, PNG or WebP image";
    bool ok = false;
    memset(info, 0, sizeof *info);
    if (len > 0) {
        switch (t) {
        case IMAGE_JPEG:
            ok = check_jpeg(data, len, info, &reason);
            break;
        case IMAGE_PNG:
            ok = check_png(data, len, info, &reason);
            break;
        case IMAGE_WEBP:
            ok = check_webp(data, len, info, &reason);
            break;
        default:
            break;
        }
    } else {
        reason = "the body is empty";
    }
    if (!ok && why)
        *why = reason;
    return ok;
}
