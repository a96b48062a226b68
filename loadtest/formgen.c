/* See formgen.h. Turnout 60-89 %, invalid 0-2 %, ballots DPT + 2.5 %
 * rounded up (the KPU allowance), a few DPPh/DPTb voters, votes spread by
 * per-contest weights so that candidates differ the way real ones do. */
#include "formgen.h"

#include <stdio.h>
#include <string.h>

#define TPS_CAPACITY 600

uint64_t lt_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static unsigned bits(uint64_t h, int shift, unsigned mod)
{
    return (unsigned)((h >> shift) % mod);
}

static void spread_votes(struct lt_counts *k, uint64_t seed, int n_cand)
{
    uint32_t weight[LT_MAX_CAND], sum = 0;
    for (int i = 0; i < n_cand; i++) {
        /* a stable preference per candidate position plus local noise */
        weight[i] = 20 + (uint32_t)(lt_mix((uint64_t)i * 7919u) % 60u) +
                    bits(lt_mix(seed + (uint64_t)i), 5, 30);
        sum += weight[i];
    }
    unsigned left = k->valid;
    for (int i = 0; i < n_cand; i++) {
        unsigned share = i == n_cand - 1 ? left : (unsigned)((uint64_t)k->valid * weight[i] / sum);
        if (share > left)
            share = left;
        k->votes[i] = (uint16_t)share;
        left -= share;
    }
    k->n_votes = n_cand;
}

void formgen_counts(struct lt_counts *k, uint64_t seed, int32_t dpt, int n_cand,
                    enum form_variant v)
{
    memset(k, 0, sizeof *k);
    uint64_t h = lt_mix(seed);
    unsigned d = dpt > 0 ? (unsigned)dpt : 0;
    unsigned m = d / 2 + (d & 1) * bits(h, 0, 2);
    k->registered[0][0] = (uint16_t)m;
    k->registered[0][1] = (uint16_t)(d - m);
    if (d + 2 <= TPS_CAPACITY) {
        k->registered[1][0] = (uint16_t)bits(h, 2, 2);
        k->registered[1][1] = (uint16_t)bits(h, 3, 2);
    }
    k->registered[2][0] = (uint16_t)bits(h, 4, 3);
    k->registered[2][1] = (uint16_t)bits(h, 6, 3);
    unsigned turnout = 60 + bits(h, 8, 30);
    k->voted[0][0] = (uint16_t)(k->registered[0][0] * turnout / 100);
    k->voted[0][1] = (uint16_t)(k->registered[0][1] * turnout / 100);
    for (int row = 1; row < 3; row++) {
        k->voted[row][0] = k->registered[row][0];
        k->voted[row][1] = k->registered[row][1];
    }
    unsigned total = 0;
    for (int row = 0; row < 3; row++)
        total += k->voted[row][0] + k->voted[row][1];
    unsigned received = d + (d * 25 + 999) / 1000;
    if (received < total) /* tiny TPS with many DPTb voters */
        received = total;
    unsigned returned = bits(h, 16, 3);
    if (returned > received - total)
        returned = received - total;
    k->ballots[0] = (uint16_t)received;
    k->ballots[1] = (uint16_t)returned;
    k->ballots[2] = (uint16_t)(received - total - returned);
    k->ballots[3] = (uint16_t)total;
    k->total = (uint16_t)total;
    k->invalid = (uint16_t)(total * bits(h, 20, 3) / 100);
    k->valid = (uint16_t)(total - k->invalid);
    k->disability[0] = (uint16_t)bits(h, 24, 6);
    unsigned dv = bits(h, 28, 6);
    if (dv > k->disability[0])
        dv = k->disability[0];
    if (dv > total)
        dv = total;
    k->disability[1] = (uint16_t)dv;
    spread_votes(k, seed, n_cand);

    if (v == FV_GOOD1) {
        /* Move a few votes between the first two candidates, or from valid
         * to invalid in a one-pair contest: different, still consistent. */
        unsigned moved = 1 + bits(h, 32, 5);
        int src = 0;
        for (int i = 1; i < n_cand; i++) {
            if (k->votes[i] > k->votes[src])
                src = i;
        }
        if (moved > k->votes[src])
            moved = k->votes[src];
        if (n_cand >= 2 && moved > 0) {
            int dst = src == 0 ? 1 : 0;
            k->votes[src] = (uint16_t)(k->votes[src] - moved);
            k->votes[dst] = (uint16_t)(k->votes[dst] + moved);
        } else if (k->votes[0] > 0) {
            k->votes[0]--;
            k->valid--;
            k->invalid++;
        } else if (k->invalid > 0) {
            k->votes[0]++;
            k->valid++;
            k->invalid--;
        } else {
            k->disability[0]++;
        }
    } else if (v == FV_BAD) {
        switch (bits(h, 40, 3)) {
        case 0: /* a tally sheet added up wrong */
            k->votes[0]++;
            break;
        case 1: /* ballots used does not match the voters */
            k->ballots[3]++;
            if (k->ballots[2] > 0)
                k->ballots[2]--;
            else
                k->ballots[0]++;
            break;
        default: /* DPT copied wrong */
            k->registered[0][0]++;
            break;
        }
    }
}

size_t formgen_body(char *out, size_t size, const char *submission_id, const char *tps_code,
                    const struct lt_contest *c, const struct lt_counts *k)
{
    int n = snprintf(out, size,
                     "{\"submission_id\":\"%s\",\"tps\":\"%s\",\"contest\":\"%s\","
                     "\"registered\":{\"dpt\":{\"m\":%u,\"f\":%u},\"dpph\":{\"m\":%u,\"f\":%u},"
                     "\"dptb\":{\"m\":%u,\"f\":%u}},"
                     "\"voted\":{\"dpt\":{\"m\":%u,\"f\":%u},\"dpph\":{\"m\":%u,\"f\":%u},"
                     "\"dptb\":{\"m\":%u,\"f\":%u}},"
                     "\"ballots\":{\"received\":%u,\"returned\":%u,\"unused\":%u,\"used\":%u},"
                     "\"disability\":{\"registered\":%u,\"voted\":%u},\"votes\":{",
                     submission_id, tps_code, c->id, k->registered[0][0], k->registered[0][1],
                     k->registered[1][0], k->registered[1][1], k->registered[2][0],
                     k->registered[2][1], k->voted[0][0], k->voted[0][1], k->voted[1][0],
                     k->voted[1][1], k->voted[2][0], k->voted[2][1], k->ballots[0], k->ballots[1],
                     k->ballots[2], k->ballots[3], k->disability[0], k->disability[1]);
    if (n < 0 || (size_t)n >= size)
        return 0;
    size_t at = (size_t)n;
    for (int i = 0; i < c->n_cand; i++) {
        n = snprintf(out + at, size - at, "%s\"%d\":%u", i ? "," : "", c->numbers[i], k->votes[i]);
        if (n < 0 || (size_t)n >= size - at)
            return 0;
        at += (size_t)n;
    }
    n = snprintf(out + at, size - at, "},\"valid\":%u,\"invalid\":%u,\"total\":%u}", k->valid,
                 k->invalid, k->total);
    if (n < 0 || (size_t)n >= size - at)
        return 0;
    return at + (size_t)n;
}
