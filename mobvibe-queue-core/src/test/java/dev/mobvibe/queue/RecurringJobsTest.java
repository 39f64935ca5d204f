package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Recurring jobs on the real database: one job per tick whatever the number of workers. */
class RecurringJobsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  record Digest(String note) implements JobArgs {
    @Override
    public String kind() {
      return "digest";
    }
  }

  private static final Supplier<NewJob> DIGEST = () -> NewJob.of(new Digest("nightly"));

  @Test
  void threeWorkersEnqueueExactlyOneJobPerTick() {
    JobQueue queue = db.migratedQueue();
    List<JobProcessor> workers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        JobProcessor p =
            JobProcessor.builder(queue)
                .workerId("w" + i)
                // The jobs stay pending: the test counts what was enqueued, not what ran.
                .handler("other", (job, ctx) -> {})
                .schedule("every-second", Schedule.every(Duration.ofSeconds(1)), DIGEST)
                .noRetention()
                .build();
        workers.add(p);
        p.start();
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> queue.listJobs(JobStatus.PENDING, 1000).size() >= 5);
    } finally {
      workers.forEach(JobProcessor::stop);
    }
    List<Job> jobs = queue.listJobs(JobStatus.PENDING, 1000);
    Map<Instant, Integer> perTick = new TreeMap<>();
    for (Job j : jobs) {
      assertThat(j.kind()).isEqualTo("digest");
      assertThat(j.metadata()).containsEntry("schedule", "every-second");
      perTick.merge(Instant.parse(j.metadata().get("schedule_tick")), 1, Integer::sum);
    }
    assertThat(perTick.values()).as("jobs per tick").allMatch(n -> n == 1);
    assertThat(perTick.keySet()).allMatch(t -> t.getNano() == 0);
    // Every tick between the first and the last was taken once: none skipped while all ran.
    List<Instant> ticks = new ArrayList<>(perTick.keySet());
    Instant first = ticks.get(0);
    Instant last = ticks.get(ticks.size() - 1);
    assertThat(Duration.between(first, last).toSeconds() + 1).isEqualTo(ticks.size());

    RegisteredSchedule row = queue.schedules().get(0);
    assertThat(row.name()).isEqualTo("every-second");
    assertThat(row.kind()).isEqualTo("digest");
    assertThat(row.expression()).isEqualTo("@every PT1S");
    assertThat(row.timeZone()).isEqualTo("UTC");
    assertThat(row.lastTick()).isEqualTo(last);
    assertThat(row.nextTick()).isEqualTo(last.plusSeconds(1));
    assertThat(queue.findJob(row.lastJobId()).orElseThrow().metadata())
        .containsEntry("schedule_tick", last.toString());
    assertThat(row.updatedBy()).isIn("w0", "w1", "w2");
  }

  @Test
  void registrationWritesTheRowAtStart() {
    JobQueue queue = db.migratedQueue();
    Schedule nightly = Schedule.cron("0 3 * * *", ZoneId.of("Europe/Paris"));
    try (JobProcessor p =
        JobProcessor.builder(queue)
            .workerId("registrar")
            .handler("digest", (job, ctx) -> {})
            .schedule("nightly-digest", nightly, DIGEST)
            .build()) {
      p.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> queue.schedules().stream().anyMatch(s -> s.name().equals("nightly-digest")));
    }
    RegisteredSchedule row =
        queue.schedules().stream()
            .filter(s -> s.name().equals("nightly-digest"))
            .findFirst()
            .orElseThrow();
    assertThat(row.expression()).isEqualTo("0 3 * * *");
    assertThat(row.timeZone()).isEqualTo("Europe/Paris");
    assertThat(row.lastTick()).isNull();
    assertThat(row.lastJobId()).isNull();
    assertThat(row.nextTick()).isAfter(Instant.now().minusSeconds(60));
    assertThat(nightly.latest(row.nextTick())).contains(row.nextTick());
    assertThat(row.updatedBy()).isEqualTo("registrar");
  }

  @Test
  void badSchedulesFailAtBuildNamingTheValue() {
    JobQueue queue = db.migratedQueue();
    JobProcessorBuilder base = JobProcessor.builder(queue).handler("digest", (job, ctx) -> {});
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("digest", (job, ctx) -> {})
                    .schedule(
                        "nightly", Schedule.cron("0 3 * *", ZoneId.of("Europe/Paris")), DIGEST)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schedule nightly")
        .hasMessageContaining("'0 3 * *'");
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("digest", (job, ctx) -> {})
                    .schedule("never", Schedule.cron("0 0 30 2 *"), DIGEST)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schedule never")
        .hasMessageContaining("never fires");
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("digest", (job, ctx) -> {})
                    .schedule("fast", Schedule.every(Duration.ofMillis(10)), DIGEST)
                    .build())
        .hasMessageContaining("schedule fast")
        .hasMessageContaining("PT0.01S");
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("digest", (job, ctx) -> {})
                    .schedule("bad name!", Schedule.every(Duration.ofMinutes(1)), DIGEST)
                    .build())
        .hasMessageContaining("'bad name!'");
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("digest", (job, ctx) -> {})
                    .schedule("twice", Schedule.every(Duration.ofMinutes(1)), DIGEST)
                    .schedule("twice", Schedule.every(Duration.ofMinutes(2)), DIGEST)
                    .build())
        .hasMessageContaining("schedule twice is registered twice");
    assertThatThrownBy(
            () ->
                JobProcessor.builder(queue)
                    .handler("digest", (job, ctx) -> {})
                    .schedule("empty", Schedule.every(Duration.ofMinutes(1)), () -> null)
                    .build())
        .hasMessageContaining("schedule empty returned null");
    assertThatThrownBy(() -> base.retention(Duration.ZERO, null).build())
        .hasMessageContaining("retention finished must be positive")
        .hasMessageContaining("PT0S");
    assertThat(queue.schedules()).noneMatch(s -> s.name().equals("nightly"));
  }

  private static boolean threadNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name));
  }

  @Test
  void theSchedulerAndRetentionThreadsRunOnlyWhenNeededAndStopFirst() {
    JobQueue queue = db.migratedQueue();
    JobProcessor both =
        JobProcessor.builder(queue)
            .workerId("both")
            .handler("digest", (job, ctx) -> {})
            .schedule("hourly", Schedule.every(Duration.ofHours(1)), DIGEST)
            .build();
    JobProcessor neither =
        JobProcessor.builder(queue)
            .workerId("neither")
            .handler("digest", (job, ctx) -> {})
            .noRetention()
            .build();
    both.start();
    neither.start();
    try {
      assertThat(threadNamed("mobvibe-scheduler-both")).isTrue();
      assertThat(threadNamed("mobvibe-retention-both")).isTrue();
      assertThat(threadNamed("mobvibe-scheduler-neither")).isFalse();
      assertThat(threadNamed("mobvibe-retention-neither")).isFalse();
    } finally {
      both.stop();
      neither.stop();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> !threadNamed("mobvibe-scheduler-both") && !threadNamed("mobvibe-retention-both"));
  }
}
