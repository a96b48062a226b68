/* The cJSON scratch arena (domain/json.c): a tree parsed while it is open
 * lives in it, one too large for it spills to the heap and is still whole,
 * and arenas nest. Under ASan, a free() of arena memory would be reported. */
#include "domain/json.h"

#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static bool inside(const void *p, const void *mem, size_t size)
{
    return (uintptr_t)p >= (uintptr_t)mem && (uintptr_t)p < (uintptr_t)mem + size;
}

static void test_tree_lives_in_the_arena(void **state)
{
    alignas(max_align_t) char mem[4096];
    struct json_arena a;
    json_arena_begin(&a, mem, sizeof mem);
    cJSON *root = cJSON_Parse("{\"tps\": \"62.01.01.2001.001\", \"valid\": [1, 2, 3]}");
    assert_non_null(root);
    assert_true(inside(root, mem, sizeof mem));
    cJSON *tps = cJSON_GetObjectItemCaseSensitive(root, "tps");
    assert_true(inside(tps->valuestring, mem, sizeof mem));
    assert_string_equal(tps->valuestring, "62.01.01.2001.001");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "valid")), 3);
    size_t used = a.used;
    assert_true(used > 0 && used % alignof(max_align_t) == 0);
    cJSON_Delete(root); /* frees nothing: the arena goes at end */
    assert_int_equal(a.used, used);
    json_arena_end(&a);
}

static void test_full_arena_spills_to_the_heap(void **state)
{
    alignas(max_align_t) char mem[256];
    char text[4096];
    int n = snprintf(text, sizeof text, "[");
    for (int i = 0; i < 200; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s%d", i ? "," : "", i);
    snprintf(text + n, sizeof text - (size_t)n, "]");
    struct json_arena a;
    json_arena_begin(&a, mem, sizeof mem);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(root), 200);
    assert_int_equal(cJSON_GetArrayItem(root, 199)->valueint, 199);
    assert_false(inside(cJSON_GetArrayItem(root, 199), mem, sizeof mem));
    assert_true(a.used <= a.size);
    cJSON_Delete(root); /* the heap's nodes freed, the arena's left */
    json_arena_end(&a);
}

static void test_arenas_nest_and_the_heap_comes_back(void **state)
{
    alignas(max_align_t) char outer_mem[1024], inner_mem[1024];
    struct json_arena outer, inner;
    json_arena_begin(&outer, outer_mem, sizeof outer_mem);
    cJSON *o = cJSON_Parse("{\"a\": 1}");
    json_arena_begin(&inner, inner_mem, sizeof inner_mem);
    cJSON *i = cJSON_Parse("{\"b\": 2}");
    assert_true(inside(i, inner_mem, sizeof inner_mem));
    cJSON_Delete(o); /* the outer arena's tree, freed while the inner is open */
    cJSON_Delete(i);
    json_arena_end(&inner);
    json_arena_end(&outer);
    cJSON *heap = cJSON_Parse("{\"c\": 3}");
    assert_false(inside(heap, outer_mem, sizeof outer_mem));
    assert_false(inside(heap, inner_mem, sizeof inner_mem));
    cJSON_Delete(heap);
}

int main(void)
{
    json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_lives_in_the_arena),
        cmocka_unit_test(test_full_arena_spills_to_the_heap),
        cmocka_unit_test(test_arenas_nest_and_the_heap_comes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
