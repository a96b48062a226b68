/* The Model C.Hasil (C1) form: decoding a POST body, the contract's
 * structural rules (violations -> 422 with details, nothing stored) and its
 * consistency checks (failures -> the form is stored but held).
 * Pure logic, no I/O: the web client implements the same rules with the same
 * codes, and docs/form-rules.md lists them with an example each. */
#ifndef SUARA_DOMAIN_FORM_H
#define SUARA_DOMAIN_FORM_H

#include "registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORM_COUNT_MAX 9999
#define SUBMISSION_ID_MAX 64
#define FORM_MAX_ERRORS 32
#define TPS_CAPACITY 600        /* Pilkada 2024: registered.dpt + registered.dpph <= 600 */
#define FORM_VOTE_NUMBER_MAX 99 /* keys of "votes": "1".."99" */
#define FORM_MAX_PHOTOS 8       /* pages of the plano in "photos" */
#define FORM_REASON_MAX 2000    /* bytes of an amendment's reason */
#define FORM_PHOTO_HEX 64       /* a photo's SHA-256 in lower-case hex */

enum { ROW_DPT, ROW_DPPH, ROW_DPTB };
enum { SEX_M, SEX_F };
enum { BALLOT_RECEIVED, BALLOT_RETURNED, BALLOT_UNUSED, BALLOT_USED };
enum { DISABILITY_REGISTERED, DISABILITY_VOTED };

/* Every count on the form except the votes per candidate, in their one
 * canonical order: X(member, JSON path, SQL column). This list generates the
 * struct's access table (form_count_fields), the JSON decode and encode, the
 * receipt's counts= line, the forms table's columns in the batch SQL and the
 * COPY parsing at start-up; a new count is one line here (plus its column in
 * a migration, and in the struct below if it needs new storage). The order is
 * part of every receipt ever issued: append, never reorder. */
#define FORM_COUNTS(X)                                                                             \
    X(registered[ROW_DPT][SEX_M], "registered.dpt.m", reg_dpt_m)                                   \
    X(registered[ROW_DPT][SEX_F], "registered.dpt.f", reg_dpt_f)                                   \
    X(registered[ROW_DPPH][SEX_M], "registered.dpph.m", reg_dpph_m)                                \
    X(registered[ROW_DPPH][SEX_F], "registered.dpph.f", reg_dpph_f)                                \
    X(registered[ROW_DPTB][SEX_M], "registered.dptb.m", reg_dptb_m)                                \
    X(registered[ROW_DPTB][SEX_F], "registered.dptb.f", reg_dptb_f)                                \
    X(voted[ROW_DPT][SEX_M], "voted.dpt.m", voted_dpt_m)                                           \
    X(voted[ROW_DPT][SEX_F], "voted.dpt.f", voted_dpt_f)                                           \
    X(voted[ROW_DPPH][SEX_M], "voted.dpph.m", voted_dpph_m)                                        \
    X(voted[ROW_DPPH][SEX_F], "voted.dpph.f", voted_dpph_f)                                        \
    X(voted[ROW_DPTB][SEX_M], "voted.dptb.m", voted_dptb_m)                                        \
    X(voted[ROW_DPTB][SEX_F], "voted.dptb.f", voted_dptb_f)                                        \
    X(ballots[BALLOT_RECEIVED], "ballots.received", ballots_received)                              \
    X(ballots[BALLOT_RETURNED], "ballots.returned", ballots_returned)                              \
    X(ballots[BALLOT_UNUSED], "ballots.unused", ballots_unused)                                    \
    X(ballots[BALLOT_USED], "ballots.used", ballots_used)                                          \
    X(disability[DISABILITY_REGISTERED], "disability.registered", disability_registered)           \
    X(disability[DISABILITY_VOTED], "disability.voted", disability_voted)                          \
    X(valid, "valid", valid)                                                                       \
    X(invalid, "invalid", invalid)                                                                 \
    X(total, "total", total)

#define FORM_COUNT_ONE_(member, path, column) +1
enum { FORM_N_COUNTS = 0 FORM_COUNTS(FORM_COUNT_ONE_) };

/* The forms table's count columns as SQL text, each after a comma
 * (", reg_dpt_m, reg_dpt_f, ..."), to follow another column in a list. */
#define FORM_COUNT_COLUMN_(member, path, column) ", " #column
#define FORM_COUNT_COLUMNS FORM_COUNTS(FORM_COUNT_COLUMN_)

struct form_counts {
    uint16_t registered[3][2]; /* [ROW_*][SEX_*] section I.A */
    uint16_t voted[3][2];      /* [ROW_*][SEX_*] section I.B */
    uint16_t ballots[4];       /* [BALLOT_*] */
    uint16_t disability[2];    /* [DISABILITY_*] */
    uint16_t valid, invalid, total;
};

/* One count of the list: where it lives in struct form_counts, its dotted
 * JSON path ("registered.dpt.m") and its column in the forms table. */
struct form_count_field {
    size_t offset;
    const char *path;
    const char *column;
};
extern const struct form_count_field form_count_fields[FORM_N_COUNTS];

static inline uint16_t form_count_get(const struct form_counts *c, int i)
{
    return *(const uint16_t *)((const char *)c + form_count_fields[i].offset);
}
static inline void form_count_set(struct form_counts *c, int i, uint16_t v)
{
    *(uint16_t *)((char *)c + form_count_fields[i].offset) = v;
}

/* A decoded body. Zero-initialised by form_decode so that two decodes of the
 * same content compare equal with form_input_equal. */
struct form_input {
    char submission_id[SUBMISSION_ID_MAX + 1];
    char tps[REGION_CODE_MAX + 1];
    char contest[CONTEST_ID_MAX + 1];
    int n_photos; /* "photos", or 1 for the "photo_sha256" shorthand */
    char photos[FORM_MAX_PHOTOS][FORM_PHOTO_HEX + 1]; /* lower-case hex, in page order */
    bool has_amendment; /* "amendment": {"reason"}: an admin changes a final result */
    char amendment_reason[FORM_REASON_MAX + 1];
    struct form_counts counts;
    int n_votes;
    int vote_number[CONTEST_MAX_CANDIDATES]; /* ascending, whatever the key order sent */
    uint16_t vote_count[CONTEST_MAX_CANDIDATES];
};

/* One problem for the 422 body: {"field": "votes.5", "code": "..."}. */
struct form_problem {
    char field[48];
    const char *code; /* static string */
};

struct form_problems {
    int n;
    struct form_problem list[FORM_MAX_ERRORS]; /* extra problems are dropped */
};

enum form_decode_result {
    FORM_DECODED = 0,   /* out is filled, no problems */
    FORM_MALFORMED = 1, /* not JSON, or not an object: 400 malformed_json */
    FORM_INVALID = 2,   /* structural problems listed: 422 invalid_form */
};

/* Decodes and checks the shape of a body: exactly the contract's fields (plus
 * optional "photos", 1 to 8 lower-case hex SHA-256 strings, or the one-page
 * shorthand "photo_sha256", hex of either case, never both: "conflict" on
 * photo_sha256), no duplicate keys, every count an integer 0..9999, codes
 * well formed. Field problem codes: "missing", "unknown_field",
 * "duplicate_key", "not_integer", "out_of_range", "not_string", "not_object",
 * "bad_format", "too_many", "empty" (a "votes" object without entries).
 * JSON is read strictly (RFC 8259): trailing bytes, raw control characters,
 * numbers like 01 or 1. and an escaped NUL character make a body FORM_MALFORMED.
 * `problems` is emptied first and gets every problem found (up to
 * FORM_MAX_ERRORS). `out` is zeroed first; it is meaningful only when the
 * result is FORM_DECODED. */
enum form_decode_result form_decode(const char *body, size_t len, struct form_input *out,
                                    struct form_problems *problems);

/* A decoded form bound to the registry. */
struct form_resolved {
    int32_t tps; /* region index of the TPS */
    const struct contest *contest;
    uint16_t votes[CONTEST_MAX_CANDIDATES]; /* by candidate position */
};

/* The registry-dependent structural rules: "unknown_tps" (field "tps"),
 * "unknown_contest" (field "contest"), "tps_not_in_contest" (field "tps"),
 * and votes naming exactly the contest's candidates ("votes.N" with
 * "unknown_candidate", "votes.N" with "missing" for an absent number).
 * `in` must come from a FORM_DECODED form_decode. `problems` is emptied
 * first. Returns true when none is broken; out->tps is -1 and out->contest
 * NULL when they are unknown. */
bool form_resolve(const struct registry *reg, const struct form_input *in,
                  struct form_resolved *out, struct form_problems *problems);

/* Consistency checks (errors hold the form) and warnings, as bits. */
enum form_check {
    CHECK_VALID_SUM,
    CHECK_TOTAL_SUM,
    CHECK_BALLOT_BALANCE,
    CHECK_TURNOUT_MATCH,
    CHECK_VOTED_LE_REGISTERED,
    CHECK_DPT_MATCHES_ROLL,
    CHECK_TPS_CAPACITY,
    CHECK_BALLOT_RESERVE,
    CHECK_DISABILITY_LE,
    WARN_INVALID_SHARE,
    WARN_ZERO_TOTAL,
    /* Set by the ledger, not by form_checks: it compares the form with the
     * counted forms of the other contests at the same TPS (ledger.h). */
    WARN_CROSS_CONTEST_VOTERS,
    FORM_CHECK_COUNT
};

#define FORM_CHECK_ERRORS ((1u << WARN_INVALID_SHARE) - 1u)
#define FORM_CHECK_WARNINGS (((1u << FORM_CHECK_COUNT) - 1u) & ~FORM_CHECK_ERRORS)

/* Bit (1 << CHECK_x) set for every failed check or raised warning.
 * votes/n_votes: the counts per candidate (form_resolved.votes and the
 * contest's n_candidates). roll_dpt is the TPS's DPT in the seed data. */
uint32_t form_checks(const struct form_counts *c, const uint16_t *votes, int n_votes,
                     int32_t roll_dpt);
/* "valid_sum", ... as in the contract; NULL outside the enum. */
const char *form_check_code(enum form_check check);
/* The check whose code is `code`, or -1. */
int form_check_parse(const char *code);
/* True when a failed check (not a mere warning) means the form is held. */
static inline bool form_checks_hold(uint32_t checks)
{
    return (checks & FORM_CHECK_ERRORS) != 0;
}

/* Same content, field by field (the idempotency test: same submission_id
 * with the same form -> 200, otherwise 409). */
bool form_input_equal(const struct form_input *a, const struct form_input *b);
/* Sum of a row set: all of registered or all of voted. */
int form_sum_rows(const uint16_t rows[3][2]);

/* Appends a problem; `field` is copied (truncated to fit), `code` must be a
 * static string. Does nothing once FORM_MAX_ERRORS are listed. */
void form_problem_add(struct form_problems *p, const char *field, const char *code);

/* ---- A stored form: what the ledger keeps of an accepted submission ---- */

struct op;

enum form_status {
    FS_COUNTED,
    FS_SUPERSEDED,
    FS_HELD,
    FS_DISPUTED,
    FS_REJECTED,
    FS_CONFIRMATION,
};
const char *form_status_name(int status);
int form_status_parse(const char *name);

/* Why a queued form or decision was refused when its batch was sealed (the
 * state it relied on changed meanwhile); it is then never stored. */
enum refusal {
    REFUSAL_NONE,
    REFUSAL_REGION_FINAL,  /* the region's result became final */
    REFUSAL_ALREADY_FINAL, /* a finalisation of a region already final */
    REFUSAL_NOT_PENDING,   /* a decision on a form no longer waiting for review */
};
/* The contract's error code of a refusal ("region_final", ...). */
const char *refusal_code(enum refusal r);

struct decision {
    int64_t id;
    int64_t seq;
    int64_t decided_ms;
    int32_t token_id;
    bool count;                /* count or reject */
    bool has_receipt;          /* false for decisions stored before they joined the log */
    unsigned char receipt[32]; /* see receipt.h */
    char *reason;
};

/* Versions of a receipt's canonical text (domain/receipt.c): a stored form
 * keeps the one it was chained with, so verify-log recomputes old rows too. */
enum receipt_format {
    RECEIPT_V1 = 1, /* photo_sha256=<one hash or empty> */
    RECEIPT_V2 = 2, /* photos=<the pages' hashes, comma-separated> */
    RECEIPT_CURRENT = RECEIPT_V2
};

struct form {
    int64_t id;
    int64_t seq;
    int64_t received_ms;
    int64_t confirms; /* the form id a confirmation agrees with, else 0 */
    struct form *next_in_slot;
    struct decision *decision; /* the reviewer's, if any */
    struct op *pending_op;     /* until committed: the op that writes it */
    /* The plano's pages in order (n_photos of them, NULL when none). */
    char (*photos)[FORM_PHOTO_HEX + 1];
    char *amendment; /* an admin's amendment: its reason, else NULL */
    uint8_t refused; /* enum refusal: refused at seal, never stored */
    int32_t tps;
    int32_t token_id;
    uint16_t contest;
    uint32_t revision;
    uint8_t status;  /* enum form_status, changes over time */
    uint8_t outcome; /* enum form_status told to the submitter, never changes */
    bool committed;
    /* Sent in a batch not yet committed (ledger_written): a later batch,
     * which commits only after it, changes its status with an UPDATE. */
    bool written;
    bool tallied; /* the counted form as the tallies show it (committed) */
    uint8_t n_photos;
    uint8_t receipt_format; /* enum receipt_format: the canonical text its receipt hashes */
    uint32_t checks;
    struct form_counts counts;
    unsigned char receipt[32]; /* see receipt.h */
    uint8_t n_votes;
    char submission_id[SUBMISSION_ID_MAX + 1];
    uint16_t votes[]; /* by candidate position */
};

/* A new, not yet decided form from a resolved input. */
struct form *form_new(const struct form_input *in, const struct form_resolved *res, uint32_t checks,
                      int32_t token_id, int64_t received_ms);
/* Copies n photo hashes into f (replacing any). */
void form_set_photos(struct form *f, const char (*photos)[FORM_PHOTO_HEX + 1], int n);
/* Whether a retry carries the same form as the one stored (same token, TPS,
 * contest, numbers and photo): then it gets the first answer again. */
bool form_same_submission(const struct form *f, const struct form_input *in,
                          const struct form_resolved *res, int32_t token_id);
/* Frees a form and its decision (not its op). */
void form_free(struct form *f);
bool form_counts_equal(const struct form *a, const struct form *b);
static inline bool form_pending(const struct form *f)
{
    return f->status == FS_HELD || f->status == FS_DISPUTED;
}

#endif
