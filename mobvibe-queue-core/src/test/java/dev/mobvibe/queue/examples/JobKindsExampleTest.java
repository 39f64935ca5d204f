package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's job-kinds snippet against a fresh database. */
class JobKindsExampleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void aSecondKindRunsBesideCodingSessions() throws InterruptedException {
    List<String> log = new CopyOnWriteArrayList<>();
    JobKindsExample.run(db.migratedQueue(), log);

    assertThat(log).containsExactlyInAnyOrder("mailed ada@example.com", "coded Build a todo app");
    assertThat(
            db.queryString(
                "SELECT string_agg(kind || ':' || status, ',' ORDER BY kind) FROM coding_jobs"))
        .isEqualTo("coding_session:completed,send_email:completed");
    assertThat(db.queryString("SELECT args->>'to' FROM coding_jobs WHERE kind = 'send_email'"))
        .isEqualTo("ada@example.com");
  }
}
