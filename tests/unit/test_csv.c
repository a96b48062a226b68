/* Unit tests for the CSV reader (server/domain/csv.c), which is included
 * whole so the tests see exactly what the seed loader runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domain/csv.c"

#include <stdlib.h>
#include <string.h>

/* Reads every record of `text` and renders it as "line:field|field;" per
 * record, so one string comparison checks fields, boundaries and lines. On
 * an error the rendering ends with "!line:message". Returns a malloc'd string. */
static char *render(const char *text, size_t len)
{
    struct csv c;
    struct buf out;
    buf_init(&out, 1 << 20);
    csv_init_mem(&c, text, len);
    for (;;) {
        int rc = csv_next(&c);
        if (rc != SU_OK) {
            if (rc != SU_NOTFOUND)
                buf_printf(&out, "!%ld:%s", c.record_line, c.err);
            assert_int_equal(csv_next(&c), rc); /* sticky */
            break;
        }
        buf_printf(&out, "%ld:", c.record_line);
        for (int i = 0; i < c.nfields; i++)
            buf_printf(&out, "%s%s", i ? "|" : "", csv_field(&c, i));
        buf_puts(&out, ";");
    }
    csv_free(&c);
    char *s = buf_steal(&out, NULL);
    return s ? s : strdup("");
}

static void check(const char *text, const char *want)
{
    char *got = render(text, strlen(text));
    assert_string_equal(got, want);
    free(got);
}

static void test_plain(void **state)
{
    check("code,name\n62,Kalimantan Tengah\n", "1:code|name;2:62|Kalimantan Tengah;");
    check("a,b", "1:a|b;");       /* no final line break */
    check("a,,c,\n", "1:a||c|;"); /* empty fields, trailing comma */
    check("", "");
    check(",\n", "1:|;");
}

static void test_line_endings(void **state)
{
    check("a,b\r\nc,d\r\n", "1:a|b;2:c|d;");
    check("a\rb\rc", "1:a;2:b;3:c;");    /* lone CR, old Mac style */
    check("a\r\n\r\n\nb\n", "1:a;4:b;"); /* blank lines skipped, still counted */
    check("\n\n", "");
}

static void test_quoted(void **state)
{
    check("\"a,b\",c\n", "1:a,b|c;");
    check("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x;");
    check("\"\",\"\"\n", "1:|;");
    check("\"Pe'i\",Ina\n", "1:Pe'i|Ina;");
    check("x,\"last\"", "1:x|last;");
    /* a line break inside quotes stays in the field; the next record's line
     * number counts it */
    check("\"one\ntwo\",3\nnext\n", "1:one\ntwo|3;3:next;");
    check("\"one\r\ntwo\"\r\nnext\r\n", "1:one\r\ntwo;3:next;");
}

static void test_bom(void **state)
{
    check("\xEF\xBB\xBF"
          "code,name\n",
          "1:code|name;");
    /* a partial mark is data, not swallowed */
    check("\xEF\xBB"
          "x\n",
          "1:\xEF\xBBx;");
    check("\xEF", "1:\xEF;");
}

static void test_errors(void **state)
{
    check("a,b\n\"open,\nc\n", "1:a|b;!2:quoted field opened on this line is never closed");
    check("a,\"b\"c\n", "!1:text after the closing quote of a field");
    check("ok\nab\"c\n",
          "1:ok;!2:quote inside an unquoted field (quote the whole field and double the quote)");
    check("\"x\ny\"z", "!2:text after the closing quote of a field");

    char *got = render("a\nb\0c\n", 6);
    assert_string_equal(got, "1:a;!2:NUL byte in a field");
    free(got);
}

static void test_limits(void **state)
{
    struct buf text;
    buf_init(&text, 1 << 20);
    for (int i = 0; i <= CSV_MAX_FIELDS; i++)
        buf_puts(&text, i ? ",x" : "x");
    char *got = render(text.data, text.len);
    assert_string_equal(got, "!1:more than 64 fields");
    free(got);

    buf_reset(&text);
    buf_puts(&text, "ok\n");
    for (int i = 0; i < CSV_MAX_RECORD; i++)
        buf_puts(&text, "y");
    got = render(text.data, text.len);
    assert_string_equal(got, "1:ok;!2:record longer than 65536 bytes");
    free(got);
    buf_free(&text);
}

static void test_file(void **state)
{
    static const char text[] = "code,kabupaten_code,name\n62.01.01,62.01,\"Kumai, Hulu\"\n";
    FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(fp);
    struct csv c;
    csv_init_file(&c, fp);
    assert_int_equal(csv_next(&c), SU_OK);
    assert_int_equal(c.nfields, 3);
    assert_string_equal(csv_field(&c, 1), "kabupaten_code");
    assert_int_equal(csv_next(&c), SU_OK);
    assert_int_equal(c.record_line, 2);
    assert_string_equal(csv_field(&c, 2), "Kumai, Hulu");
    assert_int_equal(csv_next(&c), SU_NOTFOUND);
    csv_free(&c);
    fclose(fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),  cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_quoted), cmocka_unit_test(test_bom),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
