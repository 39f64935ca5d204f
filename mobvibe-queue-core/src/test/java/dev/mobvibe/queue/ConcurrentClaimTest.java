package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SKIP LOCKED under contention: eight threads drain 5,000 jobs, and each is claimed once. */
class ConcurrentClaimTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static final int JOBS = 5_000;
  static final int BATCH = 1_000;
  static final int THREADS = 8;
  static final int CLAIM_SIZE = 25;

  @Test
  void eightThreadsClaimEveryJobExactlyOnce() throws Exception {
    JobQueue queue = db.migratedQueue();
    List<UUID> enqueued = new ArrayList<>(JOBS);
    for (int from = 0; from < JOBS; from += BATCH) {
      List<NewJob> batch = new ArrayList<>(BATCH);
      for (int i = from; i < from + BATCH; i++) {
        batch.add(NewJob.builder("job " + i).priority(i % 3 * 5).build());
      }
      queue.enqueueAll(batch).forEach(j -> enqueued.add(j.id()));
    }
    assertThat(queue.getQueueStats().pendingCount()).isEqualTo(JOBS);

    Map<UUID, AtomicInteger> claims = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> perThread = new ConcurrentHashMap<>();
    AtomicInteger completed = new AtomicInteger();
    CountDownLatch ready = new CountDownLatch(THREADS);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        String name = "claimer-" + t;
        workers.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  while (true) {
                    List<Job> jobs = queue.claimJobs(CLAIM_SIZE);
                    if (jobs.isEmpty()) {
                      return null;
                    }
                    perThread
                        .computeIfAbsent(name, k -> new AtomicInteger())
                        .addAndGet(jobs.size());
                    for (Job job : jobs) {
                      claims.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
                      if (queue.completeJob(job.id())) {
                        completed.incrementAndGet();
                      }
                    }
                  }
                }));
      }
      assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
      go.countDown();
      for (Future<?> worker : workers) {
        worker.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(claims).hasSize(JOBS);
    assertThat(claims.keySet()).containsExactlyInAnyOrderElementsOf(enqueued);
    assertThat(claims.entrySet())
        .filteredOn(e -> e.getValue().get() != 1)
        .as("jobs claimed more than once")
        .isEmpty();
    assertThat(completed.get()).isEqualTo(JOBS);
    assertThat(perThread).as("more than one thread took part").hasSizeGreaterThan(1);

    QueueStats stats = queue.getQueueStats();
    assertThat(stats.completedCount()).isEqualTo(JOBS);
    assertThat(stats.pendingCount()).isZero();
    assertThat(stats.processingCount()).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status <> 'completed'"))
        .isZero();
  }
}
