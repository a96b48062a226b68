/* See utf8.h. */
#include "utf8.h"

/* Length of the sequence starting with byte c, and the allowed range of its
 * second byte (which rules out overlongs and surrogates), or 0 if invalid. */
static int lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0)
            *lo = 0xA0;
        if (c == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0)
            *lo = 0x90;
        if (c == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return 0;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned char lo, hi;
        int n = lead(*p, &lo, &hi);
        if (n == 0 || end - p < n || (n > 1 && (p[1] < lo || p[1] > hi)))
            return false;
        for (int i = 2; i < n; i++) {
            if (p[i] < 0x80 || p[i] > 0xBF)
                return false;
        }
        p += n;
    }
    return true;
}
