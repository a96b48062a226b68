/* The command line of `suara-load run`, parsed into one struct that every
 * part of the generator reads. */
#ifndef SUARA_LOAD_OPTIONS_H
#define SUARA_LOAD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct lt_options {
    const char *db;   /* conninfo of the server's database */
    const char *host; /* 127.0.0.1 */
    int port;
    int server_pid;    /* for CPU and RSS, 0: not measured */
    const char *out;   /* JSON results file */
    const char *label; /* free text stored in the results */
    /* traffic */
    int connections;            /* HTTP keep-alive connections */
    int64_t forms;              /* first forms to send, 0: one per slot */
    double rate;                /* first forms per second, 0: as fast as possible */
    double duration;            /* seconds the first forms spread over (curve or rate) */
    double warmup;              /* seconds from the start whose forms' latencies are left out */
    const char *curve;          /* NULL (flat) or "night" */
    double ramp, peak;          /* night curve: shares of the duration (rest: tail) */
    const char *region;         /* only TPS inside this region, NULL: all */
    const char *contest_prefix; /* only contests whose id starts so, NULL: all */
    const char *witness_level;  /* tps, desa, kecamatan, kabupaten, province */
    double held, fix, corrections, confirmations, disputes, duplicates, lost;
    int follow_ms;    /* delay before a story's next form */
    int timeout_ms;   /* per request */
    int retry_cap_ms; /* longest wait honoured from Retry-After */
    int max_attempts;
    uint64_t seed;
    /* viewers */
    int viewers;
    int live_port; /* viewers read the feed on this port (suara serve --live-listen); 0: --port */
    double viewers_province, viewers_kabupaten; /* shares; the rest on desa nodes */
    const char *nchan;  /* "HOST:PORT,...": viewers of nginx nchan edges instead of the server */
    bool nchan_compare; /* with nchan: every other viewer watches the same node at the server */
    int settle_ms;      /* how long viewers may take to show the final tallies */
    int viewer_procs;   /* 0: the viewers share the witnesses' process; N: in N children */
    int viewer_nice;    /* the children's nice increment (0: none) */
    int viewer_first;   /* a child's first viewer among all (each viewer's node follows it) */
    /* verification */
    bool verify;
    bool verify_sql;
    int verify_connections;
    bool quiet;
    bool reference; /* the target is not Suara: any 2xx is an acknowledgement */
};

#endif
