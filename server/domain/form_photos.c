/* See form_photos.h. The reverse index maps a photo hash to a short list of
 * the forms naming it (usually one: a page belongs to one witness's form, and
 * its corrections). Keys are the forms' own hash strings, which live as long
 * as the ledger. */
#include "form_photos.h"
#include "core/mem.h"
#include "core/err.h"
#include "worklist.h"

#include <stdlib.h>

struct photo_ref {
    struct form *form;
    struct photo_ref *next;
};

int form_photos_track(struct ledger *l, struct form *f)
{
    for (int i = 0; i < f->n_photos; i++) {
        struct photo_ref *r = xmalloc(sizeof *r);
        r->form = f;
        r->next = strmap_get(&l->photo_refs, f->photos[i]);
        if (strmap_put(&l->photo_refs, f->photos[i], r) != SU_OK) {
            free(r);
            return SU_NOMEM;
        }
    }
    return SU_OK;
}

bool form_photos_stored(const struct ledger *l, const struct form *f)
{
    if (!l->photos || f->n_photos == 0)
        return false;
    for (int i = 0; i < f->n_photos; i++) {
        if (!photo_index_get(l->photos, f->photos[i]))
            return false;
    }
    return true;
}

void form_photos_refresh(struct ledger *l, int contest, int32_t tps, const struct form *tallied)
{
    struct slot *s = ledger_slot(l, contest, tps);
    bool want = tallied && form_photos_stored(l, tallied);
    int32_t node = tps - l->reg->contests[contest].region;
    worklists_set_one(l->tallies->worklists, contest, node, WL_NO_PHOTO, tallied && !want);
    if (want == s->with_photo)
        return;
    s->with_photo = want;
    tally_add_with_photo(l->tallies, contest, tps, want ? 1 : -1);
}

void form_photos_stored_one(struct ledger *l, const char *sha256)
{
    for (struct photo_ref *r = strmap_get(&l->photo_refs, sha256); r; r = r->next) {
        /* Every form naming it now says stored: its TPS's view changed. */
        ledger_slot(l, r->form->contest, r->form->tps)->photos_arrived++;
        if (r->form->tallied)
            form_photos_refresh(l, r->form->contest, r->form->tps, r->form);
    }
}

void form_photos_recount(struct ledger *l)
{
    for (int c = 0; c < l->reg->n_contests; c++) {
        int32_t root = l->reg->contests[c].region;
        for (int32_t r = root; r < l->reg->regions[root].end; r++) {
            const struct slot *s = &l->slots[c][r - root];
            const struct form *tallied = s->first;
            while (tallied && !tallied->tallied)
                tallied = tallied->next_in_slot;
            if (tallied)
                form_photos_refresh(l, c, r, tallied);
        }
    }
}

void form_photos_free(struct ledger *l)
{
    for (size_t i = 0; i < l->photo_refs.cap; i++) {
        struct photo_ref *r = l->photo_refs.slots[i].value;
        while (r) {
            struct photo_ref *next = r->next;
            free(r);
            r = next;
        }
    }
    strmap_free(&l->photo_refs);
}
