package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by a handler to run the job again later without spending an attempt: the job goes back to
 * pending, due after the given delay, with its attempt count unchanged and its snooze count ({@link
 * Job#snoozes()}) one higher. For work that is not ready yet (a sandbox still starting, a rate
 * limit of a provider), not for failures: a failure should throw any other exception and be retried
 * with backoff.
 *
 * <p>Snoozes are capped by the processor ({@link JobProcessorBuilder#maxSnoozes(int)}, default
 * {@value JobProcessor#DEFAULT_MAX_SNOOZES}): a snooze beyond the cap counts as a failed attempt
 * with an error that says so, so a job that snoozes for ever still ends.
 */
public class SnoozeJobException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The longest snooze accepted: 365 days, as {@link RetryPolicy#MAX_BACKOFF}. */
  public static final Duration MAX_DELAY = RetryPolicy.MAX_BACKOFF;

  /** The delay before the job is due again. */
  private final Duration delay;

  /**
   * Creates the exception.
   *
   * @param delay how long from now the job waits: zero to {@link #MAX_DELAY}
   * @throws NullPointerException if the delay is null
   * @throws IllegalArgumentException if the delay is negative or longer than {@link #MAX_DELAY}
   */
  public SnoozeJobException(Duration delay) {
    super(
        "snoozed for " + Objects.requireNonNull(delay, "delay must not be null"),
        null,
        false,
        false);
    if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
      throw new IllegalArgumentException(
          "snooze delay must be between zero and " + MAX_DELAY + ", was " + delay);
    }
    this.delay = delay;
  }

  /**
   * Returns how long the job waits before it is due again.
   *
   * @return the delay
   */
  public Duration delay() {
    return delay;
  }
}
