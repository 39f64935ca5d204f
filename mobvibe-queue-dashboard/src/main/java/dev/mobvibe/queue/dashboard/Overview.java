package dev.mobvibe.queue.dashboard;

import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.PlanTier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The overview's figures, read once per request; the page renders them and the script polls them as
 * JSON ({@link #toJson}).
 */
record Overview(
    Map<JobStatus, DashboardData.StatusCount> counts,
    Map<String, Map<JobStatus, DashboardData.Count>> kinds,
    DashboardData.Activity activity,
    Map<String, DashboardData.Worker> workers,
    NotifierState notifier,
    Map<String, Instant> paused,
    Instant at) {

  /** The age of the oldest pending job, or null when none waits. */
  Duration oldestPendingAge() {
    Instant oldest = counts.get(JobStatus.PENDING).oldest();
    return oldest == null ? null : Duration.between(oldest, at);
  }

  Map<String, Object> toJson(Duration refresh) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> c = new LinkedHashMap<>();
    counts.forEach(
        (status, sc) -> {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("total", sc.total().n());
          s.put("shown", sc.total().shown());
          s.put("precision", sc.total().precision().name().toLowerCase(Locale.ROOT));
          Map<String, Long> tiers = new LinkedHashMap<>();
          Map<String, String> tiersShown = new LinkedHashMap<>();
          sc.byTier()
              .forEach(
                  (t, n) -> {
                    tiers.put(t.name(), n.n());
                    tiersShown.put(t.name(), n.shown());
                  });
          s.put("tiers", tiers);
          s.put("tiersShown", tiersShown);
          c.put(status.name().toLowerCase(Locale.ROOT), s);
        });
    m.put("counts", c);
    Duration oldest = oldestPendingAge();
    m.put("oldestPending", Html.age(oldest));
    List<Map<String, Object>> k = new ArrayList<>();
    kinds.forEach(
        (kind, byStatus) -> {
          Map<String, Object> row = new LinkedHashMap<>();
          Map<String, String> shown = new LinkedHashMap<>();
          row.put("kind", kind);
          for (JobStatus s : DashboardData.KIND_STATUSES) {
            DashboardData.Count n = byStatus.getOrDefault(s, DashboardData.Count.NONE);
            row.put(s.name().toLowerCase(Locale.ROOT), n.n());
            shown.put(s.name().toLowerCase(Locale.ROOT), n.shown());
          }
          row.put("shown", shown);
          k.add(row);
        });
    m.put("kinds", k);
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("completed", oldestFirst(activity.completed()));
    a.put("failed", oldestFirst(activity.failed()));
    m.put("activity", a);
    List<Map<String, Object>> w = new ArrayList<>();
    workers.forEach(
        (owner, worker) -> {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("owner", owner);
          row.put("held", worker.held());
          List<Map<String, String>> listed = new ArrayList<>();
          for (DashboardData.HeldJob j : worker.jobs()) {
            listed.add(Map.of("id", j.id().toString(), "kind", j.kind()));
          }
          row.put("jobs", listed);
          row.put("nextLeaseExpiry", Html.time(worker.nextLeaseExpiry()));
          w.add(row);
        });
    m.put("workers", w);
    m.put("notifier", notifier == null ? null : notifier.name());
    List<Map<String, String>> p = new ArrayList<>();
    paused.forEach((kind, since) -> p.add(Map.of("kind", kind, "since", Html.time(since))));
    m.put("paused", p);
    m.put("at", Html.time(at));
    m.put("refreshMs", refresh.toMillis());
    return m;
  }

  /** Counts per tier of a status, in the order shown: Pro, Starter, Free. */
  static List<PlanTier> tiersShown() {
    return List.of(PlanTier.PRO, PlanTier.STARTER, PlanTier.FREE);
  }

  private static long[] oldestFirst(long[] byMinutesAgo) {
    long[] out = new long[byMinutesAgo.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = byMinutesAgo[out.length - 1 - i];
    }
    return out;
  }
}
