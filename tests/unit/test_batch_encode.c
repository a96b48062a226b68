/* The batch encoder of db/writer.c: the binary PostgreSQL arrays (the format
 * array_recv reads) that carry a whole batch in one statement, one array per
 * column (unnest). Each test compares the bytes with the format written out
 * by hand: ndim, has-null flag, element type, (size, lower bound) per
 * dimension, then each element as a 4-byte big-endian length (-1 for NULL)
 * and its bytes. Text goes in as it is (no quoting to get wrong). Included as
 * h2o's unit tests include their sources, to reach the static encoder. */
#include "db/writer.c"
#include "fixture.h"

static struct column col;

static struct column *column_new(int width, int row_width)
{
    buf_free(&col.bytes);
    buf_init(&col.bytes, 4096);
    col_reset(&col, width, row_width);
    return &col;
}

/* The bytes col_finish hands to PostgreSQL equal want[0..n). */
static void assert_bytes(struct column *c, const unsigned char *want, size_t n)
{
    const char *data = NULL;
    int len = -1;
    col_finish(c, &data, &len);
    assert_int_equal(len, (int)n);
    assert_memory_equal(data, want, n);
}

static void test_text_elements(void **state)
{
    (void)state;
    struct column *c = column_new(0, 0);
    col_str(c, "a\"{,");
    col_null(c);
    col_str(c, "");
    static const unsigned char want[] = {
        0,    0,    0,    1,    0,   0,   0,   1,   0, 0, 0, 25, /* 1 dim, has NULL, text */
        0,    0,    0,    3,    0,   0,   0,   1,                /* 3 elements from 1 */
        0,    0,    0,    4,    'a', '"', '{', ',',              /* as it is */
        0xff, 0xff, 0xff, 0xff,                                  /* NULL */
        0,    0,    0,    0,                                     /* the empty string */
    };
    assert_bytes(c, want, sizeof want);
}

static void test_numbers(void **state)
{
    (void)state;
    struct column *c = column_new(8, 0);
    col_int(c, 1);
    col_int(c, -2);
    static const unsigned char want8[] = {
        0,    0,    0,    1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0,    0,    0,    1, /* int8[2] */
        0,    0,    0,    8, 0, 0, 0, 0, 0, 0, 0, 1,  0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xfe,
    };
    assert_bytes(c, want8, sizeof want8);
    c = column_new(4, 0);
    col_int(c, 0x01020304);
    static const unsigned char want4[] = {
        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 1, 2, 3, 4,
    };
    assert_bytes(c, want4, sizeof want4);
}

static void test_empty_column(void **state)
{
    (void)state;
    struct column *c = column_new(2, 0);
    /* no dimension at all, and not a byte more: PostgreSQL refuses leftovers */
    static const unsigned char want[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 21};
    assert_bytes(c, want, sizeof want);
}

static void test_counts_rows(void **state)
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
    struct column *c = column_new(2, FORM_N_COUNTS);
    counts_row(f, c);
    counts_row(f, c);
    /* two rows of 21: the column order of the forms table (schema):
     * registered, voted, ballots, disability, valid, invalid, total */
    unsigned char want[28 + 2 * 21 * 6];
    static const unsigned char head[28] = {0, 0, 0, 2, 0, 0, 0, 0, 0, 0,  0, 21, 0, 0,
                                           0, 2, 0, 0, 0, 1, 0, 0, 0, 21, 0, 0,  0, 1};
    memcpy(want, head, sizeof head);
    for (int row = 0; row < 2; row++) {
        for (int i = 0; i < 21; i++) {
            unsigned char *e = want + 28 + (row * 21 + i) * 6;
            memcpy(e, "\0\0\0\2\0", 5);
            e[5] = (unsigned char)(i + 1);
        }
    }
    assert_bytes(c, want, sizeof want);
    form_free(f);
    registry_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_elements),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_empty_column),
        cmocka_unit_test(test_counts_rows),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&col.bytes);
    return rc;
}
