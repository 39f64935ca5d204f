package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code jobs prune}: deletes old finished jobs only, and rejects a malformed age. */
class JobsPruneTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @BeforeEach
  void emptyTheQueue() {
    db.migratedQueue();
    db.emptyQueueTables();
  }

  @Test
  void prunesOldCompletedJobsAndKeepsTheRest() {
    JobQueue queue = db.migratedQueue();
    Job oldDone = queue.enqueue(NewJob.of("finished two days ago"));
    Job recentDone = queue.enqueue(NewJob.of("finished just now"));
    Job oldFailed = queue.enqueue(NewJob.of("dead-lettered two days ago"));
    queue.enqueue(NewJob.of("still pending"));
    db.execute(
        "UPDATE coding_jobs SET status = 'completed', completed_at = now() - interval '2 days'"
            + " WHERE id = '"
            + oldDone.id()
            + "'");
    db.execute(
        "UPDATE coding_jobs SET status = 'completed', completed_at = now() WHERE id = '"
            + recentDone.id()
            + "'");
    db.execute(
        "UPDATE coding_jobs SET status = 'failed', completed_at = now() - interval '2 days'"
            + " WHERE id = '"
            + oldFailed.id()
            + "'");

    CliRunner.Result result =
        CliRunner.run(CliRunner.env(db), "jobs", "prune", "--older-than", "1d");

    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out()).contains("pruned 1 finished jobs older than 1d");
    assertThat(queue.findJob(oldDone.id())).isEmpty();
    assertThat(queue.findJob(recentDone.id())).isPresent();
    assertThat(queue.findJob(oldFailed.id())).as("failed jobs stay for replay").isPresent();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isEqualTo(3);
  }

  @Test
  void aMalformedAgeIsNamedAndNothingIsDeleted() {
    JobQueue queue = db.migratedQueue();
    queue.enqueue(NewJob.of("kept"));
    long before = db.queryLong("SELECT count(*) FROM coding_jobs");

    CliRunner.Result result =
        CliRunner.run(CliRunner.env(db), "jobs", "prune", "--older-than", "soon");

    assertThat(result.code()).isEqualTo(2);
    assertThat(result.err()).contains("--older-than must be a duration like");
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isEqualTo(before);
  }
}
