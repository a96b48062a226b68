/* See csv.h. One character at a time through a tiny pushback stack (three
 * deep, for the byte-order mark); the seed files are a few hundred KB, so
 * simplicity wins over speed. */
#include "csv.h"
#include "core/err.h"

#include <stdarg.h>
#include <string.h>

#define READ_FAILED (-3) /* besides EOF (-1): the FILE* reported an error */

void csv_init_file(struct csv *c, FILE *fp)
{
    memset(c, 0, sizeof *c);
    c->fp = fp;
    c->at_start = 1;
    c->line = 1;
    buf_init(&c->text, CSV_MAX_RECORD);
}

void csv_init_mem(struct csv *c, const char *data, size_t len)
{
    csv_init_file(c, NULL);
    c->mem = data;
    c->mem_len = len;
}

void csv_free(struct csv *c)
{
    buf_free(&c->text);
}

const char *csv_field(const struct csv *c, int i)
{
    return c->text.data + c->offsets[i];
}

static int get(struct csv *c)
{
    if (c->nback > 0)
        return c->back[--c->nback];
    if (c->fp) {
        int ch = getc(c->fp);
        return ch == EOF && ferror(c->fp) ? READ_FAILED : ch;
    }
    if (c->mem_pos >= c->mem_len)
        return EOF;
    return (unsigned char)c->mem[c->mem_pos++];
}

static void unget(struct csv *c, int ch)
{
    c->back[c->nback++] = ch;
}

/* After a CR: swallows the LF of a CRLF pair. */
static void skip_lf(struct csv *c)
{
    int ch = get(c);
    if (ch != '\n')
        unget(c, ch);
}

static int set_error(struct csv *c, int rc, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int set_error(struct csv *c, int rc, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->record_line = line;
    c->done = rc;
    return rc;
}

static int put(struct csv *c, int ch)
{
    char byte = (char)ch;
    if (buf_append(&c->text, &byte, 1) != SU_OK)
        return set_error(c, SU_TOOBIG, c->record_line, "record longer than %d bytes",
                         CSV_MAX_RECORD);
    return SU_OK;
}

static void skip_bom(struct csv *c)
{
    static const int bom[3] = {0xEF, 0xBB, 0xBF};
    int got[3], n;
    for (n = 0; n < 3; n++) {
        got[n] = get(c);
        if (got[n] != bom[n])
            break;
    }
    if (n == 3)
        return;
    for (int i = n; i >= 0; i--)
        unget(c, got[i]);
}

/* Reads a quoted field whose opening quote was just consumed; *next gets the
 * character after the closing quote. Returns SU_OK or an error code. */
static int quoted_field(struct csv *c, int *next)
{
    long opened = c->line;
    for (;;) {
        int ch = get(c);
        if (ch == READ_FAILED)
            return set_error(c, SU_ERR, c->line, "read error");
        if (ch == EOF)
            return set_error(c, SU_INVAL, opened,
                             "quoted field opened on this line is never closed");
        if (ch == '\0')
            return set_error(c, SU_INVAL, c->line, "NUL byte in a field");
        if (ch == '"') {
            ch = get(c);
            if (ch == READ_FAILED)
                return set_error(c, SU_ERR, c->line, "read error");
            if (ch != '"') {
                *next = ch;
                return SU_OK;
            }
        } else if (ch == '\n') {
            c->line++;
        } else if (ch == '\r') {
            int after = get(c);
            unget(c, after);
            if (after != '\n')
                c->line++;
            /* a CRLF pair is kept whole; its LF counts the line */
        }
        int rc = put(c, ch);
        if (rc != SU_OK)
            return rc;
    }
}

/* Reads the rest of an unquoted field starting with ch; *next gets the
 * character that ended it. Returns SU_OK or an error code. */
static int plain_field(struct csv *c, int ch, int *next)
{
    while (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF) {
        if (ch == READ_FAILED)
            return set_error(c, SU_ERR, c->line, "read error");
        if (ch == '"')
            return set_error(
                c, SU_INVAL, c->line,
                "quote inside an unquoted field (quote the whole field and double the quote)");
        if (ch == '\0')
            return set_error(c, SU_INVAL, c->line, "NUL byte in a field");
        int rc = put(c, ch);
        if (rc != SU_OK)
            return rc;
        ch = get(c);
    }
    *next = ch;
    return SU_OK;
}

int csv_next(struct csv *c)
{
    if (c->done)
        return c->done;
    buf_reset(&c->text);
    c->nfields = 0;
    if (c->at_start) {
        c->at_start = 0;
        skip_bom(c);
    }

    int ch = get(c);
    while (ch == '\n' || ch == '\r') { /* blank lines */
        if (ch == '\r')
            skip_lf(c);
        c->line++;
        ch = get(c);
    }
    if (ch == READ_FAILED)
        return set_error(c, SU_ERR, c->line, "read error");
    if (ch == EOF) {
        c->done = SU_NOTFOUND;
        return SU_NOTFOUND;
    }
    c->record_line = c->line;

    for (;;) {
        if (c->nfields == CSV_MAX_FIELDS)
            return set_error(c, SU_TOOBIG, c->record_line, "more than %d fields", CSV_MAX_FIELDS);
        c->offsets[c->nfields++] = c->text.len;
        int rc;
        if (ch == '"') {
            rc = quoted_field(c, &ch);
            if (rc != SU_OK)
                return rc;
            if (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF)
                return set_error(c, SU_INVAL, c->line, "text after the closing quote of a field");
        } else {
            rc = plain_field(c, ch, &ch);
            if (rc != SU_OK)
                return rc;
        }
        rc = put(c, '\0');
        if (rc != SU_OK)
            return rc;
        if (ch != ',')
            break;
        ch = get(c);
    }
    if (ch == '\r')
        skip_lf(c);
    if (ch != EOF)
        c->line++;
    return SU_OK;
}
