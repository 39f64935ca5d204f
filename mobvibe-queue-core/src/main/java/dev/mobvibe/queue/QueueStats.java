package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Counts of jobs per state, read in one statement.
 *
 * @param pendingCount jobs waiting, including delayed ones
 * @param processingCount jobs being processed
 * @param completedCount jobs completed
 * @param failedCount jobs in the dead-letter state
 * @param cancelledCount jobs cancelled
 * @param delayedCount pending jobs whose run time is still in the future
 * @param expiredLeaseCount processing jobs whose lease has lapsed (a worker crashed or stalled)
 * @param oldestPendingAge age of the oldest pending job, {@link Duration#ZERO} when none waits
 * @param pendingByTier pending jobs per plan tier (every tier present, zero when none)
 */
public record QueueStats(
    long pendingCount,
    long processingCount,
    long completedCount,
    long failedCount,
    long cancelledCount,
    long delayedCount,
    long expiredLeaseCount,
    Duration oldestPendingAge,
    Map<PlanTier, Long> pendingByTier) {

  /** Checks and copies the components. */
  public QueueStats {
    Objects.requireNonNull(oldestPendingAge, "oldestPendingAge");
    pendingByTier = Map.copyOf(pendingByTier);
  }

  /**
   * Formats the oldest pending age as the seed did: {@code HH:MM:SS}.
   *
   * @return the age, for example {@code 00:00:15}
   */
  public String oldestPendingAgeText() {
    long seconds = oldestPendingAge.toSeconds();
    return String.format(
        Locale.ROOT, "%02d:%02d:%02d", seconds / 3600, (seconds % 3600) / 60, seconds % 60);
  }
}
