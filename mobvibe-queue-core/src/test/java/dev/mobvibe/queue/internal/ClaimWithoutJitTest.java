package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Claims run with the server's just-in-time compilation off, only for their own transaction: the
 * planner's estimate of a large claim passes {@code jit_above_cost} and compiling it cost 30 to 100
 * times its run time, while a pool the application shares keeps its setting.
 */
class ClaimWithoutJitTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static List<String> jit(Jdbc jdbc, Connection c, boolean off) throws SQLException {
    String show = "SELECT current_setting('jit') AS jit";
    return off
        ? jdbc.queryWithoutJitOn(c, show, ps -> {}, rs -> rs.getString("jit"))
        : jdbc.queryOn(c, show, ps -> {}, rs -> rs.getString("jit"));
  }

  @Test
  void theSettingHoldsForTheStatementAndNotAfterIt() throws SQLException {
    Jdbc jdbc = new Jdbc(db.dataSource());
    try (Connection c = db.connect()) {
      c.createStatement().execute("SET jit = on");
      // Past the driver's prepare threshold too: a server-prepared statement behaves the same.
      for (int i = 0; i < 8; i++) {
        assertThat(jit(jdbc, c, true)).as("run %d", i).containsExactly("off");
        assertThat(jit(jdbc, c, false)).as("after run %d", i).containsExactly("on");
      }
      // Inside a transaction the setting ends with it, not with the statement.
      c.setAutoCommit(false);
      assertThat(jit(jdbc, c, true)).containsExactly("off");
      c.commit();
      assertThat(jit(jdbc, c, false)).containsExactly("on");
    }
  }

  @Test
  void claimsWorkWhereEveryStatementWouldBeCompiled() throws SQLException {
    db.execute("ALTER DATABASE " + db.name() + " SET jit = on");
    db.execute("ALTER DATABASE " + db.name() + " SET jit_above_cost = 0");
    // A pool of its own: its connections start after the settings above.
    JobQueue.Builder builder = JobQueue.builder().jdbcUrl(db.jdbcUrl()).maxPoolSize(2);
    if (db.user() != null) {
      builder.username(db.user());
    }
    if (db.password() != null) {
      builder.password(db.password());
    }
    try (JobQueue queue = builder.build()) {
      claimInBothWays(queue);
    }
  }

  private static void claimInBothWays(JobQueue queue) throws SQLException {
    queue.migrate();
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      jobs.add(NewJob.of("jit " + i));
    }
    queue.enqueueAll(jobs);
    JobStore store = new JobStore(new Jdbc(queue.dataSource()), queue.schema());
    List<Job> claimed =
        store.claim(
            "plain",
            Set.of(NewJob.CODING_SESSION_KIND),
            20,
            Duration.ofMinutes(1),
            SessionTracking.STATUS);
    // With a limit the claim takes its locks first, in a transaction of its own.
    JobStore.FlowRules limited =
        new JobStore.FlowRules(
            List.of(new JobStore.FlowRules.Limit(NewJob.CODING_SESSION_KIND, null, 100)),
            List.of(),
            Duration.ofMinutes(5));
    List<Job> claimedUnderLimit =
        store.claim(
            "limited",
            Set.of(NewJob.CODING_SESSION_KIND),
            limited,
            20,
            Duration.ofMinutes(1),
            SessionTracking.STATUS);
    assertThat(claimed).hasSize(20);
    assertThat(claimedUnderLimit).hasSize(20).doesNotContainAnyElementsOf(claimed);
    try (Connection c = queue.dataSource().getConnection()) {
      assertThat(jit(new Jdbc(queue.dataSource()), c, false)).containsExactly("on");
    }
  }
}
