-- MobVibe Queue migration 6: two indexes for reading the queue at size (the dashboard), additively.
-- The indexes are built online by the migration runner (CREATE INDEX CONCURRENTLY, outside this
-- transaction) on a database that has rows.

-- A session's jobs, newest first: the job list filtered by session. Without it that filter walks
-- the status index and reads every job it passes until it finds the session's.
CREATE INDEX IF NOT EXISTS coding_jobs_session_idx
  ON {schema}.coding_jobs (session_id, created_at DESC, id DESC)
  WHERE session_id IS NOT NULL;

-- The jobs workers hold, by worker and start, carrying what a listing of them shows: read without
-- visiting the table where the visibility map allows. A job enters it when claimed and leaves it
-- when it finishes or is released; pending and finished jobs never enter it.
CREATE INDEX IF NOT EXISTS coding_jobs_held_idx
  ON {schema}.coding_jobs (lease_owner, started_at, id) INCLUDE (kind, lease_expires_at)
  WHERE status = 'processing';
