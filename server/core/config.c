/* See config.h. Flags and environment variables share one table, so every
 * option has both spellings and the usage text cannot drift from the parser. */
#include "config.h"
#include "http_client.h"
#include "mem.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind { OPT_STR, OPT_INT, OPT_BOOL, OPT_LISTEN };

/* One option: its spellings, where it goes, its bounds and default, and the
 * words of its --help. The default of a string is shown as `shown` when the
 * real one would print a path of the build machine. */
struct option_def {
    const char *flag, *env, *metavar;
    enum opt_kind kind;
    size_t offset;
    int min, max, def;
    const char *def_str, *shown, *help;
};

#define OFF(f) offsetof(struct config, f)
#define INT(flag, env, meta, field, min, max, def, help)                                           \
    {                                                                                              \
        flag, env, meta, OPT_INT, OFF(field), min, max, def, NULL, NULL, help                      \
    }
#define STR(flag, env, meta, field, def, help)                                                     \
    {                                                                                              \
        flag, env, meta, OPT_STR, OFF(field), 0, 0, 0, def, NULL, help                             \
    }

/* Every option of `suara serve`, one row each, in the order --help lists
 * them. The defaults, the bounds, the parser and the usage text all come from
 * here; docs/operations.md's table is checked against it (test_cli.py). */
static const struct option_def options[] = {
    STR("--db", "SUARA_DB", "CONNINFO", db, NULL, "PostgreSQL connection string (required)"),
    {"--listen", "SUARA_LISTEN", "HOST:PORT", OPT_LISTEN, 0, 0, 0, 0, "127.0.0.1:8080", NULL,
     "address to serve on (an IPv6 address in brackets)"},
    {"--static", "SUARA_STATIC", "DIR", OPT_STR, OFF(static_dir), 0, 0, 0,
     SUARA_SOURCE_DIR "/client-web", "the source tree's client-web/",
     "the web client's folder, served at /"},
    STR("--log-level", "SUARA_LOG_LEVEL", "LEVEL", log_level, "info", "debug, info, warn or error"),
    {"--private-reads", "SUARA_PRIVATE_READS", NULL, OPT_BOOL, OFF(private_reads), 0, 1, 0, NULL,
     NULL, "every read needs a token too (environment: 1)"},
    INT("--tick-ms", "SUARA_TICK_MS", "N", tick_ms, 10, 60000, 250, "live update tick"),
    INT("--batch-max", "SUARA_BATCH_MAX", "N", batch_max, 1, 100000, 1000,
        "most forms in one group commit"),
    INT("--batch-delay-ms", "SUARA_BATCH_DELAY_MS", "N", batch_delay_ms, 0, 1000, 2,
        "longest a form waits for its batch to fill"),
    INT("--writer-depth", "SUARA_WRITER_DEPTH", "N", writer_depth, 1, 2, 2,
        "batches in flight at once: 2 pipelines the group commit"),
    INT("--queue-max", "SUARA_QUEUE_MAX", "N", queue_max, 1, 10000000, 20000,
        "forms waiting for the database before new ones get 503"),
    INT("--ack-timeout-ms", "SUARA_ACK_TIMEOUT_MS", "N", ack_timeout_ms, 100, 600000, 10000,
        "a submitter waits this long for COMMIT, then gets 503 ack_timeout"),
    INT("--max-body", "SUARA_MAX_BODY", "N", max_body, 1024, 16777216, 65536,
        "largest request body in bytes (413 above)"),
    INT("--max-subscriptions", "SUARA_MAX_SUBSCRIPTIONS", "N", max_ws_subscriptions, 1, 10000, 64,
        "live subscriptions per WebSocket connection"),
    INT("--ws-queue-max", "SUARA_WS_QUEUE_MAX", "N", ws_queue_max, 1, 10000, 8,
        "ticks a viewer may fall behind before its backlog is dropped and it gets snapshots"),
    INT("--idle-timeout", "SUARA_IDLE_TIMEOUT", "S", idle_timeout_s, 5, 86400, 60,
        "seconds a connection may stay silent: request headers and bodies must arrive within "
        "it, WebSockets are pinged after half of it"),
    INT("--rate-per-minute", "SUARA_RATE_PER_MINUTE", "N", rate_per_minute, 0, 1000000, 600,
        "new forms per token per minute (429 above; 0 = no limit)"),
    INT("--max-photo", "SUARA_MAX_PHOTO", "N", max_photo, 1024, 67108864, 4194304,
        "largest photo in bytes (413 above, before the body is read)"),
    INT("--photo-uploads-max", "SUARA_PHOTO_UPLOADS_MAX", "N", photo_uploads_max, 1, 10000, 16,
        "photo uploads at once before 503"),
    INT("--photo-reads-max", "SUARA_PHOTO_READS_MAX", "N", photo_reads_max, 1, 10000, 32,
        "photo reads waiting for the database at once before 503"),
    INT("--photo-check-nice", "SUARA_PHOTO_CHECK_NICE", "N", photo_check_nice, 0, 19, 10,
        "the thread checking uploaded photos runs this much below the loop's priority"),
    INT("--snapshot-s", "SUARA_SNAPSHOT_S", "S", snapshot_s, 1, 3600, 60,
        "seconds between the timeline's tally snapshots"),
    INT("--fence-ms", "SUARA_FENCE_MS", "N", fence_ms, 0, 3600000, 10000,
        "a hung server loses the database after N ms of silence (idle_session_timeout, a "
        "heartbeat every N/3); 0: never"),
    INT("--audit-window-s", "SUARA_AUDIT_WINDOW_S", "S", audit_window_s, 1, 3600, 60,
        "one audit row per source and S seconds of refused tokens or exports"),
    INT("--audit-sources-max", "SUARA_AUDIT_SOURCES_MAX", "N", audit_sources_max, 1, 100000, 1000,
        "sources counted apart per audit window; the rest share one row"),
    STR("--tls-cert", "SUARA_TLS_CERT", "FILE", tls_cert, NULL,
        "serve HTTPS and WSS with this PEM certificate (with --tls-key)"),
    STR("--tls-key", "SUARA_TLS_KEY", "FILE", tls_key, NULL,
        "... and this private key (with --tls-cert)"),
    STR("--publish-url", "SUARA_PUBLISH_URL", "URL", publish_url, NULL,
        "also POST every changed province, kabupaten/kota and kecamatan node to "
        "URL/{contest}/{region} (nginx nchan)"),
    INT("--publish-connections", "SUARA_PUBLISH_CONNECTIONS", "N", publish_connections, 1, 64, 2,
        "keep-alive connections to the publisher"),
    INT("--publish-refresh-s", "SUARA_PUBLISH_REFRESH_S", "S", publish_refresh_s, 1, 60, 60,
        "every published node is sent again at least this often"),
    STR("--live-url", "SUARA_LIVE_URL", "URL", live_url, NULL,
        "web clients read the live feed at URL/{contest}/{region} (nchan edges: ws[s]://, "
        "http[s]:// or /PATH), not here"),
    INT("--claim-s", "SUARA_CLAIM_S", "S", claim_s, 1, 3600, 120,
        "a reviewer's claim on a form expires after S seconds unless renewed"),
    INT("--max-claims", "SUARA_MAX_CLAIMS", "N", max_claims, 1, 1000000, 10000,
        "review claims held at once by all reviewers (503 above)"),
    INT("--claims-per-token", "SUARA_CLAIMS_PER_TOKEN", "N", claims_per_token, 1, 10000, 5,
        "review claims one token may hold (429 above)"),
    STR("--metrics-listen", "SUARA_METRICS_LISTEN", "HOST:PORT", metrics_listen, NULL,
        "serve /metrics there only (plain HTTP), not on --listen"),
    INT("--forms-per-tps", "SUARA_FORMS_PER_TPS", "N", forms_per_tps, 1, 100000, 50,
        "forms one token may store per TPS and contest (429 above)"),
    INT("--max-reply", "SUARA_MAX_REPLY", "N", max_reply, 65536, 1073741824, 33554432,
        "largest reply held in memory until sent, in bytes (500 above)"),
    STR("--live-listen", "SUARA_LIVE_LISTEN", "HOST:PORT", live_listen, NULL,
        "also serve the live feed (/api/v1/live) there, from a thread of its own"),
    INT("--live-nice", "SUARA_LIVE_NICE", "N", live_nice, 0, 19, 10,
        "that thread runs this much below the counting loop's priority"),
    STR("--log-key", "SUARA_LOG_KEY", "FILE", log_key, NULL,
        "Ed25519 key signing the public log's heads (suara log keygen FILE makes one)"),
    INT("--sth-ms", "SUARA_STH_MS", "N", sth_ms, 10, 3600000, 1000,
        "at most one new signed tree head per N ms"),
};
#define N_OPTIONS (sizeof options / sizeof options[0])

/* Appends text to out at *pos (a no-op once out is full: the caller sized it). */
static void put(char *out, size_t size, size_t *pos, const char *text, size_t len)
{
    size_t room = *pos < size ? size - *pos - 1 : 0;
    size_t n = len < room ? len : room;
    memcpy(out + *pos, text, n);
    *pos += n;
    out[*pos] = '\0';
}

/* The words of text, indented by six and wrapped before column 79. */
static void put_wrapped(char *out, size_t size, size_t *pos, const char *text)
{
    const size_t indent = 6, width = 79;
    size_t col = 0; /* 0: no line started yet */
    for (const char *w = text; *w;) {
        size_t n = strcspn(w, " ");
        if (col == 0 || col + 1 + n > width) {
            if (col)
                put(out, size, pos, "\n", 1);
            put(out, size, pos, "          ", indent);
            col = indent;
        } else {
            put(out, size, pos, " ", 1);
            col++;
        }
        put(out, size, pos, w, n);
        col += n;
        w += n;
        w += strspn(w, " ");
    }
    put(out, size, pos, "\n", 1);
}

/* The help of one option: its bounds and default follow the words. */
static void put_option(char *out, size_t size, size_t *pos, const struct option_def *o)
{
    char line[160], tail[128] = "";
    snprintf(line, sizeof line, "  %s%s%s  (%s)\n", o->flag, o->metavar ? " " : "",
             o->metavar ? o->metavar : "", o->env);
    put(out, size, pos, line, strlen(line));
    if (o->kind == OPT_INT)
        snprintf(tail, sizeof tail, " (%d to %d) [%d]", o->min, o->max, o->def);
    else if (o->shown || o->def_str)
        snprintf(tail, sizeof tail, " [%s]", o->shown ? o->shown : o->def_str);
    char help[512];
    snprintf(help, sizeof help, "%s%s", o->help, tail);
    put_wrapped(out, size, pos, help);
}

size_t config_usage(char *out, size_t size)
{
    static const char head[] =
        "Usage: suara serve --db CONNINFO [options]\n"
        "\n"
        "Options (each also set by the environment variable in brackets; a flag wins),\n"
        "with their bounds and [default]:\n";
    size_t pos = 0;
    out[0] = '\0';
    put(out, size, &pos, head, sizeof head - 1);
    for (size_t i = 0; i < N_OPTIONS; i++)
        put_option(out, size, &pos, &options[i]);
    put(out, size, &pos, "  --help\n      show this text\n", 30);
    return pos;
}

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &options[i];
        char *field = (char *)cfg + o->offset;
        if (o->kind == OPT_INT)
            *(int *)(void *)field = o->def;
        else if (o->kind == OPT_BOOL)
            *(bool *)(void *)field = o->def != 0;
        else if (o->kind == OPT_STR)
            *(const char **)(void *)field = o->def_str;
        else
            SU_ASSERT(config_parse_listen(o->def_str, cfg->host, sizeof cfg->host, &cfg->port) ==
                      0);
    }
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

/* --live-url goes into JSON and into a browser's WebSocket URL as it is: a
 * scheme the client can open (or a path on the page's origin), and nothing
 * that would need escaping. */
static bool live_url_ok(const char *url)
{
    static const char *const schemes[] = {"ws://", "wss://", "http://", "https://", "/"};
    size_t len = strlen(url);
    bool scheme = false;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        scheme = scheme || strncmp(url, schemes[i], strlen(schemes[i])) == 0;
    if (!scheme || len < 2 || len > 512 || url[len - 1] == '/')
        return false;
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("\"'<>\\`", *p))
            return false;
    }
    return true;
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
    if (cfg->live_url && !live_url_ok(cfg->live_url)) {
        snprintf(err, err_size,
                 "--live-url takes ws://, wss://, http://, https:// or /PATH, without a trailing "
                 "slash, quotes or spaces; not '%s'",
                 cfg->live_url);
        return 2;
    }
    if (cfg->live_url && cfg->private_reads) {
        /* The edges serve anyone: pointing clients there would publish what
         * --private-reads keeps behind a token. */
        snprintf(err, err_size, "--live-url and --private-reads do not go together");
        return 2;
    }
    if (cfg->metrics_listen &&
        config_parse_listen(cfg->metrics_listen, cfg->metrics_host, sizeof cfg->metrics_host,
                            &cfg->metrics_port) != 0) {
        snprintf(err, err_size, "--metrics-listen: expected HOST:PORT, got '%s'",
                 cfg->metrics_listen);
        return 2;
    }
    if (cfg->live_listen && config_parse_listen(cfg->live_listen, cfg->live_host,
                                                sizeof cfg->live_host, &cfg->live_port) != 0) {
        snprintf(err, err_size, "--live-listen: expected HOST:PORT, got '%s'", cfg->live_listen);
        return 2;
    }
    if (cfg->live_listen && (cfg->private_reads || cfg->tls_cert)) {
        /* Not built: the token check of --private-reads reads the tokens the
         * counting loop reloads, and the thread's context has no TLS. */
        snprintf(err, err_size, "--live-listen goes with neither --private-reads nor --tls-cert");
        return 2;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, err_size, "--tls-cert and --tls-key go together");
        return 2;
    }
    return 0;
}
