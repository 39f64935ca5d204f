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
 * Ends attempts that run past the job timeout, on a scheduler of its own (so a lease renewal stuck
 * on the database never delays a timeout): the first to settle the job, it cancels and interrupts
 * the handler and records a failed attempt that may be retried.
 */
final class TimeoutWatcher {
  private static final Logger log = LoggerFactory.getLogger(TimeoutWatcher.class);

  private final Duration timeout;
  private final Completer completer;
  private final Ticker ticker;
  private final String workerId;
  private final Map<RunningJob, Long> deadlines = new ConcurrentHashMap<>();
  private ScheduledExecutorService scheduler;

  /**
   * @param timeout the job timeout, or {@code null} for none (the watcher then does nothing)
   * @param completer where a timed-out attempt's failure goes
   * @param ticker the engine's time
   * @param workerId names the thread
   */
  TimeoutWatcher(Duration timeout, Completer completer, Ticker ticker, String workerId) {
    this.timeout = timeout;
    this.completer = completer;
    this.ticker = ticker;
    this.workerId = workerId;
  }

  void start() {
    if (timeout != null) {
      scheduler = Engine.singleThread("mobvibe-timeouts-" + workerId);
    }
  }

  void stop() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    deadlines.clear();
  }

  /** Starts the clock of a job whose handler just started. */
  void watch(RunningJob rj) {
    if (timeout == null) {
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
      log.warn("job {} timed out after {} ms; cancelling it", rj.job.id(), timeout.toMillis());
      rj.cancel(CancellationReason.TIMEOUT);
      completer.submit(
          new Completer.Failure(rj, new JobTimeoutException(timeout), true, rj.runTime()));
    }
    return true;
  }

  /** Jobs whose clock runs now. */
  int watched() {
    return deadlines.size();
  }
}
