-- MobVibe Queue migration 1: the seed service's objects, created only where missing.
-- Databases that the seed's Supabase migrations already created keep their tables and data;
-- this script adds the columns the SDK reads when an older table lacks them.
-- {schema} is replaced by the validated schema name before the script runs.

CREATE TABLE IF NOT EXISTS {schema}.coding_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  status text NOT NULL DEFAULT 'pending',
  error_message text,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE {schema}.coding_sessions ADD COLUMN IF NOT EXISTS error_message text;
ALTER TABLE {schema}.coding_sessions ADD COLUMN IF NOT EXISTS started_at timestamptz;
ALTER TABLE {schema}.coding_sessions ADD COLUMN IF NOT EXISTS completed_at timestamptz;
ALTER TABLE {schema}.coding_sessions ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS {schema}.coding_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES {schema}.coding_sessions(id) ON DELETE CASCADE,
  prompt text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  priority int NOT NULL DEFAULT 0,
  retry_count int NOT NULL DEFAULT 0,
  max_retries int NOT NULL DEFAULT 3,
  error_message text,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The seed's index, unless an index on the same columns exists under another name.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes
                 WHERE schemaname = '{schema}' AND tablename = 'coding_jobs'
                   AND indexdef LIKE '%(status, priority DESC, created_at)') THEN
    CREATE INDEX IF NOT EXISTS idx_coding_jobs_status_priority
      ON {schema}.coding_jobs (status, priority DESC, created_at);
  END IF;
END;
$$;

CREATE TABLE IF NOT EXISTS {schema}.session_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES {schema}.coding_sessions(id) ON DELETE CASCADE,
  event_type text NOT NULL,
  event_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_session_events_session
  ON {schema}.session_events (session_id, created_at);

-- updated_at is kept by a BEFORE UPDATE trigger, as in the seed.
CREATE OR REPLACE FUNCTION {schema}.mobvibe_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- The seed sends these two notifications; LISTEN clients and Supabase Realtime rely on them.
-- The payloads are the seed's, one notification per row. The triggers run once per statement over
-- transition tables rather than once per row: the same notifications for a fraction of the cost
-- when the SDK claims or completes jobs in batches.
CREATE OR REPLACE FUNCTION {schema}.mobvibe_notify_new_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('new_job', json_build_object(
    'job_id', n.id,
    'session_id', n.session_id,
    'priority', n.priority,
    'created_at', n.created_at)::text)
  FROM new_rows n;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION {schema}.mobvibe_notify_job_status_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('job_status_changed', json_build_object(
    'job_id', n.id,
    'session_id', n.session_id,
    'old_status', o.status,
    'new_status', n.status,
    'updated_at', n.updated_at)::text)
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE n.status IS DISTINCT FROM o.status;
  RETURN NULL;
END;
$$;

-- Triggers are created only when a trigger of the same name is absent, so a seed database keeps its own.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgrelid = '{schema}.coding_jobs'::regclass AND tgname = 'update_coding_jobs_updated_at') THEN
    -- The SDK's own statements set updated_at themselves; the trigger serves everyone else.
    CREATE TRIGGER update_coding_jobs_updated_at BEFORE UPDATE ON {schema}.coding_jobs
      FOR EACH ROW WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at)
      EXECUTE FUNCTION {schema}.mobvibe_touch_updated_at();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgrelid = '{schema}.coding_jobs'::regclass AND tgname = 'on_job_created') THEN
    CREATE TRIGGER on_job_created AFTER INSERT ON {schema}.coding_jobs
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION {schema}.mobvibe_notify_new_jobs();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgrelid = '{schema}.coding_jobs'::regclass AND tgname = 'on_job_status_changed') THEN
    CREATE TRIGGER on_job_status_changed AFTER UPDATE ON {schema}.coding_jobs
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION {schema}.mobvibe_notify_job_status_changes();
  END IF;
END;
$$;
