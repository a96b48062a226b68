/* domain/view.c: the JSON and CSV the API sends, from a registry and tallies
 * that one counted form moved: errors, regions, tally nodes, a receipt, the
 * CSV export. Exact texts where the shape is the contract's. */
#include "domain/ledger.h"
#include "domain/view.h"
#include "fixture.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

struct world {
    struct registry reg;
    struct tallies t;
    struct ledger l;
    int gub;
    int32_t tps;
    struct form *form;
    struct op *op;
};

/* One counted gub-62 form at 62.01.01.1011.001: 120 and 80 votes. */
static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    fixture_registry(&w->reg);
    assert_int_equal(tallies_init(&w->t, &w->reg), 0);
    assert_int_equal(ledger_init(&w->l, &w->reg, &w->t), 0);
    w->gub = registry_contest(&w->reg, "gub-62", 6)->index;
    w->tps = fixture_find(&w->reg, "62.01.01.1011.001");
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-view");
    in.counts.registered[ROW_DPT][SEX_M] = 250;
    in.counts.registered[ROW_DPT][SEX_F] = 251;
    in.counts.voted[ROW_DPT][SEX_M] = 100;
    in.counts.voted[ROW_DPT][SEX_F] = 105;
    in.counts.valid = 200;
    in.counts.invalid = 5;
    in.counts.total = 205;
    struct form_resolved res = {.tps = w->tps, .contest = &w->reg.contests[w->gub]};
    res.votes[0] = 120;
    res.votes[1] = 80;
    w->form = form_new(&in, &res, 0, 4, 1700000000000);
    assert_non_null(w->form);
    ledger_track(&w->l, w->form);
    w->op = calloc(1, sizeof *w->op);
    w->op->kind = OP_FORM;
    w->op->form = w->form;
    w->form->pending_op = w->op;
    ledger_decide_form(&w->l, w->op);
    ledger_commit(&w->l, w->op);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    ledger_free(&w->l);
    tallies_free(&w->t);
    registry_free(&w->reg);
    free(w->op);
    free(w);
    return 0;
}

static void test_error(void **state)
{
    (void)state;
    char *s = view_error("unknown_tps", "no TPS \"62.99\"", NULL);
    assert_string_equal(s, "{\"error\":{\"code\":\"unknown_tps\",\"message\":\"no TPS "
                           "\\\"62.99\\\"\",\"details\":[]}}");
    free(s);
}

static void test_region(void **state)
{
    struct world *w = *state;
    char *s = view_region(&w->reg, fixture_find(&w->reg, "62.01.01"));
    assert_string_equal(s, "{\"code\":\"62.01.01\",\"name\":\"Kumai\",\"level\":\"kecamatan\","
                           "\"parent\":\"62.01\",\"tps_count\":2,\"dpt\":979,"
                           "\"path\":[{\"code\":\"62\",\"name\":\"Kalimantan Tengah\",\"level\":"
                           "\"province\"},{\"code\":\"62.01\",\"name\":\"Kotawaringin Barat\","
                           "\"level\":\"kabupaten\"}],\"children\":[{\"code\":\"62.01.01.1011\","
                           "\"name\":\"Candi\",\"level\":\"desa\"}]}");
    free(s);
    s = view_region(&w->reg, fixture_find(&w->reg, "62"));
    cJSON *o = cJSON_Parse(s);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "parent")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "children")), 2);
    cJSON_Delete(o);
    free(s);
}

static double num(const cJSON *o, const char *path1, const char *path2)
{
    const cJSON *v = cJSON_GetObjectItem(o, path1);
    if (path2)
        v = cJSON_GetObjectItem(v, path2);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void test_tally_node(void **state)
{
    struct world *w = *state;
    cJSON *o = view_tally_node("snapshot", &w->t, w->gub, fixture_find(&w->reg, "62"), -1);
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "snapshot");
    assert_string_equal(cJSON_GetObjectItem(o, "contest")->valuestring, "gub-62");
    assert_string_equal(cJSON_GetObjectItem(o, "region")->valuestring, "62");
    assert_int_equal(num(o, "votes", "1"), 120);
    assert_int_equal(num(o, "votes", "2"), 80);
    assert_int_equal(num(o, "valid", NULL), 200);
    assert_int_equal(num(o, "invalid", NULL), 5);
    assert_int_equal(num(o, "voted", NULL), 205);
    assert_int_equal(num(o, "tps", "total"), 3);
    assert_int_equal(num(o, "tps", "counted"), 1);
    assert_int_equal(num(o, "seq", NULL), (double)w->form->seq);
    /* the children: 62.01 moved, 62.02 did not */
    cJSON *children = cJSON_GetObjectItem(o, "children");
    assert_int_equal(cJSON_GetArraySize(children), 2);
    assert_int_equal(num(cJSON_GetArrayItem(children, 0), "votes", "1"), 120);
    assert_int_equal(num(cJSON_GetArrayItem(children, 1), "votes", "1"), 0);
    cJSON_Delete(o);
    /* only children changed after a seq are listed when asked */
    o = view_tally_node(NULL, &w->t, w->gub, fixture_find(&w->reg, "62"), w->form->seq);
    assert_null(cJSON_GetObjectItem(o, "type"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "children")), 0);
    cJSON_Delete(o);
}

static void test_receipt(void **state)
{
    struct world *w = *state;
    char *s = view_receipt(&w->reg, w->form);
    cJSON *o = cJSON_Parse(s);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring, "counted");
    assert_string_equal(cJSON_GetObjectItem(o, "tps")->valuestring, "62.01.01.1011.001");
    assert_string_equal(cJSON_GetObjectItem(o, "submission_id")->valuestring, "sid-view");
    assert_string_equal(cJSON_GetObjectItem(o, "received_at")->valuestring,
                        "2023-11-14T22:13:20.000Z");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "checks")), 0);
    assert_int_equal(strlen(cJSON_GetObjectItem(o, "receipt")->valuestring), 64);
    assert_null(cJSON_GetObjectItem(o, "suggestions")); /* only a held form has them */
    cJSON_Delete(o);
    free(s);
}

/* The receipt is written straight into text (view.c): its bytes must be
 * exactly what cJSON prints for the same tree, for a form with checks of
 * both severities, a confirmation and an amendment whose reason needs every
 * kind of escape. */
static void assert_as_cjson_prints(const char *s)
{
    cJSON *o = cJSON_Parse(s);
    assert_non_null(o);
    char *again = cJSON_PrintUnformatted(o);
    assert_string_equal(s, again);
    free(again);
    cJSON_Delete(o);
}

static void test_receipt_bytes_are_cjsons(void **state)
{
    struct world *w = *state;
    char *s = view_receipt(&w->reg, w->form);
    assert_as_cjson_prints(s);
    free(s);
    struct form *f = w->form;
    uint32_t checks = f->checks;
    enum form_status outcome = f->outcome;
    int64_t confirms = f->confirms;
    f->checks = 1u << CHECK_VALID_SUM | 1u << WARN_INVALID_SHARE;
    f->outcome = FS_CONFIRMATION;
    f->confirms = 7;
    static char reason[] = "say \"why\" \\ line\nbreak\ttab\x01 d\xc3\xa9j\xc3\xa0 /";
    f->amendment = reason;
    s = view_receipt(&w->reg, f);
    assert_as_cjson_prints(s);
    cJSON *o = cJSON_Parse(s);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(o, "amendment"), "reason")->valuestring,
        f->amendment);
    assert_int_equal(cJSON_GetObjectItem(o, "confirms")->valueint, 7);
    cJSON *list = cJSON_GetObjectItem(o, "checks");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "severity")->valuestring,
                        "warning");
    cJSON_Delete(o);
    free(s);
    f->amendment = NULL;
    f->checks = checks;
    f->outcome = outcome;
    f->confirms = confirms;
}

static void test_export_csv(void **state)
{
    struct world *w = *state;
    char text[1024];
    struct buf out;
    buf_init_fixed(&out, text, sizeof text);
    assert_int_equal(view_export_csv(&w->t, w->gub, LEVEL_DESA, &out), 0);
    assert_int_equal(buf_error(&out), 0);
    static const char want[] =
        "code,name,tps_total,tps_counted,registered,voted,valid,invalid,votes_1,votes_2\r\n"
        "62.01.01.1011,\"Candi\",2,1,501,205,200,5,120,80\r\n"
        "62.02.01.2001,\"Desa\",1,0,0,0,0,0,0,0\r\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.data, want, out.len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error),
        cmocka_unit_test_setup_teardown(test_region, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tally_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt_bytes_are_cjsons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_csv, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
