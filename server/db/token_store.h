/* Witness tokens that the server makes itself, for the cards an admin prints
 * from the browser (POST /api/v1/tokens/cards): one statement inserts the
 * tokens, one token_created audit event each and the NOTIFY suara_tokens that
 * makes the server (every server on the database) reload its tokens, on the
 * event-loop connection. The reply, which carries the secrets, goes out only
 * after COMMIT: no card is ever shown for a token that was not stored. */
#ifndef SUARA_DB_TOKEN_STORE_H
#define SUARA_DB_TOKEN_STORE_H

#include "core/waiter.h"
#include "domain/auth.h"
#include "pg.h"

/* Stores b's tokens, adds them to auth (the server's tokens; reg resolves
 * their scopes) and completes w: 201 with b->answer, or 503 when the
 * statement failed (then nothing was stored, or, if the connection broke
 * during COMMIT, tokens whose secrets nobody saw). Takes over b and w. */
void token_store_save(struct pg *pg, struct auth *auth, const struct registry *reg,
                      struct token_batch *b, struct waiter *w);

#endif
