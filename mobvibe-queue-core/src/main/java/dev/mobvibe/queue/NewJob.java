package dev.mobvibe.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A job to enqueue: built with {@link #builder(String)}, checked when built, immutable.
 *
 * <pre>{@code
 * NewJob job = NewJob.builder("Add a dark mode toggle")
 *     .tier(PlanTier.PRO)
 *     .delay(Duration.ofSeconds(30))
 *     .idempotencyKey("request-42")
 *     .build();
 * }</pre>
 *
 * @param prompt the prompt; not blank, at most {@link #MAX_PROMPT_LENGTH} characters
 * @param sessionId an existing coding session, or {@code null} to create a new one with the job
 * @param priority 0 to {@link #MAX_PRIORITY}; default 0 (Free)
 * @param maxAttempts 1 to {@link #MAX_ATTEMPTS_LIMIT}; default {@link #DEFAULT_MAX_ATTEMPTS}
 * @param runAt the earliest time to run, or {@code null} for now plus {@code delay}
 * @param delay how long after enqueueing the job may run; default zero
 * @param idempotencyKey an optional key: enqueueing the same key again returns the first job
 */
public record NewJob(
    String prompt,
    UUID sessionId,
    int priority,
    int maxAttempts,
    Instant runAt,
    Duration delay,
    String idempotencyKey) {

  /** The longest prompt accepted, in characters: 100,000. */
  public static final int MAX_PROMPT_LENGTH = 100_000;

  /** The highest priority accepted: 100. Plans use 0, 5 and 10 ({@link PlanTier}). */
  public static final int MAX_PRIORITY = 100;

  /** Attempts per job unless set: 3, as in the seed ({@code max_retries} default). */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  /** The largest {@code maxAttempts} accepted: 100. */
  public static final int MAX_ATTEMPTS_LIMIT = 100;

  /** The longest idempotency key accepted, in characters: 255. */
  public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  /** Checks every component; see the builder's methods for the rules. */
  public NewJob {
    checkText("prompt", prompt, MAX_PROMPT_LENGTH);
    if (priority < 0 || priority > MAX_PRIORITY) {
      throw new IllegalArgumentException(
          "priority must be between 0 and " + MAX_PRIORITY + ", was " + priority);
    }
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
      throw new IllegalArgumentException(
          "maxAttempts must be between 1 and " + MAX_ATTEMPTS_LIMIT + ", was " + maxAttempts);
    }
    Objects.requireNonNull(delay, "delay must not be null");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    if (runAt != null && !delay.isZero()) {
      throw new IllegalArgumentException("set runAt or delay, not both");
    }
    if (idempotencyKey != null) {
      checkText("idempotencyKey", idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH);
    }
  }

  private static void checkText(String name, String value, int maxLength) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    if (value.length() > maxLength) {
      throw new IllegalArgumentException(
          name + " is " + value.length() + " characters long, the limit is " + maxLength);
    }
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(name + " must not contain the NUL character");
    }
  }

  /**
   * A job with this prompt and every default: a new session, priority 0, three attempts, run now.
   *
   * @param prompt the prompt
   * @return the job
   * @throws IllegalArgumentException if the prompt is null, blank, too long or holds NUL
   */
  public static NewJob of(String prompt) {
    return builder(prompt).build();
  }

  /**
   * Starts a builder.
   *
   * @param prompt the prompt (checked in {@link Builder#build()})
   * @return a builder with every default
   */
  public static Builder builder(String prompt) {
    return new Builder(prompt);
  }

  /** Builds a {@link NewJob}. Not thread-safe; checks everything in {@link #build()}. */
  public static final class Builder {
    private final String prompt;
    private UUID sessionId;
    private int priority;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Instant runAt;
    private Duration delay = Duration.ZERO;
    private String idempotencyKey;

    private Builder(String prompt) {
      this.prompt = prompt;
    }

    /**
     * Puts the job in an existing session. Default: a new session is created with the job, with
     * only the columns the SDK knows (id, status); on a database whose {@code coding_sessions}
     * requires more (a seed-era table with NOT NULL {@code user_id}), create the session yourself
     * and pass its id, or the enqueue fails with a {@link QueueException}.
     *
     * @param sessionId the id of a row of {@code coding_sessions}
     * @return this builder
     */
    public Builder sessionId(UUID sessionId) {
      this.sessionId = sessionId;
      return this;
    }

    /**
     * Sets the priority, 0 to {@link #MAX_PRIORITY}. Default 0.
     *
     * @param priority the priority
     * @return this builder
     */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /**
     * Sets the priority from a plan: Pro 10, Starter 5, Free 0.
     *
     * @param tier the plan
     * @return this builder
     */
    public Builder tier(PlanTier tier) {
      this.priority = Objects.requireNonNull(tier, "tier must not be null").priority();
      return this;
    }

    /**
     * Sets how many times the job may run, 1 to {@link #MAX_ATTEMPTS_LIMIT}. Default 3.
     *
     * @param maxAttempts the attempt limit
     * @return this builder
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Delays the job until this time. Default: now.
     *
     * @param runAt the earliest time to run
     * @return this builder
     */
    public Builder runAt(Instant runAt) {
      this.runAt = runAt;
      return this;
    }

    /**
     * Delays the job by this long after it is enqueued (database time). Default zero.
     *
     * @param delay a non-negative delay
     * @return this builder
     */
    public Builder delay(Duration delay) {
      this.delay = delay;
      return this;
    }

    /**
     * Sets an idempotency key: a second enqueue with the same key returns the first job.
     *
     * @param idempotencyKey 1 to {@link #MAX_IDEMPOTENCY_KEY_LENGTH} characters
     * @return this builder
     */
    public Builder idempotencyKey(String idempotencyKey) {
      this.idempotencyKey = idempotencyKey;
      return this;
    }

    /**
     * Checks the settings and builds the job.
     *
     * @return the job
     * @throws IllegalArgumentException naming the first setting that is wrong
     */
    public NewJob build() {
      return new NewJob(prompt, sessionId, priority, maxAttempts, runAt, delay, idempotencyKey);
    }
  }
}
