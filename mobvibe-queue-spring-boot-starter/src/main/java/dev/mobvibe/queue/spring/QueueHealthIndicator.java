package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.QueueReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The queue's health for Actuator ({@code /actuator/health}, component {@code mobVibeQueue}): the
 * verdict of the last {@link QueueMonitor} reading, never a query of its own, so a probe costs
 * nothing.
 *
 * <ul>
 *   <li>{@code HEALTHY} and {@code DEGRADED} are {@code UP} (the verdict and its reasons are in the
 *       details); {@code UNHEALTHY} is {@code DOWN}.
 *   <li>No reading yet, or no monitor ({@code mobvibe.queue.monitor.enabled=false}): {@code
 *       UNKNOWN}.
 *   <li>A last reading older than three monitor intervals: {@code DOWN}, since the monitor could
 *       not read the statistics since then (the database does not answer; the log says why).
 * </ul>
 *
 * <p>The details also hold the processor's state, worker id, running jobs, concurrency, last
 * successful claim and notifier state when there is a processor. Thread-safe.
 */
public final class QueueHealthIndicator implements HealthIndicator {
  private final QueueMonitor monitor;
  private final JobProcessor processor;
  private final Duration staleAfter;
  private final Clock clock;

  /**
   * Creates the indicator.
   *
   * @param monitor the monitor whose last reading is the verdict, or {@code null}
   * @param processor the processor whose state goes in the details, or {@code null}
   * @param monitorInterval the monitor's interval; a reading older than three is stale
   * @throws NullPointerException if the interval is null
   */
  public QueueHealthIndicator(
      QueueMonitor monitor, JobProcessor processor, Duration monitorInterval) {
    this(monitor, processor, monitorInterval, Clock.systemUTC());
  }

  QueueHealthIndicator(
      QueueMonitor monitor, JobProcessor processor, Duration monitorInterval, Clock clock) {
    this.monitor = monitor;
    this.processor = processor;
    this.staleAfter =
        Objects.requireNonNull(monitorInterval, "monitorInterval must not be null").multipliedBy(3);
    this.clock = clock;
  }

  /**
   * Returns the health from the last reading.
   *
   * @return the health
   */
  @Override
  public Health health() {
    Optional<QueueReport> last = monitor == null ? Optional.empty() : monitor.lastReport();
    Health.Builder health;
    if (last.isEmpty()) {
      health = Health.unknown().withDetail("verdict", "UNKNOWN");
      if (monitor == null) {
        health.withDetail("monitor", "disabled");
      }
    } else {
      QueueReport report = last.get();
      Instant now = clock.instant();
      boolean stale = report.at().plus(staleAfter).isBefore(now);
      health =
          stale || report.health() == QueueReport.Health.UNHEALTHY ? Health.down() : Health.up();
      health
          .withDetail("verdict", report.health().name())
          .withDetail("reasons", report.reasons())
          .withDetail("readAt", report.at().toString())
          .withDetail("pending", report.stats().pendingCount())
          .withDetail("processing", report.stats().processingCount())
          .withDetail("completed", report.stats().completedCount())
          .withDetail("failed", report.stats().failedCount());
      if (stale) {
        health.withDetail(
            "stale", "no statistics since " + report.at() + ": the database may not answer");
      }
    }
    if (processor != null) {
      health
          .withDetail("processor", processor.state().name())
          .withDetail("workerId", processor.workerId())
          .withDetail("runningJobs", processor.runningJobs())
          .withDetail("concurrency", processor.concurrency());
      processor
          .lastSuccessfulClaim()
          .ifPresent(at -> health.withDetail("lastSuccessfulClaim", at.toString()));
      processor.notifier().ifPresent(n -> health.withDetail("notifierState", n.state().name()));
    }
    return health.build();
  }
}
