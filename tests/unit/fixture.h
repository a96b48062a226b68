/* A small election for unit tests: province 62 with two kabupaten, a few
 * TPS, a governor contest over the province and a regent contest over 62.01.
 * Header-only so every test binary builds it the same way. */
#ifndef SUARA_TEST_FIXTURE_H
#define SUARA_TEST_FIXTURE_H

#include "core/err.h"
#include "domain/registry.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static inline void fixture_registry(struct registry *r)
{
    char err[128];
    registry_init(r);
    /* Deliberately out of order: registry_finish must sort. */
    assert_int_equal(registry_add_region(r, "62.02.01.2001.001", "TPS 001", 300), 0);
    assert_int_equal(registry_add_region(r, "62", "Kalimantan Tengah", 0), 0);
    assert_int_equal(registry_add_region(r, "62.01", "Kotawaringin Barat", 0), 0);
    assert_int_equal(registry_add_region(r, "62.01.01", "Kumai", 0), 0);
    assert_int_equal(registry_add_region(r, "62.01.01.1011", "Candi", 0), 0);
    assert_int_equal(registry_add_region(r, "62.01.01.1011.001", "TPS 001", 501), 0);
    assert_int_equal(registry_add_region(r, "62.01.01.1011.002", "TPS 002", 478), 0);
    assert_int_equal(registry_add_region(r, "62.02", "Kotawaringin Timur", 0), 0);
    assert_int_equal(registry_add_region(r, "62.02.01", "Mentaya", 0), 0);
    assert_int_equal(registry_add_region(r, "62.02.01.2001", "Desa", 0), 0);
    assert_int_equal(registry_add_contest(r, "gub-62", "gubernur", "62", "Pilgub"), 0);
    assert_int_equal(registry_add_contest(r, "bup-62.01", "bupati", "62.01", "Pilbup"), 0);
    assert_int_equal(registry_add_candidate(r, "gub-62", 2, "B", "b"), 0);
    assert_int_equal(registry_add_candidate(r, "gub-62", 1, "A", "a"), 0);
    assert_int_equal(registry_add_candidate(r, "bup-62.01", 1, "C", "c"), 0);
    assert_int_equal(registry_add_candidate(r, "bup-62.01", 2, "D", "d"), 0);
    assert_int_equal(registry_add_candidate(r, "bup-62.01", 3, "E", "e"), 0);
    assert_int_equal(registry_finish(r, err, sizeof err), 0);
}

static inline int32_t fixture_find(const struct registry *r, const char *code)
{
    int32_t i = registry_find(r, code, strlen(code));
    assert_true(i >= 0);
    return i;
}

#endif
