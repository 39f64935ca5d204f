package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input to every public method (DESIGN.md R5): a clear exception naming the problem, thrown
 * before anything is written. After each test the three tables must hold exactly what they held
 * before it.
 */
class BadInputTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  static Job pending;
  static Job processing;
  static Job completed;

  private String before;

  @BeforeAll
  static void someJobsInEveryState() {
    queue = db.migratedQueue();
    processing = queue.enqueue(NewJob.builder("processing").priority(2).build());
    completed = queue.enqueue(NewJob.builder("completed").priority(1).build());
    queue.claimJobs(2);
    queue.completeJob(completed.id());
    pending = queue.enqueue(NewJob.of("pending"));
  }

  @BeforeEach
  void snapshot() {
    before = tables();
  }

  @AfterEach
  void nothingWasWritten() {
    assertThat(tables()).as("the tables after the test").isEqualTo(before);
  }

  // --- NewJob -----------------------------------------------------------------------------

  @Test
  void nullJob() {
    assertThatThrownBy(() -> queue.enqueue((NewJob) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("job");
  }

  @Test
  void nullOrBlankPrompt() {
    rejects(() -> queue.enqueue(NewJob.of((String) null)), "prompt");
    rejects(() -> queue.enqueue(NewJob.of((JobArgs) null)), "args");
    rejects(() -> queue.enqueue(NewJob.of("")), "prompt", "blank");
    rejects(() -> queue.enqueue(NewJob.of(" \t\n ")), "prompt", "blank");
  }

  @Test
  void promptOverTheLimit() {
    String tooLong = "x".repeat(NewJob.MAX_PROMPT_LENGTH + 1);
    rejects(
        () -> queue.enqueue(NewJob.of(tooLong)),
        "prompt",
        String.valueOf(NewJob.MAX_PROMPT_LENGTH));
  }

  @Test
  void promptWithTheNulCharacter() {
    rejects(() -> queue.enqueue(NewJob.of("before\0after")), "prompt", "NUL");
  }

  @Test
  void priorityOutOfRange() {
    rejects(() -> queue.enqueue(NewJob.builder("p").priority(-1).build()), "priority", "-1");
    rejects(
        () -> queue.enqueue(NewJob.builder("p").priority(NewJob.MAX_PRIORITY + 1).build()),
        "priority",
        "101");
    assertThatThrownBy(() -> NewJob.builder("p").tier(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("tier");
  }

  @Test
  void maxAttemptsOutOfRange() {
    rejects(() -> queue.enqueue(NewJob.builder("p").maxAttempts(0).build()), "maxAttempts", "0");
    rejects(
        () -> queue.enqueue(NewJob.builder("p").maxAttempts(NewJob.MAX_ATTEMPTS_LIMIT + 1).build()),
        "maxAttempts",
        "101");
  }

  @Test
  void negativeOrNullDelay() {
    rejects(
        () -> queue.enqueue(NewJob.builder("p").delay(Duration.ofSeconds(-1)).build()),
        "delay",
        "negative");
    assertThatThrownBy(() -> queue.enqueue(NewJob.builder("p").delay(null).build()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("delay");
  }

  @Test
  void runAtAndDelayTogether() {
    rejects(
        () ->
            queue.enqueue(
                NewJob.builder("p")
                    .runAt(Instant.now().plusSeconds(60))
                    .delay(Duration.ofSeconds(5))
                    .build()),
        "runAt",
        "delay");
  }

  @Test
  void badIdempotencyKey() {
    rejects(() -> queue.enqueue(NewJob.builder("p").idempotencyKey(" ").build()), "idempotencyKey");
    rejects(
        () ->
            queue.enqueue(
                NewJob.builder("p")
                    .idempotencyKey("k".repeat(NewJob.MAX_IDEMPOTENCY_KEY_LENGTH + 1))
                    .build()),
        "idempotencyKey",
        String.valueOf(NewJob.MAX_IDEMPOTENCY_KEY_LENGTH));
    rejects(
        () -> queue.enqueue(NewJob.builder("p").idempotencyKey("a\0b").build()),
        "idempotencyKey",
        "NUL");
  }

  @Test
  void anUnknownSessionIsRefusedByTheDatabase() {
    assertThatThrownBy(
            () -> queue.enqueue(NewJob.builder("p").sessionId(UUID.randomUUID()).build()))
        .isInstanceOfSatisfying(
            QueueException.class, e -> assertThat(e.sqlState()).isEqualTo("23503"))
        .hasMessageContaining("coding_sessions");
  }

  // --- batches ----------------------------------------------------------------------------

  @Test
  void badBatches() throws Exception {
    rejects(() -> queue.enqueueAll(List.of()), "jobs", "empty");
    assertThatThrownBy(() -> queue.enqueueAll(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("jobs");
    List<NewJob> withNull = new ArrayList<>();
    withNull.add(NewJob.of("fine"));
    withNull.add(null);
    rejects(() -> queue.enqueueAll(withNull), "jobs[1]", "null");
    List<NewJob> tooMany = Collections.nCopies(JobQueue.MAX_BATCH_SIZE + 1, NewJob.of("p"));
    rejects(() -> queue.enqueueAll(tooMany), "jobs", String.valueOf(JobQueue.MAX_BATCH_SIZE));

    try (Connection c = db.dataSource().getConnection()) {
      rejects(() -> queue.enqueueAll(c, List.of()), "jobs", "empty");
      rejects(() -> queue.enqueueAll(c, withNull), "jobs[1]");
      assertThatThrownBy(() -> queue.enqueue(c, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("job");
    }
    assertThatThrownBy(() -> queue.enqueue(null, NewJob.of("p")))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("connection");
    assertThatThrownBy(() -> queue.enqueueAll(null, List.of(NewJob.of("p"))))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("connection");
  }

  // --- claiming, reading, state changes ---------------------------------------------------

  @Test
  void claimAndListLimitsOutOfRange() {
    rejects(() -> queue.claimJobs(0), "max", "0");
    rejects(() -> queue.claimJobs(-5), "max");
    rejects(() -> queue.claimJobs(JobQueue.MAX_BATCH_SIZE + 1), "max");
    rejects(() -> queue.listJobs(null, 0), "limit", "0");
    rejects(() -> queue.listJobs(JobStatus.PENDING, 1001), "limit", "1001");
  }

  @Test
  void nullIdsAndMessages() {
    List<ThrowingCallable> nullIds =
        List.of(
            () -> queue.completeJob(null),
            () -> queue.failJob(null, "x"),
            () -> queue.failJobPermanently(null, "x"),
            () -> queue.cancelJob(null),
            () -> queue.replayJob(null),
            () -> queue.findJob(null));
    for (ThrowingCallable call : nullIds) {
      assertThatThrownBy(call)
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("jobId");
    }
    assertThatThrownBy(() -> queue.failJob(processing.id(), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("errorMessage");
    assertThatThrownBy(() -> queue.failJobPermanently(processing.id(), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("errorMessage");
    assertThatThrownBy(() -> queue.subscribeToNewJobs(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
  }

  @Test
  void unknownIds() {
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
          .isInstanceOf(JobNotFoundException.class)
          .hasMessageContaining(unknown.toString())
          .hasMessageContaining("does not exist");
    }
    assertThat(queue.findJob(unknown)).isEmpty();
  }

  @Test
  void failingAJobThatIsNotProcessing() {
    for (Job job : List.of(pending, completed)) {
      assertThatThrownBy(() -> queue.failJob(job.id(), "x"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(job.id().toString())
          .hasMessageContaining("not processing");
      assertThatThrownBy(() -> queue.failJobPermanently(job.id(), "x"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not processing");
    }
    // Refused state changes report false and write nothing either.
    assertThat(queue.completeJob(pending.id())).isFalse();
    assertThat(queue.completeJob(completed.id())).isFalse();
    assertThat(queue.cancelJob(completed.id())).isFalse();
    assertThat(queue.replayJob(pending.id())).isFalse();
    assertThat(queue.replayJob(processing.id())).isFalse();
  }

  @Test
  void pruneWithABadAge() {
    assertThatThrownBy(() -> queue.pruneFinishedJobs(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("olderThan");
    rejects(() -> queue.pruneFinishedJobs(Duration.ofSeconds(-1)), "olderThan", "negative");
  }

  // --- the builder ------------------------------------------------------------------------

  @Test
  void builderWithNeitherOrBothConnectionSources() {
    rejects(() -> JobQueue.builder().build(), "dataSource", "jdbcUrl");
    rejects(
        () -> JobQueue.builder().dataSource(db.dataSource()).jdbcUrl(db.jdbcUrl()).build(),
        "dataSource",
        "jdbcUrl");
  }

  @Test
  void builderWithAMalformedUrlNeverShowsThePassword() {
    rejects(() -> JobQueue.builder().jdbcUrl("mysql://x").build(), "database URL");
    rejects(() -> JobQueue.builder().jdbcUrl("jdbc:mysql://db/app").build(), "database URL");
    rejects(() -> JobQueue.builder().jdbcUrl("  ").build(), "database URL", "blank");
    List<String> secretUrls =
        List.of(
            "postgresql://user:secret@/db",
            "postgres://user:secret@:5432/db",
            "postgresql://user:secret@host:port/db",
            "postgresql://user:secret@host with space/db",
            "mysql://user:secret@host/db?password=secret");
    for (String url : secretUrls) {
      assertThatThrownBy(() -> JobQueue.builder().jdbcUrl(url).build())
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("database URL")
          .satisfies(e -> assertThat(allMessages(e)).doesNotContain("secret"));
    }
    rejects(() -> JobQueue.builder().jdbcUrl("postgresql://user:secret@/db").build(), "host");
  }

  @Test
  void builderWithBadSettings() {
    rejects(
        () -> builder().pollInterval(Duration.ofMillis(-1)).build(), "pollInterval", "positive");
    rejects(() -> builder().pollInterval(Duration.ZERO).build(), "pollInterval");
    rejects(() -> builder().pollInterval(null).build(), "pollInterval");
    rejects(() -> builder().maxPoolSize(0).build(), "maxPoolSize", "0");
    rejects(() -> builder().maxPoolSize(1001).build(), "maxPoolSize", "1001");
    rejects(
        () -> builder().statementTimeout(Duration.ofSeconds(-1)).build(),
        "statementTimeout",
        "PT-1S");
    rejects(() -> builder().connectTimeout(Duration.ZERO).build(), "connectTimeout", "PT0S");
    rejects(
        () -> builder().socketTimeout(Duration.ofSeconds(-1)).build(), "socketTimeout", "PT-1S");
    rejects(() -> builder().claimLease(Duration.ZERO).build(), "claimLease");
    rejects(() -> builder().claimLease(Duration.ofSeconds(-1)).build(), "claimLease");
    assertThatThrownBy(() -> builder().retryPolicy(null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("retryPolicy");
  }

  // --- helpers ----------------------------------------------------------------------------

  private static JobQueue.Builder builder() {
    return JobQueue.builder().dataSource(db.dataSource());
  }

  /** Asserts an {@link IllegalArgumentException} whose message names every fragment. */
  private static AbstractThrowableAssert<?, ? extends Throwable> rejects(
      ThrowingCallable call, String... fragments) {
    AbstractThrowableAssert<?, ? extends Throwable> thrown =
        assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
    for (String fragment : fragments) {
      thrown.hasMessageContaining(fragment);
    }
    return thrown;
  }

  private static String allMessages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append('\n');
    }
    return all.toString();
  }

  /** Every row of the three tables, as text. */
  private static String tables() {
    return db.queryString(
        "SELECT (SELECT coalesce(string_agg(j::text, '\n' ORDER BY j.id), '') FROM coding_jobs j)"
            + " || '\n--\n' || (SELECT coalesce(string_agg(s::text, '\n' ORDER BY s.id), '')"
            + " FROM coding_sessions s) || '\n--\n' || (SELECT coalesce(string_agg(e::text, '\n'"
            + " ORDER BY e.id), '') FROM session_events e)");
  }
}
