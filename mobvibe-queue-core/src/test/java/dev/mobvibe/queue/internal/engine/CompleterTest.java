package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PermanentJobFailureException;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The completer alone, against a real PostgreSQL behind a data source that fails statements on
 * demand: outcomes are recorded once each, a batch that fails half-way is retried with only what
 * was not recorded, and outcomes of jobs this worker no longer holds are reported lost.
 */
class CompleterTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  FaultyDataSource faults;
  JobStore store;
  EngineSettings settings;
  ManualTicker ticker;
  Parts.Recorder recorder;
  List<Duration> retries;
  Completer completer;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void setUp() {
    db.emptyQueueTables();
    faults = new FaultyDataSource(db.dataSource());
    store = new JobStore(new Jdbc(faults), "public");
    settings = Parts.settings("completer-test", Duration.ofMinutes(1), null, null, false, 0);
    ticker = new ManualTicker();
    recorder = new Parts.Recorder();
    retries = new CopyOnWriteArrayList<>();
    completer = new Completer(settings, store, new Listeners(List.of(recorder)), retries::add);
  }

  @AfterEach
  void stop() {
    completer.stopAndFlush(5_000);
  }

  private List<RunningJob> claim(int n) {
    for (int i = 0; i < n; i++) {
      queue.enqueue(NewJob.of("job " + i));
    }
    List<Job> jobs = store.claim(settings.workerId(), n, settings.leaseDuration(), true);
    assertThat(jobs).hasSize(n);
    return jobs.stream().map(j -> Parts.running(j, settings, ticker)).toList();
  }

  private JobStatus status(RunningJob rj) {
    return queue.findJob(rj.job.id()).orElseThrow().status();
  }

  @Test
  void successesAreRecordedInOneBatchAndHeardOnce() {
    List<RunningJob> jobs = claim(3);
    for (RunningJob rj : jobs) {
      completer.submit(new Completer.Success(rj, Duration.ZERO));
    }
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("succeeded") == 3);
    assertThat(jobs).allSatisfy(rj -> assertThat(status(rj)).isEqualTo(JobStatus.COMPLETED));
  }

  @Test
  void aRetryableFailureGoesBackToPendingAndTellsWhenItFallsDue() {
    RunningJob rj = claim(1).get(0);
    completer.submit(
        new Completer.Failure(rj, new IllegalStateException("boom"), true, Duration.ZERO));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("retried") == 1);
    Job after = queue.findJob(rj.job.id()).orElseThrow();
    assertThat(after.status()).isEqualTo(JobStatus.PENDING);
    assertThat(after.retryCount()).isEqualTo(1);
    assertThat(after.errorMessage()).isEqualTo("IllegalStateException: boom");
    assertThat(retries).containsExactly(Duration.ofMillis(250));
  }

  @Test
  void aPermanentFailureIsADeadLetterAtOnce() {
    RunningJob rj = claim(1).get(0);
    completer.submit(
        new Completer.Failure(
            rj, new PermanentJobFailureException("bad prompt"), false, Duration.ZERO));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("dead") == 1);
    assertThat(status(rj)).isEqualTo(JobStatus.FAILED);
    assertThat(retries).isEmpty();
  }

  @Test
  void aBatchThatFailsHalfWayIsRetriedWithOnlyWhatWasNotRecorded() {
    List<RunningJob> jobs = claim(3);
    RunningJob failing = jobs.get(2);
    // One batch: two successes, then a failure whose statement fails twice before it succeeds.
    completer.submit(new Completer.Success(jobs.get(0), Duration.ZERO));
    completer.submit(new Completer.Success(jobs.get(1), Duration.ZERO));
    completer.submit(
        new Completer.Failure(failing, new IllegalStateException("boom"), true, Duration.ZERO));
    faults.failNext("retry_count + 1 < j.max_retries", 2);
    completer.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("retried") == 1);
    assertThat(faults.failed()).isEqualTo(2);
    // The successes were written once and heard once, though their batch was retried twice.
    assertThat(recorder.count("succeeded")).isEqualTo(2);
    assertThat(recorder.count("lost")).isZero();
    assertThat(status(jobs.get(0))).isEqualTo(JobStatus.COMPLETED);
    assertThat(status(jobs.get(1))).isEqualTo(JobStatus.COMPLETED);
    Job after = queue.findJob(failing.job.id()).orElseThrow();
    assertThat(after.status()).isEqualTo(JobStatus.PENDING);
    assertThat(after.retryCount()).isEqualTo(1);
  }

  @Test
  void aFailedSuccessBatchIsRetriedUntilTheDatabaseAnswers() {
    List<RunningJob> jobs = claim(2);
    faults.failNext("SET status = 'completed'", 1);
    jobs.forEach(rj -> completer.submit(new Completer.Success(rj, Duration.ZERO)));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("succeeded") == 2);
    assertThat(faults.failed()).isEqualTo(1);
    assertThat(jobs).allSatisfy(rj -> assertThat(status(rj)).isEqualTo(JobStatus.COMPLETED));
  }

  @Test
  void outcomesOfJobsNoLongerHeldAreReportedLostAndNotWritten() {
    List<RunningJob> jobs = claim(2);
    db.execute("UPDATE coding_jobs SET lease_owner = 'someone-else'");
    completer.submit(new Completer.Success(jobs.get(0), Duration.ZERO));
    completer.submit(
        new Completer.Failure(jobs.get(1), new IllegalStateException("x"), true, Duration.ZERO));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("lost") == 2);
    assertThat(recorder.calls).noneMatch(c -> c.startsWith("succeeded") || c.startsWith("retried"));
    assertThat(jobs).allSatisfy(rj -> assertThat(status(rj)).isEqualTo(JobStatus.PROCESSING));
  }

  @Test
  void releasesGoBackToPendingWithoutSpendingAnAttempt() {
    List<RunningJob> jobs = claim(2);
    jobs.forEach(rj -> completer.submit(new Completer.Release(rj)));
    completer.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.stream().allMatch(rj -> status(rj) == JobStatus.PENDING));
    assertThat(jobs)
        .allSatisfy(
            rj -> assertThat(queue.findJob(rj.job.id()).orElseThrow().retryCount()).isZero());
    assertThat(recorder.calls).isEmpty();
  }

  @Test
  void stopFlushesWhatIsQueued() {
    List<RunningJob> jobs = claim(3);
    completer.start();
    jobs.forEach(rj -> completer.submit(new Completer.Success(rj, Duration.ZERO)));
    completer.stopAndFlush(10_000);
    assertThat(recorder.count("succeeded")).isEqualTo(3);
    assertThat(completer.backlog()).isZero();
  }
}
