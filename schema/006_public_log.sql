-- The public log. Its signing keys: `suara serve --log-key FILE` records the
-- public half of its key here when it starts, so `suara log key --db` can
-- print the key that monitors should pin, and a key rotation leaves a trace
-- (first and last time each key signed heads for this database).
CREATE TABLE log_keys (
    public_key  text PRIMARY KEY CHECK (public_key ~ '^[0-9a-f]{64}$'),
    first_used  timestamptz NOT NULL DEFAULT now(),
    last_used   timestamptz NOT NULL DEFAULT now()
);

-- Reviewers' decisions join the receipt chain and the public log as entries of
-- their own (docs/operations.md): each carries the receipt of its canonical
-- text chained to the previous entry's. Decisions stored before this migration
-- have none and stay outside the chain; log_format records where that ends, so
-- `suara verify-log` refuses a receipt-less decision made after it.
ALTER TABLE decisions ADD COLUMN receipt text CHECK (receipt ~ '^[0-9a-f]{64}$');
CREATE TABLE log_format (
    decisions_from_seq bigint NOT NULL
);
INSERT INTO log_format
    SELECT coalesce(max(seq), 0) + 1 FROM (SELECT seq FROM forms UNION ALL SELECT seq FROM decisions) s;
