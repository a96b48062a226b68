/* See view.h. */
#include "view.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "desk_view.h"
#include "kpu.h"
#include "core/sha256.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *view_json(cJSON *tree)
{
    if (!tree)
        return NULL;
    char *s = cJSON_PrintUnformatted(tree);
    cJSON_Delete(tree);
    return s;
}

char *view_error(const char *code, const char *message, cJSON *details)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", message);
    cJSON_AddItemToObject(err, "details", details ? details : cJSON_CreateArray());
    return view_json(root);
}

char *view_refusal(enum refusal r)
{
    const char *message =
        r == REFUSAL_REGION_FINAL    ? "the result of this region is final; only an admin's "
                                       "amendment can change it"
        : r == REFUSAL_ALREADY_FINAL ? "the result of this region is already final in this contest"
                                     : "the form is no longer waiting for review";
    return view_error(refusal_code(r), message, NULL);
}

static void add_time(cJSON *obj, const char *key, int64_t ms)
{
    char ts[40];
    clock_format_rfc3339(ms, ts, sizeof ts);
    cJSON_AddStringToObject(obj, key, ts);
}

static cJSON *candidates_json(const struct contest *c)
{
    cJSON *list = cJSON_CreateArray();
    for (int k = 0; k < c->n_candidates; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "number", c->candidates[k].number);
        cJSON_AddStringToObject(o, "head", c->candidates[k].head);
        cJSON_AddStringToObject(o, "deputy", c->candidates[k].deputy);
        cJSON_AddItemToArray(list, o);
    }
    return list;
}

char *view_contests(const struct registry *reg)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < reg->n_contests; i++) {
        const struct contest *c = &reg->contests[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", c->id);
        cJSON_AddStringToObject(o, "kind", c->kind);
        cJSON_AddStringToObject(o, "region", c->region_code);
        cJSON_AddStringToObject(o, "title", c->title);
        cJSON_AddItemToObject(o, "candidates", candidates_json(c));
        cJSON_AddItemToArray(list, o);
    }
    return view_json(list);
}

static cJSON *region_ref(const struct registry *reg, int32_t i)
{
    const struct region *g = &reg->regions[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", g->code);
    cJSON_AddStringToObject(o, "name", g->name);
    cJSON_AddStringToObject(o, "level", region_level_name(g->level));
    return o;
}

cJSON *view_region_object(const struct registry *reg, int32_t region)
{
    const struct region *g = &reg->regions[region];
    cJSON *o = region_ref(reg, region);
    if (g->parent >= 0)
        cJSON_AddStringToObject(o, "parent", reg->regions[g->parent].code);
    else
        cJSON_AddNullToObject(o, "parent");
    cJSON_AddNumberToObject(o, "tps_count", g->n_tps);
    cJSON_AddNumberToObject(o, "dpt", g->dpt);
    cJSON *path = cJSON_AddArrayToObject(o, "path");
    for (int32_t p = g->parent; p >= 0; p = reg->regions[p].parent)
        cJSON_InsertItemInArray(path, 0, region_ref(reg, p));
    cJSON *children = cJSON_AddArrayToObject(o, "children");
    for (int32_t c = g->first_child; c >= 0; c = reg->regions[c].next_sibling)
        cJSON_AddItemToArray(children, region_ref(reg, c));
    return o;
}

char *view_region(const struct registry *reg, int32_t region)
{
    return view_json(view_region_object(reg, region));
}

static void add_totals(cJSON *o, const struct tallies *t, int contest, int32_t region)
{
    const struct tally_node *n = tally_node(t, contest, region);
    const int64_t *votes = tally_votes(t, contest, region);
    const struct contest *c = t->contests[contest].contest;
    cJSON_AddNumberToObject(o, "seq", (double)n->seq);
    cJSON_AddBoolToObject(o, "final", (n->final & TALLY_FINAL_SHOWN) != 0);
    cJSON *tps = cJSON_AddObjectToObject(o, "tps");
    cJSON_AddNumberToObject(tps, "total", n->tps_total);
    cJSON_AddNumberToObject(tps, "counted", n->tps_counted);
    cJSON_AddNumberToObject(tps, "held", n->tps_held);
    cJSON_AddNumberToObject(tps, "disputed", n->tps_disputed);
    cJSON_AddNumberToObject(tps, "confirmed", n->tps_confirmed);
    cJSON_AddNumberToObject(tps, "flagged", n->tps_flagged);
    cJSON_AddNumberToObject(tps, "with_photo", n->tps_with_photo);
    cJSON_AddNumberToObject(tps, "kpu_differs", n->tps_kpu_differs);
    cJSON_AddNumberToObject(o, "dpt", t->reg->regions[region].dpt);
    cJSON_AddNumberToObject(o, "registered", (double)n->registered);
    cJSON_AddNumberToObject(o, "voted", (double)n->voted);
    cJSON_AddNumberToObject(o, "valid", (double)n->valid);
    cJSON_AddNumberToObject(o, "invalid", (double)n->invalid);
    cJSON *v = cJSON_AddObjectToObject(o, "votes");
    for (int k = 0; k < c->n_candidates; k++) {
        char key[12];
        snprintf(key, sizeof key, "%d", c->candidates[k].number);
        cJSON_AddNumberToObject(v, key, (double)votes[k]);
    }
    kpu_add_json(o, t, contest, region);
}

static void add_head(cJSON *o, const struct tallies *t, int32_t region)
{
    const struct region *g = &t->reg->regions[region];
    cJSON_AddStringToObject(o, "region", g->code);
    cJSON_AddStringToObject(o, "name", g->name);
    cJSON_AddStringToObject(o, "level", region_level_name(g->level));
}

cJSON *view_tally_node(const char *type, const struct tallies *t, int contest, int32_t region,
                       int64_t children_since)
{
    cJSON *o = cJSON_CreateObject();
    if (type)
        cJSON_AddStringToObject(o, "type", type);
    cJSON_AddStringToObject(o, "contest", t->contests[contest].contest->id);
    add_head(o, t, region);
    add_totals(o, t, contest, region);
    cJSON *children = cJSON_AddArrayToObject(o, "children");
    const struct registry *reg = t->reg;
    for (int32_t c = reg->regions[region].first_child; c >= 0; c = reg->regions[c].next_sibling) {
        if (children_since >= 0 && tally_node(t, contest, c)->seq <= children_since)
            continue;
        cJSON *child = cJSON_CreateObject();
        add_head(child, t, c);
        add_totals(child, t, contest, c);
        cJSON_AddItemToArray(children, child);
    }
    return o;
}

static const char *response_status(const struct form *f)
{
    return f->outcome == FS_CONFIRMATION ? "counted" : form_status_name(f->outcome);
}

static cJSON *checks_json(uint32_t checks)
{
    cJSON *list = cJSON_CreateArray();
    for (int k = 0; k < FORM_CHECK_COUNT; k++) {
        if (!(checks & (1u << k)))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", form_check_code((enum form_check)k));
        cJSON_AddStringToObject(o, "severity", k < WARN_INVALID_SHARE ? "error" : "warning");
        cJSON_AddItemToArray(list, o);
    }
    return list;
}

static cJSON *receipt_json(const struct registry *reg, const struct form *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "form_id", (double)f->id);
    cJSON_AddStringToObject(o, "submission_id", f->submission_id);
    cJSON_AddStringToObject(o, "tps", reg->regions[f->tps].code);
    cJSON_AddStringToObject(o, "contest", reg->contests[f->contest].id);
    cJSON_AddNumberToObject(o, "revision", f->revision);
    cJSON_AddStringToObject(o, "status", response_status(f));
    if (f->outcome == FS_CONFIRMATION)
        cJSON_AddNumberToObject(o, "confirms", (double)f->confirms);
    cJSON_AddItemToObject(o, "checks", checks_json(f->checks));
    if (f->amendment) /* an admin changed a final result: said wherever the form shows */
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "amendment"), "reason", f->amendment);
    cJSON_AddNumberToObject(o, "seq", (double)f->seq);
    add_time(o, "received_at", f->received_ms);
    char receipt[65];
    hex_encode(f->receipt, sizeof f->receipt, receipt);
    cJSON_AddStringToObject(o, "receipt", receipt);
    return o;
}

/* A JSON string as cJSON prints one, so that both ways of encoding a receipt
 * give the same bytes. */
static void put_json_string(struct buf *b, const char *s)
{
    buf_puts(b, "\"");
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, run, (size_t)(s - run));
        if (c == '\0')
            break;
        static const char short_escape[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
                                            ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\'};
        if (c < sizeof short_escape && short_escape[c])
            buf_printf(b, "\\%c", short_escape[c]);
        else
            buf_printf(b, "\\u%04x", c);
        run = s + 1;
    }
    buf_puts(b, "\"");
}

/* A receipt written straight into text, in receipt_json's order and with
 * cJSON's bytes: a 201 is sent for every form, and building then printing a
 * tree of a dozen nodes cost 5 % of the server's CPU per form. */
static char *receipt_text_json(const struct registry *reg, const struct form *f)
{
    char ts[40], receipt[65];
    clock_format_rfc3339(f->received_ms, ts, sizeof ts);
    hex_encode(f->receipt, sizeof f->receipt, receipt);
    struct buf b;
    buf_init(&b, (size_t)1 << 16);
    buf_puts(&b, "{\"form_id\":");
    buf_put_uint(&b, (uint64_t)f->id);
    buf_puts(&b, ",\"submission_id\":");
    put_json_string(&b, f->submission_id);
    buf_puts(&b, ",\"tps\":");
    put_json_string(&b, reg->regions[f->tps].code);
    buf_puts(&b, ",\"contest\":");
    put_json_string(&b, reg->contests[f->contest].id);
    buf_puts(&b, ",\"revision\":");
    buf_put_uint(&b, f->revision);
    buf_puts(&b, ",\"status\":\"");
    buf_puts(&b, response_status(f));
    buf_puts(&b, "\"");
    if (f->outcome == FS_CONFIRMATION) {
        buf_puts(&b, ",\"confirms\":");
        buf_put_uint(&b, (uint64_t)f->confirms);
    }
    buf_puts(&b, ",\"checks\":[");
    for (int k = 0, n = 0; k < FORM_CHECK_COUNT; k++) {
        if (!(f->checks & (1u << k)))
            continue;
        buf_puts(&b, n++ ? ",{\"code\":\"" : "{\"code\":\"");
        buf_puts(&b, form_check_code((enum form_check)k));
        buf_puts(&b, k < WARN_INVALID_SHARE ? "\",\"severity\":\"error\"}"
                                            : "\",\"severity\":\"warning\"}");
    }
    buf_puts(&b, "]");
    if (f->amendment) {
        buf_puts(&b, ",\"amendment\":{\"reason\":");
        put_json_string(&b, f->amendment);
        buf_puts(&b, "}");
    }
    buf_puts(&b, ",\"seq\":");
    buf_put_uint(&b, (uint64_t)f->seq);
    buf_puts(&b, ",\"received_at\":\"");
    buf_puts(&b, ts);
    buf_puts(&b, "\",\"receipt\":\"");
    buf_puts(&b, receipt);
    buf_puts(&b, "\"}");
    SU_ASSERT(buf_error(&b) == SU_OK); /* every part is bounded */
    return buf_steal(&b, NULL);
}

char *view_receipt(const struct registry *reg, const struct form *f)
{
    if (f->outcome != FS_HELD)
        return receipt_text_json(reg, f);
    cJSON *o = receipt_json(reg, f);
    cJSON_AddItemToObject(o, "suggestions", view_suggestions(reg, f));
    return view_json(o);
}

/* The object at a count's dotted path below o, made on first use. */
static cJSON *count_parent(cJSON *o, const char *path, const char **leaf)
{
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        cJSON *child = cJSON_GetObjectItemCaseSensitive(o, key);
        o = child ? child : cJSON_AddObjectToObject(o, key);
        path = dot + 1;
    }
    *leaf = path;
    return o;
}

/* The counts of the list (form.h) whose path is nested (nested = true), or
 * the top-level ones: the contract shows the sections, then the votes, then
 * valid, invalid and total. */
static void add_count_fields(cJSON *o, const struct form_counts *k, bool nested)
{
    for (int i = 0; i < FORM_N_COUNTS; i++) {
        const char *path = form_count_fields[i].path, *leaf = path;
        if ((strchr(path, '.') != NULL) != nested)
            continue;
        cJSON *parent = count_parent(o, path, &leaf);
        cJSON_AddNumberToObject(parent, leaf, form_count_get(k, i));
    }
}

static void add_counts(cJSON *o, const struct contest *c, const struct form *f)
{
    add_count_fields(o, &f->counts, true);
    cJSON *v = cJSON_AddObjectToObject(o, "votes");
    for (int i = 0; i < f->n_votes; i++) {
        char key[12];
        snprintf(key, sizeof key, "%d", c->candidates[i].number);
        cJSON_AddNumberToObject(v, key, f->votes[i]);
    }
    add_count_fields(o, &f->counts, false);
}

static void add_photos(cJSON *o, const struct ledger *l, const struct form *f)
{
    cJSON *photos = cJSON_AddArrayToObject(o, "photos");
    for (int i = 0; i < f->n_photos; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "sha256", f->photos[i]);
        cJSON_AddBoolToObject(p, "stored", l->photos && photo_index_get(l->photos, f->photos[i]));
        cJSON_AddItemToArray(photos, p);
    }
}

cJSON *view_form(const struct registry *reg, const struct ledger *l, const struct form *f)
{
    cJSON *o = receipt_json(reg, f);
    cJSON_ReplaceItemInObject(o, "status", cJSON_CreateString(form_status_name(f->status)));
    cJSON_AddStringToObject(o, "outcome", response_status(f));
    cJSON_AddNumberToObject(o, "token_id", f->token_id);
    add_photos(o, l, f);
    add_counts(o, &reg->contests[f->contest], f);
    if (f->decision) {
        cJSON *d = cJSON_AddObjectToObject(o, "decision");
        cJSON_AddNumberToObject(d, "id", (double)f->decision->id);
        cJSON_AddStringToObject(d, "decision", f->decision->count ? "count" : "reject");
        cJSON_AddStringToObject(d, "reason", f->decision->reason);
        cJSON_AddNumberToObject(d, "token_id", f->decision->token_id);
        cJSON_AddNumberToObject(d, "seq", (double)f->decision->seq);
        add_time(d, "decided_at", f->decision->decided_ms);
        if (f->decision->has_receipt) { /* its leaf: /api/v1/log/proof/inclusion?decision_id= */
            char hex[65];
            hex_encode(f->decision->receipt, 32, hex);
            cJSON_AddStringToObject(d, "receipt", hex);
        } else {
            cJSON_AddNullToObject(d, "receipt");
        }
    }
    return o;
}

/* One page of a slot's stored forms, oldest first: with before == 0 the
 * newest VIEW_HISTORY_PAGE plus the counted and pending ones (what a TPS page
 * needs), else the newest VIEW_HISTORY_PAGE with a revision below `before`.
 * Bounded whatever one token stored: the answer is encoded on the loop. */
static void add_history(cJSON *o, const struct registry *reg, const struct ledger *l,
                        const struct slot *s, uint32_t before)
{
    uint32_t total = 0, below = 0;
    for (const struct form *f = s->first; f; f = f->next_in_slot) {
        if (f->committed) {
            total++;
            below += before == 0 || f->revision < before;
        }
    }
    uint32_t skip = below > VIEW_HISTORY_PAGE ? below - VIEW_HISTORY_PAGE : 0;
    uint32_t seen = 0, cursor = 0;
    cJSON *history = cJSON_AddArrayToObject(o, "history");
    for (const struct form *f = s->first; f; f = f->next_in_slot) {
        if (!f->committed || (before && f->revision >= before))
            continue;
        bool in_page = seen++ >= skip;
        if (in_page && !cursor)
            cursor = f->revision;
        if (in_page || (!before && (f == s->counted || form_pending(f))))
            cJSON_AddItemToArray(history, view_form(reg, l, f));
    }
    cJSON_AddNumberToObject(o, "history_total", total);
    if (skip)
        cJSON_AddNumberToObject(o, "history_before", cursor);
    else
        cJSON_AddNullToObject(o, "history_before");
}

static cJSON *tps_contest_json(const struct registry *reg, const struct ledger *l, int c,
                               int32_t tps, uint32_t before)
{
    const struct slot *s = ledger_slot(l, c, tps);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "contest", reg->contests[c].id);
    const char *status = "empty";
    if (s->counted && s->counted->committed)
        status = s->confirmed ? "confirmed" : "counted";
    else if (s->n_disputed)
        status = "disputed";
    else if (s->n_held)
        status = "held";
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddBoolToObject(o, "held", s->n_held > 0);
    cJSON_AddBoolToObject(o, "disputed", s->n_disputed > 0);
    if (s->counted && s->counted->committed)
        cJSON_AddItemToObject(o, "counted", view_form(reg, l, s->counted));
    else
        cJSON_AddNullToObject(o, "counted");
    add_history(o, reg, l, s, before);
    return o;
}

char *view_tps(const struct registry *reg, const struct ledger *l, int32_t tps)
{
    return view_tps_page(reg, l, tps, -1, 0);
}

char *view_tps_page(const struct registry *reg, const struct ledger *l, int32_t tps, int contest,
                    uint32_t before)
{
    const struct region *g = &reg->regions[tps];
    cJSON *o = region_ref(reg, tps);
    cJSON_AddStringToObject(o, "parent", reg->regions[g->parent].code);
    cJSON_AddNumberToObject(o, "dpt", g->dpt);
    cJSON *path = cJSON_AddArrayToObject(o, "path");
    for (int32_t p = g->parent; p >= 0; p = reg->regions[p].parent)
        cJSON_InsertItemInArray(path, 0, region_ref(reg, p));
    cJSON *contests = cJSON_AddArrayToObject(o, "contests");
    for (int c = 0; c < reg->n_contests; c++) {
        if ((contest < 0 || c == contest) && region_contains(reg, reg->contests[c].region, tps))
            cJSON_AddItemToArray(contests, tps_contest_json(reg, l, c, tps, before));
    }
    return view_json(o);
}

/* The forms waiting for review: held and disputed. */
struct pending {
    const struct form **forms;
    size_t n, cap;
};

static int collect_pending(struct pending *p, const struct registry *reg, const struct ledger *l,
                           int c, int32_t region)
{
    int32_t root = reg->contests[c].region;
    int32_t lo = region > root ? region : root;
    int32_t hi = reg->regions[region].end < reg->regions[root].end ? reg->regions[region].end
                                                                   : reg->regions[root].end;
    for (int32_t r = lo; r < hi; r++) {
        const struct slot *s = reg->regions[r].level == LEVEL_TPS ? ledger_slot(l, c, r) : NULL;
        if (!s || (!s->n_held && !s->n_disputed))
            continue;
        for (const struct form *f = s->first; f; f = f->next_in_slot) {
            if (!f->committed || !form_pending(f))
                continue;
            if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 64;
                const struct form **q = xrealloc(p->forms, cap * sizeof *q);
                if (!q)
                    return -1;
                p->forms = q;
                p->cap = cap;
            }
            p->forms[p->n++] = f;
        }
    }
    return 0;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = (*(const struct form *const *)a)->id, y = (*(const struct form *const *)b)->id;
    return (x > y) - (x < y);
}

static cJSON *review_item(const struct registry *reg, const struct ledger *l, const struct form *f)
{
    cJSON *item = view_form(reg, l, f);
    cJSON_AddItemToObject(item, "checks_failed", checks_json(f->checks & FORM_CHECK_ERRORS));
    if (f->status == FS_HELD)
        cJSON_AddItemToObject(item, "suggestions", view_suggestions(reg, f));
    const struct slot *s = ledger_slot(l, f->contest, f->tps);
    if (f->status == FS_DISPUTED && s->counted && s->counted->committed)
        cJSON_AddItemToObject(item, "counted_form", view_form(reg, l, s->counted));
    return item;
}

char *view_review(const struct registry *reg, const struct ledger *l, int contest, int32_t region,
                  view_item_fn annotate, void *annotate_ctx)
{
    struct pending p = {0};
    for (int c = 0; c < reg->n_contests; c++) {
        int32_t root = reg->contests[c].region;
        bool overlaps = region_contains(reg, root, region) || region_contains(reg, region, root);
        if ((contest < 0 || contest == c) && overlaps && collect_pending(&p, reg, l, c, region)) {
            free(p.forms);
            return NULL;
        }
    }
    if (p.n) /* oldest first: ids grow with arrival */
        qsort(p.forms, p.n, sizeof *p.forms, by_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)p.n);
    cJSON *list = cJSON_AddArrayToObject(o, "forms");
    for (size_t i = 0; i < p.n; i++) {
        cJSON *item = review_item(reg, l, p.forms[i]);
        if (annotate)
            annotate(item, p.forms[i], annotate_ctx);
        cJSON_AddItemToArray(list, item);
    }
    free(p.forms);
    return view_json(o);
}

static void csv_field(struct buf *out, const char *s)
{
    buf_puts(out, "\"");
    for (; *s; s++)
        buf_append(out, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    buf_puts(out, "\"");
}

int view_export_csv(const struct tallies *t, int contest, int level, struct buf *out)
{
    const struct contest *c = t->contests[contest].contest;
    const struct registry *reg = t->reg;
    buf_puts(out, "code,name,tps_total,tps_counted,registered,voted,valid,invalid");
    for (int k = 0; k < c->n_candidates; k++)
        buf_printf(out, ",votes_%d", c->candidates[k].number);
    buf_puts(out, "\r\n");
    int32_t root = c->region;
    for (int32_t r = root; r < reg->regions[root].end; r++) {
        const struct region *g = &reg->regions[r];
        if (g->level != level)
            continue;
        const struct tally_node *n = tally_node(t, contest, r);
        const int64_t *v = tally_votes(t, contest, r);
        buf_printf(out, "%s,", g->code);
        csv_field(out, g->name);
        buf_printf(out, ",%d,%d,%lld,%lld,%lld,%lld", n->tps_total, n->tps_counted,
                   (long long)n->registered, (long long)n->voted, (long long)n->valid,
                   (long long)n->invalid);
        for (int k = 0; k < c->n_candidates; k++)
            buf_printf(out, ",%lld", (long long)v[k]);
        if (buf_puts(out, "\r\n") != 0)
            return -1;
    }
    return 0;
}

char *view_log_head(const struct ledger *l)
{
    char receipt[65];
    hex_encode(l->last_receipt, sizeof l->last_receipt, receipt);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "form_id", (double)l->last_form_id);
    cJSON_AddNumberToObject(o, "forms", (double)l->n_forms);
    cJSON_AddStringToObject(o, "receipt", receipt);
    return view_json(o);
}
