package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProcessorSmokeTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void drains() {
    JobQueue queue = db.migratedQueue();
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      jobs.add(NewJob.of("p" + i));
    }
    queue.enqueueAll(jobs);
    AtomicInteger n = new AtomicInteger();
    long t0 = System.nanoTime();
    try (JobProcessor p =
        JobProcessor.builder(queue, (job, ctx) -> n.incrementAndGet()).concurrency(10).build()) {
      p.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> queue.getQueueStats().completedCount() == 2000);
    }
    System.out.println("drain ms " + (System.nanoTime() - t0) / 1_000_000);
    assertThat(n.get()).isEqualTo(2000);
  }
}
