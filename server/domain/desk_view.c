/* See desk_view.h. */
#include "desk_view.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/clock.h"
#include "core/mem.h"
#include "suggest.h"
#include "view.h"
#include "worklist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- worklists ---------------------------------------------------------- */

/* The TPS's status in the contest, as GET /api/v1/tps shows it. */
static const char *tps_status(const struct slot *s)
{
    if (s->counted && s->counted->committed)
        return s->confirmed ? "confirmed" : "counted";
    if (s->n_disputed)
        return "disputed";
    return s->n_held ? "held" : "empty";
}

/* The oldest committed form of the slot with this status. */
static const struct form *oldest_with(const struct slot *s, int status)
{
    for (const struct form *f = s->first; f; f = f->next_in_slot) {
        if (f->committed && f->status == status)
            return f;
    }
    return NULL;
}

/* Since when the TPS has had the worklist status: the arrival of the form
 * that puts it there (the oldest held or disputed form; the counted form),
 * or none for a TPS still missing its count. */
static int64_t status_since(const struct slot *s, int status)
{
    const struct form *f = NULL;
    if (status == WL_HELD)
        f = oldest_with(s, FS_HELD);
    else if (status == WL_DISPUTED)
        f = oldest_with(s, FS_DISPUTED);
    else if (status != WL_MISSING)
        f = s->counted;
    if (!f)
        return -1;
    return f->decision && f->status == FS_COUNTED ? f->decision->decided_ms : f->received_ms;
}

/* A JSON string: names come from the seed, but are escaped all the same. */
static void put_string(struct buf *out, const char *s)
{
    buf_puts(out, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c < 0x20)
            buf_printf(out, "\\u%04x", c);
        else
            buf_append(out, s, 1);
    }
    buf_puts(out, "\"");
}

/* One item, written straight into the page (cJSON would build 1000 trees). */
static void put_item(struct buf *out, const struct ledger *l, int contest, int32_t tps, int status)
{
    const struct registry *reg = l->reg;
    const struct region *g = &reg->regions[tps];
    const struct region *desa = &reg->regions[g->parent];
    const struct slot *s = ledger_slot(l, contest, tps);
    buf_printf(out, "{\"tps\":\"%s\",\"name\":", g->code);
    put_string(out, g->name);
    buf_puts(out, ",\"desa\":");
    put_string(out, desa->name);
    buf_puts(out, ",\"kecamatan\":");
    put_string(out, reg->regions[desa->parent].name);
    buf_printf(out, ",\"status\":\"%s\",\"since\":", tps_status(s));
    int64_t since = status_since(s, status);
    if (since >= 0) {
        char at[40];
        clock_format_rfc3339(since, at, sizeof at);
        buf_printf(out, "\"%s\"}", at);
    } else {
        buf_puts(out, "null}");
    }
}

char *view_worklist(const struct ledger *l, int contest, int32_t region, int status, int32_t after,
                    int limit)
{
    const struct registry *reg = l->reg;
    const struct worklists *w = l->tallies->worklists;
    int32_t base = reg->contests[contest].region;
    int32_t lo = region - base, hi = reg->regions[region].end - base;
    int32_t from = after >= region ? after - base + 1 : lo;
    int32_t found[WORKLIST_LIMIT_MAX + 1];
    int n = worklist_collect(w, contest, status, from, hi, found, limit + 1);
    struct buf out;
    buf_init(&out, (size_t)16 << 20);
    buf_printf(&out, "{\"status\":\"%s\",\"total\":%lld,\"items\":[", worklist_status_name(status),
               (long long)worklist_count(w, contest, status, lo, hi));
    for (int i = 0; i < n && i < limit; i++) {
        if (i)
            buf_puts(&out, ",");
        put_item(&out, l, contest, base + found[i], status);
    }
    if (n > limit)
        buf_printf(&out, "],\"next\":\"%s\"}", reg->regions[base + found[limit - 1]].code);
    else
        buf_puts(&out, "],\"next\":null}");
    if (buf_error(&out) != SU_OK) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out, NULL);
}

/* ---- the changes feed ----------------------------------------------------- */

/* One change, written straight into the page (a page may hold 10,000). */
static int put_change(struct buf *out, const struct registry *reg, const struct form *f,
                      int64_t seq)
{
    const struct contest *c = &reg->contests[f->contest];
    bool decision = f->decision && f->decision->seq == seq;
    const char *status =
        decision ? (f->decision->count ? "counted" : "rejected") : form_status_name(f->outcome);
    int rc =
        buf_printf(out,
                   "{\"seq\":%" PRId64 ",\"contest\":\"%s\",\"tps\":\"%s\",\"form_id\":%" PRId64
                   ",\"status\":\"%s\",\"decision\":%s,\"revision\":%u,\"votes\":{",
                   seq, c->id, reg->regions[f->tps].code, f->id, status,
                   decision ? "true" : "false", f->revision);
    for (int k = 0; k < f->n_votes; k++)
        rc |= buf_printf(out, "%s\"%d\":%d", k ? "," : "", c->candidates[k].number, f->votes[k]);
    rc |= buf_printf(out, "},\"valid\":%d,\"invalid\":%d,\"total\":%d}", f->counts.valid,
                     f->counts.invalid, f->counts.total);
    return rc;
}

/* The committed change after *seq (moved to it), or NULL past the horizon:
 * every seq up to the tallies' seq is committed. */
static const struct form *next_change(const struct ledger *l, int64_t *seq)
{
    while (*seq < l->tallies->seq) {
        const struct form *f = ledger_by_seq(l, ++*seq);
        if (f && f->committed)
            return f;
        /* else a seq no committed change took */
    }
    return NULL;
}

int64_t view_changes_end(const struct ledger *l, int64_t since, int limit)
{
    int64_t seq = since < 0 ? 0 : since;
    for (int n = 0; n < limit; n++) {
        if (!next_change(l, &seq))
            break;
    }
    return seq;
}

char *view_changes(const struct ledger *l, int64_t since, int limit)
{
    struct buf out;
    buf_init(&out, (size_t)64 << 20);
    buf_puts(&out, "{\"changes\":[");
    int64_t seq = since < 0 ? 0 : since;
    int n = 0, rc = 0;
    while (n < limit) {
        const struct form *f = next_change(l, &seq);
        if (!f)
            break;
        if (n++)
            rc |= buf_puts(&out, ",");
        rc |= put_change(&out, l->reg, f, seq);
    }
    rc |= buf_printf(&out, "],\"next_since\":%" PRId64 "}", seq);
    if (rc != 0 || buf_error(&out) != SU_OK) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out, NULL);
}

/* ---- suggestions ------------------------------------------------------------ */

cJSON *view_suggestions(const struct registry *reg, const struct form *f)
{
    cJSON *list = cJSON_CreateArray();
    /* on the heap: the bound that keeps the list whole is about 38 KB */
    struct suggestion *s = xmalloc(SUGGEST_MAX * sizeof *s);
    int n = suggest_fixes(&f->counts, f->votes, &reg->contests[f->contest],
                          reg->regions[f->tps].dpt, s, SUGGEST_MAX);
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "field", s[i].field);
        cJSON_AddNumberToObject(o, "value", s[i].value);
        cJSON *fixes = cJSON_AddArrayToObject(o, "fixes");
        for (int k = 0; k < FORM_CHECK_COUNT; k++) {
            if (s[i].fixes & (1u << k))
                cJSON_AddItemToArray(fixes,
                                     cJSON_CreateString(form_check_code((enum form_check)k)));
        }
        cJSON_AddItemToArray(list, o);
    }
    free(s);
    return list;
}
