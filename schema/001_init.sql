-- Suara schema, version 1: the region tree, TPS, contests, tokens and the
-- append-only record of every submitted C1 form and every review decision.
-- Applied by `suara migrate` inside one transaction; recorded in
-- schema_migrations (created by the migrator itself).

CREATE TABLE regions (
    code    text PRIMARY KEY CHECK (code ~ '^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$'),
    parent  text REFERENCES regions (code),
    level   text NOT NULL CHECK (level IN ('province', 'kabupaten', 'kecamatan', 'desa')),
    name    text NOT NULL CHECK (name <> ''),
    CHECK ((level = 'province') = (parent IS NULL))
);
CREATE INDEX regions_parent ON regions (parent);

CREATE TABLE tps (
    code    text PRIMARY KEY CHECK (code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}\.[0-9]{3}$'),
    desa    text NOT NULL REFERENCES regions (code),
    number  integer NOT NULL CHECK (number BETWEEN 1 AND 999),
    dpt     integer NOT NULL CHECK (dpt BETWEEN 0 AND 9999),
    UNIQUE (desa, number)
);

CREATE TABLE contests (
    id      text PRIMARY KEY CHECK (id ~ '^(gub|bup|wal)-[0-9.]+$'),
    kind    text NOT NULL,
    region  text NOT NULL REFERENCES regions (code),
    title   text NOT NULL
);

CREATE TABLE candidates (
    contest text NOT NULL REFERENCES contests (id),
    number  integer NOT NULL CHECK (number BETWEEN 1 AND 99),
    head    text NOT NULL,
    deputy  text NOT NULL,
    verified boolean NOT NULL DEFAULT true,
    PRIMARY KEY (contest, number)
);

-- Tokens are stored as the SHA-256 of the secret; the secret itself is shown
-- once by `suara token create` and never stored.
CREATE TABLE tokens (
    id          serial PRIMARY KEY,
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    role        text NOT NULL CHECK (role IN ('witness', 'reviewer', 'monitor', 'admin')),
    scope       text NOT NULL,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- One row per submitted form, never deleted. Only `status` changes after
-- insert (counted -> superseded, held/disputed -> counted/rejected/superseded).
-- `outcome` is the status the submitter was told in the 201 and never changes.
-- Counts are the Model C.Hasil fields; votes[i] belongs to the contest's i-th
-- candidate in nomor urut order.
CREATE TABLE forms (
    id              bigint PRIMARY KEY,
    submission_id   text NOT NULL UNIQUE,
    tps             text NOT NULL REFERENCES tps (code),
    contest         text NOT NULL REFERENCES contests (id),
    revision        integer NOT NULL CHECK (revision >= 1),
    status          text NOT NULL CHECK (status IN
                        ('counted', 'superseded', 'held', 'disputed', 'rejected', 'confirmation')),
    outcome         text NOT NULL CHECK (outcome IN ('counted', 'held', 'disputed', 'confirmation')),
    confirms        bigint REFERENCES forms (id),
    token_id        integer NOT NULL REFERENCES tokens (id),
    seq             bigint NOT NULL UNIQUE,
    received_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    checks          text[] NOT NULL DEFAULT '{}',
    photo_sha256    text CHECK (photo_sha256 ~ '^[0-9a-f]{64}$'),
    reg_dpt_m smallint NOT NULL, reg_dpt_f smallint NOT NULL,
    reg_dpph_m smallint NOT NULL, reg_dpph_f smallint NOT NULL,
    reg_dptb_m smallint NOT NULL, reg_dptb_f smallint NOT NULL,
    voted_dpt_m smallint NOT NULL, voted_dpt_f smallint NOT NULL,
    voted_dpph_m smallint NOT NULL, voted_dpph_f smallint NOT NULL,
    voted_dptb_m smallint NOT NULL, voted_dptb_f smallint NOT NULL,
    ballots_received smallint NOT NULL, ballots_returned smallint NOT NULL,
    ballots_unused smallint NOT NULL, ballots_used smallint NOT NULL,
    disability_registered smallint NOT NULL, disability_voted smallint NOT NULL,
    valid smallint NOT NULL, invalid smallint NOT NULL, total smallint NOT NULL,
    votes smallint[] NOT NULL,
    UNIQUE (tps, contest, revision)
);
-- The last line against double counting: one counted form per TPS and contest.
ALTER TABLE forms ADD CONSTRAINT forms_one_counted
    EXCLUDE USING btree (tps WITH =, contest WITH =) WHERE (status = 'counted')
    DEFERRABLE INITIALLY DEFERRED;

-- Review decisions, append-only.
CREATE TABLE decisions (
    id          bigint PRIMARY KEY,
    form_id     bigint NOT NULL REFERENCES forms (id),
    decision    text NOT NULL CHECK (decision IN ('count', 'reject')),
    reason      text NOT NULL,
    token_id    integer NOT NULL REFERENCES tokens (id),
    seq         bigint NOT NULL UNIQUE,
    decided_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX decisions_form ON decisions (form_id);
