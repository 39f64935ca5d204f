package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's embedding example runs jobs and records metrics. */
class EmbeddedWorkerExampleTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  @Test
  void theEmbeddingExampleRunsJobs() throws Exception {
    JobQueue queue = mvq.queue();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    JobProcessor processor = EmbeddedWorkerExample.start(queue, registry);
    try {
      queue.enqueue(NewJob.builder("Embedded job").tier(PlanTier.STARTER).build());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> queue.getQueueStats().completedCount() == 1);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> registry.counter("mobvibe.jobs.succeeded", "tier", "starter").count() == 1.0);
    } finally {
      processor.stop();
    }
    try (Connection c = mvq.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM session_events WHERE event_type = 'completion'")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1);
    }
  }
}
