/* A pg job that streams `COPY (...) TO STDOUT` (text format) row by row,
 * so start-up can load millions of forms without materialising a PGresult.
 * Fields arrive unescaped; NULL is passed as a NULL pointer. */
#ifndef SUARA_DB_COPY_H
#define SUARA_DB_COPY_H

#include "pg.h"

#define COPY_MAX_FIELDS 48

struct copy_job {
    struct pg_job job;
    const char *sql;
    /* Returns 0, or -1 to fail the load (the message goes in `error`). */
    int (*row)(void *ctx, char **fields, int n);
    void (*done)(void *ctx, bool ok);
    void *ctx;
    bool in_copy;
    long rows;
    char error[256];
};

void copy_job_init(struct copy_job *c, const char *sql, int (*row)(void *, char **, int),
                   void (*done)(void *, bool), void *ctx);
/* Splits one COPY text line in place; returns the field count or -1. */
int copy_split_line(char *line, size_t len, char **fields, int max);
/* Parses a PostgreSQL array literal of integers "{1,2,3}" into out;
 * returns the count or -1. */
int copy_parse_int_array(const char *text, long *out, int max);

#endif
