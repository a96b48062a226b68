/* Configuration of `suara serve`: defaults, then environment (SUARA_DB,
 * SUARA_LISTEN, ...), then command-line flags, each overriding the last.
 * Every limit the server enforces lives here so operators can tune it. */
#ifndef SUARA_CORE_CONFIG_H
#define SUARA_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
    const char *db; /* libpq conninfo (required) */
    char host[64];  /* listen address */
    int port;
    const char *static_dir; /* web client folder served at / */
    const char *log_level;
    bool private_reads;       /* reads need a token too */
    int tick_ms;              /* WebSocket update tick */
    int batch_max;            /* forms per group commit */
    int batch_delay_ms;       /* longest a form waits for its batch to fill */
    int writer_depth;         /* batches in flight at once (db/writer.h: at most WRITER_DEPTH) */
    int queue_max;            /* forms waiting for the database before 503 */
    int ack_timeout_ms;       /* a submitter waits this long for COMMIT, then 503 */
    int max_body;             /* bytes; larger bodies get 413 */
    int max_ws_subscriptions; /* per WebSocket connection */
    int ws_queue_max;         /* ticks a viewer may fall behind before its backlog is dropped */
    int idle_timeout_s;       /* close HTTP/WebSocket peers silent this long */
    int rate_per_minute;      /* form submissions per token per minute, 0 = off */
    int max_photo;            /* bytes; larger photos get 413 */
    int photo_uploads_max;    /* photo uploads in flight before 503 */
    int photo_reads_max;      /* photo reads waiting for the store before 503 */
    int photo_check_nice;     /* how much lower the photo checker's priority is */
    int snapshot_s;           /* period of the timeline's tally snapshots */
    int fence_ms;             /* idle_session_timeout of the claim, heartbeat every third */
    int audit_window_s;       /* auth_failed/export events are aggregated per source and window */
    int audit_sources_max;    /* distinct sources counted per window before they share one row */
    const char *tls_cert;
    const char *tls_key;
    const char *publish_url;    /* nchan publisher location, NULL = off */
    int publish_connections;    /* keep-alive connections to it */
    int publish_refresh_s;      /* every channel is published at least this often */
    const char *live_url;       /* where web clients read the live feed (nchan), NULL = here */
    int claim_s;                /* a review claim lasts this long unless renewed */
    int max_claims;             /* review claims held at once */
    int claims_per_token;       /* review claims one token may hold */
    int forms_per_tps;          /* forms one token may store per TPS and contest */
    int max_reply;              /* bytes one buffered reply may hold */
    const char *metrics_listen; /* HOST:PORT serving /metrics alone, NULL = off */
    char metrics_host[64];
    int metrics_port;
    const char *live_listen; /* HOST:PORT of the live feed on a thread of its own, NULL = off */
    char live_host[64];
    int live_port;
    int live_nice;       /* how much lower that thread's priority is */
    const char *log_key; /* Ed25519 key file signing the public log's heads */
    int sth_ms;          /* at most one new signed tree head per period */
};

/* Fills cfg from env (a NULL-terminated "KEY=VALUE" array, usually environ)
 * and argv (argv[0] is the subcommand name). Returns 0 on success, 1 when
 * --help was asked (usage printed to out), 2 on a usage error (message in err). */
int config_parse(struct config *cfg, int argc, char **argv, char **env, char *err, size_t err_size);
/* Splits "HOST:PORT" (or "[v6]:PORT"); returns 0 or -1. */
int config_parse_listen(const char *text, char *host, size_t host_size, int *port);
/* Writes the usage text of `suara serve`, made from the option table, into
 * out (size bytes, NUL-terminated; CONFIG_USAGE_MAX is always enough).
 * Returns its length. */
size_t config_usage(char *out, size_t size);
#define CONFIG_USAGE_MAX 16384

#endif
