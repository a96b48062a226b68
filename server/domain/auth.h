/* API tokens and what each may do. Tokens are held by the SHA-256 of their
 * secret (the secret is never stored); a bearer is hashed and looked up, and
 * the stored hash is compared in constant time. Scopes are region indices, so
 * "may this token write TPS t" is a range check (registry.h). */
#ifndef SUARA_DOMAIN_AUTH_H
#define SUARA_DOMAIN_AUTH_H

#include "core/strmap.h"
#include "registry.h"

#include <stdbool.h>
#include <stdint.h>

enum role { ROLE_WITNESS, ROLE_REVIEWER, ROLE_MONITOR, ROLE_ADMIN };

struct token {
    int32_t id;
    enum role role;
    int32_t scope; /* region index */
    char hash[65];
    char *name;
    int64_t window_start_ms; /* rate limit: fixed one-minute windows */
    int window_count;
    bool revoked; /* revoked since the last reload: no longer found */
};

struct auth {
    struct strmap by_hash;
    struct token **tokens;
    int n, cap;
};

/* A token is "sk_" and 32 random bytes in unpadded base64url (46 characters). */
#define AUTH_TOKEN_LEN 46

/* A new token's secret and the SHA-256 (hex) that the database keeps of it.
 * SU_OK, or SU_ERR when the kernel gives no random bytes. */
int auth_token_new(char token[AUTH_TOKEN_LEN + 1], char hash[65]);

/* New witness tokens to store (the admin's printed cards): n of each, the
 * SHA-256 of each secret, its scope (a TPS code) and name, all malloc'd;
 * `answer` is the reply that goes out once they are stored. */
struct token_batch {
    int n;
    char **hash, **scope, **name;
    int32_t by_token; /* the admin's token */
    char *answer;
};

void token_batch_free(struct token_batch *b);

void auth_init(struct auth *a);
void auth_free(struct auth *a);
/* Adds a token; unknown scopes or roles make it unusable and are skipped
 * (returns SU_INVAL), so a bad row cannot widen anyone's rights. */
int auth_add(struct auth *a, const struct registry *reg, int32_t id, const char *hash,
             const char *role, const char *scope, const char *name);
/* Marks the tokens with these ids (sorted ascending) revoked, so lookups
 * stop finding them now rather than at the reload that follows (which no
 * longer loads them); answers how many were found. One pass over the tokens. */
int auth_revoke(struct auth *a, const int32_t *ids, int n);
/* Moves the rate-limit state of tokens that survive a reload. */
void auth_carry_rate_state(struct auth *to, const struct auth *from);
/* The token for an "Authorization: Bearer ..." secret, or NULL. */
struct token *auth_lookup(const struct auth *a, const char *secret, size_t len);
int auth_parse_role(const char *name);
const char *auth_role_name(enum role role);

bool auth_can_submit(const struct registry *reg, const struct token *t, int32_t tps);
bool auth_can_review(const struct registry *reg, const struct token *t, int32_t region);
/* Counts one submission; false when the token is over its per-minute rate. */
bool auth_rate_take(struct token *t, int64_t now_ms, int per_minute);

#endif
