/* Which file answers a path of the web client (net/files.c), on a real
 * temporary folder: assets by extension, views falling back to index.html,
 * and what is never served. */
#include "net/files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    assert_true(files_resolve(root, url, &a));
    snprintf(want, sizeof want, "%s/%s", root, rel);
    assert_string_equal(a.path, want);
    assert_int_equal(strncmp(a.mime, mime_prefix, strlen(mime_prefix)), 0);
}

static void assert_404(const char *url)
{
    struct file_answer a;
    assert_false(files_resolve(root, url, &a));
}

static void test_assets_and_views(void **state)
{
    assert_file("/js/app.js", "js/app.js", "text/javascript");
    assert_file("/", "index.html", "text/html");
    assert_file("/saksi", "index.html", "text/html");
    assert_file("/tps/62.01.01.1011.001", "index.html", "text/html"); /* dots, but a view */
    assert_file("/c/wal-62.71", "index.html", "text/html");
    struct file_answer a;
    assert_true(files_resolve(root, "/js/app.js", &a));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assets_and_views),
        cmocka_unit_test(test_never_served),
        cmocka_unit_test(test_no_index_no_views),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
