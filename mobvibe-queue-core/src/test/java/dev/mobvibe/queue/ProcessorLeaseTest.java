package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Leases against a real PostgreSQL: the lease keeper renews them while a handler runs, the reaper
 * (of another worker) takes back a stalled worker's job and runs it again, the stalled worker's
 * late outcome is refused, seed-era rows stuck in processing are recovered, and a cancelled job's
 * handler is told.
 */
class ProcessorLeaseTest {
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

  // --- (a) renewal ----------------------------------------------------------------------------

  @Test
  void leaseIsRenewedWhileALongHandlerRuns() throws Exception {
    Job job = queue.enqueue(NewJob.of("runs five leases long"));
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Boolean> cancelledDuringRun = new AtomicReference<>();
    AtomicInteger runsOnA = new AtomicInteger();
    AtomicInteger runsOnB = new AtomicInteger();
    RecordingListener onA = new RecordingListener();
    RecordingListener onB = new RecordingListener();
    JobHandler slow =
        (j, ctx) -> {
          runsOnA.incrementAndGet();
          started.countDown();
          cancelledDuringRun.set(ctx.awaitCancellation(Duration.ofMillis(1500)));
        };
    try (JobProcessor a =
            JobProcessor.builder(queue, slow)
                .leaseDuration(Duration.ofMillis(300))
                .workerId("renewer-" + shortId())
                .listener(onA)
                .build();
        JobProcessor b =
            JobProcessor.builder(queue, (j, ctx) -> runsOnB.incrementAndGet())
                .leaseDuration(Duration.ofMillis(300))
                .reapInterval(Duration.ofMillis(50))
                .pollInterval(Duration.ofMillis(50))
                .workerId("reaper-" + shortId())
                .listener(onB)
                .build()) {
      a.start();
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
      b.start(); // reaps every 50 ms from now on; A's job must never look expired to it
      Instant firstExpiry = leaseExpiresAt(job);
      assertThat(firstExpiry).isNotNull();
      await().atMost(Duration.ofSeconds(2)).until(() -> isAfter(leaseExpiresAt(job), firstExpiry));
      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
      assertThat(onA.succeeded).extracting(Job::id).containsExactly(job.id());
    }
    assertThat(cancelledDuringRun.get()).isFalse();
    assertThat(runsOnA.get()).isEqualTo(1);
    assertThat(runsOnB.get()).isZero();
    assertThat(onA.lost).isEmpty();
    assertThat(onB.reaped.get()).isZero();
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.retryCount()).isZero();
    assertThat(done.errors()).isEmpty();
  }

  // --- (b) a lost lease -----------------------------------------------------------------------

  @Test
  void stalledWorkersJobIsReapedAndRunElsewhereAndItsLateSuccessIsRefused() throws Exception {
    Job job = queue.enqueue(NewJob.of("stalls on A"));
    String workerA = "stalled-" + shortId();
    String workerB = "rescuer-" + shortId();
    CountDownLatch aStarted = new CountDownLatch(1);
    CountDownLatch releaseA = new CountDownLatch(1);
    CountDownLatch aReturned = new CountDownLatch(1);
    Map<UUID, AtomicInteger> runsOnB = new ConcurrentHashMap<>();
    AtomicInteger runsOnA = new AtomicInteger();
    RecordingListener onA = new RecordingListener();
    RecordingListener onB = new RecordingListener();
    JobHandler stalls =
        (j, ctx) -> {
          runsOnA.incrementAndGet();
          aStarted.countDown();
          try {
            releaseA.await(30, TimeUnit.SECONDS); // silent: no heartbeat, no events
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            aReturned.countDown();
          }
        };
    try (JobProcessor a =
            JobProcessor.builder(queue, stalls)
                .concurrency(1) // its one slot stays busy, so A cannot claim the job back
                .leaseDuration(Duration.ofMillis(300))
                .heartbeatTimeout(Duration.ofMillis(100))
                .reapInterval(Duration.ofMinutes(1))
                .workerId(workerA)
                .listener(onA)
                .build();
        JobProcessor b =
            JobProcessor.builder(
                    queue,
                    (j, ctx) ->
                        runsOnB.computeIfAbsent(j.id(), k -> new AtomicInteger()).incrementAndGet())
                .reapInterval(Duration.ofMillis(50))
                .reapGrace(Duration.ZERO) // A's lease is short; B reaps it as soon as it lapses
                .pollInterval(Duration.ofMillis(50))
                .workerId(workerB)
                .listener(onB)
                .build()) {
      a.start();
      assertThat(aStarted.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(queue.findJob(job.id()).orElseThrow().leaseOwner()).isEqualTo(workerA);
      b.start();

      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
      assertThat(onB.reaped.get()).isGreaterThanOrEqualTo(1);
      assertThat(onB.succeeded).extracting(Job::id).containsExactly(job.id());
      assertThat(onB.succeeded.get(0).attempt()).isEqualTo(2);
      Job rescued = queue.findJob(job.id()).orElseThrow();
      assertThat(rescued.retryCount()).isEqualTo(1);
      assertThat(rescued.errors())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.attempt()).isEqualTo(1);
                assertThat(e.error()).contains("worker lost").contains(workerA);
                assertThat(e.worker()).isEqualTo(workerA);
              });
      Instant completedAt = rescued.completedAt();
      // A's lease keeper finds the lease gone and interrupts the stalled handler; whatever it
      // returns now is refused.
      releaseA.countDown();
      assertThat(aReturned.await(5, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> !onA.lost.isEmpty());
      assertThat(onA.lost).extracting(Job::id).containsExactly(job.id());
      assertThat(onA.succeeded).isEmpty();

      Job after = queue.findJob(job.id()).orElseThrow();
      assertThat(after.status()).isEqualTo(JobStatus.COMPLETED);
      assertThat(after.retryCount()).isEqualTo(1);
      assertThat(after.errors()).hasSize(1);
      assertThat(after.completedAt()).isEqualTo(completedAt);
    }
    assertThat(runsOnA.get()).isEqualTo(1);
    assertThat(runsOnB).containsOnlyKeys(job.id());
    assertThat(runsOnB.get(job.id()).get()).isEqualTo(1);
    assertThat(onB.lost).isEmpty();
  }

  /**
   * JobContext promises that the context is cancelled "when its lease was lost". A handler that
   * stalls past the heartbeat timeout loses its lease on purpose; once another worker has reaped
   * the job, the stalled handler should be able to see that it must stop.
   */
  @Test
  void stalledHandlerIsToldItsLeaseWasLost() throws Exception {
    Job job = queue.enqueue(NewJob.of("stalls, then checks its context"));
    CountDownLatch aStarted = new CountDownLatch(1);
    AtomicReference<Optional<CancellationReason>> reasonOnA =
        new AtomicReference<>(Optional.empty());
    AtomicReference<JobContext> contextOnA = new AtomicReference<>();
    JobHandler stalls =
        (j, ctx) -> {
          contextOnA.set(ctx);
          aStarted.countDown();
          try {
            ctx.awaitCancellation(Duration.ofSeconds(3)); // no heartbeat while waiting
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          reasonOnA.set(ctx.cancellationReason());
        };
    try (JobProcessor a =
            JobProcessor.builder(queue, stalls)
                .concurrency(1)
                .leaseDuration(Duration.ofMillis(300))
                .heartbeatTimeout(Duration.ofMillis(100))
                .reapInterval(Duration.ofMinutes(1))
                .workerId("unaware-" + shortId())
                .build();
        JobProcessor b =
            JobProcessor.builder(queue, (j, ctx) -> {})
                .reapInterval(Duration.ofMillis(50))
                .reapGrace(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50))
                .workerId("taker-" + shortId())
                .build()) {
      a.start();
      assertThat(aStarted.await(5, TimeUnit.SECONDS)).isTrue();
      b.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
      // The job now belongs to B (and is done). A's context should say so within a few lease
      // keeper ticks (100 ms each).
      await()
          .atMost(Duration.ofSeconds(2))
          .untilAsserted(
              () ->
                  assertThat(contextOnA.get().cancellationReason())
                      .contains(CancellationReason.LEASE_LOST));
    }
  }

  @Test
  void leaseTakenByAnotherOwnerCancelsTheHandlerWithLeaseLost() throws Exception {
    Job job = queue.enqueue(NewJob.of("lease stolen"));
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Optional<CancellationReason>> reason = new AtomicReference<>();
    AtomicBoolean interrupted = new AtomicBoolean();
    CountDownLatch ended = new CountDownLatch(1);
    RecordingListener events = new RecordingListener();
    JobHandler handler =
        (j, ctx) -> {
          started.countDown();
          try {
            ctx.awaitCancellation(Duration.ofSeconds(10));
            Thread.sleep(5_000); // the interrupt (already set, or on its way) ends this at once
          } catch (InterruptedException e) {
            interrupted.set(true);
          } finally {
            reason.set(ctx.cancellationReason());
            ended.countDown();
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .leaseDuration(Duration.ofMillis(300))
            .workerId("robbed-" + shortId())
            .listener(events)
            .build()) {
      processor.start();
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
      // Another worker holds it now (as after a reap and a re-claim).
      db.execute(
          "UPDATE coding_jobs SET lease_owner = 'someone-else', retry_count = 1 WHERE id = '"
              + job.id()
              + "'");
      assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(2)).until(() -> !events.lost.isEmpty());
    }
    assertThat(reason.get()).contains(CancellationReason.LEASE_LOST);
    assertThat(interrupted).isTrue();
    assertThat(events.lost).extracting(Job::id).containsExactly(job.id());
    assertThat(events.lostReasons).singleElement().asString().contains("lease");
    assertThat(events.succeeded).isEmpty();
    Job after = queue.findJob(job.id()).orElseThrow();
    assertThat(after.status()).isEqualTo(JobStatus.PROCESSING);
    assertThat(after.leaseOwner()).isEqualTo("someone-else");
  }

  /**
   * The prefetch option promises that "buffered jobs hold leases that the lease keeper renews". A
   * job waiting in the buffer has no handler to heartbeat yet, so a heartbeat timeout must not
   * count against it.
   */
  @Test
  void prefetchedJobKeepsItsLeaseUnderAHeartbeatTimeout() throws Exception {
    Job first = queue.enqueue(NewJob.builder("runs first, heartbeating").priority(10).build());
    Job buffered = queue.enqueue(NewJob.of("waits in the prefetch buffer"));
    Map<UUID, List<Integer>> attempts = new ConcurrentHashMap<>();
    RecordingListener events = new RecordingListener();
    JobHandler handler =
        (j, ctx) -> {
          attempts.computeIfAbsent(j.id(), k -> new CopyOnWriteArrayList<>()).add(ctx.attempt());
          if (j.id().equals(first.id())) {
            for (int i = 0; i < 12; i++) { // ~1.2 s, alive all along
              ctx.heartbeat();
              if (ctx.awaitCancellation(Duration.ofMillis(100))) {
                return;
              }
            }
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .concurrency(1)
            .prefetch(1)
            .leaseDuration(Duration.ofMillis(300))
            .heartbeatTimeout(Duration.ofMillis(200))
            .reapInterval(Duration.ofMillis(50))
            .pollInterval(Duration.ofMillis(50))
            .workerId("prefetcher-" + shortId())
            .listener(events)
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  status(first) == JobStatus.COMPLETED && status(buffered) == JobStatus.COMPLETED);
    }
    assertThat(attempts.get(first.id())).containsExactly(1);
    assertThat(queue.findJob(buffered.id()).orElseThrow().errors()).isEmpty();
    assertThat(events.lost).isEmpty();
    assertThat(attempts.get(buffered.id())).containsExactly(1);
  }

  // --- (c) seed-era rows ----------------------------------------------------------------------

  @Test
  void rowStuckInProcessingBySeedWorkerIsReapedAndCompleted() {
    Job job = queue.enqueue(NewJob.of("left behind by a crashed seed worker"));
    db.execute(
        "UPDATE coding_jobs SET status = 'processing', started_at = now() - interval '1 hour',"
            + " lease_owner = NULL, lease_expires_at = NULL WHERE id = '"
            + job.id()
            + "'");
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    RecordingListener events = new RecordingListener();
    try (JobProcessor processor =
        JobProcessor.builder(queue, (j, ctx) -> attempts.add(ctx.attempt()))
            .reapInterval(Duration.ofMillis(50))
            .pollInterval(Duration.ofMillis(100))
            .workerId("recoverer-" + shortId())
            .listener(events)
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> status(job) == JobStatus.COMPLETED);
    }
    assertThat(attempts).containsExactly(2);
    assertThat(events.reaped.get()).isEqualTo(1);
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.retryCount()).isEqualTo(1);
    assertThat(done.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.error()).isEqualTo("worker lost: lease of an unknown worker expired");
              assertThat(e.worker()).isNull();
            });
  }

  // --- (d) cancel ------------------------------------------------------------------------------

  @Test
  void cancellingARunningJobCancelsItsContextAndItsReturnIsLost() throws Exception {
    Job job = queue.enqueue(NewJob.of("cancelled while running"));
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch ended = new CountDownLatch(1);
    AtomicLong cancelSeenNanos = new AtomicLong();
    AtomicReference<Optional<CancellationReason>> reason = new AtomicReference<>();
    RecordingListener events = new RecordingListener();
    JobHandler handler =
        (j, ctx) -> {
          started.countDown();
          try {
            ctx.awaitCancellation(Duration.ofSeconds(10));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          cancelSeenNanos.set(System.nanoTime());
          reason.set(ctx.cancellationReason());
          ended.countDown();
          // returns normally: a success the processor must not record
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .leaseDuration(Duration.ofMillis(300)) // renewed, and checked, every 100 ms
            .workerId("cancelled-" + shortId())
            .listener(events)
            .build()) {
      processor.start();
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
      long cancelledAt = System.nanoTime();
      assertThat(queue.cancelJob(job.id())).isTrue();
      assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue();
      // One lease-keeper tick (100 ms) plus its round trips; far under the 10 s the handler waits.
      assertThat(Duration.ofNanos(cancelSeenNanos.get() - cancelledAt))
          .isLessThan(Duration.ofSeconds(1));
      await().atMost(Duration.ofSeconds(2)).until(() -> !events.lost.isEmpty());
      // Nothing changes the job once its handler returned.
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(() -> status(job) == JobStatus.CANCELLED);
    }
    assertThat(reason.get()).contains(CancellationReason.JOB_CANCELLED);
    assertThat(events.lost).extracting(Job::id).containsExactly(job.id());
    assertThat(events.lostReasons).singleElement().asString().contains("cancelled");
    assertThat(events.succeeded).isEmpty();
    Job after = queue.findJob(job.id()).orElseThrow();
    assertThat(after.status()).isEqualTo(JobStatus.CANCELLED);
    assertThat(after.retryCount()).isZero();
    assertThat(after.leaseOwner()).isNull();
  }

  /**
   * JobContext#isCancelled says the handler's thread is interrupted on shutdown, timeout, lost
   * lease and job cancel alike, so a handler blocked in I/O stops paying for a cancelled session.
   */
  @Test
  void cancellingARunningJobInterruptsItsHandlerAsDocumented() throws Exception {
    Job job = queue.enqueue(NewJob.of("cancelled and interrupted"));
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch ended = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    JobHandler handler =
        (j, ctx) -> {
          started.countDown();
          try {
            while (!ctx.isCancelled()) {
              Thread.onSpinWait();
              TimeUnit.MILLISECONDS.sleep(5);
            }
            // An interrupt sent with the cancellation arrives within this window.
            TimeUnit.MILLISECONDS.sleep(200);
          } catch (InterruptedException e) {
            interrupted.set(true);
          } finally {
            ended.countDown();
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .leaseDuration(Duration.ofMillis(300))
            .workerId("interrupted-" + shortId())
            .build()) {
      processor.start();
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(queue.cancelJob(job.id())).isTrue();
      assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(interrupted).as("handler thread interrupted on job cancel").isTrue();
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Records what the processor reports. */
  static final class RecordingListener implements JobListener {
    final List<Job> succeeded = new CopyOnWriteArrayList<>();
    final List<Job> lost = new CopyOnWriteArrayList<>();
    final List<String> lostReasons = new CopyOnWriteArrayList<>();
    final AtomicInteger reaped = new AtomicInteger();

    @Override
    public void onJobSucceeded(Job job, Duration runTime) {
      succeeded.add(job);
    }

    @Override
    public void onJobLost(Job job, String reason) {
      lost.add(job);
      lostReasons.add(reason);
    }

    @Override
    public void onJobsReaped(int count) {
      reaped.addAndGet(count);
    }
  }

  static JobStatus status(Job job) {
    return queue.findJob(job.id()).orElseThrow().status();
  }

  static Instant leaseExpiresAt(Job job) {
    return queue.findJob(job.id()).orElseThrow().leaseExpiresAt();
  }

  static boolean isAfter(Instant a, Instant b) {
    return a != null && a.isAfter(b);
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
