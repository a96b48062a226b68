/* The photos of the forms, as the tallies and views need them: which
 * committed forms name each photo hash, whether all of a form's photos are
 * stored, and the tally nodes' tps.with_photo, kept exactly by moving it only
 * when one TPS's answer changes - when its counted form changes (a commit) or
 * when a photo of its counted form arrives - never by a scan on a read. */
#ifndef SUARA_DOMAIN_FORM_PHOTOS_H
#define SUARA_DOMAIN_FORM_PHOTOS_H

#include "ledger.h"

#include <stdbool.h>

/* Remembers that a committed form names its photos. SU_OK or SU_NOMEM. */
int form_photos_track(struct ledger *l, struct form *f);
/* True when the form has at least one photo and every one is stored. */
bool form_photos_stored(const struct ledger *l, const struct form *f);
/* Brings one TPS's share of with_photo up to date; `tallied` is its counted
 * form as the tallies now show it (NULL: none). */
void form_photos_refresh(struct ledger *l, int contest, int32_t tps, const struct form *tallied);
/* A photo was stored: every TPS whose counted form names it is refreshed, and
 * every slot with a form naming it counts one more photo arrived. */
void form_photos_stored_one(struct ledger *l, const char *sha256);
/* Start-up, once both the forms and the photo index are loaded. */
void form_photos_recount(struct ledger *l);
void form_photos_free(struct ledger *l);

#endif
