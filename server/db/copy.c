/* See copy.h. */
#include "copy.h"
#include "core/log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char unescape(char c)
{
    switch (c) {
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    default:
        return c;
    }
}

int copy_split_line(char *line, size_t len, char **fields, int max)
{
    if (len && line[len - 1] == '\n')
        line[--len] = '\0';
    int n = 0;
    char *out = line, *start = line;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? line[i] : '\t';
        if (c == '\t') {
            *out++ = '\0';
            if (n == max)
                return -1;
            fields[n++] = strcmp(start, "\\N") == 0 ? NULL : start;
            start = out;
        } else if (c == '\\' && i + 1 < len) {
            /* "\N" must survive for the NULL test above; anything else unescapes. */
            if (line[i + 1] == 'N' && out == start) {
                *out++ = '\\';
                *out++ = 'N';
            } else {
                *out++ = unescape(line[i + 1]);
            }
            i++;
        } else {
            *out++ = c;
        }
    }
    return n;
}

int copy_parse_int_array(const char *text, long *out, int max)
{
    if (!text || *text != '{')
        return -1;
    const char *p = text + 1;
    int n = 0;
    if (*p == '}')
        return 0;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || n == max)
            return -1;
        out[n++] = v;
        if (*end == '}')
            return n;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

static int copy_start(struct pg_job *job, PGconn *conn)
{
    struct copy_job *c = (struct copy_job *)job;
    c->in_copy = false;
    c->job.failed = false;
    c->rows = 0;
    return PQsendQuery(conn, c->sql) ? 0 : -1;
}

static enum pg_step read_rows(struct copy_job *c, PGconn *conn)
{
    for (;;) {
        char *line = NULL;
        int n = PQgetCopyData(conn, &line, 1);
        if (n == 0)
            return PG_AGAIN;
        if (n == -1) {
            c->in_copy = false;
            return PG_DONE;
        }
        if (n < 0)
            return PG_FAIL;
        char *fields[COPY_MAX_FIELDS];
        int nf = copy_split_line(line, (size_t)n, fields, COPY_MAX_FIELDS);
        if (!c->job.failed && (nf < 0 || c->row(c->ctx, fields, nf) != 0)) {
            c->job.failed = true;
            if (!c->error[0])
                snprintf(c->error, sizeof c->error, "row %ld cannot be read", c->rows + 1);
            log_error("load_row", "query=\"%.40s\" row=%ld error=\"%s\"", c->sql, c->rows + 1,
                      c->error);
        }
        c->rows++;
        PQfreemem(line);
    }
}

static enum pg_step copy_step(struct pg_job *job, PGconn *conn)
{
    struct copy_job *c = (struct copy_job *)job;
    for (;;) {
        if (c->in_copy) {
            enum pg_step s = read_rows(c, conn);
            if (s != PG_DONE)
                return s;
        }
        if (PQisBusy(conn))
            return PG_AGAIN;
        PGresult *r = PQgetResult(conn);
        if (!r)
            return PG_DONE; /* a bad row or SQL error fails the job, not the connection */
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_OUT) {
            c->in_copy = true;
        } else if (st != PGRES_COMMAND_OK) {
            snprintf(c->error, sizeof c->error, "%s", PQresultErrorMessage(r));
            log_error("load_failed", "query=\"%.40s\" error=\"%s\"", c->sql, c->error);
            c->job.failed = true;
        }
        PQclear(r);
    }
}

static void copy_finish(struct pg_job *job, bool ok)
{
    struct copy_job *c = (struct copy_job *)job;
    c->done(c->ctx, ok && !c->job.failed);
}

void copy_job_init(struct copy_job *c, const char *sql, int (*row)(void *, char **, int),
                   void (*done)(void *, bool), void *ctx)
{
    memset(c, 0, sizeof *c);
    c->job.start = copy_start;
    c->job.step = copy_step;
    c->job.finish = copy_finish;
    c->sql = sql;
    c->row = row;
    c->done = done;
    c->ctx = ctx;
}
