/* Request bodies that are one JSON object of string members (a decision, a
 * review request, a finalisation): parsed and checked in one place, so every
 * such endpoint names the same problems the same way. The form, whose body
 * is numbers, has its own decoder (domain/form.c). */
#ifndef SUARA_NET_BODY_H
#define SUARA_NET_BODY_H

#include "domain/form.h"
#include "http.h"

#include <stdbool.h>
#include <stddef.h>

/* One member the body must have. Problems, in this order, at most one each:
 * "missing", "not_string"; for text, "empty"; over max bytes, long_code (or
 * "too_long"); for text, "bad_encoding" (not UTF-8); "bad_value" when valid
 * says no. */
struct body_member {
    const char *name;
    size_t max;            /* longest value in bytes; 0: no limit */
    const char *long_code; /* the problem past max; NULL: "too_long" */
    bool text;             /* free text: not empty, valid UTF-8 */
    bool (*valid)(const char *value);
    const char *value; /* out: the value (inside the returned tree) */
};

/* Parses req's body as a JSON object whose members are exactly members[0..n):
 * each checked as above; any other member is "unknown_field", and a member
 * given twice "duplicate_key" (cJSON keeps both and returns the first, and a
 * reader taking the last would see another request). Returns the tree, which
 * the caller deletes (its values hold while it lives), or NULL when the body
 * is not a JSON object. Problems go to p. */
struct cJSON *body_members(const struct http_request *req, struct body_member *members, int n,
                           struct form_problems *p);

#endif
