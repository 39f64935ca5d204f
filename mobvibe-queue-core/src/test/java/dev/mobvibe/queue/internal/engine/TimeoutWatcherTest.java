package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The timeout watcher alone: an attempt past its deadline on the ticker is settled, cancelled and
 * handed to the completer as a retryable failure; one that finished in time is left alone.
 */
class TimeoutWatcherTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  JobStore store;
  EngineSettings settings;
  Completer completer; // never started: outcomes wait in its queue for the test to see
  ManualTicker ticker;
  TimeoutWatcher watcher;
  Slots slots;
  Parts.Recorder recorder;

  @BeforeAll
  static void migrate() {
    queue = db.migratedQueue();
  }

  @BeforeEach
  void setUp() {
    db.emptyQueueTables();
    store = new JobStore(new Jdbc(db.dataSource()), "public");
    settings =
        Parts.settings(
            "timeout-test", Duration.ofMinutes(1), null, Duration.ofMinutes(5), false, 0);
    completer = new Completer(settings, store, new Listeners(List.of()), d -> {});
    ticker = new ManualTicker();
    slots = new Slots(10);
    recorder = new Parts.Recorder();
    watcher =
        new TimeoutWatcher(settings, slots, completer, new Listeners(List.of(recorder)), ticker);
    watcher.start();
  }

  @AfterEach
  void tearDown() {
    watcher.stop();
  }

  private RunningJob started(Ticker on) {
    return started(on, settings);
  }

  /** A started attempt with the job timeout of these settings (the watcher reads the job's). */
  private RunningJob started(Ticker on, EngineSettings with) {
    Job job = queue.enqueue(NewJob.of("slow"));
    RunningJob rj = Parts.running(job, with, on);
    rj.started();
    return rj;
  }

  @Test
  void anAttemptPastItsDeadlineIsCancelledAndRecordedAsAFailure() {
    RunningJob rj = started(ticker);
    rj.thread = Thread.currentThread();
    watcher.watch(rj);

    ticker.advance(Duration.ofMinutes(5).minusMillis(1));
    watcher.expireDue();
    assertThat(rj.isSettled()).isFalse();
    assertThat(rj.timeLeft()).contains(Duration.ofMillis(1));

    ticker.advance(Duration.ofMillis(1));
    watcher.expireDue();
    assertThat(rj.isSettled()).isTrue();
    assertThat(rj.cancellationReason()).contains(CancellationReason.TIMEOUT);
    assertThat(Thread.interrupted()).isTrue(); // the handler's thread was interrupted
    assertThat(completer.backlog()).isEqualTo(1);
    assertThat(watcher.watched()).isZero();
  }

  @Test
  void anAttemptThatFinishedInTimeIsLeftAlone() {
    RunningJob rj = started(ticker);
    watcher.watch(rj);
    ticker.advance(Duration.ofMinutes(1));
    watcher.unwatch(rj);
    ticker.advance(Duration.ofMinutes(10));
    watcher.expireDue();
    assertThat(rj.isSettled()).isFalse();
    assertThat(completer.backlog()).isZero();
  }

  @Test
  void anAttemptSettledByItsHandlerFirstIsNotFailedAgain() {
    RunningJob rj = started(ticker);
    watcher.watch(rj);
    assertThat(rj.settle()).isTrue(); // the handler returned at the last moment
    ticker.advance(Duration.ofMinutes(6));
    watcher.expireDue();
    assertThat(rj.isCancelled()).isFalse();
    assertThat(completer.backlog()).isZero();
  }

  @Test
  void itsOwnSchedulerFiresTheTimeoutWithoutHelp() {
    EngineSettings quick =
        Parts.settings(
            "timeout-test", Duration.ofMinutes(1), null, Duration.ofMillis(50), false, 0);
    TimeoutWatcher real =
        new TimeoutWatcher(quick, slots, completer, new Listeners(List.of()), Ticker.SYSTEM);
    real.start();
    try {
      RunningJob rj = started(Ticker.SYSTEM, quick);
      real.watch(rj);
      await().atMost(Duration.ofSeconds(10)).until(rj::isSettled);
      assertThat(rj.cancellationReason()).contains(CancellationReason.TIMEOUT);
      assertThat(completer.backlog()).isEqualTo(1);
    } finally {
      real.stop();
    }
  }

  @Test
  void aStartedJobWhoseLeaseWasNotRenewedForLeasePlusGraceIsCancelledAndLost() {
    RunningJob rj = started(ticker);
    slots.hold(rj);
    // Lease one minute, grace one minute (the default: the lease).
    ticker.advance(Duration.ofMinutes(2).minusMillis(1));
    watcher.settleLapsedLeases();
    assertThat(rj.isSettled()).isFalse();

    ticker.advance(Duration.ofMillis(1));
    watcher.settleLapsedLeases();
    assertThat(rj.cancellationReason()).contains(CancellationReason.LEASE_LOST);
    assertThat(recorder.calls)
        .containsExactly("lost " + rj.job.id() + " lease not renewed for 120000 ms");
    assertThat(completer.backlog()).isZero();
  }

  @Test
  void aRenewedLeaseKeepsItsJob() {
    RunningJob rj = started(ticker);
    slots.hold(rj);
    ticker.advance(Duration.ofMinutes(1));
    rj.leaseFromNanos = ticker.nanos(); // the lease keeper renewed it
    ticker.advance(Duration.ofMinutes(1).plusSeconds(59));
    watcher.settleLapsedLeases();
    assertThat(rj.isSettled()).isFalse();
  }

  @Test
  void aJobThatNeverStartedIsHandedBackWhenItsLeaseLapses() {
    Job job = queue.enqueue(NewJob.of("prefetched"));
    RunningJob rj = Parts.running(job, settings, ticker);
    slots.hold(rj);
    ticker.advance(Duration.ofMinutes(3));
    watcher.settleLapsedLeases();
    assertThat(rj.cancellationReason()).contains(CancellationReason.LEASE_LOST);
    assertThat(recorder.calls).isEmpty();
    assertThat(completer.backlog()).isEqualTo(1); // a release, fenced on the lease
  }
}
