package dev.mobvibe.queue.dashboard;

/**
 * The dashboard's statements, each written to use the indexes the migrations create, so pages stay
 * fast on a table of millions of rows (a test checks their plans on 1,000,000 rows).
 *
 * <p>The only index that orders {@code coding_jobs} by time is {@code (status, priority DESC,
 * created_at)}. {@link #STATUS_PRIORITY_PAIRS} walks it to find the (status, priority) pairs that
 * exist, one index probe per pair (a "loose index scan"); the statements then read each pair's
 * slice of that index in {@code created_at} order and merge the slices. Priorities are few (0 to
 * 100, three plan tiers in practice), so the walk is cheap.
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
   * Per (status, priority): the number of jobs, counted up to a cap (an index-only scan that stops
   * at the cap), and the oldest creation time. Parameters: statuses, cap of the finished statuses
   * (completed, cancelled), cap of the others.
   */
  static final String JOBS_COUNT_BY_STATUS_PRIORITY =
      STATUS_PRIORITY_PAIRS
          + """
          SELECT p.status, p.priority,
                 (SELECT count(*) FROM (SELECT 1 FROM {s}.coding_jobs j
                                         WHERE j.status = p.status AND j.priority = p.priority
                                         ORDER BY j.created_at DESC
                                         LIMIT CASE WHEN p.status IN ('completed', 'cancelled')
                                                    THEN ? ELSE ? END) c) AS jobs,
                 (SELECT min(j.created_at) FROM {s}.coding_jobs j
                   WHERE j.status = p.status AND j.priority = p.priority) AS oldest
            FROM p
           WHERE p.priority IS NOT NULL
          """;

  /**
   * Per (status, kind) for the statuses given: the number of jobs, reading at most a cap of rows
   * per (status, priority) pair. Parameters: statuses, cap.
   */
  static final String JOBS_COUNT_BY_STATUS_KIND =
      STATUS_PRIORITY_PAIRS
          + """
          SELECT x.status, x.kind, count(*) AS jobs
            FROM p CROSS JOIN LATERAL (
                   SELECT j.status, j.kind FROM {s}.coding_jobs j
                    WHERE j.status = p.status AND j.priority = p.priority
                    ORDER BY j.created_at DESC
                    LIMIT ?) x
           WHERE p.priority IS NOT NULL
           GROUP BY x.status, x.kind
           ORDER BY x.kind, x.status
          """;

  /**
   * Completions and failed attempts per minute of the last hour. Completions, and the failed
   * attempts of jobs that finished, come from the index of finished jobs by completion time, one
   * status at a time (with the statuses as a list the planner scans the whole index); the failed
   * attempts of jobs being retried from the processing jobs and from the pending jobs due since an
   * hour ago (a retried job is due after its failure), walked one kind at a time through the
   * kind-first index of pending jobs ({@code OFFSET 0} keeps that walk from being flattened into a
   * join). No parameter. Result: what ({@code completed} or {@code failed}), minutes_ago (0 to 59),
   * jobs.
   */
  static final String JOBS_RECENT_ACTIVITY =
      """
      WITH RECURSIVE k(kind) AS (
        SELECT min(j.kind) FROM {s}.coding_jobs j WHERE j.status = 'pending'
        UNION ALL
        SELECT (SELECT min(j.kind) FROM {s}.coding_jobs j
                 WHERE j.status = 'pending' AND j.kind > k.kind)
          FROM k WHERE k.kind IS NOT NULL
      ), recent AS (
        SELECT j.status, j.completed_at, j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'completed' AND j.completed_at > now() - interval '1 hour'
        UNION ALL
        SELECT j.status, j.completed_at, j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'failed' AND j.completed_at > now() - interval '1 hour'
        UNION ALL
        SELECT j.status, j.completed_at, j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'cancelled' AND j.completed_at > now() - interval '1 hour'
        UNION ALL
        SELECT j.status, j.completed_at, j.errors FROM {s}.coding_jobs j
         WHERE j.status = 'processing' AND j.errors <> '[]'::jsonb
        UNION ALL
        SELECT x.status, x.completed_at, x.errors
          FROM k CROSS JOIN LATERAL (
                 SELECT j.status, j.completed_at, j.errors FROM {s}.coding_jobs j
                  WHERE j.kind = k.kind AND j.status = 'pending'
                    AND j.run_at > now() - interval '1 hour' AND j.errors <> '[]'::jsonb
                 OFFSET 0) x
         WHERE k.kind IS NOT NULL
      )
      SELECT 'completed' AS what,
             floor(extract(epoch FROM now() - completed_at) / 60)::int AS minutes_ago,
             count(*) AS jobs
        FROM recent
       WHERE status = 'completed'
       GROUP BY 2
      UNION ALL
      SELECT 'failed',
             floor(extract(epoch FROM now() - (e.value->>'at')::timestamptz) / 60)::int,
             count(*)
        FROM recent CROSS JOIN LATERAL jsonb_array_elements(
               CASE jsonb_typeof(recent.errors) WHEN 'array' THEN recent.errors
                    ELSE '[]'::jsonb END) e
       WHERE jsonb_typeof(e.value->'at') = 'string'
         AND (e.value->>'at')::timestamptz > now() - interval '1 hour'
       GROUP BY 2
      """;

  /**
   * The jobs workers hold, oldest claim first, served by the partial index on processing jobs.
   * Parameter: limit.
   */
  static final String JOBS_HELD =
      """
      SELECT j.lease_owner, j.id, j.kind, j.started_at, j.lease_expires_at
        FROM {s}.coding_jobs j
       WHERE j.status = 'processing'
       ORDER BY j.lease_owner, j.started_at, j.id
       LIMIT ?
      """;

  /**
   * One page of the job list, newest first, keyset-paged by (created_at, id). Parameters: statuses,
   * created_at bound, created_at bound, id bound, kind or null, kind or null, session id or null,
   * session id or null, limit, lowest priority, highest priority, limit.
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
                      AND (?::uuid IS NULL OR j.session_id = ?)
                    ORDER BY j.created_at DESC, j.id DESC
                    LIMIT ?) x
           WHERE p.priority IS NOT NULL AND p.priority >= ? AND p.priority <= ?
           ORDER BY x.created_at DESC, x.id DESC
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
    JOBS_COUNT_BY_STATUS_PRIORITY,
    JOBS_COUNT_BY_STATUS_KIND,
    JOBS_RECENT_ACTIVITY,
    JOBS_HELD,
    JOBS_PAGE,
    SESSIONS_FIND,
    SESSION_EVENTS_LIST
  };

  /** The statement for a schema. */
  static String in(String schema, String statement) {
    return statement.replace("{s}", '"' + schema + '"');
  }
}
