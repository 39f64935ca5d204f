package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.PermanentJobFailureException;
import dev.mobvibe.queue.SnoozeJobException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.MDC;

/**
 * Runs claimed jobs on the handler threads, one attempt each: starts the job's timeout clock, calls
 * the handler, turns its return or throw (a snooze included) into an outcome, and hands the outcome
 * to the completer if it is the first to settle the job. A job that reaches a slot after stopping
 * began, or that was cancelled while it waited, goes back to pending without spending an attempt.
 */
final class HandlerSlots implements Producer.Dispatcher {
  private final EngineSettings settings;
  private final Map<String, KindRoute> routes;
  private final Slots slots;
  private final Completer completer;
  private final TimeoutWatcher timeouts;
  private final EventWriter events;
  private final Listeners listeners;
  private final Ticker ticker;
  private volatile boolean accepting = true;
  private ThreadPoolExecutor executor;

  HandlerSlots(
      EngineSettings settings,
      Map<String, KindRoute> routes,
      Slots slots,
      Completer completer,
      TimeoutWatcher timeouts,
      EventWriter events,
      Listeners listeners,
      Ticker ticker) {
    this.settings = settings;
    this.routes = routes;
    this.slots = slots;
    this.completer = completer;
    this.timeouts = timeouts;
    this.events = events;
    this.listeners = listeners;
    this.ticker = ticker;
  }

  void start() {
    executor =
        new ThreadPoolExecutor(
            settings.concurrency(),
            settings.concurrency(),
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            settings.handlerThreads());
  }

  /** A handler slot's task, so jobs that never started can be found at shutdown. */
  private final class JobTask implements Runnable {
    final RunningJob job;

    JobTask(RunningJob job) {
      this.job = job;
    }

    @Override
    public void run() {
      runJob(job);
    }
  }

  @Override
  public void dispatch(Job job, long claimSentNanos, long claimedNanos) {
    KindRoute route = routes.get(job.kind());
    KindOptions options = route == null ? KindOptions.DEFAULTS : route.options();
    RunningJob rj =
        new RunningJob(
            job,
            claimSentNanos,
            claimedNanos,
            settings.workerId(),
            options.timeout() != null ? options.timeout() : settings.jobTimeout(),
            events,
            ticker,
            options);
    slots.hold(rj);
    try {
      executor.execute(new JobTask(rj));
    } catch (RuntimeException e) {
      release(rj); // the executor refused (shutting down): give the job back untouched
    }
  }

  private void release(RunningJob rj) {
    if (rj.settle()) {
      completer.submit(new Completer.Release(rj));
    }
    slots.free(rj);
  }

  private void runJob(RunningJob rj) {
    Job job = rj.job;
    rj.thread = Thread.currentThread();
    if (!accepting || rj.isCancelled()) {
      rj.thread = null;
      release(rj);
      return;
    }
    MDC.put("jobId", job.id().toString());
    MDC.put("jobKind", job.kind());
    if (job.sessionId() != null) {
      MDC.put("sessionId", job.sessionId().toString());
    }
    rj.started();
    timeouts.watch(rj);
    Duration sinceClaim = Duration.ofNanos(rj.startedNanos - rj.claimedNanos);
    listeners.fire(l -> l.onJobStarted(job, sinceClaim));
    Completer.Outcome outcome;
    KindRoute route = routes.get(job.kind());
    try {
      if (route == null) {
        // Claims take only the routed kinds; a job of another kind got here by a bug, not by data.
        throw new PermanentJobFailureException("this worker has no handler for kind " + job.kind());
      }
      route.handler().handle(job, rj);
      outcome = new Completer.Success(rj, rj.runTime());
    } catch (SnoozeJobException e) {
      outcome = snooze(rj, e);
    } catch (PermanentJobFailureException e) {
      outcome = new Completer.Failure(rj, e, false, rj.runTime());
    } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
      outcome =
          rj.cancellationReason().orElse(null) == CancellationReason.SHUTDOWN
              ? new Completer.Release(rj)
              : new Completer.Failure(rj, e, true, rj.runTime());
    } finally {
      rj.thread = null;
      Thread.interrupted(); // an interrupt meant for this job must not reach the next one
      MDC.remove("jobId");
      MDC.remove("jobKind");
      MDC.remove("sessionId");
    }
    slots.finished();
    timeouts.unwatch(rj);
    if (rj.settle()) {
      completer.submit(outcome);
    }
    slots.free(rj);
  }

  /**
   * A snooze, or a failed attempt when the job has snoozed {@link EngineSettings#maxSnoozes()}
   * times already, so a job that snoozes for ever still ends.
   */
  private Completer.Outcome snooze(RunningJob rj, SnoozeJobException e) {
    if (rj.job.snoozes() < settings.maxSnoozes()) {
      return new Completer.Snooze(rj, e.delay());
    }
    return new Completer.Failure(
        rj,
        new IllegalStateException(
            "snoozed more than " + settings.maxSnoozes() + " times (maxSnoozes)", e),
        true,
        rj.runTime());
  }

  /** Jobs that reach a slot from now on go back to pending. */
  void stopAccepting() {
    accepting = false;
  }

  /** Lets running handlers finish; true if all did within {@code millis}. */
  boolean finish(long millis) {
    executor.shutdown();
    return await(millis);
  }

  /**
   * Cancels and interrupts every held job ({@link CancellationReason#SHUTDOWN}) and gives back
   * those still waiting for a thread.
   */
  void cancelAll() {
    for (RunningJob rj : slots.held()) {
      rj.cancel(CancellationReason.SHUTDOWN);
    }
    List<Runnable> neverStarted = executor.shutdownNow();
    for (Runnable task : neverStarted) {
      if (task instanceof JobTask t) {
        release(t.job);
      }
    }
  }

  boolean await(long millis) {
    try {
      return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
