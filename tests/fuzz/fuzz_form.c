/* libFuzzer target: a POST /api/v1/forms body through the same three pure
 * stages the API runs (form_decode, form_resolve, form_checks) over a small
 * registry, checking the invariants the rest of the server relies on: every
 * decoded string is NUL-terminated and within its limits, counts are 0..9999,
 * votes are ascending numbers 1..99, problem fields are printable ASCII (they
 * end up in the 422 body, which must stay valid UTF-8), resolution binds only
 * TPS inside the contest, and decoding is deterministic (the idempotency test
 * compares two decodes of the same body).
 *
 * tests/unit/test_fuzz_regressions.c includes this file with FUZZ_FORM_ENTRY
 * renamed, to replay the corpus and past crashes in the ordinary test run. */
#include "domain/form.h"
#include "domain/json.h"
#include "domain/registry.h"
#include "fuzz_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_FORM_ENTRY
#define FUZZ_FORM_ENTRY LLVMFuzzerTestOneInput
#endif

#define FORM_CHECK(cond) FUZZ_CHECK("fuzz_form", cond)

/* Province 62, two kabupaten, a few TPS; gub-62 over the province with four
 * candidates, bup-62.01 over 62.01 with numbers 1, 2, 3 and 7 (a gap). */
static const struct registry *form_registry(void)
{
    static struct registry reg;
    static bool built;
    static const struct {
        const char *code;
        int32_t dpt;
    } regions[] = {
        {"62", 0},
        {"62.01", 0},
        {"62.01.01", 0},
        {"62.01.01.1011", 0},
        {"62.01.01.1011.001", 501},
        {"62.01.01.1011.002", 478},
        {"62.01.01.1011.003", 0},
        {"62.02", 0},
        {"62.02.01", 0},
        {"62.02.01.2001", 0},
        {"62.02.01.2001.001", 600},
        {"62.03", 0},
        {"62.03.01", 0},
        {"62.03.01.2001", 0},
        {"62.03.01.2001.001", 411},
    };
    if (built)
        return &reg;
    char err[128];
    registry_init(&reg);
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        FORM_CHECK(registry_add_region(&reg, regions[i].code, "R", regions[i].dpt) == 0);
    FORM_CHECK(registry_add_contest(&reg, "gub-62", "gubernur", "62", "Pilgub") == 0);
    FORM_CHECK(registry_add_contest(&reg, "bup-62.01", "bupati", "62.01", "Pilbup") == 0);
    for (int n = 1; n <= 4; n++)
        FORM_CHECK(registry_add_candidate(&reg, "gub-62", n, "H", "D") == 0);
    static const int bup[] = {7, 1, 3, 2};
    for (size_t i = 0; i < sizeof bup / sizeof bup[0]; i++)
        FORM_CHECK(registry_add_candidate(&reg, "bup-62.01", bup[i], "H", "D") == 0);
    FORM_CHECK(registry_finish(&reg, err, sizeof err) == 0);
    json_init(); /* cJSON's allocations as the server makes them: the arena */
    built = true;
    return &reg;
}

static void form_check_problems(const struct form_problems *p)
{
    FORM_CHECK(p->n >= 0 && p->n <= FORM_MAX_ERRORS);
    for (int i = 0; i < p->n; i++) {
        const struct form_problem *pr = &p->list[i];
        size_t len = strnlen(pr->field, sizeof pr->field);
        FORM_CHECK(len < sizeof pr->field);
        for (size_t k = 0; k < len; k++)
            FORM_CHECK(pr->field[k] >= 0x20 && pr->field[k] < 0x7f);
        FORM_CHECK(pr->code != NULL && pr->code[0] != '\0');
    }
}

static void form_check_input(const struct form_input *in)
{
    size_t sid = strnlen(in->submission_id, sizeof in->submission_id);
    FORM_CHECK(sid >= 1 && sid <= SUBMISSION_ID_MAX);
    FORM_CHECK(region_code_level(in->tps, strnlen(in->tps, sizeof in->tps)) == LEVEL_TPS);
    size_t contest = strnlen(in->contest, sizeof in->contest);
    FORM_CHECK(contest >= 1 && contest <= CONTEST_ID_MAX);
    FORM_CHECK(in->n_photos >= 0 && in->n_photos <= FORM_MAX_PHOTOS);
    for (int p = 0; p < in->n_photos; p++) {
        FORM_CHECK(strnlen(in->photos[p], sizeof in->photos[p]) == FORM_PHOTO_HEX);
        for (int i = 0; i < FORM_PHOTO_HEX; i++) {
            char c = in->photos[p][i];
            FORM_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        }
    }
    const uint16_t *counts = (const uint16_t *)&in->counts;
    for (size_t i = 0; i < sizeof in->counts / sizeof(uint16_t); i++)
        FORM_CHECK(counts[i] <= FORM_COUNT_MAX);
    FORM_CHECK(in->n_votes >= 1 && in->n_votes <= CONTEST_MAX_CANDIDATES);
    for (int i = 0; i < in->n_votes; i++) {
        FORM_CHECK(in->vote_number[i] >= 1 && in->vote_number[i] <= FORM_VOTE_NUMBER_MAX);
        FORM_CHECK(i == 0 || in->vote_number[i] > in->vote_number[i - 1]);
        FORM_CHECK(in->vote_count[i] <= FORM_COUNT_MAX);
    }
}

int FUZZ_FORM_ENTRY(const uint8_t *data, size_t size);

int FUZZ_FORM_ENTRY(const uint8_t *data, size_t size)
{
    const struct registry *reg = form_registry();
    /* A copy of exactly `size` bytes, so ASan catches any read past the body
     * (an HTTP body has no NUL terminator). */
    char *body = malloc(size ? size : 1);
    FORM_CHECK(body != NULL);
    if (size)
        memcpy(body, data, size);

    struct form_input in, again;
    struct form_problems problems, problems2;
    enum form_decode_result r = form_decode(body, size, &in, &problems);
    FORM_CHECK(r == FORM_DECODED || r == FORM_MALFORMED || r == FORM_INVALID);
    form_check_problems(&problems);
    FORM_CHECK((r == FORM_INVALID) == (problems.n > 0));

    enum form_decode_result r2 = form_decode(body, size, &again, &problems2);
    FORM_CHECK(r2 == r && problems2.n == problems.n);

    if (r == FORM_DECODED) {
        form_check_input(&in);
        FORM_CHECK(form_input_equal(&in, &again));
        struct form_resolved res;
        bool ok = form_resolve(reg, &in, &res, &problems);
        form_check_problems(&problems);
        FORM_CHECK(ok == (problems.n == 0));
        if (ok) {
            FORM_CHECK(res.contest != NULL && res.tps >= 0 && res.tps < reg->n_regions);
            FORM_CHECK(reg->regions[res.tps].level == LEVEL_TPS);
            FORM_CHECK(region_contains(reg, res.contest->region, res.tps));
            FORM_CHECK(in.n_votes == res.contest->n_candidates);
            uint32_t checks = form_checks(&in.counts, res.votes, res.contest->n_candidates,
                                          reg->regions[res.tps].dpt);
            FORM_CHECK(checks < (1u << FORM_CHECK_COUNT));
            for (int k = 0; k < FORM_CHECK_COUNT; k++)
                FORM_CHECK(form_check_code((enum form_check)k) != NULL);
        } else if (res.contest == NULL) {
            FORM_CHECK(problems.n >= 1);
        }
    }
    free(body);
    return 0;
}
