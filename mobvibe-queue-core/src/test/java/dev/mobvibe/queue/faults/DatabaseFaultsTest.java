package dev.mobvibe.queue.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.testing.TcpProxy;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Workers draining real jobs while the network between them and PostgreSQL breaks: a TCP proxy of
 * the test's own sits between every worker's pool and the server (the server itself is never
 * touched). Each scenario checks that nothing is lost or stuck, that no attempt is charged and
 * nothing runs twice where the owner stayed alive, and prints one line of figures.
 */
@Tag("faults")
class DatabaseFaultsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue direct; // straight to the server: enqueue and inspect

  private TcpProxy proxy;
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  /** Handler starts per job. */
  private final Map<UUID, Integer> runs = new ConcurrentHashMap<>();

  /** Handler runs per job that reached their end without being cancelled. */
  private final Map<UUID, Integer> finished = new ConcurrentHashMap<>();

  /** Handler runs that were cancelled, by reason. */
  private final Map<CancellationReason, Integer> cancelled = new ConcurrentHashMap<>();

  @BeforeAll
  static void migrate() {
    direct = db.migratedQueue();
  }

  @BeforeEach
  void setUp() {
    db.emptyQueueTables();
    proxy = TcpProxy.forDatabase(db);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
    proxy.close();
  }

  /** A queue whose pool reaches the server through the proxy only. */
  private JobQueue viaProxy(Consumer<JobQueue.Builder> settings) {
    JobQueue.Builder b =
        JobQueue.builder()
            .jdbcUrl(proxy.jdbcUrl(db))
            .username(db.user())
            .password(db.password())
            .maxPoolSize(4)
            .connectTimeout(Duration.ofSeconds(2));
    settings.accept(b);
    JobQueue queue = b.build();
    closeLater.add(queue);
    return queue;
  }

  /** A handler that takes {@code duration}, or stops early when cancelled. */
  private JobHandler takes(Duration duration) {
    return (job, ctx) -> {
      runs.merge(job.id(), 1, Integer::sum);
      boolean stopped;
      try {
        stopped = ctx.awaitCancellation(duration);
      } catch (InterruptedException e) {
        stopped = true; // cancelled: the interrupt came with it
      }
      if (stopped) {
        cancelled.merge(ctx.cancellationReason().orElseThrow(), 1, Integer::sum);
      } else {
        finished.merge(job.id(), 1, Integer::sum);
      }
    };
  }

  private JobProcessor worker(JobQueue queue, JobHandler handler, Duration lease, int concurrency) {
    JobProcessor p =
        JobProcessor.builder(queue, handler)
            .concurrency(concurrency)
            .leaseDuration(lease)
            .reapInterval(Duration.ofMillis(200))
            .pollInterval(Duration.ofMillis(200))
            .sessionTracking(SessionTracking.OFF)
            .workerId("faults-" + UUID.randomUUID().toString().substring(0, 8))
            .build();
    closeLater.add(p);
    p.start();
    return p;
  }

  private List<Job> enqueue(int n) {
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      jobs.add(NewJob.of("job " + i));
    }
    return direct.enqueueAll(jobs);
  }

  private long completed() {
    return db.queryLong("SELECT count(*) FROM coding_jobs WHERE status = 'completed'");
  }

  private long attemptsCharged() {
    return db.queryLong("SELECT coalesce(sum(retry_count), 0) FROM coding_jobs");
  }

  private long duplicates() {
    return finished.values().stream().filter(n -> n > 1).count();
  }

  private void report(String scenario, int jobs, String fault, long recoveryMillis) {
    System.out.printf(
        "fault scenario | %s | jobs %d | fault %s | attempts charged %d | handler runs %d |"
            + " completed twice %d | drained %.1f s after the fault ended%n",
        scenario,
        jobs,
        fault,
        attemptsCharged(),
        runs.values().stream().mapToInt(Integer::intValue).sum(),
        duplicates(),
        recoveryMillis / 1000.0);
  }

  private void assertAllCompletedOnce(int jobs) {
    assertThat(completed()).isEqualTo(jobs);
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE status <> 'completed'"))
        .as("nothing lost or stuck")
        .isZero();
    assertThat(duplicates()).as("no job ran to its end twice").isZero();
  }

  @Test
  void anOutageLongerThanTheLeaseCostsNoAttemptAndRunsNothingTwice() {
    JobQueue a = viaProxy(b -> {});
    JobQueue b = viaProxy(q -> {});
    Duration lease = Duration.ofSeconds(3); // the grace is the lease again
    enqueue(24);
    worker(a, takes(Duration.ofMillis(1500)), lease, 4);
    worker(b, takes(Duration.ofMillis(1500)), lease, 4);
    await().atMost(Duration.ofSeconds(20)).until(() -> completed() >= 4);

    proxy.outage(); // refuse new connections and cut the open ones
    // Longer than the lease: hold it until every running job's lease has run out on the server.
    await().atMost(Duration.ofSeconds(10)).until(this::everyLeaseExpired);
    proxy.recover();
    long recovered = System.nanoTime();

    await().atMost(Duration.ofSeconds(40)).until(() -> completed() == 24);
    report(
        "outage until every lease expired, lease 3 s, 2 workers", 24, "outage", since(recovered));
    assertAllCompletedOnce(24);
    assertThat(attemptsCharged()).as("owners were alive: no attempt charged").isZero();
    assertThat(runs.values()).as("no job started twice").allMatch(n -> n == 1);
  }

  @Test
  void anOutageFarLongerThanLeaseAndGraceCancelsTheOwnersButCompletesEveryJobOnce() {
    JobQueue a = viaProxy(b -> {});
    Duration lease = Duration.ofSeconds(1);
    enqueue(8);
    worker(a, takes(Duration.ofSeconds(3)), lease, 8);
    await().atMost(Duration.ofSeconds(20)).until(() -> runs.size() == 8);

    proxy.outage();
    // Not renewed for lease + grace (2 s), a lease may be reaped: the owner stops its handlers.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cancelled.getOrDefault(CancellationReason.LEASE_LOST, 0) == 8);
    proxy.recover();
    long recovered = System.nanoTime();

    await().atMost(Duration.ofSeconds(40)).until(() -> completed() == 8);
    report("outage past lease + grace, lease 1 s, 1 worker", 8, "outage", since(recovered));
    assertAllCompletedOnce(8);
    // Every first attempt was stopped before another could start, and charged once when reaped.
    assertThat(finished).hasSize(8).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    assertThat(attemptsCharged()).isEqualTo(8);
  }

  private boolean everyLeaseExpired() {
    return db.queryLong(
            "SELECT count(*) FROM coding_jobs WHERE status = 'processing'"
                + " AND lease_expires_at > now()")
        == 0;
  }

  @Test
  void aHalfOpenConnectionIsGivenUpAfterTheSocketTimeout() {
    JobQueue a =
        viaProxy(
            q -> q.socketTimeout(Duration.ofSeconds(2)).statementTimeout(Duration.ofSeconds(1)));
    enqueue(60);
    worker(a, takes(Duration.ofMillis(50)), Duration.ofSeconds(10), 4);
    await().atMost(Duration.ofSeconds(20)).until(() -> completed() >= 10);

    long before = proxy.connectionsAccepted();
    proxy.blackhole(); // sockets stay open, nothing gets through either way
    // The pool gives up on the silent connections after the socket timeout and opens new ones.
    await().atMost(Duration.ofSeconds(15)).until(() -> proxy.connectionsAccepted() > before);
    proxy.heal();
    long healed = System.nanoTime();

    await().atMost(Duration.ofSeconds(40)).until(() -> completed() == 60);
    report("half-open until the pool gave up, socket timeout 2 s", 60, "blackhole", since(healed));
    assertAllCompletedOnce(60);
    assertThat(attemptsCharged()).isZero();
  }

  @Test
  void aWorkerStartedWhileTheDatabaseRefusesConnectionsDrainsOnceItAccepts() {
    proxy.refuseNew();
    enqueue(20);
    JobQueue a = viaProxy(q -> {});
    JobProcessor p = worker(a, takes(Duration.ofMillis(20)), Duration.ofSeconds(10), 4);
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.connectionsRefused() >= 3);
    assertThat(completed()).isZero();
    proxy.acceptNew();
    long accepted = System.nanoTime();

    await().atMost(Duration.ofSeconds(40)).until(() -> completed() == 20);
    report("connections refused at start", 20, "refused", since(accepted));
    assertAllCompletedOnce(20);
    assertThat(attemptsCharged()).isZero();
    assertThat(p.lastSuccessfulClaim()).isPresent();
  }

  @Test
  void aSlowNetworkSlowsTheDrainAndNothingElse() {
    proxy.latency(Duration.ofMillis(20));
    JobQueue a = viaProxy(q -> {});
    enqueue(50);
    long start = System.nanoTime();
    worker(a, takes(Duration.ofMillis(10)), Duration.ofSeconds(10), 4);
    await().atMost(Duration.ofSeconds(40)).until(() -> completed() == 50);
    report("20 ms latency each way", 50, "latency", since(start));
    assertAllCompletedOnce(50);
    assertThat(attemptsCharged()).isZero();
  }

  private static long since(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }
}
