/* The public log's read endpoints (GET /api/v1/log/sth, /log/proof/inclusion,
 * /log/proof/consistency): query parsing and errors; the proofs themselves
 * come from domain/publog.c, from memory, without the database. */
#ifndef SUARA_NET_API_LOG_H
#define SUARA_NET_API_LOG_H

#include "api.h"

/* rest: the path after "/api/v1/log/". Fills rep; never defers. */
enum route_result api_log_get(struct api *api, const struct http_request *req, const char *rest,
                              struct http_reply *rep);

#endif
