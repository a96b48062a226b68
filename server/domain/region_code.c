/* See region_code.h. */
#include "region_code.h"

#include <string.h>

/* Digits per dotted segment, by level. */
static const size_t segment_digits[] = {2, 2, 2, 4, 3};
static const char *const level_names[] = {NULL,        "province", "kabupaten",
                                          "kecamatan", "desa",     "tps"};

enum region_level region_code_level(const char *code, size_t len)
{
    size_t pos = 0;
    for (int level = 1; level <= LEVEL_TPS; level++) {
        size_t digits = segment_digits[level - 1];
        if (level > 1) {
            if (pos >= len || code[pos] != '.')
                return LEVEL_NONE;
            pos++;
        }
        for (size_t i = 0; i < digits; i++, pos++) {
            if (pos >= len || code[pos] < '0' || code[pos] > '9')
                return LEVEL_NONE;
        }
        if (pos == len)
            return (enum region_level)level;
    }
    return LEVEL_NONE;
}

size_t region_code_parent_len(const char *code, size_t len)
{
    enum region_level level = region_code_level(code, len);
    if (level <= LEVEL_PROVINCE)
        return 0;
    return len - segment_digits[level - 1] - 1;
}

const char *region_level_name(enum region_level level)
{
    return level >= LEVEL_PROVINCE && level <= LEVEL_TPS ? level_names[level] : NULL;
}

enum region_level region_level_parse(const char *name)
{
    for (int level = LEVEL_PROVINCE; level <= LEVEL_TPS; level++) {
        if (strcmp(name, level_names[level]) == 0)
            return (enum region_level)level;
    }
    return LEVEL_NONE;
}
