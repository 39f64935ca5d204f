package dev.mobvibe.queue.internal;

/**
 * Every statement the SDK runs against {@code coding_jobs}, {@code coding_sessions} and {@code
 * session_events}, for one schema. Bind parameters only; the schema name is validated once by
 * {@link Identifiers#checkSchema(String)} and is the only text spliced in. Internal API.
 *
 * <p>A step that acts on the rows an earlier step returned finds them with {@code id =
 * ANY(ARRAY(SELECT ...))}, not with a join: the planner then probes the primary key whatever the
 * table statistics say, where a join of a large batch may be planned as a hash join over a full
 * scan of every job or session the database has ever kept. Session events are written from the
 * locked previous states directly, so no step joins two earlier steps' outputs.
 */
public final class JobsSql {

  /**
   * The lease fence of a worker's batch statements, after {@code FROM} with the jobs aliased {@code
   * j}: the rows of the given ids that this owner still holds at the retry count it claimed them
   * with. Parameters: ids (uuid[]), retry counts (int[]), owner.
   */
  private static final String LEASED =
      """
      unnest(?::uuid[], ?::int[]) AS t(id, retry_count)
       WHERE j.id = t.id AND j.retry_count = t.retry_count
         AND j.status = 'processing' AND j.lease_owner = ?""";

  /** The columns every job query returns, in the order {@link JobRows#map} reads them. */
  static final String JOB_COLUMNS = columns("");

  private static String columns(String alias) {
    String a = alias.isEmpty() ? "" : alias + ".";
    return String.join(
        ", ",
        a + "id",
        a + "session_id",
        a + "prompt",
        a + "priority",
        a + "status",
        a + "retry_count",
        a + "max_retries",
        a + "run_at",
        a + "created_at",
        a + "started_at",
        a + "completed_at",
        a + "error_message",
        a + "idempotency_key",
        a + "lease_owner",
        a + "lease_expires_at",
        a + "errors::text AS errors");
  }

  /**
   * Inserts sessions and jobs from parallel arrays in one statement. Parameters: new session ids
   * (uuid[]), job ids (uuid[]), session ids (uuid[]), prompts (text[]), priorities (int[]), max
   * attempts (int[]), run-at times (timestamptz[], null for now plus delay), delays in seconds
   * (float8[]), idempotency keys (text[]). Jobs whose key exists are skipped, and so are their new
   * sessions.
   */
  final String jobsInsertBatch;

  /** Jobs by idempotency key. Parameter: keys (text[]). */
  final String jobsSelectByIdempotencyKeys;

  /** One job by id. Parameter: id. */
  final String jobsSelectById;

  /**
   * Claims up to N pending jobs that are due, highest priority first, oldest first, with SKIP
   * LOCKED, and marks their sessions active (with a state_changed event when a session changes).
   * Parameters: limit, lease owner, lease seconds (float8).
   */
  final String jobsClaimBatch;

  /**
   * {@link #jobsReapExpired} and {@link #jobsClaimBatch} in one statement, so reaping costs no
   * round trip of its own. Parameters: reap limit, claim limit (0 to only reap), lease owner, lease
   * seconds. Result: the claimed rows with two trailing null columns, plus one row whose id is null
   * carrying the reaped counts (back to pending, dead-lettered) in those two columns.
   */
  final String jobsClaimAndReapBatch;

  /** {@link #jobsClaimAndReapBatch} without the session updates and events of the claim. */
  final String jobsClaimAndReapBatchJobsOnly;

  /** {@link #jobsClaimBatch} without the session updates and events. Same parameters. */
  final String jobsClaimBatchJobsOnly;

  /** {@link #jobsCompleteLeasedBatch} without the session updates and events. */
  final String jobsCompleteLeasedBatchJobsOnly;

  /**
   * Completes a job without a lease check, reporting the status it had. Parameters: id, id. Result:
   * previous status (null when the job does not exist), whether this call completed it.
   */
  final String jobsComplete;

  /**
   * Completes many leased jobs in one statement, fenced on owner and attempt, and completes their
   * sessions. Parameters: ids (uuid[]), retry counts (int[]), owner. Result: completed ids.
   */
  final String jobsCompleteLeasedBatch;

  /**
   * Records a failed attempt: back to pending after a delay while attempts remain and the failure
   * is retryable, else failed (dead letter) with the session failed. Parameters: id, retryable,
   * delays in seconds indexed by failed attempt (float8[], the last entry serves later attempts),
   * error, owner or null (no fence), expected retry count or null (no fence). Result: previous
   * status (null when the job does not exist), new status (null when nothing matched).
   */
  final String jobsFail;

  /** Cancels a pending or processing job. Parameters: id, id. Result: previous status, changed. */
  final String jobsCancel;

  /**
   * Returns a failed job to pending with fresh attempts and its session to pending. Parameters: id,
   * id. Result: previous status, changed.
   */
  final String jobsReplay;

  /**
   * Extends the leases of running jobs. Parameters: lease seconds, ids (uuid[]), retry counts
   * (int[]), owner. Result: ids still held.
   */
  final String jobsExtendLeases;

  /**
   * Running jobs still held by their owner under an unexpired lease. Parameters: ids (uuid[]),
   * retry counts (int[]), owner. Result: ids held.
   */
  final String jobsLeasesHeld;

  /**
   * Returns processing jobs whose lease expired (or that never had one), counting the attempt as
   * failed. Parameters: limit. Result: id, new status, previous lease owner.
   */
  final String jobsReapExpired;

  /**
   * Returns claimed jobs that never started to pending without spending an attempt. Parameters: ids
   * (uuid[]), retry counts (int[]), owner. Result: released ids.
   */
  final String jobsReleaseLeased;

  /** Statistics in one scan. No parameters. */
  final String jobsStats;

  /**
   * Appends session events from parallel arrays. Parameters: session ids (uuid[]), types (text[]),
   * data (jsonb[] as text[]), times (timestamptz[]).
   */
  final String sessionEventsInsertBatch;

  /** Lists recent jobs, newest first. Parameters: status or null, limit. */
  final String jobsListRecent;

  /**
   * Deletes completed and cancelled jobs older than a cutoff, in bounded batches. Parameters:
   * seconds of age (float8), limit. Result: deleted count.
   */
  final String jobsPruneFinished;

  /**
   * Cuts the prev/sess/events steps out of a statement built as job step, session steps, select.
   */
  private static String withoutSessionSteps(String statement) {
    int from = statement.indexOf("),\nprev AS (");
    int to = statement.indexOf("\nSELECT ", from);
    if (from < 0 || to < 0) {
      throw new IllegalStateException("statement has no session steps to remove");
    }
    return statement.substring(0, from + 1) + statement.substring(to);
  }

  /**
   * Joins the reaper's steps (renamed r_*) and a claim's steps into one statement. A session that
   * the reaper fails is left alone by the claim's session steps, so no row is updated twice.
   */
  private static String claimAndReap(String reap, String claim) {
    String reapSteps = reap.substring(0, reap.lastIndexOf("\nSELECT "));
    for (String name : new String[] {"upd", "prev", "sess", "events"}) {
      reapSteps = reapSteps.replaceAll("\\b" + name + "\\b", "r_" + name);
    }
    String claimSteps = claim.substring("WITH ".length(), claim.lastIndexOf("\nSELECT "));
    claimSteps =
        claimSteps.replace(
            "AND cs.status IS DISTINCT FROM 'active'",
            "AND cs.status IS DISTINCT FROM 'active'\n"
                + "     AND cs.id NOT IN (SELECT session_id FROM r_upd)");
    String nulls =
        "NULL::uuid, NULL::uuid, NULL::text, NULL::int, NULL::text, NULL::int, NULL::int,"
            + " NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,"
            + " NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::text";
    return reapSteps
        + ",\n"
        + claimSteps
        + "\nSELECT claimed.*, NULL::bigint AS reaped_pending, NULL::bigint AS reaped_failed"
        + " FROM claimed\nUNION ALL\nSELECT "
        + nulls
        + ", (SELECT count(*) FROM r_upd WHERE status = 'pending'),"
        + " (SELECT count(*) FROM r_upd WHERE status = 'failed')";
  }

  /**
   * Builds the statements for a schema.
   *
   * @param schema a schema name already checked by {@link Identifiers#checkSchema(String)}
   */
  public JobsSql(String schema) {
    String s = Identifiers.checkSchema(schema);
    jobsInsertBatch =
        """
        WITH input AS (
          SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::int[], ?::int[],
                               ?::timestamptz[], ?::float8[], ?::text[])
            AS t(new_session_id, id, session_id, prompt, priority, max_retries, run_at, delay_secs,
                 idempotency_key)
        ),
        sessions AS (
          INSERT INTO {s}.coding_sessions (id, status)
          SELECT i.new_session_id, 'pending' FROM input i
          WHERE i.new_session_id IS NOT NULL
            AND (i.idempotency_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM {s}.coding_jobs j WHERE j.idempotency_key = i.idempotency_key))
          RETURNING id
        )
        INSERT INTO {s}.coding_jobs
          (id, session_id, prompt, priority, max_retries, run_at, idempotency_key)
        SELECT i.id, coalesce(i.session_id, i.new_session_id), i.prompt, i.priority, i.max_retries,
               coalesce(i.run_at, now() + make_interval(secs => i.delay_secs)), i.idempotency_key
          FROM input i
        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING {cols}
        """
            .replace("{cols}", JOB_COLUMNS)
            .replace("{s}", s);
    jobsSelectByIdempotencyKeys =
        "SELECT " + JOB_COLUMNS + " FROM " + s + ".coding_jobs WHERE idempotency_key = ANY(?)";
    jobsSelectById = "SELECT " + JOB_COLUMNS + " FROM " + s + ".coding_jobs WHERE id = ?";
    jobsClaimBatch =
        """
        WITH next AS (
          SELECT id FROM {s}.coding_jobs
           WHERE status = 'pending' AND run_at <= now()
           ORDER BY priority DESC, created_at, id
           LIMIT ?
           FOR UPDATE SKIP LOCKED
        ),
        claimed AS (
          UPDATE {s}.coding_jobs j
             SET status = 'processing', started_at = now(), updated_at = now(), lease_owner = ?,
                 lease_expires_at = now() + make_interval(secs => ?)
           WHERE j.id = ANY(ARRAY(SELECT id FROM next))
          RETURNING {cols}
        ),
        prev AS (
          SELECT cs.id, cs.status FROM {s}.coding_sessions cs
           WHERE cs.id = ANY(ARRAY(SELECT session_id FROM claimed))
             AND cs.status IS DISTINCT FROM 'active'
           ORDER BY cs.id
           FOR UPDATE
        ),
        sess AS (
          UPDATE {s}.coding_sessions cs
             SET status = 'active', started_at = coalesce(cs.started_at, now()), updated_at = now()
           WHERE cs.id = ANY(ARRAY(SELECT id FROM prev))
        ),
        events AS (
          INSERT INTO {s}.session_events (session_id, event_type, event_data)
          SELECT prev.id, 'state_changed', jsonb_build_object('from', prev.status, 'to', 'active')
            FROM prev
        )
        SELECT * FROM claimed ORDER BY priority DESC, created_at, id
        """
            .replace("{cols}", columns("j"))
            .replace("{s}", s);
    jobsComplete =
        """
        WITH cur AS (SELECT status FROM {s}.coding_jobs WHERE id = ?),
        done AS (
          UPDATE {s}.coding_jobs
             SET status = 'completed', completed_at = now(), updated_at = now(), lease_owner = NULL,
                 lease_expires_at = NULL
           WHERE id = ? AND status = 'processing'
          RETURNING id, session_id
        ),
        prev AS (
          SELECT cs.id, cs.status FROM {s}.coding_sessions cs
           WHERE cs.id IN (SELECT session_id FROM done) AND cs.status IS DISTINCT FROM 'completed'
           FOR UPDATE
        ),
        sess AS (
          UPDATE {s}.coding_sessions cs
             SET status = 'completed', completed_at = now(), updated_at = now()
            FROM prev
           WHERE cs.id = prev.id
          RETURNING cs.id
        ),
        events AS (
          INSERT INTO {s}.session_events (session_id, event_type, event_data)
          SELECT prev.id, 'state_changed',
                 jsonb_build_object('from', prev.status, 'to', 'completed')
            FROM prev JOIN sess ON sess.id = prev.id
        )
        SELECT (SELECT status FROM cur), EXISTS (SELECT 1 FROM done)
        """
            .replace("{s}", s);
    jobsCompleteLeasedBatch =
        """
        WITH done AS (
          UPDATE {s}.coding_jobs j
             SET status = 'completed', completed_at = now(), updated_at = now(), lease_owner = NULL,
                 lease_expires_at = NULL
            FROM {leased}
          RETURNING j.id, j.session_id
        ),
        prev AS (
          SELECT cs.id, cs.status FROM {s}.coding_sessions cs
           WHERE cs.id = ANY(ARRAY(SELECT session_id FROM done))
             AND cs.status IS DISTINCT FROM 'completed'
           ORDER BY cs.id
           FOR UPDATE
        ),
        sess AS (
          UPDATE {s}.coding_sessions cs
             SET status = 'completed', completed_at = now(), updated_at = now()
           WHERE cs.id = ANY(ARRAY(SELECT id FROM prev))
        ),
        events AS (
          INSERT INTO {s}.session_events (session_id, event_type, event_data)
          SELECT prev.id, 'state_changed', jsonb_build_object('from', prev.status, 'to', 'completed')
            FROM prev
        )
        SELECT id FROM done
        """
            .replace("{leased}", LEASED)
            .replace("{s}", s);
    jobsClaimBatchJobsOnly = withoutSessionSteps(jobsClaimBatch);
    jobsCompleteLeasedBatchJobsOnly = withoutSessionSteps(jobsCompleteLeasedBatch);
    jobsFail =
        """
        WITH p AS (
          SELECT ?::uuid AS id, ?::boolean AS retryable, ?::float8[] AS delays, ?::text AS error,
                 ?::text AS owner, ?::int AS retry_count
        ),
        cur AS (SELECT j.status FROM {s}.coding_jobs j, p WHERE j.id = p.id),
        upd AS (
          UPDATE {s}.coding_jobs j
             SET retry_count = j.retry_count + 1, updated_at = now(),
                 status = CASE WHEN p.retryable AND j.retry_count + 1 < j.max_retries
                               THEN 'pending' ELSE 'failed' END,
                 run_at = CASE WHEN p.retryable AND j.retry_count + 1 < j.max_retries
                               THEN now() + make_interval(secs => coalesce(
                                 p.delays[least(j.retry_count + 1, cardinality(p.delays))], 0))
                               ELSE j.run_at END,
                 completed_at = CASE WHEN p.retryable AND j.retry_count + 1 < j.max_retries
                                     THEN NULL ELSE now() END,
                 error_message = p.error,
                 errors = j.errors || jsonb_build_array(jsonb_build_object(
                   'attempt', j.retry_count + 1, 'error', left(p.error, 2000), 'at', now(),
                   'worker', j.lease_owner)),
                 lease_owner = NULL, lease_expires_at = NULL
            FROM p
           WHERE j.id = p.id AND j.status = 'processing'
             AND (p.owner IS NULL OR j.lease_owner = p.owner)
             AND (p.retry_count IS NULL OR j.retry_count = p.retry_count)
          RETURNING j.status, j.session_id, j.error_message
        ),
        prev AS (
          SELECT cs.id, cs.status FROM {s}.coding_sessions cs
           WHERE cs.id IN (SELECT session_id FROM upd WHERE status = 'failed')
             AND cs.status IS DISTINCT FROM 'failed'
           FOR UPDATE
        ),
        sess AS (
          UPDATE {s}.coding_sessions cs
             SET status = 'failed', error_message = upd.error_message, updated_at = now()
            FROM upd, prev
           WHERE cs.id = prev.id AND cs.id = upd.session_id
          RETURNING cs.id
        ),
        events AS (
          INSERT INTO {s}.session_events (session_id, event_type, event_data)
          SELECT prev.id, 'state_changed',
                 jsonb_build_object('from', prev.status, 'to', 'failed',
                                    'error', left(upd.error_message, 2000))
            FROM prev JOIN sess ON sess.id = prev.id JOIN upd ON upd.session_id = prev.id
        )
        SELECT (SELECT status FROM cur), (SELECT status FROM upd)
        """
            .replace("{s}", s);
    jobsCancel =
        """
        WITH cur AS (SELECT status FROM {s}.coding_jobs WHERE id = ?),
        upd AS (
          UPDATE {s}.coding_jobs
             SET status = 'cancelled', completed_at = now(), updated_at = now(), lease_owner = NULL,
                 lease_expires_at = NULL
           WHERE id = ? AND status IN ('pending', 'processing')
          RETURNING id
        )
        SELECT (SELECT status FROM cur), EXISTS (SELECT 1 FROM upd)
        """
            .replace("{s}", s);
    jobsReplay =
        """
        WITH cur AS (SELECT status FROM {s}.coding_jobs WHERE id = ?),
        upd AS (
          UPDATE {s}.coding_jobs
             SET status = 'pending', retry_count = 0, run_at = now(), started_at = NULL, updated_at = now(),
                 completed_at = NULL, error_message = NULL, lease_owner = NULL,
                 lease_expires_at = NULL
           WHERE id = ? AND status = 'failed'
          RETURNING session_id
        ),
        sess AS (
          UPDATE {s}.coding_sessions cs
             SET status = 'pending', error_message = NULL, updated_at = now()
            FROM upd
           WHERE cs.id = upd.session_id AND cs.status = 'failed'
          RETURNING cs.id
        ),
        events AS (
          INSERT INTO {s}.session_events (session_id, event_type, event_data)
          SELECT id, 'state_changed', jsonb_build_object('from', 'failed', 'to', 'pending')
            FROM sess
        )
        SELECT (SELECT status FROM cur), EXISTS (SELECT 1 FROM upd)
        """
            .replace("{s}", s);
    jobsExtendLeases =
        """
        UPDATE {s}.coding_jobs j
           SET lease_expires_at = now() + make_interval(secs => ?), updated_at = now()
          FROM {leased}
        RETURNING j.id
        """
            .replace("{leased}", LEASED)
            .replace("{s}", s);
    jobsLeasesHeld =
        """
        SELECT j.id FROM {s}.coding_jobs j, {leased} AND j.lease_expires_at > now()
        """
            .replace("{leased}", LEASED)
            .replace("{s}", s);
    jobsReapExpired =
        """
        WITH expired AS (
          SELECT id FROM {s}.coding_jobs
           WHERE status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at < now())
           ORDER BY lease_expires_at NULLS FIRST
           LIMIT ?
           FOR UPDATE SKIP LOCKED
        ),
        upd AS (
          UPDATE {s}.coding_jobs j
             SET retry_count = j.retry_count + 1, updated_at = now(),
                 status = CASE WHEN j.retry_count + 1 < j.max_retries THEN 'pending' ELSE 'failed' END,
                 run_at = now(),
                 completed_at = CASE WHEN j.retry_count + 1 < j.max_retries THEN NULL ELSE now() END,
                 error_message = 'worker lost: lease of ' || coalesce(j.lease_owner, 'an unknown worker')
                                 || ' expired',
                 errors = j.errors || jsonb_build_array(jsonb_build_object(
                   'attempt', j.retry_count + 1,
                   'error', 'worker lost: lease of ' || coalesce(j.lease_owner, 'an unknown worker')
                            || ' expired',
                   'at', now(), 'worker', j.lease_owner)),
                 lease_owner = NULL, lease_expires_at = NULL
           WHERE j.id = ANY(ARRAY(SELECT id FROM expired))
          RETURNING j.id, j.session_id, j.status, j.error_message
        ),
        prev AS (
          SELECT cs.id, cs.status FROM {s}.coding_sessions cs
           WHERE cs.id = ANY(ARRAY(SELECT session_id FROM upd WHERE status = 'failed'))
             AND cs.status IS DISTINCT FROM 'failed'
           ORDER BY cs.id
           FOR UPDATE
        ),
        sess AS (
          UPDATE {s}.coding_sessions cs
             SET status = 'failed', error_message = upd.error_message, updated_at = now()
            FROM upd, prev
           WHERE cs.id = ANY(ARRAY(SELECT id FROM prev)) AND cs.id = prev.id
             AND cs.id = upd.session_id
        ),
        events AS (
          INSERT INTO {s}.session_events (session_id, event_type, event_data)
          SELECT prev.id, 'state_changed', jsonb_build_object('from', prev.status, 'to', 'failed')
            FROM prev
        )
        SELECT id, status FROM upd
        """
            .replace("{s}", s);
    jobsClaimAndReapBatch = claimAndReap(jobsReapExpired, jobsClaimBatch);
    jobsClaimAndReapBatchJobsOnly = claimAndReap(jobsReapExpired, jobsClaimBatchJobsOnly);
    jobsReleaseLeased =
        """
        UPDATE {s}.coding_jobs j
           SET status = 'pending', started_at = NULL, updated_at = now(), lease_owner = NULL,
               lease_expires_at = NULL
          FROM {leased}
        RETURNING j.id
        """
            .replace("{leased}", LEASED)
            .replace("{s}", s);
    jobsStats =
        """
        SELECT count(*) FILTER (WHERE status = 'pending'),
               count(*) FILTER (WHERE status = 'processing'),
               count(*) FILTER (WHERE status = 'completed'),
               count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE status = 'cancelled'),
               count(*) FILTER (WHERE status = 'pending' AND run_at > now()),
               count(*) FILTER (WHERE status = 'processing'
                                  AND (lease_expires_at IS NULL OR lease_expires_at < now())),
               extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')),
               count(*) FILTER (WHERE status = 'pending' AND priority >= 10),
               count(*) FILTER (WHERE status = 'pending' AND priority >= 5 AND priority < 10),
               count(*) FILTER (WHERE status = 'pending' AND priority < 5)
          FROM {s}.coding_jobs
        """
            .replace("{s}", s);
    sessionEventsInsertBatch =
        """
        INSERT INTO {s}.session_events (session_id, event_type, event_data, created_at)
        SELECT * FROM unnest(?::uuid[], ?::text[], ?::jsonb[], ?::timestamptz[])
        """
            .replace("{s}", s);
    jobsListRecent =
        "SELECT "
            + JOB_COLUMNS
            + " FROM "
            + s
            + ".coding_jobs WHERE (?::text IS NULL OR status = ?) ORDER BY created_at DESC, id"
            + " LIMIT ?";
    jobsPruneFinished =
        """
        WITH old AS (
          SELECT id FROM {s}.coding_jobs
           WHERE status IN ('completed', 'cancelled')
             AND completed_at < now() - make_interval(secs => ?)
           LIMIT ?
           FOR UPDATE SKIP LOCKED
        )
        DELETE FROM {s}.coding_jobs j USING old WHERE j.id = old.id
        """
            .replace("{s}", s);
  }
}
