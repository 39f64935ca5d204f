package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims jobs for free handler slots and the prefetch buffer, in one statement per claim. It wakes
 * on a notifier signal, on its poll tick, or on a freed slot when the last claim suggested more
 * jobs wait. On an empty queue it runs one claim per poll interval and nothing else.
 */
final class Producer implements Runnable {
  private static final long RATE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final Logger log = LoggerFactory.getLogger(Producer.class);

  /** Most expired jobs one claim statement reaps; more wait for the next reap. */
  static final int REAP_LIMIT = 500;

  private final JobProcessor processor;
  private final JobStore store;
  private final Semaphore slots;
  private final long pollNanos;
  private final long reapNanos;
  private long nextReap = System.nanoTime(); // reap with the first claim
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean signalled = true; // claim at once on start
  private volatile boolean moreMayWait = true;
  private volatile boolean running = true;
  private volatile Instant lastSuccessfulClaim;
  // The rate at which handlers finish jobs, which sizes auto prefetch: a buffered job can start
  // only when a slot frees. Read and written by the producer thread only.
  private long rateSince = System.nanoTime();
  private long finishedAtRateSince;
  private double finishesPerSecond;

  Producer(
      JobProcessor processor,
      JobStore store,
      Semaphore slots,
      Duration pollInterval,
      Duration reapInterval) {
    this.processor = processor;
    this.store = store;
    this.slots = slots;
    this.pollNanos = pollInterval.toNanos();
    this.reapNanos = reapInterval.toNanos();
  }

  /** New jobs may be waiting: claim as soon as a slot is free. */
  void signal() {
    moreMayWait = true;
    wakeUp();
  }

  /** A handler slot was freed; claim again only if the last claim hinted at more work. */
  void slotFreed() {
    if (moreMayWait) {
      wakeUp();
    }
  }

  private void wakeUp() {
    lock.lock();
    try {
      signalled = true;
      wake.signal();
    } finally {
      lock.unlock();
    }
  }

  void stop() {
    running = false;
    wakeUp();
  }

  Instant lastSuccessfulClaim() {
    return lastSuccessfulClaim;
  }

  private void reaped(JobStore.ClaimResult result) {
    int total = result.reapedToPending() + result.reapedToFailed();
    if (total == 0) {
      return;
    }
    log.warn(
        "reaped {} jobs whose worker lost its lease: {} back to pending, {} dead-lettered",
        total,
        result.reapedToPending(),
        result.reapedToFailed());
    processor.fire(l -> l.onJobsReaped(total));
    if (result.reapedToPending() > 0) {
      moreMayWait = true;
      lock.lock();
      try {
        signalled = true; // they are due now: claim them with the next statement
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Free handler slots plus the prefetch buffer. With auto prefetch the buffer holds at most what
   * this worker's handlers finish in {@link JobProcessor#AUTO_PREFETCH_WAIT_MILLIS}, measured over
   * the last window: hundreds of no-op jobs, none of the long ones. Finishes, not starts: the burst
   * of starts that fills empty slots says nothing about how soon a buffered job would run.
   */
  private int claimable() {
    int free = slots.availablePermits();
    if (!processor.autoPrefetch()) {
      return free;
    }
    long now = System.nanoTime();
    long elapsed = now - rateSince;
    if (elapsed >= RATE_WINDOW_NANOS) {
      long finished = processor.finishedJobs();
      finishesPerSecond = (finished - finishedAtRateSince) * 1e9 / elapsed;
      finishedAtRateSince = finished;
      rateSince = now;
    }
    int most = processor.prefetch();
    int buffer =
        (int) Math.min(most, finishesPerSecond * JobProcessor.AUTO_PREFETCH_WAIT_MILLIS / 1000.0);
    return Math.max(0, free - (most - buffer));
  }

  @Override
  public void run() {
    long nextPoll = System.nanoTime();
    long errorBackoffNanos = TimeUnit.MILLISECONDS.toNanos(100);
    while (running) {
      lock.lock();
      try {
        long wait;
        while (running && !signalled && (wait = nextPoll - System.nanoTime()) > 0) {
          wake.awaitNanos(wait);
        }
        signalled = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      if (!running) {
        return;
      }
      int free = claimable();
      boolean reapDue = System.nanoTime() - nextReap >= 0;
      if (free == 0 && !reapDue) {
        // Every slot is busy: a freed slot wakes us if work may wait, else the next tick does.
        moreMayWait = true;
        nextPoll = System.nanoTime() + pollNanos;
        continue;
      }
      List<Job> jobs;
      try {
        if (reapDue) {
          JobStore.ClaimResult result =
              store.claimAndReap(
                  processor.workerId(),
                  free,
                  processor.leaseDuration(),
                  processor.trackSessions(),
                  REAP_LIMIT);
          nextReap = System.nanoTime() + reapNanos;
          jobs = result.jobs();
          reaped(result);
        } else {
          jobs =
              store.claim(
                  processor.workerId(), free, processor.leaseDuration(), processor.trackSessions());
        }
        errorBackoffNanos = TimeUnit.MILLISECONDS.toNanos(100);
      } catch (RuntimeException e) {
        log.warn(
            "claim failed, retrying in {} ms: {}", errorBackoffNanos / 1_000_000, e.getMessage());
        nextPoll = System.nanoTime() + Math.min(errorBackoffNanos, pollNanos);
        errorBackoffNanos = Math.min(errorBackoffNanos * 2, TimeUnit.SECONDS.toNanos(30));
        continue;
      }
      if (free == 0) {
        nextPoll = System.nanoTime() + pollNanos;
        continue;
      }
      lastSuccessfulClaim = Instant.now();
      processor.fire(l -> l.onClaim(jobs.size()));
      // Set before dispatch, so a signal() or slotFreed() racing with it is not overwritten.
      moreMayWait = jobs.size() == free;
      long now = System.nanoTime();
      for (Job job : jobs) {
        slots.acquireUninterruptibly();
        processor.dispatch(job, now);
      }
      nextPoll = System.nanoTime() + pollNanos;
      if (moreMayWait && slots.availablePermits() > 0) {
        lock.lock();
        try {
          signalled = true;
        } finally {
          lock.unlock();
        }
      }
    }
  }
}
