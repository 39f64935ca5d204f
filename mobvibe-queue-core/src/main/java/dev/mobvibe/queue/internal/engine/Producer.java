package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims jobs for free handler slots and the prefetch buffer, in one statement per claim, on its
 * own thread. It wakes on a notifier signal, on its poll tick, on a freed slot when the last claim
 * suggested more jobs wait, or when a retried job's backoff ends before the next tick. On an empty
 * queue it runs one claim per poll interval and nothing else. Expired leases of any worker are
 * reaped as a step of the claim statement once per reap interval, so reaping costs no statement of
 * its own.
 */
final class Producer implements Runnable {
  private static final long RATE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final Logger log = LoggerFactory.getLogger(Producer.class);

  /** Most expired jobs one claim statement reaps; more wait for the next reap. */
  static final int REAP_LIMIT = 500;

  /** Where claimed jobs go: the handler slots. */
  @FunctionalInterface
  interface Dispatcher {
    /**
     * Hands over a job whose slot permit is already held.
     *
     * @param job the claimed job
     * @param claimSentNanos when the claim statement was sent
     * @param claimedNanos when the claim returned
     */
    void dispatch(Job job, long claimSentNanos, long claimedNanos);
  }

  private final EngineSettings settings;
  private final JobStore.FlowRules flow;
  private final JobStore store;
  private final Slots slots;
  private final Listeners listeners;
  private final Ticker ticker;
  private final Dispatcher dispatcher;
  private final Supplier<Collection<UUID>> held;
  private final JobStore.Reaping reaping;
  // A claim failed: its reply, not its commit, may have been lost.
  private volatile boolean sweepDue;
  private final long pollNanos;
  private final long reapNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean signalled = true; // claim at once on start
  // When retried jobs' backoffs end before the next poll tick; guarded by lock.
  private final PriorityQueue<Long> wakeTimes = new PriorityQueue<>();
  private volatile boolean moreMayWait = true;
  private volatile boolean running = true;
  private volatile Instant lastSuccessfulClaim;
  private long nextReap;
  // The rate at which handlers finish jobs, which sizes auto prefetch: a buffered job can start
  // only when a slot frees. Read and written by the producer thread only.
  private long rateSince;
  private long finishedAtRateSince;
  private double finishesPerSecond;

  /**
   * @param settings worker id, lease, poll and reap intervals, prefetch, session tracking
   * @param flow the limits and fairness bound every claim applies
   * @param store where claims run
   * @param slots the permits claims are sized by
   * @param listeners told of claims and reaps
   * @param ticker the engine's time
   * @param dispatcher where claimed jobs go
   * @param held the jobs this worker holds or has outcomes for that are not recorded yet: after a
   *     failed claim, every other job leased to this worker is stranded and handed back
   */
  Producer(
      EngineSettings settings,
      JobStore.FlowRules flow,
      JobStore store,
      Slots slots,
      Listeners listeners,
      Ticker ticker,
      Dispatcher dispatcher,
      Supplier<Collection<UUID>> held) {
    this.settings = settings;
    this.flow = flow;
    this.store = store;
    this.slots = slots;
    this.listeners = listeners;
    this.ticker = ticker;
    this.dispatcher = dispatcher;
    this.held = held;
    this.reaping = new JobStore.Reaping(REAP_LIMIT, settings.reapGrace(), settings.unleasedGrace());
    this.pollNanos = settings.pollInterval().toNanos();
    this.reapNanos = settings.reapInterval().toNanos();
    this.nextReap = ticker.nanos(); // reap with the first claim
    this.rateSince = nextReap;
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

  /**
   * A job becomes due after {@code delay} (a retry's backoff): claim then, unless the poll tick
   * comes first anyway.
   */
  void wakeAfter(Duration delay) {
    if (!running || delay.compareTo(settings.pollInterval()) >= 0) {
      return;
    }
    if (delay.isZero() || delay.isNegative()) {
      signal();
      return;
    }
    long at = ticker.nanos() + delay.toNanos();
    lock.lock();
    try {
      wakeTimes.add(at);
      wake.signal();
    } finally {
      lock.unlock();
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

  /** Whether a failed claim may have leased jobs this worker does not know of. */
  boolean sweepDue() {
    return sweepDue;
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
    listeners.fire(l -> l.onJobsReaped(total));
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
  int claimable() {
    int free = slots.available();
    if (!settings.autoPrefetch()) {
      return free;
    }
    long now = ticker.nanos();
    long elapsed = now - rateSince;
    if (elapsed >= RATE_WINDOW_NANOS) {
      long finished = slots.finishedCount();
      finishesPerSecond = (finished - finishedAtRateSince) * 1e9 / elapsed;
      finishedAtRateSince = finished;
      rateSince = now;
    }
    int most = settings.prefetch();
    int buffer =
        (int) Math.min(most, finishesPerSecond * JobProcessor.AUTO_PREFETCH_WAIT_MILLIS / 1000.0);
    return Math.max(0, free - (most - buffer));
  }

  /** Waits for a reason to claim; false once stopped. */
  private boolean awaitWork(long nextPoll) throws InterruptedException {
    lock.lock();
    try {
      while (running && !signalled) {
        long now = ticker.nanos();
        Long wakeAt = wakeTimes.peek();
        if (wakeAt != null && wakeAt - now <= 0) {
          while (wakeTimes.peek() != null && wakeTimes.peek() - now <= 0) {
            wakeTimes.poll();
          }
          moreMayWait = true;
          break;
        }
        long until = wakeAt != null && wakeAt - nextPoll < 0 ? wakeAt : nextPoll;
        long wait = until - now;
        if (wait <= 0) {
          break;
        }
        wake.awaitNanos(wait);
      }
      signalled = false;
      return running;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    long nextPoll = ticker.nanos();
    long errorBackoffNanos = TimeUnit.MILLISECONDS.toNanos(100);
    while (running) {
      try {
        if (!awaitWork(nextPoll)) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      int free = claimable();
      boolean reapDue = ticker.nanos() - nextReap >= 0;
      if (free == 0 && !reapDue) {
        // Every slot is busy: a freed slot wakes us if work may wait, else the next tick does.
        moreMayWait = true;
        nextPoll = ticker.nanos() + pollNanos;
        continue;
      }
      List<Job> jobs;
      long sent = ticker.nanos();
      try {
        if (sweepDue) {
          sweepStranded();
        }
        sent = ticker.nanos();
        jobs = claim(free, reapDue);
        errorBackoffNanos = TimeUnit.MILLISECONDS.toNanos(100);
      } catch (RuntimeException e) {
        sweepDue = true;
        log.warn(
            "claim failed, retrying in {} ms: {}", errorBackoffNanos / 1_000_000, e.getMessage());
        nextPoll = ticker.nanos() + Math.min(errorBackoffNanos, pollNanos);
        errorBackoffNanos = Math.min(errorBackoffNanos * 2, TimeUnit.SECONDS.toNanos(30));
        continue;
      }
      nextPoll = ticker.nanos() + pollNanos;
      if (free == 0) {
        continue;
      }
      lastSuccessfulClaim = Instant.now();
      listeners.fire(l -> l.onClaim(jobs.size()));
      // Set before dispatch, so a signal() or slotFreed() racing with it is not overwritten.
      moreMayWait = jobs.size() == free;
      long now = ticker.nanos();
      for (Job job : jobs) {
        dispatcher.dispatch(job, sent, now);
      }
      if (moreMayWait && slots.available() > 0) {
        lock.lock();
        try {
          signalled = true;
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Hands back the jobs a failed claim may have leased to this worker after all (its commit
   * happened, its reply was lost), before claiming again. They never reached a handler, so no
   * attempt is spent.
   */
  private void sweepStranded() {
    Set<UUID> released = store.releaseStranded(settings.workerId(), held.get());
    sweepDue = false;
    if (!released.isEmpty()) {
      log.warn(
          "handed back {} jobs leased to this worker by a claim whose reply was lost",
          released.size());
    }
  }

  private List<Job> claim(int free, boolean reapDue) {
    if (!reapDue) {
      return store.claim(
          settings.workerId(),
          settings.kinds(),
          flow,
          free,
          settings.leaseDuration(),
          settings.sessionTracking());
    }
    JobStore.ClaimResult result =
        store.claimAndReap(
            settings.workerId(),
            settings.kinds(),
            flow,
            free,
            settings.leaseDuration(),
            settings.sessionTracking(),
            reaping);
    nextReap = ticker.nanos() + reapNanos;
    reaped(result);
    return result.jobs();
  }
}
