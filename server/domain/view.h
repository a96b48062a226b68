/* JSON (and CSV) views of the domain for the HTTP API and the live feed.
 * Field names follow the API contract. Functions returning char * hand over
 * a malloc'd NUL-terminated string (NULL on no memory); cJSON * trees are
 * owned by the caller. */
#ifndef SUARA_DOMAIN_VIEW_H
#define SUARA_DOMAIN_VIEW_H

#include "core/buf.h"
#include "ledger.h"
#include "registry.h"
#include "tally.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

char *view_json(cJSON *tree); /* prints unformatted and frees the tree */
char *view_error(const char *code, const char *message, cJSON *details);
/* The error body of a write refused at seal (the HTTP status is 409). */
char *view_refusal(enum refusal r);

char *view_contests(const struct registry *reg);
char *view_region(const struct registry *reg, int32_t region);
/* The same as a cJSON object, for answers that carry a region inside. */
cJSON *view_region_object(const struct registry *reg, int32_t region);

/* A tally node with its totals and the children whose seq is above
 * children_since (VIEW_ALL_CHILDREN = every child). `type` ("snapshot",
 * "update") leads the object for the live feed; NULL for HTTP. */
#define VIEW_ALL_CHILDREN (-1)
cJSON *view_tally_node(const char *type, const struct tallies *t, int contest, int32_t region,
                       int64_t children_since);

/* The 201/200 body of a stored form. */
char *view_receipt(const struct registry *reg, const struct form *f);
/* A form with its numbers, status, decision and photos ({"sha256",
 * "stored"} per page, stored as l->photos says), for history and review. */
cJSON *view_form(const struct registry *reg, const struct ledger *l, const struct form *f);
/* How many stored forms one TPS answer lists per contest, beyond the counted
 * and the pending ones (docs/api.md, "history pages"). */
#define VIEW_HISTORY_PAGE 20
/* A TPS with, per contest, its counted form, its pending forms and the newest
 * VIEW_HISTORY_PAGE stored forms (history_total, history_before: the cursor).
 * With contest >= 0 and before > 0: that contest only, and its history is the
 * page of stored forms with a revision below `before`. */
char *view_tps(const struct registry *reg, const struct ledger *l, int32_t tps);
char *view_tps_page(const struct registry *reg, const struct ledger *l, int32_t tps, int contest,
                    uint32_t before);
/* Held and disputed forms in a region, oldest first; contest < 0 = all.
 * annotate (may be NULL) adds fields to each item: the review desk's. */
typedef void (*view_item_fn)(cJSON *item, const struct form *f, void *ctx);
char *view_review(const struct registry *reg, const struct ledger *l, int contest, int32_t region,
                  view_item_fn annotate, void *annotate_ctx);
/* The head of the receipt chain: {"form_id", "forms", "receipt"}. */
char *view_log_head(const struct ledger *l);
/* One CSV row per region of `level` inside the contest. */
int view_export_csv(const struct tallies *t, int contest, int level, struct buf *out);

#endif
