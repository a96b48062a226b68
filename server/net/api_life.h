/* The election's life in the HTTP API (see api_life.c): the routes status,
 * contests/{id}/finalize and audit, and the small hooks api.c and live.c
 * call on every read, form, decision and live message. */
#ifndef SUARA_NET_API_LIFE_H
#define SUARA_NET_API_LIFE_H

#include "api.h"

#include "domain/view.h" /* cJSON, through the domain layer */
#include <stdbool.h>

#define AUDIT_KIND_NAME_MAX 32

/* Handles p (the path after /api/v1/) when it is one of this module's
 * routes: true, with the result in *out. */
bool api_life_route(struct api *api, struct http_request *req, const char *p,
                    struct http_reply *rep, enum route_result *out);

/* A read's reply carries the mode: "mode" first in a JSON object body, and
 * the Suara-Mode header on every reply (arrays, CSV). */
void api_life_tag(const struct api *api, struct http_reply *rep);
/* The CSV export's first line in test mode: a comment naming the rehearsal. */
void api_life_tag_csv(const struct api *api, struct buf *out);
/* Every live-feed message carries "mode". */
void api_life_tag_live(const struct api *api, cJSON *message);

/* Counts a refused token / an export for the audit trail (aggregated). */
void api_life_auth_failed(struct api *api, const struct http_request *req);
void api_life_exported(struct api *api, const struct http_request *req, int contest,
                       const char *level);

/* False with a 409 region_final (or 403 for an amendment without an admin
 * token) filled into rep when the form may not be stored. */
bool api_life_form_allowed(struct api *api, const struct token *t, const struct form_input *in,
                           const struct form_resolved *res, struct http_reply *rep);
/* False with 409 region_final when the form's region is final. */
bool api_life_decision_allowed(struct api *api, const struct form *f, struct http_reply *rep);

#endif
