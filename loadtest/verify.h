/* The end-of-run check: the server's HTTP tallies and a SQL recount of the
 * stored forms must equal the generator's expected totals exactly, at every
 * node the run touched (and their children). Each difference is printed
 * (up to a limit) with the contest, region and field. */
#ifndef SUARA_LOAD_VERIFY_H
#define SUARA_LOAD_VERIFY_H

#include "model.h"
#include "options.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <uv.h>

struct verify_result {
    int64_t http_nodes, http_diffs, http_errors;
    int64_t sql_nodes, sql_diffs;
    double http_seconds, sql_seconds;
};

/* Fetches GET /api/v1/tally/{contest}/{region} for every touched node above
 * the TPS level, over `connections` keep-alive connections; runs the loop
 * until done. */
void verify_http(uv_loop_t *loop, const struct model *m, const struct sockaddr_in *addr,
                 const char *host, int connections, struct verify_result *out);
/* Recounts forms WHERE status = 'counted' (and held, disputed, confirmed TPS)
 * grouped by contest and region at every level, and compares. */
void verify_sql(PGconn *db, const struct model *m, struct verify_result *out);

#endif
