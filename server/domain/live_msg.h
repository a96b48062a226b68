/* The messages a live-feed client sends ({"type": "subscribe" | "unsubscribe",
 * "contest": ..., "region": ...}), decoded and resolved against the registry.
 * Pure: net/live.c acts on the result, and a fuzzer drives it directly. */
#ifndef SUARA_DOMAIN_LIVE_MSG_H
#define SUARA_DOMAIN_LIVE_MSG_H

#include "registry.h"
#include "tally.h"

#include <stddef.h>

enum live_msg_kind { LIVE_MSG_SUBSCRIBE, LIVE_MSG_UNSUBSCRIBE, LIVE_MSG_ERROR };

struct live_msg {
    enum live_msg_kind kind;
    int contest;            /* subscribe/unsubscribe: the contest's index */
    int32_t region;         /* ... and a region inside it */
    const char *error_code; /* LIVE_MSG_ERROR: static strings */
    const char *error_message;
};

/* Decodes `len` bytes (not NUL-terminated) into out. */
void live_msg_parse(const struct registry *reg, const struct tallies *t, const char *text,
                    size_t len, struct live_msg *out);

#endif
