-- MobVibe Queue migration 6: an index for reading a session's jobs at size (the dashboard).
-- The index is built online by the migration runner (CREATE INDEX CONCURRENTLY, outside this
-- transaction) on a database that has rows.

-- A session's jobs, newest first: the job list filtered by session. Without it that filter walks
-- the status index and reads every job it passes until it finds the session's.
CREATE INDEX IF NOT EXISTS coding_jobs_session_idx
  ON {schema}.coding_jobs (session_id, created_at DESC, id DESC)
  WHERE session_id IS NOT NULL;
