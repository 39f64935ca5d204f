package dev.mobvibe.queue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * @param maxRunning the most jobs of this kind running at once across every worker; 0 for no limit
 * @param maxRunningByKeyPrefix the most running jobs of this kind whose concurrency key starts with
 *     each prefix, across every worker; empty for none
 * @param rateLimit the most jobs of this kind that start per window across every worker, or {@code
 *     null} for no limit
 */
public record KindOptions(
    int maxAttempts,
    @Nullable Duration timeout,
    @Nullable RetryPolicy retryPolicy,
    int maxRunning,
    Map<String, Integer> maxRunningByKeyPrefix,
    @Nullable RateLimit rateLimit) {

  /** No overrides: every job of the kind runs with the processor's settings. */
  public static final KindOptions DEFAULTS = new KindOptions(0, null, null, 0, Map.of(), null);

  /** The longest window a rate limit may have: one day. */
  public static final Duration MAX_RATE_WINDOW = Duration.ofDays(1);

  /**
   * At most {@code starts} jobs start per window of length {@code per}, counted across every worker
   * in fixed windows aligned to the database clock (a window of one minute starts at each whole
   * minute). A job that would exceed it waits, pending, for the next window.
   *
   * @param starts the most starts per window, at least 1
   * @param per the window, from 1 ms to {@link #MAX_RATE_WINDOW}
   */
  public record RateLimit(int starts, Duration per) {
    /**
     * Checks the limit.
     *
     * @param starts see {@link #starts()}
     * @param per see {@link #per()}
     */
    public RateLimit {
      if (starts < 1) {
        throw new IllegalArgumentException("rate limit starts must be at least 1, was " + starts);
      }
      Objects.requireNonNull(per, "rate limit window must not be null");
      if (per.toMillis() < 1 || per.compareTo(MAX_RATE_WINDOW) > 0) {
        throw new IllegalArgumentException(
            "rate limit window must be between 1 ms and " + MAX_RATE_WINDOW + ", was " + per);
      }
    }
  }

  /**
   * Checks the options; see the builder's methods for the rules.
   *
   * @param maxAttempts see {@link #maxAttempts()}
   * @param timeout see {@link #timeout()}
   * @param retryPolicy see {@link #retryPolicy()}
   * @param maxRunning see {@link #maxRunning()}
   * @param maxRunningByKeyPrefix see {@link #maxRunningByKeyPrefix()}
   * @param rateLimit see {@link #rateLimit()}
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
    if (maxRunning < 0) {
      throw new IllegalArgumentException("maxRunning must be at least 1, was " + maxRunning);
    }
    maxRunningByKeyPrefix = Map.copyOf(maxRunningByKeyPrefix);
    maxRunningByKeyPrefix.forEach(
        (prefix, most) -> {
          if (prefix.isEmpty() || most < 1) {
            throw new IllegalArgumentException(
                "maxRunning needs a non-empty key prefix and at least 1, was '"
                    + prefix
                    + "' -> "
                    + most);
          }
        });
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
    private Integer maxRunning;
    private final Map<String, Integer> maxRunningByKeyPrefix = new LinkedHashMap<>();
    private RateLimit rateLimit;

    private Builder() {}

    /**
     * Sets the most jobs of this kind that run at once across every worker (for example 20 coding
     * sessions in total, whatever the number of workers). Enforced in the claim: a worker takes the
     * limit's lock for the length of its claim statement, never while jobs run. Jobs claimed by the
     * seed's {@code claim_next_job()} function do count, but that function does not obey the limit.
     * Default: no limit.
     *
     * @param maxRunning at least 1
     * @return this builder
     */
    public Builder maxRunning(int maxRunning) {
      this.maxRunning = maxRunning;
      return this;
    }

    /**
     * Sets the most running jobs of this kind whose concurrency key starts with {@code keyPrefix},
     * across every worker (for example at most 5 running sessions of the keys {@code "free:"}). May
     * be called for several prefixes; a job counts against each prefix its key starts with.
     * Default: none.
     *
     * @param keyPrefix a non-empty prefix of concurrency keys
     * @param maxRunning at least 1
     * @return this builder
     */
    public Builder maxRunning(String keyPrefix, int maxRunning) {
      Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
      maxRunningByKeyPrefix.put(keyPrefix, maxRunning);
      return this;
    }

    /**
     * Sets the most jobs of this kind that start per window across every worker ({@link
     * RateLimit}). Default: no limit.
     *
     * @param starts at least 1
     * @param per the window, from 1 ms to {@link #MAX_RATE_WINDOW}
     * @return this builder
     */
    public Builder rateLimit(int starts, Duration per) {
      this.rateLimit = new RateLimit(starts, per);
      return this;
    }

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
      if (maxRunning != null && maxRunning < 1) {
        throw new IllegalArgumentException("maxRunning must be at least 1, was " + maxRunning);
      }
      return new KindOptions(
          maxAttempts == null ? 0 : maxAttempts,
          timeout,
          retryPolicy,
          maxRunning == null ? 0 : maxRunning,
          maxRunningByKeyPrefix,
          rateLimit);
    }
  }
}
