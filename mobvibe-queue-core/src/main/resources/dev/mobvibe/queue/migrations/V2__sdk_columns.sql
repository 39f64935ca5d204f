-- MobVibe Queue migration 2: what the SDK adds to the seed's schema, additively.
--   run_at            earliest time a pending job may be claimed (delayed jobs, retry backoff)
--   lease_owner       the worker that holds a processing job
--   lease_expires_at  when that hold lapses; a processing row without a lease counts as expired,
--                     so rows a seed-era worker left in 'processing' are recovered by the reaper
--   errors            one JSON object per failed attempt: {attempt, error, at, worker}
--   idempotency_key   optional; enqueueing the same key twice returns the first job
--   status            gains 'cancelled'

-- One statement: existing rows get the migration time (due at once) without a table rewrite and
-- without firing the updated_at trigger, so their updated_at stays as it was.
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS run_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS lease_owner text;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS lease_expires_at timestamptz;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS errors jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS idempotency_key text;

-- Widen the status check to admit 'cancelled'. The seed's check constraint may carry any name,
-- so every CHECK on coding_jobs that mentions status is replaced by one that keeps the old states.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
           WHERE conrelid = '{schema}.coding_jobs'::regclass AND contype = 'c'
             AND pg_get_constraintdef(oid) LIKE '%status%'
  LOOP
    EXECUTE format('ALTER TABLE {schema}.coding_jobs DROP CONSTRAINT %I', c.conname);
  END LOOP;
END;
$$;
ALTER TABLE {schema}.coding_jobs ADD CONSTRAINT coding_jobs_status_check
  CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled'));

CREATE UNIQUE INDEX IF NOT EXISTS coding_jobs_idempotency_key_key
  ON {schema}.coding_jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Serves the claim: pending rows in claim order. Completed rows never enter it.
CREATE INDEX IF NOT EXISTS coding_jobs_claim_idx
  ON {schema}.coding_jobs (priority DESC, created_at, id) WHERE status = 'pending';

-- Serves the reaper and the lease keeper.
CREATE INDEX IF NOT EXISTS coding_jobs_processing_lease_idx
  ON {schema}.coding_jobs (lease_expires_at) WHERE status = 'processing';

-- The seed's SQL functions keep their signatures and semantics for other clients, and now respect
-- the SDK's columns: a delayed job is not claimed early, a legacy claim takes a lease, and a retry
-- waits an exponential backoff with full jitter (base 1 s, factor 2, cap 10 min).

CREATE OR REPLACE FUNCTION {schema}.claim_next_job()
RETURNS TABLE (job_id uuid, session_id uuid, prompt text, priority int)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  WITH next AS (
    SELECT j.id FROM {schema}.coding_jobs j
    WHERE j.status = 'pending' AND j.run_at <= now()
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

CREATE OR REPLACE FUNCTION {schema}.complete_job(job_id_param uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {schema}.coding_jobs
     SET status = 'completed', completed_at = now(), updated_at = now(),
         lease_owner = NULL, lease_expires_at = NULL
   WHERE id = job_id_param AND status = 'processing';
END;
$$;

CREATE OR REPLACE FUNCTION {schema}.fail_job(job_id_param uuid, error_msg text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  j record;
BEGIN
  UPDATE {schema}.coding_jobs c
     SET retry_count = c.retry_count + 1, updated_at = now(),
         status = CASE WHEN c.retry_count + 1 < c.max_retries THEN 'pending' ELSE 'failed' END,
         run_at = CASE WHEN c.retry_count + 1 < c.max_retries
                       THEN now() + make_interval(secs => random() * least(600, power(2, c.retry_count)))
                       ELSE c.run_at END,
         completed_at = CASE WHEN c.retry_count + 1 < c.max_retries THEN NULL ELSE now() END,
         error_message = error_msg,
         errors = c.errors || jsonb_build_array(jsonb_build_object(
           'attempt', c.retry_count + 1, 'error', error_msg, 'at', now(), 'worker', c.lease_owner)),
         lease_owner = NULL, lease_expires_at = NULL
   WHERE c.id = job_id_param AND c.status = 'processing'
  RETURNING c.status, c.session_id INTO j;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF j.status = 'failed' THEN
    UPDATE {schema}.coding_sessions
       SET status = 'failed', error_message = error_msg, updated_at = now()
     WHERE id = j.session_id;
    RETURN false;
  END IF;
  RETURN true;
END;
$$;

CREATE OR REPLACE FUNCTION {schema}.get_queue_stats()
RETURNS TABLE (pending_count bigint, processing_count bigint, completed_count bigint,
               failed_count bigint, oldest_pending_age interval)
LANGUAGE sql STABLE AS $$
  SELECT count(*) FILTER (WHERE status = 'pending'),
         count(*) FILTER (WHERE status = 'processing'),
         count(*) FILTER (WHERE status = 'completed'),
         count(*) FILTER (WHERE status = 'failed'),
         now() - min(created_at) FILTER (WHERE status = 'pending')
    FROM {schema}.coding_jobs;
$$;
