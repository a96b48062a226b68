/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
 * Free text from clients must be valid before it reaches PostgreSQL, which
 * would otherwise reject the whole batch it travels in. */
#ifndef SUARA_CORE_UTF8_H
#define SUARA_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);

#endif
