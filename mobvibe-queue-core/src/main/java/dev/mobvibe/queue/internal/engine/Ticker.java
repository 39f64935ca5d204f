package dev.mobvibe.queue.internal.engine;

/**
 * Monotonic time in nanoseconds, the one source of time of the engine's parts: leases, heartbeats,
 * timeouts, poll and reap intervals, run times. Production uses {@link #SYSTEM}; tests pass a
 * ticker they advance by hand, so leases and timeouts are driven without sleeping.
 */
@FunctionalInterface
interface Ticker {

  /** {@link System#nanoTime()}. */
  Ticker SYSTEM = System::nanoTime;

  /**
   * Returns the current time; only differences between two readings mean anything.
   *
   * @return nanoseconds
   */
  long nanos();
}
