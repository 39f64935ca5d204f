package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Handlers that snooze ({@link SnoozeJobException}): the job goes back to pending after the delay
 * without spending an attempt, its session stays active, the processor wakes for it before its next
 * poll, and a snooze beyond the processor's cap counts as a failed attempt.
 */
class ProcessorSnoozeTest {
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
  void aSnoozedJobRunsAgainAfterTheDelayWithoutSpendingAnAttempt() {
    Job job = queue.enqueue(NewJob.of("not ready yet"));
    Duration delay = Duration.ofMillis(300);
    AtomicReference<Instant> snoozedAt = new AtomicReference<>();
    AtomicReference<Job> secondRun = new AtomicReference<>();
    Recording events = new Recording();
    JobHandler handler =
        (j, ctx) -> {
          if (j.snoozes() == 0) {
            snoozedAt.set(Instant.now());
            throw new SnoozeJobException(delay);
          }
          secondRun.set(j);
        };
    try (JobProcessor processor =
        JobProcessor.builder(queue, handler)
            // Far beyond the test's wait: only the wake-up for the snoozed job can run it again.
            .pollInterval(Duration.ofMinutes(5))
            .listener(events)
            .workerId("snooze-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.succeeded.size() == 1);
    }

    assertThat(events.snoozed).containsExactly(job.id() + " " + delay);
    assertThat(events.retried).isEmpty();
    Job again = secondRun.get();
    assertThat(again.snoozes()).isEqualTo(1);
    assertThat(again.retryCount()).isZero();
    assertThat(again.attempt()).isEqualTo(1);
    // Due no earlier than the delay after the snooze (the database's clock is this machine's).
    assertThat(again.runAt()).isAfterOrEqualTo(snoozedAt.get().plus(delay).minusMillis(50));
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(done.retryCount()).isZero();
    assertThat(done.snoozes()).isEqualTo(1);
    assertThat(done.errors()).isEmpty();
  }

  @Test
  void aSnoozedJobIsPendingWithItsAttemptsAndSessionUnchanged() {
    Job job = queue.enqueue(NewJob.of("waits for a sandbox"));
    Recording events = new Recording();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  throw new SnoozeJobException(Duration.ofHours(1));
                })
            .sessionTracking(SessionTracking.STATUS_AND_EVENTS)
            .listener(events)
            .workerId("snooze-row-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.snoozed.size() == 1);
    }

    Job snoozed = queue.findJob(job.id()).orElseThrow();
    assertThat(snoozed.status()).isEqualTo(JobStatus.PENDING);
    assertThat(snoozed.retryCount()).isZero();
    assertThat(snoozed.snoozes()).isEqualTo(1);
    assertThat(snoozed.startedAt()).isNull();
    assertThat(snoozed.leaseOwner()).isNull();
    assertThat(snoozed.leaseExpiresAt()).isNull();
    assertThat(snoozed.errorMessage()).isNull();
    assertThat(snoozed.errors()).isEmpty();
    assertThat(snoozed.completedAt()).isNull();
    // run_at and updated_at come from the same now(): exactly the delay apart.
    assertThat(
            db.queryString(
                "SELECT extract(epoch FROM run_at - updated_at)::int::text FROM coding_jobs"
                    + " WHERE id = '"
                    + job.id()
                    + "'"))
        .isEqualTo("3600");
    // The session stays active and hears nothing beyond the claim's own event.
    assertThat(sessionColumn(job, "status")).isEqualTo("active");
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM session_events WHERE session_id = '"
                    + job.sessionId()
                    + "' AND event_data->>'to' IS DISTINCT FROM 'active'"))
        .isZero();
    assertThat(events.succeeded).isEmpty();
    assertThat(events.lost).isEmpty();
  }

  @Test
  void aSnoozeBeyondTheCapCountsAsAFailedAttempt() {
    Job job = queue.enqueue(NewJob.of("snoozes for ever"));
    Recording events = new Recording();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  throw new SnoozeJobException(Duration.ZERO);
                })
            .maxSnoozes(2)
            .pollInterval(Duration.ofMillis(100))
            .listener(events)
            .workerId("snooze-cap-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> events.deadLettered.size() == 1);
    }

    // Two snoozes, then every attempt (3, the default) snoozes beyond the cap and fails.
    assertThat(events.snoozed).hasSize(2);
    assertThat(events.retried).hasSize(2);
    Job failed = queue.findJob(job.id()).orElseThrow();
    assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
    assertThat(failed.snoozes()).isEqualTo(2);
    assertThat(failed.retryCount()).isEqualTo(3);
    assertThat(failed.errors())
        .extracting(JobError::error)
        .containsOnly("IllegalStateException: snoozed more than 2 times (maxSnoozes)")
        .hasSize(3);
    assertThat(sessionColumn(job, "status")).isEqualTo("failed");
  }

  @Test
  void aTypedHandlerMaySnoozeAJobOfAnotherKind() {
    Job job = queue.enqueue(NewJob.of(new Ping(7)));
    Recording events = new Recording();
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                Ping.KIND,
                Ping.class,
                (args, ctx) -> {
                  if (ctx.job().snoozes() < 2) {
                    throw new SnoozeJobException(Duration.ofMillis(10));
                  }
                })
            .pollInterval(Duration.ofMinutes(5))
            .listener(events)
            .workerId("snooze-kind-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.succeeded.size() == 1);
    }
    assertThat(events.snoozed).hasSize(2);
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.snoozes()).isEqualTo(2);
    assertThat(done.retryCount()).isZero();
  }

  @Test
  void maxSnoozesMustNotBeNegative() {
    JobProcessorBuilder builder = JobProcessor.builder(queue, (j, ctx) -> {}).maxSnoozes(-1);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxSnoozes must be zero or more, was -1");
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Arguments of a job that is not a coding session. */
  record Ping(int n) implements JobArgs {
    static final String KIND = "snooze_ping";

    @Override
    public String kind() {
      return KIND;
    }
  }

  /** Records what the processor reports. */
  static final class Recording implements JobListener {
    final List<String> snoozed = new CopyOnWriteArrayList<>();
    final List<Job> succeeded = new CopyOnWriteArrayList<>();
    final List<Job> retried = new CopyOnWriteArrayList<>();
    final List<Job> deadLettered = new CopyOnWriteArrayList<>();
    final List<Job> lost = new CopyOnWriteArrayList<>();

    @Override
    public void onJobSnoozed(Job job, Duration delay) {
      snoozed.add(job.id() + " " + delay);
    }

    @Override
    public void onJobSucceeded(Job job, Duration runTime) {
      succeeded.add(job);
    }

    @Override
    public void onJobRetried(Job job, Throwable error, Duration runTime) {
      retried.add(job);
    }

    @Override
    public void onJobDeadLettered(Job job, Throwable error, Duration runTime) {
      deadLettered.add(job);
    }

    @Override
    public void onJobLost(Job job, String reason) {
      lost.add(job);
    }
  }

  static String sessionColumn(Job job, String column) {
    return db.queryString(
        "SELECT " + column + " FROM coding_sessions WHERE id = '" + job.sessionId() + "'");
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
