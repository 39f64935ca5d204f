package dev.mobvibe.queue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.HealthThresholds;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.QueueReport;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** How the monitor's verdict and its age become an Actuator status. */
class QueueHealthIndicatorTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();
  private static final Duration INTERVAL = Duration.ofSeconds(30);

  private JobQueue queue;

  @BeforeEach
  void emptyQueue() {
    queue = queue != null ? queue : db.migratedQueue();
    db.emptyQueueTables();
  }

  @Test
  void healthyIsUp() {
    QueueMonitor monitor = QueueMonitor.builder(queue).build();
    QueueReport report = monitor.checkNow();

    Health health = new QueueHealthIndicator(monitor, null, INTERVAL, at(report)).health();

    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails())
        .containsEntry("verdict", "HEALTHY")
        .containsEntry("pending", 0L);
  }

  @Test
  void degradedIsUpWithItsReasons() {
    QueueMonitor monitor = QueueMonitor.builder(queue).thresholds(pendingLimits(1, 2)).build();
    queue.enqueue(NewJob.of("One"));
    QueueReport report = monitor.checkNow();

    Health health = new QueueHealthIndicator(monitor, null, INTERVAL, at(report)).health();

    assertThat(report.health()).isEqualTo(QueueReport.Health.DEGRADED);
    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails()).containsEntry("verdict", "DEGRADED");
    assertThat(health.getDetails().get("reasons")).asList().isNotEmpty();
  }

  @Test
  void unhealthyIsDown() {
    QueueMonitor monitor = QueueMonitor.builder(queue).thresholds(pendingLimits(1, 1)).build();
    queue.enqueue(NewJob.of("One"));
    QueueReport report = monitor.checkNow();

    Health health = new QueueHealthIndicator(monitor, null, INTERVAL, at(report)).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("verdict", "UNHEALTHY");
  }

  @Test
  void aStaleReadingIsDown() {
    QueueMonitor monitor = QueueMonitor.builder(queue).build();
    QueueReport report = monitor.checkNow();
    Clock later =
        Clock.fixed(report.at().plus(INTERVAL.multipliedBy(3)).plusMillis(1), ZoneOffset.UTC);

    Health health = new QueueHealthIndicator(monitor, null, INTERVAL, later).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("verdict", "HEALTHY").containsKey("stale");
  }

  @Test
  void noReadingYetIsUnknown() {
    QueueMonitor monitor = QueueMonitor.builder(queue).build();

    Health health = new QueueHealthIndicator(monitor, null, INTERVAL).health();

    assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
  }

  private static Clock at(QueueReport report) {
    return Clock.fixed(report.at(), ZoneOffset.UTC);
  }

  private static HealthThresholds pendingLimits(long degraded, long unhealthy) {
    HealthThresholds d = HealthThresholds.DEFAULTS;
    return new HealthThresholds(
        degraded,
        unhealthy,
        d.degradedOldestPending(),
        d.unhealthyOldestPending(),
        d.degradedFailureRate(),
        d.unhealthyFailureRate(),
        d.degradedExpiredLeases(),
        d.unhealthyExpiredLeases());
  }
}
