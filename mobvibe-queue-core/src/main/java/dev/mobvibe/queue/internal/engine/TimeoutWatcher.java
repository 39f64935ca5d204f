package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.JobTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the two deadlines that need no database, on a scheduler of its own (so a lease renewal
 * stuck on the database never delays them):
 *
 * <ul>
 *   <li>the job timeout: an attempt that runs past it is settled, its handler cancelled and
 *       interrupted, and a failed attempt that may be retried is recorded;
 *   <li>the lease: a held job whose lease has not been renewed for the lease plus the reap grace
 *       (the database was unreachable, or the handler went silent) may be reaped by another worker
 *       from that moment, so it is settled here first: a started handler is cancelled with {@link
 *       CancellationReason#LEASE_LOST} and its attempt reported lost, a job that never started is
 *       handed back.
 * </ul>
 */
final class TimeoutWatcher {
  private static final Logger log = LoggerFactory.getLogger(TimeoutWatcher.class);

  private final long reapableAfterNanos;
  private final Slots slots;
  private final Completer completer;
  private final Listeners listeners;
  private final Ticker ticker;
  private final String workerId;
  private final Map<RunningJob, Long> deadlines = new ConcurrentHashMap<>();
  private ScheduledExecutorService scheduler;

  /**
   * @param settings the lease and reap grace, the worker id (each job carries its own timeout)
   * @param slots the jobs held, whose leases are watched
   * @param completer where a timed-out attempt's failure, or an unstarted job's release, goes
   * @param listeners told of attempts lost to a lapsed lease
   * @param ticker the engine's time
   */
  TimeoutWatcher(
      EngineSettings settings,
      Slots slots,
      Completer completer,
      Listeners listeners,
      Ticker ticker) {
    this.reapableAfterNanos = settings.reapableAfter().toNanos();
    this.slots = slots;
    this.completer = completer;
    this.listeners = listeners;
    this.ticker = ticker;
    this.workerId = settings.workerId();
  }

  void start() {
    scheduler = Engine.singleThread("mobvibe-timeouts-" + workerId);
    long every =
        Math.max(10, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(reapableAfterNanos) / 10));
    scheduler.scheduleWithFixedDelay(this::settleLapsedLeases, every, every, TimeUnit.MILLISECONDS);
  }

  void stop() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    deadlines.clear();
  }

  /** Starts the clock of a job whose handler just started. */
  void watch(RunningJob rj) {
    Duration timeout = rj.jobTimeout();
    if (timeout == null || scheduler == null) {
      return;
    }
    long deadline = rj.startedNanos + timeout.toNanos();
    deadlines.put(rj, deadline);
    schedule(rj, deadline);
  }

  private void schedule(RunningJob rj, long deadline) {
    try {
      rj.timeoutFuture =
          scheduler.schedule(
              () -> {
                if (!expireIfDue(rj) && deadlines.containsKey(rj)) {
                  schedule(rj, deadline); // woke a little early: wait for the rest
                }
              },
              Math.max(0, deadline - ticker.nanos()),
              TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      // shutting down: the processor cancels what still runs
    }
  }

  /** Stops the clock of a job whose handler returned. */
  void unwatch(RunningJob rj) {
    if (deadlines.remove(rj) != null && rj.timeoutFuture != null) {
      rj.timeoutFuture.cancel(false);
    }
  }

  /** Ends every watched attempt whose deadline has passed on the ticker. */
  void expireDue() {
    for (RunningJob rj : deadlines.keySet()) {
      expireIfDue(rj);
    }
  }

  /** Ends the attempt if its deadline passed; false if it is not due yet. */
  private boolean expireIfDue(RunningJob rj) {
    Long deadline = deadlines.get(rj);
    if (deadline == null) {
      return true;
    }
    if (ticker.nanos() - deadline < 0) {
      return false;
    }
    deadlines.remove(rj);
    if (rj.settle()) {
      Duration timeout = rj.jobTimeout();
      log.warn("job {} timed out after {} ms; cancelling it", rj.job.id(), timeout.toMillis());
      rj.cancel(CancellationReason.TIMEOUT);
      completer.submit(
          new Completer.Failure(rj, new JobTimeoutException(timeout), true, rj.runTime()));
    }
    return true;
  }

  /** Settles every held job whose lease may have been reaped by now (see the class comment). */
  void settleLapsedLeases() {
    long now = ticker.nanos();
    for (RunningJob rj : slots.held()) {
      if (now - rj.leaseFromNanos < reapableAfterNanos || !rj.settle()) {
        continue;
      }
      rj.cancel(CancellationReason.LEASE_LOST);
      if (rj.hasStarted()) {
        listeners.lost(rj, "lease not renewed for " + reapableAfterNanos / 1_000_000 + " ms");
      } else {
        completer.submit(new Completer.Release(rj)); // fenced: nothing if it was reaped
      }
    }
  }

  /** Jobs whose clock runs now. */
  int watched() {
    return deadlines.size();
  }
}
