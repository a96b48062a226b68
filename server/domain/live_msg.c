/* See live_msg.h. */
#include "live_msg.h"

#include <cjson/cJSON.h>
#include <string.h>

static void fail(struct live_msg *out, const char *code, const char *message)
{
    out->kind = LIVE_MSG_ERROR;
    out->error_code = code;
    out->error_message = message;
}

static void resolve(const struct registry *reg, const struct tallies *t, const cJSON *msg,
                    struct live_msg *out)
{
    const cJSON *contest = cJSON_GetObjectItemCaseSensitive(msg, "contest");
    const cJSON *region = cJSON_GetObjectItemCaseSensitive(msg, "region");
    if (!cJSON_IsString(contest) || !cJSON_IsString(region)) {
        fail(out, "bad_message", "contest and region must be strings");
        return;
    }
    const struct contest *c =
        registry_contest(reg, contest->valuestring, strlen(contest->valuestring));
    if (!c) {
        fail(out, "unknown_contest", "no contest has this id");
        return;
    }
    int32_t r = registry_find(reg, region->valuestring, strlen(region->valuestring));
    if (r < 0 || !tally_node(t, c->index, r)) {
        fail(out, "unknown_region", "the region is unknown or outside the contest");
        return;
    }
    out->contest = c->index;
    out->region = r;
}

void live_msg_parse(const struct registry *reg, const struct tallies *t, const char *text,
                    size_t len, struct live_msg *out)
{
    memset(out, 0, sizeof *out);
    cJSON *msg = cJSON_ParseWithLength(text, len);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    if (!cJSON_IsObject(msg) || !cJSON_IsString(type)) {
        fail(out, msg ? "bad_message" : "malformed_json",
             "send {\"type\": \"subscribe\", \"contest\": ..., \"region\": ...}");
    } else if (strcmp(type->valuestring, "subscribe") == 0) {
        out->kind = LIVE_MSG_SUBSCRIBE;
        resolve(reg, t, msg, out);
    } else if (strcmp(type->valuestring, "unsubscribe") == 0) {
        out->kind = LIVE_MSG_UNSUBSCRIBE;
        resolve(reg, t, msg, out);
    } else {
        fail(out, "unknown_type", "type must be subscribe or unsubscribe");
    }
    cJSON_Delete(msg);
}
