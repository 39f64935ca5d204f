package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.JobHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed worker's current behaviour as a {@link JobHandler}: a simulated coding session. It works
 * for a set time in four steps, emitting {@code thinking}, {@code terminal} and {@code completion}
 * session events as it goes, and fails a share of attempts, so retries, backoff and the dead letter
 * can be watched. It waits with {@link JobContext#awaitCancellation} rather than sleeping, so
 * shutdown, cancel and timeout stop it at once. Thread-safe.
 */
final class SimulatedCodingSession implements JobHandler {
  private static final Logger log = LoggerFactory.getLogger(SimulatedCodingSession.class);

  /** Work per attempt unless set: 1 second, as in the seed. */
  static final Duration DEFAULT_WORK = Duration.ofSeconds(1);

  private static final int STEPS = 4;

  private final Duration work;
  private final double failRate;
  private final Predicate<Job> forcedFailure;

  /**
   * Creates the handler.
   *
   * @param work how long one attempt works; zero or positive
   * @param failRate the share of attempts that fail, 0 to 1
   */
  SimulatedCodingSession(Duration work, double failRate) {
    this(work, failRate, job -> false);
  }

  /**
   * Creates the handler with a rule that makes chosen attempts fail (the demo's poison jobs).
   *
   * @param work how long one attempt works; zero or positive
   * @param failRate the share of attempts that fail at random, 0 to 1
   * @param forcedFailure attempts for which this returns true fail
   */
  SimulatedCodingSession(Duration work, double failRate, Predicate<Job> forcedFailure) {
    Objects.requireNonNull(work, "work must not be null");
    if (work.isNegative()) {
      throw new IllegalArgumentException("work must not be negative, was " + work);
    }
    if (!(failRate >= 0 && failRate <= 1)) {
      throw new IllegalArgumentException("failRate must be between 0 and 1, was " + failRate);
    }
    this.work = work;
    this.failRate = failRate;
    this.forcedFailure = Objects.requireNonNull(forcedFailure, "forcedFailure must not be null");
  }

  @Override
  public void handle(Job job, JobContext ctx) throws Exception {
    boolean fail =
        forcedFailure.test(job)
            || (failRate > 0 && ThreadLocalRandom.current().nextDouble() < failRate);
    Duration step = work.dividedBy(STEPS);
    // The processor puts jobId and sessionId in the MDC: the log pattern shows them.
    log.info(
        "coding session attempt {}/{} ({}, priority {}): {}",
        ctx.attempt(),
        job.maxAttempts(),
        job.tier(),
        job.priority(),
        excerpt(job.prompt()));
    ctx.emitEvent(
        "thinking",
        Map.of("text", "Reading the prompt: " + excerpt(job.prompt()), "attempt", ctx.attempt()));
    pause(ctx, step);
    ctx.emitEvent("thinking", Map.of("text", "Planning the changes"));
    pause(ctx, step);
    ctx.emitEvent("terminal", Map.of("command", "npm test", "output", "running 12 tests"));
    pause(ctx, step);
    if (fail) {
      ctx.emitEvent("terminal", Map.of("command", "npm test", "output", "3 tests failed"));
      log.info("coding session attempt {} failed (simulated)", ctx.attempt());
      throw new IllegalStateException(
          "simulated failure in attempt " + ctx.attempt() + ": the sandbox's tests failed");
    }
    ctx.emitEvent("terminal", Map.of("command", "npm test", "output", "12 tests passed"));
    pause(ctx, work.minus(step.multipliedBy(STEPS - 1)));
    ctx.emitEvent("completion", Map.of("summary", "Done: " + excerpt(job.prompt())));
    log.info("coding session attempt {} done", ctx.attempt());
  }

  private static void pause(JobContext ctx, Duration step) throws InterruptedException {
    if (ctx.awaitCancellation(step)) {
      throw new CancellationException(
          "stopped: " + ctx.cancellationReason().map(Enum::name).orElse("cancelled"));
    }
  }

  private static String excerpt(String prompt) {
    return Cli.excerpt(prompt, 80);
  }

  @Override
  public String toString() {
    return "SimulatedCodingSession[work=" + work.toMillis() + "ms, failRate=" + failRate + "]";
  }
}
