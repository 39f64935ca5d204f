package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SmokeTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void enqueueClaimComplete() {
    JobQueue queue = db.migratedQueue();
    Job job = queue.enqueue(NewJob.builder("hello").tier(PlanTier.PRO).build());
    assertThat(job.status()).isEqualTo(JobStatus.PENDING);
    Job claimed = queue.claimNextJob().orElseThrow();
    assertThat(claimed.id()).isEqualTo(job.id());
    assertThat(queue.completeJob(job.id())).isTrue();
    assertThat(queue.getQueueStats().completedCount()).isEqualTo(1);
  }
}
