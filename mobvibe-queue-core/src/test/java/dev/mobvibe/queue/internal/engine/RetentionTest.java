package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Retention on the real database, while a processor drains: it deletes only what it should. */
class RetentionTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private static List<NewJob> jobs(String prompt, int n) {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      jobs.add(NewJob.of(prompt + " " + i));
    }
    return jobs;
  }

  /** Makes the jobs with this prompt prefix finished, {@code age} ago. */
  private static void finish(String prefix, String status, String age) {
    db.execute(
        "UPDATE coding_jobs SET status = '"
            + status
            + "', completed_at = now() - interval '"
            + age
            + "' WHERE prompt LIKE '"
            + prefix
            + " %'");
  }

  private static long count(String prefix) {
    return db.queryLong("SELECT count(*) FROM coding_jobs WHERE prompt LIKE '" + prefix + " %'");
  }

  @Test
  void pruningWhileADrainRunsDeletesOnlyOldFinishedJobs() {
    JobQueue queue = db.migratedQueue();
    queue.enqueueAll(jobs("old-done", 4000));
    queue.enqueueAll(jobs("old-cancelled", 1500));
    queue.enqueueAll(jobs("old-dead", 1200));
    queue.enqueueAll(jobs("young-dead", 100));
    queue.enqueueAll(jobs("young-done", 100));
    finish("old-done", "completed", "8 days");
    finish("old-cancelled", "cancelled", "8 days");
    finish("old-dead", "failed", "31 days");
    finish("young-dead", "failed", "8 days");
    finish("young-done", "completed", "6 days");
    long sessions = db.queryLong("SELECT count(*) FROM coding_sessions");
    queue.enqueueAll(jobs("drain", 3000));

    Set<UUID> ran = ConcurrentHashMap.newKeySet();
    AtomicInteger runs = new AtomicInteger();
    Retention retention =
        new Retention(
            "pruner",
            new JobStore(new Jdbc(db.dataSource()), "public"),
            JobProcessor.DEFAULT_RETENTION_FINISHED,
            JobProcessor.DEFAULT_RETENTION_DEAD_LETTERS);
    long pruned = 0;
    try (JobProcessor worker =
        JobProcessor.builder(
                queue,
                (job, ctx) -> {
                  ran.add(job.id());
                  runs.incrementAndGet();
                })
            .concurrency(10)
            .noRetention()
            .build()) {
      worker.start();
      // Prune batch by batch while the worker claims and completes.
      while (count("old-done") + count("old-cancelled") + count("old-dead") > 0) {
        Retention.Pruned p = retention.runOnce();
        pruned += p.finished() + p.deadLetters();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> ran.size() == 3000);
    }
    assertThat(pruned).isEqualTo(4000 + 1500 + 1200);
    assertThat(runs.get()).as("each drained job ran once").isEqualTo(3000);
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM coding_jobs WHERE prompt LIKE 'drain %'"
                    + " AND status = 'completed'"))
        .isEqualTo(3000);
    assertThat(count("young-dead")).isEqualTo(100);
    assertThat(count("young-done")).isEqualTo(100);
    // Sessions belong to the application: none was deleted.
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions"))
        .isGreaterThanOrEqualTo(sessions);
    assertThat(retention.runOnce()).isEqualTo(new Retention.Pruned(0, 0));
  }

  @Test
  void theOneOffPruneOfDeadLettersKeepsYoungerOnes() {
    JobQueue queue = db.migratedQueue();
    db.emptyQueueTables();
    queue.enqueueAll(jobs("dead-old", 2500));
    queue.enqueueAll(jobs("dead-young", 10));
    queue.enqueueAll(jobs("done-old", 10));
    finish("dead-old", "failed", "40 days");
    finish("dead-young", "failed", "1 day");
    finish("done-old", "completed", "40 days");
    assertThat(queue.pruneDeadLetters(Duration.ofDays(30))).isEqualTo(2500);
    assertThat(count("dead-young")).isEqualTo(10);
    assertThat(count("done-old")).as("not a dead letter").isEqualTo(10);
    assertThat(queue.pruneFinishedJobs(Duration.ofDays(30))).isEqualTo(10);
  }
}
