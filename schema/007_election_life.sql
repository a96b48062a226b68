-- The election's life: a rehearsal (mode 'test') before the real count (mode
-- 'live'), regions whose result is final after their pleno, amendments, and
-- an append-only audit trail of who did what and when.

-- One row. `epoch` grows at every switch: a server writes only while the
-- epoch it loaded is still the current one (suara_assert_epoch), so a server
-- that has not yet noticed a switch can never mix rehearsal forms into the
-- real count. `genesis` is where the receipt chain starts (64 zeros for the
-- rehearsal; a fresh value recorded by `suara election live`).
CREATE TABLE election (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    mode        text NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live')),
    epoch       integer NOT NULL DEFAULT 1 CHECK (epoch >= 1),
    genesis     text NOT NULL DEFAULT repeat('0', 64) CHECK (genesis ~ '^[0-9a-f]{64}$'),
    switched_at timestamptz
);
INSERT INTO election DEFAULT VALUES;

-- Live is for good: switching back to test is refused here too, not only by
-- the command.
CREATE FUNCTION election_no_way_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.mode = 'live' AND NEW.mode <> 'live' THEN
        RAISE EXCEPTION 'the election is live; switching back to test is refused';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER election_no_way_back BEFORE UPDATE ON election
    FOR EACH ROW EXECUTE FUNCTION election_no_way_back();

-- Every batch the server writes calls this with the epoch it loaded. FOR SHARE
-- waits for a switch in progress and then reads its outcome, so a batch
-- either commits before the switch (and is deleted with the test data) or
-- fails after it.
CREATE FUNCTION suara_assert_epoch(want integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    current integer;
BEGIN
    SELECT epoch INTO current FROM election FOR SHARE;
    IF current IS DISTINCT FROM want THEN
        RAISE EXCEPTION 'the election changed mode (epoch % is now %); the server must reload',
            want, current USING ERRCODE = 'P0001';
    END IF;
    RETURN want;
END $$;

-- Regions whose result is final in a contest (after the pleno). A row covers
-- the region's whole subtree. token_id is NULL when finalised from the CLI.
CREATE TABLE finals (
    contest     text NOT NULL REFERENCES contests (id),
    region      text NOT NULL,
    reason      text NOT NULL,
    token_id    integer REFERENCES tokens (id),
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contest, region)
);

-- An admin's form that amends a final result carries its reason here.
ALTER TABLE forms ADD COLUMN amendment text;

-- The audit trail: written in the same transaction as what it records,
-- never updated, never deleted (not even by going live).
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
    token_id    integer,
    -- What the event records, unique, for the server's events (a batch
    -- written again after a lost connection must not audit twice); NULL for
    -- the command line's.
    ref         text UNIQUE,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_kind ON audit (kind, id);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
