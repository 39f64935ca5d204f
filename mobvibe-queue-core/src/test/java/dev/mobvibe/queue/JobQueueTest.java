package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.mobvibe.queue.testing.TestDatabase;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@link JobQueue} API against a real PostgreSQL: every operation and its edge cases. */
class JobQueueTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** Retries wait no time, so a failed job is claimable again at once. */
  static JobQueue queue;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  // --- ordering ---------------------------------------------------------------------------

  @Test
  void claimsByPriorityThenAge() {
    // Enqueued one by one, interleaved, so each has its own creation time.
    List<Job> pro = new ArrayList<>();
    List<Job> starter = new ArrayList<>();
    List<Job> free = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      free.add(queue.enqueue(NewJob.builder("free " + i).tier(PlanTier.FREE).build()));
      starter.add(queue.enqueue(NewJob.builder("starter " + i).tier(PlanTier.STARTER).build()));
      pro.add(queue.enqueue(NewJob.builder("pro " + i).tier(PlanTier.PRO).build()));
    }
    assertThat(pro).allSatisfy(j -> assertThat(j.priority()).isEqualTo(10));
    assertThat(starter).allSatisfy(j -> assertThat(j.priority()).isEqualTo(5));
    assertThat(free).allSatisfy(j -> assertThat(j.priority()).isZero());

    List<UUID> claimed = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      claimed.add(queue.claimNextJob().orElseThrow().id());
    }
    // The rest in one statement, returned in claim order.
    queue.claimJobs(100).forEach(j -> claimed.add(j.id()));

    List<UUID> expected = new ArrayList<>();
    pro.forEach(j -> expected.add(j.id()));
    starter.forEach(j -> expected.add(j.id()));
    free.forEach(j -> expected.add(j.id()));
    assertThat(claimed).containsExactlyElementsOf(expected);
    assertThat(queue.claimNextJob()).isEmpty();
  }

  @Test
  void aClaimedJobIsProcessingWithALeaseAndItsSessionBecomesActive() {
    Job job = queue.enqueue(NewJob.builder("lease me").tier(PlanTier.PRO).build());
    assertThat(job.status()).isEqualTo(JobStatus.PENDING);
    assertThat(job.retryCount()).isZero();
    assertThat(job.maxAttempts()).isEqualTo(NewJob.DEFAULT_MAX_ATTEMPTS);
    assertThat(job.tier()).isEqualTo(PlanTier.PRO);

    Job claimed = queue.claimNextJob().orElseThrow();

    assertThat(claimed.status()).isEqualTo(JobStatus.PROCESSING);
    assertThat(claimed.attempt()).isEqualTo(1);
    assertThat(claimed.startedAt()).isNotNull();
    assertThat(claimed.leaseOwner()).startsWith("queue-");
    assertThat(Duration.between(claimed.startedAt(), claimed.leaseExpiresAt()))
        .isEqualTo(JobQueue.DEFAULT_CLAIM_LEASE);
    assertThat(sessionStatus(job)).isEqualTo("active");
    assertThat(queue.completeJob(job.id())).isTrue();
    assertThat(sessionStatus(job)).isEqualTo("completed");
    assertThat(queue.completeJob(job.id())).as("a second completion changes nothing").isFalse();
    assertThat(
            db.queryString(
                "SELECT string_agg(event_data->>'to', ',' ORDER BY created_at) FROM session_events"
                    + " WHERE session_id = '"
                    + job.sessionId()
                    + "' AND event_type = 'state_changed'"))
        .isEqualTo("active,completed");
  }

  // --- enqueue ----------------------------------------------------------------------------

  @Test
  void enqueueAllKeepsTheInputOrder() {
    List<NewJob> input = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      input.add(NewJob.builder("job " + i).priority(i % 11).build());
    }

    List<Job> stored = queue.enqueueAll(input);

    assertThat(stored).extracting(Job::prompt).containsExactlyElementsOf(prompts(input));
    assertThat(stored)
        .extracting(Job::priority)
        .containsExactlyElementsOf(input.stream().map(NewJob::priority).toList());
    assertThat(stored).extracting(Job::id).doesNotHaveDuplicates();
    assertThat(stored).extracting(Job::sessionId).doesNotHaveDuplicates();
    assertThat(jobCount()).isEqualTo(50);
    assertThat(sessionCount()).isEqualTo(50);
  }

  @Test
  void jobsOfOneBatchAreClaimedInTheirInputOrder() {
    // One statement gives the batch one created_at; the time-ordered ids break the tie.
    List<NewJob> input = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      input.add(NewJob.of("job " + i));
    }
    queue.enqueueAll(input);

    List<Job> claimed = queue.claimJobs(200);

    assertThat(claimed).extracting(Job::prompt).containsExactlyElementsOf(prompts(input));
  }

  @Test
  void enqueueAllIsAllOrNone() {
    Job existing = queue.enqueue(NewJob.of("existing"));
    long jobs = jobCount();
    long sessions = sessionCount();
    List<NewJob> batch =
        List.of(
            NewJob.of("fine, new session"),
            NewJob.builder("fine, existing session").sessionId(existing.sessionId()).build(),
            NewJob.builder("unknown session").sessionId(UUID.randomUUID()).build(),
            NewJob.of("fine too"));

    assertThatThrownBy(() -> queue.enqueueAll(batch))
        .isInstanceOfSatisfying(
            QueueException.class,
            e -> assertThat(e.sqlState()).as("foreign key violation").isEqualTo("23503"))
        .hasMessageContaining("enqueue");

    assertThat(jobCount()).isEqualTo(jobs);
    assertThat(sessionCount()).isEqualTo(sessions);
  }

  @Test
  void jobsOfOneSessionShareIt() {
    Job first = queue.enqueue(NewJob.of("first"));
    List<Job> more =
        queue.enqueueAll(
            List.of(
                NewJob.builder("second").sessionId(first.sessionId()).build(),
                NewJob.builder("third").sessionId(first.sessionId()).build()));
    assertThat(more).allSatisfy(j -> assertThat(j.sessionId()).isEqualTo(first.sessionId()));
    assertThat(sessionCount()).isEqualTo(1);
  }

  @Test
  void enqueueingAnIdempotencyKeyTwiceReturnsTheFirstJobAndWritesNothing() {
    Job first = queue.enqueue(NewJob.builder("pay invoice 42").idempotencyKey("req-42").build());
    long sessions = sessionCount();

    Job second = queue.enqueue(NewJob.builder("something else").idempotencyKey("req-42").build());

    assertThat(second.id()).isEqualTo(first.id());
    assertThat(second.sessionId()).isEqualTo(first.sessionId());
    assertThat(second.prompt()).isEqualTo("pay invoice 42");
    assertThat(second.idempotencyKey()).isEqualTo("req-42");
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE idempotency_key = 'req-42'"))
        .isEqualTo(1);
    assertThat(jobCount()).isEqualTo(1);
    assertThat(sessionCount()).as("no orphan session for the second call").isEqualTo(sessions);

    // Still the same job once it has moved on.
    queue.claimNextJob().orElseThrow();
    queue.completeJob(first.id());
    Job third = queue.enqueue(NewJob.builder("again").idempotencyKey("req-42").build());
    assertThat(third.id()).isEqualTo(first.id());
    assertThat(third.status()).isEqualTo(JobStatus.COMPLETED);
  }

  @Test
  void aBatchWithTheSameIdempotencyKeyTwiceStoresOneJobAndOneSession() {
    List<Job> stored =
        queue.enqueueAll(
            List.of(
                NewJob.builder("once").idempotencyKey("dup").build(),
                NewJob.builder("twice").idempotencyKey("dup").build(),
                NewJob.of("other")));

    assertThat(stored.get(1).id()).isEqualTo(stored.get(0).id());
    assertThat(stored.get(2).id()).isNotEqualTo(stored.get(0).id());
    assertThat(jobCount()).isEqualTo(2);
    assertThat(sessionCount()).as("no orphan session for the duplicate").isEqualTo(2);
  }

  @Test
  void enqueueOnTheCallersConnectionExistsExactlyWhenTheCallerCommits() throws Exception {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      Job rolledBack = queue.enqueue(c, NewJob.of("rolled back"));
      assertThat(queue.findJob(rolledBack.id())).as("not visible before commit").isEmpty();
      c.rollback();
      assertThat(c.isClosed()).isFalse();
      assertThat(c.getAutoCommit()).isFalse();
      assertThat(queue.findJob(rolledBack.id())).isEmpty();
      assertThat(jobCount()).isZero();
      assertThat(sessionCount()).isZero();

      // The caller's own write and the job commit together.
      db.execute("CREATE TABLE IF NOT EXISTS app_orders (id uuid PRIMARY KEY)");
      UUID order = UUID.randomUUID();
      try (var ps = c.prepareStatement("INSERT INTO app_orders (id) VALUES (?)")) {
        ps.setObject(1, order);
        ps.executeUpdate();
      }
      List<Job> committed =
          queue.enqueueAll(c, List.of(NewJob.of("committed 1"), NewJob.of("committed 2")));
      c.commit();
      assertThat(queue.findJob(committed.get(0).id())).isPresent();
      assertThat(queue.findJob(committed.get(1).id())).isPresent();
      assertThat(db.queryLong("SELECT count(*) FROM app_orders WHERE id = '" + order + "'"))
          .isEqualTo(1);
      c.setAutoCommit(true);
    }
    assertThat(queue.claimJobs(10)).hasSize(2);
  }

  // --- delayed jobs -----------------------------------------------------------------------

  @Test
  void aJobDelayedByADurationIsNotClaimableBeforeItsTime() {
    Job delayed = queue.enqueue(NewJob.builder("in an hour").delay(Duration.ofHours(1)).build());

    assertThat(Duration.between(delayed.createdAt(), delayed.runAt()))
        .isEqualTo(Duration.ofHours(1));
    assertThat(queue.claimNextJob()).isEmpty();
    QueueStats stats = queue.getQueueStats();
    assertThat(stats.pendingCount()).isEqualTo(1);
    assertThat(stats.delayedCount()).isEqualTo(1);
  }

  /**
   * The run time is an instant: it must survive the trip whatever the JVM's and the session's time
   * zones (the test database runs its sessions in Pacific/Chatham, +13:45).
   */
  @Test
  void aJobScheduledAtAnInstantKeepsThatInstantAndIsNotClaimableBeforeIt() {
    Instant at = Instant.now().plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.MICROS);

    Job scheduled = queue.enqueue(NewJob.builder("at a time").runAt(at).build());

    assertThat(scheduled.runAt()).isEqualTo(at);
    assertThat(queue.findJob(scheduled.id()).orElseThrow().runAt()).isEqualTo(at);
    assertThat(queue.claimNextJob()).as("claimed before its run time").isEmpty();
    assertThat(queue.getQueueStats().delayedCount()).isEqualTo(1);
  }

  @Test
  void aJobScheduledInThePastIsDueAtOnce() {
    Job past =
        queue.enqueue(NewJob.builder("overdue").runAt(Instant.now().minusSeconds(60)).build());
    assertThat(queue.claimNextJob().orElseThrow().id()).isEqualTo(past.id());
  }

  @Test
  void aShortDelayBecomesClaimableOnceItPasses() {
    Job job = queue.enqueue(NewJob.builder("soon").delay(Duration.ofMillis(700)).build());
    assertThat(queue.claimNextJob()).as("claimed before its time").isEmpty();

    Job claimed =
        await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> queue.claimNextJob().orElse(null), j -> j != null);

    assertThat(claimed.id()).isEqualTo(job.id());
    assertThat(claimed.startedAt()).isAfterOrEqualTo(job.runAt());
  }

  // --- retries, backoff and the dead letter -----------------------------------------------

  @Test
  void retryCountingFollowsTheSeedThreeAttemptsThenTheDeadLetter() {
    Job job = queue.enqueue(NewJob.builder("flaky").maxAttempts(3).build());
    List<Boolean> willRetry = new ArrayList<>();
    for (int attempt = 1; attempt <= 3; attempt++) {
      Job claimed = queue.claimNextJob().orElseThrow();
      assertThat(claimed.id()).isEqualTo(job.id());
      assertThat(claimed.attempt()).isEqualTo(attempt);
      willRetry.add(queue.failJob(job.id(), "boom " + attempt));
      assertThat(queue.findJob(job.id()).orElseThrow().retryCount()).isEqualTo(attempt);
    }
    assertThat(willRetry).containsExactly(true, true, false);

    Job dead = queue.findJob(job.id()).orElseThrow();
    assertThat(dead.status()).isEqualTo(JobStatus.FAILED);
    assertThat(dead.retryCount()).isEqualTo(3);
    assertThat(dead.errorMessage()).isEqualTo("boom 3");
    assertThat(dead.completedAt()).isNotNull();
    assertThat(dead.leaseOwner()).isNull();
    assertThat(dead.errors()).extracting(JobError::attempt).containsExactly(1, 2, 3);
    assertThat(dead.errors())
        .extracting(JobError::error)
        .containsExactly("boom 1", "boom 2", "boom 3");
    assertThat(dead.errors()).allSatisfy(e -> assertThat(e.at()).isNotNull());
    assertThat(dead.errors()).allSatisfy(e -> assertThat(e.worker()).startsWith("queue-"));
    assertThat(queue.claimNextJob()).isEmpty();
    assertThat(sessionStatusAndError(job)).isEqualTo("failed/boom 3");
    assertThat(queue.getQueueStats().failedCount()).isEqualTo(1);
  }

  @Test
  void aRetriedJobWaitsItsBackoff() {
    JobQueue slow =
        db.newQueue(JobQueue.builder().retryPolicy(RetryPolicy.fixed(Duration.ofHours(1))));
    Job job = slow.enqueue(NewJob.of("retry in an hour"));
    slow.claimNextJob().orElseThrow();

    assertThat(slow.failJob(job.id(), "transient")).isTrue();

    Job waiting = slow.findJob(job.id()).orElseThrow();
    assertThat(waiting.status()).isEqualTo(JobStatus.PENDING);
    assertThat(waiting.retryCount()).isEqualTo(1);
    assertThat(waiting.leaseOwner()).isNull();
    assertThat(Duration.between(waiting.errors().get(0).at(), waiting.runAt()))
        .isEqualTo(Duration.ofHours(1));
    assertThat(Duration.between(Instant.now(), waiting.runAt()))
        .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
    assertThat(slow.claimNextJob()).as("not claimable before its backoff").isEmpty();
    assertThat(slow.getQueueStats().delayedCount()).isEqualTo(1);
  }

  @Test
  void aRetryWithoutBackoffIsClaimableAtOnce() {
    Job job = queue.enqueue(NewJob.of("retry now"));
    queue.claimNextJob().orElseThrow();
    assertThat(queue.failJob(job.id(), "transient")).isTrue();

    Job again = queue.claimNextJob().orElseThrow();
    assertThat(again.id()).isEqualTo(job.id());
    assertThat(again.attempt()).isEqualTo(2);
  }

  @Test
  void theDefaultPolicyWaitsAtMostOneSecondAfterTheFirstFailure() {
    JobQueue standard = db.newQueue(JobQueue.builder());
    assertThat(standard.retryPolicy()).isNotNull();
    Job job = standard.enqueue(NewJob.of("default backoff"));
    standard.claimNextJob().orElseThrow();
    standard.failJob(job.id(), "transient");

    Job waiting = standard.findJob(job.id()).orElseThrow();
    assertThat(Duration.between(waiting.errors().get(0).at(), waiting.runAt()))
        .isBetween(Duration.ZERO, RetryPolicy.DEFAULT_BASE);
  }

  @Test
  void failJobPermanentlyDeadLettersOnTheFirstAttempt() {
    Job job = queue.enqueue(NewJob.builder("hopeless").maxAttempts(5).build());
    queue.claimNextJob().orElseThrow();

    queue.failJobPermanently(job.id(), "invalid prompt");

    Job dead = queue.findJob(job.id()).orElseThrow();
    assertThat(dead.status()).isEqualTo(JobStatus.FAILED);
    assertThat(dead.retryCount()).isEqualTo(1);
    assertThat(dead.errors()).singleElement().satisfies(e -> assertThat(e.attempt()).isEqualTo(1));
    assertThat(sessionStatusAndError(job)).isEqualTo("failed/invalid prompt");
    assertThat(queue.claimNextJob()).isEmpty();
  }

  @Test
  void failingAJobThatIsNotProcessingThrowsAndChangesNothing() {
    Job job = queue.enqueue(NewJob.of("pending"));
    assertThatThrownBy(() -> queue.failJob(job.id(), "too early"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pending")
        .hasMessageContaining("not processing");
    assertThatThrownBy(() -> queue.failJobPermanently(job.id(), "too early"))
        .isInstanceOf(IllegalStateException.class);
    Job unchanged = queue.findJob(job.id()).orElseThrow();
    assertThat(unchanged.retryCount()).isZero();
    assertThat(unchanged.errors()).isEmpty();
    assertThat(unchanged.status()).isEqualTo(JobStatus.PENDING);
  }

  @Test
  void aLongErrorIsStoredTruncated() {
    Job job = queue.enqueue(NewJob.builder("verbose").maxAttempts(1).build());
    queue.claimNextJob().orElseThrow();
    queue.failJob(job.id(), "x".repeat(50_000));
    assertThat(queue.findJob(job.id()).orElseThrow().errorMessage()).hasSize(10_000);
  }

  // --- cancel and replay ------------------------------------------------------------------

  @Test
  void cancelAPendingJob() {
    Job job = queue.enqueue(NewJob.of("never mind"));
    assertThat(queue.cancelJob(job.id())).isTrue();
    Job cancelled = queue.findJob(job.id()).orElseThrow();
    assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
    assertThat(cancelled.completedAt()).isNotNull();
    assertThat(queue.claimNextJob()).isEmpty();
    assertThat(queue.cancelJob(job.id())).as("a second cancel changes nothing").isFalse();
    assertThat(queue.getQueueStats().cancelledCount()).isEqualTo(1);
  }

  @Test
  void cancelAProcessingJobThenItsLateOutcomeIsRefused() {
    Job job = queue.enqueue(NewJob.of("running"));
    queue.claimNextJob().orElseThrow();

    assertThat(queue.cancelJob(job.id())).isTrue();

    Job cancelled = queue.findJob(job.id()).orElseThrow();
    assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
    assertThat(cancelled.leaseOwner()).isNull();
    assertThat(queue.completeJob(job.id())).isFalse();
    assertThatThrownBy(() -> queue.failJob(job.id(), "late"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cancelled");
    assertThat(queue.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
  }

  @Test
  void cancelACompletedJobReturnsFalse() {
    Job job = queue.enqueue(NewJob.of("done"));
    queue.claimNextJob().orElseThrow();
    queue.completeJob(job.id());

    assertThat(queue.cancelJob(job.id())).isFalse();
    assertThat(queue.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
  }

  @Test
  void replayADeadLetteredJob() {
    Job job = queue.enqueue(NewJob.builder("try again later").maxAttempts(2).build());
    for (int i = 0; i < 2; i++) {
      queue.claimNextJob().orElseThrow();
      queue.failJob(job.id(), "down " + (i + 1));
    }
    assertThat(queue.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
    assertThat(sessionStatus(job)).isEqualTo("failed");

    assertThat(queue.replayJob(job.id())).isTrue();

    Job replayed = queue.findJob(job.id()).orElseThrow();
    assertThat(replayed.status()).isEqualTo(JobStatus.PENDING);
    assertThat(replayed.retryCount()).isZero();
    assertThat(replayed.errorMessage()).isNull();
    assertThat(replayed.completedAt()).isNull();
    assertThat(replayed.errors())
        .as("the history is kept")
        .extracting(JobError::error)
        .containsExactly("down 1", "down 2");
    assertThat(sessionStatus(job)).isEqualTo("pending");
    assertThat(queue.replayJob(job.id())).as("a pending job is not replayed").isFalse();

    Job claimed = queue.claimNextJob().orElseThrow();
    assertThat(claimed.id()).isEqualTo(job.id());
    assertThat(claimed.attempt()).isEqualTo(1);
    // Fresh attempts: it may fail once more and still be retried.
    assertThat(queue.failJob(job.id(), "down 3")).isTrue();
    assertThat(queue.findJob(job.id()).orElseThrow().errors()).hasSize(3);
  }

  @Test
  void replayOfACompletedOrCancelledJobReturnsFalse() {
    Job done = queue.enqueue(NewJob.of("done"));
    queue.claimNextJob().orElseThrow();
    queue.completeJob(done.id());
    Job cancelled = queue.enqueue(NewJob.of("cancelled"));
    queue.cancelJob(cancelled.id());

    assertThat(queue.replayJob(done.id())).isFalse();
    assertThat(queue.replayJob(cancelled.id())).isFalse();
  }

  // --- reading ----------------------------------------------------------------------------

  @Test
  void findJobReturnsTheJobWithItsErrorsOrNothing() {
    Job job = queue.enqueue(NewJob.builder("find me").idempotencyKey("k-find").build());
    queue.claimNextJob().orElseThrow();
    queue.failJob(job.id(), "first");

    Job found = queue.findJob(job.id()).orElseThrow();
    assertThat(found.prompt()).isEqualTo("find me");
    assertThat(found.idempotencyKey()).isEqualTo("k-find");
    assertThat(found.createdAt()).isEqualTo(job.createdAt());
    assertThat(found.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.attempt()).isEqualTo(1);
              assertThat(e.error()).isEqualTo("first");
            });
    assertThat(queue.findJob(UUID.randomUUID())).isEmpty();
  }

  @Test
  void operationsOnAnUnknownIdThrowJobNotFound() {
    UUID unknown = UUID.randomUUID();
    List<ThrowingCallable> calls =
        List.of(
            () -> queue.completeJob(unknown),
            () -> queue.failJob(unknown, "x"),
            () -> queue.failJobPermanently(unknown, "x"),
            () -> queue.cancelJob(unknown),
            () -> queue.replayJob(unknown));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call)
          .isInstanceOfSatisfying(
              JobNotFoundException.class, e -> assertThat(e.jobId()).isEqualTo(unknown))
          .hasMessageContaining(unknown.toString());
    }
    assertThat(jobCount()).isZero();
    assertThat(sessionCount()).isZero();
  }

  @Test
  void queueStatsCountEveryStateTierDelayAndAge() {
    QueueStats empty = queue.getQueueStats();
    assertThat(empty.pendingCount()).isZero();
    assertThat(empty.oldestPendingAge()).isEqualTo(Duration.ZERO);
    assertThat(empty.oldestPendingAgeText()).isEqualTo("00:00:00");
    assertThat(empty.pendingByTier())
        .containsOnly(
            Map.entry(PlanTier.PRO, 0L),
            Map.entry(PlanTier.STARTER, 0L),
            Map.entry(PlanTier.FREE, 0L));

    // Three jobs above every plan get claimed first: one completes, one fails, one keeps running.
    List<Job> top =
        queue.enqueueAll(
            List.of(
                NewJob.builder("complete").priority(100).build(),
                NewJob.builder("fail").priority(100).build(),
                NewJob.builder("stall").priority(100).build()));
    assertThat(queue.claimJobs(3)).hasSize(3);
    queue.completeJob(top.get(0).id());
    queue.failJobPermanently(top.get(1).id(), "no");
    db.execute(
        "UPDATE coding_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = '"
            + top.get(2).id()
            + "'");

    queue.enqueueAll(
        List.of(
            NewJob.builder("pro 1").tier(PlanTier.PRO).build(),
            NewJob.builder("pro 2").tier(PlanTier.PRO).build(),
            NewJob.builder("starter").tier(PlanTier.STARTER).build(),
            NewJob.builder("free 1").tier(PlanTier.FREE).build(),
            NewJob.builder("free 2").tier(PlanTier.FREE).build(),
            NewJob.builder("free later").delay(Duration.ofHours(1)).build()));
    Job cancelled = queue.enqueue(NewJob.of("cancel me"));
    queue.cancelJob(cancelled.id());
    db.execute(
        "UPDATE coding_jobs SET created_at = now() - interval '1 hour' WHERE prompt = 'free 1'");

    QueueStats stats = queue.getQueueStats();

    assertThat(stats.pendingCount()).isEqualTo(6);
    assertThat(stats.processingCount()).isEqualTo(1);
    assertThat(stats.completedCount()).isEqualTo(1);
    assertThat(stats.failedCount()).isEqualTo(1);
    assertThat(stats.cancelledCount()).isEqualTo(1);
    assertThat(stats.delayedCount()).isEqualTo(1);
    assertThat(stats.expiredLeaseCount()).isEqualTo(1);
    assertThat(stats.pendingByTier())
        .containsOnly(
            Map.entry(PlanTier.PRO, 2L),
            Map.entry(PlanTier.STARTER, 1L),
            Map.entry(PlanTier.FREE, 3L));
    assertThat(stats.oldestPendingAge().toMillis())
        .isCloseTo(Duration.ofHours(1).toMillis(), within(60_000L));
    assertThat(stats.oldestPendingAgeText()).startsWith("01:00:");
  }

  @Test
  void listJobsNewestFirstFilteredByStatus() {
    Job a = queue.enqueue(NewJob.of("a"));
    Job b = queue.enqueue(NewJob.of("b"));
    Job c = queue.enqueue(NewJob.of("c"));
    queue.claimNextJob().orElseThrow(); // a, the oldest
    queue.completeJob(a.id());

    assertThat(queue.listJobs(null, 10))
        .extracting(Job::id)
        .containsExactly(c.id(), b.id(), a.id());
    assertThat(queue.listJobs(null, 2)).extracting(Job::id).containsExactly(c.id(), b.id());
    assertThat(queue.listJobs(JobStatus.PENDING, 10))
        .extracting(Job::id)
        .containsExactly(c.id(), b.id());
    assertThat(queue.listJobs(JobStatus.COMPLETED, 10)).extracting(Job::id).containsExactly(a.id());
    assertThat(queue.listJobs(JobStatus.FAILED, 10)).isEmpty();
  }

  // --- housekeeping -----------------------------------------------------------------------

  @Test
  void pruneFinishedJobsDeletesCompletedAndCancelledButKeepsFailedAndPending() {
    Job completed = queue.enqueue(NewJob.builder("completed").priority(3).build());
    Job failed = queue.enqueue(NewJob.builder("failed").priority(2).maxAttempts(1).build());
    queue.claimNextJob().orElseThrow();
    queue.completeJob(completed.id());
    queue.claimNextJob().orElseThrow();
    queue.failJob(failed.id(), "dead");
    Job cancelled = queue.enqueue(NewJob.of("cancelled"));
    queue.cancelJob(cancelled.id());
    Job pending = queue.enqueue(NewJob.of("pending"));
    Job processing = queue.enqueue(NewJob.of("processing"));
    db.execute("UPDATE coding_jobs SET priority = 1 WHERE id = '" + processing.id() + "'");
    queue.claimNextJob().orElseThrow();

    assertThat(queue.pruneFinishedJobs(Duration.ofHours(1))).as("nothing that old").isZero();
    assertThat(queue.pruneFinishedJobs(Duration.ZERO)).isEqualTo(2);

    assertThat(queue.findJob(completed.id())).isEmpty();
    assertThat(queue.findJob(cancelled.id())).isEmpty();
    assertThat(queue.findJob(failed.id())).isPresent();
    assertThat(queue.findJob(pending.id())).isPresent();
    assertThat(queue.findJob(processing.id())).isPresent();
    assertThat(queue.pruneFinishedJobs(Duration.ZERO)).isZero();
  }

  // --- notifications ----------------------------------------------------------------------

  @Test
  void subscribersReceivePollSignalsUntilTheyUnsubscribe() {
    JobQueue polling = db.newQueue(JobQueue.builder().pollInterval(Duration.ofMillis(50)));
    List<JobSignal> received = new CopyOnWriteArrayList<>();
    AtomicInteger clock = new AtomicInteger();

    Subscription subscription = polling.subscribeToNewJobs(received::add);
    polling.subscribeToNewJobs(s -> clock.incrementAndGet());
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() >= 3);
    assertThat(received).allSatisfy(s -> assertThat(s.source()).isEqualTo(JobSignal.Source.POLL));

    subscription.unsubscribe();
    int frozen = received.size();
    int ticks = clock.get();
    // The other subscriber keeps ticking, so the notifier runs on; the first hears nothing more.
    await().atMost(Duration.ofSeconds(5)).until(() -> clock.get() >= ticks + 3);
    assertThat(received.size()).as("at most one tick in flight").isLessThanOrEqualTo(frozen + 1);

    polling.close();
    assertThatThrownBy(() -> polling.subscribeToNewJobs(s -> {}))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theQueueStartsNoThreadUntilASubscriptionAsksForOne() {
    Set<Thread> before = mobvibeThreads();
    JobQueue polling = db.newQueue(JobQueue.builder().pollInterval(Duration.ofMillis(50)));
    polling.enqueue(NewJob.of("no thread needed"));
    polling.getQueueStats();
    assertThat(newThreads(before)).as("threads before any subscription").isEmpty();

    polling.subscribeToNewJobs(s -> {});
    List<Thread> started = newThreads(before);
    assertThat(started).extracting(Thread::getName).containsExactly("mobvibe-poll-notifier");
    polling.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> !started.get(0).isAlive());
  }

  private static Set<Thread> mobvibeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("mobvibe-"))
        .collect(Collectors.toSet());
  }

  private static List<Thread> newThreads(Set<Thread> before) {
    return mobvibeThreads().stream().filter(t -> !before.contains(t)).toList();
  }

  // --- building and closing ---------------------------------------------------------------

  @Test
  void aQueueBuiltFromAUrlWorksAndClosesItsPool() {
    JobQueue fromJdbcUrl =
        JobQueue.builder()
            .jdbcUrl(db.jdbcUrl())
            .username(db.user())
            .password(db.password())
            .maxPoolSize(2)
            .build();
    exercise(fromJdbcUrl, "jdbc url");

    // The form Supabase shows: postgresql://user[:password]@host:port/db
    String userInfo =
        db.user() == null
            ? ""
            : encode(db.user()) + (db.password() == null ? "" : ":" + encode(db.password())) + "@";
    String plainUrl =
        "postgresql://" + userInfo + db.jdbcUrl().substring("jdbc:postgresql://".length());
    JobQueue fromPlainUrl = JobQueue.builder().jdbcUrl(plainUrl).build();
    exercise(fromPlainUrl, "plain url");
  }

  private static void exercise(JobQueue urlQueue, String label) {
    try {
      assertThat(urlQueue.dataSource()).isInstanceOf(HikariDataSource.class);
      assertThat(urlQueue.migrate().applied()).isEmpty();
      Job job = urlQueue.enqueue(NewJob.builder(label).tier(PlanTier.PRO).build());
      assertThat(urlQueue.claimNextJob().orElseThrow().id()).isEqualTo(job.id());
      assertThat(urlQueue.completeJob(job.id())).isTrue();
      assertThat(queue.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
    } finally {
      urlQueue.close();
    }
    assertThat(((HikariDataSource) urlQueue.dataSource()).isClosed()).isTrue();
    urlQueue.close(); // idempotent
  }

  @Test
  void closingAQueueLeavesTheCallersDataSourceOpen() {
    JobQueue borrowed = JobQueue.builder().dataSource(db.dataSource()).build();
    borrowed.close();
    assertThat(((HikariDataSource) db.dataSource()).isClosed()).isFalse();
    assertThat(queue.getQueueStats()).isNotNull();
  }

  @Test
  void afterCloseEveryMethodThrowsIllegalState() throws Exception {
    JobQueue closed = JobQueue.builder().dataSource(db.dataSource()).build();
    closed.close();
    UUID id = UUID.randomUUID();
    NewJob job = NewJob.of("too late");
    try (Connection c = db.dataSource().getConnection()) {
      List<ThrowingCallable> calls =
          List.of(
              closed::migrate,
              closed::schemaVersion,
              () -> closed.enqueue(job),
              () -> closed.enqueue(c, job),
              () -> closed.enqueueAll(List.of(job)),
              () -> closed.enqueueAll(c, List.of(job)),
              closed::claimNextJob,
              () -> closed.claimJobs(5),
              () -> closed.completeJob(id),
              () -> closed.failJob(id, "x"),
              () -> closed.failJobPermanently(id, "x"),
              () -> closed.cancelJob(id),
              () -> closed.replayJob(id),
              () -> closed.findJob(id),
              () -> closed.listJobs(null, 10),
              closed::getQueueStats,
              () -> closed.pruneFinishedJobs(Duration.ZERO),
              () -> closed.subscribeToNewJobs(s -> {}));
      for (ThrowingCallable call : calls) {
        assertThatThrownBy(call)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
      }
    }
    assertThat(jobCount()).isZero();
  }

  // --- helpers ----------------------------------------------------------------------------

  private static List<String> prompts(List<NewJob> jobs) {
    return jobs.stream().map(NewJob::prompt).toList();
  }

  private static long jobCount() {
    return db.queryLong("SELECT count(*) FROM coding_jobs");
  }

  private static long sessionCount() {
    return db.queryLong("SELECT count(*) FROM coding_sessions");
  }

  private static String sessionStatus(Job job) {
    return db.queryString(
        "SELECT status FROM coding_sessions WHERE id = '" + job.sessionId() + "'");
  }

  private static String sessionStatusAndError(Job job) {
    return db.queryString(
        "SELECT status || '/' || coalesce(error_message, '') FROM coding_sessions WHERE id = '"
            + job.sessionId()
            + "'");
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
