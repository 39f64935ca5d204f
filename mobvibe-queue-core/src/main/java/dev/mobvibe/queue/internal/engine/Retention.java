package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes old finished jobs on a slow timer: completed and cancelled jobs finished longer ago than
 * one age, dead letters (failed jobs) longer ago than another. Each statement deletes at most
 * {@link #BATCH} rows, locking only finished rows and skipping those another transaction holds, so
 * claims never wait for it; one run deletes at most {@link #MAX_BATCHES_PER_RUN} batches of each,
 * and the next run goes on. Sessions and session events are never deleted. Internal API.
 */
final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  /** Rows per delete statement. */
  static final int BATCH = 1_000;

  /** Delete statements of each class per run. */
  static final int MAX_BATCHES_PER_RUN = 100;

  /** Time between runs, before jitter. */
  static final Duration INTERVAL = Duration.ofMinutes(1);

  /** What one run deleted. */
  record Pruned(long finished, long deadLetters) {}

  private final String workerId;
  private final JobStore store;
  private final Duration finishedAge;
  private final Duration deadLetterAge;
  private ScheduledExecutorService timer;

  /**
   * Creates the pruner; nothing runs until {@link #start()}.
   *
   * @param workerId names the thread
   * @param store where statements run
   * @param finishedAge how long completed and cancelled jobs are kept, or {@code null} for ever
   * @param deadLetterAge how long failed jobs are kept, or {@code null} for ever
   */
  Retention(String workerId, JobStore store, Duration finishedAge, Duration deadLetterAge) {
    this.workerId = workerId;
    this.store = store;
    this.finishedAge = finishedAge;
    this.deadLetterAge = deadLetterAge;
  }

  /**
   * Starts the thread {@code mobvibe-retention-<workerId>}: a first run after a random part of the
   * interval (so workers started together do not run together), then one per interval plus up to a
   * quarter of it of jitter.
   */
  void start() {
    timer = Engine.singleThread("mobvibe-retention-" + workerId);
    scheduleNext(ThreadLocalRandom.current().nextLong(INTERVAL.toMillis()));
  }

  private void scheduleNext(long delayMillis) {
    try {
      timer.schedule(this::runAndReschedule, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Stopping.
    }
  }

  private void runAndReschedule() {
    try {
      Pruned p = runOnce();
      if (p.finished() + p.deadLetters() > 0) {
        log.info(
            "worker {}: retention deleted {} finished jobs and {} dead letters",
            workerId,
            p.finished(),
            p.deadLetters());
      }
    } catch (RuntimeException e) {
      log.warn("worker {}: retention run failed, trying again later: {}", workerId, e.toString());
    }
    long interval = INTERVAL.toMillis();
    scheduleNext(interval + ThreadLocalRandom.current().nextLong(interval / 4));
  }

  /**
   * Runs once: deletes finished jobs past their age, then dead letters past theirs, batch by batch
   * until a batch comes back short or the run's batches are spent.
   *
   * @return what was deleted
   */
  Pruned runOnce() {
    long finished = 0;
    long dead = 0;
    if (finishedAge != null) {
      for (int i = 0; i < MAX_BATCHES_PER_RUN && !Thread.currentThread().isInterrupted(); i++) {
        int n = store.pruneFinished(finishedAge, BATCH);
        finished += n;
        if (n < BATCH) {
          break;
        }
      }
    }
    if (deadLetterAge != null) {
      for (int i = 0; i < MAX_BATCHES_PER_RUN && !Thread.currentThread().isInterrupted(); i++) {
        int n = store.pruneFailed(deadLetterAge, BATCH);
        dead += n;
        if (n < BATCH) {
          break;
        }
      }
    }
    return new Pruned(finished, dead);
  }

  /**
   * Stops the timer, interrupting a run between statements, and waits up to {@code millis} for a
   * statement in flight.
   *
   * @param millis how long to wait
   */
  void stop(long millis) {
    if (timer == null) {
      return;
    }
    timer.shutdownNow();
    try {
      timer.awaitTermination(Math.max(1, millis), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
