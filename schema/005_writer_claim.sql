-- The claim of the one `suara serve` that writes to this database, made so
-- that a server that lost it can never commit again, and so that every batch
-- waits for a synchronous standby.
--
-- A server claims the database when it loads: it takes the session advisory
-- lock (as before) and bumps the generation, which it keeps. After a
-- reconnect it reclaims the lock only if the generation is still its own:
-- if another server loaded meanwhile, the data has moved on without it.
-- Every batch calls suara_batch(generation): it fails unless the generation
-- is unchanged and no other session holds the lock, and its UPDATE gives the
-- transaction WAL of its own, so COMMIT waits for the synchronous standby
-- even when all the batch's rows exist already (a batch written again after a
-- broken connection); a transaction id alone writes no WAL before its commit
-- record, and PostgreSQL does not wait for such commits.
CREATE TABLE writer_claim (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL DEFAULT 0,
    claimed_at timestamptz,
    batches bigint NOT NULL DEFAULT 0,
    batch_at timestamptz
);
INSERT INTO writer_claim DEFAULT VALUES;

-- The new generation, or NULL when another server holds the database.
CREATE FUNCTION suara_claim() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    g bigint;
BEGIN
    IF NOT pg_try_advisory_lock(hashtext('suara serve')) THEN
        RETURN NULL;
    END IF;
    UPDATE writer_claim SET generation = generation + 1, claimed_at = now()
        RETURNING generation INTO g;
    RETURN g;
END $$;

-- 'ok' (this session holds the database again), 'busy' (another session holds
-- the lock: maybe this server's previous one, not yet ended) or 'lost'
-- (another server claimed the database since generation g).
CREATE FUNCTION suara_reclaim(g bigint) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT generation FROM writer_claim) <> g THEN
        RETURN 'lost';
    END IF;
    IF NOT pg_try_advisory_lock(hashtext('suara serve')) THEN
        RETURN 'busy';
    END IF;
    IF (SELECT generation FROM writer_claim) <> g THEN -- claimed just before the lock
        PERFORM pg_advisory_unlock(hashtext('suara serve'));
        RETURN 'lost';
    END IF;
    RETURN 'ok';
END $$;

-- Called by every batch: raises unless the claim of generation g still holds.
CREATE FUNCTION suara_batch(g bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('suara serve')) THEN
        RAISE EXCEPTION 'another suara serve holds this database' USING ERRCODE = '55P03';
    END IF;
    UPDATE writer_claim SET batches = batches + 1, batch_at = now() WHERE generation = g
        RETURNING batches INTO n;
    IF n IS NULL THEN
        RAISE EXCEPTION 'another suara serve claimed this database (generation %)', g
            USING ERRCODE = '55P03';
    END IF;
    RETURN n;
END $$;
