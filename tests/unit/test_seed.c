/* The seed check (server/domain/seed.c, seed_contests.c) on a tiny in-memory
 * folder: a good one builds the expected model; each broken variant changes
 * one file and must report exactly the expected FILE:LINE: message lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "domain/seed.h"

#include <stdio.h>
#include <string.h>

#define PROVINSI "code,name\n62,Kalimantan Tengah\n"
#define KABUPATEN "code,name\n62.01,Kotawaringin Barat\n62.02,Kotawaringin Timur\n"
#define KECAMATAN "code,kabupaten_code,name\n62.01.01,62.01,Kumai\n62.02.01,62.02,Mentaya\n"
#define DESA                                                                                       \
    "code,kecamatan_code,name,kind\n62.01.01.1011,62.01.01,Candi,kelurahan\n"                      \
    "62.02.01.2001,62.02.01,Baamang,desa\n"
#define TPS                                                                                        \
    "code,desa_code,number,dpt\n62.01.01.1011.001,62.01.01.1011,1,501\n"                           \
    "62.01.01.1011.002,62.01.01.1011,2,478\n62.02.01.2001.001,62.02.01.2001,1,300\n"
#define GUB                                                                                        \
    "{\"id\": \"gub-62\", \"kind\": \"gubernur\", \"region\": \"62\", \"title\": \"Pilgub\","      \
    " \"candidates\": [{\"number\": 1, \"head\": \"A\", \"deputy\": \"a\"},"                       \
    " {\"number\": 2, \"head\": \"B\", \"deputy\": \"b\", \"verified\": false}]}"
#define BUP                                                                                        \
    "{\"id\": \"bup-62.01\", \"kind\": \"bupati\", \"region\": \"62.01\", \"title\": \"Pilbup\","  \
    " \"candidates\": [{\"number\": 1, \"head\": \"C\", \"deputy\": \"\"}]}"
#define CONTESTS(max, list) "{" max "\"contests\": [" list "]}"
#define MAX600 "\"max_dpt_per_tps\": 600, "

/* The good folder, indexed like seed_check's files. */
static const char *const good[SEED_NFILES] = {
    CONTESTS(MAX600, GUB ", " BUP), PROVINSI, KABUPATEN, KECAMATAN, DESA, TPS};

struct run {
    struct seed s;
    char path[SEED_NFILES][64];
    struct buf log; /* every report, one "FILE:LINE: message" per line */
};

/* Renders a report as the CLI prints it; summary notes are marked "~ ". */
static void collect(void *ctx, const struct seed_report *r)
{
    struct buf *log = ctx;
    if (r->line > 0)
        buf_printf(log, "%s%s:%ld: %s\n", r->summary ? "~ " : "", r->file, r->line, r->message);
    else
        buf_printf(log, "%s%s: %s\n", r->summary ? "~ " : "", r->file, r->message);
}

/* Describes the good folder, with file `which` (if >= 0) holding `text`. */
static void folder(struct run *r, struct seed_file *files, int which, const char *text)
{
    for (int i = 0; i < SEED_NFILES; i++) {
        snprintf(r->path[i], sizeof r->path[i], "t/x_%s", seed_file_suffix(i));
        const char *data = i == which ? text : good[i];
        files[i] = (struct seed_file){.path = r->path[i], .data = data, .len = strlen(data)};
    }
}

/* Checks the files and returns the report log ("" when there is none). */
static const char *check(struct run *r, const struct seed_file *files)
{
    buf_init(&r->log, 1 << 20);
    seed_init(&r->s, collect, &r->log);
    assert_int_equal(seed_check(&r->s, files), SU_OK);
    return r->log.data ? r->log.data : "";
}

static const char *run_check(struct run *r, int which, const char *text)
{
    struct seed_file files[SEED_NFILES];
    folder(r, files, which, text);
    return check(r, files);
}

static void run_free(struct run *r)
{
    seed_free(&r->s);
    buf_free(&r->log);
}

/* Replaces one file, expects exactly `want` and `problems` problems. */
static void expect(int which, const char *text, const char *want, int problems)
{
    struct run r;
    assert_string_equal(run_check(&r, which, text), want);
    assert_int_equal(r.s.problems, problems);
    run_free(&r);
}

static void test_good_folder(void **state)
{
    struct run r;
    assert_string_equal(run_check(&r, -1, NULL), "");
    const struct seed *s = &r.s;
    assert_int_equal(s->problems, 0);
    assert_int_equal(s->unchecked, 0);
    assert_int_equal(s->count[LEVEL_PROVINCE], 1);
    assert_int_equal(s->count[LEVEL_KABUPATEN], 2);
    assert_int_equal(s->count[LEVEL_KECAMATAN], 2);
    assert_int_equal(s->count[LEVEL_DESA], 2);
    assert_int_equal(s->count[LEVEL_TPS], 3);
    assert_int_equal(s->n_regions, 7);
    assert_string_equal(s->regions[0].code, "62");
    assert_string_equal(s->regions[0].parent, "");
    assert_string_equal(s->regions[4].code, "62.02.01");
    assert_string_equal(s->regions[4].parent, "62.02");
    assert_int_equal(s->regions[4].level, LEVEL_KECAMATAN);
    assert_string_equal(s->regions[6].name, "Baamang");
    assert_int_equal(s->n_tps, 3);
    assert_string_equal(s->tps[1].code, "62.01.01.1011.002");
    assert_string_equal(s->tps[1].desa, "62.01.01.1011");
    assert_int_equal(s->tps[1].number, 2);
    assert_int_equal(s->tps[1].dpt, 478);
    assert_int_equal(s->n_contests, 2);
    assert_string_equal(s->contests[1].id, "bup-62.01");
    assert_string_equal(s->contests[1].region, "62.01");
    assert_string_equal(s->contests[1].title, "Pilbup");
    assert_int_equal(s->n_candidates, 3);
    assert_string_equal(s->candidates[0].contest, "gub-62");
    assert_true(s->candidates[0].verified); /* the default */
    assert_false(s->candidates[1].verified);
    assert_int_equal(s->candidates[2].number, 1);
    assert_string_equal(s->candidates[2].head, "C");
    assert_string_equal(s->candidates[2].deputy, "");
    run_free(&r);
}

static void test_orphan_kecamatan(void **state)
{
    /* its kabupaten is missing altogether: reported row by row */
    expect(LEVEL_KECAMATAN, KECAMATAN "62.03.01,62.03,Lonely\n",
           "t/x_kecamatan.csv:4: kabupaten 62.03 of 62.03.01 is not in x_kabupaten.csv\n", 1);
    /* its kabupaten was rejected: a summary note instead of a report per
     * row; the level below is reported again, since skipped rows are not
     * rejected ones */
    struct run r;
    assert_string_equal(
        run_check(&r, LEVEL_KABUPATEN, "code,name\n62.01,Kotawaringin Barat\n62.02, Timur\n"),
        "t/x_kabupaten.csv:3: name has leading or trailing spaces\n"
        "~ t/x_kecamatan.csv: 1 more row not checked: its kabupaten was rejected above\n"
        "t/x_desa.csv:3: kecamatan 62.02.01 of 62.02.01.2001 is not in x_kecamatan.csv\n"
        "~ t/x_tps.csv: 1 more row not checked: its desa was rejected above\n");
    assert_int_equal(r.s.problems, 2);
    assert_int_equal(r.s.unchecked, 2);
    assert_int_equal(r.s.count[LEVEL_KECAMATAN], 1);
    run_free(&r);
}

static void test_duplicate_code(void **state)
{
    expect(LEVEL_DESA, DESA "62.01.01.1011,62.01.01,Candi Lagi,desa\n",
           "t/x_desa.csv:4: duplicate code 62.01.01.1011 (first on line 2)\n", 1);
}

static void test_tps_number_disagrees(void **state)
{
    expect(LEVEL_TPS, "code,desa_code,number,dpt\n62.01.01.1011.002,62.01.01.1011,3,478\n",
           "t/x_tps.csv:2: number '3' does not match the TPS code 62.01.01.1011.002\n", 1);
}

static void test_dpt_out_of_range(void **state)
{
    expect(LEVEL_TPS, "code,desa_code,number,dpt\n62.01.01.1011.001,62.01.01.1011,1,601\n",
           "t/x_tps.csv:2: dpt '601' is not a whole number from 0 to 600\n", 1);
    /* without max_dpt_per_tps the schema's bound applies */
    struct run r;
    struct seed_file files[SEED_NFILES];
    folder(&r, files, LEVEL_TPS,
           "code,desa_code,number,dpt\n62.01.01.1011.001,62.01.01.1011,1,9999\n"
           "62.01.01.1011.002,62.01.01.1011,2,10000\n");
    const char *no_max = CONTESTS("", GUB);
    files[SEED_CONTESTS].data = no_max;
    files[SEED_CONTESTS].len = strlen(no_max);
    assert_string_equal(check(&r, files),
                        "t/x_tps.csv:3: dpt '10000' is not a whole number from 0 to 9999\n");
    assert_int_equal(r.s.n_tps, 1);
    assert_int_equal(r.s.tps[0].dpt, 9999);
    run_free(&r);
}

static void test_contest_over_unknown_region(void **state)
{
    expect(SEED_CONTESTS,
           CONTESTS(MAX600, GUB ", {\"id\": \"bup-62.09\", \"kind\": \"bupati\", \"region\": "
                                "\"62.09\", \"title\": \"T\", \"candidates\": []}"),
           "t/x_contests.json: contests[1] (bup-62.09): region '62.09' is not a region of this "
           "seed\n",
           1);
}

static void test_duplicate_candidate_numbers(void **state)
{
    expect(SEED_CONTESTS,
           CONTESTS(MAX600, "{\"id\": \"gub-62\", \"kind\": \"gubernur\", \"region\": \"62\","
                            " \"title\": \"Pilgub\", \"candidates\": ["
                            "{\"number\": 1, \"head\": \"A\", \"deputy\": \"a\"},"
                            "{\"number\": 1, \"head\": \"B\", \"deputy\": \"b\"}]}"),
           "t/x_contests.json: contests[0] (gub-62).candidates[1]: number 1 appears twice\n", 1);
}

static void test_bad_contest_id_prefix(void **state)
{
    expect(SEED_CONTESTS,
           CONTESTS(MAX600, BUP ", {\"id\": \"pil-62\", \"kind\": \"gubernur\", \"region\": \"62\","
                                " \"title\": \"Pilgub\", \"candidates\": ["
                                "{\"number\": 1, \"head\": \"A\", \"deputy\": \"a\"}]}"),
           "t/x_contests.json: contests[1] (pil-62): the id must be gub-, dpr-, dpd- or dprdp- (a "
           "province), or bup-, wal- or dprdk- (a kabupaten/kota), followed "
           "by the region (62)\n",
           1);
}

/* Pemilu's legislatures: dpr-/dpd-/dprdp- on a province, dprdk- on a
 * kabupaten/kota; the wrong level is refused by name. */
static void test_pemilu_contest_kinds(void **state)
{
    expect(SEED_CONTESTS,
           CONTESTS(MAX600,
                    GUB ", {\"id\": \"dpr-62\", \"kind\": \"dpr\", \"region\": \"62\","
                        " \"title\": \"DPR\", \"candidates\": ["
                        "{\"number\": 1, \"head\": \"A\", \"deputy\": \"a\"}]}"
                        ", {\"id\": \"dprdk-62.01\", \"kind\": \"dprdk\", \"region\": \"62.01\","
                        " \"title\": \"DPRD\", \"candidates\": ["
                        "{\"number\": 1, \"head\": \"A\", \"deputy\": \"a\"}]}"
                        ", {\"id\": \"dprdk-62\", \"kind\": \"dprdk\", \"region\": \"62\","
                        " \"title\": \"DPRD\", \"candidates\": ["
                        "{\"number\": 1, \"head\": \"A\", \"deputy\": \"a\"}]}"),
           "t/x_contests.json: contests[3] (dprdk-62): a dprdk- contest belongs to a "
           "kabupaten/kota, not a province\n",
           1);
}

/* A file the caller could not open, or could read only in part. */
static void test_unreadable_files(void **state)
{
    struct run r;
    struct seed_file files[SEED_NFILES];
    folder(&r, files, LEVEL_DESA,
           "code,kecamatan_code,name,kind\n62.01.01.1011,62.01.01,Candi,kelurahan\n");
    files[LEVEL_DESA].read_error = "Input/output error";
    files[SEED_CONTESTS] = (struct seed_file){.path = r.path[0], .error = "cannot open: gone"};
    assert_string_equal(check(&r, files),
                        "t/x_contests.json: cannot open: gone\n"
                        "t/x_desa.csv:3: Input/output error\n"
                        "~ t/x_tps.csv: 1 more row not checked: its desa was rejected above\n");
    assert_int_equal(r.s.problems, 2);
    assert_int_equal(r.s.count[LEVEL_DESA], 1);
    assert_int_equal(r.s.count[LEVEL_TPS], 2);
    assert_int_equal(r.s.n_contests, 0);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_folder),
        cmocka_unit_test(test_orphan_kecamatan),
        cmocka_unit_test(test_duplicate_code),
        cmocka_unit_test(test_tps_number_disagrees),
        cmocka_unit_test(test_dpt_out_of_range),
        cmocka_unit_test(test_contest_over_unknown_region),
        cmocka_unit_test(test_duplicate_candidate_numbers),
        cmocka_unit_test(test_bad_contest_id_prefix),
        cmocka_unit_test(test_pemilu_contest_kinds),
        cmocka_unit_test(test_unreadable_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
