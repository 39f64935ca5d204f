package dev.mobvibe.queue.dashboard;

/**
 * The dashboard's statements, each written to use the indexes the migrations create, so pages stay
 * fast on a table of millions of rows (a test checks their plans on 1,000,000 rows).
 *
 * <p>The index that orders all of {@code coding_jobs} by time is {@code (status, priority DESC,
 * created_at)}. {@link #STATUS_PRIORITY_PAIRS} walks it to find the (status, priority) pairs that
 * exist, one index probe per pair (a "loose index scan"); the statements then read each pair's
 * slice of that index in {@code created_at} order and merge the slices. Priorities are few (0 to
 * 100, three plan tiers in practice), so the walk is cheap. Migration 6 adds the index of a
 * session's jobs by time, for the session filter. Processing jobs are read whole, through their
 * partial index: they are as many as the workers run at once, not the table's size.
 *
 * <p>{@code {s}} stands for the queue's schema, an identifier the queue validated when it was
 * built.
 */
final class DashboardSql {
  private DashboardSql() {}

  /**
   * A CTE {@code p(status, priority)}: the distinct pairs among the statuses given as the first
   * parameter ({@code text[]}), found by walking the status index downwards. Ends with a row whose
   * priority is null per status: filter it out.
   */
  static final String STATUS_PRIORITY_PAIRS =
      """
      WITH RECURSIVE p(status, priority) AS (
        SELECT s.status,
               (SELECT max(j.priority) FROM {s}.coding_jobs j WHERE j.status = s.status)
          FROM unnest(?::text[]) AS s(status)
        UNION ALL
        SELECT p.status,
               (SELECT max(j.priority) FROM {s}.coding_jobs j
                 WHERE j.status = p.status AND j.priority < p.priority)
          FROM p WHERE p.priority IS NOT NULL
      )
      """;

  /**
   * What the planner knows of {@code coding_jobs}, free to read: its row count ({@code
   * pg_class.reltuples}, below zero before the first VACUUM or ANALYZE) and the share of each
   * status in ANALYZE's sample ({@code pg_stats}; null before the first ANALYZE). Parameter: the
   * schema name. Result: reltuples, statuses ({@code text[]}), their shares ({@code real[]}).
   */
  static final String JOBS_TABLE_STATISTICS =
      """
      SELECT c.reltuples, st.most_common_vals::text::text[] AS statuses,
             st.most_common_freqs AS shares
        FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_stats st
          ON st.schemaname = ? AND st.tablename = 'coding_jobs' AND st.attname = 'status'
             AND NOT st.inherited
       WHERE c.oid = '{s}.coding_jobs'::regclass
      """;

  /**
   * A CTE {@code k(kind)}: the kinds that have pending jobs, found by walking the kind-first index
   * of pending jobs upwards, one probe per kind (a loose index scan). Ends with a null kind: filter
   * it out.
   */
  static final String PENDING_KINDS =
      """
      WITH RECURSIVE k(kind) AS (
        SELECT min(j.kind) FROM {s}.coding_jobs j WHERE j.status = 'pending'
        UNION ALL
        SELECT (SELECT min(j.kind) FROM {s}.coding_jobs j
                 WHERE j.status = 'pending' AND j.kind > k.kind)
          FROM k WHERE k.kind IS NOT NULL
      )
      """;

  /**
   * Per (status, priority): the number of jobs, counted up to a cap (an index-only scan of the
   * newest that stops at the cap), the creation time of the oldest job counted (how far back the
   * cap reached) and the oldest creation time. Parameters: statuses, cap of the finished statuses
   * (completed, failed, cancelled), cap of the others.
   */
  static final String JOBS_COUNT_BY_STATUS_PRIORITY =
      STATUS_PRIORITY_PAIRS
          + """
          SELECT p.status, p.priority, c.jobs, c.reached,
                 (SELECT min(j.created_at) FROM {s}.coding_jobs j
                   WHERE j.status = p.status AND j.priority = p.priority) AS oldest
            FROM p CROSS JOIN LATERAL (
                   SELECT count(*) AS jobs, min(n.created_at) AS reached
                     FROM (SELECT j.created_at FROM {s}.coding_jobs j
                            WHERE j.status = p.status AND j.priority = p.priority
                            ORDER BY j.created_at DESC
                            LIMIT CASE WHEN p.status IN ('completed', 'failed', 'cancelled')
                                       THEN ? ELSE ? END) n) c
           WHERE p.priority IS NOT NULL
          """;

  /**
   * Per kind: pending jobs counted up to a cap per kind, walking the kinds through the kind-first
   * index of pending jobs (index-only); every processing job, through the partial index of
   * processing jobs (as many as the workers run at once, not the table's size); and the newest
   * failed jobs up to a cap, through the index of finished jobs. Parameters: pending cap, failed
   * cap. Result: status, kind, jobs.
   */
  static final String JOBS_COUNT_BY_KIND =
      PENDING_KINDS
          + """
      SELECT 'pending' AS status, k.kind,
             (SELECT count(*) FROM (SELECT 1 FROM {s}.coding_jobs j
                                     WHERE j.status = 'pending' AND j.kind = k.kind
                                     LIMIT ?) c) AS jobs
        FROM k
       WHERE k.kind IS NOT NULL
      UNION ALL
      SELECT 'processing', j.kind, count(*)
        FROM {s}.coding_jobs j WHERE j.status = 'processing'
       GROUP BY j.kind
      UNION ALL
      SELECT 'failed', f.kind, count(*)
        FROM (SELECT j.kind FROM {s}.coding_jobs j WHERE j.status = 'failed'
               ORDER BY j.completed_at DESC LIMIT ?) f
       GROUP BY f.kind
      """;

  /**
   * Completions and failed attempts per minute of the last hour. Completions are counted from the
   * index of finished jobs by completion time alone (index-only). Failed attempts come from the
   * {@code errors} history of the jobs that can hold one of the last hour, and only those rows are
   * read: jobs that finished in the last hour and have an error (one finished status at a time:
   * with the statuses as a list the planner scans the whole table); processing jobs that started in
   * the last hour (an attempt's error is recorded before the next attempt starts), through the
   * partial index of processing jobs; pending jobs due since an hour ago (a retried job is due
   * after its failure), walked one kind at a time through the kind-first index of pending jobs.
   * {@code OFFSET 0} keeps each walk from being flattened into a join. No parameter. Result: what
   * ({@code completed} or {@code failed}), minutes_ago (0 to 59), jobs.
   */
  static final String JOBS_RECENT_ACTIVITY =
      PENDING_KINDS
          + """
      , failing AS (
        SELECT j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'completed' AND j.completed_at > now() - interval '1 hour'
           AND j.errors <> '[]'::jsonb
        UNION ALL
        SELECT j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'failed' AND j.completed_at > now() - interval '1 hour'
           AND j.errors <> '[]'::jsonb
        UNION ALL
        SELECT j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'cancelled' AND j.completed_at > now() - interval '1 hour'
           AND j.errors <> '[]'::jsonb
        UNION ALL
        SELECT j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'processing'
           AND j.started_at > now() - interval '1 hour' AND j.errors <> '[]'::jsonb
        UNION ALL
        SELECT x.errors
          FROM k CROSS JOIN LATERAL (
                 SELECT j.errors FROM {s}.coding_jobs j
                  WHERE j.kind = k.kind AND j.status = 'pending'
                    AND j.run_at > now() - interval '1 hour' AND j.errors <> '[]'::jsonb
                 OFFSET 0) x
         WHERE k.kind IS NOT NULL
      )
      SELECT 'completed' AS what,
             floor(date_part('epoch', now() - j.completed_at) / 60)::int AS minutes_ago,
             count(*) AS jobs
        FROM {s}.coding_jobs j
       WHERE j.status = 'completed' AND j.completed_at > now() - interval '1 hour'
       GROUP BY 2
      UNION ALL
      SELECT 'failed',
             floor(date_part('epoch', now() - (e.value->>'at')::timestamptz) / 60)::int,
             count(*)
        FROM failing CROSS JOIN LATERAL jsonb_array_elements(
               CASE jsonb_typeof(failing.errors) WHEN 'array' THEN failing.errors
                    ELSE '[]'::jsonb END) e
       WHERE jsonb_typeof(e.value->'at') = 'string'
         AND (e.value->>'at')::timestamptz > now() - interval '1 hour'
       GROUP BY 2
      """;

  /**
   * Per worker holding jobs: how many it holds, its earliest lease expiry, and its oldest claims up
   * to a limit, in one pass over the processing jobs (the partial index of processing jobs: as many
   * rows as the workers run at once, not the table's size; an index of their own would cost every
   * claim and completion an entry, which halved the drain). Processing jobs without an owner
   * (claimed before migration 2) form a group of their own. Parameters: limit per worker, limit of
   * the jobs without owner. Result: lease_owner (null for none), held, next_expiry, id, kind,
   * started_at, lease_expires_at.
   */
  static final String JOBS_HELD =
      """
      SELECT x.owner, x.held, x.next_expiry, x.id, x.kind, x.started_at, x.lease_expires_at
        FROM (SELECT j.lease_owner AS owner,
                     count(*) OVER (PARTITION BY j.lease_owner) AS held,
                     min(j.lease_expires_at) OVER (PARTITION BY j.lease_owner) AS next_expiry,
                     row_number() OVER (PARTITION BY j.lease_owner
                                        ORDER BY j.started_at, j.id) AS n,
                     j.id, j.kind, j.started_at, j.lease_expires_at
                FROM {s}.coding_jobs j
               WHERE j.status = 'processing') x
       WHERE x.n <= CASE WHEN x.owner IS NOT NULL THEN ? ELSE ? END
      """;

  /**
   * One page of the job list, newest first, keyset-paged by (created_at, id). Parameters: statuses,
   * created_at bound, created_at bound, id bound, kind or null, kind or null, limit, lowest
   * priority, highest priority, limit.
   */
  static final String JOBS_PAGE =
      STATUS_PRIORITY_PAIRS
          + """
          SELECT x.id, x.kind, x.status, x.priority, x.session_id, x.created_at, x.retry_count,
                 x.max_retries, x.error_message, x.lease_owner, x.summary
            FROM p CROSS JOIN LATERAL (
                   SELECT j.id, j.kind, j.status, j.priority, j.session_id, j.created_at,
                          j.retry_count, j.max_retries, left(j.error_message, 200) AS error_message,
                          j.lease_owner,
                          left(coalesce(j.prompt, j.args::text), 160) AS summary
                     FROM {s}.coding_jobs j
                    WHERE j.status = p.status AND j.priority = p.priority
                      AND j.created_at <= ?
                      AND (j.created_at, j.id) < (?, ?::uuid)
                      AND (?::text IS NULL OR j.kind = ?)
                    ORDER BY j.created_at DESC, j.id DESC
                    LIMIT ?) x
           WHERE p.priority IS NOT NULL AND p.priority >= ? AND p.priority <= ?
           ORDER BY x.created_at DESC, x.id DESC
           LIMIT ?
          """;

  /**
   * One page of a session's jobs, newest first, keyset-paged by (created_at, id) through the index
   * of a session's jobs: it reads the session's jobs only, so it costs what the session's size
   * costs, whatever the table's. Parameters: session id, created_at bound, created_at bound, id
   * bound, statuses, kind or null, kind or null, lowest priority, highest priority, limit.
   */
  static final String JOBS_PAGE_OF_SESSION =
      """
      SELECT j.id, j.kind, j.status, j.priority, j.session_id, j.created_at, j.retry_count,
             j.max_retries, left(j.error_message, 200) AS error_message, j.lease_owner,
             left(coalesce(j.prompt, j.args::text), 160) AS summary
        FROM {s}.coding_jobs j
       WHERE j.session_id = ?
         AND j.created_at <= ?
         AND (j.created_at, j.id) < (?, ?::uuid)
         AND j.status = ANY (?::text[])
         AND (?::text IS NULL OR j.kind = ?)
         AND j.priority >= ? AND j.priority <= ?
       ORDER BY j.created_at DESC, j.id DESC
       LIMIT ?
      """;

  /** A coding session's status. Parameter: session id. */
  static final String SESSIONS_FIND =
      """
      SELECT s.status, s.error_message FROM {s}.coding_sessions s WHERE s.id = ?
      """;

  /**
   * A session's events, oldest first, served by the index on (session_id, created_at). Parameters:
   * session id, limit.
   */
  static final String SESSION_EVENTS_LIST =
      """
      SELECT e.event_type, e.event_data::text AS event_data, e.created_at
        FROM {s}.session_events e
       WHERE e.session_id = ?
       ORDER BY e.created_at, e.id
       LIMIT ?
      """;

  /** Every statement, for the plan and prepare tests. */
  static final String[] ALL = {
    JOBS_TABLE_STATISTICS,
    JOBS_COUNT_BY_STATUS_PRIORITY,
    JOBS_COUNT_BY_KIND,
    JOBS_RECENT_ACTIVITY,
    JOBS_HELD,
    JOBS_PAGE,
    JOBS_PAGE_OF_SESSION,
    SESSIONS_FIND,
    SESSION_EVENTS_LIST
  };

  /** The statement for a schema. */
  static String in(String schema, String statement) {
    return statement.replace("{s}", '"' + schema + '"');
  }
}
