package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.QueueStats.KindStats;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link QueueStats#byKind()} read from the database: the counts of each kind, in the same
 * statement as the totals, add up to the totals.
 */
class QueueStatsByKindTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final String EMAIL = "send_email";

  record SendEmail(String to) implements JobArgs {
    @Override
    public String kind() {
      return EMAIL;
    }
  }

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
  void anEmptyQueueHasNoKinds() {
    QueueStats stats = queue.getQueueStats();
    assertThat(stats.byKind()).isEmpty();
    assertThat(stats.hasOtherKinds()).isFalse();
    assertThat(stats.pendingCount()).isZero();
    assertThat(stats.oldestPendingAge()).isZero();
    assertThat(stats.pendingByTier())
        .containsOnlyKeys(PlanTier.values())
        .allSatisfy((tier, n) -> assertThat(n).isZero());
  }

  @Test
  void countsPerKindAddUpToTheTotals() {
    // coding_session: 2 pending (one pro), 1 processing, 1 completed, 1 failed.
    queue.enqueueAll(List.of(NewJob.of("run"), NewJob.of("complete"), NewJob.of("fail")));
    // send_email: 3 pending (one delayed), 1 processing, 1 completed, 1 cancelled, 1 failed.
    queue.enqueueAll(
        List.of(
            NewJob.of(new SendEmail("a")),
            NewJob.of(new SendEmail("b")),
            NewJob.of(new SendEmail("c")),
            NewJob.of(new SendEmail("d"))));
    for (Job job : queue.claimJobs(List.of(NewJob.CODING_SESSION_KIND), 3)) {
      switch (job.prompt()) {
        case "complete" -> queue.completeJob(job.id());
        case "fail" -> queue.failJobPermanently(job.id(), "broken");
        default -> {} // "run" stays processing
      }
    }
    queue.enqueueAll(
        List.of(NewJob.builder("wait pro").tier(PlanTier.PRO).build(), NewJob.of("wait free")));
    List<Job> emails = queue.claimJobs(List.of(EMAIL), 3);
    assertThat(emails).hasSize(3);
    queue.completeJob(emails.get(0).id());
    queue.failJobPermanently(emails.get(1).id(), "bounced");
    queue.cancelJob(queue.enqueue(NewJob.of(new SendEmail("e"))).id());
    queue.enqueue(NewJob.builder(new SendEmail("later")).delay(Duration.ofHours(1)).build());
    queue.enqueue(NewJob.of(new SendEmail("f")));

    QueueStats stats = queue.getQueueStats();

    assertThat(stats.byKind())
        .containsExactly(
            Map.entry(NewJob.CODING_SESSION_KIND, new KindStats(2, 1, 1, 1, 0)),
            Map.entry(EMAIL, new KindStats(3, 1, 1, 1, 1)));
    assertThat(stats.hasOtherKinds()).isTrue();
    assertThat(stats.pendingCount()).isEqualTo(5);
    assertThat(stats.processingCount()).isEqualTo(2);
    assertThat(stats.completedCount()).isEqualTo(2);
    assertThat(stats.failedCount()).isEqualTo(2);
    assertThat(stats.cancelledCount()).isEqualTo(1);
    assertThat(stats.delayedCount()).isEqualTo(1);
    assertThat(stats.pendingByTier())
        .containsEntry(PlanTier.PRO, 1L)
        .containsEntry(PlanTier.STARTER, 0L)
        .containsEntry(PlanTier.FREE, 4L);
    assertThat(stats.byKind().values().stream().mapToLong(KindStats::pending).sum())
        .isEqualTo(stats.pendingCount());
    assertThat(stats.byKind().values().stream().mapToLong(KindStats::processing).sum())
        .isEqualTo(stats.processingCount());
    assertThat(stats.byKind().values().stream().mapToLong(KindStats::completed).sum())
        .isEqualTo(stats.completedCount());
    assertThat(stats.byKind().values().stream().mapToLong(KindStats::failed).sum())
        .isEqualTo(stats.failedCount());
    assertThat(stats.byKind().values().stream().mapToLong(KindStats::cancelled).sum())
        .isEqualTo(stats.cancelledCount());
  }

  @Test
  void theOldestPendingAgeIsTheOldestOfEveryKind() {
    queue.enqueue(NewJob.of("young"));
    queue.enqueue(NewJob.of(new SendEmail("old")));
    db.execute(
        "UPDATE coding_jobs SET created_at = now() - interval '2 hours' WHERE kind = '"
            + EMAIL
            + "'");
    // A finished kind with no pending job takes no part in the age.
    Job done = queue.enqueue(NewJob.of(new SendEmail("done")));
    db.execute(
        "UPDATE coding_jobs SET kind = 'archive', status = 'completed', completed_at = now()"
            + " WHERE id = '"
            + done.id()
            + "'");

    QueueStats stats = queue.getQueueStats();
    assertThat(stats.oldestPendingAge())
        .isBetween(Duration.ofMinutes(119), Duration.ofMinutes(121));
    assertThat(stats.byKind()).containsOnlyKeys(NewJob.CODING_SESSION_KIND, EMAIL, "archive");
    assertThat(stats.byKind().get("archive")).isEqualTo(new KindStats(0, 0, 1, 0, 0));
  }

  @Test
  void onlyTheSeedKindIsNotOtherKinds() {
    queue.enqueue(NewJob.of("prompt"));
    QueueStats stats = queue.getQueueStats();
    assertThat(stats.byKind())
        .containsExactly(Map.entry(NewJob.CODING_SESSION_KIND, new KindStats(1, 0, 0, 0, 0)));
    assertThat(stats.hasOtherKinds()).isFalse();
  }
}
