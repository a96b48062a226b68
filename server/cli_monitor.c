/* `suara log monitor URL --state FILE`: one check of a server's public log,
 * meant to run every minute from cron or a systemd timer at a party desk,
 * Bawaslu or a newsroom. It fetches the signed tree head, checks its Ed25519
 * signature against the pinned key, checks that it extends the last head it
 * saw (a consistency proof), optionally checks that given receipts are in the
 * tree (inclusion proofs) and that what the server says of given forms'
 * statuses is in the tree (each status change's text hashed here and its
 * inclusion proven), and only then stores the new head as its state.
 * Any fork, bad signature, shrinking tree or unreachable server exits 1 with
 * one line saying why, and the state is left as it was. The proofs are
 * checked with the RFC 9162 verifiers (domain/merkle.c), never trusted. */
#include "cli.h"
#include "cli_http.h"
#include "core/sha256.h"
#include "domain/form.h"
#include "domain/merkle.h"
#include "domain/publog.h"
#include "domain/receipt.h"
#include "domain/sign.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara log monitor"
#define MAX_FORMS 64
#define STATE_MAGIC "suara-monitor-v1"

static const char usage[] =
    "Usage: suara log monitor URL --state FILE [--key HEX] [--form ID:RECEIPT]...\n"
    "                         [--status ID]... [--ca FILE] [--timeout-s N]\n"
    "\n"
    "Checks the public log of the server at URL (http://HOST:PORT or\n"
    "https://HOST[:PORT]; https checks the server's certificate against the\n"
    "system's CAs, or those in --ca FILE, and its name against HOST):\n"
    "  - the signed tree head's Ed25519 signature, against the pinned key;\n"
    "  - that the head extends the last one stored in FILE (consistency proof):\n"
    "    a smaller tree or another root for the same history is a fork;\n"
    "  - with --form, that each form's receipt is in the tree (inclusion proof);\n"
    "  - with --status, that each status change the server reports for the form\n"
    "    (superseded, counted, rejected) hashes to its receipt and is in the tree.\n"
    "A server that refuses to serve its history (it does not verify) fails with\n"
    "the reason its /readyz gives.\n"
    "On success it stores the new head in FILE and prints one line starting 'ok:'.\n"
    "The first run pins the key given with --key HEX (from `suara log key`); later\n"
    "runs use the key stored in FILE, and a different --key is refused.\n"
    "\n"
    "Exit status: 0 the log checks out, 1 it does not or the server cannot be\n"
    "reached (one line on stderr says why), 2 usage error.\n";

struct head {
    int64_t tree_size;
    merkle_hash root;
    char timestamp[PUBLOG_TIMESTAMP_MAX];
    unsigned char signature[SIGN_SIGNATURE];
    unsigned char key[SIGN_PUBLIC_KEY];
};

struct receipt_check {
    long long id;
    unsigned char receipt[32];
};

/* A form whose status changes are checked (--status), and what was found. */
struct status_check {
    long long id;
    int n_changes;
    char last[16]; /* the newest status logged, when n_changes > 0 */
};

struct monitor {
    const char *url_text, *state_path, *key_hex;
    struct cli_url url;
    int timeout_s;
    struct receipt_check forms[MAX_FORMS];
    int n_forms;
    struct status_check statuses[MAX_FORMS];
    int n_statuses;
    bool have_state;
    struct head seen; /* from the state file */
};

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(WHO ": FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* ---- the state file ---------------------------------------------------- */

static const char *state_value(char *text, const char *key)
{
    size_t n = strlen(key);
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : 0) {
        if (strncmp(line, key, n) == 0 && line[n] == '=') {
            char *v = line + n + 1, *end = strchr(v, '\n');
            if (end)
                *end = '\0';
            return v;
        }
    }
    return NULL;
}

/* 0 loaded, 1 no state yet, -1 unreadable (reported). */
static int load_state(struct monitor *m)
{
    FILE *f = fopen(m->state_path, "r");
    if (!f)
        return errno == ENOENT ? 1 : fail("cannot read %s: %s", m->state_path, strerror(errno));
    char text[2048];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (strncmp(text, STATE_MAGIC "\n", sizeof STATE_MAGIC) != 0)
        return fail("%s is not a monitor state file", m->state_path) ? -1 : -1;
    /* state_value cuts lines: read each key from a fresh copy */
    const char *keys[] = {"public_key", "tree_size", "root_hash", "timestamp", "signature"};
    char copy[5][2048];
    const char *v[5];
    for (int i = 0; i < 5; i++) {
        memcpy(copy[i], text, n + 1);
        v[i] = state_value(copy[i], keys[i]);
    }
    struct head *h = &m->seen;
    if (!v[0] || sign_parse_hex(v[0], h->key, SIGN_PUBLIC_KEY) != 0 || !v[1] ||
        strspn(v[1], "0123456789") != strlen(v[1]) || !*v[1] || !v[2] ||
        sign_parse_hex(v[2], h->root, MERKLE_HASH) != 0 || !v[3] ||
        strlen(v[3]) >= sizeof h->timestamp || !v[4] ||
        sign_parse_hex(v[4], h->signature, SIGN_SIGNATURE) != 0) {
        fail("%s is damaged; restore it or start again with --key", m->state_path);
        return -1;
    }
    h->tree_size = strtoll(v[1], NULL, 10);
    strcpy(h->timestamp, v[3]);
    return 0;
}

static int save_state(const struct monitor *m, const struct head *h)
{
    char tmp[1100], key[65], root[65], sig[129];
    snprintf(tmp, sizeof tmp, "%s.tmp", m->state_path);
    hex_encode(h->key, SIGN_PUBLIC_KEY, key);
    hex_encode(h->root, MERKLE_HASH, root);
    hex_encode(h->signature, SIGN_SIGNATURE, sig);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return fail("cannot write %s: %s", tmp, strerror(errno));
    fprintf(f,
            STATE_MAGIC "\nurl=%s\npublic_key=%s\ntree_size=%" PRId64 "\nroot_hash=%s\n"
                        "timestamp=%s\nsignature=%s\n",
            m->url_text, key, h->tree_size, root, h->timestamp, sig);
    if (fflush(f) != 0 || ferror(f)) {
        fclose(f);
        return fail("cannot write %s", tmp);
    }
    fclose(f);
    if (rename(tmp, m->state_path) != 0)
        return fail("cannot replace %s: %s", m->state_path, strerror(errno));
    return 0;
}

/* ---- talking to the server --------------------------------------------- */

/* Why the server is not ready, from its /readyz, into out ("" if it does
 * not say): a server that refuses its stored history names where it breaks. */
static void not_ready_reason(const struct monitor *m, char *out, size_t size)
{
    struct cli_http_reply r;
    char err[300];
    out[0] = '\0';
    if (cli_http_get(&m->url, "/readyz", m->timeout_s, &r, err, sizeof err) != 0)
        return;
    cJSON *json = cJSON_ParseWithLength(r.body, r.len);
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(json, "reason");
    if (cJSON_IsString(reason))
        snprintf(out, size, "%s", reason->valuestring);
    cJSON_Delete(json);
    cli_http_reply_free(&r);
}

/* GETs path and parses its JSON body; NULL after reporting why. */
static cJSON *get_json(const struct monitor *m, const char *path, const char *what)
{
    struct cli_http_reply r;
    char err[300];
    if (cli_http_get(&m->url, path, m->timeout_s, &r, err, sizeof err) != 0) {
        fail("the server at %s cannot be reached: %s", m->url_text, err);
        return NULL;
    }
    cJSON *json = cJSON_ParseWithLength(r.body, r.len);
    if (r.status != 200) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(json, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        char why[600] = "";
        if (r.status == 503 && cJSON_IsString(code) && strcmp(code->valuestring, "not_ready") == 0)
            not_ready_reason(m, why + 2, sizeof why - 2);
        if (why[2])
            memcpy(why, ": ", 2);
        fail("%s: the server answered %d%s%s%s", what, r.status, cJSON_IsString(code) ? " " : "",
             cJSON_IsString(code) ? code->valuestring : "", why);
        cJSON_Delete(json);
        json = NULL;
    } else if (!cJSON_IsObject(json)) {
        fail("%s: the answer is not a JSON object", what);
        cJSON_Delete(json);
        json = NULL;
    }
    cli_http_reply_free(&r);
    return json;
}

static bool json_hex(const cJSON *o, const char *key, unsigned char *out, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && sign_parse_hex(v->valuestring, out, n) == 0;
}

static bool json_count(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740991.0 ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

/* A list of hex hashes; its length, or -1. */
static int json_hashes(const cJSON *o, const char *key, merkle_hash *out)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) >= MERKLE_PROOF_MAX)
        return -1;
    int n = 0;
    for (const cJSON *it = list->child; it; it = it->next, n++) {
        if (!cJSON_IsString(it) || sign_parse_hex(it->valuestring, out[n], MERKLE_HASH) != 0)
            return -1;
    }
    return n;
}

static int fetch_head(const struct monitor *m, const unsigned char pinned[SIGN_PUBLIC_KEY],
                      struct head *h)
{
    cJSON *o = get_json(m, "/api/v1/log/sth", "the signed tree head");
    if (!o)
        return 1;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "timestamp");
    int rc = 0;
    if (!json_count(o, "tree_size", &h->tree_size) || !json_hex(o, "root_hash", h->root, 32) ||
        !cJSON_IsString(ts) || strlen(ts->valuestring) >= sizeof h->timestamp) {
        rc = fail("the signed tree head is malformed");
    } else if (!json_hex(o, "signature", h->signature, SIGN_SIGNATURE) ||
               !json_hex(o, "public_key", h->key, SIGN_PUBLIC_KEY)) {
        rc = fail("the tree head is not signed (does the server run with --log-key?)");
    } else {
        strcpy(h->timestamp, ts->valuestring);
        char msg[PUBLOG_MESSAGE_MAX], want[65], got[65];
        size_t len = publog_sth_message(h->tree_size, h->root, h->timestamp, msg);
        hex_encode(pinned, SIGN_PUBLIC_KEY, want);
        hex_encode(h->key, SIGN_PUBLIC_KEY, got);
        if (memcmp(h->key, pinned, SIGN_PUBLIC_KEY) != 0)
            rc = fail("the head is signed with key %s, not the pinned key %s", got, want);
        else if (!len || !sign_verify(pinned, msg, len, h->signature))
            rc = fail("bad signature on the head of tree size %" PRId64, h->tree_size);
    }
    cJSON_Delete(o);
    return rc;
}

static int check_consistency(const struct monitor *m, const struct head *old,
                             const struct head *now)
{
    char old_root[65];
    hex_encode(old->root, MERKLE_HASH, old_root);
    if (now->tree_size < old->tree_size)
        return fail("the tree shrank from %" PRId64 " to %" PRId64
                    " leaves: entries seen at %s were removed",
                    old->tree_size, now->tree_size, old->timestamp);
    if (now->tree_size == old->tree_size) {
        if (memcmp(now->root, old->root, MERKLE_HASH) != 0)
            return fail("fork: tree size %" PRId64 " had root %s at %s and has another now",
                        now->tree_size, old_root, old->timestamp);
        return 0;
    }
    char path[128];
    snprintf(path, sizeof path, "/api/v1/log/proof/consistency?first=%" PRId64 "&second=%" PRId64,
             old->tree_size, now->tree_size);
    cJSON *o = get_json(m, path, "the consistency proof");
    if (!o)
        return 1;
    merkle_hash proof[MERKLE_PROOF_MAX];
    int n = json_hashes(o, "proof", proof);
    cJSON_Delete(o);
    if (n < 0)
        return fail("the consistency proof is malformed");
    if (!merkle_verify_consistency(old->tree_size, now->tree_size, old->root, now->root, proof, n))
        return fail("fork: the head of size %" PRId64 " does not extend the head of size %" PRId64
                    " (root %s) seen at %s: the history was rewritten",
                    now->tree_size, old->tree_size, old_root, old->timestamp);
    return 0;
}

static int check_form(const struct monitor *m, const struct receipt_check *fc, const struct head *h)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/log/proof/inclusion?form_id=%lld&tree_size=%" PRId64,
             fc->id, h->tree_size);
    char what[64];
    snprintf(what, sizeof what, "form %lld", fc->id);
    cJSON *o = get_json(m, path, what);
    if (!o)
        return 1;
    merkle_hash proof[MERKLE_PROOF_MAX], leaf;
    int64_t index;
    int n = json_hashes(o, "audit_path", proof);
    bool parsed = json_count(o, "leaf_index", &index);
    cJSON_Delete(o);
    if (n < 0 || !parsed)
        return fail("form %lld: the inclusion proof is malformed", fc->id);
    merkle_leaf_hash(fc->receipt, leaf);
    if (!merkle_verify_inclusion(leaf, index, h->tree_size, proof, n, h->root))
        return fail("form %lld: its receipt is not in the signed tree of size %" PRId64
                    " (the stored form was changed, or the proof is false)",
                    fc->id, h->tree_size);
    return 0;
}

/* One status change of form id as the server reports it, checked against
 * the head: its text (prev, seq, form, status) hashed here must be its
 * receipt, and the receipt a leaf of the signed tree at leaf_index; the
 * change before it, when it is the leaf before, must be its prev. */
static int check_change(long long id, const cJSON *c, const struct head *h, int64_t *last_index,
                        unsigned char last_receipt[32], struct status_check *sc)
{
    merkle_hash path[MERKLE_PROOF_MAX], leaf;
    unsigned char prev[32], receipt[32], computed[32];
    int64_t index, seq;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(c, "status");
    int n = json_hashes(c, "audit_path", path);
    int st = cJSON_IsString(status) ? form_status_parse(status->valuestring) : -1;
    if (n < 0 || st < 0 || !json_count(c, "leaf_index", &index) || !json_count(c, "seq", &seq) ||
        !json_hex(c, "prev", prev, 32) || !json_hex(c, "receipt", receipt, 32) || index < 1)
        return fail("form %lld: the status proof is malformed", id);
    receipt_status(prev, seq, id, st, computed);
    if (memcmp(computed, receipt, 32) != 0)
        return fail("form %lld: the status change to %s at leaf %" PRId64
                    " does not hash to its receipt (the answer is false)",
                    id, status->valuestring, index);
    merkle_leaf_hash(receipt, leaf);
    if (!merkle_verify_inclusion(leaf, index, h->tree_size, path, n, h->root))
        return fail("form %lld: its status change to %s at leaf %" PRId64
                    " is not in the signed tree of size %" PRId64
                    " (the answer is false, or the history was rewritten)",
                    id, status->valuestring, index, h->tree_size);
    if (index <= *last_index || (index == *last_index + 1 && memcmp(prev, last_receipt, 32) != 0))
        return fail("form %lld: its status changes at leaves %" PRId64 " and %" PRId64
                    " are out of order or not chained",
                    id, *last_index, index);
    *last_index = index;
    memcpy(last_receipt, receipt, 32);
    sc->n_changes++;
    snprintf(sc->last, sizeof sc->last, "%s", status->valuestring);
    return 0;
}

/* --status ID: every status change of the form that the signed tree holds,
 * as the server reports them (GET /api/v1/log/proof/status), each checked. */
static int check_status(const struct monitor *m, struct status_check *sc, const struct head *h)
{
    char path[128], what[64];
    snprintf(path, sizeof path, "/api/v1/log/proof/status?form_id=%lld&tree_size=%" PRId64, sc->id,
             h->tree_size);
    snprintf(what, sizeof what, "the status of form %lld", sc->id);
    cJSON *o = get_json(m, path, what);
    if (!o)
        return 1;
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(o, "changes");
    int rc = cJSON_IsArray(changes) ? 0 : fail("form %lld: the status proof is malformed", sc->id);
    int64_t last_index = 0;
    unsigned char last_receipt[32] = {0};
    for (const cJSON *c = cJSON_IsArray(changes) ? changes->child : NULL; c && rc == 0; c = c->next)
        rc = check_change(sc->id, c, h, &last_index, last_receipt, sc);
    cJSON_Delete(o);
    return rc;
}

/* "; statuses: 12 superseded, 15 unchanged" for the ok line. */
static void print_statuses(const struct monitor *m)
{
    for (int i = 0; i < m->n_statuses; i++) {
        const struct status_check *sc = &m->statuses[i];
        printf("%s%lld %s", i ? ", " : "; statuses: ", sc->id,
               sc->n_changes ? sc->last : "unchanged");
    }
}

/* ---- arguments ----------------------------------------------------------- */

static int parse_form(struct monitor *m, const char *arg)
{
    char *end;
    long long id = strtoll(arg, &end, 10);
    if (m->n_forms >= MAX_FORMS || id <= 0 || *end != ':' ||
        sign_parse_hex(end + 1, m->forms[m->n_forms].receipt, 32) != 0)
        return -1;
    m->forms[m->n_forms++].id = id;
    return 0;
}

static int parse_args(struct monitor *m, int argc, char **argv)
{
    m->timeout_s = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--state") == 0 && next) {
            m->state_path = argv[++i];
        } else if (strcmp(a, "--key") == 0 && next) {
            m->key_hex = argv[++i];
        } else if (strcmp(a, "--ca") == 0 && next) {
            m->url.ca_file = argv[++i];
        } else if (strcmp(a, "--form") == 0 && next) {
            if (parse_form(m, argv[++i]) != 0) {
                fprintf(stderr, WHO ": --form wants ID:RECEIPT (64 hex), at most %d\n", MAX_FORMS);
                return 2;
            }
        } else if (strcmp(a, "--status") == 0 && next) {
            char *end;
            long long id = strtoll(argv[++i], &end, 10);
            if (m->n_statuses >= MAX_FORMS || id <= 0 || *end) {
                fprintf(stderr, WHO ": --status wants a form's id, at most %d\n", MAX_FORMS);
                return 2;
            }
            m->statuses[m->n_statuses++].id = id;
        } else if (strcmp(a, "--timeout-s") == 0 && next) {
            m->timeout_s = atoi(argv[++i]);
            if (m->timeout_s < 1 || m->timeout_s > 600) {
                fprintf(stderr, WHO ": --timeout-s wants 1 to 600\n");
                return 2;
            }
        } else if (a[0] != '-' && !m->url_text) {
            m->url_text = a;
        } else {
            fprintf(stderr, WHO ": unknown argument '%s'\n\n%s", a, usage);
            return 2;
        }
    }
    if (!m->url_text || !m->state_path) {
        fprintf(stderr, WHO ": give the server's URL and --state FILE\n\n%s", usage);
        return 2;
    }
    const char *ca_file = m->url.ca_file;
    if (cli_url_parse(m->url_text, &m->url) != 0) {
        fprintf(stderr, WHO ": '%s' is not an http:// or https://HOST[:PORT] URL\n", m->url_text);
        return 2;
    }
    m->url.ca_file = ca_file;
    return 0;
}

int cli_log_monitor(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    }
    static struct monitor m;
    memset(&m, 0, sizeof m);
    int rc = parse_args(&m, argc, argv);
    if (rc != 0)
        return rc;
    rc = load_state(&m);
    if (rc < 0)
        return 1;
    m.have_state = rc == 0;
    unsigned char pinned[SIGN_PUBLIC_KEY];
    if (m.key_hex && sign_parse_hex(m.key_hex, pinned, SIGN_PUBLIC_KEY) != 0) {
        fprintf(stderr, WHO ": --key wants the 64 hex characters of `suara log key`\n");
        return 2;
    }
    if (m.have_state && m.key_hex && memcmp(pinned, m.seen.key, SIGN_PUBLIC_KEY) != 0)
        return fail("--key differs from the key pinned in %s; a new key needs a new state file "
                    "(see docs/operations.md, rotating the key)",
                    m.state_path);
    if (m.have_state)
        memcpy(pinned, m.seen.key, SIGN_PUBLIC_KEY);
    else if (!m.key_hex) {
        fprintf(stderr, WHO ": the first run needs --key HEX to pin (from `suara log key`)\n");
        return 2;
    }
    struct head now;
    if (fetch_head(&m, pinned, &now) != 0)
        return 1;
    if (m.have_state && check_consistency(&m, &m.seen, &now) != 0)
        return 1;
    for (int i = 0; i < m.n_forms; i++) {
        if (check_form(&m, &m.forms[i], &now) != 0)
            return 1;
    }
    for (int i = 0; i < m.n_statuses; i++) {
        if (check_status(&m, &m.statuses[i], &now) != 0)
            return 1;
    }
    if (save_state(&m, &now) != 0)
        return 1;
    char root[65];
    hex_encode(now.root, MERKLE_HASH, root);
    printf("ok: tree_size=%" PRId64 " root_hash=%s timestamp=%s", now.tree_size, root,
           now.timestamp);
    if (m.have_state)
        printf(" (%" PRId64 " new entries since %s, consistent)", now.tree_size - m.seen.tree_size,
               m.seen.timestamp);
    else
        printf(" (first head, key pinned)");
    if (m.n_forms)
        printf("; %d form%s included", m.n_forms, m.n_forms == 1 ? "" : "s");
    print_statuses(&m);
    putchar('\n');
    return 0;
}
