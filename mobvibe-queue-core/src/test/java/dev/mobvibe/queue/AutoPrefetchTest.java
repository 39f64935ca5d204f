package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default (auto) prefetch: a worker draining short jobs claims beyond its handler slots, so a
 * statement carries many jobs; a worker running long jobs buffers none, so no job waits in its
 * memory while another worker could run it.
 */
class AutoPrefetchTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  @Test
  void shortJobsAreClaimedBeyondTheFreeSlots() throws Exception {
    int n = 3000;
    List<NewJob> jobs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      jobs.add(NewJob.of("short " + i));
    }
    queue.enqueueAll(jobs);
    AtomicInteger largestClaim = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(n);
    try (JobProcessor processor =
        JobProcessor.builder(queue, (job, ctx) -> {})
            .concurrency(2)
            .sessionTracking(SessionTracking.OFF)
            .listener(
                new JobListener() {
                  @Override
                  public void onClaim(int count) {
                    largestClaim.accumulateAndGet(count, Math::max);
                  }

                  @Override
                  public void onJobSucceeded(Job job, Duration runTime) {
                    done.countDown();
                  }
                })
            .build()) {
      processor.start();
      assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(largestClaim.get()).as("jobs in the largest claim").isGreaterThan(2);
    assertThat(queue.getQueueStats().completedCount()).isEqualTo(n);
  }

  @Test
  void longJobsAreNotBufferedWhileEverySlotIsBusy() throws Exception {
    Job first = queue.enqueue(NewJob.builder("long, runs first").priority(10).build());
    Job second = queue.enqueue(NewJob.of("waits in the database, not in memory"));
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (job, ctx) -> {
                  if (job.id().equals(first.id())) {
                    started.countDown();
                    release.await(30, TimeUnit.SECONDS);
                  }
                })
            .concurrency(1)
            .pollInterval(Duration.ofMillis(20))
            .build()) {
      processor.start();
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      // Many poll ticks pass while the one slot is busy: the second job stays claimable by others.
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5))
          .until(() -> queue.findJob(second.id()).orElseThrow().status() == JobStatus.PENDING);
      release.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> queue.findJob(second.id()).orElseThrow().status() == JobStatus.COMPLETED);
    }
  }

  @Test
  void aBurstOfLongJobsFillingEverySlotBuffersNothing() throws Exception {
    // Twenty jobs start within milliseconds of each other: a rate taken from starts would read
    // that burst as throughput and buffer more jobs behind handlers that run for a long time.
    int concurrency = 20;
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 2 * concurrency; i++) {
      jobs.add(NewJob.of("long " + i));
    }
    queue.enqueueAll(jobs);
    AtomicInteger running = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (job, ctx) -> {
                  running.incrementAndGet();
                  release.await(30, TimeUnit.SECONDS);
                })
            .concurrency(concurrency)
            .pollInterval(Duration.ofMillis(20))
            .sessionTracking(SessionTracking.OFF)
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == concurrency);
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5))
          .until(() -> queue.getQueueStats().processingCount() == concurrency);
      release.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> queue.getQueueStats().completedCount() == 2L * concurrency);
    }
  }
}
