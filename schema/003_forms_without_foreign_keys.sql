-- Speed of the hot path: every batch of forms paid four foreign-key checks per
-- row (about a third of PostgreSQL's work per batch, see docs/benchmarks.md).
-- The server only ever stores a form whose TPS, contest and token it has just
-- resolved in memory from these very tables, and whose confirmed form it
-- holds; rows are never deleted. The constraints that guard what the code
-- promises stay: unique submission_id, id, seq and (tps, contest, revision),
-- one counted form per TPS and contest, and every CHECK. Decisions keep
-- their foreign keys (they are few).
ALTER TABLE forms DROP CONSTRAINT forms_tps_fkey;
ALTER TABLE forms DROP CONSTRAINT forms_contest_fkey;
ALTER TABLE forms DROP CONSTRAINT forms_token_id_fkey;
ALTER TABLE forms DROP CONSTRAINT forms_confirms_fkey;
