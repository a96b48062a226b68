/* The registry: preorder layout, parent links, subtree ranges and lookups. */
#include "fixture.h"

#include <string.h>

static void test_preorder_and_links(void **state)
{
    struct registry r;
    fixture_registry(&r);
    assert_int_equal(r.n_regions, 10);
    assert_string_equal(r.regions[0].code, "62");
    for (int32_t i = 1; i < r.n_regions; i++)
        assert_true(strcmp(r.regions[i - 1].code, r.regions[i].code) < 0);
    int32_t prov = fixture_find(&r, "62"), kab = fixture_find(&r, "62.01");
    int32_t tps = fixture_find(&r, "62.01.01.1011.002");
    assert_int_equal(r.regions[prov].end, r.n_regions);
    assert_int_equal(r.regions[kab].parent, prov);
    assert_int_equal(r.regions[prov].n_children, 2);
    assert_int_equal(r.regions[prov].n_tps, 3);
    assert_int_equal(r.regions[kab].n_tps, 2);
    assert_int_equal(r.regions[kab].dpt, 501 + 478);
    assert_int_equal(r.regions[tps].level, LEVEL_TPS);
    assert_true(region_contains(&r, kab, tps));
    assert_false(region_contains(&r, fixture_find(&r, "62.02"), tps));
    registry_free(&r);
}

static void test_children_in_code_order(void **state)
{
    struct registry r;
    fixture_registry(&r);
    int32_t desa = fixture_find(&r, "62.01.01.1011");
    int32_t first = r.regions[desa].first_child;
    assert_string_equal(r.regions[first].code, "62.01.01.1011.001");
    assert_string_equal(r.regions[r.regions[first].next_sibling].code, "62.01.01.1011.002");
    assert_int_equal(r.regions[r.regions[first].next_sibling].next_sibling, -1);
    registry_free(&r);
}

static void test_contests(void **state)
{
    struct registry r;
    fixture_registry(&r);
    const struct contest *g = registry_contest(&r, "gub-62", 6);
    assert_non_null(g);
    assert_int_equal(g->region, fixture_find(&r, "62"));
    assert_int_equal(g->candidates[0].number, 1); /* sorted by nomor urut */
    assert_int_equal(contest_candidate_pos(g, 2), 1);
    assert_int_equal(contest_candidate_pos(g, 3), -1);
    assert_null(registry_contest(&r, "gub-63", 6));
    assert_int_equal(registry_add_candidate(&r, "gub-62", 1, "dup", "dup"), SU_INVAL);
    registry_free(&r);
}

static void test_orphan_and_duplicate_rejected(void **state)
{
    char err[128];
    struct registry r;
    registry_init(&r);
    registry_add_region(&r, "62", "P", 0);
    registry_add_region(&r, "62.01.01", "orphan", 0);
    assert_int_not_equal(registry_finish(&r, err, sizeof err), 0);
    assert_non_null(strstr(err, "62.01.01"));
    registry_free(&r);

    registry_init(&r);
    registry_add_region(&r, "62", "P", 0);
    registry_add_region(&r, "62", "P again", 0);
    assert_int_not_equal(registry_finish(&r, err, sizeof err), 0);
    assert_non_null(strstr(err, "duplicate"));
    registry_free(&r);

    registry_init(&r);
    assert_int_not_equal(registry_add_region(&r, "62.1", "bad code", 0), 0);
    registry_add_region(&r, "62", "P", 0);
    registry_add_contest(&r, "gub-63", "gubernur", "63", "nowhere");
    assert_int_not_equal(registry_finish(&r, err, sizeof err), 0);
    assert_non_null(strstr(err, "gub-63"));
    registry_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preorder_and_links),
        cmocka_unit_test(test_children_in_code_order),
        cmocka_unit_test(test_contests),
        cmocka_unit_test(test_orphan_and_duplicate_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
