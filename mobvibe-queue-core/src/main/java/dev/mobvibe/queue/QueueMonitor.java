package dev.mobvibe.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the queue statistics at an interval and logs the seed's block (📊 Queue Statistics) plus
 * throughput, success rate, pending per plan tier, the counts per job kind (when there are kinds
 * other than the seed's) and a health verdict from {@link HealthThresholds}; see {@link
 * QueueReport#format()}. A failing read is logged and tried again at the next tick; it never stops
 * the monitor.
 *
 * <pre>{@code
 * QueueMonitor monitor = QueueMonitor.builder(queue).build();
 * monitor.startMonitoring(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Thread-safe. Owns one daemon thread, {@code mobvibe-monitor}, while monitoring.
 */
public final class QueueMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueueMonitor.class);

  /** Interval of {@link #startMonitoring()}: 30 seconds (the seed's MONITOR_INTERVAL_MS). */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

  private final JobQueue queue;
  private final HealthThresholds thresholds;
  private final Clock clock;
  private final Consumer<QueueReport> sink;
  private ScheduledExecutorService timer;
  private volatile QueueReport last;

  private QueueMonitor(Builder b) {
    this.queue = b.queue;
    this.thresholds = b.thresholds;
    this.clock = b.clock;
    this.sink = b.sink;
  }

  /**
   * Starts a builder.
   *
   * @param queue the queue to watch; not closed by the monitor
   * @return a builder with every default
   */
  public static Builder builder(JobQueue queue) {
    return new Builder(queue);
  }

  /** Starts monitoring every {@link #DEFAULT_INTERVAL}. */
  public void startMonitoring() {
    startMonitoring(DEFAULT_INTERVAL);
  }

  /**
   * Starts monitoring: a reading now, then one every {@code interval}.
   *
   * @param interval at least 10 ms
   * @throws IllegalArgumentException if the interval is too short
   * @throws IllegalStateException if already monitoring
   */
  public synchronized void startMonitoring(Duration interval) {
    if (interval == null || interval.toMillis() < 10) {
      throw new IllegalArgumentException("interval must be at least 10 ms, was " + interval);
    }
    if (timer != null) {
      throw new IllegalStateException("already monitoring; call stopMonitoring() first");
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mobvibe-monitor");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops monitoring. Idempotent; monitoring can be started again. */
  public synchronized void stopMonitoring() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  /** Same as {@link #stopMonitoring()}. */
  @Override
  public void close() {
    stopMonitoring();
  }

  private void tick() {
    try {
      QueueReport report = checkNow();
      log.info(report.format());
      sink.accept(report);
    } catch (RuntimeException e) {
      log.warn("queue statistics unavailable, retrying at the next tick: {}", e.getMessage());
    }
  }

  /**
   * Reads the statistics now and returns a report; throughput is measured against the previous
   * reading, which this one replaces.
   *
   * @return the report
   * @throws QueueException if the statistics cannot be read
   */
  public QueueReport checkNow() {
    QueueStats stats = queue.getQueueStats();
    List<String> paused = List.copyOf(queue.pausedKinds().keySet());
    Instant now = clock.instant();
    QueueReport report = evaluate(last, stats, now, thresholds, paused);
    last = report;
    return report;
  }

  /**
   * Returns the last report.
   *
   * @return the report, or empty before the first reading
   */
  public Optional<QueueReport> lastReport() {
    return Optional.ofNullable(last);
  }

  static QueueReport evaluate(
      QueueReport previous, QueueStats stats, Instant now, HealthThresholds t) {
    return evaluate(previous, stats, now, t, List.of());
  }

  static QueueReport evaluate(
      QueueReport previous,
      QueueStats stats,
      Instant now,
      HealthThresholds t,
      List<String> pausedKinds) {
    double completedPerMinute = 0;
    double failedPerMinute = 0;
    long completedDelta;
    long failedDelta;
    if (previous == null) {
      completedDelta = stats.completedCount();
      failedDelta = stats.failedCount();
    } else if (stats.estimated() || previous.stats().estimated()) {
      // Two estimates differ by their sampling error, not by what finished: no rate from them.
      completedDelta = 0;
      failedDelta = 0;
    } else {
      // Pruning can lower the counts; a negative delta means "unknown", read as zero.
      completedDelta = Math.max(0, stats.completedCount() - previous.stats().completedCount());
      failedDelta = Math.max(0, stats.failedCount() - previous.stats().failedCount());
      double minutes = Duration.between(previous.at(), now).toMillis() / 60_000.0;
      if (minutes > 0) {
        completedPerMinute = completedDelta / minutes;
        failedPerMinute = failedDelta / minutes;
      }
    }
    long outcomes = completedDelta + failedDelta;
    double successRate = outcomes == 0 ? 1.0 : (double) completedDelta / outcomes;
    double failureRate = outcomes == 0 ? 0.0 : (double) failedDelta / outcomes;

    List<String> reasons = new ArrayList<>();
    QueueReport.Health health = QueueReport.Health.HEALTHY;
    health =
        grade(
            health,
            reasons,
            stats.pendingCount() >= t.unhealthyPending(),
            stats.pendingCount() >= t.degradedPending(),
            stats.pendingCount() + " pending");
    health =
        grade(
            health,
            reasons,
            stats.oldestPendingAge().compareTo(t.unhealthyOldestPending()) >= 0,
            stats.oldestPendingAge().compareTo(t.degradedOldestPending()) >= 0,
            "oldest pending " + stats.oldestPendingAgeText());
    health =
        grade(
            health,
            reasons,
            outcomes > 0 && failureRate >= t.unhealthyFailureRate(),
            outcomes > 0 && failureRate >= t.degradedFailureRate(),
            String.format(java.util.Locale.ROOT, "failure rate %.1f%%", failureRate * 100));
    health =
        grade(
            health,
            reasons,
            stats.expiredLeaseCount() >= t.unhealthyExpiredLeases(),
            stats.expiredLeaseCount() >= t.degradedExpiredLeases(),
            stats.expiredLeaseCount() + " expired leases");
    return new QueueReport(
        now, stats, completedPerMinute, failedPerMinute, successRate, health, reasons, pausedKinds);
  }

  private static QueueReport.Health grade(
      QueueReport.Health current,
      List<String> reasons,
      boolean unhealthy,
      boolean degraded,
      String reason) {
    if (unhealthy) {
      reasons.add(reason);
      return QueueReport.Health.UNHEALTHY;
    }
    if (degraded) {
      reasons.add(reason);
      return current == QueueReport.Health.UNHEALTHY ? current : QueueReport.Health.DEGRADED;
    }
    return current;
  }

  /** Builds a {@link QueueMonitor}. Not thread-safe. */
  public static final class Builder {
    private final JobQueue queue;
    private HealthThresholds thresholds = HealthThresholds.DEFAULTS;
    private Clock clock = Clock.systemUTC();
    private Consumer<QueueReport> sink = r -> {};

    private Builder(JobQueue queue) {
      this.queue = queue;
    }

    /**
     * Sets the health limits. Default {@link HealthThresholds#DEFAULTS}.
     *
     * @param thresholds the limits
     * @return this builder
     */
    public Builder thresholds(HealthThresholds thresholds) {
      this.thresholds = thresholds;
      return this;
    }

    /**
     * Sets the clock that times readings (for throughput). Default the system clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Also hands every periodic report to this consumer (for example a health endpoint), after
     * logging it. Default none.
     *
     * @param sink the consumer; must not block
     * @return this builder
     */
    public Builder onReport(Consumer<QueueReport> sink) {
      this.sink = sink;
      return this;
    }

    /**
     * Builds the monitor (not started).
     *
     * @return the monitor
     * @throws NullPointerException if a setting is null
     */
    public QueueMonitor build() {
      Objects.requireNonNull(queue, "queue must not be null");
      Objects.requireNonNull(thresholds, "thresholds must not be null");
      Objects.requireNonNull(clock, "clock must not be null");
      Objects.requireNonNull(sink, "onReport must not be null");
      return new QueueMonitor(this);
    }
  }
}
