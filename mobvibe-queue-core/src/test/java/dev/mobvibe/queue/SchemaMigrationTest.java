package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mobvibe.queue.internal.JobsSql;
import dev.mobvibe.queue.internal.QueueSchema;
import dev.mobvibe.queue.testing.TestDatabase;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The migrations on a bare database: what they create, that they are idempotent and safe to run
 * concurrently, that a non-public schema works, and that every statement of {@link JobsSql} parses
 * against the migrated schema. Tests other than the bare-database one work in schemas of their own,
 * so they do not depend on each other's order.
 */
class SchemaMigrationTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void migrateOnABareDatabaseCreatesTheSeedTablesFunctionsAndTriggers() {
    JobQueue queue = db.newQueue();
    assertThat(queue.schemaVersion()).isZero();

    MigrationReport report = queue.migrate();

    assertThat(report.schema()).isEqualTo("public");
    assertThat(report.fromVersion()).isZero();
    assertThat(report.toVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(report.applied()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(queue.schemaVersion()).isEqualTo(QueueSchema.LATEST_VERSION);

    assertThat(tables("public"))
        .contains("coding_sessions", "coding_jobs", "session_events", "mobvibe_queue_migrations");
    assertThat(columns("public", "coding_jobs"))
        .contains(
            // the seed's columns (DESIGN.md section 3)
            "id",
            "session_id",
            "prompt",
            "status",
            "priority",
            "retry_count",
            "max_retries",
            "error_message",
            "started_at",
            "completed_at",
            "created_at",
            "updated_at",
            // the SDK's additions
            "run_at",
            "lease_owner",
            "lease_expires_at",
            "errors",
            "idempotency_key");
    assertThat(columns("public", "coding_sessions"))
        .contains("id", "status", "error_message", "updated_at");
    assertThat(columns("public", "session_events"))
        .contains("id", "session_id", "event_type", "event_data", "created_at");

    // The four SQL functions other clients call, with the seed's signatures.
    assertThat(functions("public"))
        .containsEntry(
            "claim_next_job()",
            "TABLE(job_id uuid, session_id uuid, prompt text, priority integer)")
        .containsEntry("complete_job(job_id_param uuid)", "void")
        .containsEntry("fail_job(job_id_param uuid, error_msg text)", "boolean")
        .containsEntry(
            "get_queue_stats()",
            "TABLE(pending_count bigint, processing_count bigint, completed_count bigint,"
                + " failed_count bigint, oldest_pending_age interval)");

    assertThat(triggers("public"))
        .contains("on_job_created", "on_job_status_changed", "update_coding_jobs_updated_at");
  }

  @Test
  void migratingTwiceAppliesNothingTheSecondTime() {
    JobQueue queue = db.newQueue(JobQueue.builder().schema("twice"));

    MigrationReport first = queue.migrate();
    MigrationReport second = queue.migrate();

    assertThat(first.applied()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(second.schema()).isEqualTo("twice");
    assertThat(second.applied()).isEmpty();
    assertThat(second.fromVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(second.toVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(db.queryLong("SELECT count(*) FROM twice.mobvibe_queue_migrations"))
        .isEqualTo(QueueSchema.LATEST_VERSION);
  }

  @Test
  void fourThreadsMigratingAFreshSchemaAtOnceAllSucceedAndApplyEachVersionOnce() throws Exception {
    int threads = 4;
    List<JobQueue> queues = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      queues.add(db.newQueue(JobQueue.builder().schema("concurrent")));
    }
    List<MigrationReport> reports = migrateAtOnce(queues, Duration.ofSeconds(30));

    // Exactly one caller applied the migrations; the others found the schema up to date.
    assertThat(reports).filteredOn(r -> !r.applied().isEmpty()).hasSize(1);
    assertThat(reports)
        .filteredOn(r -> !r.applied().isEmpty())
        .first()
        .satisfies(r -> assertThat(r.applied()).containsExactly(1, 2, 3, 4, 5, 6));
    assertThat(reports)
        .allSatisfy(r -> assertThat(r.toVersion()).isEqualTo(QueueSchema.LATEST_VERSION));
    assertThat(
            db.queryString(
                "SELECT string_agg(version || ':' || n, ',' ORDER BY version) FROM ("
                    + "SELECT version, count(*) AS n FROM concurrent.mobvibe_queue_migrations"
                    + " GROUP BY version) v"))
        .isEqualTo("1:1,2:1,3:1,4:1,5:1,6:1");
  }

  /**
   * A process that waited for the lock must see what the holder created. The waiting connection has
   * run CREATE SCHEMA before (as a pooled connection may have) and looked the schema up while it
   * was absent; another session holds the migration lock while it creates the schema. Had the
   * waiter waited inside its transaction, its catalog caches would still say the schema is absent
   * when the holder commits, and creating it would fail with a duplicate key on pg_namespace.
   */
  @Test
  void aMigrationThatWaitedForTheLockSeesTheSchemaTheHolderCreated() throws Exception {
    String schema = "created_meanwhile";
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.jdbcUrl());
    config.setUsername(db.user());
    config.setPassword(db.password());
    config.setMaximumPoolSize(1);
    config.setConnectionInitSql("CREATE SCHEMA IF NOT EXISTS warmed_up");
    config.addDataSourceProperty("ApplicationName", "waits_for_the_lock");
    HikariDataSource oneConnection = db.closeLater(new HikariDataSource(config));
    JobQueue queue =
        db.closeLater(JobQueue.builder().dataSource(oneConnection).schema(schema).build());
    assertThat(queue.schemaVersion()).isZero(); // looks the schema up while it is absent

    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection holder = db.connect()) {
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute(
            "SELECT pg_advisory_xact_lock(hashtext('mobvibe_queue_migrate:" + schema + "'))");
        st.execute("CREATE SCHEMA " + schema);
      }
      Future<MigrationReport> migration = pool.submit(queue::migrate);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  db.queryLong(
                          "SELECT count(*) FROM pg_stat_activity"
                              + " WHERE application_name = 'waits_for_the_lock'"
                              + " AND (query LIKE '%advisory_xact_lock%' OR query = 'ROLLBACK')")
                      > 0);
      holder.commit();

      assertThat(migration.get(30, TimeUnit.SECONDS).applied()).containsExactly(1, 2, 3, 4, 5, 6);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aNonPublicSchemaWorksEndToEndAndKeepsItsTablesThere() {
    JobQueue tenant = db.newQueue(JobQueue.builder().schema("tenant_a"));
    assertThat(tenant.schema()).isEqualTo("tenant_a");
    assertThat(tenant.migrate().schema()).isEqualTo("tenant_a");

    Job job = tenant.enqueue(NewJob.builder("tenant job").tier(PlanTier.STARTER).build());
    Job claimed = tenant.claimNextJob().orElseThrow();
    assertThat(claimed.id()).isEqualTo(job.id());
    assertThat(claimed.status()).isEqualTo(JobStatus.PROCESSING);
    assertThat(tenant.completeJob(job.id())).isTrue();

    assertThat(tables("tenant_a"))
        .contains("coding_sessions", "coding_jobs", "session_events", "mobvibe_queue_migrations");
    assertThat(functions("tenant_a"))
        .containsKeys(
            "claim_next_job()",
            "complete_job(job_id_param uuid)",
            "fail_job(job_id_param uuid, error_msg text)",
            "get_queue_stats()");
    assertThat(triggers("tenant_a"))
        .contains("on_job_created", "on_job_status_changed", "update_coding_jobs_updated_at");
    assertThat(
            db.queryString("SELECT status FROM tenant_a.coding_jobs WHERE id = '" + job.id() + "'"))
        .isEqualTo("completed");
    assertThat(
            db.queryString(
                "SELECT status FROM tenant_a.coding_sessions WHERE id = '" + job.sessionId() + "'"))
        .isEqualTo("completed");
    assertThat(tenant.getQueueStats().completedCount()).isEqualTo(1);

    // Nothing of the tenant's leaked into public (which may or may not be migrated by now).
    if (db.queryString("SELECT to_regclass('public.coding_jobs')::text") != null) {
      assertThat(
              db.queryLong("SELECT count(*) FROM public.coding_jobs WHERE id = '" + job.id() + "'"))
          .isZero();
    }
  }

  static Stream<String> invalidSchemaNames() {
    return Stream.of("Public", "a-b", "x; drop table", "", "a".repeat(64), "1abc", " public");
  }

  @ParameterizedTest
  @MethodSource("invalidSchemaNames")
  void theBuilderRejectsASchemaThatIsNotAPlainLowerCaseIdentifier(String schema) {
    assertThatThrownBy(() -> JobQueue.builder().dataSource(db.dataSource()).schema(schema).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
  }

  @Test
  void theBuilderRejectsANullSchemaAndAcceptsSixtyThreeCharacters() {
    assertThatThrownBy(() -> JobQueue.builder().dataSource(db.dataSource()).schema(null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
    String longest = "s" + "_".repeat(62);
    try (JobQueue queue = JobQueue.builder().dataSource(db.dataSource()).schema(longest).build()) {
      assertThat(queue.schema()).isEqualTo(longest);
    }
  }

  /**
   * Prepares every statement of {@link JobsSql} on the server, so a typo in a column, a table, a
   * type or the syntax fails the build. The search path is emptied, so a statement that forgets the
   * schema prefix fails too.
   */
  @Test
  void everyJobsSqlStatementParsesAgainstTheMigratedSchema() throws Exception {
    db.newQueue(JobQueue.builder().schema("sql_check")).migrate();
    JobsSql sql = new JobsSql("sql_check");

    Map<String, String> statements = new LinkedHashMap<>();
    for (Field field : JobsSql.class.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) || field.getType() != String.class) {
        continue;
      }
      field.setAccessible(true);
      statements.put(field.getName(), (String) field.get(sql));
    }
    // The statements documented in JobsSql at the time of writing; more may be added.
    assertThat(statements)
        .containsKeys(
            "jobsInsertBatch",
            "jobsInsertBatchUnique",
            "jobsSelectByUniqueKeys",
            "jobsSelectUniqueKeyHolder",
            "jobsSelectById",
            "jobsClaimBatch",
            "jobsClaimBatchWithoutEvents",
            "jobsClaimBatchJobsOnly",
            "jobsClaimAndReapBatch",
            "jobsClaimAndReapBatchWithoutEvents",
            "jobsClaimAndReapBatchJobsOnly",
            "jobsComplete",
            "jobsCompleteLeasedBatch",
            "jobsCompleteLeasedBatchWithoutEvents",
            "jobsCompleteLeasedBatchJobsOnly",
            "jobsFail",
            "jobsCancel",
            "jobsReplay",
            "jobsExtendLeases",
            "jobsReapExpired",
            "jobsSnoozeLeased",
            "jobsReleaseLeased",
            "jobsReleaseStranded",
            "jobsStats",
            "jobsListRecent",
            "jobsPruneFinished");

    List<String> failures = new ArrayList<>();
    try (Connection c = db.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("SET search_path TO ''");
      }
      // The check itself reaches the server: a broken statement must fail it.
      assertThatThrownBy(
              () -> describe(c, "SELECT no_such_column FROM sql_check.coding_jobs WHERE id = ?"))
          .isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> describe(c, "SELECT id FROM coding_jobs WHERE id = ?"))
          .isInstanceOf(SQLException.class);

      for (Map.Entry<String, String> e : statements.entrySet()) {
        assertThat(e.getValue()).as(e.getKey()).isNotBlank().doesNotContain("{s}", "{cols}");
        try {
          describe(c, e.getValue());
        } catch (SQLException ex) {
          failures.add(e.getKey() + ": " + ex.getMessage());
        }
      }
    }
    assertThat(failures).as("statements the server refused").isEmpty();
  }

  private static void describe(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      // Both calls make pgjdbc send Parse and Describe: the server parses and analyses the text.
      ps.getParameterMetaData();
      ps.getMetaData();
    }
  }

  private static List<String> tables(String schema) {
    return strings(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = '"
            + schema
            + "' ORDER BY 1");
  }

  private static List<String> columns(String schema, String table) {
    return strings(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = '"
            + schema
            + "' AND table_name = '"
            + table
            + "' ORDER BY ordinal_position");
  }

  private static List<String> triggers(String schema) {
    return strings(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = '"
            + schema
            + ".coding_jobs'::regclass ORDER BY 1");
  }

  /** Function signature (name and arguments) to result type, for the schema's functions. */
  private static Map<String, String> functions(String schema) {
    Map<String, String> result = new LinkedHashMap<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',"
                    + " pg_get_function_result(p.oid) FROM pg_proc p"
                    + " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '"
                    + schema
                    + "'")) {
      while (rs.next()) {
        result.put(rs.getString(1), rs.getString(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return result;
  }

  private static List<String> strings(String sql) {
    List<String> result = new ArrayList<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        result.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return result;
  }

  /**
   * Calls {@code migrate()} on every queue at once, from as many threads released together.
   *
   * @return each call's report, in the order of {@code queues}
   */
  static List<MigrationReport> migrateAtOnce(List<JobQueue> queues, Duration timeout)
      throws Exception {
    CountDownLatch ready = new CountDownLatch(queues.size());
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(queues.size());
    try {
      List<Future<MigrationReport>> futures = new ArrayList<>();
      for (JobQueue queue : queues) {
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  return queue.migrate();
                }));
      }
      assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
      go.countDown();
      List<MigrationReport> reports = new ArrayList<>();
      for (Future<MigrationReport> f : futures) {
        reports.add(f.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
      }
      return reports;
    } finally {
      pool.shutdownNow();
    }
  }
}
