/* See sync.h. Plain blocking libpq; errors are printed where they happen,
 * from the fields of the server's error report, so every message reads the
 * same: "WHO: [WHERE: ]MESSAGE" plus indented detail and hint lines. */
#include "sync.h"
#include "core/buf.h"
#include "core/err.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints msg without its trailing newlines. */
static void print_trimmed(const char *msg)
{
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    fprintf(stderr, "%.*s\n", (int)len, msg);
}

/* The line of `sql` holding character number `pos` (1-based, counted in
 * characters as the server does, so UTF-8 continuation bytes are skipped). */
static int line_of_position(const char *sql, long pos)
{
    int line = 1;
    long chars = 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        if (++chars >= pos)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

/* Reports a failed result (or, with res NULL, the connection's error).
 * `where` (may be NULL) goes before the message; with a script, the line
 * the server points at is added to it. */
static void report(const struct sync_db *db, const PGresult *res, const char *where,
                   const char *script)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    fprintf(stderr, "%s: ", db->who);
    if (where) {
        const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
        if (script && pos)
            fprintf(stderr, "%s:%d: ", where, line_of_position(script, atol(pos)));
        else
            fprintf(stderr, "%s: ", where);
    }
    if (!primary) {
        const char *msg = res ? PQresultErrorMessage(res) : "";
        print_trimmed(*msg ? msg : PQerrorMessage(db->conn));
        return;
    }
    fprintf(stderr, "database error: %s\n", primary);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    if (detail)
        fprintf(stderr, "  detail: %s\n", detail);
    if (hint)
        fprintf(stderr, "  hint: %s\n", hint);
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

const char *sync_conninfo(const char *given)
{
    if (given && *given)
        return given;
    const char *env = getenv("SUARA_DB");
    return env && *env ? env : NULL;
}

int sync_connect(struct sync_db *db, const char *who, const char *conninfo)
{
    db->who = who;
    db->in_tx = false;
    /* Later keywords win, so anything set in conninfo overrides these. */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const values[] = {"10", who, conninfo, NULL};
    db->conn = PQconnectdbParams(keys, values, 1);
    if (!db->conn) {
        fprintf(stderr, "%s: cannot connect to the database: out of memory\n", who);
        return SU_ERR;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        fprintf(stderr, "%s: cannot connect to the database: ", who);
        print_trimmed(PQerrorMessage(db->conn));
        goto fail;
    }
    PGresult *res = PQexec(db->conn, "SET client_min_messages = warning; SET TimeZone = 'UTC'");
    bool ok = res && result_ok(res);
    if (!ok)
        report(db, res, "setting up the session", NULL);
    PQclear(res);
    if (!ok)
        goto fail;
    return SU_OK;

fail:
    PQfinish(db->conn);
    db->conn = NULL;
    return SU_ERR;
}

void sync_close(struct sync_db *db)
{
    if (!db->conn)
        return;
    sync_rollback(db);
    PQfinish(db->conn);
    db->conn = NULL;
}

struct pg_result *sync_query(struct sync_db *db, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (res && result_ok(res))
        return res;
    report(db, res, NULL, NULL);
    PQclear(res);
    return NULL;
}

int sync_exec(struct sync_db *db, const char *sql, int n, const char *const *params)
{
    PGresult *res = sync_query(db, sql, n, params);
    if (!res)
        return SU_ERR;
    PQclear(res);
    return SU_OK;
}

int sync_script(struct sync_db *db, const char *label, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    int rc = SU_OK;
    if (!res || !result_ok(res)) {
        report(db, res, label, sql);
        rc = SU_ERR;
    }
    PQclear(res);
    return rc;
}

int sync_begin(struct sync_db *db)
{
    if (sync_exec(db, "BEGIN", 0, NULL) != SU_OK)
        return SU_ERR;
    db->in_tx = true;
    return SU_OK;
}

int sync_commit(struct sync_db *db)
{
    db->in_tx = false; /* after a failed COMMIT the transaction is gone too */
    return sync_exec(db, "COMMIT", 0, NULL);
}

void sync_rollback(struct sync_db *db)
{
    if (!db->in_tx)
        return;
    db->in_tx = false;
    PQclear(PQexec(db->conn, "ROLLBACK"));
}

int sync_copy(struct sync_db *db, const char *copy_sql, const char *data, size_t len)
{
    PGresult *res = PQexec(db->conn, copy_sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        report(db, res, NULL, NULL);
        PQclear(res);
        return SU_ERR;
    }
    PQclear(res);
    int rc = SU_OK;
    while (len > 0 && rc == SU_OK) { /* PQputCopyData takes an int length */
        int chunk = len > (1u << 20) ? 1 << 20 : (int)len;
        if (PQputCopyData(db->conn, data, chunk) != 1)
            rc = SU_ERR;
        data += chunk;
        len -= (size_t)chunk;
    }
    if (PQputCopyEnd(db->conn, rc == SU_OK ? NULL : "the client could not send the data") != 1)
        rc = SU_ERR;
    if (rc != SU_OK)
        report(db, NULL, NULL, NULL);
    for (;;) {
        res = PQgetResult(db->conn);
        if (!res)
            break;
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            if (rc == SU_OK)
                report(db, res, NULL, NULL);
            rc = SU_ERR;
        }
        PQclear(res);
    }
    return rc;
}

int sync_rows(const struct pg_result *res)
{
    return PQntuples(res);
}

const char *sync_value(const struct pg_result *res, int row, int col)
{
    return PQgetvalue(res, row, col);
}

bool sync_isnull(const struct pg_result *res, int row, int col)
{
    return PQgetisnull(res, row, col) != 0;
}

void sync_clear(struct pg_result *res)
{
    PQclear(res);
}

int sync_csv_field(struct buf *out, const char *s, bool first)
{
    int rc = first ? SU_OK : buf_append(out, ",", 1);
    if (!s || rc != SU_OK)
        return rc;
    rc = buf_append(out, "\"", 1);
    const char *q = strchr(s, '"');
    while (rc == SU_OK && q) {
        rc = buf_append(out, s, (size_t)(q - s + 1)); /* through the quote, then double it */
        if (rc == SU_OK)
            rc = buf_append(out, "\"", 1);
        s = q + 1;
        q = strchr(s, '"');
    }
    if (rc == SU_OK)
        rc = buf_puts(out, s);
    if (rc == SU_OK)
        rc = buf_append(out, "\"", 1);
    return rc;
}
