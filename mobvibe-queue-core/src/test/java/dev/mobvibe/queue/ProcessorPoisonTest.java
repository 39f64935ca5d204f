package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Poison from user code does not stall a worker: session event data with NUL characters is stored
 * with U+FFFD in their place, oversized data is refused at the call, events the database refuses
 * are dropped alone while the others are written, {@code java.time} values are written as ISO-8601
 * strings (or as the queue's own mapper says), and a retry policy that throws is replaced by the
 * default policy. After each, the worker goes on with the next job.
 */
@Tag("faults")
class ProcessorPoisonTest {
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

  private static JobProcessorBuilder processor(JobQueue queue, JobHandler handler) {
    return JobProcessor.builder(queue, handler)
        .pollInterval(Duration.ofMillis(100))
        .workerId("poison-" + UUID.randomUUID().toString().substring(0, 8));
  }

  private static boolean completed(Job job) {
    return queue.findJob(job.id()).orElseThrow().status() == JobStatus.COMPLETED;
  }

  /** Events the handler emitted for the job's session (not the processor's state changes). */
  private static long handlerEvents(Job job) {
    return db.queryLong(
        "SELECT count(*) FROM session_events WHERE session_id = '"
            + job.sessionId()
            + "' AND event_type <> 'state_changed'");
  }

  private static String eventField(Job job, String type, String field) {
    return db.queryString(
        "SELECT event_data->>'"
            + field
            + "' FROM session_events WHERE session_id = '"
            + job.sessionId()
            + "' AND event_type = '"
            + type
            + "'");
  }

  @Test
  void nulInEventDataIsReplacedAndEveryEventIsWritten() {
    Job binary = queue.enqueue(NewJob.of("cat a binary file"));
    Job next = queue.enqueue(NewJob.of("the next job"));
    List<String> problems = new CopyOnWriteArrayList<>();
    JobHandler handler =
        (j, ctx) -> {
          if (j.id().equals(binary.id())) {
            ctx.emitEvent("thinking", Map.of("text", "reading the file"));
            Map<String, Object> terminal = new LinkedHashMap<>();
            terminal.put("output", "\u007fELF\0\0\u0001binary");
            terminal.put("col\0umn", 1);
            ctx.emitEvent("terminal", terminal);
            try {
              ctx.emitEvent("ter\0minal", Map.of());
            } catch (IllegalArgumentException e) {
              problems.add(e.getMessage());
            }
            ctx.emitEvent("completion", Map.of("summary", "done"));
          } else {
            ctx.emitEvent("thinking", Map.of("text", "next"));
          }
        };
    try (JobProcessor p = processor(queue, handler).concurrency(1).build()) {
      p.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  completed(binary)
                      && completed(next)
                      && handlerEvents(binary) == 3
                      && handlerEvents(next) == 1);
      assertThat(p.rejectedEvents()).isZero();
      assertThat(p.droppedEvents()).isZero();
    }
    assertThat(eventField(binary, "terminal", "output"))
        .isEqualTo("\u007fELF\uFFFD\uFFFD\u0001binary");
    assertThat(eventField(binary, "terminal", "col\uFFFDumn")).isEqualTo("1");
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0)).contains("NUL");
  }

  @Test
  void oversizedEventDataIsRefusedAtTheCallNamingTheLimitAndTheSize() {
    Job job = queue.enqueue(NewJob.of("prints a huge log"));
    AtomicReference<String> refused = new AtomicReference<>();
    JobHandler handler =
        (j, ctx) -> {
          try {
            ctx.emitEvent("terminal", Map.of("output", "x".repeat(2 << 20)));
          } catch (IllegalArgumentException e) {
            refused.set(e.getMessage());
          }
          ctx.emitEvent("terminal", Map.of("output", "the tail of the log"));
        };
    try (JobProcessor p = processor(queue, handler).build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> completed(job) && handlerEvents(job) == 1);
    }
    // {"output":"..."} is 13 characters around the value.
    assertThat(refused.get()).contains("2097165 bytes").contains("1048576 bytes");
    assertThat(eventField(job, "terminal", "output")).isEqualTo("the tail of the log");
  }

  @Test
  void eventsTheDatabaseRefusesAreDroppedAloneAndTheWorkerGoesOn() {
    Job orphan = queue.enqueue(NewJob.of("its session is deleted while it runs"));
    Job next = queue.enqueue(NewJob.of("the next job"));
    JobHandler handler =
        (j, ctx) -> {
          if (j.id().equals(orphan.id())) {
            // The application deletes the session (and, by cascade, the job) meanwhile: the
            // events of this job now break the foreign key of session_events.
            db.execute("DELETE FROM coding_sessions WHERE id = '" + j.sessionId() + "'");
            ctx.emitEvent("terminal", Map.of("output", "one"));
            ctx.emitEvent("terminal", Map.of("output", "two"));
          } else {
            ctx.emitEvent("thinking", Map.of("text", "next"));
            ctx.emitEvent("completion", Map.of("summary", "done"));
          }
        };
    try (JobProcessor p = processor(queue, handler).concurrency(1).build()) {
      p.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> completed(next) && handlerEvents(next) == 2 && p.rejectedEvents() == 2);
      assertThat(p.droppedEvents()).isZero();
    }
    assertThat(queue.findJob(orphan.id())).isEmpty();
  }

  @Test
  void javaTimeValuesAreWrittenAsIsoStrings() {
    Job job = queue.enqueue(NewJob.of("reports times"));
    record Progress(Instant at, LocalDate day, Duration took) {}
    JobHandler handler =
        (j, ctx) ->
            ctx.emitEvent(
                "completion",
                new Progress(
                    Instant.parse("2025-03-01T12:34:56.789Z"),
                    LocalDate.of(2025, 3, 1),
                    Duration.ofMillis(1500)));
    try (JobProcessor p = processor(queue, handler).build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> completed(job) && handlerEvents(job) == 1);
    }
    assertThat(
            db.queryString(
                "SELECT jsonb_typeof(event_data->'at') || ' ' || (event_data->>'at') || ' '"
                    + " || (event_data->>'day') || ' ' || (event_data->>'took')"
                    + " FROM session_events WHERE session_id = '"
                    + job.sessionId()
                    + "' AND event_type = 'completion'"))
        .isEqualTo("string 2025-03-01T12:34:56.789Z 2025-03-01 PT1.5S");
  }

  @Test
  void theQueuesObjectMapperIsUsedAsGiven() {
    JobQueue snakeCase =
        db.newQueue(
            JobQueue.builder()
                .objectMapper(
                    JsonMapper.builder()
                        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                        .build()));
    Job job = snakeCase.enqueue(NewJob.of("uses the application's mapper"));
    record Completion(String summaryText, int filesChanged) {}
    AtomicReference<String> withoutJavaTime = new AtomicReference<>();
    JobHandler handler =
        (j, ctx) -> {
          ctx.emitEvent("completion", new Completion("done", 3));
          // This mapper has no java.time module: none is added behind the caller's back.
          try {
            ctx.emitEvent("timing", Map.of("at", Instant.now()));
            withoutJavaTime.set("serialized");
          } catch (IllegalArgumentException e) {
            withoutJavaTime.set("refused: " + e.getMessage());
          }
        };
    try (JobProcessor p = processor(snakeCase, handler).build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> completed(job) && handlerEvents(job) == 1);
    }
    assertThat(withoutJavaTime.get()).startsWith("refused: ").contains("java.time.Instant");
    assertThat(eventField(job, "completion", "summary_text")).isEqualTo("done");
    assertThat(eventField(job, "completion", "files_changed")).isEqualTo("3");
  }

  @Test
  void aRetryPolicyThatThrowsIsReplacedByTheDefaultAndTheJobRunsAgain() {
    Job flaky = queue.enqueue(NewJob.of("fails once"));
    Job next = queue.enqueue(NewJob.of("the next job"));
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    JobHandler handler =
        (j, ctx) -> {
          if (j.id().equals(flaky.id())) {
            attempts.add(ctx.attempt());
            if (ctx.attempt() == 1) {
              throw new IllegalStateException("first attempt fails");
            }
          }
        };
    RetryPolicy throwing =
        attempt -> {
          throw new IllegalStateException("a bug in the retry policy");
        };
    try (JobProcessor p = processor(queue, handler).retryPolicy(throwing).build()) {
      p.start();
      // The default policy's first delay is at most 1 s.
      await().atMost(Duration.ofSeconds(10)).until(() -> completed(flaky) && completed(next));
    }
    assertThat(attempts).containsExactly(1, 2);
    assertThat(queue.findJob(flaky.id()).orElseThrow().errors()).hasSize(1);
  }
}
