package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Graceful shutdown and the processor's lifecycle: running jobs finish within the shutdown timeout,
 * jobs cut short go back to pending without spending an attempt, stop and start are guarded, and
 * the processor's threads are named after it and gone after stop.
 */
class ProcessorShutdownTest {
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
  void stopWaitsForRunningJobsThatFinishWithinTheTimeout() throws Exception {
    enqueue(7);
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch allStarted = new CountDownLatch(3);
    CountDownLatch finish = new CountDownLatch(1);
    AtomicLong lastHandlerEnd = new AtomicLong();
    List<Optional<CancellationReason>> reasons = new CopyOnWriteArrayList<>();
    JobHandler handler =
        (job, ctx) -> {
          runs.incrementAndGet();
          allStarted.countDown();
          assertThat(finish.await(30, TimeUnit.SECONDS)).isTrue();
          reasons.add(ctx.cancellationReason());
          lastHandlerEnd.accumulateAndGet(System.nanoTime(), Math::max);
        };
    JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .concurrency(3)
            .prefetch(2) // two more wait in memory; stop gives them back instead of running them
            .shutdownTimeout(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(50))
            .workerId("graceful-" + shortId())
            .build();
    processor.start();
    assertThat(allStarted.await(5, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> count("processing") == 5);

    AtomicLong stopReturned = new AtomicLong();
    Thread stopper =
        new Thread(
            () -> {
              processor.stop();
              stopReturned.set(System.nanoTime());
            },
            "test-stopper");
    stopper.start();
    await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> processor.state() == JobProcessor.State.STOPPING);
    assertThat(stopper.isAlive()).isTrue();

    finish.countDown();
    stopper.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(stopper.isAlive()).isFalse();
    assertThat(processor.state()).isEqualTo(JobProcessor.State.STOPPED);
    assertThat(stopReturned.get() - lastHandlerEnd.get()).isPositive();
    assertThat(reasons).hasSize(3).containsOnly(Optional.empty());

    // Outcomes were flushed before stop returned: the three that ran completed; the two buffered
    // ones went back untouched, and the last two were never claimed.
    assertThat(runs.get()).isEqualTo(3);
    assertThat(count("completed")).isEqualTo(3);
    assertThat(count("pending")).isEqualTo(4);
    assertThat(count("processing")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE retry_count <> 0")).isZero();
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM coding_jobs WHERE status = 'pending' AND started_at IS NULL"
                    + " AND lease_owner IS NULL"))
        .isEqualTo(4);
  }

  @Test
  void shortShutdownTimeoutCancelsHandlersAndReturnsTheirJobsToPending() {
    enqueue(6);
    CountDownLatch allStarted = new CountDownLatch(2);
    AtomicInteger ended = new AtomicInteger();
    List<Optional<CancellationReason>> reasons = new CopyOnWriteArrayList<>();
    JobHandler handler =
        (job, ctx) -> {
          allStarted.countDown();
          try {
            ctx.awaitCancellation(Duration.ofMinutes(1));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            reasons.add(ctx.cancellationReason());
            ended.incrementAndGet();
          }
          // Cut short: not a success. A handler that returned here would complete its job.
          throw new CancellationException("stopped by " + ctx.cancellationReason().orElse(null));
        };
    JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .concurrency(2)
            .prefetch(2) // two more are claimed and wait in memory: they never start
            .shutdownTimeout(Duration.ofMillis(200))
            .pollInterval(Duration.ofMillis(50))
            .workerId("impatient-" + shortId())
            .build();
    try {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> allStarted.getCount() == 0);
      await().atMost(Duration.ofSeconds(5)).until(() -> count("processing") == 4);
      assertThat(processor.runningJobs()).isEqualTo(4);

      long t0 = System.nanoTime();
      processor.stop();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(190));
      assertThat(took).isLessThan(Duration.ofSeconds(10)); // not the handlers' minute
    } finally {
      processor.stop();
    }
    assertThat(ended.get()).isEqualTo(2);
    assertThat(reasons).hasSize(2).containsOnly(Optional.of(CancellationReason.SHUTDOWN));
    assertThat(processor.runningJobs()).isZero();

    // Nothing stranded and no attempt spent: all six are pending, unleased, as if never claimed.
    assertThat(count("pending")).isEqualTo(6);
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE retry_count <> 0")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE errors <> '[]'::jsonb"))
        .isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE lease_owner IS NOT NULL"))
        .isZero();
    // ...and claimable at once by the next worker.
    assertThat(queue.claimJobs(10)).hasSize(6);
  }

  @Test
  void stopTwiceIsHarmless() {
    JobProcessor processor =
        JobProcessor.builder(queue, (job, ctx) -> {}).workerId("twice-" + shortId()).build();
    processor.start();
    processor.stop();
    assertThat(processor.state()).isEqualTo(JobProcessor.State.STOPPED);
    processor.stop();
    processor.close();
    assertThat(processor.state()).isEqualTo(JobProcessor.State.STOPPED);
  }

  @Test
  void startAfterStopIsRefused() {
    JobProcessor neverStarted =
        JobProcessor.builder(queue, (job, ctx) -> {}).workerId("early-stop").build();
    neverStarted.stop();
    assertThat(neverStarted.state()).isEqualTo(JobProcessor.State.STOPPED);
    assertThatThrownBy(neverStarted::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("early-stop")
        .hasMessageContaining("stopped")
        .hasMessageContaining("build a new one");
    assertThat(threadsOf("early-stop")).isEmpty();

    JobProcessor stopped =
        JobProcessor.builder(queue, (job, ctx) -> {}).workerId("late-start").build();
    stopped.start();
    stopped.stop();
    assertThatThrownBy(stopped::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("stopped");
  }

  @Test
  void startTwiceIsRefused() {
    try (JobProcessor processor =
        JobProcessor.builder(queue, (job, ctx) -> {}).workerId("double-start").build()) {
      processor.start();
      assertThatThrownBy(processor::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("double-start")
          .hasMessageContaining("running");
      assertThat(processor.state()).isEqualTo(JobProcessor.State.RUNNING);
    }
  }

  @Test
  void threadsAreNamedAfterTheWorkerAndGoneAfterStop() throws Exception {
    String workerId = "named-" + shortId();
    queue.enqueue(NewJob.of("runs on a named thread"));
    CountDownLatch ran = new CountDownLatch(1);
    List<String> handlerThreads = new CopyOnWriteArrayList<>();
    JobProcessor processor =
        JobProcessor.builder(
                queue,
                (job, ctx) -> {
                  handlerThreads.add(Thread.currentThread().getName());
                  ran.countDown();
                })
            .workerId(workerId)
            .build();
    try {
      processor.start();
      assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(threadsOf(workerId))
          .contains(
              "mobvibe-producer-" + workerId,
              "mobvibe-completer-" + workerId,
              "mobvibe-lease-keeper-" + workerId);
      assertThat(handlerThreads)
          .singleElement()
          .asString()
          .startsWith("mobvibe-handler-" + workerId + "-");
    } finally {
      processor.stop();
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(threadsOf(workerId)).isEmpty());
  }

  // --- helpers ------------------------------------------------------------------------------

  static Set<String> threadsOf(String workerId) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.contains(workerId))
        .collect(Collectors.toSet());
  }

  static List<UUID> enqueue(int n) {
    List<NewJob> jobs = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      jobs.add(NewJob.of("job " + i));
    }
    return queue.enqueueAll(jobs).stream().map(Job::id).toList();
  }

  static long count(String status) {
    return db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = '" + status + "'");
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
