/* See election.h. */
#include "election.h"
#include "core/mem.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

const char *election_mode_name(enum election_mode mode)
{
    return mode == MODE_LIVE ? "live" : "test";
}

int election_mode_parse(const char *name)
{
    if (strcmp(name, "test") == 0)
        return MODE_TEST;
    if (strcmp(name, "live") == 0)
        return MODE_LIVE;
    return -1;
}

void finals_free(struct finals *f)
{
    free(f->list);
    memset(f, 0, sizeof *f);
}

int finals_add(struct finals *f, struct tallies *t, int contest, int32_t region, int64_t at_ms)
{
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        struct final_region *p = xrealloc(f->list, (size_t)cap * sizeof *p);
        if (!p)
            return SU_NOMEM;
        f->list = p;
        f->cap = cap;
    }
    f->list[f->n++] = (struct final_region){contest, region, at_ms};
    tally_mark_final(t, contest, region, TALLY_FINAL_SEALED | TALLY_FINAL_SHOWN);
    return SU_OK;
}

bool finals_covers(const struct tallies *t, int contest, int32_t region)
{
    const struct tally_node *n = tally_node(t, contest, region);
    return n && (n->final & TALLY_FINAL_SEALED);
}
