/* domain/receipt.c: the canonical texts byte for byte (a changed byte would
 * make every stored receipt fail `suara verify-log`), their digests as
 * computed apart (Python's hashlib), the chaining, and the hex parser. */
#include "core/buf.h"
#include "core/sha256.h"
#include "domain/receipt.h"
#include "fixture.h"

#include <stdlib.h>

/* A held gub-62 form with two photo pages, revision 2, chained first. */
static struct form *sample(const struct registry *reg)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-1");
    in.n_photos = 2;
    memset(in.photos[0], 'a', FORM_PHOTO_HEX);
    memset(in.photos[1], 'b', FORM_PHOTO_HEX);
    in.counts.registered[ROW_DPT][SEX_M] = 250;
    in.counts.valid = 103;
    in.counts.invalid = 3;
    in.counts.total = 106;
    struct form_resolved res = {.tps = fixture_find(reg, "62.01.01.1011.001"),
                                .contest = &reg->contests[0]};
    res.votes[0] = 40;
    res.votes[1] = 63;
    struct form *f = form_new(&in, &res, 1u << CHECK_VALID_SUM, 3, 1700000000123);
    assert_non_null(f);
    f->id = 7;
    f->seq = 11;
    f->revision = 2;
    f->outcome = FS_HELD;
    f->receipt_format = RECEIPT_V2;
    return f;
}

static const char form_text[] =
    "suara-receipt-v2\n"
    "prev=0000000000000000000000000000000000000000000000000000000000000000\n"
    "id=7\n"
    "submission_id=sid-1\n"
    "tps=62.01.01.1011.001\n"
    "contest=gub-62\n"
    "revision=2\n"
    "outcome=held\n"
    "confirms=0\n"
    "token_id=3\n"
    "seq=11\n"
    "received_ms=1700000000123\n"
    "checks=valid_sum\n"
    "photos=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
    "counts=250,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,103,3,106\n"
    "votes=40,63\n";

static void hex(const unsigned char d[32], char out[65])
{
    hex_encode(d, 32, out);
}

static void test_form_text_and_digest(void **state)
{
    (void)state;
    struct registry reg;
    fixture_registry(&reg);
    assert_string_equal(reg.contests[0].id, "gub-62");
    struct form *f = sample(&reg);
    unsigned char zero[32] = {0}, d[32];
    char text[2048], h[65];
    struct buf out;
    buf_init_fixed(&out, text, sizeof text);
    assert_int_equal(receipt_text(zero, f, "62.01.01.1011.001", "gub-62", &out), SU_OK);
    assert_int_equal(out.len, sizeof form_text - 1);
    assert_memory_equal(out.data, form_text, out.len);
    receipt_compute(zero, f, "62.01.01.1011.001", "gub-62", d);
    hex(d, h);
    assert_string_equal(h, "e04af0b67b064253b88d53c7403380db1bf0b66cd0f6965dbc55cccd7a8792c6");
    /* the first format, kept for forms stored before photos had pages */
    f->receipt_format = RECEIPT_V1;
    receipt_compute(zero, f, "62.01.01.1011.001", "gub-62", d);
    hex(d, h);
    assert_string_equal(h, "a03e36e865e04a02cfb8dc859cd6d0d9d0feaa5edbc5da98f131477efa4c8b0c");
    form_free(f);
    registry_free(&reg);
}

static void test_chain_and_decision(void **state)
{
    (void)state;
    struct registry reg;
    fixture_registry(&reg);
    struct form *f = sample(&reg);
    unsigned char zero[32] = {0}, first[32], d[32];
    receipt_compute(zero, f, "62.01.01.1011.001", "gub-62", first);
    /* the next entry starts with the previous receipt */
    char text[2048], h[65];
    struct buf out;
    buf_init_fixed(&out, text, sizeof text);
    assert_int_equal(receipt_text(first, f, "62.01.01.1011.001", "gub-62", &out), SU_OK);
    hex(first, h);
    assert_memory_equal(out.data + strlen("suara-receipt-v2\nprev="), h, 64);
    char reason[] = "checked the plano";
    struct decision dec = {.id = 5,
                           .seq = 12,
                           .decided_ms = 1700000000456,
                           .token_id = 9,
                           .count = true,
                           .reason = reason};
    receipt_decision(first, &dec, 7, d);
    hex(d, h);
    assert_string_equal(h, "2d7fa910cd5b3aa69dd47268903091ec1dec05685afbc13d0a6402f0956a0e40");
    dec.count = false; /* a reject is another text, another digest */
    receipt_decision(first, &dec, 7, d);
    hex(d, h);
    assert_string_not_equal(h, "2d7fa910cd5b3aa69dd47268903091ec1dec05685afbc13d0a6402f0956a0e40");
    form_free(f);
    registry_free(&reg);
}

static void test_parse_hex(void **state)
{
    (void)state;
    unsigned char d[32];
    char good[] = "2d7fa910cd5b3aa69dd47268903091ec1dec05685afbc13d0a6402f0956a0e40";
    assert_int_equal(receipt_parse_hex(good, d), 0);
    assert_int_equal(d[0], 0x2d);
    assert_int_equal(d[31], 0x40);
    char upper[] = "2d7fa910cd5b3aa69dd47268903091ec1dec05685afbc13d0a6402f0956a0e40";
    upper[0] = 'F';
    upper[1] = 'F'; /* receipts are lower-case hex, as they are printed */
    assert_int_equal(receipt_parse_hex(upper, d), -1);
    good[63] = '\0';
    assert_int_equal(receipt_parse_hex(good, d), -1); /* 63 characters */
    char bad[] = "2d7fa910cd5b3aa69dd47268903091ec1dec05685afbc13d0a6402f0956a0e40";
    bad[10] = 'g';
    assert_int_equal(receipt_parse_hex(bad, d), -1);
    assert_int_equal(receipt_parse_hex(NULL, d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_text_and_digest),
        cmocka_unit_test(test_chain_and_decision),
        cmocka_unit_test(test_parse_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
