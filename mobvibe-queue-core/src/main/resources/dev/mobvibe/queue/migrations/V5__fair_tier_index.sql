-- MobVibe Queue migration 5: the fairness step of the claim reads each tier's jobs by how long they
-- have been due.
--
-- Migration 4's coding_jobs_kind_due_idx ordered a kind's pending jobs by run_at across every
-- priority, so the claim looked for a tier's long-waiting jobs through coding_jobs_kind_claim_idx
-- instead and read the whole of every lower tier on each claim whenever none of its jobs had waited
-- past the bound (the usual case). With the priority after the kind, each tier's jobs that have
-- waited that long are one index range, empty when there are none. It replaces
-- coding_jobs_kind_due_idx, so a job still costs the same number of index entries.
-- Built online by the migration runner (CREATE INDEX CONCURRENTLY, outside this transaction) on a
-- database that has rows.

CREATE INDEX IF NOT EXISTS coding_jobs_kind_tier_due_idx
  ON {schema}.coding_jobs (kind, priority, run_at, id)
  WHERE status = 'pending';

DROP INDEX IF EXISTS {schema}.coding_jobs_kind_due_idx;
