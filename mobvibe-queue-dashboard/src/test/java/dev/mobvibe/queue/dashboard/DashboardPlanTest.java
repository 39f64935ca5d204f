package dev.mobvibe.queue.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.test.MobVibeQueueExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard's statements on a table of 1,000,000 jobs: no plan reads {@code coding_jobs}
 * sequentially, in both the planner's custom and generic modes; the overview's answer time is
 * printed (not asserted: the machines are shared).
 */
class DashboardPlanTest {
  @RegisterExtension static final MobVibeQueueExtension mvq = MobVibeQueueExtension.create();

  static final int JOBS = 1_000_000;
  static final UUID SESSION = UUID.fromString("00000000-0000-4000-8000-000000000001");

  /** A session of a few jobs, three days old: how most sessions look. */
  static final UUID SMALL_SESSION = UUID.fromString("00000000-0000-4000-8000-000000000002");

  static final int SMALL_SESSION_JOBS = 5;

  @Test
  void noStatementScansTheJobsTableSequentially() throws SQLException {
    generate();
    DashboardData data = new DashboardData(mvq.queue().dataSource(), mvq.queue().schema());
    Instant midway = Instant.now().minusSeconds(JOBS / 4);
    DashboardData.Cursor deep = new DashboardData.Cursor(midway, new UUID(-1L, -1L));

    for (String mode : List.of("auto", "force_generic_plan")) {
      Map<String, String> plans = new LinkedHashMap<>();
      DashboardData explaining =
          data.explaining(
              new DashboardData.PlanSink() {
                @Override
                public String planCacheMode() {
                  return mode;
                }

                @Override
                public void accept(String statement, String plan) {
                  plans.merge(name(statement), plan, (a, b) -> a + "----\n" + b);
                }
              });
      explaining.countsByKind(explaining.countsByStatus());
      explaining.recentActivity();
      explaining.heldJobs();
      for (DashboardData.Filter f : filters()) {
        explaining.jobs(f, DashboardData.Cursor.FIRST, DashboardHandler.PAGE_SIZE);
        explaining.jobs(f, deep, DashboardHandler.PAGE_SIZE);
      }
      explaining.events(SESSION);
      explaining.session(SESSION);
      plans.forEach(
          (name, plan) -> {
            System.out.println("== " + mode + " " + name + "\n" + plan);
            assertThat(plan).as(mode + " " + name).doesNotContain("Seq Scan on coding_jobs");
          });
      assertThat(plans).hasSize(DashboardSql.ALL.length);
      // Migration 6's index serves what it was made for.
      assertThat(plans.get("JOBS_PAGE_OF_SESSION")).contains("coding_jobs_session_idx");
    }

    // The answer times, warm (each figure read once before).
    Map<String, Supplier<Object>> timed = new LinkedHashMap<>();
    Map<JobStatus, DashboardData.StatusCount> read = data.countsByStatus();
    timed.put(
        "overview (all four statements)",
        () -> {
          Map<JobStatus, DashboardData.StatusCount> counts = data.countsByStatus();
          return List.of(counts, data.countsByKind(counts), data.recentActivity(), data.heldJobs());
        });
    timed.put("  counts by status and tier", data::countsByStatus);
    timed.put("  counts by kind", () -> data.countsByKind(read));
    timed.put("  last hour's activity", data::recentActivity);
    timed.put("  workers", data::heldJobs);
    for (DashboardData.Filter f : filters()) {
      timed.put("list " + f, () -> data.jobs(f, DashboardData.Cursor.FIRST, 50));
      timed.put("list deep " + f, () -> data.jobs(f, deep, 50));
    }
    // Once more at the end: the first figure is the one a busy moment of the machine distorts.
    timed.put("overview again", timed.get("overview (all four statements)"));
    StringBuilder report = new StringBuilder("answer times on " + JOBS + " jobs (median of 5):\n");
    timed.forEach(
        (name, call) -> {
          call.get();
          long[] ms = new long[5];
          for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            call.get();
            ms[i] = (System.nanoTime() - t0) / 1_000_000;
          }
          Arrays.sort(ms);
          report.append(String.format("%6d ms  %s%n", ms[2], name));
        });
    System.out.println(report);
    // Open jobs are counted; finished ones past the core's threshold are estimated, close to
    // the truth (the generator's shares are exact: 95% completed, 1% failed, 1% cancelled). The
    // shares come from ANALYZE's sample of 30,000 rows: a 1% status is about 300 sampled rows,
    // so one standard deviation is about 6%; the bounds are four of them.
    Map<JobStatus, DashboardData.StatusCount> counts = data.countsByStatus();
    assertThat(counts.get(JobStatus.PENDING).total())
        .isEqualTo(new DashboardData.Count(JOBS / 50, DashboardData.Precision.EXACT));
    assertThat(counts.get(JobStatus.PROCESSING).total())
        .isEqualTo(new DashboardData.Count(JOBS / 100, DashboardData.Precision.EXACT));
    for (JobStatus s : DashboardData.FINISHED) {
      DashboardData.Count total = counts.get(s).total();
      long truth = s == JobStatus.COMPLETED ? JOBS * 95L / 100 : JOBS / 100;
      assertThat(total.precision()).as(s.name()).isEqualTo(DashboardData.Precision.ESTIMATE);
      assertThat(total.shown()).startsWith("~");
      int bound = s == JobStatus.COMPLETED ? 5 : 25;
      assertThat((double) total.n()).as(s.name()).isCloseTo(truth, withinPercentage(bound));
      for (PlanTier t : PlanTier.values()) {
        assertThat((double) counts.get(s).byTier().get(t).n())
            .as(s + " " + t)
            .isCloseTo(truth / 3.0, withinPercentage(bound + 10));
      }
    }
    Map<String, Map<JobStatus, DashboardData.Count>> kinds = data.countsByKind(counts);
    assertThat(kinds).containsOnlyKeys("coding_session", "send_email", "resize_image");
    assertThat(kinds.values())
        .allSatisfy(
            k -> {
              assertThat(k.get(JobStatus.PENDING).precision())
                  .isEqualTo(DashboardData.Precision.EXACT);
              assertThat((double) k.get(JobStatus.PENDING).n())
                  .isCloseTo(JOBS / 150.0, withinPercentage(1));
              assertThat(k.get(JobStatus.FAILED).precision())
                  .isEqualTo(DashboardData.Precision.ESTIMATE);
            });
    // Every worker is counted whole and listed up to the limit.
    Map<String, DashboardData.Worker> workers = data.heldJobs();
    assertThat(workers).containsOnlyKeys("worker-0", "worker-1", "worker-2", "worker-3");
    assertThat(workers.values())
        .allSatisfy(
            w -> {
              assertThat(w.held()).isEqualTo(JOBS / 100 / 4);
              assertThat(w.jobs()).hasSize(DashboardData.HELD_JOBS_PER_WORKER);
              assertThat(w.nextLeaseExpiry()).isNotNull();
            });
    // A session of a few jobs is listed through its own index, not by walking the status index.
    assertThat(
            data.jobs(new DashboardData.Filter(null, null, null, SMALL_SESSION), deep, 50).rows())
        .hasSize(SMALL_SESSION_JOBS);

    // The generator's 10,000 running jobs (2,500 per worker) are far more than workers run at
    // once, and the processing parts of the overview read each of them. Timed again with 1,000.
    try (Connection c = mvq.queue().dataSource().getConnection();
        java.sql.Statement st = c.createStatement()) {
      String s = '"' + mvq.queue().schema() + '"';
      st.execute("SET session_replication_role = replica");
      st.execute(
          "UPDATE "
              + s
              + ".coding_jobs SET status = 'completed', completed_at = started_at,"
              + " lease_owner = NULL, lease_expires_at = NULL"
              + " WHERE status = 'processing'"
              + " AND id IN (SELECT id FROM "
              + s
              + ".coding_jobs WHERE status = 'processing' ORDER BY id OFFSET 1000)");
      st.execute("SET session_replication_role = DEFAULT");
      st.execute("VACUUM ANALYZE " + s + ".coding_jobs");
    }
    Supplier<Object> overview = timed.get("overview (all four statements)");
    overview.get();
    long[] ms = new long[5];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      overview.get();
      ms[i] = (System.nanoTime() - t0) / 1_000_000;
    }
    Arrays.sort(ms);
    System.out.printf("%6d ms  overview with 1,000 running jobs%n", ms[2]);
    assertThat(data.countsByStatus().get(JobStatus.PROCESSING).total().n()).isEqualTo(1000);
  }

  static List<DashboardData.Filter> filters() {
    List<DashboardData.Filter> filters = new ArrayList<>();
    filters.add(DashboardData.Filter.NONE);
    for (JobStatus s : JobStatus.values()) {
      filters.add(new DashboardData.Filter(s, null, null, null));
    }
    filters.add(new DashboardData.Filter(null, "send_email", null, null));
    filters.add(new DashboardData.Filter(JobStatus.FAILED, "send_email", null, null));
    filters.add(new DashboardData.Filter(null, null, PlanTier.PRO, null));
    filters.add(new DashboardData.Filter(JobStatus.PENDING, null, PlanTier.FREE, null));
    filters.add(new DashboardData.Filter(null, null, null, SESSION));
    filters.add(new DashboardData.Filter(null, null, null, SMALL_SESSION));
    filters.add(new DashboardData.Filter(JobStatus.COMPLETED, null, null, SMALL_SESSION));
    return filters;
  }

  static String name(String statement) {
    for (var f : DashboardSql.class.getDeclaredFields()) {
      try {
        if (f.getType() == String.class && statement.equals(f.get(null))) {
          return f.getName();
        }
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
    return statement;
  }

  /**
   * One million jobs: 2% pending, 1% processing (held by four workers), 1% failed, 1% cancelled,
   * the rest completed; three tiers, three kinds; one every half second over the last six days;
   * with session events for one session. A third of the jobs belong to one session; five more,
   * three days old, to another.
   */
  static void generate() throws SQLException {
    String url;
    String user;
    try (Connection pooled = mvq.queue().dataSource().getConnection()) {
      url = pooled.getMetaData().getURL();
      user = pooled.getMetaData().getUserName();
    }
    // A connection of its own: the queue's pool has statement and socket timeouts meant for
    // a worker, not for loading a million rows on a shared machine.
    int q = url.indexOf('?');
    url = (q < 0 ? url : url.substring(0, q)) + "?user=" + user;
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      String s = '"' + mvq.queue().schema() + '"';
      // Triggers (NOTIFY per row) and foreign-key checks are not what this test measures.
      st.execute("SET session_replication_role = replica");
      st.execute("INSERT INTO " + s + ".coding_sessions (id) VALUES ('" + SESSION + "')");
      st.execute(
          "INSERT INTO "
              + s
              + ".coding_jobs (id, session_id, prompt, status, priority, kind, args, created_at,"
              + " run_at, started_at, completed_at, lease_owner, lease_expires_at, errors)"
              + " SELECT gen_random_uuid(),"
              + "  CASE WHEN k = 0 THEN '"
              + SESSION
              + "'::uuid END,"
              + "  CASE WHEN k = 0 THEN 'prompt ' || g END,"
              + "  CASE WHEN g % 100 < 2 THEN 'pending' WHEN g % 100 < 3 THEN 'processing'"
              + "       WHEN g % 100 < 4 THEN 'failed' WHEN g % 100 < 5 THEN 'cancelled'"
              + "       ELSE 'completed' END,"
              + "  (ARRAY[0, 5, 10])[1 + g % 3],"
              + "  (ARRAY['coding_session', 'send_email', 'resize_image'])[1 + k],"
              + "  CASE WHEN k = 0 THEN '{}'::jsonb ELSE jsonb_build_object('n', g) END,"
              + "  t, t, t, CASE WHEN g % 100 >= 3 THEN t + interval '2 seconds' END,"
              + "  CASE WHEN g % 100 = 2 THEN 'worker-' || (g / 100 % 4) END,"
              + "  CASE WHEN g % 100 = 2 THEN now() + interval '5 minutes' END,"
              + "  CASE WHEN g % 100 = 3 THEN jsonb_build_array(jsonb_build_object('attempt', 1,"
              + "       'error', 'boom', 'at', t + interval '1 second', 'worker', 'worker-1'))"
              + "       ELSE '[]'::jsonb END"
              + " FROM (SELECT g, (g / 7) % 3 AS k,"
              + "              now() - make_interval(secs => ("
              + JOBS
              + " - g) * 0.5) AS t"
              + "         FROM generate_series(1, "
              + JOBS
              + ") g) x");
      st.execute("INSERT INTO " + s + ".coding_sessions (id) VALUES ('" + SMALL_SESSION + "')");
      st.execute(
          "INSERT INTO "
              + s
              + ".coding_jobs (session_id, prompt, status, created_at, completed_at)"
              + " SELECT '"
              + SMALL_SESSION
              + "', 'small ' || g, 'completed', now() - interval '3 days' - make_interval(secs"
              + " => g), now() - interval '3 days' FROM generate_series(1, "
              + SMALL_SESSION_JOBS
              + ") g");
      st.execute(
          "INSERT INTO "
              + s
              + ".session_events (session_id, event_type, event_data, created_at)"
              + " SELECT '"
              + SESSION
              + "', 'thinking', jsonb_build_object('n', g), now() - make_interval(secs => g)"
              + " FROM generate_series(1, 2000) g");
      st.execute("SET session_replication_role = DEFAULT");
      st.execute("VACUUM ANALYZE " + s + ".coding_jobs");
      st.execute("ANALYZE " + s + ".session_events");
    }
  }
}
