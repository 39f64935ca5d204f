package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Counts of jobs per state, read in one statement. The counts are of every kind together; {@link
 * #byKind()} splits them per kind. Immutable.
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
 * @param byKind counts per job kind, in kind order: every kind that has at least one job in the
 *     table, so a kind's counts add up to the totals above; empty when not known
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
    Map<PlanTier, Long> pendingByTier,
    Map<String, KindStats> byKind) {

  /**
   * Counts of one job kind per state.
   *
   * @param pending jobs of the kind waiting, including delayed ones
   * @param processing jobs of the kind being processed
   * @param completed jobs of the kind completed
   * @param failed jobs of the kind in the dead-letter state
   * @param cancelled jobs of the kind cancelled
   */
  public record KindStats(
      long pending, long processing, long completed, long failed, long cancelled) {

    /** No jobs in any state. */
    public static final KindStats NONE = new KindStats(0, 0, 0, 0, 0);
  }

  /**
   * Checks and copies the components; {@code byKind} keeps its keys sorted.
   *
   * @param pendingCount see {@link #pendingCount()}
   * @param processingCount see {@link #processingCount()}
   * @param completedCount see {@link #completedCount()}
   * @param failedCount see {@link #failedCount()}
   * @param cancelledCount see {@link #cancelledCount()}
   * @param delayedCount see {@link #delayedCount()}
   * @param expiredLeaseCount see {@link #expiredLeaseCount()}
   * @param oldestPendingAge see {@link #oldestPendingAge()}
   * @param pendingByTier see {@link #pendingByTier()}
   * @param byKind see {@link #byKind()}
   */
  public QueueStats {
    Objects.requireNonNull(oldestPendingAge, "oldestPendingAge");
    pendingByTier = Map.copyOf(pendingByTier);
    Objects.requireNonNull(byKind, "byKind");
    byKind = Collections.unmodifiableMap(new TreeMap<>(byKind));
  }

  /**
   * Statistics without the per-kind figures ({@link #byKind()} empty), as before job kinds.
   *
   * @param pendingCount jobs waiting, including delayed ones
   * @param processingCount jobs being processed
   * @param completedCount jobs completed
   * @param failedCount jobs in the dead-letter state
   * @param cancelledCount jobs cancelled
   * @param delayedCount pending jobs whose run time is still in the future
   * @param expiredLeaseCount processing jobs whose lease has lapsed
   * @param oldestPendingAge age of the oldest pending job
   * @param pendingByTier pending jobs per plan tier
   */
  public QueueStats(
      long pendingCount,
      long processingCount,
      long completedCount,
      long failedCount,
      long cancelledCount,
      long delayedCount,
      long expiredLeaseCount,
      Duration oldestPendingAge,
      Map<PlanTier, Long> pendingByTier) {
    this(
        pendingCount,
        processingCount,
        completedCount,
        failedCount,
        cancelledCount,
        delayedCount,
        expiredLeaseCount,
        oldestPendingAge,
        pendingByTier,
        Map.of());
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

  /**
   * Tells whether the queue holds jobs of a kind other than the seed's {@value
   * NewJob#CODING_SESSION_KIND}, that is whether the per-kind figures say more than the totals.
   *
   * @return true when {@link #byKind()} has more than one kind, or one that is not {@value
   *     NewJob#CODING_SESSION_KIND}
   */
  public boolean hasOtherKinds() {
    return byKind.size() > 1
        || (byKind.size() == 1 && !byKind.containsKey(NewJob.CODING_SESSION_KIND));
  }
}
