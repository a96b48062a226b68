/* Finding a region by name, for the search box on every page: kabupaten/kota,
 * kecamatan and desa by the words of their name, a TPS by its desa's name and
 * its number ("candi 3", "TPS 003 candi"), and any region by a code prefix
 * ("62.03.01"). Matching ignores ASCII case and the words "kabupaten", "kota",
 * "kecamatan", "desa", "kelurahan" and "tps" in the query. Results rank an
 * exact name first, then a name that starts with the query, then a word of
 * the name that does, then a match anywhere; higher levels first; then code.
 * The walk visits every region except TPS (it jumps over each desa's TPS), so
 * a query costs a pass over about a tenth of the registry. Pure, no I/O. */
#ifndef SUARA_DOMAIN_SEARCH_H
#define SUARA_DOMAIN_SEARCH_H

#include "registry.h"

#include <stdint.h>

#define SEARCH_QUERY_MAX 64
#define SEARCH_LIMIT_MAX 50
#define SEARCH_WORDS_MAX 6

/* Fills out with up to limit region indices, best first; returns the count,
 * or -1 for a query with nothing to look for (no word of 2 characters or more,
 * and no code or number). */
int search_regions(const struct registry *reg, const char *query, int limit, int32_t *out);

/* {"query", "results": [{"code", "name", "level", "in"}]}, where "in" names the
 * regions above (desa, kecamatan, kabupaten/kota; not the province), or NULL
 * for a query with nothing to look for. */
char *search_view(const struct registry *reg, const char *query, int limit);

#endif
