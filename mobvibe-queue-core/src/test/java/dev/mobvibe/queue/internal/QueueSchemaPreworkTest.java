package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.QueueException;
import dev.mobvibe.queue.internal.QueueSchema.AddColumn;
import dev.mobvibe.queue.internal.QueueSchema.BuildIndex;
import dev.mobvibe.queue.internal.QueueSchema.Migration;
import dev.mobvibe.queue.internal.QueueSchema.Prework;
import dev.mobvibe.queue.testing.TestDatabase;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the runner reads out of the shipped migration scripts for its online pre-step, and the one
 * definition it keeps of its own (the seed's status check), checked against the scripts.
 */
class QueueSchemaPreworkTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void migrationOnePrebuildsItsEventIndexAndAddsTheSessionColumnsItNames() {
    List<Prework> work = migration(1).prework();

    assertThat(work)
        .filteredOn(AddColumn.class::isInstance)
        .map(p -> ((AddColumn) p).table() + "." + ((AddColumn) p).column())
        .containsExactly(
            "coding_sessions.error_message",
            "coding_sessions.started_at",
            "coding_sessions.completed_at",
            "coding_sessions.updated_at");
    // The seed's own index is built inside a DO block, only where no equivalent exists: that
    // guard stays with the migration, so the pre-step never builds a second copy of it.
    assertThat(work)
        .filteredOn(BuildIndex.class::isInstance)
        .containsExactly(
            new BuildIndex(
                "idx_session_events_session", "session_events", false, "(session_id, created_at)"));
  }

  @Test
  void migrationTwoAddsItsColumnsBeforeBuildingTheIndexesOnThem() {
    List<Prework> work = migration(2).prework();

    assertThat(work)
        .filteredOn(AddColumn.class::isInstance)
        .map(p -> ((AddColumn) p).table() + "." + ((AddColumn) p).column())
        .containsExactly(
            "coding_jobs.run_at",
            "coding_jobs.lease_owner",
            "coding_jobs.lease_expires_at",
            "coding_jobs.errors",
            "coding_jobs.idempotency_key");
    assertThat(work)
        .filteredOn(BuildIndex.class::isInstance)
        .containsExactly(
            new BuildIndex(
                "coding_jobs_idempotency_key_key",
                "coding_jobs",
                true,
                "(idempotency_key) WHERE idempotency_key IS NOT NULL"),
            new BuildIndex(
                "coding_jobs_claim_idx",
                "coding_jobs",
                false,
                "(priority DESC, created_at, id) WHERE status = 'pending'"),
            new BuildIndex(
                "coding_jobs_processing_lease_idx",
                "coding_jobs",
                false,
                "(lease_expires_at) WHERE status = 'processing'"));
    // Every column comes before the first index: the indexes on new columns can be prebuilt.
    assertThat(work.subList(0, 5)).allMatch(AddColumn.class::isInstance);
    assertThat(((AddColumn) work.get(0)).statement())
        .isEqualTo(
            "ALTER TABLE {schema}.coding_jobs ADD COLUMN IF NOT EXISTS run_at timestamptz NOT NULL"
                + " DEFAULT now()");
  }

  @Test
  void theConcurrentBuildHasTheMigrationsNameAndDefinition() {
    BuildIndex index =
        new BuildIndex(
            "coding_jobs_idempotency_key_key",
            "coding_jobs",
            true,
            "(idempotency_key) WHERE idempotency_key IS NOT NULL");

    assertThat(index.sql("tenant_a"))
        .isEqualTo(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS coding_jobs_idempotency_key_key"
                + " ON tenant_a.coding_jobs (idempotency_key) WHERE idempotency_key IS NOT NULL");
  }

  @Test
  void statementsSplitOnlyAtTopLevelSemicolons() {
    String script =
        """
        -- a comment; not a statement
        CREATE INDEX IF NOT EXISTS a_idx ON {schema}.t (x) WHERE y = 'a;b';
        /* a block; /* nested; */ still a comment; */
        ALTER TABLE {schema}."odd;name" ADD COLUMN IF NOT EXISTS c text DEFAULT 'it''s; fine';
        DO $$
        BEGIN
          CREATE INDEX IF NOT EXISTS hidden_idx ON {schema}.t (x);
        END;
        $$;
        CREATE FUNCTION {schema}.f() RETURNS text LANGUAGE sql AS $body$ SELECT '$$;' $body$;
        SELECT 1
        """;

    assertThat(QueueSchema.topLevelStatements(script))
        .containsExactly(
            "CREATE INDEX IF NOT EXISTS a_idx ON {schema}.t (x) WHERE y = 'a;b'",
            "ALTER TABLE {schema}.\"odd;name\" ADD COLUMN IF NOT EXISTS c text DEFAULT 'it''s;"
                + " fine'",
            "DO $$\nBEGIN\n  CREATE INDEX IF NOT EXISTS hidden_idx ON {schema}.t (x);\nEND;\n$$",
            "CREATE FUNCTION {schema}.f() RETURNS text LANGUAGE sql AS $body$ SELECT '$$;' $body$",
            "SELECT 1");
    // Only plain top-level forms are prework: not the index in the DO block, not a quoted table.
    assertThat(QueueSchema.prework(script))
        .containsExactly(new BuildIndex("a_idx", "t", false, "(x) WHERE y = 'a;b'"));
  }

  @Test
  void anUnterminatedBodyIsRefused() {
    assertThatThrownBy(() -> QueueSchema.topLevelStatements("DO $$ BEGIN NULL; END;"))
        .isInstanceOf(QueueException.class)
        .hasMessageContaining("unterminated");
  }

  /**
   * The runner keeps its own copy of the seed's status check, to tell it from a user's: it must be
   * what the server prints for the check migration 1 (and the seed) wrote.
   */
  @Test
  void theSeedStatusCheckIsWhatTheServerPrintsForMigrationOnesCheck() {
    Matcher check =
        Pattern.compile("status text NOT NULL DEFAULT 'pending' (CHECK \\(.*?\\)\\))")
            .matcher(QueueSchema.load("V1__seed_baseline.sql"));
    assertThat(check.find()).isTrue();
    db.execute("CREATE TABLE seed_check (status text NOT NULL " + check.group(1) + ")");

    assertThat(
            db.queryString(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                    + " WHERE conrelid = 'seed_check'::regclass AND contype = 'c'"))
        .isEqualTo(QueueSchema.SEED_STATUS_CHECK);
  }

  private static Migration migration(int version) {
    return QueueSchema.MIGRATIONS.stream()
        .filter(m -> m.version() == version)
        .findFirst()
        .orElseThrow();
  }
}
