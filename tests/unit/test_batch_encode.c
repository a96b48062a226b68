/* The batch encoder of db/writer.c: the PostgreSQL array literals that carry
 * a whole batch in one statement, one array per column (unnest). What goes in
 * a text element is escaped so that PostgreSQL's array parser gives back the
 * same string: quotes and backslashes escaped, every element quoted, so
 * commas, braces, spaces, newlines, "NULL" and UTF-8 stay text. Included as
 * h2o's unit tests include their sources, to reach the static encoder. */
#include "db/writer.c"
#include "fixture.h"

static struct column *column_new(void)
{
    static struct column c;
    buf_free(&c.text);
    buf_init(&c.text, 4096);
    buf_puts(&c.text, "{");
    c.n = 0;
    return &c;
}

static const char *finish(struct column *c)
{
    buf_puts(&c->text, "}");
    assert_int_equal(buf_error(&c->text), SU_OK);
    buf_append(&c->text, "", 1); /* NUL, not counted by the literal */
    return c->text.data;
}

static void test_text_elements(void **state)
{
    (void)state;
    struct column *c = column_new();
    col_str(c, "plain");
    col_str(c, "say \"no\", {x} \\ here");
    col_str(c, "NULL");
    col_str(c, "");
    col_str(c, "line\nbreak, d\xc3\xa9j\xc3\xa0");
    assert_string_equal(finish(c), "{\"plain\",\"say \\\"no\\\", {x} \\\\ here\",\"NULL\",\"\","
                                   "\"line\nbreak, d\xc3\xa9j\xc3\xa0\"}");
}

static void test_numbers_and_nulls(void **state)
{
    (void)state;
    struct column *c = column_new();
    col_int(c, 0);
    col_null(c);
    col_int(c, INT64_MAX);
    col_int(c, -42);
    assert_string_equal(finish(c), "{0,NULL,9223372036854775807,-42}");
    c = column_new();
    assert_string_equal(finish(c), "{}"); /* an empty batch column */
}

static void test_counts_literal(void **state)
{
    (void)state;
    struct registry reg;
    fixture_registry(&reg);
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid");
    uint16_t n = 1;
    for (int r = 0; r < 3; r++)
        for (int s = 0; s < 2; s++)
            in.counts.registered[r][s] = n++;
    for (int r = 0; r < 3; r++)
        for (int s = 0; s < 2; s++)
            in.counts.voted[r][s] = n++;
    for (int b = 0; b < 4; b++)
        in.counts.ballots[b] = n++;
    in.counts.disability[0] = n++;
    in.counts.disability[1] = n++;
    in.counts.valid = n++;
    in.counts.invalid = n++;
    in.counts.total = n++;
    struct form_resolved res = {.tps = fixture_find(&reg, "62.01.01.1011.001"),
                                .contest = &reg.contests[0]};
    struct form *f = form_new(&in, &res, 0, 1, 0);
    struct buf out;
    char text[256];
    buf_init_fixed(&out, text, sizeof text);
    counts_literal(f, &out);
    buf_append(&out, "", 1);
    /* the column order of forms.counts (schema): registered, voted, ballots,
     * disability, valid, invalid, total */
    assert_string_equal(text, "{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21}");
    form_free(f);
    registry_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_elements),
        cmocka_unit_test(test_numbers_and_nulls),
        cmocka_unit_test(test_counts_literal),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&column_new()->text);
    return rc;
}
