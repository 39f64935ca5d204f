package dev.mobvibe.queue;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One reading of {@link QueueMonitor}: the statistics, the throughput since the previous reading,
 * and a health verdict with its reasons.
 *
 * @param at when the statistics were read
 * @param stats the statistics
 * @param completedPerMinute jobs completed per minute since the previous reading (0 on the first)
 * @param failedPerMinute jobs dead-lettered per minute since the previous reading
 * @param successRate completed / (completed + failed) since the previous reading, or over all jobs
 *     on the first reading; 1.0 when there were none
 * @param health the verdict
 * @param reasons why the verdict is not healthy, empty when healthy
 * @param pausedKinds the kinds paused across the cluster ({@link JobQueue#pauseKind}), in name
 *     order; a pause is on purpose, so it does not change the verdict
 */
public record QueueReport(
    Instant at,
    QueueStats stats,
    double completedPerMinute,
    double failedPerMinute,
    double successRate,
    Health health,
    List<String> reasons,
    List<String> pausedKinds) {

  /** The health verdict; see {@link HealthThresholds}. */
  public enum Health {
    /** Every reading under its degraded limit. */
    HEALTHY,
    /** Some reading at or over its degraded limit. */
    DEGRADED,
    /** Some reading at or over its unhealthy limit. */
    UNHEALTHY
  }

  /**
   * Checks and copies the components.
   *
   * @param at see {@link #at()}
   * @param stats see {@link #stats()}
   * @param completedPerMinute see {@link #completedPerMinute()}
   * @param failedPerMinute see {@link #failedPerMinute()}
   * @param successRate see {@link #successRate()}
   * @param health see {@link #health()}
   * @param reasons see {@link #reasons()}
   * @param pausedKinds see {@link #pausedKinds()}
   */
  public QueueReport {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(stats, "stats");
    Objects.requireNonNull(health, "health");
    reasons = List.copyOf(reasons);
    pausedKinds = List.copyOf(pausedKinds);
  }

  /**
   * Formats the report as the seed's statistics block plus throughput, success rate, pending per
   * tier and the verdict. When the queue holds a kind other than {@value
   * NewJob#CODING_SESSION_KIND} ({@link QueueStats#hasOtherKinds()}), one line per kind, in kind
   * order, comes before the verdict: {@code Kind email: 3 pending, 1 processing, 0 failed}. With
   * only the seed's kind the block is as it always was.
   *
   * @return the multi-line block
   */
  public String format() {
    StringBuilder b = new StringBuilder();
    b.append("📊 Queue Statistics:\n");
    b.append("  Pending: ").append(stats.pendingCount()).append('\n');
    b.append("  Processing: ").append(stats.processingCount()).append('\n');
    b.append("  Completed: ")
        .append(stats.countText(JobStatus.COMPLETED, stats.completedCount()))
        .append('\n');
    b.append("  Failed: ")
        .append(stats.countText(JobStatus.FAILED, stats.failedCount()))
        .append('\n');
    b.append("  Oldest pending: ").append(stats.oldestPendingAgeText()).append('\n');
    b.append(
        String.format(
            Locale.ROOT,
            "  Throughput: %.1f completed/min, %.1f failed/min\n",
            completedPerMinute,
            failedPerMinute));
    b.append(String.format(Locale.ROOT, "  Success rate: %.1f%%\n", successRate * 100));
    b.append("  Pending by tier: Pro ")
        .append(stats.pendingByTier().getOrDefault(PlanTier.PRO, 0L))
        .append(", Starter ")
        .append(stats.pendingByTier().getOrDefault(PlanTier.STARTER, 0L))
        .append(", Free ")
        .append(stats.pendingByTier().getOrDefault(PlanTier.FREE, 0L))
        .append('\n');
    if (stats.hasOtherKinds()) {
      stats
          .byKind()
          .forEach(
              (kind, k) ->
                  b.append("  Kind ")
                      .append(kind)
                      .append(": ")
                      .append(k.pending())
                      .append(" pending, ")
                      .append(k.processing())
                      .append(" processing, ")
                      .append(stats.countText(JobStatus.FAILED, k.failed()))
                      .append(" failed\n"));
    }
    if (!pausedKinds.isEmpty()) {
      b.append("  Paused kinds: ").append(String.join(", ", pausedKinds)).append('\n');
    }
    if (stats.estimated()) {
      b.append("  (~ estimated: the table is large; throughput is not derived from estimates)\n");
    }
    b.append("  Health: ").append(health);
    if (!reasons.isEmpty()) {
      b.append(" (").append(String.join("; ", reasons)).append(')');
    }
    return b.toString();
  }
}
