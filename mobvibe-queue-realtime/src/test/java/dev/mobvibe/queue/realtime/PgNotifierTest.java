package dev.mobvibe.queue.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobSignal;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.NotifierState;
import dev.mobvibe.queue.PlanTier;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PgNotifierTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();
  static final Duration WAIT = Duration.ofSeconds(20);
  private static JobQueue queue;

  private final List<PgNotifier> notifiers = new CopyOnWriteArrayList<>();
  private final List<JobSignal> signals = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @AfterEach
  void close() {
    notifiers.forEach(PgNotifier::close);
  }

  private PgNotifier fromUrl() {
    PgNotifier n =
        PgNotifier.builder()
            .jdbcUrl(db.jdbcUrl())
            .username(db.user())
            .password(db.password())
            .reconnectPolicy(RetryPolicy.fixed(Duration.ofMillis(20)))
            .build();
    notifiers.add(n);
    return n;
  }

  private PgNotifier fromFactory(PgNotifier.ConnectionFactory factory) {
    PgNotifier n =
        PgNotifier.builder()
            .connectionFactory(factory)
            .reconnectPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
            .build();
    notifiers.add(n);
    return n;
  }

  private long count(JobSignal.Source source) {
    return signals.stream().filter(s -> s.source() == source).count();
  }

  private boolean notified(UUID jobId) {
    return signals.stream()
        .anyMatch(s -> s.source() == JobSignal.Source.NOTIFICATION && jobId.equals(s.jobId()));
  }

  private static void terminate(int pid) {
    assertThat(pid).isPositive();
    assertThat(db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)).isOne();
    db.execute("SELECT pg_terminate_backend(" + pid + ")");
  }

  @Test
  void anInsertIsSignalledWithTheJobsIdSessionAndPriority() {
    PgNotifier n = fromUrl();
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> n.state() == NotifierState.LISTENING);
    Job job = queue.enqueue(NewJob.builder("notify me").tier(PlanTier.PRO).build());
    // A generous bound: the real pickup latency is measured by the bench command, not here.
    await().atMost(WAIT).until(() -> notified(job.id()));
    JobSignal signal =
        signals.stream().filter(s -> job.id().equals(s.jobId())).findFirst().orElseThrow();
    assertThat(signal)
        .isEqualTo(new JobSignal(JobSignal.Source.NOTIFICATION, job.id(), job.sessionId(), 10));
  }

  @Test
  void theListenConnectionIsDedicatedAndNamed() {
    PgNotifier n = fromUrl();
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> n.backendPid() > 0);
    assertThat(
            db.queryString(
                "SELECT application_name FROM pg_stat_activity WHERE pid = " + n.backendPid()))
        .isEqualTo(PgNotifier.DEFAULT_APPLICATION_NAME);
  }

  @Test
  void reconnectsAfterItsBackendIsTerminatedAndHearsInsertsAgain() {
    PgNotifier n = fromUrl();
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> count(JobSignal.Source.RECONNECT) == 1);
    Job before = queue.enqueue(NewJob.of("before"));
    await().atMost(WAIT).until(() -> notified(before.id()));

    int pid = n.backendPid();
    terminate(pid);

    // One catch-up signal per reconnect, on a new backend.
    await().atMost(WAIT).until(() -> count(JobSignal.Source.RECONNECT) == 2);
    assertThat(n.state()).isEqualTo(NotifierState.LISTENING);
    assertThat(n.backendPid()).isPositive().isNotEqualTo(pid);
    Job after = queue.enqueue(NewJob.of("after"));
    await().atMost(WAIT).until(() -> notified(after.id()));
    assertThat(count(JobSignal.Source.RECONNECT)).isEqualTo(2);
  }

  @Test
  void jobsInsertedDuringAnOutageGetACatchUpSignalAndTheOutageIsLoggedOnce() throws Exception {
    AtomicBoolean down = new AtomicBoolean();
    AtomicInteger opens = new AtomicInteger();
    Properties props = new Properties();
    props.setProperty("user", db.user());
    PgNotifier n =
        fromFactory(
            () -> {
              opens.incrementAndGet();
              if (down.get()) {
                throw new SQLException("database is down (test)", "08001");
              }
              return DriverManager.getConnection(db.jdbcUrl(), props);
            });
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> count(JobSignal.Source.RECONNECT) == 1);
    long lostLines = logLines("LISTEN connection to connectionFactory lost");
    long againLines = logLines("listening on new_job at connectionFactory again");

    down.set(true);
    terminate(n.backendPid());
    await().atMost(WAIT).until(() -> n.state() == NotifierState.RECONNECTING);
    int opensAtOutage = opens.get();
    await().atMost(WAIT).until(() -> opens.get() >= opensAtOutage + 5); // several failed retries
    Job during = queue.enqueue(NewJob.of("inserted while nobody listens"));
    assertThat(count(JobSignal.Source.RECONNECT)).isEqualTo(1);

    down.set(false);
    await().atMost(WAIT).until(() -> count(JobSignal.Source.RECONNECT) == 2);
    assertThat(n.state()).isEqualTo(NotifierState.LISTENING);
    // The job was never announced; the catch-up signal is what makes a claimer look, and finds it.
    assertThat(notified(during.id())).isFalse();
    assertThat(queue.claimNextJob()).map(Job::id).contains(during.id());
    // State changes are logged once each, not once per failed try.
    assertThat(logLines("LISTEN connection to connectionFactory lost")).isEqualTo(lostLines + 1);
    assertThat(logLines("listening on new_job at connectionFactory again"))
        .isEqualTo(againLines + 1);
  }

  @Test
  void startsConnectingAndKeepsTryingWhileTheDatabaseIsUnreachable() {
    AtomicInteger opens = new AtomicInteger();
    Properties props = new Properties();
    props.setProperty("user", db.user());
    PgNotifier n =
        fromFactory(
            () -> {
              if (opens.incrementAndGet() <= 3) {
                throw new SQLException("not yet (test)", "08001");
              }
              return DriverManager.getConnection(db.jdbcUrl(), props);
            });
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> n.state() == NotifierState.LISTENING);
    assertThat(opens.get()).isEqualTo(4);
    assertThat(count(JobSignal.Source.RECONNECT)).isOne();
  }

  @Test
  void closeStopsTheThreadAndClosesTheConnection() throws Exception {
    PgNotifier n = fromUrl();
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> n.state() == NotifierState.LISTENING);
    Thread thread = n.thread();
    int pid = n.backendPid();
    assertThat(thread.getName()).isEqualTo(PgNotifier.THREAD_NAME);
    assertThat(thread.isDaemon()).isTrue();
    assertThat(thread.isAlive()).isTrue();

    Instant start = Instant.now();
    n.close();
    assertThat(thread.isAlive()).isFalse(); // close() joined it
    // The blocking wait ended at once, not at the end of a slice or a health-check interval.
    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(5));
    assertThat(n.state()).isEqualTo(NotifierState.CLOSED);
    await()
        .atMost(WAIT)
        .until(() -> db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0);
  }

  @Test
  void statusChangesArriveAsTypedEventsWhileSubscribed() {
    PgNotifier n = fromUrl();
    List<JobStatusChange> changes = new CopyOnWriteArrayList<>();
    Subscription s = n.subscribeToStatusChanges(changes::add);
    await().atMost(WAIT).until(n::statusChangesActive);

    Job job = queue.enqueue(NewJob.of("watch me"));
    Job claimed =
        queue.claimJobs(10).stream().filter(j -> j.id().equals(job.id())).findFirst().orElseThrow();
    assertThat(queue.completeJob(claimed.id())).isTrue();

    await()
        .atMost(WAIT)
        .until(() -> changes.stream().filter(c -> c.jobId().equals(job.id())).count() == 2);
    List<JobStatusChange> mine = changes.stream().filter(c -> c.jobId().equals(job.id())).toList();
    assertThat(mine)
        .extracting(JobStatusChange::oldStatus, JobStatusChange::newStatus)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(JobStatus.PENDING, JobStatus.PROCESSING),
            org.assertj.core.groups.Tuple.tuple(JobStatus.PROCESSING, JobStatus.COMPLETED));
    assertThat(mine).allSatisfy(c -> assertThat(c.sessionId()).isEqualTo(job.sessionId()));
    assertThat(mine).allSatisfy(c -> assertThat(c.updatedAt()).isNotNull());

    // The channel is listened to only while someone subscribes.
    s.unsubscribe();
    await().atMost(WAIT).until(() -> !n.statusChangesActive());
    assertThat(n.state()).isEqualTo(NotifierState.LISTENING);
  }

  @Test
  void anUnreadablePayloadStillWakesWithoutIds() {
    PgNotifier n = fromUrl();
    n.subscribe(signals::add);
    await().atMost(WAIT).until(() -> n.state() == NotifierState.LISTENING);
    db.execute(
        "SELECT pg_notify('new_job', 'not json'); SELECT pg_notify('new_job', '{\"job_id\":42}')");
    await().atMost(WAIT).until(() -> count(JobSignal.Source.NOTIFICATION) == 2);
    assertThat(signals)
        .filteredOn(s -> s.source() == JobSignal.Source.NOTIFICATION)
        .containsOnly(JobSignal.of(JobSignal.Source.NOTIFICATION));
  }

  @Test
  void theBuilderNamesTheBadOptionAndNeverShowsThePassword() {
    assertThatThrownBy(() -> PgNotifier.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbcUrl")
        .hasMessageContaining("connectionFactory");
    assertThatThrownBy(
            () -> PgNotifier.builder().jdbcUrl(db.jdbcUrl()).connectionFactory(() -> null).build())
        .hasMessageContaining("both");
    assertThatThrownBy(
            () ->
                PgNotifier.builder()
                    .jdbcUrl(db.jdbcUrl())
                    .healthCheckInterval(Duration.ZERO)
                    .build())
        .hasMessageContaining("healthCheckInterval")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> PgNotifier.builder().jdbcUrl("mysql://u:s3cret-pw@h/db").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("s3cret-pw");
    PgNotifier n =
        PgNotifier.builder().jdbcUrl("postgresql://app:s3cret-pw@127.0.0.1:1/db").build();
    assertThat(n.toString()).doesNotContain("s3cret-pw").contains("127.0.0.1");
    n.close();
  }

  private static long logLines(String text) throws Exception {
    Path log = Path.of(System.getProperty("org.slf4j.simpleLogger.logFile"));
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(text)).count();
    }
  }
}
