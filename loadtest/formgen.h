/* Plausible Model C.Hasil forms, made deterministically from a seed: the same
 * (seed, variant) always gives the same numbers, so a form can be made again
 * for a retry, a duplicate or the verification without being stored.
 *   FV_GOOD0  passes every consistency check;
 *   FV_GOOD1  passes too, with other votes (a correction or a dispute);
 *   FV_BAD    fails one check (held): valid_sum, turnout_match or
 *             dpt_matches_roll, chosen by the seed. */
#ifndef SUARA_LOAD_FORMGEN_H
#define SUARA_LOAD_FORMGEN_H

#include "model.h"

#include <stddef.h>
#include <stdint.h>

enum form_variant { FV_GOOD0, FV_GOOD1, FV_BAD };

uint64_t lt_mix(uint64_t x); /* splitmix64 finaliser */

void formgen_counts(struct lt_counts *k, uint64_t seed, int32_t dpt, int n_cand,
                    enum form_variant v);
/* The JSON body; returns its length, or 0 if it did not fit. */
size_t formgen_body(char *out, size_t size, const char *submission_id, const char *tps_code,
                    const struct lt_contest *c, const struct lt_counts *k);

#endif
