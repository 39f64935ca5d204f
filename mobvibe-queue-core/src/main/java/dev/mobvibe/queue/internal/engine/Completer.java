package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.JobTimeoutException;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.PermanentJobFailureException;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records attempt outcomes on its own thread: successes (with their outputs) batched into one
 * statement, snoozes batched into one, failures one by one with their backoff, releases batched.
 * Every write is fenced on the lease, so an outcome of a job this worker no longer holds is
 * reported lost, not written.
 *
 * <p>Faults stay with the outcome that causes them. A batch the database refuses for its data (see
 * {@link DataErrors}) is recorded again one outcome at a time, and an outcome refused alone too is
 * dropped: reported lost and counted, its job returns after its lease. A batch the database cannot
 * take now is retried as it is, with backoff. A retry policy that throws, or returns null, a
 * negative delay or one longer than {@link RetryPolicy#MAX_BACKOFF}, is replaced for that attempt
 * by {@link RetryPolicy#defaultPolicy()}, and each kind of fault is logged once.
 */
final class Completer {
  private static final Logger log = LoggerFactory.getLogger(Completer.class);
  private static final int BATCH = 1000;

  /** What to record for one attempt. */
  sealed interface Outcome permits Success, Snooze, Failure, Release {
    RunningJob job();
  }

  record Success(RunningJob job, Duration runTime) implements Outcome {}

  /** A handler snoozed the job: back to pending after the delay, no attempt spent. */
  record Snooze(RunningJob job, Duration delay) implements Outcome {}

  record Failure(RunningJob job, Throwable error, boolean retryable, Duration runTime)
      implements Outcome {}

  /** A job that never ran (or was stopped by shutdown): back to pending, no attempt spent. */
  record Release(RunningJob job) implements Outcome {}

  /** What can be wrong with a delay from the retry policy. */
  enum PolicyFault {
    THREW("threw"),
    RETURNED_NULL("returned null"),
    NEGATIVE("returned a negative delay"),
    TOO_LONG("returned a delay longer than " + RetryPolicy.MAX_BACKOFF.toDays() + " days");

    final String what;

    PolicyFault(String what) {
      this.what = what;
    }
  }

  private static final RetryPolicy FALLBACK_POLICY = RetryPolicy.defaultPolicy();

  private final EngineSettings settings;
  private final JobStore store;
  private final Listeners listeners;
  private final Consumer<Duration> retryScheduled;
  private final LinkedBlockingQueue<Outcome> queue = new LinkedBlockingQueue<>();
  private final AtomicLong dropped = new AtomicLong();
  // Each kind is logged once: the first to add it logs it.
  private final Set<PolicyFault> policyFaults =
      Collections.synchronizedSet(EnumSet.noneOf(PolicyFault.class));
  private final Thread thread;
  // Jobs whose success or failure is queued or being written: still this worker's business.
  private final Set<UUID> unrecorded = ConcurrentHashMap.newKeySet();
  private volatile boolean running = true;
  private volatile long flushDeadlineNanos;

  /**
   * @param settings the worker id, session tracking and retry policy
   * @param store where outcomes are written
   * @param listeners told of each recorded outcome
   * @param retryScheduled told the backoff of each attempt sent back to pending, and the shortest
   *     delay of each batch of snoozes
   */
  Completer(
      EngineSettings settings,
      JobStore store,
      Listeners listeners,
      Consumer<Duration> retryScheduled) {
    this.settings = settings;
    this.store = store;
    this.listeners = listeners;
    this.retryScheduled = retryScheduled;
    this.thread = new Thread(this::run, "mobvibe-completer-" + settings.workerId());
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void submit(Outcome outcome) {
    if (!(outcome instanceof Release)) {
      unrecorded.add(outcome.job().job.id());
    }
    queue.add(outcome);
  }

  /** The jobs whose success or failure is not recorded yet (releases not included). */
  Set<UUID> unrecorded() {
    return unrecorded;
  }

  int backlog() {
    return queue.size();
  }

  /** Outcomes dropped because the database refused them alone for their data. */
  long dropped() {
    return dropped.get();
  }

  /** The kinds of retry policy fault seen (and logged) so far. */
  Set<PolicyFault> policyFaults() {
    return Set.copyOf(policyFaults);
  }

  private void run() {
    List<Outcome> batch = new ArrayList<>(BATCH);
    long backoffMillis = 50;
    while (running || !queue.isEmpty() || !batch.isEmpty()) {
      try {
        if (batch.isEmpty()) {
          Outcome first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
          queue.drainTo(batch, BATCH - 1);
        }
        recordIsolating(batch);
        backoffMillis = 50;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        if (!running && System.nanoTime() - flushDeadlineNanos >= 0) {
          log.warn(
              "cannot record {} outcomes before the shutdown deadline; their jobs return after"
                  + " their lease: {}",
              batch.size() + queue.size(),
              e.getMessage());
          batch.forEach(o -> unrecorded.remove(o.job().job.id()));
          batch.clear();
          queue.forEach(o -> unrecorded.remove(o.job().job.id()));
          queue.clear();
          continue;
        }
        log.warn(
            "cannot record {} outcomes, retrying in {} ms: {}",
            batch.size(),
            backoffMillis,
            e.getMessage());
        if (!Engine.pauseAfterError(backoffMillis)) {
          break;
        }
        backoffMillis = Math.min(5000, backoffMillis * 2);
      }
    }
  }

  /**
   * Records a batch and empties it. When the database refuses the batch for its data, records the
   * outcomes one by one and drops each that it refuses alone too. When it cannot take a write now,
   * throws, leaving in the batch the outcomes not recorded, to be retried.
   */
  private void recordIsolating(List<Outcome> batch) {
    try {
      record(batch);
      return;
    } catch (RuntimeException e) {
      if (!DataErrors.isDataError(e)) {
        throw e;
      }
      log.warn(
          "the database refuses {} outcomes for their data ({}); recording them one by one",
          batch.size(),
          DataErrors.describe(e));
    }
    for (Outcome o : List.copyOf(batch)) {
      try {
        record(new ArrayList<>(List.of(o)));
      } catch (RuntimeException alone) {
        if (!DataErrors.isDataError(alone)) {
          throw alone; // the outcomes not yet tried stay in the batch
        }
        dropped.incrementAndGet();
        unrecorded.remove(o.job().job.id());
        listeners.lost(
            o.job(),
            "the database refuses to record this outcome ("
                + DataErrors.describe(alone)
                + "); the job returns after its lease");
      }
      batch.remove(0); // o: the batch keeps its order, and o was its head
    }
  }

  private void record(List<Outcome> batch) {
    List<Success> successes = new ArrayList<>();
    List<Snooze> snoozes = new ArrayList<>();
    List<Release> releases = new ArrayList<>();
    List<Outcome> done = new ArrayList<>();
    try {
      for (Outcome o : batch) {
        if (o instanceof Success s) {
          successes.add(s);
        } else if (o instanceof Snooze z) {
          snoozes.add(z);
        } else if (o instanceof Release r) {
          releases.add(r);
        }
      }
      if (!successes.isEmpty()) {
        List<UUID> ids = new ArrayList<>(successes.size());
        List<Integer> retryCounts = new ArrayList<>(successes.size());
        List<String> outputs = null; // stays null while no job has output: a null array is cheaper
        for (int i = 0; i < successes.size(); i++) {
          RunningJob rj = successes.get(i).job();
          ids.add(rj.job.id());
          retryCounts.add(rj.job.retryCount());
          String output = rj.output();
          if (output != null) {
            if (outputs == null) {
              outputs = new ArrayList<>(Collections.nCopies(i, null));
            }
            outputs.add(output);
          } else if (outputs != null) {
            outputs.add(null);
          }
        }
        Set<UUID> completed =
            store.completeLeased(
                settings.workerId(), ids, retryCounts, outputs, settings.sessionTracking());
        for (Success s : successes) {
          if (completed.contains(s.job().job.id())) {
            listeners.fire(l -> l.onJobSucceeded(s.job().job, s.runTime()));
          } else {
            listeners.lost(s.job(), "lease lost before the success could be recorded");
          }
        }
        done.addAll(successes);
      }
      if (!snoozes.isEmpty()) {
        recordSnoozes(snoozes);
        done.addAll(snoozes);
      }
      for (Outcome o : batch) {
        if (o instanceof Failure f) {
          recordFailure(f);
          done.add(f);
        }
      }
      if (!releases.isEmpty()) {
        List<UUID> ids = new ArrayList<>(releases.size());
        List<Integer> retryCounts = new ArrayList<>(releases.size());
        for (Release r : releases) {
          ids.add(r.job().job.id());
          retryCounts.add(r.job().job.retryCount());
        }
        store.releaseLeased(settings.workerId(), ids, retryCounts);
        done.addAll(releases);
      }
    } finally {
      for (Outcome o : done) {
        unrecorded.remove(o.job().job.id());
      }
      // On a partial failure keep only what was not recorded, so a retry writes nothing twice.
      if (done.size() == batch.size()) {
        batch.clear();
      } else {
        Set<Outcome> recorded = Collections.newSetFromMap(new IdentityHashMap<>());
        recorded.addAll(done);
        batch.removeIf(recorded::contains);
      }
    }
  }

  private void recordSnoozes(List<Snooze> snoozes) {
    List<UUID> ids = new ArrayList<>(snoozes.size());
    List<Integer> retryCounts = new ArrayList<>(snoozes.size());
    List<Duration> delays = new ArrayList<>(snoozes.size());
    for (Snooze z : snoozes) {
      ids.add(z.job().job.id());
      retryCounts.add(z.job().job.retryCount());
      delays.add(z.delay());
    }
    Set<UUID> snoozed = store.snoozeLeased(settings.workerId(), ids, retryCounts, delays);
    Duration soonest = null;
    for (Snooze z : snoozes) {
      Job job = z.job().job;
      if (snoozed.contains(job.id())) {
        log.debug("job {} snoozed for {} ms", job.id(), z.delay().toMillis());
        listeners.fire(l -> l.onJobSnoozed(job, z.delay()));
        if (soonest == null || z.delay().compareTo(soonest) < 0) {
          soonest = z.delay();
        }
      } else {
        listeners.lost(z.job(), "lease lost before the snooze could be recorded");
      }
    }
    if (soonest != null) {
      retryScheduled.accept(soonest); // wakes the producer if the job falls due before its poll
    }
  }

  private void recordFailure(Failure f) {
    Job job = f.job().job;
    KindOptions options = f.job().options;
    Duration delay =
        backoff(
            options.retryPolicy() != null ? options.retryPolicy() : settings.retryPolicy(),
            job.attempt());
    JobStore.FailOutcome outcome =
        store.fail(
            job.id(),
            describe(f.error()),
            f.retryable(),
            new Duration[] {delay},
            settings.workerId(),
            job.retryCount(),
            options.maxAttempts() > 0 ? options.maxAttempts() : null);
    if (outcome.next() == null) {
      listeners.lost(f.job(), "lease lost before the failure could be recorded");
    } else if (outcome.next() == JobStatus.PENDING) {
      log.info(
          "job {} attempt {} failed, retrying in {} ms: {}",
          job.id(),
          job.attempt(),
          delay.toMillis(),
          describe(f.error()));
      listeners.fire(l -> l.onJobRetried(job, f.error(), f.runTime()));
      retryScheduled.accept(delay);
    } else {
      log.warn(
          "job {} failed for good after attempt {} (dead letter): {}",
          job.id(),
          job.attempt(),
          describe(f.error()));
      listeners.fire(l -> l.onJobDeadLettered(job, f.error(), f.runTime()));
    }
  }

  /**
   * The policy's delay after a failed attempt, or the default policy's when the policy throws,
   * returns null, a negative delay or one longer than {@link RetryPolicy#MAX_BACKOFF}: a bad policy
   * must not keep the job in processing, nor stall the failures recorded after it.
   */
  private Duration backoff(RetryPolicy policy, int failedAttempt) {
    Duration delay = null;
    PolicyFault fault = null;
    Throwable error = null;
    try {
      delay = policy.backoff(failedAttempt);
    } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
      fault = PolicyFault.THREW;
      error = e;
    }
    if (fault == null) {
      if (delay == null) {
        fault = PolicyFault.RETURNED_NULL;
      } else if (delay.isNegative()) {
        fault = PolicyFault.NEGATIVE;
      } else if (delay.compareTo(RetryPolicy.MAX_BACKOFF) > 0) {
        fault = PolicyFault.TOO_LONG;
      } else {
        return delay;
      }
    }
    if (policyFaults.add(fault)) {
      log.warn(
          "retry policy {} {} (attempt {}{}); using the default policy's delay instead, here and"
              + " whenever it does so again (logged once)",
          policy,
          fault.what,
          failedAttempt,
          delay == null ? "" : ": " + delay,
          error);
    }
    return FALLBACK_POLICY.backoff(failedAttempt);
  }

  static String describe(Throwable error) {
    String message = error.getMessage();
    if (error instanceof PermanentJobFailureException || error instanceof JobTimeoutException) {
      return message == null ? error.getClass().getSimpleName() : message;
    }
    return message == null
        ? error.getClass().getName()
        : error.getClass().getSimpleName() + ": " + message;
  }

  /** Records everything queued, then stops. */
  void stopAndFlush(long timeoutMillis) {
    // Keep retrying a failing write until shortly before the caller stops waiting.
    flushDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis * 9 / 10);
    running = false;
    try {
      thread.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn(
          "completer did not finish in {} ms; remaining jobs return after their lease",
          timeoutMillis);
      thread.interrupt();
    }
  }
}
