/* See config.h. Flags and environment variables share one table, so every
 * option has both spellings and the usage text cannot drift from the parser. */
#include "config.h"
#include "http_client.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind { OPT_STR, OPT_INT, OPT_BOOL, OPT_LISTEN };

struct option_def {
    const char *flag;
    const char *env;
    enum opt_kind kind;
    size_t offset;
    int min, max;
};

#define OFF(f) offsetof(struct config, f)
static const struct option_def options[] = {
    {"--db", "SUARA_DB", OPT_STR, OFF(db), 0, 0},
    {"--listen", "SUARA_LISTEN", OPT_LISTEN, 0, 0, 0},
    {"--static", "SUARA_STATIC", OPT_STR, OFF(static_dir), 0, 0},
    {"--log-level", "SUARA_LOG_LEVEL", OPT_STR, OFF(log_level), 0, 0},
    {"--private-reads", "SUARA_PRIVATE_READS", OPT_BOOL, OFF(private_reads), 0, 0},
    {"--tick-ms", "SUARA_TICK_MS", OPT_INT, OFF(tick_ms), 10, 60000},
    {"--batch-max", "SUARA_BATCH_MAX", OPT_INT, OFF(batch_max), 1, 100000},
    {"--batch-delay-ms", "SUARA_BATCH_DELAY_MS", OPT_INT, OFF(batch_delay_ms), 0, 1000},
    {"--queue-max", "SUARA_QUEUE_MAX", OPT_INT, OFF(queue_max), 1, 10000000},
    {"--ack-timeout-ms", "SUARA_ACK_TIMEOUT_MS", OPT_INT, OFF(ack_timeout_ms), 100, 600000},
    {"--max-body", "SUARA_MAX_BODY", OPT_INT, OFF(max_body), 1024, 16777216},
    {"--max-subscriptions", "SUARA_MAX_SUBSCRIPTIONS", OPT_INT, OFF(max_ws_subscriptions), 1,
     10000},
    {"--ws-queue-max", "SUARA_WS_QUEUE_MAX", OPT_INT, OFF(ws_queue_max), 1, 10000},
    {"--idle-timeout", "SUARA_IDLE_TIMEOUT", OPT_INT, OFF(idle_timeout_s), 5, 86400},
    {"--rate-per-minute", "SUARA_RATE_PER_MINUTE", OPT_INT, OFF(rate_per_minute), 0, 1000000},
    {"--max-photo", "SUARA_MAX_PHOTO", OPT_INT, OFF(max_photo), 1024, 67108864},
    {"--photo-uploads-max", "SUARA_PHOTO_UPLOADS_MAX", OPT_INT, OFF(photo_uploads_max), 1, 10000},
    {"--photo-reads-max", "SUARA_PHOTO_READS_MAX", OPT_INT, OFF(photo_reads_max), 1, 10000},
    {"--snapshot-s", "SUARA_SNAPSHOT_S", OPT_INT, OFF(snapshot_s), 1, 3600},
    {"--fence-ms", "SUARA_FENCE_MS", OPT_INT, OFF(fence_ms), 0, 3600000},
    {"--audit-window-s", "SUARA_AUDIT_WINDOW_S", OPT_INT, OFF(audit_window_s), 1, 3600},
    {"--audit-sources-max", "SUARA_AUDIT_SOURCES_MAX", OPT_INT, OFF(audit_sources_max), 1, 100000},
    {"--tls-cert", "SUARA_TLS_CERT", OPT_STR, OFF(tls_cert), 0, 0},
    {"--tls-key", "SUARA_TLS_KEY", OPT_STR, OFF(tls_key), 0, 0},
    {"--publish-url", "SUARA_PUBLISH_URL", OPT_STR, OFF(publish_url), 0, 0},
    {"--publish-connections", "SUARA_PUBLISH_CONNECTIONS", OPT_INT, OFF(publish_connections), 1,
     64},
    {"--publish-refresh-s", "SUARA_PUBLISH_REFRESH_S", OPT_INT, OFF(publish_refresh_s), 1, 60},
    {"--claim-s", "SUARA_CLAIM_S", OPT_INT, OFF(claim_s), 1, 3600},
    {"--max-claims", "SUARA_MAX_CLAIMS", OPT_INT, OFF(max_claims), 1, 1000000},
    {"--claims-per-token", "SUARA_CLAIMS_PER_TOKEN", OPT_INT, OFF(claims_per_token), 1, 10000},
    {"--metrics-listen", "SUARA_METRICS_LISTEN", OPT_STR, OFF(metrics_listen), 0, 0},
    {"--forms-per-tps", "SUARA_FORMS_PER_TPS", OPT_INT, OFF(forms_per_tps), 1, 100000},
    {"--max-reply", "SUARA_MAX_REPLY", OPT_INT, OFF(max_reply), 65536, 1073741824},
    {"--log-key", "SUARA_LOG_KEY", OPT_STR, OFF(log_key), 0, 0},
    {"--sth-ms", "SUARA_STH_MS", OPT_INT, OFF(sth_ms), 10, 3600000},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

const char config_usage[] =
    "Usage: suara serve --db CONNINFO [options]\n"
    "\n"
    "Options (each also settable by the environment variable shown):\n"
    "  --db CONNINFO           SUARA_DB             PostgreSQL connection string (required)\n"
    "  --listen HOST:PORT      SUARA_LISTEN         address to serve on [127.0.0.1:8080]\n"
    "  --static DIR            SUARA_STATIC         web client folder served at / [client-web]\n"
    "  --log-level LEVEL       SUARA_LOG_LEVEL      debug, info, warn or error [info]\n"
    "  --private-reads         SUARA_PRIVATE_READS  reads need a token too (env: 1)\n"
    "  --tick-ms N             SUARA_TICK_MS        live update tick [250]\n"
    "  --batch-max N           SUARA_BATCH_MAX      forms per group commit [1000]\n"
    "  --batch-delay-ms N      SUARA_BATCH_DELAY_MS wait for a batch to fill [2]\n"
    "  --queue-max N           SUARA_QUEUE_MAX      forms waiting for the database before 503 "
    "[20000]\n"
    "  --ack-timeout-ms N      SUARA_ACK_TIMEOUT_MS wait for COMMIT before answering 503 [10000]\n"
    "  --max-body N            SUARA_MAX_BODY       largest request body in bytes [65536]\n"
    "  --max-subscriptions N   SUARA_MAX_SUBSCRIPTIONS per WebSocket connection [64]\n"
    "  --ws-queue-max N        SUARA_WS_QUEUE_MAX   ticks a viewer may fall behind before its\n"
    "                                               backlog is dropped and it gets a snapshot [8]\n"
    "  --idle-timeout S        SUARA_IDLE_TIMEOUT   close silent connections after S seconds [60]\n"
    "  --rate-per-minute N     SUARA_RATE_PER_MINUTE form submissions per token per minute [600]\n"
    "  --max-photo N           SUARA_MAX_PHOTO      largest photo in bytes [4194304]\n"
    "  --photo-uploads-max N   SUARA_PHOTO_UPLOADS_MAX photo uploads at once before 503 [16]\n"
    "  --photo-reads-max N     SUARA_PHOTO_READS_MAX photo reads at once before 503 [32]\n"
    "  --snapshot-s S          SUARA_SNAPSHOT_S     timeline snapshot period in seconds [60]\n"
    "  --fence-ms N            SUARA_FENCE_MS       a hung server loses the database after N ms\n"
    "                                               of silence (idle_session_timeout, heartbeat\n"
    "                                               every N/3); 0: never [10000]\n"
    "  --audit-window-s S      SUARA_AUDIT_WINDOW_S one audit row per source and S seconds of\n"
    "                                               refused tokens or exports [60]\n"
    "  --audit-sources-max N   SUARA_AUDIT_SOURCES_MAX sources counted apart per window; the\n"
    "                                               rest share one row [1000]\n"
    "  --tls-cert FILE         SUARA_TLS_CERT       serve HTTPS/WSS with this certificate\n"
    "  --tls-key FILE          SUARA_TLS_KEY        ... and this private key\n"
    "  --publish-url URL       SUARA_PUBLISH_URL    also POST every changed province,\n"
    "                                               kabupaten/kota and kecamatan node to\n"
    "                                               URL/{contest}/{region} (nginx nchan)\n"
    "  --publish-connections N SUARA_PUBLISH_CONNECTIONS keep-alive connections to it [2]\n"
    "  --publish-refresh-s S   SUARA_PUBLISH_REFRESH_S  publish every node at least this often\n"
    "                                               [60]\n"
    "  --claim-s S             SUARA_CLAIM_S        a reviewer's claim on a form expires after\n"
    "                                               S seconds unless renewed [120]\n"
    "  --max-claims N          SUARA_MAX_CLAIMS     claims held at once, all reviewers [10000]\n"
    "  --claims-per-token N    SUARA_CLAIMS_PER_TOKEN claims one reviewer may hold [5]\n"
    "  --metrics-listen HOST:PORT SUARA_METRICS_LISTEN serve /metrics there only (not on\n"
    "                                               --listen)\n"
    "  --forms-per-tps N       SUARA_FORMS_PER_TPS  forms one token may store per TPS and\n"
    "                                               contest (429 above) [50]\n"
    "  --max-reply N           SUARA_MAX_REPLY      largest buffered reply in bytes [33554432]\n"
    "  --log-key FILE          SUARA_LOG_KEY        Ed25519 key signing the public log's heads\n"
    "                                               (suara log keygen FILE makes one)\n"
    "  --sth-ms N              SUARA_STH_MS         at most one new signed head per N ms [1000]\n"
    "  --help                                       show this text\n";

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->host, "127.0.0.1");
    cfg->port = 8080;
    cfg->static_dir = SUARA_SOURCE_DIR "/client-web";
    cfg->log_level = "info";
    cfg->tick_ms = 250;
    cfg->batch_max = 1000;
    cfg->batch_delay_ms = 2;
    cfg->queue_max = 20000;
    cfg->ack_timeout_ms = 10000;
    cfg->max_body = 65536;
    cfg->max_ws_subscriptions = 64;
    cfg->ws_queue_max = 8;
    cfg->idle_timeout_s = 60;
    cfg->rate_per_minute = 600;
    cfg->publish_connections = 2;
    cfg->forms_per_tps = 50;
    cfg->max_reply = 32 * 1024 * 1024;
    cfg->publish_refresh_s = 60;
    cfg->claim_s = 120;
    cfg->max_claims = 10000;
    cfg->claims_per_token = 5;
    cfg->max_photo = 4 * 1024 * 1024;
    cfg->photo_uploads_max = 16;
    cfg->photo_reads_max = 32;
    cfg->snapshot_s = 60;
    cfg->fence_ms = 10000;
    cfg->audit_window_s = 60;
    cfg->audit_sources_max = 1000;
    cfg->sth_ms = 1000;
}

int config_parse_listen(const char *text, char *host, size_t host_size, int *port)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return -1;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= host_size)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

static int apply(struct config *cfg, const struct option_def *o, const char *value,
                 const char *name, char *err, size_t err_size)
{
    char *field = (char *)cfg + o->offset;
    switch (o->kind) {
    case OPT_STR:
        *(const char **)(void *)field = value;
        return 0;
    case OPT_BOOL:
        *(bool *)(void *)field = strcmp(value, "0") != 0 && strcmp(value, "false") != 0;
        return 0;
    case OPT_LISTEN:
        if (config_parse_listen(value, cfg->host, sizeof cfg->host, &cfg->port) == 0)
            return 0;
        snprintf(err, err_size, "%s: expected HOST:PORT, got '%s'", name, value);
        return 2;
    case OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || *end || end == value || v < o->min || v > o->max) {
            snprintf(err, err_size, "%s: expected a whole number from %d to %d, got '%s'", name,
                     o->min, o->max, value);
            return 2;
        }
        *(int *)(void *)field = (int)v;
        return 0;
    }
    }
    return 2;
}

static const char *env_lookup(char **env, const char *key)
{
    size_t klen = strlen(key);
    for (char **e = env; e && *e; e++) {
        if (strncmp(*e, key, klen) == 0 && (*e)[klen] == '=')
            return *e + klen + 1;
    }
    return NULL;
}

static const struct option_def *find_flag(const char *arg, const char **inline_value)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        size_t n = strlen(options[i].flag);
        if (strncmp(arg, options[i].flag, n) != 0)
            continue;
        if (arg[n] == '\0') {
            *inline_value = NULL;
            return &options[i];
        }
        if (arg[n] == '=') {
            *inline_value = arg + n + 1;
            return &options[i];
        }
    }
    return NULL;
}

int config_parse(struct config *cfg, int argc, char **argv, char **env, char *err, size_t err_size)
{
    set_defaults(cfg);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = env_lookup(env, options[i].env);
        if (v && *v && apply(cfg, &options[i], v, options[i].env, err, err_size))
            return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        const char *value;
        const struct option_def *o = find_flag(argv[i], &value);
        if (!o) {
            snprintf(err, err_size, "unknown option '%s'", argv[i]);
            return 2;
        }
        if (!value && o->kind == OPT_BOOL)
            value = "1";
        else if (!value && i + 1 < argc)
            value = argv[++i];
        if (!value) {
            snprintf(err, err_size, "%s needs a value", o->flag);
            return 2;
        }
        if (apply(cfg, o, value, o->flag, err, err_size))
            return 2;
    }
    if (!cfg->db || !*cfg->db) {
        snprintf(err, err_size, "no database: give --db CONNINFO or set SUARA_DB");
        return 2;
    }
    struct http_url url;
    if (cfg->publish_url && http_url_parse(cfg->publish_url, &url) != 0) {
        snprintf(err, err_size, "--publish-url takes http://HOST[:PORT][/PATH], not '%s'",
                 cfg->publish_url);
        return 2;
    }
    if (cfg->metrics_listen &&
        config_parse_listen(cfg->metrics_listen, cfg->metrics_host, sizeof cfg->metrics_host,
                            &cfg->metrics_port) != 0) {
        snprintf(err, err_size, "--metrics-listen: expected HOST:PORT, got '%s'",
                 cfg->metrics_listen);
        return 2;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, err_size, "--tls-cert and --tls-key go together");
        return 2;
    }
    return 0;
}
