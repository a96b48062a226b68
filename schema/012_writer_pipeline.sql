-- The pipelined writer (docs/architecture.md, "The writer"): two batches may
-- be in flight at once, on the writer's own connection, so the database must
-- refuse a batch whose predecessor did not commit. Every batch carries its
-- number k within the claim, and writer_claim.batches (005) becomes the
-- number of the last batch committed under the current generation.
--
-- The counter starts at 0 with every claim (suara_claim below): a server
-- numbers its batches from 1 after it has loaded, so it never needs to read
-- the counter. A reclaim after a reconnect keeps it: the same server goes on
-- with its own numbers.
--
-- suara_batch(g, k) takes no advisory lock: the writer's connection is not
-- the session that holds the claim's session lock, and
-- pg_try_advisory_xact_lock fails from any other session. The generation is
-- the fence: a competing suara_claim bumps it in the same row, and its UPDATE
-- and this one serialise on the row's lock (READ COMMITTED re-reads the row
-- after waiting), so a batch either commits before the new claim, which then
-- loads it, or finds the generation changed and raises.
CREATE OR REPLACE FUNCTION suara_claim() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    g bigint;
BEGIN
    IF NOT pg_try_advisory_lock(hashtext('suara serve')) THEN
        RETURN NULL;
    END IF;
    UPDATE writer_claim SET generation = generation + 1, claimed_at = now(), batches = 0
        RETURNING generation INTO g;
    RETURN g;
END $$;

-- Called by batch k of the claim of generation g, sent by a server that has
-- seen batches up to `acked` commit. It commits only if batch k-1 did: the
-- counter is k-1, or k-1 <= acked (the server saw it commit; the counter can
-- be lower only after a failover to an asynchronous standby that lost it,
-- the loss that asynchronous replication allows, and the server goes on as
-- it always did). Counter >= k: batch k itself had committed (a retry after
-- a broken connection, whose rows all exist). Either way it updates the row,
-- so the transaction writes WAL of its own and its COMMIT waits for a
-- synchronous standby (005). Batch k+1, sent while k was in flight (acked <
-- k), therefore never commits when k failed.
CREATE FUNCTION suara_batch(g bigint, k bigint, acked bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    UPDATE writer_claim SET batches = greatest(batches, k), batch_at = now()
        WHERE generation = g AND (batches >= k - 1 OR acked >= k - 1)
        RETURNING batches INTO n;
    IF n IS NOT NULL THEN
        RETURN n;
    END IF;
    IF (SELECT generation FROM writer_claim) <> g THEN
        RAISE EXCEPTION 'another suara serve claimed this database (generation %)', g
            USING ERRCODE = '55P03';
    END IF;
    RAISE EXCEPTION 'batch % sent before batch % committed (generation %)', k, k - 1, g
        USING ERRCODE = '40001';
END $$;
