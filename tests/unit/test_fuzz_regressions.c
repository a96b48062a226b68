/* Replays the fuzzers' inputs in the ordinary unit-test run (gcc, no
 * libFuzzer): every file of tests/fuzz/corpus/<target>/ and every input below
 * goes through the same entry point and invariants as the fuzz target, which
 * abort on a broken invariant; under the sanitizer build (dev.sh test) memory
 * errors are caught too.
 *
 * A crash found by tests/fuzz/run.sh becomes a regression here: add the
 * input to tests/fuzz/corpus/<target>/ AND to the table of its target below,
 * with a comment naming what it broke. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define FUZZ_FORM_ENTRY fuzz_form_one
#include "../fuzz/fuzz_form.c"
#define FUZZ_LIVE_ENTRY fuzz_live_one
#include "../fuzz/fuzz_live_message.c"
#define FUZZ_COPY_ENTRY fuzz_copy_one
#include "../fuzz/fuzz_copy.c"
#define FUZZ_HTTP_HEAD_ENTRY fuzz_http_head_one
#include "../fuzz/fuzz_http_head.c"
#define FUZZ_IMAGE_ENTRY fuzz_image_one
#include "../fuzz/fuzz_image.c"
#define FUZZ_KPU_ENTRY fuzz_kpu_one
#include "../fuzz/fuzz_kpu.c"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CORPUS_DIR SUARA_SOURCE_DIR "/tests/fuzz/corpus/"

struct regression {
    const char *what;
    const char *data;
    size_t len; /* 0: strlen(data) */
};

/* Inputs that once broke a target, or that sit on an edge worth keeping. */
static const struct regression form_regressions[] = {
    {"body without a terminator, cut inside a number", "{\"valid\": 30", 0},
    {"escaped NUL inside a key", "{\"a\\u0000b\": 1}", 0},
    {"lone high surrogate", "{\"\\ud800\": 1}", 0},
    {"1e-400 underflows to 0", "{\"valid\": 1e-400}", 0},
    {"a raw NUL byte inside the body", "{\"valid\"\0: 1}", 13},
    {"a key of 60 two-byte characters",
     "{\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\": 1}",
     0},
};

static const struct regression live_regressions[] = {
    {"frame without a terminator", "{\"type\":\"subscribe\",\"contest\":\"gub-62\",\"region\":\"62",
     0},
    {"NUL inside the region",
     "{\"type\":\"subscribe\",\"contest\":\"gub-62\",\"region\":\"62\\u0000\"}", 0},
};

static const struct regression copy_regressions[] = {
    {"a lone backslash at the end of the line",
     "\x02"
     "abc\\",
     0},
    {"\\N followed by more text",
     "\x04"
     "\\Nx\t\\N",
     0},
    {"field limit reached exactly",
     "\x02"
     "a\tb",
     0},
};

static const struct regression http_head_regressions[] = {
    {"a blank line cut after its first CRLF", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r", 0},
    {"a header line without its LF", "HTTP/1.1 200 OK\rX: y\r\n\r\n", 0},
};

static void replay_table(int (*entry)(const uint8_t *, size_t), const struct regression *t,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = t[i].len ? t[i].len : strlen(t[i].data);
        assert_int_equal(entry((const uint8_t *)t[i].data, len), 0);
    }
}

/* Every file of the target's corpus; returns how many. */
static int replay_corpus(const char *target, int (*entry)(const uint8_t *, size_t))
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s%s", CORPUS_DIR, target);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open the corpus %s", dir);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t *data = malloc((size_t)st.st_size + 1);
        assert_non_null(data);
        size_t len = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        assert_int_equal(len, (size_t)st.st_size);
        assert_int_equal(entry(data, len), 0);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

static void test_form_corpus(void **state)
{
    (void)state;
    assert_true(replay_corpus("fuzz_form", fuzz_form_one) >= 20);
    replay_table(fuzz_form_one, form_regressions,
                 sizeof form_regressions / sizeof form_regressions[0]);
}

static void test_live_corpus(void **state)
{
    (void)state;
    assert_true(replay_corpus("fuzz_live_message", fuzz_live_one) >= 10);
    replay_table(fuzz_live_one, live_regressions,
                 sizeof live_regressions / sizeof live_regressions[0]);
}

static void test_copy_corpus(void **state)
{
    (void)state;
    assert_true(replay_corpus("fuzz_copy", fuzz_copy_one) >= 10);
    replay_table(fuzz_copy_one, copy_regressions,
                 sizeof copy_regressions / sizeof copy_regressions[0]);
}

static void test_http_head_corpus(void **state)
{
    (void)state;
    assert_true(replay_corpus("fuzz_http_head", fuzz_http_head_one) >= 3);
    replay_table(fuzz_http_head_one, http_head_regressions,
                 sizeof http_head_regressions / sizeof http_head_regressions[0]);
}

static void test_image_corpus(void **state)
{
    (void)state;
    assert_true(replay_corpus("fuzz_image", fuzz_image_one) >= 10);
}

static void test_kpu_corpus(void **state)
{
    (void)state;
    assert_true(replay_corpus("fuzz_kpu", fuzz_kpu_one) >= 10);
}

/* The seed corpus's valid forms really are valid: the invariants above are
 * only as good as the inputs that reach the deep stages. */
static void test_form_seeds_reach_the_checks(void **state)
{
    (void)state;
    static const char *const valid[] = {"valid_gub.json", "valid_bup_gap.json", "valid_photo.json"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%sfuzz_form/%s", CORPUS_DIR, valid[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char buf[4096];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        struct form_input in;
        struct form_problems p;
        assert_int_equal(form_decode(buf, len, &in, &p), FORM_DECODED);
        struct form_resolved res;
        assert_true(form_resolve(form_registry(), &in, &res, &p));
        uint32_t checks = form_checks(&in.counts, res.votes, res.contest->n_candidates,
                                      form_registry()->regions[res.tps].dpt);
        assert_false(form_checks_hold(checks));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_corpus),  cmocka_unit_test(test_live_corpus),
        cmocka_unit_test(test_copy_corpus),  cmocka_unit_test(test_http_head_corpus),
        cmocka_unit_test(test_image_corpus), cmocka_unit_test(test_form_seeds_reach_the_checks),
        cmocka_unit_test(test_kpu_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
