package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.internal.QueueSchema;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The upgrade path: a database built by hand as the seed service's Supabase migrations left it
 * (DESIGN.md section 3), with rows in every state, migrated by the SDK. Each test builds its own
 * seed-era schema, so tests do not depend on each other.
 */
class SeedUpgradeTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  // Fixed ids, so the rows can be named in assertions.
  static final UUID SESSION_A = UUID.fromString("00000000-0000-0000-0000-00000000000a");
  static final UUID SESSION_B = UUID.fromString("00000000-0000-0000-0000-00000000000b");
  static final UUID SESSION_C = UUID.fromString("00000000-0000-0000-0000-00000000000c");
  static final UUID FREE_OLD = UUID.fromString("10000000-0000-0000-0000-000000000001");
  static final UUID PRO_OLDER = UUID.fromString("10000000-0000-0000-0000-000000000002");
  static final UUID STARTER = UUID.fromString("10000000-0000-0000-0000-000000000003");
  static final UUID PRO_NEWER = UUID.fromString("10000000-0000-0000-0000-000000000004");
  static final UUID STUCK_FIRST_TRY = UUID.fromString("20000000-0000-0000-0000-000000000001");
  static final UUID STUCK_LAST_TRY = UUID.fromString("20000000-0000-0000-0000-000000000002");
  static final UUID DONE = UUID.fromString("30000000-0000-0000-0000-000000000001");
  static final UUID DEAD = UUID.fromString("40000000-0000-0000-0000-000000000001");

  /** The seed's schema: its tables, index, triggers and SQL functions, in schema {@code {s}}. */
  static final String SEED_SCHEMA =
      """
      CREATE SCHEMA IF NOT EXISTS {s};

      CREATE TABLE {s}.coding_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        project_id uuid,
        sandbox_id text,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'active', 'paused', 'completed', 'failed', 'expired')),
        initial_prompt text,
        error_message text,
        expires_at timestamptz,
        started_at timestamptz,
        completed_at timestamptz,
        metadata jsonb DEFAULT '{}'::jsonb,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now()
      );

      CREATE TABLE {s}.coding_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES {s}.coding_sessions(id) ON DELETE CASCADE,
        prompt text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
        priority int DEFAULT 0,
        retry_count int DEFAULT 0,
        max_retries int DEFAULT 3,
        error_message text,
        started_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now()
      );
      CREATE INDEX idx_coding_jobs_status ON {s}.coding_jobs (status, priority DESC, created_at);

      CREATE TABLE {s}.session_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid REFERENCES {s}.coding_sessions(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        event_data jsonb DEFAULT '{}'::jsonb,
        created_at timestamptz DEFAULT now()
      );

      -- The seed keeps updated_at with its own function, named unlike the SDK's.
      CREATE FUNCTION {s}.update_updated_at_column() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at = now();
        RETURN NEW;
      END;
      $$;
      CREATE TRIGGER update_coding_jobs_updated_at BEFORE UPDATE ON {s}.coding_jobs
        FOR EACH ROW EXECUTE FUNCTION {s}.update_updated_at_column();

      -- The seed's row-level new_job notification.
      CREATE FUNCTION {s}.notify_new_job() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('new_job', json_build_object(
          'job_id', NEW.id, 'session_id', NEW.session_id, 'priority', NEW.priority,
          'created_at', NEW.created_at)::text);
        RETURN NEW;
      END;
      $$;
      CREATE TRIGGER on_job_created AFTER INSERT ON {s}.coding_jobs
        FOR EACH ROW EXECUTE FUNCTION {s}.notify_new_job();

      CREATE FUNCTION {s}.claim_next_job()
      RETURNS TABLE (job_id uuid, session_id uuid, prompt text, priority int)
      LANGUAGE plpgsql AS $$
      BEGIN
        RETURN QUERY
        UPDATE {s}.coding_jobs c SET status = 'processing', started_at = now()
         WHERE c.id = (SELECT j.id FROM {s}.coding_jobs j WHERE j.status = 'pending'
                        ORDER BY j.priority DESC, j.created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING c.id, c.session_id, c.prompt, c.priority;
      END;
      $$;

      CREATE FUNCTION {s}.complete_job(job_id_param uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE {s}.coding_jobs SET status = 'completed', completed_at = now()
         WHERE id = job_id_param;
      END;
      $$;

      CREATE FUNCTION {s}.fail_job(job_id_param uuid, error_msg text) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        r record;
      BEGIN
        SELECT retry_count, max_retries, session_id INTO r FROM {s}.coding_jobs
         WHERE id = job_id_param;
        IF r.retry_count + 1 < r.max_retries THEN
          UPDATE {s}.coding_jobs SET status = 'pending', retry_count = retry_count + 1,
                 error_message = error_msg WHERE id = job_id_param;
          RETURN true;
        END IF;
        UPDATE {s}.coding_jobs SET status = 'failed', retry_count = retry_count + 1,
               error_message = error_msg, completed_at = now() WHERE id = job_id_param;
        UPDATE {s}.coding_sessions SET status = 'failed', error_message = error_msg
         WHERE id = r.session_id;
        RETURN false;
      END;
      $$;

      CREATE FUNCTION {s}.get_queue_stats()
      RETURNS TABLE (pending_count bigint, processing_count bigint, completed_count bigint,
                     failed_count bigint, oldest_pending_age interval)
      LANGUAGE plpgsql AS $$
      BEGIN
        RETURN QUERY
        SELECT count(*) FILTER (WHERE j.status = 'pending'),
               count(*) FILTER (WHERE j.status = 'processing'),
               count(*) FILTER (WHERE j.status = 'completed'),
               count(*) FILTER (WHERE j.status = 'failed'),
               now() - min(j.created_at) FILTER (WHERE j.status = 'pending')
          FROM {s}.coding_jobs j;
      END;
      $$;
      """;

  /** The rows: four pending (mixed tiers and ages), two stuck in processing, one done, one dead. */
  static final String SEED_ROWS =
      """
      INSERT INTO {s}.coding_sessions
        (id, user_id, project_id, sandbox_id, status, initial_prompt, error_message, expires_at,
         started_at, completed_at, metadata, created_at, updated_at)
      VALUES
        ('00000000-0000-0000-0000-00000000000a', 'a0000000-0000-0000-0000-000000000001',
         'b0000000-0000-0000-0000-000000000001', 'sbx-alpha', 'active', 'Build a todo app', NULL,
         now() + interval '1 day', now() - interval '20 minutes', NULL,
         '{"plan": "pro", "tags": ["web", "todo"]}', now() - interval '30 minutes',
         now() - interval '20 minutes'),
        ('00000000-0000-0000-0000-00000000000b', 'a0000000-0000-0000-0000-000000000002', NULL,
         NULL, 'pending', 'Add dark mode', NULL, NULL, NULL, NULL, '{}',
         now() - interval '15 minutes', now() - interval '15 minutes'),
        ('00000000-0000-0000-0000-00000000000c', 'a0000000-0000-0000-0000-000000000003', NULL,
         'sbx-gamma', 'failed', 'Port to Rust', 'sandbox exploded', now() - interval '1 hour',
         now() - interval '2 hours', now() - interval '90 minutes', '{"retries": 3}',
         now() - interval '3 hours', now() - interval '90 minutes');

      INSERT INTO {s}.coding_jobs
        (id, session_id, prompt, status, priority, retry_count, max_retries, error_message,
         started_at, completed_at, created_at, updated_at)
      VALUES
        ('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b',
         'free, oldest', 'pending', 0, 0, 3, NULL, NULL, NULL,
         now() - interval '5 minutes', now() - interval '5 minutes'),
        ('10000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a',
         'pro, older', 'pending', 10, 1, 3, 'first try timed out', NULL, NULL,
         now() - interval '3 minutes', now() - interval '1 minute'),
        ('10000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000b',
         'starter', 'pending', 5, 0, 5, NULL, NULL, NULL,
         now() - interval '4 minutes', now() - interval '4 minutes'),
        ('10000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-00000000000a',
         'pro, newer', 'pending', 10, 0, 3, NULL, NULL, NULL,
         now() - interval '2 minutes', now() - interval '2 minutes'),
        ('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a',
         'stuck on its first try', 'processing', 10, 0, 3, NULL, now() - interval '10 minutes',
         NULL, now() - interval '11 minutes', now() - interval '10 minutes'),
        ('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000b',
         'stuck on its last try', 'processing', 0, 2, 3, 'second try failed',
         now() - interval '10 minutes', NULL, now() - interval '12 minutes',
         now() - interval '10 minutes'),
        ('30000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a',
         'done', 'completed', 10, 0, 3, NULL, now() - interval '25 minutes',
         now() - interval '24 minutes', now() - interval '26 minutes',
         now() - interval '24 minutes'),
        ('40000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000c',
         'dead', 'failed', 5, 3, 3, 'sandbox exploded', now() - interval '100 minutes',
         now() - interval '90 minutes', now() - interval '3 hours',
         now() - interval '90 minutes');

      INSERT INTO {s}.session_events (session_id, event_type, event_data, created_at)
      VALUES
        ('00000000-0000-0000-0000-00000000000a', 'state_changed', '{"from": "pending", "to": "active"}',
         now() - interval '20 minutes'),
        ('00000000-0000-0000-0000-00000000000a', 'thinking', '{"text": "planning"}',
         now() - interval '19 minutes'),
        ('00000000-0000-0000-0000-00000000000c', 'error', '{"message": "sandbox exploded"}',
         now() - interval '90 minutes');
      """;

  /** The seed's job columns except {@code updated_at}, which has a test of its own. */
  static final String JOB_COLUMNS =
      "id, session_id, prompt, status, priority, retry_count, max_retries, error_message,"
          + " started_at, completed_at, created_at";

  static final String SESSION_COLUMNS =
      "id, user_id, project_id, sandbox_id, status, initial_prompt, error_message, expires_at,"
          + " started_at, completed_at, metadata, created_at, updated_at";
  static final String EVENT_COLUMNS = "id, session_id, event_type, event_data, created_at";

  @Test
  void everyRowAndEveryColumnValueSurvivesTheUpgrade() {
    String s = "public";
    seed(s);
    List<Map<String, String>> jobsBefore = rows(s, "coding_jobs", JOB_COLUMNS);
    List<Map<String, String>> sessionsBefore = rows(s, "coding_sessions", SESSION_COLUMNS);
    List<Map<String, String>> eventsBefore = rows(s, "session_events", EVENT_COLUMNS);
    assertThat(jobsBefore).hasSize(8);

    MigrationReport report = queue(s).migrate();

    assertThat(report.fromVersion()).isZero();
    assertThat(report.applied()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(report.toVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(rows(s, "coding_jobs", JOB_COLUMNS)).isEqualTo(jobsBefore);
    assertThat(rows(s, "coding_sessions", SESSION_COLUMNS)).isEqualTo(sessionsBefore);
    assertThat(rows(s, "session_events", EVENT_COLUMNS)).isEqualTo(eventsBefore);

    // The SDK reads the same values through its own API.
    Job dead = queue(s).findJob(DEAD).orElseThrow();
    assertThat(dead.status()).isEqualTo(JobStatus.FAILED);
    assertThat(dead.retryCount()).isEqualTo(3);
    assertThat(dead.maxAttempts()).isEqualTo(3);
    assertThat(dead.errorMessage()).isEqualTo("sandbox exploded");
    assertThat(dead.errors()).isEmpty(); // the seed kept no history
    assertThat(dead.sessionId()).isEqualTo(SESSION_C);
    Job proOlder = queue(s).findJob(PRO_OLDER).orElseThrow();
    assertThat(proOlder.retryCount()).isEqualTo(1);
    assertThat(proOlder.prompt()).isEqualTo("pro, older");
    assertThat(proOlder.tier()).isEqualTo(PlanTier.PRO);
    // Legacy rows are due at once: none counts as delayed.
    assertThat(queue(s).getQueueStats().delayedCount()).isZero();
  }

  /**
   * The upgrade must not rewrite the rows it finds: an application that shows "last activity" from
   * {@code updated_at} would otherwise see every job touched at migration time.
   */
  @Test
  void theUpgradeLeavesUpdatedAtOfExistingJobsAlone() {
    String s = "seed_updated_at";
    seed(s);
    List<Map<String, String>> before = rows(s, "coding_jobs", "id, updated_at");

    queue(s).migrate();

    assertThat(rows(s, "coding_jobs", "id, updated_at")).isEqualTo(before);
  }

  @Test
  void pendingSeedJobsAreClaimableInPriorityOrderThenAge() {
    String s = "seed_claim";
    seed(s);
    JobQueue queue = queue(s);
    queue.migrate();

    List<UUID> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Job job = queue.claimNextJob().orElseThrow();
      assertThat(job.status()).isEqualTo(JobStatus.PROCESSING);
      assertThat(job.leaseExpiresAt()).isNotNull();
      order.add(job.id());
    }
    assertThat(order).containsExactly(PRO_OLDER, PRO_NEWER, STARTER, FREE_OLD);
    // The rows a seed worker left in processing are not pending: nothing else to claim.
    assertThat(queue.claimNextJob()).isEmpty();

    // A claimed legacy job runs its lifecycle like any other; the retry count it had is kept.
    assertThat(queue.completeJob(FREE_OLD)).isTrue();
    assertThat(queue.failJob(PRO_OLDER, "second try failed")).isTrue();
    Job retried = queue.findJob(PRO_OLDER).orElseThrow();
    assertThat(retried.retryCount()).isEqualTo(2);
    assertThat(retried.errors())
        .singleElement()
        .satisfies(e -> assertThat(e.attempt()).isEqualTo(2));
  }

  @Test
  void processingRowsLeftByACrashedSeedWorkerCountAsExpiredLeasesAndAreReaped() {
    String s = "seed_reap";
    seed(s);
    JobQueue queue = queue(s);
    queue.migrate();

    QueueStats stats = queue.getQueueStats();
    assertThat(stats.pendingCount()).isEqualTo(4);
    assertThat(stats.processingCount()).isEqualTo(2);
    assertThat(stats.completedCount()).isEqualTo(1);
    assertThat(stats.failedCount()).isEqualTo(1);
    assertThat(stats.cancelledCount()).isZero();
    assertThat(stats.delayedCount()).isZero();
    assertThat(stats.expiredLeaseCount()).isEqualTo(2);
    assertThat(stats.pendingByTier())
        .containsEntry(PlanTier.PRO, 2L)
        .containsEntry(PlanTier.STARTER, 1L)
        .containsEntry(PlanTier.FREE, 1L);
    assertThat(stats.oldestPendingAge()).isBetween(ofMinutes(4.9), ofMinutes(6));

    Job stuck = queue.findJob(STUCK_FIRST_TRY).orElseThrow();
    assertThat(stuck.leaseOwner()).isNull();
    assertThat(stuck.leaseExpiresAt()).isNull();

    // The reaper (run by every processor) returns them: an attempt is spent on each.
    JobStore store = queue.store();
    assertThat(store.reapExpired(100))
        .extracting(JobStore.Reaped::id, JobStore.Reaped::status)
        .containsExactlyInAnyOrder(
            tuple(STUCK_FIRST_TRY, JobStatus.PENDING), tuple(STUCK_LAST_TRY, JobStatus.FAILED));
    assertThat(queue.getQueueStats().expiredLeaseCount()).isZero();
    Job back = queue.findJob(STUCK_FIRST_TRY).orElseThrow();
    assertThat(back.status()).isEqualTo(JobStatus.PENDING);
    assertThat(back.retryCount()).isEqualTo(1);
    assertThat(back.errors())
        .singleElement()
        .satisfies(e -> assertThat(e.error()).contains("worker lost"));
    Job dead = queue.findJob(STUCK_LAST_TRY).orElseThrow();
    assertThat(dead.status()).isEqualTo(JobStatus.FAILED);
    assertThat(dead.retryCount()).isEqualTo(3);
    assertThat(
            db.queryString(
                "SELECT status FROM " + s + ".coding_sessions WHERE id = '" + SESSION_B + "'"))
        .isEqualTo("failed");
    // The recovered job is claimable again, first among the Pro jobs (it is the oldest).
    assertThat(queue.claimNextJob().orElseThrow().id()).isEqualTo(STUCK_FIRST_TRY);
  }

  @Test
  void theSeedsTriggersAreKeptAndCancelledBecomesAValidStatus() {
    String s = "seed_triggers";
    seed(s);
    JobQueue queue = queue(s);
    queue.migrate();

    Map<String, String> triggers = triggerDefinitions(s);
    assertThat(triggers.get("on_job_created"))
        .as("the seed's own on_job_created trigger is kept")
        .contains("FOR EACH ROW")
        .contains("notify_new_job()");
    assertThat(triggers.get("update_coding_jobs_updated_at"))
        .as("the seed's updated_at trigger is kept")
        .contains("update_updated_at_column()");
    assertThat(triggers).containsKey("on_job_status_changed"); // absent in this seed: added
    assertThat(triggers.values())
        .filteredOn(def -> def.contains("AFTER INSERT"))
        .as("no second new_job trigger")
        .hasSize(1);

    // 'cancelled' is allowed now, through the API and in plain SQL; other values are not.
    assertThat(queue.cancelJob(FREE_OLD)).isTrue();
    assertThat(queue.findJob(FREE_OLD).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
    db.execute(
        "UPDATE " + s + ".coding_jobs SET status = 'cancelled' WHERE id = '" + STARTER + "'");
    assertThatThrownBy(
            () ->
                db.execute(
                    "UPDATE " + s + ".coding_jobs SET status = 'bogus' WHERE id = '" + DONE + "'"))
        .hasMessageContaining("coding_jobs_status_check");

    // The seed's SQL functions were replaced by versions with the same signatures.
    assertThat(db.queryLong("SELECT pending_count FROM " + s + ".get_queue_stats()")).isEqualTo(2);
  }

  @Test
  void migratingAnUpgradedSeedDatabaseAgainIsANoOp() {
    String s = "seed_again";
    seed(s);
    JobQueue queue = queue(s);
    queue.migrate();
    List<Map<String, String>> jobs =
        rows(s, "coding_jobs", JOB_COLUMNS + ", updated_at, run_at, errors");
    Map<String, String> triggers = triggerDefinitions(s);

    MigrationReport again = queue.migrate();

    assertThat(again.applied()).isEmpty();
    assertThat(again.fromVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(again.toVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(rows(s, "coding_jobs", JOB_COLUMNS + ", updated_at, run_at, errors"))
        .isEqualTo(jobs);
    assertThat(triggerDefinitions(s)).isEqualTo(triggers);
  }

  @Test
  void jobsCanBeEnqueuedIntoTheSeedsExistingSessions() {
    String s = "seed_enqueue";
    seed(s);
    JobQueue queue = queue(s);
    queue.migrate();

    Job job =
        queue.enqueue(NewJob.builder("follow-up").sessionId(SESSION_A).tier(PlanTier.PRO).build());
    assertThat(job.sessionId()).isEqualTo(SESSION_A);
    assertThat(db.queryLong("SELECT count(*) FROM " + s + ".coding_jobs")).isEqualTo(9);

    // The seed's sessions need a user: a job without a session cannot create one there. The
    // database refuses with a not-null violation, the message says what to do, and nothing is
    // written.
    long sessions = db.queryLong("SELECT count(*) FROM " + s + ".coding_sessions");
    assertThatThrownBy(() -> queue.enqueue(NewJob.of("no session")))
        .isInstanceOfSatisfying(
            QueueException.class, e -> assertThat(e.sqlState()).isEqualTo("23502"))
        .hasMessageContaining("this database's coding_sessions requires user_id")
        .hasMessageContaining("NewJob.builder(prompt).sessionId(id)");
    assertThat(db.queryLong("SELECT count(*) FROM " + s + ".coding_sessions")).isEqualTo(sessions);
    assertThat(db.queryLong("SELECT count(*) FROM " + s + ".coding_jobs")).isEqualTo(9);
  }

  @Test
  void aJobWithoutASessionNamesTheColumnTheSeedsSessionsRequireOnEveryEnqueuePath()
      throws SQLException {
    String s = "seed_required";
    seed(s);
    JobQueue queue = queue(s);
    queue.migrate();
    // The column is the server's: another required column is named as well.
    db.execute(
        "ALTER TABLE "
            + s
            + ".coding_sessions ALTER user_id DROP NOT NULL,"
            + " ADD COLUMN tenant_id uuid NOT NULL DEFAULT gen_random_uuid();"
            + " ALTER TABLE "
            + s
            + ".coding_sessions ALTER tenant_id DROP DEFAULT");

    assertThatThrownBy(() -> queue.enqueueAll(List.of(NewJob.of("a"), NewJob.of("b"))))
        .isInstanceOfSatisfying(
            QueueException.class, e -> assertThat(e.sqlState()).isEqualTo("23502"))
        .hasMessageContaining("coding_sessions requires tenant_id")
        .hasMessageContaining("sessionId(id)");
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertThatThrownBy(() -> queue.enqueue(c, NewJob.of("in the caller's transaction")))
          .isInstanceOfSatisfying(
              QueueException.class, e -> assertThat(e.sqlState()).isEqualTo("23502"))
          .hasMessageContaining("coding_sessions requires tenant_id");
      c.rollback();
    }
    assertThat(db.queryLong("SELECT count(*) FROM " + s + ".coding_jobs")).isEqualTo(8);
    // Other failures keep their plain message: an unknown session is a foreign-key violation.
    assertThatThrownBy(
            () -> queue.enqueue(NewJob.builder("x").sessionId(UUID.randomUUID()).build()))
        .isInstanceOfSatisfying(
            QueueException.class, e -> assertThat(e.sqlState()).isEqualTo("23503"))
        .hasMessageNotContaining("requires");
  }

  private static void seed(String schema) {
    db.execute(SEED_SCHEMA.replace("{s}", schema));
    db.execute(SEED_ROWS.replace("{s}", schema));
  }

  private static JobQueue queue(String schema) {
    return db.newQueue(JobQueue.builder().schema(schema));
  }

  private static Duration ofMinutes(double minutes) {
    return Duration.ofMillis(Math.round(minutes * 60_000));
  }

  /** Every row of a table as column name to text value, ordered by id. */
  private static List<Map<String, String>> rows(String schema, String table, String columns) {
    List<Map<String, String>> rows = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT " + columns + " FROM " + schema + "." + table + " ORDER BY id")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.put(md.getColumnName(i), rs.getString(i));
        }
        rows.add(row);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return rows;
  }

  private static Map<String, String> triggerDefinitions(String schema) {
    List<String[]> pairs = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
                    + " AND tgrelid = '"
                    + schema
                    + ".coding_jobs'::regclass")) {
      while (rs.next()) {
        pairs.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return pairs.stream().collect(Collectors.toMap(p -> p[0], p -> p[1], (a, b) -> a + " | " + b));
  }
}
