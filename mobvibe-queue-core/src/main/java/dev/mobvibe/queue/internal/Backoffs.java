package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Implementations behind the {@link RetryPolicy} factories. Internal API. */
public final class Backoffs {
  private Backoffs() {}

  /**
   * Exponential backoff, with or without full jitter.
   *
   * @param base first ceiling
   * @param factor growth per attempt
   * @param cap largest ceiling
   * @param jitter whether to draw uniformly below the ceiling
   * @return the policy
   */
  public static RetryPolicy exponential(
      Duration base, double factor, Duration cap, boolean jitter) {
    if (base == null || base.isZero() || base.isNegative()) {
      throw new IllegalArgumentException("base must be positive, was " + base);
    }
    if (!(factor >= 1.0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("factor must be at least 1, was " + factor);
    }
    if (cap == null || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("cap must be at least base (" + base + "), was " + cap);
    }
    if (cap.compareTo(RetryPolicy.MAX_BACKOFF) > 0) {
      throw new IllegalArgumentException(
          "cap must be at most " + RetryPolicy.MAX_BACKOFF + ", was " + cap);
    }
    double baseMillis = base.toMillis();
    double capMillis = cap.toMillis();
    return failedAttempt -> {
      if (failedAttempt < 1) {
        throw new IllegalArgumentException(
            "failedAttempt must be at least 1, was " + failedAttempt);
      }
      double ceiling = Math.min(capMillis, baseMillis * Math.pow(factor, failedAttempt - 1.0));
      double millis = jitter ? ThreadLocalRandom.current().nextDouble() * ceiling : ceiling;
      return Duration.ofMillis(Math.round(millis));
    };
  }

  /**
   * The same delay after every failure.
   *
   * @param delay the delay
   * @return the policy
   */
  public static RetryPolicy fixed(Duration delay) {
    if (delay == null || delay.isNegative() || delay.compareTo(RetryPolicy.MAX_BACKOFF) > 0) {
      throw new IllegalArgumentException(
          "delay must be from zero to " + RetryPolicy.MAX_BACKOFF + ", was " + delay);
    }
    return failedAttempt -> delay;
  }
}
