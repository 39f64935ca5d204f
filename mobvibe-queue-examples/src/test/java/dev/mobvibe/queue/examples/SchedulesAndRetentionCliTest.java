package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobArgs;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.Schedule;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code jobs schedules}, {@code jobs prune-dead-letters} and the retention settings. */
class SchedulesAndRetentionCliTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void retentionSettingsDefaultToSevenAndThirtyDaysAndZeroTurnsThemOff() {
    Settings defaults = Settings.parse(Map.of());
    assertThat(defaults.retentionFinished()).contains(Duration.ofDays(7));
    assertThat(defaults.retentionDeadLetters()).contains(Duration.ofDays(30));
    Settings off =
        Settings.parse(
            Map.of("RETENTION_FINISHED_HOURS", "0", "RETENTION_DEAD_LETTER_HOURS", "48"));
    assertThat(off.retentionFinished()).isEmpty();
    assertThat(off.retentionDeadLetters()).contains(Duration.ofHours(48));
    assertThat(off.toString())
        .contains("retentionFinishedHours=0")
        .contains("retentionDeadLetterHours=48");
    Settings flags =
        Settings.parse(
            Map.of("RETENTION_FINISHED_HOURS", "1"), Map.of("RETENTION_FINISHED_HOURS", "2"));
    assertThat(flags.retentionFinished()).contains(Duration.ofHours(2));
    assertThatThrownBy(() -> Settings.parse(Map.of("RETENTION_DEAD_LETTER_HOURS", "-1")))
        .isInstanceOf(Settings.Invalid.class)
        .hasMessageContaining("RETENTION_DEAD_LETTER_HOURS must be an integer between 0 and 87600")
        .hasMessageContaining("'-1'");
  }

  @Test
  void jobsSchedulesListsTheRegisteredSchedules() {
    JobQueue queue = db.migratedQueue();
    CliRunner.Result empty = CliRunner.run(CliRunner.env(db), "jobs", "schedules");
    assertThat(empty.code()).as(empty.err()).isZero();
    assertThat(empty.out()).contains("no schedules");

    try (JobProcessor p =
        JobProcessor.builder(queue)
            .workerId("cli-test")
            .handler("digest", (job, ctx) -> {})
            .schedule(
                "nightly-digest",
                Schedule.cron("0 3 * * *", ZoneId.of("Europe/Paris")),
                () -> NewJob.of(new Digest()))
            .noRetention()
            .build()) {
      p.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> !queue.schedules().isEmpty());
    }
    CliRunner.Result listed = CliRunner.run(CliRunner.env(db), "jobs", "schedules");
    assertThat(listed.code()).as(listed.err()).isZero();
    assertThat(listed.out())
        .contains("nightly-digest")
        .contains("kind digest")
        .contains("0 3 * * * (Europe/Paris)")
        .contains("last -")
        .contains("by cli-test");
  }

  @Test
  void pruneDeadLettersDeletesOnlyOldFailedJobs() {
    JobQueue queue = db.migratedQueue();
    Job oldDead = queue.enqueue(NewJob.of("old dead"));
    Job youngDead = queue.enqueue(NewJob.of("young dead"));
    db.execute(
        "UPDATE coding_jobs SET status = 'failed', completed_at = now() - interval '40 days'"
            + " WHERE id = '"
            + oldDead.id()
            + "'");
    db.execute(
        "UPDATE coding_jobs SET status = 'failed', completed_at = now() WHERE id = '"
            + youngDead.id()
            + "'");
    CliRunner.Result result =
        CliRunner.run(CliRunner.env(db), "jobs", "prune-dead-letters", "--older-than", "30d");
    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out()).contains("pruned 1 dead letters older than 30d");
    assertThat(queue.findJob(oldDead.id())).isEmpty();
    assertThat(queue.findJob(youngDead.id())).isPresent();
  }

  record Digest() implements JobArgs {
    @Override
    public String kind() {
      return "digest";
    }
  }
}
