/* Which file answers a path of the web client (net/files.c), on a real
 * temporary folder: assets by extension, views falling back to index.html,
 * what is never served, the validators and 304 rule, and the .gz twins. */
#include "net/files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    strcpy(root, "/tmp/suara-files-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/js", root);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/node_modules", root);
    mkdir(dir, 0700);
    put("index.html", "<!doctype html>");
    put("js/app.js", "export {};");
    put(".env", "secret");
    put("node_modules/x.js", "tooling");
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd);
}

static void assert_file(const char *url, const char *rel, const char *mime_prefix)
{
    struct file_answer a;
    char want[256];
    assert_true(files_resolve(root, url, false, &a));
    snprintf(want, sizeof want, "%s/%s", root, rel);
    assert_string_equal(a.path, want);
    assert_int_equal(strncmp(a.mime, mime_prefix, strlen(mime_prefix)), 0);
}

static void assert_404(const char *url)
{
    struct file_answer a;
    assert_false(files_resolve(root, url, false, &a));
}

static void test_assets_and_views(void **state)
{
    assert_file("/js/app.js", "js/app.js", "text/javascript");
    assert_file("/", "index.html", "text/html");
    assert_file("/saksi", "index.html", "text/html");
    assert_file("/tps/62.01.01.1011.001", "index.html", "text/html"); /* dots, but a view */
    assert_file("/c/wal-62.71", "index.html", "text/html");
    struct file_answer a;
    assert_true(files_resolve(root, "/js/app.js", false, &a));
    assert_int_equal(a.size, strlen("export {};"));
}

static void test_never_served(void **state)
{
    assert_404("/js/missing.js"); /* a missing asset is not a view */
    assert_404("/../etc/passwd");
    assert_404("/js/../.env");
    assert_404("/.env");
    assert_404("/node_modules/x.js");
    assert_404("no-leading-slash");
}

static void test_no_index_no_views(void **state)
{
    char saved[64];
    strcpy(saved, root);
    strcpy(root, "/nonexistent-suara-folder");
    assert_404("/");
    assert_404("/saksi");
    strcpy(root, saved);
}

/* Sets a file's modification time (seconds, nanoseconds). */
static void touch(const char *rel, time_t sec, long nsec)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_validators(void **state)
{
    touch("js/app.js", 1764576000, 5); /* Mon, 01 Dec 2025 08:00:00 GMT */
    struct file_answer a;
    assert_true(files_resolve(root, "/js/app.js", false, &a));
    assert_string_equal(a.etag, "\"a-692d4b00.5\""); /* size 10, time in hex */
    assert_string_equal(a.last_modified, "Mon, 01 Dec 2025 08:00:00 GMT");
    assert_false(a.gzip);
    assert_true(a.compressible);

    /* Any edit changes the tag, even within the same second. */
    touch("js/app.js", 1764576000, 6);
    struct file_answer b;
    assert_true(files_resolve(root, "/js/app.js", false, &b));
    assert_string_not_equal(a.etag, b.etag);
}

static void test_not_modified(void **state)
{
    touch("js/app.js", 1764576000, 5);
    struct file_answer a;
    assert_true(files_resolve(root, "/js/app.js", false, &a));
    assert_true(files_not_modified(&a, a.etag, NULL));
    assert_true(files_not_modified(&a, "\"old\", W/\"a-692d4b00.5\"", NULL)); /* listed, weak */
    assert_true(files_not_modified(&a, "*", NULL));
    assert_false(files_not_modified(&a, "\"a-692d4b00.6\"", NULL));
    assert_false(files_not_modified(&a, NULL, NULL));
    assert_false(files_not_modified(&a, "", ""));
    /* If-Modified-Since counts only without If-None-Match. */
    assert_true(files_not_modified(&a, NULL, "Mon, 01 Dec 2025 08:00:00 GMT"));
    assert_true(files_not_modified(&a, NULL, "Tue, 02 Dec 2025 08:00:00 GMT"));
    assert_false(files_not_modified(&a, NULL, "Mon, 01 Dec 2025 07:59:59 GMT"));
    assert_false(files_not_modified(&a, "\"other\"", "Tue, 02 Dec 2025 08:00:00 GMT"));
    assert_false(files_not_modified(&a, NULL, "yesterday"));
}

static void test_accepts_gzip(void **state)
{
    assert_true(files_accepts_gzip("gzip, deflate, br"));
    assert_true(files_accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    assert_true(files_accepts_gzip("*"));
    assert_false(files_accepts_gzip("gzip;q=0"));
    assert_false(files_accepts_gzip("gzip; q=0.000, br"));
    assert_false(files_accepts_gzip("identity"));
    assert_false(files_accepts_gzip("xgzip, gzipx"));
    assert_false(files_accepts_gzip(""));
    assert_false(files_accepts_gzip(NULL));
}

/* A gzip twin as gzip writes one: its header's MTIME and its trailer's
 * ISIZE name the file it was made from (the deflate data does not matter
 * here). */
static void put_twin(const char *rel, uint32_t mtime, uint32_t isize)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    unsigned char b[20] = {0x1f,
                           0x8b,
                           8,
                           0,
                           (unsigned char)mtime,
                           (unsigned char)(mtime >> 8),
                           (unsigned char)(mtime >> 16),
                           (unsigned char)(mtime >> 24),
                           2,
                           3,
                           0x03,
                           0x00,
                           0,
                           0,
                           0,
                           0,
                           (unsigned char)isize,
                           (unsigned char)(isize >> 8),
                           (unsigned char)(isize >> 16),
                           (unsigned char)(isize >> 24)};
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, sizeof b, f), sizeof b);
    fclose(f);
}

static void test_gzip_twin(void **state)
{
    touch("js/app.js", 1764576000, 5);
    put_twin("js/app.js.gz", 1764576000, 10);
    struct file_answer a;
    assert_true(files_resolve(root, "/js/app.js", true, &a));
    assert_true(a.gzip);
    assert_int_equal(a.size, 20);
    char want[256];
    snprintf(want, sizeof want, "%s/js/app.js.gz", root);
    assert_string_equal(a.path, want);
    assert_string_equal(a.mime, "text/javascript; charset=utf-8"); /* the original's type */
    assert_string_equal(a.etag, "\"a-692d4b00.5-gz\"");            /* its own representation */

    /* Not accepted: the file itself. */
    assert_true(files_resolve(root, "/js/app.js", false, &a));
    assert_false(a.gzip);
    assert_int_equal(a.size, 10);

    /* A twin made from another version of the file is never sent, however
     * new the twin looks: another time, or another size. */
    touch("js/app.js", 1764576001, 0);
    assert_true(files_resolve(root, "/js/app.js", true, &a));
    assert_false(a.gzip);
    assert_int_equal(a.size, 10);
    put_twin("js/app.js.gz", 1764576001, 11);
    assert_true(files_resolve(root, "/js/app.js", true, &a));
    assert_false(a.gzip);

    /* Not gzip at all. */
    put("js/app.js.gz", "not a gzip file at all");
    assert_true(files_resolve(root, "/js/app.js", true, &a));
    assert_false(a.gzip);

    /* Views get index.html's twin the same way. */
    touch("index.html", 1764576000, 0);
    put_twin("index.html.gz", 1764576000, (uint32_t)strlen("<!doctype html>"));
    assert_true(files_resolve(root, "/saksi", true, &a));
    assert_true(a.gzip);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assets_and_views),  cmocka_unit_test(test_never_served),
        cmocka_unit_test(test_no_index_no_views), cmocka_unit_test(test_validators),
        cmocka_unit_test(test_not_modified),      cmocka_unit_test(test_accepts_gzip),
        cmocka_unit_test(test_gzip_twin),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
