package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The processor's producer and handler slots against a real PostgreSQL: concurrency is a hard
 * limit, one processor and four processors drain large queues with every job run exactly once, and
 * an idle processor wakes on its poll tick or on a notifier's signal.
 */
class ProcessorConcurrencyTest {
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

  static List<Job> enqueue(int n, String prefix) {
    List<Job> all = new ArrayList<>(n);
    for (int from = 0; from < n; from += JobQueue.MAX_BATCH_SIZE) {
      List<NewJob> batch = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + JobQueue.MAX_BATCH_SIZE); i++) {
        batch.add(NewJob.of(prefix + " " + i));
      }
      all.addAll(queue.enqueueAll(batch));
    }
    return all;
  }

  // --- the concurrency limit ---------------------------------------------------------------

  @Test
  void neverRunsMoreHandlersThanItsConcurrency() throws Exception {
    int concurrency = 3;
    enqueue(10, "limited");
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger handled = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    JobHandler handler =
        (job, ctx) -> {
          int now = inFlight.incrementAndGet();
          maxInFlight.accumulateAndGet(now, Math::max);
          try {
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
          } finally {
            inFlight.decrementAndGet();
            handled.incrementAndGet();
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .concurrency(concurrency)
            .pollInterval(Duration.ofMillis(50))
            .workerId("limit-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == concurrency);
      // The slots are full: several poll ticks pass and nothing more is claimed or started.
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(
              () ->
                  inFlight.get() == concurrency
                      && processor.runningJobs() == concurrency
                      && db.queryLong(
                              "SELECT count(*) FROM coding_jobs WHERE status = 'processing'")
                          == concurrency);
      assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = 'pending'"))
          .isEqualTo(10 - concurrency);

      release.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> completedCount() == 10);
    }
    assertThat(handled.get()).isEqualTo(10);
    assertThat(maxInFlight.get()).isEqualTo(concurrency);
  }

  // --- draining -----------------------------------------------------------------------------

  @Test
  void oneProcessorDrainsTwoThousandJobs() {
    List<Job> jobs = enqueue(2_000, "drain");
    Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
    try (JobProcessor processor =
        JobProcessor.builder(queue, (job, ctx) -> count(runs, job.id()))
            .concurrency(10)
            .workerId("drain-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> completedCount() == 2_000);
    }
    QueueStats stats = queue.getQueueStats();
    assertThat(stats.completedCount()).isEqualTo(2_000);
    assertThat(stats.pendingCount()).isZero();
    assertThat(stats.processingCount()).isZero();
    assertThat(stats.failedCount()).isZero();
    assertThat(runs).hasSize(2_000);
    assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids(jobs));
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
  }

  @Test
  void fourProcessorsDrainTenThousandJobsEachExactlyOnce() {
    List<Job> jobs = enqueue(10_000, "shared");
    Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> perWorker = new ConcurrentHashMap<>();
    AtomicInteger lost = new AtomicInteger();
    JobListener listener =
        new JobListener() {
          @Override
          public void onJobLost(Job job, String reason) {
            lost.incrementAndGet();
          }
        };
    JobHandler handler =
        (job, ctx) -> {
          count(runs, job.id());
          perWorker.computeIfAbsent(ctx.workerId(), k -> new AtomicInteger()).incrementAndGet();
        };
    List<JobProcessor> processors = new ArrayList<>();
    String prefix = "four-" + shortId() + "-";
    try {
      for (int i = 1; i <= 4; i++) {
        processors.add(
            JobProcessor.builder(queue, handler)
                .concurrency(10)
                .workerId(prefix + i)
                .listener(listener)
                .build());
      }
      processors.forEach(JobProcessor::start);
      await().atMost(Duration.ofSeconds(45)).until(() -> completedCount() == 10_000);
    } finally {
      processors.forEach(JobProcessor::stop);
    }
    QueueStats stats = queue.getQueueStats();
    assertThat(stats.completedCount()).isEqualTo(10_000);
    assertThat(stats.pendingCount() + stats.processingCount() + stats.failedCount()).isZero();
    assertThat(runs).hasSize(10_000);
    assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids(jobs));
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    assertThat(lost.get()).isZero();
    assertThat(perWorker.keySet()).allSatisfy(w -> assertThat(w).startsWith(prefix));
    assertThat(perWorker.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(10_000);
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE retry_count <> 0")).isZero();
  }

  // --- waking up ----------------------------------------------------------------------------

  @Test
  void idleProcessorFindsALaterJobWithinItsPollInterval() {
    AtomicLong startedAt = new AtomicLong();
    AtomicInteger claims = new AtomicInteger();
    JobListener claimsCounter =
        new JobListener() {
          @Override
          public void onClaim(int count) {
            claims.incrementAndGet();
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, (job, ctx) -> startedAt.compareAndSet(0, System.nanoTime()))
            .pollInterval(Duration.ofMillis(100))
            .listener(claimsCounter)
            .workerId("poller-" + shortId())
            .build()) {
      assertThat(processor.notifier()).isEmpty();
      processor.start();
      // Idle: it claims (finding nothing) once per tick, not in a busy loop.
      await().atMost(Duration.ofSeconds(5)).until(() -> claims.get() >= 3);
      assertThat(processor.lastSuccessfulClaim()).isPresent();

      long enqueuedAt = System.nanoTime();
      Job job = queue.enqueue(NewJob.of("arrives later"));
      await().atMost(Duration.ofSeconds(3)).until(() -> startedAt.get() != 0);
      Duration pickup = Duration.ofNanos(startedAt.get() - enqueuedAt);
      // One 100 ms tick plus a claim; far below the 10 s default that would apply without it.
      assertThat(pickup).isLessThan(Duration.ofSeconds(1));
      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
    }
  }

  @Test
  void idleProcessorWakesWhenItsNotifierSignals() {
    ManualNotifier notifier = new ManualNotifier();
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger claims = new AtomicInteger();
    JobListener claimsCounter =
        new JobListener() {
          @Override
          public void onClaim(int count) {
            claims.incrementAndGet();
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, (job, ctx) -> started.countDown())
            .pollInterval(Duration.ofHours(1)) // only the signal can wake it
            .notifier(notifier)
            .listener(claimsCounter)
            .workerId("signalled-" + shortId())
            .build()) {
      assertThat(notifier.listeners).isEmpty();
      processor.start();
      assertThat(notifier.listeners).hasSize(1);
      assertThat(processor.notifier()).containsSame(notifier);
      await().atMost(Duration.ofSeconds(5)).until(() -> claims.get() == 1); // the start claim

      Job job = queue.enqueue(NewJob.of("announced"));
      // Without a signal the job waits: the next tick is an hour away.
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(
              () ->
                  started.getCount() == 1 && claims.get() == 1 && status(job) == JobStatus.PENDING);

      notifier.signal(new JobSignal(JobSignal.Source.NOTIFICATION, job.id(), job.sessionId(), 0));
      await().atMost(Duration.ofSeconds(3)).until(() -> started.getCount() == 0);
      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
      // (A second, empty claim may follow when the handler frees its slot before the producer
      // has finished dispatching; that is one statement, not a loop.)
      assertThat(claims.get()).isBetween(2, 3);
    }
    // stop() unsubscribes; the caller still owns (and closes) the notifier.
    assertThat(notifier.listeners).isEmpty();
    assertThat(notifier.closed).isFalse();
  }

  @Test
  void pollingNotifierWakesAProcessorWithALongPollInterval() {
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger claims = new AtomicInteger();
    JobListener claimsCounter =
        new JobListener() {
          @Override
          public void onClaim(int count) {
            claims.incrementAndGet();
          }
        };
    try (JobNotifier notifier = JobNotifier.polling(Duration.ofMillis(100));
        JobProcessor processor =
            JobProcessor.builder(queue, (job, ctx) -> started.countDown())
                .pollInterval(Duration.ofHours(1))
                .notifier(notifier)
                .listener(claimsCounter)
                .workerId("ticked-" + shortId())
                .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> claims.get() >= 2); // ticks arrive
      Job job = queue.enqueue(NewJob.of("found by a tick"));
      await().atMost(Duration.ofSeconds(3)).until(() -> started.getCount() == 0);
      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  /** A notifier the test fires by hand. */
  static final class ManualNotifier implements JobNotifier {
    final List<Consumer<JobSignal>> listeners = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public Subscription subscribe(Consumer<JobSignal> listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }

    void signal(JobSignal signal) {
      listeners.forEach(l -> l.accept(signal));
    }

    @Override
    public NotifierState state() {
      return closed ? NotifierState.CLOSED : NotifierState.LISTENING;
    }

    @Override
    public void close() {
      closed = true;
      listeners.clear();
    }
  }

  static void count(Map<UUID, AtomicInteger> runs, UUID id) {
    runs.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
  }

  static List<UUID> ids(List<Job> jobs) {
    return jobs.stream().map(Job::id).toList();
  }

  static long completedCount() {
    return queue.getQueueStats().completedCount();
  }

  static JobStatus status(Job job) {
    return queue.findJob(job.id()).orElseThrow().status();
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
