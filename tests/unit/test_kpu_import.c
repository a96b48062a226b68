/* Reading KPU's files (domain/kpu_import.c) and KPU's figures beside the
 * tallies (domain/kpu.c): Sirekap TPS JSON with candidate ids, candidate
 * lists, recap CSVs, every problem as FILE:LINE, and kpu_differs. */
#include "domain/kpu.h"
#include "domain/kpu_import.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

static const char paslon[] = "{\"9001\": {\"nomor_urut\": 1, \"nama\": \"A\"},\n"
                             " \"9002\": {\"nomor_urut\": 2, \"nama\": \"B\"}}";

struct world {
    struct kpu_ref ref;
    struct kpu_rows rows;
    char err[512];
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    strmap_init(&w->ref.regions);
    static struct kpu_ref_contest contests[1] = {
        {.id = "gub-62", .region = "62", .n_candidates = 2, .numbers = {1, 2}}};
    w->ref.contests = contests;
    w->ref.n_contests = 1;
    strmap_put(&w->ref.regions, "62", (void *)(intptr_t)LEVEL_PROVINCE);
    strmap_put(&w->ref.regions, "62.01", (void *)(intptr_t)LEVEL_KABUPATEN);
    strmap_put(&w->ref.regions, "62.01.01.1011.001", (void *)(intptr_t)LEVEL_TPS);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    strmap_free(&w->ref.regions);
    kpu_rows_free(&w->rows);
    free(w);
    return 0;
}

static int sirekap(struct world *w, const char *file, const char *text)
{
    return kpu_read_sirekap(&w->ref, file, text, strlen(text), NULL, &w->rows, w->err,
                            sizeof w->err);
}

static void test_candidate_list_maps_ids(void **state)
{
    struct world *w = *state;
    assert_int_equal(kpu_read_paslon(&w->ref, "p.json", paslon, strlen(paslon), w->err, 512), 1);
    assert_int_equal(w->ref.n_paslon, 2);
    const char tps[] =
        "{\"mode\": \"hhcw\", \"chart\": {\"9002\": 40, \"9001\": 60, \"null\": null},\n"
        " \"administrasi\": {\"suara_sah\": 100, \"suara_tidak_sah\": 3,"
        " \"suara_total\": 103, \"pengguna_dpt_j\": 101},\n"
        " \"ts\": \"2024-11-27 19:04:11\"}";
    assert_int_equal(sirekap(w, "x/pkwkp/6201011011001.json", tps), 1);
    const struct kpu_row *r = &w->rows.rows[0];
    assert_string_equal(r->contest, "gub-62");
    assert_string_equal(r->region, "62.01.01.1011.001");
    assert_int_equal(r->votes[0], 60);
    assert_int_equal(r->votes[1], 40);
    assert_int_equal(r->valid, 100);
    assert_int_equal(r->invalid, 3);
    assert_int_equal(r->total, 103);
    assert_int_equal(r->dpt_voters, 101);
    assert_string_equal(r->reported_at, "2024-11-27 19:04:11");
    assert_false(r->recap);
}

static void test_a_tps_file_is_not_a_candidate_list(void **state)
{
    struct world *w = *state;
    const char tps[] = "{\"chart\": {\"1\": 5, \"2\": 6}}";
    assert_int_equal(kpu_read_paslon(&w->ref, "t.json", tps, strlen(tps), w->err, 512), 0);
    assert_int_equal(w->ref.n_paslon, 0);
}

static void test_unpublished_tps_is_skipped(void **state)
{
    struct world *w = *state;
    assert_int_equal(sirekap(w, "62.01.01.1011.001.json", "{\"chart\": null}"), 0);
    assert_int_equal(w->rows.n, 0);
}

static void test_problems_name_file_and_line(void **state)
{
    struct world *w = *state;
    assert_int_equal(sirekap(w, "62.01.01.1011.001.json", "{\n\"chart\": {\n\"1\": 5,,\n}}"), -1);
    assert_string_equal(w->err, "62.01.01.1011.001.json:3: not valid JSON");
    assert_int_equal(sirekap(w, "62.01.01.1011.001.json", "{\"chart\":\n {\"1\": 5,\n \"7\": 1}}"),
                     -1);
    assert_string_equal(w->err, "62.01.01.1011.001.json:3: chart: 7 is no candidate of gub-62 "
                                "(add Sirekap's candidate list)");
    assert_int_equal(sirekap(w, "62.01.01.1011.001.json", "{\"chart\": {\"1\": 5}}"), -1);
    assert_string_equal(w->err, "62.01.01.1011.001.json:1: chart: no votes for nomor urut 2");
    assert_int_equal(sirekap(w, "62.01.01.1011.001.json", "{\"chart\": {\"1\": 5, \"2\": -1}}"),
                     -1);
    assert_string_equal(w->err, "62.01.01.1011.001.json:1: chart: 2 must be a whole number of "
                                "votes");
    assert_int_equal(sirekap(w, "6201011011002.json", "{\"chart\": null}"), -1);
    assert_string_equal(w->err, "6201011011002.json:1: no TPS 62.01.01.1011.002 in the database");
    assert_int_equal(sirekap(w, "tps.json", "{}"), -1);
    assert_int_equal(w->rows.n, 0);
}

static void test_recap_csv(void **state)
{
    struct world *w = *state;
    const char ok[] = "region_code,region_name,nomor_urut,votes\n62.01,K,1,10\n62.01,K,2,20\n";
    assert_int_equal(kpu_read_recap(&w->ref, "r.csv", ok, strlen(ok), NULL, &w->rows, w->err, 512),
                     1);
    assert_true(w->rows.rows[0].recap);
    assert_int_equal(w->rows.rows[0].votes[1], 20);
    const char missing[] = "region_code,nomor_urut,votes\n62,1,10\n";
    assert_int_equal(
        kpu_read_recap(&w->ref, "m.csv", missing, strlen(missing), NULL, &w->rows, w->err, 512),
        -1);
    assert_string_equal(w->err, "m.csv:2: 62 has no row for nomor urut 2");
    const char bad[] = "region_code,nomor_urut,votes\n62.01,1,10\n62.01,2,x\n";
    assert_int_equal(
        kpu_read_recap(&w->ref, "b.csv", bad, strlen(bad), NULL, &w->rows, w->err, 512), -1);
    assert_string_equal(w->err, "b.csv:3: votes 'x' must be a whole number");
    assert_int_equal(w->rows.n, 1); /* only the good file's row */
    assert_int_equal(
        kpu_read_recap(&w->ref, "again.csv", ok, strlen(ok), NULL, &w->rows, w->err, 512), 1);
    assert_int_equal(kpu_rows_check_unique(&w->rows, w->err, 512), -1);
    assert_string_equal(w->err, "again.csv:2: gub-62 62.01 again (first in r.csv:2)");
}

static void test_kpu_figures_and_differs(void **state)
{
    (void)state;
    struct registry reg;
    fixture_registry(&reg);
    struct kpu k;
    assert_int_equal(kpu_init(&k, &reg), 0);
    int gub = registry_contest(&reg, "gub-62", 6)->index;
    int32_t tps = fixture_find(&reg, "62.01.01.1011.001"), kab = fixture_find(&reg, "62.01");
    int64_t votes[2] = {60, 40};
    assert_int_equal(kpu_add(&k, gub, tps, false, votes, 100, 3), 0);
    assert_int_equal(kpu_add(&k, gub, tps, false, votes, 100, 3), SU_INVAL); /* twice */
    assert_int_equal(kpu_add(&k, gub, kab, true, votes, -1, -1), 0);
    const struct kpu_contest *kc = &k.contests[gub];
    assert_int_equal(kc->nodes[kab - kc->base].tps, 1);
    assert_int_equal(kc->nodes[kab - kc->base].valid, 100);
    assert_int_equal(kc->n_recaps, 1);
    struct form_counts counts = {.valid = 100, .invalid = 3, .total = 103};
    uint16_t same[2] = {60, 40}, other[2] = {61, 39};
    struct tps_state s = {.counts = &counts, .votes = same};
    assert_false(kpu_tps_differs(&k, gub, tps, &s));
    s.votes = other;
    assert_true(kpu_tps_differs(&k, gub, tps, &s));
    s.counts = NULL; /* nothing counted: nothing to differ */
    assert_false(kpu_tps_differs(&k, gub, tps, &s));
    kpu_free(&k);
    registry_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_candidate_list_maps_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_tps_file_is_not_a_candidate_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpublished_tps_is_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_problems_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recap_csv, setup, teardown),
        cmocka_unit_test(test_kpu_figures_and_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
