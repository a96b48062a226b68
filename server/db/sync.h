/* Blocking PostgreSQL access for the admin subcommands (migrate, seed,
 * token). The server itself never blocks on libpq; this file is for short
 * command-line runs only, where a plain request/response is the clearest.
 *
 * Every function reports its own failure on stderr, prefixed with the
 * command's name ("suara seed: ..."), so callers only pass the failure up.
 * Parameters always travel separately from the SQL text (PQexecParams), as
 * text. Callers never see libpq itself: results are read through the small
 * accessors below. */
#ifndef SUARA_DB_SYNC_H
#define SUARA_DB_SYNC_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pg_conn;
struct pg_result;

struct sync_db {
    struct pg_conn *conn;
    const char *who; /* prefix for messages, e.g. "suara seed" */
    bool in_tx;
};

/* The connection string to use: `given` (the --db flag) if set, else the
 * SUARA_DB environment variable; NULL when neither is set or both are empty. */
const char *sync_conninfo(const char *given);

/* Connects with a libpq connection string (or URI) and sets the session up
 * for scripts: warnings only, UTC. Returns SU_OK, or SU_ERR after printing
 * "WHO: cannot connect to the database: REASON". */
int sync_connect(struct sync_db *db, const char *who, const char *conninfo);
/* Rolls back an open transaction and closes the connection. */
void sync_close(struct sync_db *db);

/* Runs one statement with n text parameters ($1..$n; a NULL entry is SQL
 * NULL). Returns the result (free with sync_clear), or NULL after printing the
 * server's error. */
struct pg_result *sync_query(struct sync_db *db, const char *sql, int n, const char *const *params);
/* sync_query for statements whose rows do not matter. SU_OK or SU_ERR. */
int sync_exec(struct sync_db *db, const char *sql, int n, const char *const *params);
/* Runs a script of several statements without parameters (a migration file,
 * never text from a user). Errors are reported as "WHO: LABEL:LINE: ..." when
 * the server points at a position in the script, else "WHO: LABEL: ...".
 * SU_OK or SU_ERR. */
int sync_script(struct sync_db *db, const char *label, const char *sql);

int sync_begin(struct sync_db *db);
int sync_commit(struct sync_db *db);
/* Quietly undoes the open transaction, if any. */
void sync_rollback(struct sync_db *db);

/* Feeds `len` bytes of CSV to `COPY table (columns) FROM STDIN (FORMAT csv)`
 * given as copy_sql. SU_OK or SU_ERR. */
int sync_copy(struct sync_db *db, const char *copy_sql, const char *data, size_t len);

int sync_rows(const struct pg_result *res);
/* The text of a field; "" for NULL. */
const char *sync_value(const struct pg_result *res, int row, int col);
bool sync_isnull(const struct pg_result *res, int row, int col);
void sync_clear(struct pg_result *res);

/* Appends s to a CSV record in out (quoted, quotes doubled; NULL becomes an
 * empty unquoted field, which COPY reads as SQL NULL), preceded by a comma
 * unless first. For building sync_copy input. SU_OK or SU_TOOBIG/SU_NOMEM. */
int sync_csv_field(struct buf *out, const char *s, bool first);

#endif
