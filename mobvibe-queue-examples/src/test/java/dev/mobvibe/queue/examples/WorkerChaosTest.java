package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Process-level chaos for the worker jar (DESIGN section 10): workers run as separate JVMs on one
 * queue while the test kills one with SIGKILL mid-job (R2), or cuts every database connection with
 * {@code pg_terminate_backend} twice (R3). Afterwards every job must be completed exactly once,
 * none lost, none left in {@code processing}, and every attempt charged and every handler run
 * accounted for.
 *
 * <p>The evidence comes from three places: the {@code coding_jobs} rows; an audit trigger this test
 * adds to its own database, which records every status change of a job with the lease owner before
 * and after (so it shows who claimed, who completed and when the reaper took a job back); and the
 * handler's "coding session attempt" log line, written (and flushed) before each handler run, which
 * counts runs per job, those of the killed worker included.
 *
 * <p>Each scenario prints one summary line to standard output. The workers' logs are in the test's
 * temporary directory, kept when a scenario fails.
 */
@Tag("faults")
@EnabledOnOs({OS.LINUX, OS.MAC}) // Process.destroy() sends SIGTERM, destroyForcibly() SIGKILL
class WorkerChaosTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  private static final int JOBS = 300;
  private static final long WORK_MS = 150;
  private static final int CONCURRENCY = 4;

  /**
   * The lease the workers take. The reap grace is not a worker setting: it defaults to the lease,
   * so a dead worker's jobs are taken back {@code 2 * LEASE} after their last renewal.
   */
  private static final Duration LEASE = Duration.ofSeconds(3);

  private static final Duration GRACE = LEASE;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /** A handler run: the simulated session's first log line, with the job from the MDC. */
  private static final Pattern RUN =
      Pattern.compile("job=([0-9a-f-]{36}) .* - coding session attempt (\\d+)/\\d+ ");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path tmp;

  private final Map<String, Process> workers = new LinkedHashMap<>();
  private Connection admin;

  @BeforeEach
  void cleanQueueWithAuditTrigger() throws SQLException {
    JobQueue queue = db.migratedQueue();
    assertThat(queue.schemaVersion()).isPositive();
    admin = db.connect();
    admin.setAutoCommit(true);
    try (Statement st = admin.createStatement()) {
      st.execute(
          """
          CREATE TABLE IF NOT EXISTS chaos_transitions (
            job_id uuid NOT NULL,
            old_status text,
            new_status text,
            old_owner text,
            new_owner text,
            old_lease_expires_at timestamptz,
            at timestamptz NOT NULL)""");
      st.execute(
          """
          CREATE OR REPLACE FUNCTION chaos_audit() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            INSERT INTO chaos_transitions
              VALUES (NEW.id, OLD.status, NEW.status, OLD.lease_owner, NEW.lease_owner,
                      OLD.lease_expires_at, now());
            RETURN NULL;
          END $$""");
      st.execute("DROP TRIGGER IF EXISTS chaos_audit ON coding_jobs");
      st.execute(
          "CREATE TRIGGER chaos_audit AFTER UPDATE ON coding_jobs FOR EACH ROW"
              + " WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION chaos_audit()");
      st.execute("TRUNCATE coding_jobs, session_events, coding_sessions, chaos_transitions");
    }
  }

  @AfterEach
  void killWhatIsStillRunning() throws SQLException {
    for (Process p : workers.values()) {
      if (p.isAlive()) {
        p.destroyForcibly(); // only the processes this test started
      }
    }
    if (admin != null) {
      admin.close();
    }
  }

  /**
   * R2: three workers drain the queue; once some jobs are done, the one holding the most jobs is
   * killed with SIGKILL. Its jobs come back after the lease and the grace, charged one attempt
   * each, and finish on the other two; only they may have run twice.
   */
  @Test
  @Timeout(value = 40, unit = TimeUnit.SECONDS)
  void sigkillMidJobReturnsTheDeadWorkersJobsAfterTheLeaseAndNothingElseRunsTwice()
      throws Exception {
    List<String> ids = List.of("chaos-kill-a", "chaos-kill-b", "chaos-kill-c");
    for (String id : ids) {
      startWorker(id);
    }
    awaitReady(ids);
    enqueue(JOBS);

    // Kill once some jobs are done, the worker that holds the most (running or prefetched).
    await()
        .atMost(DRAIN_TIMEOUT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> count("status = 'completed'") >= JOBS / 6 && busiest(ids) != null);
    String victim = busiest(ids);
    Process killed = workers.get(victim);
    killed.destroyForcibly(); // SIGKILL: no shutdown hook, no release, no flush
    assertThat(killed.waitFor(10, TimeUnit.SECONDS)).as("the killed worker exits").isTrue();
    Timestamp killedAt = dbNow();
    // Nothing renews or settles these now: the jobs the dead worker held, as they were.
    Map<String, Timestamp> held =
        map(
            "SELECT id::text, lease_expires_at FROM coding_jobs"
                + " WHERE status = 'processing' AND lease_owner = '"
                + victim
                + "'");
    Map<String, Integer> victimRuns = runs(List.of(victim));
    Set<String> midRun = new HashSet<>(held.keySet());
    midRun.retainAll(victimRuns.keySet());
    assertThat(held).as("jobs %s held when killed", victim).isNotEmpty();
    assertThat(midRun).as("jobs whose handler was running on %s when killed", victim).isNotEmpty();

    await().atMost(DRAIN_TIMEOUT).until(() -> count("status = 'completed'") == JOBS);
    double drainSeconds = secondsSince(killedAt, "SELECT max(completed_at) FROM coding_jobs");
    List<String> survivors = ids.stream().filter(id -> !id.equals(victim)).toList();
    stopGracefully(survivors);

    // The figures first, so that a failing run still prints them.
    Map<String, Integer> retries =
        map("SELECT id::text, retry_count FROM coding_jobs", Integer.class);
    long charged = retries.values().stream().mapToLong(Integer::longValue).sum();
    List<Transition> takenBack =
        transitions("old_status = 'processing' AND new_status <> 'completed'");
    Map<String, Integer> runs = runs(ids);
    Set<String> ranTwice =
        runs.entrySet().stream()
            .filter(e -> e.getValue() > 1)
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    long duplicates = runs.values().stream().mapToLong(n -> n - 1).sum();
    double backAfter =
        takenBack.stream()
            .mapToDouble(t -> (t.at().getTime() - killedAt.getTime()) / 1000.0)
            .min()
            .orElse(Double.NaN);
    System.out.printf(
        Locale.ROOT,
        "R2 kill -9 mid-job: jobs=%d workers=3 faults=1 SIGKILL (held %d, %d mid-run)"
            + " attempts-charged=%d duplicates=%d held-jobs-back-after=%.1fs"
            + " (lease %ds + grace %ds) drain-after-last-fault=%.1fs%n",
        JOBS,
        held.size(),
        midRun.size(),
        charged,
        duplicates,
        backAfter,
        LEASE.toSeconds(),
        GRACE.toSeconds(),
        drainSeconds);

    assertEveryJobCompletedExactlyOnce();
    // The held jobs, and only they, were taken back: one attempt charged each, by the reaper,
    // after their lease and the grace had passed; each then completed on a surviving worker.
    assertThat(
            retries.entrySet().stream()
                .filter(e -> e.getValue() != 0)
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet()))
        .as("jobs charged an attempt")
        .isEqualTo(held.keySet());
    assertThat(charged).as("attempts charged").isEqualTo(held.size());
    assertThat(takenBack)
        .extracting(Transition::job)
        .containsExactlyInAnyOrderElementsOf(held.keySet());
    for (Transition t : takenBack) {
      assertThat(t.newStatus()).as("job %s taken back", t.job()).isEqualTo("pending");
      assertThat(t.oldOwner()).as("job %s taken back", t.job()).isEqualTo(victim);
      assertThat(t.oldLeaseExpiresAt()).isEqualTo(held.get(t.job()));
      assertThat(t.at().toInstant())
          .as("job %s taken back only after its lease and the grace", t.job())
          .isAfter(t.oldLeaseExpiresAt().toInstant().plus(GRACE));
    }
    assertThat(
            map(
                "SELECT id::text, errors -> 0 ->> 'worker' FROM coding_jobs WHERE retry_count > 0",
                String.class))
        .as("the charged attempt names the dead worker")
        .allSatisfy((job, worker) -> assertThat(worker).isEqualTo(victim));
    Map<String, String> completedBy = completedBy();
    assertThat(held.keySet()).allSatisfy(job -> assertThat(completedBy.get(job)).isIn(survivors));
    assertThat(transitions("new_status = 'completed' AND old_owner = '" + victim + "'"))
        .as("completions by the dead worker")
        .allSatisfy(t -> assertThat(t.at()).isBefore(killedAt));

    // Handler runs: every job ran; a second run only for a job the dead worker held, and
    // precisely for those whose handler was running on it.
    assertThat(runs.keySet()).as("jobs whose handler ran").hasSize(JOBS);
    assertThat(runs.values()).as("runs per job").allSatisfy(n -> assertThat(n).isBetween(1, 2));
    assertThat(ranTwice).as("jobs run more than once").isSubsetOf(held.keySet());
    assertThat(ranTwice).as("jobs run twice = jobs mid-run on the dead worker").isEqualTo(midRun);
    assertThat(duplicates).isLessThanOrEqualTo(held.size());
  }

  /**
   * R3: two workers drain the queue while every connection to the test database (the workers'
   * pools, listeners and health probes; not the test's own) is cut twice. Both workers reconnect
   * and carry on; since neither died and each cut is far shorter than the lease and the grace, no
   * lease is lost: no attempt is charged, no job runs twice, and a claim whose reply was lost is
   * handed back, not stranded.
   */
  @Test
  @Timeout(value = 40, unit = TimeUnit.SECONDS)
  void connectionsCutTwiceMidDrainLoseNothingAndChargeNoAttempt() throws Exception {
    List<String> ids = List.of("chaos-cut-a", "chaos-cut-b");
    for (String id : ids) {
      startWorker(id);
    }
    awaitReady(ids);
    enqueue(JOBS);

    List<Integer> cut = new ArrayList<>();
    List<Double> recovery = new ArrayList<>();
    Timestamp lastCut = null;
    long threshold = JOBS / 6;
    for (int i = 1; i <= 2; i++) {
      long atLeast = threshold;
      await()
          .atMost(DRAIN_TIMEOUT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> count("status = 'completed'") >= atLeast);
      Cut c = cutConnections();
      long completedAtCut = count("status = 'completed'");
      assertThat(completedAtCut).as("cut %d comes before the queue is drained", i).isLessThan(JOBS);
      assertThat(c.listeners()).as("listener connections cut by cut %d", i).isEqualTo(ids.size());
      assertThat(c.backends()).as("connections cut by cut %d", i).isGreaterThan(ids.size());
      // Recovered: each worker has recorded a completion after the cut, and listens again.
      Timestamp at = c.at();
      await()
          .atMost(DRAIN_TIMEOUT)
          .until(() -> completionsAfter(at).keySet().containsAll(ids) || completedAll());
      await().atMost(DRAIN_TIMEOUT).until(() -> listening() == ids.size());
      Map<String, Timestamp> first = completionsAfter(at);
      if (!completedAll()) {
        recovery.add(
            first.values().stream()
                .mapToDouble(t -> (t.getTime() - at.getTime()) / 1000.0)
                .max()
                .orElseThrow());
      }
      for (String id : ids) {
        assertThat(workers.get(id).isAlive())
            .as("%s survives cut %d; log: %s", id, i, log(id))
            .isTrue();
      }
      cut.add(c.backends());
      lastCut = at;
      threshold = completedAtCut + JOBS / 6;
    }

    await().atMost(DRAIN_TIMEOUT).until(() -> count("status = 'completed'") == JOBS);
    double drainSeconds = secondsSince(lastCut, "SELECT max(completed_at) FROM coding_jobs");
    stopGracefully(ids);

    // The figures first, so that a failing run still prints them.
    long charged =
        map("SELECT id::text, retry_count FROM coding_jobs", Integer.class).values().stream()
            .mapToLong(Integer::longValue)
            .sum();
    List<Transition> handedBack =
        transitions("old_status = 'processing' AND new_status <> 'completed'");
    Map<String, Integer> runs = runs(ids);
    long duplicates = runs.values().stream().mapToLong(n -> n - 1).sum();
    System.out.printf(
        Locale.ROOT,
        "R3 connections cut: jobs=%d workers=2 faults=2 cuts (%s backends terminated)"
            + " attempts-charged=%d duplicates=%d claims-handed-back=%d"
            + " recovery-after-cut=%s drain-after-last-fault=%.1fs%n",
        JOBS,
        cut.stream().map(String::valueOf).collect(Collectors.joining("+")),
        charged,
        duplicates,
        handedBack.size(),
        recovery.stream()
            .map(r -> String.format(Locale.ROOT, "%.2fs", r))
            .collect(Collectors.joining("/")),
        drainSeconds);

    assertEveryJobCompletedExactlyOnce();
    assertThat(charged)
        .as("attempts charged (every owner stayed alive: no lease was lost)")
        .isZero();
    assertThat(count("errors <> '[]'::jsonb")).as("jobs with an error history").isZero();
    assertThat(handedBack)
        .as("jobs leaving processing other than completed: only stranded claims, handed back")
        .allSatisfy(t -> assertThat(t.newStatus()).isEqualTo("pending"));
    assertThat(runs.keySet()).as("jobs whose handler ran").hasSize(JOBS);
    assertThat(duplicates).as("handler runs beyond one per job").isZero();
  }

  // ---------------------------------------------------------------------------------------------

  private void startWorker(String workerId) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx96m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                classpath,
                Main.class.getName(),
                "worker",
                "--worker-id",
                workerId,
                "--work-ms",
                String.valueOf(WORK_MS),
                "--job-lease-ms",
                String.valueOf(LEASE.toMillis())));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(CliRunner.env(db));
    pb.environment().put("MAX_CONCURRENT_JOBS", String.valueOf(CONCURRENCY));
    pb.environment().put("MONITOR_INTERVAL_MS", "5000");
    pb.redirectErrorStream(true);
    pb.redirectOutput(tmp.resolve(workerId + ".log").toFile());
    workers.put(workerId, pb.start());
  }

  private void awaitReady(List<String> ids) {
    await()
        .atMost(START_TIMEOUT)
        .until(
            () -> {
              for (String id : ids) {
                assertThat(workers.get(id).isAlive()).as(log(id)).isTrue();
              }
              return ids.stream().allMatch(id -> log(id).contains("worker " + id + " ready"));
            });
  }

  private void stopGracefully(List<String> ids) throws Exception {
    for (String id : ids) {
      workers.get(id).destroy(); // SIGTERM
    }
    for (String id : ids) {
      Process p = workers.get(id);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s stops on SIGTERM", id).isTrue();
      assertThat(p.exitValue()).as("%s exit code; log: %s", id, log(id)).isZero();
    }
  }

  private String log(String workerId) {
    Path file = tmp.resolve(workerId + ".log");
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Handler runs per job id, from the workers' logs. */
  private Map<String, Integer> runs(List<String> ids) {
    Map<String, Integer> runs = new HashMap<>();
    for (String id : ids) {
      for (String line : log(id).lines().toList()) {
        Matcher m = RUN.matcher(line);
        if (m.find()) {
          runs.merge(m.group(1), 1, Integer::sum);
        }
      }
    }
    return runs;
  }

  private void enqueue(int n) throws SQLException {
    JobQueue queue = db.migratedQueue();
    queue.enqueueAll(
        admin, IntStream.range(0, n).mapToObj(i -> NewJob.of("chaos job " + i)).toList());
  }

  /** The worker among {@code ids} that holds the most processing jobs, at least two; or null. */
  private synchronized String busiest(List<String> ids) throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT lease_owner, count(*) FROM coding_jobs WHERE status = 'processing'"
                    + " GROUP BY lease_owner HAVING count(*) >= 2 ORDER BY 2 DESC")) {
      while (rs.next()) {
        if (ids.contains(rs.getString(1))) {
          return rs.getString(1);
        }
      }
      return null;
    }
  }

  /** One cut: when, how many backends were terminated, how many of them LISTENed. */
  record Cut(Timestamp at, int backends, int listeners) {}

  /** Terminates every backend of the test database but the test's own connection. */
  private synchronized Cut cutConnections() throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT now(), count(*) FILTER (WHERE terminated),"
                    + " count(*) FILTER (WHERE terminated AND application_name"
                    + " = 'mobvibe-worker-listener')"
                    + " FROM (SELECT pg_terminate_backend(pid) AS terminated, application_name"
                    + " FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid()) t")) {
      rs.next();
      return new Cut(rs.getTimestamp(1), rs.getInt(2), rs.getInt(3));
    }
  }

  /** Each worker's first completion after {@code at}. */
  private synchronized Map<String, Timestamp> completionsAfter(Timestamp at) throws SQLException {
    Map<String, Timestamp> first = new HashMap<>();
    try (PreparedStatement ps =
        admin.prepareStatement(
            "SELECT old_owner, min(at) FROM chaos_transitions"
                + " WHERE new_status = 'completed' AND at > ? GROUP BY old_owner")) {
      ps.setTimestamp(1, at);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          first.put(rs.getString(1), rs.getTimestamp(2));
        }
      }
    }
    return first;
  }

  /** The workers' LISTEN connections to the test database. */
  private synchronized long listening() throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND application_name = 'mobvibe-worker-listener'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private boolean completedAll() throws SQLException {
    return count("status = 'completed'") == JOBS;
  }

  private synchronized long count(String where) throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM coding_jobs WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private synchronized Timestamp dbNow() throws SQLException {
    try (Statement st = admin.createStatement();
        ResultSet rs = st.executeQuery("SELECT now()")) {
      rs.next();
      return rs.getTimestamp(1);
    }
  }

  private synchronized double secondsSince(Timestamp since, String sqlOfLaterTime)
      throws SQLException {
    try (PreparedStatement ps =
        admin.prepareStatement("SELECT extract(epoch FROM (" + sqlOfLaterTime + ") - ?)")) {
      ps.setTimestamp(1, since);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getDouble(1);
      }
    }
  }

  private Map<String, Timestamp> map(String sql) throws SQLException {
    return map(sql, Timestamp.class);
  }

  private synchronized <T> Map<String, T> map(String sql, Class<T> type) throws SQLException {
    Map<String, T> map = new HashMap<>();
    try (Statement st = admin.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        map.put(rs.getString(1), rs.getObject(2, type));
      }
    }
    return map;
  }

  /** A status change of a job, from the audit trigger. */
  record Transition(
      String job,
      String oldStatus,
      String newStatus,
      String oldOwner,
      String newOwner,
      Timestamp oldLeaseExpiresAt,
      Timestamp at) {}

  private synchronized List<Transition> transitions(String where) throws SQLException {
    List<Transition> list = new ArrayList<>();
    try (Statement st = admin.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT job_id::text, old_status, new_status, old_owner, new_owner,"
                    + " old_lease_expires_at, at FROM chaos_transitions WHERE "
                    + where
                    + " ORDER BY at")) {
      while (rs.next()) {
        list.add(
            new Transition(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getTimestamp(6),
                rs.getTimestamp(7)));
      }
    }
    return list;
  }

  /** Who completed each job: the lease owner its completion found. */
  private Map<String, String> completedBy() throws SQLException {
    return transitions("new_status = 'completed'").stream()
        .collect(Collectors.toMap(Transition::job, Transition::oldOwner));
  }

  /**
   * Every job completed, and completed once: no job lost, none pending, failed or stuck in
   * processing, and exactly one status change to completed per job.
   */
  private void assertEveryJobCompletedExactlyOnce() throws SQLException {
    assertThat(count("true")).as("jobs").isEqualTo(JOBS);
    assertThat(count("status = 'completed'")).as("completed").isEqualTo(JOBS);
    assertThat(count("status = 'processing'")).as("stuck in processing").isZero();
    assertThat(count("completed_at IS NULL OR lease_owner IS NOT NULL")).isZero();
    Map<String, Long> completions =
        transitions("new_status = 'completed'").stream()
            .collect(Collectors.groupingBy(Transition::job, Collectors.counting()));
    assertThat(completions).as("completions per job").hasSize(JOBS);
    assertThat(completions.values()).as("completions per job").containsOnly(1L);
  }
}
