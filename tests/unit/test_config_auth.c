/* Configuration parsing (flags over environment over defaults) and the token
 * rules: lookup by hash, scope checks, the per-minute rate limit. */
#include "core/config.h"
#include "core/sha256.h"
#include "domain/auth.h"
#include "domain/qr.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

static void test_defaults_env_and_flags(void **state)
{
    struct config c;
    char err[256];
    char *env[] = {"SUARA_DB=dbname=x", "SUARA_LISTEN=0.0.0.0:9000", "SUARA_TICK_MS=100", NULL};
    char *argv[] = {"serve", "--tick-ms", "500", "--private-reads", "--batch-max=50", NULL};
    assert_int_equal(config_parse(&c, 5, argv, env, err, sizeof err), 0);
    assert_string_equal(c.db, "dbname=x");
    assert_string_equal(c.host, "0.0.0.0");
    assert_int_equal(c.port, 9000);
    assert_int_equal(c.tick_ms, 500); /* the flag wins over the environment */
    assert_true(c.private_reads);
    assert_int_equal(c.batch_max, 50);
    assert_int_equal(c.max_body, 65536);
}

static void test_usage_errors(void **state)
{
    struct config c;
    char err[256];
    char *none[] = {NULL};
    char *a1[] = {"serve", NULL};
    assert_int_equal(config_parse(&c, 1, a1, none, err, sizeof err), 2);
    assert_non_null(strstr(err, "SUARA_DB"));
    char *a2[] = {"serve", "--db", "x", "--tick-ms", "0", NULL};
    assert_int_equal(config_parse(&c, 5, a2, none, err, sizeof err), 2);
    assert_non_null(strstr(err, "--tick-ms"));
    char *a3[] = {"serve", "--db", "x", "--bogus", NULL};
    assert_int_equal(config_parse(&c, 4, a3, none, err, sizeof err), 2);
    char *a4[] = {"serve", "--db", "x", "--listen", "nope", NULL};
    assert_int_equal(config_parse(&c, 5, a4, none, err, sizeof err), 2);
    char *a5[] = {"serve", "--help", NULL};
    assert_int_equal(config_parse(&c, 2, a5, none, err, sizeof err), 1);
    char *a6[] = {"serve", "--db", "x", "--tls-cert", "c.pem", NULL};
    assert_int_equal(config_parse(&c, 5, a6, none, err, sizeof err), 2);
}

/* The usage text is made from the option table: every option with its
 * variable, bounds and default, and the defaults parsed are the ones shown. */
static void test_usage_from_the_table(void **state)
{
    static char usage[CONFIG_USAGE_MAX];
    size_t len = config_usage(usage, sizeof usage);
    assert_int_equal(len, strlen(usage));
    assert_true(len < sizeof usage - 1); /* not cut short */
    assert_non_null(strstr(usage, "  --tick-ms N  (SUARA_TICK_MS)\n"));
    assert_non_null(strstr(usage, "live update tick (10 to 60000) [250]\n"));
    assert_non_null(strstr(usage, "  --private-reads  (SUARA_PRIVATE_READS)\n"));
    assert_null(strstr(usage, SUARA_SOURCE_DIR)); /* no path of the build machine */
    struct config c;
    char err[256];
    char *none[] = {NULL};
    char *argv[] = {"serve", "--db", "x", NULL};
    assert_int_equal(config_parse(&c, 3, argv, none, err, sizeof err), 0);
    assert_int_equal(c.tick_ms, 250);
    assert_int_equal(c.sth_ms, 1000);
    assert_int_equal(c.port, 8080);
    assert_string_equal(c.host, "127.0.0.1");
    assert_string_equal(c.log_level, "info");
    assert_false(c.private_reads);
    assert_null(c.tls_cert);
}

static void test_listen_forms(void **state)
{
    char host[64];
    int port;
    assert_int_equal(config_parse_listen("[::1]:8080", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_int_equal(config_parse_listen("127.0.0.1:0", host, sizeof host, &port), -1);
    assert_int_equal(config_parse_listen(":80", host, sizeof host, &port), -1);
    assert_int_equal(config_parse_listen("h:70000", host, sizeof host, &port), -1);
}

static void test_tokens_and_scopes(void **state)
{
    struct registry r;
    fixture_registry(&r);
    struct auth a;
    auth_init(&a);
    char h1[65], h2[65], h3[65];
    sha256_hex("sk_witness", 10, h1);
    sha256_hex("sk_reviewer", 11, h2);
    sha256_hex("sk_bad", 6, h3);
    assert_int_equal(auth_add(&a, &r, 1, h1, "witness", "62.01.01.1011.001", "w"), 0);
    assert_int_equal(auth_add(&a, &r, 2, h2, "reviewer", "62.01", "r"), 0);
    assert_int_not_equal(auth_add(&a, &r, 3, h3, "witness", "63", "unknown scope"), 0);
    assert_int_not_equal(auth_add(&a, &r, 4, h3, "king", "62", "unknown role"), 0);
    struct token *w = auth_lookup(&a, "sk_witness", 10);
    struct token *rv = auth_lookup(&a, "sk_reviewer", 11);
    assert_non_null(w);
    assert_int_equal(w->id, 1);
    assert_null(auth_lookup(&a, "sk_bad", 6));
    assert_null(auth_lookup(&a, "sk_witnesS", 10));
    int32_t t1 = fixture_find(&r, "62.01.01.1011.001"), t2 = fixture_find(&r, "62.01.01.1011.002");
    assert_true(auth_can_submit(&r, w, t1));
    assert_false(auth_can_submit(&r, w, t2));  /* another TPS */
    assert_false(auth_can_submit(&r, rv, t1)); /* reviewers do not submit */
    assert_true(auth_can_review(&r, rv, t2));
    assert_false(auth_can_review(&r, w, t1));                      /* witnesses do not review */
    assert_false(auth_can_review(&r, rv, fixture_find(&r, "62"))); /* wider than its scope */
    auth_free(&a);
    registry_free(&r);
}

/* Revoked tokens are no longer found, at once; the others still are. */
static void test_revoked_tokens_are_not_found(void **state)
{
    struct registry r;
    fixture_registry(&r);
    struct auth a;
    auth_init(&a);
    char h[3][65];
    const char *secrets[] = {"sk_one", "sk_two", "sk_six"};
    const int32_t ids[] = {1, 2, 6};
    for (int i = 0; i < 3; i++) {
        sha256_hex(secrets[i], 6, h[i]);
        assert_int_equal(auth_add(&a, &r, ids[i], h[i], "witness", "62.01.01.1011.001", "w"), 0);
    }
    const int32_t gone[] = {2, 5, 6}; /* 5 is not a token here */
    assert_int_equal(auth_revoke(&a, gone, 3), 2);
    assert_non_null(auth_lookup(&a, "sk_one", 6));
    assert_null(auth_lookup(&a, "sk_two", 6));
    assert_null(auth_lookup(&a, "sk_six", 6));
    assert_int_equal(auth_revoke(&a, gone, 0), 0);
    auth_free(&a);
    registry_free(&r);
}

static void test_rate_limit_windows(void **state)
{
    struct token t = {0};
    for (int i = 0; i < 3; i++)
        assert_true(auth_rate_take(&t, 1000, 3));
    assert_false(auth_rate_take(&t, 1500, 3));
    assert_true(auth_rate_take(&t, 61000, 3)); /* a new minute */
    assert_true(auth_rate_take(&t, 61000, 0)); /* 0 = no limit */
}

/* A new token: "sk_" and 43 base64url characters, its hash the SHA-256 of
 * the whole text, and never the same twice. */
static void test_new_tokens(void **state)
{
    char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1], ha[65], hb[65], want[65];
    assert_int_equal(auth_token_new(a, ha), 0);
    assert_int_equal(auth_token_new(b, hb), 0);
    assert_int_equal(strlen(a), AUTH_TOKEN_LEN);
    assert_memory_equal(a, "sk_", 3);
    assert_int_equal(
        strspn(a + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    sha256_hex(a, strlen(a), want);
    assert_string_equal(ha, want);
    assert_string_not_equal(a, b);
}

/* A card's link (about 70 bytes) is a version 5 code at level M: 37x37
 * modules, with the finder pattern's dark border at three corners. */
static void test_qr_modules_of_a_link(void **state)
{
    int width = 0;
    char *m = qr_modules(
        "https://suara.example.org/saksi#t=sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &width);
    assert_non_null(m);
    assert_int_equal(width, 37);
    assert_int_equal(strlen(m), 37 * 37);
    assert_int_equal(strspn(m, "01"), 37 * 37);
    assert_memory_equal(m, "1111111", 7);           /* top left */
    assert_memory_equal(m + 30, "1111111", 7);      /* top right */
    assert_memory_equal(m + 36 * 37, "1111111", 7); /* bottom left */
    assert_memory_equal(m + 37 + 1, "00000", 5);    /* the light ring inside */
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_env_and_flags),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_usage_from_the_table),
        cmocka_unit_test(test_listen_forms),
        cmocka_unit_test(test_tokens_and_scopes),
        cmocka_unit_test(test_revoked_tokens_are_not_found),
        cmocka_unit_test(test_rate_limit_windows),
        cmocka_unit_test(test_new_tokens),
        cmocka_unit_test(test_qr_modules_of_a_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
