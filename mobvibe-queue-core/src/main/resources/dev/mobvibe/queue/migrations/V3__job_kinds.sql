-- MobVibe Queue migration 3: job kinds with typed arguments, additively.
--   kind           what the job is; 'coding_session' (the seed's only kind) for every existing row
--   args           the job's arguments as JSON; '{}' for coding sessions, whose input is the prompt
--   metadata       what interceptors carry across processes (for example a W3C traceparent)
--   output         a small JSON result a handler may record with its success
--   snoozes        times a handler snoozed the job; a snooze spends no attempt
--   unique_key     a digest of kind, arguments and period; at most one job per key among the
--   unique_states  states listed with it (enforced by coding_jobs_unique_key_idx)
-- session_id and prompt become optional for other kinds; a coding_session row still needs both
-- (coding_jobs_coding_session_check), so the seed's clients see the rows they always saw.

ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'coding_session';
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS args jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS metadata jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS output jsonb;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS snoozes int NOT NULL DEFAULT 0;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS unique_key text;
ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS unique_states text[];

ALTER TABLE {schema}.coding_jobs ALTER COLUMN session_id DROP NOT NULL;
ALTER TABLE {schema}.coding_jobs ALTER COLUMN prompt DROP NOT NULL;

-- NOT VALID: every existing row is a coding session with a session and a prompt (both columns were
-- NOT NULL until now), so no scan under this migration's lock is needed; new and updated rows are
-- checked from the commit on.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = '{schema}.coding_jobs'::regclass
                    AND conname = 'coding_jobs_coding_session_check') THEN
    ALTER TABLE {schema}.coding_jobs ADD CONSTRAINT coding_jobs_coding_session_check
      CHECK (kind <> 'coding_session' OR (session_id IS NOT NULL AND prompt IS NOT NULL)) NOT VALID;
  END IF;
END;
$$;

-- Serves unique jobs: one job per key among the states the job was enqueued with. A job moves
-- between pending and processing on retry; those two are always among its unique states, so a
-- retry never collides with a duplicate.
CREATE UNIQUE INDEX IF NOT EXISTS coding_jobs_unique_key_idx
  ON {schema}.coding_jobs (unique_key)
  WHERE unique_key IS NOT NULL AND status = ANY(unique_states);

-- On Supabase, Realtime streams a table's inserts only when the table is in the supabase_realtime
-- publication; the seed's migrations added it there, a database set up by hand may not have.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime')
     AND NOT EXISTS (SELECT 1 FROM pg_publication p
                       JOIN pg_publication_rel r ON r.prpubid = p.oid
                      WHERE p.pubname = 'supabase_realtime'
                        AND r.prrelid = '{schema}.coding_jobs'::regclass)
     AND NOT EXISTS (SELECT 1 FROM pg_publication
                      WHERE pubname = 'supabase_realtime' AND puballtables) THEN
    ALTER PUBLICATION supabase_realtime ADD TABLE {schema}.coding_jobs;
  END IF;
END;
$$;

-- The seed's SQL functions keep their signatures and see only coding sessions, so a client that
-- knows no other kind (the seed's Node.js worker) never claims, completes, fails or counts one.

CREATE OR REPLACE FUNCTION {schema}.claim_next_job()
RETURNS TABLE (job_id uuid, session_id uuid, prompt text, priority int)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  WITH next AS (
    SELECT j.id FROM {schema}.coding_jobs j
    WHERE j.status = 'pending' AND j.run_at <= now() AND j.kind = 'coding_session'
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
   WHERE id = job_id_param AND status = 'processing' AND kind = 'coding_session';
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
   WHERE c.id = job_id_param AND c.status = 'processing' AND c.kind = 'coding_session'
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
    FROM {schema}.coding_jobs
   WHERE kind = 'coding_session';
$$;
