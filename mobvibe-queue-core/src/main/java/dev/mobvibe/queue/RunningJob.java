package dev.mobvibe.queue;

import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
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
  volatile long startedNanos;
  volatile long lastHeartbeatNanos;
  volatile Thread thread;
  volatile ScheduledFuture<?> timeoutFuture;

  private final JobProcessor processor;
  private final AtomicBoolean settled = new AtomicBoolean();
  private final AtomicReference<CancellationReason> cancelled = new AtomicReference<>();
  private final CountDownLatch cancelledLatch = new CountDownLatch(1);

  RunningJob(Job job, JobProcessor processor, long claimedNanos) {
    this.job = job;
    this.processor = processor;
    this.claimedNanos = claimedNanos;
    this.lastHeartbeatNanos = claimedNanos;
  }

  /** Claims the right to record this attempt's outcome. True for the first caller only. */
  boolean settle() {
    return settled.compareAndSet(false, true);
  }

  boolean isSettled() {
    return settled.get();
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

  Duration runTime() {
    long start = startedNanos;
    return start == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - start);
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
    return processor.workerId();
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
    lastHeartbeatNanos = System.nanoTime();
  }

  @Override
  public void emitEvent(String type, Object data) {
    if (type == null || type.isBlank()) {
      throw new IllegalArgumentException("event type must not be blank");
    }
    if (type.length() > MAX_EVENT_TYPE_LENGTH) {
      throw new IllegalArgumentException(
          "event type must be at most " + MAX_EVENT_TYPE_LENGTH + " characters, was " + type);
    }
    String json = EventBuffer.toJsonObject(data == null ? Map.of() : data);
    heartbeat();
    processor.events().offer(new JobStore.SessionEvent(job.sessionId(), type, json, Instant.now()));
  }

  @Override
  public Optional<Duration> timeLeft() {
    Duration timeout = processor.jobTimeout();
    if (timeout == null) {
      return Optional.empty();
    }
    long start = startedNanos == 0 ? System.nanoTime() : startedNanos;
    Duration left = timeout.minusNanos(System.nanoTime() - start);
    return Optional.of(left.isNegative() ? Duration.ZERO : left);
  }

  @Override
  public String toString() {
    return "JobContext[job=" + job.id() + ", attempt=" + job.attempt() + "]";
  }
}
