package dev.mobvibe.queue.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.CancellationReason;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.SessionTracking;
import dev.mobvibe.queue.internal.Jdbc;
import dev.mobvibe.queue.internal.JobStore;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The lease keeper alone, one renewal round at a time, with heartbeats on a ticker the test moves:
 * no thread, no sleep.
 */
class LeaseKeeperTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  static JobQueue queue;
  JobStore store;
  EngineSettings settings;
  ManualTicker ticker;
  Slots slots;
  Parts.Recorder recorder;
  LeaseKeeper keeper;

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
            "keeper-test", Duration.ofSeconds(30), Duration.ofSeconds(10), null, false, 0);
    ticker = new ManualTicker();
    slots = new Slots(10);
    recorder = new Parts.Recorder();
    keeper = new LeaseKeeper(settings, store, slots, new Listeners(List.of(recorder)), ticker);
  }

  private RunningJob holdOne(boolean started) {
    queue.enqueue(NewJob.of("leased"));
    Job job =
        store.claim(settings.workerId(), 1, settings.leaseDuration(), SessionTracking.OFF).get(0);
    RunningJob rj = Parts.running(job, settings, ticker);
    slots.hold(rj);
    if (started) {
      rj.started();
    }
    return rj;
  }

  private double leaseSecondsLeft(RunningJob rj) {
    return Double.parseDouble(
        db.queryString(
            "SELECT extract(epoch FROM lease_expires_at - now()) FROM coding_jobs WHERE id = '"
                + rj.job.id()
                + "'"));
  }

  @Test
  void aRenewalRoundExtendsTheLeasesOfHeldJobs() {
    RunningJob rj = holdOne(true);
    db.execute("UPDATE coding_jobs SET lease_expires_at = now() + interval '2 seconds'");
    keeper.renew();
    assertThat(leaseSecondsLeft(rj)).isGreaterThan(25);
    assertThat(rj.isSettled()).isFalse();
    assertThat(recorder.calls).isEmpty();
  }

  @Test
  void aSilentHandlerIsNotRenewedAndIsToldOnceItsLeaseIsGone() {
    RunningJob rj = holdOne(true);
    ticker.advance(Duration.ofSeconds(9));
    rj.heartbeat();
    ticker.advance(Duration.ofSeconds(9)); // 9 s since the last heartbeat: still heard
    db.execute("UPDATE coding_jobs SET lease_expires_at = now() + interval '2 seconds'");
    keeper.renew();
    assertThat(leaseSecondsLeft(rj)).isGreaterThan(25);

    ticker.advance(Duration.ofSeconds(2)); // 11 s of silence: past the heartbeat timeout
    db.execute("UPDATE coding_jobs SET lease_expires_at = now() + interval '2 seconds'");
    keeper.renew();
    assertThat(leaseSecondsLeft(rj)).isLessThan(3); // not extended
    assertThat(rj.isSettled()).isFalse(); // but still held

    db.execute("UPDATE coding_jobs SET lease_expires_at = now() - interval '1 second'");
    keeper.renew();
    assertThat(rj.isSettled()).isTrue();
    assertThat(rj.cancellationReason()).contains(CancellationReason.LEASE_LOST);
    assertThat(recorder.calls)
        .containsExactly("lost " + rj.job.id() + " lease expired and the job was taken back");
  }

  @Test
  void aPrefetchedJobKeepsItsLeaseThoughItCannotHeartbeat() {
    RunningJob rj = holdOne(false);
    ticker.advance(Duration.ofMinutes(5));
    db.execute("UPDATE coding_jobs SET lease_expires_at = now() + interval '2 seconds'");
    keeper.renew();
    assertThat(leaseSecondsLeft(rj)).isGreaterThan(25);
    assertThat(rj.isSettled()).isFalse();
  }

  @Test
  void aJobTakenByAnotherWorkerIsSettledAsLeaseLost() {
    RunningJob rj = holdOne(true);
    db.execute("UPDATE coding_jobs SET lease_owner = 'another-worker'");
    keeper.renew();
    assertThat(rj.cancellationReason()).contains(CancellationReason.LEASE_LOST);
    assertThat(recorder.count("lost")).isEqualTo(1);
  }

  @Test
  void aCancelledJobIsSettledAsCancelled() {
    RunningJob rj = holdOne(true);
    assertThat(queue.cancelJob(rj.job.id())).isTrue();
    keeper.renew();
    assertThat(rj.cancellationReason()).contains(CancellationReason.JOB_CANCELLED);
    assertThat(recorder.calls).containsExactly("lost " + rj.job.id() + " job was cancelled");
  }

  @Test
  void aJobAlreadySettledIsLeftToItsOutcome() {
    RunningJob rj = holdOne(true);
    assertThat(rj.settle()).isTrue(); // its outcome is on its way to the completer
    db.execute("UPDATE coding_jobs SET lease_owner = 'another-worker'");
    keeper.renew();
    assertThat(rj.isCancelled()).isFalse();
    assertThat(recorder.calls).isEmpty();
  }

  @Test
  void aDatabaseFailureLeavesEveryJobAsItWas() {
    FaultyDataSource faults = new FaultyDataSource(db.dataSource());
    keeper =
        new LeaseKeeper(
            settings,
            new JobStore(new Jdbc(faults), "public"),
            slots,
            new Listeners(List.of(recorder)),
            ticker);
    RunningJob rj = holdOne(true);
    faults.failNext("lease_expires_at", 1);
    keeper.renew(); // logged; the next round tries again
    assertThat(faults.failed()).isEqualTo(1);
    assertThat(rj.isSettled()).isFalse();
    keeper.renew();
    assertThat(leaseSecondsLeft(rj)).isGreaterThan(25);
  }
}
