package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Job kinds with typed arguments: arguments survive the round trip through {@code jsonb}, each kind
 * reaches its own handler, a worker leaves kinds it has no handler for alone, and a kind's options
 * override the processor's.
 */
class JobKindsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;

  /** Nested records, {@code java.time} values, lists and maps: what services put in arguments. */
  record Address(String street, String city) {}

  record Line(String item, int quantity, double price) {}

  record Invoice(
      String customer,
      Instant issuedAt,
      LocalDate due,
      OffsetDateTime cutoff,
      Duration grace,
      List<Line> lines,
      Address billing,
      Map<String, Integer> tags)
      implements JobArgs {
    @Override
    public String kind() {
      return "send_invoice";
    }
  }

  record Ping(int n) implements JobArgs {
    @Override
    public String kind() {
      return "ping";
    }
  }

  record Other(String note) implements JobArgs {
    @Override
    public String kind() {
      return "other_service_kind";
    }
  }

  /** A kind whose arguments are not a JSON object once written. */
  enum Flag implements JobArgs {
    ON;

    @Override
    public String kind() {
      return "flag";
    }
  }

  /** The shape a handler expects that the stored arguments do not fit. */
  record PingAsText(List<String> n) {}

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void emptyTheQueue() {
    db.emptyQueueTables();
  }

  @AfterEach
  void nothingLeftProcessing() {
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = 'processing'"))
        .isZero();
  }

  private static Invoice invoice() {
    return new Invoice(
        "ACME",
        Instant.parse("2026-12-02T10:15:30.123456Z"),
        LocalDate.of(2026, 12, 31),
        OffsetDateTime.of(2026, 12, 24, 18, 0, 0, 0, ZoneOffset.ofHours(2)),
        Duration.ofDays(7).plusMinutes(5),
        List.of(new Line("seat", 3, 19.5), new Line("support", 1, 99.0)),
        new Address("1 Main St", "Springfield"),
        Map.of("priority", 1, "region", 7));
  }

  @Test
  void typedArgumentsRoundTripThroughTheDatabaseIntoTheHandler() {
    Invoice sent = invoice();
    Job stored = queue.enqueue(NewJob.builder(sent).tier(PlanTier.PRO).maxAttempts(5).build());

    assertThat(stored.kind()).isEqualTo("send_invoice");
    assertThat(stored.sessionId()).isNull();
    assertThat(stored.prompt()).isNull();
    assertThat(stored.priority()).isEqualTo(10);
    assertThat(stored.maxAttempts()).isEqualTo(5);
    assertThat(stored.args(Invoice.class)).isEqualTo(sent);
    assertThat(db.queryString("SELECT args->>'due' FROM coding_jobs")).isEqualTo("2026-12-31");
    assertThat(db.queryString("SELECT args->'billing'->>'city' FROM coding_jobs"))
        .isEqualTo("Springfield");
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isZero();

    AtomicReference<Invoice> received = new AtomicReference<>();
    AtomicReference<Job> row = new AtomicReference<>();
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                "send_invoice",
                Invoice.class,
                (args, ctx) -> {
                  row.set(ctx.job());
                  received.set(args);
                })
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> status(stored.id()) == JobStatus.COMPLETED);
    }
    assertThat(received.get()).isEqualTo(sent);
    assertThat(row.get().kind()).isEqualTo("send_invoice");
    assertThat(row.get().argsJson()).contains("\"customer\": \"ACME\"");
  }

  @Test
  void eachKindReachesItsOwnHandlerAndPromptJobsStayCodingSessions() {
    Map<String, List<String>> seen = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(5);
    queue.enqueueAll(
        List.of(
            NewJob.of(new Ping(1)),
            NewJob.of("write the tests"),
            NewJob.of(invoice()),
            NewJob.of(new Ping(2)),
            NewJob.of("fix the build")));
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                "ping",
                Ping.class,
                (args, ctx) -> {
                  record(seen, "ping", String.valueOf(args.n()));
                  done.countDown();
                })
            .handler(
                "send_invoice",
                Invoice.class,
                (args, ctx) -> {
                  record(seen, "send_invoice", args.customer());
                  done.countDown();
                })
            .handler(
                NewJob.CODING_SESSION_KIND,
                (job, ctx) -> {
                  record(seen, NewJob.CODING_SESSION_KIND, job.prompt());
                  done.countDown();
                })
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> done.getCount() == 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> count("completed") == 5);
    }
    assertThat(seen.get("ping")).containsExactlyInAnyOrder("1", "2");
    assertThat(seen.get("send_invoice")).containsExactly("ACME");
    assertThat(seen.get(NewJob.CODING_SESSION_KIND))
        .containsExactlyInAnyOrder("write the tests", "fix the build");
    // Only the prompt jobs have sessions, and only theirs were completed.
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions WHERE status = 'completed'"))
        .isEqualTo(2);
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE session_id IS NULL"))
        .isEqualTo(3);
  }

  private static void record(Map<String, List<String>> seen, String kind, String value) {
    seen.computeIfAbsent(kind, k -> new CopyOnWriteArrayList<>()).add(value);
  }

  @Test
  void aWorkerLeavesKindsItHasNoHandlerForAlone() {
    Job other = queue.enqueue(NewJob.builder(new Other("not mine")).tier(PlanTier.PRO).build());
    Job session = queue.enqueue(NewJob.of("a prompt for another fleet"));
    Job mine = queue.enqueue(NewJob.of(new Ping(7)));
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler("ping", Ping.class, (args, ctx) -> {})
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(mine.id()) == JobStatus.COMPLETED);
      // The claim that took it would have taken the others first (older, and one is Pro).
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> processor.lastSuccessfulClaim().isPresent());
    }
    for (Job untouched : List.of(other, session)) {
      Job now = queue.findJob(untouched.id()).orElseThrow();
      assertThat(now.status()).isEqualTo(JobStatus.PENDING);
      assertThat(now.retryCount()).isZero();
      assertThat(now.startedAt()).isNull();
      assertThat(now.leaseOwner()).isNull();
    }
    assertThat(
            db.queryString(
                "SELECT status FROM coding_sessions WHERE id = '" + session.sessionId() + "'"))
        .isEqualTo("pending");
  }

  @Test
  void manualClaimsTakeTheKindsAskedFor() {
    Job ping = queue.enqueue(NewJob.of(new Ping(1)));
    Job prompt = queue.enqueue(NewJob.of("prompt"));

    assertThat(queue.claimJobs(10)).extracting(Job::id).containsExactly(prompt.id());
    assertThat(queue.claimJobs(List.of("ping", "nothing_else"), 10))
        .extracting(Job::id)
        .containsExactly(ping.id());
    assertThat(queue.completeJob(ping.id())).isTrue();
    assertThat(queue.completeJob(prompt.id())).isTrue();
  }

  @Test
  void aKindsMaxAttemptsOverridesTheJobsOwn() {
    Job job = queue.enqueue(NewJob.builder(new Ping(1)).maxAttempts(5).build());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                "ping",
                Ping.class,
                (args, ctx) -> {
                  attempts.add(ctx.attempt());
                  throw new IllegalStateException("no pong");
                },
                KindOptions.builder().maxAttempts(2).build())
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(job.id()) == JobStatus.FAILED);
    }
    assertThat(attempts).containsExactly(1, 2);
    assertThat(queue.findJob(job.id()).orElseThrow().retryCount()).isEqualTo(2);
  }

  @Test
  void aKindsMaxAttemptsMayAlsoRaiseTheJobsOwn() {
    Job job = queue.enqueue(NewJob.builder(new Ping(1)).maxAttempts(1).build());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                "ping",
                Ping.class,
                (args, ctx) -> {
                  attempts.add(ctx.attempt());
                  if (ctx.attempt() < 3) {
                    throw new IllegalStateException("not yet");
                  }
                },
                KindOptions.builder().maxAttempts(3).build())
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(job.id()) == JobStatus.COMPLETED);
    }
    assertThat(attempts).containsExactly(1, 2, 3);
  }

  @Test
  void aKindsRetryPolicyAndTimeoutOverrideTheProcessors() {
    Job slow = queue.enqueue(NewJob.builder(new Ping(1)).maxAttempts(2).build());
    Job quick = queue.enqueue(NewJob.builder(new Other("x")).maxAttempts(2).build());
    RetryPolicy hourLong = RetryPolicy.fixed(Duration.ofHours(1));
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            // Ping: the processor's hour-long backoff, but a 100 ms timeout of its own.
            .handler(
                "ping",
                Ping.class,
                (args, ctx) -> ctx.awaitCancellation(Duration.ofSeconds(30)),
                KindOptions.builder().timeout(Duration.ofMillis(100)).build())
            // Other: fails once and comes back at once under its own policy.
            .handler(
                "other_service_kind",
                (job, ctx) -> {
                  if (ctx.attempt() == 1) {
                    throw new IllegalStateException("first try");
                  }
                },
                KindOptions.builder().retryPolicy(RetryPolicy.fixed(Duration.ZERO)).build())
            .retryPolicy(hourLong)
            .jobTimeout(Duration.ofMinutes(5))
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(quick.id()) == JobStatus.COMPLETED);
      await().atMost(Duration.ofSeconds(10)).until(() -> retryCount(slow.id()) == 1);
    }
    Job timedOut = queue.findJob(slow.id()).orElseThrow();
    assertThat(timedOut.status()).isEqualTo(JobStatus.PENDING);
    assertThat(timedOut.errorMessage()).contains("timed out");
    // The processor's policy: the retry waits about an hour.
    assertThat(timedOut.runAt()).isAfter(Instant.now().plus(50, ChronoUnit.MINUTES));
  }

  @Test
  void argumentsThatDoNotDecodeSendTheJobToTheDeadLetterWithoutCallingTheHandler() {
    Job job = queue.enqueue(NewJob.of(new Ping(1)));
    List<PingAsText> called = new CopyOnWriteArrayList<>();
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler("ping", PingAsText.class, (args, ctx) -> called.add(args))
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(job.id()) == JobStatus.FAILED);
    }
    assertThat(called).isEmpty();
    Job failed = queue.findJob(job.id()).orElseThrow();
    assertThat(failed.retryCount()).isEqualTo(1); // one attempt, not three
    assertThat(failed.errorMessage())
        .contains("cannot decode the arguments of job " + job.id())
        .contains("kind ping")
        .contains(PingAsText.class.getName());
  }

  @Test
  void aJobOfAnotherKindHasNoSessionToEmitEventsTo() {
    Job job = queue.enqueue(NewJob.of(new Ping(1)));
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                "ping",
                Ping.class,
                (args, ctx) -> {
                  try {
                    ctx.emitEvent("thinking", Map.of("step", 1));
                  } catch (RuntimeException e) {
                    thrown.set(e);
                  }
                })
            .pollInterval(Duration.ofMillis(50))
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> status(job.id()) == JobStatus.COMPLETED);
    }
    assertThat(thrown.get())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("kind ping")
        .hasMessageContaining("no session");
    assertThat(db.queryLong("SELECT count(*) FROM session_events")).isZero();
  }

  @Test
  void badKindsAndArgumentsAreRefusedAndNothingIsWritten() {
    assertThatThrownBy(() -> NewJob.of(kindOf("bad kind!")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kind must be 1 to 100 characters")
        .hasMessageContaining("bad kind!");
    assertThatThrownBy(() -> NewJob.of(kindOf(NewJob.CODING_SESSION_KIND)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NewJob.builder(prompt)");
    assertThatThrownBy(() -> NewJob.builder(new Ping(1)).sessionId(UUID.randomUUID()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("session belongs to a coding_session job");
    assertThatThrownBy(() -> queue.enqueue(NewJob.of(Flag.ON)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kind flag")
        .hasMessageContaining("JSON object");
    assertThatThrownBy(() -> queue.enqueueAll(List.of(NewJob.of(new Ping(1)), NewJob.of(Flag.ON))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> queue.claimJobs(List.of("no spaces allowed"), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no spaces allowed");
    assertThatThrownBy(() -> queue.claimJobs(List.of(), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kinds must not be empty");
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isZero();
  }

  @Test
  void aProcessorNeedsOneValidHandlerPerKind() {
    assertThatThrownBy(() -> JobProcessor.builder(queue).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one kind");
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("ping", Ping.class, (a, c) -> {})
                    .handler("ping", (j, c) -> {})
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kind ping has two handlers");
    assertThatThrownBy(() -> JobProcessor.builder(queue).handler("", (j, c) -> {}).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kind must be");
    assertThatThrownBy(() -> JobProcessor.builder(queue).handler("ping", null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("handler of kind ping");
    assertThatThrownBy(() -> KindOptions.builder().maxAttempts(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAttempts must be between 1 and 100, was 0");
    assertThatThrownBy(() -> KindOptions.builder().timeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive");
  }

  @Test
  void metadataTravelsWithTheJob() {
    Job job =
        queue.enqueue(
            NewJob.builder(new Ping(1))
                .metadata("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .build());
    assertThat(queue.findJob(job.id()).orElseThrow().metadata())
        .containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assertThat(NewJob.of("p").withMetadata("k", "v").metadata()).isEqualTo(Map.of("k", "v"));
    assertThatThrownBy(() -> NewJob.builder("p").metadata("k", null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metadata value of 'k'");
  }

  /** Arguments of any kind name, for the checks of kind names. */
  private static JobArgs kindOf(String kind) {
    return () -> kind;
  }

  private static JobStatus status(UUID id) {
    return queue.findJob(id).orElseThrow().status();
  }

  private static int retryCount(UUID id) {
    return queue.findJob(id).orElseThrow().retryCount();
  }

  private static long count(String status) {
    return db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = '" + status + "'");
  }
}
