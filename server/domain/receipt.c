/* See receipt.h. The canonical text of a form, one line each, in this order:
 *   suara-receipt-v2        (its receipt_format; v1 for forms stored before photos
 *                           had pages)
 *   prev=<64 hex>
 *   id=<form id>            submission_id=<id>     tps=<code>      contest=<id>
 *   revision=<n>            outcome=<counted|held|disputed|confirmation>
 *   confirms=<form id or 0> token_id=<n>           seq=<n>         received_ms=<ms since epoch>
 *   checks=<codes, comma-separated, in table order>
 *   photos=<the pages' SHA-256 hex, comma-separated, in page order; empty when none>
 *           (v1: photo_sha256=<the one hash or empty>)
 *   counts=<the 21 counts: registered dpt/dpph/dptb m,f; voted likewise;
 *           ballots received,returned,unused,used; disability registered,voted;
 *           valid,invalid,total>
 *   votes=<votes by nomor urut order, comma-separated>
 * Every line ends with "\n". A decision's text is
 *   suara-decision-v1  prev=  id=  form_id=  decision=<count|reject>
 *   reason_sha256=<SHA-256 of the reason, hex>  token_id=  seq=  decided_ms=
 * docs/operations.md shows how to recompute both by hand. */
#include "receipt.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/sha256.h"

#define OPENSSL_SUPPRESS_DEPRECATED /* see digest_bytes() */
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* In the list's order (form.h): the order every receipt was issued with. */
static void join_counts(const struct form_counts *k, struct buf *out)
{
    buf_puts(out, "counts=");
    for (int i = 0; i < FORM_N_COUNTS; i++) {
        if (i)
            buf_puts(out, ",");
        buf_put_uint(out, form_count_get(k, i));
    }
    buf_puts(out, "\n");
}

int receipt_text(const unsigned char prev[32], const struct form *f, const char *tps_code,
                 const char *contest_id, struct buf *out)
{
    char prev_hex[65];
    hex_encode(prev, 32, prev_hex);
    buf_printf(out,
               "suara-receipt-v%d\nprev=%s\nid=%lld\nsubmission_id=%s\ntps=%s\ncontest=%s\n"
               "revision=%u\noutcome=%s\nconfirms=%lld\ntoken_id=%d\nseq=%lld\nreceived_ms=%lld\n"
               "checks=",
               (int)f->receipt_format, prev_hex, (long long)f->id, f->submission_id, tps_code,
               contest_id, f->revision, form_status_name(f->outcome), (long long)f->confirms,
               f->token_id, (long long)f->seq, (long long)f->received_ms);
    for (int k = 0, n = 0; k < FORM_CHECK_COUNT; k++) {
        if (f->checks & (1u << k))
            buf_printf(out, "%s%s", n++ ? "," : "", form_check_code((enum form_check)k));
    }
    if (f->receipt_format == RECEIPT_V1) {
        buf_printf(out, "\nphoto_sha256=%s\n", f->n_photos ? f->photos[0] : "");
    } else {
        buf_puts(out, "\nphotos=");
        for (int i = 0; i < f->n_photos; i++)
            buf_printf(out, "%s%s", i ? "," : "", f->photos[i]);
        buf_puts(out, "\n");
    }
    join_counts(&f->counts, out);
    buf_puts(out, "votes=");
    for (int i = 0; i < f->n_votes; i++)
        buf_printf(out, "%s%d", i ? "," : "", f->votes[i]);
    buf_puts(out, "\n");
    return buf_error(out);
}

/* SHA-256 through libcrypto, which uses the CPU's SHA instructions: the same
 * digest as core/sha256.c, several times faster, and the start-up hashes
 * millions of status texts (docs/benchmarks.md). SHA256_Init and friends, not
 * EVP: see merkle.c's digest(). */
static void digest_bytes(const void *data, size_t len, unsigned char out[32])
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, len);
    SHA256_Final(out, &ctx);
}

static void digest_text(const struct buf *text, unsigned char out[32])
{
    digest_bytes(text->data, text->len, out);
}

void receipt_compute(const unsigned char prev[32], const struct form *f, const char *tps_code,
                     const char *contest_id, unsigned char out[32])
{
    char scratch[2048];
    struct buf text;
    buf_init_fixed(&text, scratch, sizeof scratch);
    /* Every field is bounded (ids, codes, 64-character hashes): it fits. */
    SU_ASSERT(receipt_text(prev, f, tps_code, contest_id, &text) == SU_OK);
    digest_text(&text, out);
}

int receipt_decision_text(const unsigned char prev[32], const struct decision *d, int64_t form_id,
                          struct buf *out)
{
    char prev_hex[65], reason_hex[65];
    hex_encode(prev, 32, prev_hex);
    sha256_hex(d->reason, strlen(d->reason), reason_hex);
    buf_printf(out,
               "suara-decision-v1\nprev=%s\nid=%lld\nform_id=%lld\ndecision=%s\n"
               "reason_sha256=%s\ntoken_id=%d\nseq=%lld\ndecided_ms=%lld\n",
               prev_hex, (long long)d->id, (long long)form_id, d->count ? "count" : "reject",
               reason_hex, d->token_id, (long long)d->seq, (long long)d->decided_ms);
    return buf_error(out);
}

void receipt_decision(const unsigned char prev[32], const struct decision *d, int64_t form_id,
                      unsigned char out[32])
{
    char scratch[512];
    struct buf text;
    buf_init_fixed(&text, scratch, sizeof scratch);
    SU_ASSERT(receipt_decision_text(prev, d, form_id, &text) == SU_OK);
    digest_text(&text, out);
}

/* Appends "name" and v in decimal and "\n" at p; returns the end. */
static char *put_line(char *p, const char *name, int64_t v)
{
    size_t n = strlen(name);
    memcpy(p, name, n);
    p += n;
    char digits[24];
    int k = 0;
    uint64_t u = (uint64_t)v;
    do {
        digits[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (k)
        *p++ = digits[--k];
    *p++ = '\n';
    return p;
}

void receipt_status(const unsigned char prev[32], int64_t seq, int64_t form_id, int status,
                    unsigned char out[32])
{
    /* Built by hand, not with printf: millions of these at start-up. */
    static const char head[] = "suara-status-v1\nprev=";
    char text[256], *p = text;
    SU_ASSERT(seq >= 0 && form_id >= 0);
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    hex_encode(prev, 32, p);
    p += 64;
    *p++ = '\n';
    p = put_line(p, "seq=", seq);
    p = put_line(p, "form_id=", form_id);
    const char *name = form_status_name(status);
    size_t n = strlen(name);
    memcpy(p, "status=", 7);
    memcpy(p + 7, name, n);
    p += 7 + n;
    *p++ = '\n';
    digest_bytes(text, (size_t)(p - text), out);
}

static int hex_digit(char c)
{
    /* Called 64 times for each of millions of stored forms at start-up. */
    static signed char table[256];
    static bool built;
    if (!built) {
        memset(table, -1, sizeof table);
        for (int i = 0; i < 10; i++)
            table['0' + i] = (signed char)i;
        for (int i = 0; i < 6; i++)
            table['a' + i] = (signed char)(10 + i);
        built = true;
    }
    return table[(unsigned char)c];
}

int receipt_parse_hex(const char *hex, unsigned char out[32])
{
    if (!hex || strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
