/* The review desk's routes beside the contract's review list and decision:
 * claims on a form (POST/DELETE /api/v1/forms/{id}/claim), a request to the
 * witness (POST /api/v1/forms/{id}/request), the requests of a TPS
 * (GET /api/v1/requests?tps=CODE), and the claim check a decision passes. */
#ifndef SUARA_NET_API_REVIEW_H
#define SUARA_NET_API_REVIEW_H

#include "api.h"

/* forms/{id}/claim and forms/{id}/request; rest is "{id}/claim" etc. */
enum route_result api_review_form(struct api *api, struct http_request *req, const char *rest,
                                  struct http_reply *rep);
/* GET /api/v1/requests?tps=CODE (a read: the read rules apply). */
enum route_result api_review_requests(struct api *api, const struct http_request *req,
                                      struct http_reply *rep);
/* The review list's body, with the desk's fields on each item. */
char *api_review_list(struct api *api, int contest, int32_t region);
/* Before a decision: false with 409 "claimed" in rep when another token
 * holds a live claim on the form; true (and the claim dropped) otherwise. */
bool api_review_may_decide(struct api *api, const struct form *f, const struct token *t,
                           struct http_reply *rep);

#endif
