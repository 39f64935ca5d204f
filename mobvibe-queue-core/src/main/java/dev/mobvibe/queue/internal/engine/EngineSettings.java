package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.SessionTracking;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * The settings every part of the engine reads, checked once when built. Internal API: build a
 * {@link JobProcessor} instead.
 *
 * @param workerId the lease owner of claimed jobs
 * @param concurrency handler slots
 * @param prefetch jobs claimed beyond free slots: fixed, or the most auto prefetch may hold
 * @param autoPrefetch whether the buffer is sized by the rate handlers finish jobs
 * @param pollInterval how often the producer claims when nothing wakes it
 * @param leaseDuration the lease on claimed jobs
 * @param jobTimeout how long one attempt may run, or {@code null} for no limit
 * @param heartbeatTimeout how long a silent handler keeps its lease, or {@code null} for ever
 * @param shutdownTimeout how long a stop waits for running jobs
 * @param reapInterval how often a claim also reaps expired leases, or {@code null} for the default
 * @param reapGrace how long a lease stays expired before it is reaped, or {@code null} for the
 *     lease duration
 * @param unleasedGrace how long a processing job without a lease (claimed by a seed-era worker) may
 *     run before it is reaped, or {@code null} for {@link JobProcessor#DEFAULT_UNLEASED_GRACE}
 * @param retryPolicy the backoff between attempts
 * @param maxSnoozes how many times a job may snooze; a snooze beyond counts as a failed attempt
 * @param sessionTracking what claims and successes write to the jobs' sessions
 * @param eventBufferCapacity session events that may wait to be written
 * @param handlerThreads the factory of handler threads
 * @param kinds the job kinds the worker claims: those it has handlers for
 * @param fairness how long a due job may wait before it goes ahead of higher priorities, or {@code
 *     null} for strict priority order
 */
public record EngineSettings(
    String workerId,
    int concurrency,
    int prefetch,
    boolean autoPrefetch,
    Duration pollInterval,
    Duration leaseDuration,
    Duration jobTimeout,
    Duration heartbeatTimeout,
    Duration shutdownTimeout,
    Duration reapInterval,
    Duration reapGrace,
    Duration unleasedGrace,
    RetryPolicy retryPolicy,
    int maxSnoozes,
    SessionTracking sessionTracking,
    int eventBufferCapacity,
    ThreadFactory handlerThreads,
    List<String> kinds,
    Duration fairness) {

  /**
   * Checks every setting, naming the first that is wrong, and fills in the default reap interval
   * (half the lease, at least one second) and reap grace (the lease).
   *
   * @throws IllegalArgumentException naming the first setting that is wrong
   * @throws NullPointerException if the worker id, retry policy or thread factory is null
   */
  public EngineSettings {
    Objects.requireNonNull(workerId, "workerId must not be null");
    Objects.requireNonNull(retryPolicy, "retryPolicy must not be null");
    Objects.requireNonNull(handlerThreads, "threadFactory must not be null");
    Objects.requireNonNull(sessionTracking, "sessionTracking must not be null");
    Objects.requireNonNull(kinds, "kinds must not be null");
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("a processor needs a handler for at least one kind");
    }
    kinds = List.copyOf(kinds);
    if (fairness != null) {
      positive("fairness", fairness, Duration.ofMillis(1));
    }
    if (concurrency < 1 || concurrency > 1000) {
      throw new IllegalArgumentException(
          "concurrency must be between 1 and 1000, was " + concurrency);
    }
    positive("pollInterval", pollInterval, Duration.ofMillis(1));
    positive("leaseDuration", leaseDuration, Duration.ofMillis(100));
    if (jobTimeout != null) {
      positive("jobTimeout", jobTimeout, Duration.ofMillis(1));
    }
    if (heartbeatTimeout != null) {
      positive("heartbeatTimeout", heartbeatTimeout, Duration.ofMillis(1));
    }
    if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "shutdownTimeout must be zero or positive, was " + shutdownTimeout);
    }
    if (reapInterval != null) {
      positive("reapInterval", reapInterval, Duration.ofMillis(10));
    } else {
      Duration half = leaseDuration.dividedBy(2);
      reapInterval = half.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : half;
    }
    if (reapGrace == null) {
      reapGrace = leaseDuration;
    } else if (reapGrace.isNegative()) {
      throw new IllegalArgumentException("reapGrace must be zero or positive, was " + reapGrace);
    }
    if (unleasedGrace == null) {
      unleasedGrace = JobProcessor.DEFAULT_UNLEASED_GRACE;
    } else if (unleasedGrace.isNegative()) {
      throw new IllegalArgumentException(
          "unleasedGrace must be zero or positive, was " + unleasedGrace);
    }
    if (!workerId.matches("[A-Za-z0-9._:-]{1,100}")) {
      throw new IllegalArgumentException(
          "workerId must be 1 to 100 characters of letters, digits, '.', '_', ':' or '-', was '"
              + workerId
              + "'");
    }
    if (prefetch < 0 || prefetch > JobProcessor.MAX_PREFETCH) {
      throw new IllegalArgumentException(
          "prefetch must be between 0 and " + JobProcessor.MAX_PREFETCH + ", was " + prefetch);
    }
    if (maxSnoozes < 0) {
      throw new IllegalArgumentException("maxSnoozes must be zero or more, was " + maxSnoozes);
    }
    if (eventBufferCapacity < 1 || eventBufferCapacity > 1_000_000) {
      throw new IllegalArgumentException(
          "eventBufferCapacity must be between 1 and 1000000, was " + eventBufferCapacity);
    }
  }

  /**
   * How long after its last renewal was sent a lease may be reaped by another worker: the lease
   * plus the reap grace. A worker that could not renew for this long stops the handler.
   *
   * @return the lease plus the grace
   */
  Duration reapableAfter() {
    return leaseDuration.plus(reapGrace);
  }

  private static void positive(String name, Duration value, Duration min) {
    if (value == null || value.compareTo(min) < 0) {
      throw new IllegalArgumentException(
          name + " must be at least " + min.toMillis() + " ms, was " + value);
    }
  }
}
