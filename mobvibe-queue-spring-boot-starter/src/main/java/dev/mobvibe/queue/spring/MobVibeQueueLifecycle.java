package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.QueueMonitor;
import java.time.Duration;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the queue's monitor and processor with the application context and stops them with it. The
 * processor starts after every singleton is ready (so handlers and the schema are in place) and
 * stops gracefully, as {@link JobProcessor#stop()} does: no new claims, running jobs get the
 * processor's shutdown timeout to finish, then outcomes are flushed. The stop runs in the thread
 * that closes the context and returns when the processor has stopped, so the {@code DataSource} is
 * still open for the flush; keep {@code mobvibe.queue.processor.shutdown-timeout} below {@code
 * spring.lifecycle.timeout-per-shutdown-phase}.
 *
 * <p>Its {@link #PHASE} starts it before and stops it after the embedded web server (whose
 * lifecycles sit at {@code DEFAULT_PHASE - 2048} and {@code - 1024}): requests that enqueue are
 * drained before the processor stops. A processor the application started itself is left running at
 * start and stopped at stop. Thread-safe.
 */
public final class MobVibeQueueLifecycle implements SmartLifecycle {

  /** The lifecycle phase: {@code SmartLifecycle.DEFAULT_PHASE - 4096}. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private final JobProcessor processor;
  private final QueueMonitor monitor;
  private final Duration monitorInterval;
  private volatile boolean running;

  /**
   * Creates the lifecycle of a processor and a monitor; either may be absent.
   *
   * @param processor the processor, or {@code null}
   * @param monitor the monitor, or {@code null}
   * @param monitorInterval how often the monitor reads the statistics
   */
  public MobVibeQueueLifecycle(
      JobProcessor processor, QueueMonitor monitor, Duration monitorInterval) {
    this.processor = processor;
    this.monitor = monitor;
    this.monitorInterval = monitorInterval;
  }

  /** Starts the monitor, then the processor when it was not started yet. */
  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    if (monitor != null) {
      monitor.startMonitoring(monitorInterval);
    }
    if (processor != null && processor.state() == JobProcessor.State.NEW) {
      processor.start();
    }
    running = true;
  }

  /** Stops the processor gracefully, then the monitor. */
  @Override
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    try {
      if (processor != null) {
        processor.stop();
      }
    } finally {
      if (monitor != null) {
        monitor.stopMonitoring();
      }
    }
  }

  /**
   * Whether started and not stopped.
   *
   * @return the flag
   */
  @Override
  public boolean isRunning() {
    return running;
  }

  /**
   * Returns {@link #PHASE}.
   *
   * @return the phase
   */
  @Override
  public int getPhase() {
    return PHASE;
  }
}
