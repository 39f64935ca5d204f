package dev.mobvibe.queue.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.QueueMonitor;
import dev.mobvibe.queue.QueueReport;
import dev.mobvibe.queue.QueueStats;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code stats} command: the queue statistics once, as the seed's block (with a line per job
 * kind when there are kinds other than coding_session) or one JSON line (with a {@code kinds}
 * object).
 */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = "Prints the queue statistics once, with pending jobs per plan tier and per kind.")
final class StatsCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(names = "--json", description = "one machine-readable JSON line")
  boolean json;

  private final Cli cli;

  StatsCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() throws JsonProcessingException {
    try (Cli.Opened opened = cli.openQueue(database)) {
      QueueReport report = QueueMonitor.builder(opened.queue()).build().checkNow();
      cli.out().println(json ? JSON.writeValueAsString(toMap(report)) : report.format());
    }
    cli.out().flush();
    return 0;
  }

  static Map<String, Object> toMap(QueueReport report) {
    QueueStats s = report.stats();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pending", s.pendingCount());
    m.put("processing", s.processingCount());
    m.put("completed", s.completedCount());
    m.put("failed", s.failedCount());
    m.put("cancelled", s.cancelledCount());
    m.put("delayed", s.delayedCount());
    m.put("expiredLeases", s.expiredLeaseCount());
    m.put("oldestPendingAgeSeconds", s.oldestPendingAge().toSeconds());
    Map<String, Long> tiers = new LinkedHashMap<>();
    for (PlanTier tier : new PlanTier[] {PlanTier.PRO, PlanTier.STARTER, PlanTier.FREE}) {
      tiers.put(tier.name().toLowerCase(Locale.ROOT), s.pendingByTier().getOrDefault(tier, 0L));
    }
    m.put("pendingByTier", tiers);
    m.put("kinds", kinds(s));
    m.put("pausedKinds", report.pausedKinds());
    if (s.estimated()) {
      m.put("estimated", estimated(s));
    }
    m.put("health", report.health().name());
    m.put("reasons", report.reasons());
    m.put("at", report.at().toString());
    return m;
  }

  /**
   * The counts per job kind as JSON fields: {@code {"send_email": {"pending": 3, "processing": 1,
   * "completed": 9, "failed": 0, "cancelled": 0}}}, kinds in name order.
   */
  static Map<String, Object> kinds(QueueStats s) {
    Map<String, Object> kinds = new LinkedHashMap<>();
    s.byKind()
        .forEach(
            (kind, k) -> {
              Map<String, Long> counts = new LinkedHashMap<>();
              counts.put("pending", k.pending());
              counts.put("processing", k.processing());
              counts.put("completed", k.completed());
              counts.put("failed", k.failed());
              counts.put("cancelled", k.cancelled());
              kinds.put(kind, counts);
            });
    return kinds;
  }

  /**
   * The statuses whose counts are estimates, as JSON: {@code ["completed"]}. The field is written
   * only when there are some (past 100,000 rows), so small queues print what they always did.
   */
  static List<String> estimated(QueueStats s) {
    return s.estimatedStatuses().stream().map(JobStatus::dbValue).sorted().toList();
  }
}
