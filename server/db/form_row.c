/* See form_row.h. */
#include "form_row.h"
#include "copy.h"
#include "domain/receipt.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    COL_PHOTO = FORM_ROW_PHOTO,
    COL_COUNTS = FORM_ROW_COUNTS,
    COL_VOTES = FORM_ROW_VOTES,
    COL_DECISION = FORM_ROW_DECISION,
    COL_RECEIPT = FORM_ROW_RECEIPT,
    COL_PHOTOS = FORM_ROW_PHOTOS,
    COL_RECEIPT_FORMAT = FORM_ROW_RECEIPT_FORMAT,
    COL_AMENDMENT = FORM_ROW_AMENDMENT,
    COL_DECISION_RECEIPT = FORM_ROW_DECISION_RECEIPT
};

/* The integers PostgreSQL prints: an optional '-' and digits. At start-up
 * this runs ~40 times for each of millions of rows, where strtoll's locale
 * and base handling showed up as a seventh of the time. */
static int64_t num(const char *s)
{
    bool negative = *s == '-';
    int64_t v = 0;
    for (s += negative; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    return negative ? -v : v;
}

static bool is_null(const char *v)
{
    return !v || !*v;
}

static uint32_t parse_checks(const char *text)
{
    uint32_t bits = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text + (*text == '{'));
    for (char *save, *tok = strtok_r(buf, ",}", &save); tok; tok = strtok_r(NULL, ",}", &save)) {
        int k = form_check_parse(tok);
        if (k >= 0)
            bits |= 1u << k;
    }
    return bits;
}

static void fill_counts(struct form_counts *c, char **f)
{
    for (int i = 0; i < FORM_N_COUNTS; i++)
        form_count_set(c, i, (uint16_t)num(f[COL_COUNTS + i]));
}

/* The pages: "photos" ({h1,h2}) for forms stored since migration 010, else
 * the one "photo_sha256" of older rows. 0, or -1 on a malformed value. */
static int parse_photos(struct form *form, char **f)
{
    char photos[FORM_MAX_PHOTOS][FORM_PHOTO_HEX + 1];
    int n = 0;
    if (!is_null(f[COL_PHOTOS])) {
        const char *p = f[COL_PHOTOS];
        if (*p++ != '{')
            return -1;
        while (*p && *p != '}') {
            size_t len = strcspn(p, ",}");
            if (len != FORM_PHOTO_HEX || n == FORM_MAX_PHOTOS)
                return -1;
            memcpy(photos[n], p, len);
            photos[n++][len] = '\0';
            p += len + (p[len] == ',');
        }
    } else if (!is_null(f[COL_PHOTO])) {
        if (strlen(f[COL_PHOTO]) != FORM_PHOTO_HEX)
            return -1;
        memcpy(photos[0], f[COL_PHOTO], FORM_PHOTO_HEX + 1);
        n = 1;
    }
    form_set_photos(form, (const char(*)[FORM_PHOTO_HEX + 1]) photos, n);
    return 0;
}

static struct decision *parse_decision(char **f)
{
    if (is_null(f[COL_DECISION]))
        return NULL;
    struct decision *d = xcalloc(1, sizeof *d);
    if (!d || !(d->reason = xstrdup(f[COL_DECISION + 2] ? f[COL_DECISION + 2] : ""))) {
        free(d);
        return NULL;
    }
    d->id = num(f[COL_DECISION]);
    d->count = strcmp(f[COL_DECISION + 1], "count") == 0;
    d->token_id = (int32_t)num(f[COL_DECISION + 3]);
    d->seq = num(f[COL_DECISION + 4]);
    d->decided_ms = num(f[COL_DECISION + 5]);
    d->has_receipt = !is_null(f[COL_DECISION_RECEIPT]) &&
                     receipt_parse_hex(f[COL_DECISION_RECEIPT], d->receipt) == 0;
    return d;
}

struct form *form_row_parse(char **f, int n)
{
    if (n != FORM_ROW_FIELDS)
        return NULL;
    for (int i = 0; i < COL_DECISION; i++) {
        if (i != COL_PHOTO && is_null(f[i]))
            return NULL;
    }
    long votes[CONTEST_MAX_CANDIDATES];
    int nv = copy_parse_int_array(f[COL_VOTES], votes, CONTEST_MAX_CANDIDATES);
    int status = form_status_parse(f[5]), outcome = form_status_parse(f[6]);
    if (nv < 0 || status < 0 || outcome < 0 || strlen(f[1]) > SUBMISSION_ID_MAX)
        return NULL;
    struct form *form = xcalloc(1, sizeof *form + (size_t)nv * sizeof form->votes[0]);
    if (!form)
        return NULL;
    form->id = num(f[0]);
    strcpy(form->submission_id, f[1]);
    form->tps = -1;
    form->revision = (uint32_t)num(f[4]);
    form->status = (uint8_t)status;
    form->outcome = (uint8_t)outcome;
    form->confirms = num(f[7]);
    form->token_id = (int32_t)num(f[8]);
    form->seq = num(f[9]);
    form->received_ms = num(f[10]);
    form->checks = parse_checks(f[11]);
    form->receipt_format =
        is_null(f[COL_RECEIPT_FORMAT]) ? RECEIPT_V1 : (uint8_t)num(f[COL_RECEIPT_FORMAT]);
    if (parse_photos(form, f) != 0) {
        free(form);
        return NULL;
    }
    fill_counts(&form->counts, f);
    form->n_votes = (uint8_t)nv;
    for (int k = 0; k < nv; k++)
        form->votes[k] = (uint16_t)votes[k];
    form->amendment = is_null(f[COL_AMENDMENT]) ? NULL : xstrdup(f[COL_AMENDMENT]);
    form->decision = parse_decision(f);
    if (!is_null(f[COL_RECEIPT]))
        receipt_parse_hex(f[COL_RECEIPT], form->receipt);
    return form;
}
