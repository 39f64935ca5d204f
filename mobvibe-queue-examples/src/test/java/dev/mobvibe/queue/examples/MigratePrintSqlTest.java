package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.MigrationScript;
import dev.mobvibe.queue.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code migrate --print-sql}: every migration for the chosen schema, and nothing applied. */
class MigratePrintSqlTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void printsEveryMigrationInOrderWithHeadersAndAppliesNothing() {
    Map<String, String> env = CliRunner.env(db);

    CliRunner.Result printed = CliRunner.run(env, "migrate", "--print-sql", "--schema", "owned");

    assertThat(printed.code()).as(printed.err()).isZero();
    String out = printed.out();
    int from = 0;
    for (MigrationScript script : MigrationScript.all("owned")) {
      String header = "-- version " + script.version() + ": " + script.description() + "\n";
      int at = out.indexOf(header, from);
      assertThat(at)
          .as("header of version %d in order", script.version())
          .isGreaterThanOrEqualTo(from);
      assertThat(out.substring(at)).contains(script.sql());
      for (String statement : script.onlineStatements()) {
        assertThat(out.substring(at)).contains(statement + ";\n");
      }
      from = at + header.length();
    }
    assertThat(out)
        .contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS coding_jobs_idempotency_key_key")
        .contains("outside any transaction")
        .doesNotContain("{schema}")
        .doesNotContain("database:");
    assertThat(db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'owned'")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).isZero();
  }
}
