/* GET /api/v1/search?q=TEXT&limit=N: regions and TPS by name or code, for
 * the search box on every page (domain/search.h). A read like the others. */
#ifndef SUARA_NET_API_SEARCH_H
#define SUARA_NET_API_SEARCH_H

#include "api.h"

enum route_result api_search(struct api *api, const struct http_request *req,
                             struct http_reply *rep);

#endif
