package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.Backoffs;
import java.time.Duration;

/**
 * Decides how long a failed job waits before its next attempt. How many attempts a job gets is the
 * job's own {@code maxAttempts}; this policy only spaces them.
 *
 * <p>Implementations must be thread-safe: processors call them from several threads.
 */
@FunctionalInterface
public interface RetryPolicy {

  /** Base delay of the default policy: 1 second. */
  Duration DEFAULT_BASE = Duration.ofSeconds(1);

  /** Growth factor of the default policy: 2. */
  double DEFAULT_FACTOR = 2.0;

  /** Longest delay of the default policy: 10 minutes. */
  Duration DEFAULT_CAP = Duration.ofMinutes(10);

  /**
   * Returns the delay before the attempt that follows {@code failedAttempt}.
   *
   * @param failedAttempt the 1-based number of the attempt that just failed
   * @return a non-negative delay
   */
  Duration backoff(int failedAttempt);

  /**
   * The default policy: exponential backoff with full jitter, base 1 s, factor 2, cap 10 min. The
   * delay after attempt {@code n} is uniform in {@code [0, min(cap, base * factor^(n-1))]}.
   *
   * @return the default policy
   */
  static RetryPolicy defaultPolicy() {
    return exponential(DEFAULT_BASE, DEFAULT_FACTOR, DEFAULT_CAP);
  }

  /**
   * Exponential backoff with full jitter: after attempt {@code n} the delay is uniform in {@code
   * [0, min(cap, base * factor^(n-1))]}. Jitter spreads retries of jobs that failed together.
   *
   * @param base the ceiling of the first delay; positive
   * @param factor how much the ceiling grows per attempt; at least 1
   * @param cap the largest ceiling; at least {@code base}
   * @return the policy
   * @throws IllegalArgumentException naming the argument that is out of range
   */
  static RetryPolicy exponential(Duration base, double factor, Duration cap) {
    return Backoffs.exponential(base, factor, cap, true);
  }

  /**
   * Exponential backoff without jitter: after attempt {@code n} the delay is exactly {@code
   * min(cap, base * factor^(n-1))}. Predictable, for tests and for handlers that need it.
   *
   * @param base the first delay; positive
   * @param factor how much the delay grows per attempt; at least 1
   * @param cap the largest delay; at least {@code base}
   * @return the policy
   * @throws IllegalArgumentException naming the argument that is out of range
   */
  static RetryPolicy exponentialWithoutJitter(Duration base, double factor, Duration cap) {
    return Backoffs.exponential(base, factor, cap, false);
  }

  /**
   * The same delay after every failure.
   *
   * @param delay a non-negative delay
   * @return the policy
   * @throws IllegalArgumentException if the delay is null or negative
   */
  static RetryPolicy fixed(Duration delay) {
    return Backoffs.fixed(delay);
  }
}
