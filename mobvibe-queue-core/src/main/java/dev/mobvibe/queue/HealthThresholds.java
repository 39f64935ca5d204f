package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits from which {@link QueueMonitor} derives its health verdict. A reading at or above a
 * "degraded" limit makes the queue {@link QueueReport.Health#DEGRADED}; at or above an "unhealthy"
 * limit, {@link QueueReport.Health#UNHEALTHY}. The verdict is the worst of the four.
 *
 * @param degradedPending pending jobs that make the queue degraded (default 1,000)
 * @param unhealthyPending pending jobs that make it unhealthy (default 10,000)
 * @param degradedOldestPending oldest pending age that makes it degraded (default 5 minutes)
 * @param unhealthyOldestPending oldest pending age that makes it unhealthy (default 30 minutes)
 * @param degradedFailureRate share of failed outcomes since the last report that makes it degraded
 *     (default 0.10)
 * @param unhealthyFailureRate share that makes it unhealthy (default 0.50)
 * @param degradedExpiredLeases processing jobs with an expired lease that make it degraded (default
 *     1)
 * @param unhealthyExpiredLeases expired leases that make it unhealthy (default 10)
 */
public record HealthThresholds(
    long degradedPending,
    long unhealthyPending,
    Duration degradedOldestPending,
    Duration unhealthyOldestPending,
    double degradedFailureRate,
    double unhealthyFailureRate,
    long degradedExpiredLeases,
    long unhealthyExpiredLeases) {

  /** The documented defaults. */
  public static final HealthThresholds DEFAULTS =
      new HealthThresholds(
          1_000, 10_000, Duration.ofMinutes(5), Duration.ofMinutes(30), 0.10, 0.50, 1, 10);

  /**
   * Checks that every limit is positive and each unhealthy limit is at least its degraded one.
   *
   * @param degradedPending see {@link #degradedPending()}
   * @param unhealthyPending see {@link #unhealthyPending()}
   * @param degradedOldestPending see {@link #degradedOldestPending()}
   * @param unhealthyOldestPending see {@link #unhealthyOldestPending()}
   * @param degradedFailureRate see {@link #degradedFailureRate()}
   * @param unhealthyFailureRate see {@link #unhealthyFailureRate()}
   * @param degradedExpiredLeases see {@link #degradedExpiredLeases()}
   * @param unhealthyExpiredLeases see {@link #unhealthyExpiredLeases()}
   */
  public HealthThresholds {
    Objects.requireNonNull(degradedOldestPending, "degradedOldestPending");
    Objects.requireNonNull(unhealthyOldestPending, "unhealthyOldestPending");
    if (degradedPending < 1 || unhealthyPending < degradedPending) {
      throw new IllegalArgumentException(
          "pending limits must satisfy 1 <= degraded <= unhealthy, were "
              + degradedPending
              + " and "
              + unhealthyPending);
    }
    if (degradedOldestPending.isNegative()
        || degradedOldestPending.isZero()
        || unhealthyOldestPending.compareTo(degradedOldestPending) < 0) {
      throw new IllegalArgumentException(
          "oldest pending limits must satisfy 0 < degraded <= unhealthy, were "
              + degradedOldestPending
              + " and "
              + unhealthyOldestPending);
    }
    if (!(degradedFailureRate > 0)
        || unhealthyFailureRate < degradedFailureRate
        || unhealthyFailureRate > 1) {
      throw new IllegalArgumentException(
          "failure rate limits must satisfy 0 < degraded <= unhealthy <= 1, were "
              + degradedFailureRate
              + " and "
              + unhealthyFailureRate);
    }
    if (degradedExpiredLeases < 1 || unhealthyExpiredLeases < degradedExpiredLeases) {
      throw new IllegalArgumentException(
          "expired lease limits must satisfy 1 <= degraded <= unhealthy, were "
              + degradedExpiredLeases
              + " and "
              + unhealthyExpiredLeases);
    }
  }
}
