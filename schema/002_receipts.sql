-- Tamper-evident log: every form stored from now on carries a receipt, the
-- SHA-256 of its immutable fields and of the previous form's receipt, so
-- altering, inserting or deleting any stored form breaks the chain from there
-- on. `suara verify-log` recomputes it; GET /api/v1/log/head publishes the
-- newest link. Forms stored before this migration have none (NULL).
ALTER TABLE forms ADD COLUMN receipt text CHECK (receipt ~ '^[0-9a-f]{64}$');
