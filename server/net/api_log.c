/* See api_log.h. Errors: 400 bad_parameter (a parameter missing or not a
 * whole number, or form_id and decision_id together, named in details), 400
 * bad_tree_size (a size beyond the log, or first > second), 404 unknown_form,
 * 404 unknown_decision, 404 not_in_tree (the entry was logged after the tree
 * size asked about), 503 no_signed_head (no head made yet). proof/status
 * answers a form's status-change leaves (domain/log_status.h) with the same
 * parameters and errors. */
#include "api_log.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "domain/log_status.h"
#include "domain/publog.h"
#include "domain/view.h"

#include <stdlib.h>
#include <string.h>

#define LOG_BAD_PARAM (-2)

/* One entry of a 400's details: {"field", "code"}. */
static void add_problem(cJSON *details, const char *field, const char *code)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "field", field);
    cJSON_AddStringToObject(d, "code", code);
    cJSON_AddItemToArray(details, d);
}

/* A non-negative whole number from the query; absent gives `fallback`,
 * anything else LOG_BAD_PARAM with the problem added to details. */
static int64_t query_count(const struct http_request *req, const char *name, int64_t fallback,
                           cJSON *details)
{
    char text[24];
    enum query_param q = http_query_param(req->query, name, text, sizeof text);
    const char *problem = NULL;
    int64_t value = fallback;
    if (q == QUERY_ABSENT && fallback == LOG_BAD_PARAM) {
        problem = "missing";
    } else if (q == QUERY_TOO_LONG) {
        problem = "not_integer";
    } else if (q == QUERY_FOUND) {
        size_t len = strlen(text);
        if (len == 0 || len > 18 || strspn(text, "0123456789") != len)
            problem = "not_integer"; /* digits only: no sign, space or hex */
        else
            value = strtoll(text, NULL, 10);
    }
    if (problem) {
        add_problem(details, name, problem);
        return LOG_BAD_PARAM;
    }
    return value;
}

static enum route_result reply(struct http_reply *rep, cJSON *body)
{
    http_reply_json(rep, 200, view_json(body));
    return ROUTE_DONE;
}

static enum route_result bad_parameters(struct http_reply *rep, cJSON *details)
{
    http_reply_json(
        rep, 400,
        view_error("bad_parameter", "a parameter is missing or not a whole number", details));
    return ROUTE_DONE;
}

static enum route_result bad_tree_size(struct http_reply *rep)
{
    http_reply_error(rep, 400, "bad_tree_size",
                     "the tree size is larger than the log, or first is above second");
    return ROUTE_DONE;
}

/* An entry given back from memory is not the log's leaf (log_entry.h): the
 * two statements of the outcome rules disagree, or memory was changed; a bug
 * to report, never the client's fault, and never a proof that cannot check. */
static enum route_result log_mismatch(struct http_reply *rep)
{
    http_reply_error(rep, 500, "log_mismatch",
                     "the entries recomputed now are not the log's leaves");
    return ROUTE_DONE;
}

/* The size a proof is asked for when none is given: the latest head's. */
static int64_t default_size(const struct publog *log)
{
    return log->head.made ? log->head.tree_size : publog_size(log);
}

/* Two parameters of the query (see query_count); false after answering 400
 * with every problem named. */
static bool query_pair(const struct http_request *req, const char *a_name, int64_t a_fallback,
                       const char *b_name, int64_t b_fallback, int64_t *a, int64_t *b,
                       struct http_reply *rep)
{
    cJSON *details = cJSON_CreateArray();
    *a = query_count(req, a_name, a_fallback, details);
    *b = query_count(req, b_name, b_fallback, details);
    if (cJSON_GetArraySize(details) > 0) {
        bad_parameters(rep, details);
        return false;
    }
    cJSON_Delete(details);
    return true;
}

/* ?form_id=ID or ?decision_id=ID: which entry, and its leaf (-1: none). */
static bool inclusion_leaf(struct api *api, const struct http_request *req, int64_t *leaf,
                           int64_t *size, struct http_reply *rep)
{
    char probe[2];
    bool by_decision =
        http_query_param(req->query, "decision_id", probe, sizeof probe) != QUERY_ABSENT;
    if (by_decision &&
        http_query_param(req->query, "form_id", probe, sizeof probe) != QUERY_ABSENT) {
        cJSON *details = cJSON_CreateArray();
        add_problem(details, "decision_id", "not_with_form_id");
        bad_parameters(rep, details);
        return false;
    }
    int64_t id;
    if (!query_pair(req, by_decision ? "decision_id" : "form_id", LOG_BAD_PARAM, "tree_size",
                    default_size(api->log), &id, size, rep))
        return false;
    if (*size > publog_size(api->log)) {
        bad_tree_size(rep);
        return false;
    }
    *leaf = by_decision ? publog_leaf_of_decision(api->log, id) : publog_leaf_of_form(api->log, id);
    if (*leaf < 0) {
        if (by_decision)
            http_reply_error(rep, 404, "unknown_decision",
                             "no decision in the log has this id (decisions made before they "
                             "joined the log have no leaf)");
        else
            http_reply_error(rep, 404, "unknown_form", "no stored form has this id");
        return false;
    }
    return true;
}

static enum route_result get_inclusion(struct api *api, const struct http_request *req,
                                       struct http_reply *rep)
{
    int64_t leaf, size;
    if (!inclusion_leaf(api, req, &leaf, &size, rep))
        return ROUTE_DONE;
    cJSON *proof;
    int rc = publog_inclusion_json(api->log, leaf, size, &proof);
    if (rc == MERKLE_MISMATCH)
        return log_mismatch(rep);
    if (rc != 0) {
        http_reply_error(rep, 404, "not_in_tree",
                         "the entry was logged after this tree size; ask again with a later "
                         "signed head");
        return ROUTE_DONE;
    }
    return reply(rep, proof);
}

static enum route_result get_consistency(struct api *api, const struct http_request *req,
                                         struct http_reply *rep)
{
    int64_t first, second;
    if (!query_pair(req, "first", LOG_BAD_PARAM, "second", default_size(api->log), &first, &second,
                    rep))
        return ROUTE_DONE;
    cJSON *proof;
    int rc = publog_consistency_json(api->log, first, second, &proof);
    if (rc == MERKLE_MISMATCH)
        return log_mismatch(rep);
    return rc == 0 ? reply(rep, proof) : bad_tree_size(rep);
}

static void add_hash(cJSON *o, const char *key, const unsigned char h[32])
{
    char hex[65];
    hex_encode(h, 32, hex);
    cJSON_AddStringToObject(o, key, hex);
}

/* One status leaf with what a verifier needs: the text's fields, the receipt
 * (its SHA-256, the leaf's entry) and the audit path in the tree of `size`;
 * NULL when an entry the proof needed did not check (MERKLE_MISMATCH). */
static cJSON *status_json(struct publog *log, const struct log_status *st, int64_t size)
{
    cJSON *o;
    int rc = publog_inclusion_json(log, st->leaf, size, &o);
    SU_ASSERT(rc != -1); /* log_status_of gives leaves below size only */
    if (rc != 0)
        return NULL;
    cJSON_AddNumberToObject(o, "seq", (double)st->seq);
    cJSON_AddStringToObject(o, "status", form_status_name(st->status));
    add_hash(o, "prev", st->prev);
    add_hash(o, "receipt", st->receipt);
    cJSON_DeleteItemFromObject(o, "tree_size"); /* the answer's, once */
    return o;
}

/* ?form_id=ID&tree_size=N: every status change of the form that the tree of
 * N leaves holds (none for a form whose status never changed), each proven. */
static enum route_result get_status(struct api *api, const struct http_request *req,
                                    struct http_reply *rep)
{
    int64_t id, size;
    if (!query_pair(req, "form_id", LOG_BAD_PARAM, "tree_size", default_size(api->log), &id, &size,
                    rep))
        return ROUTE_DONE;
    if (size > publog_size(api->log))
        return bad_tree_size(rep);
    const struct form *f = ledger_by_id(api->ledger, id);
    if (!f || !f->committed) {
        http_reply_error(rep, 404, "unknown_form", "no stored form has this id");
        return ROUTE_DONE;
    }
    struct log_status found[LOG_STATUS_MAX];
    int n = log_status_of(api->ledger, f, size, found);
    if (n < 0)
        return log_mismatch(rep);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "form_id", (double)id);
    cJSON_AddNumberToObject(o, "tree_size", (double)size);
    cJSON *list = cJSON_AddArrayToObject(o, "changes");
    for (int i = 0; i < n; i++) {
        cJSON *change = status_json(api->log, &found[i], size);
        if (!change) {
            cJSON_Delete(o);
            return log_mismatch(rep);
        }
        cJSON_AddItemToArray(list, change);
    }
    return reply(rep, o);
}

enum route_result api_log_get(struct api *api, const struct http_request *req, const char *rest,
                              struct http_reply *rep)
{
    if (strcmp(rest, "sth") == 0) {
        if (!api->log->head.made) {
            http_reply_error(rep, 503, "no_signed_head", "the first tree head is not made yet");
            rep->retry_after = 1;
            return ROUTE_DONE;
        }
        return reply(rep, publog_head_json(api->log));
    }
    if (strcmp(rest, "proof/inclusion") == 0)
        return get_inclusion(api, req, rep);
    if (strcmp(rest, "proof/consistency") == 0)
        return get_consistency(api, req, rep);
    if (strcmp(rest, "proof/status") == 0)
        return get_status(api, req, rep);
    http_reply_error(rep, 404, "not_found", "no such API path");
    return ROUTE_DONE;
}
