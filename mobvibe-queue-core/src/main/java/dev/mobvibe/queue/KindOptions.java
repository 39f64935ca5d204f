package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a processor does differently for the jobs of one kind, given with its handler ({@link
 * JobProcessorBuilder#handler(String, Class, ArgsHandler, KindOptions)}). Every option left unset
 * takes the processor's setting (or, for attempts, the job's own). Immutable; built and checked by
 * {@link #builder()}.
 *
 * @param maxAttempts the most times a job of this kind runs, overriding the {@code maxAttempts} it
 *     was enqueued with; 0 when unset
 * @param timeout how long one attempt may run, overriding {@link JobProcessorBuilder#jobTimeout};
 *     {@code null} when unset
 * @param retryPolicy the backoff between attempts, overriding the processor's; {@code null} when
 *     unset
 */
public record KindOptions(
    int maxAttempts, @Nullable Duration timeout, @Nullable RetryPolicy retryPolicy) {

  /** No overrides: every job of the kind runs with the processor's settings. */
  public static final KindOptions DEFAULTS = new KindOptions(0, null, null);

  /**
   * Checks the options; see the builder's methods for the rules.
   *
   * @param maxAttempts see {@link #maxAttempts()}
   * @param timeout see {@link #timeout()}
   * @param retryPolicy see {@link #retryPolicy()}
   */
  public KindOptions {
    if (maxAttempts < 0 || maxAttempts > NewJob.MAX_ATTEMPTS_LIMIT) {
      throw new IllegalArgumentException(
          "maxAttempts must be between 1 and "
              + NewJob.MAX_ATTEMPTS_LIMIT
              + ", was "
              + maxAttempts);
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
  }

  /**
   * Starts a builder with nothing overridden.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link KindOptions}. Not thread-safe; checks everything in {@link #build()}. */
  public static final class Builder {
    private Integer maxAttempts;
    private Duration timeout;
    private RetryPolicy retryPolicy;

    private Builder() {}

    /**
     * Sets the most times a job of this kind runs, 1 to {@link NewJob#MAX_ATTEMPTS_LIMIT}, whatever
     * {@code maxAttempts} the job was enqueued with. Default: the job's own.
     *
     * @param maxAttempts the attempt limit
     * @return this builder
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets how long one attempt of a job of this kind may run before it is cancelled and counted as
     * failed. Default: the processor's {@link JobProcessorBuilder#jobTimeout}.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout must not be null");
      return this;
    }

    /**
     * Sets the backoff between the attempts of a job of this kind. Default: the processor's.
     *
     * @param retryPolicy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy must not be null");
      return this;
    }

    /**
     * Checks the options and builds them.
     *
     * @return the options
     * @throws IllegalArgumentException naming the first option that is wrong
     */
    public KindOptions build() {
      if (maxAttempts != null && maxAttempts < 1) {
        throw new IllegalArgumentException(
            "maxAttempts must be between 1 and "
                + NewJob.MAX_ATTEMPTS_LIMIT
                + ", was "
                + maxAttempts);
      }
      return new KindOptions(maxAttempts == null ? 0 : maxAttempts, timeout, retryPolicy);
    }
  }
}
