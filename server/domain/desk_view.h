/* JSON views of the monitoring desk (the contract's "The monitoring desk"):
 * worklists, the changes feed and a held form's suggestions. Like view.h,
 * char * results are malloc'd strings (NULL on no memory). */
#ifndef SUARA_DOMAIN_DESK_VIEW_H
#define SUARA_DOMAIN_DESK_VIEW_H

#include "ledger.h"
#include "registry.h"
#include "tally.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#define WORKLIST_LIMIT_DEFAULT 100
#define WORKLIST_LIMIT_MAX 1000
#define CHANGES_LIMIT_DEFAULT 1000
#define CHANGES_LIMIT_MAX 10000

/* The TPS of `region` in `contest` with worklist `status`, after the TPS
 * index `after` (-1: from the start), at most `limit`:
 * {"status", "total", "items": [...], "next": TPS code | null}. */
char *view_worklist(const struct ledger *l, int contest, int32_t region, int status, int32_t after,
                    int limit);

/* The committed changes with seq > since, at most limit:
 * {"changes": [...], "next_since": SEQ}. */
char *view_changes(const struct ledger *l, int64_t since, int limit);
/* The page's next_since without encoding it: the seq its walk stops at. A
 * full page never changes, a short one grows with every commit, so this is
 * what the page's ETag depends on. */
int64_t view_changes_end(const struct ledger *l, int64_t since, int limit);

/* The suggestions of a held form (suggest.h) as the contract's
 * [{"field", "value", "fixes": [codes]}]; an empty array for other forms. */
cJSON *view_suggestions(const struct registry *reg, const struct form *f);

#endif
