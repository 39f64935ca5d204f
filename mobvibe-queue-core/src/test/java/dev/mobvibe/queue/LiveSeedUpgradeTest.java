package dev.mobvibe.queue;

import static dev.mobvibe.queue.SeedUpgradeTest.FREE_OLD;
import static dev.mobvibe.queue.SeedUpgradeTest.SESSION_A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Upgrading a seed database that is in use: the indexes are built ahead of the migration's
 * transaction without blocking writers, an invalid leftover of an interrupted build is rebuilt,
 * concurrent upgrades take turns, and the user's own CHECK constraints that mention status survive
 * migration 2. The seed-era schema is {@link SeedUpgradeTest}'s; each test builds its own.
 */
class LiveSeedUpgradeTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** The indexes the migrations build on tables a seed database already has. */
  static final List<String> MIGRATION_INDEXES =
      List.of(
          "idx_session_events_session",
          "coding_jobs_idempotency_key_key",
          "coding_jobs_processing_lease_idx",
          "coding_jobs_kind_claim_idx",
          "coding_jobs_kind_tier_due_idx",
          "coding_jobs_concurrency_key_idx",
          "coding_jobs_finished_idx",
          "coding_jobs_session_idx");

  @Test
  void theUsersOwnChecksThatMentionStatusSurviveTheUpgrade() {
    String s = "own_checks";
    seed(s);
    db.execute(
        """
        ALTER TABLE {s}.coding_jobs ADD CONSTRAINT completed_jobs_have_a_time
          CHECK (status <> 'completed' OR completed_at IS NOT NULL);
        COMMENT ON CONSTRAINT completed_jobs_have_a_time ON {s}.coding_jobs
          IS 'the app''s reports rely on it';
        ALTER TABLE {s}.coding_jobs ADD CONSTRAINT "Failed Jobs Say Why"
          CHECK (status <> 'failed' OR error_message IS NOT NULL) NOT VALID;
        ALTER TABLE {s}.coding_jobs ADD CONSTRAINT prompt_not_blank CHECK (prompt <> '');
        """
            .replace("{s}", s));
    Map<String, String> before = checks(s);
    assertThat(before).containsKey("coding_jobs_status_check").hasSize(4);
    before.remove("coding_jobs_status_check");

    MigrationReport report = queue(s).migrate();

    assertThat(report.applied()).containsExactly(1, 2, 3, 4, 5, 6);
    Map<String, String> after = checks(s);
    // Same names, definitions, comments; valid again where they were valid, not where not.
    // Plus migration 3's own check that a coding session has a session and a prompt.
    assertThat(after).containsAllEntriesOf(before).hasSize(5);
    assertThat(after).containsKey("coding_jobs_coding_session_check");
    assertThat(after.get("coding_jobs_status_check")).contains("'cancelled'::text");
    assertThat(after.get("Failed Jobs Say Why")).contains("validated=false");
    assertThat(after.get("completed_jobs_have_a_time")).contains("validated=true");

    // They are enforced, and cancelling (the widened seed check) works.
    assertThatThrownBy(
            () ->
                db.execute(
                    "INSERT INTO "
                        + s
                        + ".coding_jobs (session_id, prompt, status) VALUES ('"
                        + SESSION_A
                        + "', 'done without a time', 'completed')"))
        .hasMessageContaining("completed_jobs_have_a_time");
    assertThat(queue(s).cancelJob(FREE_OLD)).isTrue();

    // Migrating again changes nothing.
    assertThat(queue(s).migrate().applied()).isEmpty();
    assertThat(checks(s)).isEqualTo(after);
  }

  @Test
  void aUsersCheckNamedLikeTheStatusCheckStopsTheUpgradeWithNothingApplied() {
    String s = "own_status_check";
    seed(s);
    db.execute(
        ("ALTER TABLE {s}.coding_jobs DROP CONSTRAINT coding_jobs_status_check,"
                + " ADD CONSTRAINT coding_jobs_status_check"
                + " CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'archived'))")
            .replace("{s}", s));
    Map<String, String> before = checks(s);

    assertThatThrownBy(() -> queue(s).migrate())
        .isInstanceOf(QueueException.class)
        .hasMessageContaining("coding_jobs_status_check")
        .hasMessageContaining("'archived'")
        .hasMessageContaining("RENAME CONSTRAINT");

    assertThat(queue(s).schemaVersion()).isZero();
    assertThat(checks(s)).isEqualTo(before);
  }

  @Test
  void afterAnUpgradeTheIndexesAreValidAndAsAFreshDatabaseHasThem() {
    String seeded = "indexes_seeded";
    String fresh = "indexes_fresh";
    seed(seeded);

    assertThat(queue(seeded).migrate().applied()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(queue(fresh).migrate().applied()).containsExactly(1, 2, 3, 4, 5, 6);

    for (String name : MIGRATION_INDEXES) {
      assertThat(indexValid(seeded, name)).as(name).isTrue();
      assertThat(indexValid(fresh, name)).as(name).isTrue();
      assertThat(indexDefinition(seeded, name).replace(seeded + ".", "{s}."))
          .as(name)
          .isEqualTo(indexDefinition(fresh, name).replace(fresh + ".", "{s}."));
    }
    // The seed's own status index is kept and not duplicated under migration 1's name.
    assertThat(indexValid(seeded, "idx_coding_jobs_status")).isTrue();
    assertThat(indexValid(seeded, "idx_coding_jobs_status_priority")).isNull();
  }

  @Test
  void anInvalidIndexLeftByAnInterruptedBuildIsDroppedAndBuiltAgain() {
    String s = "invalid_leftover";
    String fresh = "invalid_leftover_fresh";
    seed(s);
    // A concurrent build that fails half-way leaves an invalid index under the name: here a
    // unique one on priorities that repeat. Migration 2's IF NOT EXISTS alone would keep it.
    assertThatThrownBy(
            () ->
                db.execute(
                    "CREATE UNIQUE INDEX CONCURRENTLY coding_jobs_processing_lease_idx ON "
                        + s
                        + ".coding_jobs (priority)"))
        .hasMessageContaining("could not create unique index");
    assertThat(indexValid(s, "coding_jobs_processing_lease_idx")).isFalse();
    long indexOid =
        db.queryLong("SELECT '" + s + ".coding_jobs_processing_lease_idx'::regclass::oid");

    queue(s).migrate();
    queue(fresh).migrate();

    assertThat(indexValid(s, "coding_jobs_processing_lease_idx")).isTrue();
    assertThat(db.queryLong("SELECT '" + s + ".coding_jobs_processing_lease_idx'::regclass::oid"))
        .isNotEqualTo(indexOid);
    assertThat(indexDefinition(s, "coding_jobs_processing_lease_idx").replace(s + ".", "{s}."))
        .isEqualTo(
            indexDefinition(fresh, "coding_jobs_processing_lease_idx")
                .replace(fresh + ".", "{s}."));
  }

  @Test
  void migratingAnUpgradedSeedDatabaseAgainRebuildsNothing() {
    String s = "rebuild_nothing";
    seed(s);
    queue(s).migrate();
    Map<String, Long> oids = new LinkedHashMap<>();
    for (String name : MIGRATION_INDEXES) {
      oids.put(name, db.queryLong("SELECT '" + s + "." + name + "'::regclass::oid"));
    }

    MigrationReport again = queue(s).migrate();

    assertThat(again.applied()).isEmpty();
    assertThat(again.fromVersion()).isEqualTo(again.toVersion());
    for (String name : MIGRATION_INDEXES) {
      assertThat(db.queryLong("SELECT '" + s + "." + name + "'::regclass::oid"))
          .as(name)
          .isEqualTo(oids.get(name));
    }
  }

  @Test
  void fourProcessesUpgradingOneSeedDatabaseAtOnceAllSucceed() throws Exception {
    String s = "concurrent_seed";
    seed(s);
    db.execute(
        "ALTER TABLE "
            + s
            + ".coding_jobs ADD CONSTRAINT completed_jobs_have_a_time"
            + " CHECK (status <> 'completed' OR completed_at IS NOT NULL)");
    int threads = 4;
    List<JobQueue> queues = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      queues.add(queue(s));
    }
    List<MigrationReport> reports =
        SchemaMigrationTest.migrateAtOnce(queues, Duration.ofSeconds(60));

    assertThat(reports).filteredOn(r -> !r.applied().isEmpty()).hasSize(1);
    assertThat(reports).flatMap(MigrationReport::applied).containsExactly(1, 2, 3, 4, 5, 6);
    for (String name : MIGRATION_INDEXES) {
      assertThat(indexValid(s, name)).as(name).isTrue();
    }
    assertThat(checks(s)).containsKey("completed_jobs_have_a_time");
  }

  /**
   * The pre-step is held in place deterministically: a transaction with an older snapshot makes a
   * concurrent index build wait before it marks the index valid. While it waits, jobs are inserted
   * and updated at once, the builder holds nothing stronger than SHARE UPDATE EXCLUSIVE on {@code
   * coding_jobs}, and the migration's transaction has not started. A second process arriving then
   * waits without holding a snapshot (a blocked lock request would, and deadlock with the build).
   */
  @Test
  void whileTheIndexesAreBuiltJobsAreInsertedAndClaimedWithoutWaiting() throws Exception {
    String s = "live_writes";
    seed(s);
    // This seed database already has migration 1's event index: the first build is on coding_jobs.
    db.execute(
        "CREATE INDEX idx_session_events_session ON "
            + s
            + ".session_events (session_id, created_at)");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Future<MigrationReport> first;
    Future<MigrationReport> second;
    try (Connection olderSnapshot = db.connect()) {
      olderSnapshot.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      olderSnapshot.setAutoCommit(false);
      try (Statement st = olderSnapshot.createStatement()) {
        st.executeQuery("SELECT 1").close();
      }

      first = pool.submit(() -> queue(s).migrate());
      long builder =
          awaitBackend(
              "wait_event_type = 'Lock'"
                  + " AND query LIKE 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS"
                  + " coding_jobs_idempotency_key_key%'");

      try (Connection writer = db.connect();
          Statement st = writer.createStatement()) {
        // Refused after 2 s if it had to wait for a lock: a bound, not a pause.
        st.execute("SET lock_timeout = '2s'");
        st.execute(
            "INSERT INTO "
                + s
                + ".coding_jobs (session_id, prompt) VALUES ('"
                + SESSION_A
                + "', 'inserted while the index is built')");
        assertThat(
                st.executeUpdate(
                    "UPDATE "
                        + s
                        + ".coding_jobs SET status = 'processing', started_at = now()"
                        + " WHERE id = '"
                        + FREE_OLD
                        + "'"))
            .isOne();
      }
      assertThat(
              db.queryString(
                  "SELECT string_agg(mode, ',') FROM pg_locks WHERE pid = "
                      + builder
                      + " AND relation = '"
                      + s
                      + ".coding_jobs'::regclass"))
          .isEqualTo("ShareUpdateExclusiveLock");
      assertThat(db.queryString("SELECT to_regclass('" + s + ".mobvibe_queue_migrations')::text"))
          .as("the migration's transaction has not started")
          .isNull();

      second = pool.submit(() -> queue(s).migrate());
      awaitBackend("state = 'idle' AND query LIKE 'SELECT pg_try_advisory_lock%'");

      olderSnapshot.commit();
      List<MigrationReport> reports =
          List.of(first.get(60, TimeUnit.SECONDS), second.get(60, TimeUnit.SECONDS));
      assertThat(reports).flatMap(MigrationReport::applied).containsExactly(1, 2, 3, 4, 5, 6);
    } finally {
      pool.shutdownNow();
    }
    for (String name : MIGRATION_INDEXES) {
      assertThat(indexValid(s, name)).as(name).isTrue();
    }
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM "
                    + s
                    + ".coding_jobs WHERE prompt = 'inserted while the index is built'"
                    + " AND status = 'pending'"))
        .isOne();
  }

  private static void seed(String schema) {
    db.execute(SeedUpgradeTest.SEED_SCHEMA.replace("{s}", schema));
    db.execute(SeedUpgradeTest.SEED_ROWS.replace("{s}", schema));
  }

  private static JobQueue queue(String schema) {
    return db.newQueue(JobQueue.builder().schema(schema));
  }

  /** Waits until another backend of this database matches, and returns its pid. */
  private static long awaitBackend(String condition) {
    String sql =
        "SELECT coalesce(min(pid), 0) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND pid <> pg_backend_pid() AND "
            + condition;
    await().atMost(Duration.ofSeconds(30)).until(() -> db.queryLong(sql) != 0);
    return db.queryLong(sql);
  }

  /** The CHECK constraints on coding_jobs: name to definition, validation and comment. */
  private static Map<String, String> checks(String schema) {
    Map<String, String> checks = new LinkedHashMap<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT conname, pg_get_constraintdef(oid) || ' validated=' || convalidated"
                    + " || ' comment=' || coalesce(obj_description(oid, 'pg_constraint'), '-')"
                    + " FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'c'"
                    + " ORDER BY conname")) {
      ps.setString(1, schema + ".coding_jobs");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          checks.put(rs.getString(1), rs.getString(2));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return checks;
  }

  /** Whether the index is valid; {@code null} when it does not exist. */
  private static Boolean indexValid(String schema, String name) {
    String valid =
        db.queryString(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('"
                + schema
                + "."
                + name
                + "')");
    return valid == null ? null : Boolean.valueOf(valid);
  }

  private static String indexDefinition(String schema, String name) {
    return db.queryString("SELECT pg_get_indexdef(to_regclass('" + schema + "." + name + "'))");
  }
}
