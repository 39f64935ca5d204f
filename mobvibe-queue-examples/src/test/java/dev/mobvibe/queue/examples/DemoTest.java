package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The demo runs to completion with short timings, and again from a clean schema; its emails, a
 * second kind, run on the same workers.
 */
class DemoTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void demoRunsToCompletionAndRerunsClean() {
    Map<String, String> env = Map.of("DATABASE_URL", CliRunner.databaseUrl(db));
    for (int run = 1; run <= 2; run++) {
      CliRunner.Result r =
          CliRunner.run(env, "demo", "--jobs", "8", "--work-ms", "60", "--schema", "demo_test");
      assertThat(r.code()).as(r.out() + r.err()).isZero();
      assertThat(r.out())
          .contains("database: DATABASE_URL jdbc:postgresql://")
          .contains("Enqueued 9 jobs")
          .contains("worker-a", "worker-b")
          .contains("start P1   Pro      priority 10: highest")
          // A second prompt of P1's session waits for P1, whatever its priority.
          .contains("the second prompt of P1's session, which waited for P1 to finish")
          .contains("FAIL ", "retry in ", "DEAD ")
          .contains("All 9 jobs settled in ")
          .contains("7 completed, 2 dead-lettered")
          .contains("And 3 jobs of a second kind, send_email", "E1   email    priority 5")
          .contains("Beside them, 3 of 3 send_email jobs were sent by the same workers")
          // The statistics count every kind: 7 coding sessions and 3 emails completed.
          .contains("📊 Queue Statistics:", "Completed: 10", "Failed: 2");
      assertThat(r.out().lines().filter(l -> l.matches(".* done  E\\d +email +sent in .*")))
          .hasSize(3);
      // Claims take the highest priority first, and the oldest first within a priority.
      String order =
          r.out()
              .lines()
              .filter(l -> l.startsWith("Claim order of first attempts"))
              .findFirst()
              .orElseThrow();
      // (Two workers claiming at the same instant may swap neighbours; tiers never mix.)
      // P1+ runs whenever P1 has finished, so it is left out of the tier order.
      assertThat(order.replace(" P1+", "")).matches(".*: P. P. S. S. F. F. F. F.");
    }
    assertThat(db.queryLong("SELECT count(*) FROM demo_test.coding_jobs")).isEqualTo(12);
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM demo_test.coding_jobs"
                    + " WHERE kind = 'send_email' AND session_id IS NULL AND status = 'completed'"))
        .isEqualTo(3);
  }
}
