package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.QueueStats;
import dev.mobvibe.queue.atsize.AtSizeData;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * At 1,000,000 pending and 1,000,000 finished jobs (vacuumed and analysed), the statistics read no
 * whole table: the planner reaches pending, processing and finished rows through their indexes, and
 * the estimate samples blocks. Plans, not timings: timings are in docs/PERFORMANCE.md.
 */
@Tag("size")
class StatsAtSizePlanTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;

  @BeforeAll
  static void generate() throws SQLException {
    queue =
        db.newQueue(
            JobQueue.builder().statementTimeout(Duration.ZERO).socketTimeout(Duration.ZERO));
    queue.migrate();
    try (Connection c = db.connect()) {
      AtSizeData.generate(c, 1_000_000, 1_000_000);
    }
  }

  private static List<String> plan(Connection c, String sql, int params, Object value)
      throws SQLException {
    List<String> lines = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
      for (int i = 1; i <= params; i++) {
        ps.setObject(i, value);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          lines.add(rs.getString(1));
        }
      }
    }
    return lines;
  }

  @Test
  void theStatisticsStatementsDoNotScanTheWholeTable() throws SQLException {
    JobsSql sql = new JobsSql("public");
    try (Connection c = db.connect()) {
      List<String> unfinished = plan(c, sql.jobsStatsUnfinished, 0, null);
      List<String> bounded =
          plan(c, sql.jobsStatsFinishedBounded, 3, QueueStats.EXACT_FINISHED_UP_TO + 1);
      List<String> sample = plan(c, sql.jobsStatsSample, 1, 1.5f);
      for (List<String> p : List.of(unfinished, bounded, sample)) {
        assertThat(String.join("\n", p)).doesNotContain("Seq Scan on coding_jobs");
      }
      assertThat(String.join("\n", unfinished)).contains("coding_jobs_kind_claim_idx");
      assertThat(String.join("\n", bounded)).contains("coding_jobs_finished_idx");
      assertThat(String.join("\n", sample)).contains("Sample Scan on coding_jobs");
      // The exact statement, for contrast, reads the table whole.
      assertThat(String.join("\n", plan(c, sql.jobsStats, 0, null)))
          .contains("Seq Scan on coding_jobs");
    }
  }

  @Test
  void largeFinishedCountsAreEstimatedAndMarkedWhilePendingIsCounted() {
    QueueStats s = queue.getQueueStats();
    assertThat(s.pendingCount()).isEqualTo(1_000_000);
    assertThat(s.delayedCount()).isEqualTo(10_000);
    assertThat(s.byKind().get("digest").pending()).isEqualTo(100_000);
    assertThat(s.estimatedStatuses())
        .containsExactlyInAnyOrder(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED);
    assertThat(s.completedCount()).isBetween(800_000L, 1_000_000L);
    assertThat(s.failedCount()).isBetween(35_000L, 65_000L);
    assertThat(s.countText(JobStatus.COMPLETED, s.completedCount())).startsWith("~");
    assertThat(s.countText(JobStatus.PENDING, s.pendingCount())).isEqualTo("1000000");
  }
}
