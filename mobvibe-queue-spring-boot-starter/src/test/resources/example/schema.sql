CREATE TABLE IF NOT EXISTS signups (
  email text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
