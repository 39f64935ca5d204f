package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failed attempts inside a processor: retries with growing attempt numbers and the policy's
 * backoff, the dead letter with its error history and failed session, permanent failures, and the
 * job timeout.
 */
class ProcessorRetryTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** Retries wait no time unless a test gives the processor its own policy. */
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
  void failingHandlerIsRetriedWithGrowingAttemptsThenDeadLettered() {
    Job job = queue.enqueue(NewJob.of("always fails")); // 3 attempts, as in the seed
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    RecordingListener events = new RecordingListener();
    JobHandler handler =
        (j, ctx) -> {
          attempts.add(ctx.attempt());
          assertThat(j.attempt()).isEqualTo(ctx.attempt());
          throw new IllegalStateException("boom on attempt " + ctx.attempt());
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .pollInterval(Duration.ofMillis(100))
            .listener(events)
            .workerId("retry-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.deadLettered.size() == 1);
    }

    assertThat(attempts).containsExactly(1, 2, 3);
    assertThat(events.retried).hasSize(2);
    assertThat(events.retried)
        .extracting(Job::attempt)
        .as("the attempt that failed")
        .containsExactly(1, 2);
    assertThat(events.deadLettered).singleElement().extracting(Job::id).isEqualTo(job.id());
    assertThat(events.errors)
        .extracting(Throwable::getMessage)
        .containsExactly("boom on attempt 1", "boom on attempt 2", "boom on attempt 3");
    assertThat(events.succeeded).isEmpty();
    assertThat(events.lost).isEmpty();

    Job failed = queue.findJob(job.id()).orElseThrow();
    assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
    assertThat(failed.retryCount()).isEqualTo(3);
    assertThat(failed.leaseOwner()).isNull();
    assertThat(failed.completedAt()).isNotNull();
    assertThat(failed.errorMessage()).isEqualTo("IllegalStateException: boom on attempt 3");
    assertThat(failed.errors()).hasSize(3);
    assertThat(failed.errors()).extracting(JobError::attempt).containsExactly(1, 2, 3);
    assertThat(failed.errors())
        .extracting(JobError::error)
        .containsExactly(
            "IllegalStateException: boom on attempt 1",
            "IllegalStateException: boom on attempt 2",
            "IllegalStateException: boom on attempt 3");
    assertThat(failed.errors()).allSatisfy(e -> assertThat(e.worker()).startsWith("retry-"));

    assertThat(sessionStatus(job)).isEqualTo("failed");
    assertThat(
            db.queryString(
                "SELECT error_message FROM coding_sessions WHERE id = '" + job.sessionId() + "'"))
        .isEqualTo("IllegalStateException: boom on attempt 3");
  }

  @Test
  void retriesWaitTheBackoffOfTheRetryPolicy() {
    Job job = queue.enqueue(NewJob.of("fails slowly"));
    List<Long> startedNanos = new CopyOnWriteArrayList<>();
    RecordingListener events = new RecordingListener();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  startedNanos.add(System.nanoTime());
                  throw new IllegalStateException("not yet");
                })
            .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(700)))
            .pollInterval(Duration.ofMillis(100))
            .listener(events)
            .workerId("backoff-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.deadLettered.size() == 1);
    }
    assertThat(startedNanos).hasSize(3);
    for (int i = 1; i < startedNanos.size(); i++) {
      Duration gap = Duration.ofNanos(startedNanos.get(i) - startedNanos.get(i - 1));
      // The fail statement sets run_at = now() + 700 ms after the handler threw, so the gap can
      // only be longer; a millisecond of slack covers clock rounding between JVM and server.
      assertThat(gap).as("gap before attempt %d", i + 1).isGreaterThan(Duration.ofMillis(695));
    }
    assertThat(queue.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
  }

  @Test
  void permanentFailureDeadLettersOnTheFirstAttempt() {
    Job job = queue.enqueue(NewJob.builder("malformed").maxAttempts(5).build());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    RecordingListener events = new RecordingListener();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  attempts.add(ctx.attempt());
                  throw new PermanentJobFailureException("prompt cannot be parsed");
                })
            .pollInterval(Duration.ofMillis(100))
            .listener(events)
            .workerId("permanent-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.deadLettered.size() == 1);
      // Give a wrongly scheduled retry every chance to show up.
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(() -> attempts.size() == 1);
    }
    assertThat(attempts).containsExactly(1);
    assertThat(events.retried).isEmpty();
    assertThat(events.errors).singleElement().isInstanceOf(PermanentJobFailureException.class);

    Job failed = queue.findJob(job.id()).orElseThrow();
    assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
    assertThat(failed.retryCount()).isEqualTo(1);
    assertThat(failed.maxAttempts()).isEqualTo(5);
    assertThat(failed.errorMessage()).isEqualTo("prompt cannot be parsed");
    assertThat(failed.errors())
        .singleElement()
        .extracting(JobError::error)
        .isEqualTo("prompt cannot be parsed");
    assertThat(sessionStatus(job)).isEqualTo("failed");
    assertThat(
            db.queryString(
                "SELECT error_message FROM coding_sessions WHERE id = '" + job.sessionId() + "'"))
        .isEqualTo("prompt cannot be parsed");
  }

  @Test
  void hangingHandlerIsCancelledAtItsTimeoutAndTheAttemptFails() {
    Job job = queue.enqueue(NewJob.builder("hangs once").maxAttempts(2).build());
    CountDownLatch never = new CountDownLatch(1);
    AtomicReference<Optional<CancellationReason>> reasonSeen = new AtomicReference<>();
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicReference<Optional<Duration>> timeLeftAtStart = new AtomicReference<>();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    CountDownLatch firstAttemptEnded = new CountDownLatch(1);
    RecordingListener events = new RecordingListener();
    JobHandler handler =
        (j, ctx) -> {
          attempts.add(ctx.attempt());
          if (ctx.attempt() > 1) {
            return; // the retry succeeds
          }
          timeLeftAtStart.set(ctx.timeLeft());
          try {
            never.await(); // hangs until interrupted
          } catch (InterruptedException e) {
            interrupted.set(true);
            reasonSeen.set(ctx.cancellationReason());
            throw e;
          } finally {
            firstAttemptEnded.countDown();
          }
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            .jobTimeout(Duration.ofMillis(300))
            .pollInterval(Duration.ofMillis(100))
            .listener(events)
            .workerId("timeout-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> firstAttemptEnded.getCount() == 0);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> queue.findJob(job.id()).orElseThrow().status() == JobStatus.COMPLETED);
    }
    assertThat(interrupted).isTrue();
    assertThat(reasonSeen.get()).contains(CancellationReason.TIMEOUT);
    assertThat(timeLeftAtStart.get())
        .hasValueSatisfying(left -> assertThat(left).isLessThanOrEqualTo(Duration.ofMillis(300)));
    assertThat(attempts).containsExactly(1, 2);
    assertThat(events.retried).hasSize(1);
    assertThat(events.errors).singleElement().isInstanceOf(JobTimeoutException.class);

    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.retryCount()).isEqualTo(1);
    assertThat(done.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.attempt()).isEqualTo(1);
              assertThat(e.error()).contains("timed out").contains("300 ms");
            });
  }

  @Test
  void hangingHandlerOnItsLastAttemptIsDeadLetteredAsTimedOut() {
    Job job = queue.enqueue(NewJob.builder("hangs for good").maxAttempts(1).build());
    CountDownLatch never = new CountDownLatch(1);
    RecordingListener events = new RecordingListener();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  never.await();
                })
            .jobTimeout(Duration.ofMillis(300))
            .listener(events)
            .workerId("timeout-dl-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.deadLettered.size() == 1);
    }
    Job failed = queue.findJob(job.id()).orElseThrow();
    assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
    assertThat(failed.errorMessage()).contains("timed out");
    assertThat(sessionStatus(job)).isEqualTo("failed");
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Records what the processor reports, in order. */
  static final class RecordingListener implements JobListener {
    final List<Job> retried = new CopyOnWriteArrayList<>();
    final List<Job> deadLettered = new CopyOnWriteArrayList<>();
    final List<Job> succeeded = new CopyOnWriteArrayList<>();
    final List<Job> lost = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    @Override
    public void onJobRetried(Job job, Throwable error, Duration runTime) {
      errors.add(error);
      retried.add(job);
    }

    @Override
    public void onJobDeadLettered(Job job, Throwable error, Duration runTime) {
      errors.add(error);
      deadLettered.add(job);
    }

    @Override
    public void onJobSucceeded(Job job, Duration runTime) {
      succeeded.add(job);
    }

    @Override
    public void onJobLost(Job job, String reason) {
      lost.add(job);
    }
  }

  static String sessionStatus(Job job) {
    return db.queryString(
        "SELECT status FROM coding_sessions WHERE id = '" + job.sessionId() + "'");
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
