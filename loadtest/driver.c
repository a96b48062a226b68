/* See driver.h.
 *
 * Work comes from three places, in this order of preference: the ready
 * queue (duplicates, follow-up forms and retries that are due), then the next
 * first form whose intended time has come (the arrival curve). A 1 ms pump
 * timer and every answer move work onto idle connections. Deferred work
 * (follow-ups, retries) waits in a binary heap ordered by due time. */
#include "driver.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "formgen.h"
#include "httpc.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX 4096
#define REQ_MAX 8192
#define TOKEN_MAX 64
#define REPORT_MAX 20
#define PUMP_MS 1

enum expect { EX_COUNTED, EX_CONFIRMS, EX_HELD, EX_DISPUTED };
enum who { WHO_A, WHO_B };

struct step_spec {
    uint8_t who, variant, expect;
};

static const struct step_spec kind_steps[SK_COUNT][2] = {
    [SK_PLAIN] = {{WHO_A, FV_GOOD0, EX_COUNTED}},
    [SK_HELD] = {{WHO_A, FV_BAD, EX_HELD}},
    [SK_HELD_FIXED] = {{WHO_A, FV_BAD, EX_HELD}, {WHO_A, FV_GOOD0, EX_COUNTED}},
    [SK_CORRECTED] = {{WHO_A, FV_GOOD0, EX_COUNTED}, {WHO_A, FV_GOOD1, EX_COUNTED}},
    [SK_CONFIRMED] = {{WHO_A, FV_GOOD0, EX_COUNTED}, {WHO_B, FV_GOOD0, EX_CONFIRMS}},
    [SK_DISPUTED] = {{WHO_A, FV_GOOD0, EX_COUNTED}, {WHO_B, FV_GOOD1, EX_DISPUTED}},
};
static const uint8_t kind_n_steps[SK_COUNT] = {1, 1, 2, 2, 2, 2};
static const char *const kind_names[SK_COUNT] = {"plain",     "held",      "held_fixed",
                                                 "corrected", "confirmed", "disputed"};

enum phase { PH_FORM, PH_DUPLICATE };

struct story {
    int64_t slot;
    uint64_t intended_us;
    char *first_body; /* the first answer, kept while a duplicate is due */
    uint32_t first_len;
    uint8_t kind, step, phase, attempts;
    uint8_t dup_mask, lost_mask;
    bool retrying, failed, done;
};

struct conn {
    struct driver *d;
    struct httpc *h;
    int64_t story; /* -1 when idle */
    uint64_t sent_us;
    bool lost_injected;
};

struct pending {
    uint64_t due_us;
    int64_t story;
};

struct driver {
    uv_loop_t *loop;
    struct model *m;
    const struct lt_options *o;
    char host[64];
    char run_id[16];
    enum region_level witness_level;
    struct story *stories;
    int64_t n_stories, next_primary;
    double curve_a, curve_b, curve_area; /* night curve */
    struct conn *conns;
    int n_conns;
    int *idle;
    int n_idle;
    int64_t *ready; /* ring */
    int64_t ready_head, ready_len, ready_cap;
    struct pending *heap;
    int64_t heap_len, heap_cap;
    uv_timer_t pump_timer;
    bool pumping, running, finished;
    void (*done)(void *ctx);
    void *done_ctx;
    driver_ack_cb on_ack;
    void *ack_ctx;
    int reported;
    struct driver_stats st;
};

const char *story_kind_name(int kind)
{
    return kind >= 0 && kind < SK_COUNT ? kind_names[kind] : "?";
}

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

static double unit(uint64_t h)
{
    return (double)(h >> 11) / 9007199254740992.0;
}

/* ---- plan ------------------------------------------------------------- */

static bool slot_wanted(const struct model *m, const struct lt_options *o, const struct lt_slot *s,
                        int32_t region)
{
    if (region >= 0 && (s->tps < region || s->tps >= m->regions[region].end))
        return false;
    if (o->contest_prefix &&
        strncmp(m->contests[s->contest].id, o->contest_prefix, strlen(o->contest_prefix)) != 0)
        return false;
    return true;
}

static int pick_kind(const struct lt_options *o, uint64_t h)
{
    double u = unit(h), edge = o->held;
    if (u < edge)
        return unit(lt_mix(h)) < o->fix ? SK_HELD_FIXED : SK_HELD;
    edge += o->corrections;
    if (u < edge)
        return SK_CORRECTED;
    edge += o->confirmations;
    if (u < edge)
        return SK_CONFIRMED;
    edge += o->disputes;
    return u < edge ? SK_DISPUTED : SK_PLAIN;
}

static int plan(struct driver *d)
{
    const struct model *m = d->m;
    const struct lt_options *o = d->o;
    int32_t region = -1;
    if (o->region && (region = model_find(m, o->region)) < 0) {
        fprintf(stderr, "suara-load: --region %s is not in the database\n", o->region);
        return -1;
    }
    int64_t *pick = xmalloc(((size_t)m->n_slots + 1) * sizeof *pick);
    int64_t n = 0;
    for (int64_t i = 0; i < m->n_slots; i++) {
        if (slot_wanted(m, o, &m->slots[i], region))
            pick[n++] = i;
    }
    /* Results arrive from everywhere at once: a fixed-seed shuffle. */
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(lt_mix(o->seed + (uint64_t)i) % (uint64_t)(i + 1));
        int64_t t = pick[i];
        pick[i] = pick[j];
        pick[j] = t;
    }
    if (o->forms > 0 && o->forms < n)
        n = o->forms;
    if (o->forms > n)
        fprintf(stderr,
                "suara-load: only %" PRId64 " slots (TPS x contest) to fill; sending %" PRId64
                " first forms, not %" PRId64 "\n",
                n, n, o->forms);
    d->stories = xcalloc((size_t)n + 1, sizeof *d->stories);
    if (!d->stories) {
        free(pick);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        struct story *s = &d->stories[i];
        uint64_t h = lt_mix(o->seed * 0x100000001b3ull + (uint64_t)pick[i]);
        s->slot = pick[i];
        s->kind = (uint8_t)pick_kind(o, h);
        for (int k = 0; k < kind_n_steps[s->kind]; k++) {
            if (unit(lt_mix(h + 11u + (uint64_t)k)) < o->duplicates)
                s->dup_mask |= (uint8_t)(1u << k);
            if (unit(lt_mix(h + 23u + (uint64_t)k)) < o->lost)
                s->lost_mask |= (uint8_t)(1u << k);
        }
        d->st.by_kind[s->kind]++;
    }
    free(pick);
    d->n_stories = n;
    d->st.stories = (uint64_t)n;
    return 0;
}

/* Intended send time of first form i, relative to the start. */
static uint64_t intended_offset_us(const struct driver *d, int64_t i)
{
    const struct lt_options *o = d->o;
    if (o->curve) {
        double a = d->curve_a, b = d->curve_b, c = 1.0 - a - b;
        double y = ((double)i + 0.5) / (double)d->n_stories * d->curve_area, t;
        if (y <= a / 2)
            t = a > 0 ? sqrt(2 * a * y) : 0;
        else if (y <= a / 2 + b)
            t = a + (y - a / 2);
        else {
            double yy = y - a / 2 - b;
            double disc = c * c - 2 * c * yy;
            t = a + b + c - sqrt(disc > 0 ? disc : 0);
        }
        return (uint64_t)(t * o->duration * 1e6);
    }
    double rate = o->rate > 0 ? o->rate : o->duration > 0 ? (double)d->n_stories / o->duration : 0;
    return rate > 0 ? (uint64_t)((double)i * 1e6 / rate) : 0;
}

/* ---- tokens ----------------------------------------------------------- */

static int32_t scope_of(const struct driver *d, int32_t tps)
{
    int32_t r = tps;
    while (d->m->regions[r].level > d->witness_level && d->m->regions[r].parent >= 0)
        r = d->m->regions[r].parent;
    return r;
}

static void token_text(const struct driver *d, int32_t scope, int who, char *out, size_t size)
{
    snprintf(out, size, "lt_%s_%s_%c", d->run_id, d->m->regions[scope].code, who ? 'b' : 'a');
}

int driver_create_tokens(struct driver *d, void *pgconn)
{
    PGconn *db = pgconn;
    char *seen = xcalloc((size_t)d->m->n_regions, 1);
    int rc = -1;
    PGresult *start = PQexec(db, "COPY tokens (hash, role, scope, name) FROM STDIN");
    bool copying = PQresultStatus(start) == PGRES_COPY_IN;
    if (!copying)
        fprintf(stderr, "suara-load: creating tokens failed: %s", PQerrorMessage(db));
    PQclear(start);
    if (!copying)
        goto done;
    int64_t n = 0;
    for (int64_t i = 0; i < d->n_stories; i++) {
        int32_t scope = scope_of(d, d->m->slots[d->stories[i].slot].tps);
        if (seen[scope])
            continue;
        seen[scope] = 1;
        for (int who = 0; who < 2; who++) {
            char tok[TOKEN_MAX], hash[65], line[256];
            token_text(d, scope, who, tok, sizeof tok);
            sha256_hex(tok, strlen(tok), hash);
            int len = snprintf(line, sizeof line, "%s\twitness\t%s\tsuara-load %s\n", hash,
                               d->m->regions[scope].code, who ? "B" : "A");
            if (PQputCopyData(db, line, len) != 1)
                goto done;
            n++;
        }
    }
    if (PQputCopyEnd(db, NULL) != 1)
        goto done;
    PGresult *r = PQgetResult(db);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "suara-load: creating tokens failed: %s", PQerrorMessage(db));
    PQclear(r);
    for (r = PQgetResult(db); r; r = PQgetResult(db))
        PQclear(r);
    if (ok && lt_db_exec(db, "NOTIFY suara_tokens") == 0) {
        if (!d->o->quiet)
            printf("created %" PRId64 " witness tokens (scope: %s)\n", n,
                   region_level_name(d->witness_level));
        rc = 0;
    }
done:
    free(seen);
    return rc;
}

const char *driver_probe_token(struct driver *d, char *buf, size_t size)
{
    if (!d->n_stories)
        return NULL;
    int32_t scope = scope_of(d, d->m->slots[d->stories[d->n_stories - 1].slot].tps);
    token_text(d, scope, WHO_B, buf, size);
    return buf;
}

/* ---- queues ----------------------------------------------------------- */

static int ready_push(struct driver *d, int64_t story)
{
    if (d->ready_len == d->ready_cap) {
        int64_t cap = d->ready_cap ? d->ready_cap * 2 : 1024;
        int64_t *p = xmalloc((size_t)cap * sizeof *p);
        for (int64_t i = 0; i < d->ready_len; i++)
            p[i] = d->ready[(d->ready_head + i) % d->ready_cap];
        free(d->ready);
        d->ready = p;
        d->ready_head = 0;
        d->ready_cap = cap;
    }
    d->ready[(d->ready_head + d->ready_len) % d->ready_cap] = story;
    d->ready_len++;
    return 0;
}

static int64_t ready_pop(struct driver *d)
{
    int64_t s = d->ready[d->ready_head];
    d->ready_head = (d->ready_head + 1) % d->ready_cap;
    d->ready_len--;
    return s;
}

static int heap_push(struct driver *d, uint64_t due, int64_t story)
{
    if (d->heap_len == d->heap_cap) {
        int64_t cap = d->heap_cap ? d->heap_cap * 2 : 1024;
        struct pending *p = xrealloc(d->heap, (size_t)cap * sizeof *p);
        d->heap = p;
        d->heap_cap = cap;
    }
    int64_t i = d->heap_len++;
    while (i > 0 && d->heap[(i - 1) / 2].due_us > due) {
        d->heap[i] = d->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->heap[i] = (struct pending){due, story};
    return 0;
}

static struct pending heap_pop(struct driver *d)
{
    struct pending top = d->heap[0], last = d->heap[--d->heap_len];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= d->heap_len)
            break;
        if (c + 1 < d->heap_len && d->heap[c + 1].due_us < d->heap[c].due_us)
            c++;
        if (d->heap[c].due_us >= last.due_us)
            break;
        d->heap[i] = d->heap[c];
        i = c;
    }
    if (d->heap_len)
        d->heap[i] = last;
    return top;
}

/* Runs story s again at due (now when due is 0). */
static void schedule(struct driver *d, int64_t s, uint64_t due)
{
    if (due == 0 || due <= now_us())
        ready_push(d, s);
    else
        heap_push(d, due, s);
}

/* ---- sending ---------------------------------------------------------- */

static void on_answer(struct httpc *h, void *ctx, int err, const struct http_resp *resp);
static void pump(struct driver *d);

static void submission_id(const struct driver *d, int64_t s, int step, char *out, size_t size)
{
    snprintf(out, size, "lt-%s-%" PRId64 "-%d", d->run_id, s, step);
}

static uint64_t form_seed(const struct driver *d, int64_t slot)
{
    return lt_mix(d->o->seed ^ ((uint64_t)slot * 0x9e3779b97f4a7c15ull));
}

/* The form of story s at its current step (counts into k, body into out). */
static size_t story_body(const struct driver *d, int64_t s, struct lt_counts *k, char *out,
                         size_t size)
{
    const struct story *st = &d->stories[s];
    const struct lt_slot *slot = &d->m->slots[st->slot];
    const struct lt_contest *c = &d->m->contests[slot->contest];
    const struct step_spec *sp = &kind_steps[st->kind][st->step];
    char sid[64];
    formgen_counts(k, form_seed(d, st->slot), d->m->regions[slot->tps].dpt, c->n_cand,
                   (enum form_variant)sp->variant);
    submission_id(d, s, st->step, sid, sizeof sid);
    return formgen_body(out, size, sid, d->m->regions[slot->tps].code, c, k);
}

static void send_story(struct driver *d, struct conn *cn, int64_t s)
{
    struct story *st = &d->stories[s];
    const struct lt_slot *slot = &d->m->slots[st->slot];
    char body[BODY_MAX], req[REQ_MAX], tok[TOKEN_MAX];
    struct lt_counts k;
    size_t blen = story_body(d, s, &k, body, sizeof body);
    token_text(d, scope_of(d, slot->tps), kind_steps[st->kind][st->step].who, tok, sizeof tok);
    size_t hlen = httpc_head(req, sizeof req, "POST", "/api/v1/forms", d->host, tok, blen);
    memcpy(req + hlen, body, blen);
    cn->story = s;
    cn->sent_us = now_us();
    cn->lost_injected =
        st->phase == PH_FORM && st->attempts == 0 && (st->lost_mask & (1u << st->step));
    if (!d->st.first_send_us)
        d->st.first_send_us = cn->sent_us;
    d->st.sent++;
    /* A lost answer: give up almost at once, as a phone on a bad network
     * would, and send again with the same submission_id. */
    uint64_t timeout = cn->lost_injected ? 1 : (uint64_t)d->o->timeout_ms;
    int rc = httpc_send(cn->h, req, hlen + blen, timeout, on_answer, cn);
    if (rc < 0)
        on_answer(cn->h, cn, rc, NULL);
}

static bool next_work(struct driver *d, uint64_t now, int64_t *s)
{
    if (d->ready_len) {
        *s = ready_pop(d);
        return true;
    }
    if (d->next_primary < d->n_stories) {
        int64_t i = d->next_primary;
        uint64_t at = d->st.start_us + intended_offset_us(d, i);
        if (at <= now) {
            d->stories[i].intended_us = at;
            d->next_primary++;
            *s = i;
            return true;
        }
    }
    return false;
}

static void pump(struct driver *d)
{
    if (d->pumping || !d->running)
        return;
    d->pumping = true;
    uint64_t now = now_us();
    while (d->heap_len && d->heap[0].due_us <= now)
        ready_push(d, heap_pop(d).story);
    int64_t s;
    while (d->n_idle && next_work(d, now, &s)) {
        struct conn *cn = &d->conns[d->idle[--d->n_idle]];
        send_story(d, cn, s);
    }
    d->pumping = false;
}

static void on_pump(uv_timer_t *t)
{
    pump(t->data);
}

/* ---- answers ---------------------------------------------------------- */

static void report(struct driver *d, int64_t s, const char *fmt, const char *detail, size_t len)
{
    d->st.mismatches++;
    if (d->reported++ >= REPORT_MAX)
        return;
    const struct story *st = &d->stories[s];
    const struct lt_slot *slot = &d->m->slots[st->slot];
    fprintf(stderr, "MISMATCH %s %s story %s step %d%s: %s: %.*s\n",
            d->m->contests[slot->contest].id, d->m->regions[slot->tps].code, kind_names[st->kind],
            st->step + 1, st->phase == PH_DUPLICATE ? " (duplicate)" : "", fmt,
            (int)(len > 400 ? 400 : len), detail ? detail : "");
}

/* "key":"value" or "key":number in a flat JSON object; NULL when absent. */
static const char *json_field(const char *body, size_t len, const char *key, size_t *vlen)
{
    char pat[40];
    int n = snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *end = body + len;
    for (const char *p = body; p + n <= end; p++) {
        p = memchr(p, '"', (size_t)(end - p));
        if (!p || p + n > end)
            return NULL;
        if (memcmp(p, pat, (size_t)n) == 0) {
            const char *v = p + n, *e = v;
            if (e < end && *e == '"') {
                v++;
                e = memchr(v, '"', (size_t)(end - v));
                if (!e)
                    return NULL;
            } else {
                while (e < end && *e != ',' && *e != '}')
                    e++;
            }
            *vlen = (size_t)(e - v);
            return v;
        }
    }
    return NULL;
}

static bool field_is(const char *body, size_t len, const char *key, const char *want)
{
    size_t vlen;
    const char *v = json_field(body, len, key, &vlen);
    return v && vlen == strlen(want) && memcmp(v, want, vlen) == 0;
}

static int64_t field_int(const char *body, size_t len, const char *key)
{
    size_t vlen;
    const char *v = json_field(body, len, key, &vlen);
    return v ? strtoll(v, NULL, 10) : -1;
}

static void story_finish(struct driver *d, int64_t s, bool failed)
{
    struct story *st = &d->stories[s];
    st->done = true;
    st->failed = failed;
    free(st->first_body);
    st->first_body = NULL;
    if (failed) {
        d->st.stories_failed++;
        return;
    }
    d->st.stories_done++;
    const struct lt_slot *slot = &d->m->slots[st->slot];
    const struct lt_contest *c = &d->m->contests[slot->contest];
    struct lt_counts k;
    bool counted = st->kind != SK_HELD;
    int variant = st->kind == SK_CORRECTED ? FV_GOOD1 : FV_GOOD0;
    formgen_counts(&k, form_seed(d, st->slot), d->m->regions[slot->tps].dpt, c->n_cand,
                   (enum form_variant)variant);
    model_apply(d->m, slot->contest, slot->tps, counted ? &k : NULL, st->kind == SK_HELD,
                st->kind == SK_DISPUTED, st->kind == SK_CONFIRMED, +1);
}

/* The latencies of one acknowledged form. Forms sent during the first
 * --warmup seconds are acknowledged and verified like every other, but left
 * out of the histograms: two runs compared by their p99 then both leave out
 * the same start-up (connections opening, caches filling). */
static void record_latency(struct driver *d, uint64_t sent_us, uint64_t intended_us, uint64_t now)
{
    uint64_t measured_from = d->st.start_us + (uint64_t)(d->o->warmup * 1e6);
    if (sent_us < measured_from)
        return;
    hist_record(&d->st.ack_us, now - sent_us);
    if (intended_us)
        hist_record(&d->st.intended_us, now - intended_us);
}

static void advance(struct driver *d, int64_t s, uint64_t now)
{
    struct story *st = &d->stories[s];
    free(st->first_body);
    st->first_body = NULL;
    st->step++;
    st->phase = PH_FORM;
    st->attempts = 0;
    st->retrying = false;
    if (st->step < kind_n_steps[st->kind]) {
        uint64_t due = d->o->follow_ms ? now + (uint64_t)d->o->follow_ms * 1000 : 0;
        st->intended_us = due ? due : now;
        schedule(d, s, due);
    } else {
        story_finish(d, s, false);
    }
}

static bool check_receipt(struct driver *d, int64_t s, const struct http_resp *r)
{
    struct story *st = &d->stories[s];
    const struct step_spec *sp = &kind_steps[st->kind][st->step];
    static const char *const want_status[] = {"counted", "counted", "held", "disputed"};
    char why[160];
    if (!(r->status == 201 || (st->retrying && r->status == 200))) {
        snprintf(why, sizeof why, "status %d, expected 201", r->status);
        report(d, s, why, r->body, r->body_len);
        return false;
    }
    size_t vlen;
    bool confirms = json_field(r->body, r->body_len, "confirms", &vlen) != NULL;
    int64_t revision = field_int(r->body, r->body_len, "revision");
    if (!field_is(r->body, r->body_len, "status", want_status[sp->expect]) ||
        confirms != (sp->expect == EX_CONFIRMS) || revision != st->step + 1) {
        snprintf(why, sizeof why, "expected status %s%s revision %d", want_status[sp->expect],
                 sp->expect == EX_CONFIRMS ? " with confirms" : "", st->step + 1);
        report(d, s, why, r->body, r->body_len);
        return false;
    }
    return true;
}

static void retry(struct driver *d, int64_t s, uint64_t delay_us)
{
    struct story *st = &d->stories[s];
    if (++st->attempts >= d->o->max_attempts) {
        report(d, s, "gave up after retries", NULL, 0);
        story_finish(d, s, true);
        return;
    }
    d->st.retries++;
    st->retrying = true;
    schedule(d, s, now_us() + delay_us);
}

static void handle(struct driver *d, struct conn *cn, int64_t s, int err, const struct http_resp *r)
{
    struct story *st = &d->stories[s];
    uint64_t now = now_us();
    if (err) {
        if (err == HTTPC_TIMEOUT && cn->lost_injected)
            d->st.lost_injected++;
        else if (err == HTTPC_TIMEOUT)
            d->st.timeouts++;
        else
            d->st.net_errors++;
        d->st.by_status[0]++;
        retry(d, s, 2000 + (uint64_t)st->attempts * 20000);
        return;
    }
    d->st.by_status[r->status / 100 < 6 ? r->status / 100 : 0]++;
    if (r->status == 503 || r->status == 429) {
        if (r->status == 503)
            d->st.unavailable_503++;
        else
            d->st.limited_429++;
        uint64_t wait_ms = r->retry_after > 0 ? (uint64_t)r->retry_after * 1000 : 100;
        if (wait_ms > (uint64_t)d->o->retry_cap_ms)
            wait_ms = (uint64_t)d->o->retry_cap_ms;
        retry(d, s, wait_ms * 1000);
        return;
    }
    if (st->phase == PH_DUPLICATE) {
        if (r->status != 200 || r->body_len != st->first_len ||
            memcmp(r->body, st->first_body, r->body_len) != 0) {
            report(d, s, "a duplicate must get 200 and the first body", r->body, r->body_len);
            story_finish(d, s, true);
            return;
        }
        d->st.duplicates_ok++;
        advance(d, s, now);
        return;
    }
    if (d->o->reference && r->status / 100 == 2) {
        d->st.acked++;
        d->st.forms_acked++;
        d->st.first_acked += st->step == 0;
        d->st.last_ack_us = now;
        record_latency(d, cn->sent_us, st->intended_us, now);
        advance(d, s, now);
        return;
    }
    if (!check_receipt(d, s, r)) {
        story_finish(d, s, true);
        return;
    }
    d->st.acked++;
    d->st.forms_acked++;
    if (st->step == 0)
        d->st.first_acked++;
    d->st.last_ack_us = now;
    record_latency(d, cn->sent_us, st->intended_us, now);
    int64_t seq = field_int(r->body, r->body_len, "seq");
    const struct lt_slot *slot = &d->m->slots[st->slot];
    if (d->on_ack && seq > 0)
        d->on_ack(d->ack_ctx, slot->contest, slot->tps, seq, now);
    if (st->dup_mask & (1u << st->step)) {
        /* The answer to keep is the first one (201); a 200 after a retry
         * carries the same body, which is exactly what is being tested. */
        st->first_body = xmalloc(r->body_len ? r->body_len : 1);
        if (st->first_body) {
            memcpy(st->first_body, r->body, r->body_len);
            st->first_len = (uint32_t)r->body_len;
            st->phase = PH_DUPLICATE;
            st->attempts = 0;
            ready_push(d, s);
            return;
        }
    }
    advance(d, s, now);
}

static void on_answer(struct httpc *h, void *ctx, int err, const struct http_resp *resp)
{
    struct conn *cn = ctx;
    struct driver *d = cn->d;
    int64_t s = cn->story;
    cn->story = -1;
    d->idle[d->n_idle++] = (int)(cn - d->conns);
    if (s >= 0)
        handle(d, cn, s, err, resp);
    if (d->running && d->st.stories_done + d->st.stories_failed == d->st.stories && !d->finished) {
        d->finished = true;
        d->running = false;
        uv_timer_stop(&d->pump_timer);
        d->done(d->done_ctx);
        return;
    }
    pump(d);
}

/* ---- life cycle ------------------------------------------------------- */

struct driver *driver_new(uv_loop_t *loop, struct model *m, const struct lt_options *o,
                          const struct sockaddr_in *addr, const char *host_header)
{
    struct driver *d = xcalloc(1, sizeof *d);
    d->loop = loop;
    d->m = m;
    d->o = o;
    snprintf(d->host, sizeof d->host, "%s", host_header);
    snprintf(d->run_id, sizeof d->run_id, "%08x",
             (unsigned)(lt_mix(uv_hrtime() ^ (uint64_t)getpid()) & 0xffffffffu));
    d->witness_level = region_level_parse(o->witness_level);
    if (d->witness_level < LEVEL_PROVINCE || d->witness_level > LEVEL_TPS) {
        fprintf(stderr, "suara-load: --witness-level must be tps, desa, kecamatan, kabupaten or "
                        "province\n");
        free(d);
        return NULL;
    }
    hist_init(&d->st.ack_us);
    hist_init(&d->st.intended_us);
    if (o->curve) {
        d->curve_a = o->ramp;
        d->curve_b = o->peak;
        d->curve_area = d->curve_a / 2 + d->curve_b + (1 - d->curve_a - d->curve_b) / 2;
    }
    if (plan(d) != 0) {
        free(d);
        return NULL;
    }
    d->n_conns = o->connections;
    d->conns = xcalloc((size_t)d->n_conns, sizeof *d->conns);
    d->idle = xcalloc((size_t)d->n_conns, sizeof *d->idle);
    if (!d->conns || !d->idle) {
        driver_free(d);
        return NULL;
    }
    for (int i = 0; i < d->n_conns; i++) {
        d->conns[i] = (struct conn){d, httpc_new(loop, addr), -1, 0, false};
        d->idle[d->n_idle++] = d->n_conns - 1 - i;
    }
    uv_timer_init(loop, &d->pump_timer);
    d->pump_timer.data = d;
    return d;
}

void driver_set_ack_cb(struct driver *d, driver_ack_cb cb, void *ctx)
{
    d->on_ack = cb;
    d->ack_ctx = ctx;
}

void driver_start(struct driver *d, void (*done)(void *ctx), void *ctx)
{
    d->done = done;
    d->done_ctx = ctx;
    d->running = true;
    d->st.start_us = now_us();
    if (d->n_stories == 0) {
        d->finished = true;
        d->running = false;
        done(ctx);
        return;
    }
    uv_timer_start(&d->pump_timer, on_pump, PUMP_MS, PUMP_MS);
    pump(d);
}

int64_t driver_story_slot(const struct driver *d, int64_t i)
{
    return d->stories[i].slot;
}

const struct driver_stats *driver_stats(const struct driver *d)
{
    struct driver_stats *st = (struct driver_stats *)&d->st;
    st->reconnects = 0;
    for (int i = 0; i < d->n_conns; i++)
        st->reconnects += d->conns[i].h ? httpc_connects(d->conns[i].h) : 0;
    return &d->st;
}

static void timer_closed(uv_handle_t *h)
{
    struct driver *d = h->data;
    free(d);
}

void driver_free(struct driver *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n_conns; i++)
        httpc_free(d->conns[i].h);
    for (int64_t i = 0; i < d->n_stories; i++)
        free(d->stories[i].first_body);
    free(d->stories);
    free(d->conns);
    free(d->idle);
    free(d->ready);
    free(d->heap);
    if (d->pump_timer.type == UV_TIMER)
        uv_close((uv_handle_t *)&d->pump_timer, timer_closed);
    else
        free(d);
}
