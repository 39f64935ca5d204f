package dev.mobvibe.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A job to enqueue: built with {@link #builder(String)} (a coding session's prompt) or {@link
 * #builder(JobArgs)} (a job of any other kind), checked when built, immutable.
 *
 * <pre>{@code
 * NewJob job = NewJob.builder("Add a dark mode toggle")
 *     .tier(PlanTier.PRO)
 *     .delay(Duration.ofSeconds(30))
 *     .idempotencyKey("request-42")
 *     .build();
 * NewJob email = NewJob.builder(new SendEmail("ada@example.com", "Welcome"))
 *     .maxAttempts(5)
 *     .build();
 * }</pre>
 *
 * @param kind the job's kind: {@link #CODING_SESSION_KIND} for a prompt, else {@code args.kind()}
 * @param args the arguments of a job of another kind, or {@code null} for a coding session
 * @param prompt the prompt of a coding session (not blank, at most {@link #MAX_PROMPT_LENGTH}
 *     characters), or {@code null} for a job of another kind
 * @param sessionId an existing coding session, or {@code null} to create a new one with the job;
 *     always {@code null} for other kinds, which belong to no session
 * @param priority 0 to {@link #MAX_PRIORITY}; default 0 (Free)
 * @param maxAttempts 1 to {@link #MAX_ATTEMPTS_LIMIT}; default {@link #DEFAULT_MAX_ATTEMPTS}
 * @param runAt the earliest time to run, or {@code null} for now plus {@code delay}
 * @param delay how long after enqueueing the job may run; default zero
 * @param idempotencyKey an optional key: enqueueing the same key again returns the first job
 * @param metadata what interceptors carry across processes (for example a {@code traceparent}); at
 *     most {@link #MAX_METADATA_ENTRIES} entries; empty by default
 * @param unique makes the job unique among jobs of its kind ({@link UniqueOptions}), or {@code
 *     null} (the default) for none
 * @param concurrencyKey jobs with the same key run one at a time across all workers, in enqueue
 *     order; {@code null} for none, which for a coding session means its session id (the database
 *     fills it in), so two prompts of one session never run at once
 */
public record NewJob(
    String kind,
    @Nullable JobArgs args,
    @Nullable String prompt,
    @Nullable UUID sessionId,
    int priority,
    int maxAttempts,
    @Nullable Instant runAt,
    Duration delay,
    @Nullable String idempotencyKey,
    Map<String, String> metadata,
    @Nullable UniqueOptions unique,
    @Nullable String concurrencyKey) {

  /**
   * The kind of the seed's jobs, a coding session's prompt: {@code coding_session}. Every job
   * enqueued with a prompt has it, and the seed's SQL functions see only it.
   */
  public static final String CODING_SESSION_KIND = "coding_session";

  /** The longest kind accepted, in characters: 100. */
  public static final int MAX_KIND_LENGTH = 100;

  /** The most metadata entries a job may carry: 32. */
  public static final int MAX_METADATA_ENTRIES = 32;

  /** The longest metadata key or value accepted, in characters: 4,096. */
  public static final int MAX_METADATA_LENGTH = 4096;

  private static final Pattern KIND = Pattern.compile("[A-Za-z0-9_.:-]{1," + MAX_KIND_LENGTH + "}");

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

  /** The longest concurrency key accepted, in characters: 255. */
  public static final int MAX_CONCURRENCY_KEY_LENGTH = 255;

  /**
   * Checks every component; see the builder's methods for the rules.
   *
   * @param kind see {@link #kind()}
   * @param args see {@link #args()}
   * @param prompt see {@link #prompt()}
   * @param sessionId see {@link #sessionId()}
   * @param priority see {@link #priority()}
   * @param maxAttempts see {@link #maxAttempts()}
   * @param runAt see {@link #runAt()}
   * @param delay see {@link #delay()}
   * @param idempotencyKey see {@link #idempotencyKey()}
   * @param metadata see {@link #metadata()}
   * @param unique see {@link #unique()}
   * @param concurrencyKey see {@link #concurrencyKey()}
   */
  public NewJob {
    checkKind(kind);
    if (CODING_SESSION_KIND.equals(kind)) {
      if (args != null) {
        throw new IllegalArgumentException(
            "kind " + CODING_SESSION_KIND + " is for prompt jobs: use NewJob.builder(prompt)");
      }
      checkText("prompt", prompt, MAX_PROMPT_LENGTH);
    } else {
      Objects.requireNonNull(args, "args must not be null");
      if (!kind.equals(args.kind())) {
        throw new IllegalArgumentException(
            "kind is '" + kind + "' but args.kind() is '" + args.kind() + "'");
      }
      if (prompt != null) {
        throw new IllegalArgumentException(
            "a prompt belongs to a " + CODING_SESSION_KIND + " job, not to kind " + kind);
      }
      if (sessionId != null) {
        throw new IllegalArgumentException(
            "a session belongs to a " + CODING_SESSION_KIND + " job, not to kind " + kind);
      }
    }
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
    if (concurrencyKey != null) {
      checkText("concurrencyKey", concurrencyKey, MAX_CONCURRENCY_KEY_LENGTH);
    }
    metadata = checkMetadata(metadata);
  }

  /**
   * Checks a kind's name.
   *
   * @throws IllegalArgumentException if it is null or not 1 to 100 of the allowed characters
   */
  static void checkKind(String kind) {
    if (kind == null) {
      throw new IllegalArgumentException("kind must not be null");
    }
    if (!KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException(
          "kind must be 1 to "
              + MAX_KIND_LENGTH
              + " characters of letters, digits, '_', '.', ':' or '-', was '"
              + (kind.length() > MAX_KIND_LENGTH
                  ? kind.substring(0, MAX_KIND_LENGTH) + "..."
                  : kind)
              + "'");
    }
  }

  private static Map<String, String> checkMetadata(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return Map.of();
    }
    if (metadata.size() > MAX_METADATA_ENTRIES) {
      throw new IllegalArgumentException(
          "metadata has " + metadata.size() + " entries, the limit is " + MAX_METADATA_ENTRIES);
    }
    Map<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      checkText("metadata key", e.getKey(), MAX_METADATA_LENGTH);
      if (e.getValue() == null) {
        throw new IllegalArgumentException(
            "metadata value of '" + e.getKey() + "' must not be null");
      }
      if (e.getValue().length() > MAX_METADATA_LENGTH || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "metadata value of '"
                + e.getKey()
                + "' must be at most "
                + MAX_METADATA_LENGTH
                + " characters without NUL");
      }
      copy.put(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableMap(copy);
  }

  /**
   * Returns a copy of this job with one more metadata entry (or that key's value replaced): what an
   * enqueue interceptor uses to carry context, such as a trace, to the worker.
   *
   * @param key the key
   * @param value the value
   * @return the new job
   * @throws IllegalArgumentException if the entry breaks the metadata limits
   */
  public NewJob withMetadata(String key, String value) {
    Map<String, String> more = new LinkedHashMap<>(metadata);
    more.put(key, value);
    return new NewJob(
        kind,
        args,
        prompt,
        sessionId,
        priority,
        maxAttempts,
        runAt,
        delay,
        idempotencyKey,
        more,
        unique,
        concurrencyKey);
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
    return new Builder(CODING_SESSION_KIND, null, prompt);
  }

  /**
   * A job of the arguments' kind with every default: priority 0, three attempts, run now.
   *
   * @param args the arguments; their {@link JobArgs#kind()} routes the job to its handler
   * @return the job
   * @throws IllegalArgumentException if the arguments are null or their kind is not valid
   */
  public static NewJob of(JobArgs args) {
    return builder(args).build();
  }

  /**
   * Starts a builder for a job of the arguments' kind. Every option of a prompt job applies but
   * {@link Builder#sessionId}, which belongs to coding sessions.
   *
   * @param args the arguments (checked in {@link Builder#build()})
   * @return a builder with every default
   */
  public static Builder builder(JobArgs args) {
    return new Builder(args == null ? null : args.kind(), args, null);
  }

  /** Builds a {@link NewJob}. Not thread-safe; checks everything in {@link #build()}. */
  public static final class Builder {
    private final String kind;
    private final JobArgs args;
    private final String prompt;
    private UUID sessionId;
    private int priority;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Instant runAt;
    private Duration delay = Duration.ZERO;
    private String idempotencyKey;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private UniqueOptions unique;
    private String concurrencyKey;

    private Builder(String kind, JobArgs args, String prompt) {
      this.kind = kind;
      this.args = args;
      this.prompt = prompt;
    }

    /**
     * Puts the job in an existing session; coding sessions only. Default: a new session is created
     * with the job, with only the columns the SDK knows (id, status); on a database whose {@code
     * coding_sessions} requires more (a seed-era table with NOT NULL {@code user_id}), create the
     * session yourself and pass its id, or the enqueue fails with a {@link QueueException}.
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
     * Adds a metadata entry: context that travels with the job to the worker, such as a trace
     * parent. Usually written by an enqueue interceptor rather than by hand. Default: none.
     *
     * @param key 1 to {@link #MAX_METADATA_LENGTH} characters
     * @param value at most {@link #MAX_METADATA_LENGTH} characters
     * @return this builder
     */
    public Builder metadata(String key, String value) {
      this.metadata.put(key, value);
      return this;
    }

    /**
     * Makes the job unique: enqueueing it while a job of the same kind with the same arguments (or
     * chosen fields), in the same period, is in one of the chosen states writes nothing and returns
     * that job. For a prompt job the arguments are {@code prompt} and, when set, {@code sessionId}.
     * Enqueueing fails with an {@link IllegalArgumentException} when the arguments lack a chosen
     * field. Default: not unique.
     *
     * @param unique the options, or {@code null} for none
     * @return this builder
     * @see UniqueOptions
     */
    public Builder unique(@Nullable UniqueOptions unique) {
      this.unique = unique;
      return this;
    }

    /**
     * Gives the job a concurrency key: jobs with the same key run one at a time across every
     * worker, in enqueue order. A job behind a running one waits without spending an attempt or
     * holding a handler slot; while the first unfinished job of a key waits for a retry or a
     * snooze, the jobs behind it wait too. Default: none, which for a coding session means its
     * session id, so the prompts of one session run one after another; give a prompt a key of its
     * own to let it run beside the others.
     *
     * @param concurrencyKey 1 to {@link #MAX_CONCURRENCY_KEY_LENGTH} characters, or {@code null}
     *     for the default
     * @return this builder
     */
    public Builder concurrencyKey(@Nullable String concurrencyKey) {
      this.concurrencyKey = concurrencyKey;
      return this;
    }

    /**
     * Checks the settings and builds the job.
     *
     * @return the job
     * @throws IllegalArgumentException naming the first setting that is wrong
     */
    public NewJob build() {
      if (kind == null && args == null) {
        throw new IllegalArgumentException("args must not be null");
      }
      return new NewJob(
          kind,
          args,
          prompt,
          sessionId,
          priority,
          maxAttempts,
          runAt,
          delay,
          idempotencyKey,
          metadata,
          unique,
          concurrencyKey);
    }
  }
}
