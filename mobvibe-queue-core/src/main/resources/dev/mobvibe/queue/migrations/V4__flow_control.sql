-- MobVibe Queue migration 4: flow control and schedules, additively.
--   concurrency_key   jobs with the same key run one at a time, in enqueue order; a coding session's
--                     prompts get their session id (coding_jobs_default_concurrency_key), so two
--                     prompts of one session never run at once, whoever inserted them
--   coding_job_kinds  per-kind control rows: paused kinds, and the window counters of rate limits
--   coding_job_schedules
--                     recurring jobs as the workers registered them, and the newest tick enqueued
-- The indexes are built online by the migration runner (CREATE INDEX CONCURRENTLY, outside this
-- transaction) on a database that has rows.

ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS concurrency_key text;

-- The claim walks one kind at a time in claim order: kind first, so the order holds for any kind
-- whatever the table statistics say (with the kind as a filter, a table the planner has no
-- statistics of yet was read whole and sorted on every claim). It replaces coding_jobs_claim_idx.
CREATE INDEX IF NOT EXISTS coding_jobs_kind_claim_idx
  ON {schema}.coding_jobs (kind, priority DESC, created_at, id)
  WHERE status = 'pending';

-- Fairness: the pending jobs of a kind by how long they have been due.
CREATE INDEX IF NOT EXISTS coding_jobs_kind_due_idx
  ON {schema}.coding_jobs (kind, run_at, id)
  WHERE status = 'pending';

-- Serial keys: the unfinished jobs of a key, in enqueue order; the claim takes only the first.
CREATE INDEX IF NOT EXISTS coding_jobs_concurrency_key_idx
  ON {schema}.coding_jobs (concurrency_key, created_at, id)
  WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'processing');

-- Retention: finished jobs by when they finished.
CREATE INDEX IF NOT EXISTS coding_jobs_finished_idx
  ON {schema}.coding_jobs (status, completed_at)
  WHERE status IN ('completed', 'cancelled', 'failed');

DROP INDEX IF EXISTS {schema}.coding_jobs_claim_idx;

-- Jobs already waiting keep a null key (no rule): giving them one here would rewrite every
-- unfinished row and its updated_at under this migration's lock.
CREATE OR REPLACE FUNCTION {schema}.coding_jobs_default_concurrency_key()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.concurrency_key := NEW.session_id::text;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS coding_jobs_default_concurrency_key ON {schema}.coding_jobs;
CREATE TRIGGER coding_jobs_default_concurrency_key
  BEFORE INSERT ON {schema}.coding_jobs
  FOR EACH ROW
  WHEN (NEW.concurrency_key IS NULL AND NEW.kind = 'coding_session' AND NEW.session_id IS NOT NULL)
  EXECUTE FUNCTION {schema}.coding_jobs_default_concurrency_key();

CREATE TABLE IF NOT EXISTS {schema}.coding_job_kinds (
  kind          text PRIMARY KEY,
  paused_at     timestamptz,
  paused_by     text,
  window_start  timestamptz,
  window_starts int NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.coding_job_schedules (
  name        text PRIMARY KEY,
  kind        text NOT NULL,
  expression  text NOT NULL,
  time_zone   text NOT NULL,
  last_tick   timestamptz,
  last_job_id uuid,
  next_tick   timestamptz,
  updated_by  text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The seed's claim function keeps its contract and follows the new rules it can: it skips paused
-- kinds and takes a job only when it is the first unfinished job of its key.
CREATE OR REPLACE FUNCTION {schema}.claim_next_job()
RETURNS TABLE (job_id uuid, session_id uuid, prompt text, priority int)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  WITH next AS (
    SELECT j.id FROM {schema}.coding_jobs j
    WHERE j.status = 'pending' AND j.run_at <= now() AND j.kind = 'coding_session'
      AND NOT EXISTS (SELECT 1 FROM {schema}.coding_job_kinds k
                       WHERE k.kind = 'coding_session' AND k.paused_at IS NOT NULL)
      AND (j.concurrency_key IS NULL
           OR NOT EXISTS (SELECT 1 FROM {schema}.coding_jobs o
                           WHERE o.concurrency_key = j.concurrency_key
                             AND o.status IN ('pending', 'processing')
                             AND (o.created_at, o.id) < (j.created_at, j.id)))
    ORDER BY j.priority DESC, j.created_at, j.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
  )
  UPDATE {schema}.coding_jobs c
     SET status = 'processing', started_at = now(), updated_at = now(),
         lease_owner = 'claim_next_job()', lease_expires_at = now() + interval '30 minutes'
    FROM next
   WHERE c.id = next.id
  RETURNING c.id, c.session_id, c.prompt, c.priority;
END;
$$;
