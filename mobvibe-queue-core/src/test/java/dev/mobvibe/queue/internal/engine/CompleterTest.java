package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.PermanentJobFailureException;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.internal.JsonMappers;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The completer alone, against a real PostgreSQL behind a data source that fails statements on
 * demand: outcomes are recorded once each, a batch that fails half-way is retried with only what
 * was not recorded, and outcomes of jobs this worker no longer holds are reported lost. Faults stay
 * with their outcome: one the database refuses for its data is dropped alone, and a retry policy
 * that misbehaves is replaced by the default policy.
 */
@Tag("faults")
class CompleterTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** A fragment of the statement that completes a batch of successes. */
  static final String COMPLETE = "SET status = 'completed'";

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
    db.execute("ALTER TABLE coding_jobs DROP CONSTRAINT IF EXISTS test_poison");
  }

  private List<RunningJob> claim(int n) {
    for (int i = 0; i < n; i++) {
      queue.enqueue(NewJob.of("job " + i));
    }
    List<Job> jobs =
        store.claim(
            settings.workerId(), n, settings.leaseDuration(), SessionTracking.STATUS_AND_EVENTS);
    assertThat(jobs).hasSize(n);
    return jobs.stream().map(j -> Parts.running(j, settings, ticker)).toList();
  }

  /** Enqueues and claims one job per prompt; the running jobs by prompt. */
  private Map<String, RunningJob> claim(String... prompts) {
    Map<String, RunningJob> byPrompt = new LinkedHashMap<>();
    for (String prompt : prompts) {
      queue.enqueue(NewJob.of(prompt));
    }
    for (Job j :
        store.claim(
            settings.workerId(),
            prompts.length,
            settings.leaseDuration(),
            SessionTracking.STATUS_AND_EVENTS)) {
      byPrompt.put(j.prompt(), Parts.running(j, settings, ticker));
    }
    assertThat(byPrompt).containsOnlyKeys(prompts);
    return byPrompt;
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
    faults.failNext("coalesce(p.max_attempts, j.max_retries)", 2);
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

  @Test
  void anOutcomeTheDatabaseRefusesAloneIsDroppedAndTheOthersAreRecorded() {
    Map<String, RunningJob> jobs =
        claim("ok 1", "poison success", "ok 2", "poison failure", "ok 3 fails");
    // A constraint of the application's that the poison jobs' outcomes break: a data error (23514)
    // from the real database, for these rows only.
    db.execute(
        "ALTER TABLE coding_jobs ADD CONSTRAINT test_poison"
            + " CHECK (prompt NOT LIKE 'poison%' OR status = 'processing')");
    completer.submit(new Completer.Success(jobs.get("ok 1"), Duration.ZERO));
    completer.submit(new Completer.Success(jobs.get("poison success"), Duration.ZERO));
    completer.submit(new Completer.Success(jobs.get("ok 2"), Duration.ZERO));
    completer.submit(
        new Completer.Failure(
            jobs.get("poison failure"), new IllegalStateException("boom"), true, Duration.ZERO));
    completer.submit(
        new Completer.Failure(
            jobs.get("ok 3 fails"), new IllegalStateException("boom"), true, Duration.ZERO));
    completer.start();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                recorder.count("succeeded") == 2
                    && recorder.count("retried") == 1
                    && recorder.count("lost") == 2);
    assertThat(completer.dropped()).isEqualTo(2);
    assertThat(recorder.calls)
        .filteredOn(c -> c.startsWith("lost"))
        .allSatisfy(
            c ->
                assertThat(c)
                    .contains("the database refuses to record this outcome (SQLState 23514"))
        .anySatisfy(c -> assertThat(c).startsWith("lost " + jobs.get("poison success").job.id()))
        .anySatisfy(c -> assertThat(c).startsWith("lost " + jobs.get("poison failure").job.id()));
    assertThat(status(jobs.get("ok 1"))).isEqualTo(JobStatus.COMPLETED);
    assertThat(status(jobs.get("ok 2"))).isEqualTo(JobStatus.COMPLETED);
    assertThat(status(jobs.get("ok 3 fails"))).isEqualTo(JobStatus.PENDING);
    // Nothing was written for the dropped outcomes: their jobs return after their lease.
    assertThat(status(jobs.get("poison success"))).isEqualTo(JobStatus.PROCESSING);
    assertThat(status(jobs.get("poison failure"))).isEqualTo(JobStatus.PROCESSING);
    assertThat(completer.backlog()).isZero();
  }

  @Test
  void aBatchRefusedOnceForItsDataIsRecordedOneByOneAndNothingIsDropped() {
    List<RunningJob> jobs = claim(3);
    faults.failNext(COMPLETE, 1, "22P05");
    jobs.forEach(rj -> completer.submit(new Completer.Success(rj, Duration.ZERO)));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("succeeded") == 3);
    assertThat(faults.failed()).isEqualTo(1);
    assertThat(completer.dropped()).isZero();
    assertThat(recorder.count("lost")).isZero();
    assertThat(jobs).allSatisfy(rj -> assertThat(status(rj)).isEqualTo(JobStatus.COMPLETED));
  }

  @Test
  void aLostConnectionWhileRecordingOneByOneKeepsTheRestForTheRetry() {
    List<RunningJob> jobs = claim(3);
    faults.failNext(COMPLETE, 1, "22P05"); // the batch: recorded one by one
    faults.letThrough(COMPLETE, 1); // the first alone
    faults.failNext(COMPLETE, 1, FaultyDataSource.CONNECTION_FAILURE); // the second alone
    jobs.forEach(rj -> completer.submit(new Completer.Success(rj, Duration.ZERO)));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("succeeded") == 3);
    assertThat(faults.failed()).isEqualTo(2);
    // A connection error drops nothing: the two left were retried, and each heard once.
    assertThat(completer.dropped()).isZero();
    assertThat(recorder.calls).doesNotHaveDuplicates();
    assertThat(recorder.count("lost")).isZero();
    assertThat(jobs).allSatisfy(rj -> assertThat(status(rj)).isEqualTo(JobStatus.COMPLETED));
  }

  /** A fragment of the statement that snoozes a batch. */
  static final String SNOOZE = "snoozes = j.snoozes + 1";

  private Job row(RunningJob rj) {
    return queue.findJob(rj.job.id()).orElseThrow();
  }

  @Test
  void successesAndSnoozesAreRecordedInOneBatchEachAndHeardOnce() {
    List<RunningJob> jobs = claim(4);
    completer.submit(new Completer.Success(jobs.get(0), Duration.ZERO));
    completer.submit(new Completer.Snooze(jobs.get(1), Duration.ofSeconds(30)));
    completer.submit(new Completer.Success(jobs.get(2), Duration.ZERO));
    completer.submit(new Completer.Snooze(jobs.get(3), Duration.ofSeconds(2)));
    completer.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> recorder.count("succeeded") == 2 && recorder.count("snoozed") == 2);
    assertThat(recorder.calls)
        .contains(
            "snoozed " + jobs.get(1).job.id() + " PT30S",
            "snoozed " + jobs.get(3).job.id() + " PT2S");
    for (RunningJob rj : List.of(jobs.get(1), jobs.get(3))) {
      Job after = row(rj);
      assertThat(after.status()).isEqualTo(JobStatus.PENDING);
      assertThat(after.snoozes()).isEqualTo(1);
      assertThat(after.retryCount()).isZero();
      assertThat(after.leaseOwner()).isNull();
    }
    assertThat(status(jobs.get(0))).isEqualTo(JobStatus.COMPLETED);
    assertThat(status(jobs.get(2))).isEqualTo(JobStatus.COMPLETED);
    // The producer is woken once for the batch, for the snooze that falls due first.
    assertThat(retries).containsExactly(Duration.ofSeconds(2));
    assertThat(completer.unrecorded()).isEmpty();
  }

  @Test
  void aBatchWhoseSnoozesFailIsRetriedWithoutItsRecordedSuccesses() {
    List<RunningJob> jobs = claim(3);
    completer.submit(new Completer.Success(jobs.get(0), Duration.ZERO));
    completer.submit(new Completer.Snooze(jobs.get(1), Duration.ofMinutes(5)));
    completer.submit(
        new Completer.Failure(jobs.get(2), new IllegalStateException("boom"), true, Duration.ZERO));
    faults.failNext(SNOOZE, 2);
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("retried") == 1);
    assertThat(faults.failed()).isEqualTo(2);
    assertThat(recorder.count("succeeded")).isEqualTo(1);
    assertThat(recorder.count("snoozed")).isEqualTo(1);
    assertThat(recorder.calls).doesNotHaveDuplicates();
    assertThat(status(jobs.get(0))).isEqualTo(JobStatus.COMPLETED);
    assertThat(row(jobs.get(1)).snoozes()).isEqualTo(1);
    assertThat(row(jobs.get(2)).retryCount()).isEqualTo(1);
  }

  @Test
  void recordedSnoozesAreNotWrittenAgainWhenALaterFailureIsRetried() {
    List<RunningJob> jobs = claim(2);
    completer.submit(new Completer.Snooze(jobs.get(0), Duration.ofMinutes(5)));
    completer.submit(
        new Completer.Failure(jobs.get(1), new IllegalStateException("boom"), true, Duration.ZERO));
    faults.failNext("coalesce(p.max_attempts, j.max_retries)", 2);
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("retried") == 1);
    assertThat(faults.failed()).isEqualTo(2);
    // Written once: a second write would have found the job pending and reported it lost.
    assertThat(recorder.count("snoozed")).isEqualTo(1);
    assertThat(recorder.count("lost")).isZero();
    assertThat(row(jobs.get(0)).snoozes()).isEqualTo(1);
  }

  @Test
  void aSnoozeOfAJobNoLongerHeldIsReportedLostAndNotWritten() {
    List<RunningJob> jobs = claim(2);
    db.execute(
        "UPDATE coding_jobs SET lease_owner = 'someone-else' WHERE id = '"
            + jobs.get(0).job.id()
            + "'");
    jobs.forEach(rj -> completer.submit(new Completer.Snooze(rj, Duration.ofMinutes(1))));
    completer.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> recorder.count("lost") == 1 && recorder.count("snoozed") == 1);
    assertThat(recorder.calls)
        .contains(
            "lost " + jobs.get(0).job.id() + " lease lost before the snooze could be recorded",
            "snoozed " + jobs.get(1).job.id() + " PT1M");
    assertThat(status(jobs.get(0))).isEqualTo(JobStatus.PROCESSING);
    assertThat(row(jobs.get(0)).snoozes()).isZero();
    assertThat(status(jobs.get(1))).isEqualTo(JobStatus.PENDING);
  }

  @Test
  void outputsAreWrittenWithTheirSuccessesAndNullWhereNoneWasRecorded() {
    EventWriter serializer =
        new EventWriter(store, 10, settings.workerId(), JsonMappers.standard());
    List<RunningJob> jobs =
        claim(4).stream()
            .map(
                rj ->
                    new RunningJob(
                        rj.job,
                        0,
                        0,
                        settings.workerId(),
                        null,
                        serializer,
                        ticker,
                        KindOptions.DEFAULTS))
            .toList();
    // None first: the outputs array starts once one job has output.
    jobs.get(1).recordOutput(Map.of("n", 1));
    jobs.get(3).recordOutput("last");
    jobs.forEach(rj -> completer.submit(new Completer.Success(rj, Duration.ZERO)));
    completer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("succeeded") == 4);
    assertThat(jobs.stream().map(rj -> row(rj).outputJson()))
        .containsExactly(null, "{\"n\": 1}", null, "\"last\"");
  }

  static Stream<Arguments> faultyPolicies() {
    RetryPolicy throwing =
        attempt -> {
          throw new IllegalStateException("policy bug");
        };
    return Stream.of(
        Arguments.of("throws", throwing, Completer.PolicyFault.THREW),
        Arguments.of(
            "returns null", (RetryPolicy) attempt -> null, Completer.PolicyFault.RETURNED_NULL),
        Arguments.of(
            "returns a negative delay",
            (RetryPolicy) attempt -> Duration.ofSeconds(-5),
            Completer.PolicyFault.NEGATIVE),
        Arguments.of(
            "returns 400 days",
            (RetryPolicy) attempt -> Duration.ofDays(400),
            Completer.PolicyFault.TOO_LONG),
        Arguments.of(
            "returns the longest Duration",
            (RetryPolicy) attempt -> Duration.ofSeconds(Long.MAX_VALUE),
            Completer.PolicyFault.TOO_LONG));
  }

  @ParameterizedTest(name = "a retry policy that {0}")
  @MethodSource("faultyPolicies")
  void aFaultyRetryPolicyIsReplacedByTheDefaultPolicy(
      String name, RetryPolicy policy, Completer.PolicyFault fault) {
    settings = Parts.withRetryPolicy(settings, policy);
    completer = new Completer(settings, store, new Listeners(List.of(recorder)), retries::add);
    List<RunningJob> jobs = claim(3);
    jobs.forEach(
        rj ->
            completer.submit(
                new Completer.Failure(rj, new IllegalStateException("boom"), true, Duration.ZERO)));
    completer.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count("retried") == 3);
    assertThat(jobs)
        .allSatisfy(
            rj -> {
              Job after = queue.findJob(rj.job.id()).orElseThrow();
              assertThat(after.status()).isEqualTo(JobStatus.PENDING);
              assertThat(after.retryCount()).isEqualTo(1);
            });
    // The default policy's delay after a first attempt: from zero to its base, 1 s.
    assertThat(retries)
        .hasSize(3)
        .allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, RetryPolicy.DEFAULT_BASE));
    // One kind of fault, reported (and logged) once for the three jobs.
    assertThat(completer.policyFaults()).containsExactly(fault);
  }
}
