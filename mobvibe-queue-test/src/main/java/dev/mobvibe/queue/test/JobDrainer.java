package dev.mobvibe.queue.test;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PermanentJobFailureException;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.SnoozeJobException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs the jobs of a queue through their handlers synchronously, in the calling thread: a test
 * enqueues, drains, and asserts on the {@link DrainResult} and the stored jobs, with no worker
 * threads and no waiting. Handlers are registered by kind as on {@link
 * dev.mobvibe.queue.JobProcessorBuilder}:
 *
 * <pre>{@code
 * JobDrainer drainer = JobDrainer.builder(queue)
 *     .handler("send_email", SendEmail.class, (email, ctx) -> mailer.send(email))
 *     .build();
 * DrainResult result = drainer.drainAll();
 * }</pre>
 *
 * <p>Time is a {@link TestClock}: a job is due when its {@code run_at} is at or before the clock.
 * {@link #drain()} runs the jobs due now, including retries and snoozes that fall due at once, and
 * leaves later ones pending; {@link #drainAll()} also advances the clock to each next {@code
 * run_at}, so it follows every backoff and snooze until no job of the drainer's kinds is pending.
 * Retry backoffs and snoozes are measured on that clock.
 *
 * <p>The outcomes follow {@link JobHandler}'s rules: returning completes the job (with the output
 * the handler recorded, and its coding session completed); an {@link Exception} is a failed
 * attempt, retried after the retry policy's backoff while attempts remain, else the dead letter
 * (with the session failed); {@link PermanentJobFailureException} and arguments that do not decode
 * into a typed handler's type go to the dead letter at once; {@link SnoozeJobException} reschedules
 * the job without spending an attempt, up to {@link Builder#maxSnoozes}. An {@link Error} thrown by
 * a handler (a failed assertion inside it, say) is not an outcome: it propagates out of the drain
 * and leaves the job processing.
 *
 * <p>The {@link dev.mobvibe.queue.JobContext} is never cancelled and has no time limit; its {@code
 * awaitCancellation(timeout)} returns {@code false} at once after advancing the clock by the
 * timeout; {@code emitEvent} writes the event to {@code session_events} at once and keeps it in the
 * result. Interceptors, per-kind options, timeouts and leases of a processor play no part.
 *
 * <p>Completing and failing use {@link JobQueue}'s public methods; claiming on the test clock,
 * snoozing and rescheduling use statements of the drainer's own on the documented tables. Not
 * thread-safe: drain from one thread, and not while a processor runs the same kinds.
 */
public final class JobDrainer {
  /** The most attempts one drain runs unless set: 10,000. */
  public static final int DEFAULT_MAX_ATTEMPTS_PER_DRAIN = 10_000;

  private final JobQueue queue;
  private final Map<String, JobHandler> handlers;
  private final List<String> kinds;
  private final TestClock clock;
  private final RetryPolicy retryPolicy;
  private final int maxSnoozes;
  private final int maxAttemptsPerDrain;
  private final DrainStore store;

  private JobDrainer(Builder b) {
    this.queue = b.queue;
    this.handlers = Map.copyOf(b.handlers);
    this.kinds = List.copyOf(b.handlers.keySet());
    this.clock = b.clock;
    this.retryPolicy = b.retryPolicy != null ? b.retryPolicy : b.queue.retryPolicy();
    this.maxSnoozes = b.maxSnoozes;
    this.maxAttemptsPerDrain = b.maxAttemptsPerDrain;
    this.store = new DrainStore(queue.dataSource(), queue.schema());
  }

  /**
   * Starts a builder.
   *
   * @param queue the queue whose jobs to drain; migrated
   * @return a builder with every default
   * @throws NullPointerException if the queue is null
   */
  public static Builder builder(JobQueue queue) {
    return new Builder(Objects.requireNonNull(queue, "queue must not be null"));
  }

  /**
   * Runs every job of the drainer's kinds that is due on the clock, one at a time in claim order
   * (highest priority first, oldest first), until none is due. A retry or snooze whose delay is
   * zero runs again in the same drain; later ones stay pending. Does not move the clock (a handler
   * calling {@code awaitCancellation} does).
   *
   * @return what ran
   * @throws IllegalStateException if more than the builder's {@code maxAttemptsPerDrain} attempts
   *     ran, which means jobs keep coming back; the attempts so far are recorded
   */
  public DrainResult drain() {
    return run(false);
  }

  /**
   * Runs every job of the drainer's kinds as {@link #drain()} does and, whenever none is due,
   * advances the clock to the earliest {@code run_at} of the pending ones, until none of those
   * kinds is pending: delayed jobs, every retry after its backoff and every snooze.
   *
   * @return what ran
   * @throws IllegalStateException if more than the builder's {@code maxAttemptsPerDrain} attempts
   *     ran; the attempts so far are recorded
   */
  public DrainResult drainAll() {
    return run(true);
  }

  /**
   * Returns the clock the drainer runs on.
   *
   * @return the clock
   */
  public TestClock clock() {
    return clock;
  }

  private DrainResult run(boolean advanceClock) {
    List<DrainResult.Attempt> attempts = new ArrayList<>();
    while (true) {
      Optional<DrainStore.Claimed> claimed = store.claimNext(kinds, clock.instant());
      if (claimed.isEmpty()) {
        Optional<Instant> next = advanceClock ? store.nextRunAt(kinds) : Optional.empty();
        if (next.isEmpty()) {
          return new DrainResult(attempts);
        }
        clock.advanceTo(next.get());
        continue;
      }
      if (attempts.size() >= maxAttemptsPerDrain) {
        throw new IllegalStateException(
            "the drain ran "
                + maxAttemptsPerDrain
                + " attempts (maxAttemptsPerDrain) and jobs keep coming; last: "
                + attempts.get(attempts.size() - 1).job());
      }
      attempts.add(runOne(claimed.get().id()));
    }
  }

  private DrainResult.Attempt runOne(java.util.UUID id) {
    Job job =
        queue
            .findJob(id)
            .orElseThrow(() -> new IllegalStateException("claimed job " + id + " vanished"));
    DrainContext context = new DrainContext(job, queue.objectMapper(), store, clock);
    Throwable error = null;
    try {
      handlers.get(job.kind()).handle(job, context);
    } catch (Exception e) {
      error = e;
    }
    DrainResult.Outcome outcome = record(job, context, error);
    Job after = queue.findJob(id).orElse(job);
    return new DrainResult.Attempt(after, job.attempt(), outcome, error, context.events());
  }

  private DrainResult.Outcome record(Job job, DrainContext context, Throwable error) {
    if (error == null) {
      queue.completeJob(job.id());
      String output = context.outputJson();
      if (output != null) {
        store.setOutput(job.id(), output);
      }
      return DrainResult.Outcome.COMPLETED;
    }
    if (error instanceof SnoozeJobException snooze) {
      if (job.snoozes() < maxSnoozes) {
        store.snooze(job.id(), clock.instant().plus(snooze.delay()));
        return DrainResult.Outcome.SNOOZED;
      }
      return fail(job, "snoozed more than " + maxSnoozes + " times (maxSnoozes)");
    }
    if (error instanceof PermanentJobFailureException) {
      String message = error.getMessage();
      queue.failJobPermanently(
          job.id(), message == null ? error.getClass().getSimpleName() : message);
      return DrainResult.Outcome.DEAD_LETTERED;
    }
    return fail(job, describe(error));
  }

  private DrainResult.Outcome fail(Job job, String message) {
    if (!queue.failJob(job.id(), message)) {
      return DrainResult.Outcome.DEAD_LETTERED;
    }
    Duration backoff = retryPolicy.backoff(job.attempt());
    store.reschedule(job.id(), clock.instant().plus(backoff));
    return DrainResult.Outcome.RETRIED;
  }

  /** The error message a processor records for a failure: the class and the message. */
  private static String describe(Throwable error) {
    String message = error.getMessage();
    return message == null
        ? error.getClass().getName()
        : error.getClass().getSimpleName() + ": " + message;
  }

  /** Builds a {@link JobDrainer}; every check happens in {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private final JobQueue queue;
    private final Map<String, JobHandler> handlers = new LinkedHashMap<>();
    private final List<String> duplicates = new ArrayList<>();
    private TestClock clock = new TestClock();
    private RetryPolicy retryPolicy;
    private int maxSnoozes = JobProcessor.DEFAULT_MAX_SNOOZES;
    private int maxAttemptsPerDrain = DEFAULT_MAX_ATTEMPTS_PER_DRAIN;

    private Builder(JobQueue queue) {
      this.queue = queue;
    }

    /**
     * Registers the handler of a kind; jobs of other kinds are left alone.
     *
     * @param kind the kind
     * @param handler its handler
     * @return this builder
     */
    public Builder handler(String kind, JobHandler handler) {
      Objects.requireNonNull(kind, "kind must not be null");
      Objects.requireNonNull(handler, "handler must not be null");
      if (handlers.putIfAbsent(kind, handler) != null) {
        duplicates.add(kind);
      }
      return this;
    }

    /**
     * Registers the typed handler of a kind. Arguments are decoded with the queue's {@code
     * ObjectMapper}; arguments that do not decode send the job to the dead letter without calling
     * the handler, as a processor does.
     *
     * @param <A> the arguments' type
     * @param kind the kind
     * @param argsType the type to decode the arguments into
     * @param handler its handler
     * @return this builder
     */
    public <A> Builder handler(String kind, Class<A> argsType, ArgsHandler<A> handler) {
      Objects.requireNonNull(argsType, "argsType must not be null");
      Objects.requireNonNull(handler, "handler must not be null");
      return handler(
          kind,
          (job, ctx) -> {
            A args;
            try {
              args = job.args(queue.objectMapper(), argsType);
            } catch (IllegalArgumentException e) {
              throw new PermanentJobFailureException(e.getMessage(), e);
            }
            handler.handle(args, ctx);
          });
    }

    /**
     * Sets the clock. Default: a new {@link TestClock}, which reads the real time until advanced.
     * Share one clock with the code under test to move both together.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(TestClock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Sets the backoff before a retry, measured on the clock. Default: the queue's {@link
     * JobQueue#retryPolicy()}.
     *
     * @param retryPolicy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    /**
     * Sets how often a job may snooze before a snooze counts as a failed attempt. Default {@value
     * JobProcessor#DEFAULT_MAX_SNOOZES}, as a processor's.
     *
     * @param maxSnoozes zero or more
     * @return this builder
     */
    public Builder maxSnoozes(int maxSnoozes) {
      this.maxSnoozes = maxSnoozes;
      return this;
    }

    /**
     * Sets the most attempts one drain runs before it gives up with an exception, so a job that
     * comes back for ever fails the test instead of hanging it. Default {@value
     * #DEFAULT_MAX_ATTEMPTS_PER_DRAIN}.
     *
     * @param maxAttemptsPerDrain at least 1
     * @return this builder
     */
    public Builder maxAttemptsPerDrain(int maxAttemptsPerDrain) {
      this.maxAttemptsPerDrain = maxAttemptsPerDrain;
      return this;
    }

    /**
     * Checks the settings and builds the drainer.
     *
     * @return the drainer
     * @throws IllegalArgumentException naming the first setting that is wrong: no handler, a kind
     *     registered twice or not valid, a negative {@code maxSnoozes}, a {@code
     *     maxAttemptsPerDrain} below 1
     * @throws NullPointerException if the clock is null
     */
    public JobDrainer build() {
      if (handlers.isEmpty()) {
        throw new IllegalArgumentException("register at least one handler");
      }
      if (!duplicates.isEmpty()) {
        throw new IllegalArgumentException("kind registered twice: " + duplicates.get(0));
      }
      handlers.keySet().forEach(JobDrainer::checkKind);
      Objects.requireNonNull(clock, "clock must not be null");
      if (maxSnoozes < 0) {
        throw new IllegalArgumentException("maxSnoozes must not be negative, was " + maxSnoozes);
      }
      if (maxAttemptsPerDrain < 1) {
        throw new IllegalArgumentException(
            "maxAttemptsPerDrain must be at least 1, was " + maxAttemptsPerDrain);
      }
      return new JobDrainer(this);
    }
  }

  private static void checkKind(String kind) {
    if (!kind.matches("[A-Za-z0-9_.:-]{1," + NewJob.MAX_KIND_LENGTH + "}")) {
      throw new IllegalArgumentException(
          "kind must be 1 to "
              + NewJob.MAX_KIND_LENGTH
              + " characters of letters, digits, _ . : -, was \""
              + kind
              + "\"");
    }
  }
}
