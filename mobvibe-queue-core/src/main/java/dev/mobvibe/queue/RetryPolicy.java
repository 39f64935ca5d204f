package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.Backoffs;
import java.time.Duration;

/**
 * Decides how long a failed job waits before its next attempt. How many attempts a job gets is the
 * job's own {@code maxAttempts}; this policy only spaces them.
 *
 * <p>Implementations must be thread-safe: processors call them from several threads. A processor
 * guards itself against a faulty policy: when {@link #backoff} throws, or returns null, a negative
 * delay or one longer than {@link #MAX_BACKOFF}, it uses {@link #defaultPolicy()}'s delay for that
 * attempt instead, so the job still goes back to pending, and logs each kind of fault once.
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
   * The longest delay a policy may return: 365 days. A longer one is taken for a bug (a unit
   * mistake, an overflow) and replaced by the default policy's delay; the factories refuse to build
   * a policy that could return one.
   */
  Duration MAX_BACKOFF = Duration.ofDays(365);

  /**
   * Returns the delay before the attempt that follows {@code failedAttempt}.
   *
   * @param failedAttempt the 1-based number of the attempt that just failed
   * @return a delay from zero to {@link #MAX_BACKOFF}
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
   * @param cap the largest ceiling; at least {@code base}, at most {@link #MAX_BACKOFF}
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
   * @param cap the largest delay; at least {@code base}, at most {@link #MAX_BACKOFF}
   * @return the policy
   * @throws IllegalArgumentException naming the argument that is out of range
   */
  static RetryPolicy exponentialWithoutJitter(Duration base, double factor, Duration cap) {
    return Backoffs.exponential(base, factor, cap, false);
  }

  /**
   * The same delay after every failure.
   *
   * @param delay a delay from zero to {@link #MAX_BACKOFF}
   * @return the policy
   * @throws IllegalArgumentException if the delay is null, negative or longer than {@link
   *     #MAX_BACKOFF}
   */
  static RetryPolicy fixed(Duration delay) {
    return Backoffs.fixed(delay);
  }
}
