/* Start-up loading: the registry, the tokens and every stored form, read with
 * COPY on the server's own connection, after which the tallies are rebuilt
 * from the forms. Also reloads the tokens when `suara token` signals a change. */
#ifndef SUARA_DB_LOAD_H
#define SUARA_DB_LOAD_H

#include "domain/auth.h"
#include "domain/election.h"
#include "domain/ledger.h"
#include "domain/registry.h"
#include "domain/tally.h"
#include "domain/timeline.h"
#include "pg.h"

#include <stdint.h>

struct load_target {
    struct election *election;
    struct registry *reg;
    struct tallies *tallies;
    struct ledger *ledger;
    struct auth *auth;
    struct timeline *timeline;
    int64_t claim_generation; /* this server's claim, set by a successful load */
    uint64_t claim_session;   /* the connection's session (pg_session) that took it */
    struct publog *log;       /* optional: rebuilt from the stored receipts */
    char error[256];          /* why the last load failed */
    struct loader *busy;      /* the load under way, or NULL */
};

/* Loads everything into target (whose structs must be zeroed); calls done
 * with ok=false on any failure (the target is then freed and zeroed again).
 * Its long steps run in loop's thread pool (see load.c). */
void load_all(uv_loop_t *loop, struct pg *pg, struct load_target *target,
              void (*done)(void *ctx, bool ok), void *ctx);
/* When the server begins to stop, and again before pg closes: a load under
 * way goes no further and never touches pg again; it fails (done with
 * ok=false) when its pool step or its COPY comes back. */
void load_stop(struct load_target *target);
/* Loads the tokens into a fresh auth and calls done(ctx, auth) - NULL on
 * failure; the receiver owns the auth. */
void load_tokens(struct pg *pg, const struct registry *reg,
                 void (*done)(void *ctx, struct auth *auth), void *ctx);

/* Loads KPU's figures (kpu_results) into a fresh set and calls done(ctx,
 * kpu) - NULL on failure; the receiver owns it (see kpu_install). */
struct kpu;
void load_kpu(struct pg *pg, const struct registry *reg, void (*done)(void *ctx, struct kpu *kpu),
              void *ctx);

enum db_claim {
    DB_CLAIM_OK,   /* this connection holds the database again */
    DB_CLAIM_BUSY, /* another session holds it (or the query failed): try again */
    DB_CLAIM_LOST, /* another server claimed the database since: never write again */
};

/* The election row and the final regions, read again when `suara election`
 * signals a change. done(ctx, st) gets NULL on failure; the receiver owns st
 * and st->finals. */
struct election_state {
    struct election election;
    struct final_region *finals;
    int n, cap;
};
void load_election(struct pg *pg, const struct registry *reg,
                   void (*done)(void *ctx, struct election_state *st), void *ctx);

/* Claims the database for this server again after a reconnect (the first
 * load claims it too), ahead of every queued job, if no other server has
 * claimed it since the claim of `generation`. */
void load_claim(struct pg *pg, int64_t generation, void (*done)(void *ctx, enum db_claim),
                void *ctx);

#endif
