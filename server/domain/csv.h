/* A small RFC 4180 CSV reader for the seed data: fields separated by commas,
 * records by CRLF, LF or a lone CR; a field may be enclosed in double quotes,
 * and then may hold commas, line breaks and quotes (written twice). Reads from
 * a FILE* or from a memory buffer and does no other I/O.
 *
 * Deliberate choices beyond the RFC: a UTF-8 byte-order mark at the very start
 * is skipped, blank lines are skipped rather than read as one empty field, and
 * the last record need not end with a line break. A quote inside an unquoted
 * field, text after a closing quote, an unterminated quote and a NUL byte are
 * errors. Every record remembers the line it starts on, so callers can report
 * problems as FILE:LINE. */
#ifndef SUARA_DOMAIN_CSV_H
#define SUARA_DOMAIN_CSV_H

#include "core/buf.h"

#include <stdio.h>

#define CSV_MAX_FIELDS 64
#define CSV_MAX_RECORD (64 * 1024) /* bytes of field text per record */

struct csv {
    FILE *fp; /* source, or NULL when reading from mem */
    const char *mem;
    size_t mem_len;
    size_t mem_pos;
    int back[3]; /* pushed-back characters, last in first out */
    int nback;
    int at_start;     /* nothing read yet (for the byte-order mark) */
    int done;         /* 0, or what every later csv_next returns */
    long line;        /* physical line of the next character, from 1 */
    long record_line; /* line on which the current record starts, or of the error */
    int nfields;
    size_t offsets[CSV_MAX_FIELDS]; /* field i starts at text.data + offsets[i] */
    struct buf text;                /* the record's fields, each NUL-terminated */
    char err[128];                  /* what went wrong, after SU_INVAL or SU_TOOBIG */
};

void csv_init_file(struct csv *c, FILE *fp);
/* The buffer must outlive the reader; it need not be NUL-terminated. */
void csv_init_mem(struct csv *c, const char *data, size_t len);
void csv_free(struct csv *c);

/* Reads the next record. Returns SU_OK (fields in csv_field, count in
 * c->nfields, first line in c->record_line), SU_NOTFOUND at the end of the
 * input, SU_INVAL for malformed input or SU_TOOBIG for a record over the
 * limits (both with a message in c->err and the line of the problem in
 * c->record_line), or SU_ERR for a read error (errno set). After the end or
 * an error every further call returns the same code. */
int csv_next(struct csv *c);

/* Field i (0 <= i < c->nfields) of the current record; valid until the next
 * csv_next or csv_free. */
const char *csv_field(const struct csv *c, int i);

#endif
