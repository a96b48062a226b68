/* Unit tests for domain/form.c: decoding and shape rules (form_decode),
 * registry binding (form_resolve) and the consistency checks (form_checks).
 * Bodies are built from the members of one passing form, replacing, dropping
 * or adding single members, so each test changes exactly what it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/form.h"
#include "domain/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bodies ------------------------------------------------------------ */

/* The contract's example with invalid 11 -> 5 (and votes.4 12 -> 18) so that
 * it raises no warning either: with roll_dpt 411 every check passes. */
static const char *const base_members[] = {
    "\"submission_id\": \"5b0d3c8e-2f7a-4a39-9d0c-0a1c2b3d4e5f\"",
    "\"tps\": \"62.03.01.2001.001\"",
    "\"contest\": \"gub-62\"",
    "\"registered\": {\"dpt\": {\"m\": 210, \"f\": 201}, \"dpph\": {\"m\": 0, \"f\": 1}, "
    "\"dptb\": {\"m\": 0, \"f\": 0}}",
    "\"voted\": {\"dpt\": {\"m\": 150, \"f\": 160}, \"dpph\": {\"m\": 0, \"f\": 1}, "
    "\"dptb\": {\"m\": 2, \"f\": 1}}",
    "\"ballots\": {\"received\": 422, \"returned\": 2, \"unused\": 106, \"used\": 314}",
    "\"disability\": {\"registered\": 3, \"voted\": 2}",
    "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 18}",
    "\"valid\": 309",
    "\"invalid\": 5",
    "\"total\": 314",
};
#define N_BASE ((int)(sizeof base_members / sizeof base_members[0]))
#define ROLL_DPT 411

/* The contract's example, verbatim. */
static const char contract_example[] =
    "{\n"
    "  \"submission_id\": \"5b0d3c8e-2f7a-4a39-9d0c-0a1c2b3d4e5f\",\n"
    "  \"tps\": \"62.03.01.2001.001\",\n"
    "  \"contest\": \"gub-62\",\n"
    "  \"registered\": {\"dpt\": {\"m\": 210, \"f\": 201}, \"dpph\": {\"m\": 0, \"f\": 1}, "
    "\"dptb\": {\"m\": 0, \"f\": 0}},\n"
    "  \"voted\":      {\"dpt\": {\"m\": 150, \"f\": 160}, \"dpph\": {\"m\": 0, \"f\": 1}, "
    "\"dptb\": {\"m\": 2, \"f\": 1}},\n"
    "  \"ballots\": {\"received\": 422, \"returned\": 2, \"unused\": 106, \"used\": 314},\n"
    "  \"disability\": {\"registered\": 3, \"voted\": 2},\n"
    "  \"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 12},\n"
    "  \"valid\": 303, \"invalid\": 11, \"total\": 314\n"
    "}\n";

/* key != NULL: replace the base member with that key by `member` (NULL drops
 * it); the key must exist. key == NULL: append `member`. */
struct edit {
    const char *key;
    const char *member;
};

#define EDITS(...)                                                                                 \
    ((const struct edit[]){__VA_ARGS__}),                                                          \
        (int)(sizeof((const struct edit[]){__VA_ARGS__}) / sizeof(struct edit))

static char body_buf[1 << 16];

static bool member_has_key(const char *member, const char *key)
{
    size_t k = strlen(key);
    return member[0] == '"' && strncmp(member + 1, key, k) == 0 && member[k + 1] == '"';
}

static void body_append(size_t *at, const char *s)
{
    size_t len = strlen(s);
    assert_true(*at + len + 1 < sizeof body_buf);
    memcpy(body_buf + *at, s, len + 1);
    *at += len;
}

static const char *build_body(const struct edit *edits, int n_edits)
{
    size_t at = 0;
    bool first = true;
    int used = 0;
    body_append(&at, "{");
    for (int i = 0; i < N_BASE; i++) {
        const char *member = base_members[i];
        for (int e = 0; e < n_edits; e++) {
            if (edits[e].key != NULL && member_has_key(base_members[i], edits[e].key)) {
                member = edits[e].member;
                used++;
            }
        }
        if (member == NULL)
            continue;
        body_append(&at, first ? "" : ", ");
        body_append(&at, member);
        first = false;
    }
    for (int e = 0; e < n_edits; e++) {
        if (edits[e].key != NULL)
            continue;
        body_append(&at, first ? "" : ", ");
        body_append(&at, edits[e].member);
        first = false;
        used++;
    }
    assert_int_equal(used, n_edits); /* a mistyped key would test nothing */
    body_append(&at, "}");
    return body_buf;
}

static enum form_decode_result decode_str(const char *body, struct form_input *in,
                                          struct form_problems *pr)
{
    return form_decode(body, strlen(body), in, pr);
}

static enum form_decode_result decode_edits(const struct edit *edits, int n, struct form_input *in,
                                            struct form_problems *pr)
{
    return decode_str(build_body(edits, n), in, pr);
}

static bool has_problem(const struct form_problems *pr, const char *field, const char *code)
{
    for (int i = 0; i < pr->n; i++) {
        if (strcmp(pr->list[i].field, field) == 0 && strcmp(pr->list[i].code, code) == 0)
            return true;
    }
    return false;
}

static void print_problems(const struct form_problems *pr)
{
    for (int i = 0; i < pr->n; i++)
        print_message("  problem %d: %s %s\n", i, pr->list[i].field, pr->list[i].code);
}

static void expect_problem(const struct form_problems *pr, const char *field, const char *code)
{
    if (!has_problem(pr, field, code)) {
        print_problems(pr);
        fail_msg("expected problem {%s, %s}", field, code);
    }
}

/* Exactly one problem, this one. */
static void expect_only(const struct form_problems *pr, const char *field, const char *code)
{
    expect_problem(pr, field, code);
    if (pr->n != 1) {
        print_problems(pr);
        fail_msg("expected only {%s, %s}, got %d problems", field, code, pr->n);
    }
}

/* Decodes the base body with one edit and expects exactly one problem. */
static void expect_edit_only(const char *key, const char *member, const char *field,
                             const char *code)
{
    struct form_input in;
    struct form_problems pr;
    struct edit e = {key, member};
    assert_int_equal(decode_edits(&e, 1, &in, &pr), FORM_INVALID);
    expect_only(&pr, field, code);
}

/* ---- decoding a good form ---------------------------------------------- */

static void test_base_form_decodes(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(NULL, 0, &in, &pr), FORM_DECODED);
    assert_int_equal(pr.n, 0);
    assert_string_equal(in.submission_id, "5b0d3c8e-2f7a-4a39-9d0c-0a1c2b3d4e5f");
    assert_string_equal(in.tps, "62.03.01.2001.001");
    assert_string_equal(in.contest, "gub-62");
    assert_int_equal(in.n_photos, 0);
    assert_int_equal(in.counts.registered[ROW_DPT][SEX_M], 210);
    assert_int_equal(in.counts.registered[ROW_DPT][SEX_F], 201);
    assert_int_equal(in.counts.registered[ROW_DPPH][SEX_F], 1);
    assert_int_equal(in.counts.voted[ROW_DPT][SEX_M], 150);
    assert_int_equal(in.counts.voted[ROW_DPT][SEX_F], 160);
    assert_int_equal(in.counts.voted[ROW_DPTB][SEX_M], 2);
    assert_int_equal(in.counts.voted[ROW_DPTB][SEX_F], 1);
    assert_int_equal(in.counts.ballots[BALLOT_RECEIVED], 422);
    assert_int_equal(in.counts.ballots[BALLOT_RETURNED], 2);
    assert_int_equal(in.counts.ballots[BALLOT_UNUSED], 106);
    assert_int_equal(in.counts.ballots[BALLOT_USED], 314);
    assert_int_equal(in.counts.disability[DISABILITY_REGISTERED], 3);
    assert_int_equal(in.counts.disability[DISABILITY_VOTED], 2);
    assert_int_equal(in.counts.valid, 309);
    assert_int_equal(in.counts.invalid, 5);
    assert_int_equal(in.counts.total, 314);
    assert_int_equal(in.n_votes, 4);
    static const int numbers[] = {1, 2, 3, 4}, counts[] = {60, 101, 130, 18};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(in.vote_number[i], numbers[i]);
        assert_int_equal(in.vote_count[i], counts[i]);
    }
}

static void test_base_form_passes_every_check(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(NULL, 0, &in, &pr), FORM_DECODED);
    assert_int_equal(form_checks(&in.counts, in.vote_count, in.n_votes, ROLL_DPT), 0);
}

/* The contract's example is consistent (voted rows sum to 314) but 11 invalid
 * of 314 is 3.5 %: it raises the invalid_share warning and nothing else. */
static void test_contract_example(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_str(contract_example, &in, &pr), FORM_DECODED);
    assert_int_equal(form_sum_rows(in.counts.voted), 314);
    assert_int_equal(form_checks(&in.counts, in.vote_count, in.n_votes, ROLL_DPT),
                     1u << WARN_INVALID_SHARE);
}

static void test_boundary_counts_accepted(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({"valid", "\"valid\": 9999"}, {"invalid", "\"invalid\": 0"},
                                        {"total", "\"total\": -0"}),
                                  &in, &pr),
                     FORM_DECODED);
    assert_int_equal(in.counts.valid, 9999);
    assert_int_equal(in.counts.invalid, 0);
    assert_int_equal(in.counts.total, 0);
}

/* Decision: a number with no fractional part is an integer by value, as in
 * JSON Schema: 1.0 is 1 and 1e2 is 100. */
static void test_integral_floats_accepted(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(
        decode_edits(EDITS({"valid", "\"valid\": 309.0"}, {"total", "\"total\": 3.14e2"},
                           {"invalid", "\"invalid\": 5E0"}),
                     &in, &pr),
        FORM_DECODED);
    assert_int_equal(in.counts.valid, 309);
    assert_int_equal(in.counts.total, 314);
    assert_int_equal(in.counts.invalid, 5);
}

static void test_photo_optional_and_lowercased(void **state)
{
    struct form_input in;
    struct form_problems pr;
    const char *member = "\"photo_sha256\": "
                         "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"";
    assert_int_equal(decode_edits(EDITS({NULL, member}), &in, &pr), FORM_DECODED);
    assert_int_equal(in.n_photos, 1);
    assert_string_equal(in.photos[0],
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#define HASH_A "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""
#define HASH_B "\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\""

static void test_photos_are_the_pages_in_order(void **state)
{
    struct form_input in, shorthand;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({NULL, "\"photos\": [" HASH_B ", " HASH_A "]"}), &in, &pr),
                     FORM_DECODED);
    assert_int_equal(in.n_photos, 2);
    assert_string_equal(in.photos[0],
                        "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
    assert_string_equal(in.photos[1],
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* The shorthand is the same form as a one-page list. */
    assert_int_equal(decode_edits(EDITS({NULL, "\"photos\": [" HASH_A "]"}), &in, &pr),
                     FORM_DECODED);
    assert_int_equal(decode_edits(EDITS({NULL, "\"photo_sha256\": " HASH_A}), &shorthand, &pr),
                     FORM_DECODED);
    assert_true(form_input_equal(&in, &shorthand));
}

static void test_photos_rules(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(
        decode_edits(EDITS({NULL, "\"photos\": [" HASH_A "], \"photo_sha256\": " HASH_A}), &in,
                     &pr),
        FORM_INVALID);
    assert_true(has_problem(&pr, "photo_sha256", "conflict"));
    assert_int_equal(
        decode_edits(EDITS({NULL, "\"photos\": [" HASH_A "," HASH_A "," HASH_A "," HASH_A "," HASH_A
                                  "," HASH_A "," HASH_A "," HASH_A "," HASH_A "]"}),
                     &in, &pr),
        FORM_INVALID);
    assert_true(has_problem(&pr, "photos", "too_many"));
    assert_int_equal(decode_edits(EDITS({NULL, "\"photos\": []"}), &in, &pr), FORM_INVALID);
    assert_true(has_problem(&pr, "photos", "empty"));
    assert_int_equal(decode_edits(EDITS({NULL, "\"photos\": " HASH_A}), &in, &pr), FORM_INVALID);
    assert_true(has_problem(&pr, "photos", "not_array"));
    assert_int_equal(
        decode_edits(
            EDITS({NULL, "\"photos\": [" HASH_A ", "
                         "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"]"}),
            &in, &pr),
        FORM_INVALID);
    assert_true(has_problem(&pr, "photos.1", "bad_format"));
    assert_false(has_problem(&pr, "photos.0", "bad_format"));
    assert_int_equal(decode_edits(EDITS({NULL, "\"photos\": [" HASH_A ", 7]"}), &in, &pr),
                     FORM_INVALID);
    assert_true(has_problem(&pr, "photos.1", "not_string"));
}

static void test_utf8_bom_accepted(void **state)
{
    struct form_input in;
    struct form_problems pr;
    char body[sizeof body_buf + 3];
    snprintf(body, sizeof body, "\xEF\xBB\xBF%s", build_body(NULL, 0));
    assert_int_equal(decode_str(body, &in, &pr), FORM_DECODED);
}

/* The body is length-delimited: no NUL after it is needed (ASan would catch
 * a read past the end of this exact-size copy). */
static void test_body_without_nul_terminator(void **state)
{
    struct form_input in;
    struct form_problems pr;
    const char *body = build_body(NULL, 0);
    size_t len = strlen(body);
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, body, len);
    assert_int_equal(form_decode(copy, len, &in, &pr), FORM_DECODED);
    assert_int_equal(form_decode(copy, len - 1, &in, &pr), FORM_MALFORMED);
    free(copy);
}

/* ---- form_input_equal ------------------------------------------------- */

static const char reordered[] =
    "{\"total\":314,\"invalid\":5,\"valid\":309,\"votes\":{\"4\":18,\"3\":130,\"1\":60,\"2\":101},"
    "\"disability\":{\"voted\":2,\"registered\":3},"
    "\"ballots\":{\"used\":314,\"unused\":106,\"returned\":2,\"received\":422},"
    "\"voted\":{\"dptb\":{\"f\":1,\"m\":2},\"dpph\":{\"f\":1,\"m\":0},\"dpt\":{\"f\":160,\"m\":150}"
    "},"
    "\"registered\":{\"dptb\":{\"f\":0,\"m\":0},\"dpt\":{\"f\":201,\"m\":210},\"dpph\":{\"m\":0,"
    "\"f\":1}},\"contest\":\"gub-62\",\"tps\":\"62.03.01.2001.001\","
    "\"submission_id\":\"5b0d3c8e-2f7a-4a39-9d0c-0a1c2b3d4e5f\"}";

static void test_equal_with_reordered_keys(void **state)
{
    struct form_input a, b;
    struct form_problems pr;
    assert_int_equal(decode_edits(NULL, 0, &a, &pr), FORM_DECODED);
    assert_int_equal(decode_str(reordered, &b, &pr), FORM_DECODED);
    assert_true(form_input_equal(&a, &b));
    assert_true(form_input_equal(&b, &a));
    /* Votes are stored ascending whatever the order sent. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(b.vote_number[i], i + 1);
}

static void expect_differs(const char *key, const char *member)
{
    struct form_input a, b;
    struct form_problems pr;
    struct edit e = {key, member};
    assert_int_equal(decode_edits(NULL, 0, &a, &pr), FORM_DECODED);
    assert_int_equal(decode_edits(&e, 1, &b, &pr), FORM_DECODED);
    assert_false(form_input_equal(&a, &b));
    assert_false(form_input_equal(&b, &a));
}

static void test_not_equal_when_content_differs(void **state)
{
    expect_differs("submission_id", "\"submission_id\": \"other\"");
    expect_differs("tps", "\"tps\": \"62.03.01.2001.002\"");
    expect_differs("contest", "\"contest\": \"bup-62.03\"");
    expect_differs("votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 19}");
    expect_differs("votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"5\": 18}");
    expect_differs("votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130}");
    expect_differs("registered", "\"registered\": {\"dpt\": {\"m\": 210, \"f\": 201}, "
                                 "\"dpph\": {\"m\": 0, \"f\": 1}, \"dptb\": {\"m\": 0, \"f\": 1}}");
    expect_differs("total", "\"total\": 315");
    expect_differs(NULL, "\"photo_sha256\": \"" /* the number of photos differs */
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"");
}

static void test_not_equal_when_photo_differs(void **state)
{
    struct form_input a, b;
    struct form_problems pr;
    struct edit ea = {NULL, "\"photo_sha256\": "
                            "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""};
    struct edit eb = {NULL, "\"photo_sha256\": "
                            "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856\""};
    assert_int_equal(decode_edits(&ea, 1, &a, &pr), FORM_DECODED);
    assert_int_equal(decode_edits(&eb, 1, &b, &pr), FORM_DECODED);
    assert_false(form_input_equal(&a, &b));
    assert_int_equal(decode_edits(&eb, 1, &a, &pr), FORM_DECODED);
    assert_true(form_input_equal(&a, &b));
}

/* A failed decode must not leave old content behind: the struct is zeroed. */
static void test_decode_zeroes_output(void **state)
{
    struct form_input a, b;
    struct form_problems pr;
    memset(&a, 0xAB, sizeof a);
    memset(&b, 0x00, sizeof b);
    assert_int_equal(decode_str("[]", &a, &pr), FORM_MALFORMED);
    assert_memory_equal(&a, &b, sizeof a);
}

/* ---- malformed bodies ------------------------------------------------- */

static void expect_malformed_n(const char *body, size_t len)
{
    struct form_input in;
    struct form_problems pr;
    pr.n = 7;
    if (form_decode(body, len, &in, &pr) != FORM_MALFORMED)
        fail_msg("not malformed: %.*s", (int)(len > 200 ? 200 : len), body);
    assert_int_equal(pr.n, 0);
}

static void expect_malformed(const char *body)
{
    expect_malformed_n(body, strlen(body));
}

static void test_empty_body(void **state)
{
    expect_malformed_n("", 0);
    expect_malformed_n(NULL, 0);
    expect_malformed_n(NULL, 5);
    expect_malformed(" \r\n\t");
}

static void test_not_an_object(void **state)
{
    expect_malformed("[]");
    expect_malformed("[{\"tps\": \"62.03.01.2001.001\"}]");
    expect_malformed("\"a string\"");
    expect_malformed("42");
    expect_malformed("null");
    expect_malformed("true");
}

static void test_not_json(void **state)
{
    expect_malformed("{");
    expect_malformed("{\"valid\": }");
    expect_malformed("{'valid': 1}");
    expect_malformed("{\"valid\": 1,}");
    expect_malformed("{\"valid\": +1}");
    expect_malformed("submission_id=1");
}

static void test_trailing_garbage(void **state)
{
    char body[sizeof body_buf + 16];
    const char *base = build_body(NULL, 0);
    snprintf(body, sizeof body, "%s x", base);
    expect_malformed(body);
    snprintf(body, sizeof body, "%s{}", base);
    expect_malformed(body);
    snprintf(body, sizeof body, "%s,", base);
    expect_malformed(body);
    /* A NUL after the object is trailing garbage too, not an end marker. */
    size_t len = strlen(base);
    memcpy(body, base, len + 1);
    expect_malformed_n(body, len + 1);
    /* Trailing JSON whitespace is fine. */
    struct form_input in;
    struct form_problems pr;
    snprintf(body, sizeof body, "\n %s \r\n\t", base);
    assert_int_equal(decode_str(body, &in, &pr), FORM_DECODED);
}

/* RFC 8259 details cJSON alone would let through. */
static void test_strict_json(void **state)
{
    struct form_input in;
    struct form_problems pr;
    expect_malformed(build_body(EDITS({"valid", "\"valid\": 0309"}))); /* leading zero */
    expect_malformed(build_body(EDITS({"valid", "\"valid\": 309."})));
    expect_malformed(build_body(EDITS({"valid", "\"valid\": -.5"})));
    expect_malformed(build_body(EDITS({"valid", "\"valid\": 3e"})));
    expect_malformed(build_body(EDITS({"valid", "\"valid\":\x01 309"}))); /* control char */
    expect_malformed(build_body(EDITS({"contest", "\"contest\": \"gub\t-62\""}))); /* raw tab */
    /* An escaped NUL would cut the C string: "abc" and "abc\u0000x" differ. */
    expect_malformed(build_body(EDITS({"submission_id", "\"submission_id\": \"abc\\u0000x\""})));
    /* ...but an escaped backslash followed by "u0000" is six ordinary chars. */
    assert_int_equal(
        decode_edits(EDITS({"submission_id", "\"submission_id\": \"abc\\\\u0000\""}), &in, &pr),
        FORM_INVALID);
    expect_only(&pr, "submission_id", "bad_format");
    /* Other escapes are fine where the charset allows them. */
    assert_int_equal(decode_edits(EDITS({"contest", "\"contest\": \"\\u0067ub-62\""}), &in, &pr),
                     FORM_DECODED);
    assert_string_equal(in.contest, "gub-62");
}

/* prefix open*depth middle close*depth suffix, on the heap. */
static char *nested(int depth, const char *prefix, const char *open, const char *middle,
                    const char *close, const char *suffix)
{
    size_t lo = strlen(open), lc = strlen(close), lp = strlen(prefix), ls = strlen(suffix);
    size_t lm = strlen(middle);
    char *s = malloc(lp + (size_t)depth * (lo + lc) + lm + ls + 1);
    assert_non_null(s);
    char *w = s;
    memcpy(w, prefix, lp);
    w += lp;
    for (int i = 0; i < depth; i++, w += lo)
        memcpy(w, open, lo);
    memcpy(w, middle, lm);
    w += lm;
    for (int i = 0; i < depth; i++, w += lc)
        memcpy(w, close, lc);
    memcpy(w, suffix, ls + 1);
    return s;
}

static void test_deep_nesting(void **state)
{
    char *body = nested(100000, "", "[", "", "]", "");
    expect_malformed(body);
    free(body);
    body = nested(100000, "{\"x\": ", "{\"a\": ", "0", "}", "}");
    expect_malformed(body); /* beyond cJSON's nesting limit */
    free(body);
    /* Within the limit, inside an unknown member: only that member is wrong. */
    char *deep = nested(400, "\"extra\": ", "{\"a\": [", "0", "]}", "");
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({NULL, deep}), &in, &pr), FORM_INVALID);
    expect_only(&pr, "extra", "unknown_field");
    free(deep);
}

/* ---- structural problems, one at a time -------------------------------- */

static void test_missing(void **state)
{
    expect_edit_only("total", NULL, "total", "missing");
    expect_edit_only("submission_id", NULL, "submission_id", "missing");
    expect_edit_only("votes", NULL, "votes", "missing");
    expect_edit_only("registered",
                     "\"registered\": {\"dpt\": {\"m\": 210, \"f\": 201}, \"dpph\": {\"m\": 0, "
                     "\"f\": 1}}",
                     "registered.dptb", "missing");
    expect_edit_only("voted",
                     "\"voted\": {\"dpt\": {\"m\": 150}, \"dpph\": {\"m\": 0, \"f\": 1}, "
                     "\"dptb\": {\"m\": 2, \"f\": 1}}",
                     "voted.dpt.f", "missing");
    expect_edit_only("ballots", "\"ballots\": {\"received\": 422, \"returned\": 2, \"used\": 314}",
                     "ballots.unused", "missing");
    expect_edit_only("disability", "\"disability\": {\"registered\": 3}", "disability.voted",
                     "missing");
}

static void test_missing_everything(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_str("{}", &in, &pr), FORM_INVALID);
    assert_int_equal(pr.n, 11);
    for (int i = 0; i < N_BASE; i++) {
        char key[32];
        const char *m = base_members[i] + 1;
        snprintf(key, sizeof key, "%.*s", (int)(strchr(m, '"') - m), m);
        expect_problem(&pr, key, "missing");
    }
    assert_false(has_problem(&pr, "photo_sha256", "missing"));
}

static void test_unknown_field(void **state)
{
    expect_edit_only(NULL, "\"extra\": 1", "extra", "unknown_field");
    expect_edit_only(NULL, "\"Total\": 314", "Total", "unknown_field");
    expect_edit_only("ballots",
                     "\"ballots\": {\"received\": 422, \"returned\": 2, \"unused\": 106, "
                     "\"used\": 314, \"spoiled\": 0}",
                     "ballots.spoiled", "unknown_field");
    expect_edit_only("registered",
                     "\"registered\": {\"dpt\": {\"m\": 210, \"f\": 201, \"x\": 0}, "
                     "\"dpph\": {\"m\": 0, \"f\": 1}, \"dptb\": {\"m\": 0, \"f\": 0}}",
                     "registered.dpt.x", "unknown_field");
}

static void test_unknown_field_reported_once(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({NULL, "\"extra\": 1"}, {NULL, "\"extra\": 2"}), &in, &pr),
                     FORM_INVALID);
    expect_only(&pr, "extra", "unknown_field");
}

/* Keys are client bytes: non-printable or non-ASCII become '?', long ones are
 * cut to fit the field. */
static void test_unknown_field_sanitised(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({NULL, "\"t\xC3\xA9\xFF\": 1"}), &in, &pr), FORM_INVALID);
    expect_only(&pr, "t???", "unknown_field");
    char member[256];
    snprintf(member, sizeof member, "\"%0100d\": 1", 7);
    assert_int_equal(decode_edits(EDITS({NULL, member}), &in, &pr), FORM_INVALID);
    assert_int_equal(pr.n, 1);
    assert_int_equal(strlen(pr.list[0].field), sizeof pr.list[0].field - 1);
    assert_string_equal(pr.list[0].code, "unknown_field");
}

static void test_duplicate_key(void **state)
{
    expect_edit_only(NULL, "\"total\": 314", "total", "duplicate_key");
    expect_edit_only(NULL, "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 18}", "votes",
                     "duplicate_key");
    expect_edit_only("registered",
                     "\"registered\": {\"dpt\": {\"m\": 210, \"f\": 201, \"m\": 210}, "
                     "\"dpph\": {\"m\": 0, \"f\": 1}, \"dptb\": {\"m\": 0, \"f\": 0}}",
                     "registered.dpt.m", "duplicate_key");
    expect_edit_only("voted",
                     "\"voted\": {\"dpt\": {\"m\": 150, \"f\": 160}, \"dpph\": {\"m\": 0, "
                     "\"f\": 1}, \"dptb\": {\"m\": 2, \"f\": 1}, \"dpph\": {\"m\": 0, \"f\": 1}}",
                     "voted.dpph", "duplicate_key");
    expect_edit_only("disability",
                     "\"disability\": {\"registered\": 3, \"voted\": 2, \"voted\": 2}",
                     "disability.voted", "duplicate_key");
    expect_edit_only("votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 18, \"2\": 1}",
                     "votes.2", "duplicate_key");
}

/* A duplicated key is reported once, however often it repeats. */
static void test_duplicate_key_reported_once(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(
        decode_edits(EDITS({NULL, "\"total\": 1"}, {NULL, "\"total\": \"x\""}), &in, &pr),
        FORM_INVALID);
    expect_only(&pr, "total", "duplicate_key");
    /* Neither value is read: a bad first one adds nothing. */
    assert_int_equal(
        decode_edits(EDITS({"total", "\"total\": \"x\""}, {NULL, "\"total\": 314"}), &in, &pr),
        FORM_INVALID);
    expect_only(&pr, "total", "duplicate_key");
    assert_int_equal(decode_edits(EDITS({"ballots", "\"ballots\": {\"received\": -1, "
                                                    "\"returned\": 2, \"unused\": 106, "
                                                    "\"used\": 314, \"received\": 422}"}),
                                  &in, &pr),
                     FORM_INVALID);
    expect_only(&pr, "ballots.received", "duplicate_key");
}

static void test_not_integer(void **state)
{
    expect_edit_only("valid", "\"valid\": \"7\"", "valid", "not_integer");
    expect_edit_only("valid", "\"valid\": true", "valid", "not_integer");
    expect_edit_only("valid", "\"valid\": null", "valid", "not_integer");
    expect_edit_only("valid", "\"valid\": 1.5", "valid", "not_integer");
    expect_edit_only("valid", "\"valid\": -1.5", "valid", "not_integer");
    expect_edit_only("valid", "\"valid\": [309]", "valid", "not_integer");
    expect_edit_only("valid", "\"valid\": {}", "valid", "not_integer");
    expect_edit_only("ballots",
                     "\"ballots\": {\"received\": 422, \"returned\": 2, \"unused\": 106, "
                     "\"used\": 314.25}",
                     "ballots.used", "not_integer");
    expect_edit_only("disability", "\"disability\": {\"registered\": 3, \"voted\": false}",
                     "disability.voted", "not_integer");
    expect_edit_only("votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": \"18\"}",
                     "votes.4", "not_integer");
}

static void test_out_of_range(void **state)
{
    expect_edit_only("valid", "\"valid\": 10000", "valid", "out_of_range");
    expect_edit_only("valid", "\"valid\": -1", "valid", "out_of_range");
    expect_edit_only("valid", "\"valid\": 1e300", "valid", "out_of_range");
    expect_edit_only("valid", "\"valid\": -1e300", "valid", "out_of_range");
    expect_edit_only("valid", "\"valid\": 1e400", "valid", "out_of_range"); /* inf */
    expect_edit_only("valid", "\"valid\": 4294967296", "valid", "out_of_range");
    expect_edit_only("voted",
                     "\"voted\": {\"dpt\": {\"m\": 150, \"f\": 160}, \"dpph\": {\"m\": 0, "
                     "\"f\": 1}, \"dptb\": {\"m\": 2, \"f\": 65537}}",
                     "voted.dptb.f", "out_of_range");
    expect_edit_only("votes", "\"votes\": {\"1\": 60, \"2\": -101, \"3\": 130, \"4\": 18}",
                     "votes.2", "out_of_range");
}

static void test_not_string(void **state)
{
    expect_edit_only("submission_id", "\"submission_id\": 123", "submission_id", "not_string");
    expect_edit_only("tps", "\"tps\": null", "tps", "not_string");
    expect_edit_only("contest", "\"contest\": {\"id\": \"gub-62\"}", "contest", "not_string");
    expect_edit_only(NULL, "\"photo_sha256\": null", "photo_sha256", "not_string");
}

static void test_not_object(void **state)
{
    expect_edit_only("registered", "\"registered\": []", "registered", "not_object");
    expect_edit_only("ballots", "\"ballots\": null", "ballots", "not_object");
    expect_edit_only("disability", "\"disability\": 3", "disability", "not_object");
    expect_edit_only("votes", "\"votes\": [60, 101, 130, 18]", "votes", "not_object");
    expect_edit_only("voted",
                     "\"voted\": {\"dpt\": 310, \"dpph\": {\"m\": 0, \"f\": 1}, "
                     "\"dptb\": {\"m\": 2, \"f\": 1}}",
                     "voted.dpt", "not_object");
}

static void test_bad_format_submission_id(void **state)
{
    struct form_input in;
    struct form_problems pr;
    expect_edit_only("submission_id", "\"submission_id\": \"\"", "submission_id", "bad_format");
    expect_edit_only("submission_id", "\"submission_id\": \"has space\"", "submission_id",
                     "bad_format");
    expect_edit_only("submission_id", "\"submission_id\": \"a/b\"", "submission_id", "bad_format");
    expect_edit_only("submission_id", "\"submission_id\": \"caf\xC3\xA9\"", "submission_id",
                     "bad_format");
    /* Invalid UTF-8 is accepted by the JSON parser; the charset rejects it. */
    expect_edit_only("submission_id", "\"submission_id\": \"ab\xFF\xC0\x80\"", "submission_id",
                     "bad_format");
    char member[128];
    snprintf(member, sizeof member, "\"submission_id\": \"%065d\"", 0);
    expect_edit_only("submission_id", member, "submission_id", "bad_format");
    snprintf(member, sizeof member, "\"submission_id\": \"%064d\"", 0);
    assert_int_equal(decode_edits(EDITS({"submission_id", member}), &in, &pr), FORM_DECODED);
    assert_int_equal(strlen(in.submission_id), 64);
    assert_int_equal(
        decode_edits(EDITS({"submission_id", "\"submission_id\": \"Az09._:-\""}), &in, &pr),
        FORM_DECODED);
    assert_string_equal(in.submission_id, "Az09._:-");
}

static void test_bad_format_codes(void **state)
{
    expect_edit_only("tps", "\"tps\": \"62.03.01.2001\"", "tps", "bad_format"); /* a desa */
    expect_edit_only("tps", "\"tps\": \"62.03.01.2001.1\"", "tps", "bad_format");
    expect_edit_only("tps", "\"tps\": \"62.03.01.2001.0011\"", "tps", "bad_format");
    expect_edit_only("tps", "\"tps\": \"62-03-01-2001-001\"", "tps", "bad_format");
    expect_edit_only("tps", "\"tps\": \"\"", "tps", "bad_format");
    expect_edit_only("contest", "\"contest\": \"GUB-62\"", "contest", "bad_format");
    expect_edit_only("contest", "\"contest\": \"\"", "contest", "bad_format");
    expect_edit_only("contest", "\"contest\": \"gub 62\"", "contest", "bad_format");
    expect_edit_only("contest", "\"contest\": \"abcdefghijklmnopqrstuvwx\"", "contest",
                     "bad_format"); /* 24 chars */
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(
        decode_edits(EDITS({"contest", "\"contest\": \"abcdefghijklmnopqrstuvw\""}), &in, &pr),
        FORM_DECODED);
}

static void test_bad_format_photo(void **state)
{
    char member[128];
    snprintf(member, sizeof member, "\"photo_sha256\": \"%063d\"", 0);
    expect_edit_only(NULL, member, "photo_sha256", "bad_format");
    snprintf(member, sizeof member, "\"photo_sha256\": \"%065d\"", 0);
    expect_edit_only(NULL, member, "photo_sha256", "bad_format");
    snprintf(member, sizeof member, "\"photo_sha256\": \"g%063d\"", 0);
    expect_edit_only(NULL, member, "photo_sha256", "bad_format");
    expect_edit_only(NULL, "\"photo_sha256\": \"\"", "photo_sha256", "bad_format");
}

static void test_bad_format_vote_keys(void **state)
{
    static const char *const keys[] = {"01", "0", "100", "a", "-1", "1.0", "+1", " 1", "", "1a"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char member[128], field[64];
        snprintf(member, sizeof member,
                 "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 18, \"%s\": 0}", keys[i]);
        snprintf(field, sizeof field, "votes.%s", keys[i]);
        expect_edit_only("votes", member, field, "bad_format");
    }
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({"votes", "\"votes\": {\"99\": 0, \"10\": 1}"}), &in, &pr),
                     FORM_DECODED);
    assert_int_equal(in.n_votes, 2);
    assert_int_equal(in.vote_number[0], 10);
    assert_int_equal(in.vote_number[1], 99);
}

static const char *votes_member(int n)
{
    static char member[2048];
    size_t at = (size_t)snprintf(member, sizeof member, "\"votes\": {");
    for (int i = 1; i <= n; i++)
        at +=
            (size_t)snprintf(member + at, sizeof member - at, "%s\"%d\": 1", i > 1 ? ", " : "", i);
    snprintf(member + at, sizeof member - at, "}");
    return member;
}

static void test_too_many_votes(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({"votes", votes_member(CONTEST_MAX_CANDIDATES)}), &in, &pr),
                     FORM_DECODED);
    assert_int_equal(in.n_votes, CONTEST_MAX_CANDIDATES);
    assert_int_equal(in.vote_number[CONTEST_MAX_CANDIDATES - 1], CONTEST_MAX_CANDIDATES);
    expect_edit_only("votes", votes_member(CONTEST_MAX_CANDIDATES + 1), "votes", "too_many");
}

/* Decision: an empty votes object gets its own code, "empty". */
static void test_empty_votes(void **state)
{
    expect_edit_only("votes", "\"votes\": {}", "votes", "empty");
}

static void test_many_problems_together(void **state)
{
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(
        decode_edits(EDITS({"tps", NULL}, {"total", "\"total\": \"314\""}, {NULL, "\"extra\": 1"},
                           {"registered", "\"registered\": {\"dpt\": {\"m\": -1, \"f\": 201}, "
                                          "\"dpph\": {\"m\": 0, \"f\": 1.5}, \"dptb\": []}"},
                           {"votes", "\"votes\": {\"1\": 60, \"x\": 1}"},
                           {"contest", "\"contest\": \"Gub\""}),
                     &in, &pr),
        FORM_INVALID);
    expect_problem(&pr, "tps", "missing");
    expect_problem(&pr, "total", "not_integer");
    expect_problem(&pr, "extra", "unknown_field");
    expect_problem(&pr, "registered.dpt.m", "out_of_range");
    expect_problem(&pr, "registered.dpph.f", "not_integer");
    expect_problem(&pr, "registered.dptb", "not_object");
    expect_problem(&pr, "votes.x", "bad_format");
    expect_problem(&pr, "contest", "bad_format");
    assert_int_equal(pr.n, 8);
}

static void test_problem_list_is_capped(void **state)
{
    char member[64 * 20];
    size_t at = 0;
    for (int i = 0; i < 60; i++)
        at += (size_t)snprintf(member + at, sizeof member - at, "%s\"x%d\": 0", i ? ", " : "", i);
    struct form_input in;
    struct form_problems pr;
    assert_int_equal(decode_edits(EDITS({NULL, member}), &in, &pr), FORM_INVALID);
    assert_int_equal(pr.n, FORM_MAX_ERRORS);
    expect_problem(&pr, "x0", "unknown_field");
    assert_false(has_problem(&pr, "x59", "unknown_field"));
}

static void test_problem_add(void **state)
{
    struct form_problems pr = {0};
    char longf[100];
    memset(longf, 'a', sizeof longf - 1);
    longf[sizeof longf - 1] = '\0';
    form_problem_add(&pr, longf, "x");
    assert_int_equal(pr.n, 1);
    assert_int_equal(strlen(pr.list[0].field), sizeof pr.list[0].field - 1);
    for (int i = 1; i < FORM_MAX_ERRORS + 5; i++)
        form_problem_add(&pr, "f", "y");
    assert_int_equal(pr.n, FORM_MAX_ERRORS);
}

/* ---- form_resolve ----------------------------------------------------- */

struct fixture {
    struct registry reg;
};

static int registry_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[128] = "";
    if (f == NULL)
        return -1;
    registry_init(&f->reg);
    static const char *const regions[] = {
        "62", "62.03", "62.03.01", "62.03.01.2001", "62.71", "62.71.01", "62.71.01.1001",
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        rc |= registry_add_region(&f->reg, regions[i], regions[i], 0);
    rc |= registry_add_region(&f->reg, "62.03.01.2001.001", "TPS 001", ROLL_DPT);
    rc |= registry_add_region(&f->reg, "62.03.01.2001.002", "TPS 002", 300);
    rc |= registry_add_region(&f->reg, "62.71.01.1001.001", "TPS 001", 250);
    rc |= registry_add_contest(&f->reg, "gub-62", "governor", "62", "Gubernur");
    rc |= registry_add_contest(&f->reg, "bup-62.03", "regent", "62.03", "Bupati Kapuas");
    for (int n = 4; n >= 1; n--) /* out of order on purpose */
        rc |= registry_add_candidate(&f->reg, "gub-62", n, "Head", "Deputy");
    rc |= registry_add_candidate(&f->reg, "bup-62.03", 1, "Head", "Deputy");
    rc |= registry_add_candidate(&f->reg, "bup-62.03", 2, "Head", "Deputy");
    rc |= registry_add_candidate(&f->reg, "bup-62.03", 5, "Head", "Deputy");
    if (rc != 0 || registry_finish(&f->reg, err, sizeof err) != 0) {
        print_error("registry: %s\n", err);
        registry_free(&f->reg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int registry_teardown(void **state)
{
    struct fixture *f = *state;
    registry_free(&f->reg);
    free(f);
    return 0;
}

static void resolve_edits(void **state, const struct edit *edits, int n, bool want,
                          struct form_resolved *out, struct form_problems *pr)
{
    struct fixture *f = *state;
    struct form_input in;
    assert_int_equal(decode_edits(edits, n, &in, pr), FORM_DECODED);
    pr->n = 5; /* form_resolve must start from an empty list */
    assert_int_equal(form_resolve(&f->reg, &in, out, pr), want);
}

static void test_resolve_ok(void **state)
{
    struct fixture *f = *state;
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state, NULL, 0, true, &out, &pr);
    assert_int_equal(pr.n, 0);
    assert_int_equal(out.tps, registry_find(&f->reg, "62.03.01.2001.001", 17));
    assert_true(out.tps >= 0);
    assert_ptr_equal(out.contest, registry_contest(&f->reg, "gub-62", 6));
    assert_int_equal(f->reg.regions[out.tps].dpt, ROLL_DPT);
    static const uint16_t want[] = {60, 101, 130, 18};
    for (int pos = 0; pos < 4; pos++) {
        assert_int_equal(out.contest->candidates[pos].number, pos + 1);
        assert_int_equal(out.votes[pos], want[pos]);
    }
}

/* Votes are placed by candidate position, not by number. */
static void test_resolve_votes_by_position(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state,
                  EDITS({"contest", "\"contest\": \"bup-62.03\""},
                        {"votes", "\"votes\": {\"5\": 7, \"1\": 3, \"2\": 4}"}),
                  true, &out, &pr);
    assert_int_equal(out.votes[0], 3);
    assert_int_equal(out.votes[1], 4);
    assert_int_equal(out.votes[2], 7);
    assert_int_equal(out.votes[3], 0);
}

static void test_resolve_unknown_tps(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state, EDITS({"tps", "\"tps\": \"62.03.01.2001.009\""}), false, &out, &pr);
    expect_only(&pr, "tps", "unknown_tps");
    assert_int_equal(out.tps, -1);
}

static void test_resolve_unknown_contest(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state, EDITS({"contest", "\"contest\": \"gub-63\""}), false, &out, &pr);
    expect_only(&pr, "contest", "unknown_contest");
    assert_null(out.contest);
}

static void test_resolve_unknown_both(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(
        state,
        EDITS({"contest", "\"contest\": \"gub-63\""}, {"tps", "\"tps\": \"99.03.01.2001.001\""}),
        false, &out, &pr);
    expect_problem(&pr, "tps", "unknown_tps");
    expect_problem(&pr, "contest", "unknown_contest");
    assert_int_equal(pr.n, 2);
}

static void test_resolve_tps_not_in_contest(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state,
                  EDITS({"tps", "\"tps\": \"62.71.01.1001.001\""},
                        {"contest", "\"contest\": \"bup-62.03\""},
                        {"votes", "\"votes\": {\"1\": 60, \"2\": 101, \"5\": 148}"}),
                  false, &out, &pr);
    expect_only(&pr, "tps", "tps_not_in_contest");
    /* The same TPS is inside the province-wide contest. */
    resolve_edits(state, EDITS({"tps", "\"tps\": \"62.71.01.1001.001\""}), true, &out, &pr);
}

static void test_resolve_unknown_candidate(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state,
                  EDITS({"votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 130, \"4\": 18, "
                                  "\"5\": 0}"}),
                  false, &out, &pr);
    expect_only(&pr, "votes.5", "unknown_candidate");
}

static void test_resolve_missing_candidate(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state, EDITS({"votes", "\"votes\": {\"1\": 60, \"2\": 101, \"4\": 18}"}), false,
                  &out, &pr);
    expect_only(&pr, "votes.3", "missing");
}

static void test_resolve_wrong_candidate_set(void **state)
{
    struct form_resolved out;
    struct form_problems pr;
    resolve_edits(state,
                  EDITS({"contest", "\"contest\": \"bup-62.03\""},
                        {"votes", "\"votes\": {\"1\": 60, \"2\": 101, \"3\": 148}"}),
                  false, &out, &pr);
    expect_problem(&pr, "votes.3", "unknown_candidate");
    expect_problem(&pr, "votes.5", "missing");
    assert_int_equal(pr.n, 2);
}

/* ---- consistency checks ----------------------------------------------- */

struct counts {
    struct form_counts c;
    uint16_t votes[CONTEST_MAX_CANDIDATES];
    int n_votes;
};

static struct counts base_counts(void)
{
    struct form_input in;
    struct form_problems pr;
    struct counts k;
    assert_int_equal(decode_edits(NULL, 0, &in, &pr), FORM_DECODED);
    k.c = in.counts;
    memcpy(k.votes, in.vote_count, sizeof k.votes);
    k.n_votes = in.n_votes;
    return k;
}

static uint32_t run_checks(const struct counts *k, int32_t roll)
{
    return form_checks(&k->c, k->votes, k->n_votes, roll);
}

/* Exactly this bit and nothing else (no other error, no warning). */
#define assert_only_bit(k, roll, check) assert_int_equal(run_checks(&(k), roll), 1u << (check))

static void test_check_valid_sum(void **state)
{
    struct counts k = base_counts();
    k.votes[3]++;
    assert_only_bit(k, ROLL_DPT, CHECK_VALID_SUM);
}

static void test_check_total_sum(void **state)
{
    struct counts k = base_counts();
    k.c.invalid = 6;
    assert_only_bit(k, ROLL_DPT, CHECK_TOTAL_SUM);
}

static void test_check_ballot_balance(void **state)
{
    struct counts k = base_counts();
    k.c.ballots[BALLOT_RETURNED] = 3;
    assert_only_bit(k, ROLL_DPT, CHECK_BALLOT_BALANCE);
}

static void test_check_turnout_match(void **state)
{
    /* voted rows != ballots.used */
    struct counts k = base_counts();
    k.c.voted[ROW_DPTB][SEX_M] = 3;
    assert_only_bit(k, ROLL_DPT, CHECK_TURNOUT_MATCH);
    /* voted rows = ballots.used, but != total */
    k.c.ballots[BALLOT_USED] = 315;
    k.c.ballots[BALLOT_UNUSED] = 105;
    assert_only_bit(k, ROLL_DPT, CHECK_TURNOUT_MATCH);
}

static void test_check_voted_le_registered(void **state)
{
    /* Men and women apart: the DPT row's sum still fits, the men do not. */
    struct counts k = base_counts();
    k.c.voted[ROW_DPT][SEX_M] = 211;
    k.c.voted[ROW_DPT][SEX_F] = 99;
    assert_only_bit(k, ROLL_DPT, CHECK_VOTED_LE_REGISTERED);
    k = base_counts();
    k.c.registered[ROW_DPPH][SEX_F] = 0; /* voted.dpph.f is 1 */
    assert_only_bit(k, ROLL_DPT, CHECK_VOTED_LE_REGISTERED);
}

/* DPTb voters were not on a list: voted.dptb > registered.dptb is fine (the
 * base form has voted.dptb.m 2 against registered.dptb.m 0). */
static void test_check_voted_dptb_not_bounded(void **state)
{
    struct counts k = base_counts();
    assert_true(k.c.voted[ROW_DPTB][SEX_M] > k.c.registered[ROW_DPTB][SEX_M]);
    assert_int_equal(run_checks(&k, ROLL_DPT), 0);
}

static void test_check_dpt_matches_roll(void **state)
{
    struct counts k = base_counts();
    assert_only_bit(k, ROLL_DPT + 1, CHECK_DPT_MATCHES_ROLL); /* 412 still allows 423 ballots */
    k.c.registered[ROW_DPT][SEX_F] = 202;
    assert_only_bit(k, ROLL_DPT, CHECK_DPT_MATCHES_ROLL);
}

static void test_check_tps_capacity(void **state)
{
    struct counts k = base_counts();
    k.c.registered[ROW_DPPH][SEX_M] = 188; /* 411 + 189 = 600 */
    assert_int_equal(run_checks(&k, ROLL_DPT), 0);
    k.c.registered[ROW_DPPH][SEX_M] = 189;
    assert_only_bit(k, ROLL_DPT, CHECK_TPS_CAPACITY);
    /* DPTb is not part of the capacity. */
    k.c.registered[ROW_DPPH][SEX_M] = 188;
    k.c.registered[ROW_DPTB][SEX_M] = 50;
    assert_int_equal(run_checks(&k, ROLL_DPT), 0);
}

static void test_check_ballot_reserve(void **state)
{
    /* 411 + ceil(10.275) = 422 is the base form's exact allowance. */
    struct counts k = base_counts();
    k.c.ballots[BALLOT_RECEIVED] = 423;
    k.c.ballots[BALLOT_UNUSED] = 107;
    assert_only_bit(k, ROLL_DPT, CHECK_BALLOT_RESERVE);
}

/* 400 -> 400 + 10 exactly; 401 -> 401 + ceil(10.025) = 412. */
static void test_check_ballot_reserve_rounding(void **state)
{
    struct counts k = base_counts();
    k.c.registered[ROW_DPT][SEX_M] = 200;
    k.c.registered[ROW_DPT][SEX_F] = 200;
    k.c.ballots[BALLOT_RECEIVED] = 410;
    k.c.ballots[BALLOT_UNUSED] = 94;
    assert_int_equal(run_checks(&k, 400), 0);
    k.c.ballots[BALLOT_RECEIVED] = 411;
    k.c.ballots[BALLOT_UNUSED] = 95;
    assert_only_bit(k, 400, CHECK_BALLOT_RESERVE);
    k.c.registered[ROW_DPT][SEX_F] = 201;
    k.c.ballots[BALLOT_RECEIVED] = 412;
    k.c.ballots[BALLOT_UNUSED] = 96;
    assert_int_equal(run_checks(&k, 401), 0);
    k.c.ballots[BALLOT_RECEIVED] = 413;
    k.c.ballots[BALLOT_UNUSED] = 97;
    assert_only_bit(k, 401, CHECK_BALLOT_RESERVE);
}

static void test_check_disability_le(void **state)
{
    struct counts k = base_counts();
    k.c.disability[DISABILITY_VOTED] = 4; /* > registered 3 */
    assert_only_bit(k, ROLL_DPT, CHECK_DISABILITY_LE);
    k.c.disability[DISABILITY_REGISTERED] = 400;
    k.c.disability[DISABILITY_VOTED] = 314; /* = all voters: fine */
    assert_int_equal(run_checks(&k, ROLL_DPT), 0);
    k.c.disability[DISABILITY_VOTED] = 315; /* > all voters */
    assert_only_bit(k, ROLL_DPT, CHECK_DISABILITY_LE);
}

/* invalid * 100 >= 3 * total: with total 314 the line is 9.42. */
static void test_warn_invalid_share(void **state)
{
    struct counts k = base_counts();
    k.c.invalid = 9;
    k.c.valid = 305;
    k.votes[3] = 14;
    assert_int_equal(run_checks(&k, ROLL_DPT), 0);
    k.c.invalid = 10;
    k.c.valid = 304;
    k.votes[3] = 13;
    assert_only_bit(k, ROLL_DPT, WARN_INVALID_SHARE);
    assert_false(form_checks_hold(run_checks(&k, ROLL_DPT)));
    /* Exactly 3 %: 9 of 300 warns, 8 does not. */
    k.c.voted[ROW_DPT][SEX_F] = 146;
    k.c.ballots[BALLOT_USED] = 300;
    k.c.ballots[BALLOT_UNUSED] = 120;
    k.c.total = 300;
    k.c.invalid = 9;
    k.c.valid = 291;
    k.votes[3] = 0;
    assert_only_bit(k, ROLL_DPT, WARN_INVALID_SHARE);
    k.c.invalid = 8;
    k.c.valid = 292;
    k.votes[3] = 1;
    assert_int_equal(run_checks(&k, ROLL_DPT), 0);
}

static void test_warn_zero_total(void **state)
{
    struct counts k = base_counts();
    memset(k.c.voted, 0, sizeof k.c.voted);
    memset(k.votes, 0, sizeof k.votes);
    k.c.ballots[BALLOT_RETURNED] = 0;
    k.c.ballots[BALLOT_USED] = 0;
    k.c.ballots[BALLOT_UNUSED] = 422;
    k.c.disability[DISABILITY_VOTED] = 0;
    k.c.valid = k.c.invalid = k.c.total = 0;
    assert_only_bit(k, ROLL_DPT, WARN_ZERO_TOTAL);
    assert_false(form_checks_hold(run_checks(&k, ROLL_DPT)));
}

static void test_checks_hold(void **state)
{
    assert_false(form_checks_hold(0));
    assert_false(form_checks_hold(1u << WARN_INVALID_SHARE | 1u << WARN_ZERO_TOTAL));
    for (int c = 0; c < WARN_INVALID_SHARE; c++)
        assert_true(form_checks_hold(1u << c));
    assert_int_equal(FORM_CHECK_ERRORS, 0x1FFu);
}

static void test_check_codes(void **state)
{
    static const char *const codes[FORM_CHECK_COUNT] = {
        "valid_sum",           "total_sum",        "ballot_balance", "turnout_match",
        "voted_le_registered", "dpt_matches_roll", "tps_capacity",   "ballot_reserve",
        "disability_le",       "invalid_share",    "zero_total",     "cross_contest_voters",
    };
    for (int c = 0; c < FORM_CHECK_COUNT; c++) {
        assert_string_equal(form_check_code((enum form_check)c), codes[c]);
        assert_int_equal(form_check_parse(codes[c]), c);
    }
    assert_null(form_check_code(FORM_CHECK_COUNT));
    assert_int_equal(form_check_parse("valid"), -1);
    assert_int_equal(form_check_parse(""), -1);
    assert_int_equal(form_check_parse(NULL), -1);
}

static void test_sum_rows(void **state)
{
    const uint16_t rows[3][2] = {{1, 2}, {30, 40}, {500, 9999}};
    assert_int_equal(form_sum_rows(rows), 1 + 2 + 30 + 40 + 500 + 9999);
}

/* Literals that no double holds must not decode as 0 and pass for a count. */
static void test_underflowing_numbers_are_refused(void **state)
{
    static const char *const bodies[] = {"{\"valid\": 1e-400}", "{\"valid\": 0.000001e-399}",
                                         "{\"valid\": -1e-99999999999}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct form_input in;
        struct form_problems p = {0};
        assert_int_equal(form_decode(bodies[i], strlen(bodies[i]), &in, &p), FORM_MALFORMED);
    }
    /* Zero however written, and small but representable numbers, still decode. */
    static const char *const fine[] = {"{\"valid\": 0e-400}", "{\"valid\": 0.0}",
                                       "{\"valid\": 1e-300}", "{\"valid\": 10e-301}"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        struct form_input in;
        struct form_problems p = {0};
        assert_int_not_equal(form_decode(fine[i], strlen(fine[i]), &in, &p), FORM_MALFORMED);
    }
}

/* The count list (FORM_COUNTS in form.h) is the one order of the 21 counts:
 * each path decodes into its own member, and the list covers the struct. */
static void test_count_list_maps_each_path_to_its_member(void **state)
{
    (void)state;
    static const char body[] =
        "{\"submission_id\": \"x1\", \"tps\": \"62.03.01.2001.001\", \"contest\": \"gub-62\","
        " \"registered\": {\"dpt\": {\"m\": 100, \"f\": 101}, \"dpph\": {\"m\": 102, \"f\": 103},"
        " \"dptb\": {\"m\": 104, \"f\": 105}},"
        " \"voted\": {\"dpt\": {\"m\": 106, \"f\": 107}, \"dpph\": {\"m\": 108, \"f\": 109},"
        " \"dptb\": {\"m\": 110, \"f\": 111}},"
        " \"ballots\": {\"received\": 112, \"returned\": 113, \"unused\": 114, \"used\": 115},"
        " \"disability\": {\"registered\": 116, \"voted\": 117}, \"votes\": {\"1\": 1},"
        " \"valid\": 118, \"invalid\": 119, \"total\": 120}";
    struct form_input in;
    struct form_problems p;
    assert_int_equal(form_decode(body, sizeof body - 1, &in, &p), FORM_DECODED);
    assert_int_equal(FORM_N_COUNTS, 21);
    size_t covered = 0;
    for (int i = 0; i < FORM_N_COUNTS; i++) {
        assert_int_equal(form_count_get(&in.counts, i), 100 + i);
        covered += sizeof(uint16_t);
    }
    assert_int_equal(covered, sizeof(struct form_counts));
    assert_int_equal(in.counts.registered[ROW_DPPH][SEX_F], 103);
    assert_int_equal(in.counts.ballots[BALLOT_USED], 115);
    assert_int_equal(in.counts.total, 120);
    assert_string_equal(form_count_fields[4].column, "reg_dptb_m");
}

int main(void)
{
    json_init(); /* forms are decoded as the server decodes them: in the arena */
    const struct CMUnitTest decode_tests[] = {
        cmocka_unit_test(test_underflowing_numbers_are_refused),
        cmocka_unit_test(test_count_list_maps_each_path_to_its_member),
        cmocka_unit_test(test_base_form_decodes),
        cmocka_unit_test(test_base_form_passes_every_check),
        cmocka_unit_test(test_contract_example),
        cmocka_unit_test(test_boundary_counts_accepted),
        cmocka_unit_test(test_integral_floats_accepted),
        cmocka_unit_test(test_photo_optional_and_lowercased),
        cmocka_unit_test(test_photos_are_the_pages_in_order),
        cmocka_unit_test(test_photos_rules),
        cmocka_unit_test(test_utf8_bom_accepted),
        cmocka_unit_test(test_body_without_nul_terminator),
        cmocka_unit_test(test_equal_with_reordered_keys),
        cmocka_unit_test(test_not_equal_when_content_differs),
        cmocka_unit_test(test_not_equal_when_photo_differs),
        cmocka_unit_test(test_decode_zeroes_output),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_strict_json),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_missing_everything),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_unknown_field_reported_once),
        cmocka_unit_test(test_unknown_field_sanitised),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_duplicate_key_reported_once),
        cmocka_unit_test(test_not_integer),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_not_string),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_bad_format_submission_id),
        cmocka_unit_test(test_bad_format_codes),
        cmocka_unit_test(test_bad_format_photo),
        cmocka_unit_test(test_bad_format_vote_keys),
        cmocka_unit_test(test_too_many_votes),
        cmocka_unit_test(test_empty_votes),
        cmocka_unit_test(test_many_problems_together),
        cmocka_unit_test(test_problem_list_is_capped),
        cmocka_unit_test(test_problem_add),
    };
    const struct CMUnitTest resolve_tests[] = {
        cmocka_unit_test(test_resolve_ok),
        cmocka_unit_test(test_resolve_votes_by_position),
        cmocka_unit_test(test_resolve_unknown_tps),
        cmocka_unit_test(test_resolve_unknown_contest),
        cmocka_unit_test(test_resolve_unknown_both),
        cmocka_unit_test(test_resolve_tps_not_in_contest),
        cmocka_unit_test(test_resolve_unknown_candidate),
        cmocka_unit_test(test_resolve_missing_candidate),
        cmocka_unit_test(test_resolve_wrong_candidate_set),
    };
    const struct CMUnitTest check_tests[] = {
        cmocka_unit_test(test_check_valid_sum),
        cmocka_unit_test(test_check_total_sum),
        cmocka_unit_test(test_check_ballot_balance),
        cmocka_unit_test(test_check_turnout_match),
        cmocka_unit_test(test_check_voted_le_registered),
        cmocka_unit_test(test_check_voted_dptb_not_bounded),
        cmocka_unit_test(test_check_dpt_matches_roll),
        cmocka_unit_test(test_check_tps_capacity),
        cmocka_unit_test(test_check_ballot_reserve),
        cmocka_unit_test(test_check_ballot_reserve_rounding),
        cmocka_unit_test(test_check_disability_le),
        cmocka_unit_test(test_warn_invalid_share),
        cmocka_unit_test(test_warn_zero_total),
        cmocka_unit_test(test_checks_hold),
        cmocka_unit_test(test_check_codes),
        cmocka_unit_test(test_sum_rows),
    };
    int failed = cmocka_run_group_tests_name("form_decode", decode_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("form_resolve", resolve_tests, registry_setup,
                                          registry_teardown);
    failed += cmocka_run_group_tests_name("form_checks", check_tests, NULL, NULL);
    return failed == 0 ? 0 : 1;
}
