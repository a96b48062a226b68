-- The monitoring desk's timeline: every --snapshot-s seconds the server adds
-- one row per province and kabupaten/kota node of each contest whose seq
-- moved since its last row. Rows are written by the server only, after the
-- fact, on a connection of their own; the server reads them back at start-up
-- so GET /api/v1/timeline survives a restart. Like forms, rows of the test
-- mode belong to the test data.
CREATE TABLE tally_snapshots (
    contest     text NOT NULL,
    region      text NOT NULL,
    seq         bigint NOT NULL CHECK (seq >= 1),
    at          timestamptz NOT NULL,
    tps_counted integer NOT NULL CHECK (tps_counted >= 0),
    valid       bigint NOT NULL CHECK (valid >= 0),
    invalid     bigint NOT NULL CHECK (invalid >= 0),
    votes       bigint[] NOT NULL,
    PRIMARY KEY (contest, region, seq)
);

-- KPU's own published results, a source separate from the witnesses, loaded
-- by `suara import kpu`: Sirekap's per-TPS figures (region = a TPS) and the
-- kabupaten/kota recapitulation (D.Hasil, region = a kabupaten/kota). One row
-- per contest and region; a later import of the same region replaces it.
-- votes[i] belongs to the contest's i-th candidate in nomor urut order.
CREATE TABLE kpu_results (
    contest     text NOT NULL,
    region      text NOT NULL,
    source      text NOT NULL CHECK (source IN ('sirekap', 'recap')),
    votes       bigint[] NOT NULL,
    valid       bigint CHECK (valid >= 0),
    invalid     bigint CHECK (invalid >= 0),
    total       bigint CHECK (total >= 0),
    dpt_voters  bigint CHECK (dpt_voters >= 0),
    reported_at timestamptz,
    file        text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contest, region)
);
