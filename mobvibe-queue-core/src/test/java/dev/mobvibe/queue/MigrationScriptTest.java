package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.internal.QueueSchema;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The migrations as SQL text for users who own their DDL: applied with plain JDBC they give what
 * the runner gives, the schema name is substituted, and a processor refuses to start on a schema
 * that lacks some of them. Each test works in a schema of its own.
 */
class MigrationScriptTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** Applies scripts as a migration tool would: online statements alone, then one transaction. */
  private static void apply(List<MigrationScript> scripts) throws SQLException {
    try (Connection c = db.connect()) {
      for (MigrationScript script : scripts) {
        c.setAutoCommit(true);
        for (String statement : script.onlineStatements()) {
          try (Statement st = c.createStatement()) {
            st.execute(statement);
          }
        }
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          st.execute(script.sql());
        }
        c.commit();
      }
    }
  }

  @Test
  void scriptsAppliedWithPlainJdbcGiveWhatTheRunnerGivesAndAProcessorRunsThere() throws Exception {
    apply(MigrationScript.all("public"));

    JobQueue queue = db.newQueue();
    assertThat(queue.schemaVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    MigrationReport again = queue.migrate();
    assertThat(again.applied()).isEmpty();
    assertThat(again.fromVersion()).isEqualTo(QueueSchema.LATEST_VERSION);

    db.newQueue(JobQueue.builder().schema("by_runner")).migrate();
    assertThat(catalog("public")).isEqualTo(catalog("by_runner")).isNotEmpty();

    AtomicInteger ran = new AtomicInteger();
    Job job = queue.enqueue(NewJob.of("owned DDL"));
    try (JobProcessor p =
        JobProcessor.builder(queue, (j, ctx) -> ran.incrementAndGet())
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      p.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> queue.findJob(job.id()).orElseThrow().status() == JobStatus.COMPLETED);
    }
    assertThat(ran).hasValue(1);
  }

  @Test
  void scriptsCoverEveryMigrationInOrderAndBuildIndexesOfExistingTablesConcurrently() {
    List<MigrationScript> scripts = MigrationScript.all("public");
    assertThat(scripts)
        .extracting(MigrationScript::version)
        .isEqualTo(QueueSchema.versionsAfter(0))
        .endsWith(QueueSchema.LATEST_VERSION);
    // Migration 1 creates the tables: its indexes are built in the transaction, on empty tables.
    assertThat(scripts.get(0).onlineStatements()).isEmpty();
    assertThat(scripts.get(1).onlineStatements())
        .anySatisfy(s -> assertThat(s).startsWith("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS"))
        .allSatisfy(s -> assertThat(s).doesNotEndWith(";"));
    for (MigrationScript s : scripts) {
      assertThat(s.sql())
          .startsWith("CREATE SCHEMA IF NOT EXISTS public;")
          .contains("CREATE TABLE IF NOT EXISTS public.mobvibe_queue_migrations")
          .endsWith(
              "INSERT INTO public.mobvibe_queue_migrations (version, description) VALUES ("
                  + s.version()
                  + ", '"
                  + s.description()
                  + "');\n");
    }
  }

  @Test
  void aNonDefaultSchemaIsSubstitutedEverywhere() throws Exception {
    List<MigrationScript> scripts = MigrationScript.all("tenant_owned");
    for (MigrationScript s : scripts) {
      assertThat(s.sql()).doesNotContain("{schema}").doesNotContain("public.");
      assertThat(s.onlineStatements())
          .allSatisfy(
              statement ->
                  assertThat(statement).doesNotContain("{schema}").contains("tenant_owned."));
    }
    assertThat(scripts.get(0).sql())
        .contains("CREATE TABLE IF NOT EXISTS tenant_owned.coding_jobs");

    apply(scripts);

    JobQueue tenant = db.newQueue(JobQueue.builder().schema("tenant_owned"));
    assertThat(tenant.schemaVersion()).isEqualTo(QueueSchema.LATEST_VERSION);
    assertThat(tenant.migrate().applied()).isEmpty();
    Job job = tenant.enqueue(NewJob.of("in the tenant's schema"));
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM tenant_owned.coding_jobs WHERE id = '" + job.id() + "'"))
        .isEqualTo(1);

    assertThatThrownBy(() -> MigrationScript.all("Tenant-A"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
  }

  @Test
  void aProcessorRefusesToStartOnASchemaThatLacksMigrations() throws Exception {
    List<MigrationScript> scripts = MigrationScript.all("behind");
    apply(scripts.subList(0, scripts.size() - 1));
    JobQueue behind = db.newQueue(JobQueue.builder().schema("behind"));
    int version = behind.schemaVersion();
    assertThat(version).isEqualTo(scripts.get(scripts.size() - 2).version());

    String workerId = "behind-" + System.nanoTime();
    JobProcessor p = JobProcessor.builder(behind, (j, ctx) -> {}).workerId(workerId).build();
    assertThatThrownBy(p::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema behind is at version " + version)
        .hasMessageContaining("needs version " + QueueSchema.LATEST_VERSION)
        .hasMessageContaining("missing migration " + QueueSchema.LATEST_VERSION + ".")
        .hasMessageContaining("JobQueue.migrate()")
        .hasMessageContaining("MigrationScript.all(\"behind\")");
    assertThat(p.state()).isEqualTo(JobProcessor.State.NEW);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneSatisfy(t -> assertThat(t.getName()).contains(workerId));

    JobQueue never = db.newQueue(JobQueue.builder().schema("never_migrated"));
    JobProcessor q = JobProcessor.builder(never, (j, ctx) -> {}).build();
    assertThatThrownBy(q::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is at version 0")
        .hasMessageContaining(
            "missing migrations "
                + String.join(
                    ", ", QueueSchema.versionsAfter(0).stream().map(String::valueOf).toList()));

    // Once the rest is applied, the same processor starts.
    apply(scripts.subList(scripts.size() - 1, scripts.size()));
    p.start();
    p.stop();
  }

  /** Columns, constraints, indexes, triggers and functions of a schema, its name taken out. */
  private static List<String> catalog(String schema) throws SQLException {
    List<String> rows = new ArrayList<>();
    String[] queries = {
      """
      SELECT table_name || '.' || column_name || ' ' || data_type || ' '
             || is_nullable || ' ' || coalesce(column_default, '')
        FROM information_schema.columns WHERE table_schema = ? ORDER BY 1
      """,
      """
      SELECT (SELECT relname FROM pg_class WHERE oid = conrelid) || ' ' || conname || ' ' || pg_get_constraintdef(oid)
             || ' ' || convalidated
        FROM pg_constraint WHERE connamespace = ?::regnamespace ORDER BY 1
      """,
      """
      SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = ? ORDER BY 1
      """,
      """
      SELECT tgname || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN pg_class r ON r.oid = t.tgrelid
       WHERE r.relnamespace = ?::regnamespace AND NOT tgisinternal ORDER BY 1
      """,
      """
      SELECT pg_get_functiondef(p.oid) FROM pg_proc p
       WHERE p.pronamespace = ?::regnamespace ORDER BY 1
      """
    };
    try (Connection c = db.connect()) {
      try (Statement st = c.createStatement()) {
        // Definitions name every object with its schema, public ones too.
        st.execute("SET search_path = ''");
      }
      for (String query : queries) {
        try (PreparedStatement ps = c.prepareStatement(query)) {
          ps.setString(1, schema);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              rows.add(rs.getString(1).replace(schema + ".", "{schema}."));
            }
          }
        }
      }
    }
    return rows;
  }
}
