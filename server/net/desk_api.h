/* The monitoring desk's reads (the contract's "The monitoring desk"):
 * GET /api/v1/worklist/{contest}/{region}, /api/v1/changes and
 * /api/v1/timeline/{contest}/{region}, all answered from memory. api.c
 * routes to them after its read rule (api_may_read). */
#ifndef SUARA_NET_DESK_API_H
#define SUARA_NET_DESK_API_H

#include "api.h"

#include <stdbool.h>

/* Whether p (the path after /api/v1/) is one of the desk's reads. */
bool desk_api_is_read_path(const char *p);
enum route_result desk_api_read(struct api *api, const struct http_request *req, const char *p,
                                struct http_reply *rep);

#endif
