package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * @param estimatedStatuses the statuses whose counts (totals and per kind) are estimates, not
 *     counts: empty when every figure was counted. On a table of more than {@link
 *     #EXACT_UP_TO_ROWS} rows (by the planner's statistics) the queue estimates the counts of
 *     finished statuses that have more than {@link #EXACT_FINISHED_UP_TO} rows instead of counting
 *     the whole table; pending and processing figures are always counted.
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
    Map<String, KindStats> byKind,
    Set<JobStatus> estimatedStatuses) {

  /**
   * The table size, in rows by the planner's statistics, up to which every figure is counted:
   * 100,000. Beyond it the finished statuses are estimated when they are large.
   */
  public static final long EXACT_UP_TO_ROWS = 100_000;

  /**
   * On a large table, a finished status with at most this many jobs is still counted exactly (a
   * short walk of its index): 1,000. Dead letters are usually few, so they stay exact.
   */
  public static final int EXACT_FINISHED_UP_TO = 1_000;

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
   * @param estimatedStatuses see {@link #estimatedStatuses()}
   */
  public QueueStats {
    Objects.requireNonNull(oldestPendingAge, "oldestPendingAge");
    pendingByTier = Map.copyOf(pendingByTier);
    Objects.requireNonNull(byKind, "byKind");
    byKind = Collections.unmodifiableMap(new TreeMap<>(byKind));
    estimatedStatuses =
        estimatedStatuses.isEmpty()
            ? Set.of()
            : Collections.unmodifiableSet(EnumSet.copyOf(estimatedStatuses));
  }

  /**
   * Statistics whose every figure was counted ({@link #estimatedStatuses()} empty).
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
   * @param byKind counts per job kind
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
      Map<PlanTier, Long> pendingByTier,
      Map<String, KindStats> byKind) {
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
        byKind,
        Set.of());
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
        Map.of(),
        Set.of());
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

  /**
   * Tells whether any figure is an estimate.
   *
   * @return true when {@link #estimatedStatuses()} is not empty
   */
  public boolean estimated() {
    return !estimatedStatuses.isEmpty();
  }

  /**
   * Formats the count of a status for people: the number, with a {@code ~} before it when it is an
   * estimate ({@code ~912000}).
   *
   * @param status the status
   * @param count its count (total or of one kind)
   * @return the text
   */
  public String countText(JobStatus status, long count) {
    return (estimatedStatuses.contains(status) ? "~" : "") + count;
  }
}
