package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reaper's graces: a lease is reaped only once it has been expired for the grace (its owner may
 * be renewing it right after an outage), and a processing row without a lease (claimed by a
 * seed-era worker) only once it started longer ago than the unleased grace.
 */
class ReapGraceTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  static JobStore store;
  static final JobStore.Reaping GRACES =
      new JobStore.Reaping(100, Duration.ofSeconds(10), Duration.ofMinutes(30));

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
    store = new JobStore(new Jdbc(db.dataSource()), "public");
  }

  @BeforeEach
  void empty() {
    db.emptyQueueTables();
  }

  private Job claimedWithLeaseExpired(String ago) {
    Job job = queue.enqueue(NewJob.of("leased"));
    store.claim("owner-a", 1, Duration.ofMinutes(1), SessionTracking.OFF);
    db.execute(
        "UPDATE coding_jobs SET lease_expires_at = now() - interval '"
            + ago
            + "' WHERE id = '"
            + job.id()
            + "'");
    return job;
  }

  private JobStatus status(Job job) {
    return queue.findJob(job.id()).orElseThrow().status();
  }

  @Test
  void aLeaseExpiredForLessThanTheGraceIsLeftToItsOwner() {
    Job job = claimedWithLeaseExpired("9 seconds");
    assertThat(store.reapExpired(GRACES)).isEmpty();
    assertThat(
            store
                .claimAndReap("owner-b", 10, Duration.ofMinutes(1), SessionTracking.OFF, GRACES)
                .reapedToPending())
        .isZero();
    assertThat(status(job)).isEqualTo(JobStatus.PROCESSING);
    // The owner renews it once the database answers: the lease fence still holds.
    assertThat(
            store.extendLeases(
                "owner-a",
                java.util.List.of(job.id()),
                java.util.List.of(0),
                Duration.ofMinutes(1)))
        .containsExactly(job.id());
  }

  @Test
  void aLeaseExpiredForLongerThanTheGraceIsReaped() {
    Job job = claimedWithLeaseExpired("11 seconds");
    assertThat(store.reapExpired(GRACES))
        .containsExactly(new JobStore.Reaped(job.id(), JobStatus.PENDING));
    assertThat(queue.findJob(job.id()).orElseThrow().retryCount()).isEqualTo(1);
  }

  @Test
  void anUnleasedRowIsReapedOnlyAfterTheUnleasedGrace() {
    Job recent = queue.enqueue(NewJob.of("a seed worker is on it"));
    Job old = queue.enqueue(NewJob.of("its seed worker died long ago"));
    db.execute(
        "UPDATE coding_jobs SET status = 'processing', lease_owner = NULL, lease_expires_at = NULL,"
            + " started_at = now() - interval '10 minutes' WHERE id = '"
            + recent.id()
            + "'");
    db.execute(
        "UPDATE coding_jobs SET status = 'processing', lease_owner = NULL, lease_expires_at = NULL,"
            + " started_at = now() - interval '31 minutes' WHERE id = '"
            + old.id()
            + "'");
    assertThat(store.reapExpired(GRACES))
        .containsExactly(new JobStore.Reaped(old.id(), JobStatus.PENDING));
    assertThat(status(recent)).isEqualTo(JobStatus.PROCESSING);
  }

  @Test
  void withoutGraceEveryExpiredLeaseGoesAtOnce() {
    Job job = claimedWithLeaseExpired("1 second");
    assertThat(store.reapExpired(100))
        .containsExactly(new JobStore.Reaped(job.id(), JobStatus.PENDING));
  }
}
