package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Estimated figures: marked with ~ in the block, and no throughput derived from them. */
class QueueStatsEstimatesTest {
  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

  private static QueueStats stats(long completed, long failed, Set<JobStatus> estimated) {
    return new QueueStats(
        5,
        2,
        completed,
        failed,
        0,
        0,
        0,
        Duration.ofSeconds(15),
        Map.of(PlanTier.PRO, 3L, PlanTier.STARTER, 1L, PlanTier.FREE, 1L),
        Map.of(),
        estimated);
  }

  @Test
  void estimatedCountsArePrintedWithATilde() {
    QueueStats s = stats(900_000, 40, Set.of(JobStatus.COMPLETED));
    String block = QueueMonitor.evaluate(null, s, T0, HealthThresholds.DEFAULTS).format();
    assertThat(block)
        .contains("  Completed: ~900000\n")
        .contains("  Failed: 40\n")
        .contains("~ estimated");
    assertThat(s.estimated()).isTrue();
    assertThat(s.countText(JobStatus.FAILED, 40)).isEqualTo("40");
  }

  @Test
  void countedStatisticsPrintAsBefore() {
    QueueStats s = stats(143, 1, Set.of());
    String block = QueueMonitor.evaluate(null, s, T0, HealthThresholds.DEFAULTS).format();
    assertThat(block).contains("  Completed: 143\n").doesNotContain("~");
    assertThat(s.estimated()).isFalse();
    assertThat(new QueueStats(5, 2, 143, 1, 0, 0, 0, Duration.ZERO, Map.of(), Map.of()))
        .isEqualTo(
            new QueueStats(5, 2, 143, 1, 0, 0, 0, Duration.ZERO, Map.of(), Map.of(), Set.of()));
  }

  @Test
  void noRateIsDerivedFromTwoEstimates() {
    QueueReport first =
        QueueMonitor.evaluate(
            null,
            stats(900_000, 50_000, Set.of(JobStatus.COMPLETED, JobStatus.FAILED)),
            T0,
            HealthThresholds.DEFAULTS);
    // The next estimate is off by sampling error: more "failed" than before, fewer "completed".
    QueueReport second =
        QueueMonitor.evaluate(
            first,
            stats(890_000, 58_000, Set.of(JobStatus.COMPLETED, JobStatus.FAILED)),
            T0.plusSeconds(30),
            HealthThresholds.DEFAULTS);
    assertThat(second.completedPerMinute()).isZero();
    assertThat(second.failedPerMinute()).isZero();
    assertThat(second.health()).isEqualTo(QueueReport.Health.HEALTHY);
  }
}
