package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.RegisteredSchedule;
import dev.mobvibe.queue.Schedule;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.ScheduleStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scheduler's rules, driven by explicit times through {@link Scheduler#runOnce(Instant)}: no
 * thread, no sleeping, the real database.
 */
class SchedulerTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

  JobQueue queue;
  ScheduleStore store;

  @BeforeEach
  void setUp() {
    queue = db.migratedQueue();
    db.emptyQueueTables();
    db.execute("DELETE FROM coding_job_schedules");
    store = new ScheduleStore(new Jdbc(db.dataSource()), "public");
  }

  private Scheduler scheduler(String worker, String name, Schedule schedule) {
    return new Scheduler(
        worker,
        List.of(new Housekeeping.Recurring(name, schedule, () -> NewJob.of("digest " + name), "x")),
        store,
        (c, job) -> queue.enqueue(c, job).id(),
        Clock.systemUTC());
  }

  private List<String> ticksEnqueued() {
    return queue.listJobs(JobStatus.PENDING, 1000).stream()
        .map(Job::metadata)
        .map(m -> m.get("schedule_tick"))
        .sorted()
        .toList();
  }

  @Test
  void afterDowntimeOnlyTheMostRecentMissedTickIsEnqueued() {
    Schedule nightly = Schedule.cron("0 3 * * *", PARIS);
    Scheduler first = scheduler("a", "nightly", nightly);
    first.register(Instant.parse("2026-06-01T00:00:00Z"));
    // 03:00 Paris (CEST) is 01:00Z.
    Instant next = first.runOnce(Instant.parse("2026-06-01T01:00:00.5Z"));
    assertThat(next).isEqualTo(Instant.parse("2026-06-02T01:00:00Z"));
    assertThat(ticksEnqueued()).containsExactly("2026-06-01T01:00:00Z");

    // Every worker down for four nights; one comes back on 2026-06-05 at noon.
    Scheduler later = scheduler("b", "nightly", nightly);
    later.register(Instant.parse("2026-06-05T10:00:00Z"));
    later.runOnce(Instant.parse("2026-06-05T10:00:00Z"));
    assertThat(ticksEnqueued()).containsExactly("2026-06-01T01:00:00Z", "2026-06-05T01:00:00Z");
    // Evaluating again, or another worker at the same time, enqueues nothing more.
    later.runOnce(Instant.parse("2026-06-05T10:00:01Z"));
    Scheduler third = scheduler("c", "nightly", nightly);
    third.register(Instant.parse("2026-06-05T10:00:02Z"));
    third.runOnce(Instant.parse("2026-06-05T10:00:02Z"));
    assertThat(ticksEnqueued()).hasSize(2);

    RegisteredSchedule row = queue.schedules().get(0);
    assertThat(row.lastTick()).isEqualTo(Instant.parse("2026-06-05T01:00:00Z"));
    assertThat(row.nextTick()).isEqualTo(Instant.parse("2026-06-06T01:00:00Z"));
    assertThat(row.lastJobId()).isNotNull();
  }

  @Test
  void aTickOlderThanTheNewestRecordedIsNeverEnqueued() {
    Schedule hourly = Schedule.every(Duration.ofHours(1));
    Scheduler ahead = scheduler("ahead", "hourly", hourly);
    ahead.register(Instant.parse("2026-06-01T09:30:00Z"));
    ahead.runOnce(Instant.parse("2026-06-01T11:00:00Z"));
    assertThat(ticksEnqueued()).containsExactly("2026-06-01T11:00:00Z");

    // A worker whose clock lags (or that learned the row before) sees only older ticks.
    Scheduler behind = scheduler("behind", "hourly", hourly);
    behind.register(Instant.parse("2026-06-01T09:30:00Z"));
    behind.runOnce(Instant.parse("2026-06-01T10:00:00Z"));
    behind.runOnce(Instant.parse("2026-06-01T11:00:00Z"));
    assertThat(ticksEnqueued()).containsExactly("2026-06-01T11:00:00Z");
    behind.runOnce(Instant.parse("2026-06-01T12:00:00Z"));
    assertThat(ticksEnqueued()).containsExactly("2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z");
  }

  @Test
  void aNewScheduleStartsAtItsRegistration() {
    Scheduler s = scheduler("a", "quarterly", Schedule.cron("*/15 * * * *"));
    s.register(Instant.parse("2026-06-01T10:07:00Z"));
    // The 10:00 tick came before the schedule existed.
    Instant next = s.runOnce(Instant.parse("2026-06-01T10:07:01Z"));
    assertThat(ticksEnqueued()).isEmpty();
    assertThat(next).isEqualTo(Instant.parse("2026-06-01T10:15:00Z"));
    s.runOnce(Instant.parse("2026-06-01T10:15:00Z"));
    assertThat(ticksEnqueued()).containsExactly("2026-06-01T10:15:00Z");
  }

  @Test
  void aFailedEnqueueRecordsNoTick() {
    Scheduler failing =
        new Scheduler(
            "f",
            List.of(
                new Housekeeping.Recurring(
                    "broken",
                    Schedule.every(Duration.ofMinutes(1)),
                    () -> {
                      throw new IllegalStateException("factory failed");
                    },
                    "x")),
            store,
            (c, job) -> queue.enqueue(c, job).id(),
            Clock.systemUTC());
    failing.register(Instant.parse("2026-06-01T10:00:00Z"));
    // Reported to the caller; the thread logs it and tries again after a pause.
    assertThatThrownBy(() -> failing.runOnce(Instant.parse("2026-06-01T10:01:00Z")))
        .hasMessageContaining("factory failed");
    assertThat(queue.schedules().get(0).lastTick()).isNull();
    assertThat(ticksEnqueued()).isEmpty();
  }
}
