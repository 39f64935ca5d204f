package dev.mobvibe.queue.realtime.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Schedules the delayed work of a Realtime connection (heartbeats, timeouts, reconnects, rejoins).
 * The default runs on the connection's own thread; tests pass a manual timer so that time moves
 * only when they say. Internal API.
 */
public interface Timer {

  /** A scheduled task that can be cancelled. */
  interface Scheduled {
    /** Cancels the task if it has not run; idempotent. */
    void cancel();
  }

  /**
   * Runs a task after a delay. The task only hands work to the connection's thread, so it may run
   * on any thread.
   *
   * @param purpose what the task is for ({@code heartbeat}, {@code heartbeat-timeout}, {@code
   *     join-timeout}, {@code rejoin}, {@code reconnect}), for tests and logs
   * @param delay the delay
   * @param task the task
   * @return a handle that cancels it
   */
  Scheduled schedule(String purpose, Duration delay, Runnable task);

  /**
   * A timer on a scheduled executor.
   *
   * @param executor the executor
   * @return the timer
   */
  static Timer on(ScheduledExecutorService executor) {
    return (purpose, delay, task) -> {
      var future = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    };
  }
}
