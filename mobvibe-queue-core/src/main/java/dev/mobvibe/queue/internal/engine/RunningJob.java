package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One claimed job inside a processor, from claim to outcome, and its {@link JobContext}. Exactly
 * one party settles it (the handler's return, its timeout, or the loss of its lease); the others
 * find it settled and do nothing.
 */
final class RunningJob implements JobContext {
  private static final int MAX_EVENT_TYPE_LENGTH = 64;

  final Job job;
  final long claimedNanos;

  /** When the statement that last claimed or renewed the lease was sent, on the ticker. */
  volatile long leaseFromNanos;

  volatile long startedNanos;
  private volatile boolean started;
  volatile long lastHeartbeatNanos;
  volatile Thread thread;
  volatile ScheduledFuture<?> timeoutFuture;

  private final String workerId;
  private final Duration jobTimeout;
  final KindOptions options;
  private final EventWriter events;
  private final Ticker ticker;
  private final AtomicBoolean settled = new AtomicBoolean();
  private final AtomicReference<CancellationReason> cancelled = new AtomicReference<>();
  private final CountDownLatch cancelledLatch = new CountDownLatch(1);
  // The JSON of the last recordOutput, written with the success.
  private volatile String output;

  /**
   * @param job the claimed job
   * @param claimSentNanos when the claim statement was sent, on {@code ticker}: the lease runs from
   *     no earlier than this
   * @param claimedNanos when the claim returned, on {@code ticker}
   * @param workerId the lease owner
   * @param jobTimeout the attempt's time limit, or {@code null}
   * @param events where {@link #emitEvent} sends events
   * @param ticker the engine's time
   */
  RunningJob(
      Job job,
      long claimSentNanos,
      long claimedNanos,
      String workerId,
      Duration jobTimeout,
      EventWriter events,
      Ticker ticker) {
    this(
        job,
        claimSentNanos,
        claimedNanos,
        workerId,
        jobTimeout,
        events,
        ticker,
        KindOptions.DEFAULTS);
  }

  /**
   * @param job the claimed job
   * @param claimSentNanos when the claim statement was sent, on {@code ticker}
   * @param claimedNanos when the claim returned, on {@code ticker}
   * @param workerId the lease owner
   * @param jobTimeout the attempt's time limit, or {@code null}
   * @param events where {@link #emitEvent} sends events
   * @param ticker the engine's time
   * @param options the overrides of the job's kind (attempts and retry policy are read by the
   *     completer)
   */
  RunningJob(
      Job job,
      long claimSentNanos,
      long claimedNanos,
      String workerId,
      Duration jobTimeout,
      EventWriter events,
      Ticker ticker,
      KindOptions options) {
    this.options = options;
    this.job = job;
    this.claimedNanos = claimedNanos;
    this.leaseFromNanos = claimSentNanos;
    this.lastHeartbeatNanos = claimedNanos;
    this.workerId = workerId;
    this.jobTimeout = jobTimeout;
    this.events = events;
    this.ticker = ticker;
  }

  /** The attempt's time limit (the kind's, else the processor's), or {@code null} for none. */
  Duration jobTimeout() {
    return jobTimeout;
  }

  /** Claims the right to record this attempt's outcome. True for the first caller only. */
  boolean settle() {
    return settled.compareAndSet(false, true);
  }

  boolean isSettled() {
    return settled.get();
  }

  /** Marks the handler's start. */
  void started() {
    startedNanos = ticker.nanos();
    lastHeartbeatNanos = startedNanos;
    started = true;
  }

  /** Whether a handler has started on it (a prefetched job has not). */
  boolean hasStarted() {
    return started;
  }

  /** Cancels the context (first reason wins) and interrupts the handler's thread. */
  void cancel(CancellationReason reason) {
    if (cancelled.compareAndSet(null, reason)) {
      cancelledLatch.countDown();
      Thread t = thread;
      if (t != null) {
        t.interrupt();
      }
    }
  }

  /** The output the handler recorded last, as JSON, or {@code null}. */
  String output() {
    return output;
  }

  Duration runTime() {
    return started ? Duration.ofNanos(ticker.nanos() - startedNanos) : Duration.ZERO;
  }

  @Override
  public Job job() {
    return job;
  }

  @Override
  public int attempt() {
    return job.attempt();
  }

  @Override
  public String workerId() {
    return workerId;
  }

  @Override
  public boolean isCancelled() {
    return cancelled.get() != null;
  }

  @Override
  public Optional<CancellationReason> cancellationReason() {
    return Optional.ofNullable(cancelled.get());
  }

  @Override
  public boolean awaitCancellation(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout must not be null");
    return cancelledLatch.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
  }

  @Override
  public void heartbeat() {
    lastHeartbeatNanos = ticker.nanos();
  }

  @Override
  public void emitEvent(String type, Object data) {
    if (job.sessionId() == null) {
      throw new IllegalStateException(
          "job " + job.id() + " of kind " + job.kind() + " has no session to emit events to");
    }
    if (type == null || type.isBlank()) {
      throw new IllegalArgumentException("event type must not be blank");
    }
    if (type.length() > MAX_EVENT_TYPE_LENGTH) {
      throw new IllegalArgumentException(
          "event type must be at most " + MAX_EVENT_TYPE_LENGTH + " characters, was " + type);
    }
    if (type.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("event type must not contain NUL characters");
    }
    String json = events.toJsonObject(data);
    heartbeat();
    events.offer(new JobStore.SessionEvent(job.sessionId(), type, json, Instant.now(), job.id()));
  }

  @Override
  public void recordOutput(Object value) {
    output =
        value == null
            ? null
            : events.toJson(value, "output", JobContext.MAX_OUTPUT_BYTES, "64 KiB");
  }

  @Override
  public Optional<Duration> timeLeft() {
    if (jobTimeout == null) {
      return Optional.empty();
    }
    long now = ticker.nanos();
    long start = started ? startedNanos : now;
    Duration left = jobTimeout.minusNanos(now - start);
    return Optional.of(left.isNegative() ? Duration.ZERO : left);
  }

  @Override
  public String toString() {
    return "JobContext[job=" + job.id() + ", attempt=" + job.attempt() + "]";
  }
}
