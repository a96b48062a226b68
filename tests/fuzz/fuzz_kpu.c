/* libFuzzer target: KPU's published files as `suara import kpu` reads them
 * (domain/kpu_import.h): a Sirekap TPS JSON, a candidate list, a recap CSV.
 * Such files are downloaded from outside, so they are a stranger's input.
 *
 * The first input byte picks the reader (0: candidate list then TPS file,
 * 1: TPS file, 2: recap CSV) and the file name (Sirekap's digits, the dotted
 * code, or a name that is no TPS); the rest is the file. Invariants: a reader
 * answers -1 (with a message naming the file), or rows for known regions of
 * the one contest with every pair's votes in range; a failed read adds no row. */
#include "domain/kpu_import.h"
#include "fuzz_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_KPU_ENTRY
#define FUZZ_KPU_ENTRY LLVMFuzzerTestOneInput
#endif

#define KPU_CHECK(cond) FUZZ_CHECK("fuzz_kpu", cond)

static struct kpu_ref *kpu_fuzz_ref(void)
{
    static struct kpu_ref ref;
    static struct kpu_ref_contest contest = {
        .id = "gub-62", .region = "62", .n_candidates = 4, .numbers = {1, 2, 3, 4}};
    static bool built;
    if (!built) {
        strmap_init(&ref.regions);
        strmap_put(&ref.regions, "62", (void *)(intptr_t)LEVEL_PROVINCE);
        strmap_put(&ref.regions, "62.01", (void *)(intptr_t)LEVEL_KABUPATEN);
        strmap_put(&ref.regions, "62.01.01.1011.001", (void *)(intptr_t)LEVEL_TPS);
        ref.contests = &contest;
        ref.n_contests = 1;
        built = true;
    }
    ref.n_paslon = 0;
    return &ref;
}

static void kpu_check_rows(const struct kpu_rows *rows, int before, int rc, const char *err,
                           const char *file)
{
    KPU_CHECK(rc >= -1);
    if (rc < 0) {
        KPU_CHECK(rows->n == before);
        KPU_CHECK(strncmp(err, file, strlen(file)) == 0);
        return;
    }
    for (int i = before; i < rows->n; i++) {
        const struct kpu_row *r = &rows->rows[i];
        KPU_CHECK(strcmp(r->contest, "gub-62") == 0 && r->n_votes == 4);
        KPU_CHECK(strmap_get(&kpu_fuzz_ref()->regions, r->region) != NULL);
        for (int k = 0; k < 4; k++)
            KPU_CHECK(r->votes[k] >= 0 && r->votes[k] <= KPU_VOTES_MAX);
    }
}

int FUZZ_KPU_ENTRY(const uint8_t *data, size_t size);

int FUZZ_KPU_ENTRY(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"6201011011001.json", "62.01.01.1011.001.json",
                                        "x/pkwkk/6201011011001.json", "list.json"};
    if (size == 0)
        return 0;
    struct kpu_ref *ref = kpu_fuzz_ref();
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const char *file = names[(data[0] >> 2) % 4];
    struct kpu_rows rows = {0};
    char err[512] = "";
    int rc;
    switch (data[0] & 3) {
    case 0:
        rc = kpu_read_paslon(ref, file, text, len, err, sizeof err);
        KPU_CHECK(rc >= -1 && rc <= 1 && ref->n_paslon <= KPU_PASLON_MAX);
        if (rc < 0)
            break;
        /* the same bytes as a TPS file, with the list read */
        __attribute__((fallthrough));
    case 1:
        rc = kpu_read_sirekap(ref, file, text, len, NULL, &rows, err, sizeof err);
        KPU_CHECK(rc <= 1);
        kpu_check_rows(&rows, 0, rc, err, file);
        break;
    default:
        rc = kpu_read_recap(ref, "recap.csv", text, len, NULL, &rows, err, sizeof err);
        kpu_check_rows(&rows, 0, rc, err, "recap.csv");
        if (rc >= 0)
            KPU_CHECK(kpu_rows_check_unique(&rows, err, sizeof err) == 0);
    }
    kpu_rows_free(&rows);
    return 0;
}
