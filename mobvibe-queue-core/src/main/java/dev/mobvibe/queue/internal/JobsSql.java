package dev.mobvibe.queue.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every statement the SDK runs against {@code coding_jobs}, {@code coding_sessions}, {@code
 * session_events} and {@code coding_job_kinds}, for one schema. Bind parameters only; the schema
 * name is validated once by {@link Identifiers#checkSchema(String)} and is the only text spliced
 * in. Internal API.
 *
 * <p>A statement is written out whole, or composed from the named fragments below: its text holds
 * {@code {name}} placeholders that are filled with the fragment of that name ({@code {s}} with the
 * schema). No statement is made by editing another statement's text, and a placeholder without a
 * fragment fails when the statements are built, not when they run.
 *
 * <p>A step that acts on the rows an earlier step returned finds them with {@code id =
 * ANY(ARRAY(SELECT ...))}, not with a join: the planner then probes the primary key whatever the
 * table statistics say, where a join of a large batch may be planned as a hash join over a full
 * scan of every job or session the database has ever kept. Session events are written from the
 * locked previous states directly, so no step joins two earlier steps' outputs.
 *
 * <p>Why workers whose batches share sessions do not deadlock: every statement changes all its job
 * rows (taken with {@code SKIP LOCKED}, or held under the worker's lease) before it locks any
 * session, so no statement waits for a job row while it holds a session. Then each statement locks
 * all the sessions it will change in one pass, in id order ({@code ORDER BY cs.id FOR NO KEY
 * UPDATE}), before it writes any: statements that share sessions wait for each other in that one
 * order, and a cycle of waits cannot form. A claim that also reaps locks the reaper's and the
 * claim's sessions in the same single pass ({@link #CLAIM_AND_REAP_SESSION_LOCK}); two passes, each
 * in order, could. {@code FOR NO KEY UPDATE} is the lock the update takes anyway; it does not
 * conflict with the {@code KEY SHARE} lock of the foreign-key check of a new job or session event,
 * so a worker's statement never waits for a transaction inserting events or jobs of its sessions
 * (the event writer inserts events of many sessions in one statement, in no particular order).
 */
public final class JobsSql {

  /**
   * The lease fence of a worker's batch statements, after {@code FROM} with the jobs aliased {@code
   * j} and an input {@code t} holding {@code id} and {@code retry_count}: the rows of the given ids
   * that this owner still holds at the retry count it claimed them with. Parameter: owner.
   */
  private static final String LEASE_FENCE =
      """
       WHERE j.id = t.id AND j.retry_count = t.retry_count
         AND j.status = 'processing' AND j.lease_owner = ?""";

  /**
   * {@link #LEASE_FENCE} over the given ids and retry counts, after {@code FROM} with the jobs
   * aliased {@code j}. Parameters: ids (uuid[]), retry counts (int[]), owner.
   */
  private static final String LEASED =
      """
      unnest(?::uuid[], ?::int[]) AS t(id, retry_count)
      {leaseFence}""";

  /**
   * The columns of a job, as every job query returns them; {@link JobRows#map} reads these labels.
   */
  static final String JOB_COLUMNS =
      """
      id, kind, session_id, prompt, priority, status, retry_count, max_retries, run_at, created_at, \
      started_at, completed_at, error_message, idempotency_key, lease_owner, lease_expires_at, \
      errors::text AS errors, args::text AS args, metadata::text AS metadata, \
      output::text AS output, snoozes, concurrency_key""";

  /**
   * A row of the types of {@link #JOB_COLUMNS} with every value null: the row of a claim-and-reap
   * result that carries the reaped counts and no job.
   */
  private static final String NO_JOB =
      """
      NULL::uuid, NULL::text, NULL::uuid, NULL::text, NULL::int, NULL::text, NULL::int, NULL::int, \
      NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::text, \
      NULL::text, NULL::text, NULL::timestamptz, NULL::text, NULL::text, NULL::text, NULL::text, \
      NULL::int, NULL::text""";

  /**
   * Whether the job {@code j} is its key's turn: it has no concurrency key, or no earlier job of
   * its key (by enqueue order, {@code created_at} then id) is pending or processing. Jobs of one
   * key then run one at a time in enqueue order: a claim never sees two turns of a key at once,
   * since the later job's turn needs the earlier one finished and committed. A read from an older
   * snapshot sees the earlier job unfinished, so a race can only delay a turn, never double it.
   */
  private static final String KEY_TURN =
      """
      (j.concurrency_key IS NULL
             OR NOT EXISTS (SELECT 1 FROM {s}.coding_jobs o
                             WHERE o.concurrency_key = j.concurrency_key
                               AND o.status IN ('pending', 'processing')
                               AND (o.created_at, o.id) < (j.created_at, j.id)))""";

  /**
   * The claim's job steps, composed of flow-control steps that are no-ops when their inputs are
   * empty:
   *
   * <ul>
   *   <li>{@code rules}: each running-job limit (kind, key prefix or null for the whole kind, most
   *       running) with the room left, counted from the processing jobs. Exact only when the
   *       statement runs after the limit's lock ({@link #jobsClaimLock}) in the same transaction.
   *   <li>{@code rates}: each rate limit (kind, starts, window seconds) with the room left in the
   *       current window, from {@code coding_job_kinds}; {@code counted} adds this claim's starts.
   *   <li>{@code kinds}: the worker's kinds that are not paused, not at a whole-kind limit and not
   *       out of starts.
   *   <li>{@code tiers}: per kind, the priorities that have pending jobs, highest first, found with
   *       one index probe each (none when the fairness bound is null).
   *   <li>{@code aged}: the jobs below their kind's top priority that have been due longer than the
   *       fairness bound, oldest first, at most half the claim: each tier walked in due order
   *       through {@code coding_jobs_kind_tier_due_idx}, a range that is empty when no job of the
   *       tier has waited that long. Top-priority jobs never need it. {@code fresh}: per kind, the
   *       due jobs in claim order, priority first, through {@code coding_jobs_kind_claim_idx}. Both
   *       walk one kind (and tier) at a time through an index whose order is theirs, lock with
   *       {@code SKIP LOCKED}, and take a job only when it is its key's turn ({@link #KEY_TURN}).
   *   <li>{@code candidates}: aged jobs first (oldest first), then the rest in claim order; {@code
   *       over}: the candidates beyond a limit's or a rate's room; {@code next}: the first N of the
   *       others. Locked rows not taken are released at commit.
   *   <li>{@code claimed}: leases them to the owner and returns their {@link #JOB_COLUMNS}.
   * </ul>
   *
   * Parameters: limit kinds (text[]), limit key prefixes (text[]), limits (int[]), rate kinds
   * (text[]), rate starts (int[]), rate windows in seconds (float8[]), the worker's kinds (text[]),
   * fairness bound in seconds (float8, null for none), aged limit per tier, aged limit, per-kind
   * scan limit, limit, lease owner, lease seconds (float8).
   */
  private static final String CLAIM_JOB_STEPS =
      """
      rules AS (
        SELECT r.kind, r.prefix,
               r.most - (SELECT count(*) FROM {s}.coding_jobs p
                          WHERE p.status = 'processing' AND p.kind = r.kind
                            AND (r.prefix IS NULL OR starts_with(p.concurrency_key, r.prefix))) AS room
          FROM unnest(?::text[], ?::text[], ?::int[]) AS r(kind, prefix, most)
      ),
      rates AS (
        SELECT t.kind, w.window_start,
               t.starts - coalesce((SELECT ck.window_starts FROM {s}.coding_job_kinds ck
                                     WHERE ck.kind = t.kind AND ck.window_start = w.window_start),
                                   0) AS room
          FROM unnest(?::text[], ?::int[], ?::float8[]) AS t(kind, starts, secs),
               LATERAL (SELECT to_timestamp(floor(extract(epoch FROM now()) / t.secs) * t.secs)
                                 AS window_start) w
      ),
      kinds AS (
        SELECT k.kind FROM unnest(?::text[]) AS k(kind)
         WHERE NOT EXISTS (SELECT 1 FROM {s}.coding_job_kinds ck
                            WHERE ck.kind = k.kind AND ck.paused_at IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM rules
                            WHERE rules.kind = k.kind AND rules.prefix IS NULL AND rules.room <= 0)
           AND NOT EXISTS (SELECT 1 FROM rates WHERE rates.kind = k.kind AND rates.room <= 0)
      ),
      tiers AS (
        SELECT kinds.kind, top.p, top.p AS top, f.secs
          FROM kinds, (SELECT ?::float8 AS secs) f,
               LATERAL (SELECT max(j.priority) AS p FROM {s}.coding_jobs j
                         WHERE j.status = 'pending' AND j.kind = kinds.kind) top
         WHERE f.secs IS NOT NULL AND top.p IS NOT NULL
        UNION ALL
        SELECT tiers.kind, lower.p, tiers.top, tiers.secs
          FROM tiers,
               LATERAL (SELECT max(j.priority) AS p FROM {s}.coding_jobs j
                         WHERE j.status = 'pending' AND j.kind = tiers.kind
                           AND j.priority < tiers.p) lower
         WHERE lower.p IS NOT NULL
      ),
      aged AS (
        SELECT a.* FROM tiers, LATERAL (
          SELECT j.id, j.kind, j.concurrency_key, j.priority, j.created_at, j.run_at
            FROM {s}.coding_jobs j
           WHERE j.status = 'pending' AND j.kind = tiers.kind AND j.priority = tiers.p
             AND j.run_at <= now() - make_interval(secs => tiers.secs)
             AND {keyTurn}
           ORDER BY j.run_at, j.id
           LIMIT ?
           FOR UPDATE SKIP LOCKED) a
         WHERE tiers.p < tiers.top
         ORDER BY a.run_at, a.id
         LIMIT ?
      ),
      fresh AS (
        SELECT f.* FROM kinds, LATERAL (
          SELECT j.id, j.kind, j.concurrency_key, j.priority, j.created_at, j.run_at
            FROM {s}.coding_jobs j
           WHERE j.status = 'pending' AND j.kind = kinds.kind AND j.run_at <= now()
             AND j.id <> ALL(ARRAY(SELECT id FROM aged))
             AND {keyTurn}
           ORDER BY j.priority DESC, j.created_at, j.id
           LIMIT ?
           FOR UPDATE SKIP LOCKED) f
      ),
      candidates AS (
        SELECT c.*, row_number() OVER (ORDER BY c.aged_at NULLS LAST, c.priority DESC,
                                                c.created_at, c.id) AS ord
          FROM (SELECT aged.*, aged.run_at AS aged_at FROM aged
                UNION ALL
                SELECT fresh.*, NULL::timestamptz FROM fresh) c
      ),
      over AS (
        SELECT ranked.id FROM (
          SELECT c.id, rules.room,
                 row_number() OVER (PARTITION BY rules.kind, rules.prefix ORDER BY c.ord) AS n
            FROM candidates c
            JOIN rules ON rules.kind = c.kind
                      AND (rules.prefix IS NULL OR starts_with(c.concurrency_key, rules.prefix))
          UNION ALL
          SELECT c.id, rates.room, row_number() OVER (PARTITION BY rates.kind ORDER BY c.ord)
            FROM candidates c JOIN rates ON rates.kind = c.kind
        ) ranked
         WHERE ranked.n > ranked.room
      ),
      next AS (
        SELECT id, kind FROM candidates
         WHERE id <> ALL(ARRAY(SELECT id FROM over))
         ORDER BY ord
         LIMIT ?
      ),
      counted AS (
        INSERT INTO {s}.coding_job_kinds AS ck (kind, window_start, window_starts)
        SELECT rates.kind, rates.window_start,
               (SELECT count(*) FROM next WHERE next.kind = rates.kind)
          FROM rates
        ON CONFLICT (kind) DO UPDATE
           SET window_starts = CASE WHEN ck.window_start = excluded.window_start
                                    THEN ck.window_starts + excluded.window_starts
                                    ELSE excluded.window_starts END,
               window_start = excluded.window_start, updated_at = now()
      ),
      claimed AS (
        UPDATE {s}.coding_jobs j
           SET status = 'processing', started_at = now(), updated_at = now(), lease_owner = ?,
               lease_expires_at = now() + make_interval(secs => ?)
         WHERE j.id = ANY(ARRAY(SELECT id FROM next))
        RETURNING {cols}
      )""";

  /**
   * The claim's session lock, after {@link #CLAIM_JOB_STEPS}: {@code prev} locks, in id order, the
   * sessions of the claimed jobs that are not active yet, and reads their status. A session already
   * active is not locked. No parameters.
   */
  private static final String CLAIM_SESSION_LOCK =
      """
      prev AS (
        SELECT cs.id, cs.status FROM {s}.coding_sessions cs
         WHERE cs.id = ANY(ARRAY(SELECT session_id FROM claimed))
           AND cs.status IS DISTINCT FROM 'active'
         ORDER BY cs.id
         FOR NO KEY UPDATE
      )""";

  /**
   * The claim's session update, after the sessions to activate are locked in {@code prev}: {@code
   * sess} makes them active, setting {@code started_at} the first time. No parameters.
   */
  private static final String CLAIM_SESSION_UPDATE =
      """
      sess AS (
        UPDATE {s}.coding_sessions cs
           SET status = 'active', started_at = coalesce(cs.started_at, now()), updated_at = now()
         WHERE cs.id = ANY(ARRAY(SELECT id FROM prev))
      )""";

  /**
   * The claim's session events, after {@link #CLAIM_SESSION_UPDATE}: {@code events} appends a
   * {@code state_changed} event from the previous status to active for each session in {@code
   * prev}.
   */
  private static final String CLAIM_SESSION_EVENTS =
      """
      events AS (
        INSERT INTO {s}.session_events (session_id, event_type, event_data)
        SELECT prev.id, 'state_changed', jsonb_build_object('from', prev.status, 'to', 'active')
          FROM prev
      )""";

  /**
   * The reaper's job steps: {@code expired} locks up to N processing jobs whose lease has been
   * expired for longer than the grace (so a lease that lapsed while its owner could not reach the
   * database is renewed before anyone reaps it), or that never had a lease and started longer ago
   * than the unleased grace (rows claimed by a seed-era worker, which may still be running them),
   * skipping rows other transactions hold; {@code reaped} counts the attempt as failed, back to
   * pending while attempts remain, else failed (dead letter), and returns id, session_id, status
   * and error_message. Parameters: grace seconds (float8), unleased grace seconds (float8), limit.
   */
  private static final String REAP_JOB_STEPS =
      """
      expired AS (
        SELECT id FROM {s}.coding_jobs
         WHERE status = 'processing'
           AND (lease_expires_at < now() - make_interval(secs => ?)
                OR (lease_expires_at IS NULL
                    AND coalesce(started_at, updated_at) < now() - make_interval(secs => ?)))
         ORDER BY lease_expires_at NULLS FIRST
         LIMIT ?
         FOR UPDATE SKIP LOCKED
      ),
      reaped AS (
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
      )""";

  /**
   * The reaper's session lock, after {@link #REAP_JOB_STEPS}: {@code reaped_prev} locks, in id
   * order, the sessions of dead-lettered jobs that are not failed yet, and reads their status. No
   * parameters.
   */
  private static final String REAP_SESSION_LOCK =
      """
      reaped_prev AS (
        SELECT cs.id, cs.status FROM {s}.coding_sessions cs
         WHERE cs.id = ANY(ARRAY(SELECT session_id FROM reaped WHERE status = 'failed'))
           AND cs.status IS DISTINCT FROM 'failed'
         ORDER BY cs.id
         FOR NO KEY UPDATE
      )""";

  /**
   * The reaper's session steps, after the sessions to fail are locked in {@code reaped_prev}:
   * {@code reaped_sess} fails them with the job's error; {@code reaped_events} appends a {@code
   * state_changed} event to failed for each. No parameters.
   */
  private static final String REAP_SESSION_STEPS =
      """
      reaped_sess AS (
        UPDATE {s}.coding_sessions cs
           SET status = 'failed', error_message = reaped.error_message, updated_at = now()
          FROM reaped, reaped_prev
         WHERE cs.id = ANY(ARRAY(SELECT id FROM reaped_prev)) AND cs.id = reaped_prev.id
           AND cs.id = reaped.session_id
      ),
      reaped_events AS (
        INSERT INTO {s}.session_events (session_id, event_type, event_data)
        SELECT reaped_prev.id, 'state_changed',
               jsonb_build_object('from', reaped_prev.status, 'to', 'failed')
          FROM reaped_prev
      )""";

  /**
   * The session lock of a claim that also reaps, after {@link #REAP_JOB_STEPS} and {@link
   * #CLAIM_JOB_STEPS}, in place of {@link #REAP_SESSION_LOCK} and {@link #CLAIM_SESSION_LOCK}:
   * {@code locked} locks, in one pass in id order, the sessions of dead-lettered jobs that are not
   * failed yet and the sessions of claimed jobs that are not active yet; {@code reaped_prev} and
   * {@code prev} split them. Two passes, each in id order, could deadlock with a statement locking
   * in id order sessions of both. A claimed job's session that the reaper touched (a reaped job of
   * the same session) is left to the reaper, so no session is updated twice. No parameters.
   */
  private static final String CLAIM_AND_REAP_SESSION_LOCK =
      """
      locked AS (
        SELECT cs.id, cs.status FROM {s}.coding_sessions cs
         WHERE (cs.id = ANY(ARRAY(SELECT session_id FROM reaped WHERE status = 'failed'))
                AND cs.status IS DISTINCT FROM 'failed')
            OR (cs.id = ANY(ARRAY(SELECT session_id FROM claimed
                                   WHERE session_id NOT IN (SELECT session_id FROM reaped
                                                             WHERE session_id IS NOT NULL)))
                AND cs.status IS DISTINCT FROM 'active')
         ORDER BY cs.id
         FOR NO KEY UPDATE
      ),
      reaped_prev AS (
        SELECT id, status FROM locked
         WHERE id IN (SELECT session_id FROM reaped WHERE status = 'failed')
      ),
      prev AS (
        SELECT id, status FROM locked
         WHERE id NOT IN (SELECT session_id FROM reaped
                           WHERE status = 'failed' AND session_id IS NOT NULL)
      )""";

  /**
   * The completion's job step: {@code done} completes the jobs of the given ids that this owner
   * still holds ({@link #LEASE_FENCE}), writes each its output, and returns their id and
   * session_id. Parameters: ids (uuid[]), retry counts (int[]), outputs (jsonb[], null for a job
   * without output; a null array for a batch without any), owner.
   */
  private static final String COMPLETE_JOB_STEP =
      """
      done AS (
        UPDATE {s}.coding_jobs j
           SET status = 'completed', completed_at = now(), updated_at = now(), lease_owner = NULL,
               lease_expires_at = NULL, output = t.output
          FROM unnest(?::uuid[], ?::int[], ?::jsonb[]) AS t(id, retry_count, output)
          {leaseFence}
        RETURNING j.id, j.session_id
      )""";

  /**
   * The completion's session steps, after {@link #COMPLETE_JOB_STEP}: {@code prev} locks, in id
   * order, the sessions of the completed jobs that are not completed yet, and reads their status;
   * {@code sess} completes them, setting {@code completed_at}. No parameters.
   */
  private static final String COMPLETE_SESSION_STEPS =
      """
      prev AS (
        SELECT cs.id, cs.status FROM {s}.coding_sessions cs
         WHERE cs.id = ANY(ARRAY(SELECT session_id FROM done))
           AND cs.status IS DISTINCT FROM 'completed'
         ORDER BY cs.id
         FOR NO KEY UPDATE
      ),
      sess AS (
        UPDATE {s}.coding_sessions cs
           SET status = 'completed', completed_at = now(), updated_at = now()
         WHERE cs.id = ANY(ARRAY(SELECT id FROM prev))
      )""";

  /**
   * The completion's session events, after {@link #COMPLETE_SESSION_STEPS}: {@code events} appends
   * a {@code state_changed} event from the previous status to completed for each session completed.
   */
  private static final String COMPLETE_SESSION_EVENTS =
      """
      events AS (
        INSERT INTO {s}.session_events (session_id, event_type, event_data)
        SELECT prev.id, 'state_changed', jsonb_build_object('from', prev.status, 'to', 'completed')
          FROM prev
      )""";

  /**
   * The end of every claim-and-reap statement, after {@link #REAP_JOB_STEPS} and {@link
   * #CLAIM_JOB_STEPS}: the claimed rows with {@code reaped_pending} and {@code reaped_failed} null,
   * then one row of {@link #NO_JOB} carrying the counts of reaped jobs back to pending and
   * dead-lettered.
   */
  private static final String CLAIM_AND_REAP_RESULT =
      """
      SELECT claimed.*, NULL::bigint AS reaped_pending, NULL::bigint AS reaped_failed
        FROM claimed
      UNION ALL
      SELECT {noJob},
             (SELECT count(*) FROM reaped WHERE status = 'pending'),
             (SELECT count(*) FROM reaped WHERE status = 'failed')""";

  /** The fragments by the name their placeholders use. */
  private static final Map<String, String> FRAGMENTS =
      Map.ofEntries(
          Map.entry("cols", JOB_COLUMNS),
          Map.entry("leaseFence", LEASE_FENCE),
          Map.entry("leased", LEASED),
          Map.entry("noJob", NO_JOB),
          Map.entry("keyTurn", KEY_TURN),
          Map.entry("claimJobSteps", CLAIM_JOB_STEPS),
          Map.entry("claimSessionLock", CLAIM_SESSION_LOCK),
          Map.entry("claimSessionUpdate", CLAIM_SESSION_UPDATE),
          Map.entry("claimSessionEvents", CLAIM_SESSION_EVENTS),
          Map.entry("reapJobSteps", REAP_JOB_STEPS),
          Map.entry("reapSessionLock", REAP_SESSION_LOCK),
          Map.entry("reapSessionSteps", REAP_SESSION_STEPS),
          Map.entry("claimAndReapSessionLock", CLAIM_AND_REAP_SESSION_LOCK),
          Map.entry("claimAndReapResult", CLAIM_AND_REAP_RESULT),
          Map.entry("completeJobStep", COMPLETE_JOB_STEP),
          Map.entry("completeSessionSteps", COMPLETE_SESSION_STEPS),
          Map.entry("completeSessionEvents", COMPLETE_SESSION_EVENTS));

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)\\}");

  /**
   * Inserts sessions and jobs from parallel arrays in one statement. Parameters: new session ids
   * (uuid[]), job ids (uuid[]), session ids (uuid[]), prompts (text[]), priorities (int[]), max
   * attempts (int[]), run-at times (timestamptz[], null for now plus delay), delays in seconds
   * (float8[]), idempotency keys (text[]), kinds (text[]), arguments (jsonb[]), metadata (jsonb[]),
   * concurrency keys (text[]; null for none, which a coding session's trigger fills with its
   * session). Result: {@link #JOB_COLUMNS} of the inserted jobs. Jobs whose key exists are skipped,
   * and so are their new sessions.
   */
  final String jobsInsertBatch;

  /**
   * {@link #jobsInsertBatch} for a batch that holds unique jobs. Two more parameters before the
   * concurrency keys: unique keys (text[], null for a job that is not unique) and unique states
   * (text[] of array literals such as {@code {pending,processing}}, null likewise). Jobs whose
   * idempotency key exists, or whose unique key a job in its unique states holds, are skipped
   * ({@code ON CONFLICT DO NOTHING} without a target covers both unique indexes). The jobs are
   * inserted before their new sessions, and only the inserted jobs' sessions are: a skipped job
   * leaves no session behind, even when the job it collided with was being inserted concurrently.
   * The foreign key is checked at the end of the statement, when both exist. Result: {@link
   * #JOB_COLUMNS} of the inserted jobs.
   */
  final String jobsInsertBatchUnique;

  /** Jobs by idempotency key. Parameter: keys (text[]). Result: {@link #JOB_COLUMNS}. */
  final String jobsSelectByIdempotencyKeys;

  /**
   * The jobs holding unique keys: those with the key whose status is one of their unique states.
   * Parameter: keys (text[]). Result: {@link #JOB_COLUMNS} and {@code unique_key}.
   */
  final String jobsSelectByUniqueKeys;

  /**
   * The job, other than the given one, that holds the given job's unique key. Parameters: id, id.
   * Result: {@link #JOB_COLUMNS}, no row when none does.
   */
  final String jobsSelectUniqueKeyHolder;

  /** One job by id. Parameter: id. Result: {@link #JOB_COLUMNS}. */
  final String jobsSelectById;

  /**
   * Takes, until the transaction ends, the lock of each given kind's running-job and rate limits,
   * in kind order so that claimers never wait on each other in a cycle. A claim statement that runs
   * after it in the same transaction counts the running jobs and window starts that every earlier
   * claimer committed. Parameter: kinds (text[]).
   */
  final String jobsClaimLock;

  /**
   * Claims up to N pending jobs that are due, highest priority first, oldest first, with SKIP
   * LOCKED, under the flow-control rules of {@link #CLAIM_JOB_STEPS}, and marks their sessions
   * active (with a state_changed event when a session changes). Parameters: those of {@link
   * #CLAIM_JOB_STEPS}. Result: {@link #JOB_COLUMNS} in claim order. Session tracking {@code
   * STATUS_AND_EVENTS}.
   */
  final String jobsClaimBatch;

  /**
   * {@link #jobsClaimBatch} without the state_changed events: sessions become active, nothing is
   * appended to session_events. Same parameters. Session tracking {@code STATUS}.
   */
  final String jobsClaimBatchWithoutEvents;

  /**
   * {@link #jobsClaimBatch} without the session updates and events. Same parameters. Session
   * tracking {@code OFF}.
   */
  final String jobsClaimBatchJobsOnly;

  /**
   * {@link #jobsReapExpired} and {@link #jobsClaimBatch} in one statement, so reaping costs no
   * round trip of its own. Parameters: reap grace seconds, unleased grace seconds, reap limit, then
   * those of {@link #CLAIM_JOB_STEPS} (a claim limit of 0 only reaps). Result: the claimed rows
   * ({@link #JOB_COLUMNS}, in no particular order) with {@code reaped_pending} and {@code
   * reaped_failed} null, plus one row whose {@code id} is null carrying the reaped counts (back to
   * pending, dead-lettered) in those two columns.
   */
  final String jobsClaimAndReapBatch;

  /**
   * {@link #jobsClaimAndReapBatch} without the state_changed events of the claim; a reaped dead
   * letter still fails its session, with its event.
   */
  final String jobsClaimAndReapBatchWithoutEvents;

  /**
   * {@link #jobsClaimAndReapBatch} without the session updates and events of the claim; a reaped
   * dead letter still fails its session, with its event.
   */
  final String jobsClaimAndReapBatchJobsOnly;

  /**
   * Completes a job without a lease check, reporting the status it had. Parameters: id, id. Result:
   * {@code previous_status} (null when the job does not exist), {@code changed} (whether this call
   * completed it).
   */
  final String jobsComplete;

  /**
   * Completes many leased jobs in one statement, fenced on owner and attempt, with their outputs,
   * and completes their sessions. Parameters: ids (uuid[]), retry counts (int[]), outputs (jsonb[],
   * null where a job has none, or a null array when none has), owner. Result: {@code id} of each
   * completed job.
   */
  final String jobsCompleteLeasedBatch;

  /**
   * {@link #jobsCompleteLeasedBatch} without the state_changed events: sessions become completed,
   * nothing is appended to session_events.
   */
  final String jobsCompleteLeasedBatchWithoutEvents;

  /** {@link #jobsCompleteLeasedBatch} without the session updates and events. */
  final String jobsCompleteLeasedBatchJobsOnly;

  /**
   * Records a failed attempt: back to pending after a delay while attempts remain and the failure
   * is retryable, else failed (dead letter) with the session failed. Parameters: id, retryable,
   * delays in seconds indexed by failed attempt (float8[], the last entry serves later attempts),
   * error, owner or null (no fence), expected retry count or null (no fence), max attempts or null
   * (the job's own {@code max_retries}). Result: {@code previous_status} (null when the job does
   * not exist), {@code new_status} (null when nothing matched).
   */
  final String jobsFail;

  /**
   * Cancels a pending or processing job. Parameters: id, id. Result: {@code previous_status},
   * {@code changed}.
   */
  final String jobsCancel;

  /**
   * Returns a failed job to pending with fresh attempts and its session to pending. Parameters: id,
   * id. Result: {@code previous_status}, {@code changed}.
   */
  final String jobsReplay;

  /**
   * Extends the leases of running jobs. Parameters: lease seconds, ids (uuid[]), retry counts
   * (int[]), owner. Result: {@code id} of each job still held.
   */
  final String jobsExtendLeases;

  /**
   * Running jobs still held by their owner under an unexpired lease. Parameters: ids (uuid[]),
   * retry counts (int[]), owner. Result: {@code id} of each job held.
   */
  final String jobsLeasesHeld;

  /**
   * Returns processing jobs whose lease expired longer than the grace ago (or that never had one
   * and started longer than the unleased grace ago), counting the attempt as failed. Parameters:
   * grace seconds, unleased grace seconds, limit. Result: {@code id}, {@code status} (the new one).
   */
  final String jobsReapExpired;

  /**
   * Snoozes leased jobs: back to pending, each due after its own delay, one snooze more, no attempt
   * spent; their sessions are left as they are. Parameters: ids (uuid[]), retry counts (int[]),
   * delays in seconds (float8[]), owner. Result: {@code id} of each snoozed job.
   */
  final String jobsSnoozeLeased;

  /**
   * Returns claimed jobs that never started to pending without spending an attempt. Parameters: ids
   * (uuid[]), retry counts (int[]), owner. Result: {@code id} of each released job.
   */
  final String jobsReleaseLeased;

  /**
   * Returns to pending, without spending an attempt, every job leased to this owner that the owner
   * does not hold: jobs of a claim whose reply never arrived, or claimed jobs that were still in
   * flight when a stop gave up waiting. The owner is one worker, so no other process can be running
   * them. Parameters: owner, ids still held (uuid[]). Result: {@code id} of each released job.
   */
  final String jobsReleaseStranded;

  /**
   * Statistics in one scan, one row per kind that has jobs (none when the table is empty); the
   * caller sums the rows for the totals. No parameters. Result: {@code kind}, then the labels as in
   * the statement.
   */
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
   * Pauses a kind across the cluster: claims skip it from the commit on. Parameters: kind, who
   * paused it. Result: {@code newly}, whether it was running before.
   */
  final String kindsPause;

  /**
   * Resumes a paused kind. Parameter: kind. Result: the number of rows changed, 1 when it was
   * paused.
   */
  final String kindsResume;

  /** The paused kinds. Result: {@code kind}, {@code paused_at}, in kind order. */
  final String kindsSelectPaused;

  /**
   * Deletes failed jobs (dead letters) older than a cutoff, in bounded batches, skipping rows
   * another transaction holds (one being replayed). Parameters: seconds of age (float8), limit.
   * Result: deleted count.
   */
  final String jobsPruneFailed;

  /**
   * The planner's row count of {@code coding_jobs} (pg_class.reltuples, kept by ANALYZE and
   * VACUUM): free to read, never a count. No parameters. Result: {@code reltuples}, below zero when
   * the table was never analysed.
   */
  final String jobsTableRows;

  /**
   * The figures of unfinished jobs, one row per kind that has any, through the partial indexes of
   * pending and processing jobs only (index-only where the visibility map allows): no finished row
   * is read. No parameters. Result: {@code kind}, {@code pending}, {@code processing}, {@code
   * delayed}, {@code expired}, {@code oldest_pending_seconds}, {@code pending_pro}, {@code
   * pending_starter}, {@code pending_free}.
   */
  final String jobsStatsUnfinished;

  /**
   * The finished jobs of each finished status, at most a bound of each, newest first through {@code
   * coding_jobs_finished_idx}, counted per kind. Parameters: the bound plus one, three times
   * (completed, failed, cancelled). Result: {@code kind}, {@code status}, {@code n}.
   */
  final String jobsStatsFinishedBounded;

  /**
   * A block sample of the table ({@code TABLESAMPLE SYSTEM}), counted per kind and status: scaled
   * by the planner's row count it estimates the finished counts. Parameter: the percentage of
   * blocks (float4). Result: {@code kind}, {@code status}, {@code n}.
   */
  final String jobsStatsSample;

  /** The fragments and {@code s}, the schema, by the name their placeholders use. */
  private final Map<String, String> named;

  /**
   * Builds the statements for a schema.
   *
   * @param schema a schema name already checked by {@link Identifiers#checkSchema(String)}
   */
  public JobsSql(String schema) {
    named = new HashMap<>(FRAGMENTS);
    named.put("s", Identifiers.checkSchema(schema));
    jobsInsertBatch =
        sql(
            """
            WITH input AS (
              SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::int[], ?::int[],
                                   ?::timestamptz[], ?::float8[], ?::text[], ?::text[], ?::jsonb[],
                                   ?::jsonb[], ?::text[])
                AS t(new_session_id, id, session_id, prompt, priority, max_retries, run_at, delay_secs,
                     idempotency_key, kind, args, metadata, concurrency_key)
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
              (id, session_id, prompt, priority, max_retries, run_at, idempotency_key, kind, args,
               metadata, concurrency_key)
            SELECT i.id, coalesce(i.session_id, i.new_session_id), i.prompt, i.priority, i.max_retries,
                   coalesce(i.run_at, now() + make_interval(secs => i.delay_secs)), i.idempotency_key,
                   i.kind, i.args, i.metadata, i.concurrency_key
              FROM input i
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING {cols}
            """);
    jobsInsertBatchUnique =
        sql(
            """
            WITH input AS (
              SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::int[], ?::int[],
                                   ?::timestamptz[], ?::float8[], ?::text[], ?::text[], ?::jsonb[],
                                   ?::jsonb[], ?::text[], ?::text[], ?::text[])
                AS t(new_session_id, id, session_id, prompt, priority, max_retries, run_at, delay_secs,
                     idempotency_key, kind, args, metadata, unique_key, unique_states, concurrency_key)
            ),
            jobs AS (
              INSERT INTO {s}.coding_jobs
                (id, session_id, prompt, priority, max_retries, run_at, idempotency_key, kind, args,
                 metadata, unique_key, unique_states, concurrency_key)
              SELECT i.id, coalesce(i.session_id, i.new_session_id), i.prompt, i.priority,
                     i.max_retries, coalesce(i.run_at, now() + make_interval(secs => i.delay_secs)),
                     i.idempotency_key, i.kind, i.args, i.metadata, i.unique_key,
                     i.unique_states::text[], i.concurrency_key
                FROM input i
              ON CONFLICT DO NOTHING
              RETURNING {cols}
            ),
            sessions AS (
              INSERT INTO {s}.coding_sessions (id, status)
              SELECT i.new_session_id, 'pending' FROM input i
               WHERE i.new_session_id IS NOT NULL AND i.id = ANY(ARRAY(SELECT id FROM jobs))
            )
            SELECT * FROM jobs
            """);
    jobsSelectByIdempotencyKeys =
        sql("SELECT {cols} FROM {s}.coding_jobs WHERE idempotency_key = ANY(?)");
    jobsSelectByUniqueKeys =
        sql(
            """
            SELECT {cols}, unique_key FROM {s}.coding_jobs
             WHERE unique_key = ANY(?::text[]) AND status = ANY(unique_states)
            """);
    jobsSelectUniqueKeyHolder =
        sql(
            """
            SELECT {cols} FROM {s}.coding_jobs
             WHERE unique_key = (SELECT unique_key FROM {s}.coding_jobs WHERE id = ?)
               AND status = ANY(unique_states) AND id <> ?
            """);
    jobsSelectById = sql("SELECT {cols} FROM {s}.coding_jobs WHERE id = ?");
    kindsPause =
        sql(
            """
            WITH before AS (SELECT paused_at FROM {s}.coding_job_kinds WHERE kind = ?)
            INSERT INTO {s}.coding_job_kinds AS ck (kind, paused_at, paused_by)
            VALUES (?, now(), ?)
            ON CONFLICT (kind) DO UPDATE
               SET paused_at = coalesce(ck.paused_at, now()),
                   paused_by = CASE WHEN ck.paused_at IS NULL THEN excluded.paused_by
                                    ELSE ck.paused_by END,
                   updated_at = now()
            RETURNING (SELECT count(*) FROM before WHERE paused_at IS NOT NULL) = 0 AS newly
            """);
    kindsResume =
        sql(
            """
            UPDATE {s}.coding_job_kinds
               SET paused_at = NULL, paused_by = NULL, updated_at = now()
             WHERE kind = ? AND paused_at IS NOT NULL
            """);
    kindsSelectPaused =
        sql(
            """
            SELECT kind, paused_at FROM {s}.coding_job_kinds
             WHERE paused_at IS NOT NULL ORDER BY kind
            """);
    jobsClaimLock =
        sql(
            """
            SELECT count(pg_advisory_xact_lock(hashtext('mobvibe_queue.limits.{s}'), hashtext(k)))
              FROM (SELECT k FROM unnest(?::text[]) AS k ORDER BY k) AS kinds
            """);
    jobsClaimBatch =
        sql(
            """
            WITH RECURSIVE {claimJobSteps},
            {claimSessionLock},
            {claimSessionUpdate},
            {claimSessionEvents}
            SELECT * FROM claimed ORDER BY priority DESC, created_at, id
            """);
    jobsClaimBatchWithoutEvents =
        sql(
            """
            WITH RECURSIVE {claimJobSteps},
            {claimSessionLock},
            {claimSessionUpdate}
            SELECT * FROM claimed ORDER BY priority DESC, created_at, id
            """);
    jobsClaimBatchJobsOnly =
        sql(
            """
            WITH RECURSIVE {claimJobSteps}
            SELECT * FROM claimed ORDER BY priority DESC, created_at, id
            """);
    jobsClaimAndReapBatch =
        sql(
            """
            WITH RECURSIVE {reapJobSteps},
            {claimJobSteps},
            {claimAndReapSessionLock},
            {reapSessionSteps},
            {claimSessionUpdate},
            {claimSessionEvents}
            {claimAndReapResult}
            """);
    jobsClaimAndReapBatchWithoutEvents =
        sql(
            """
            WITH RECURSIVE {reapJobSteps},
            {claimJobSteps},
            {claimAndReapSessionLock},
            {reapSessionSteps},
            {claimSessionUpdate}
            {claimAndReapResult}
            """);
    jobsClaimAndReapBatchJobsOnly =
        sql(
            """
            WITH RECURSIVE {reapJobSteps},
            {reapSessionLock},
            {reapSessionSteps},
            {claimJobSteps}
            {claimAndReapResult}
            """);
    jobsComplete =
        sql(
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
               FOR NO KEY UPDATE
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
            SELECT (SELECT status FROM cur) AS previous_status, EXISTS (SELECT 1 FROM done) AS changed
            """);
    jobsCompleteLeasedBatch =
        sql(
            """
            WITH {completeJobStep},
            {completeSessionSteps},
            {completeSessionEvents}
            SELECT id FROM done
            """);
    jobsCompleteLeasedBatchWithoutEvents =
        sql(
            """
            WITH {completeJobStep},
            {completeSessionSteps}
            SELECT id FROM done
            """);
    jobsCompleteLeasedBatchJobsOnly =
        sql(
            """
            WITH {completeJobStep}
            SELECT id FROM done
            """);
    jobsFail =
        sql(
            """
            WITH p AS (
              SELECT ?::uuid AS id, ?::boolean AS retryable, ?::float8[] AS delays, ?::text AS error,
                     ?::text AS owner, ?::int AS retry_count, ?::int AS max_attempts
            ),
            cur AS (SELECT j.status FROM {s}.coding_jobs j, p WHERE j.id = p.id),
            upd AS (
              UPDATE {s}.coding_jobs j
                 SET retry_count = j.retry_count + 1, updated_at = now(),
                     status = CASE WHEN p.retryable
                                   AND j.retry_count + 1 < coalesce(p.max_attempts, j.max_retries)
                                   THEN 'pending' ELSE 'failed' END,
                     run_at = CASE WHEN p.retryable
                                   AND j.retry_count + 1 < coalesce(p.max_attempts, j.max_retries)
                                   THEN now() + make_interval(secs => coalesce(
                                     p.delays[least(j.retry_count + 1, cardinality(p.delays))], 0))
                                   ELSE j.run_at END,
                     completed_at = CASE WHEN p.retryable
                                   AND j.retry_count + 1 < coalesce(p.max_attempts, j.max_retries)
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
               FOR NO KEY UPDATE
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
            SELECT (SELECT status FROM cur) AS previous_status, (SELECT status FROM upd) AS new_status
            """);
    jobsCancel =
        sql(
            """
            WITH cur AS (SELECT status FROM {s}.coding_jobs WHERE id = ?),
            upd AS (
              UPDATE {s}.coding_jobs
                 SET status = 'cancelled', completed_at = now(), updated_at = now(), lease_owner = NULL,
                     lease_expires_at = NULL
               WHERE id = ? AND status IN ('pending', 'processing')
              RETURNING id
            )
            SELECT (SELECT status FROM cur) AS previous_status, EXISTS (SELECT 1 FROM upd) AS changed
            """);
    jobsReplay =
        sql(
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
            SELECT (SELECT status FROM cur) AS previous_status, EXISTS (SELECT 1 FROM upd) AS changed
            """);
    jobsExtendLeases =
        sql(
            """
            UPDATE {s}.coding_jobs j
               SET lease_expires_at = now() + make_interval(secs => ?), updated_at = now()
              FROM {leased}
            RETURNING j.id
            """);
    jobsLeasesHeld =
        sql(
            """
            SELECT j.id FROM {s}.coding_jobs j, {leased} AND j.lease_expires_at > now()
            """);
    jobsReapExpired =
        sql(
            """
            WITH {reapJobSteps},
            {reapSessionLock},
            {reapSessionSteps}
            SELECT id, status FROM reaped
            """);
    jobsSnoozeLeased =
        sql(
            """
            UPDATE {s}.coding_jobs j
               SET status = 'pending', run_at = now() + make_interval(secs => t.delay_secs),
                   snoozes = j.snoozes + 1, started_at = NULL, updated_at = now(), lease_owner = NULL,
                   lease_expires_at = NULL
              FROM unnest(?::uuid[], ?::int[], ?::float8[]) AS t(id, retry_count, delay_secs)
              {leaseFence}
            RETURNING j.id
            """);
    jobsReleaseLeased =
        sql(
            """
            UPDATE {s}.coding_jobs j
               SET status = 'pending', started_at = NULL, updated_at = now(), lease_owner = NULL,
                   lease_expires_at = NULL
              FROM {leased}
            RETURNING j.id
            """);
    jobsReleaseStranded =
        sql(
            """
            UPDATE {s}.coding_jobs j
               SET status = 'pending', started_at = NULL, updated_at = now(), lease_owner = NULL,
                   lease_expires_at = NULL
             WHERE j.status = 'processing' AND j.lease_owner = ?
               AND NOT (j.id = ANY(?::uuid[]))
            RETURNING j.id
            """);
    jobsStats =
        sql(
            """
            SELECT kind,
                   count(*) FILTER (WHERE status = 'pending') AS pending,
                   count(*) FILTER (WHERE status = 'processing') AS processing,
                   count(*) FILTER (WHERE status = 'completed') AS completed,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                   count(*) FILTER (WHERE status = 'pending' AND run_at > now()) AS delayed,
                   count(*) FILTER (WHERE status = 'processing'
                                      AND (lease_expires_at IS NULL OR lease_expires_at < now()))
                     AS expired,
                   extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))
                     AS oldest_pending_seconds,
                   count(*) FILTER (WHERE status = 'pending' AND priority >= 10) AS pending_pro,
                   count(*) FILTER (WHERE status = 'pending' AND priority >= 5 AND priority < 10)
                     AS pending_starter,
                   count(*) FILTER (WHERE status = 'pending' AND priority < 5) AS pending_free
              FROM {s}.coding_jobs
             GROUP BY kind
            """);
    sessionEventsInsertBatch =
        sql(
            """
            INSERT INTO {s}.session_events (session_id, event_type, event_data, created_at)
            SELECT * FROM unnest(?::uuid[], ?::text[], ?::jsonb[], ?::timestamptz[])
            """);
    jobsListRecent =
        sql(
            """
            SELECT {cols} FROM {s}.coding_jobs WHERE (?::text IS NULL OR status = ?)
             ORDER BY created_at DESC, id LIMIT ?
            """);
    jobsPruneFinished =
        sql(
            """
            WITH old AS (
              SELECT id FROM {s}.coding_jobs
               WHERE status IN ('completed', 'cancelled')
                 AND completed_at < now() - make_interval(secs => ?)
               LIMIT ?
               FOR UPDATE SKIP LOCKED
            )
            DELETE FROM {s}.coding_jobs j USING old WHERE j.id = old.id
            """);
    jobsPruneFailed =
        sql(
            """
            WITH old AS (
              SELECT id FROM {s}.coding_jobs
               WHERE status = 'failed' AND completed_at < now() - make_interval(secs => ?)
               LIMIT ?
               FOR UPDATE SKIP LOCKED
            )
            DELETE FROM {s}.coding_jobs j USING old WHERE j.id = old.id
            """);
    jobsTableRows =
        sql(
            """
            SELECT reltuples FROM pg_catalog.pg_class WHERE oid = '{s}.coding_jobs'::regclass
            """);
    jobsStatsUnfinished =
        sql(
            """
            WITH p AS (
              SELECT kind, count(*) AS pending,
                     extract(epoch FROM now() - min(created_at)) AS oldest_pending_seconds,
                     count(*) FILTER (WHERE priority >= 10) AS pending_pro,
                     count(*) FILTER (WHERE priority >= 5 AND priority < 10) AS pending_starter,
                     count(*) FILTER (WHERE priority < 5) AS pending_free
                FROM {s}.coding_jobs WHERE status = 'pending'
               GROUP BY kind
            ),
            d AS (
              SELECT kind, count(*) AS delayed FROM {s}.coding_jobs
               WHERE status = 'pending' AND run_at > now()
               GROUP BY kind
            ),
            r AS (
              SELECT kind, count(*) AS processing,
                     count(*) FILTER (WHERE lease_expires_at IS NULL OR lease_expires_at < now())
                       AS expired
                FROM {s}.coding_jobs WHERE status = 'processing'
               GROUP BY kind
            )
            SELECT kind, coalesce(p.pending, 0) AS pending, coalesce(r.processing, 0) AS processing,
                   coalesce(d.delayed, 0) AS delayed, coalesce(r.expired, 0) AS expired,
                   p.oldest_pending_seconds, coalesce(p.pending_pro, 0) AS pending_pro,
                   coalesce(p.pending_starter, 0) AS pending_starter,
                   coalesce(p.pending_free, 0) AS pending_free
              FROM p FULL JOIN d USING (kind) FULL JOIN r USING (kind)
            """);
    jobsStatsFinishedBounded =
        sql(
            """
            SELECT kind, status, count(*) AS n FROM (
              (SELECT kind, status FROM {s}.coding_jobs WHERE status = 'completed'
                ORDER BY completed_at DESC LIMIT ?)
              UNION ALL
              (SELECT kind, status FROM {s}.coding_jobs WHERE status = 'failed'
                ORDER BY completed_at DESC LIMIT ?)
              UNION ALL
              (SELECT kind, status FROM {s}.coding_jobs WHERE status = 'cancelled'
                ORDER BY completed_at DESC LIMIT ?)
            ) f
            GROUP BY kind, status
            """);
    jobsStatsSample =
        sql(
            """
            SELECT kind, status, count(*) AS n FROM {s}.coding_jobs TABLESAMPLE SYSTEM (?::float4)
             GROUP BY kind, status
            """);
  }

  /**
   * Fills a statement's placeholders: {@code {s}} with the schema, every other {@code {name}} with
   * the fragment of that name. Fragments may hold placeholders themselves.
   *
   * @throws IllegalStateException when a placeholder names no fragment
   */
  private String sql(String template) {
    String text = template;
    for (int depth = 0; PLACEHOLDER.matcher(text).find(); depth++) {
      if (depth == 4) {
        throw new IllegalStateException("fragments nest too deep in: " + template);
      }
      text =
          PLACEHOLDER
              .matcher(text)
              .replaceAll(
                  m -> {
                    String part = named.get(m.group(1));
                    if (part == null) {
                      throw new IllegalStateException("no fragment named " + m.group());
                    }
                    return Matcher.quoteReplacement(part);
                  });
    }
    return text;
  }
}
