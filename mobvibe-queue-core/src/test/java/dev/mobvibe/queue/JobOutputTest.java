package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.internal.JsonMappers;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A handler's output ({@link JobContext#recordOutput}): serialized at once with the queue's mapper,
 * written with the success in the statement that completes the job (in every session tracking
 * mode), the last call winning; discarded on failure; refused beyond {@link
 * JobContext#MAX_OUTPUT_BYTES} without harm to the job or its batch.
 */
class JobOutputTest {
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

  /** An output with {@code java.time} values. */
  record Report(String summary, Instant finishedAt, Duration took, LocalDate day, int files) {}

  /** Arguments of a job that is not a coding session. */
  record Build(String repo) implements JobArgs {
    static final String KIND = "output_build";

    @Override
    public String kind() {
      return KIND;
    }
  }

  @ParameterizedTest
  @EnumSource(SessionTracking.class)
  void outputRoundTripsWithTheSuccessAndTheLastCallWins(SessionTracking tracking) {
    Report report =
        new Report(
            "3 files changed",
            Instant.parse("2026-03-01T10:15:30.123456Z"),
            Duration.ofMillis(1500),
            LocalDate.of(2026, 3, 1),
            3);
    Job job = queue.enqueue(NewJob.of("with output"));
    Job other = queue.enqueue(NewJob.of("without output"));
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  if (j.id().equals(job.id())) {
                    ctx.recordOutput(Map.of("draft", true));
                    ctx.recordOutput(report);
                  }
                })
            .sessionTracking(tracking)
            .workerId("output-" + shortId())
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> completed(job.id()) && completed(other.id()));
    }
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.output(Report.class)).isEqualTo(report);
    assertThat(done.output(MAPPER, Report.class)).isEqualTo(report);
    assertThat(done.outputJson())
        .contains("\"finishedAt\": \"2026-03-01T10:15:30.123456Z\"", "\"took\": \"PT1.5S\"")
        .doesNotContain("draft");
    Job none = queue.findJob(other.id()).orElseThrow();
    assertThat(none.outputJson()).isNull();
    assertThat(none.output(Report.class)).isNull();
  }

  @Test
  void aTypedHandlerRecordsOutputOfAnyJsonValue() {
    Job job = queue.enqueue(NewJob.of(new Build("mobvibe/app")));
    try (JobProcessor processor =
        JobProcessor.builder(queue)
            .handler(
                Build.KIND,
                Build.class,
                (args, ctx) -> ctx.recordOutput(List.of(args.repo(), "nul\0here")))
            .workerId("output-kind-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> completed(job.id()));
    }
    Job done = queue.findJob(job.id()).orElseThrow();
    // NUL becomes U+FFFD, as in session events: jsonb cannot store it.
    assertThat(done.output(String[].class)).containsExactly("mobvibe/app", "nul\uFFFDhere");
  }

  @Test
  void outputOfAFailedAttemptIsDiscarded() {
    Job job = queue.enqueue(NewJob.of("fails once"));
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  if (ctx.attempt() == 1) {
                    ctx.recordOutput("from the failed attempt");
                    throw new IllegalStateException("boom");
                  }
                })
            .workerId("output-fail-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> completed(job.id()));
    }
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThat(done.retryCount()).isEqualTo(1);
    assertThat(done.outputJson()).isNull();
  }

  @Test
  void outputOverTheLimitIsRefusedAndTheJobAndItsBatchStillComplete() {
    List<Job> jobs = List.of(queue.enqueue(NewJob.of("big")), queue.enqueue(NewJob.of("small")));
    Map<String, Throwable> refused = new ConcurrentHashMap<>();
    List<String> accepted = new CopyOnWriteArrayList<>();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue,
                (j, ctx) -> {
                  ctx.recordOutput("kept");
                  if (j.prompt().equals("big")) {
                    // A JSON string is its characters and two quotes.
                    String atLimit = "x".repeat(JobContext.MAX_OUTPUT_BYTES - 2);
                    ctx.recordOutput(atLimit);
                    accepted.add("at limit");
                    try {
                      ctx.recordOutput(atLimit + "é");
                    } catch (IllegalArgumentException e) {
                      refused.put("over by two bytes", e);
                    }
                    try {
                      ctx.recordOutput(Map.of("o", "y".repeat(2 * JobContext.MAX_OUTPUT_BYTES)));
                    } catch (IllegalArgumentException e) {
                      refused.put("twice the limit", e);
                    }
                  }
                })
            .workerId("output-big-" + shortId())
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> jobs.stream().allMatch(j -> completed(j.id())));
    }
    assertThat(accepted).containsExactly("at limit");
    assertThat(refused.get("over by two bytes"))
        .hasMessage("output is 65538 bytes of JSON; the limit is 65536 bytes (64 KiB)");
    assertThat(refused.get("twice the limit"))
        .hasMessageContaining("131080 bytes")
        .hasMessageContaining("65536");
    // The last output accepted stays.
    assertThat(queue.findJob(jobs.get(0).id()).orElseThrow().output(String.class))
        .hasSize(JobContext.MAX_OUTPUT_BYTES - 2);
    assertThat(queue.findJob(jobs.get(1).id()).orElseThrow().output(String.class))
        .isEqualTo("kept");
  }

  @Test
  void outputThatDoesNotFitTheTypeIsRefusedNamingTheJob() {
    Job job = queue.enqueue(NewJob.of("bad type"));
    try (JobProcessor processor =
        JobProcessor.builder(queue, (j, ctx) -> ctx.recordOutput(List.of(1, 2)))
            .workerId("output-type-" + shortId())
            .build()) {
      processor.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> completed(job.id()));
    }
    Job done = queue.findJob(job.id()).orElseThrow();
    assertThatThrownBy(() -> done.output(Report.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot decode the output of job " + job.id());
  }

  // --- helpers ------------------------------------------------------------------------------

  /** A mapper configured as the SDK's default, as an application configures its own. */
  static final ObjectMapper MAPPER = JsonMappers.create();

  static boolean completed(UUID id) {
    return queue.findJob(id).orElseThrow().status() == JobStatus.COMPLETED;
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
