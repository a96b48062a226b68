/* See api_log.h. Errors: 400 bad_parameter (a parameter missing or not a
 * whole number, named in details), 400 bad_tree_size (a size beyond the log,
 * or first > second), 404 unknown_form, 404 not_in_tree (the form was logged
 * after the tree size asked about), 503 no_signed_head (no head made yet). */
#include "api_log.h"
#include "domain/publog.h"
#include "domain/view.h"

#include <stdlib.h>
#include <string.h>

#define LOG_BAD_PARAM (-2)

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
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "field", name);
        cJSON_AddStringToObject(d, "code", problem);
        cJSON_AddItemToArray(details, d);
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

/* The size a proof is asked for when none is given: the latest head's. */
static int64_t default_size(const struct publog *log)
{
    return log->head.made ? log->head.tree_size : publog_size(log);
}

static enum route_result get_inclusion(struct api *api, const struct http_request *req,
                                       struct http_reply *rep)
{
    cJSON *details = cJSON_CreateArray();
    int64_t form_id = query_count(req, "form_id", LOG_BAD_PARAM, details);
    int64_t size = query_count(req, "tree_size", default_size(api->log), details);
    if (cJSON_GetArraySize(details) > 0)
        return bad_parameters(rep, details);
    cJSON_Delete(details);
    if (size > publog_size(api->log))
        return bad_tree_size(rep);
    int64_t leaf = publog_leaf_of_form(api->log, form_id);
    if (leaf < 0) {
        http_reply_error(rep, 404, "unknown_form", "no stored form has this id");
        return ROUTE_DONE;
    }
    cJSON *proof = publog_inclusion_json(api->log, leaf, size);
    if (!proof) {
        http_reply_error(rep, 404, "not_in_tree",
                         "the form was logged after this tree size; ask again with a later "
                         "signed head");
        return ROUTE_DONE;
    }
    return reply(rep, proof);
}

static enum route_result get_consistency(struct api *api, const struct http_request *req,
                                         struct http_reply *rep)
{
    cJSON *details = cJSON_CreateArray();
    int64_t first = query_count(req, "first", LOG_BAD_PARAM, details);
    int64_t second = query_count(req, "second", default_size(api->log), details);
    if (cJSON_GetArraySize(details) > 0)
        return bad_parameters(rep, details);
    cJSON_Delete(details);
    cJSON *proof = publog_consistency_json(api->log, first, second);
    return proof ? reply(rep, proof) : bad_tree_size(rep);
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
    http_reply_error(rep, 404, "not_found", "no such API path");
    return ROUTE_DONE;
}
