/* Kemendagri region codes with dots: "62" province, "62.03" kabupaten/kota,
 * "62.03.01" kecamatan, "62.03.01.2001" desa/kelurahan, and TPS codes
 * "62.03.01.2001.001" (desa code plus a three-digit number). Pure syntax:
 * whether a code exists is the registry's business. */
#ifndef SUARA_DOMAIN_REGION_CODE_H
#define SUARA_DOMAIN_REGION_CODE_H

#include <stddef.h>

enum region_level {
    LEVEL_NONE = 0,
    LEVEL_PROVINCE = 1,
    LEVEL_KABUPATEN = 2,
    LEVEL_KECAMATAN = 3,
    LEVEL_DESA = 4,
    LEVEL_TPS = 5,
};

#define REGION_CODE_MAX 17 /* strlen("62.03.01.2001.001") */

/* The level of a well-formed code of `len` bytes, or LEVEL_NONE. */
enum region_level region_code_level(const char *code, size_t len);
/* Length of the parent's code (a prefix of `code`), 0 for a province. */
size_t region_code_parent_len(const char *code, size_t len);
/* "province", "kabupaten", "kecamatan", "desa", "tps"; NULL for LEVEL_NONE. */
const char *region_level_name(enum region_level level);
enum region_level region_level_parse(const char *name);

#endif
