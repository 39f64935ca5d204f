package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's embedding example runs jobs and records metrics. */
class EmbeddedWorkerExampleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void theEmbeddingExampleRunsJobs() {
    JobQueue queue = db.newQueue();
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
    assertThat(db.queryLong("SELECT count(*) FROM session_events WHERE event_type = 'completion'"))
        .isEqualTo(1);
  }
}
